"""Passage vectors already computed, kept by (model, text hash) in one SQLite file shared by every index folder
and every generation: a ``--rebuild``, a second index of the same texts, or a chunking change that keeps a
passage's text never embeds that passage again while its vector is in the cache.

The file sits beside the index folder by default (``data/vector-cache.sqlite`` for ``data/index`` and
``data/full``), see the ``vector_cache`` setting. Several processes may use it at once (SQLite WAL).

Each vector records the day (UTC) a refresh last read or wrote it; a refresh that publishes a generation also
marks every passage of that generation used, those it copied from the previous generation included
(``Builder.keep_cached_vectors``), then removes the vectors unused for more than ``vector_cache_days`` days
(``prune``); ``python -m assistant prune-cache`` prunes and compacts the file on demand. This is safe because
the file is only a cache: a vector pruned while an index still holds its passage is embedded again the next time
a refresh needs it (a ``--rebuild``, another index of the same text), and the vectors of an index refreshed
within the limit are all kept."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from assistant.catalog import use_wal
from assistant.embeddings import Shared

# ``used``: the day (UTC, YYYY-MM-DD) a refresh last read or wrote the vector. It comes before the vector so that
# reading it does not read the vector's overflow page. A file written before it existed gets it last, by
# ALTER TABLE, with the day of that migration as its default: nothing is rewritten, and every vector then counts
# as used that day.
SCHEMA = """CREATE TABLE IF NOT EXISTS vectors (
    model TEXT NOT NULL, sha256 TEXT NOT NULL, dim INTEGER NOT NULL, used TEXT NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (model, sha256)) WITHOUT ROWID"""
LOOKUP_BATCH = 500  # keys per SELECT or UPDATE (SQLite's variable limit is far above)
DAY = 86400


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def batches(items: Iterable[str], size: int) -> Iterator[list[str]]:
    """``items`` in lists of ``size`` (the last one shorter), read as they come."""
    part: list[str] = []
    for item in items:
        part.append(item)
        if len(part) == size:
            yield part
            part = []
    if part:
        yield part


def day_of(t: float) -> str:
    """The UTC day of time ``t`` (seconds since the epoch), as the cache records it."""
    return time.strftime("%Y-%m-%d", time.gmtime(t))


class VectorCache:
    """A failed read or write (a read-only file, a full disk) is not an error of the refresh: the vectors are
    embedded or kept without the cache, and ``error`` says what happened. ``uses_recorded`` is False once a use
    could not be recorded (a read-only file, a lock held too long): no use is recorded after that, and the
    refresh does not prune, which could remove vectors it used. ``clock``: seconds since the epoch (tests give a
    fake one)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time):
        self.error = ""
        self.path = Path(path)
        self.clock = clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            use_wal(self._db)
            self._db.execute(SCHEMA)
            self._db.commit()
            self._dated = self._migrate()  # the file has its ``used`` column
        self.uses_recorded = self._dated

    def _migrate(self) -> bool:
        """Give a file from before last uses were kept its ``used`` column, in place; False when it cannot be
        (a read-only file: its vectors are still read, their uses are not recorded)."""
        if self._has_used():
            return True
        try:
            self._db.execute(f"ALTER TABLE vectors ADD COLUMN used TEXT NOT NULL DEFAULT '{self.today()}'")
            self._db.commit()
        except sqlite3.Error as exc:
            self._db.rollback()
            if self._has_used():  # another process migrated it meanwhile
                return True
            self.error = f"cache de vecteurs d'un format ancien non mis à jour ({exc}) : il sert sans dates d'usage"
            return False
        return True

    def _has_used(self) -> bool:
        return any(row[1] == "used" for row in self._db.execute("PRAGMA table_info(vectors)"))

    def today(self) -> str:
        return day_of(self.clock())

    def get(self, model: str, texts: Sequence[str], dim: int) -> dict[int, np.ndarray]:
        """The cached vectors of ``texts`` under ``model``, by position in ``texts`` (missing ones left out);
        those found are marked used today."""
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
            self._touch(model, list(found))
        return {i: found[k] for i, k in enumerate(keys) if k in found}

    def touch(self, model: str, texts: Iterable[str]) -> None:
        """Mark the vectors of ``texts`` under ``model`` used today (those the cache holds)."""
        with self._lock:
            self._touch(model, (text_hash(t) for t in texts))

    def _touch(self, model: str, keys: Iterable[str]) -> None:
        """Mark the vectors of hashes ``keys`` used today, the lock held: one transaction, one UPDATE per
        ``LOOKUP_BATCH`` keys, and a vector already marked today is not written again."""
        if not self.uses_recorded:
            return
        today = self.today()
        try:
            for part in batches(keys, LOOKUP_BATCH):
                self._db.execute(
                    f"UPDATE vectors SET used = ? WHERE model = ? AND used < ? AND sha256 IN "
                    f"({','.join('?' * len(part))})",
                    [today, model, today, *part],
                )
            self._db.commit()
        except sqlite3.Error as exc:
            self._db.rollback()
            self.uses_recorded = False
            self.error = (
                f"dates d'usage du cache de vecteurs non enregistrées ({exc}) : ses vecteurs servent quand même, "
                "il n'est pas élagué"
            )

    def put(self, model: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        if self._insert(model, [text_hash(t) for t in texts], vectors, "REPLACE") is None:
            self.error += " : l'index est construit sans lui"

    def put_hashed(self, model: str, keys: Sequence[str], vectors: np.ndarray) -> int | None:
        """Add the vectors of the texts whose SHA-256 (hex) are ``keys`` under ``model`` (shipped vectors,
        ``assistant.shipped``), keeping those the cache already holds. Returns how many were added, None when the
        write failed (``error`` says why)."""
        return self._insert(model, keys, vectors, "IGNORE")

    def _insert(self, model: str, keys: Sequence[str], vectors: np.ndarray, conflict: str) -> int | None:
        """Write the vectors of hashes ``keys`` under ``model``, dated today in a dated file; a key the cache holds
        is replaced or kept (``conflict``: "REPLACE" or "IGNORE"). How many rows were written, None when the write
        failed (``error`` says why)."""
        vectors = np.asarray(vectors, dtype=np.float32)
        dated = self._dated
        columns = "model, sha256, dim, used, vector" if dated else "model, sha256, dim, vector"
        today = (self.today(),) if dated else ()
        rows = [(model, k, int(v.shape[0]), *today, v.tobytes()) for k, v in zip(keys, vectors, strict=True)]
        sql = f"INSERT OR {conflict} INTO vectors ({columns}) VALUES ({', '.join('?' * (4 + dated))})"
        with self._lock:
            try:
                before = self._db.total_changes
                self._db.executemany(sql, rows)
                self._db.commit()
                return self._db.total_changes - before
            except sqlite3.Error as exc:
                self._db.rollback()
                self.error = f"cache de vecteurs non mis à jour ({exc})"
                return None

    def prune(self, days: int) -> int:
        """Remove the vectors no refresh has used for more than ``days`` days (last used before the day ``days``
        days ago); ``days`` 0: none. Returns how many were removed. The file keeps its size: later vectors reuse
        the space (``compact`` gives it back)."""
        if days <= 0 or not self._dated:
            return 0
        cutoff = day_of(self.clock() - days * DAY)
        with self._lock:
            try:
                removed = self._db.execute("DELETE FROM vectors WHERE used < ?", (cutoff,)).rowcount
                self._db.commit()
            except sqlite3.Error as exc:
                self._db.rollback()
                self.error = f"cache de vecteurs non élagué ({exc}) : il garde ses anciens vecteurs"
                return 0
        return removed

    def compact(self) -> None:
        """Give the space of removed vectors back to the disk (VACUUM, which needs about the file's size free for
        a moment, and holds other writers for its duration)."""
        with self._lock:
            try:
                self._db.execute("VACUUM")
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                self.error = f"cache de vecteurs non compacté ({exc}) : sa place libre servira aux vecteurs suivants"

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


def prune_file(path: Path, days: int, clock: Callable[[], float] = time.time) -> dict:
    """What ``python -m assistant prune-cache`` does to the cache file at ``path``: remove the vectors unused for
    more than ``days`` days (none for 0), then compact the file if any was removed. A missing file is not
    created. ``error``: "" or what could not be done."""
    result = {"path": str(path), "days": days, "removed": 0, "kept": 0, "bytes_before": file_size(path), "error": ""}
    result["bytes_after"] = result["bytes_before"]
    if not path.exists():
        return result
    try:
        cache = VectorCache(path, clock=clock)
    except (OSError, sqlite3.Error) as exc:
        return result | {"error": f"cache de vecteurs inaccessible ({exc})"}
    try:
        result["removed"] = cache.prune(days)
        if result["removed"]:
            cache.compact()
        result["kept"] = len(cache)
    except sqlite3.Error as exc:
        cache.error = cache.error or f"cache de vecteurs illisible ({exc})"
    finally:
        cache.close()
    return result | {"bytes_after": file_size(path), "error": cache.error}


def file_size(path: Path) -> int:
    """Bytes of the cache file and of its write-ahead log."""
    return sum(os.path.getsize(p) for p in (path, Path(f"{path}-wal")) if os.path.exists(p))


def embed_with_cache(
    embedder, texts: Sequence[str], cache: VectorCache | None, batch_size: int = 64, progress=None
) -> tuple[np.ndarray, int]:
    """Vectors of ``texts``: from the cache where it has them, embedded (and cached) otherwise. Returns the
    vectors and how many texts were embedded now. Each model of a mix (``MixEmbedder``) has its own vectors in
    the cache, under its own name: an index of one model lends them to an index of the mix, and back; a text
    counts as embedded when any of its models embedded it."""
    vectors, missing = _embed_with_cache(embedder, texts, cache, batch_size, progress)
    return vectors, len(missing)


def models_of(embedder, texts: Sequence[str]) -> list[tuple[object, Sequence[str]]]:
    """(model, the texts it reads) for each model of ``embedder``: itself, or each model of a mix
    (``MixEmbedder``), which the cache keeps apart."""
    parts = getattr(embedder, "parts", None)
    if parts is None:
        return [(embedder, texts)]
    return list(zip(parts, embedder.texts_of(texts), strict=True))


def _embed_with_cache(embedder, texts, cache, batch_size, progress) -> tuple[np.ndarray, set[int]]:
    parts = getattr(embedder, "parts", None)
    if parts is not None:
        share = Shared(progress, len(parts))
        done = [_embed_with_cache(p, t, cache, batch_size, share) for p, t in models_of(embedder, texts)]
        return embedder.join([v for v, _ in done]), set().union(*(m for _, m in done))
    if cache is None:
        return embedder.embed(list(texts), batch_size=batch_size, progress=progress), set(range(len(texts)))
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
    return out, set(missing)


def touch_vectors(cache: VectorCache, embedder, texts: Iterable[str]) -> None:
    """Mark the vectors of ``texts`` used today, each model's of a mix under its own name."""
    if getattr(embedder, "parts", None) is None:
        cache.touch(embedder_identity(embedder), texts)  # read as they come
        return
    for model, part in models_of(embedder, list(texts)):
        cache.touch(embedder_identity(model), part)


def embedder_identity(embedder) -> str:
    """What decides a passage's vector besides its text: the model, and how much of a passage it reads."""
    chars = getattr(embedder, "PASSAGE_CHARS", None)
    return f"{embedder.name}" + (f"@{chars}" if chars else "")
