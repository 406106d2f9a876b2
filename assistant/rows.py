"""Read-only views of a catalog's tables, fetched by key on demand through a bounded cache.

Opening an index used to load every passage and every document's metadata into Python objects: at the full
codes (21,000 passages) that was about 100 MB and a second of start-up, and it grew with the corpus. A ``Rows``
is a ``Mapping`` whose values come from SQLite when asked for, the last ones asked kept; iterating it reads the
table as it goes and keeps nothing.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

K = TypeVar("K")
V = TypeVar("V")


class Rows(Mapping, Generic[K, V]):
    """``fetch(keys)`` returns the values of the keys that exist; ``keys()`` and ``items()`` stream the table;
    ``count()`` is read once (a generation being read does not change)."""

    def __init__(
        self,
        fetch: Callable[[list[K]], dict[K, V]],
        keys: Callable[[], Iterable[K]],
        count: Callable[[], int],
        items: Callable[[], Iterable[tuple[K, V]]] | None = None,
        size: int = 4096,
    ):
        self._fetch = fetch
        self._keys = keys
        self._count = count
        self._items = items
        self.size = size
        self._cache: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self._len: int | None = None

    def _keep(self, got: dict[K, V]) -> None:
        with self._lock:
            for k, v in got.items():
                self._cache[k] = v
                self._cache.move_to_end(k)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)

    def __getitem__(self, key: K) -> V:
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        got = self._fetch([key])
        if key not in got:
            raise KeyError(key)
        self._keep(got)
        return got[key]

    def many(self, keys: Iterable[K]) -> dict[K, V]:
        """The values of those of ``keys`` that exist, the ones not kept read in one query."""
        keys = list(dict.fromkeys(keys))
        out: dict[K, V] = {}
        with self._lock:
            for k in keys:
                if k in self._cache:
                    out[k] = self._cache[k]
        wanted = [k for k in keys if k not in out]
        if wanted:
            got = self._fetch(wanted)
            if len(got) <= self.size:
                self._keep(got)
            out.update(got)
        return out

    def __iter__(self) -> Iterator[K]:
        return iter(self._keys())

    def __len__(self) -> int:
        if self._len is None:
            self._len = self._count()
        return self._len

    def items(self):  # type: ignore[override]
        return super().items() if self._items is None else iter(self._items())

    def values(self):  # type: ignore[override]
        return (v for _k, v in self.items())

    @property
    def kept(self) -> int:
        """How many values are held now (at most ``size``)."""
        return len(self._cache)


class Recent(Generic[K, V]):
    """The last ``size`` values computed, by key (least recently used dropped first), shared by a server's
    threads: its per-passage caches, which would otherwise grow with every passage its questions ever read, up to
    the whole corpus, and its embedders' query vectors."""

    def __init__(self, size: int):
        self.size = size
        self._cache: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, compute: Callable[[], V]) -> V:
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        value = compute()  # outside the lock: two threads may compute the same value, one is kept
        with self._lock:
            self._cache[key] = value
            self._cache.move_to_end(key)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._cache)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


class FileRows:
    """The rows of a 2-D little-endian array stored in a file, read with ``os.pread`` when asked for
    (``rows[ids]``, as a numpy array's fancy indexing gives them; ``block(start, stop)``, a run of rows): the
    MiniLM's word embeddings, a large generation's clustered vectors (``assistant.store``). Mapped, the file's
    pages came into the process's memory with their neighbours (the kernel maps up to 64 KB of the page cache
    around the one read): a full-codes server held 20 MB of the word embeddings after 40 questions and 40 of
    their 47 MB after 500 more, for the few thousand rows of the tokens it had met. Read, a row is copied for the
    query that needs it and nothing stays. The descriptor is opened once; ``pread`` keeps no position, so the
    threads of a process and the workers forked from it read through it at once."""

    def __init__(self, path: Path, offset: int, shape: tuple[int, int], dtype: np.dtype):
        self.path = Path(path)
        self.shape = shape
        self.dtype = dtype
        self._offset = offset
        self._row = shape[1] * dtype.itemsize
        self._fd = os.open(self.path, os.O_RDONLY)

    def __reduce__(self):
        """A copy (``copy``, ``pickle``) opens the file again: two objects never close each other's descriptor."""
        return (FileRows, (self.path, self._offset, self.shape, self.dtype))

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, ids) -> np.ndarray:
        ids = np.asarray(ids)
        if ids.dtype.kind not in "iu":
            raise IndexError(f"rows are read by integer ids, not {ids.dtype}")
        unique, inverse = np.unique(ids, return_inverse=True)
        if len(unique) and (unique[0] < 0 or unique[-1] >= self.shape[0]):
            raise IndexError(f"row {int(unique[-1] if unique[-1] >= self.shape[0] else unique[0])} out of range")
        rows = self._array(b"".join(self._read(int(i), 1) for i in unique), len(unique))
        return rows[inverse.reshape(ids.shape)]

    def block(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start`` to ``stop`` (excluded), in one read."""
        if not 0 <= start <= stop <= self.shape[0]:
            raise IndexError(f"rows {start}:{stop} out of range")
        return self._array(self._read(start, stop - start), stop - start)

    def _read(self, start: int, count: int) -> bytes:
        return os.pread(self._fd, count * self._row, self._offset + start * self._row)

    def _array(self, data: bytes, count: int) -> np.ndarray:
        """``count`` rows from the bytes read; a file shorter than its header says is refused."""
        if len(data) != count * self._row:
            raise OSError(f"{self.path} tronqué")
        return np.frombuffer(data, dtype=self.dtype).reshape(count, self.shape[1])

    def __del__(self):
        fd, self._fd = getattr(self, "_fd", None), None
        if fd is not None:
            os.close(fd)
