"""Where documents come from: which files are candidates, their ids, the paths the catalog stores (readable
and reversible even when a name is not UTF-8) and their content hashes. Shared by the pipeline, which builds
the index, and the integrity check, which compares the index with its files."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path

from ingest.loaders import legifrance_root

# Files never indexed: metadata sidecars, the corpus' own notes, hidden files.
DEFAULT_IGNORE = ("*.meta.json", "README.md", "PROVENANCE.md", "SOURCE-README.md", "SELECTION.md", ".*")


def ignored(name: str, patterns: Iterable[str] = DEFAULT_IGNORE) -> bool:
    """The file name matches one of the patterns (``fnmatch``): not a document to index."""
    return any(fnmatch.fnmatch(name, p) for p in patterns)


def repaired_name(text: str) -> str:
    """A file name that is not UTF-8 (Python holds its bytes as surrogates) read as Windows-1252, the usual
    encoding of such French names ("\\udce9t\\udce9.txt" -> "été.txt"); a UTF-8 name as it is."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return os.fsencode(text).decode("cp1252", errors="replace")


def shown_path(path) -> str:
    """A path as reports show it: readable even when its name is not UTF-8."""
    return repaired_name(str(path))


def stored_source(path: Path) -> str:
    """A file's path as the catalog stores it (text): as it is when it is UTF-8; otherwise its undecodable
    bytes as %XX and its « % » as %25, reversed by ``source_path``."""
    text = str(path)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "".join(
            f"%{ord(ch) - 0xDC00:02X}" if 0xDC80 <= ord(ch) <= 0xDCFF else "%25" if ch == "%" else ch for ch in text
        )


def source_path(stored: str) -> Path:
    """The file a stored source names (see ``stored_source``)."""
    path = Path(stored)
    if "%" not in stored or path.exists():
        return path
    raw = re.sub(rb"%([0-9A-F]{2})", lambda m: bytes([int(m.group(1), 16)]), stored.encode("utf-8"))
    return Path(os.fsdecode(raw))


def doc_id_of(path: Path, root: Path) -> str:
    """A document's id: its path relative to the folder ingested (an article of the codes: relative to its
    code's folder, wherever that folder was given from)."""
    code_root = legifrance_root(path.resolve())
    if code_root is not None and path.suffix == ".md":
        return f"legifrance/{code_root.name}/{path.resolve().relative_to(code_root).as_posix()}"
    try:
        rel = Path(os.path.abspath(path)).relative_to(Path(os.path.abspath(root))).as_posix()
    except ValueError:
        rel = path.name
    return repaired_name(rel)


def file_sha256(path: Path) -> str:
    """The content hash that decides whether a file changed (read in 1 MB blocks)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
