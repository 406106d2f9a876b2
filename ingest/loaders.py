"""Load source files into ``Document`` records: plain text, Markdown, Legifrance articles, HTML, PDF.

Each loader raises ``LoadError`` with a reason a person understands; the pipeline names the file.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

from assistant.cite import CODE_ABBR, display_article
from assistant.errors import LoadError
from assistant.records import Document

# The loaders, by file suffix: ``@loader(".ext")`` on a function ``(path, max_pages) -> Document`` registers
# one. The pipeline, the upload form of the chat and the README's list of formats read this table.
LOADERS: dict[str, Callable[[Path, int], Document]] = {}


def loader(*suffixes: str):
    """Register the decorated function as the loader of files with these suffixes (lower case, with the dot)."""

    def register(fn):
        for suffix in suffixes:
            LOADERS[suffix] = fn
        return fn

    return register


def supported() -> list[str]:
    """The suffixes a loader reads, sorted: ``[".htm", ".html", ".markdown", ".md", ".pdf", ".txt"]``."""
    return sorted(LOADERS)


CODE_NAMES = {
    "code-de-la-securite-sociale": "Code de la sécurité sociale",
    "code-de-la-sante-publique": "Code de la santé publique",
}
ARTICLE_HEADING = re.compile(r"^#\s*Article\s+(\S.*?)\s*$", re.M)


# ---------------------------------------------------------------- text decoding

FRENCH_LETTERS = set("éèêëàâäîïôöùûüçœæÉÈÊÀÂÎÔÙÛÇŒ«»’‘“”°€–—…·²\xa0")
# Latin-1 symbols French documents use (§ 3, m², ½ dose, © 2019): they weigh neither for nor against French.
FRENCH_SYMBOLS = set("§©®±×÷µ¹²³¼½¾£¥¢¤¦¨¬¯´¸ºª¶")
SUSPECT_LETTERS = set("čřšžŕĺľťďňőűăęąłńśźżĂĘĄŁŃŚŹŻŘŠŽČŤĎŇ")  # Central European letters: a wrong guess for French


def _utf16_without_bom(data: bytes) -> str | None:
    """Text in UTF-16 without a byte order mark: one byte in two is zero, on the same side."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0) / max(1, len(sample[0::2]))
    odd = sample[1::2].count(0) / max(1, len(sample[1::2]))
    for enc, zeros, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros > 0.3 and other < 0.05:
            try:
                text = data[: len(data) - len(data) % 2].decode(enc)
            except UnicodeDecodeError:
                continue
            controls = sum(
                1 for ch in text[:4096] if unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs") and ch not in "\n\r\t\f"
            )
            if controls <= 0.01 * min(len(text), 4096):
                return text
    return None


def decode_bytes(data: bytes, name: str = "", warnings: list | None = None) -> str:
    """Decode text bytes: BOMs first, then UTF-8, then UTF-16 without BOM, then the encodings of French text
    (Windows-1252, which Latin-1 text also reads right); other encodings only by charset detection, and then a
    warning in ``warnings``. Refuses binary data."""
    if not data.strip():
        raise LoadError("fichier vide")
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom) :].decode(enc, errors="replace")
    sample = data[:65536]
    if b"\x00" in sample:
        text = _utf16_without_bom(data)
        if text is not None:
            return text
        raise LoadError("fichier binaire (octets nuls) : ce n'est pas un texte")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Windows-1252 reads any Latin-1 French text right (they differ only in 0x80-0x9F, where Latin-1 has
    # control characters): taken when the text looks like French and holds no control character.
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        high = [ch for ch in text if ord(ch) > 127 and ch not in FRENCH_SYMBOLS]
        french = sum(1 for ch in high if ch in FRENCH_LETTERS or ch.isalpha() and ch.lower() in "éèêëàâäîïôöùûüçœæ")
        controls = sum(1 for ch in text[:65536] if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
        if not controls and (not high or french >= 0.6 * len(high)):
            return text
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise LoadError("encodage inconnu : le fichier ne semble pas être du texte")
    text = str(best)
    controls = sum(1 for ch in text[:65536] if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    if controls > 0.05 * min(len(text), 65536):
        raise LoadError("fichier binaire : ce n'est pas un texte")
    if warnings is not None:
        suspect = sum(1 for ch in text if ch in SUSPECT_LETTERS)
        warnings.append(
            f"encodage deviné avec peu de certitude : {best.encoding}"
            + (
                f" ({suspect} lettre(s) d'Europe centrale : vérifier les accents)"
                if suspect
                else " (vérifier les accents)"
            )
        )
    return text


def clean_text(text: str) -> str:
    """NFC, unified line ends, no trailing spaces; paragraph and line structure kept."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\ufeff", "")
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"


# ---------------------------------------------------------------- HTML


class _HTMLText(HTMLParser):
    """HTML to text: block tags become line breaks, links keep their text and are recorded."""

    BLOCK = {
        "p",
        "br",
        "div",
        "tr",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "ul",
        "ol",
        "center",
        "section",
        "article",
        "header",
        "footer",
        "blockquote",
    }
    SKIP = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._link_text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")
        elif tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._link_text = []

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")
        elif tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._link_text)))
            self._href = None

    def handle_data(self, data):
        if self._skip:
            return
        self.parts.append(data)
        if self._href is not None:
            self._link_text.append(data)

    def text(self) -> str:
        raw = "".join(self.parts)
        lines = [re.sub(r"[ \t]+", " ", line).strip() for line in raw.split("\n")]
        out: list[str] = []
        for line in lines:
            if line or (out and out[-1]):
                out.append(line)
        return "\n".join(out).strip()


def html_to_text(markup: str) -> tuple[str, list[tuple[str, str]]]:
    parser = _HTMLText()
    try:
        parser.feed(markup)
        parser.close()
    except Exception as exc:  # html.parser is lenient; this is a last resort
        raise LoadError(f"HTML illisible : {exc}") from exc
    return html.unescape(parser.text()), parser.links


# ---------------------------------------------------------------- Legifrance


def canonical_article(number: str) -> str:
    """'L. 162-30-2', 'l162-30-2', 'R*1434-13', 'R.4122-4-5' -> 'L162-30-2', 'R1434-13', 'R4122-4-5'.
    Labels that are not article numbers ('Annexe II : Tableau n° 1') are kept as they are."""
    m = re.match(r"^(LO|[LRDA])\*?\.?\s*(\d+(?:-\d+)*)$", number.strip(), re.I)
    if not m:
        return number.strip()
    return m.group(1).upper() + m.group(2)


def _humanise_slug(slug: str) -> str:
    """'titre-iii-agences-regionales-de-sante' -> 'Titre III agences regionales de sante'. The apostrophes the
    slug dropped ('lautonomie') are put back only when a heading is shown (``text.accented``): searched with
    them, the headings field matched "assurance" in every "dassurance maladie" heading, and the full codes'
    frozen test set lost hit@5 0.552 -> 0.535 (default index: no change; dev sets: mixed)."""
    words = slug.split("-")
    if len(words) > 1 and re.fullmatch(r"[ivxlc]+|ier|\d+", words[1]):
        words[1] = "Ier" if words[1] == "ier" else words[1].upper()
    text = " ".join(w for w in words if w)
    return text[:1].upper() + text[1:]


def legifrance_root(path: Path) -> Path | None:
    for parent in path.parents:
        if parent.name in CODE_NAMES:
            return parent
    return None


_VERSIONS: dict[Path, str] = {}
VERSION_LINE = re.compile(r"(?:in force on|en vigueur au|état au)\s+(\d{4}-\d{2}-\d{2})", re.I)


def version_of(code_root: Path) -> str:
    """The date of the law's version a code folder holds, read from the PROVENANCE.md beside it ("the law as in
    force on 2023-12-03"); "" when no provenance says it (then no version is claimed)."""
    if code_root not in _VERSIONS:
        date = ""
        for folder in (code_root, code_root.parent):
            try:
                m = VERSION_LINE.search((folder / "PROVENANCE.md").read_text(encoding="utf-8"))
            except OSError:
                continue
            if m:
                date = m.group(1)
                break
        _VERSIONS[code_root] = date
    return _VERSIONS[code_root]


def is_legifrance(path: Path, head: str) -> bool:
    return path.suffix == ".md" and legifrance_root(path) is not None and bool(ARTICLE_HEADING.match(head))


def load_legifrance(path: Path, raw: str) -> Document:
    m = ARTICLE_HEADING.match(raw)
    if not m:
        raise LoadError("article Legifrance sans ligne « # Article ... »")
    article = canonical_article(m.group(1))
    body = raw[m.end() :]
    text, links = html_to_text(body)
    if not text.strip():
        raise LoadError("article Legifrance sans texte")
    code_dir = legifrance_root(path)
    code = CODE_NAMES[code_dir.name]
    version = version_of(code_dir)
    rel = path.relative_to(code_dir)
    crumbs = [code] + [_humanise_slug(p) for p in rel.parts[:-1]]
    linked = []
    for href, _label in links:
        name = href.rsplit("/", 1)[-1]
        if name.endswith(".md"):
            linked.append(canonical_article(name[:-3]))
    doc_id = f"legifrance/{code_dir.name}/{rel.as_posix()}"
    title = f"{code}, art. {display_article(article)}"
    return Document(
        doc_id=doc_id,
        title=code,
        short_title=CODE_ABBR[code],
        text=clean_text(text),
        source=str(path),
        doc_type="code",
        kind="legifrance",
        article=article,
        code=code,
        breadcrumb=tuple(crumbs),
        links=tuple(dict.fromkeys(linked)),
        date=version,
        origin=f"Legifrance, Licence Ouverte v2.0{f' (état au {version})' if version else ''}",
        reference=title,
    )


# ---------------------------------------------------------------- PDF


@loader(".pdf")
def load_pdf(path: Path, max_pages: int = 2000) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    try:
        reader = PdfReader(str(path))
    except DependencyError as exc:
        raise LoadError(f"PDF chiffré en AES : le paquet « cryptography » manque pour le lire ({exc})") from exc
    except (PdfReadError, ValueError, OSError, KeyError, TypeError) as exc:
        raise LoadError(f"PDF illisible ou tronqué : {exc}") from exc
    if reader.is_encrypted:
        # The usual "protected" PDF has an empty user password (it opens without one): it is read.
        try:
            if not reader.decrypt(""):
                raise LoadError("PDF chiffré : mot de passe requis")
        except LoadError:
            raise
        except DependencyError as exc:
            raise LoadError(f"PDF chiffré en AES : le paquet « cryptography » manque pour le lire ({exc})") from exc
        except Exception as exc:
            raise LoadError("PDF chiffré : mot de passe requis") from exc
    try:
        n_pages = len(reader.pages)
    except Exception as exc:
        raise LoadError(f"PDF illisible ou tronqué : {exc}") from exc
    if n_pages > max_pages:
        raise LoadError(f"PDF trop long : {n_pages} pages (limite {max_pages})")
    parts: list[str] = []
    pages: list[tuple[int, int]] = []
    offset = 0
    for i in range(n_pages):
        try:
            page_text = reader.pages[i].extract_text() or ""
        except Exception as exc:
            raise LoadError(f"PDF illisible ou tronqué (page {i + 1}) : {exc}") from exc
        page_text = clean_text(page_text) if page_text.strip() else ""
        pages.append((offset, i + 1))
        parts.append(page_text)
        offset += len(page_text) + 1
    text = "\n".join(parts)
    if not text.strip():
        raise LoadError("aucun texte extractible (PDF image ; OCR non pris en charge)")
    meta = reader.metadata or {}
    title = (getattr(meta, "title", None) or "").strip() or path.stem
    return Document(doc_id="", title=title, text=text, source=str(path), kind="pdf", pages=tuple(pages))


# ---------------------------------------------------------------- dispatch


def read_sidecar(path: Path) -> dict:
    side = path.with_name(path.name + ".meta.json")
    if not side.exists():
        return {}
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LoadError(f"métadonnées illisibles dans {side.name} : {exc}") from exc
    if not isinstance(meta, dict):
        raise LoadError(f"métadonnées illisibles dans {side.name} : un objet JSON est attendu")
    return {k: "" if v is None else str(v) for k, v in meta.items()}


def read_text(path: Path) -> tuple[str, list[str]]:
    """A text file's content, decoded (see ``decode_bytes``), and the warnings its decoding raised."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"fichier illisible : {exc.strerror or exc}") from exc
    warnings: list[str] = []
    return decode_bytes(data, path.name, warnings), warnings


def _text_document(path: Path, text: str, kind: str, warnings: list[str]) -> Document:
    if not text.strip():
        raise LoadError("aucun texte")
    return Document(
        doc_id="", title=path.stem, text=clean_text(text), source=str(path), kind=kind, warnings=tuple(warnings)
    )


@loader(".txt")
def load_text(path: Path, max_pages: int = 0) -> Document:
    raw, warnings = read_text(path)
    return _text_document(path, raw, "text", warnings)


@loader(".html", ".htm")
def load_html(path: Path, max_pages: int = 0) -> Document:
    raw, warnings = read_text(path)
    return _text_document(path, html_to_text(raw)[0], "html", warnings)


@loader(".md", ".markdown")
def load_markdown(path: Path, max_pages: int = 0) -> Document:
    """Markdown; an article of the codes (a ``.md`` under a code's folder) is read as one (``load_legifrance``)."""
    raw, warnings = read_text(path)
    if is_legifrance(path, raw[:200]):
        return load_legifrance(path, raw)
    text = html_to_text(raw)[0] if re.search(r"<(p|br|div|a|table)\b", raw, re.I) else raw
    return _text_document(path, text, "markdown", warnings)


def load_file(path: Path, doc_id: str, max_bytes: int | None = None, max_pages: int = 2000) -> Document:
    """Load one file with the loader of its suffix. ``doc_id`` is chosen by the caller (path relative to the
    ingested folder); a sidecar ``NAME.meta.json`` gives its title, type, date, reference and source."""
    suffix = path.suffix.lower()
    if suffix not in LOADERS:
        raise LoadError(f"type de fichier non pris en charge ({suffix or 'sans extension'})")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoadError(f"fichier inaccessible : {exc.strerror or exc}") from exc
    if size == 0:
        raise LoadError("fichier vide")
    if max_bytes is not None and size > max_bytes:
        raise LoadError(
            f"fichier trop gros : {size / 1e6:.1f} Mo (limite {max_bytes / 1e6:.1f} Mo, réglage ASSISTANT_MAX_FILE_MB)"
        )
    doc = LOADERS[suffix](path, max_pages)
    if doc.kind == "legifrance":
        return doc
    meta = read_sidecar(path)
    return Document(
        doc_id=doc_id,
        title=meta.get("title") or doc.title,
        short_title=meta.get("short_title", ""),
        text=doc.text,
        source=str(path),
        doc_type=meta.get("type", doc.doc_type or "document"),
        date=str(meta.get("date", "")),
        reference=meta.get("reference", ""),
        origin=meta.get("source", ""),
        kind=doc.kind,
        pages=doc.pages,
        warnings=doc.warnings,
    )
