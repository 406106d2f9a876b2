"""Index generations: how a refresh publishes atomically.

An index folder (``ASSISTANT_INDEX``) is a *root* that holds:

- ``gen-000001/``, ``gen-000002/``, ...: complete indexes (catalog, Chroma, lexical index, glossary);
- ``CURRENT``: the name of the generation readers use. It changes by one ``rename``, which is atomic;
- ``LOCK``: taken (``flock``) by the one refresh allowed at a time; the kernel releases it if the process dies.

A refresh copies the current generation into the next one, applies the changes there, verifies it and only then
rewrites ``CURRENT``. A crash, a ``kill -9`` or a full disk before that leaves ``CURRENT`` where it was; the next
refresh resumes the unfinished generation (what it already embedded is kept) when it was built on the same base,
and discards it otherwise. Older generations are deleted once the new one is published, keeping
``keep_generations`` of them (readers still busy with the previous one finish their answer).

An index from before generations (the files directly in the root) is read as it is and becomes the base of the
first generation at the next refresh that changes something.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import signal
from contextlib import contextmanager
from pathlib import Path

from assistant.errors import AssistantError

CURRENT = "CURRENT"
LOCK = "LOCK"
BUILD = "BUILD.json"  # in a generation being built: its base and who builds it
CALIBRATION = "calibration.json"  # in the root: settings `python -m evals tune` measured for this index
GEN_RE = re.compile(r"^gen-(\d{6})$")
LEGACY = "legacy"  # the name of an index whose files sit directly in the root

# A generation's files: this module alone names them.
INFO = "index.json"  # settings it was built with, counts, last refresh
CATALOG = "catalog.sqlite"  # documents, passages, sources (``assistant.catalog``)
CATALOG_FILES = (CATALOG, CATALOG + "-wal", CATALOG + "-shm")
CHROMA = "chroma"  # embedded Chroma's folder (absent with a Chroma server)
EXACT = "exact"  # the vectors as one array searched exactly (``assistant.store.write_exact``), when small enough
LEXICAL = "lexical"  # BM25's folder (``assistant.lexical``)
WINDOWS = "windows"  # a model's vectors of long passages' later windows (``assistant.windows``)
GLOSSARY = "glossary.json"  # acronyms and their long forms
LEGACY_FILES = (INFO, *CATALOG_FILES, CHROMA, EXACT, LEXICAL, GLOSSARY, WINDOWS)


class IndexBusy(AssistantError):
    """Another refresh holds the index's lock."""


def note_progress(path: Path, **progress) -> None:
    """Record how far the build in ``path`` got (passages embedded of those to embed) in its ``BUILD.json``, for
    ``status`` and the chat's header; nothing when ``path`` is no build (an index updated in place)."""
    info = build_info(path)
    if info is None:
        return
    build = Path(path) / BUILD
    tmp = build.with_suffix(".tmp")
    tmp.write_text(json.dumps(info | progress))
    tmp.replace(build)


def current_name(root: Path) -> str | None:
    """The generation readers should use: its folder name, ``legacy``, or None when there is no index."""
    try:
        name = (Path(root) / CURRENT).read_text().strip()
    except FileNotFoundError:
        return LEGACY if (Path(root) / INFO).exists() else None
    return name or None


def read_calibration(root: Path) -> dict:
    """What ``python -m evals tune`` stored for this index (empty when it was never tuned or is unreadable)."""
    try:
        data = json.loads((Path(root) / CALIBRATION).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def calibration_stamp(root: Path) -> tuple[int, int] | None:
    """Which ``calibration.json`` is there (its inode, new at each write, and modification time; None: none): a
    server reads the calibration again when it changes."""
    try:
        st = (Path(root) / CALIBRATION).stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def write_calibration(root: Path, values: dict) -> Path:
    """Store tuned settings beside the generations (they hold for every later generation of this index)."""
    path = Path(root) / CALIBRATION
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(values, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return path


def path_of(root: Path, name: str) -> Path:
    return Path(root) if name == LEGACY else Path(root) / name


def generations(root: Path) -> list[str]:
    """Generation folders in the root, oldest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and GEN_RE.match(p.name))


def next_name(root: Path) -> str:
    names = generations(root)
    last = int(GEN_RE.match(names[-1]).group(1)) if names else 0
    return f"gen-{last + 1:06d}"


@contextmanager
def writer_lock(root: Path):
    """The one refresh allowed on this root; raises ``IndexBusy`` at once if another holds it."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
            raise IndexBusy(
                f"une mise à jour de l'index {root} est déjà en cours (processus {holder or '?'}) ; "
                "réessayer quand elle sera finie."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (a rename in it) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(root: Path, name: str) -> None:
    """Point readers at generation ``name``: write CURRENT.tmp, flush it, rename it over CURRENT."""
    root = Path(root)
    tmp = root / (CURRENT + ".tmp")
    with open(tmp, "w") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    checkpoint("switching")
    os.replace(tmp, root / CURRENT)
    fsync_dir(root)


def build_info(path: Path) -> dict | None:
    try:
        return json.loads((Path(path) / BUILD).read_text())
    except (FileNotFoundError, ValueError):
        return None


def unfinished(root: Path, base: str | None) -> list[str]:
    """Builds that did not reach the switch: generations newer than the current one that still carry their
    BUILD.json (a published generation has none, or is not newer than the current one)."""
    names = [n for n in generations(root) if (Path(root) / n / BUILD).exists()]
    if base and GEN_RE.match(base):
        names = [n for n in names if n > base]
    return names


def sync_tree(path: Path) -> None:
    """Flush every file and folder under ``path`` to disk."""
    for dirpath, _, filenames in os.walk(path):
        for name in filenames:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(dirpath))


def remove(root: Path, name: str) -> None:
    if name == LEGACY:
        for entry in LEGACY_FILES:
            p = Path(root) / entry
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            elif p.exists():
                p.unlink()
    else:
        shutil.rmtree(Path(root) / name, ignore_errors=True)


def garbage(root: Path, keep: int) -> list[str]:
    """Published generations older than the ``keep`` newest (the current one included), oldest first; a
    pre-generation index's files count as the oldest."""
    root = Path(root)
    current = current_name(root)
    if current is None or current == LEGACY:
        return []
    older = [n for n in generations(root) if n < current]
    if (root / INFO).exists():
        older.insert(0, LEGACY)
    return older[: max(0, len(older) - (keep - 1))]


# ---------------------------------------------------------------- test hooks


def checkpoint(point: str) -> None:
    """A named point of a refresh where the crash tests stop the process.

    ``ASSISTANT_CRASH_AT=<point>`` kills the process there with SIGKILL (a real ``kill -9``: nothing is flushed
    nor cleaned up); ``ASSISTANT_FAIL_AT=<point>`` raises "no space left on device" there. Unset, this does
    nothing. Points, in order: copied, embedding, catalog, derived, verified, switching, published.
    """
    if os.environ.get("ASSISTANT_CRASH_AT") == point:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get("ASSISTANT_FAIL_AT") == point:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


POINTS = ("copied", "embedding", "catalog", "derived", "verified", "switching", "published")
