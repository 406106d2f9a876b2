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

from collections.abc import Collection, Sequence
from dataclasses import replace

import numpy as np

DEPTH = 40  # the passages the stage orders (the sentence rerank reads as many when it is on)
# the earlier stages' signals it reads (``Hit.signals``; a signal turned off is read as 0)
READ = ("bm25", "dense", "heading", "first", "authority", "sentence", "intent", "subject", "phrase", "territory")
MODELS = 2  # the cosine features of up to this many models (a mix's parts; one model leaves the second at 0)
FEATURES = (
    *READ,
    *(f"cos{i}" for i in range(MODELS)),  # each model's cosine, scaled from the lowest candidate to the highest
    "rr_bm25",  # 1 / (1 + the passage's place in BM25's order of the candidates)
    *(f"rr_cos{i}" for i in range(MODELS)),  # ... in each model's order
    "rank",  # 1 / (1 + its place in the fusion's order)
    "law",  # an article of the law (L., LO.)
    "regulation",  # a decree's in Conseil d'Etat (R.)
    "decree",  # a simple decree's (D.)
    "other",  # a seed document's paragraph, or an article of no such part
)
TERRITORY = FEATURES.index("territory")  # the passages of a territory's own sections, which ``order`` puts last


def rerank_depth(setting: int) -> int:
    """How deep the sentence rerank reads with the stage on (``Settings.rerank_depth``, at least ``DEPTH``): the
    search's and the tune's, so that the features fitted are those read."""
    return max(setting, DEPTH)


def features(hits: Sequence, cosines: Sequence[np.ndarray], off: Collection[str] = ()) -> np.ndarray:
    """One row of ``FEATURES`` for each of ``hits`` (in the fusion's order), read from their ``signals`` and
    their article, and from ``cosines``: for each model, each passage's cosine to the question (NaN for a passage
    without a vector: it gets the lowest cosine and the last place). ``off``: the signals turned off
    (``ASSISTANT_SIGNALS_OFF``), read as 0 (BM25's order too), as the ablation table means them."""
    n = len(hits)
    x = np.zeros((n, len(FEATURES)), dtype=np.float64)
    col = {name: i for i, name in enumerate(FEATURES)}
    read = [name for name in READ if name not in off]
    for j, h in enumerate(hits):
        for name in read:
            x[j, col[name]] = float(h.signals.get(name, 0.0))
        article = h.chunk.article or ""
        x[j, col[{"L": "law", "R": "regulation", "D": "decree"}.get(article[:1], "other")]] = 1.0
        x[j, col["rank"]] = 1.0 / (j + 1)
    orders = {"rr_bm25": x[:, col["bm25"]]} if "bm25" not in off else {}
    for p, cos in enumerate(list(cosines)[:MODELS]):
        held = ~np.isnan(cos)
        if held.any():
            low, high = float(cos[held].min()), float(cos[held].max())
            x[held, col[f"cos{p}"]] = (cos[held] - low) / ((high - low) or 1.0)
        orders[f"rr_cos{p}"] = np.where(held, x[:, col[f"cos{p}"]], -np.inf)
    for name, values in orders.items():
        place = np.argsort(np.argsort(-values, kind="stable"), kind="stable")
        x[:, col[name]] = 1.0 / (1.0 + place)
    return x


def scores(x: np.ndarray, weights: dict[str, float]) -> np.ndarray:
    """The learned score of each row: the weighted sum of its features (a name the weights lack counts 0; a
    weight of a feature this code no longer computes is not read)."""
    w = np.array([float(weights.get(name, 0.0)) for name in FEATURES])
    return x @ w


def order(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """The places of ``x``'s rows (``FEATURES``) by their learned scores ``s``, highest first (ties: as they came), a
    territory's own passages (their ``territory`` signal: the question names no place) after the whole country's,
    each by its score: the fusion's rule (``retrieval.TERRITORY_WEIGHT``) made firm, which the fit cannot learn (no
    dev question has its evidence in such a passage; see the README, "Learned ranking"). What the search orders
    (``learned_order``) and the tune measures (``evals.metrics.group_rank``)."""
    return np.lexsort((-s, x[:, TERRITORY] > 0))


def head_of(hits: list) -> tuple[list, list, list]:
    """The passages looked up by the question's article numbers (first in the list), the others among the first
    ``DEPTH`` of the list (those the stage orders), and the rest."""
    lookup = [h for h in hits if h.reason == "lookup"]
    rest = [h for h in hits if h.reason != "lookup"]
    n = max(DEPTH - len(lookup), 0)
    return lookup, rest[:n], rest[n:]


def learned_order(hits: list, weights: dict[str, float], cosines: Sequence[np.ndarray], off: Collection[str] = ()):
    """``hits`` with those the stage orders (``head_of``) in the order of their learned score (``order``: ties in the
    fusion's order, a territory's own passages after the whole country's); the looked-up ones stay first and the
    others after, as they came. ``cosines``: as ``features`` reads them, for those it orders. The passages ordered
    again carry the fusion's scores of their places, highest first: what reads a hit's score (the answer's passages
    within half the first one's, the cited article's lead for the confidence) reads the order the list is in, on the
    fusion's scale."""
    lookup, head, tail = head_of(hits)
    if not head or not weights:
        return hits
    x = features(head, cosines, off)
    places = sorted((h.score for h in head), reverse=True)
    ordered = [replace(head[i], score=score) for i, score in zip(order(x, scores(x, weights)), places, strict=True)]
    return lookup + ordered + tail
