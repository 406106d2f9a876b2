"""Typed, frozen records passed between the pipeline stages."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from assistant.text import accented


@dataclass(frozen=True)
class Document:
    """A loaded source text, cleaned, with its metadata."""

    doc_id: str
    title: str
    text: str
    source: str  # path of the file it came from
    doc_type: str = ""
    date: str = ""
    reference: str = ""
    origin: str = ""  # human description of where it comes from
    kind: str = "text"  # text | legifrance | pdf | html | markdown
    article: str = ""  # for code articles: canonical number such as "L162-30-2"
    code: str = ""  # for code articles: "Code de la sécurité sociale"
    breadcrumb: tuple[str, ...] = ()
    links: tuple[str, ...] = ()  # article numbers this text links to
    pages: tuple[tuple[int, int], ...] = ()  # (start offset, page number) for paginated sources
    short_title: str = ""
    warnings: tuple[str, ...] = ()  # what the loader guessed and a person should check (not stored)


@dataclass(frozen=True)
class Unit:
    """A structural unit of a document that a chunk never crosses (article, numbered paragraph...)."""

    locator: str
    start: int
    end: int
    breadcrumb: tuple[str, ...] = ()


HEADING_CHARS = 200  # longest heading line read before a passage's text (``Chunk.embedding_text``)
WINDOW_OVERLAP = 100  # characters a passage's next window reads again (``Chunk.embedding_windows``)
WINDOW_MIN = 80  # the shortest text a window is made of
# Between the texts that each model of a mix reads (``Chunk.embedding_text`` of a format "text+headings";
# ``assistant.embeddings.MixEmbedder`` splits them); removed from the texts themselves.
PART_SEPARATOR = "\x1e"


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    text: str
    locator: str
    start: int
    end: int
    title: str = ""
    doc_type: str = ""
    date: str = ""
    breadcrumb: tuple[str, ...] = ()
    source: str = ""
    article: str = ""
    part: int = 1  # index of this piece when a unit is split
    parts: int = 1

    def to_dict(self) -> dict:
        return asdict(self)

    def embedding_text(self, passage_format: str = "text") -> str:
        """What the embedding model reads of this chunk: its text (``"text"``), or, for ``"headings"``, the last
        two headings of a code article ("Sous-section 3 conférence régionale de la santé et de l'autonomie >
        Paragraphe 3 fonctionnement") or a document's title on a first line, then its text. An article rarely
        names the notion its section is about; its headings do. A mix of models ("text+headings") gets each
        model's text, joined by ``PART_SEPARATOR``."""
        if "+" in passage_format:
            return PART_SEPARATOR.join(
                self.embedding_text(f).replace(PART_SEPARATOR, " ") for f in passage_format.split("+")
            )
        if passage_format != "headings":
            return self.text
        head = self.heading_line()
        return f"{head}\n{self.text}" if head else self.text

    def heading_line(self) -> str:
        """The line read before the text in the ``"headings"`` format: a code article's last two headings, or a
        document's title."""
        if self.article:
            crumbs = [accented(b) for b in self.breadcrumb if b][-2:]
            head = " > ".join(crumbs)
            if len(head) > HEADING_CHARS:  # a model reads a few hundred characters: the article's text comes first
                head = crumbs[-1][:HEADING_CHARS]
            return head
        return self.title[:HEADING_CHARS]

    def embedding_windows(self, chars: int, most: int) -> list[str]:
        """What a model that reads only a passage's first ``chars`` characters of its ``"headings"`` format
        (``embedding_text``) would miss, as at most ``most`` more windows of the same length: each the heading
        line, then the text on from where the window before it ended, ``WINDOW_OVERLAP`` characters back, from a
        word's start. A window is made only for ``WINDOW_MIN`` characters or more of new text (not a passage's tail)."""
        head = self.heading_line()
        room = chars - (len(head) + 1 if head else 0)
        text = self.text
        out: list[str] = []
        end = room
        while len(out) < most and len(text) - end >= WINDOW_MIN and room > WINDOW_MIN:  # new text to read
            start = max(0, end - WINDOW_OVERLAP)
            space = re.search(r"\s", text[start : start + 40])
            start += space.end() if space else 0
            piece = text[start : start + room]  # 80 new characters or more: the loop's condition
            out.append(f"{head}\n{piece}" if head else piece)
            end = start + room
        return out

    def store_metadata(self) -> dict:
        """What the vector store keeps beside the chunk's vector (scalars only)."""
        return {
            "doc_id": self.doc_id,
            "locator": self.locator,
            "title": self.title,
            "article": self.article or "",
            "doc_type": self.doc_type or "",
            "part": self.part,
        }


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    lexical: float = 0.0
    dense: float = 0.0
    reason: str = ""  # "lookup" when the question named this article
    # What each retrieval signal gave this hit, by name ("bm25", "dense", "heading", "sentence", "intent",
    # "first"), as they entered its score; the eval's ablation table turns them off one at a time.
    signals: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    title: str
    locator: str
    text: str
    score: float
    breadcrumb: tuple[str, ...] = ()
    source: str = ""
    sentences: tuple[str, ...] = ()  # sentences of the answer taken from this passage
    cite_as: str = ""  # the usual French citation: "CSS, art. L. 162-30-2", "Note d'information DSS/1D/2018/154, § 12"
    version: str = ""  # code articles: "version en vigueur au 3 décembre 2023" (from the corpus provenance)
    url: str = ""  # code articles: the article on legifrance.gouv.fr
    reference: str = ""  # documents: "DSS/1D/2018/154 (NOR : SSAS1817588N) du 8 juin 2018"
    date: str = ""  # ISO date of the document, or of the code's version

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "title": self.title,
            "locator": self.locator,
            "text": self.text,
            "score": round(self.score, 4),
            "breadcrumb": list(self.breadcrumb),
            "source": self.source,
            "cite_as": self.cite_as,
            "version": self.version,
            "url": self.url,
            "reference": self.reference,
            "date": self.date,
        }


# what the chat, the command line and an export say of an answer marked "low" (``Answer.confidence``)
CHECK_NOTE = (
    "À vérifier : ces passages sont les plus proches trouvés, mais rien n'assure qu'ils répondent exactement à la "
    "question ; lisez l'article cité avant de vous en servir."
)


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    answered: bool
    citations: tuple[Citation, ...] = ()
    closest: tuple[Hit, ...] = ()
    timings_ms: dict = field(default_factory=dict)
    query: str = ""  # the query actually searched (after expansion)
    notice: str = ""  # e.g. "the LLM did not answer: extractive answer"
    generated: bool = False  # written by an LLM (and verified)
    unsupported: tuple[tuple[str, str], ...] = ()  # generated sentences dropped by the verifier, with reasons
    generation: str = ""  # the index generation every passage of this answer comes from
    suggestions: tuple[str, ...] = ()  # a refusal's reformulations, each answered by the corpus
    # an answer's: "high" (strong evidence, its cited article well ahead), "low" (to check in the source), ""
    # (a refusal, or an index not calibrated for it): ``Answerer.confidence``
    confidence: str = ""

    def to_dict(self) -> dict:
        out = {
            "question": self.question,
            "answer": self.answer,
            "answered": self.answered,
            "citations": [c.to_dict() for c in self.citations],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "generation": self.generation,
            "suggestions": list(self.suggestions),
            "confidence": self.confidence,
        }
        if self.generated or self.notice or self.unsupported:
            out["generated"] = self.generated
            out["notice"] = self.notice
            out["unsupported"] = [{"sentence": s, "reason": r} for s, r in self.unsupported]
        return out
