"""The answering service: one loaded index, retriever and answerer, shared by the CLI, the chat and the API."""
from __future__ import annotations

from functools import cached_property

from assistant.answer import Answerer
from assistant.index import Index
from assistant.records import Answer
from assistant.retrieval import Retriever, SearchResult
from assistant.settings import Settings


class Service:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.index = Index(settings)
        self.index.check_settings()

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
        return self.retriever.search(question, k)

    def ask(self, question: str) -> Answer:
        return self.answerer.ask(question)
