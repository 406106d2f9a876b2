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

    def search(self, question: str, k: int | None = None) -> SearchResult:
        return self.retriever.search(question, k)

    def ask(self, question: str) -> Answer:
        return self.answerer.ask(question)
