"""Reformulations offered with a refusal: questions built from the closest glossary notions and the closest
articles, each kept only when the assistant answers it from the corpus."""

from __future__ import annotations

from assistant.cite import display_article
from assistant.records import Answer
from assistant.text import analyse

MAX_SUGGESTIONS = 3
CHECKED_MAX = 4096  # reformulations whose answer is remembered, per generation of the index
ARTICLE_QUESTION, PASSAGE_QUESTION = "Que prévoit l'article ", "Que dit "
LOOKUP_QUESTIONS = (ARTICLE_QUESTION, PASSAGE_QUESTION)  # the candidates that name an article or a paragraph


def candidates(answerer, question: str, answer: Answer) -> list[str]:
    """Questions near the refused one, best first: the glossary notions whose acronym or long form shares the
    question's rarest words, then the articles and sections of the closest passages."""
    index = answerer.index
    lexical = index.lexical
    terms = {t for t in analyse(question) if len(t) > 2}
    out: list[str] = []
    if terms:
        scored = []
        for acronym, entries in index.glossary.entries.items():
            words = set(analyse(acronym + " " + " ".join(e["expansion"] for e in entries[:2])))
            shared = terms & words
            if shared:
                scored.append((sum(lexical.idf(t) for t in shared), acronym, entries[0]["expansion"]))
        for _, acronym, expansion in sorted(scored, reverse=True)[:3]:
            out.append(f"Qu'est-ce que {acronym} ({expansion}) ?")
            out.append(f"Qui pilote {acronym} ?")
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
