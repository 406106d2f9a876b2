"""Questions about the law of other codes (``assistant/outside.tsv``): "combien de jours de congés payés pour un
salarié", "tranches de l'impôt sur le revenu". The corpus holds the Code de la sécurité sociale, the Code de la
santé publique and the seed texts; with 20,000 articles, every word of such a question occurs somewhere, and the
answer would cite an article that speaks of something else. Such a question is refused with the code it belongs
to, unless the index holds that code or a passage found says the subject's words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.lexicon import Lexicon, contains_phrase
from assistant.text import analyse

OUTSIDE_FILE = Path(__file__).resolve().parent / "outside.tsv"


@dataclass(frozen=True)
class Outside:
    words: str  # the subject as the file writes it ("congés payés")
    code: str  # the code it belongs to ("Code du travail")

    @property
    def of_code(self) -> str:
        """ "du Code du travail", "de la loi du 6 juillet 1989..."."""
        return ("de la " if self.code.startswith("loi") else "du ") + self.code


@lru_cache(maxsize=1)
def default_outside() -> Lexicon:
    return Lexicon.load(OUTSIDE_FILE)


def outside_subject(question: str, codes: Callable[[], set[str]], passages: list[str]) -> Outside | None:
    """The other code's subject the question is about, when the index holds none of that code's articles
    (``codes``: the codes it holds, asked for only when the question names such a subject) and none of
    ``passages`` (the best ones found) says its words."""
    for entry in default_outside().matches(question):
        code = entry.terms[0]
        if code in codes():
            continue
        stems = entry.stems or tuple(analyse(entry.trigger))
        if any(contains_phrase(analyse(text), stems) for text in passages):
            continue
        return Outside(entry.trigger, code)
    return None
