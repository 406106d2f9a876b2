"""Writing an index generation: a refresh's new generation, a repair in place, the synthetic bench index.

``Builder`` is the reader ``assistant.index.Index`` with what only a writer does: create the generation's folder
and ``index.json``, record what it was built with, rebuild the lexical index and the glossary from the catalog,
and open the vector cache. A server never opens one."""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import time
from functools import cached_property
from pathlib import Path

import numpy as np

from assistant import generations
from assistant.catalog import Catalog
from assistant.glossary import Glossary
from assistant.headings import HeadingIndex
from assistant.index import AUTHORITY_FIELD, Index, built_with, passage_authority, shown_headings
from assistant.lexical import LexicalIndex
from assistant.records import Chunk
from assistant.settings import Settings
from assistant.store import VectorStore, write_exact
from assistant.vectorcache import VectorCache, cache_path, embed_with_cache, touch_vectors
from assistant.windows import windowed_part
from assistant.windows import write as write_windows


def _write_info(path: Path, settings: Settings, **updates) -> dict:
    """``index.json`` with the settings the generation's chunks and vectors are made with, and ``updates``."""
    info_path = path / generations.INFO
    info = json.loads(info_path.read_text()) if info_path.exists() else {}
    info.update(built_with(settings), **updates)
    tmp = info_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(info, indent=1))
    tmp.replace(info_path)
    return info


class Builder(Index):
    """The generation in folder ``path`` (the current one of the index when None; the index root itself when
    there is none yet), created when missing."""

    vector_cache_error = ""  # why the vector cache could not be opened, if it could not

    def __init__(self, settings: Settings, path: Path | None = None):
        if path is None:
            root = Path(settings.index)
            path = generations.path_of(root, generations.current_name(root) or generations.LEGACY)
        path = Path(path)
        if not (path / generations.INFO).exists():
            path.mkdir(parents=True, exist_ok=True)
            _write_info(path, settings, created=time.strftime("%Y-%m-%dT%H:%M:%S"))
        if not (path / generations.CATALOG).exists():
            Catalog(path / generations.CATALOG).close()  # its tables
        super().__init__(settings, path=path)

    def write_info(self, **updates) -> None:
        self.info = _write_info(self.path, self.settings, **updates)

    @cached_property
    def store(self) -> VectorStore:
        """Chroma, always: the builder writes there (the exact array is saved from it at the end)."""
        return self.chroma()

    def write_exact_vectors(self) -> int:
        """Save the generation's vectors as the array readers search exactly, when its Chroma is embedded, it
        has its vectors and holds at most ``exact_search_max`` of them, one per passage of the catalog; above,
        grouped by nearness (``ClusteredVectors``) unless ``cluster_probes`` is 0; else remove any such array (a
        resumed build's). The number of vectors saved."""
        folder = self.path / generations.EXACT
        count = 0 if self.settings.chroma_url or self.vectors_pending else self.store.count()
        grouped = count > self.settings.exact_search_max
        if not count or not self.settings.exact_search_max or grouped and not self.settings.cluster_probes:
            shutil.rmtree(folder, ignore_errors=True)
            return 0
        try:
            saved = write_exact(self.store, folder, clusters=grouped, bits=self.settings.exact_vector_bits)
        except (OSError, ValueError, MemoryError) as exc:  # readers search Chroma; the generation is still good
            shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(folder.with_name(folder.name + ".new"), ignore_errors=True)
            logging.getLogger(__name__).warning("%s : vecteurs non enregistrés en tableau (%s)", self.path, exc)
            return 0
        passages = self.catalog.counts()[1]
        if saved != passages:  # readers would search another set than the catalog's: Chroma it is
            shutil.rmtree(folder, ignore_errors=True)
            logging.getLogger(__name__).warning(
                "%s : %d vecteurs pour %d passages, vecteurs exacts non enregistrés", self.path, saved, passages
            )
            return 0
        return saved

    def write_windows(self, progress=None, start=None, most: int | None = None) -> int:
        """Save the later windows of the generation's long passages, embedded (through the vector cache) by the
        model of its mix that reads only a passage's opening, ``dense_windows`` at most per passage
        (``assistant.windows``); remove them when there is none to save (the setting at 0, no such model, vectors
        pending). ``most``: the windows per passage, instead of the setting's (a repair keeps the generation's).
        ``start(n)``: the windows to save, before they are embedded; ``progress(n)``: windows done. The number of
        windows saved."""
        folder = self.path / generations.WINDOWS
        most = self.settings.dense_windows if most is None else most
        windowed = windowed_part(self.embedder)
        if not most or windowed is None or self.vectors_pending:
            shutil.rmtree(folder, ignore_errors=True)
            return 0
        part, model = windowed
        texts, ids = [], []
        for chunk in self.catalog.iter_chunks():
            for window in chunk.embedding_windows(model.window_chars, most):
                texts.append(window)
                ids.append(chunk.chunk_id)
        owners = self.lexical.positions(ids)  # the lexical index's order, which readers score passages in
        if (owners < 0).any():
            raise RuntimeError(f"{self.path} : passages absents de l'index lexical")
        order = np.argsort(owners, kind="stable")  # grouped by passage, ascending
        if start is not None:
            start(len(texts))
        # in slices, as ``embed``: an interrupted run keeps in the vector cache what it already paid for
        step = self.settings.embedding_batch_size * 8
        batch = self.settings.embedding_batch_size
        slices = [
            embed_with_cache(model, texts[i : i + step], self.vector_cache, batch, progress)[0]
            for i in range(0, len(texts), step)
        ]
        vectors = np.concatenate(slices) if slices else np.zeros((0, model.dimension), dtype=np.float32)
        write_windows(folder, vectors[order], owners[order], part, most, passages=len(self.lexical.chunk_ids))
        return len(texts)

    @cached_property
    def vector_cache(self) -> VectorCache | None:
        """The vector cache, or None when it is off or cannot be opened (``vector_cache_error`` says why: the
        refresh then embeds without it and its report says so)."""
        path = cache_path(self.settings.vector_cache, self.root)
        if path is None:
            return None
        try:
            return VectorCache(path)
        except (OSError, sqlite3.Error) as exc:
            self.vector_cache_error = f"cache de vecteurs {path} inaccessible ({exc}) : passages calculés sans cache"
            return None

    def embed(self, chunks: list[Chunk], progress=None, after_slice=None) -> None:
        """Embed ``chunks`` (through the vector cache) and store their vectors, in slices so that an interrupted
        run keeps what it already paid for; a build's ``BUILD.json`` says how far it got (``status``, the chat).
        ``progress(n)``: passages done; ``after_slice(part, computed)``: a slice stored, ``computed`` of its
        passages embedded now (the others came from the cache)."""
        step = self.settings.embedding_batch_size * 8
        # Longest first over all of them, as a raw encode orders its texts, not only within each slice: each batch
        # then holds texts of nearly one length and the model pads little (at the full codes the ingest embedded
        # 5 % slower than the raw encode of the same passages with slices in catalog order).
        texts = {c.chunk_id: c.embedding_text(self.passage_format) for c in chunks}
        chunks = sorted(chunks, key=lambda c: -len(texts[c.chunk_id]))
        for i in range(0, len(chunks), step):
            part = chunks[i : i + step]
            vectors, computed = embed_with_cache(
                self.embedder,
                [texts[c.chunk_id] for c in part],
                self.vector_cache,
                batch_size=self.settings.embedding_batch_size,
                progress=progress,
            )
            self.store.add([c.chunk_id for c in part], vectors, [c.store_metadata() for c in part])
            generations.note_progress(self.path, embedded=i + len(part), to_embed=len(chunks))
            if after_slice is not None:
                after_slice(part, computed)

    @property
    def opened_vector_cache(self) -> VectorCache | None:
        """The vector cache if this build opened it (to embed passages), without opening it."""
        return self.__dict__.get("vector_cache")

    def keep_cached_vectors(self) -> bool:
        """Mark every passage of this generation used today in the vector cache, when this build used the cache:
        those it copied from the previous generation too, so that a prune keeps every vector of an index
        refreshed within ``vector_cache_days`` (a ``--rebuild`` of it embeds nothing). True when the build used
        the cache and every use was recorded: a prune may then follow its publication."""
        cache = self.opened_vector_cache
        if cache is None:
            return False
        texts = (c.embedding_text(self.passage_format) for c in self.catalog.iter_chunks())
        touch_vectors(cache, self.embedder, texts)
        return cache.uses_recorded

    def rebuild_derived(self) -> None:
        """Lexical index and glossary, from the catalog (after any change)."""
        chunks = self.catalog.chunks()
        docs = self.catalog.documents()
        glossary = Glossary.build((d, self.catalog.document_text(d)) for d in docs)
        glossary.save(self.path / generations.GLOSSARY)
        self.write_lexical(chunks, docs, glossary)
        self.forget_derived()

    def write_lexical(self, chunks: list[Chunk], docs: dict[str, dict], glossary: Glossary) -> None:
        """The lexical index of ``chunks`` (all the catalog's, in its order) and the fields saved with it: the
        headings field and each passage's authority, arrays over the same positions, and the headings' accented
        forms, which a server memory-maps instead of building them at start."""
        # A passage that spells a long form out is also found by its acronym (codes never say "CAQES").
        long_forms = glossary.long_forms()
        ids = [c.chunk_id for c in chunks]
        lexical = LexicalIndex.from_tokens(ids, [self.index_terms(c, docs, long_forms) for c in chunks])
        fields = HeadingIndex.build(chunks).arrays(ids)
        fields[AUTHORITY_FIELD] = passage_authority(self.catalog, ids, chunks)  # not the catalog's rows again
        fields.update(shown_headings(chunks))
        lexical.save(self.path / generations.LEXICAL, fields)

    def close(self) -> None:
        super().close()
        cache = self.__dict__.pop("vector_cache", None)
        if cache is not None:
            cache.close()
