"""Acronyms found in the corpus (``contrats d'amélioration ... des soins (CAQES)``) and query expansion."""

from __future__ import annotations

import functools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.text import analyse, fold, is_stopword
from assistant.wordclass import zipf

ACRONYM_IN_PARENS = re.compile(r"\(\s*([A-ZÉ][A-Za-zÉ0-9]{1,11}(?:-[A-Z0-9]+)?)\s*\)")
WORD = re.compile(r"[\w’'-]+")
ELISION = re.compile(r"^[dlDL][’']")  # "d'", "l'" before a long form's word


COMMON_ZIPF = 4.5  # a lower-case word this frequent in French is that word, not an acronym ("cas", not CAS)


def common_word(token: str) -> bool:
    """Whether a lower-case token is a frequent French word: the question means that word, not the corpus's
    acronym of the same letters ("les" is not LES, lupus érythémateux systémique; "dans quel cas" has no CAS,
    Chemical Abstract Service), while "la has" or "les ars" (Zipf 3.6 and 3.5) still are HAS and ARS."""
    return zipf(token) >= COMMON_ZIPF


def mixed_case(token: str) -> bool:
    """A name written with capitals inside it ("PreParE", "PUMa", "CeGIDD", "CPias"): an acronym as the trade
    spells it, not the French word of its letters ("PreParE" is not "préparer")."""
    return (
        len(token) >= 3
        and token.isalpha()
        and token[0].isupper()
        and any(c.isupper() for c in token[1:])
        and not token.isupper()
        and not (token.endswith("s") and token[:-1].isupper())  # "EHPADs", "CPAMs": an acronym's plural
    )


def reads_as_acronym(token: str) -> bool:
    """Whether a word of a question may stand for an acronym: written in capitals ("ARS", "CAS") or with capitals
    inside it ("PreParE"), or in lower case with three letters or more and no frequent French word ("la has", "les
    ars", but not "les" nor "dans quel cas"). A capitalised word ("Cas") is a word to the glossary's expansion and a
    count question's noun; the lexicon also matches its acronyms capitalised ("Crsa : qui la préside ?", none of its
    triggers being a frequent word), and only rejects, through this, a frequent word in lower case."""
    return token.isupper() or mixed_case(token) or (len(token) >= 3 and token.islower() and not common_word(token))


def _letters(acronym: str) -> str:
    return "".join(ch for ch in fold(acronym) if ch.isalpha())


def _align(letters: str, words: list[str]) -> bool:
    """Can the words spell the letters in order? Content words must each start one letter; stop words
    may start one; a content word may also give later letters it contains (PPRGDRESS, DGOS)."""

    folded = [fold(w) for w in words]
    stops = [is_stopword(w) for w in words]

    @functools.cache
    def go(i: int, j: int) -> bool:
        if j == len(words):
            return i == len(letters)
        w = folded[j]
        if stops[j] and go(i, j + 1):
            return True
        if i < len(letters) and w[:1] == letters[i]:
            # the word gives its first letter, then possibly more letters found later inside it
            k, pos = i + 1, 1
            if go(k, j + 1):
                return True
            while k < len(letters):
                pos = w.find(letters[k], pos)
                if pos < 0:
                    break
                k, pos = k + 1, pos + 1
                if go(k, j + 1):
                    return True
        return False

    return go(0, 0)


def spells(acronym: str, phrase: str) -> bool:
    """Whether the words of ``phrase`` spell ``acronym`` in order ("ass", "allocation de solidarite specifique"),
    as a long form before "(ACRONYM)" does in the corpus."""
    letters = _letters(acronym)
    words = [ELISION.sub("", w) for w in WORD.findall(phrase)]
    return len(letters) >= 2 and bool(words) and _align(letters, words)


def find_definitions(text: str) -> Iterable[tuple[str, str, int]]:
    """(acronym, expansion, offset) for each ``long form (ACRONYM)`` in a text."""
    for m in ACRONYM_IN_PARENS.finditer(text):
        acronym = m.group(1)
        letters = _letters(acronym)
        if len(letters) < 2 or not acronym[:2].isupper():
            continue
        before = text[max(0, m.start() - 300) : m.start()]
        before = re.split(r"[.;:!?()\n«»]", before)[-1]
        spans = [(w.start(), w.group()) for w in WORD.finditer(before)]
        words = [ELISION.sub("", w) for _, w in spans]
        for start in range(len(words) - 1, max(-1, len(words) - 3 * len(letters) - 3), -1):
            if is_stopword(words[start]):
                continue
            if _align(letters, words[start:]):
                expansion = before[spans[start][0] :].strip()
                expansion = ELISION.sub("", expansion)
                yield acronym, expansion, m.start()
                break


@dataclass
class Glossary:
    entries: dict[str, list[dict]] = field(default_factory=dict)  # acronym -> [{expansion, count, sources}]

    @classmethod
    def build(cls, docs: Iterable[tuple[str, str]]) -> Glossary:
        """``docs``: (doc_id, text)."""
        counts: dict[str, Counter] = defaultdict(Counter)
        sources: dict[tuple[str, str], list] = defaultdict(list)
        forms: dict[tuple[str, str], str] = {}
        for doc_id, text in docs:
            for acronym, expansion, offset in find_definitions(text):
                key = fold(expansion)
                counts[acronym][key] += 1
                forms.setdefault((acronym, key), expansion)
                if len(sources[(acronym, key)]) < 5:
                    sources[(acronym, key)].append({"doc_id": doc_id, "offset": offset})
        entries = {}
        for acronym, c in sorted(counts.items()):
            entries[acronym] = [
                {"expansion": forms[(acronym, k)], "count": n, "sources": sources[(acronym, k)]}
                for k, n in c.most_common()
            ]
        return cls(entries)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.entries, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Glossary:
        return cls(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else cls()

    def lookup(self, acronym: str) -> list[str]:
        for key in (acronym, acronym.upper()):
            if key in self.entries:
                return [e["expansion"] for e in self.entries[key]]
        return []

    def expand(self, question: str) -> tuple[list[str], list[str]]:
        """(expansions of the acronyms the question uses, acronyms whose long form the question spells)."""
        expansions, acronyms = [], []
        for token in re.findall(r"[A-Za-zÉé0-9]{2,12}", question):
            if reads_as_acronym(token):
                for exp in self.lookup(token)[:2]:
                    if exp not in expansions:
                        expansions.append(exp)
        fq = fold(question)
        for acronym, entries in self.entries.items():
            if acronym not in question and any(
                len(e["expansion"]) > 12 and fold(e["expansion"]) in fq for e in entries
            ):
                acronyms.append(acronym)
        return expansions, acronyms

    def long_forms(self, extra: dict[str, list[str]] | None = None) -> LongForms:
        """The glossary's long forms, and ``extra`` ones (acronym -> long forms) beside them."""
        forms = {a: [e["expansion"] for e in entries] for a, entries in self.entries.items()}
        for acronym, more in (extra or {}).items():
            forms.setdefault(acronym, []).extend(more)
        return LongForms(forms)


class LongForms:
    """Finds, in a passage, the long forms of known acronyms (compared as stemmed term sequences)."""

    def __init__(self, forms: dict[str, list[str]]):
        self.by_first: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
        for acronym, expansions in forms.items():
            for exp in expansions:
                seq = tuple(analyse(exp))
                if len(seq) >= 2:
                    self.by_first[seq[0]].append((seq, acronym))

    def acronyms_in(self, text: str) -> list[str]:
        return self.acronyms_in_tokens(analyse(text))

    def _spelled(self, toks: list[str]):
        """Each (long form's analysed terms, acronym) written in full in ``toks``, in order."""
        for i, t in enumerate(toks):
            for seq, acronym in self.by_first.get(t, ()):
                if tuple(toks[i : i + len(seq)]) == seq:
                    yield seq, acronym

    def spelled_in_tokens(self, toks: list[str]) -> list[tuple[str, ...]]:
        """The long forms written in full in ``toks``, as their analysed terms."""
        return list(dict.fromkeys(seq for seq, _acronym in self._spelled(toks)))

    def acronyms_in_tokens(self, toks: list[str]) -> list[str]:
        return list(dict.fromkeys(acronym for _seq, acronym in self._spelled(toks)))
