"""The JSON API and the pages (FastAPI), with the web chat (Gradio, ``assistant.chat``) mounted at "/".

Questions go to the answering service (``Service.ask``); this module renders its records as escaped HTML or
Markdown (a document's text is never markup), serves the article and document pages from the index, indexes
uploads through ``ingest.pipeline.refresh`` and stores feedback."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import os
import re
import shutil
import tempfile
import threading
from itertools import islice
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from assistant.auth import BasicAuthMiddleware, Throttle
from assistant.cite import CODE_ABBR, citation_of, cite_html, conversation_markdown, display_article
from assistant.errors import AssistantError
from assistant.events import EventLog
from assistant.feedback import FeedbackStore
from assistant.index import Index
from assistant.limits import BodyLimit, UploadGuard
from assistant.records import CHECK_NOTE, Answer, Citation
from assistant.retrieval import MAX_QUESTION_CHARS  # one limit for the chat, the API and the search
from assistant.service import Service
from assistant.text import ARTICLE_REF, article_of, fold
from assistant.verify import ORDER
from ingest.loaders import LOADERS
from ingest.pipeline import refresh
from ingest.sources import ignored

log = logging.getLogger(__name__)

TITLE = "Assistant documentaire ARS / Assurance Maladie"
INTRO = (
    "Posez une question en français sur la coopération ARS / Assurance Maladie, les CAQES, les CPTS, la "
    "gestion du risque... Chaque phrase de la réponse renvoie par **[n]** à l'article ou au paragraphe dont "
    "elle vient ; les sources sont à droite. Quand le corpus ne répond pas, l'assistant le dit."
)
STYLE = """
<style>
.src{border:1px solid #ddd;border-radius:6px;padding:8px 10px;margin:0 0 10px 0;font-size:14px}
.src .head{font-weight:600}.src .cite{font-size:12px;color:#333;margin:2px 0}
.src .crumb{color:#666;font-size:12px;margin:2px 0 6px 0}
.src mark{background:#fff3a0}.src details summary{cursor:pointer;color:#1f5fbf}
.src pre{white-space:pre-wrap;font-family:inherit;font-size:13px;max-height:400px;overflow:auto}
.order-warning{padding:4px 8px;background:#fdecea;border-left:4px solid #d93025;font-size:13px;margin-bottom:6px}
.nothing{padding:8px 10px;background:#fff4e5;border-left:4px solid #f0a030;margin-bottom:10px}
</style>
"""


class AskRequest(BaseModel):
    question: str = Field(..., min_length=1, max_length=MAX_QUESTION_CHARS, description="La question, en français.")
    history: list[Annotated[str, StringConstraints(max_length=MAX_QUESTION_CHARS)]] = Field(
        default_factory=list,
        max_length=50,
        description=(
            "Questions précédentes de la conversation (les plus anciennes d'abord), pour les questions de suivi."
        ),
    )


class CitationOut(BaseModel):
    n: int = Field(..., description="Le numéro [n] que porte la réponse.")
    doc_id: str
    title: str
    locator: str = Field(..., description="L'article ou le paragraphe cité (« art. L. 162-30-2 », « § 35 »).")
    text: str = Field(..., description="Le passage cité, en texte brut.")
    score: float
    breadcrumb: list[str] = []
    source: str = ""
    cite_as: str = Field(
        "",
        description="La forme usuelle de citation, à coller dans une note : « CSS, art. "
        "L. 162-30-2 », « Note d'information DSS/1D/2018/154, § 12 ».",
    )
    version: str = Field(
        "",
        description="Article de code : la version citée, « version en vigueur au 3 décembre "
        "2023 » (d'après la provenance du corpus).",
    )
    url: str = Field(
        "", description="Article de code : le lien qui l'ouvre sur legifrance.gouv.fr (recherche par numéro d'article)."
    )
    reference: str = Field("", description="Document : sa référence et sa date (« DSS/1D/2018/154 … du 8 juin 2018 »).")
    date: str = Field("", description="Date ISO du document, ou de la version du code.")


class Unsupported(BaseModel):
    sentence: str
    reason: str


class AskResponse(BaseModel):
    question: str
    answer: str = Field(
        ...,
        description=(
            "Texte brut, jamais du HTML ni du Markdown à interpréter : des phrases des documents, chacune suivie de "
            "son renvoi [n] aux citations, et des lignes « - … » pour les points d'une liste. Un document peut "
            "contenir du balisage (liens, images) : l'afficher comme du texte, échappé."
        ),
    )
    answered: bool
    citations: list[CitationOut]
    timings_ms: dict[str, float]
    generation: str = Field("", description="The index generation the whole answer comes from.")
    generated: bool | None = Field(None, description="Written by an LLM and verified (LLM backends only).")
    notice: str | None = Field(None, description="e.g. the LLM failed and the extractive answer is given.")
    confidence: Literal["high", "low", ""] = Field(
        "",
        description=(
            "high: the evidence passes the refusal threshold by a calibrated margin and the article cited first "
            "leads the next one found (or it is the article the question names); low: to check in the source (the "
            "chat adds « À vérifier : … »); empty: a refusal, or an index not calibrated for it (`python -m evals "
            'tune`). High is not certain: see the README, "Answers to check".'
        ),
    )
    unsupported: list[Unsupported] | None = Field(None, description="Generated sentences the verifier dropped.")
    suggestions: list[str] = Field(
        default_factory=list,
        description=(
            "Quand le corpus ne répond pas : jusqu'à trois reformulations, construites à partir des notions du "
            "glossaire et des articles les plus proches, auxquelles le corpus répond."
        ),
    )


# ---------------------------------------------------------------- rendering

MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~<>-])")
MAX_CHAT_MESSAGES = 100  # messages shown in the conversation (the oldest leave first)
MAX_FOLLOWUP_HISTORY = 10  # earlier questions kept to read a follow-up question
MAX_EXPORT_TURNS = 50  # questions kept for "Exporter la conversation"
EXPORT_DIR = Path(tempfile.gettempdir()) / "assistant-exports"
# Copies the plain text (answer and numbered sources) to the clipboard; outside a secure context (plain http on
# a network address) the Clipboard API is missing, and a selected textarea is copied instead.
COPY_JS = """(text) => {
  if (!text) { return []; }
  if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text); }
  else { const a = document.createElement('textarea'); a.value = text; document.body.appendChild(a); a.select();
         document.execCommand('copy'); a.remove(); }
  return [];
}"""


def write_export(export_id: str, turns: list[dict]) -> str:
    """The conversation as a Markdown file for the download button (one file per conversation, rewritten at
    each answer; files older than a day are removed)."""
    import shutil
    import time

    EXPORT_DIR.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in EXPORT_DIR.iterdir():
        try:
            if now - old.stat().st_mtime > 86400:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass
    folder = EXPORT_DIR / re.sub(r"[^0-9a-f]", "", export_id)[:32]
    folder.mkdir(exist_ok=True)
    path = folder / "conversation-assistant.md"
    path.write_text(conversation_markdown(turns, time.strftime("%d/%m/%Y à %H:%M")), encoding="utf-8")
    return str(path)


def inert(text: str) -> str:
    """Text shown as itself by the chat's Markdown renderer: no HTML, no link, no image, no emphasis. Markdown
    specials are escaped, and the characters that make a bare address a link (":" "@" "www.") or start LaTeX
    ("$") become HTML character references, which the page shows as the characters they stand for."""
    text = html.escape(text, quote=False)  # & < >
    text = MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = text.replace(":", "&#58;").replace("@", "&#64;").replace("$", "&#36;")
    text = re.sub(r"(?i)\bwww\.", lambda m: m.group(0)[:3] + "&#46;", text)
    return re.sub(r"^(\d+)\.", r"\1\\.", text)  # "1. " opening a line is not a numbered list


def chat_markdown(answer_text: str, notice: str = "", suggestions=(), confidence: str = "") -> str:
    """An answer for the chat: the documents' text inert, and our own markup only: the ``[n]`` (shown as they
    are) and the lines of a list ("- "); an answer to check says so (``CHECK_NOTE``)."""
    lines = []
    for line in answer_text.split("\n"):
        if line.startswith("- "):
            lines.append("- " + inert(line[2:]))
        else:
            lines.append(inert(line))
    out = "\n".join(lines)
    if confidence == "low":
        out += f"\n\n*{inert(CHECK_NOTE)}*"
    if notice:
        out += f"\n\n*{inert(notice)}*"
    if suggestions:
        out += "\n\nEssayez plutôt :\n" + "\n".join(f"- {inert(s)}" for s in suggestions)
    return out


def _link_articles(escaped: str, known: dict) -> str:
    def repl(m):
        number = article_of(m)
        if number in known:
            return f'<a href="/article/{number}" target="_blank" class="artlink">{m.group(0)}</a>'
        return m.group(0)

    return ARTICLE_REF.sub(repl, escaped)


def _highlight(text: str, sentences: tuple[str, ...]) -> str:
    out = html.escape(text)
    for sent in sentences:
        core = " ".join(sent.split())
        pattern = r"\s+".join(re.escape(html.escape(w)) for w in core.split())
        out = re.sub(pattern, lambda m: f"<mark>{m.group(0)}</mark>", out, count=1)
    return out


def full_unit(idx: Index, doc_id: str, locator: str) -> str:
    """The whole article or paragraph a chunk belongs to."""
    parts = [c for c in idx.chunks_by_doc.get(doc_id, []) if c.locator == locator]
    if not parts:
        return ""
    text = idx.catalog.document_text(doc_id)
    return text[min(c.start for c in parts) : max(c.end for c in parts)]


def render_citation(idx: Index, c: Citation, known: dict) -> str:
    crumb = " › ".join(html.escape(b) for b in c.breadcrumb)
    passage = _link_articles(_highlight(c.text, c.sentences), known)
    whole = full_unit(idx, c.doc_id, c.locator)
    # the whole article or paragraph when the passage is only a piece of it, else the passage itself
    body = _link_articles(html.escape(whole), known) if whole and len(whole) > len(c.text) + 5 else passage
    details = (
        f'<details class="whole"><summary>Voir le texte entier ({html.escape(c.locator)})</summary>'
        f"<pre>{body}</pre></details>"
    )
    warning = (
        (
            '<div class="order-warning">⚠ Ce passage contient une consigne adressée à l\'assistant ; elle '
            "n'a pas été suivie et n'est pas reprise dans la réponse.</div>"
        )
        if ORDER.search(fold(c.text))
        else ""
    )
    cite = cite_html(c)
    return (
        f'<div class="src" id="source-{c.n}"><div class="head">[{c.n}] {html.escape(c.title)}, '
        f'{html.escape(c.locator)}</div><div class="cite">{cite}</div><div class="crumb">{crumb}</div>{warning}'
        f'<div class="passage">{passage}</div>{details}</div>'
    )


def render_sources(service: Service, answer: Answer | None) -> str:
    if answer is None:
        return STYLE + "<p>Les sources de la réponse s'afficheront ici.</p>"
    idx = service.index  # once: the generation could change between two reads
    known = idx.articles
    if answer.answered:
        body = "".join(render_citation(idx, c, known) for c in answer.citations)
        return STYLE + "<h3>Sources</h3>" + body
    closest = [
        citation_of(idx.documents, i, h.chunk, h.score, shown=idx.shown_heading)
        for i, h in enumerate(answer.closest[:3], 1)
    ]
    return (
        STYLE + '<div class="nothing">Aucune réponse trouvée dans le corpus. Passages les plus proches, '
        "à vérifier :</div>" + "".join(render_citation(idx, c, known) for c in closest)
    )


def example_questions(service: Service) -> list[str]:
    """Examples drawn from what the corpus holds."""
    idx = service.index
    g = idx.glossary.entries
    out = []
    if "CAQES" in g:
        out.append("Qui pilote le ciblage des CAQES ?")
    if idx.articles.get("R1434-14") or any(
        "commission régionale de coordination" in c.text for c in islice(idx.chunks.values(), 5000)
    ):
        out.append("Qui préside la commission régionale de coordination ?")
    if "CPTS" in g:
        out.append("Qu'est-ce qu'une CPTS ?")
    for article in idx.catalog.most_linked_articles(1):
        out.append(f"Que prévoit l'article {display_article(article)} ?")
    frequent = sorted(g, key=lambda a: -sum(e["count"] for e in g[a]))
    out += [f"Que signifie {a} ?" for a in frequent if a not in ("CAQES", "CPTS")][:2]
    return out


def glossary_rows(service: Service, query: str = "") -> list[list[str]]:
    idx = service.index
    docs = idx.documents
    rows = []
    q = fold(query.strip())
    for acronym, entries in sorted(idx.glossary.entries.items()):
        expansions = " ; ".join(e["expansion"] for e in entries[:3])
        if q and q not in fold(acronym) and q not in fold(expansions):
            continue
        where = []
        for e in entries[:1]:
            for s in e["sources"][:2]:
                d = docs.get(s["doc_id"], {})
                text = idx.catalog.document_text(s["doc_id"])
                snippet = " ".join(text[max(0, s["offset"] - 160) : s["offset"] + len(acronym) + 2].split())
                article = ", art. " + d["article"] if d.get("article") else ""
                where.append(f"{d.get('short_title') or d.get('title', '')}{article} : « …{snippet} »")
        rows.append([acronym, expansions, "\n".join(where)])
    return rows


def ingest_uploads(service: Service, files: list[Path]) -> str:
    """Copy accepted files (type and size checked) into the upload folder and index them now; the report is
    Markdown for the page. The running service answers from them at once (it switches to the new generation)."""
    if not files:
        return "Aucun fichier."
    settings = service.settings
    target = Path(settings.upload_dir)
    target.mkdir(parents=True, exist_ok=True)
    lines, accepted = [], []
    for path in files:
        name = re.sub(r"[^\w.\- àâçéèêëîïôûùüÿœ]", "_", path.name)
        size = path.stat().st_size
        if name.startswith(".") or ignored(name):
            lines.append(f"- {name} : refusé, nom réservé (fichier caché, README, métadonnées)")
        elif path.suffix.lower() not in LOADERS:
            lines.append(f"- {name} : refusé, type non pris en charge ({path.suffix or 'sans extension'})")
        elif size > settings.upload_max_mb * 1024 * 1024:
            lines.append(f"- {name} : refusé, {size / 1e6:.1f} Mo (limite {settings.upload_max_mb:g} Mo)")
        else:
            dest = target / name
            if dest.exists() and not _same_content(dest, path):
                # another file of that name is indexed already (two regions' "convention.pdf"): keep both
                stem, suffix = Path(name).stem, Path(name).suffix
                n = 2
                while (target / f"{stem} ({n}){suffix}").exists() and not _same_content(
                    target / f"{stem} ({n}){suffix}", path
                ):
                    n += 1
                dest = target / f"{stem} ({n}){suffix}"
                lines.append(
                    f"- {name} : un autre fichier de ce nom est déjà indexé ; celui-ci est enregistré "
                    f"sous « {dest.name} »"
                )
            shutil.copy(path, dest)
            accepted.append(dest.name)
    if accepted:
        # An index still without its vectors stays so: its vectors are the background job's (``make index``), not
        # an upload's to compute in the request.
        later = service.index.vectors_pending
        try:  # a new generation is built beside the one serving; questions go on meanwhile
            report = refresh(settings, [target], remove_missing=False, vectors_later=later)
        except AssistantError as exc:
            return "\n".join(lines + [f"\nÉchec de la mise à jour de l'index : {exc}"])
        service.reload()
        lines += [f"- {d} : ajouté" for d in report.added] + [f"- {d} : mis à jour" for d in report.updated]
        lines += [f"- {Path(p).name} : échec, {r}" for p, r in report.failed]
        for failed, _ in report.failed:  # a failed upload is not kept: it would fail again in every report
            if Path(failed).parent.resolve() == target.resolve():
                Path(failed).unlink(missing_ok=True)
        lines.append(
            f"\nIndex : {report.chunks_total} passages (génération {report.generation}) ; les nouvelles "
            "questions en tiennent compte."
        )
    return "\n".join(lines)


def _offline_docs(app) -> None:
    """/docs (Swagger UI) and /redoc with their scripts and styles served from the ``fastapi_offline`` package:
    FastAPI's defaults load them from a CDN, which leaves the pages blank on a machine without the Internet."""
    from importlib.resources import files

    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles

    static = files("fastapi_offline") / "static"
    app.mount("/docs-static", StaticFiles(directory=str(static)), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def swagger():
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=f"{TITLE} : API",
            swagger_js_url="/docs-static/swagger-ui-bundle.js",
            swagger_css_url="/docs-static/swagger-ui.css",
            swagger_favicon_url="/docs-static/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc():
        return get_redoc_html(
            openapi_url=app.openapi_url,
            title=f"{TITLE} : API",
            redoc_js_url="/docs-static/redoc.standalone.js",
            redoc_favicon_url="/docs-static/favicon.png",
            with_google_fonts=False,
        )


PAGE_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;line-height:1.45}"
    "pre{white-space:pre-wrap;font-family:inherit}.crumb{color:#666;font-size:13px}.cite{font-size:13px}"
    "nav a{margin-right:1rem}"
)


def page(title: str, body: str) -> str:
    """A page of the app: its title, a way back to the chat, the body (already escaped)."""
    return (
        f"<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>{html.escape(title)} · {TITLE}</title>"
        f"<style>{PAGE_STYLE}</style></head><body><nav><a href='/' id='back-to-chat'>← Retour au chat</a></nav>"
        f"{body}</body></html>"
    )


def cited_by(idx: Index, number: str) -> list[tuple[str, str]]:
    """(label, link) of the articles and documents of the corpus that refer to article ``number``: the reverse
    of the cross-references parsed at ingest (code articles), and the mentions in the other documents' text."""

    def build():
        reverse: dict[str, list[tuple[str, str]]] = {}

        def add(target, entry):
            if entry not in reverse.setdefault(target, []):
                reverse[target].append(entry)

        groups = iter(idx.chunks_by_doc.items())  # both read in doc id order, side by side
        group = next(groups, None)
        for doc_id, d in idx.documents.items():
            code = d.get("code") or ""
            while group is not None and group[0] < doc_id:
                group = next(groups, None)
            chunks = group[1] if group is not None and group[0] == doc_id else []
            for chunk in chunks:
                if d.get("kind") == "legifrance":
                    entry = (
                        f"{CODE_ABBR.get(d['title'], d['title'])}, art. {display_article(d['article'])}",
                        f"/article/{d['article']}",
                    )
                else:
                    anchor = re.sub(r"[^\w]+", "-", fold(chunk.locator)).strip("-")
                    entry = (f"{d.get('short_title') or d['title']}, {chunk.locator}", f"/document/{doc_id}#{anchor}")
                for m in ARTICLE_REF.finditer(chunk.text):
                    after = fold(chunk.text[m.end() : m.end() + 60])
                    other = re.match(r"\W*(?:du|de la|de l')\s*code\s+(?:de la |du |de l'|des |de )?(\w+)", after)
                    if other and code and other.group(1) not in fold(code):
                        continue  # "article L. 1111-2 du code du travail": another code's article
                    target = article_of(m)
                    if target != d.get("article"):
                        add(target, entry)
            if d.get("kind") == "legifrance":
                entry = (
                    f"{CODE_ABBR.get(d['title'], d['title'])}, art. {display_article(d['article'])}",
                    f"/article/{d['article']}",
                )
                for target in d.get("links") or ():
                    if target != d["article"]:
                        add(target, entry)
        return reverse

    return idx.memo("_cited_by", "", build).get(number, [])


def cited_by_html(idx: Index, number: str) -> str:
    entries = cited_by(idx, number)
    if not entries:
        return "<h2>Cité par</h2><p id='cited-by'>Aucun autre texte du corpus ne renvoie à cet article.</p>"
    items = "".join(
        f"<li><a href='{html.escape(link, quote=True)}'>{html.escape(label)}</a></li>" for label, link in entries
    )
    return f"<h2>Cité par</h2><ul id='cited-by'>{items}</ul>"


def _same_content(a: Path, b: Path) -> bool:
    import filecmp

    return filecmp.cmp(a, b, shallow=False)


# ---------------------------------------------------------------- app


def gradio_upload_folder() -> Path:
    """Where Gradio writes uploads (``gradio.utils.get_upload_folder``, without importing Gradio)."""
    return Path(os.environ.get("GRADIO_TEMP_DIR") or (Path(tempfile.gettempdir()) / "gradio").resolve())


CHAT_LOADING = (
    "<!doctype html><html lang='fr'><head><meta charset='utf-8'><meta http-equiv='refresh' content='2'>"
    f"<title>{TITLE}</title></head><body><p>Le chat se prépare (quelques secondes)… Cette page se recharge "
    "seule. L'API (<code>POST /api/ask</code>) et les pages des articles répondent déjà.</p></body></html>"
)


class LateChat:
    """The chat's place at "/" while it is built in the background: until then, a page that says so (503) and
    reloads itself; then every request goes to the chat. ``serve`` answers /api/ask meanwhile, so its first
    answer does not wait for Gradio's import (about 3 s) and the page's construction. The build begins once the
    server has answered its first request, or ``CHAT_AFTER_S`` after it started, and no question is being
    answered then (for at most ``BUSY_WAIT_S``): a first question asked as the server opens is not answered while
    the import holds the interpreter (about 0.2 s of the first answer at the full codes)."""

    CHAT_AFTER_S = 1.0
    BUSY_WAIT_S = 10.0

    def __init__(self):
        self.app = None
        self.error = ""  # why the chat could not be built, if it could not
        self._exit = None
        self._served = False  # a first request was answered: the chat may be built now
        self._busy = 0  # questions being answered
        self._stopping = False
        self._cond = threading.Condition()  # guards the three, notified when one changes

    def _set(self, **values) -> None:
        with self._cond:
            for name, value in values.items():
                setattr(self, name, value)
            self._cond.notify_all()

    @contextlib.contextmanager
    def answering(self):
        """Around the answer to a question: the chat's build waits for it."""
        with self._cond:
            self._busy += 1
        try:
            yield
        finally:
            with self._cond:
                self._set(_busy=self._busy - 1, _served=True)

    async def __call__(self, scope, receive, send):
        if self.app is not None:
            return await self.app(scope, receive, send)
        if scope["type"] != "http":
            return  # a websocket before the chat exists: closed
        from starlette.responses import HTMLResponse

        if self.error:
            body = f"<p>Le chat n'a pas pu démarrer : {html.escape(self.error)}. L'API /api/ask répond.</p>"
            return await HTMLResponse(page("Chat indisponible", body), status_code=500)(scope, receive, send)
        await HTMLResponse(CHAT_LOADING, status_code=503, headers={"Retry-After": "2"})(scope, receive, send)
        self._set(_served=True)

    def start(self, loop, build) -> threading.Thread:
        """Build the chat in a thread (``build``: a function that mounts it on an app it is given) and start
        Gradio's lifespan on the server's event loop ``loop``."""

        def run():
            with self._cond:
                self._cond.wait_for(lambda: self._served or self._stopping, timeout=self.CHAT_AFTER_S)
                self._cond.wait_for(lambda: self._busy == 0 or self._stopping, timeout=self.BUSY_WAIT_S)
                if self._stopping:  # the server stopped first: nothing to build
                    return
            try:
                from fastapi import FastAPI

                shell = build(FastAPI(docs_url=None, redoc_url=None, openapi_url=None))
                if self._stopping:
                    return
                asyncio.run_coroutine_threadsafe(self._enter(shell), loop).result()
                self.app = shell
            except Exception as exc:  # noqa: BLE001 - the API goes on; the page says why the chat is missing
                log.exception("the chat could not be built")
                self.error = f"{type(exc).__name__}: {exc}"

        thread = threading.Thread(target=run, daemon=True, name="chat-build")
        thread.start()
        return thread

    async def _enter(self, shell) -> None:
        cm = shell.router.lifespan_context(shell)  # Gradio's startup events (its queue) within it
        await cm.__aenter__()
        self._exit = cm

    async def stop(self) -> None:
        self._set(_stopping=True)
        if self._exit is not None:
            cm, self._exit = self._exit, None
            await cm.__aexit__(None, None, None)


def create_api(service: Service, feedback: FeedbackStore, users=None, chat=None, chat_later: bool = False):
    """The API and the pages, with the limits and the login. ``users``: an ``auth.Users``; when given, every
    route needs a login. ``chat``: a function that mounts the chat at "/" of the app it is given
    (``assistant.app.create_app`` gives ``assistant.chat.mount_chat``), or None. ``chat_later``: serve the API at
    once and mount the chat when it is built (``LateChat``; ``serve`` does), instead of building it now."""
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    late = LateChat()

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        if chat is not None and chat_later:
            late.start(asyncio.get_running_loop(), chat)
        yield
        await late.stop()

    app = FastAPI(
        title=TITLE,
        description="API de l'assistant : une question en entrée, une réponse citée en sortie.",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.chat = late
    _offline_docs(app)

    @app.post("/api/ask", response_model=AskResponse, summary="Poser une question")
    def api_ask(req: AskRequest) -> dict:
        """La réponse extractive avec ses citations numérotées (même objet que `ask --json`)."""
        with late.answering():
            return service.ask(service.standalone(req.question, req.history)).to_dict() | {"question": req.question}

    @app.get("/article/{number}", response_class=HTMLResponse, summary="Texte d'un article du corpus")
    def article(number: str) -> str:
        idx = service.index
        wanted = number.upper().replace(" ", "").replace(".", "")
        docs = idx.articles.get(wanted) or []
        if not docs:
            return HTMLResponse(
                page(
                    f"Article {number} absent du corpus",
                    f"<p>L'article {html.escape(number)} n'est pas dans le corpus.</p>",
                ),
                status_code=404,
            )
        parts = []
        for doc_id in docs:
            d = idx.documents[doc_id]
            text = _link_articles(html.escape(idx.catalog.document_text(doc_id)), idx.articles)
            chunk = next(iter(idx.chunks_by_doc.get(doc_id, [])), None)
            c = citation_of(idx.documents, 1, chunk, 0.0, shown=idx.shown_heading) if chunk else None
            cite = cite_html(c, new_tab=False) if c else ""
            parts.append(
                f"<h1>{html.escape(d['title'])}, art. {html.escape(display_article(d['article']))}</h1>"
                f"<p class='cite'>{cite}</p>"
                f"<p class='crumb'>{' › '.join(html.escape(idx.shown_heading(b)) for b in d['breadcrumb'])}</p>"
                f"<pre>{text}</pre>" + cited_by_html(idx, wanted)
            )
        code = idx.documents[docs[0]]["title"]
        title = f"{CODE_ABBR.get(code, code)}, art. {display_article(wanted)}"
        return page(title, "".join(parts))

    @app.get("/document/{doc_id:path}", response_class=HTMLResponse, summary="Texte d'un document du corpus")
    def document(doc_id: str) -> str:
        idx = service.index
        d = idx.documents.get(doc_id)
        if d is None or d.get("kind") == "legifrance":
            return HTMLResponse(
                page("Document absent du corpus", "<p>Ce document n'est pas dans le corpus.</p>"), status_code=404
            )
        body = []
        for chunk in idx.chunks_by_doc.get(doc_id, []):
            anchor = re.sub(r"[^\w]+", "-", fold(chunk.locator)).strip("-")
            body.append(
                f"<h3 id='{anchor}'>{html.escape(chunk.locator)}</h3>"
                f"<pre>{_link_articles(html.escape(chunk.text), idx.articles)}</pre>"
            )
        chunk = idx.chunks_by_doc[doc_id][0] if idx.chunks_by_doc.get(doc_id) else None
        c = citation_of(idx.documents, 1, chunk, 0.0, shown=idx.shown_heading) if chunk else None
        ref = f"<p class='cite'>{html.escape(c.reference)}</p>" if c and c.reference else ""
        return page(d.get("short_title") or d["title"], f"<h1>{html.escape(d['title'])}</h1>{ref}" + "".join(body))

    if chat is not None and chat_later:
        app.mount("/", late)
    elif chat is not None:
        chat(app)
    # Starlette runs the middleware added last first: login, then the body limit, then the upload guard.
    settings = service.settings
    # failed logins and uploads are counted in a file that every worker of the server shares
    events = EventLog(feedback.path.parent / "events.sqlite")
    app.add_middleware(
        UploadGuard,
        temp_dir=gradio_upload_folder(),
        max_per_hour=settings.upload_max_files,
        max_total_bytes=int(settings.upload_max_total_mb * 1024 * 1024),
        events=events,
    )
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.request_max_kb * 1024,
        upload_max_bytes=int(settings.upload_max_mb * 1024 * 1024) + 64 * 1024,
    )
    if users is not None:
        app.add_middleware(BasicAuthMiddleware, users=users, throttle=Throttle(events=events))
    return app
