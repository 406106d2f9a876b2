"""Answers shaped by the question (definition first, lists as lists, facts first, the subject held), headings as
a searchable field, and refusals that only an unknown word carrying the subject causes."""

import re

from fakes import FAKE

from assistant.answer import IMPERSONAL, antecedent
from assistant.answertype import gives_count
from assistant.headings import HeadingIndex, article_key
from assistant.records import Chunk


def test_a_definition_question_gets_the_defining_article_first(service):
    answer = service.ask("cpts c'est quoi ?")
    assert answer.answered
    # the lead sentence defines the notion, which is its subject (here the IGAS summary's definition), and the
    # article of the code that creates the CPTS is cited too
    lead = answer.answer.split("[1]")[0]
    assert lead.lower().startswith("les communautés professionnelles territoriales de santé") and " sont " in lead
    assert "art. L. 1434-12" in [c.locator for c in answer.citations]


def test_a_list_question_gets_the_enumerated_items_each_cited(service):
    answer = service.ask("quelles sont les instances constituées auprès de chaque ARS ?")
    assert answer.answered, answer.answer
    lines = answer.answer.split("\n")
    assert lines[0].rstrip().endswith(": [1]") or ":" in lines[0]
    items = [x for x in lines[1:] if x.startswith("- ")]
    assert len(items) >= 2 and all(x.rstrip().endswith("]") for x in items)
    assert any("conférence régionale de la santé et de l'autonomie" in x for x in items)


def test_a_fact_answer_leads_with_the_fact_and_keeps_the_sentence_in_the_citation(service):
    answer = service.ask("durée du CAQES ?")
    assert answer.answered
    lead = answer.answer.split("[1]")[0]
    assert "cinq ans" in lead
    assert any("cinq ans" in s for s in answer.citations[0].sentences)


def test_an_answer_about_another_subject_is_refused(service):
    # The small corpus says who presides over nothing called a "conseil de surveillance".
    answer = service.ask("qui préside le conseil de surveillance du FIR ?")
    assert not answer.answered


def test_a_common_verb_missing_from_the_corpus_does_not_cause_a_refusal(service):
    answer = service.ask(
        "Quel rôle peut jouer la commission régionale de coordination dans le plan de gestion du risque ?"
    )
    assert "ne mentionne" not in answer.answer
    assert service.ask("Quel est le montant du PTZ pour un premier achat ?").answer.startswith(
        "Aucun document du corpus ne mentionne « PTZ »"
    )
    # A subject of another code is refused with that code's name, which says more than the missing word.
    assert service.ask("Quel est le taux de TVA sur les médicaments ?").answer.startswith(
        "« TVA » relève du Code général des impôts, que le corpus ne contient pas"
    )


def test_signals_are_named_on_each_hit(service):
    hits = service.search("c'est quoi une CPTS ?", 5).hits
    assert {"bm25", "dense", "heading", "sentence", "intent"} <= set(hits[0].signals)


def test_a_count_question_cues_the_sentences_that_give_a_number_of_what_it_counts(service):
    # "combien de projets ?" asks for a number of projects: the intent signal goes to the passage that gives one
    # ("les deux cents projets recensés"), not to words of amounts ("montant", "taux") it does not ask for.
    hits = service.search("la mission IGAS a recensé combien de projets ?", 10).hits
    cued = [h for h in hits if h.signals.get("intent")]
    assert cued, [(h.chunk.locator, h.signals) for h in hits]
    for h in cued:
        assert gives_count(h.chunk.text, ["projets"]), h.chunk.text
    assert "deux cents projets" in hits[0].chunk.text or "deux cents projets" in cued[0].chunk.text
    answer = service.ask("la mission IGAS a recensé combien de projets ?")
    assert answer.answered and "deux cents projets" in answer.answer.split("[1]")[0]


def test_a_lead_sentence_that_opens_on_a_pronoun_comes_after_the_sentence_it_refers_to(service):
    answer = service.ask("que valident les instances de la convention type ?")
    assert answer.answered, answer.answer
    first, second = answer.answer.split(" [1] ")[:2]
    assert first.startswith("Les instances définies à l'article 5"), answer.answer
    assert second.startswith("Elles valident"), answer.answer
    assert first in answer.citations[0].sentences  # cited like any sentence of the answer


def test_a_list_lead_that_opens_on_a_pronoun_keeps_its_antecedent_and_items(tmp_path):
    # The lead "Ce bilan contient notamment une présentation :" announces a list, so the answer's other sentences
    # give way to its items, the sentence "Ce bilan" refers to among them: it is shown first all the same.
    from assistant.service import Service
    from assistant.settings import Settings
    from ingest.pipeline import refresh

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bilan-fonds.txt").write_text(
        "Bilan du fonds régional\n\nLe bilan du fonds régional est établi chaque année par l'agence.\n\n"
        "Ce bilan du fonds contient notamment une présentation :\n\n1° Des crédits engagés par le fonds ;\n\n"
        "2° Des actions financées par le fonds ;\n\n3° Des évaluations conduites.\n",
        encoding="utf-8",
    )
    settings = Settings(index=tmp_path / "index", embedding_model=FAKE)
    assert not refresh(settings, [corpus]).failed
    answer = Service(settings, follow=False).ask("le bilan du fonds régional contient une présentation de quoi ?")
    assert answer.answered, answer.answer
    lines = answer.answer.split("\n")
    assert lines[0].startswith("Le bilan du fonds régional est établi"), answer.answer
    assert "Ce bilan du fonds contient" in lines[0]
    assert any("Des actions financées" in x for x in lines[1:]), answer.answer


def test_a_long_antecedent_comes_first_when_the_lead_opens_on_a_pronoun(tmp_path):
    """ "un kiné peut-il prescrire des semelles ?" was answered at the full codes with L. 4322-1's "Ils ont également
    seuls qualité pour … appliquer les semelles …" alone: its antecedent (the pédicures-podologues, 39 words) was too
    long to join the answer. A lead that opens on a pronoun names nothing: its antecedent comes first, however
    long. One that opens on a demonstrative and its noun ("Cette allocation") names it: a long one does not."""
    from assistant.service import Service
    from assistant.settings import Settings
    from ingest.pipeline import refresh

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    long_opening = (
        "Les soigneurs de licornes, à partir d'un examen de la crinière qu'ils ont préalablement établi et consigné "
        "dans le registre de l'écurie, ont seuls qualité pour traiter directement les affections de la corne, "
        "limitées aux couches superficielles, à l'exclusion de toute intervention chirurgicale."
    )
    assert len(long_opening.split()) > 35
    (corpus / "soigneurs.txt").write_text(
        long_opening + "\n\nIls ont également seuls qualité pour confectionner et appliquer les fers argentés.\n",
        encoding="utf-8",
    )
    (corpus / "prime.txt").write_text(
        long_opening.replace("Les soigneurs de licornes", "Les éleveurs de griffons")
        + "\n\nCette prime des griffons est versée chaque année aux éleveurs.\n",
        encoding="utf-8",
    )
    settings = Settings(index=tmp_path / "index", embedding_model=FAKE)
    assert not refresh(settings, [corpus]).failed
    service = Service(settings, follow=False)
    answer = service.ask("peut-on confectionner des fers argentés ?")
    assert answer.answered, answer.answer
    first, second = answer.answer.split(" [1] ")[:2]
    assert first.startswith("Les soigneurs de licornes"), answer.answer
    assert second.startswith("Ils ont également"), answer.answer
    prime = service.ask("la prime des griffons est versée quand ?")
    assert prime.answered and prime.answer.startswith("Cette prime des griffons"), prime.answer


def test_the_antecedent_is_the_nearest_sentence_before_that_names_its_subject():
    text = (
        "Le contrat est signé par le directeur général. Il comporte un volet financier. "
        "Il est conclu pour une durée de cinq ans."
    )
    start = text.index("Il est conclu")
    assert antecedent(text, start) == (0, "Le contrat est signé par le directeur général.")
    items = "Le patient doit avoir :\n\n-été informé des risques.\n\nIl atteste de ses renseignements."
    assert antecedent(items, items.index("Il atteste")) is None  # an item of a list is not what "il" names
    part = "I.-Le directeur fixe la liste. V.-Un décret fixe les conditions. Ces établissements sont inscrits."
    assert antecedent(part, part.index("Ces")) is None  # the opening of another part of the article
    assert antecedent("Il est conclu pour cinq ans.", 0) is None
    for sentence in ("Il est interdit de fumer.", "Il est institué un fonds.", "Il y a lieu de statuer."):
        assert IMPERSONAL.match(sentence), sentence
    assert not IMPERSONAL.match("Il est conclu pour une durée de cinq ans.")
    assert not IMPERSONAL.match("Il est tenu de déclarer ses revenus.")


def _chunk(cid, article, crumb):
    return Chunk(cid, f"doc-{cid}", "texte", f"art. {article}", 0, 5, article=article, breadcrumb=crumb)


def test_headings_score_sections_and_name_their_first_article():
    crumb_fir = (
        "Code de la santé publique",
        "Titre III agences regionales de sante",
        "Section 5 fonds dintervention regional",
    )
    crumb_other = (
        "Code de la santé publique",
        "Titre III agences regionales de sante",
        "Section 6 dispositions diverses",
    )
    chunks = [
        _chunk("a", "L1435-9", crumb_fir),
        _chunk("b", "L1435-8", crumb_fir),
        _chunk("c", "L1435-10", crumb_other),
    ]
    heads = HeadingIndex.build(chunks)
    assert heads.first_of_section == {"b", "c"}
    assert heads.members[crumb_fir] == ["b", "a"]
    from assistant.text import analyse

    scores = heads.path_scores(analyse("fonds d'intervention régional"))
    assert scores[crumb_fir] > scores.get(crumb_other, 0.0)
    assert article_key("L1435-10") > article_key("L1435-9") > article_key("L1435-8")
    # A match one level up counts DECAY as much; the deepest matching level of a breadcrumb decides, read through
    # the headings that hold a term (not every heading): "agences" is in the title above both sections.
    from assistant.headings import DECAY

    terms = analyse("fonds des agences régionales")
    scores = heads.path_scores(terms)
    total = sum(heads.idf(t) for t in dict.fromkeys(terms))
    title, section = set(analyse("agences regionales de sante")), set(analyse("fonds dintervention regional"))
    held = lambda level: sum(heads.idf(t) for t in dict.fromkeys(terms) if t in level) / total  # noqa: E731
    assert scores[crumb_other] == DECAY * held(title)
    assert scores[crumb_fir] == max(held(section), DECAY * held(title))
    assert heads.path_scores(analyse("licornes")) == {}


def test_answers_stay_within_the_word_budget_and_every_line_is_cited(service):
    from assistant.answer import ANSWER_WORDS, ITEM_SLACK, ITEM_WORDS

    for question in (
        "quelles sont les missions de la commission régionale de coordination ?",
        "c'est quoi le PPRGDRESS ?",
        "qui pilote le ciblage des CAQES ?",
        "durée du CAQES ?",
        "quelles sont les instances constituées auprès de chaque ARS ?",
    ):
        answer = service.ask(question)
        assert answer.answered, question
        words = re.sub(r"\[\d+\]", " ", answer.answer).split()
        # the lead, later sentences while there is room, list items up to the slack, one "… (n autres points)" line
        assert len(words) <= ANSWER_WORDS + ITEM_SLACK + ITEM_WORDS + 8, (question, len(words))
        assert all(re.search(r"\[\d+\]\s*$", line) for line in answer.answer.splitlines() if line.strip()), question


def test_a_dense_candidate_beyond_bm25s_first_ones_keeps_its_bm25_score(fake_index):
    # With 5 candidates from each side, the dense side returns passages that BM25 ranks lower: each one's BM25
    # signal is its own score over BM25's best, not 0 (at the size of the codes the 61st passage often scores
    # nearly as well as the 60th).
    from assistant.service import Service

    # the question's own words only (no acronym, lexicon weight 0): BM25's scores are those computed below
    update = {"candidates": 5, "dense_weight": 0.5, "lexicon_weight": 0.0, "expansion_weight": 0.0}
    service = Service(fake_index.model_copy(update=update), follow=False)
    question = "qui signe la convention de mise en oeuvre du plan de gestion du risque ?"
    idx = service._loaded.index
    scores = idx.lexical.scores(service.search(question, 5).terms)
    first = {cid for cid, _ in idx.lexical.top_of(scores, 5)}
    best = max(scores)
    beyond = [h for h in service.search(question, 30).hits if h.chunk.chunk_id not in first and h.reason != "lookup"]
    scored = [h for h in beyond if scores[idx.lexical.positions([h.chunk.chunk_id])[0]] > 0]
    assert scored, "no dense candidate beyond BM25's first five holds a word of the question"
    for h in scored:
        own = scores[idx.lexical.positions([h.chunk.chunk_id])[0]]
        assert abs(h.signals["bm25"] - own / best) < 1e-6, (h.chunk.chunk_id, h.signals, own / best)
