"""Reformulations offered with a refusal: questions built from the closest glossary notions and the closest
articles, each kept only when the assistant answers it from the corpus.

Checking a notion's questions is the costly part of a refusal (each is a full question: 15 to 60 ms on 2 cores,
two per notion), and there are few of them (two per acronym of the glossary: 48 on the default corpus, 206 on
the full codes). So the first refusal of a generation starts checking them all in the background
(``start_precheck``); later refusals find them remembered and check only their lookups ("Que prévoit
l'article ..."), which need no query embedding."""

from __future__ import annotations

import atexit
import logging
import threading
from contextlib import contextmanager

from assistant.cite import display_article
from assistant.records import Answer
from assistant.text import analyse

MAX_SUGGESTIONS = 3
CHECKED_MAX = 4096  # reformulations whose answer is remembered, per generation of the index
ARTICLE_QUESTION, PASSAGE_QUESTION = "Que prévoit l'article ", "Que dit "
LOOKUP_QUESTIONS = (ARTICLE_QUESTION, PASSAGE_QUESTION)  # the candidates that name an article or a paragraph


def notion_questions(acronym: str, expansion: str) -> list[str]:
    """The reformulations offered for a notion of the glossary."""
    return [f"Qu'est-ce que {acronym} ({expansion}) ?", f"Qui pilote {acronym} ?"]


def all_notion_questions(index) -> list[str]:
    """Every notion question ``candidates`` can offer on this index."""
    return [
        q
        for acronym, entries in index.glossary.entries.items()
        for q in notion_questions(acronym, entries[0]["expansion"])
    ]


def candidates(answerer, question: str, answer: Answer) -> list[str]:
    """Questions near the refused one, best first: the glossary notions whose acronym or long form shares the
    question's rarest words, then the articles and sections of the closest passages."""
    index = answerer.index
    lexical = index.lexical
    terms = {t for t in analyse(answerer.retriever.as_searched(question)) if len(t) > 2}  # "cmb" is "combien"
    out: list[str] = []
    if terms:
        scored = []
        for acronym, entries in index.glossary.entries.items():
            words = set(analyse(acronym + " " + " ".join(e["expansion"] for e in entries[:2])))
            shared = terms & words
            if shared:
                scored.append((sum(lexical.idf(t) for t in shared), acronym, entries[0]["expansion"]))
        for _, acronym, expansion in sorted(scored, reverse=True)[:3]:
            out.extend(notion_questions(acronym, expansion))
    for hit in answer.closest[:4]:
        chunk = hit.chunk
        if chunk.article:
            out.append(f"{ARTICLE_QUESTION}{display_article(chunk.article)} ?")
        elif chunk.locator:
            title = index.documents.get(chunk.doc_id, {}).get("short_title") or chunk.title
            out.append(f"{PASSAGE_QUESTION}{title}, {chunk.locator} ?")
    return list(dict.fromkeys(out))


def suggestions(answerer, question: str, answer: Answer, limit: int = MAX_SUGGESTIONS) -> tuple[str, ...]:
    """Up to ``limit`` reformulations that the corpus answers (each one is asked before it is offered, once per
    generation of the index: refusals near the same notions share their candidates)."""
    kept = []
    for candidate in candidates(answerer, question, answer)[:8]:
        if answered(answerer, candidate):
            kept.append(candidate)
            if len(kept) >= limit:
                break
    return tuple(kept)


def answered(answerer, candidate: str) -> bool:
    """Whether the corpus answers ``candidate``, remembered by the answerer (there is one per generation of the
    index, so what it remembers never outlives the texts it was checked against)."""
    checked = answerer.checked_suggestions
    found = checked.get(candidate)
    if found is None:
        if len(checked) >= CHECKED_MAX:
            try:
                checked.pop(next(iter(checked)), None)  # the oldest first
            except (StopIteration, RuntimeError):  # emptied or changed by another thread meanwhile
                pass
        # A question naming an article or a paragraph is answered from its lookup: no query embedding needed.
        lookup = candidate.startswith(LOOKUP_QUESTIONS)
        found = checked[candidate] = answerer.ask(candidate, dense=not lookup).answered
    return found  # (read back from the dict, it could be gone: another thread may evict it meanwhile)


def start_precheck(answerer, hold=None) -> threading.Thread:
    """Check every notion question of the answerer's generation in a background thread, once per answerer (the
    first refusal calls this; the answers are remembered as ``answered`` would remember them). ``hold()``: a
    context around each check that gives False when the generation no longer serves (``Service._holding``:
    it also keeps the generation open during the check); None: always go on."""
    with _PRECHECK_LOCK:
        thread = answerer.precheck
        if thread is None:
            thread = threading.Thread(
                target=_precheck, args=(answerer, hold or _always), daemon=True, name="suggestions-precheck"
            )
            answerer.precheck = thread
            thread.start()
    return thread


_PRECHECK_LOCK = threading.Lock()
_STOPPING = threading.Event()  # set at interpreter exit: a check in native code (Chroma, numpy) is not cut off


@atexit.register
def _stop_prechecks() -> None:
    _STOPPING.set()
    for thread in threading.enumerate():
        if thread.name == "suggestions-precheck":
            thread.join(timeout=10)


@contextmanager
def _always():
    yield True


def _precheck(answerer, hold) -> None:
    try:
        for candidate in all_notion_questions(answerer.index):
            with hold() as live:
                if not live or _STOPPING.is_set():
                    return  # a newer generation serves, or the process ends
                answered(answerer, candidate)
    except Exception as exc:  # noqa: BLE001 - refusals check their own candidates: nothing is lost
        logging.getLogger(__name__).warning("the suggestions could not be checked in advance: %s", exc)
