"""Does a word of a question carry its subject? Only such a word, when the corpus never uses it, makes the
assistant refuse ("Aucun document du corpus ne mentionne « TVA »"). A common verb or adverb the corpus happens
not to use ("jouer", "vouloir", "vraiment") says nothing of the subject and never causes a refusal.

The rule, without a tagger: a word carries the subject when it is
- an acronym or a capitalised word inside the question ("TVA", "Ségur");
- preceded by a determiner or a preposition ("le chômage", "de démission", "sur l'optique");
- shaped like a noun by its ending (-tion, -age, -ité, -isme, -ique, -eur, -ance, -ence, -ure...);
- or rare in French (not above Zipf frequency 3 in ``wordfreq``'s French list: jargon, names).
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.text import fold

DETERMINERS = frozenset(
    """le la les l un une des du de d au aux mon ma mes ton ta tes son sa ses notre nos votre vos
leur leurs ce cet cette ces sur pour par en avec sans quel quelle quels quelles chez entre contre""".split()
)
# Spoken fillers whose word follows a preposition but names nothing ("le FIR finance quoi au juste ?").
FILLERS = frozenset(
    tuple(pair.split())
    for pair in (
        "au juste",
        "en fait",
        "en gros",
        "au final",
        "du coup",
        "en vrai",
        "au fond",
        "en bref",
        "en clair",
        "en cas",
        "au cas",  # "en cas d'accident": the accident is the subject, not the case
    )
)
NOUN_ENDING = re.compile(r"(?:tion|sion|age|ite|isme|ique|eur|euse|ance|ence|ure|aire|iste|ie|ise|ade|ose)s?$")
ADVERB_ENDING = re.compile(r"(?:amment|emment)$")
RARE_ZIPF = 3.0


@lru_cache(maxsize=20_000)
def zipf(word: str) -> float:
    """Zipf frequency of a French word in ``wordfreq``'s small French list, which holds the words above
    ``RARE_ZIPF`` (0 for the others): all that the rule needs, loaded in 0.03 s and a few MB, where the large
    list took 0.2 s and 34 MB of a server's memory. (The 477 words of exactly Zipf 3.0, "adjonction",
    "admirablement", are only in the large list: they now count as rare.)"""
    from wordfreq import zipf_frequency  # its word list loads on first use

    return zipf_frequency(word, "fr", wordlist="small")


def carries_subject(word: str, previous: str = "", first: bool = False) -> bool:
    """``word`` as written in the question; ``previous`` the word before it; ``first`` when it opens it."""
    if len(word) >= 2 and word.isupper():
        return True
    if word[:1].isupper() and not first:
        return True
    w = fold(word)
    if (fold(previous), w) in FILLERS:
        return False
    if fold(previous) in DETERMINERS:
        return True
    if NOUN_ENDING.search(w) and not ADVERB_ENDING.search(w):
        return True
    # wordfreq knows words with their accents: "concrètement" is common, "concretement" is not a word to it
    return max(zipf(word.lower()), zipf(w)) < RARE_ZIPF


def written_names(text: str) -> list[str]:
    """The words of ``text`` written as names: acronyms ("UNOCAM") and capitalised words after the first
    ("Les Misérables", "la Bretagne"). A name the corpus lacks is not a typo of a word it has: "Misérables" is
    not "misées", "UNOCAM" not "UNCAM"."""
    words = re.findall(r"\w+", text)
    return [w for i, w in enumerate(words) if len(w) >= 2 and (w.isupper() or (i and w[:1].isupper()))]


def subject_words(text: str) -> list[tuple[str, bool]]:
    """Each word of ``text`` as written, with whether it carries the subject (``carries_subject`` given the word
    before it)."""
    words = re.findall(r"\w+", text)
    return [(w, carries_subject(w, words[i - 1] if i else "", first=i == 0)) for i, w in enumerate(words)]
