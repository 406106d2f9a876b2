"""Questions about the law of other codes (``assistant/outside.tsv``): "combien de jours de congés payés pour un
salarié", "tranches de l'impôt sur le revenu". The corpus holds the Code de la sécurité sociale, the Code de la
santé publique and the seed texts; with 20,000 articles, every word of such a question occurs somewhere, and the
answer would cite an article that speaks of something else. Such a question is refused with the code it belongs
to, unless the index holds that code or the text found says the subject's words.

Subjects are matched on words as written (accents and case ignored, a plural "s" or "x" allowed), not on stems:
the stem of "loyer" is that of "loi".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.lexicon import split_list, tab_pairs
from assistant.text import fold

OUTSIDE_FILE = Path(__file__).resolve().parent / "outside.tsv"


@dataclass(frozen=True)
class Outside:
    forms: tuple[str, ...]  # the subject's forms as the file writes them ("APL", "aide personnalisée au logement")
    code: str  # the code it belongs to ("Code du travail")

    @property
    def words(self) -> str:
        """The form the refusal names."""
        return self.forms[0]

    @property
    def of_code(self) -> str:
        """How the refusal names the code: "du Code du travail", "de la loi du 6 juillet 1989..."."""
        return ("de la " if self.code.startswith("loi") else "du ") + self.code

    def said_in(self, folded: str) -> bool:
        """One of the subject's forms is in ``folded`` (text passed through ``fold``)."""
        return any(_pattern(form).search(folded) for form in self.forms)


@lru_cache(maxsize=256)
def _pattern(words: str) -> re.Pattern:
    """The subject's words in folded text, in their order, each with or without a plural ending, an article
    allowed between two of them ("congé pour le décès" is a "congé pour décès")."""
    parts = [re.escape(w) + "[sx]?" for w in re.findall(r"\w+", fold(words))]
    return re.compile(r"(?<!\w)" + r"\W+(?:(?:le|la|les|l|un|une|des|du|de|d)\W+)?".join(parts) + r"(?!\w)")


@lru_cache(maxsize=1)
def subjects() -> tuple[Outside, ...]:
    return tuple(
        Outside(split_list(forms), code) for forms, code in tab_pairs(OUTSIDE_FILE, "subject ; other form<TAB>code")
    )


def outside_subject(question: str, codes: Callable[[], set[str]], texts: list[str]) -> Outside | None:
    """The other code's subject the question is about, when the index holds none of that code's articles
    (``codes``: the codes it holds, asked for only when the question names such a subject) and none of
    ``texts`` (the passages found, or the sentences of the answer) says its words."""
    folded = fold(question)
    for subject in subjects():
        if not subject.said_in(folded) or subject.code in codes():
            continue
        if any(subject.said_in(fold(text)) for text in texts):
            continue
        return subject
    return None
