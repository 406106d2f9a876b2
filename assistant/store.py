"""The vector store. Only this module imports chromadb; it always passes its own vectors, telemetry off.

A generation's builder writes into Chroma (``VectorStore``); when its Chroma is embedded, the builder also saves
every vector as one array (``write_exact``). Up to ``exact_search_max`` passages readers search it exactly
through a memory map (``ExactVectors``); above, it is saved grouped by nearness (``cluster``) and readers read
the groups nearest to a question from the file (``ClusteredVectors``). Either way no Chroma client, HNSW index
nor chromadb import in a server, the same candidates from one process to the next, and the file's pages shared
by every process that reads it. The array holds each vector in 8-bit integers and one step per row
(``quantize``): a quarter of the float32 rows' memory, the same nearest passages but for near ties."""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from assistant import generations
from assistant.rows import FileRows

COLLECTION = "chunks"


def _http_client(url: str):
    from urllib.parse import urlparse

    import chromadb
    from chromadb.config import Settings as ChromaSettings

    parsed = urlparse(url if "://" in url else f"http://{url}")
    return chromadb.HttpClient(
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or (443 if parsed.scheme == "https" else 8000),
        ssl=parsed.scheme == "https",
        settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
    )


def drop_collection(url: str, name: str) -> None:
    """Delete a collection of a Chroma server (a generation that was collected); absent is fine."""
    client = _http_client(url)
    if name in {c.name for c in client.list_collections()}:
        client.delete_collection(name)


class VectorStore:
    """Embedded Chroma in ``path``, or a Chroma server when ``url`` is given (``http://host:port``)."""

    def __init__(self, path: Path, url: str = "", collection: str = COLLECTION):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if url:
            self._client = _http_client(url)
        else:
            path.mkdir(exist_ok=True)  # not parents: a collected generation is not brought back empty
            self._client = chromadb.PersistentClient(path=str(path), settings=settings)
        # embedding_function=None: Chroma must never load (or download) its default model.
        self._col = self._client.get_or_create_collection(
            collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )

    def close(self) -> None:
        try:
            self._client.close()
        except Exception:  # an older client without close(), or already closed
            pass

    def copy_from(self, other: VectorStore, batch: int = 2000) -> None:
        """Copy every vector and metadata of ``other`` (a generation's collection on a server); not the passages'
        text, which collections built before 2026-12-04 also held and no reader reads."""
        offset = 0
        while True:
            got = other._col.get(include=["embeddings", "metadatas"], limit=batch, offset=offset)
            if not got["ids"]:
                return
            self._col.upsert(ids=got["ids"], embeddings=got["embeddings"], metadatas=got["metadatas"])
            offset += len(got["ids"])

    def count(self) -> int:
        return self._col.count()

    def add(self, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict], *, batch: int = 2000) -> None:
        """The vectors and their metadata (``Chunk.store_metadata``), not the passages' text: readers read it from
        the catalog, and Chroma indexed it for full-text search, which no reader asks for (2/3 of its writing time:
        4,000 passages of the full codes 3.9 s with their text, 1.3 s without)."""
        for i in range(0, len(ids), batch):
            self._col.upsert(
                ids=list(ids[i : i + batch]),
                embeddings=vectors[i : i + batch].tolist(),
                metadatas=list(metadatas[i : i + batch]),
            )

    def delete(self, ids: Sequence[str], batch: int = 2000) -> None:
        ids = list(ids)
        for i in range(0, len(ids), batch):
            self._col.delete(ids=ids[i : i + batch])

    def existing(self, ids: Sequence[str], batch: int = 2000) -> set[str]:
        found: set[str] = set()
        ids = list(ids)
        for i in range(0, len(ids), batch):
            found.update(self._col.get(ids=ids[i : i + batch], include=[])["ids"])
        return found

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        got = self._col.get(ids=list(ids), include=["embeddings"])
        return {cid: np.asarray(vec, dtype=np.float32) for cid, vec in zip(got["ids"], got["embeddings"], strict=True)}

    def query(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first. No count() first: it cost 4 to 20 ms a question, and
        Chroma accepts k above the collection's size."""
        try:
            res = self._col.query(query_embeddings=[vector.tolist()], n_results=k, include=["distances"])
        except Exception:
            if self.count():
                raise
            return []  # an empty collection
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0], strict=True)]

    def all_ids(self, batch: int = 5000) -> list[str]:
        out, offset = [], 0
        while True:
            got = self._col.get(include=[], limit=batch, offset=offset)["ids"]
            out.extend(got)
            if len(got) < batch:
                return out
            offset += batch


EXACT_IDS = "ids.npy"  # the passages' ids, sorted (bytes)
EXACT_VECTORS = "vectors.npy"  # their vectors, one row each, in the same order (int8; float32 before 2026-12-05)
EXACT_STEPS = "steps.npy"  # each int8 row's step: the vector is the row times its step (float32)
EXACT_NORMS = "norms.npy"  # each vector's length (the similarity is the cosine, as Chroma's)
PRODUCT_BLOCK = 256  # int8 rows made float32 at once for a product (in the core's cache)


def quantize(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row of float ``rows`` as 8-bit integers and its step (its largest magnitude over 127): the row is
    the integers times the step, each value within half a step. Over the full codes' vectors (the default mix),
    each model's cosine with a question moved by 0.0002 to 0.0003 on average."""
    rows = np.asarray(rows, dtype=np.float32)
    steps = np.abs(rows).max(axis=1) / np.float32(127) if rows.size else np.zeros(len(rows), np.float32)
    steps = np.where(steps > 0, steps, np.float32(1)).astype(np.float32)
    return np.clip(np.rint(rows / steps[:, None]), -127, 127).astype(np.int8), steps


def products(matrix: np.ndarray, q: np.ndarray, steps: np.ndarray | None) -> np.ndarray:
    """``matrix @ q`` for float32 rows, or for int8 rows times their ``steps``: made float32 ``PRODUCT_BLOCK``
    rows at a time, only the columns from ``q``'s first value that is not 0 to its last (a mix's part searched
    alone: ``retrieval.dense_scores``). 1.3 ms for 21,000 rows of a mix's 768 values on these cores, as in
    float32 (1.2 ms); 2.2 ms with every column, and the whole matrix at once took a 64 MB temporary."""
    if steps is None:
        return np.asarray(matrix @ q, dtype=np.float32)
    used = np.flatnonzero(q)
    if len(used):
        matrix, q = matrix[:, used[0] : used[-1] + 1], q[used[0] : used[-1] + 1]
    out = np.empty(len(matrix), dtype=np.float32)
    buf = np.empty((min(PRODUCT_BLOCK, len(matrix)), matrix.shape[1]), dtype=np.float32)
    for start in range(0, len(matrix), PRODUCT_BLOCK):
        part = matrix[start : start + PRODUCT_BLOCK]
        n = len(part)
        buf[:n] = part
        np.matmul(buf[:n], q, out=out[start : start + n])
    return out * np.asarray(steps, dtype=np.float32)


def write_exact(store: VectorStore, folder: Path, batch: int = 2000, clusters: bool = False, bits: int = 8) -> int:
    """Save every vector of ``store`` as the arrays ``ExactVectors`` reads, in ``folder``, which is replaced
    whole: the arrays are written in a folder beside it, then renamed into place, so that a reader opening
    the generation meanwhile finds the old folder or the new one, never a mix. ``clusters``: grouped by
    nearness for ``ClusteredVectors`` (``cluster``). ``bits``: 8, int8 rows and their steps (``quantize``);
    32, the float32 vectors as they are. The number of vectors saved."""
    if bits not in (8, 32):
        raise ValueError(f"bits : 8 ou 32, pas {bits}")
    import shutil

    from numpy.lib.format import open_memmap

    keys = sorted(i.encode() for i in store.all_ids())  # the order ``searchsorted`` reads them in
    new, old = folder.with_name(folder.name + ".new"), folder.with_name(folder.name + ".old")
    shutil.rmtree(new, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    new.mkdir(parents=True)
    ids = np.array(keys, dtype=bytes) if keys else np.zeros(0, dtype="S1")
    dtype = np.int8 if bits == 8 else np.float32
    matrix = None
    norms = steps = np.zeros(0, dtype=np.float32)
    for start in range(0, len(keys), batch):  # row by row into the file: never the whole matrix twice in memory
        part = [k.decode() for k in keys[start : start + batch]]
        got = store.vectors(part)
        vectors = np.stack([got[c] for c in part]).astype(np.float32)
        rows, row_steps = quantize(vectors) if bits == 8 else (vectors, None)
        if matrix is None:
            matrix = open_memmap(new / EXACT_VECTORS, mode="w+", dtype=dtype, shape=(len(keys), rows.shape[1]))
            norms, steps = np.zeros(len(keys), dtype=np.float32), np.zeros(len(keys), dtype=np.float32)
        matrix[start : start + len(part)] = rows
        if row_steps is not None:
            steps[start : start + len(part)] = row_steps
            vectors = rows * row_steps[:, None]  # what readers read
        norms[start : start + len(part)] = np.linalg.norm(vectors, axis=1)
    if matrix is None:
        np.save(new / EXACT_VECTORS, np.zeros((0, 0), dtype=dtype))
    else:
        matrix.flush()
        del matrix
    np.save(new / EXACT_IDS, ids)
    np.save(new / EXACT_NORMS, norms)
    if bits == 8:
        np.save(new / EXACT_STEPS, steps)
    if clusters and len(keys):
        cluster(new)
    generations.sync_tree(new)  # on disk before the rename makes it the array
    if folder.exists():
        folder.rename(old)
    new.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    generations.fsync_dir(folder.parent)  # the rename on disk
    return len(keys)


CLUSTER_CENTROIDS = "centroids.npy"  # each group's mean direction (float32, unit length)
CLUSTER_OFFSETS = "offsets.npy"  # where each group's rows start in vectors.npy, and the end (int64)
CLUSTER_ROWS = "rows.npy"  # the row in vectors.npy of each id of ids.npy (int64)
CLUSTER_RANK = "rank.npy"  # the place in ids.npy of each row of vectors.npy (int64)
CLUSTER_SAMPLE = 50_000  # vectors the groups are learned from (then every vector joins its nearest group)
CLUSTER_BATCH = 20_000  # vectors assigned and written at once


def cluster_count(n: int) -> int:
    """Groups for ``n`` vectors: about the square root, so that a group holds about as many vectors as there are
    groups (447 of 447 at 200,000; 1,000 of 1,000 at a million)."""
    return max(1, round(n**0.5))


def spherical_kmeans(sample: np.ndarray, k: int, iterations: int = 12, seed: int = 0) -> np.ndarray:
    """``k`` unit centroids of the unit rows of ``sample`` (k-means on the cosine): each row joins the centroid
    it is nearest, each centroid moves to its rows' mean direction; a centroid left without rows starts again
    from a row drawn at random."""
    rng = np.random.default_rng(seed)
    k = min(k, len(sample))
    centroids = sample[rng.choice(len(sample), k, replace=False)].copy()
    for _ in range(iterations):
        nearest = np.argmax(sample @ centroids.T, axis=1)
        counts = np.bincount(nearest, minlength=k)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        sums = np.zeros_like(centroids)
        held = counts > 0  # the rows of each group, summed at once (sorted by group, one run each)
        sums[held] = np.add.reduceat(sample[np.argsort(nearest, kind="stable")], starts[held], axis=0)
        empty = ~held
        sums[empty] = sample[rng.choice(len(sample), int(empty.sum()))]
        centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    return centroids.astype(np.float32)


def cluster(folder: Path, seed: int = 0) -> None:
    """Group the rows of the arrays ``write_exact`` saved in ``folder`` by nearness (``spherical_kmeans`` on a
    sample, then each row into its nearest group) and write them again group after group, with the groups'
    centroids and where each starts (``ClusteredVectors``)."""
    from numpy.lib.format import open_memmap

    sorted_rows = np.load(folder / EXACT_VECTORS, mmap_mode="r")
    lengths = np.maximum(np.load(folder / EXACT_NORMS), np.float32(1e-12))[:, None]  # saved with the rows
    steps = _steps(folder, sorted_rows)
    steps = None if steps is None else np.array(steps)  # (read whole: its file is written again below)
    scale = lengths if steps is None else lengths / steps[:, None]  # int8 rows: their steps too
    n, batch = len(sorted_rows), CLUSTER_BATCH
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n, min(n, CLUSTER_SAMPLE), replace=False))
    centroids = spherical_kmeans(np.asarray(sorted_rows[sample], np.float32) / scale[sample], cluster_count(n))
    group = np.concatenate(
        [
            np.argmax((np.asarray(sorted_rows[i : i + batch], np.float32) / scale[i : i + batch]) @ centroids.T, axis=1)
            for i in range(0, n, batch)
        ]
    )
    rank = np.argsort(group, kind="stable")  # rows group after group, by id within a group
    offsets = np.concatenate([[0], np.cumsum(np.bincount(group, minlength=len(centroids)))]).astype(np.int64)
    grouped = open_memmap(folder / "grouped.npy", mode="w+", dtype=sorted_rows.dtype, shape=sorted_rows.shape)
    for i in range(0, n, batch):
        grouped[i : i + batch] = sorted_rows[rank[i : i + batch]]
    grouped.flush()
    del grouped, sorted_rows
    norms = np.load(folder / EXACT_NORMS)[rank]  # (the saved lengths, in the groups' order)
    rows = np.empty(n, dtype=np.int64)
    rows[rank] = np.arange(n)
    (folder / "grouped.npy").replace(folder / EXACT_VECTORS)
    np.save(folder / EXACT_NORMS, norms)
    if steps is not None:
        np.save(folder / EXACT_STEPS, steps[rank])
    np.save(folder / CLUSTER_RANK, rank.astype(np.int64))
    np.save(folder / CLUSTER_ROWS, rows)
    np.save(folder / CLUSTER_OFFSETS, offsets)
    np.save(folder / CLUSTER_CENTROIDS, centroids)


def open_exact(folder: Path, probes: int) -> ExactVectors:
    """The saved vectors of a generation: ``ClusteredVectors`` when they were grouped, else ``ExactVectors``.
    Their files are opened through one descriptor of the folder (``pinned``): a folder replaced meanwhile
    (``write_exact`` renames the new one into place) is read whole, the old one or the new one, never files of
    both. Raises ``ValueError`` or ``OSError``, naming the folder, when they cannot be read."""
    for attempt in range(3):
        with pinned(folder) as path:
            try:
                return ClusteredVectors(path, probes) if (path / CLUSTER_CENTROIDS).exists() else ExactVectors(path)
            except FileNotFoundError as exc:
                if attempt < 2:  # the old folder, replaced and being deleted: the new one is in place
                    continue
                name = f" ({Path(exc.filename).name})" if exc.filename else ""
                raise FileNotFoundError(f"fichiers manquants dans {folder}{name}") from None
            except (OSError, ValueError) as exc:
                raise type(exc)(str(exc).replace(str(path), str(folder))) from exc
    raise AssertionError("unreachable")


@contextmanager
def pinned(folder: Path):
    """A path to ``folder`` through a descriptor of it (``/proc/self/fd/N``, Linux), valid while the block runs:
    the files opened through it are those of the folder as it was when pinned, even if it is renamed and
    replaced meanwhile. Elsewhere, the folder's own path."""
    proc = Path("/proc/self/fd")
    if not proc.is_dir():
        yield folder
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield proc / str(fd)
    finally:
        os.close(fd)


def nearest(sims: np.ndarray, order: np.ndarray, k: int) -> np.ndarray:
    """The positions of the ``k`` highest of ``sims``, best first, ties in ``order`` (each position's place in
    id order): the same passages and order every time, whichever way the rows are laid out, even when several
    share the ``k``-th similarity (identical passages, "Abrogé.")."""
    k = min(k, len(sims))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k < len(sims):
        kth = sims[np.argpartition(-sims, k - 1)[k - 1]]
        candidates = np.flatnonzero(sims >= kth)  # every row tied with the k-th too
    else:
        candidates = np.arange(len(sims))
    return candidates[np.lexsort((order[candidates], -sims[candidates]))][:k]


def has_exact(folder: Path) -> bool:
    return all((folder / name).exists() for name in (EXACT_IDS, EXACT_NORMS, EXACT_VECTORS))


def exact_bits(folder: Path) -> int | None:
    """How the array saved in ``folder`` holds its values: 8 (int8 rows and their steps), 32 (float32), None
    when there is none or it cannot be read."""
    try:
        dtype = np.load(folder / EXACT_VECTORS, mmap_mode="r").dtype
    except (OSError, ValueError):
        return None
    return {np.dtype(np.int8): 8, np.dtype(np.float32): 32}.get(dtype)


def _steps(folder: Path, matrix: np.ndarray) -> np.ndarray | None:
    """The steps of int8 rows (``quantize``), None for float32 rows (an array saved before 2026-12-05). Raises
    ``ValueError`` for another type, or int8 rows without their steps."""
    if matrix.dtype == np.float32:
        return None
    if matrix.dtype != np.int8:
        raise ValueError(f"{folder / EXACT_VECTORS} : type inattendu ({matrix.dtype})")
    steps = np.load(folder / EXACT_STEPS, mmap_mode="r")  # (FileNotFoundError naming it when missing)
    if steps.ndim != 1 or steps.dtype != np.float32:
        raise ValueError(f"{folder / EXACT_STEPS} : tableau inattendu ({steps.shape}, {steps.dtype})")
    return steps


class ExactVectors:
    """A generation's vectors saved by ``write_exact``, memory-mapped and searched exactly (one matrix-vector
    product: about 1 ms for 21,000 passages of 384 floats on these cores). Read-only: the same questions as
    ``VectorStore``'s readers ask (``query``, ``vectors``, ``count``, ``existing``, ``all_ids``)."""

    def __init__(self, folder: Path):
        """Raises ``ValueError`` (or ``OSError``) when the arrays cannot be read or disagree in length."""
        self._ids = np.load(folder / EXACT_IDS, mmap_mode="r")
        self._norms = np.load(folder / EXACT_NORMS, mmap_mode="r")
        self._matrix = np.load(folder / EXACT_VECTORS, mmap_mode="r")
        self._steps = _steps(folder, self._matrix)
        steps = len(self._matrix) if self._steps is None else len(self._steps)
        if not len(self._ids) == len(self._norms) == len(self._matrix) == steps or self._matrix.ndim != 2:
            raise ValueError(
                f"tableaux de {folder} de longueurs différentes ({len(self._ids)} identifiants, "
                f"{len(self._norms)} normes, {len(self._matrix)} vecteurs, {steps} pas)"
            )

    def close(self) -> None:
        self._ids = self._norms = self._matrix = self._steps = None  # the maps go with the last reference

    def count(self) -> int:
        return len(self._ids)

    def _rows(self, ids: Sequence[str]) -> dict[str, int]:
        """Row of each id that is there."""
        if not len(ids) or not len(self._ids):
            return {}
        keys = np.array([i.encode() for i in ids], dtype=bytes)
        pos = np.searchsorted(self._ids, keys)
        return {
            cid: int(p) for cid, k, p in zip(ids, keys, pos, strict=True) if p < len(self._ids) and self._ids[p] == k
        }

    def existing(self, ids: Sequence[str]) -> set[str]:
        return set(self._rows(list(ids)))

    def all_ids(self) -> list[str]:
        return [i.decode() for i in self._ids]

    def _vector(self, row: int, values: np.ndarray) -> np.ndarray:
        """The vector of the row whose stored ``values`` were read (int8 ones times the row's step)."""
        if self._steps is None:
            return np.array(values, dtype=np.float32)
        return values.astype(np.float32) * np.float32(self._steps[row])

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        return {cid: self._vector(row, self._matrix[row]) for cid, row in self._rows(list(ids)).items()}

    def query(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first: the ``k`` nearest of all, exactly."""
        n = len(self._ids)
        if not n or k <= 0:
            return []
        q = np.asarray(vector, dtype=np.float32)
        sims = products(self._matrix, q, self._steps)
        sims /= np.maximum(self._norms * np.float32(np.linalg.norm(q)), np.float32(1e-12))
        top = nearest(sims, np.arange(n), k)  # rows are in id order
        return [(self._ids[i].decode(), float(sims[i])) for i in top]


class ClusteredVectors(ExactVectors):
    """A large generation's vectors, grouped by nearness (``cluster``) and read from the file with ``os.pread``
    (``FileRows``), never mapped: a question reads the ``probes`` groups whose centroids are nearest to it (about
    ``probes`` times the square root of the passages' count: 32 of 447 groups at 200,000 passages, 10,700 rows,
    16 MB) and scores their rows exactly. Nearly exact (a near neighbour in a group not read is missed), in no
    process's memory (the rows stay in the system's page cache, shared by every reader), no Chroma client nor HNSW
    index loaded. The ids, their rows and the norms are mapped as with ``ExactVectors``."""

    def __init__(self, folder: Path, probes: int):
        self._ids = np.load(folder / EXACT_IDS, mmap_mode="r")
        self._norms = np.load(folder / EXACT_NORMS, mmap_mode="r")
        self._row_of = np.load(folder / CLUSTER_ROWS, mmap_mode="r")
        self._rank = np.load(folder / CLUSTER_RANK, mmap_mode="r")
        self._centroids = np.load(folder / CLUSTER_CENTROIDS)
        self._offsets = np.load(folder / CLUSTER_OFFSETS)
        header = np.load(folder / EXACT_VECTORS, mmap_mode="r")  # its shape and where its rows start, then unmapped
        shape, dtype, start, fortran = header.shape, header.dtype, int(header.offset), header.flags.f_contiguous
        fortran = fortran and not header.flags.c_contiguous
        if fortran or dtype not in (np.float32, np.int8) or len(shape) != 2:
            raise ValueError(f"{folder / EXACT_VECTORS} : tableau inattendu ({shape}, {dtype})")
        self._steps = _steps(folder, header)
        del header
        self._matrix = FileRows(folder / EXACT_VECTORS, start, (shape[0], shape[1]), dtype)
        self.probes = max(1, probes)
        n = len(self._ids)
        steps = n if self._steps is None else len(self._steps)
        if (
            not n == len(self._norms) == shape[0] == len(self._row_of) == len(self._rank) == steps
            or self._offsets[-1] != n
        ):
            raise ValueError(
                f"tableaux de {folder} de longueurs différentes ({n} identifiants, {len(self._norms)} normes, "
                f"{shape[0]} vecteurs, {steps} pas, {int(self._offsets[-1])} dans les groupes)"
            )
        if (folder / EXACT_VECTORS).stat().st_size < start + shape[0] * shape[1] * np.dtype(dtype).itemsize:
            raise ValueError(f"{folder / EXACT_VECTORS} tronqué")
        offsets = self._offsets
        if (
            len(offsets) != len(self._centroids) + 1
            or offsets[0] != 0
            or np.any(np.diff(offsets) < 0)
            or self._centroids.ndim != 2
            or self._centroids.shape[1] != shape[1]
        ):
            raise ValueError(f"groupes de {folder} incohérents ({len(self._centroids)} centres, {len(offsets)} bornes)")

    @property
    def groups(self) -> int:
        return len(self._centroids)

    def close(self) -> None:
        self._ids = self._norms = self._matrix = self._row_of = self._rank = self._steps = None

    def query(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first: the ``k`` nearest in the groups nearest to the query."""
        n = len(self._ids)
        if not n or k <= 0:
            return []
        q = np.asarray(vector, dtype=np.float32)
        qn = np.float32(np.linalg.norm(q)) or np.float32(1.0)
        near = np.argsort(-(self._centroids @ (q / qn)), kind="stable")[: self.probes]
        rows, sims = [], []
        for g in sorted(int(x) for x in near):  # in file order
            start, stop = int(self._offsets[g]), int(self._offsets[g + 1])
            if stop > start:
                block = self._matrix.block(start, stop)
                steps = None if self._steps is None else self._steps[start:stop]
                sims.append(products(block, q, steps) / np.maximum(self._norms[start:stop] * qn, np.float32(1e-12)))
                rows.append(np.arange(start, stop))
        if not rows:
            return []
        rows, sims = np.concatenate(rows), np.concatenate(sims)
        ranks = np.asarray(self._rank[rows])  # each row's place in id order
        return [(self._ids[ranks[i]].decode(), float(sims[i])) for i in nearest(sims, ranks, k)]

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        found = self._rows(list(ids))
        if not found:
            return {}
        at = np.array([int(self._row_of[p]) for p in found.values()], dtype=np.int64)
        rows = self._matrix[at]
        return {cid: self._vector(int(at[i]), rows[i]) for i, cid in enumerate(found)}
