"""Everyday and trade words -> the words of the codes (``assistant/lexicon.tsv``).

"arrêt maladie" is "incapacité de travail" in the Code de la sécurité sociale, "avorter" is "interruption
volontaire de grossesse", "DG" is "directeur général". The lexicon is one data file; ``Lexicon.expand`` gives the
legal terms a question's words call for, which retrieval uses like the long forms of acronyms.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.glossary import mixed_case, reads_as_acronym
from assistant.text import analyse, fold, words

LEXICON_FILE = Path(__file__).resolve().parent / "lexicon.tsv"
CHAT_WORDS_FILE = Path(__file__).resolve().parent / "chatwords.tsv"


@dataclass(frozen=True)
class Entry:
    trigger: str  # the user's words, as written in the file
    terms: tuple[str, ...]  # the legal terms
    acronym: bool  # an upper-case trigger ("DG", "IJ") matches only in upper case, as a whole word; a mixed-case
    # one ("PreParE") only as written
    stems: tuple[str, ...]  # analysed trigger (for the others)
    heads: tuple[str, ...] = ()  # how each of its words (those with a stem) begins: all but its last two letters
    written: bool = False  # a trigger in double quotes matches only as written (accents, case, a final s aside)
    capitals: bool = False  # an acronym in double quotes matches only in capitals ("le pass sanitaire" is no PASS)


class Lexicon:
    def __init__(self, entries: list[Entry]):
        self.entries = entries
        # "DG", "CA", "ES" are French words in lower case: two-letter acronyms match as written. Longer ones are
        # also typed in lower case ("c koi la crsa").
        self._patterns = {
            e.trigger: re.compile(
                rf"(?<![\w-]){re.escape(e.trigger)}(?![\w-])",
                re.I if len(e.trigger) >= 3 and not mixed_case(e.trigger) and not e.capitals else 0,
            )
            for e in entries
            if e.acronym
        }
        # "allocs" is "allocation" to the stemmer and "mon dossier" is "dossier" to the analyser (a stop word
        # left out): such a trigger is quoted in the file and matched on the folded question as written.
        for e in entries:
            if e.written:
                # "sous dense" and "sous-dense", "mon  dossier" and "mon dossier"
                as_written = re.sub(r"(?:\\-|\\ )+", r"[-\\s]+", re.escape(fold(e.trigger).removesuffix("s")))
                self._patterns[e.trigger] = re.compile(rf"(?<![\w-]){as_written}s?(?![\w-])")
        # A question is matched several times while it is answered (search, refusal checks, each of its words):
        # the entries of the last questions are remembered.
        self.matches = lru_cache(maxsize=4096)(self._matches)

    @classmethod
    def load(cls, path: Path = LEXICON_FILE) -> Lexicon:
        entries = []
        for trigger, terms in tab_pairs(path, "everyday words<TAB>legal term ; legal term"):
            legal = split_list(terms)
            written = len(trigger) > 2 and trigger[0] == trigger[-1] == '"'
            trigger = trigger[1:-1].strip() if written else trigger
            if written and len(fold(trigger).removesuffix("s")) < 2:
                raise ValueError(f"{path}: trigger {trigger!r} too short to match as written")
            acronym = bool(re.fullmatch(r"[A-Z0-9]{2,6}", trigger)) or mixed_case(trigger)
            heads = tuple(fold(w)[: max(4, len(fold(w)) - 2)] for w in words(trigger) if analyse(w))
            stems = tuple(analyse(trigger)) if not acronym else ()
            entries.append(Entry(trigger, legal, acronym, stems, heads, written and not acronym, written and acronym))
        return cls(entries)

    def _matches(self, question: str) -> tuple[Entry, ...]:
        """The entries whose trigger is in the question (``matches``, remembered). A trigger's words match by
        their stems, and each word of the question must also begin as the trigger's word does (all but its
        last two letters): "généraliste" and "général" share a stem, so do "dépassement" and "ne peut
        dépasser", but not a meaning; "remboursée" is "rembourser"."""
        pairs = [(t, fold(w)) for w in words(question) for t in analyse(w)[:1]]
        tokens = [t for t, _ in pairs]
        out = []
        folded = None
        for e in self.entries:
            if e.acronym:
                # ... in lower case only when it is no frequent French word (``reads_as_acronym``)
                if any(
                    not m.group(0).islower() or reads_as_acronym(m.group(0))
                    for m in self._patterns[e.trigger].finditer(question)
                ):
                    out.append(e)
            elif e.written:
                folded = fold(question) if folded is None else folded
                if self._patterns[e.trigger].search(folded):
                    out.append(e)
            elif e.stems and self._written_like(pairs, tokens, e):
                out.append(e)
        return tuple(out)

    @staticmethod
    def _written_like(pairs: list[tuple[str, str]], tokens: list[str], e: Entry) -> bool:
        heads = e.heads
        n = len(e.stems)
        for i in range(len(tokens) - n + 1):
            if tuple(tokens[i : i + n]) == e.stems and all(
                pairs[i + k][1].startswith(heads[k]) for k in range(min(n, len(heads)))
            ):
                return True
        return False

    def expand(self, question: str) -> list[str]:
        """Legal terms for the question's everyday words, each once, in the file's order."""
        return list(dict.fromkeys(t for e in self.matches(question) for t in e.terms))


def tab_pairs(path: Path, expected: str) -> list[tuple[str, str]]:
    """The lines of a data file of ``left<TAB>right`` lines (this lexicon, ``outside.tsv``), each side stripped;
    blank lines and ``#`` comments left out; a line without a tab is named with ``expected``."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        if "\t" not in line:
            raise ValueError(f"{path}:{n}: expected '{expected}'")
        left, right = line.split("\t", 1)
        out.append((left.strip(), right.strip()))
    return out


def split_list(text: str) -> tuple[str, ...]:
    """ "a ; b ; c" -> ("a", "b", "c"), empty items left out."""
    return tuple(t.strip() for t in text.split(";") if t.strip())


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    return Lexicon.load()


class ChatWords:
    """Chat spellings and clipped words spelled out (``assistant/chatwords.tsv``): "cmb" is "combien", "l'expé"
    "l'expérimentation", "les profs" "les enseignants"; "svp" is left out. A word typed in upper case, or
    capitalised after the first word, is left as it is ("CB", "le Médoc")."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.words = {fold(typed): full for typed, full in pairs}
        self._word = re.compile(r"(?<![\w-])[^\W\d_]+(?![\w-])")

    @classmethod
    def load(cls, path: Path = CHAT_WORDS_FILE) -> ChatWords:
        return cls(tab_pairs(path, "typed<TAB>spelled out"))

    def spell_out(self, question: str, known: Callable[[str], bool] | None = None) -> str:
        """``known``: whether the corpus uses a word as typed; such a word is searched as it is (the seed texts
        write "l'appli carte Vitale")."""

        def one(m: re.Match) -> str:
            w = m.group(0)
            full = self.words.get(fold(w))
            if full is None or len(w) >= 2 and w.isupper():
                return w  # not a chat spelling, or an acronym ("CB")
            before = question[: m.start()].rstrip()
            if w[:1].isupper() and before and before[-1] not in ".?!:;":
                return w  # a name inside a sentence ("Médoc", "Pb")
            return w if known is not None and known(w) else full

        return self._word.sub(one, question)


@lru_cache(maxsize=1)
def default_chat_words() -> ChatWords:
    return ChatWords.load()
