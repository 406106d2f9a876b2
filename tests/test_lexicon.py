"""The lexicon of everyday words: every legal term it gives exists in the corpus, and it matches as it says."""

import html
import re
from pathlib import Path

import pytest
from conftest import CORPUS, full_codes

from assistant.lexicon import LEXICON_FILE, Lexicon, default_lexicon
from assistant.text import fold


def _corpus_text() -> str:
    parts = [p.read_text(encoding="utf-8") for p in (CORPUS / "documents").glob("*.txt")]
    for folder in (CORPUS / "legifrance", full_codes()):
        parts += [p.read_text(encoding="utf-8") for p in folder.rglob("*.md")]
    text = html.unescape(re.sub(r"<[^>]+>", " ", "\n".join(parts)))
    return re.sub(r"\s+", " ", fold(text))


def test_every_legal_term_of_the_lexicon_occurs_in_the_corpus():
    text = _corpus_text()
    missing = [
        (e.trigger, term)
        for e in default_lexicon().entries
        for term in e.terms
        if re.sub(r"\s+", " ", fold(term)) not in text
    ]
    assert not missing, missing


def test_everyday_words_and_trade_abbreviations_are_translated():
    lex = default_lexicon()
    assert "interruption volontaire de grossesse" in lex.expand("peut on avorter à 15 ans sans les parents ?")
    assert "indemnités journalières" in lex.expand("mes IJ sont versées quand ?")
    assert "incapacité de travail" in lex.expand("Arrêt maladie : combien de jours de carence ?")
    assert "directeur général" in lex.expand("qui nomme le DG de l'ARS")
    assert "L. 162-31-1" in lex.expand("c'est quoi l'article 51 ?")


def test_an_upper_case_trigger_matches_only_in_upper_case():
    lex = default_lexicon()
    assert "établissement de santé" in lex.expand("un ES peut-il refuser ?")
    assert "établissement de santé" not in lex.expand("es-tu sûr ?")
    assert "directeur général" not in lex.expand("un dg")


def test_an_acronym_trigger_typed_in_lower_case_is_not_a_frequent_word(tmp_path):
    """An acronym of three letters or more also matches in lower case ("c koi la crsa"), but not where it is a
    frequent French word ("son" is no SON), as the glossary reads it."""
    f = tmp_path / "lexicon.tsv"
    f.write_text("SON\tservice de l'offre numérique\nCRSA\tconférence régionale de la santé\n", encoding="utf-8")
    lex = Lexicon.load(f)
    assert lex.expand("quel est son rôle ?") == []
    assert lex.expand("le SON, c'est quoi ?") == ["service de l'offre numérique"]
    assert lex.expand("c koi la crsa") == ["conférence régionale de la santé"]
    assert lex.expand("Crsa : qui la préside ?") == ["conférence régionale de la santé"]


def test_a_quoted_trigger_matches_only_as_written():
    lex = default_lexicon()
    # "allocs" is "allocation" to the stemmer: every allocation was read as the family benefits (devr-003 "la durée
    # de l'allocation journalière du proche aidant" searched "prestations familiales")
    assert "prestations familiales" in lex.expand("les allocs c'est combien par enfant ?")
    assert "prestations familiales" in lex.expand("une alloc pour mon fils")
    assert "prestations familiales" not in lex.expand(
        "Quelle est la durée de l'allocation journalière du proche aidant ?"
    )
    # "mon dossier" was "dossier" to the analyser ("mon" a stop word): any dossier was the DMP
    assert "dossier médical partagé" in lex.expand("qui peut lire mon dossier ?")
    assert "dossier médical partagé" not in lex.expand("le dossier de demande d'agrément")
    # a hyphen or a space, accents and case aside
    assert lex.expand("zone sous dense") == lex.expand("Zones SOUS-DENSES") != []
    assert lex.expand("les zones denses") == []
    assert "dossier médical partagé" in lex.expand("mon  dossier")


def test_a_quoted_trigger_too_short_to_match_as_written_is_refused(tmp_path):
    bad = tmp_path / "lexicon.tsv"
    bad.write_text('"s"\tprestations familiales\n', encoding="utf-8")
    with pytest.raises(ValueError, match="too short"):
        Lexicon.load(bad)


def test_a_line_without_a_tab_is_named(tmp_path):
    bad = tmp_path / "lexicon.tsv"
    bad.write_text("# comment\nmutuelle complémentaire santé\n", encoding="utf-8")
    with pytest.raises(ValueError, match="lexicon.tsv:2"):
        Lexicon.load(bad)


def test_the_shipped_file_is_the_one_loaded():
    assert LEXICON_FILE == Path(__file__).resolve().parent.parent / "assistant" / "lexicon.tsv"
    assert len(default_lexicon().entries) >= 50


def test_a_trigger_matches_its_word_not_every_word_of_its_stem():
    lex = default_lexicon()
    # "généraliste" and "général", "dépassement" and "dépasser" share their stems, not their meaning
    assert "médecin traitant" not in lex.expand("qui nomme le directeur général de l'ARS ?")
    assert "médecin traitant" in lex.expand("mon généraliste peut-il refuser de me soigner ?")
    assert "dépassements d'honoraires" not in lex.expand("la durée ne peut dépasser cinq ans ?")
    assert "dépassements d'honoraires" in lex.expand("les dépassements sont-ils remboursés ?")
    assert "indemnités journalières" in lex.expand("Arrêts maladie : qui paie ?")  # a plural still matches


def test_chat_spellings_are_spelled_out_before_the_question_is_read(fake_index, fake_service):
    """ "cmb" is "combien", "l'expé" "l'expérimentation", "les profs" "les enseignants"; an upper-case word stays
    an acronym ("CB"); with the lexicon turned off (the ablation), the question is read as typed."""
    from assistant.lexicon import default_chat_words

    chat = default_chat_words()
    assert chat.spell_out("signée pour cmb d'années max") == "signée pour combien d'années max"
    assert chat.spell_out("l'expé a démarré où ? Infos svp") == "l'expérimentation a démarré où ? informations "
    assert chat.spell_out("le vin du Médoc, c'est quoi ?") == "le vin du Médoc, c'est quoi ?"  # a name is kept
    assert chat.spell_out("paiement par CB") == "paiement par CB"
    # "dacc" (d'accord) is a politeness; "dac" is left alone: "dac c'est quoi ?" asks about the DAC
    assert chat.spell_out("ok dacc, et le DAC ?") == "ok , et le DAC ?"
    assert chat.spell_out("dac c'est quoi ?") == "dac c'est quoi ?"
    # a word the corpus itself writes is searched as typed ("l'appli carte Vitale" in a seed text)
    assert chat.spell_out("l'appli carte Vitale", known=lambda w: w == "appli") == "l'appli carte Vitale"
    assert fake_service.retriever._written_in_corpus("convention")
    assert not fake_service.retriever._written_in_corpus("fac")  # a stem under five letters: always spelled out
    assert chat.spell_out("les profs de la fac") == "les enseignants de la université"
    typed = fake_service.search("le PRS c'est pour cmb d'années")
    assert typed.intent == "duree" and "cmb" not in typed.terms, (typed.intent, typed.terms)
    assert typed.question == "le PRS c'est pour combien d'années"
    from assistant.service import Service

    off = Service(fake_index.model_copy(update={"signals_off": "lexicon"}), follow=False)
    assert "cmb" in off.search("le PRS c'est pour cmb d'années").terms


def test_a_mixed_case_trigger_matches_only_as_written(tmp_path):
    """ "PreParE" is the prestation partagée d'éducation de l'enfant, "prépare" and "PREPARE" are not."""
    f = tmp_path / "lexicon.tsv"
    f.write_text("PreParE\tprestation partagée d'éducation de l'enfant\n", encoding="utf-8")
    lex = Lexicon.load(f)
    assert lex.expand("la PreParE c'est pour qui ?") == ["prestation partagée d'éducation de l'enfant"]
    assert lex.expand("je prépare mon dossier") == lex.expand("on prepare quoi ?") == lex.expand("PREPARE ?") == []


def test_a_quoted_acronym_matches_only_in_capitals(tmp_path):
    """Stop 52's review: a lexicon acronym of three letters or more also matches in lower case, so "PASS" (the
    hospitals' permanence) expanded "le pass sanitaire". Quoted in the file, an acronym matches in capitals only."""
    f = tmp_path / "lexicon.tsv"
    f.write_text(
        '"PASS"\tpermanences d\'accès aux soins de santé\nCRSA\tconférence régionale de la santé\n', encoding="utf-8"
    )
    lex = Lexicon.load(f)
    assert lex.expand("une PASS à l'hôpital c'est quoi ?") == ["permanences d'accès aux soins de santé"]
    for q in ("le pass sanitaire", "Pass : c'est quoi ?", "mot de pass ameli"):
        assert lex.expand(q) == [], q
    assert lex.expand("c koi la crsa") == ["conférence régionale de la santé"]  # an unquoted one as before
    assert "permanences d'accès aux soins de santé" in default_lexicon().expand("la PASS de l'hôpital")
    assert default_lexicon().expand("le pass sanitaire") == []
