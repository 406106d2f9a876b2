"""Headings as a searchable field: the breadcrumb (code > livre > titre > chapitre > section) of every passage.

A section named after a notion ("Section 1 : Fonds d'intervention régional", "Chapitre IV : Communautés
professionnelles territoriales de santé") points to its articles, and the first article of a section is most
often the one that defines the notion. ``HeadingIndex.scores`` gives each section a score for a question's
terms; ``first_of_section`` names the passages that open their section.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from assistant.catalog import Place
from assistant.records import Chunk
from assistant.text import analyse

# A heading's number ("Section 1", "Chapitre IV", "Sous-section 2", "I.1 –") says nothing of its subject.
HEADING_NUMBER = re.compile(
    r"^(?:(?:sous[- ])?(?:section|chapitre|titre|livre|partie|paragraphe|sous-paragraphe)"
    r"\s+(?:[ivxlc]+|\d+|ier|preliminaire)(?:\s+(?:bis|ter))?|[ivx]+(?:\.\d+)?\s*[–—-])\s*:?\s*",
    re.I,
)
DECAY = 0.6  # a match one level higher counts this much less: the deepest heading names the notion best


def article_key(number: str) -> tuple:
    """'L1434-12' -> ('L', 1434, 12): articles of a section in their order."""
    m = re.match(r"^([A-Z]+)\*?(\d+)((?:-\d+)*)", number or "")
    if not m:
        return ("~", 0)
    return (m.group(1), int(m.group(2)), *[int(x) for x in m.group(3).split("-") if x])


@dataclass
class HeadingIndex:
    """The distinct headings of an index, analysed once; each chunk maps to its breadcrumb's levels."""

    levels: list[frozenset[str]]  # analysed terms of each distinct heading text
    df: dict[str, int]  # in how many distinct headings a term occurs
    paths: dict[tuple[str, ...], list[int]]  # breadcrumb -> level ids, deepest last (the document title left out)
    first_of_section: set[str]  # chunk ids that open their section
    members: dict[tuple[str, ...], list[str]]  # breadcrumb -> its chunk ids, in article order

    @classmethod
    def build(cls, chunks: Iterable[Chunk | Place]) -> HeadingIndex:
        """From chunks, or from where they sit (``Catalog.places``: the same fields without the text)."""
        texts: dict[str, int] = {}
        levels: list[frozenset[str]] = []
        paths: dict[tuple[str, ...], list[int]] = {}
        sections: dict[tuple[str, ...], list] = {}
        for c in chunks:
            crumb = tuple(c.breadcrumb)
            sections.setdefault(crumb, []).append(c)
            if crumb in paths:
                continue
            ids = []
            for level in crumb[1:]:  # the first level is the code or the document's title
                if level not in texts:
                    texts[level] = len(levels)
                    levels.append(frozenset(analyse(HEADING_NUMBER.sub("", level))))
                ids.append(texts[level])
            paths[crumb] = ids
        df: dict[str, int] = {}
        for terms in levels:
            for t in terms:
                df[t] = df.get(t, 0) + 1
        first, ordered = set(), {}
        for crumb, members in sections.items():
            if len(crumb) < 2:
                continue
            members.sort(key=lambda c: (article_key(c.article), c.doc_id, c.start, c.part))
            ordered[crumb] = [c.chunk_id for c in members]
            first.add(members[0].chunk_id)
        return cls(levels, df, paths, first, ordered)

    def idf(self, term: str) -> float:
        n = len(self.levels)
        return math.log(1 + (n + 1) / (self.df.get(term, 0) + 0.5))

    @cached_property
    def term_levels(self) -> dict[str, list[int]]:
        """term -> the headings that hold it (built at first use)."""
        out: dict[str, list[int]] = {}
        for i, lv in enumerate(self.levels):
            for t in lv:
                out.setdefault(t, []).append(i)
        return out

    @cached_property
    def level_paths(self) -> list[list[tuple[tuple[str, ...], int]]]:
        """heading -> the breadcrumbs it is a level of, with its depth from the deepest level (0)."""
        out: list[list[tuple[tuple[str, ...], int]]] = [[] for _ in self.levels]
        for crumb, ids in self.paths.items():
            for depth, lid in enumerate(reversed(ids)):
                out[lid].append((crumb, depth))
        return out

    def path_scores(self, terms: list[str]) -> dict[tuple[str, ...], float]:
        """Each breadcrumb's best level match: the IDF weight of the question terms a heading holds, over the
        weight of all of them, one level up counting ``DECAY`` as much. Only breadcrumbs that match at all.
        Computed from the headings that hold a term and the breadcrumbs they are in, not by reading them all
        (at the full codes this took a fifth of an answer's time)."""
        weights = {t: self.idf(t) for t in dict.fromkeys(terms) if t in self.df}
        total = sum(self.idf(t) for t in dict.fromkeys(terms)) or 1.0
        if not weights:
            return {}
        level_score: dict[int, float] = {}
        for t, w in weights.items():
            for lid in self.term_levels.get(t, ()):
                level_score[lid] = level_score.get(lid, 0.0) + w
        out: dict[tuple[str, ...], float] = {}
        for lid, s in level_score.items():
            s /= total
            for crumb, depth in self.level_paths[lid]:
                score = s * DECAY**depth
                if score > out.get(crumb, 0.0):
                    out[crumb] = score
        return out
