"""The learned ranking stage: the head of the fused list (``DEPTH`` passages, their signals from the earlier stages)
ordered again by a weighted sum of ``FEATURES``, weights that ``python -m evals tune`` fits on the dev sets for
each index (``Settings.ranker_weights``, stored in its ``calibration.json``) and keeps only where, each fifth of the
dev questions left out in turn, it found their evidence more often than the hand-set fusion did
(``evals.metrics.choose_ranker``).

What it adds to the fusion's sum: each model of a mix scored apart (e5's cosine counts about three times the
MiniLM's at the full codes), the place of a passage in each model's and BM25's own order, the fusion's order
itself, and the kind of text (the law's article, a decree's, a seed document's paragraph). Measured at the full
codes, each fifth of the 419 dev questions fitted on the others (stop 64): hit@5 `dev_users` 0.722 -> 0.791,
`dev_agents` 0.797 -> 0.835, `dev_real` 0.479 -> 0.496, `questions.jsonl` 0.942 -> 0.923; on the default index it
lost (`dev_users` 0.930 -> 0.895) and is not kept there."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DEPTH = 40  # the passages the stage orders (the sentence rerank reads as many when it is on)
SIGNALS = ("bm25", "dense", "heading", "first", "authority", "sentence", "intent", "subject", "phrase", "territory")
MODELS = 2  # the cosine features of up to this many models (a mix's parts; one model leaves the second at 0)
FEATURES = (
    *SIGNALS,
    *(f"cos{i}" for i in range(MODELS)),  # each model's cosine, scaled from the lowest candidate to the highest
    "rr_bm25",  # 1 / (1 + the passage's place in BM25's order of the candidates)
    *(f"rr_cos{i}" for i in range(MODELS)),  # ... in each model's order
    "rank",  # 1 / (1 + its place in the fusion's order)
    "law",  # an article of the law (L., LO.)
    "regulation",  # a decree's in Conseil d'Etat (R.)
    "decree",  # a simple decree's (D.)
    "other",  # a seed document's paragraph, or an article of no such part
)


def features(hits: Sequence, cosines: Sequence[np.ndarray]) -> np.ndarray:
    """One row of ``FEATURES`` for each of ``hits`` (in the fusion's order), read from their ``signals`` and
    their article, and from ``cosines``: for each model, each passage's cosine to the question (NaN for a passage
    without a vector: it gets the lowest)."""
    n = len(hits)
    x = np.zeros((n, len(FEATURES)), dtype=np.float64)
    col = {name: i for i, name in enumerate(FEATURES)}
    for j, h in enumerate(hits):
        for name in SIGNALS:
            x[j, col[name]] = float(h.signals.get(name, 0.0))
        article = h.chunk.article or ""
        x[j, col[{"L": "law", "R": "regulation", "D": "decree"}.get(article[:1], "other")]] = 1.0
        x[j, col["rank"]] = 1.0 / (j + 1)
    orders = [x[:, col["bm25"]]]
    for p, cos in enumerate(list(cosines)[:MODELS]):
        held = ~np.isnan(cos)
        if held.any():
            low, high = float(cos[held].min()), float(cos[held].max())
            x[held, col[f"cos{p}"]] = (cos[held] - low) / ((high - low) or 1.0)
        orders.append(x[:, col[f"cos{p}"]])
    for name, values in zip(["rr_bm25", *(f"rr_cos{p}" for p in range(MODELS))], orders, strict=False):
        place = np.argsort(np.argsort(-values, kind="stable"), kind="stable")
        x[:, col[name]] = 1.0 / (1.0 + place)
    return x


def scores(x: np.ndarray, weights: dict[str, float]) -> np.ndarray:
    """The learned score of each row: the weighted sum of its features (a name the weights lack counts 0; a
    weight of a feature this code no longer computes is not read)."""
    w = np.array([float(weights.get(name, 0.0)) for name in FEATURES])
    return x @ w


def learned_order(hits: list, weights: dict[str, float], cosines: Sequence[np.ndarray]) -> list:
    """``hits`` (those the question's article numbers looked up first, as they came, then the fusion's order) with
    the others in the order of their learned score (ties: the fusion's order). ``cosines``: as ``features``
    reads them, for the hits that are not looked up."""
    lookup = [h for h in hits if h.reason == "lookup"]
    rest = [h for h in hits if h.reason != "lookup"]
    if not rest or not weights:
        return hits
    s = scores(features(rest, cosines), weights)
    return lookup + [rest[i] for i in np.argsort(-s, kind="stable")]
