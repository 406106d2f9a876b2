"""Passage vectors shipped with the repository (``codes/vectors.npz``), so that a fresh clone's ``make run`` does not
spend an hour of both cores embedding the two codes: ``python -m assistant import-vectors FILE`` puts them in the
vector cache (``assistant.vectorcache``) that the index's refresh reads, and the refresh then embeds only the
passages the file lacks (those of texts changed since it was made).

The file holds the rows of the index they were taken from as its array keeps them (``assistant.store.quantize``:
8-bit values times a step per row), each model of a mix side by side, and for each model the SHA-256 of the text it
reads of each passage (the vector cache's key). Imported, each model's part of a row goes into the cache under that
model's key, scaled back as the mix joins them (``MixEmbedder.join``): a refresh of the same texts then joins and
rounds them to the same 8-bit rows as the index they came from, which the evaluation measured (a model's vectors
rounded apart, then joined and rounded again, had moved a few near ties). Numpy's ``.npz`` without pickles:
``format``; ``models`` (their names, as ``embedder_identity`` gives them) and ``dims``; ``keys-I`` (the I-th model's
32-byte digests, one row of uint8 per passage); ``rows`` (int8) and ``steps`` (float32), one per passage.
``scripts/ship_vectors.py`` writes it from an index whose vectors are computed.

A vector the cache already holds is kept (one computed here is exact); the cache marks those added used today."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.errors import AssistantError
from assistant.store import quantize
from assistant.vectorcache import VectorCache, embedder_identity, models_of, text_hash

FORMAT = 2
READ_BATCH = 2048  # passages whose vectors are read from the index at once


class ShippedVectorsError(AssistantError):
    """The file of shipped vectors cannot be read: the message names it and says why."""


def model_texts(embedder, texts: Sequence[str]) -> list[tuple[str, int, list[str]]]:
    """(cache name, dimension, the texts it reads) of each model of ``embedder`` (one, or each of a mix)."""
    return [(embedder_identity(m), m.dimension, list(t)) for m, t in models_of(embedder, texts)]


def digests(texts: Sequence[str]) -> np.ndarray:
    """The SHA-256 of each text, a row of 32 uint8 each (numpy's "S32" would drop a digest's trailing zero bytes)."""
    return np.frombuffer(b"".join(bytes.fromhex(text_hash(t)) for t in texts), np.uint8).reshape(-1, 32)


def export_vectors(index, out: Path) -> dict[str, int]:
    """Write to ``out`` the vectors of every passage of ``index`` (an ``assistant.index.Index`` whose vectors are
    computed), as its store holds them. Returns the passages written for each model."""
    chunks = list(index.catalog.iter_chunks())
    texts = [c.embedding_text(index.passage_format) for c in chunks]
    ids = [c.chunk_id for c in chunks]
    models = model_texts(index.embedder, texts)
    rows = np.zeros((len(ids), sum(dim for _, dim, _ in models)), np.int8)
    steps = np.zeros(len(ids), np.float32)
    for i in range(0, len(ids), READ_BATCH):
        part = ids[i : i + READ_BATCH]
        held = index.store.vectors(part)
        missing = [cid for cid in part if cid not in held]
        if missing:
            raise ShippedVectorsError(f"{index.root} : {len(missing)} passages sans vecteur (dont {missing[0]})")
        rows[i : i + len(part)], steps[i : i + len(part)] = quantize(np.stack([held[cid] for cid in part]))
    arrays = {
        "format": np.array(FORMAT),
        "models": np.array([name for name, _, _ in models], dtype=str),
        "dims": np.array([dim for _, dim, _ in models], dtype=np.int64),
        "rows": rows,
        "steps": steps,
    }
    arrays |= {f"keys-{i}": digests(t) for i, (_, _, t) in enumerate(models)}
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial.npz")
    np.savez_compressed(partial, **arrays)
    partial.replace(out)
    return {name: len(ids) for name, _, _ in models}


def read_shipped(path: Path) -> list[tuple[str, list[str], np.ndarray]]:
    """(model, hex digests, float32 vectors) of each model in the file at ``path``, a passage a row. Raises
    ShippedVectorsError naming the file and the reason when it cannot be read or does not hold what it should."""

    def bad(reason: str) -> ShippedVectorsError:
        return ShippedVectorsError(f"vecteurs livrés {path} illisibles : {reason}")

    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):  # a lone .npy array
            raise bad("un tableau numpy seul, pas une archive .npz de scripts/ship_vectors.py")
        with loaded as data:
            if not {"format", "models", "dims", "rows", "steps"} <= set(data.files):
                raise bad("il n'a pas les tableaux d'un fichier de scripts/ship_vectors.py")
            version = data["format"]
            if version.shape != () or version.dtype.kind not in "iu" or int(version) != FORMAT:
                raise bad(f"format {version}, cette version lit le format {FORMAT}")
            models, dims, rows, steps = data["models"], data["dims"], data["rows"], data["steps"]
            if models.ndim != 1 or models.dtype.kind != "U" or dims.shape != models.shape or dims.dtype.kind != "i":
                raise bad("liste de modèles mal formée")
            names = models.tolist()
            if not names or "" in names or len(set(names)) != len(names):
                raise bad(f"modèles {names} : au moins un, chacun nommé une fois")
            if rows.dtype != np.int8 or steps.dtype != np.float32 or rows.ndim != 2 or steps.shape != rows.shape[:1]:
                raise bad("vecteurs mal formés (int8 et leurs pas en float32 attendus, autant de l'un que de l'autre)")
            if (dims <= 0).any() or int(dims.sum()) != rows.shape[1]:
                raise bad(f"{rows.shape[1]} valeurs par vecteur pour des modèles de {dims.tolist()}")
            if not np.isfinite(steps).all() or (steps <= 0).any():  # quantize writes none: a damaged file
                raise bad("pas de quantification invalides")
            vectors = rows.astype(np.float32) * steps[:, None] * np.float32(np.sqrt(len(models)))
            out, start = [], 0
            for i, (name, dim) in enumerate(zip(models.tolist(), dims.tolist(), strict=True)):
                keys = data[f"keys-{i}"] if f"keys-{i}" in data.files else None
                if keys is None or keys.dtype != np.uint8 or keys.shape != (len(rows), 32):
                    raise bad(f"clés du modèle {name} manquantes ou mal formées")
                out.append((name, [bytes(k).hex() for k in keys], vectors[:, start : start + dim]))
                start += dim
            return out
    except ShippedVectorsError:
        raise
    except FileNotFoundError as exc:
        raise ShippedVectorsError(f"vecteurs livrés {path} introuvables") from exc
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error, KeyError, TypeError, AttributeError) as exc:
        # a damaged archive, a member that is not a numpy array...
        raise bad(f"{type(exc).__name__} : {exc}") from exc


def import_vectors(path: Path, cache: VectorCache) -> dict[str, tuple[int, int]]:
    """Put the vectors of the file at ``path`` in ``cache`` (those it already holds are kept). Returns, for each
    model, (distinct texts in the file, vectors added). Raises ShippedVectorsError for an unreadable file (nothing
    is added then) and when the cache could not be written (``cache.error``)."""
    counts = {}
    for name, keys, vectors in read_shipped(path):
        row_of = dict(zip(keys, range(len(keys)), strict=True))  # a text several passages read: its last row
        added = cache.put_hashed(name, list(row_of), vectors[list(row_of.values())])
        if added is None:
            raise ShippedVectorsError(f"vecteurs livrés {path} non importés : {cache.error}")
        counts[name] = (len(row_of), added)
    return counts
