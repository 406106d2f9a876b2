"""Places of France a question names (``places.tsv``: regions, departments, prefectures, large cities).

A figure or a fact asked of a place comes from a passage that names it: the national figure does not answer
"combien de DMP ont été ouverts en Bretagne en 2019 ?". Not asked about: the place of the asker's own situation
("Je vis à Lyon, ...", "Mon médecin est à Lyon : ...": the law of the whole country answers it) and the place in
an institution's name ("l'ARS Bretagne", "la CPAM de Paris": the codes apply to every ARS alike). Matched on the
question in lower case, hyphens and apostrophes ignored, accents kept or all left out ("Île-de-France", "ile de
france"; "maçon" is not Mâcon, "corsé" not the Corse); a name written in lower case counts only in a question
typed all in lower case ("le plus grand est-il ..." is not the Grand Est).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from assistant.lexicon import tab_pairs
from assistant.text import fold

PLACES_FILE = Path(__file__).resolve().parent / "places.tsv"
WHERE = r"(?:a|à|en|au|aux|dans)\b"
# A clause about the asker's own situation: where they live or work, where their doctor is.
ASKER = re.compile(
    rf"\b(?:je|j'|nous|on)\s*(?:vis|habite|habitons|vivons|suis|sommes|travaille|travaillons|exerce|exercons|"
    rf"reside|residons|demeure|demenage|ai demenage|suis installee?)\s+{WHERE}|"
    rf"\b(?:habitant|residant|domicilie|domiciliee|installee?)\s+{WHERE}|\bmoi qui\b|"
    rf"\b(?:mon|ma|mes|notre|nos)\s+\w+(?:\s+\w+)?\s+(?:est|sont|se trouvent?|exercent?|habitent?|vit|vivent|"
    rf"travaillent?)\s+{WHERE}"
)
# "l'ARS Bretagne", "l'ARS de Bretagne", "la CPAM de Paris", "le CHU de Rennes": an institution's name.
INSTITUTION = re.compile(
    r"\b(?:ars|cpam|caf|chu|chr|crsa|urps|dcgdr|drsm|msa|agence regionale de sante|caisse primaire"
    r"(?: d assurance maladie)?)(?:\s+(?:de|du|d|des))?$"
)


def _spaced(text: str) -> str:
    """``text`` with hyphens and apostrophes as spaces, spaces collapsed."""
    return " ".join(re.sub(r"[-'’]", " ", text).split())


def key(text: str) -> str:
    """The folded words of a name or a text, hyphens and apostrophes as spaces."""
    return _spaced(fold(text))


def _lower(text: str) -> str:
    """``text`` in lower case with its accents, hyphens and apostrophes as spaces."""
    return _spaced(text.lower())


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    names = {_lower(place) for place, _kind in tab_pairs(PLACES_FILE, "place<TAB>kind")}
    forms = sorted(names | {key(n) for n in names}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in forms) + r")(?!\w)")


def places_in(text: str) -> list[str]:
    """The places ``text`` names, as keys (``key`` of their name)."""
    return list(dict.fromkeys(key(m.group(0)) for m in _pattern().finditer(_lower(text))))


def asked_places(question: str) -> list[str]:
    """The places the question asks about: those of its clauses that do not tell the asker's own situation,
    outside an institution's name, written with a capital unless the whole question is in lower case."""
    lower_typist = not re.search(r"(?<!^)\b[A-ZÀ-Ý][a-zà-ÿ]", question.strip())
    out: list[str] = []
    for clause in re.split(r"[,;:.!?()\n]", question):
        if ASKER.search(fold(clause)):
            continue
        spaced = _spaced(clause)
        for m in _pattern().finditer(_lower(clause)):
            written = spaced[m.start() : m.end()]
            if not (written[:1].isupper() or lower_typist):
                continue
            if INSTITUTION.search(key(spaced[: m.start()])):
                continue
            out.append(key(m.group(0)))
    return list(dict.fromkeys(out))


def names_place(keyed: str, place: str) -> bool:
    """``keyed`` (the ``key`` of a passage with its title and headings) names ``place`` (a key of ``places_in``)."""
    return re.search(rf"(?<!\w){re.escape(place)}(?!\w)", keyed) is not None
