"""Recent events counted in sliding windows (failed logins, uploads), shared by every process of a server.

``serve --workers N`` runs N processes behind one port, and the kernel gives each connection to any of them: a
count kept in one process's memory would let a client try N times as many passwords, or send N times as many
uploads, as the limits say. The events are kept in a small SQLite file beside the feedback database instead
(``<data>/events.sqlite``); without a path (unit tests, one-shot use) they are kept in memory.

Times are wall-clock seconds (``time.time``): each process has its own monotonic clock.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from assistant.catalog import use_wal

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (key TEXT NOT NULL, t REAL NOT NULL);
CREATE INDEX IF NOT EXISTS events_key_t ON events (key, t);
"""


class EventLog:
    """Events by key. ``horizon``: seconds after which an event is forgotten (the longest window asked)."""

    def __init__(self, path: Path | None = None, horizon: float = 3600.0):
        self.path = Path(path) if path else None
        self.horizon = horizon
        self._lock = threading.Lock()
        self._memory = None
        if self.path is None:
            self._memory = sqlite3.connect(":memory:", check_same_thread=False)
            self._memory.executescript(SCHEMA)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                use_wal(db)
                db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        if self._memory is not None:
            return self._memory
        # isolation_level=None: transactions are opened explicitly (BEGIN IMMEDIATE takes the write lock at once)
        return sqlite3.connect(str(self.path), timeout=10, isolation_level=None)

    def _close(self, db: sqlite3.Connection) -> None:
        if db is not self._memory:
            db.close()

    @staticmethod
    def _recent(db, key: str, since: float) -> tuple[int, float | None]:
        """(events of ``key`` since ``since``, the oldest of them)."""
        return db.execute("SELECT COUNT(*), MIN(t) FROM events WHERE key = ? AND t > ?", (key, since)).fetchone()

    def wait(self, keys, limit: int, window: float, now: float | None = None) -> int:
        """Seconds before any of ``keys`` is under ``limit`` events in ``window`` seconds again (0: it is now)."""
        now = time.time() if now is None else now
        with self._lock:
            db = self._connect()
            try:
                wait = 0.0
                for key in keys:
                    n, oldest = self._recent(db, key, now - window)
                    if n >= limit:
                        wait = max(wait, window - (now - oldest))
            finally:
                self._close(db)
        return int(wait) + 1 if wait > 0 else 0

    def add(self, *keys: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._lock:
            db = self._connect()
            try:
                db.execute("BEGIN IMMEDIATE")
                db.executemany("INSERT INTO events (key, t) VALUES (?, ?)", [(k, now) for k in keys])
                db.execute("DELETE FROM events WHERE t < ?", (now - self.horizon,))
                db.execute("COMMIT")
            finally:
                self._close(db)

    def take(self, key: str, limit: int, window: float, now: float | None = None) -> int:
        """Count one event of ``key`` if it has fewer than ``limit`` in ``window`` seconds, and return 0; otherwise
        count nothing and return the seconds to wait. Atomic across processes."""
        now = time.time() if now is None else now
        with self._lock:
            db = self._connect()
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    n, oldest = self._recent(db, key, now - window)
                    if n >= limit:
                        return int(window - (now - oldest)) + 1
                    db.execute("INSERT INTO events (key, t) VALUES (?, ?)", (key, now))
                    db.execute("DELETE FROM events WHERE t < ?", (now - self.horizon,))
                finally:
                    db.execute("COMMIT")
                return 0
            finally:
                self._close(db)
