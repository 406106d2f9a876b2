"""Passage vectors already computed, kept by (model, text hash) in one SQLite file shared by every index folder
and every generation: a ``--rebuild``, a second index of the same texts, or a chunking change that keeps a
passage's text never embeds that passage again.

The file sits beside the index folder by default (``data/vector-cache.sqlite`` for ``data/index`` and
``data/full``), see the ``vector_cache`` setting. Several processes may use it at once (SQLite WAL). It is
never pruned: vectors of texts no longer indexed stay until the file is deleted, which only costs a new
embedding the next time."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.catalog import use_wal

SCHEMA = """CREATE TABLE IF NOT EXISTS vectors (
    model TEXT NOT NULL, sha256 TEXT NOT NULL, dim INTEGER NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (model, sha256)) WITHOUT ROWID"""
LOOKUP_BATCH = 500  # keys per SELECT (SQLite's variable limit is far above)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


class VectorCache:
    """A failed read or write (a read-only file, a full disk) is not an error of the refresh: the vectors are
    embedded or kept without the cache, and ``error`` says what happened."""

    def __init__(self, path: Path):
        self.error = ""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            use_wal(self._db)
            self._db.execute(SCHEMA)
            self._db.commit()

    def get(self, model: str, texts: Sequence[str], dim: int) -> dict[int, np.ndarray]:
        """The cached vectors of ``texts`` under ``model``, by position in ``texts`` (missing ones left out)."""
        keys = [text_hash(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            try:
                for i in range(0, len(keys), LOOKUP_BATCH):
                    part = keys[i : i + LOOKUP_BATCH]
                    rows = self._db.execute(
                        f"SELECT sha256, vector FROM vectors WHERE model = ? AND dim = ? AND sha256 IN "
                        f"({','.join('?' * len(part))})",
                        [model, dim, *part],
                    ).fetchall()
                    found.update((sha, np.frombuffer(blob, dtype=np.float32)) for sha, blob in rows)
            except sqlite3.Error as exc:
                self.error = f"cache de vecteurs illisible ({exc}) : passages calculés sans lui"
                return {}
        return {i: found[k] for i, k in enumerate(keys) if k in found}

    def put(self, model: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        rows = [(model, text_hash(t), int(v.shape[0]), v.tobytes()) for t, v in zip(texts, vectors, strict=True)]
        with self._lock:
            try:
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)", rows)
                self._db.commit()
            except sqlite3.Error as exc:
                self._db.rollback()
                self.error = f"cache de vecteurs non mis à jour ({exc}) : l'index est construit sans lui"

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def cache_path(setting: str, index: Path) -> Path | None:
    """Where the cache is for the ``vector_cache`` setting: "" beside the index folder, "off" none, else the
    path given."""
    if setting.strip().lower() == "off":
        return None
    return Path(setting) if setting.strip() else Path(index).parent / "vector-cache.sqlite"


def embed_with_cache(
    embedder, texts: Sequence[str], cache: VectorCache | None, batch_size: int = 64, progress=None
) -> tuple[np.ndarray, int]:
    """Vectors of ``texts``: from the cache where it has them, embedded (and cached) otherwise. Returns the
    vectors and how many were embedded now."""
    if cache is None:
        return embedder.embed(list(texts), batch_size=batch_size, progress=progress), len(texts)
    model = embedder_identity(embedder)
    known = cache.get(model, texts, embedder.dimension)
    if known and progress:
        progress(len(known))
    missing = [i for i in range(len(texts)) if i not in known]
    out = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for i, v in known.items():
        out[i] = v
    if missing:
        fresh = embedder.embed([texts[i] for i in missing], batch_size=batch_size, progress=progress)
        out[missing] = fresh
        cache.put(model, [texts[i] for i in missing], fresh)
    return out, len(missing)


def embedder_identity(embedder) -> str:
    """What decides a passage's vector besides its text: the model, and how much of a passage it reads."""
    chars = getattr(embedder, "PASSAGE_CHARS", None)
    return f"{embedder.name}" + (f"@{chars}" if chars else "")
