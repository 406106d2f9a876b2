"""How near to exact a generation's grouped vectors are (``assistant.store.ClusteredVectors``): for the bench's
first 100 questions, the share of the exact 60 and 10 nearest that reading PROBES groups finds, against every
group read (an exhaustive search), with its time; and the same for the generation's Chroma HNSW index with
``--chroma``.

    .venv/bin/python scripts/group_recall.py GENERATION_FOLDER [PROBES...] [--chroma]

GENERATION_FOLDER is a generation whose ``exact/`` holds grouped vectors (the bench's ``bench/cache/200k``).
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

from assistant.embeddings import get_embedder
from assistant.settings import MINILM
from assistant.store import ClusteredVectors, VectorStore
from evals.bench import questions_200


def compare(name: str, search, truths: list[list[str]], queries) -> None:
    found60, found10, ms = [], [], []
    for q, truth in zip(queries, truths, strict=True):
        t = time.perf_counter()
        got = {c for c, _ in search.query(q, 60)}
        ms.append((time.perf_counter() - t) * 1000)
        found60.append(len(got & set(truth)) / 60)
        found10.append(len(got & set(truth[:10])) / 10)
    print(
        f"{name}: {np.mean(found60):.3f} of the exact 60 nearest (min {np.min(found60):.3f}), "
        f"{np.mean(found10):.3f} of the exact 10; {np.median(ms):.1f} ms p50, {np.percentile(ms, 95):.1f} ms p95"
    )


def main(args: list[str]) -> None:
    folder = Path(args[0])
    probes = [int(a) for a in args[1:] if a != "--chroma"] or [32]
    # the generation's own model (its index.json), the MiniLM for one written before the model was recorded
    info = json.loads((folder / "index.json").read_text())
    embedder = get_embedder(info.get("embedding_model") or MINILM)
    queries = [embedder.embed_query(q) for q in questions_200()[:100]]
    exhaustive = ClusteredVectors(folder / "exact", probes=1 << 30)
    truths = [[c for c, _ in exhaustive.query(q, 60)] for q in queries]  # every group read: the exact nearest
    for p in probes:
        compare(f"{p} groups of {exhaustive.groups}", ClusteredVectors(folder / "exact", probes=p), truths, queries)
    if "--chroma" in args:
        chroma = VectorStore(folder / "chroma")
        chroma.query(queries[0], 60)  # its index loaded before anything is timed
        compare("Chroma HNSW", chroma, truths, queries)


if __name__ == "__main__":
    main(sys.argv[1:])
