"""Check an index against its manifest and its files, and repair it: missing or orphan vectors, a lexical
index out of step with the catalog, chunk counts that disagree with the manifest, sources gone or changed."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant import generations
from assistant.index import Index
from assistant.store import ExactVectors, has_exact
from assistant.windows import saved_most
from ingest.build import Builder
from ingest.sources import file_sha256, source_path


@dataclass
class Problems:
    missing_vectors: list[str] = field(default_factory=list)  # chunk ids in the catalog, not in the store
    orphan_vectors: list[str] = field(default_factory=list)  # in the store, not in the catalog
    lexical_out_of_sync: bool = False
    chunk_count_mismatch: list[str] = field(default_factory=list)  # doc ids
    sources_missing: list[str] = field(default_factory=list)  # doc ids whose file is gone
    sources_changed: list[str] = field(default_factory=list)  # doc ids whose file changed since indexing
    exact_unreadable: str = ""  # why the generation's exact array cannot be read (Chroma is searched instead)

    @property
    def ok(self) -> bool:
        """The index is consistent (sources gone or changed only need an ingest, they do not break it)."""
        return not (
            self.missing_vectors
            or self.orphan_vectors
            or self.lexical_out_of_sync
            or self.chunk_count_mismatch
            or self.exact_unreadable
        )

    def lines(self) -> list[str]:
        out = []
        if self.missing_vectors:
            out.append(f"{len(self.missing_vectors)} passage(s) sans vecteur")
        if self.orphan_vectors:
            out.append(f"{len(self.orphan_vectors)} vecteur(s) orphelin(s) (passage inconnu du catalogue)")
        if self.exact_unreadable:
            out.append(f"vecteurs exacts illisibles ({self.exact_unreadable})")
        if self.lexical_out_of_sync:
            out.append("index lexical (BM25) désynchronisé du catalogue")
        for d in self.chunk_count_mismatch:
            out.append(f"{d} : nombre de passages différent du manifeste")
        for d in self.sources_missing:
            out.append(f"{d} : fichier source introuvable (il sera retiré au prochain ingest de son dossier)")
        for d in self.sources_changed:
            out.append(f"{d} : fichier source modifié depuis l'indexation (relancer ingest)")
        return out

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "missing_vectors": len(self.missing_vectors),
            "orphan_vectors": len(self.orphan_vectors),
            "lexical_out_of_sync": self.lexical_out_of_sync,
            "exact_unreadable": self.exact_unreadable,
            "chunk_count_mismatch": self.chunk_count_mismatch,
            "sources_missing": self.sources_missing,
            "sources_changed": self.sources_changed,
        }


def check(index: Index, sources: bool = True, deep: bool = False) -> Problems:
    """``sources=False``: the index's own consistency only, not whether its files changed since. A source is
    changed when its size or modification time differ and so does its content hash; ``deep``: every source's
    content is hashed (an edit that kept the size and time is seen)."""
    p = Problems()
    catalog_ids = index.catalog.chunk_ids()
    # What readers search (the exact array, if the generation has one) and Chroma, which the next refresh copies.
    exact = index.store if isinstance(index.store, ExactVectors) else None
    p.exact_unreadable = index.exact_error
    chroma = index.chroma() if exact is not None else index.store
    missing: set[str] = set()
    orphans: set[str] = set()
    try:
        for store in (exact, chroma):
            if store is None:
                continue
            store_ids = set(store.all_ids())
            missing.update(c for c in catalog_ids if c not in store_ids)
            orphans |= store_ids - set(catalog_ids)
    finally:
        if exact is not None:
            chroma.close()
    # A generation published before its vectors lacks them by design; the next refresh embeds them.
    p.missing_vectors = [] if index.vectors_pending else [c for c in catalog_ids if c in missing]
    p.orphan_vectors = sorted(orphans)
    lexical_ids = index.lexical.chunk_ids
    p.lexical_out_of_sync = len(lexical_ids) != len(catalog_ids) or set(lexical_ids) != set(catalog_ids)
    counts = index.catalog.chunk_counts()
    for doc_id, m in index.catalog.manifest().items():
        if counts.get(doc_id, 0) != m["n_chunks"]:
            p.chunk_count_mismatch.append(doc_id)
        if not sources:
            continue
        source = source_path(m["source"])
        if not source.exists():
            p.sources_missing.append(doc_id)
        elif deep or source.stat().st_size != m["size"] or source.stat().st_mtime != m["mtime"]:
            if file_sha256(source) != m["sha256"]:
                p.sources_changed.append(doc_id)
    return p


def repair(index: Builder, p: Problems) -> None:
    """Re-embed missing vectors, delete orphans, rebuild the lexical index, drop documents whose chunk count
    disagrees with the manifest (their next ingest adds them back whole); save the exact array again from
    Chroma when the generation has one."""
    if p.chunk_count_mismatch:
        stale = [c for d in p.chunk_count_mismatch for c in index.catalog.chunk_ids_of(d)]
        index.catalog.remove(p.chunk_count_mismatch)
        index.store.delete(stale)
    if p.orphan_vectors:
        index.store.delete(p.orphan_vectors)
    if p.missing_vectors:
        index.embed(list(index.catalog.chunks_by_id(p.missing_vectors).values()))
    index.rebuild_derived()
    windows = index.path / generations.WINDOWS
    if windows.exists():  # their owners are positions in the lexical index rewritten: saved again, as many
        index.write_windows(most=saved_most(windows))
    if has_exact(index.path / generations.EXACT) or p.exact_unreadable:  # saved again from the repaired Chroma
        index.write_exact_vectors()
