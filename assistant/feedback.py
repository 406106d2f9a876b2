"""Feedback on answers: thumbs up or down and an optional comment, saved with the question, the answer, its
citations and the settings in a SQLite file under the data directory."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL, rating INTEGER NOT NULL, comment TEXT,
    question TEXT NOT NULL, query TEXT, answer TEXT, answered INTEGER, citations TEXT, settings TEXT
);
"""


class FeedbackStore:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self):
        return sqlite3.connect(str(self.path), timeout=10)

    def add(self, rating: int, question: str, answer: dict, settings: dict, comment: str = "", query: str = "") -> int:
        if rating not in (1, -1):
            raise ValueError("rating is 1 (useful) or -1 (not useful)")
        with self._lock, self._connect() as db:
            cur = db.execute(
                "INSERT INTO feedback (created, rating, comment, question, query, answer, answered, citations, "
                "settings) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    time.strftime("%Y-%m-%dT%H:%M:%S"),
                    rating,
                    comment,
                    question,
                    query,
                    answer.get("answer", ""),
                    int(bool(answer.get("answered"))),
                    json.dumps(answer.get("citations", []), ensure_ascii=False),
                    json.dumps(settings, ensure_ascii=False, default=str),
                ),
            )
            return int(cur.lastrowid)

    def rows(self) -> list[dict]:
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("SELECT * FROM feedback ORDER BY id")]

    def export_eval_lines(self) -> list[dict]:
        """Rated answers as eval-format lines to review: a useful answer's cited passages become candidate
        evidence; an answer rated not useful is exported with empty evidence, marked for a reviewer."""
        out = []
        for r in self.rows():
            citations = json.loads(r["citations"] or "[]")
            useful = r["rating"] > 0
            out.append(
                {
                    "id": f"feedback-{r['id']}",
                    "question": r["question"],
                    "answerable": bool(r["answered"]) if useful else True,
                    "evidence": [c["text"][:300] for c in citations[:1]] if useful else [],
                    "answer_keywords": [],
                    "citations": [c["locator"] for c in citations[:1]] if useful else [],
                    "review": {
                        "rating": r["rating"],
                        "comment": r["comment"] or "",
                        "answer": r["answer"],
                        "created": r["created"],
                    },
                }
            )
        return out
