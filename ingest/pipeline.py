"""Make the index match a set of paths: add new documents, replace changed ones, remove deleted ones,
leave unchanged ones alone (a content hash decides; nothing unchanged is re-embedded).

Progress is reported as events through a callback; only the CLI draws bars.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant import generations
from assistant.embeddings import passage_format
from assistant.errors import AssistantError, IndexMismatch, LoadError
from assistant.generations import checkpoint
from assistant.index import Index, stale_array_bits, stale_windows, vectors_made
from assistant.records import Chunk, Document
from assistant.settings import ANALYSIS_VERSION, Settings
from assistant.store import drop_collection
from assistant.text import analyse
from assistant.vectorcache import VectorCache, cache_path
from ingest.build import Builder
from ingest.chunking import chunk_document
from ingest.integrity import check, repair
from ingest.loaders import LOADERS, load_file
from ingest.sources import (
    DEFAULT_IGNORE,
    doc_id_of,
    file_sha256,
    ignored,
    repaired_name,
    shown_path,
    source_path,
    stored_source,
)

log = logging.getLogger(__name__)

Event = Callable[[str, dict], None]


OS_REASONS = {
    errno.EACCES: "lecture non autorisée (droits du fichier)",
    errno.EPERM: "lecture non autorisée (droits du fichier)",
    errno.ELOOP: "lien symbolique en boucle",
    errno.ENOENT: "fichier disparu pendant la lecture",
    errno.EIO: "erreur d'entrée-sortie du disque",
}

NOT_REGULAR = "pas un fichier ordinaire (tube, socket ou périphérique) : refusé"


class RefreshFailed(AssistantError):
    """A refresh could not build or publish its generation; the previous one still serves."""


@dataclass
class Report:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (path, what to check): indexed all the same
    chunks_embedded: int = 0  # passages the model embedded in this refresh
    chunks_from_cache: int = 0  # passages whose vector came from the vector cache (same model, same text)
    cache_pruned: int = 0  # vectors removed from the vector cache, unused for ``vector_cache_days`` days
    chunks_total: int = 0
    seconds: float = 0.0
    generation: str = ""  # the generation serving after this refresh
    published: bool = False  # a new generation was built and published
    resumed: str = ""  # the unfinished generation this refresh completed, if any
    rebuilt_because: str = ""  # ``rebuild_if_changed``: why the index was rebuilt (built with other settings)
    collected: list[str] = field(default_factory=list)  # old generations deleted

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": len(self.unchanged),
            "removed": self.removed,
            "failed": [{"path": p, "reason": r} for p, r in self.failed],
            "warnings": [{"path": p, "warning": w} for p, w in self.warnings],
            "chunks_embedded": self.chunks_embedded,
            "chunks_from_cache": self.chunks_from_cache,
            "cache_pruned": self.cache_pruned,
            "chunks_total": self.chunks_total,
            "seconds": round(self.seconds, 2),
            "generation": self.generation,
            "published": self.published,
            "resumed": self.resumed,
            "rebuilt_because": self.rebuilt_because,
            "collected": self.collected,
        }


def scan(
    paths: Iterable[Path], report: Report, ignore=DEFAULT_IGNORE
) -> tuple[list[tuple[Path, str, Path]], list[Path], list[Path]]:
    """(file, doc id, its ingest root) for every candidate file, the folders scanned (whose missing docs get
    removed) and the folders that could not be listed (named in the report; their docs are kept). A symbolic
    link is followed only when it leads inside one of the folders given."""
    files: list[tuple[Path, str, Path]] = []
    roots: list[Path] = []
    unlisted: list[Path] = []

    def unreadable(exc: OSError) -> None:
        folder = Path(exc.filename) if exc.filename else None
        reason = OS_REASONS.get(exc.errno, exc.strerror or str(exc))
        report.failed.append((shown_path(folder or exc), f"dossier illisible : {reason}"))
        if folder is not None:
            unlisted.append(Path(os.path.abspath(folder)))

    given = [Path(p) for p in paths]
    allowed = [p.resolve() for p in given if p.is_dir()]
    for path in given:
        if path.is_file():
            files.append((Path(os.path.abspath(path)), doc_id_of(path, path.parent), path.parent))
        elif path.is_dir():
            roots.append(path.resolve())
            for dirpath, dirnames, filenames in os.walk(path, followlinks=False, onerror=unreadable):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in dirnames:  # not followed (os.walk); one leading outside is said, not left out in silence
                    sub = Path(dirpath) / name
                    if sub.is_symlink() and not any(_is_under(sub.resolve(), root) for root in allowed):
                        report.failed.append(
                            (shown_path(sub), "lien symbolique vers un dossier hors des dossiers indexés : refusé")
                        )
                for name in sorted(filenames):
                    f = Path(dirpath) / name
                    if ignored(name, ignore):
                        continue
                    if f.is_symlink():
                        if not f.exists():
                            report.failed.append((shown_path(f), "lien symbolique cassé ou en boucle"))
                            continue
                        if not any(_is_under(f.resolve(), root) for root in allowed):
                            report.failed.append(
                                (shown_path(f), "lien symbolique vers un fichier hors des dossiers indexés : refusé")
                            )
                            continue
                    if not f.is_file():  # reading a named pipe would wait forever for a writer
                        report.failed.append((shown_path(f), NOT_REGULAR))
                        continue
                    if f.suffix.lower() not in LOADERS:
                        report.failed.append(
                            (shown_path(f), f"type de fichier non pris en charge ({f.suffix or 'sans extension'})")
                        )
                        continue
                    files.append((Path(os.path.abspath(f)), doc_id_of(f, path), path))
        elif path.exists():
            report.failed.append((shown_path(path), NOT_REGULAR))
        else:
            report.failed.append((shown_path(path), "chemin introuvable"))
    return files, roots, unlisted


@dataclass
class Plan:
    """What a refresh will change, decided against one generation's manifest without writing anything."""

    todo: list[tuple[Document, list[Chunk], str, int, float, bool]] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # doc ids whose files disappeared from the scanned folders
    touched: list[tuple[str, str, int, float]] = field(default_factory=list)  # same content, new path or mtime

    @property
    def changes(self) -> bool:
        return bool(self.todo or self.gone)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def make_plan(
    index: Index | None,
    paths: Iterable[Path],
    report: Report,
    emit: Event,
    remove_missing: bool = True,
    settings: Settings | None = None,
    deep: bool = False,
) -> Plan:
    """Read the files that are new or changed (relative to ``index``, or all of them when it is None).
    ``deep``: hash every file, even one whose size and modification time are unchanged."""
    settings = settings or index.settings
    files, roots, unlisted = scan(paths, report)
    manifest = index.catalog.manifest() if index is not None else {}
    emit("scan", {"files": len(files)})
    plan = Plan()
    seen: dict[str, Path] = {}
    held = {m["source"]: d for d, m in manifest.items()}  # source -> the doc id it is indexed under
    for path, doc_id, root in files:
        emit("file", {"path": shown_path(path)})
        if doc_id in seen and (doc_id.startswith("legifrance/") or _same_file(seen[doc_id], path)):
            continue  # the same article (or file) reached through two folders: index it once
        source = stored_source(path)
        old = manifest.get(doc_id)
        prefixed = f"{repaired_name(root.name)}/{doc_id}"
        if held.get(source) == prefixed and prefixed not in seen and not (old and old["source"] == source):
            # Indexed under its folder's name at an earlier collision: it keeps that id (citations name it),
            # even once the other file is gone.
            doc_id, old = prefixed, manifest[prefixed]
        elif doc_id in seen or (
            old
            and old["source"] != source
            and not _same_file(source_path(old["source"]), path)
            and source_path(old["source"]).exists()
            and not doc_id.startswith("legifrance/")
        ):
            # Two files with the same path relative to two ingest roots ("bretagne/convention.pdf" and
            # "occitanie/convention.pdf" both give "convention.pdf"): the second gets its root's name in front.
            other = shown_path(seen.get(doc_id) or source_path(old["source"]))
            new_id = prefixed
            if new_id in seen or (manifest.get(new_id) and manifest[new_id]["source"] != source):
                report.failed.append((shown_path(path), f"même identifiant « {doc_id} » que {other} : refusé"))
                continue
            report.warnings.append((shown_path(path), f"même chemin relatif que {other} : indexé sous « {new_id} »"))
            doc_id, old = new_id, manifest.get(new_id)
        seen[doc_id] = path
        try:
            st = path.stat()
            if (
                old
                and old["size"] == st.st_size
                and old["mtime"] == st.st_mtime
                and old["source"] == source
                and not deep
            ):
                report.unchanged.append(doc_id)  # same size and mtime: not even re-read
                continue
            digest = file_sha256(path)
            if old and old["sha256"] == digest:
                if (old["source"], old["size"], old["mtime"]) != (source, st.st_size, st.st_mtime):
                    plan.touched.append((doc_id, source, st.st_size, st.st_mtime))
                report.unchanged.append(doc_id)
                continue
            doc = load_file(
                path, doc_id, max_bytes=int(settings.max_file_mb * 1024 * 1024), max_pages=settings.max_pdf_pages
            )
            if doc.source != source or doc.title != repaired_name(doc.title):
                doc = replace(doc, source=source, title=repaired_name(doc.title))
            for warning in getattr(doc, "warnings", ()):
                report.warnings.append((shown_path(path), warning))
            chunks = chunk_document(
                doc, settings.chunk_max_tokens, settings.chunk_overlap_tokens, settings.paragraph_pack_tokens
            )
            if not chunks:
                raise LoadError("aucun texte à indexer")
            plan.todo.append((doc, chunks, digest, st.st_size, st.st_mtime, old is not None))
        except LoadError as exc:
            report.failed.append((shown_path(path), str(exc)))
        except OSError as exc:
            reason = OS_REASONS.get(exc.errno, exc.strerror or str(exc))
            report.failed.append((shown_path(path), f"fichier illisible : {reason}"))
        except Exception as exc:  # a loader's bug or a library's surprise: this file fails, the batch goes on
            log.exception("unexpected error while reading %s", shown_path(path))
            report.failed.append(
                (shown_path(path), f"erreur inattendue à la lecture ({type(exc).__name__} : {str(exc)[:200]})")
            )
    if remove_missing:
        plan.gone = [
            doc_id
            for doc_id, m in manifest.items()
            if doc_id not in seen
            and any(_is_under(source_path(m["source"]), root) for root in roots)
            and not any(_is_under(source_path(m["source"]), folder.resolve()) for folder in unlisted)
        ]
    emit("scanned", {"to_index": len(plan.todo)})
    return plan


def _embed(index: Builder, chunks: list[Chunk], report: Report, emit: Event) -> None:
    """Embed ``chunks`` (those the store does not hold) into the build (``Builder.embed``), counted in ``report``
    with the vector cache's warnings; a crash point after each slice stored."""
    emit("embed_start", {"chunks": len(chunks)})
    if chunks and index.vector_cache is None and index.vector_cache_error:
        report.warnings.append((str(index.root), index.vector_cache_error))

    def after_slice(part: list[Chunk], computed: int) -> None:
        report.chunks_embedded += computed
        _cache_warning(index.vector_cache, report)
        report.chunks_from_cache += len(part) - computed
        checkpoint("embedding")

    index.embed(chunks, progress=lambda n: emit("embedded", {"n": n}), after_slice=after_slice)


def _cache_warning(cache: VectorCache | None, report: Report) -> None:
    """What went wrong with the vector cache since the last call, as a warning of the report."""
    if cache is not None and cache.error:
        report.warnings.append((str(cache.path), cache.error))
        cache.error = ""


CATALOG_BATCH = 1000  # documents written to the catalog in one transaction (``Catalog.batch``)


def apply(index: Builder, plan: Plan, report: Report, emit: Event, vectors_later: bool = False) -> None:
    """Write ``plan`` into ``index`` (a generation being built). Every step can be redone: a rerun after a crash
    re-applies the same plan, and only chunks the store does not hold yet are embedded.

    ``vectors_later``: nothing is embedded; the generation is marked ``vectors: pending`` (searched by BM25
    alone) and the next refresh without it embeds every passage the store lacks."""
    for doc_id, source, size, mtime in plan.touched:
        index.catalog.touch(doc_id, source, size, mtime)
    pending_before = index.vectors_pending
    if vectors_later:
        emit("embed_start", {"chunks": 0})
    elif not pending_before:  # a generation still without its vectors embeds them all at once, below
        # Embed only chunks the store does not already hold (same id = same source and content).
        new_chunks = [c for _, chunks, *_ in plan.todo for c in chunks]
        have = index.store.existing([c.chunk_id for c in new_chunks]) if new_chunks else set()
        _embed(index, list({c.chunk_id: c for c in new_chunks if c.chunk_id not in have}.values()), report, emit)

    when = time.strftime("%Y-%m-%dT%H:%M:%S")
    stale: list[str] = []
    for start in range(0, len(plan.todo), CATALOG_BATCH):  # one commit for each batch of documents
        with index.catalog.batch():
            for doc, chunks, digest, size, mtime, existed in plan.todo[start : start + CATALOG_BATCH]:
                old_ids = set(index.catalog.chunk_ids_of(doc.doc_id))
                index.catalog.replace(doc, chunks, digest, size, mtime, when)
                stale.extend(old_ids - {c.chunk_id for c in chunks})
                (report.updated if existed else report.added).append(doc.doc_id)
    for doc_id in plan.gone:
        stale.extend(index.catalog.chunk_ids_of(doc_id))
    index.catalog.remove(plan.gone)
    report.removed.extend(plan.gone)
    if stale:
        used = set(index.catalog.chunk_ids())
        index.store.delete([c for c in stale if c not in used])
    checkpoint("catalog")
    missing: list[str] = []
    if vectors_later or pending_before:  # the passages without a vector, the plan's new ones included
        ids = index.catalog.chunk_ids()
        have = index.store.existing(ids)
        missing = [c for c in ids if c not in have]
    if missing and not vectors_later:  # published before its vectors: embed all it lacks now
        _embed(index, list(index.catalog.chunks_by_id(missing).values()), report, emit)
        missing = []
    if (
        plan.changes
        or not (index.path / generations.LEXICAL / "chunk_ids.json").exists()
        or index.info.get("analysis_version") != ANALYSIS_VERSION
    ):
        emit("derived", {})
        index.rebuild_derived()
    # Pending only while a passage lacks its vector: a --vectors-later refresh that only removed files, or whose
    # new passages the vector store already held, publishes a generation searched with vectors.
    index.write_info(updated=when, analysis_version=ANALYSIS_VERSION, vectors="pending" if missing else "complete")
    checkpoint("derived")


def sync(index: Builder, paths: Iterable[Path], on_event: Event | None = None, remove_missing: bool = True) -> Report:
    """Make ``index`` itself match ``paths``, in place (no generation): for a generation being built, and for
    tools that own their index. Readers of a served index go through ``refresh``."""
    emit = on_event or (lambda kind, data: None)
    t0 = time.perf_counter()
    report = Report()
    index.check_settings()
    plan = make_plan(index, paths, report, emit, remove_missing)
    apply(index, plan, report, emit)
    report.generation = index.generation
    report.chunks_total = index.catalog.counts()[1]
    report.seconds = time.perf_counter() - t0
    emit("done", report.to_dict())
    return report


def refresh(
    settings: Settings,
    paths: Iterable[Path],
    on_event: Event | None = None,
    remove_missing: bool = True,
    rebuild: bool = False,
    deep: bool = False,
    vectors_later: bool = False,
    rebuild_if_changed: bool = False,
) -> Report:
    """Make the index at ``settings.index`` match ``paths`` and publish the result atomically.

    Nothing changed: the current generation is kept (only moved files' paths and mtimes are noted in it), unless
    its vectors' array holds other bits than ``exact_vector_bits`` asks for (``stale_array_bits``): a generation
    that saves it again is then published, nothing embedded.
    Something changed: the next generation is built from a copy of the current one, verified (counts against
    the manifest, vectors, lexical index, a smoke query), made durable, then published; old generations are
    deleted. An unfinished build a crashed run left on the same base lends its vectors (nothing embedded twice)
    but gets a fresh copy of the base's catalog, so only this run's plan decides the content. Readers keep the
    previous generation until the switch. Raises ``RefreshFailed`` (previous generation still serving) when the
    build cannot finish.

    ``rebuild``: the next generation is built from the files alone with the current settings (e.g. another
    embedding model or chunking), while the current one, built with other settings, keeps serving until then.

    ``rebuild_if_changed``: a rebuild only when the current generation was built with other settings (another
    embedding model, chunking...), which otherwise raises ``IndexMismatch``; emits ``rebuild`` with the reason.

    ``vectors_later``: the new generation is published without embedding anything (BM25, headings and glossary
    only: the two codes in about 30 s instead of about an hour with the default's two models), marked
    ``vectors: pending``; the next refresh without it embeds every passage it lacks and publishes the generation
    that searches with vectors too, even when no file changed.
    """
    emit = on_event or (lambda kind, data: None)
    t0 = time.perf_counter()
    paths = list(paths)  # read twice: by the plan, and for the paths that do not exist
    root = Path(settings.index)
    report = Report()
    with generations.writer_lock(root):
        base_name = generations.current_name(root)
        base = Index(settings, path=generations.path_of(root, base_name)) if base_name else None
        try:
            if base is not None and not rebuild:
                try:
                    base.check_settings()
                except IndexMismatch as exc:
                    if not rebuild_if_changed:
                        raise
                    report.rebuilt_because = exc.detail or str(exc)
                    rebuild = True
            plan = make_plan(None if rebuild else base, paths, report, emit, remove_missing, settings, deep)
            if base is None and not plan.todo:  # a mistyped path must not publish an empty index
                why = "; ".join(f"{p} : {r}" for p, r in report.failed[:5]) or "aucun fichier pris en charge"
                raise RefreshFailed(f"rien à indexer ({why}) ; aucun index n'est créé.")
            missing = [shown_path(p) for p in paths if not Path(p).exists()]
            if rebuild and base is not None and (missing or not plan.todo):
                # A rebuild keeps only what the paths hold: a mistyped one would drop its documents.
                why = (
                    "; ".join(f"{p} : chemin introuvable" for p in missing)
                    or "; ".join(f"{p} : {r}" for p, r in report.failed[:5])
                    or "aucun fichier pris en charge"
                )
                raise RefreshFailed(
                    f"reconstruction refusée ({why}) : elle ne garderait que les documents des "
                    f"chemins donnés ; l'index actuel est conservé ({base.generation})."
                )
            if report.rebuilt_because:  # announced once it is sure to be attempted
                emit("rebuild", {"why": report.rebuilt_because})
            stale_derived = base is not None and base.info.get("analysis_version") != ANALYSIS_VERSION
            vectors_due = base is not None and base.vectors_pending and not vectors_later
            # An array saved otherwise than ``exact_vector_bits`` says (float32 before stop 42): saved again in a
            # new generation, from the vectors Chroma holds (nothing embedded); said once that generation is
            # published
            bits = stale_array_bits(base, settings)
            # ... and so are a long passage's later windows that ``dense_windows`` asks for and the generation lacks
            # (only they are embedded), or that it holds and the setting no longer asks for
            windows_due = stale_windows(base, settings)
            if (
                base is not None
                and not rebuild
                and not plan.changes
                and not stale_derived
                and not vectors_due
                and not bits
                and not windows_due
            ):
                for doc_id, source, size, mtime in plan.touched:  # same content: answers do not change
                    base.catalog.touch(doc_id, source, size, mtime)
                # A crashed build is now moot, unless it was embedding this pending generation's vectors: the next
                # refresh without --vectors-later resumes it.
                keep = base.vectors_pending and vectors_later
                for name in [] if keep else generations.unfinished(root, base_name):
                    _discard(settings, root, name)
                report.generation = base.generation
                report.chunks_total = base.catalog.counts()[1]
            else:
                _build_and_publish(settings, root, base, plan, report, emit, rebuild, vectors_later)
                if bits and not rebuild and report.published:
                    emit("array", {"bits": bits, "wanted": settings.exact_vector_bits})
        finally:
            if base is not None:
                base.close()
    report.seconds = time.perf_counter() - t0
    emit("done", report.to_dict())
    return report


def _build_and_publish(
    settings: Settings,
    root: Path,
    base: Index | None,
    plan: Plan,
    report: Report,
    emit: Event,
    rebuild: bool = False,
    vectors_later: bool = False,
) -> None:
    base_name = base.generation if base is not None else None
    build = None
    try:
        build = _prepare(settings, root, base, report, rebuild)
        apply(build, plan, report, emit, vectors_later)
        try:
            _verify(build)
        except RefreshFailed:
            name = build.generation
            build.close()
            build = None
            _discard(settings, root, name)  # never resumed: the next run builds it again from the base
            raise
        checkpoint("verified")
        build.write_exact_vectors()  # from Chroma as verified: the same vectors, searched exactly by readers
        # a long passage's later windows, for the model that reads only its opening (``assistant.windows``)
        build.write_windows(
            progress=lambda n: emit("windowed", {"n": n}), start=lambda n: emit("windows_start", {"windows": n})
        )
        report.chunks_total = build.catalog.counts()[1]
        prune_cache = build.keep_cached_vectors()  # its passages marked used in the vector cache, if it used it
        _cache_warning(build.opened_vector_cache, report)
        name = build.generation
        build.close()
        build = None
        generations.sync_tree(root / name)  # on disk before CURRENT names it (power loss)
        generations.publish(root, name)
    except RefreshFailed:
        raise
    except Exception as exc:
        full = _disk_full(exc)
        if not (full or isinstance(exc, (OSError, sqlite3.Error))):
            raise  # a bug: the traceback says more than a message would
        if build is not None:
            build.close()
        if full:  # give the space back; the next run starts the build again
            for name in generations.unfinished(root, base_name):
                _discard(settings, root, name)
        reason = "disque plein" if full else (getattr(exc, "strerror", None) or str(exc))
        raise RefreshFailed(
            f"mise à jour de l'index {root} interrompue : {reason}. L'index précédent "
            f"({base_name or 'aucun'}) reste servi ; relancer la même commande quand la cause est "
            "corrigée."
        ) from exc
    # Published: from here on nothing may undo it; cleanup problems are only logged.
    report.generation, report.published = name, True
    try:
        (root / name / generations.BUILD).unlink(missing_ok=True)
        checkpoint("published")
        for old in generations.garbage(root, settings.keep_generations):
            _discard(settings, root, old)
            report.collected.append(old)
    except OSError as exc:
        log.warning("generation %s published, but cleaning up old generations failed: %s", name, exc)
    if prune_cache:
        _prune_cache(settings, root, report)


def _prune_cache(settings: Settings, root: Path, report: Report) -> None:
    """Remove from the vector cache the vectors unused for ``vector_cache_days`` days, once a generation built
    through it is published (its own vectors were just marked used); a failure is a warning of the report."""
    path = cache_path(settings.vector_cache, root)
    if path is None or not settings.vector_cache_days:
        return
    try:
        cache = VectorCache(path)
    except (OSError, sqlite3.Error) as exc:
        report.warnings.append((str(path), f"cache de vecteurs non élagué ({exc})"))
        return
    try:
        report.cache_pruned = cache.prune(settings.vector_cache_days)
        _cache_warning(cache, report)
    finally:
        cache.close()


def _discard(settings: Settings, root: Path, name: str) -> None:
    """Delete a generation: its folder (or a pre-generation index's files) and, on a Chroma server, its
    collection."""
    if settings.chroma_url:
        try:
            info = json.loads((generations.path_of(root, name) / generations.INFO).read_text())
        except (OSError, ValueError):
            info = {}
        try:
            drop_collection(settings.chroma_url, info.get("chroma_collection") or settings.chroma_collection)
        except Exception as exc:  # noqa: BLE001 - garbage left on the server costs space, not correctness
            log.warning("could not drop the Chroma collection of generation %s: %s", name, exc)
    generations.remove(root, name)


def _disk_full(exc: BaseException) -> bool:
    """ENOSPC, however the layer that met it words it (OSError, SQLite, Chroma)."""
    for _ in range(10):  # the exception and what caused it
        if exc is None:
            return False
        if getattr(exc, "errno", None) == errno.ENOSPC or any(
            m in str(exc).lower() for m in ("no space left", "disk is full", "database or disk is full")
        ):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _same_vectors(settings: Settings, path: Path) -> bool:
    """The unfinished build at ``path`` embedded its passages as these settings would (same model, same passage
    format): its vectors may be reused."""
    try:
        made = json.loads((path / generations.INFO).read_text())
    except (OSError, ValueError):
        return False
    return vectors_made(made) == (settings.embedding_model, passage_format(settings.embedding_model))


def _prepare(settings: Settings, root: Path, base: Index | None, report: Report, rebuild: bool = False) -> Builder:
    """The generation to build: a copy of ``base`` (an empty one when there is none, or for a rebuild) in a new
    folder. When a crashed run left an unfinished build of the same kind on the same base, its vectors are kept
    (chunk ids are content hashes, so they are reused, not re-embedded) and everything else is copied again."""
    base_name = base.generation if base is not None else None
    key = f"rebuild:{base_name}" if rebuild else base_name  # what the unfinished build must have been
    source = None if rebuild else base
    for name in generations.unfinished(root, base_name):
        info = generations.build_info(root / name)
        if info and info.get("base") == key and info.get("copied") and _same_vectors(settings, root / name):
            try:
                _copy_generation(source, root / name, vectors=False)
                build = Builder(settings, path=root / name)
                build.store.count()
                # who builds it now: ``status`` and the chat tell a live build from one a dead process left
                generations.note_progress(
                    root / name, pid=os.getpid(), started=time.strftime("%Y-%m-%dT%H:%M:%S"), embedded=0
                )
                report.resumed = name
                return build
            except Exception as exc:  # noqa: BLE001 - a build too broken to reuse is started again
                log.warning("unfinished generation %s cannot be resumed (%s): starting again", name, exc)
        _discard(settings, root, name)
    name = generations.next_name(root)
    path = root / name
    path.mkdir(parents=True)
    stamp = {"base": key, "pid": os.getpid(), "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    (path / generations.BUILD).write_text(json.dumps(stamp | {"copied": False}))
    if source is not None:
        _copy_generation(source, path)
    build = Builder(settings, path=path)
    if settings.chroma_url:  # on a shared server each generation has its own collection
        build.write_info(chroma_collection=f"{settings.chroma_collection}-{name}")
        if source is not None:
            build.store.copy_from(source.store)
    (path / generations.BUILD).write_text(json.dumps(stamp | {"copied": True}))
    checkpoint("copied")
    return build


def _copy_generation(base: Index | None, path: Path, vectors: bool = True) -> None:
    """Copy the files of ``base`` into ``path``, replacing what is there: the catalog through SQLite's backup
    (consistent while others read it), the lexical index, the glossary, the settings and, with ``vectors``, the
    embedded Chroma folder. ``base`` None: an empty generation (its vectors kept when ``vectors`` is False)."""
    import sqlite3

    for name in (*generations.CATALOG_FILES, generations.GLOSSARY):
        (path / name).unlink(missing_ok=True)
    shutil.rmtree(path / generations.LEXICAL, ignore_errors=True)
    if base is None:
        return
    info = json.loads((path / generations.INFO).read_text()) if (path / generations.INFO).exists() else {}
    dst = sqlite3.connect(str(path / generations.CATALOG))
    try:
        base.catalog.db.backup(dst)
    finally:
        dst.close()
    if vectors and not base.settings.chroma_url and (base.path / generations.CHROMA).is_dir():
        shutil.rmtree(path / generations.CHROMA, ignore_errors=True)
        shutil.copytree(base.path / generations.CHROMA, path / generations.CHROMA)
    if (base.path / generations.LEXICAL).is_dir():
        shutil.copytree(base.path / generations.LEXICAL, path / generations.LEXICAL)
    for name in (generations.GLOSSARY, generations.INFO):
        if (base.path / name).exists():
            shutil.copy2(base.path / name, path / name)
    if not vectors and info.get("chroma_collection"):  # a resumed build keeps its own collection
        merged = json.loads((path / generations.INFO).read_text()) | {"chroma_collection": info["chroma_collection"]}
        (path / generations.INFO).write_text(json.dumps(merged, indent=1))


def _verify(build: Builder) -> None:
    """Refuse to publish a generation whose parts disagree; what a resumed build left over (vectors of
    chunks replaced since) is cleaned first."""
    problems = check(build, sources=False)
    if not problems.ok and not problems.chunk_count_mismatch:
        repair(build, problems)
        problems = check(build, sources=False)
    if not problems.ok:
        raise RefreshFailed(
            f"la nouvelle génération {build.path} est incohérente ({'; '.join(problems.lines())}) ; "
            "elle n'est pas publiée, l'index précédent reste servi."
        )
    sample = build.catalog.sample_text()
    if sample:  # the vectors answer a query, with passages the catalog knows; so does BM25
        query = " ".join(sample.split()[:12])
        pending = build.vectors_pending  # no vectors yet: BM25 alone answers
        dense = [] if pending else build.store.query(build.embedder.embed_query(query), 5)
        lexical = build.lexical.top(analyse(query), 5)
        if (not dense and not pending) or not lexical or any(cid not in build.chunks for cid, _ in dense + lexical):
            raise RefreshFailed(
                f"la nouvelle génération {build.path} ne répond pas à une recherche de contrôle ; "
                "elle n'est pas publiée, l'index précédent reste servi."
            )


def _is_under(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
        return True
    except (ValueError, OSError):
        return False
