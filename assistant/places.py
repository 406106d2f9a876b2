"""Places of France a question names (``places.tsv``: regions, departments, prefectures, large cities).

A figure or a fact asked of a place comes from a passage that names it: the national figure does not answer
"combien de DMP ont été ouverts en Bretagne en 2019 ?". The place of the asker's own situation ("Je vis à
Lyon, ...", "Mon médecin est à Lyon : ...") is not asked about: the law of the whole country answers it.
Matched on the folded words (accents, case, hyphens and apostrophes ignored), so "bretagne", "BRETAGNE" and
"Bretagne :" are one place.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from assistant.lexicon import tab_pairs
from assistant.text import fold

PLACES_FILE = Path(__file__).resolve().parent / "places.tsv"
# A clause about the asker's own situation: where they live or work, where their doctor is.
ASKER = re.compile(
    r"\b(?:je|j'|nous|on)\s*(?:vis|habite|habitons|vivons|suis|sommes|travaille|travaillons|exerce|exercons|"
    r"reside|residons|demeure|demenage)\b|"
    r"\b(?:mon|ma|mes|notre|nos)\s+\w+(?:\s+\w+)?\s+"
    r"(?:est|sont|se trouvent?|exercent?|habitent?|vit|vivent|travaillent?)\b"
)


def key(text: str) -> str:
    """The folded words of a name or a text, hyphens and apostrophes as spaces."""
    return " ".join(re.sub(r"[-'’]", " ", fold(text)).split())


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    names = sorted({key(place) for place, _kind in tab_pairs(PLACES_FILE, "place<TAB>kind")}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in names) + r")(?!\w)")


def places_in(text: str) -> list[str]:
    """The places ``text`` names, as keys."""
    return list(dict.fromkeys(m.group(0) for m in _pattern().finditer(key(text))))


def asked_places(question: str) -> list[str]:
    """The places the question asks about: those of its clauses that do not tell the asker's own situation."""
    out: list[str] = []
    for clause in re.split(r"[,;:.!?()\n]", question):
        if not ASKER.search(fold(clause)):
            out.extend(places_in(clause))
    return list(dict.fromkeys(out))


def names_place(keyed: str, place: str) -> bool:
    """``keyed`` (the ``key`` of a passage with its title and headings) names ``place`` (a key of ``places_in``)."""
    return re.search(rf"(?<!\w){re.escape(place)}(?!\w)", keyed) is not None
