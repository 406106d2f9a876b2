"""Make the index match a set of paths: add new documents, replace changed ones, remove deleted ones,
leave unchanged ones alone (a content hash decides; nothing unchanged is re-embedded).

Progress is reported as events through a callback; only the CLI draws bars.
"""
from __future__ import annotations

import fnmatch
import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from assistant.errors import LoadError
from assistant.index import Index
from assistant.records import Chunk, Document
from assistant.settings import ANALYSIS_VERSION
from ingest.chunking import chunk_document
from ingest.loaders import SUPPORTED, legifrance_root, load_file

DEFAULT_IGNORE = ("*.meta.json", "README.md", "PROVENANCE.md", "SOURCE-README.md", "SELECTION.md", ".*")

Event = Callable[[str, dict], None]


@dataclass
class Report:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    chunks_embedded: int = 0
    chunks_total: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def to_dict(self) -> dict:
        return {"added": self.added, "updated": self.updated, "unchanged": len(self.unchanged),
                "removed": self.removed, "failed": [{"path": p, "reason": r} for p, r in self.failed],
                "chunks_embedded": self.chunks_embedded, "chunks_total": self.chunks_total,
                "seconds": round(self.seconds, 2)}


def _ignored(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatch(name, p) for p in patterns)


def scan(paths: Iterable[Path], report: Report, ignore=DEFAULT_IGNORE) -> tuple[list[tuple[Path, str]], list[Path]]:
    """(file, doc id) for every candidate file, and the folders scanned (whose missing docs get removed)."""
    files: list[tuple[Path, str]] = []
    roots: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_file():
            files.append((Path(os.path.abspath(path)), _doc_id(path, path.parent)))
        elif path.is_dir():
            roots.append(path.resolve())
            for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    f = Path(dirpath) / name
                    if _ignored(name, ignore):
                        continue
                    if f.is_symlink() and not f.exists():
                        report.failed.append((str(f), "lien symbolique cassé ou en boucle"))
                        continue
                    if f.suffix.lower() not in SUPPORTED:
                        report.failed.append((str(f), f"type de fichier non pris en charge ({f.suffix or 'sans extension'})"))
                        continue
                    files.append((Path(os.path.abspath(f)), _doc_id(f, path)))
        else:
            report.failed.append((str(path), "chemin introuvable"))
    return files, roots


def _doc_id(path: Path, root: Path) -> str:
    code_root = legifrance_root(path.resolve())
    if code_root is not None and path.suffix == ".md":
        return f"legifrance/{code_root.name}/{path.resolve().relative_to(code_root).as_posix()}"
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _chunk_metadata(c: Chunk) -> dict:
    return {"doc_id": c.doc_id, "locator": c.locator, "title": c.title, "article": c.article or "",
            "doc_type": c.doc_type or "", "part": c.part}


def sync(index: Index, paths: Iterable[Path], on_event: Event | None = None, remove_missing: bool = True) -> Report:
    emit = on_event or (lambda kind, data: None)
    t0 = time.perf_counter()
    report = Report()
    index.check_settings()
    files, roots = scan(paths, report)
    manifest = index.catalog.manifest()
    emit("scan", {"files": len(files)})

    seen: set[str] = set()
    todo: list[tuple[Document, list[Chunk], str, int, float, bool]] = []
    for path, doc_id in files:
        emit("file", {"path": str(path)})
        if doc_id in seen:  # the same article reached through two folders: index it once
            continue
        seen.add(doc_id)
        try:
            st = path.stat()
            old = manifest.get(doc_id)
            if old and old["size"] == st.st_size and old["mtime"] == st.st_mtime and old["source"] == str(path):
                report.unchanged.append(doc_id)  # same size and mtime: not even re-read
                continue
            digest = _sha256(path)
            if old and old["sha256"] == digest:
                index.catalog.touch(doc_id, str(path), st.st_size, st.st_mtime)
                report.unchanged.append(doc_id)
                continue
            doc = load_file(path, doc_id, max_bytes=int(index.settings.max_file_mb * 1024 * 1024),
                            max_pages=index.settings.max_pdf_pages)
            chunks = chunk_document(doc, index.settings.chunk_max_tokens, index.settings.chunk_overlap_tokens,
                                    index.settings.paragraph_pack_tokens)
            if not chunks:
                raise LoadError("aucun texte à indexer")
            todo.append((doc, chunks, digest, st.st_size, st.st_mtime, old is not None))
        except LoadError as exc:
            report.failed.append((str(path), str(exc)))
        except OSError as exc:
            report.failed.append((str(path), f"fichier illisible : {exc.strerror or exc}"))
    emit("scanned", {"to_index": len(todo)})

    # Embed only chunks the store does not already hold (same id = same source and content).
    new_chunks = [c for _, chunks, *_ in todo for c in chunks]
    have = index.store.existing([c.chunk_id for c in new_chunks]) if new_chunks else set()
    to_embed = list({c.chunk_id: c for c in new_chunks if c.chunk_id not in have}.values())
    emit("embed_start", {"chunks": len(to_embed)})
    if to_embed:
        # Embed and store in slices so that an interrupted run keeps what it already paid for.
        step = max(index.settings.embedding_batch_size * 8, 256)
        for i in range(0, len(to_embed), step):
            part = to_embed[i:i + step]
            vectors = index.embedder.embed(
                [c.text for c in part], batch_size=index.settings.embedding_batch_size,
                progress=lambda n: emit("embedded", {"n": n}))
            index.store.add([c.chunk_id for c in part], vectors, [_chunk_metadata(c) for c in part],
                            [c.text for c in part])
    report.chunks_embedded = len(to_embed)

    when = time.strftime("%Y-%m-%dT%H:%M:%S")
    stale: list[str] = []
    for doc, chunks, digest, size, mtime, existed in todo:
        old_ids = set(index.catalog.chunk_ids_of(doc.doc_id))
        index.catalog.replace(doc, chunks, digest, size, mtime, when)
        stale.extend(old_ids - {c.chunk_id for c in chunks})
        (report.updated if existed else report.added).append(doc.doc_id)

    if remove_missing:
        gone = [doc_id for doc_id, m in manifest.items() if doc_id not in seen
                and any(_is_under(Path(m["source"]), root) for root in roots)]
        for doc_id in gone:
            stale.extend(index.catalog.chunk_ids_of(doc_id))
        index.catalog.remove(gone)
        report.removed.extend(gone)
    if stale:
        still_used = set(index.catalog.db.execute(
            f"SELECT chunk_id FROM chunks WHERE chunk_id IN ({','.join('?' * len(stale))})", stale).fetchall()) \
            if len(stale) < 900 else {r[0] for r in index.catalog.db.execute("SELECT chunk_id FROM chunks")}
        still_used = {r[0] if isinstance(r, tuple) else r for r in still_used}
        index.store.delete([c for c in stale if c not in still_used])
    if (report.changed or not (index.path / "lexical" / "chunk_ids.json").exists()
            or index.info.get("analysis_version") != ANALYSIS_VERSION):
        emit("derived", {})
        index.rebuild_derived()
    index.write_info(updated=when, analysis_version=ANALYSIS_VERSION)
    report.chunks_total = index.catalog.counts()[1]
    report.seconds = time.perf_counter() - t0
    emit("done", report.to_dict())
    return report


def _is_under(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
        return True
    except (ValueError, OSError):
        return False
