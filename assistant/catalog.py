"""The catalog: documents (manifest: hash, size, mtime, chunk count) and their chunks, in one SQLite file."""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from assistant.records import Chunk, Document

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, source TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER, mtime REAL,
    n_chunks INTEGER, title TEXT, short_title TEXT, doc_type TEXT, date TEXT, reference TEXT, origin TEXT,
    kind TEXT, article TEXT, code TEXT, breadcrumb TEXT, links TEXT, text TEXT, indexed_at TEXT
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, ord INTEGER, text TEXT, locator TEXT, start INTEGER,
    end_ INTEGER, breadcrumb TEXT, article TEXT, part INTEGER, parts INTEGER
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE INDEX IF NOT EXISTS documents_article ON documents(article);
"""
# Added after catalogs were first built: an older catalog gets it at its first open, unless another process
# holds the database then (a unit's lookup then reads the table, as before).
LATER_INDEXES = "CREATE INDEX IF NOT EXISTS chunks_locator ON chunks(locator);"

DOC_COLS = (
    "doc_id",
    "source",
    "title",
    "short_title",
    "doc_type",
    "date",
    "reference",
    "origin",
    "kind",
    "article",
    "code",
    "breadcrumb",
    "links",
)
# The metadata most documents share with others (a code's title, type, date, origin): read, each is shared
# (``_shared``): a server's cache of documents holds one copy of each value, not one per document.
SHARED_DOC_COLS = ("title", "short_title", "doc_type", "date", "origin", "kind", "code")


@functools.lru_cache(maxsize=1024)
def _shared(value: str) -> str:
    """The first string read equal to ``value``: one object for a value that many rows repeat. A bounded table
    rather than ``sys.intern``, whose strings some Pythons never free (3.12.0 to 3.12.4): a value that no other
    row repeats (a synthetic copy's title) leaves it in turn."""
    return value


# A chunk with the fields it takes from its document (title, type, date, source), in catalog order.
CHUNK_SELECT = (
    "SELECT c.chunk_id, c.doc_id, c.text, c.locator, c.start, c.end_, c.breadcrumb, c.article, c.part, c.parts, "
    "d.title, d.doc_type, d.date, d.source FROM chunks c LEFT JOIN documents d ON d.doc_id = c.doc_id"
)
CHUNK_ORDER = " ORDER BY c.doc_id, c.ord"
BATCH = 500  # ids asked in one query (SQLite allows 32,766 parameters)


class Place(NamedTuple):
    """Where a chunk sits, without its text (what the headings field is built from)."""

    chunk_id: str
    doc_id: str
    article: str
    start: int
    part: int
    breadcrumb: tuple[str, ...]


@functools.lru_cache(maxsize=16384)
def _tuple_of(text: str | None) -> tuple:
    """A stored JSON list (breadcrumb, links) as a tuple, parsed once for the breadcrumbs passages share."""
    return tuple(json.loads(text or "[]"))


def use_wal(db: sqlite3.Connection, timeout: float = 10.0) -> None:
    """Put the database of ``db`` in WAL mode (readers and one writer at once; kept in the file). Switching needs
    the whole file, and SQLite answers "database is locked" at once, without its busy timeout, while another
    connection writes (two server workers opening a new file together): tried again for up to ``timeout`` s. A
    file already in WAL mode is only read."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class Catalog:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        use_wal(self.db)
        self.db.executescript(SCHEMA)
        try:
            self.db.execute(LATER_INDEXES)
        except sqlite3.OperationalError:  # locked by another process, or read-only
            pass

    def manifest(self) -> dict[str, dict]:
        rows = self.db.execute("SELECT doc_id, source, sha256, size, mtime, n_chunks FROM documents")
        return {r[0]: {"source": r[1], "sha256": r[2], "size": r[3], "mtime": r[4], "n_chunks": r[5]} for r in rows}

    def chunk_ids_of(self, doc_id: str) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT chunk_id FROM chunks WHERE doc_id=?", (doc_id,))]

    @contextmanager
    def batch(self) -> Iterator[None]:
        """The writes made inside in one transaction (``replace``, ``remove``): one commit, one sync of the
        write-ahead log, instead of one per document (at the full codes, 20,570 commits took about 6 of the 42 s
        that an ingest spent beside the embedding). All or nothing, like each write alone; inside another batch,
        a savepoint of it. One writing thread per catalog (the builder's): another thread's batch on the same
        connection would join this one."""
        nested = self.db.in_transaction
        self.db.execute("SAVEPOINT batch" if nested else "BEGIN")
        try:
            yield
            if nested:
                self.db.execute("RELEASE batch")
            else:
                self.db.commit()
        except BaseException:
            if nested:
                self.db.execute("ROLLBACK TO batch")
                self.db.execute("RELEASE batch")
            elif self.db.in_transaction:  # a commit that failed may leave it open
                self.db.rollback()
            raise

    def replace(self, doc: Document, chunks: list[Chunk], sha256: str, size: int, mtime: float, when: str) -> None:
        with self.batch():
            self.db.execute("DELETE FROM chunks WHERE doc_id=?", (doc.doc_id,))
            self.db.execute(
                "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    doc.doc_id,
                    doc.source,
                    sha256,
                    size,
                    mtime,
                    len(chunks),
                    doc.title,
                    doc.short_title,
                    doc.doc_type,
                    doc.date,
                    doc.reference,
                    doc.origin,
                    doc.kind,
                    doc.article,
                    doc.code,
                    json.dumps(doc.breadcrumb, ensure_ascii=False),
                    json.dumps(doc.links),
                    doc.text,
                    when,
                ),
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        c.chunk_id,
                        c.doc_id,
                        i,
                        c.text,
                        c.locator,
                        c.start,
                        c.end,
                        json.dumps(c.breadcrumb, ensure_ascii=False),
                        c.article,
                        c.part,
                        c.parts,
                    )
                    for i, c in enumerate(chunks)
                ],
            )

    def touch(self, doc_id: str, source: str, size: int, mtime: float) -> None:
        self.db.execute("UPDATE documents SET source=?, size=?, mtime=? WHERE doc_id=?", (source, size, mtime, doc_id))

    def remove(self, doc_ids: Iterable[str]) -> None:
        with self.batch():
            for doc_id in doc_ids:
                self.db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
                self.db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))

    @staticmethod
    def _document(row) -> dict:
        d = dict(zip(DOC_COLS, row, strict=True))
        for key in SHARED_DOC_COLS:  # one copy of a value many documents repeat
            if isinstance(d[key], str):
                d[key] = _shared(d[key])
        d["breadcrumb"] = _tuple_of(d["breadcrumb"])
        d["links"] = _tuple_of(d["links"])
        return d

    def documents(self) -> dict[str, dict]:
        """Every document's metadata (not its text), by id."""
        return dict(self.iter_documents())

    def iter_documents(self):
        """(doc_id, metadata) of every document, read as they come (nothing kept)."""
        for row in self.db.execute(f"SELECT {', '.join(DOC_COLS)} FROM documents ORDER BY doc_id"):
            yield row[0], self._document(row)

    def documents_by_id(self, doc_ids: Iterable[str]) -> dict[str, dict]:
        """The metadata of the documents among ``doc_ids`` that exist."""
        ids = list(dict.fromkeys(doc_ids))
        out = {}
        for i in range(0, len(ids), BATCH):
            part = ids[i : i + BATCH]
            sql = f"SELECT {', '.join(DOC_COLS)} FROM documents WHERE doc_id IN ({','.join('?' * len(part))})"
            for row in self.db.execute(sql, part):
                out[row[0]] = self._document(row)
        return out

    def chunked_document_ids(self) -> list[str]:
        """The documents that have chunks, in doc id order."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT doc_id FROM chunks ORDER BY doc_id")]

    def document_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT doc_id FROM documents ORDER BY doc_id")]

    def document_text(self, doc_id: str) -> str:
        row = self.db.execute("SELECT text FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return row[0] if row else ""

    def writes(self, word: str) -> bool:
        """Whether a passage writes ``word`` as it is (case and accents kept, a whole word): "SISA", which the
        analysis stems to "sis", is not "sis" (located at). A scan of the passages' text by SQLite (about 0.14 s at
        the full codes): for the rare word that needs it."""
        whole = re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])")
        rows = self.db.execute("SELECT text FROM chunks WHERE instr(text, ?) > 0", (word,))
        return any(whole.search(text) for (text,) in rows)

    def docs_of_article(self, article: str) -> list[str]:
        """The documents of a canonical article number (it may exist in both codes' corpora)."""
        if not article:  # the documents that are no code article have an empty number: none is "article ''"
            return []
        rows = self.db.execute("SELECT doc_id FROM documents WHERE article=? ORDER BY doc_id", (article,))
        return [r[0] for r in rows]

    def articles(self) -> set[str]:
        """Every article number of the corpus."""
        return {r[0] for r in self.db.execute("SELECT DISTINCT article FROM documents WHERE article != ''")}

    def codes(self) -> set[str]:
        """The codes whose articles the corpus holds ("Code de la santé publique"...)."""
        return {r[0] for r in self.db.execute("SELECT DISTINCT code FROM documents WHERE code != ''")}

    def most_linked_articles(self, k: int = 1) -> list[str]:
        """The ``k`` article numbers of the corpus that its documents refer to most often (every reference
        counted; a tie goes to the article referred to first, documents read in id order), counted by SQLite: a
        server's chat takes one as an example question, and reading every document of the full codes in Python
        for it cost each server 0.2 s and 12 MB when its chat was built."""
        sql = (
            "SELECT j.value, COUNT(*) AS n FROM documents AS d, json_each(d.links) AS j "
            "WHERE j.value IN (SELECT article FROM documents WHERE article != '') "
            "GROUP BY j.value ORDER BY n DESC, MIN(d.doc_id || char(1) || printf('%010d', j.key)) LIMIT ?"
        )
        try:
            return [r[0] for r in self.db.execute(sql, (k,))]
        except sqlite3.OperationalError as exc:  # an SQLite without its JSON functions, or a links value not JSON
            if "json" not in str(exc).lower():
                raise
            known, counts = self.articles(), Counter()
            for (links,) in self.db.execute("SELECT links FROM documents ORDER BY doc_id"):
                counts.update(a for a in json.loads(links or "[]") if a in known)
            return [a for a, _ in counts.most_common(k)]

    def citation_counts(self) -> tuple[dict[str, int], list[str]]:
        """How many code articles refer to each article number (the cross-references parsed at ingest, an
        article's references to itself left out), and every code article's number."""
        counts: dict[str, int] = {}
        numbers = []
        for article, links in self.db.execute("SELECT article, links FROM documents WHERE kind='legifrance'"):
            numbers.append(article)
            for target in set(json.loads(links) if links else ()):
                if target != article:
                    counts[target] = counts.get(target, 0) + 1
        return counts, numbers

    @staticmethod
    def _chunk(row) -> Chunk:
        return Chunk(
            chunk_id=row[0],
            doc_id=row[1],
            text=row[2],
            locator=row[3],
            start=row[4],
            end=row[5],
            title=_shared(row[10] or ""),
            doc_type=_shared(row[11] or ""),
            date=_shared(row[12] or ""),
            breadcrumb=_tuple_of(row[6]),
            source=row[13] or "",
            article=row[7] or "",
            part=row[8],
            parts=row[9],
        )

    def iter_chunks(self):
        """Every chunk in catalog order (document, then position), read as they come (nothing kept)."""
        for row in self.db.execute(CHUNK_SELECT + CHUNK_ORDER):
            yield self._chunk(row)

    def chunks(self) -> list[Chunk]:
        return list(self.iter_chunks())

    def chunks_by_id(self, chunk_ids: Iterable[str]) -> dict[str, Chunk]:
        """The chunks among ``chunk_ids`` that exist."""
        ids = list(dict.fromkeys(chunk_ids))
        out = {}
        for i in range(0, len(ids), BATCH):
            part = ids[i : i + BATCH]
            for row in self.db.execute(CHUNK_SELECT + f" WHERE c.chunk_id IN ({','.join('?' * len(part))})", part):
                out[row[0]] = self._chunk(row)
        return out

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        """A document's chunks in their order."""
        rows = self.db.execute(CHUNK_SELECT + " WHERE c.doc_id=?" + CHUNK_ORDER, (doc_id,))
        return [self._chunk(r) for r in rows]

    def chunks_at(self, locator: str) -> list[Chunk]:
        """The chunks of a unit and of its sub-units ("Article 5" -> "Article 5", "Article 5.2"...), in catalog
        order."""
        rows = self.db.execute(
            CHUNK_SELECT + " WHERE c.locator = ? OR (c.locator > ? AND c.locator < ?)" + CHUNK_ORDER,
            (locator, locator + ".", locator + "/"),  # "/" follows "." in code point order
        )
        return [self._chunk(r) for r in rows]

    def places(self):
        """Where every chunk sits (``Place``: no text), in catalog order, read as they come."""
        sql = "SELECT chunk_id, doc_id, article, start, part, breadcrumb FROM chunks ORDER BY doc_id, ord"
        for row in self.db.execute(sql):
            yield Place(row[0], row[1], row[2] or "", row[3], row[4], _tuple_of(row[5]))

    def counts(self) -> tuple[int, int]:
        docs = self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        chunks = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return docs, chunks

    def chunk_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT chunk_id FROM chunks ORDER BY doc_id, ord")]

    def chunk_counts(self) -> dict[str, int]:
        """Chunks held per document."""
        return dict(self.db.execute("SELECT doc_id, COUNT(*) FROM chunks GROUP BY doc_id").fetchall())

    def sample_text(self) -> str | None:
        """The text of one chunk (to try a query on a new generation), or None when there is none."""
        row = self.db.execute("SELECT text FROM chunks LIMIT 1").fetchone()
        return row[0] if row else None

    def spread_texts(self, n: int) -> list[str]:
        """The texts of ``n`` chunks (all of them when there are fewer) spread evenly over the catalog in its order
        (document, then place in the document), the same ones for the same catalog: questions on passages from
        everywhere in the corpus, for a benchmark."""
        ids = [r[0] for r in self.db.execute("SELECT chunk_id FROM chunks ORDER BY doc_id, ord")]
        m = min(max(n, 0), len(ids))
        picked = [ids[i * len(ids) // m] for i in range(m)]
        chunks = self.chunks_by_id(picked)
        return [chunks[c].text for c in picked]

    def last_change(self) -> str | None:
        """When a document was last added or replaced."""
        return self.db.execute("SELECT MAX(indexed_at) FROM documents").fetchone()[0]

    def close(self) -> None:
        self.db.close()
