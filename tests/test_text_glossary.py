from assistant.answertype import counted_nouns
from assistant.english import is_english, to_french_terms
from assistant.glossary import Glossary, find_definitions, spells
from assistant.lexical import LexicalIndex, correct
from assistant.text import analyse, fold, sentences


def test_analysis_folds_accents_keeps_article_numbers_and_drops_stop_words():
    assert analyse("La durée") == analyse("la duree")
    toks = analyse("Que prévoit l'article L. 162-30-2 et le R1434-13 ?")
    assert "l162-30-2" in toks and "r1434-13" in toks
    assert "que" not in toks and "le" not in toks


def test_feminine_and_plural_forms_meet_their_masculine_singular():
    # the French stemmer alone gives each pair two different stems
    for feminine, masculine in [
        ("assurée", "assuré"),
        ("salariées", "salarié"),
        ("première", "premier"),
        ("infirmières", "infirmier"),
        ("directrice", "directeur"),
        ("prévus", "prévu"),
        ("publique", "public"),
        ("désignée", "désigné"),
        ("commissions", "commission"),  # the stemmer reads "-issions" as a verb's ending: "comm" / "commiss"
        ("transmissions", "transmission"),
        ("démissions", "démission"),
    ]:
        assert analyse(feminine) == analyse(masculine), (feminine, masculine)
    # words too short to carry such an ending, and other words, keep their own stems
    assert analyse("bus abus") == ["bus", "abus"]
    # nor does a word in -us that is no participle's plural lose its stem's family
    assert analyse("refus") == analyse("refuser") and analyse("inclus") == analyse("incluse")
    assert analyse("durée") != analyse("année") and analyse("entière") != analyse("entrée")


def test_plurals_meet_their_singular_and_the_stemmer_s_confusions_are_mended():
    # the French stemmer alone gives each pair two different stems
    for plural, singular in [
        ("lois", "loi"),
        ("emplois", "emploi"),
        ("essais", "essai"),
        ("euros", "euro"),
        ("numéros", "numéro"),
        ("lieux", "lieu"),
        ("élus", "élu"),
        ("usagers", "usager"),  # usager / usag: read as a verb in the singular only
        ("étrangers", "étranger"),
        ("crédits", "crédit"),
        ("forfaits", "forfait"),
        ("délits", "délit"),
    ]:
        assert analyse(plural) == analyse(singular), (plural, singular)
    # unrelated words the stemmer gave one stem
    for a, b in [("délit", "délai"), ("loyer", "loi"), ("foyer", "foi"), ("usager", "usage"), ("amiante", "ami")]:
        assert analyse(a) != analyse(b), (a, b)
    # words so ending that are no plural keep their own stem and family
    assert analyse("fois") != analyse("foi") and analyse("acquis") == analyse("acquises")
    assert analyse("dangereux") == analyse("danger") == analyse("dangers")


def test_sentences_do_not_split_after_abbreviations():
    text = "Il renvoie à l'article L. 162-30-3 du code. Le contrat est conclu. Voir art. 5 du texte."
    assert [text[s:e] for s, e in sentences(text)] == [
        "Il renvoie à l'article L. 162-30-3 du code.",
        "Le contrat est conclu.",
        "Voir art. 5 du texte.",
    ]


def test_acronym_definitions_are_found_with_their_long_form():
    text = (
        "dans le champ des contrats d’amélioration de la qualité et de l’efficience des soins (CAQES), avec un "
        "ciblage. Le plan pluriannuel régional de gestion du risque et d'efficience du système de soins (PPRGDRESS) "
        "est arrêté. Une phrase (sans sigle) et (Loi) ne comptent pas."
    )
    found = {a: e for a, e, _ in find_definitions(text)}
    assert found["CAQES"] == "contrats d’amélioration de la qualité et de l’efficience des soins"
    assert found["PPRGDRESS"].startswith("plan pluriannuel régional de gestion du risque")
    assert "Loi" not in found


def test_glossary_expands_acronyms_both_ways():
    g = Glossary.build([("d", "les communautés professionnelles territoriales de santé (CPTS) sont créées")])
    assert g.expand("Qu'est-ce qu'une CPTS ?")[0] == ["communautés professionnelles territoriales de santé"]
    assert g.expand("rôle des cpts")[0]  # typed in lower case
    assert g.expand("les communautés professionnelles territoriales de santé")[1] == ["CPTS"]
    forms = g.long_forms()
    assert forms.acronyms_in("Les communautés professionnelles territoriales de santé se réunissent") == ["CPTS"]


def test_a_frequent_word_typed_in_lower_case_is_not_an_acronym():
    """The full codes define LES (lupus érythémateux systémique) and CAS (Chemical Abstract Service): every
    question with "les" was searched with the lupus, and "dans quel cas" with the chemists' registry."""
    g = Glossary.build(
        [
            (
                "d",
                "un lupus érythémateux systémique (LES) ou la Chemical Abstract Service (CAS) ou la "
                "Haute Autorité de santé (HAS) ou les agences régionales de santé (ARS)",
            )
        ]
    )
    assert g.expand("quels sont les droits des patients ?")[0] == []
    assert g.expand("dans quel cas peut-on refuser ?")[0] == []
    assert g.expand("Les LES sont-ils pris en charge ?")[0] == ["lupus érythémateux systémique"]
    assert g.expand("la has c'est quoi ?")[0] == ["Haute Autorité de santé"]  # rarer words: the acronym
    assert g.expand("les ars font quoi ?")[0] == ["agences régionales de santé"]
    # a count question's noun is read the same way: "combien de cas" counts cases, "combien de CAS" the acronym
    assert counted_nouns("combien de cas de rougeole en 2023 ?", g.lookup) == ["cas"]
    assert counted_nouns("combien de CAS ?", g.lookup) == ["CAS", "Chemical"]
    assert counted_nouns("combien d'ars en France ?", g.lookup) == ["ars", "agences"]


def test_typos_are_corrected_to_a_frequent_corpus_term():
    lex = LexicalIndex.build(
        ["a", "b", "c"],
        [
            "la commission régionale",
            "une commission de coordination",
            "le personnel des agences régionales",
            "l'accueil des professionnels de santé",
        ],
    )
    # misspellings wordfreq lists, far less frequent than the word one edit away (a slip, two letters swapped or
    # a letter doubled, needs less: "acceuil" 2.71 and "accueil" 4.65)
    assert correct(lex, analyse("commision")[0], "commision") == analyse("commission")[0]
    assert correct(lex, analyse("personel")[0], "personel") == analyse("personnel")[0]
    assert correct(lex, analyse("acceuil")[0], "acceuil") == analyse("accueil")[0]
    assert correct(lex, analyse("professionels")[0], "professionels") == analyse("professionnels")[0]
    assert correct(lex, analyse("comission")[0]) == analyse("commission")[0]  # the word unknown: any edit
    assert correct(lex, analyse("regionnale")[0], "regionnale") == analyse("régionale")[0]  # a typo no list has
    assert correct(lex, "zzzzzz", "zzzzzz") == "zzzzzz"


def test_french_words_are_not_read_as_typos_of_corpus_terms():
    """The corrector turned a word the corpus lacks into the most frequent term one edit away, real words too
    ("parents" -> "parlent", "rechute" -> "recrutement", "marions" -> "marins"): a word of wordfreq's large
    French list is meant as written unless the word one edit away is far more frequent."""
    lex = LexicalIndex.build(
        ["a", "b", "c", "d"],
        ["ils parlent", "une campagne de recrutement", "les marins pêcheurs", "dans la limite des crédits"],
    )
    for word in ("parents", "rechute", "marions", "licite"):
        term = analyse(word)[0]
        assert correct(lex, term, word) == term, word
        assert correct(lex, term) != term, word  # read as a typo when the word is not given


def test_english_questions_get_french_terms():
    assert is_english("Who chairs the regional coordination commission?")
    assert not is_english("Qui préside la commission régionale de coordination ?")
    fr = to_french_terms("Who chairs the regional coordination commission?")
    assert "préside" in fr and "régional" in fr
    assert fold("Ségur") == "segur"


def test_the_catalog_says_whether_a_passage_writes_a_word_as_it_is(tmp_path):
    """Whole words, case kept: "SISA" is not written by "SISAL", "SISA-X" nor "sisa"."""
    from assistant.catalog import Catalog
    from assistant.records import Chunk, Document

    for i, text in enumerate(("le SISAL", "une SISA-X", "une sisa", "créer la SISA, puis")):
        cat = Catalog(tmp_path / f"{i}.sqlite")
        doc = Document(doc_id="d", title="t", text=text, source="s")
        chunk = Chunk(chunk_id="c", doc_id="d", text=text, locator="¶ 1", start=0, end=len(text), title="t")
        cat.replace(doc, [chunk], "sha", len(text), 0.0, "2026-12-06")
        assert cat.writes("SISA") == (i == 3), text


def test_a_phrase_spells_an_acronym_as_a_long_form_before_it_does():
    """``spells``, the glossary's reading of "long form (ACRONYM)", for an apposition of a question ("ASS,
    l'allocation de solidarité spécifique, c'est quoi ?")."""
    assert spells("ass", "allocation de solidarite specifique")
    assert spells("AME", "aide médicale de l'État")
    assert spells("DGOS", "direction générale de l'offre de soins")
    assert not spells("pmi", "les consultations")
    assert not spells("bonjour", "la cpam")
    assert not spells("cmu-c", "la complementaire")
