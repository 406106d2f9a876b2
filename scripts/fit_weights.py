"""Fit the ranking weights jointly on the dev sets, and say whether that generalises (cross-validation).

    python scripts/fit_weights.py --index data/curated --index data/full [--folds 5] [--repeats 2]

Each dev question (``evals/questions.jsonl`` and ``evals/dev_users.jsonl``, answerable and held by the index) is
searched once with every candidate reranked; the signals of every candidate are kept (``Hit.signals``), and the
fused ranking is then recomputed for any weights as ``Retriever.search`` computes it (checked: with today's
weights it gives the eval's hit@5 and mrr@10). The weights (dense per index, headings, authority, sentence
rerank, intent, subject, rerank depth) are fitted by coordinate ascent on the mean over (index, set) of
(hit@5 + mrr@10) / 2; the held-out folds say whether the fitted weights beat today's on questions they were not
fitted on. Never the test set."""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np

from assistant.service import Service
from assistant.settings import Settings
from evals.metrics import contains_evidence
from evals.runner import in_index, index_texts, load_questions

SETS = ("evals/questions.jsonl", "evals/dev_users.jsonl")
SIGNALS = ("bm25", "dense", "heading", "authority", "sentence", "intent", "subject")
GRID = {
    "hw": [0, 0.1, 0.15, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0],
    "aw": [0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3],
    "gamma": [0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3],
    "iw": [0, 0.15, 0.3, 0.45, 0.6, 1],
    "sw": [0, 0.25, 0.5, 1, 1.5, 2],
    "depth": [10, 20, 30, 40, 60],
}


def dump(index: Path) -> tuple[dict, list[dict]]:
    """Today's weights of ``index`` and, per question, every candidate's signals and evidence flag."""
    svc = Service(Settings.of(index, rerank_depth=400), follow=False)
    base = svc.index.settings  # with the index's calibration (its dense weight)
    texts = index_texts(svc.index)
    rows = []
    for path in SETS:
        for q in load_questions(Path(path)):
            if not (q["answerable"] and in_index(q, texts)):
                continue
            hits = svc.search(q["question"], 400).hits
            rows.append(
                {
                    "key": (str(index), path, q["id"]),
                    "set": path,
                    "lookup": np.array([h.reason == "lookup" for h in hits], bool),
                    "ev": np.array([contains_evidence(h.chunk.text, q["evidence"]) for h in hits], bool),
                    **{s: np.array([h.signals.get(s, 0.0) for h in hits], float) for s in SIGNALS},
                }
            )
    weights = {
        "w": base.dense_weight,
        "hw": base.heading_weight,
        "aw": base.authority_weight,
        "gamma": base.rerank_weight,
        "iw": base.intent_weight,
        "sw": base.subject_weight,
        "depth": Settings.of(index).rerank_depth,
    }
    return weights, rows


def rank(q: dict, w: float, p: dict) -> int | None:
    """1-based rank of the first candidate holding the evidence within 10, under dense weight ``w`` and ``p``."""
    s1 = (1 - w) * q["bm25"] + w * q["dense"] + p["hw"] * q["heading"] + p["aw"] * q["authority"]
    idx = np.arange(len(s1))
    rest = idx[~q["lookup"]]
    order = rest[np.argsort(-s1[rest], kind="stable")]
    head = order[: int(p["depth"])]
    s2 = s1[head] + p["gamma"] * q["sentence"][head] + p["iw"] * q["intent"][head] + p["sw"] * q["subject"][head]
    ranked = np.concatenate([idx[q["lookup"]], head[np.argsort(-s2, kind="stable")], order[int(p["depth"]) :]])
    found = np.nonzero(q["ev"][ranked][:10])[0]
    return int(found[0]) + 1 if len(found) else None


def objective(groups: list[tuple[str, list[dict]]], p: dict, keys: set | None = None) -> float:
    values = []
    for name, rows in groups:
        for path in SETS:
            chosen = [q for q in rows if q["set"] == path and (keys is None or q["key"] in keys)]
            ranks = [rank(q, p["w:" + name], p) for q in chosen]
            if ranks:
                hit5 = np.mean([r is not None and r <= 5 for r in ranks])
                values.append((hit5 + np.mean([1 / r if r else 0.0 for r in ranks])) / 2)
    return float(np.mean(values))


def fit(groups, start: dict, keys: set | None = None, rounds: int = 3) -> dict:
    grid = {**GRID, **{k: [i / 10 for i in range(11)] for k in start if k.startswith("w:")}}
    p, best = dict(start), objective(groups, start, keys)
    for _ in range(rounds):
        moved = False
        for k, values in grid.items():
            for v in values:
                if v != p[k] and (o := objective(groups, {**p, k: v}, keys)) > best + 1e-9:
                    best, p, moved = o, {**p, k: v}, True
        if not moved:
            break
    return p


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, action="append", required=True, help="index folder (repeat)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    groups, start = [], {}
    for index in args.index:
        weights, rows = dump(index)
        start.update({k: v for k, v in weights.items() if k != "w"}, **{f"w:{index}": weights["w"]})
        groups.append((str(index), rows))
        print(f"{index}: {len(rows)} questions, today's weights {weights}")
    keys = sorted({q["key"][2] for _, rows in groups for q in rows})
    for repeat in range(args.repeats):
        random.Random(repeat).shuffle(keys)
        gains = []
        for f in range(args.folds):
            held = set(keys[f :: args.folds])
            train = {q["key"] for _, rows in groups for q in rows if q["key"][2] not in held}
            test = {q["key"] for _, rows in groups for q in rows if q["key"][2] in held}
            p = fit(groups, start, train)
            gains.append(objective(groups, p, test) - objective(groups, start, test))
            print(f"  fold {f}: { ({k: v for k, v in p.items() if v != start[k]}) } held-out gain {gains[-1]:+.4f}")
        print(f"repeat {repeat}: mean held-out gain {np.mean(gains):+.4f}")
    p = fit(groups, start)
    print(f"fitted on all: { ({k: v for k, v in p.items() if v != start[k]}) }")
    print(f"objective {objective(groups, start):.4f} (today) -> {objective(groups, p):.4f} (in-sample)")


if __name__ == "__main__":
    main()
