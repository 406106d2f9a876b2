"""The answering service: one loaded index, retriever and answerer, shared by the CLI, the chat and the API."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import cached_property

from assistant.answer import Answerer
from assistant.index import Index
from assistant.records import Answer
from assistant.retrieval import Retriever, SearchResult
from assistant.settings import Settings


class ReadWriteLock:
    """Many readers (questions) at once, or one writer (an upload being indexed)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def reading(self):
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def writing(self):
        with self._cond:
            while self._writing or self._readers:
                self._cond.wait()
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class Service:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.index = Index(settings)
        self.index.check_settings()
        self.lock = ReadWriteLock()  # questions read the index; an upload rewrites it

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(self.index)

    @cached_property
    def answerer(self) -> Answerer:
        return Answerer(self.index, self.retriever)

    def standalone(self, question: str, history: list[str]) -> str:
        """The follow-up as a standalone question: by the configured LLM when there is one (falling back to
        the rule on any error), otherwise by the documented rule of ``assistant.followup``."""
        from assistant.followup import is_follow_up, standalone

        if not history or self.settings.llm_backend == "none" or not is_follow_up(question, history[-1]):
            return standalone(question, history)
        try:
            rewritten = self.answerer.llm.rewrite(question, history)
        except Exception:
            return standalone(question, history)
        return rewritten if 0 < len(rewritten) <= 400 else standalone(question, history)

    def search(self, question: str, k: int | None = None) -> SearchResult:
        with self.lock.reading():
            return self.retriever.search(question, k)

    def ask(self, question: str) -> Answer:
        with self.lock.reading():
            return self.answerer.ask(question)
