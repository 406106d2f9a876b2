"""Recognise French legal and administrative structure and cut a document into units.

A unit is what a chunk never crosses: a code article, an article or sub-article of a convention, a numbered
paragraph (``35La mise en œuvre ...``), the preamble. Text outside such units (a note, a press article) becomes
paragraph units ``¶ N`` that the chunker may merge up to its token budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.records import Document, Unit
from ingest.loaders import display_article

UPPER = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŒÆ"
PREAMBLE = re.compile(r"^pr[ée]ambule\s*:?\s*$", re.I)
ARTICLE = re.compile(r"^article\s+(\d+)\s*(?:\^\{er\}|\^er|er|ᵉʳ|°)?\s*(?:[:.–—-]\s*(.*))?$", re.I)
SUB_ARTICLE = re.compile(r"^(\d+)\.(\d+)\.?(?:\s+(.*))?$")
GLUED_PARAGRAPH = re.compile(rf"^(\d{{1,3}})(?=[{UPPER}«“\"L’'])")
HEADING_L1 = re.compile(r"^([IVX]+)\s*[–—-]\s+(\S.*)$")
HEADING_L2 = re.compile(r"^([IVX]+\.\d+)\s*[–—-]\s+(\S.*)$")


@dataclass(frozen=True)
class ParsedUnit:
    unit: Unit
    mergeable: bool  # paragraph units of unstructured text may be merged by the chunker


def _lines(text: str):
    """(start, end, stripped line) for every non-empty line."""
    pos = 0
    for raw in text.split("\n"):
        end = pos + len(raw)
        if raw.strip():
            lead = len(raw) - len(raw.lstrip())
            yield pos + lead, end, raw.strip()
        pos = end + 1


def _is_soft_heading(line: str, next_line: str | None) -> bool:
    """A short title line in unstructured text (press article, annual review)."""
    if (
        len(line) > 90
        or len(line) < 8
        or not 2 <= len(line.split()) <= 12
        or line[-1] in ".:;,!?»)"
        or not line[0].isupper()
    ):
        return False
    return next_line is not None and len(next_line) > len(line) + 20


def parse_units(doc: Document) -> list[ParsedUnit]:
    if doc.kind == "legifrance":
        shown = display_article(doc.article)
        locator = f"art. {shown}" if shown != doc.article or re.match(r"^[LRDA]\d", doc.article) else shown
        return [ParsedUnit(Unit(locator, 0, len(doc.text.rstrip()), doc.breadcrumb), False)]
    lines = list(_lines(doc.text))
    root = (doc.short_title or doc.title,)
    units: list[ParsedUnit] = []
    headings: dict[int, str] = {}
    current: dict | None = None  # {"locator", "start", "crumbs", "mergeable"}
    pending_start: int | None = None  # a heading waiting to be glued to the next unit
    article_no: int | None = None
    last_paragraph = 0
    ordinal = 0

    def crumbs() -> tuple[str, ...]:
        return root + tuple(headings[k] for k in sorted(headings))

    def close(at: int) -> None:
        nonlocal current
        if current is not None:
            end = at
            while end > current["start"] and doc.text[end - 1].isspace():
                end -= 1
            if end > current["start"]:
                units.append(
                    ParsedUnit(Unit(current["locator"], current["start"], end, current["crumbs"]), current["mergeable"])
                )
        current = None

    def open_unit(locator: str, start: int, mergeable: bool) -> None:
        nonlocal current, pending_start
        close(pending_start if pending_start is not None else start)
        begin = pending_start if pending_start is not None else start
        pending_start = None
        current = {"locator": locator, "start": begin, "crumbs": crumbs(), "mergeable": mergeable}

    for i, (start, _end, line) in enumerate(lines):
        ordinal += 1
        next_line = lines[i + 1][2] if i + 1 < len(lines) else None
        if PREAMBLE.match(line):
            headings = {}
            open_unit("Préambule", start, False)
            continue
        m = ARTICLE.match(line)
        if m:
            article_no = int(m.group(1))
            label = "Article 1er" if article_no == 1 else f"Article {article_no}"
            title = (m.group(2) or "").strip()
            if not title and next_line and len(next_line) < 120 and not ARTICLE.match(next_line):
                title = next_line
            headings = {1: f"{label} – {title}" if title else label}
            open_unit(label, start, False)
            continue
        m = SUB_ARTICLE.match(line)
        if m and article_no is not None and int(m.group(1)) == article_no:
            label = f"Article {article_no}.{int(m.group(2))}"
            headings = {1: headings.get(1, f"Article {article_no}"), 2: line[:120]}
            open_unit(label, start, False)
            continue
        m = HEADING_L2.match(line) or HEADING_L1.match(line)
        if m and len(line) < 300:
            level = 2 if "." in m.group(1) else 1
            headings = {k: v for k, v in headings.items() if k < level}
            headings[level] = line
            close(start)
            pending_start = start if pending_start is None else pending_start
            continue
        m = GLUED_PARAGRAPH.match(line)
        if m and int(m.group(1)) == last_paragraph + 1:
            last_paragraph = int(m.group(1))
            open_unit(f"§ {last_paragraph}", start, False)
            continue
        if current is not None and not current["mergeable"]:
            continue  # the line belongs to the open article or paragraph
        if _is_soft_heading(line, next_line):
            headings = {1: line}
            close(start)
            pending_start = start if pending_start is None else pending_start
            continue
        open_unit(f"¶ {ordinal}", start, True)
    close(len(doc.text))
    return units
