"""Headings as a searchable field: the breadcrumb (code > livre > titre > chapitre > section) of every passage.

A section named after a notion ("Section 1 : Fonds d'intervention régional", "Chapitre IV : Communautés
professionnelles territoriales de santé") points to its articles, and the first article of a section is most
often the one that defines the notion. ``HeadingIndex.scores`` gives each section a score for a question's
terms; ``first_of_section`` names the passages that open their section.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

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

    def arrays(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        """The field as flat arrays over the passages in the order ``chunk_ids`` (the lexical index's), which the
        builder writes beside the BM25 arrays and a server memory-maps (``HeadingField``): heading terms (sorted)
        and the headings that hold each, each heading's sections with the weight of its depth, each section's
        passages in article order, each passage's section and whether it opens it."""
        position = {cid: i for i, cid in enumerate(chunk_ids)}
        terms = sorted(self.term_levels)
        term_ptr = np.cumsum([0] + [len(self.term_levels[t]) for t in terms], dtype=np.int64)
        term_levels = np.array([lid for t in terms for lid in self.term_levels[t]], dtype=np.int32)
        crumbs = list(self.paths)  # catalog order: sections that match as well are taken in the codes' order
        section_of = {crumb: i for i, crumb in enumerate(crumbs)}
        per_level = self.level_paths
        level_ptr = np.cumsum([0] + [len(p) for p in per_level], dtype=np.int64)
        level_sections = np.array([section_of[c] for p in per_level for c, _ in p], dtype=np.int32)
        level_factors = np.array([DECAY**depth for p in per_level for _, depth in p], dtype=np.float64)
        members = [[position[cid] for cid in self.members.get(crumb, []) if cid in position] for crumb in crumbs]
        section_ptr = np.cumsum([0] + [len(m) for m in members], dtype=np.int64)
        chunk_section = np.full(len(chunk_ids), -1, dtype=np.int32)
        for s, m in enumerate(members):
            chunk_section[m] = s
        chunk_first = np.zeros(len(chunk_ids), dtype=bool)
        chunk_first[[position[c] for c in self.first_of_section if c in position]] = True
        return {
            "heading_terms": np.array(terms, dtype=str) if terms else np.zeros(0, dtype="<U1"),
            "heading_term_ptr": term_ptr,
            "heading_term_levels": term_levels,
            "heading_level_ptr": level_ptr,
            "heading_level_sections": level_sections,
            "heading_level_factors": level_factors,
            "section_ptr": section_ptr,
            "section_members": np.array([p for m in members for p in m], dtype=np.int32),
            "chunk_section": chunk_section,
            "chunk_first": chunk_first,
            "heading_count": np.array([len(self.levels)], dtype=np.int64),
        }


class HeadingField:
    """The headings field as a server reads it: the arrays of ``HeadingIndex.arrays``, memory-mapped from the
    generation's lexical folder (nothing is built at start), over the passages of ``chunk_ids`` (the lexical
    index's order). Scores are per section: an array over the sections, read for a passage through its
    position."""

    def __init__(self, arrays: dict[str, np.ndarray], chunk_ids: Sequence[str]):
        self.a = arrays
        self.chunk_ids = chunk_ids
        self.n_levels = int(arrays["heading_count"][0])
        self.n_sections = len(arrays["section_ptr"]) - 1

    @classmethod
    def of(cls, fields: dict[str, np.ndarray], chunk_ids: Sequence[str]) -> HeadingField | None:
        """The field among the arrays saved with the lexical index (``LexicalIndex.fields``), or None when it
        was not saved whole (a generation built before, a damaged file)."""
        if any(name not in fields for name in FIELD_ARRAYS) or len(fields["chunk_section"]) != len(chunk_ids):
            return None
        return cls({name: fields[name] for name in FIELD_ARRAYS}, chunk_ids)

    def _levels_of(self, term: str) -> np.ndarray:
        terms = self.a["heading_terms"]
        i = int(np.searchsorted(terms, term))
        if i >= len(terms) or terms[i] != term:
            return np.zeros(0, dtype=np.int32)
        ptr = self.a["heading_term_ptr"]
        return self.a["heading_term_levels"][ptr[i] : ptr[i + 1]]

    def idf(self, df: int) -> float:
        return math.log(1 + (self.n_levels + 1) / (df + 0.5))

    def section_scores(self, terms: list[str]) -> np.ndarray | None:
        """``HeadingIndex.path_scores`` over the arrays: each section's best level match, as an array over the
        sections (None when no heading holds a term)."""
        unique = list(dict.fromkeys(terms))
        found = {t: self._levels_of(t) for t in unique}
        total = sum(self.idf(len(lv)) for lv in found.values()) or 1.0
        level_score = np.zeros(self.n_levels, dtype=np.float64)
        for lv in found.values():
            if len(lv):
                level_score[lv] += self.idf(len(lv))
        levels = np.flatnonzero(level_score)
        if not len(levels):
            return None
        ptr = self.a["heading_level_ptr"]
        starts, counts = ptr[levels], ptr[levels + 1] - ptr[levels]
        # the positions of every (level, section) pair of those levels, without a Python loop
        offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
        pairs = offsets + np.arange(int(counts.sum()))
        values = np.repeat(level_score[levels] / total, counts) * self.a["heading_level_factors"][pairs]
        out = np.zeros(self.n_sections, dtype=np.float64)
        np.maximum.at(out, self.a["heading_level_sections"][pairs], values)
        return out

    def top_sections(self, scores: np.ndarray, n: int) -> list[int]:
        best = np.argsort(-scores, kind="stable")[:n]
        return [int(s) for s in best if scores[s] > 0]

    def members(self, section: int) -> list[str]:
        """The section's passages in article order."""
        ptr = self.a["section_ptr"]
        return [self.chunk_ids[p] for p in self.a["section_members"][ptr[section] : ptr[section + 1]]]

    def score_at(self, pos: int, scores: np.ndarray) -> float:
        """The score (``section_scores``) of the section of the passage at ``pos`` in the lexical index (-1:
        none)."""
        section = -1 if pos < 0 else int(self.a["chunk_section"][pos])
        return float(scores[section]) if section >= 0 else 0.0

    def opens_at(self, pos: int) -> bool:
        """The passage at ``pos`` opens its section."""
        return pos >= 0 and bool(self.a["chunk_first"][pos])


FIELD_ARRAYS = (
    "heading_terms",
    "heading_term_ptr",
    "heading_term_levels",
    "heading_level_ptr",
    "heading_level_sections",
    "heading_level_factors",
    "section_ptr",
    "section_members",
    "chunk_section",
    "chunk_first",
    "heading_count",
)
