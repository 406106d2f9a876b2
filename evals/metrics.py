"""Eval metrics as plain functions. Each takes plain values so that it can be unit-tested alone."""
from __future__ import annotations

import math
import re
from typing import Iterable, Sequence

from assistant.text import fold, normalise_quote


def contains_evidence(passage: str, evidence: Iterable[str]) -> bool:
    """A passage holds an evidence quote (NFKC, typographic apostrophes to ', whitespace collapsed)."""
    text = normalise_quote(passage)
    return any(normalise_quote(q) and normalise_quote(q) in text for q in evidence)


def first_relevant_rank(passages: Sequence[str], evidence: Sequence[str], k: int = 10) -> int | None:
    """1-based rank of the first passage that holds an evidence quote, within the first k."""
    for i, p in enumerate(passages[:k], 1):
        if contains_evidence(p, evidence):
            return i
    return None


def hit_at(rank: int | None, k: int) -> float:
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None, k: int = 10) -> float:
    return 1.0 / rank if rank is not None and rank <= k else 0.0


def normalise_locator(label: str) -> str:
    """'Article 3.1' -> '3.1', '§ 35' -> '35', 'art. L. 162-30-2' -> 'l162-30-2', 'Article 5, p. 3' -> '5'."""
    text = fold(label)
    text = re.sub(r",\s*p\.\s*\d+$", "", text)
    text = re.sub(r"\b(articles?|art\.?)(?=\s|$|\d)", " ", text)
    text = text.replace("§", " ").replace("¶", " ")
    text = re.sub(r"\b([lrda])\.\s*(?=\d)", r"\1", text)
    return re.sub(r"\s+", "", text)


def locator_matches(locator: str, labels: Iterable[str]) -> bool:
    """Equal once normalised; a sub-unit ('Article 3.1') also matches its unit's label ('Article 3')."""
    loc = normalise_locator(locator)
    for label in labels:
        lab = normalise_locator(label)
        if lab and (loc == lab or loc.startswith(lab + ".")):
            return True
    return False


def keywords_present(answer: str, keywords: Iterable[str]) -> bool:
    """Every keyword is in the answer, case and accents ignored (whitespace collapsed)."""
    text = re.sub(r"\s+", " ", fold(answer))
    return all(re.sub(r"\s+", " ", fold(k)).strip() in text for k in keywords)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[rank - 1])


def answer_words(answer: str) -> int:
    """Words of an answer, its ``[n]`` markers left out."""
    return len(re.sub(r"\[\d{1,2}\]", " ", answer).split())


def median(values: Sequence[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    mid = len(ordered) // 2
    return float(ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2)


def mean(values: Sequence[float]) -> float:
    return float(sum(values) / len(values)) if values else 0.0
