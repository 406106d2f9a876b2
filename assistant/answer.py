"""Extractive answers: the sentences of the best passages that answer the question, each with its ``[n]``,
then the numbered citations. When the evidence is too weak, say so and show the closest passages."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from functools import cache, cached_property
from typing import NamedTuple

import numpy as np

from assistant.answertype import (
    NUMBERED_NAMES,
    counted_nouns,
    expected_type,
    gives_count,
    has_type,
    numbered_things,
    other_number,
    without_references,
)
from assistant.cite import citation_of, display_article
from assistant.glossary import LongForms, mixed_case
from assistant.index import Index
from assistant.intent import (
    acts_on_asked,
    asked_words,
    asks_definition,
    has_cue,
    names_action,
    reversed_agent,
    says_length,
    says_until,
    shape_of,
)
from assistant.lexical import correct
from assistant.llm import LLM, passage_text
from assistant.outside import outside_subject
from assistant.places import asked_places, names_place, places_in
from assistant.places import key as place_key
from assistant.records import Answer, Hit
from assistant.retrieval import (
    OBJECT_CUES,
    SUBJECT_CUES,
    Retriever,
    SearchResult,
    opens_on,
    part_cosines,
    sentence_score,
    subject_forms,
    window_coverage,
    with_windows,
)
from assistant.text import PARAGRAPH_NUMBER, analyse, analysed_words, fold, is_number_term, is_stopword, sentences
from assistant.verify import ORDER, check
from assistant.wordclass import common_folded, french_zipf, speech_word, subject_words, written_names

NO_ANSWER = (
    "Je n'ai pas trouvé de réponse à cette question dans le corpus. Voici les passages les plus proches, à vérifier :"
)
# "18ème", "100ème", "1ère": a number, never an unknown word (``answertype.ORDINALS`` reads folded text for counts)
ORDINAL_NUMBER = re.compile(r"\d+(?:e|è|ème|eme|ième|ieme|er|ère|ere|re|nd|nde)s?", re.I)
ACRONYM_SCANS = 3  # a question's acronyms looked for in the passages' text (``Index.writes``, ~0.1 s each)
HEADING_LINE = re.compile(r"^([IVX]+(\.\d+)?\s*[–—-]|Article\s+\d|\d+\.\d+\.?\s|PR[ÉE]AMBULE)", re.I)
TYPE_LABEL = {
    "nombre": "de nombre ni de durée",
    "argent": "de somme en euros ni de part",
    "part": "de pourcentage ni de part",
    "date": "de date",
    "quand": "de date",
    "frequence": "de fréquence",
    "nom": "de nom",
    "adresse": "d'adresse",
    "telephone": "de numéro de téléphone",
}
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
NOTA = re.compile(r"^\s*NOTA\s*:", re.M)
# "Un décret en Conseil d'Etat fixe les conditions d'application du présent article.", "Les modalités d'application
# du présent chapitre sont déterminées par décret.": a code's closing formula says only that a decree exists, never
# what the question asks (it answered "qui peut demander la stérilisation à visée contraceptive ?"); an answer only
# to a question about that decree (folded text)
WHICH_TEXT = r"d'application (?:du present|de la presente|des presentes|de cet|de ce|du|de la|des)\b"
NO_SUBSTANCE = r"(?:(?!notamment)[^;,]){0,80}"  # "…, notamment le délai": the decree's substance follows
DECREE_FORMULA = re.compile(
    r"^(?:[ivx]+\.?\s*-\s*)?(?:un |les )?(?:decrets?|arretes?)[^.;]{0,40}? (?:fixe|fixent|precise|precisent|determine|"
    r"determinent|definit|definissent) (?:les|la) (?:conditions|modalites)(?: et (?:les )?(?:conditions|modalites))? "
    rf"{WHICH_TEXT}{NO_SUBSTANCE}$|"
    r"^(?:[ivx]+\.?\s*-\s*)?(?:les )?(?:conditions|modalites)(?: et (?:les )?(?:conditions|modalites))? "
    rf"{WHICH_TEXT}{NO_SUBSTANCE}? (?:sont|est) (?:fixees|precisees|determinees|definies) par (?:un )?(?:decret|arrete)"
    r"[^.;]{0,60}[.;]?$"
)
ABOUT_DECREE = re.compile(r"\bdecret|\bapplication\b")
RELATIVE_FLOOR = 0.5  # sentences scoring at least half the best one join the answer (measured: 0.5 to 0.7)
IDLE_WEIGHT = 0.5  # a question word that does not carry its subject counts this much in it (measured: 0, 0.25, 0.5)
OUTSIDE_PASSAGES = 3  # a question on another code's subject is answered only if one of these passages says it
FOCUS_SHARE = 0.5  # share of the subject terms' weight the answering passage must hold
# Words that say what is asked, not what it is about (analysed forms): never the subject of a question.
QUESTION_WORDS = frozenset(
    analyse(
        "rôle rôles mission missions quoi composition composé composée membres président présidé préside présidence "
        "durée délai délais combien montant taux sanction sanctions pénalité procédure conditions condition droit "
        "peut peuvent doit doivent faut qui quel quelle quels quelles signifie définition sert servent chargé "
        "compétence compétences prévoit prévu dit article code question savoir légal légale légalement maximal "
        "maximale maximum minimum minimal actuel actuellement exactement jouer joue "
        # the verbs of "qui décide / fixe / nomme / pilote... ?": they ask for an actor, the subject is their object
        "décide décident fixe fixent nomme nomment désigne désignent pilote pilotent dirige dirigent signe signent "
        "valide valident approuve approuvent"
    )
)
# "Conformément à l'article 96 de la loi n° 2021-1754 ..., ces dispositions entrent en vigueur le ...": Légifrance's
# note on a version's entry into force, an answer only to a question about that.
APPLICATION_NOTE = re.compile(
    r"(?:…\s*)?Conformément (?:à l['’]|aux |au )[^.]*?\b(?:loi|décret|ordonnance)\b[^.]*?\bdispositions\b[^.]*?"
    r"(?:en vigueur|applicables?|s['’]appliquent|s['’]applique)",
    re.I,
)
ABOUT_FORCE = re.compile(r"\bvigueur\b|\bs'applique|\bapplicable|\bdepuis quand\b|\ba partir de quand\b|\bdate\b")
DEMONSTRATIVE = re.compile(r"\b(?:[Cc]es?|[Cc]ette|[Cc]et|[Ll]edit|[Ll]adite|[Ll]esdit(?:e)?s|m[êe]mes?)\s+(\w+)")
# Intents whose answer must say what is asked (else refused), and how the refusal names it.
MUST_HOLD = {
    "presidence": "qui préside",
    "composition": "qui compose cette instance",
    "age": "d'âge",
    "duree": "de durée ni de délai",
    "montant": "de montant ni de taux",
    "sanction": "quelle sanction s'applique",
    "qui": "qui décide ou agit",
}
SUBJECT_FLOOR = 0.0  # a sentence whose subject is the notion leads when it scores this share of the best one
SUBJECT_BOOST = 1.5  # ... and a sentence whose subject is the notion asked about and says what is asked, this much
LENGTH_BOOST = 1.2  # a sentence that gives a length of time ("cinq ans") counts this much more for a duration asked
MEMBERS_FACTOR = 0.5  # a role question: a sentence that lists who sits on the body counts this much
MEMBERS_LIST = re.compile(
    r"\bmembres suivants\b|\b(?:est|sont) compose|\bcomprend(?:re|nent)? (?:en outre )?(?:un|une|des|deux|trois|"
    r"quatre|cinq|six|\d)|\bcomporter? (?:en outre )?(?:un|une|des|deux|trois|\d)[^.;:]{0,40}\bmembres\b"
)
ACTS_BOOST = 1.25  # a sentence where the verb of "qui <verb> <noun> ?" acts on that noun counts this much more
CUE_BOOST = 1.25  # a sentence with a cue phrase of the question's intent ("est présidé par") counts this much more
# A sentence of a legislative article (L., LO) counts this much more in the choice of the answer's sentences: where
# the law and its decree both say it ("un CAQES est conclu entre..." in L. 162-30-2 and D. 162-14), the law leads.
# Measured on the dev sets (1.05, 1.075, 1.1, 1.2): at 1.075 citation@1 0.374 -> 0.426 on `dev_users` at the full
# codes, citation_support 0.667 -> 0.702 at the default index, `questions.jsonl` unchanged; at 1.1 and above its
# citation@1 drops at the default index.
LAW_LEAD = 1.075
# A candidate sentence of the answer gains ``lead / (1 + place)``, its passage's place among the answer's passages
# (the first three found, or the looked-up ones): ``RANK_LEAD`` in the search's order, ``LEARNED_RANK_LEAD`` where
# the learned stage made it (``SearchResult.learned``; fitted to put the passage holding the evidence first), not for
# looked-up passages, which it does not order. Measured at the full codes (stop 66, the dev sets): 0.3 against 0.1
# led four more questions of `dev_agents` from their first passage (citation@1 0.532 -> 0.582) and one fewer of
# `dev_real` (0.198 -> 0.190), at a cost of keywords (`questions.jsonl` 0.779 -> 0.769, `dev_real` 0.165 -> 0.157)
# and of `dev_users`' citation_support (0.670 -> 0.661); 0.6 lost more (keywords `dev_real` 0.140,
# `questions.jsonl` 0.760; `dev_users` citation_support 0.652). On the default index, without the learned stage, 0.3
# lost `questions.jsonl` citation@1 (0.874 -> 0.854).
RANK_LEAD = 0.1
LEARNED_RANK_LEAD = 0.3
ANSWER_WORDS = 55  # sentences after the first join the answer while it stays within this many words
MAX_ITEMS = 12  # items of an enumeration shown as a list
ITEM = re.compile(r"^(?:\d{1,2}°|[a-z]\)|[-–•]\s?)")
ITEM_DASH = re.compile(r"^[-–•]\s*")  # a dashed item's dash, which ``enumerated_items`` leaves out
LOOKUP_NOISE = {
    "article",
    "articl",  # "article" as the analysis writes it
    "prevoit",
    "dispos",
    "contenu",
    "quoi",
    "que",
    "resum",
    "text",
    "art",
    "code",
    "css",
    "csp",
    "secur",
    "social",
    "publiqu",
    "sant",
    "convent",
    "typ",
    "paragraph",
}


def only_names(sentence: str) -> bool:
    """Every word of the sentence that is no stop word starts with a capital: a name alone (an annex's "URSSAF de
    la Côte-d'Or."), which says nothing of it."""
    content = [w for w in re.findall(r"[^\W\d_][\w'’-]*", sentence) if not is_stopword(w)]
    return bool(content) and all(w[0].isupper() for w in content)


NOT_DEFINED = "ce qu'est la notion demandée"
# the words of a definition question that are no part of the notion ("définition légale d'une équipe de soins
# primaires", "… au sens de la loi")
NOT_NOTION = frozenset(analyse("définition légale exactement concrètement juridiquement au juste sens"))
# the first word of what follows "c'est quoi" / "qu'est-ce que" when another thing is asked than what a notion is
NOT_A_NOTION = frozenset(
    "il ils elle elles on je j tu vous nous ce ca cela qui que qu quoi faut deja precisement vraiment exactement "
    "donc alors kezako kesako quesaco kezaco delai delais duree conditions condition difference differences "
    "principe notion terme mot montant taux prix cout procedure demarche demarches regle regles sanction "
    "sanctions risque risques droit droits role roles missions mission avantage avantages interet comment".split()
)


def notion_read(names: list[str]) -> bool:
    """``subject_names`` read a notion the check can hold a sentence to: no punctuation in it, at most six words,
    not a pronoun, an adverb or what another question asks first ("le délai pour…"), and a word of it left once
    the asking words are set aside."""
    if not names or re.search(r"[,:;?!()=]", names[0]):
        return False
    words = re.findall(r"[\w]+", names[0])
    return len(words) <= 6 and words[0] not in NOT_A_NOTION and any(notion_terms(n) for n in names)


CREATES = re.compile(rf"^\s*(?:{PARAGRAPH_NUMBER})?il est (?:cree|institue)")
# what opens a defining sentence before the notion: "Au sens du présent titre, …", "Pour l'application du présent
# chapitre, …"; and what introduces the notion within it: "On entend par …", "Est considéré comme employeur …"
FRAME = re.compile(
    rf"^\s*(?:{PARAGRAPH_NUMBER})?(?:au sens|pour l'application|pour les besoins|dans le present)\b[^,]{{0,80}},"
)
INTRODUCING = re.compile(r"\b(?:on entend par|consideree?s? comme|denommee?s?|appelee?s?)\s")

# the numbering a sentence may open on: a numbered paragraph or an item ("2°", "a)")
NUMBERING = re.compile(rf"^\s*(?:{PARAGRAPH_NUMBER}|\d+°\s*-?\s*|[a-z]\)\s*)")


def opening(text: str) -> list[str]:
    """The terms of the first four words of a (folded) text, its numbering ("I.-", "2°", "a)") aside."""
    return analyse(" ".join(re.findall(r"[\w']+", NUMBERING.sub("", text))[:4]))


@cache
def notion_terms(name: str) -> tuple[str, ...]:
    """A notion's analysed words, the asking words (``NOT_NOTION``) aside: its head word first."""
    return tuple(t for t in analyse(name) if t not in NOT_NOTION)


def holds_notion(names: list[str], heads, terms) -> bool:
    """The head word of one of ``names`` is in ``heads`` (a callable on a term) and, for a name of several words,
    another of them in ``terms``."""
    for name in names:
        words = notion_terms(name)
        if words and heads(words[0]) and (len(words) == 1 or any(t in terms for t in words[1:])):
            return True
    return False


def introduces(sentence: str, names: list[str]) -> bool:
    """The sentence is about the notion one of ``names`` names: its head word among the sentence's first four
    words, after a frame ("Au sens du présent titre, …") or after what introduces it ("On entend par …", "Est
    considéré comme …", "Il est créé …"); and, for a name of several words, another of them in the sentence."""
    folded = fold(sentence)
    toks = analyse(folded)
    starts = [opening(FRAME.sub("", folded))] + [opening(folded[m.end() :]) for m in INTRODUCING.finditer(folded)]
    created = CREATES.match(folded) is not None
    return holds_notion(names, lambda head: any(head in st for st in starts) or (created and head in toks), toks)


def names_notion(terms: frozenset[str], names: list[str]) -> bool:
    """``terms`` (a passage's headings, analysed) hold the head word of one of ``names`` and, for a name of several
    words, another of them."""
    return holds_notion(names, terms.__contains__, terms)


def not_said(what: str) -> str:
    """A refusal's text when the passages found do not say ``what`` the question asks (``MUST_HOLD``)."""
    return (
        f"Les passages trouvés ne disent pas {what} : je ne peux pas répondre à partir du corpus. Passages les plus "
        "proches, à vérifier :"
    )


def _display_sentence(text: str, locator: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if locator.startswith("§ "):
        number = locator[2:].split(",")[0]
        if re.match(rf"{re.escape(number)}(?=[A-ZÀ-ÖØ-ÞŒ«“\"L’'])", text):  # "35La mise en œuvre"
            text = text[len(number) :].lstrip()
    return text


def enumerated_items(text: str, start: int) -> list[str]:
    """The enumerated items (1°, 2°, a), b), dashes) that follow the sentence starting at ``start``, when that
    sentence introduces them (it ends with ":"), up to the next item of its own kind when it is itself an item."""
    spans = sentences(text)
    after = [(s, e) for s, e in spans if s > start]
    lead = next(((s, e) for s, e in spans if s == start), None)
    if lead is None or not after:
        return []
    level = _marker(text[lead[0] : lead[1]].strip())  # "2° Fixe … :": its a), b) end at the next "3°"
    items = []
    for s, e in after:
        sent = re.sub(r"\s+", " ", text[s:e]).strip()
        if not ITEM.match(sent) or (level and _marker(sent) == level):
            break
        items.append(ITEM_DASH.sub("", sent))
        if len(items) >= MAX_ITEMS:
            break
    return items if text[lead[0] : lead[1]].rstrip().endswith(":") else []


LOOSE_SENTENCES = 2  # an item's later sentences crossed on the way back to its list's announcing sentence
PART = re.compile(r"\s*(?:[IVX]+|[A-H])\s*\.?\s*[-–—]")  # "II.-", "III. –", "A.-": a part of an article


def _marker(sentence: str) -> str | None:
    """The kind of an enumerated item's marker: "1°", "a)", a dash; None for another sentence."""
    m = ITEM.match(sentence)
    if not m:
        return None
    first = m.group(0)[0]
    return "degree" if first.isdigit() else "letter" if first.isalpha() else "dash"


def list_head(text: str, start: int) -> tuple[int, str] | None:
    """The sentence that announces the list whose item starts at ``start`` ("Participent, avec voix consultative,
    … :" before "-le préfet de région ;"), with its start: the nearest sentence before it that ends with ":" and
    is not an item of the lead's kind. Between them only the lead's sibling items, their own later sentences (at
    most ``LOOSE_SENTENCES`` each) and the sub-items of a sibling that announces them ("2° … :", "a)", "b)" before
    "3°"); None when anything else comes between (another list, another part of the text) or the announcement
    opens on a pronoun ("Elle comprend :", which says nothing of what it is about)."""
    spans = sentences(text)
    lead = next((text[s:e] for s, e in spans if s == start), None)
    kind = _marker(lead.strip()) if lead else None
    if kind is None:
        return None
    loose = 0  # sentences met since the last sibling item that are no item: a sibling's own later sentences
    deeper = False  # items of another kind met since the last sibling: its sub-items, if it announces them
    for s, e in reversed([(s, e) for s, e in spans if s < start]):
        sentence = re.sub(r"\s+", " ", text[s:e]).strip()
        marker = _marker(sentence)
        if sentence.endswith(":") and marker != kind:
            if loose or deeper or (ANAPHORIC.match(sentence) and not IMPERSONAL.match(sentence)):
                return None
            return s, sentence
        if marker == kind:
            if deeper and not sentence.endswith(":"):
                return None  # those items were no sub-items of this sibling: another list
            loose, deeper = 0, False
        elif marker:
            if loose:
                return None  # an item, then plain text, then the lead: two lists
            deeper = True
        else:
            loose += 1
            if loose > LOOSE_SENTENCES or PART.match(sentence):  # another part of the text ("II.-Les…")
                return None
    return None


def announcement(sentence: str) -> str:
    """A list's announcement as it opens a lead: whole up to ``HEAD_WORDS`` words, else its first and last words
    ("Sans préjudice des dispositions de l'article L. 1234-5 … de la commission nationale, sont membres :"): the
    words next to the list say what its items are."""
    words = sentence.split()
    if len(words) <= HEAD_WORDS:
        return sentence
    opening = " ".join(words[:HEAD_OPENING]).rstrip(",;:(")
    return f"{opening} … {' '.join(words[-HEAD_CLOSING:])}"


def next_item(text: str, start: int) -> tuple[int, str] | None:
    """The item right after the sentence starting at ``start``, with its start, unless it is repealed."""
    after = next(((s, e) for s, e in sentences(text) if s > start), None)
    if after is None:
        return None
    sentence = text[after[0] : after[1]].strip()
    return (after[0], sentence) if ITEM.match(sentence) and not REPEALED.match(sentence) else None


# A sentence that opens on a pronoun or a demonstrative refers to the sentence before it.
ANAPHORIC = re.compile(
    r"\s*(?:Il|Elle|Ils|Elles|Cela|Celui-ci|Celle-ci|Ceux-ci|Celles-ci|Ce dernier|Cette dernière|Ces derniers|"
    r"Ces dernières|(?:Ce|Cet|Cette|Ces)\s+(?!\d)\w+)\b"
)
# ... but an impersonal "il" refers to nothing before it ("Il est interdit de fumer", "Il est institué un fonds").
IMPERSONAL = re.compile(
    r"\s*Il (?:y a|appartient|convient|faut|importe|suffit|existe|incombe|(?:est|peut être) (?:interdit|permis|"
    r"possible|pourvu|statué|précisé|nécessaire|tenu compte|fait (?:application|mention|droit)|procédé|dérogé|"
    r"mis fin|(?:institué|créé|constitué)"
    r"(?:,|\s+(?:un|une|des|auprès|dans|au|à|en|par)\b)))"
)
NEW_PART = re.compile(r"\s*(?:[IVX]+\s*\.?\s*[-–—]|\d{1,2}\s*°|[a-z]\)|[-–•])")
PRONOUN = re.compile(
    r"\s*(?:Il|Elle|Ils|Elles|Celui-ci|Celle-ci|Ceux-ci|Celles-ci|Ce dernier|Cette dernière|Ces derniers|"
    r"Ces dernières)\b"
)
ANTECEDENT_WORDS = 35  # the sentence an anaphoric lead refers to joins the answer when this short or shorter


def antecedent(text: str, start: int) -> tuple[int, str] | None:
    """The sentence of ``text`` that the one starting at ``start`` refers to (the nearest of the three before it
    that does not open on a pronoun), with its start; None when there is none or it is a heading."""
    earlier = [(s, text[s:e].strip()) for s, e in sentences(text) if s < start]
    # an order to the assistant inside a document, or a template's instructions to its editor, is never shown
    earlier = [x for x in earlier if not ORDER.search(fold(x[1])) and not x[1].startswith("[")]
    # the nearest one that does not itself open on a pronoun, among the last three
    previous = next((x for x in reversed(earlier[-3:]) if not ANAPHORIC.match(x[1]) or IMPERSONAL.match(x[1])), None)
    if previous is None or HEADING_LINE.match(previous[1]) or NEW_PART.match(previous[1]):
        return None  # a heading, an item of a list or the opening of another part ("V.-Un décret...")
    if len(previous[1].split()) < 4:
        return None  # a title ("3.1.", "Article 5")
    return previous


def shown_whole(sentence: str) -> bool:
    """An antecedent not already in the answer joins it when it is short and a whole sentence."""
    return len(sentence.split()) <= ANTECEDENT_WORDS and sentence[-1] in ".;:!?»)"


ANY = re.compile("")  # any sentence: ``opens_on`` with it reads only where the notion is
# the intents whose lead sentence, when it opens on the notion asked about, is shown from its opening
OPENING_KEPT = frozenset({"definition", "role"})
LEAD_WORDS = 45  # the first sentence of an answer is shown whole up to this length
HEAD_WORDS = 25  # the sentence announcing the list of a lead that is an item is shown whole up to this length,
HEAD_OPENING = 10  # else its first words
HEAD_CLOSING = 7  # and its last ones, next to the list
OPENING_SHARE = 0.6  # an opening kept whole to its last clause when that fills this much of the room
ITEM_WORDS = 20  # an item of a list is shown from its clauses that hold the question's terms past this length
ITEM_SLACK = 15  # a list's items may take the answer this far past ANSWER_WORDS before the rest is left out
CLAUSE_WORDS = 12  # the shortest room given to a later sentence's clauses


def clause_window(sentence: str, weights: dict[str, float], max_words: int, opening: bool = False) -> str:
    """The run of consecutive clauses of a long sentence (cut at , ; : and brackets) that holds the most of the
    question's weight within ``max_words`` words, with "…" where the sentence was cut; with ``opening``, a run
    that starts where the sentence does (its subject and verb: what a definition or a role is said of), as when
    no run that fits holds a word of the question."""
    bounds = [m.span() for m in re.finditer(r"[^,;:()]+[,;:()]?", sentence)]
    if len(sentence.split()) <= max_words:
        return sentence
    if len(bounds) < 2:
        return _first_words(sentence, max_words)
    best, best_span, held = -1.0, None, 0.0
    for i in range(1 if opening else len(bounds)):
        for j in range(i, len(bounds)):
            start, end = bounds[i][0], bounds[j][1]
            piece = sentence[start:end]
            n = len(piece.split())
            if n > max_words:
                break
            terms = set(analyse(piece))
            weight = sum(w for t, w in weights.items() if t in terms)
            if weight + 0.001 * n > best:  # the longer of two runs that hold as much
                best, best_span, held = weight + 0.001 * n, (start, end), weight
    if best_span is None:  # no clause is short enough: the sentence's first words, the rest in the citation
        return _first_words(sentence, max_words)
    if not opening and not held:
        # no run of clauses that fits holds a word of the question: nothing to prefer to the opening (a list's
        # item "1° De négocier…", not the longest run that fits)
        return clause_window(sentence, weights, max_words, opening=True)
    start, end = best_span
    if opening and len(sentence[start:end].split()) < OPENING_SHARE * max_words:
        # the opening clauses say too little ("Les caisses primaires … et les caisses d'assurance retraite …"):
        # the sentence's first words
        return _first_words(sentence, max_words)
    if len(sentence[start:end].split()) < FRAGMENT_WORDS <= max_words:
        # a clause too short to say anything alone ("… MSP) …", the only one that fits between two long ones):
        # the words around it, within the room
        start, end = word_window(sentence, start, end, max_words)
    piece = sentence[start:end].strip().rstrip(",;:(").rstrip()  # "hospitalisation ;" -> "hospitalisation"
    return ("… " if start > 0 else "") + piece + (" …" if end < len(sentence.rstrip()) - 1 else "")


# an item repealed: "1° (Abrogé)", "2° Abrogé ;", "I. - Abrogé", "3° (Alinéa abrogé)"; not "1° Abrogation de…"
REPEALED = re.compile(r"\S+\s*(?:[-–]\s*)?[(\[]?\s*(?:alin[ée]a\s+)?abrog[ée]e?s?\b", re.I)
FRAGMENT_WORDS = 6  # a run of clauses shorter than this is widened to the words around it


def word_window(sentence: str, start: int, end: int, max_words: int) -> tuple[int, int]:
    """The span of ``max_words`` words of ``sentence`` around its span ``start``-``end``: as many words before it
    as after, those the sentence lacks on one side taken on the other."""
    words = [m.span() for m in re.finditer(r"\S+", sentence)]
    first = next(k for k, (a, b) in enumerate(words) if b > start)
    last = max(k for k, (a, b) in enumerate(words) if a < end)
    spare = max(0, max_words - (last - first + 1))
    before = min(first, spare // 2)
    after = min(len(words) - 1 - last, spare - before)
    before = min(first, spare - after)
    return words[first - before][0], words[last + after][1]


def _first_words(sentence: str, max_words: int) -> str:
    return " ".join(sentence.split()[:max_words]).rstrip(",;:(") + " …"


FACT_CLAUSE_WORDS = 30  # a longer sentence answering a fact is shown from the clause that holds the fact


def fact_clause(sentence: str, intent: str | None, kind: str | None) -> str:
    """A long sentence cut to the clause that holds the fact asked for (a duration, an amount, an actor),
    marked with "…" where it was cut; a short one, or one with no such clause, as it is."""
    if len(sentence.split()) <= FACT_CLAUSE_WORDS or intent not in ("duree", "montant"):
        return sentence
    kind = kind or "nombre"
    clauses = [m for m in re.finditer(r"[^,;:]+[,;:]?", sentence)]
    for i, m in enumerate(clauses):
        clause = m.group().strip()
        if has_cue(clause, intent) and (kind is None or has_type(clause, kind)):
            start = clauses[max(0, i - 1)].start() if len(clause.split()) < 8 else m.start()
            end = clauses[min(len(clauses) - 1, i + 1)].end() if len(clause.split()) < 8 else m.end()
            piece = sentence[start:end].strip().rstrip(",;:").rstrip()
            if len(piece.split()) >= len(sentence.split()) - 3:
                return sentence
            return ("… " if start > 0 else "") + piece + (" …" if end < len(sentence) else "")
    return sentence


STORY_NAME_ZIPF = 3.5  # how common in French text a first name is: Christine 4.1, Arthur 4.3, Martin 4.8


def story_name(word: str) -> bool:
    """A capitalised word that French text uses often as a name and that is no place of France: a person of the
    asker's story ("Christine", "Arthur", "Martin"), which no article names and which says nothing of the
    subject. Not an acronym, nor a rarer name that may be what is asked ("Médoc" 3.3, "Kouchner" 2.8), nor a
    place ("Lyon", "Rennes": ``assistant.places``)."""
    return (
        len(word) > 2
        and word[:1].isupper()
        and word[1:].islower()
        and french_zipf(word.lower()) >= STORY_NAME_ZIPF
        and not places_in(word)
    )


def article_lead(hits: list[Hit], doc_id: str = "") -> float:
    """By what share of its score the best passage of the article (or document) ``doc_id`` (the first passage's
    when not given) leads the best passage of any other: 0 when another ties or comes first, 1 when no other
    article is found. An answer whose article barely leads another may be that other's."""
    doc_id = doc_id or (hits[0].chunk.doc_id if hits else "")
    own = max((h.score for h in hits if h.chunk.doc_id == doc_id), default=0.0)
    if own <= 0:
        return 0.0
    other = max((h.score for h in hits if h.chunk.doc_id != doc_id), default=None)
    return 1.0 if other is None else max(0.0, (own - other) / own)


def dense_place(hits: list[Hit], doc_id: str = "") -> float:
    """Where the dense side put the article (or document) ``doc_id`` (the first passage's when not given) among the
    search's candidates: its best passage's dense signal, 0 for the candidate farthest in meaning from the question,
    1 for the nearest (0 when no passage of it is found or the search had no dense side). An answer whose article
    the question's meaning does not point to is more often wrong (measured on the users' dev questions at both
    indexes: of the answers to check, those below 0.75 cite their evidence about half as often)."""
    doc_id = doc_id or (hits[0].chunk.doc_id if hits else "")
    return max((float(h.signals.get("dense", 0.0)) for h in hits if h.chunk.doc_id == doc_id), default=0.0)


def cites_asked_article(result: SearchResult, hits: list[Hit], cited: str) -> bool:
    """The answer cites first (``cited``, a document id) an article the question asks by its number, found, and
    no other article it names is missing: that article is the answer (``Answerer.confidence``)."""
    asked = {h.chunk.doc_id for h in hits if h.reason == "lookup"}
    return bool(asked) and not result.missing_articles and cited in asked


def evidence_strength(coverage: float, closeness: float | None, weight: float, centre: float) -> float:
    """The refusal signal of ``Answerer.evidence``, as ``evals tune`` calibrates it: the coverage plus ``weight``
    times the closeness less ``centre``, kept within [0, 1] as a share is; the coverage alone without a closeness."""
    if closeness is None:
        return coverage
    return min(1.0, max(0.0, coverage + weight * (closeness - centre)))


class Focus(NamedTuple):
    """A subject term of a question: its weight, the long forms that stand for it, and the words it must come
    with ("travail" of "accident de travail" counts only with "accident": the lexicon's phrase is one notion)."""

    term: str
    weight: float
    alternatives: frozenset[tuple[str, ...]]  # each long form's analysed terms, in order
    unit: frozenset[str]
    names: frozenset[tuple[str, ...]] = frozenset()  # those of the alternatives that spell out an acronym
    order: tuple[str, ...] = ()  # the unit's terms in order, when the question writes a name in full

    def held(self, terms: set[str], pairs: frozenset[tuple[str, str]] | None = None) -> bool:
        """``pairs``: the passage's ordered pairs of near terms (``Answerer.passage_pairs``); a long form of several
        words that spells out an acronym (a name) is held only when its first two come in that order, side by
        side or one word apart: the noun and the word that says which one ("Caisse nationale de l'assurance
        maladie" is not held by "Union nationale des caisses d'assurance maladie", which has all its words; "la
        caisse primaire intéressée … la caisse d'assurance maladie" holds the CPAM's). The lexicon's legal terms
        are held by their words ("organismes d'assurance maladie complémentaire" holds "organisme
        complémentaire")."""
        return (self.unit <= terms and (pairs is None or len(self.order) < 2 or self.order[:2] in pairs)) or any(
            set(a) <= terms and (pairs is None or a not in self.names or len(a) < 2 or a[:2] in pairs)
            for a in self.alternatives
        )


# the words that say a body's role: "rôle", "missions", "attributions" (analysed)
ROLE_TERMS = frozenset(analyse("rôle missions attributions"))
# a sentence that says a body's role (folded), as the search's role cues do, but not one that names its missions in
# passing ("L'ANSM exerce ses missions…", "… se rapportant à ses missions", "… ayant effectué une mission")
ROLE_SAID = re.compile(
    r"\b(?:a|ont) pour (?:missions?|objet|objectifs?|roles?)\b|\b(?:est|sont) chargee?s?\b|"
    r"\b(?:exerce|exercent|assure|assurent|remplit|remplissent) (?:les|des) missions?\b|"
    r"\bmissions? (?:suivantes|sont)\b|"
    r"\bdefinit\b|\bveille|\bcontribue|\bconcourt\b"
)


def role_reading(result: SearchResult, weights: dict[str, float]) -> tuple[set[str], list[str]]:
    """A role question's words for the role among ``weights``, and the forms of the notion whose role is asked;
    nothing for another question."""
    role_words = ROLE_TERMS & weights.keys() if result.intent == "role" and result.subject else set()
    return role_words, subject_forms(result.subject) if role_words else []


def says_role(sentence: str, forms: list[str]) -> bool:
    """The sentence's subject is the notion (one of ``forms``) and it says the notion's role."""
    return opens_on(sentence, forms, ROLE_SAID, whole=True)


def role_flags(text: str, forms: list[str]) -> list[bool]:
    """For each sentence of ``text`` (split as ``sentences`` and ``Index.analysed_sentences`` split it), whether
    it says the role of the notion (``says_role``)."""
    return [says_role(text[s:e].strip(), forms) for s, e in sentences(text)]


class Answerer:
    def __init__(self, index: Index, retriever: Retriever | None = None):
        self.index = index
        self.retriever = retriever or Retriever(index)
        self.settings = index.settings
        self.checked_suggestions: dict[str, bool] = {}  # reformulation -> answered (``assistant.suggest``)
        self.precheck = None  # the thread checking the notion questions in advance (``suggest.start_precheck``)

    def unknown_words(self, result: SearchResult) -> list[str]:
        """Words of the question that no document of the corpus uses, nor any word of their family
        (after typo correction): the corpus cannot answer about them."""
        lexical = self.index.lexical
        if not lexical.n:
            return []
        out = []
        source = result.question if not result.translated else result.translated
        # Words the lexicon translates into legal terms this index holds ("IJ" with the codes indexed), checked
        # only for a word the corpus lacks. An acronym stands for its long form: the index must hold it as a
        # phrase (``Index.holds``: a corpus with "sociétés", "soins" and "ambulatoires" apart does not know the
        # SISA); an everyday word's terms are looser ("clinique": "établissements de santé privés"), each of
        # their words somewhere is enough.
        entries = self.retriever.lexicon.matches(source) if "lexicon" not in self.retriever.off else ()

        # the lexicon's acronyms the question types, however it types them ("sisa", "Sisa") -> as the trade writes
        # them ("SISA")
        acronyms = {fold(e.trigger): e.trigger for e in entries if e.acronym}

        def held(term: str, acronym: bool) -> bool:
            return self.index.holds(term) if acronym else all(lexical.knows(t) for t in analyse(term))

        @cache  # a word is asked about in the acronyms' check and again for its stems
        def translated(w: str) -> bool:
            stems = set(analyse(w))
            return any(
                (w == e.trigger or stems & set(e.stems or analyse(e.trigger)))
                and any(held(term, e.acronym) for term in e.terms)
                for e in entries
            )

        as_written = set(written_names(source))
        asked = {x for a in asked_words(source) for x in a.split()}  # "à quelle fréquence": what is asked
        scans = 0  # passages' texts read for acronyms, at most ``ACRONYM_SCANS`` a question
        for w, carries in subject_words(source):
            written = acronyms.get(fold(w))
            if (
                is_stopword(w)
                or w.isdigit()
                or ORDINAL_NUMBER.fullmatch(w)
                or not (len(w) >= 5 or (len(w) >= 2 and w.isupper()) or written)
            ):
                continue
            if not (carries or written) or fold(w) in asked or speech_word(w):
                # a common verb or adverb ("jouer", "vouloir") says nothing of the subject, nor does the asker's
                # speech wherever it stands ("nous de devrions pas recréer…", a typo of "ne": "devrions" after
                # "de" read as a noun)
                continue
            name = w in as_written  # a name is not a typo of a word ("UNOCAM" of "UNCAM", "Misérables" of "misées")
            if (
                len(w) >= 3
                and fold(w) not in analyse(w)
                and (w.isupper() and not common_folded(w) or mixed_case(w) or written)
            ):
                # an acronym the stemmer cuts: is it a word of the corpus or only the word it stems to ("SISA" is
                # "sis", located at)? A French word in capitals ("mes DROITS", "PLAINTE") is that word; an
                # acronym's plural ("EHPADS") is the acronym. A name with capitals inside ("PreParE") is no word.
                forms = [w, w[:-1]] if w[-1] in "sS" else [w]
                forms += [written] if written and written not in forms else []
                known = any(self.index.glossary.lookup(f) for f in forms) or translated(w)
                if not known and scans < ACRONYM_SCANS:
                    scans += 1
                    if not any(self.index.writes(f) for f in forms):
                        out.append(w)
                        continue
            if name and story_name(w):
                continue  # "Christine devrait pouvoir toucher…", "à Arthur qui vient d'avoir 19 ans": a person
            unknown = any(
                not lexical.knows(t) and (name or not lexical.knows(correct(lexical, t, w.lower()))) for t in analyse(w)
            )
            if unknown and not translated(w):  # the lexicon gives its legal terms ("IJ", "avorter")
                out.append(w)
        return list(dict.fromkeys(out))

    @property
    def names(self) -> LongForms:
        """The long forms of the acronyms the glossary and the lexicon know, to find those a question writes
        (built again when the index reads its glossary again)."""
        glossary = self.index.glossary
        if getattr(self, "_names_of", None) is not glossary:
            extra = {e.trigger: list(e.terms) for e in self.retriever.lexicon.entries if e.acronym}
            self._names, self._names_of = glossary.long_forms(extra), glossary
        return self._names

    def _long_forms(self, result: SearchResult, everyday: bool) -> dict[str, set[tuple[str, ...]]]:
        """Question term -> the analysed terms, in order, of each long form that stands for it: an acronym's long
        forms in the glossary and the lexicon's legal terms for an acronym ("CNAM"), and with ``everyday`` those
        for an everyday or trade word too."""
        forms: dict[str, set[tuple[str, ...]]] = {}
        for token in re.findall(r"[A-Za-zÉé0-9]{2,12}", result.question):
            if token.isupper():
                for t in analyse(token) or ([fold(token)] if self.index.glossary.lookup(token) else []):
                    forms.setdefault(t, set()).update(
                        tuple(analyse(x)) for x in self.index.glossary.lookup(token)[:2] if analyse(x)
                    )
        if "lexicon" not in self.retriever.off:
            for entry in self.retriever.lexicon.matches(result.question):
                if everyday or entry.acronym:
                    for t in entry.stems or analyse(entry.trigger):
                        forms.setdefault(t, set()).update(tuple(analyse(x)) for x in entry.terms if analyse(x))
        return forms

    def stop_acronyms(self, result: SearchResult) -> list[str]:
        """The acronyms the question writes that are also stop words ("HAS", "DES", "AS"), folded: the analysis
        drops them, their long forms stand for them ("c'est quoi la HAS ?" had no term left and was refused)."""
        return [
            fold(token)
            for token in dict.fromkeys(re.findall(r"[A-Za-zÉé0-9]{2,12}", result.question))
            if token.isupper() and not analyse(token) and self.index.glossary.lookup(token)
        ]

    def acronym_forms(self, result: SearchResult) -> dict[str, set[tuple[str, ...]]]:
        """The long forms of the acronyms the question writes (``_long_forms``): names, held as written."""
        return self._long_forms(result, everyday=False)

    def stands_for(self, result: SearchResult) -> dict[str, set[tuple[str, ...]]]:
        """Every long form that stands for a question term (``_long_forms``)."""
        return self._long_forms(result, everyday=True)

    def passage_pairs(self, chunk_id: str) -> frozenset[tuple[str, str]]:
        """The ordered pairs of terms of the passage's sentences, title and headings that stand side by side or
        one term apart ("établissements publics de santé" holds "établissement… santé")."""

        def compute() -> frozenset[tuple[str, str]]:
            chunk = self.index.chunks[chunk_id]
            parts = [chunk.text[s:e] for s, e in sentences(chunk.text)] + [chunk.title or "", *chunk.breadcrumb]
            out = set()
            for part in parts:
                toks = analyse(part)
                out.update(zip(toks, toks[1:], strict=False))
                out.update(zip(toks, toks[2:], strict=False))
            return frozenset(out)

        return self.index.memo("_passage_pairs", chunk_id, compute)

    def focus(self, result: SearchResult) -> list[Focus]:
        """The question's subject terms: its analysed terms less the words of its intent and generic question
        words, each with its IDF, the terms that stand for it (the long form of an acronym, the lexicon's legal
        terms for an everyday word) and the words of the lexicon's phrase it belongs to. A term the corpus does
        not know and nothing stands for is left out."""
        lexical = self.index.lexical
        stands_for = self.stands_for(result)
        names = self.acronym_forms(result)
        idle = self.idle_terms(result)
        units: dict[str, frozenset[str]] = {}
        if "lexicon" not in self.retriever.off:
            for entry in self.retriever.lexicon.matches(result.question):
                if len(entry.stems) > 1:
                    for t in entry.stems:
                        units.setdefault(t, frozenset(entry.stems))
        # A name the question writes in full ("projet régional de santé", the long form of an acronym) is one
        # notion, held as written: not by "projet territorial de santé" in a passage that says "régional"
        # elsewhere.
        orders: dict[str, tuple[str, ...]] = {}
        for name in self.names.spelled_in_tokens(analyse(result.question)):
            for t in name:
                if t not in units:
                    units[t], orders[t] = frozenset(name), name
        out = []
        for term in dict.fromkeys(result.terms + analyse(" ".join(result.acronyms)) + self.stop_acronyms(result)):
            if term in QUESTION_WORDS or re.match(r"^\d+$", term) or (term == "age" and result.intent == "age"):
                continue  # "à partir de quel âge … ?" asks for an age: the subject is the rest
            alternatives = frozenset(stands_for.get(term, ()))
            if term not in lexical.df and not alternatives:
                continue  # unknown to the corpus and not translated: nothing to look for
            weight = lexical.idf(term) * (IDLE_WEIGHT if term in idle else 1.0)
            unit = units.get(term, frozenset({term}))
            out.append(Focus(term, weight, alternatives, unit, frozenset(names.get(term, ())), orders.get(term, ())))
        return sorted(out, key=lambda f: -f.weight)

    def idle_terms(self, result: SearchResult) -> set[str]:
        """Terms of the question that come only from words that do not carry its subject ("veut", "trop",
        "concrètement", "max"): they count ``IDLE_WEIGHT`` in the subject a passage must hold, so that a long
        question told in everyday words ("Ma fille de 14 ans veut prendre la pilule, mais je trouve qu'elle est
        trop jeune...") is not refused for the words of its story."""
        idle, carried = set(), set()
        for w, carries in subject_words(result.question if not result.translated else result.translated):
            (carried if carries else idle).update(analyse(w))
        # ... but a word the lexicon gives legal terms for carries it, a verb too ("un mineur peut-il avorter… ?",
        # "peut-on fumer dans un bar ?": the interruption volontaire de grossesse, the interdiction de fumer)
        if "lexicon" not in self.retriever.off:
            for entry in self.retriever.lexicon.matches(result.question):
                carried.update(entry.stems or analyse(entry.trigger))
        return idle - carried

    def names_year(self, chunk, year: str, text_only: bool = False) -> bool:
        """The passage's text, title or date, or its document's, names ``year`` (``text_only``: its text). A code
        article's date is the version of the law the corpus holds, not a year the article is about: only its
        text counts."""
        doc = self.index.documents.get(chunk.doc_id, {})
        if text_only or doc.get("kind") == "legifrance" or chunk.article and doc.get("doc_type") == "code":
            # a code's NOTA says from when a version of the law applies ("au plus tard le 1er janvier 2022"), not
            # a year the article is about
            return year in NOTA.split(chunk.text, 1)[0]
        return any(year in (x or "") for x in (chunk.text, chunk.title, chunk.date, doc.get("title"), doc.get("date")))

    def place_text(self, chunk) -> str:
        """The passage with its title and headings, as ``places.key`` reads it (kept for the last passages read)."""
        return self.index.memo(
            "_place_text", chunk.chunk_id, lambda: place_key(" ".join([chunk.text, chunk.title, *chunk.breadcrumb]))
        )

    def about(self, chunk_id: str, focus: list[Focus]) -> bool:
        """The passage (with its title and headings) holds at least ``FOCUS_SHARE`` of the subject's weight."""
        if not focus:
            return True
        context = self.index.context_terms(chunk_id)
        pairs = self.passage_pairs(chunk_id)
        total = sum(f.weight for f in focus)
        return sum(f.weight for f in focus if f.held(context, pairs)) >= FOCUS_SHARE * total

    def names_subject(self, chunk_id: str, start: int, subject: list[Focus]) -> bool:
        """The sentence of the passage that starts at ``start``, the sentence before it or the passage's first
        sentence holds a subject term of the question, or a long form of it."""
        starts = self.index.memo(  # each sentence's start -> its position and end
            "_sentence_starts",
            chunk_id,
            lambda: {s: (k, e) for k, (s, e) in enumerate(sentences(self.index.chunks[chunk_id].text))},
        )
        analysed = self.index.analysed_sentences(chunk_id)
        if start not in starts:
            return True
        i, end = starts[start]
        own = set(analysed[i])
        seen = own | set(analysed[0]) | (set(analysed[i - 1]) if i else set())
        pairs = self.passage_pairs(chunk_id)
        # "ce congé", "cette commission": the sentence speaks of the one named before
        recalled = set(analyse(" ".join(DEMONSTRATIVE.findall(self.index.chunks[chunk_id].text[start:end]))))

        def names(f: Focus) -> bool:
            if f.held(own, pairs):
                return True
            # A sentence that names another of the notion's kind ("un congé de présence parentale" when the
            # "congé de paternité" is asked, named in the passage's first sentence) is not about it.
            part = (f.unit & own) - recalled
            if len(f.unit) > 1 and part and not f.unit <= own:
                return False
            return f.held(seen, pairs)

        return any(names(f) for f in subject)

    def closeness(self, result: SearchResult, hits: list[Hit]) -> float | None:
        """How close the question's meaning is to its best passages: the highest cosine of a top-3 passage to the
        query vector (a long passage's best later window's for the model that reads openings, when the generation
        has windows), for each model of a mix, averaged; None when the dense side did not search (vectors pending,
        ``dense=False``, a lookup)."""
        qvec = result.query_vector
        if qvec is None or not hits:
            return None
        vectors = self.index.store.vectors([h.chunk.chunk_id for h in hits[:3]])
        if not vectors:
            return None
        matrix = np.stack(list(vectors.values())).astype(np.float64)
        slices = getattr(self.index.embedder, "slices", None)
        cosines = part_cosines(matrix, qvec, slices)
        windowed = result.windowed
        if windowed is not None:  # its part is one of the mix's (``window_bests``), 0 for one model
            # a passage is as close as its best window, as the search scored it (``assistant.windows``)
            cosines[windowed.part] = with_windows(
                list(vectors), cosines[windowed.part], self.index.lexical, windowed.full
            )
        best = [float(cos.max()) for cos in cosines]
        return sum(best) / len(best)

    def evidence(self, result: SearchResult, hits: list[Hit]) -> tuple[float, float]:
        """The refusal signal and the threshold it is held to, both calibrated on the dev sets (``evals tune``):
        ``coverage`` plus ``closeness_weight`` times the question's ``closeness`` to its passages less
        ``closeness_centre``, kept within [0, 1], against ``min_coverage``; a search without the closeness (no
        vectors, the dense side off) holds its coverage alone to the threshold calibrated for it
        (``min_coverage_alone``)."""
        return self.evidence_read(result, hits)[:2]

    def evidence_read(self, result: SearchResult, hits: list[Hit]) -> tuple[float, float, bool]:
        """``evidence``, and whether it was read as calibrated: False for a search without the closeness on an
        index calibrated with it (its coverage alone against ``min_coverage_alone``), where the confidence's margin
        was not measured."""
        cov = self.coverage(result, hits)
        weight = self.settings.closeness_weight
        near = self.closeness(result, hits) if weight else None
        if near is None:
            alone = self.settings.min_coverage_alone if weight else None
            return cov, self.settings.min_coverage if alone is None else alone, not weight
        strength = evidence_strength(cov, near, weight, self.settings.closeness_centre)
        return strength, self.settings.min_coverage, True

    def coverage(self, result: SearchResult, hits: list[Hit]) -> float:
        """Best share of the question's IDF weight held by one or two adjacent sentences of a top-3
        passage."""
        weights = {t: self.index.lexical.idf(t) for t in dict.fromkeys(result.terms + self.stop_acronyms(result))}
        # A question word is also found where a long form of it is: "avorter" in a sentence on the
        # "interruption volontaire de grossesse", "CRSA" where the conference is named in full.
        alternatives = {t: alts for t, alts in self.stands_for(result).items() if t in weights and alts}

        # "quel est le rôle de l'ARS ?": the codes say the role as "a pour mission" (L. 1431-1 held 0.22 of the
        # question's words, "rôle" the rarest: refused). A role question's word for the role is held by a sentence
        # whose subject is the notion asked about and that says its role ("Les agences régionales de santé
        # contribuent…", "… a pour missions", "… est chargée de"); not by any "missions" ("L'ANSM exerce ses
        # missions" does not say the role of another agency).
        role_words, forms = role_reading(result, weights)

        def with_alternatives(sentence_terms: set[str]) -> set[str]:
            return sentence_terms | {
                t for t, alts in alternatives.items() if any(set(a) <= sentence_terms for a in alts)
            }

        def held(chunk_id: str) -> list[set[str]]:
            terms = [with_alternatives(x) for x in self.index.analysed_sentences(chunk_id)]
            if role_words:
                said = role_flags(self.index.chunks[chunk_id].text, forms)
                terms = [x | role_words if flag else x for x, flag in zip(terms, said, strict=True)]
            return terms

        return max((window_coverage(held(h.chunk.chunk_id), weights) for h in hits[:3]), default=0.0)

    def ask(
        self, question: str, dense: bool = True, generate: bool = True, searched: SearchResult | None = None
    ) -> Answer:
        """``generate``: False answers extractively even when an LLM backend is set (a server's warm-up).
        ``searched``: the question's search already made (``retriever.search(question, search_k, dense=dense)``),
        which the answer then reads instead of searching again (``evals tune`` reads both); ``dense`` is not read
        then, and the answer's timings count no search."""
        t0 = time.perf_counter()
        result = (
            searched if searched is not None else self.retriever.search(question, self.settings.search_k, dense=dense)
        )
        t = time.perf_counter()
        hits = result.hits[: self.settings.search_k]
        lookup = [h for h in hits if h.reason == "lookup"]
        if result.missing_articles and not lookup:
            names = ", ".join(display_article(a) for a in result.missing_articles)
            what = "Le paragraphe" if names.startswith("§") else "L'article"
            text = (
                f"{what} {names} ne figure pas dans le corpus indexé ; je ne peux pas en citer le contenu. "
                "Passages les plus proches :"
            )
            return self._refusal(question, result, hits, text, t0, t)
        # Another code's subject first: its refusal says where the answer is.
        outside = not lookup and "outside" not in self.retriever.off
        if outside:
            refused = self._outside(question, result, hits, [h.chunk.text for h in hits[:OUTSIDE_PASSAGES]], t0, t)
            if refused:
                return refused
        unknown = self.unknown_words(result)
        if unknown and not lookup:
            listed = ", ".join(f"« {w} »" for w in unknown)
            text = (
                f"Aucun document du corpus ne mentionne {listed} : je ne peux pas répondre à partir du corpus. "
                "Passages les plus proches, à vérifier :"
            )
            return self._refusal(question, result, hits, text, t0, t)
        best_cov, threshold, as_calibrated = self.evidence_read(result, hits)
        if not lookup and best_cov < threshold:
            return self._refusal(question, result, hits, NO_ANSWER, t0, t, best_cov)
        extractive = self._compose(question, result, hits, lookup, t0, t, best_cov)
        if outside and extractive.answered:
            # ... and the sentences that answer must say it, not only a passage found ("congés payés" of an
            # employee is not answered by the praticiens' "congé annuel" beside an article on the caisses de
            # congés payés).
            said = [s for c in extractive.citations for s in c.sentences]
            refused = self._outside(question, result, hits, said, t0, t)
            if refused:
                return refused
        if extractive.answered:
            cited = extractive.citations[0].doc_id
            named = cites_asked_article(result, hits, cited)
            margin = best_cov - threshold if as_calibrated else None
            extractive = replace(extractive, confidence=self.confidence(hits, margin, named, cited))
        if self.settings.llm_backend == "none" or not extractive.answered or not generate:
            return extractive
        return self._generate(question, result, lookup or hits, extractive)

    def confidence(self, hits: list[Hit], margin: float | None, named: bool = False, cited: str = "") -> str:
        """An answer's confidence (``Answer.confidence``): "high" when its evidence strength passes the refusal
        threshold by ``confident_margin`` (``margin``: None where the strength was not read as calibrated, a search
        without its dense side) and the article it cites first (``cited``, a document id) leads the next one found
        by ``confident_lead`` of its score (``article_lead``) and the dense side puts it at least at
        ``confident_dense`` among the candidates (``dense_place``), as ``evals tune`` calibrated them on the dev
        sets for answers that cite their evidence (``confident_precision``); an article asked by its number and cited
        (``named``) is "high". "low" otherwise (the answer is to check), "" on an index not calibrated for it."""
        s = self.settings
        if s.confident_margin is None or s.confident_lead is None:
            return ""
        if named:
            return "high"
        if margin is None:
            return "low"
        return (
            "high"
            if margin >= s.confident_margin
            and article_lead(hits, cited) >= s.confident_lead
            and dense_place(hits, cited) >= (s.confident_dense or 0.0)
            else "low"
        )

    def _outside(self, question, result, hits, texts: list[str], t0, t) -> Answer | None:
        """The refusal of a question on another code's subject that none of ``texts`` speaks of, or None."""
        other = outside_subject(result.question, lambda: self.index.codes, texts)
        if other is None:
            return None
        text = (
            f"« {other.words} » relève {other.of_code}, que le corpus ne contient pas : je ne peux pas "
            "répondre à partir du corpus. Passages les plus proches, à vérifier :"
        )
        return self._refusal(question, result, hits, text, t0, t)

    def _generate(self, question: str, result: SearchResult, hits: list[Hit], extractive: Answer) -> Answer:
        """An LLM answer over the same passages, kept only where the verifier finds each sentence in the
        passages it cites; otherwise the extractive answer with a notice."""
        t = time.perf_counter()
        pool = hits[: self.settings.llm_passages]
        try:
            text = self.llm.generate(question, pool)
        except Exception as exc:  # network errors, timeouts, bad replies: the extractive answer stands
            reason = (
                "délai dépassé"
                if "timeout" in type(exc).__name__.lower() or "timed out" in str(exc)
                else str(exc)[:200]
            )
            return replace(
                extractive, notice=f"Le modèle de langage n'a pas répondu ({reason}) : réponse extraite des passages."
            )
        checked = check(
            text,
            [passage_text(h, self.settings.llm_passage_chars) for h in pool],
            embed=self._embed_texts,
            min_terms=self.settings.verify_min_terms,
            min_similarity=self.settings.verify_min_similarity,
        )
        kept = [c for c in checked if c.supported]
        unsupported = tuple((c.sentence, c.reason) for c in checked if not c.supported)
        timings = dict(extractive.timings_ms)
        timings["llm"] = (time.perf_counter() - t) * 1000
        if not kept:
            return replace(
                extractive,
                unsupported=unsupported,
                timings_ms=timings,
                notice="La réponse du modèle de langage n'a pas pu être vérifiée dans les sources : "
                "réponse extraite des passages.",
            )
        numbers: dict[int, int] = {}
        for c in kept:
            for n in c.cited:
                numbers.setdefault(n, len(numbers) + 1)
        parts, used = [], {}
        for c in kept:
            body = re.sub(r"\s*\[\d{1,2}\]", "", c.sentence).strip()
            marks = "".join(f"[{numbers[n]}]" for n in c.cited)
            parts.append(f"{body} {marks}")
            for n in c.cited:
                used.setdefault(n, []).append(body)
        docs = self.index.documents
        citations = tuple(
            citation_of(
                docs,
                new,
                pool[old - 1].chunk,
                pool[old - 1].score,
                tuple(used[old]),
                self._title(pool[old - 1]),
                self.index.shown_heading,
            )
            for old, new in numbers.items()
        )
        timings["total"] = extractive.timings_ms.get("total", 0.0) + timings["llm"]
        return replace(
            extractive,
            answer=" ".join(parts),
            citations=citations,
            generated=True,
            unsupported=unsupported,
            timings_ms=timings,
            notice=f"{len(unsupported)} phrase(s) générée(s) non vérifiée(s) retirée(s)." if unsupported else "",
        )

    @cached_property
    def llm(self):
        return LLM(self.settings)

    def _embed_texts(self, texts):
        embedder = self.index.embedder  # a mix of models: its first one (``MixEmbedder.sentence_embedder``)
        return getattr(embedder, "sentence_embedder", embedder).embed(list(texts))

    def _refusal(self, question, result, hits, text, t0, t, cov=0.0) -> Answer:
        timings = dict(result.timings_ms)
        timings["answer"] = (time.perf_counter() - t) * 1000
        timings["total"] = (time.perf_counter() - t0) * 1000
        return Answer(question, text, False, (), tuple(result.hits), timings, result.query)

    def _compose(self, question, result, hits, lookup, t0, t, best_cov) -> Answer:
        asked = result.question  # as searched: chat spellings spelled out ("cmb" is "combien")
        terms = list(dict.fromkeys(result.terms + analyse(" ".join(result.acronyms))))
        # the asker's speech ("puis-je", "je voulais savoir") chooses no sentence: "puis" of "puis-je" weighed as a
        # rare word in any sentence that says "puis"
        read = analysed_words(result.question)
        # ... but a term that a word of the question's subject gives too stays ("fériés" and "fera" stem alike)
        speech = {t for w, t in read if speech_word(w)} - {t for w, t in read if not speech_word(w)}
        if speech and any(x not in speech for x in terms):
            terms = [x for x in terms if x not in speech]
        if lookup:
            terms = [x for x in terms if x not in LOOKUP_NOISE and not is_number_term(x)]
        weights = {x: self.index.lexical.idf(x) for x in terms}
        for x in analyse(" ".join(result.expansions)):  # long forms of the question's acronyms count less
            weights.setdefault(x, self.settings.expansion_weight * self.index.lexical.idf(x))
        pool = lookup or hits[:3]
        top_score = pool[0].score if pool else 0.0
        notes_count = ABOUT_FORCE.search(fold(asked)) is not None  # the question asks about entry into force
        about_decree = ABOUT_DECREE.search(fold(asked)) is not None  # ... or about a decree
        # a role question's word for the role ("rôle", "missions") is said by a sentence whose subject is the notion
        # and that says its role, as the evidence reads it (``coverage``): not by "La Haute Autorité de santé peut
        # participer à des activités … se rapportant à ses missions" ("quelles sont les missions de la HAS ?")
        role_words, role_forms = role_reading(result, weights) if not lookup else (set(), [])
        # of each passage whose sentences may answer (below), which of its sentences say the role
        said_in = (
            {h.chunk.chunk_id: role_flags(h.chunk.text, role_forms) for h in pool if h.score >= 0.5 * top_score}
            if role_words
            else {}
        )
        if not any(any(flags) for flags in said_in.values()):
            # none of the passages says the notion's role: the word is read as written (with none held, "quel est
            # le rôle de la CPAM ?" was led by an item of the CNAM's list that names the caisses primaires)
            role_words = set()
        lead = LEARNED_RANK_LEAD if result.learned and not lookup else RANK_LEAD
        candidates = []  # (score, rank, start, hit, sentence text)
        for rank, hit in enumerate(pool):
            if not lookup and hit.score < 0.5 * top_score:
                continue
            text = hit.chunk.text
            context = self.index.context_terms(hit.chunk.chunk_id)
            analysed = self.index.analysed_sentences(hit.chunk.chunk_id)  # the same split, analysed once
            # A code's NOTA says from when a version applies ("le premier alinéa entre en vigueur … au plus tard
            # le 1er janvier 2022"): an answer only to a question about that, never to "combien de temps … ?".
            nota = NOTA.search(text) if not notes_count else None
            for i, (s, e) in enumerate(sentences(text)):
                if nota and s >= nota.start():
                    break
                sent = text[s:e].strip()
                n_words = len(sent.split())
                if (
                    n_words < 4
                    or (HEADING_LINE.match(sent) and n_words < 25)
                    or (n_words < 20 and sent[-1] not in ".;:!?»)")
                    or (n_words < 8 and only_names(sent))
                ):
                    continue  # a title or heading line, not an answer; nor a name alone ("URSSAF de la Côte-d'Or.")
                if not about_decree and DECREE_FORMULA.match(fold(sent)):
                    continue  # "Un décret fixe les conditions d'application du présent article."
                if ORDER.search(fold(sent)):
                    continue  # an order to the assistant inside a document is never an answer (flagged in the sources)
                toks = analysed[i]
                if role_words:
                    toks = toks | role_words if said_in[hit.chunk.chunk_id][i] else toks - role_words
                # a term found elsewhere in the passage (or in what it is indexed under: its title, the
                # acronym of a long form it spells out) half-counts, one of its last two headings counts in
                # full: the sentence is read in its context
                score = sentence_score(toks, context, weights, self.index.heading_terms(hit.chunk.chunk_id))
                if lookup and not terms:
                    score = 1.0 - 0.01 * (10 * rank + i)  # "que prévoit l'article X ?": its opening sentences
                if sent.startswith("["):
                    score *= 0.5  # a template's instructions to its editor, not its content
                if not notes_count and APPLICATION_NOTE.match(sent):
                    score *= 0.5  # a code's note on when a law's version applies, not what it provides
                if n_words > 40 and not (lookup and not terms):  # a long sentence holds many words by chance
                    score *= (40 / n_words) ** 0.25
                score += lead / (1 + rank)
                if (hit.chunk.article or "").startswith("L"):
                    score *= LAW_LEAD  # the law says it, its decrees detail it
                candidates.append((score, rank, s, hit, sent))
        if not candidates:
            return self._refusal(question, result, hits, NO_ANSWER, t0, t, best_cov)
        if not lookup:
            # The answer must be about the question's subject: its passage holds the notion asked about (or a
            # long form or legal term of it), not only the question's other words ("qui préside la CRSA ?" is
            # not answered by "le comité régional de sécurité sanitaire est présidé par le préfet").
            focus = self.focus(result)
            candidates = [c for c in candidates if self.about(c[3].chunk.chunk_id, focus)]
            # A place the question asks about ("en Bretagne", "à Rennes") must be in the passage, its title or
            # headings: the national figure does not answer "combien de DMP ouverts en Bretagne ?".
            places = asked_places(asked)
            if places:
                candidates = [c for c in candidates if all(names_place(self.place_text(c[3].chunk), p) for p in places)]
            # And the sentence itself names it, or the one before it or the passage's opening sentence does
            # ("Il est conclu pour cinq ans" after "Le CPOM..."): "GHT c'est quoi ?" is not answered by a
            # sentence on another "groupement" of an article that names the GHT three sentences later.
            idle = self.idle_terms(result)
            subject = [f for f in focus if f.term not in idle]
            if subject:
                candidates = [c for c in candidates if self.names_subject(c[3].chunk.chunk_id, c[2], subject)]
            if not candidates:
                return self._refusal(question, result, hits, NO_ANSWER, t0, t, best_cov)
            # "qui nomme le directeur général ?" is not answered by "… sont nommés par le directeur général":
            # that sentence says whom he appoints
            candidates = [c for c in candidates if not reversed_agent(asked, c[4], self.retriever.long_forms)]
            if not candidates:
                text = not_said(MUST_HOLD.get(result.intent or "", MUST_HOLD["qui"]))
                return self._refusal(question, result, hits, text, t0, t, best_cov)
        plain_lookup = bool(lookup) and not terms  # "que prévoit l'article X ?": its opening sentences
        intent = None if plain_lookup else result.intent
        if intent:
            # A sentence holding a cue phrase of the question's intent answers it first; for who acts, so does one
            # where the question's verb acts on what it names ("Chaque organisme délivre une carte Vitale"), an
            # authority named or not, and that one more
            def cue_factors(sentence: str) -> tuple[float, float]:
                acts = intent == "qui" and acts_on_asked(asked, sentence)
                return (CUE_BOOST if acts or has_cue(sentence, intent) else 1.0), (ACTS_BOOST if acts else 1.0)

            candidates = [(c[0] * f * g, *c[1:]) for c in candidates for f, g in [cue_factors(c[4])]]
        if intent == "role":
            # "à quoi sert la commission des usagers ?" is not answered by who sits on it ("la commission peut en
            # outre comporter un ou plusieurs des membres suivants :")
            candidates = [
                (c[0] * MEMBERS_FACTOR if MEMBERS_LIST.search(fold(c[4])) else c[0], *c[1:]) for c in candidates
            ]
        if intent == "duree":  # ... and of a duration, one that gives a length of time before one that names it
            candidates = [(c[0] * LENGTH_BOOST if says_length(c[4]) else c[0], *c[1:]) for c in candidates]
        # the notion a definition, role, composition or presidency question is about, as the search read it, for
        # the two uses below (none for an article's plain lookup)
        names = result.subject if intent else []
        if names and self.settings.subject_weight:
            # "c'est quoi le FIR ?": the sentence whose subject is the notion and that defines it comes first; in
            # the plural too ("centre de santé : quelle définition ?": "Les centres de santé sont des structures
            # sanitaires de proximité…"), here only: in the rerank it moved a right article of the test set
            # (stop 53) from first to second
            forms = subject_forms(names)
            best_any = max(c[0] for c in candidates)
            # a role as the answer reads it: not "dans le champ de leurs missions" (R. 1434-39 for "quel est le
            # rôle du conseil territorial de santé ?" in the review)
            said_cue = ROLE_SAID if intent == "role" else SUBJECT_CUES[intent]
            saying = [
                c
                for c in candidates
                if opens_on(c[4], forms, said_cue, OBJECT_CUES.get(intent), whole=True)
                and c[0] >= SUBJECT_FLOOR * best_any
            ]
            # of a passage, the first sentence that says it: "Dans chaque région…, une agence régionale de santé a
            # pour mission…" before L. 1431-1's later "Les agences régionales de santé contribuent au respect…"
            firsts = {}
            for c in sorted(saying, key=lambda c: c[2]):
                firsts.setdefault(c[3].chunk.chunk_id, c)
            lead_ids = {id(c) for c in firsts.values()}
            candidates = [
                (max(c[0] * SUBJECT_BOOST, best_any * 1.01) if id(c) in lead_ids else c[0], *c[1:]) for c in candidates
            ]
        candidates.sort(key=lambda c: -c[0])
        if intent == "definition" and asks_definition(asked) and not lookup:
            # "c'est quoi X ?" is answered by a sentence about X, not by one that names X in passing: at the
            # default index "PUI à l'hôpital, ça veut dire quoi ?" was answered by the one article that names the
            # PUIs among the resources of a fund, "GHT c'est quoi" by a sentence on the territorial project. A
            # bare notion ("FIR ?") asks more loosely and keeps its answer, as does an article named ("que veut
            # dire l'article L. 162-30-2 ?").
            # only a notion read cleanly: not "CNAF, c'est quoi son rôle" read whole, nor what another question
            # asks after "c'est quoi" / "qu'est-ce que" ("le délai pour contester…", "je risque…", "les
            # conditions pour…", "on appelle…"; "déjà le tiers payant" is read "tiers payant" since stop 52,
            # ``subject_names`` setting aside the words that stress the question); a one-word notion with the long
            # forms and legal terms of the question ("PuMa" is written nowhere, "protection universelle maladie" is)
            if notion_read(names):
                if len(notion_terms(names[0])) == 1:
                    names = names + [fold(x) for x in result.expansions + result.legal_terms]
                best_any = candidates[0][0]
                # a sentence about the notion, or one of a section named after it ("Protection maternelle et
                # infantile": its articles are about it, as the answer's choice of sentences reads them)
                if not any(
                    c[0] >= RELATIVE_FLOOR * best_any
                    and (introduces(c[4], names) or names_notion(self.index.heading_terms(c[3].chunk.chunk_id), names))
                    for c in candidates
                ):
                    return self._refusal(question, result, hits, not_said(NOT_DEFINED), t0, t, best_cov)
        kind = None if lookup else expected_type(asked)  # a number, a date, a name... (``assistant.answertype``)

        def says_asked(sentence: str) -> bool:
            """The sentence says what a ``MUST_HOLD`` intent asks."""
            return (
                has_cue(sentence, intent)
                # "qui nomme le directeur ?": "Le directeur dirige la caisse" names an authority, not who appoints
                and (intent != "qui" or names_action(asked, sentence))
                # a number answers "combien ?"; a length of time, which the duration's cues hold, "combien
                # de temps ?" ("signé avec trois syndicats" does not say for how long)
                or (intent == "montant" and has_type(sentence, "nombre"))
                or (intent == "duree" and says_until(sentence))
                # "Chaque organisme … délivre une carte Vitale" says who delivers it, naming no authority
                or (intent == "qui" and acts_on_asked(asked, sentence))
                # "à quelle fréquence ?": "une fois par an"; "à partir de quand ?": a date
                or (kind in ("quand", "frequence", "date") and has_type(sentence, kind))
            )

        if intent in MUST_HOLD:
            # "qui préside ?", "quelle durée ?": a good sentence must say it, else the corpus does not answer.
            best_any = candidates[0][0]
            cued = [c for c in candidates if c[0] >= RELATIVE_FLOOR * best_any and says_asked(c[4])]
            if not cued:
                return self._refusal(question, result, hits, not_said(MUST_HOLD[intent]), t0, t, best_cov)
            candidates = cued + [c for c in candidates if c not in cued]
        if kind:
            # The question expects a number, a date or a name: only sentences that hold one may answer it.
            best_any = candidates[0][0]
            candidates = [c for c in candidates if has_type(c[4], kind) and c[0] >= RELATIVE_FLOOR * best_any]
            if intent in MUST_HOLD and candidates and not any(says_asked(c[4]) for c in candidates):
                # the sentences that say what is asked hold no number, those left hold one but do not say it
                # ("combien de temps ?" is not answered by "… conformément aux articles 371-1 à 373-2-1")
                return self._refusal(question, result, hits, not_said(MUST_HOLD[intent]), t0, t, best_cov)
            if not candidates:
                text = (
                    f"Les passages trouvés ne donnent pas {TYPE_LABEL[kind]} en réponse à cette question : "
                    "je ne peux pas répondre à partir du corpus. Passages les plus proches, à vérifier :"
                )
                return self._refusal(question, result, hits, text, t0, t, best_cov)
        years = [] if lookup else YEAR.findall(asked)
        if years and (kind in ("nombre", "argent", "date", "quand", "frequence") or intent == "montant"):
            # "le montant du FIR en 2023", "combien de CPTS fin 2019", "le plan 2023-2025 adopté quand ?": the
            # passage must be about that year, not give the figure or the date of another one. A number's year may
            # be in the passage's text, title or date; a date's only in its text (a document dated 2019 does not
            # date the adoption of the 2019 plan). Dates since stop 38: `dev_agents` refusal_accuracy +0.05 on
            # each index with the money type's, nothing lost (tried before the answer types were stricter, it had
            # cost questions.jsonl an answer on each index).
            text_only = kind in ("date", "quand", "frequence")
            candidates = [c for c in candidates if all(self.names_year(c[3].chunk, y, text_only) for y in years)]
            # ... nor a sentence that dates its own figure in another year ("131 contrats signés de CPTS au 17 juin
            # 2021" does not answer "combien de CPTS en 2019 ?"); a period asked ("sur 2017-2021") holds its years
            lo, hi = min(map(int, years)), max(map(int, years))
            candidates = [
                c
                for c in candidates
                if not (own := [int(y) for y in YEAR.findall(without_references(c[4]))])
                or any(lo <= y <= hi for y in own)
            ]
            if not candidates:
                text = (
                    f"Les passages trouvés ne portent pas sur {' ni '.join(dict.fromkeys(years))} : je ne peux pas "
                    "répondre à partir du corpus. Passages les plus proches, à vérifier :"
                )
                return self._refusal(question, result, hits, text, t0, t, best_cov)
        for thing, number in [] if lookup else numbered_things(asked):
            # "l'avenant 9 signé quand ?" is not answered by the avenant n° 7's signature
            kept = [c for c in candidates if other_number(c[4], thing, number) is None]
            if not kept:
                other = other_number(candidates[0][4], thing, number)
                name = NUMBERED_NAMES.get(thing, thing)
                text = (
                    f"Les passages trouvés portent sur « {name} {other} », pas sur « {name} {number} » : je ne peux "
                    "pas répondre à partir du corpus. Passages les plus proches, à vérifier :"
                )
                return self._refusal(question, result, hits, text, t0, t, best_cov)
            candidates = kept
        nouns = counted_nouns(asked, self.index.glossary.lookup) if kind == "nombre" else []
        if nouns:
            # "combien de membres ?": a number of members, not any number ("nommés pour cinq ans").
            counted = nouns[0]
            candidates = [c for c in candidates if gives_count(c[4], nouns)]
            if not candidates:
                text = (
                    f"Les passages trouvés ne donnent pas de nombre de « {counted} » : je ne peux pas répondre à "
                    "partir du corpus. Passages les plus proches, à vérifier :"
                )
                return self._refusal(question, result, hits, text, t0, t, best_cov)
        best = candidates[0][0]
        # First the best sentence of each passage that holds a good one (several agreeing passages make the
        # answer checkable in more places), then the next best sentences while there is room: at most
        # ``max_answer_sentences`` and ``ANSWER_WORDS`` words, the first sentence always.
        chosen, said = [], set()
        good = [c for c in candidates if c[0] >= RELATIVE_FLOOR * best]
        firsts = {}
        for c in good:
            firsts.setdefault(c[3].chunk.chunk_id, c)
        order = good if plain_lookup else [good[0]] + list(firsts.values()) + good
        shape = shape_of(intent)
        limit = (
            min(2, self.settings.max_answer_sentences)
            if shape in ("definition", "fact", "oui_non")
            else self.settings.max_answer_sentences
        )
        for c in order:
            key = " ".join(c[4].split())
            if key in said or len(chosen) >= limit:
                continue
            chosen.append(c)
            said.add(key)  # the same sentence in two passages (a decree repeating the law) is said once
        lead = chosen[0]
        # A list question's answer, or a lead sentence that announces a list ("sont constituées :"), is
        # followed by the enumerated items, each cited: the sentence alone says nothing.
        announces = lead[4].rstrip().endswith(":")
        items = enumerated_items(lead[3].chunk.text, lead[2]) if shape == "list" or announces else []
        if not plain_lookup:
            chosen = [lead] + sorted((c for c in chosen[1:] if not items), key=lambda c: (c[1], c[2]))
        else:
            chosen.sort(key=lambda c: (c[1], c[2]))
        # A lead sentence that opens on a pronoun ("Il est conclu pour cinq ans", "Elles valident les méthodes")
        # says nothing alone: the sentence before it in its passage, which names what it is about, comes first.
        head = chosen[0]
        refers = ANAPHORIC.match(head[4]) and not IMPERSONAL.match(head[4])
        before = antecedent(head[3].chunk.text, head[2]) if refers and not plain_lookup else None
        moved = None
        if before:  # already in the answer: it comes first (a list's lead keeps none of the other sentences)
            key = " ".join(before[1].split())
            moved = next((c for c in chosen if " ".join(c[4].split()) == key), None)
        if moved:
            chosen = [moved] + [c for c in chosen if c is not moved]
            before = (moved[2], moved[4])
        elif before and (shown_whole(before[1]) or PRONOUN.match(head[4])):
            # a long antecedent too when the lead opens on a pronoun, which names nothing ("Cette sanction" does),
            # shown from its clauses that hold the question's words within the lead's room: alone, "Ils ont
            # également seuls qualité pour … appliquer les semelles" answered "un kiné peut-il prescrire des
            # semelles ?" (they are the pédicures-podologues of the sentence before)
            chosen.insert(0, (head[0], head[1], before[0], head[3], before[1]))
        else:
            before = None
        first = 1 if before else 0  # where the lead sentence is: after its antecedent, when one comes first
        # A lead that is an item of a list ("-le préfet de région ;", "4° Définit l'offre d'examens…") says little
        # without the sentence that announces the list ("Participent, avec voix consultative, … :", "Le schéma
        # régional de santé :"): that sentence opens it, and is not said again later.
        announced = None if before or plain_lookup else list_head(head[3].chunk.text, head[2])
        if announced:
            # chosen for itself too, the announcement gives its place to its first item ("1° Indique… les
            # besoins en implantations…"), unless that item is the lead
            chunk_id = head[3].chunk.chunk_id
            again = next((c for c in chosen if c[3].chunk.chunk_id == chunk_id and c[2] == announced[0]), None)
            first_item = next_item(head[3].chunk.text, announced[0]) if again else None
            if first_item and (first_item[0] == head[2] or " ".join(first_item[1].split()) in said):
                first_item = None
            chosen = [
                (c[0], c[1], first_item[0], c[3], first_item[1]) if c is again and first_item else c
                for c in chosen
                if c is not again or first_item
            ]
        said_items = {ITEM_DASH.sub("", x) for x in said}  # as ``enumerated_items`` gives them, without a dash
        numbers: dict[str, int] = {}
        used: dict[str, list[str]] = {}
        parts = []
        n_words = 0
        for i, (_score, _rank, start, hit, sent) in enumerate(chosen):
            n = numbers.setdefault(hit.chunk.chunk_id, len(numbers) + 1)
            shown = _display_sentence(sent, hit.chunk.locator)
            used.setdefault(hit.chunk.chunk_id, []).append(shown)  # the whole sentence stays in the citation
            # a later sentence that announces a list says nothing without it ("L'agence a pour missions :"): its first
            # item follows it, from its opening and within what room is left, the others are in the cited passage
            announces_list = i > first and not plain_lookup and sent.rstrip().endswith(":")
            listed = enumerated_items(hit.chunk.text, start) if announces_list else []
            opener = ""
            if i == first and announced:
                said_first = _display_sentence(announced[1], hit.chunk.locator)
                used[hit.chunk.chunk_id].insert(-1, said_first)
                opener = announcement(said_first)
            if i == first and shape == "fact" and not items:
                shown = fact_clause(shown, intent, kind)
            elif not plain_lookup:
                # Past the word budget, a sentence is shown from its clauses that hold the question's terms.
                room = LEAD_WORDS if i <= first else max(CLAUSE_WORDS, ANSWER_WORDS - n_words)
                room = max(CLAUSE_WORDS, room - len(opener.split()))
                if len(shown.split()) > room:
                    # a definition's or a role's lead that opens on the notion keeps its opening: "à quoi sert la
                    # CPAM ?" was answered "… maternité, paternité, invalidité, décès …", L. 211-1 without its
                    # "Les caisses primaires d'assurance maladie assurent la prise en charge des frais de santé"
                    opens = (
                        i == first and intent in OPENING_KEPT and opens_on(sent, subject_forms(names), ANY, whole=True)
                    )
                    shown = clause_window(shown, weights, room, opening=opens)
            # not "1° (Abrogé)", nor an item the answer already says (its lead may be that item)
            k = next((k for k, x in enumerate(listed) if not REPEALED.match(x)), None)
            if k is not None and " ".join(listed[k].split()) not in said_items:
                used[hit.chunk.chunk_id].append(listed[k])
                left = max(CLAUSE_WORDS, ANSWER_WORDS - n_words - len(shown.split()))
                item = clause_window(listed[k], weights, left, opening=True)
                announcing = shown.rstrip()  # its colon, which a cut leaves out ("… les contraceptifs …, si :")
                announcing += "" if announcing.endswith((":", "…")) else " :"
                more = any(not REPEALED.match(x) for x in listed[k + 1 :])
                shown = f"{announcing} {item}" + (" …" if more and not item.endswith("…") else "")
            shown = f"{opener} {shown}" if opener else shown
            n_words += len(shown.split())
            parts.append(f"{shown} [{n}]")
        # the sentence an anaphoric lead refers to does not take the list's room
        n_words -= len(parts[0].split()) - 1 if first and items else 0
        for k, item in enumerate(items):  # a list's items, each cited: "1° ...", "a) ...", "- ..."
            n = numbers[lead[3].chunk.chunk_id]
            if n_words >= ANSWER_WORDS + ITEM_SLACK:  # the rest of a long list is in the cited passage
                parts.append(f"\n- … ({len(items) - k} autre(s) point(s) dans la source) [{n}]")
                break
            used[lead[3].chunk.chunk_id].append(item)
            shown = item if len(item.split()) <= ITEM_WORDS else clause_window(item, weights, ITEM_WORDS)
            n_words += len(shown.split())
            parts.append(f"\n- {shown} [{n}]")
        by_id = {h.chunk.chunk_id: h for h in pool}
        docs = self.index.documents
        citations = tuple(
            citation_of(
                docs,
                n,
                by_id[cid].chunk,
                by_id[cid].score,
                tuple(used[cid]),
                self._title(by_id[cid]),
                self.index.shown_heading,
            )
            for cid, n in numbers.items()
        )
        timings = dict(result.timings_ms)
        timings["answer"] = (time.perf_counter() - t) * 1000
        timings["total"] = (time.perf_counter() - t0) * 1000
        return Answer(
            question, " ".join(parts).replace(" \n", "\n"), True, citations, tuple(result.hits), timings, result.query
        )

    def _title(self, hit: Hit) -> str:
        doc = self.index.documents.get(hit.chunk.doc_id, {})
        return doc.get("short_title") if doc.get("kind") != "legifrance" and doc.get("short_title") else hit.chunk.title
