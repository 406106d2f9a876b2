"""The vector store. Only this module imports chromadb; it always passes its own vectors, telemetry off."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

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
        """Copy every vector, metadata and text of ``other`` (a generation's collection on a server)."""
        offset = 0
        while True:
            got = other._col.get(include=["embeddings", "metadatas", "documents"], limit=batch, offset=offset)
            if not got["ids"]:
                return
            self._col.upsert(
                ids=got["ids"], embeddings=got["embeddings"], metadatas=got["metadatas"], documents=got["documents"]
            )
            offset += len(got["ids"])

    def count(self) -> int:
        return self._col.count()

    def add(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        metadatas: Sequence[dict],
        documents: Sequence[str],
        batch: int = 2000,
    ) -> None:
        for i in range(0, len(ids), batch):
            self._col.upsert(
                ids=list(ids[i : i + batch]),
                embeddings=vectors[i : i + batch].tolist(),
                metadatas=list(metadatas[i : i + batch]),
                documents=list(documents[i : i + batch]),
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
