"""French BM25 index (bm25s) saved beside the Chroma store: a folder of plainly named files."""
from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np

from assistant.text import analyse


class LexicalIndex:
    def __init__(self, retriever, chunk_ids: list[str], df: dict[str, int]):
        self._bm25 = retriever
        self.chunk_ids = chunk_ids
        self.position = {cid: i for i, cid in enumerate(chunk_ids)}
        self.df = df
        self.n = len(chunk_ids)

    @classmethod
    def build(cls, chunk_ids: Sequence[str], texts: Sequence[str], extra: Sequence[str] | None = None) -> "LexicalIndex":
        """``extra`` is indexed with each text without being part of it (title, breadcrumb, locator)."""
        import bm25s

        tokens = []
        for i, text in enumerate(texts):
            toks = analyse(text)
            if extra is not None:
                toks += analyse(extra[i])
            tokens.append(toks or [""])
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        if tokens:
            retriever.index(tokens, show_progress=False)
        df = Counter()
        for toks in tokens:
            df.update(set(toks))
        return cls(retriever, list(chunk_ids), dict(df))

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency; unseen tokens get the highest value."""
        return math.log(1 + (self.n + 1) / (self.df.get(token, 0) + 0.5))

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        known = [t for t in tokens if t in getattr(self._bm25, "vocab_dict", {})]
        if not known or not self.n:
            return np.zeros(self.n, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(list(known)), dtype=np.float32)

    def top(self, tokens: Sequence[str], k: int) -> list[tuple[str, float]]:
        scores = self.scores(tokens)
        if not len(scores):
            return []
        k = min(k, len(scores))
        idx = np.argpartition(-scores, k - 1)[:k]
        idx = idx[np.argsort(-scores[idx])]
        return [(self.chunk_ids[i], float(scores[i])) for i in idx if scores[i] > 0]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.n:
            self._bm25.save(str(folder / "bm25"))
        (folder / "chunk_ids.json").write_text(json.dumps(self.chunk_ids))
        (folder / "df.json").write_text(json.dumps(self.df))

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        import bm25s

        chunk_ids = json.loads((folder / "chunk_ids.json").read_text())
        df = json.loads((folder / "df.json").read_text())
        retriever = bm25s.BM25.load(str(folder / "bm25"), mmap=False) if chunk_ids else bm25s.BM25()
        return cls(retriever, chunk_ids, df)
