"""Retrieval and extractive answers on the small index (real embedded Chroma), with the ``fake`` embedder and
with the real model (the ``service`` fixture runs each test with both)."""

import json
import threading

import pytest
from click.testing import CliRunner
from fakes import FAKE

from assistant.cli import cli
from assistant.retrieval import as_langchain

# four passages on something else, so that a small corpus has words to rank against
GRIFFONS = {f"autre-{i}.txt": f"Le griffon numéro {i} est gardé par la caisse régionale.\n" for i in range(4)}


def service_over(tmp_path, files: dict[str, str], **overrides):
    """A service over a corpus of ``files`` (name -> text) written in ``tmp_path / "c"``, indexed with the fake
    embedder in ``tmp_path / "i"`` (``tmp_path`` made if needed: one test may hold several); ``overrides``: other
    settings."""
    from assistant.service import Service
    from assistant.settings import Settings
    from ingest.pipeline import refresh

    (tmp_path / "c").mkdir(parents=True)
    for name, text in files.items():
        (tmp_path / "c" / name).write_text(text, encoding="utf-8")
    settings = Settings(index=tmp_path / "i", embedding_model=FAKE, **overrides)
    refresh(settings, [tmp_path / "c"])
    return Service(settings, follow=False)


def test_caqes_targeting_question_cites_paragraph_35(service):
    answer = service.ask("Qui pilote le ciblage des CAQES ?")
    assert answer.answered
    assert answer.citations[0].locator == "§ 35"
    assert "ciblage travaillé ensemble" in answer.answer
    assert "[1]" in answer.answer
    assert answer.citations[0].title == "Article coopération ARS-AM Bretagne"


def test_named_article_is_looked_up_directly(service):
    answer = service.ask("que prévoit l'article L. 162-30-2 ?")
    assert answer.answered
    assert answer.citations[0].locator == "art. L. 162-30-2"
    assert answer.answer.startswith("Un contrat d'amélioration de la qualité et de l'efficience des soins est conclu")
    hits = service.search("article R1434-13 CSP").hits
    assert hits[0].chunk.locator == "art. R. 1434-13" and hits[0].reason == "lookup"
    conv = service.search("article 5 de la convention type").hits
    assert conv[0].chunk.locator == "Article 5" and conv[0].chunk.doc_id.startswith("convention")


def test_article_absent_from_the_corpus_is_said_so(service):
    answer = service.ask("Que dit l'article L. 999-99 ?")
    assert not answer.answered
    assert "L. 999-99" in answer.answer and "ne figure pas" in answer.answer


def test_unanswerable_question_is_refused_with_closest_passages(service):
    answer = service.ask("Quel est le taux de TVA sur les médicaments ?")
    assert not answer.answered and not answer.citations
    assert "TVA" in answer.answer
    assert answer.closest


def test_acronym_question_finds_the_long_form(service):
    hits = service.search("Qui préside la commission régionale de coordination ?").hits
    assert any(h.chunk.locator in ("art. R. 1434-14", "Article 5") for h in hits[:3])


def test_english_question(service):
    answer = service.ask("Who chairs the regional coordination commission?")
    assert answer.answered
    assert any(c.locator in ("art. R. 1434-14", "Article 5") for c in answer.citations)


def test_near_duplicates_are_collapsed():
    from assistant.records import Chunk, Hit
    from assistant.retrieval import collapse_duplicates

    text = "Le contrat est conclu pour une durée maximale de cinq ans et prévoit les objectifs."
    hits = [
        Hit(Chunk("a", "d1", text, "x", 0, 1), 1.0),
        Hit(Chunk("b", "d2", text + " ", "y", 0, 1), 0.9),
        Hit(Chunk("c", "d3", "Un tout autre passage sur la gouvernance régionale.", "z", 0, 1), 0.8),
    ]
    assert [h.chunk.chunk_id for h in collapse_duplicates(hits, 10)] == ["a", "c"]


def test_ask_json_shape(fake_index, fake_model_env):
    result = CliRunner().invoke(
        cli, ["ask", "Qui pilote le ciblage des CAQES ?", "--json", "--index", str(fake_index.index)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    shape = {"question", "answer", "answered", "citations", "timings_ms", "generation", "suggestions", "confidence"}
    assert set(data) == shape
    assert data["generation"] == (fake_index.index / "CURRENT").read_text().strip() == "gen-000001"
    assert data["answered"] is True
    c = data["citations"][0]
    assert {
        "n",
        "doc_id",
        "title",
        "locator",
        "text",
        "score",
        "cite_as",
        "version",
        "url",
        "reference",
        "date",
    } <= set(c)
    assert c["n"] == 1 and c["locator"] == "§ 35"
    assert data["timings_ms"]["total"] > 0


def test_search_cli_and_missing_index(fake_index, fake_model_env, tmp_path):
    result = CliRunner().invoke(cli, ["search", "durée du CAQES", "--k", "3", "--index", str(fake_index.index)])
    assert result.exit_code == 0 and result.output.count("score") == 3
    missing = CliRunner().invoke(cli, ["ask", "x", "--index", str(tmp_path / "none")])
    assert missing.exit_code == 1 and "Erreur : aucun index" in missing.output


def test_langchain_retriever(service):
    retriever = as_langchain(service.retriever, k=3)
    docs = retriever.invoke("sanction en cas de refus de conclure le contrat d'amélioration de la qualité")
    assert len(docs) == 3
    assert any(d.metadata["locator"] == "art. L. 162-30-2" for d in docs)
    assert all(d.metadata["title"] and d.page_content for d in docs)


def test_a_numbered_unit_absent_from_the_corpus_is_said_so(service):
    answer = service.ask("Que prévoit l'article 99 de la convention type ?")
    assert not answer.answered and "L'article 99 ne figure pas" in answer.answer


def test_lower_case_letters_before_numbers_are_not_articles():
    from assistant.retrieval import named_code_articles

    assert named_code_articles("Le directeur de l'ARS a 30 jours pour répondre ?") == []
    assert named_code_articles("que dit l'article l. 162-30-2 ?") == ["L162-30-2"]


def test_paragraph_numbers_are_stripped_only_when_glued():
    from assistant.answer import _display_sentence

    assert _display_sentence("35La mise en œuvre de la convention.", "§ 35") == "La mise en œuvre de la convention."
    assert _display_sentence("30 projets ont été retenus en 2019.", "§ 3") == "30 projets ont été retenus en 2019."


def test_a_definition_leads_with_the_sentence_whose_subject_is_the_notion(tmp_path):
    """ "de quoi se compose la commission des licornes ?": the answer opens on the sentence whose subject is the
    commission and that says its composition, not on the one that holds more of the question's words."""
    from assistant.retrieval import SUBJECT_CUES, opens_on, subject_names
    from assistant.service import Service
    from assistant.settings import Settings
    from ingest.pipeline import refresh

    names = subject_names("c'est quoi une ARS ?", ["agences régionales de santé"], [])
    assert "agence regionale de sante" in names and "ars" in names
    # "c quoi le statut juridique d'une ARS ?", "URPS c'est quoi comme structure juridique": the notion is the body,
    # which its defining sentence names ("Les agences régionales de santé sont des établissements publics")
    for asked in ("c quoi le statut juridique d'une ARS", "Statut juridique des ARS ?"):
        assert subject_names(asked, ["agences régionales de santé"], [])[:2] == ["ars", "agences regionales de sante"]
    assert subject_names("URPS c'est quoi comme structure juridique", ["unions régionales"], [])[0] == "urps"
    # "qui siège au ...": the lead is "qui siège au", not "qui siège a" (which left "u conseil ..." as the name)
    assert subject_names("qui siège au conseil de surveillance ?", [], []) == ["conseil de surveillance"]
    assert subject_names("qui siège à la commission des licornes", [], [])[0] == "commission des licornes"
    # "qui siège au CA de l'ARS": the notion is the CA, named by its own long form, not by the agency's
    forms = {"CA": ["conseil d'administration"], "ARS": ["agences régionales de santé"]}
    ca = subject_names("qui siège au CA de l'ARS", forms["ARS"], forms["CA"], lambda a: forms[a])
    assert ca == ["conseil d'administration"]
    # "qui préside le CNP ?": the notion may be the object of "présider" as well as the subject of "est présidé"
    from assistant.retrieval import OBJECT_CUES

    cnp = ["conseil national de pilotage"]
    ministers = "Les ministres chargés de la santé et de la sécurité sociale président le Conseil national de pilotage."
    assert opens_on(ministers, cnp, SUBJECT_CUES["presidence"], OBJECT_CUES["presidence"])
    assert not opens_on(ministers, cnp, SUBJECT_CUES["presidence"])
    assert not opens_on(  # the notion named, neither presided by nor the object of "présider"
        "Le président du conseil national de pilotage fixe l'ordre du jour.",
        cnp,
        SUBJECT_CUES["presidence"],
        OBJECT_CUES["presidence"],
    )
    # a numbered paragraph ("I.-Le conseil ...") opens on its subject as a plain sentence does
    assert opens_on(
        "I.-Le conseil d'administration de l'agence est composé : 1° De représentants de l'Etat.",
        ca,
        SUBJECT_CUES["composition"],
    )
    assert opens_on(
        "Les agences régionales de santé sont des établissements publics.", names, SUBJECT_CUES["definition"]
    )
    assert not opens_on(
        "Le directeur général de l'agence régionale de santé est nommé.", names, SUBJECT_CUES["definition"]
    )
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "rapport.txt").write_text(
        "Le secrétaire compose chaque année le rapport sur la composition de la commission des licornes, ses "
        "membres et la composition de ses groupes de travail.\n\nLa commission des licornes est composée de trois "
        "dragons et d'un griffon.\n",
        encoding="utf-8",
    )
    refresh(Settings(index=tmp_path / "i", embedding_model=FAKE), [tmp_path / "c"])
    question = "de quoi se compose la commission des licornes ?"
    answer = Service(Settings(index=tmp_path / "i", embedding_model=FAKE), follow=False).ask(question)
    assert answer.answered and answer.answer.startswith("La commission des licornes est composée"), answer.answer
    without = Service(Settings(index=tmp_path / "i", embedding_model=FAKE, subject_weight=0.0), follow=False).ask(
        question
    )
    assert not without.answer.startswith("La commission des licornes est composée"), without.answer


def test_an_acronym_the_analyser_reads_as_a_word_is_searched_through_its_long_form(fake_service):
    """ "CA" is "ça" to the analyser and "ES" the letter "e": nothing of the acronym was searched, and its long
    form weighed half ("qui siège au CA de l'ARS" did not find the agency's conseil d'administration among the
    whole codes). The long form now stands for the acronym as the question's own words do."""

    def unused(question):  # each such acronym's stem -> the terms of its long form
        return dict(fake_service.retriever._unused_acronym_tokens(question).values())

    assert unused("qui siège au CA de l'ARS") == {"ca": ["conseil", "administr"]}
    assert unused("qui siège au CA de l'ARS") and not unused("qui siège au conseil de l'ARS")


def test_every_signal_can_be_turned_off_alone(fake_index):
    """The ablation's settings are users' settings too: with any one signal off (ASSISTANT_SIGNALS_OFF), a question
    is answered or refused, never an error (with the lexicon off, "CA" once raised an IndexError)."""
    from assistant.retrieval import SIGNALS
    from assistant.service import Service

    for name in SIGNALS:
        service = Service(fake_index.model_copy(update={"signals_off": name}), follow=False)
        for question in ("qui siège au CA de l'ARS ?", "c'est quoi la CRSA ?", "durée de la convention PPRGDRESS"):
            answer = service.ask(question)
            assert answer.answer and (answer.answered or answer.closest), (name, question)


def test_a_place_the_question_names_must_be_in_the_passage_that_answers(tmp_path):
    """ "combien de DMP ouverts en Bretagne en 2019 ?" is not answered by the national figure: a place the
    question asks about (a region, a city of ``places.tsv``) must be in the answer's passage, its title or its
    headings; the place of the asker's own situation ("Je vis en Bretagne, ...") is not asked about."""
    files = {
        "bilan.txt": "En 2019, plus de 5 millions de DMP ont été ouverts sur le territoire national.\n\n"
        "La téléconsultation est remboursée depuis septembre 2018 par l'Assurance Maladie.\n",
        "region.txt": "L'agence régionale de Bretagne et les caisses travaillent ensemble sur la gestion du risque "
        "depuis plusieurs années, avec des réunions régulières.\n",
    }
    service = service_over(tmp_path, files, min_coverage=0.2)
    national = service.ask("combien de DMP ont été ouverts en 2019 ?")
    assert national.answered and "5 millions" in national.answer, national.answer
    regional = service.ask("combien de DMP ont été ouverts en Bretagne en 2019 ?")
    assert not regional.answered, regional.answer
    # where the asker lives is not what is asked: the law of the whole country answers "Je vis en Bretagne, ..."
    asker = service.ask("Je vis en Bretagne : combien de DMP ont été ouverts en 2019 ?")
    assert asker.answered and "5 millions" in asker.answer, asker.answer


def test_who_acts_on_a_body_is_not_answered_by_what_that_body_does(tmp_path):
    """ "qui nomme le directeur des licornes ?" is refused when the corpus only says whom that director appoints
    (it answered "Les membres sont nommés par le directeur des licornes"); it is answered where the corpus says who
    appoints him."""
    others = "Les membres du comité des licornes sont nommés par le directeur des licornes pour trois ans.\n"
    service = service_over(tmp_path / "a", {"comite.txt": others}, min_coverage=0.2)
    assert service.ask("qui nomme les membres du comité des licornes ?").answered
    reverse = service.ask("qui nomme le directeur des licornes ?")
    assert not reverse.answered and "qui décide ou agit" in reverse.answer, reverse.answer
    both = others + "\nLe directeur des licornes est nommé par décret du ministre des haras.\n"
    service = service_over(tmp_path / "b", {"comite.txt": both}, min_coverage=0.2)
    answer = service.ask("qui nomme le directeur des licornes ?")
    assert answer.answered and answer.answer.startswith("Le directeur des licornes est nommé par décret"), answer.answer


def test_a_territory_s_own_article_comes_after_the_whole_country_s(tmp_path):
    """ "qui préside le conseil de surveillance d'une ARS ?" was answered from La Réunion's article before the one
    for the whole country: a passage of a territory's section counts ``TERRITORY_WEIGHT`` in the fused score for
    a question that names no place, in full for one that names it, and in full with the signal turned off."""
    from assistant.service import Service
    from assistant.settings import Settings
    from ingest.pipeline import refresh

    code = tmp_path / "c" / "code-de-la-sante-publique"
    general = code / "titre-ii-les-licornes" / "chapitre-ier-dispositions-generales"
    local = code / "titre-iv-outre-mer" / "chapitre-iii-la-reunion"
    for folder, name, text in (
        (general, "l1-1.md", "Le conseil des licornes est présidé par le préfet, sans voix prépondérante."),
        (local, "l4-1.md", "Le conseil des licornes est présidé par le préfet, avec voix prépondérante."),
    ):
        folder.mkdir(parents=True)
        (folder / name).write_text(f"# Article {name[:-3].upper()}\n\n<p>{text}</p>", encoding="utf-8")
    settings = Settings(index=tmp_path / "i", embedding_model=FAKE)
    refresh(settings, [tmp_path / "c"])
    question = "qui préside le conseil des licornes ?"

    def scores(service, q):
        return {h.chunk.article: (h.score, "territory" in h.signals) for h in service.search(q, 2).hits}

    on = scores(Service(settings, follow=False), question)
    assert on["L4-1"][1] and not on["L1-1"][1] and on["L1-1"][0] > on["L4-1"][0], on
    off = scores(Service(settings.model_copy(update={"signals_off": "territory"}), follow=False), question)
    assert not off["L4-1"][1] and off["L4-1"][0] > on["L4-1"][0], (on, off)
    asked = scores(Service(settings, follow=False), "qui préside le conseil des licornes à La Réunion ?")
    assert not asked["L4-1"][1], asked
    dom = scores(Service(settings, follow=False), "dans les DOM, qui préside le conseil des licornes ?")
    assert not dom["L4-1"][1], dom


def test_the_territories_are_read_in_headings_as_slugs_write_them():
    """Legifrance's folder names lose their hyphens ("Chapitre V saint barthelemy"): every territory is still
    found, and a meeting ("Réunions du conseil") or a word holding "corse" is none."""
    from assistant.retrieval import TERRITORY
    from assistant.text import fold

    for heading in (
        "Titre IV outre mer",
        "Titre 5 departements doutre mer",
        "Chapitre V saint barthelemy",
        "Chapitre VI saint pierre et miquelon",
        "Titre III terres australes et antarctiques francaises",
        "Chapitre III la reunion",
        "Chapitre Ier dispositions propres aux departements du haut rhin du bas rhin et de la moselle",
    ):
        assert TERRITORY.search(fold(heading)), heading
    for heading in ("Section 2 reunions du conseil", "Section 1 la reunion des commissions", "Chapitre II ecorce"):
        assert not TERRITORY.search(fold(heading)), heading


def test_a_note_on_entry_into_force_answers_only_a_question_about_it(tmp_path):
    """Légifrance ends many articles with "Conformément à l'article 2 du décret n° ..., ces dispositions entrent en
    vigueur le ...": a note on when that version applies, not what the article provides. It counts half in the
    answer, unless the question asks about entry into force."""
    from assistant.answer import APPLICATION_NOTE

    note = (
        "Conformément à l'article 2 du décret n° 2021-1231 du 25 septembre 2021, ces dispositions entrent en "
        "vigueur le 1er janvier 2022 pour le plan des licornes."
    )
    assert APPLICATION_NOTE.match(note)
    assert not APPLICATION_NOTE.match("Conformément à l'article L. 1435-5-1, les praticiens peuvent exercer.")
    plan = "Le plan des licornes est arrêté par le directeur pour une durée de quatre ans. " + note + "\n"
    service = service_over(tmp_path, {"plan.txt": plan})
    length = service.ask("le plan des licornes est arrêté pour quelle durée ?")
    assert length.answered and "quatre ans" in length.answer and "Conformément" not in length.answer, length.answer
    force = service.ask("le plan des licornes entre en vigueur à quelle date ?")
    assert force.answered and force.answer.startswith("Conformément"), force.answer


def test_a_codes_nota_never_answers_a_question_that_is_not_about_entry_into_force(tmp_path):
    """ "combien de temps garder un dossier médical à l'hôpital ?" was answered at the full codes with R. 1111-40's
    NOTA ("Conformément au II de l'article 91 de la loi n° 2020-1525…, le premier alinéa entre en vigueur … au plus
    tard le 1er janvier 2022"): "au plus tard" read as a length of time. What follows "NOTA :" says from when a
    version applies; it answers only a question about that."""
    plan = (
        "Le plan des licornes est arrêté par le directeur de la caisse régionale. Il est publié au recueil.\n\n"
        "NOTA :\nConformément au II de l'article 91 de la loi n° 2020-1525 du 7 décembre 2020, le premier alinéa du "
        "plan des licornes entre en vigueur à une date fixée par voie réglementaire, et au plus tard le 1er janvier "
        "2022.\n"
    )
    service = service_over(tmp_path, {"plan.txt": plan})
    who = service.ask("qui arrête le plan des licornes ?")
    assert who.answered and "par le directeur" in who.answer and "Conformément" not in who.answer, who.answer
    length = service.ask("le plan des licornes est arrêté pour combien de temps ?")
    assert not length.answered and "Conformément" not in length.answer.split("Passages")[0], length.answer
    force = service.ask("le plan des licornes entre en vigueur à quelle date ?")
    assert force.answered and "Conformément" in force.answer, force.answer


def test_the_age_asked_is_not_the_subject_of_an_age_question(tmp_path):
    """ "à partir de quel âge peut-on acheter du tabac ?" was answered at the full codes with an article on the
    allocations familiales ("… conditions autres que celles de l'âge…"): "âge" counted as the subject the passage
    had to hold. It says what is asked, like "durée"; the subject is the tabac."""
    service = service_over(
        tmp_path,
        {
            "allocation.txt": (
                "L'allocation des griffons, qui permet d'acheter du foin, est versée jusqu'à l'âge de vingt ans.\n"
            ),
            "vente.txt": "La vente de licornes est réservée aux éleveurs agréés par la caisse régionale.\n",
            # licornes in many documents, the age in one: "âge" weighs more than the subject itself
            **{
                f"elevage-{i}.txt": f"Les licornes de l'élevage numéro {i} sont recensées par la caisse régionale.\n"
                for i in range(4)
            },
        },
    )
    answer = service.ask("à partir de quel âge peut-on acheter des licornes ?")
    assert not answer.answered and "griffons" not in answer.answer.split("Passages")[0], answer.answer
    asked = service.ask("jusqu'à quel âge l'allocation des griffons est-elle versée ?")
    assert asked.answered and "vingt ans" in asked.answer, asked.answer


def test_an_acronyms_long_form_is_held_as_a_name_not_as_its_words(tmp_path):
    """ "combien de membres compte la CNAM ?" was answered from an article on the UNCAM: "Union nationale des
    caisses d'assurance maladie" has every word of "Caisse nationale de l'assurance maladie". The long form of an
    acronym is a name: its noun and the word after it ("caisse nationale") come in that order."""
    service = service_over(
        tmp_path,
        {
            "uncam.txt": (
                "L'Union nationale des caisses d'assurance maladie est présidée par le président du conseil de la "
                "caisse des griffons.\n"
            ),
            "cnam.txt": "La Caisse nationale de l'assurance maladie est un établissement public national.\n",
            "autre.txt": "Les caisses d'assurance maladie versent les prestations. La caisse des licornes est loin.\n",
        },
    )
    refused = service.ask("qui préside la CNAM ?")
    assert not refused.answered and "qui préside" in refused.answer, refused.answer
    assert "établissement public" in service.ask("c'est quoi la CNAM ?").answer
    assert "griffons" in service.ask("qui préside l'UNCAM ?").answer


def test_a_name_the_question_writes_in_full_is_held_as_written(tmp_path):
    """ "qui élabore le projet régional de santé ?" was answered at the full codes from a sentence on the "projet
    territorial de santé" of an article that says "régional" elsewhere. A name the question writes in full (the
    long form of an acronym the glossary or the lexicon knows: PRS) is one notion: held as written."""
    service = service_over(
        tmp_path,
        {
            "territoire.txt": (
                "Le projet territorial de santé est élaboré par le conseil des griffons. Le conseil siège à l'hôtel "
                "régional.\n"
            ),
            "region.txt": "Le projet régional de santé est arrêté par le directeur général de l'agence.\n",
        },
    )
    answer = service.ask("qui élabore le projet régional de santé ?")
    assert "griffons" not in answer.answer.split("Passages")[0], answer.answer
    assert "griffons" in service.ask("qui élabore le projet territorial de santé ?").answer


def test_a_figure_dated_in_another_year_does_not_answer_for_the_year_asked(tmp_path):
    """ "combien de CPTS en 2019 ?" was answered at the default index with "131 contrats « signés » de CPTS au 17
    juin 2021": the passage named 2019 elsewhere. The sentence that gives the figure dates it in another year."""
    text = (
        "La caisse affiche 131 contrats signés de communautés de licornes au 17 juin 2021. Le rapport de 2019 "
        "décrivait les premières communautés de licornes.\n"
    )
    service = service_over(tmp_path, {"licornes.txt": text})
    refused = service.ask("combien de communautés de licornes en 2019 ?")
    assert not refused.answered and "2019" in refused.answer.split("Passages")[0], refused.answer
    answered = service.ask("combien de communautés de licornes en 2021 ?")
    assert answered.answered and "131" in answered.answer, answered.answer


def test_a_trade_name_for_an_article_asked_about_itself_opens_that_article(tmp_path):
    """ "qu'est-ce que l'article 51 ?" was refused on both indexes ("L'article 51 ne figure pas dans le corpus
    indexé"), though the lexicon knows the name for L. 162-31-1 and the corpus holds it: a seed unit "Article 51"
    was looked for. Asked about itself, the trade name opens the article it names; in a question on something
    else, it is searched as before; a document's own "article 99" still is."""
    from conftest import CORPUS, LEGI, build_index

    from assistant.service import Service

    corpus = tmp_path / "corpus"
    src = next(LEGI.rglob("l162-31-1.md"))
    target = corpus / src.relative_to(CORPUS)
    target.parent.mkdir(parents=True)
    target.write_bytes(src.read_bytes())
    (corpus / "legifrance" / "PROVENANCE.md").write_bytes((LEGI / "PROVENANCE.md").read_bytes())
    (corpus / "note.txt").write_text("Les licornes bénéficient d'un financement régional.\n", encoding="utf-8")
    service = Service(build_index(tmp_path / "index", corpus, FAKE))
    for question in ("qu'est-ce que l'article 51 ?", "c'est quoi l'article 51", "article 51 ?"):
        answer = service.ask(question)
        assert answer.answered and answer.citations[0].cite_as == "CSS, art. L. 162-31-1", answer.answer
        assert answer.answer.startswith("I.-Des expérimentations"), answer.answer
    refused = service.ask("que prévoit l'article 99 de la convention ?")
    assert not refused.answered and "L'article 99 ne figure pas" in refused.answer


def test_a_sentence_on_another_of_the_notions_kind_does_not_answer(tmp_path):
    """ "combien de temps dure le congé paternité ?" was answered at the full codes with "L'interne peut bénéficier
    d'un congé de présence parentale … de trois cent dix jours": the passage's first sentence named the congé de
    paternité. A sentence that names another congé is not about it; "ce congé" recalls the one named before."""
    service = service_over(
        tmp_path,
        {
            "internes.txt": (
                "Les griffons internes bénéficient d'un congé de paternité selon les modalités du décret. Le griffon "
                "interne peut bénéficier d'un congé de présence parentale d'une durée maximum de trois cent dix "
                "jours.\n"
            ),
        },
    )
    answer = service.ask("combien de temps dure le congé paternité ?")
    assert "trois cent dix" not in answer.answer.split("Passages")[0], answer.answer
    recalled = service_over(
        tmp_path / "recalled",
        {
            "licornes.txt": (
                "Les licornes bénéficient d'un congé de paternité selon les modalités du décret. La durée de ce "
                "congé est de vingt-cinq jours.\n"
            )
        },
    )
    answer = recalled.ask("combien de temps dure le congé paternité ?")
    assert answer.answered and "vingt-cinq jours" in answer.answer, answer.answer


def test_a_verb_the_lexicon_translates_carries_the_subject(fake_service):
    """ "un mineur peut-il avorter… ?", "peut-on fumer dans un bar ?": a verb after a modal was read as a word that
    does not carry the subject (half its weight in the subject a passage must hold); one the lexicon gives legal
    terms for is the subject (the interruption volontaire de grossesse, the interdiction de fumer)."""
    answerer = fake_service.answerer
    for question, verb in (
        ("un mineur peut-il avorter sans l'accord de ses parents ?", "avort"),
        ("peut-on fumer ?", "fum"),
    ):
        result = fake_service.search(question)
        assert verb in result.terms and verb not in answerer.idle_terms(result), question
    result = fake_service.search("peut-on vendre des licornes ?")
    assert "vendr" in answerer.idle_terms(result)  # a verb the lexicon does not know still does not


def test_a_duration_is_not_answered_by_a_sentence_that_only_holds_numbers(tmp_path):
    """ "combien de temps … ?" expects a number and a length of time. When the sentences that say a length hold
    no number, another sentence's numbers (article references, "trois régimes") do not make it an answer."""
    text = (
        "Le registre des licornes est tenu par la caisse régionale pour une durée fixée par arrêté du ministre. "
        "Le registre des licornes est ouvert aux trois régimes membres de l'union des caisses régionales.\n"
    )
    service = service_over(tmp_path, {"registre.txt": text})
    answer = service.ask("le registre des licornes est tenu combien de temps ?")
    assert not answer.answered and "de durée" in answer.answer, answer.answer


def test_an_unknown_acronym_is_not_read_as_a_typo_of_a_known_one(fake_service):
    """ "DCGDX" is one letter from "DCGDR", but an acronym the corpus lacks is not a typo: it stays as written
    (and the question is refused as about something the corpus does not name), while a lower-case typo is
    still corrected ("UNOCAM" was read as "UNCAM", and its question refused). So is a capitalised word."""
    result = fake_service.search("Qui nomme le DCGDX ?")
    assert "dcgdx" in result.terms and "dcgdr" not in result.terms
    answer = fake_service.ask("Qui nomme le DCGDX ?")
    assert not answer.answered and "« DCGDX »" in answer.answer
    assert "ciblag" in fake_service.search("Qui pilote le cibblage des CAQES ?").terms  # lower case: a typo
    # A capitalised word after the first is a name too ("qui a écrit Les Misérables ?" was read as "misées")
    result = fake_service.search("Que dit le rapport Cibblage des CAQES ?")
    assert "ciblag" not in result.terms
    refused = fake_service.ask("Que dit le rapport Cibblage des CAQES ?")
    assert not refused.answered and "« Cibblage »" in refused.answer, refused.answer


def test_a_french_word_the_corpus_lacks_is_not_searched_as_another_word(tmp_path):
    """ "Qu'est-ce qu'une rechute accident du travail ?" was answered, at the default index, with "Une campagne
    de recrutement locale a été conduite": the corrector had read "rechute" as "recrutement". A French word is
    meant as written: the corpus does not use it, and the answer says so."""
    service = service_over(
        tmp_path,
        {
            "rh.txt": "Une campagne de recrutement locale a été conduite pour constituer l'équipe de l'agence. "
            "La commission de l'agence est présidée par son directeur.",
            "at.txt": "Est considéré comme accident du travail l'accident survenu par le fait ou à l'occasion du "
            "travail.",
        },
    )
    question = "Qu'est-ce qu'une rechute accident du travail ?"
    assert "recrut" not in service.search(question).terms
    answer = service.ask(question)
    assert not answer.answered and "« rechute »" in answer.answer, answer.answer
    assert "commiss" in service.search("Qui préside la commision de l'agence ?").terms  # a misspelling: corrected


def test_refusal_suggestions_are_answered_and_lookups_are_checked_without_embedding(fake_service, monkeypatch):
    """Each reformulation offered with a refusal is one the assistant answers; those naming an article or a
    paragraph are checked through their lookup alone (no query embedding: the refusal stays cheap)."""
    from assistant import suggest

    answerer = fake_service.answerer
    monkeypatch.setattr(answerer, "checked_suggestions", {})  # other tests' refusals checked some candidates
    question = "Quel est le tarif du stationnement à la gare de Rennes ?"
    refused = answerer.ask(question)
    assert not refused.answered
    embedded = []
    real = answerer.index.embedder.embed_query
    monkeypatch.setattr(answerer.index.embedder, "embed_query", lambda text: embedded.append(text) or real(text))
    offered = suggest.suggestions(answerer, question, refused)
    asked = suggest.candidates(answerer, question, refused)[:8]
    assert not any(s in embedded for s in asked if s.startswith(suggest.LOOKUP_QUESTIONS)), embedded
    assert any(s.startswith(suggest.LOOKUP_QUESTIONS) for s in offered)
    assert offered and all(answerer.ask(s).answered for s in offered)
    # Each reformulation is checked once per generation: the next refusal near the same notions asks nothing.
    asks = []
    monkeypatch.setattr(answerer, "ask", lambda *a, **k: asks.append(a) or refused)
    assert suggest.suggestions(answerer, question, refused) == offered and not asks


def test_the_first_refusal_checks_every_notion_question_in_the_background(fake_service, monkeypatch):
    """A notion's reformulations are full questions (the costly checks of a refusal). The first refusal of a
    generation checks them all in the background; a later refusal then asks only its lookups, which need no
    query embedding. The suggestions offered are the same as when each refusal checks its own."""
    from assistant import suggest
    from assistant.service import Service

    answerer = fake_service.answerer
    monkeypatch.setattr(answerer, "checked_suggestions", {})
    monkeypatch.setattr(answerer, "precheck", None)
    notions = suggest.all_notion_questions(answerer.index)
    assert len(notions) == 2 * len(answerer.index.glossary.entries) > 0
    first = fake_service.ask("Quel est le tarif du stationnement à la gare de Rennes ?")
    assert not first.answered and answerer.precheck is not None
    answerer.precheck.join(timeout=60)
    assert set(notions) <= set(answerer.checked_suggestions)
    question = "Combien coûte un abonnement de bus à Rennes pour les agents de la CPAM ?"
    refused = answerer.ask(question)
    assert not refused.answered
    asked = []
    real_ask = answerer.ask
    monkeypatch.setattr(answerer, "ask", lambda q, **k: asked.append(q) or real_ask(q, **k))
    offered = suggest.suggestions(answerer, question, refused)
    assert asked and all(q.startswith(suggest.LOOKUP_QUESTIONS) for q in asked), asked
    monkeypatch.setattr(answerer, "checked_suggestions", {})  # nothing remembered: the same offer
    assert suggest.suggestions(answerer, question, refused) == offered
    thread = answerer.precheck
    assert not fake_service.ask("Quel est le tarif du parking de la gare de Brest ?").answered
    assert answerer.precheck is thread  # started once per generation, not at each refusal
    # Each check holds its generation open like a question does; once a newer generation serves, it stops.
    g = fake_service._loaded
    # The session's service may still run an earlier test's check in another thread, holding this generation too:
    # it ends first.
    for earlier in threading.enumerate():
        if earlier.name == "suggestions-precheck":
            earlier.join(timeout=60)
    monkeypatch.setattr(answerer, "checked_suggestions", {})
    monkeypatch.setattr(answerer, "precheck", None)
    calls = []  # (thread, users): only this check's calls are counted
    monkeypatch.setattr(suggest, "answered", lambda a, c: calls.append((threading.current_thread(), g.users)) or True)
    check = suggest.start_precheck(answerer, fake_service._holding(g))
    check.join(timeout=60)
    users = [n for thread, n in calls if thread is check]
    assert len(users) == len(notions) and min(users) >= 1 and g.users == 0
    monkeypatch.setattr(answerer, "precheck", None)
    monkeypatch.setattr(g, "retired", True)
    retired = suggest.start_precheck(answerer, fake_service._holding(g))
    retired.join(timeout=60)
    assert not [n for thread, n in calls if thread is retired] and g.users == 0
    monkeypatch.setattr(g, "retired", False)
    # A one-shot service (`python -m assistant ask`) has no later refusal to spare: it checks nothing ahead,
    # and no thread is left running when the process exits.
    one_shot = Service(fake_service.settings, follow=False)
    assert not one_shot.ask("Quel est le tarif du parking de la gare de Brest ?").answered
    assert one_shot.answerer.precheck is None


def test_words_of_the_story_weigh_less_in_the_subject_than_its_nouns(fake_service):
    answerer = fake_service.answerer
    result = fake_service.search("Le ciblage des CAQES est-il vraiment travaillé ensemble ?")
    idle = answerer.idle_terms(result)
    assert {"vrai", "travaill", "ensembl"} & idle and not {"ciblag", "caq"} & idle
    weights = {f.term: f.weight for f in answerer.focus(result)}
    lexical = fake_service.index.lexical
    assert idle & set(weights)  # the corpus knows some of them: they count, but half
    for term in idle & set(weights):
        assert weights[term] == 0.5 * lexical.idf(term)
    assert weights["ciblag"] == lexical.idf("ciblag")


def test_how_many_is_answered_by_a_number_of_the_thing_counted(fake_service):
    answer = fake_service.ask("Combien de commissions de coordination des politiques publiques ?")
    # the item, after the sentence announcing its list
    assert answer.answered and answer.answer.startswith(
        "Auprès de chaque agence régionale de santé sont constituées : 2° Trois commissions de coordination"
    ), answer.answer
    refused = fake_service.ask("Combien de contrats CAQES ont été signés ?")  # numbers, but none of contracts
    assert not refused.answered and "nombre de « contrats »" in refused.answer


def test_a_figure_asked_for_a_year_comes_from_a_passage_about_that_year(fake_service):
    answer = fake_service.ask("Combien de millions d'euros pour le programme e-parcours sur 2017-2021 ?")
    assert answer.answered and "130 millions d’euros pour la période 2017-2021" in answer.answer
    refused = fake_service.ask("Combien de millions d'euros pour le programme e-parcours en 2031 ?")
    assert not refused.answered and "ne portent pas sur 2031" in refused.answer
    # An amount asked for a year too; a code article's version date ("en vigueur au 3 décembre 2023") is not a
    # year it is about.
    refused = fake_service.ask("quel est le montant du FIR en 2023 ?")
    assert not refused.answered and "ne portent pas sur 2023" in refused.answer, refused.answer
    article = next(c for c in fake_service.index.chunks.values() if c.article == "L162-30-2")
    assert article.date.startswith("2023") and not fake_service.answerer.names_year(article, "2023")


def test_the_answer_sentence_names_the_subject_or_follows_one_that_does(tmp_path, monkeypatch):
    """ "qui désigne les griffons ?": the passage names the griffons, but its sentence on who designates is
    about dragons; it does not answer. A sentence right after the one naming the subject ("Leurs gardiens...")
    does."""
    from assistant.answer import Answerer
    from assistant.service import Service
    from assistant.settings import Settings
    from ingest.pipeline import refresh

    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "rapport.txt").write_text(
        "La caisse régionale publie chaque année un rapport sur ses écuries. Les griffons y sont cités une fois. "
        "Les écuries sont visitées chaque printemps par des inspecteurs. La caisse régionale désigne les gardiens "
        "des dragons chaque année.\n\nLes licornes vivent dans la forêt domaniale. Leurs gardiens sont désignés "
        "par la caisse départementale.\n",
        encoding="utf-8",
    )
    settings = Settings(index=tmp_path / "i", embedding_model=FAKE)
    refresh(settings, [tmp_path / "c"])
    service = Service(settings, follow=False)
    refused = service.ask("qui désigne les griffons ?")
    assert not refused.answered, refused.answer
    answered = service.ask("qui désigne les licornes ?")
    assert answered.answered and "caisse départementale" in answered.answer, answered.answer
    monkeypatch.setattr(Answerer, "names_subject", lambda *a: True)
    assert service.ask("qui désigne les griffons ?").answered  # without the rule: the dragons' sentence answers


def test_a_lexicon_phrase_is_one_subject_and_en_cas_de_is_none(fake_service):
    """ "accident de travail" is one notion: a sentence on "conditions de travail" does not hold it; "en cas de"
    says nothing of the subject."""
    from assistant.answer import Focus

    answerer = fake_service.answerer
    result = fake_service.search("Qui paie mes indemnités en cas d'accident de travail ?")
    focus = {f.term: f for f in answerer.focus(result)}
    assert focus["travail"].unit == focus["accident"].unit == frozenset({"accident", "travail"})
    assert not focus["travail"].held({"condit", "travail"})
    assert focus["travail"].held({"accident", "du", "travail"})
    assert "cas" in answerer.idle_terms(result) and "accident" not in answerer.idle_terms(result)
    assert Focus("ar", 1.0, frozenset({frozenset({"agenc", "regional", "sant"})}), frozenset({"ar"})).held(
        {"agenc", "regional", "sant", "dirig"}
    )


def test_an_article_sentence_is_read_under_its_section_heading(tmp_path):
    """ "elle élit en séance son bureau" answers "bureau élu en séance par la conférence des licornes de la forêt" in
    an article of the section named after that conference: the sentence does not name the conference, its
    headings do. Read without its headings, the article's other sentence (which names the conference and the
    forest, not the election) would lead."""
    from assistant.service import Service
    from assistant.settings import Settings
    from ingest.pipeline import refresh

    section = tmp_path / "c" / "code-de-la-sante-publique" / "section-2-conference-des-licornes"
    folder = section / "paragraphe-2-organisation-des-travaux"
    folder.mkdir(parents=True)
    (folder / "d1-2.md").write_text(
        "# Article D1-2\n\n<p>La conférence des licornes de la forêt domaniale se réunit deux fois par an sur "
        "convocation. Lors de sa première séance, elle élit en séance son bureau parmi ses membres.</p>",
        encoding="utf-8",
    )
    other = tmp_path / "c" / "code-de-la-sante-publique" / "section-3-ecuries"
    other.mkdir(parents=True)
    (other / "d1-3.md").write_text(
        "# Article D1-3\n\n<p>Les écuries sont inspectées chaque printemps. Le président de la caisse régionale "
        "en reçoit le rapport.</p>",
        encoding="utf-8",
    )
    settings = Settings(index=tmp_path / "i", embedding_model=FAKE)
    refresh(settings, [tmp_path / "c"])
    answer = Service(settings, follow=False).ask("bureau élu en séance par la conférence des licornes de la forêt")
    assert answer.answered, answer.answer
    assert answer.citations[0].locator == "art. D. 1-2"
    assert answer.answer.startswith("Lors de sa première séance, elle élit en séance son bureau"), answer.answer


def test_what_one_risks_is_answered_by_the_sanction(service):
    # "risque" asks for the sanction: searched as a word of the subject it lowered the evidence of the article
    # that answers (which says "sanction financière", not "risque") below the refusal threshold.
    question = "clinique qui refuse de signer le caqes, elle risque quoi"
    assert "risqu" not in service.search(question).terms
    # left out once ("gestion du risque" keeps its word), and never the question's only word beside an article's
    # number (else "article L. 162-30-2 : on risque quoi ?" would be a plain "que prévoit l'article ?")
    assert service.search("gestion du risque, on risque quoi si on ne signe pas ?").terms.count("risqu") == 1
    assert "risqu" in service.search("article L. 162-30-2 : on risque quoi ?").terms
    answer = service.ask(question)
    assert answer.answered and answer.citations[0].locator == "art. L. 162-30-2"
    assert "sanction financière" in answer.answer.split("[1]")[0]


def test_where_the_law_and_its_decree_both_say_it_the_law_leads(tmp_path, monkeypatch):
    """A law and its decree say the same: the law's sentence leads the answer (``answer.LAW_LEAD``), though the
    decree comes first in the search (it says "licornes" once more)."""
    from assistant import answer as answer_module
    from assistant.service import Service
    from assistant.settings import Settings
    from ingest.pipeline import refresh

    said = "<p>Le contrat des licornes est signé par le directeur de l'écurie et par le représentant du griffon.</p>"
    code = tmp_path / "c" / "legifrance" / "code-de-la-sante-publique"
    for part, name, more in (
        ("partie-legislative", "L9999-1", "<p>Ses avenants sont publiés au bulletin officiel de la forêt.</p>"),
        (
            "partie-reglementaire",
            "D9999-1",
            "<p>Les licornes du contrat sont recensées chaque printemps par les gardes de la forêt.</p>",
        ),
    ):
        (code / part / "titre-i-licornes").mkdir(parents=True)
        (code / part / "titre-i-licornes" / f"{name.lower()}.md").write_text(
            f"# Article {name}\n\n{said}{more}\n", encoding="utf-8"
        )
    settings = Settings(index=tmp_path / "i", embedding_model=FAKE)
    refresh(settings, [tmp_path / "c"])
    question = "le contrat des licornes est signé par qui ?"
    service = Service(settings, follow=False)
    assert service.search(question).hits[0].chunk.locator == "art. D. 9999-1"
    led = service.ask(question)
    assert led.answered and led.citations[0].locator == "art. L. 9999-1", led.answer
    monkeypatch.setattr(answer_module, "LAW_LEAD", 1.0)
    assert Service(settings, follow=False).ask(question).citations[0].locator == "art. D. 9999-1"


def test_a_numbered_thing_is_not_answered_by_another_of_the_same_name(tmp_path):
    """ "l'avenant 9 signé quand ?" is refused when the passages only tell the avenant n° 7's signature, and says
    which one they tell; the avenant 7's question is answered."""
    from assistant.answertype import numbered_things, other_number

    assert numbered_things("l'avenant 9 à la convention des licornes, signé quand ?") == [("avenant", "9")]
    assert numbered_things("les ARS du groupe 1 ?") == [("groupe", "1")]
    assert other_number("L'avenant n° 7 a été signé le 20 juin 2019.", "avenant", "9") == "7"
    assert other_number("Les avenants n° 7 et n° 9 ont été signés.", "avenant", "9") is None
    assert other_number("La convention a été signée le 20 juin 2019.", "avenant", "9") is None
    assert other_number("selon le programme 2023-2027", "programme", "2023") is None  # the range it opens
    assert other_number("les dépenses de l'annexe 13-8", "annexe", "13-8") is None
    text = (
        "L'avenant n° 7 à la convention des licornes a été signé le 20 juin 2019 par trois syndicats. "
        "Il revalorise la consultation des licornes.\n"
    )
    service = service_over(tmp_path, {"licornes.txt": text})
    seven = service.ask("l'avenant 7 à la convention des licornes, signé quand ?")
    assert seven.answered and "20 juin 2019" in seven.answer, seven.answer
    nine = service.ask("l'avenant 9 à la convention des licornes, signé quand ?")
    assert not nine.answered and "« avenant 7 », pas sur « avenant 9 »" in nine.answer, nine.answer


def test_a_code_articles_nota_is_not_a_year_it_is_about(fake_service):
    """ "nombre de CAQES signés en 2018 ?" is not answered by L. 162-30-2, whose NOTA only says its version
    applies from 1 January 2018: a year counts where the article's own text names it."""
    from dataclasses import replace

    question = "durée du contrat d'amélioration de la qualité et de l'efficience des soins"
    chunk = next(h.chunk for h in fake_service.search(question, 10).hits if h.chunk.article == "L162-30-2")
    assert "NOTA" in chunk.text and "2018" in chunk.text
    assert not fake_service.answerer.names_year(chunk, "2018")
    assert fake_service.answerer.names_year(replace(chunk, text="Signés en 2018.\n" + chunk.text), "2018")


def test_a_frequency_answers_a_question_on_how_often(tmp_path):
    """ "à quelle fréquence ?" is answered by "au moins une fois par an" (a frequency without a duration's number),
    as a bare "quand" is; a sentence with neither is not an answer."""
    text = (
        "Le conseil des licornes se réunit au moins une fois par an sur convocation de son président. "
        "Le comité des dragons délibère sur le budget des dragons et sur le rapport des dragons.\n"
    )
    service = service_over(tmp_path, {"licornes.txt": text})
    often = service.ask("le conseil des licornes se réunit à quelle fréquence ?")
    assert often.answered and "une fois par an" in often.answer, often.answer
    never = service.ask("le comité des dragons se réunit à quelle fréquence ?")
    assert not never.answered, never.answer
    # "à quel rythme ?" asks the same, and a frequency's adjective answers it ("une évaluation annuelle"), which
    # does not say when ("quand ?")
    plan = "Le plan des griffons fait l'objet d'une évaluation annuelle.\n"
    yearly = service_over(tmp_path / "annuel", {"griffons.txt": plan})
    rhythm = yearly.ask("le plan des griffons est évalué à quel rythme ?")
    assert rhythm.answered and "évaluation annuelle" in rhythm.answer, rhythm.answer
    when = yearly.ask("quand le plan des griffons est-il évalué ?")
    assert not when.answered and "de date" in when.answer, when.answer


def test_a_question_of_money_is_answered_by_a_sum_not_by_any_number(tmp_path):
    """ "un paquet de cigarettes, ça coûte combien ?" is not answered by "paquets de moins de vingt cigarettes":
    what one pays or is paid is answered by a sum of money or a share, else refused and said so."""
    tabac = {"tabac.txt": "Sont interdites la vente et la distribution de paquets de moins de vingt cigarettes.\n"}
    service = service_over(tmp_path / "tabac", tabac, min_coverage=0.2)
    refused = service.ask("un paquet de cigarettes, ça coûte combien ?")
    assert not refused.answered and "somme en euros" in refused.answer, refused.answer
    counted = service.ask("les paquets de combien de cigarettes sont interdits à la vente ?")  # a number of things
    assert counted.answered and "vingt cigarettes" in counted.answer, counted.answer
    transport = {
        "transport.txt": "Le transport sanitaire des patients est remboursé à hauteur de 65 % du tarif de "
        "responsabilité.\n"
    }
    paid = service_over(tmp_path / "transport", transport, min_coverage=0.2)
    answer = paid.ask("le transport sanitaire des patients est remboursé combien ?")
    assert answer.answered and "65 %" in answer.answer, answer.answer
    # a sum asked for a year comes from a passage about that year, as a number does
    cme = {"cme.txt": "En 2020, le président de la commission médicale perçoit une indemnité de 300 euros par mois.\n"}
    year = service_over(tmp_path / "cme", cme, min_coverage=0.2)
    assert year.ask("combien gagne le président de la commission médicale en 2020 ?").answered
    refused = year.ask("combien gagne le président de la commission médicale en 2024 ?")
    assert not refused.answered and "ne portent pas sur 2024" in refused.answer, refused.answer
    # "combien de personnes": people counted, not a sum ("5 %" does not answer it)
    diabete = {
        "diabete.txt": "Le diabète touche 5 % des personnes adultes.\n\n"
        "En France, le diabète touche 3,5 millions de personnes.\n"
    }
    counted = service_over(tmp_path / "diabete", diabete, min_coverage=0.2).ask(
        "le diabète touche combien de personnes en France ?"
    )
    assert counted.answered and counted.answer.startswith("En France, le diabète touche 3,5 millions"), counted.answer


def test_a_date_asked_for_a_named_year_comes_from_a_passage_about_that_year(tmp_path):
    """ "le plan national 2023-2025 a été adopté quand ?" is not answered by the adoption of the 2014 plan."""
    files = {
        "plan.txt": "Le plan national de gestion du risque 2014-2017 a été adopté par le conseil le 4 avril 2014.\n"
    }
    service = service_over(tmp_path, files, min_coverage=0.2)
    answer = service.ask("le plan national de gestion du risque 2014-2017 a été adopté quand ?")
    assert answer.answered and "4 avril 2014" in answer.answer, answer.answer
    refused = service.ask("le plan national de gestion du risque 2023-2025 a été adopté quand ?")
    assert not refused.answered and "ne portent pas sur 2023" in refused.answer, refused.answer
    # a document dated 2019 does not date the adoption of the 2019 plan: a date's year is read in the text
    dated = {
        "article.txt": "Le plan national de gestion du risque 2014-2017 a été adopté par le conseil le 4 avril 2014.\n",
        "article.txt.meta.json": '{"title": "La coopération en région", "date": "2019"}',
    }
    other = service_over(tmp_path / "article", dated, min_coverage=0.2)
    refused = other.ask("le plan national de gestion du risque 2019 a été adopté quand ?")
    assert not refused.answered and "ne portent pas sur 2019" in refused.answer, refused.answer


def test_an_age_question_is_answered_by_an_age_or_refused(tmp_path):
    """ "à partir de quel âge ... ?" asks for an age: a sentence that gives one ("âgés de dix-huit ans révolus",
    "une personne mineure") answers it, not a sentence on the subject that gives none (devu-075 "À partir de quel
    âge peut-on donner son sang ?" was answered with a sentence on the donor's questionnaire), nor a number of
    years that is a duration ("élus pour quatre ans")."""
    service = service_over(
        tmp_path,
        {
            "comite.txt": "Les représentants du personnel au comité des licornes sont élus pour une période de "
            "quatre ans. Le comité des licornes se réunit deux fois par an.\n\nSont éligibles au comité des "
            "licornes les personnels électeurs à ce comité et âgés de dix-huit ans révolus.\n",
            "griffons.txt": "Le conseil des griffons est élu pour une période de cinq ans. Le conseil des "
            "griffons rend un avis sur le budget des licornes.\n",
        },
    )
    answer = service.ask("à partir de quel âge peut-on être élu au comité des licornes ?")
    assert answer.answered and answer.answer.startswith("Sont éligibles au comité des licornes"), answer.answer
    refused = service.ask("à partir de quel âge peut-on être élu au conseil des griffons ?")
    assert not refused.answered and refused.answer.startswith("Les passages trouvés ne disent pas d'âge"), (
        refused.answer
    )


def test_a_person_of_the_askers_story_is_no_unknown_subject(tmp_path):
    """ "Christine devrait pouvoir toucher…" (devu-044) was refused with "Aucun document du corpus ne mentionne
    « Christine »": a well-known first name in a story says nothing of the subject. A rarer name, which may be what
    is asked ("la loi Kouchner"), still is one; so is a place (its own rule)."""
    from assistant.answer import story_name

    assert story_name("Christine") and story_name("Arthur") and story_name("Martin")
    assert not story_name("Kouchner") and not story_name("Médoc")  # rarer: may be the subject
    assert not story_name("Lyon") and not story_name("Rennes")  # places
    assert not story_name("UNOCAM") and not story_name("christine")  # an acronym; a word not written as a name
    service = service_over(
        tmp_path,
        {
            "reversion.txt": "La pension de réversion est versée au conjoint survivant sous condition de "
            "ressources. Elle est égale à une fraction de la pension du défunt.\n",
        },
    )
    story = service.ask("si nous nous marions, Christine pourra-t-elle toucher une pension de réversion ?")
    assert "ne mentionne" not in story.answer, story.answer
    named = service.ask("que dit la loi Kouchner sur la pension de réversion ?")
    assert named.answer.startswith("Aucun document du corpus ne mentionne « Kouchner »"), named.answer


def test_a_duration_asked_is_answered_first_by_the_sentence_that_gives_one(tmp_path):
    """ "mandat des membres du CTS durée": the sentence that says "pour la durée du mandat restant à courir"
    names a duration without giving one; the sentence with the length of time leads the answer."""
    text = (
        "Lorsqu'un membre du conseil des licornes cesse d'exercer ses fonctions avant l'expiration de son mandat, "
        "il est remplacé par un membre désigné dans les mêmes conditions pour la durée du mandat restant à courir. "
        "Le mandat des membres du conseil des licornes est de cinq ans.\n"
    )
    service = service_over(tmp_path, {"licornes.txt": text})
    answer = service.ask("mandat des membres du conseil des licornes durée")
    assert answer.answered and answer.answer.startswith("Le mandat"), answer.answer


def test_a_codes_closing_formula_on_its_decree_is_no_answer(tmp_path):
    """ "qui peut demander la stérilisation à visée contraceptive ?" was answered at the full codes with L. 2123-2's
    "Un décret en Conseil d'Etat fixe les conditions d'application du présent article.": a code's closing formula
    says only that a decree exists. It answers only a question about that decree."""
    from assistant.answer import DECREE_FORMULA
    from assistant.text import fold

    for formula in (
        "Un décret en Conseil d'Etat fixe les conditions d'application du présent article.",
        "Les modalités d'application du présent chapitre sont fixées par décret en Conseil d'Etat.",
        "III.-Un décret fixe les modalités d'application des articles L. 162-1 à L. 162-4.",
    ):
        assert DECREE_FORMULA.match(fold(formula)), formula
    for substance in (
        "Un décret précise les modalités d'application du présent article, notamment le délai de réponse.",
        "Un décret fixe les conditions dans lesquelles les caisses délivrent la carte.",
        "Un décret en Conseil d'Etat précise le contenu et la durée de la convention.",
    ):
        assert not DECREE_FORMULA.match(fold(substance)), substance
    text = (
        "Les licornes de la vallée sont gardées par la caisse régionale. Toute personne majeure peut demander la "
        "garde d'une licorne à la caisse régionale. Un décret en Conseil d'Etat fixe les conditions d'application "
        "du présent article.\n"
    )
    service = service_over(tmp_path, {"garde.txt": text})
    who = service.ask("quelles sont les conditions pour la garde d'une licorne ?")
    assert who.answered and "Toute personne majeure" in who.answer, who.answer
    assert "Conseil d'Etat" not in who.answer, who.answer
    decree = service.ask("quel décret fixe les conditions d'application pour la garde des licornes ?")
    assert decree.answered and "Conseil d'Etat" in decree.answer, decree.answer


def test_the_peine_asked_is_not_the_subject_of_a_sanction_question(tmp_path):
    """ "quelle est la peine pour exercice illégal de la médecine ?" was answered at the full codes with L. 4442-1 on
    practising "pendant la durée d'une peine d'interdiction temporaire" (3 months), not L. 4161-5 ("est puni de deux
    ans d'emprisonnement"): the word "peine" that asks for the sanction was searched as what the question is about."""
    service = service_over(
        tmp_path,
        {
            "garde.txt": (
                "La garde illégale de licornes est punie de deux ans d'emprisonnement et de 30 000 euros d'amende.\n"
            ),
            "interdiction.txt": (
                "La garde illégale de licornes pendant la durée d'une peine d'interdiction temporaire est punie de "
                "trois mois d'emprisonnement.\n"
            ),
            **{f"autre-{i}.txt": f"La garde des griffons numéro {i} est confiée à la caisse.\n" for i in range(4)},
        },
    )
    answer = service.ask("quelle est la peine pour la garde illégale de licornes ?")
    assert answer.answered and answer.answer.startswith("La garde illégale de licornes est punie"), answer.answer


def test_who_acts_is_said_by_the_sentence_where_the_verb_acts_on_the_thing_asked(tmp_path):
    """ "qui délivre la carte vitale ?" was answered at the full codes with "Un arrêté des ministres … détermine les
    justificatifs … pour la délivrance de la carte Vitale" (a minister named) before R. 161-33-2's "Chaque organisme
    d'assurance maladie obligatoire délivre une carte Vitale …"; and "qui nomme le directeur de la CPAM ?" with "Le
    directeur dirige la caisse primaire": an authority named, the appointment asked not said."""
    service = service_over(
        tmp_path,
        {
            "carte.txt": (
                "Un arrêté des ministres détermine les justificatifs qui peuvent être produits pour la délivrance de "
                "la carte des licornes. Chaque éleveur agréé délivre une carte des licornes aux personnes qui lui "
                "sont rattachées. Le directeur dirige la caisse des licornes et en est responsable.\n"
            ),
        },
    )
    who = service.ask("qui délivre la carte des licornes ?")
    assert who.answered and who.answer.startswith("Chaque éleveur agréé délivre"), who.answer
    appoints = service.ask("qui nomme le directeur de la caisse des licornes ?")
    assert not appoints.answered and "dirige" not in appoints.answer.split("Passages")[0], appoints.answer


def test_an_acronym_that_is_also_a_stop_word_is_the_subject_its_long_form_stands_for(tmp_path):
    """ "c'est quoi la HAS ?" was refused at the full codes: "has" is a stop word, so the question had no term left
    and its evidence was nil, though the search found L. 161-37 through the acronym's long form. An acronym the
    glossary knows is held where its long form is."""
    service = service_over(
        tmp_path,
        {
            "has.txt": (
                "La Haute Autorité de sellerie (HAS) est une autorité publique indépendante qui évalue les "
                "licornes de la région.\n"
            ),
            **GRIFFONS,
        },
    )
    answer = service.ask("c'est quoi la HAS ?")
    assert answer.answered and "autorité publique indépendante" in answer.answer, answer.answer


def test_a_sentence_that_defines_a_kind_of_the_notion_does_not_define_it():
    """ "c'est quoi un centre de santé ?" was answered with L. 6323-1-2's "Un centre de santé pluriprofessionnel
    universitaire est un centre de santé, ayant signé une convention…" before L. 6323-1's "Les centres de santé
    sont des structures sanitaires de proximité…": the first defines a kind of centre."""
    from assistant.retrieval import SUBJECT_CUES, opens_on

    names = ["centre de sante", "centres de sante"]
    kind = "Un centre de santé pluriprofessionnel universitaire est un centre de santé, ayant signé une convention."
    assert not opens_on(kind, names, SUBJECT_CUES["definition"])
    assert opens_on(
        "Les centres de santé sont des structures sanitaires de proximité.", names, SUBJECT_CUES["definition"]
    )
    # in one passage, the defining sentence still opens on the notion
    both = "La maison de santé est une personne morale. Une maison de santé universitaire est une maison de santé."
    assert opens_on(both, ["maison de sante"], SUBJECT_CUES["definition"])


def test_a_name_alone_is_no_answer(tmp_path):
    """ "c'est quoi l'URSSAF ?" was answered at the full codes with "URSSAF de la Côte-d'Or.", a line of an annex's
    list: a sentence whose every word but stop words starts with a capital names something and says nothing."""
    from assistant.answer import only_names

    assert only_names("URSSAF de la Côte-d'Or.")
    assert only_names("RAPPORT IGAS N°2018-041R :")
    assert not only_names("Le refus est motivé.")
    assert not only_names("Il est conclu pour cinq ans.")
    service = service_over(
        tmp_path,
        {
            "annexe.txt": "URSSAF de la Licornerie.\n\nURSSAF du Griffon.\n\nURSSAF de la Vallée.\n",
            "urssaf.txt": "Les unions de recouvrement recouvrent les cotisations des éleveurs de licornes.\n",
        },
    )
    answer = service.ask("c'est quoi l'URSSAF de la Licornerie ?")
    assert "URSSAF de la Licornerie. [" not in answer.answer, answer.answer


def test_a_role_question_is_not_answered_by_who_sits_on_the_body(tmp_path):
    """ "à quoi sert la commission des usagers dans un hôpital ?" was answered at the full codes with R. 1112-81's
    "… la commission peut en outre comporter un ou plusieurs des membres suivants :" and its list: who sits on it,
    not what it is for."""
    service = service_over(
        tmp_path,
        {
            "membres.txt": (
                "Dans les écuries autorisées à assurer les missions d'une écurie régionale de licornes, la commission "
                "des licornes peut en outre comporter un ou plusieurs des membres suivants :\n\n1° Un éleveur de "
                "licornes ;\n\n2° Un vétérinaire des licornes.\n"
            ),
            "missions.txt": (
                "Il appartient à la commission des licornes de veiller au respect des droits des éleveurs de "
                "licornes.\n"
            ),
        },
    )
    answer = service.ask("à quoi sert la commission des licornes ?")
    assert answer.answered and answer.answer.startswith("Il appartient à la commission"), answer.answer


def test_an_acronym_the_corpus_never_writes_is_not_the_word_it_stems_to(tmp_path):
    """ "Une SISA, qu'est-ce que c'est ?" was answered from "Entre l'établissement de santé..., sis..." (the
    analysis stems "SISA" to "sis", located at): the corpus never writes SISA, so it cannot say what it is."""
    files = {
        "a.txt": "Le cabinet de groupe, sis au centre de la commune, accueille les professionnels de santé.\n",
        "b.txt": "Les maisons de santé (MSP) sont des personnes morales constituées entre des professionnels médicaux. "
        "Les professionnels de santé du cabinet de groupe ont les droits que leur donne leur contrat.\n",
    }
    service = service_over(tmp_path, files, min_coverage=0.2)
    answer = service.ask("Une SISA, qu'est-ce que c'est ?")
    assert not answer.answered and "« SISA »" in answer.answer, answer.answer
    assert "« SISA »" in service.ask("SISA ?").answer
    # a French word typed in capitals is that word, and an acronym's plural is the acronym
    for q, word in (
        ("LE CABINET DE GROUPE EST SIS OÙ ?", "GROUPE"),
        ("quels DROITS pour les professionnels de santé du cabinet de groupe ?", "DROITS"),
        ("les MSPS sont-elles des maisons de santé ?", "MSPS"),
        ("les MSPs sont-elles des maisons de santé ?", "MSPs"),  # not a name with capitals inside: a plural
    ):
        answer = service.ask(q)
        assert f"« {word} »" not in answer.answer and answer.answered, (q, answer.answer)
    written = service_over(
        tmp_path / "w",
        {"c.txt": "Une SISA est une société de professionnels, sise dans la commune.\n"},
        min_coverage=0.2,
    )
    assert "« SISA »" not in written.ask("Une SISA, qu'est-ce que c'est ?").answer


def test_an_acronym_the_lexicon_spells_out_is_known_only_where_the_corpus_holds_its_long_form(tmp_path):
    """The lexicon gives SISA's long form, "société interprofessionnelle de soins ambulatoires": a corpus that
    has its words apart does not know SISA (it was answered from "sis", located at), one that holds the phrase
    answers from it, never from "sis"."""
    sis = "Le cabinet de groupe, sis au centre de la commune, accueille les professionnels de santé.\n"
    apart = service_over(
        tmp_path / "apart",
        {
            "a.txt": sis,
            "b.txt": "Les sociétés civiles interprofessionnelles sont déclarées. Les soins de ville sont des soins "
            "ambulatoires.\n",
        },
        min_coverage=0.2,
    )
    for q in ("Une SISA, qu'est-ce que c'est ?", "une sisa c'est quoi ?", "Une Sisa, qu'est-ce que c'est ?"):
        answer = apart.ask(q)
        assert not answer.answered and "« " in answer.answer, (q, answer.answer)
    held = service_over(
        tmp_path / "held",
        {
            "a.txt": sis,
            "b.txt": "Des sociétés interprofessionnelles de soins ambulatoires peuvent être constituées entre des "
            "professionnels de santé.\n",
        },
        min_coverage=0.2,
    )
    for q in ("Une SISA, qu'est-ce que c'est ?", "SISA ?"):
        answer = held.ask(q)
        assert answer.answered and "« SISA »" not in answer.answer, (q, answer.answer)
        assert [c.doc_id for c in answer.citations] == ["b.txt"], (q, answer.answer)


def test_an_ordinal_number_is_not_an_unknown_word(tmp_path):
    """ "… près d'écoles maternelles dans le 18ème arrondissement de Paris ?" was refused with "Aucun document du
    corpus ne mentionne « 18ème »": a number says nothing of the subject."""
    files = {"a.txt": "Un débit de tabac ne peut être établi autour d'une école maternelle dans un arrondissement.\n"}
    service = service_over(tmp_path, files, min_coverage=0.2)
    for q in (
        "un débit de tabac près d'une école maternelle du 18ème arrondissement ?",
        "et dans le 100ème arrondissement ?",
    ):
        assert "ne mentionne" not in service.ask(q).answer, q


def test_the_askers_speech_is_no_unknown_subject(tmp_path):
    """ "Nous en sommes donc à nous demander si, en toute illégalité, nous de devrions pas recréer un espace fumeur"
    (dev_real) was refused with "Aucun document du corpus ne mentionne « devrions »": after "de" (a typo of "ne")
    the conditional of devoir read as a noun. The asker's speech (``SPEECH``) says nothing of the subject, wherever
    it stands; a noun the corpus lacks after "de" still does."""
    files = {"a.txt": "Il est interdit de fumer dans les lieux affectés à un usage collectif, dont les écoles.\n"}
    service = service_over(tmp_path, files, min_coverage=0.2)
    answer = service.ask("nous de devrions pas fumer dans les écoles ?")
    assert "ne mentionne" not in answer.answer, answer.answer
    refused = service.ask("fumer de narguilés dans les écoles ?")
    assert refused.answer.startswith("Aucun document du corpus ne mentionne « narguilés »"), refused.answer


def test_a_name_with_capitals_inside_is_not_the_word_of_its_letters(tmp_path):
    """ "PreParE kesako ?" was answered from "la préparation du système de santé" (the analysis reads PreParE as
    "préparer"): a name written with capitals inside it is an acronym, unknown where the corpus neither writes it
    nor holds the long form the lexicon gives, and searched through that long form where it does."""
    files = {"a.txt": "Les agences préparent le système de santé aux situations exceptionnelles et à la crise.\n"}
    service = service_over(tmp_path / "a", files, min_coverage=0.2)
    answer = service.ask("PreParE kesako ?")
    assert not answer.answered and "« PreParE »" in answer.answer, answer.answer
    files["b.txt"] = (
        "La prestation partagée d'éducation de l'enfant est versée à taux plein à la personne qui choisit de ne "
        "plus exercer d'activité professionnelle pour s'occuper d'un enfant.\n"
    )
    answer = service_over(tmp_path / "b", files, min_coverage=0.2).ask("PreParE kesako ?")
    assert answer.answered and [c.doc_id for c in answer.citations] == ["b.txt"], answer.answer


def test_a_long_form_is_held_whatever_its_number_and_capitals(tmp_path):
    """The lexicon writes "centres médico-psychologiques" and "établissement français du sang"; a corpus that says
    "Le centre médico-psychologique" and, at the start of a sentence, "L'Établissement français du sang" holds them
    (they were looked for as written, in SQLite's lower case, which leaves "É" as it is)."""
    files = {
        "a.txt": "Le centre médico-psychologique assure des consultations de psychiatrie pour les enfants.\n",
        "b.txt": "L'Établissement français du sang assure la collecte du sang sur tout le territoire.\n",
        "c.txt": "Le cabinet de groupe accueille les professionnels de santé de la commune.\n",
    }
    service = service_over(tmp_path, files, min_coverage=0.2)
    assert service.index.holds("centres médico-psychologiques")
    assert service.index.holds("établissement français du sang")
    assert not service.index.holds("centres français de psychologie")
    for q, doc in (("Le CMP, c'est quoi ?", "a.txt"), ("EFS ?", "b.txt")):
        answer = service.ask(q)
        assert answer.answered and answer.citations[0].doc_id == doc, (q, answer.answer)


def test_an_acronym_searched_through_its_long_form_leaves_the_question_s_word_of_the_same_stem(tmp_path):
    """ "PreParE" stems as "préparer": it is searched through its long form, and the question's own "préparer" was
    dropped with it from BM25's terms ("PreParE : comment la préparer ?" searched the long form alone, and the
    shorter passage that only names the benefit came first). BM25 alone decides here."""
    files = {
        "a.txt": "La prestation partagée d'éducation de l'enfant est versée.\n",
        "b.txt": "La demande de prestation partagée d'éducation de l'enfant se prépare avec la caisse et ses "
        "services.\n",
    }
    others = "dense,intent,sentence,subject,phrase,authority,heading"
    service = service_over(tmp_path, files, min_coverage=0.2, signals_off=others)
    for q in ("PreParE : comment la préparer ?", "PreParE : je la prépare comment ?", "PreParE, la preparer ?"):
        hits = service.retriever.search(q).hits
        assert [h.chunk.doc_id for h in hits][:1] == ["b.txt"], (q, [(h.chunk.doc_id, h.score) for h in hits])


def test_a_definition_is_not_answered_by_a_sentence_that_names_the_notion_in_passing(tmp_path):
    """ "PUI à l'hôpital, ça veut dire quoi ?" was answered at the default index from the one article that names
    the pharmacies à usage intérieur among what a fund finances. A sentence about the notion answers (its head
    word among the sentence's first words, "Il est créé …" too); a bare notion ("PUI ?") asks more loosely."""
    passing = (
        "La dotation finance les dépenses de l'hôpital, dont celles de sa pharmacie à usage intérieur et de ses "
        "laboratoires.\n"
    )
    service = service_over(tmp_path / "a", {"a.txt": passing}, min_coverage=0.2)
    for q in ("PUI à l'hôpital, ça veut dire quoi ?", "c'est quoi une pharmacie à usage intérieur ?"):
        answer = service.ask(q)
        assert not answer.answered and "ce qu'est la notion demandée" in answer.answer, (q, answer.answer)
    assert service.ask("pharmacie à usage intérieur ?").answered
    defined = {
        "a.txt": passing,
        "b.txt": "Une pharmacie à usage intérieur est une pharmacie d'établissement de santé qui répond aux besoins "
        "des patients pris en charge par cet établissement.\n",
        "c.txt": "Il est créé dans chaque région une pharmacie à usage intérieur de référence.\n",
    }
    service = service_over(tmp_path / "b", defined, min_coverage=0.2)
    answer = service.ask("c'est quoi une pharmacie à usage intérieur ?")
    assert answer.answered and answer.citations[0].doc_id == "b.txt", answer.answer
    del defined["b.txt"]
    service = service_over(tmp_path / "c", defined, min_coverage=0.2)
    assert service.ask("une pharmacie à usage intérieur, qu'est-ce que c'est ?").answered


def test_a_sentence_is_about_a_notion_when_it_opens_on_it_or_introduces_it():
    """``introduces``: the notion's head word among the first four words (numbering aside), after a frame ("Au sens
    du présent titre, …") or what introduces it ("on entend par", "est considéré comme", "Il est institué"); a
    definition question's own words ("définition légale d'…") are no part of the notion."""
    from assistant.answer import introduces

    about = [
        (
            "Une équipe de soins primaires est un ensemble de professionnels.",
            "definition legale d'une equipe de soins primaires",
        ),
        ("Au sens du présent titre, est considéré comme employeur toute personne physique ou morale.", "employeur"),
        ("Pour l'application du chapitre, on entend par dispositif médical tout instrument.", "dispositif medical"),
        (
            "I.-Il est institué une contribution sociale généralisée sur les revenus d'activité.",
            "contribution sociale generalisee",
        ),
        ("2° Les pharmacies à usage intérieur des établissements de santé.", "pharmacie a usage interieur"),
        ("Les instances de la démocratie en santé ont trouvé leur place.", "instances de democratie en sante"),
    ]
    for sentence, name in about:
        assert introduces(sentence, [name]), sentence
    passing = [
        ("Les professionnels peuvent constituer une équipe de soins primaires.", "equipe de soins primaires"),
        (
            "La dotation finance les dépenses de l'hôpital et de sa pharmacie à usage intérieur.",
            "pharmacie a usage interieur",
        ),
        (
            "Le projet territorial tient compte des groupements hospitaliers de territoire.",
            "groupements hospitaliers de territoire",
        ),
    ]
    for sentence, name in passing:
        assert not introduces(sentence, [name]), sentence


def test_what_an_article_named_means_is_answered_from_it(fake_service):
    """ "que veut dire l'article L. 162-30-2 ?" asks what the article says, not what a notion is: the check that
    a sentence is about the notion asked does not refuse it."""
    answer = fake_service.ask("que veut dire l'article L. 162-30-2 ?")
    assert answer.answered and "L. 162-30-2" in answer.citations[0].locator, answer.answer


def test_a_section_named_after_the_notion_is_about_it():
    """ "la PMI c koi" at the full codes: L. 2112-1 answers under "Protection maternelle et infantile" without
    opening on the words; a passage's last headings that hold the notion count as a sentence about it."""
    from assistant.answer import names_notion
    from assistant.text import analyse

    headings = frozenset(analyse("Chapitre II : Protection maternelle et infantile. Section 1 : Compétences"))
    assert names_notion(headings, ["pmi", "protection maternelle et infantile"])
    assert not names_notion(headings, ["pui", "pharmacie a usage interieur"])
    assert not names_notion(frozenset(analyse("Protection sociale")), ["protection maternelle et infantile"])


def test_what_another_question_asks_after_c_est_quoi_is_not_held_to_a_definition(tmp_path):
    """From stop 51's review: "c'est quoi le délai pour…", "c'est quoi les conditions pour…", "qu'est-ce qu'on
    appelle…", "c'est quoi déjà…" and a code's name were refused as definitions no sentence opened on."""
    files = {
        "a.txt": "Le tiers payant est la dispense d'avance de frais accordée à l'assuré. Le délai pour contester la "
        "décision de la caisse est de deux mois. Les conditions pour avoir l'allocation aux adultes handicapés sont "
        "fixées par décret. Le code de la santé publique comporte des dispositions sur le tabac.\n"
    }
    service = service_over(tmp_path, files, min_coverage=0.2)
    for q in (
        "c'est quoi le délai pour contester la décision de la caisse ?",
        "c'est quoi les conditions pour avoir l'AAH ?",
        "c'est quoi déjà le tiers payant ?",
        "qu'est-ce qu'on appelle le tiers payant ?",
        "code de la santé publique c'est quoi ?",
    ):
        assert service.ask(q).answered, q


def test_a_notion_is_read_through_the_words_that_stress_the_question_and_its_apposition(tmp_path):
    """Stop 52: "le médecin traitant, c'est quoi au juste ?", "c'est quoi exactement le FIR ?", "le RSA, définition ?"
    were read whole (punctuation and all), so no sentence was held to be about the notion and a passing mention
    answered them; "ASS, l'allocation de solidarité spécifique, c'est quoi ?" names its notion twice."""
    from assistant.retrieval import subject_names

    assert subject_names("le médecin traitant, c'est quoi au juste ?", [], []) == ["medecin traitant"]
    assert subject_names("c'est quoi exactement le FIR ?", ["fonds d'intervention régional"], [])[0] == "fir"
    assert subject_names("le RSA, définition ?", ["revenu de solidarité active"], [])[0] == "rsa"
    # ... only next to the question's lead or tail: "en gros" of "la vente en gros" is the notion's (the review)
    assert subject_names("qu'est-ce que la vente en gros ?", [], []) == ["vente en gros"]
    ass = subject_names("ASS, l'allocation de solidarité spécifique, c'est quoi ?", [], [])
    assert ass[:2] == ["ass", "allocation de solidarite specifique"]
    # only an acronym of the question that the second part spells out (the review: "Bonjour, la CPAM…", "la PMI, les
    # consultations…", "le conseil de surveillance, le directeur" name no notion twice)
    assert "directeur" not in subject_names("qui siège au conseil de surveillance, le directeur ?", [], [])
    assert "bonjour" not in subject_names("Bonjour, la CPAM c'est quoi ?", [], [])
    assert "consultations" not in subject_names("la PMI, les consultations, c'est quoi ?", [], [])
    passing = "Le patient peut choisir un médecin traitant ou un autre médecin pour ses soins de ville.\n"
    service = service_over(tmp_path / "a", {"a.txt": passing}, min_coverage=0.2)
    answer = service.ask("le médecin traitant, c'est quoi au juste ?")
    assert not answer.answered and "ce qu'est la notion demandée" in answer.answer, answer.answer
    defined = {"a.txt": passing, "b.txt": "Le médecin traitant est le médecin que l'assuré désigne à sa caisse.\n"}
    service = service_over(tmp_path / "b", defined, min_coverage=0.2)
    answer = service.ask("le médecin traitant, c'est quoi au juste ?")
    assert answer.answered and answer.citations[0].doc_id == "b.txt", answer.answer


def test_a_notion_is_read_before_what_the_question_asks_next(tmp_path):
    """Stop 53: a notion followed by its question and then more ("la prime d'activité c'est quoi, c'est fait pour
    qui ?", "centre de santé : quelle définition dans le code ?", "soins de premier recours ça couvre quoi") was read
    with all that followed, so no sentence was held to open on it; what follows "c'est quoi" keeps the notion when
    it names one ("le conseil : c'est quoi le circuit interne… ?" is about the circuit, not the council), and
    not when the notion follows the asking words ("le code donne quelle définition de la CPTS ?")."""
    from assistant.retrieval import subject_names

    cases = {
        "la prime d'activité c'est quoi, c'est fait pour qui ?": "prime d'activite",
        "centre de santé : quelle définition dans le code ?": "centre de sante",
        "soins de premier recours ça couvre quoi": "soins de premier recours",
        "un accident du travail, juridiquement ça se définit comment ?": "accident du travail",
        "protocole de coopération, c'est quoi le principe ?": "protocole de cooperation",
        "Santé publique France ça fait quoi au juste ?": "sante publique france",
        "pharmacovigilance définition": "pharmacovigilance",
        "c'est quoi un hôpital de proximité au sens de la loi ?": "hopital de proximite",
        "Qu'est-ce que la pension d'invalidité ? Dans quel cas puis-je y prétendre ?": "pension d'invalidite",
        "un générique c'est quoi exactement, réglementairement parlant ?": "generique",
    }
    for question, notion in cases.items():
        assert subject_names(question, [], [])[0] == notion, question
    assert subject_names("CNAF, c'est quoi son rôle ?", ["caisse nationale des allocations familiales"], [])[:2] == [
        "cnaf",
        "caisse nationale des allocations familiales",
    ]
    # "c'est quoi le rôle de l'ARS ?" is about the ARS (it read "role de l'ars"), as "quel est le rôle de" is
    assert subject_names("c'est quoi le rôle de l'ARS ?", ["agences régionales de santé"], [])[:2] == [
        "ars",
        "agences regionales de sante",
    ]
    assert subject_names("c quoi les missions de la HAS", [], [])[0] == "has"
    # "des" before "de": "le rôle des ARS" is about the ARS, not "s ars"
    for asked in ("c'est quoi le rôle des ARS ?", "quel est le rôle des ARS ?", "définition des URPS"):
        assert subject_names(asked, [], [])[0] in ("ars", "urps"), asked
    # "c'est quoi son rôle à la CPAM ?" is about the CPAM (it read "son rôle à la CPAM" as the notion)
    assert subject_names("c'est quoi son rôle à la CPAM ?", [], [])[0] == "cpam"
    assert subject_names("CNAF, c'est quoi son rôle ?", [], [])[0] == "cnaf"
    # the CNAF's role is said "a pour rôle" (L. 223-1), as the HAS's "est chargée de"
    from assistant.retrieval import SUBJECT_CUES, opens_on

    assert opens_on(
        "La caisse nationale des allocations familiales gère la branche famille et, à cet effet, a pour rôle : 1° "
        "D'assurer le versement des prestations.",
        ["caisse nationale des allocations familiales"],
        SUBJECT_CUES["role"],
    )
    assert subject_names("l'ONDAM, c'est quoi et qui le vote ?", [], [])[0] == "ondam"
    assert subject_names("qu'est-ce que la mission de service public ?", [], [])[0] == "mission de service public"
    # not what precedes the asking words when the notion follows them (the review): a pronoun, a greeting, a verb
    from assistant.answer import notion_read

    for question, wrong in {
        "elle sert à quoi la commission de coordination ?": "elle",
        "le code donne quelle définition de la CPTS ?": "code donne",
        "bonjour, ça veut dire quoi ONDAM ?": "bonjour",
        "le conseil : c'est quoi le circuit interne de validation ?": "conseil",
    }.items():
        names = subject_names(question, [], [])
        assert names[0] != wrong and not notion_read(names), (question, names)
    # end to end: the notion read, a sentence that only names it no longer answers "c'est quoi" (it did before)
    passing = "L'organisme chargé du service de la prime d'activité procède à la radiation du foyer bénéficiaire.\n"
    service = service_over(tmp_path / "p", {"a.txt": passing}, min_coverage=0.2)
    answer = service.ask("la prime d'activité c'est quoi, c'est fait pour qui ?")
    assert not answer.answered and "ce qu'est la notion demandée" in answer.answer, answer.answer


def test_a_notion_named_as_the_complement_of_another_noun_is_not_the_sentence_subject():
    """Stop 53: "L'Agence nationale du développement professionnel continu concourt…" was read as a sentence about
    the DPC ("le DPC c'est quoi ?"), the notion being among its first four words, and ranked above the article
    that defines it ("Le développement professionnel continu a pour objectifs…", a cue now read too). The missions
    or the composition of a body stay about the body."""
    from assistant.retrieval import SUBJECT_CUES, opens_on

    names = ["dpc", "developpement professionnel continu"]
    agency = "I.-L'Agence nationale du développement professionnel continu concourt au financement des actions."
    assert not opens_on(agency, names, SUBJECT_CUES["definition"])
    defined = (
        "Le développement professionnel continu a pour objectifs le maintien et l'actualisation des connaissances."
    )
    assert opens_on(defined, names, SUBJECT_CUES["definition"])
    ars = ["agence regionale de sante"]
    assert not opens_on("Le directeur de l'agence régionale de santé est chargé du budget.", ars, SUBJECT_CUES["role"])
    # the review: a quantifier or the object of a notion keeps it the subject; of nested names, the first one read
    centres = ["centre de sante", "centres de sante"]
    assert opens_on("Chacun des centres de santé est chargé de l'accueil.", centres, SUBJECT_CUES["role"])
    sisa = ["societe interprofessionnelle de soins ambulatoires"]
    assert opens_on(
        "L'objet de la société interprofessionnelle de soins ambulatoires est la mise en commun.",
        sisa,
        SUBJECT_CUES["definition"],
    )
    cnam = ["cnam", "caisse nationale d'assurance maladie", "assurance maladie"]
    assert opens_on(
        "La Caisse nationale d'assurance maladie est un établissement public.", cnam, SUBJECT_CUES["definition"]
    )


def test_a_notion_asked_in_the_singular_is_defined_by_a_sentence_in_the_plural(tmp_path):
    """ "centre de santé : quelle définition dans le code ?" was answered at the full codes with L. 6323-1-8's "En
    cas de fermeture…, le centre de santé informe…" before L. 6323-1's "Les centres de santé sont des structures
    sanitaires de proximité…": the defining sentence names the notion in the plural."""
    from assistant.retrieval import plural_of

    assert plural_of("centre de sante") == "centres de sante"
    assert plural_of("hopital de proximite") == "hopitaux de proximite"
    assert plural_of("groupement hospitalier de territoire") == "groupements hospitaliers de territoire"
    assert plural_of("pharmacie a usage interieur") == "pharmacies a usage interieur"
    assert plural_of("maison d'accueil") == "maisons d'accueil"
    assert plural_of("cpts") == "cpts"
    service = service_over(
        tmp_path,
        {
            "fermeture.txt": (
                "En cas de fermeture définitive, le centre de sellerie informe sans délai le conseil de l'ordre des "
                "dispositions prises selon le code pour la conservation des dossiers du centre de sellerie.\n"
            ),
            "definition.txt": (
                "Les centres de sellerie sont des structures de proximité qui soignent les licornes.\n"
                "Ils sont ouverts à toutes les licornes.\n"
            ),
            **GRIFFONS,
        },
    )
    answer = service.ask("centre de sellerie : quelle définition dans le code ?")
    assert answer.answered and answer.answer.startswith("Les centres de sellerie sont des structures"), answer.answer


def test_the_dense_closeness_joins_the_refusal_signal_when_calibrated(tmp_path):
    """``closeness_weight`` (calibrated by ``evals tune``) adds to the coverage of the question's words how close
    its meaning is to its best passages, counted from ``closeness_centre``: a question far from every passage is
    refused where its words alone would pass the threshold. At 0 (an index not calibrated) nothing changes; a
    search without vectors has no closeness and holds its coverage to the threshold of the coverage alone."""
    from dataclasses import replace

    from assistant.errors import ConfigError

    files = {
        "cpts.txt": "La communauté professionnelle territoriale de santé coordonne les soins de ville du territoire.\n",
        **{f"autre-{i}.txt": f"Le griffon numéro {i} est gardé par la caisse régionale des soins.\n" for i in range(4)},
    }
    question = "qui coordonne les soins de ville ?"
    plain = service_over(tmp_path / "a", files)
    result = plain.retriever.search(question, plain.settings.search_k)
    hits = result.hits[: plain.settings.search_k]
    cov = plain.answerer.coverage(result, hits)
    near = plain.answerer.closeness(result, hits)
    assert near is not None and 0.0 < near < 1.0
    assert plain.answerer.evidence(result, hits)[0] == cov  # weight 0: the coverage alone
    assert plain.ask(question).answered
    # the closeness is the best of the first three passages: a query vector equal to the third one's is at 1
    third = plain.index.store.vectors([hits[2].chunk.chunk_id])[hits[2].chunk.chunk_id]
    assert plain.answerer.closeness(replace(result, query_vector=third), hits) == pytest.approx(1.0)
    assert plain.answerer.closeness(replace(result, query_vector=third), hits[:2]) < 0.99
    # the same index, calibrated so that this closeness counts below its centre: refused
    assert near + 0.3 <= 1.0
    far = service_over(tmp_path / "b", files, closeness_weight=3.0, closeness_centre=near + 0.3)
    assert far.answerer.evidence(result, hits)[0] == pytest.approx(max(0.0, cov - 0.9))
    refused = far.ask(question)
    assert not refused.answered and refused.answer.startswith("Je n'ai pas trouvé de réponse"), refused.answer
    # ... above it, the coverage plus the weight's share, never above 1
    close = service_over(tmp_path / "c", files, closeness_weight=2.0, closeness_centre=near - 0.1)
    assert close.answerer.evidence(result, hits)[0] == pytest.approx(min(1.0, cov + 0.2))
    assert close.ask(question).answered
    # a search without vectors: its coverage, held to the coverage-alone threshold when one was calibrated
    lexical = far.retriever.search(question, far.settings.search_k, dense=False)
    assert lexical.query_vector is None and far.answerer.closeness(lexical, lexical.hits) is None
    assert far.answerer.evidence(lexical, lexical.hits[:10]) == (cov, far.settings.min_coverage)
    alone = service_over(tmp_path / "d", files, closeness_weight=2.0, closeness_centre=0.99, min_coverage_alone=0.0)
    assert not alone.ask(question).answered and alone.answerer.ask(question, dense=False).answered
    # a weight without its centre would refuse nothing: a clear error, not a silent one
    with pytest.raises(ConfigError, match="CLOSENESS_CENTRE"):
        service_over(tmp_path / "e", files, closeness_weight=1.0)


def test_a_role_question_holds_its_word_for_the_role_where_the_text_says_the_mission(tmp_path):
    """ "quel est le rôle de l'ARS ?" was refused on the default index: L. 1431-1 says "a pour mission", and the
    question's rarest word, "rôle", weighed most of its words in the evidence. A role question's word for the role
    ("rôle", "missions", "attributions") is held by a sentence that says any of them."""
    files = {
        "licornes.txt": "La commission des licornes a pour mission de veiller sur les griffons de la vallée.\n",
        "role.txt": "Le rôle du greffier est précisé par un arrêté du préfet.\n",
        **GRIFFONS,
    }
    service = service_over(tmp_path, files, min_coverage=0.9)
    result = service.retriever.search("quel est le rôle de la commission des licornes ?")
    hits = result.hits[:3]
    assert result.intent == "role" and service.answerer.coverage(result, hits) == 1.0
    answer = service.ask("quel est le rôle de la commission des licornes ?")
    assert answer.answered and answer.answer.startswith("La commission des licornes a pour mission"), answer.answer
    # only where the notion asked about is the sentence's subject: "L'agence des griffons exerce ses missions sous
    # l'autorité du préfet" does not say the prefect's role ("quel est le rôle de l'Agence spatiale européenne en
    # santé ?" was answered from "L'ANSM exerce ses missions…" in the review)
    files = {
        "agence.txt": "L'agence des griffons exerce ses missions sous l'autorité du préfet de la vallée.\n",
        "role.txt": "Le rôle du greffier est précisé par un arrêté du ministre.\n",
        **GRIFFONS,
    }
    service = service_over(tmp_path / "other", files, min_coverage=0.9)
    result = service.retriever.search("quel est le rôle du préfet ?")
    assert result.intent == "role" and service.answerer.coverage(result, result.hits[:3]) < 0.9
    assert not service.ask("quel est le rôle du préfet ?").answered


def test_a_role_answer_leads_with_the_sentence_that_says_the_role_not_one_that_names_its_missions(tmp_path):
    """ "quelles sont les missions de la HAS ?" was answered "La Haute Autorité de santé peut participer à des
    activités de coopération internationale se rapportant à ses missions", which holds the question's word, before
    L. 161-37's "La Haute Autorité de santé … est chargée de :". In a role question the word for the role counts in
    the answer's sentences as in its evidence: for a sentence that says the notion's role, not for one that names
    the body's missions in passing ("ses missions", "des missions")."""
    files = {
        "a.txt": "La commission des licornes peut participer à des rencontres internationales se rapportant à ses "
        "missions.\n",
        "b.txt": "La commission des licornes est chargée de recenser les griffons de la vallée et de tenir le "
        "registre des troupeaux.\n",
        **GRIFFONS,
    }
    service = service_over(tmp_path, files, min_coverage=0.3)
    for question in (
        "quelles sont les missions de la commission des licornes ?",
        "missions de la commission des licornes ?",
    ):
        answer = service.ask(question)
        assert answer.answered and answer.answer.startswith("La commission des licornes est chargée"), answer.answer
    # a mention of the body's missions says no role, in the evidence either
    from assistant.answer import says_role

    forms = ["commission des licornes"]
    assert not says_role("La commission des licornes exerce ses missions sous l'autorité du préfet.", forms)
    # nor an inspector's mission ("Le conseil de surveillance peut entendre tout membre … ayant effectué une
    # mission…", L. 135-14, for "missions du conseil de surveillance ?" in the review)
    assert not says_role("La commission des licornes peut entendre tout inspecteur ayant effectué une mission.", forms)
    assert says_role("La commission des licornes exerce des missions de service public.", forms)
    assert says_role("La commission des licornes a pour missions de recenser les griffons.", forms)
    assert says_role("La commission des licornes exerce les missions suivantes : recenser les griffons.", forms)
    # past the point of an article's number: the CNAF's role is said after "l'article L. 200-2" (L. 223-1)
    cnaf = (
        "La caisse nationale des allocations familiales gère la branche mentionnée au 4° de l'article L. 200-2 et, à "
        "cet effet, a pour rôle : 1° De veiller à l'équilibre financier de cette branche."
    )
    assert says_role(cnaf, ["caisse nationale des allocations familiales"])
    # to the end of the main clause only: not a cue in the list it announces
    assert not says_role(
        "La commission des licornes n'est pas compétente pour : 1° Les griffons, qui ont pour mission de voler.", forms
    )


def test_a_question_that_opens_on_the_role_asks_about_the_notion_after_it():
    """ "rôle de l'UNCAM ?" read "role de l'uncam" as its notion, so no sentence opened on it and its "a pour rôle"
    (L. 182-2) was not read as saying the UNCAM's role."""
    from assistant.retrieval import subject_names

    assert subject_names("rôle de l'UNCAM ?", [], [])[0] == "uncam"
    assert subject_names("missions des ARS ?", [], [])[0] == "ars"
    assert subject_names("le rôle du conseil de surveillance ?", [], [])[0] == "conseil de surveillance"
    assert subject_names("rôle d'une CPAM en deux mots ?", [], [])[0] == "cpam"
    assert subject_names("la mission de la HAS ?", [], [])[0] == "has"
    # its determiner a whole word (the review: "d'unions" read "ions", "dudit" read "dit"); a notion of its own
    assert subject_names("rôle d'Unicancer ?", [], [])[0] == "role d'unicancer"
    assert subject_names("missions dudit conseil ?", [], [])[0] == "missions dudit conseil"
    assert subject_names("missions d'intérêt général ?", [], [])[0] == "missions d'interet general"


def test_a_definition_or_role_lead_cut_to_its_room_keeps_its_opening(tmp_path):
    """ "à quoi sert la CPAM ?" was answered "… maternité, paternité, invalidité, décès …": L. 211-1's long
    sentence cut to the clauses that held most of the question's words, without "Les caisses primaires d'assurance
    maladie assurent la prise en charge des frais de santé". A lead that opens on the notion asked about keeps its
    opening; a sentence none of whose clauses holds a word of the question is shown from its opening too (a
    list's item: "1° De négocier…", not the longest run of clauses that fits)."""
    from assistant.answer import clause_window
    from assistant.text import analyse

    sentence = (
        "Les caisses primaires d'assurance maladie assurent la prise en charge des frais de santé et le service des "
        "prestations d'assurance maladie, maternité, paternité, invalidité, décès et d'accidents du travail, "
        "l'attribution de la protection complémentaire en matière de santé, la gestion des dossiers, la tenue des "
        "fichiers, la prévention et l'action sanitaire et sociale dans leur circonscription."
    )
    weights = {t: 1.0 for t in analyse("maternité invalidité décès")}
    assert clause_window(sentence, weights, 20).startswith("… ")
    kept = clause_window(sentence, weights, 20, opening=True)
    assert kept.startswith("Les caisses primaires d'assurance maladie assurent") and kept.endswith(" …"), kept
    assert len(kept.split()) <= 21
    # a clause cut before its ";" leaves no space before "…" ("… en hospitalisation  …")
    cut = clause_window("La caisse assure les soins en hospitalisation ; " + sentence, {}, 12, opening=True)
    assert cut == "La caisse assure les soins en hospitalisation …", cut
    # a list's item that holds none of the question's words is shown from its opening, in an answer
    item = (
        "1° De négocier et signer l'accord-cadre, les conventions, leurs avenants et annexes, et les accords et "
        "contrats régissant les relations avec les professions de santé et les centres de santé ;"
    )
    text = "La commission des licornes a pour rôle :\n" + item + "\n2° De recenser les griffons.\n"
    answer = service_over(tmp_path, {"a.txt": text, **GRIFFONS}, min_coverage=0.3).ask(
        "quel est le rôle de la commission des licornes ?"
    )
    assert answer.answered and "- 1° De négocier et signer" in answer.answer, answer.answer


def test_a_role_answer_leads_with_the_first_sentence_of_its_article_that_says_the_role(tmp_path):
    """ "quel est le rôle de l'ARS ?" was answered "Les agences régionales de santé contribuent au respect de
    l'objectif national de dépenses d'assurance maladie", a later sentence of L. 1431-1, whose opening "Dans chaque
    région …, une agence régionale de santé a pour mission de définir…" is the answer: read after where it applies
    ("Dans chaque région…,"), and of a passage the first sentence that says the role leads."""
    text = (
        "Dans chaque vallée et dans chaque forêt, une commission des licornes a pour mission de recenser les griffons "
        "et de veiller sur leurs troupeaux. Les commissions des licornes contribuent au respect du calendrier des "
        "transhumances.\n"
    )
    service = service_over(tmp_path, {"a.txt": text, **GRIFFONS}, min_coverage=0.3)
    for question in ("quel est le rôle de la commission des licornes ?", "à quoi sert une commission des licornes ?"):
        answer = service.ask(question)
        assert answer.answered and answer.answer.startswith("Dans chaque vallée"), answer.answer


def test_a_clause_too_short_to_say_anything_is_shown_with_the_words_around_it():
    """A later sentence of an answer was shown as "… MSP) …" or "… PPRGDRESS) …": the one run of clauses that held
    the question's word and fitted between two long ones was a bracket. A run of fewer than ``FRAGMENT_WORDS``
    words is widened to the words around it, within the room; a run long enough is left as it is."""
    from assistant.answer import FRAGMENT_WORDS, clause_window
    from assistant.text import analyse

    sentence = (
        "Le médecin signataire du contrat de début d'exercice mentionné au présent article et installé dans une zone "
        "caractérisée par une offre de soins insuffisante (MSP) exerce son activité au sein d'une équipe de soins "
        "primaires ou d'une communauté professionnelle territoriale de santé selon des modalités fixées par arrêté."
    )
    weights = {t: 1.0 for t in analyse("MSP")}
    shown = clause_window(sentence, weights, 12)
    body = shown.strip("… ").split()
    assert "(MSP)" in body and FRAGMENT_WORDS <= len(body) <= 12, shown
    assert shown.startswith("… ") and shown.endswith(" …")
    assert "insuffisante (MSP) exerce" in shown  # the words on both sides of the bracket
    # at the sentence's end, the words before it fill the room
    tail = clause_window(sentence + " (CPTS)", {t: 1.0 for t in analyse("CPTS")}, 12)
    assert tail.startswith("… ") and tail.rstrip().endswith("(CPTS)") and len(tail.strip("… ").split()) == 12, tail
    # a run long enough is not widened: the clauses that hold the question's words, as they were
    weights = {t: 1.0 for t in analyse("équipe de soins primaires")}
    assert clause_window(sentence, weights, 30) == (
        "… MSP) exerce son activité au sein d'une équipe de soins primaires ou d'une communauté professionnelle "
        "territoriale de santé selon des modalités fixées par arrêté."
    )


def test_a_later_sentence_that_announces_a_list_is_shown_with_its_first_item(tmp_path):
    """ "Santé publique France ça fait quoi au juste ?" ended on "L'agence a pour missions : [2]", "le SRS il sert a
    quoi" on "I.-Le schéma régional de santé : [1]": a sentence after the answer's lead that announces a list said
    nothing without it. Its first item follows it, "…" says that more are in the cited passage, and the item is
    in the citation's sentences."""
    text = (
        "Le conseil des licornes est une instance consultative placée auprès du ministre chargé des licornes.\n\n"
        "Le conseil des licornes a pour missions :\n\n1° De conseiller le ministre sur les écuries ;\n\n"
        "2° D'évaluer les crinières des licornes.\n"
    )
    answer = service_over(tmp_path, {"a.txt": text, **GRIFFONS}, min_coverage=0.2).ask(
        "c'est quoi le conseil des licornes ?"
    )
    assert answer.answered and answer.answer.startswith("Le conseil des licornes est une instance"), answer.answer
    assert "a pour missions : 1° De conseiller le ministre sur les écuries ; … [1]" in answer.answer, answer.answer
    assert "2° D'évaluer" not in answer.answer
    assert any("1° De conseiller" in s for s in answer.citations[0].sentences), answer.citations[0].sentences
    # after a long lead, the item is cut to the room left, from its opening: it was cut with its announcement
    # ("Le dispositif d'appui à la coordination des parcours de santé complexes …" at the full codes, no item)
    lead = (
        "Le conseil des licornes est une instance consultative placée auprès du ministre chargé des licornes, qui "
        "rend des avis sur les écuries, les crinières, les sabots, les soigneurs, les dotations annuelles et les "
        "programmes régionaux de protection des licornes et des griffons sauvages ou domestiqués."
    )
    item = (
        "1° De conseiller le ministre sur les écuries régionales, sur leurs dotations annuelles, sur les "
        "programmes de formation des soigneurs et sur les règles de protection des crinières ;"
    )
    text = f"{lead}\n\nLe conseil des licornes a pour missions :\n\n{item}\n\n2° D'évaluer les crinières.\n"
    answer = service_over(tmp_path / "long", {"a.txt": text, **GRIFFONS}, min_coverage=0.2).ask(
        "c'est quoi le conseil des licornes ?"
    )
    assert answer.answered and "a pour missions : 1° De conseiller le ministre" in answer.answer, answer.answer
    assert answer.answer.rstrip().endswith("… [1]"), answer.answer
    # a repealed item is not the one shown ("Ces conventions … 1° (Abrogé) …")
    text = text.replace("1° De conseiller", "1° (Abrogé) ;\n\n2° De conseiller").replace("2° D'évaluer", "3° D'évaluer")
    answer = service_over(tmp_path / "repealed", {"a.txt": text, **GRIFFONS}, min_coverage=0.2).ask(
        "c'est quoi le conseil des licornes ?"
    )
    assert "a pour missions : 2° De conseiller le ministre" in answer.answer, answer.answer
    # "…" only where an item follows the one shown (a repealed one does not count)
    text = (
        "Le conseil des licornes est une instance consultative placée auprès du ministre chargé des licornes.\n\n"
        "Le conseil des licornes a pour missions :\n\n1° (Abrogé) ;\n\n2° De conseiller le ministre.\n"
    )
    answer = service_over(tmp_path / "last", {"a.txt": text, **GRIFFONS}, min_coverage=0.2).ask(
        "c'est quoi le conseil des licornes ?"
    )
    assert "a pour missions : 2° De conseiller" in answer.answer and not answer.answer.rstrip().endswith("… [1]"), (
        answer.answer
    )
    # an item the answer already says (its lead) is not said again after its announcement
    text = (
        "Le conseil des licornes est une instance consultative placée auprès du ministre chargé des licornes.\n\n"
        "Le conseil des licornes a pour missions :\n\n1° De contrôler les écuries des licornes et les soigneurs des "
        "écuries ;\n\n2° D'évaluer les crinières.\n"
    )
    answer = service_over(tmp_path / "twice", {"a.txt": text, **GRIFFONS}, min_coverage=0.2).ask(
        "comment le conseil des licornes contrôle les écuries et les soigneurs ?"
    )
    assert answer.answered and answer.answer.count("De contrôler les écuries") == 1, answer.answer


def test_the_list_an_item_belongs_to_is_announced_by_the_sentence_before_its_items():
    """``list_head``: the sentence ending with ":" that the item's list follows, past the items before it, their own
    later sentences and a sibling's sub-list ("2° … :" then "a)", "b)" before "3°"); none when the item follows
    another part or plain text."""
    from assistant.answer import list_head

    text = (
        "I.-Le schéma régional des licornes :\n\n1° Indique les besoins des écuries ;\n\n"
        "Ces besoins ne sont pas opposables aux soigneurs.\n\n2° Fixe, pour chaque zone :\n\n"
        "a) Les objectifs de l'offre ;\n\nb) Les créations d'écuries ;\n\n3° Définit l'offre de crinières.\n\n"
        "II.-Les autorisations sont accordées par le directeur.\n\n- une écurie ;\n"
    )

    def head(item):
        found = list_head(text, text.index(item))
        return found and found[1]

    assert head("1° Indique") == "I.-Le schéma régional des licornes :"
    assert head("3° Définit") == "I.-Le schéma régional des licornes :"  # not "2° Fixe, pour chaque zone :"
    assert head("b) Les créations") == "2° Fixe, pour chaque zone :"
    assert head("- une écurie") is None  # after another part, with no announcement
    assert list_head(text, text.index("Ces besoins")) is None  # not an item
    # found by the review: not across another list and the text after it, nor across a part "A.-", nor an
    # announcement that opens on a pronoun ("Elle comprend :" says nothing of what it is about)
    other = (
        "Le conseil des licornes comprend :\n\n- le préfet ;\n\n- le directeur.\n\n"
        "Les membres sont nommés pour trois ans.\n\n1° Le budget des écuries ;\n"
    )
    assert list_head(other, other.index("1° Le budget")) is None
    part = "I.-Le conseil comprend :\n\n1° Le préfet ;\n\nA.-Les frais sont remboursés.\n\n1° Les frais de transport.\n"
    assert list_head(part, part.index("1° Les frais")) is None
    pronoun = "Une commission des licornes est placée auprès du ministre.\n\nElle comprend :\n\n1° le préfet ;\n"
    assert list_head(pronoun, pronoun.index("1° le préfet")) is None


def test_an_items_own_list_ends_at_its_next_sibling():
    """ "2° Fixe, pour chaque zone :" announces a), b), not the "3°" after them (the review's case: "3° Définit…"
    was listed among the zone's items)."""
    from assistant.answer import enumerated_items

    text = (
        "I.-Le schéma régional des licornes :\n\n1° Indique les besoins ;\n\n2° Fixe, pour chaque zone :\n\n"
        "a) Les objectifs de l'offre ;\n\nb) Les créations d'écuries ;\n\n3° Définit l'offre de crinières.\n"
    )
    assert enumerated_items(text, text.index("2° Fixe")) == [
        "a) Les objectifs de l'offre ;",
        "b) Les créations d'écuries ;",
    ]
    assert enumerated_items(text, 0)[:2] == ["1° Indique les besoins ;", "2° Fixe, pour chaque zone :"]


def test_a_long_announcement_keeps_its_first_and_last_words():
    """The words next to the list say what its items are: "Sans préjudice … commission nationale, sont membres :"
    cut from its opening alone lost "sont membres" (the review's case)."""
    from assistant.answer import HEAD_WORDS, announcement

    long = (
        "Sans préjudice des dispositions de l'article L. 1234-5 et dans des conditions fixées par décret en "
        "Conseil d'Etat après avis de la commission nationale, sont membres :"
    )
    shown = announcement(long)
    assert shown.startswith("Sans préjudice des dispositions de l'article L. 1234-5") and shown.endswith(
        "sont membres :"
    ), shown
    assert " … " in shown and len(shown.split()) <= HEAD_WORDS
    assert announcement("Le conseil est composé :") == "Le conseil est composé :"


def test_a_lead_that_is_an_item_opens_on_the_sentence_announcing_its_list(tmp_path):
    """ "le préfet de région vote à la CRSA ?" was answered "-le préfet de région ; [1]", without "Participent,
    avec voix consultative, …", and "le SRS il sert a quoi" "4° Définit l'offre d'examens…" without "Le schéma
    régional de santé :": an item alone says little. The sentence that announces its list opens the lead (whole
    up to ``HEAD_WORDS`` words), is in the citation's sentences and is not said again later."""
    text = (
        "Participent, avec voix consultative, aux travaux du conseil des licornes et au sein de ses différentes "
        "formations régionales et départementales :\n\n-le préfet des licornes ;\n\n-le directeur des écuries.\n"
    )
    answer = service_over(tmp_path, {"a.txt": text, **GRIFFONS}, min_coverage=0.2).ask(
        "le préfet des licornes vote-t-il ?"
    )
    assert answer.answered, answer.answer
    assert answer.answer.startswith("Participent, avec voix consultative, aux travaux du conseil des licornes"), (
        answer.answer
    )
    assert "départementales : -le préfet des licornes ; [1]" in answer.answer, answer.answer
    assert answer.answer.count("Participent") == 1, answer.answer
    assert any(s.startswith("Participent, avec voix consultative") for s in answer.citations[0].sentences)
    # a dashed item the answer says is not said again after a later sentence's announcement (its dash is not
    # part of the item: "… formations : le préfet des licornes ; … [1] -le préfet des licornes ; [1]" before)
    text = "Le conseil des licornes comprend des représentants des écuries et des soigneurs.\n\n" + text
    answer = service_over(tmp_path / "later", {"a.txt": text, **GRIFFONS}, min_coverage=0.2).ask(
        "le préfet des licornes vote au conseil des licornes ?"
    )
    assert answer.answered and answer.answer.count("le préfet des licornes ;") == 1, answer.answer
    # an announcement chosen for itself too is not said twice: its first item takes its place (the SRS's "1°
    # Indique… les besoins en implantations", which that later sentence showed)
    text = (
        "Le schéma régional des licornes :\n\n1° Indique les besoins en écuries des licornes ;\n\n"
        "2° Fixe les zones des soigneurs ;\n\n3° Définit l'offre de crinières des licornes.\n"
    )
    answer = service_over(tmp_path / "schema", {"a.txt": text, **GRIFFONS}, min_coverage=0.2).ask(
        "quelle offre de crinières des licornes est définie par le schéma régional ?"
    )
    assert answer.answer == (
        "Le schéma régional des licornes : 3° Définit l'offre de crinières des licornes. [1] "
        "1° Indique les besoins en écuries des licornes ; [1]"
    ), answer.answer


def test_the_askers_speech_chooses_no_sentence(tmp_path):
    """ "Puis-je … ?": "puis" weighed as a rare word in the answer's choice of sentences, so a sentence that says
    "puis" (then) joined the answer for it. The asker's speech (``wordclass.SPEECH``: "puis-je", "je voulais
    savoir", "bonjour") chooses no sentence; the search and the evidence still read it."""
    files = {
        "a.txt": "Le pharmacien délivre les médicaments sans ordonnance dans les cas prévus par décret.\n",
        "b.txt": "Le pharmacien vérifie l'ordonnance, puis il la transmet au médecin traitant.\n",
        **GRIFFONS,
    }
    service = service_over(tmp_path, files, min_coverage=0.2)
    answer = service.ask("Puis-je, en tant que pharmacien, délivrer des médicaments sans ordonnance ?")
    assert answer.answered and answer.answer.startswith("Le pharmacien délivre"), answer.answer
    assert "puis il la transmet" not in answer.answer, answer.answer
    # a question asked of that sentence's other words still gets it
    answer = service.ask("Le pharmacien vérifie l'ordonnance puis la transmet à qui ?")
    assert answer.answered and "puis il la transmet" in answer.answer, answer.answer
    from assistant.wordclass import speech_word

    assert speech_word("Puis") and speech_word("êtes") and speech_word("voulais") and speech_word("Bonjour")
    # a name in capitals is no speech ("VA", the trade's "ES"), nor the noun "pouvoir", nor "sommes" (the sums due)
    assert not speech_word("VA") and not speech_word("ES") and not speech_word("pouvoir")
    assert not speech_word("sommes")
    # a term that a word of the subject gives too still chooses: "fera" is speech, "fériés" (the same stem) is not
    files = {
        "a.txt": "La garde est assurée les jours fériés par les médecins de la commune.\n",
        "b.txt": "La garde est assurée par les médecins de la commune selon un tableau annuel.\n",
        **GRIFFONS,
    }
    answer = service_over(tmp_path / "feries", files, min_coverage=0.2).ask(
        "qui fera la garde de la commune les jours fériés ?"
    )
    assert answer.answered and answer.answer.startswith("La garde est assurée les jours fériés"), answer.answer


def test_an_answer_s_confidence_is_high_or_to_check_by_its_margin_and_its_article_s_lead(fake_index, tmp_path):
    """``Answer.confidence``: "high" when the evidence strength passes the refusal threshold by ``confident_margin`` and
    the cited article leads the next one by ``confident_lead`` of its score and the dense side puts it at least at
    ``confident_dense`` among the candidates (all three calibrated by ``evals tune``),
    "low" otherwise, and for a refusal or an index not calibrated for it, nothing. An article asked by its number
    is of high confidence. The API, the command line and the chat say it (tests/test_web.py)."""
    from assistant.answer import article_lead, dense_place
    from assistant.service import Service

    question = "Qui pilote le ciblage des CAQES ?"
    plain = Service(fake_index, follow=False)
    assert plain.settings.confident_margin is None
    answer = plain.ask(question)
    assert answer.answered and answer.confidence == "" and answer.to_dict()["confidence"] == ""
    result = plain.retriever.search(question, plain.settings.search_k)
    hits = result.hits[: plain.settings.search_k]
    strength, threshold = plain.answerer.evidence(result, hits)
    margin, lead = strength - threshold, article_lead(hits)
    assert margin > 0 and 0.0 < lead <= 1.0
    cited = answer.citations[0].doc_id
    place = dense_place(hits, cited)
    assert 0.0 < place <= 1.0

    def marked(confident_margin, confident_lead, q=question, confident_dense=None):
        settings = fake_index.model_copy(
            update={
                "confident_margin": confident_margin,
                "confident_lead": confident_lead,
                "confident_dense": confident_dense,
            }
        )
        return Service(settings, follow=False).ask(q)

    assert marked(margin, lead, confident_dense=place).confidence == "high"  # all three reached (each at its bound)
    assert marked(margin + 0.01, 0.0).confidence == "low"  # the margin missed
    assert marked(0.0, min(1.0, lead + 0.01)).confidence == "low"  # the lead missed
    assert marked(0.0, 0.0).to_dict()["confidence"] == "high"  # no dense place asked
    # an article asked by its number: high whatever the thresholds; a refusal: nothing
    assert marked(1.0, 1.0, "que prévoit l'article L. 162-30-2 ?").confidence == "high"
    refused = marked(0.0, 0.0, "Quel est le prix d'un billet de train Paris-Lyon ?")
    assert not refused.answered and refused.confidence == ""


def hit(doc: str, score: float, dense: float | None = None):
    """A found passage of document ``doc`` with its fused ``score`` and, when given, its dense signal."""
    from assistant.records import Chunk, Hit

    signals = {} if dense is None else {"dense": dense}
    return Hit(Chunk(f"{doc}-{score}", doc, "texte", "§ 1", 0, 5, "t", "code", "", ()), score, signals=signals)


def test_the_first_article_s_lead_is_over_the_next_article_not_its_own_next_passage():
    """``article_lead``: a second passage of the same article does not narrow the lead; two articles tied give 0, one
    article alone 1."""
    from assistant.answer import article_lead

    assert article_lead([hit("a", 2.0), hit("a", 1.9), hit("b", 1.0)]) == pytest.approx(0.5)
    assert article_lead([hit("a", 2.0), hit("b", 2.0)]) == 0.0
    assert article_lead([hit("a", 2.0), hit("a", 1.0)]) == 1.0
    assert article_lead([]) == 0.0
    # the lead of the article an answer cites, which may not be the first found: behind another, none
    assert article_lead([hit("a", 2.0), hit("b", 1.5), hit("c", 1.0)], "b") == 0.0
    assert article_lead([hit("a", 2.0), hit("b", 1.5), hit("c", 1.0)], "a") == pytest.approx(0.25)
    assert article_lead([hit("a", 2.0)], "z") == 0.0


def test_the_dense_place_is_the_cited_article_s_best_passage_s_on_the_dense_side():
    """``dense_place``: the best dense signal of the article's passages (1 the nearest candidate in meaning, 0 the
    farthest), the first passage's article when none is named, 0 for an article not found or a search without its
    dense side."""
    from assistant.answer import dense_place

    hits = [hit("a", 2.0, 0.3), hit("b", 1.5, 1.0), hit("a", 1.0, 0.8)]
    assert dense_place(hits, "a") == pytest.approx(0.8)  # its second passage is nearer in meaning
    assert dense_place(hits, "b") == 1.0
    assert dense_place(hits) == pytest.approx(0.8)  # the first passage's article
    assert dense_place(hits, "z") == 0.0
    assert dense_place([hit("a", 2.0)], "a") == 0.0  # no dense side
    assert dense_place([], "a") == 0.0


def test_an_answer_whose_article_the_dense_side_puts_far_is_to_check(fake_index):
    """``Answerer.confidence`` with ``confident_dense``: the same margin and lead, high when the dense side puts the
    cited article at least that near, low below; unset, the place is not read."""
    from assistant.service import Service

    hits = [hit("a", 2.0, 0.6), hit("b", 1.0, 1.0)]  # "a" leads by half its score, "b" is the nearest in meaning

    def confidence(dense):
        update = {"confident_margin": 0.1, "confident_lead": 0.2, "confident_dense": dense}
        return Service(fake_index.model_copy(update=update), follow=False).answerer.confidence(hits, 0.3, cited="a")

    assert confidence(None) == "high" and confidence(0.5) == "high" and confidence(0.6) == "high"
    assert confidence(0.75) == "low"
    # the cited article's place, not the first passage's
    first_near = [hit("a", 2.0, 1.0), hit("b", 1.0, 0.3)]
    update = {"confident_margin": 0.1, "confident_lead": 0.0, "confident_dense": 0.75}
    answerer = Service(fake_index.model_copy(update=update), follow=False).answerer
    assert answerer.confidence(first_near, 0.3, cited="b") == "low"
    assert answerer.confidence(first_near, 0.3, cited="a") == "high"


def test_an_answer_whose_strength_was_not_read_as_calibrated_is_to_check(tmp_path):
    """On an index calibrated with the dense closeness, a search without its dense side (vectors pending,
    ``dense=False``) holds its coverage alone to another threshold: the margin the confidence was calibrated on was
    not measured, and the answer is low whatever it is. A refusal made while composing the answer (no sentence
    says what is asked) has no confidence."""
    files = {
        "cpts.txt": "La communauté professionnelle territoriale de santé coordonne les soins de ville du territoire.\n",
        **{f"autre-{i}.txt": f"Le griffon numéro {i} est gardé par la caisse régionale des soins.\n" for i in range(4)},
    }
    question = "qui coordonne les soins de ville ?"
    calibrated = dict(closeness_weight=1.0, closeness_centre=0.01, min_coverage_alone=0.0)
    svc = service_over(tmp_path, files, confident_margin=0.0, confident_lead=0.0, **calibrated)
    assert svc.ask(question).confidence == "high"
    lexical = svc.answerer.ask(question, dense=False)
    assert lexical.answered and lexical.confidence == "low"
    refused = svc.ask("combien de griffons sont gardés par la caisse ?")
    assert not refused.answered and refused.confidence == "", refused.answer
    assert refused.answer.startswith("Les passages trouvés ne disent pas"), refused.answer  # from ``_compose``


def test_an_answer_reads_the_search_it_is_given_instead_of_searching_again(fake_service, monkeypatch):
    answerer, retriever = fake_service.answerer, fake_service.retriever
    question = "Qui pilote le ciblage des CAQES ?"
    result = retriever.search(question, answerer.settings.search_k)
    expected = answerer.ask(question)

    def no_second_search(*args, **kwargs):
        raise AssertionError("searched again")

    monkeypatch.setattr(retriever, "search", no_second_search)
    given = answerer.ask(question, searched=result)
    assert given.answered and given.answer == expected.answer
    assert [c.locator for c in given.citations] == [c.locator for c in expected.citations]
    assert given.confidence == expected.confidence


def test_the_learned_order_is_trusted_more_to_choose_the_answers_first_passage(tmp_path, monkeypatch):
    """A sentence's score gains by its passage's place in the search (``answer.RANK_LEAD``), more when the learned
    stage made that order (``SearchResult.learned``: ``answer.LEARNED_RANK_LEAD``): then the first passage's
    sentence leads the answer though another passage's holds one more word of the question; not among passages
    looked up by their number, which the stage does not order."""
    from dataclasses import replace

    from assistant import answer as answer_module

    service = service_over(
        tmp_path,
        {
            "a.txt": "Le conseil des licornes se réunit sur convocation de son président.\n",
            "b.txt": "Le conseil des licornes de la clairière se réunit sur convocation de son président.\n",
            "c.txt": "Les dragons des montagnes volent au-dessus des nuages chaque matin.\n",
            "d.txt": "La forêt domaniale abrite des cerfs et des sangliers toute l'année.\n",
        },
    )
    question = "réunion du conseil des licornes de la clairière sur convocation"
    found = service.retriever.search(question, service.settings.search_k)
    assert not found.learned  # no weights: the fusion's order
    by_doc = {h.chunk.doc_id: h for h in found.hits}
    assert found.hits[0].chunk.doc_id == "b.txt", [h.chunk.doc_id for h in found.hits]
    # the order a learned stage could have made: a.txt first, its score on the fusion's scale as
    # ``ranker.learned_order`` gives it
    a, b = by_doc["a.txt"], by_doc["b.txt"]
    swapped = [replace(a, score=b.score), replace(b, score=a.score)]
    ordered = replace(found, hits=swapped + [h for h in found.hits if h.chunk.doc_id not in ("a.txt", "b.txt")])
    assert answer_module.RANK_LEAD < answer_module.LEARNED_RANK_LEAD
    monkeypatch.setattr(answer_module, "RANK_LEAD", 0.0)
    monkeypatch.setattr(answer_module, "LEARNED_RANK_LEAD", 5.0)
    plain = service.answerer.ask(question, searched=ordered)
    assert plain.answered and plain.citations[0].doc_id == "b.txt", plain.answer
    learned = service.answerer.ask(question, searched=replace(ordered, learned=True))
    assert learned.answered and learned.citations[0].doc_id == "a.txt", learned.answer
    # passages looked up by their number come first as asked, in an order the stage did not make: the plain lead
    looked_up = [replace(h, reason="lookup") for h in swapped]
    asked = service.answerer.ask(question, searched=replace(ordered, hits=looked_up, learned=True))
    assert asked.answered and asked.citations[0].doc_id == "b.txt", asked.answer
