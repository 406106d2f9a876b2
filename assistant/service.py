"""The answering service: the current index generation with its retriever and answerer, shared by the CLI, the
chat and the API. It follows the index's ``CURRENT`` file: when a refresh (in this process or another) publishes a
new generation, the service loads it in the background while it keeps answering from the previous one, then
switches. Each question is answered from one generation from start to end."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from contextlib import contextmanager
from functools import cached_property

from assistant import generations, wordclass
from assistant.answer import Answerer
from assistant.followup import is_follow_up, standalone
from assistant.index import Index, calibrated
from assistant.records import Answer
from assistant.retrieval import Retriever, SearchResult
from assistant.settings import Settings
from assistant.suggest import start_precheck, suggestions

log = logging.getLogger(__name__)


class Loaded:
    """One generation, opened and warmed up. When it is replaced, its Chroma client is closed after its last
    question (the catalog stays readable for pages still showing its sources, until it is garbage)."""

    def __init__(self, settings: Settings, name: str | None = None):
        self.calibration = generations.calibration_stamp(settings.index)  # before the index reads it
        self.index = Index(settings, path=generations.path_of(settings.index, name) if name else None)
        self.index.check_settings()
        self.name = self.index.generation
        self.users = 0  # questions being answered from it; changed under Service._lock
        self.retired = False

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(self.index)

    @cached_property
    def answerer(self) -> Answerer:
        return Answerer(self.index, self.retriever)

    def warm(self) -> None:
        """Load what the first question would otherwise wait for (BM25, glossary, headings, vectors); passages and
        documents are read when a question needs them."""
        idx = self.index
        # (a generation published before its vectors is searched by BM25 alone: its vector store stays closed,
        # and chromadb unimported, until the generation with vectors is published)
        for attr in ("lexical", "glossary", "long_forms", "headings", *(() if idx.vectors_pending else ("store",))):
            getattr(idx, attr)
        # A question made of a passage's first words is answered with its citations: the embedding model,
        # Chroma's vectors and what the answer reads at first use (word lists, accents of headings) are loaded
        # before a user asks, not while a server also imports its chat.
        wordclass.load_large()  # the typo corrector's word list, which the sample seldom needs
        sample = idx.catalog.sample_text() or "échauffement du service"
        self.answerer.ask(" ".join(sample.split()[:12]), generate=False)  # never a call to an LLM


RETRY_LOAD_AFTER_S = 30.0
RELEASE_AFTER_S = 5.0  # after a switch, when the retired generation's questions are long answered


def release_memory() -> None:
    """Collect garbage and hand freed heap pages back to the system (glibc keeps them otherwise: each
    generation switch left the full-codes server about 60 MB bigger)."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


MALLOC_ARENAS = 2  # glibc's malloc arenas a server's process may use (``limit_malloc_arenas``)


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Let glibc's malloc use at most ``arenas`` arenas in this process and in those it forks. By default a new
    thread gets an arena of its own at its first allocation (up to 8 per core), and each arena keeps the memory
    freed in it: a server's threads (its thread pool, the query embedding's) made up to 15 of them. Measured at
    the full codes, `serve` with 20 clients through ``evals.bench.measure_workers``: the one-worker server's memory
    (PSS) 343 / 342 -> 332 / 330 MB, the second worker 177 / 173 -> 158 / 165 MB. Called first by ``serve``; an
    explicit ``MALLOC_ARENA_MAX`` or ``glibc.malloc.arena_max`` tunable in the environment is kept. False when
    nothing was set (not glibc, or the environment decides)."""
    import ctypes
    import os

    if os.environ.get("MALLOC_ARENA_MAX") or "glibc.malloc.arena_max" in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(-8, arenas))  # -8: M_ARENA_MAX in glibc's malloc.h
    except (OSError, AttributeError):  # not glibc
        return False


class Service:
    def __init__(self, settings: Settings, follow: bool = True):
        """``follow``: switch to a newer generation when one is published (a server); False for one-shot use."""
        self.settings = settings
        self.follow = follow
        self._loaded = Loaded(settings)
        self._lock = threading.Lock()  # guards _loaded, users and retired
        self._load_mutex = threading.Lock()  # one generation loads at a time
        self._loading: threading.Thread | None = None
        self._failed: tuple[str, float] | None = None  # (generation, when) of the last failed load

    def warm(self) -> None:
        """Load everything the first question needs before any question comes (a server calls this)."""
        self._loaded.warm()

    # ------------------------------------------------------------ generations

    @property
    def generation(self) -> str:
        return self._loaded.name

    def _published(self) -> str | None:
        try:
            return generations.current_name(self.settings.index)
        except OSError:
            return None

    def _follow(self) -> None:
        """Start loading a newer published generation in the background, if there is one."""
        if not self.follow:
            return
        name = self._published()
        if name == self._loaded.name:
            self._recalibrate()
        if not name or name == self._loaded.name:
            return
        if self._failed and self._failed[0] == name and time.monotonic() - self._failed[1] < RETRY_LOAD_AFTER_S:
            return
        with self._lock:
            if self._loading is None or not self._loading.is_alive():
                self._loading = threading.Thread(target=self._load, args=(name,), daemon=True, name=f"load-{name}")
                self._loading.start()

    def _recalibrate(self) -> None:
        """Take up a calibration ``evals tune`` wrote since the generation was opened (``make index``'s
        background job calibrates the index again once its vectors are in): the same generation, its dense
        weight and refusal threshold read again. A question under way ends with the values it started with."""
        stamp = generations.calibration_stamp(self.settings.index)
        with self._lock:
            g = self._loaded
            if stamp == g.calibration:
                return
            g.calibration = stamp
            g.index.settings = calibrated(self.settings, g.index.root)
            g.__dict__.pop("retriever", None)  # made again with the new settings at the next question
            g.__dict__.pop("answerer", None)
        log.info("calibration of %s read again", g.name)

    def _load(self, name: str) -> None:
        with self._load_mutex:
            if name == self._loaded.name:
                return
            try:
                new = Loaded(self.settings, name)
                new.warm()
            except Exception:  # noqa: BLE001 - e.g. already collected by a newer refresh: retried later
                log.exception("could not load index generation %s; still answering from %s", name, self._loaded.name)
                self._failed = (name, time.monotonic())
                return
            with self._lock:
                old, self._loaded = self._loaded, new
                old.retired = True
                idle = old.users == 0
            if idle:
                old.index.close_store()
            log.info("index generation %s now serving (was %s)", new.name, old.name)
            del old, new
            # The old generation is freed once its last question is answered; then give its memory back.
            timer = threading.Timer(RELEASE_AFTER_S, release_memory)
            timer.daemon = True
            timer.start()

    def reload(self) -> None:
        """Switch to the published generation now (after a refresh made by this process)."""
        name = self._published()
        if name and name != self._loaded.name:
            self._load(name)

    @contextmanager
    def _using(self):
        """The generation to answer one question from, held until the answer is made."""
        self._follow()
        with self._lock:
            g = self._loaded
            g.users += 1
        try:
            yield g
        finally:
            self._release(g)

    def _release(self, g: Loaded) -> None:
        with self._lock:
            g.users -= 1
            idle = g.retired and g.users == 0
        if idle:
            g.index.close_store()

    def _holding(self, g: Loaded):
        """For a background check on generation ``g``: a context that holds it like a question does and gives
        True, or gives False once ``g`` no longer serves (the check then stops)."""

        @contextmanager
        def hold():
            with self._lock:
                live = not g.retired
                if live:
                    g.users += 1
            try:
                yield live
            finally:
                if live:
                    self._release(g)

        return hold

    # ------------------------------------------------------------ the index of the moment

    @property
    def index(self) -> Index:
        """The generation serving now (pages read it once per request and keep it)."""
        self._follow()
        return self._loaded.index

    @property
    def retriever(self) -> Retriever:
        return self._loaded.retriever

    @property
    def answerer(self) -> Answerer:
        return self._loaded.answerer

    # ------------------------------------------------------------ questions

    def standalone(self, question: str, history: list[str]) -> str:
        """The follow-up as a standalone question: by the configured LLM when there is one (falling back to
        the rule on any error), otherwise by the documented rule of ``assistant.followup``."""
        if not history or self.settings.llm_backend == "none" or not is_follow_up(question, history[-1]):
            return standalone(question, history)
        try:
            rewritten = self.answerer.llm.rewrite(question, history)
        except Exception:
            return standalone(question, history)
        return rewritten if 0 < len(rewritten) <= 400 else standalone(question, history)

    def search(self, question: str, k: int | None = None) -> SearchResult:
        with self._using() as g:
            return g.retriever.search(question, k)

    def ask(self, question: str, suggest: bool = True) -> Answer:
        """The answer; a refusal comes with up to three reformulations the corpus answers (``suggest``)."""
        with self._using() as g:
            answer = g.answerer.ask(question)
            more = ()
            if suggest and not answer.answered:
                more = suggestions(g.answerer, question, answer)
                if self.follow:  # a server: after its first refusal, the notions' questions in the background
                    start_precheck(g.answerer, self._holding(g))
            return dataclasses.replace(answer, generation=g.name, suggestions=more)
