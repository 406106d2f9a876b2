"""How a passage is cited so that an agent can check it and paste it: the usual French citation form ("CSS, art.
L. 162-30-2"), the version of the text it quotes, its date and reference, and a link to the official text."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

from assistant.records import Chunk, Citation
from assistant.text import accented

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
CODE_ABBR = {"Code de la sécurité sociale": "CSS", "Code de la santé publique": "CSP"}
# Légifrance finds an article of a code by its number with its code search (searchField=NUM_ARTICLE); the
# article's own page needs its LEGIARTI identifier, which the corpus does not carry.
LEGIFRANCE_SEARCH = "https://www.legifrance.gouv.fr/search/code?tab_selection=code&searchField=NUM_ARTICLE&query={}"


def french_date(iso: str) -> str:
    """'2023-12-03' -> '3 décembre 2023' ('1er' for the first day); anything else as it is."""
    try:
        year, month, day = (int(x) for x in iso[:10].split("-"))
        return f"{'1er' if day == 1 else day} {MONTHS[month - 1]} {year}"
    except (ValueError, IndexError):
        return iso


def display_article(number: str) -> str:
    """'L162-30-2' -> 'L. 162-30-2'; 'LO141-1' -> 'LO 141-1'."""
    m = re.match(r"^(LO|[LRDA])(\d.*)$", number)
    if not m:
        return number
    return f"{m.group(1)} {m.group(2)}" if m.group(1) == "LO" else f"{m.group(1)}. {m.group(2)}"


def legifrance_url(article: str) -> str:
    return LEGIFRANCE_SEARCH.format(quote(article))


def citation_of(
    documents: dict,
    n: int,
    chunk: Chunk,
    score: float,
    sentences: tuple[str, ...] = (),
    title: str | None = None,
    shown: Callable[[str], str] = accented,
) -> Citation:
    """The citation of a passage, with what lets a person check it (see ``Citation``). ``shown``: a heading as
    the breadcrumb shows it (an index's ``shown_heading``)."""
    doc = documents.get(chunk.doc_id, {})
    article = doc.get("article") or chunk.article
    if doc.get("kind") == "legifrance" and article:
        code = doc.get("code") or doc.get("title") or chunk.title
        cite_as = f"{CODE_ABBR.get(code, code)}, art. {display_article(article)}"
        version = f"version en vigueur au {french_date(doc['date'])}" if doc.get("date") else ""
        url = legifrance_url(article)
        reference, date = "", doc.get("date", "")
    else:
        name = doc.get("short_title") or doc.get("title") or chunk.title
        cite_as = f"{name}, {chunk.locator}" if chunk.locator else name
        version, url = "", ""
        reference = doc.get("reference", "")
        date = doc.get("date", "")
        when = (f"de {date}" if len(date) == 4 else f"du {french_date(date)}") if date else ""
        reference = " ".join(x for x in (reference, when) if x)
    return Citation(
        n=n,
        doc_id=chunk.doc_id,
        title=title if title is not None else chunk.title,
        locator=chunk.locator,
        text=chunk.text,
        score=score,
        breadcrumb=tuple(shown(b) for b in chunk.breadcrumb),
        source=chunk.source,
        sentences=tuple(sentences),
        cite_as=cite_as,
        version=version,
        url=url,
        reference=reference,
        date=date,
    )


def cite_html(c: Citation, label: str = "Ouvrir sur Légifrance", new_tab: bool = True) -> str:
    """The line to check and paste, as HTML: "CSS, art. L. 162-30-2 · version en vigueur au … · <a>label</a>"."""
    import html

    line = " · ".join(html.escape(x) for x in (c.cite_as, c.version, c.reference) if x)
    if c.url:
        target = ' target="_blank"' if new_tab else ""
        line += (
            f' · <a href="{html.escape(c.url)}"{target} rel="noopener noreferrer" class="legifrance">'
            f"{html.escape(label)}</a>"
        )
    return line


def _field(c, name: str) -> str:
    return (c.get(name) if isinstance(c, dict) else getattr(c, name, "")) or ""


def source_line(c, with_url: bool = True) -> str:
    """ "[1] CSS, art. L. 162-30-2 (version en vigueur au 3 décembre 2023) : https://…" for a citation (a
    ``Citation`` or its dict)."""
    cite_as = _field(c, "cite_as") or f"{_field(c, 'title')}, {_field(c, 'locator')}"
    extra = " ; ".join(x for x in (_field(c, "version"), _field(c, "reference")) if x)
    url = _field(c, "url")
    return (
        f"[{_field(c, 'n')}] {cite_as}" + (f" ({extra})" if extra else "") + (f" : {url}" if url and with_url else "")
    )


def plain_text(answer_text: str, citations) -> str:
    """An answer and its numbered sources as plain text, ready to paste into a note or an email."""
    lines = [answer_text.strip()]
    if citations:
        lines += ["", "Sources :"] + [source_line(c) for c in citations]
    return "\n".join(lines)


MD_PUNCT = re.compile(r"([\\`*_{}\[\]()#+\-!|~<>:@.$])")


def md_escape(text: str) -> str:
    """Text that a Markdown viewer shows as itself: every ASCII punctuation mark that could start markup, a link
    or an address is escaped with a backslash (valid in CommonMark for any ASCII punctuation)."""
    return MD_PUNCT.sub(r"\\\1", text)


def conversation_markdown(turns: list[dict], when: str) -> str:
    """A whole conversation as Markdown: each question, its answer and its numbered sources with the cited
    passages quoted. Turns are dicts: question, answer, answered, citations (dicts), suggestions."""
    out = ["# Conversation avec l'assistant documentaire ARS / Assurance Maladie", "", f"Exportée le {when}.", ""]
    for i, t in enumerate(turns, 1):
        out += [f"## {i}. {md_escape(t['question'])}", ""]
        out += [
            line if not line.startswith("- ") else "- " + md_escape(line[2:])
            for line in (md_escape(x) if not x.startswith("- ") else x for x in t["answer"].strip().split("\n"))
        ] + [""]
        if t.get("citations"):
            out += ["Sources :", ""]
            for c in t["citations"]:
                url = _field(c, "url")  # our own link to the official text stays a link
                out.append(f"- {md_escape(source_line(c, with_url=False))}" + (f" : <{url}>" if url else ""))
                quote = " ".join(_field(c, "text").split())
                if quote:
                    out.append(f"  > {md_escape(quote[:1200])}{'…' if len(quote) > 1200 else ''}")
            out.append("")
        if t.get("suggestions"):
            out += ["Reformulations proposées :", ""] + [f"- {md_escape(s)}" for s in t["suggestions"]] + [""]
    return "\n".join(out)
