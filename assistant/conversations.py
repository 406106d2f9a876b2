"""The chat's conversations, kept by the server in a SQLite file beside the feedback database.

A page holds only its conversation's id (32 random hex digits, made by the server at its first question); the
history, the last answer (for the thumbs) and the export live here. Any process of ``serve --workers N`` can
thus answer the next question of a conversation another process began: Gradio's own session state lives in one
process's memory. A conversation untouched for ``MAX_AGE_S`` is forgotten, and beyond ``MAX_KEPT`` the least
recently used ones are.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid
from pathlib import Path

from assistant.catalog import use_wal

MAX_AGE_S = 24 * 3600
MAX_KEPT = 10_000  # conversations kept at most (the least recently used go first), as Gradio kept sessions
ID_RE = re.compile(r"[0-9a-f]{32}")

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, updated REAL NOT NULL, state TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS conversations_updated ON conversations (updated);
"""


def new_id() -> str:
    return uuid.uuid4().hex


def valid_id(cid) -> bool:
    return isinstance(cid, str) and ID_RE.fullmatch(cid) is not None


class Conversations:
    def __init__(self, path: Path, max_age: float = MAX_AGE_S, max_kept: int = MAX_KEPT):
        self.path = Path(path)
        self.max_age = max_age
        self.max_kept = max_kept
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            use_wal(db)
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(str(self.path), timeout=10)

    def get(self, cid) -> dict:
        """The conversation's state; an empty one for an id that is unknown, expired or not one of ours."""
        if not valid_id(cid):
            return {}
        db = self._connect()
        try:
            row = db.execute(
                "SELECT state FROM conversations WHERE id = ? AND updated > ?", (cid, time.time() - self.max_age)
            ).fetchone()
        finally:
            db.close()
        return json.loads(row[0]) if row else {}

    def put(self, cid: str, state: dict) -> None:
        if not valid_id(cid):
            raise ValueError("not a conversation id")
        now = time.time()
        db = self._connect()
        try:
            with db:
                db.execute(
                    "INSERT INTO conversations (id, updated, state) VALUES (?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET updated = excluded.updated, state = excluded.state",
                    (cid, now, json.dumps(state, ensure_ascii=False)),
                )
                db.execute("DELETE FROM conversations WHERE updated < ?", (now - self.max_age,))
                db.execute(
                    "DELETE FROM conversations WHERE id NOT IN "
                    "(SELECT id FROM conversations ORDER BY updated DESC LIMIT ?)",
                    (self.max_kept,),
                )
        finally:
            db.close()
