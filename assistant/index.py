"""An index generation, read: catalog (SQLite), vector store (Chroma), lexical index (bm25s), glossary, and the
settings it was built with. Opening it reads only ``index.json``; the lexical index is memory-mapped when first
used, and passages and documents are read from the catalog when asked for (``assistant.rows``). Writing a
generation is ``ingest.build.Builder``'s (a subclass), never a reader's."""

from __future__ import annotations

import json
import logging
import math
import zlib
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from functools import cached_property
from itertools import groupby
from operator import attrgetter
from pathlib import Path

import numpy as np

from assistant import generations
from assistant.catalog import Catalog
from assistant.embeddings import Embedder, get_embedder, passage_format, reads_openings
from assistant.errors import ConfigError, IndexMismatch, IndexMissing
from assistant.generations import read_calibration
from assistant.glossary import Glossary
from assistant.headings import HeadingField, HeadingIndex
from assistant.lexical import LexicalIndex
from assistant.records import Chunk
from assistant.rows import Recent, Rows
from assistant.settings import ANALYSIS_VERSION, CHUNKING_VERSION, MINILM, Settings
from assistant.store import (
    CLUSTER_CENTROIDS,
    ClusteredVectors,
    ExactVectors,
    VectorStore,
    exact_bits,
    has_exact,
    open_exact,
)
from assistant.text import accented, analyse, sentences
from assistant.windows import Windows, open_windows, saved_most

# Passages whose analysed sentences, terms, headings' terms and intent cues a server keeps (each its own cache):
# beyond, the least recently read are computed again when a question needs them. Kept until 50,000 before (more
# than the full codes' 21,000 passages), a full-codes server grew from 427 to 657 MB over 500 questions on
# passages from all over the codes (bench: serve_peak_rss_after_500_more_mb); with 2,048, to 493 MB, and the
# bench's ask p95 stays that of unbounded caches (with 1,024: +30 %).
MEMO_SIZE = 2048
# The passages whose sentences an answer reads as sets (``Index.analysed_sentences``): its top hits, a few per
# question; the rerank reads ``SentenceTerms`` itself.
SENTENCE_SETS = 256


def adjacent_terms(terms: list[str]) -> list[tuple[str, str]]:
    """Each pair of adjacent analysed terms ("personne de confiance": person, confianc), a term beside itself
    left out: what the phrase signal matches, in a passage and in a question alike."""
    return [(a, b) for a, b in zip(terms, terms[1:], strict=False) if a != b]


def term_pairs(terms: list[str]) -> list[int]:
    """``adjacent_terms`` as 32-bit hashes (a passage's pairs are kept as a sorted array: about 1 KB where a set of
    strings took ten times that)."""
    return [pair_hash(a, b) for a, b in adjacent_terms(terms)]


def pair_hash(a: str, b: str) -> int:
    """The 32-bit hash of two adjacent terms (``term_pairs``)."""
    return zlib.crc32(f"{a} {b}".encode())


class SentenceTerms:
    """A passage's terms, each with a bit mask: bit 0 set when the passage is indexed under the term
    (``Index.index_terms``: its text, title, locator, article, last heading, the acronyms of its long forms), bit
    i + 1 when its sentence i holds it. One dict per passage where a set per sentence and one for the passage
    took about 5 times the memory (a sample of the full codes: 7.9 KB a passage on average against 1.5 KB)."""

    __slots__ = ("masks", "n", "n_context", "pairs")

    def __init__(self, sentence_terms: list[set[str]], context: Iterable[str], pairs: np.ndarray | None = None):
        self.pairs = pairs if pairs is not None else np.zeros(0, dtype=np.uint32)  # ``term_pairs`` of the passage
        masks = dict.fromkeys(context, 1)
        self.n_context = len(masks)
        for i, terms in enumerate(sentence_terms):
            bit = 2 << i
            for t in terms:
                masks[t] = masks.get(t, 0) | bit
        self.masks = masks
        self.n = len(sentence_terms)

    def sentences(self) -> list[set[str]]:
        """The terms of each sentence."""
        out: list[set[str]] = [set() for _ in range(self.n)]
        for t, m in self.masks.items():
            m >>= 1
            i = 0
            while m:
                if m & 1:
                    out[i].add(t)
                m >>= 1
                i += 1
        return out


class ContextTerms(AbstractSet):
    """The terms a passage is indexed under, read from its ``SentenceTerms`` (a set without a copy)."""

    __slots__ = ("_terms",)

    def __init__(self, terms: SentenceTerms):
        self._terms = terms

    def __contains__(self, term) -> bool:
        return bool(self._terms.masks.get(term, 0) & 1)

    def __iter__(self):
        return (t for t, m in self._terms.masks.items() if m & 1)

    def __len__(self) -> int:
        return self._terms.n_context

    @classmethod
    def _from_iterable(cls, iterable):
        """What a set operation (``|``, ``&``, ``-``) with it gives: a set of terms."""
        return frozenset(iterable)


TUNABLE = (
    "dense_weight",
    "min_coverage",
    "closeness_weight",
    "closeness_centre",
    "min_coverage_alone",
    "confident_margin",
    "confident_lead",
    "confident_dense",
    "lexicon_weight",
    "heading_weight",
    "intent_weight",
    "ranker_weights",
)


def calibration_holds(stored: dict, model: str) -> bool:
    """A stored calibration (``read_calibration``) was measured with the embedding model ``model`` (one stored
    before the model was recorded, when the MiniLM alone was the default, is the MiniLM's); False when none is."""
    return bool(stored) and (stored.get("embedding_model") or MINILM) == model


def calibrated(settings: Settings, root: Path) -> Settings:
    """The settings with the values ``python -m evals tune`` stored for this index, for those the user did not
    set (an environment variable or a flag always wins). A calibration measured with another embedding model (the
    index rebuilt since with another one) is not applied: its dense weight and threshold were another model's."""
    stored = read_calibration(root)
    update = {}
    if calibration_holds(stored, settings.embedding_model):
        update = {
            k: v
            for k, v in (stored.get("settings") or {}).items()
            if k in TUNABLE and k not in settings.model_fields_set
        }
    settings = settings.model_copy(update=update) if update else settings
    if settings.closeness_weight and not settings.closeness_centre:
        # without its centre every question would gain its whole closeness (about 0.7) and none be refused
        raise ConfigError(
            "ASSISTANT_CLOSENESS_WEIGHT demande ASSISTANT_CLOSENESS_CENTRE (la proximité médiane des questions de "
            f"dev) : l'index {root} n'en a pas de calibrée ; lancer `python -m evals tune --index {root}`"
        )
    return settings


def vectors_made(info: dict) -> tuple[str | None, str]:
    """The model and the passage format an index's vectors were made with, from its ``index.json`` (an index
    made before the format was recorded read bare text)."""
    return info.get("embedding_model"), info.get("passage_format", "text")


def built_with(settings: Settings) -> dict:
    """What a generation's chunks and vectors are made with under ``settings``: recorded in its ``index.json`` by
    the builder, and compared by ``Index.check_settings``."""
    return {
        "embedding_model": settings.embedding_model,
        "passage_format": passage_format(settings.embedding_model),
        "chunking_version": CHUNKING_VERSION,
        "chunk_max_tokens": settings.chunk_max_tokens,
        "chunk_overlap_tokens": settings.chunk_overlap_tokens,
        "paragraph_pack_tokens": settings.paragraph_pack_tokens,
    }


def article_authority(number: str, cited_by: int) -> float:
    """A code article's authority: 1 for a legislative article (L., LO.: the law states the principle, a
    decree's article applies it), plus half the log of one plus the number of articles that refer to it."""
    return float(number.startswith("L")) + 0.5 * math.log1p(cited_by)


AUTHORITY_FIELD = "chunk_authority"
SHOWN_FIELDS = ("heading_slugs", "heading_shown")  # the headings whose accents are put back, and how they read


def shown_headings(chunks) -> dict[str, np.ndarray]:
    """The arrays of ``Index.shown_heading``: the headings of ``chunks`` that ``accented`` changes, sorted, and
    their accented forms."""
    pairs = [(h, accented(h)) for h in sorted({b for c in chunks for b in c.breadcrumb if b})]
    pairs = [(h, shown) for h, shown in pairs if shown != h]
    return {
        name: np.array(values, dtype=str) if values else np.zeros(0, dtype="<U1")
        for name, values in zip(SHOWN_FIELDS, ([h for h, _ in pairs], [x for _, x in pairs]), strict=True)
    }


def passage_authority(catalog: Catalog, chunk_ids: list[str], passages: Iterable) -> np.ndarray:
    """The authority of each passage of ``chunk_ids``: its code article's (``article_authority``, from the
    catalog's cross-references); a passage of another document gets the codes' mean, so that the signal orders
    code articles among themselves without pushing the seed texts down. ``passages``: where their articles are
    read (the builder's chunks, or ``Catalog.places``)."""
    counts, numbers = catalog.citation_counts()
    values = {n: article_authority(n, counts.get(n, 0)) for n in numbers if n}
    neutral = sum(values.values()) / len(values) if values else 0.0
    position = {cid: i for i, cid in enumerate(chunk_ids)}
    out = np.full(len(chunk_ids), neutral, dtype=np.float64)
    for passage in passages:
        pos = position.get(passage.chunk_id)
        if pos is not None and passage.article:
            out[pos] = values.get(passage.article, 0.0)
    return out


class Index:
    """One generation of an index root (see ``assistant.generations``): the current one by default, or the
    folder ``path`` (a generation being built)."""

    def __init__(self, settings: Settings, path: Path | None = None):
        self.root = Path(settings.index)
        self.settings = calibrated(settings, self.root)
        if path is None:
            name = generations.current_name(self.root)
            if name is None:
                raise IndexMissing(
                    f"aucun index dans {self.root} : en construire un avec `python -m assistant ingest corpus/` "
                    f"(ou `make run`, qui le fait)."
                )
            path = generations.path_of(self.root, name)
        self.path = Path(path)
        self.generation = generations.LEGACY if self.path == self.root else self.path.name
        info = self.path / generations.INFO
        if not info.exists():
            raise IndexMissing(f"aucun index dans {self.path} (la génération {self.generation} est incomplète).")
        self.info = json.loads(info.read_text())
        if not (self.path / generations.CATALOG).exists():  # a reader never creates one: a catalog lost is said
            raise IndexMissing(f"catalogue absent de {self.path} (la génération {self.generation} est incomplète).")
        self.catalog = Catalog(self.path / generations.CATALOG)

    def check_settings(self) -> None:
        """Refuse to mix chunks made with another model or chunking into this index."""
        wanted = built_with(self.settings)
        built = {**self.info, "passage_format": vectors_made(self.info)[1]}
        diff = {k: (built.get(k), v) for k, v in wanted.items() if built.get(k) != v}
        if diff and self.catalog.counts()[0]:
            detail = ", ".join(f"{k}: index={a!r}, settings={b!r}" for k, (a, b) in diff.items())
            raise IndexMismatch(
                f"l'index de {self.root} a été construit avec d'autres réglages ({detail}). Le reconstruire avec "
                f"`python -m assistant ingest CHEMIN... --rebuild` (la génération actuelle reste servie jusqu'à la "
                f"publication de la nouvelle) ; les mélanger donnerait des résultats faux."
                + (
                    f" Pour servir l'index tel qu'il est : ASSISTANT_EMBEDDING_MODEL={self.info['embedding_model']}."
                    if "embedding_model" in diff and self.info.get("embedding_model")
                    else ""
                ),
                detail,
            )

    @property
    def passage_format(self) -> str:
        """What the embedding model reads of each passage (``assistant.embeddings.passage_format``)."""
        return passage_format(self.settings.embedding_model)

    @cached_property
    def embedder(self) -> Embedder:
        return get_embedder(self.settings.embedding_model)

    exact_error = ""  # why the generation's exact array could not be read, if it could not (Chroma serves)

    @cached_property
    def store(self) -> VectorStore | ExactVectors:
        """The vectors: their exact array when the generation saved one (``assistant.store.write_exact``),
        else Chroma; Chroma too, with a warning and ``exact_error``, when the array cannot be read
        (``verify --fix`` saves it again)."""
        folder = self.path / generations.EXACT
        if not self.settings.chroma_url and folder.exists() and not groups_off(folder, self.settings):
            try:
                if not has_exact(folder):
                    raise OSError(f"fichiers manquants dans {folder}")
                return open_exact(folder, self.settings.cluster_probes)
            except (OSError, ValueError) as exc:
                self.exact_error = str(exc)
                logging.getLogger(__name__).warning(
                    "vecteurs exacts de %s illisibles (%s) : recherche par Chroma", self.path, exc
                )
        return self.chroma()

    @cached_property
    def windows(self) -> Windows | None:
        """The later windows of the generation's long passages, memory-mapped, or None (``assistant.windows``)."""
        windows = None if self.vectors_pending else open_windows(self.path / generations.WINDOWS)
        n = len(self.lexical.chunk_ids) if windows is not None else 0
        # positions in another lexical index than this one (``verify --fix`` rewrote it): not read
        if windows is not None and (windows.total not in (-1, n) or len(windows) and windows.passages[-1] >= n):
            logging.getLogger(__name__).warning("fenêtres de %s périmées : ignorées", self.path)
            return None
        return windows

    def chroma(self) -> VectorStore:
        return VectorStore(self.path / generations.CHROMA, self.settings.chroma_url, self.collection)

    @property
    def collection(self) -> str:
        """The Chroma collection of this generation (on a shared server, each generation has its own)."""
        return self.info.get("chroma_collection") or self.settings.chroma_collection

    @cached_property
    def chunks(self) -> Rows[str, Chunk]:
        """Chunk id -> chunk, read from the catalog when asked for (the last 2,048 kept: 4,096 until stop 42;
        a full-codes server then held 6 MB less after the bench's 540 questions, its ``ask`` p95 unchanged);
        iterating reads them all in catalog order and keeps none."""
        cat = self.catalog
        return Rows(
            cat.chunks_by_id,
            cat.chunk_ids,
            lambda: cat.counts()[1],
            lambda: ((c.chunk_id, c) for c in cat.iter_chunks()),
            size=2048,
        )

    @cached_property
    def documents(self) -> Rows[str, dict]:
        """Doc id -> the document's metadata (not its text: ``catalog.document_text``), read when asked for (the
        last ``MEMO_SIZE`` kept, as many as the passages whose terms are kept: a passage's terms read its document's
        short title)."""
        cat = self.catalog
        return Rows(cat.documents_by_id, cat.document_ids, lambda: cat.counts()[0], cat.iter_documents, size=MEMO_SIZE)

    @cached_property
    def lexical(self) -> LexicalIndex:
        folder = self.path / generations.LEXICAL
        if not (folder / "chunk_ids.json").exists():
            return LexicalIndex.build([], [])
        return LexicalIndex.load(folder)

    @cached_property
    def glossary(self) -> Glossary:
        return Glossary.load(self.path / generations.GLOSSARY)

    @cached_property
    def articles(self) -> Rows[str, list[str]]:
        """Canonical article number -> doc ids (an article may exist in both codes' corpora)."""
        cat = self.catalog

        def fetch(numbers: list[str]) -> dict[str, list[str]]:
            found = {n: cat.docs_of_article(n) for n in numbers}
            return {n: ids for n, ids in found.items() if ids}

        return Rows(fetch, lambda: sorted(cat.articles()), lambda: len(cat.articles()), size=4096)

    @cached_property
    def chunks_by_doc(self) -> Rows[str, list[Chunk]]:
        """Doc id -> its chunks in order."""
        cat = self.catalog

        def fetch(doc_ids: list[str]) -> dict[str, list[Chunk]]:
            found = {d: cat.chunks_of(d) for d in doc_ids}
            return {d: chunks for d, chunks in found.items() if chunks}

        def items():
            return ((doc, list(group)) for doc, group in groupby(cat.iter_chunks(), key=attrgetter("doc_id")))

        return Rows(fetch, cat.chunked_document_ids, lambda: len(cat.chunked_document_ids()), items, size=1024)

    def memo(self, name: str, key: str, compute, size: int = 0):
        """A per-chunk cache of the last ``size`` values (``MEMO_SIZE`` by default), dropped with the others when
        the index changes."""
        cache = self.__dict__.get(name)
        if cache is None:
            cache = self.__dict__.setdefault(name, Recent(size or MEMO_SIZE))
        return cache.get(key, compute)

    def writes(self, word: str) -> bool:
        """Whether the corpus writes ``word`` as it is (``Catalog.writes``), remembered for this generation."""
        return self.memo("_writes", word, lambda: self.catalog.writes(word), size=1024)

    def holds(self, term: str) -> bool:
        """Whether the corpus holds a term as a phrase: its analysed words one after the other in a passage
        (remembered for this generation), a word of one term its stem. The lexicon's
        "société interprofessionnelle de soins ambulatoires" is not held by a corpus that has "sociétés",
        "soins" and "ambulatoires" apart."""
        terms = tuple(analyse(term))
        if not terms or not all(self.lexical.knows(t) for t in terms):
            return False
        if len(terms) == 1:
            return True

        def compute() -> bool:
            # the passages indexed under its rarest word (its stem: "centres" finds "Le centre…", "Établissement"
            # "établissement"), read in groups until one holds the phrase
            rarest = min(terms, key=lambda t: self.lexical.df.get(t, 0))
            ids = [cid for cid, _ in self.lexical.top([rarest], self.lexical.n)]
            n = len(terms)
            for start in range(0, len(ids), 256):
                for chunk in self.chunks.many(ids[start : start + 256]).values():
                    toks = analyse(chunk.text)
                    if any(tuple(toks[i : i + n]) == terms for i in range(len(toks) - n + 1)):
                        return True
            return False

        return self.memo("_holds", term, compute, size=1024)

    def sentence_terms(self, chunk_id: str) -> SentenceTerms:
        """The terms of a chunk's sentences and the terms it is indexed under, in one table (``SentenceTerms``).
        A sentence's terms are its stemmed words and the acronyms whose long form it spells out ("agence régionale
        de santé" also counts as "ARS"): a question asked with the acronym then finds the sentence that names the
        notion in full, as the passage-level index already does."""

        def compute():
            c = self.chunks[chunk_id]
            out, pairs = [], []
            for s, e in sentences(c.text):
                toks = analyse(c.text[s:e])
                out.append(set(toks) | set(analyse(" ".join(self.long_forms.acronyms_in_tokens(toks)))))
                pairs.extend(term_pairs(toks))
            for heading in c.breadcrumb[-2:]:
                pairs.extend(term_pairs(analyse(heading)))
            return SentenceTerms(out, self.index_terms(c), np.unique(np.array(pairs, dtype=np.uint32)))

        return self.memo("_sentence_terms", chunk_id, compute)

    def analysed_sentences(self, chunk_id: str) -> list[set[str]]:
        """Stemmed terms of each sentence of a chunk (see ``sentence_terms``), as sets: those of the few passages
        an answer reads are kept apart."""
        return self.memo(
            "_sentence_sets", chunk_id, lambda: self.sentence_terms(chunk_id).sentences(), size=SENTENCE_SETS
        )

    def context_terms(self, chunk_id: str) -> ContextTerms:
        """All the terms a chunk is indexed under (see ``index_terms``)."""
        return ContextTerms(self.sentence_terms(chunk_id))

    def heading_terms(self, chunk_id: str) -> frozenset[str]:
        """The terms of a chunk's last two headings (a code article's sentences are about its section's notion:
        "elle élit son président" under "conférence régionale de la santé et de l'autonomie")."""
        return self.memo(
            "_heading_terms", chunk_id, lambda: frozenset(analyse(" ".join(self.chunks[chunk_id].breadcrumb[-2:])))
        )

    def _field(self, name: str) -> np.ndarray | None:
        """An array over the passages that the builder saved with the lexical index (mapped when it opened)."""
        array = self.lexical.fields.get(name)
        return array if array is not None and len(array) == self.lexical.n else None

    @cached_property
    def headings(self) -> HeadingField:
        """The headings field (``assistant.headings``): the arrays the builder wrote, memory-mapped; built from
        the passages' breadcrumbs for a generation written before it did."""
        lex = self.lexical
        field = HeadingField.of(lex.fields, lex.chunk_ids)
        if field is None:
            arrays = HeadingIndex.build(self.catalog.places()).arrays(lex.chunk_ids)
            field = HeadingField(arrays, lex.chunk_ids)
        return field

    @property
    def vectors_pending(self) -> bool:
        """Published before its passages were embedded (``ingest --vectors-later``): searched by BM25 alone until
        a later refresh embeds them and publishes the next generation."""
        return self.info.get("vectors") == "pending"

    @cached_property
    def _shown_headings(self) -> tuple[np.ndarray, np.ndarray] | None:
        fields = self.lexical.fields
        return tuple(fields[name] for name in SHOWN_FIELDS) if all(n in fields for n in SHOWN_FIELDS) else None

    def shown_heading(self, heading: str) -> str:
        """A heading as a citation shows it, its accents put back (``text.accented``: "Section 2 dassurance
        maladie" -> "Section 2 d'assurance maladie"): as the builder saved them, without loading the French
        vocabulary that finds them (0.3 s and 14 MB at a server's first answer); computed for a generation saved
        before."""
        saved = self._shown_headings
        if saved is None:
            return accented(heading)
        slugs, shown = saved
        i = int(np.searchsorted(slugs, heading))
        return str(shown[i]) if i < len(slugs) and slugs[i] == heading else heading

    @cached_property
    def authority(self) -> np.ndarray:
        """Each passage's authority (``passage_authority``), in the lexical index's order: the array the builder
        wrote, memory-mapped; computed from the catalog for a generation written before it did."""
        stored = self._field(AUTHORITY_FIELD)
        if stored is not None:
            return stored
        return passage_authority(self.catalog, self.lexical.chunk_ids, self.catalog.places())

    def authority_at(self, pos: int, default: float = 0.0) -> float:
        """The authority of the passage at ``pos`` in the lexical index (-1: none)."""
        return float(self.authority[pos]) if pos >= 0 else default

    @cached_property
    def codes(self) -> set[str]:
        """The codes whose articles the index holds."""
        return self.catalog.codes()

    @cached_property
    def long_forms(self):
        return self.glossary.long_forms()

    def index_terms(self, c: Chunk, docs: dict | None = None, long_forms=None) -> list[str]:
        """The terms a chunk is indexed under: its text, its title, locator, article and heading, and the
        acronyms of the long forms it spells out (its text is analysed once for both)."""
        docs = docs if docs is not None else self.documents
        long_forms = long_forms or self.long_forms
        toks = analyse(c.text)
        header = [docs.get(c.doc_id, {}).get("short_title") or c.title, c.locator, c.article, *c.breadcrumb[-1:]]
        return toks + analyse(" ".join(header + long_forms.acronyms_in_tokens(toks)))

    def forget_derived(self) -> None:
        """Drop what was read or computed from the lexical index, the glossary and the catalog (after a builder
        rewrote them)."""
        for name in (
            "chunks",
            "documents",
            "lexical",
            "glossary",
            "articles",
            "chunks_by_doc",
            "_sentence_terms",
            "_sentence_sets",
            "_writes",
            "_holds",
            "_sentence_starts",
            "_passage_pairs",
            "long_forms",
            "_heading_terms",
            "_cue_cache",
            "headings",
            "authority",
            "_shown_headings",
            "codes",
        ):
            self.__dict__.pop(name, None)

    def close_store(self) -> None:
        """Release the Chroma client (its memory goes with the last client of the folder)."""
        store = self.__dict__.pop("store", None)
        if store is not None:
            store.close()

    def close(self) -> None:
        self.close_store()
        self.catalog.close()


def groups_off(folder: Path, settings: Settings) -> bool:
    """The generation's vectors were saved in groups but ``cluster_probes`` is 0: Chroma is searched, as asked."""
    return not settings.cluster_probes and (folder / CLUSTER_CENTROIDS).exists()


def stale_array_bits(base: Index | None, settings: Settings) -> int | None:
    """The bits of the vectors' array of the generation ``base`` serves when they are not those
    ``exact_vector_bits`` asks for (32: an array saved before stop 42, or with the setting changed since); None when
    they are, or it has no array."""
    folder = base.path / generations.EXACT if base is not None else None
    if base is None or base.vectors_pending or settings.chroma_url or groups_off(folder, settings):
        return None  # no array, or one readers do not search (Chroma is, as asked): nothing to save again
    bits = exact_bits(folder)
    return bits if bits is not None and bits != settings.exact_vector_bits else None


def stale_windows(base: Index | None, settings: Settings) -> bool:
    """The generation ``base`` serves holds other later windows than ``dense_windows`` asks for (none, or made
    with another number per passage): a refresh publishes a generation that holds them, embedding only them."""
    if base is None or base.vectors_pending or not reads_openings(base.settings.embedding_model):
        return False
    return saved_most(base.path / generations.WINDOWS) != settings.dense_windows


def reads_chroma(settings: Settings) -> bool:
    """Whether the generation serving now in ``settings.index`` is searched through Chroma (not its exact
    array, nor BM25 alone while its vectors are pending)."""
    idx = Index(settings)  # its catalog's connection closed at once (this runs in the master, before a fork)
    try:
        folder = idx.path / generations.EXACT
        saved = has_exact(folder) and not groups_off(folder, settings)
        return not idx.vectors_pending and (bool(settings.chroma_url) or not saved)
    finally:
        idx.close()


def vector_search(idx: Index) -> str:
    """How the generation's vectors are searched, in French (``status``)."""
    if idx.vectors_pending:
        return "aucune (recherche lexicale seule en attendant les vecteurs)"
    if idx.settings.chroma_url:
        return f"serveur Chroma {idx.settings.chroma_url} (HNSW)"
    if not (idx.path / generations.EXACT).exists():
        return "Chroma (HNSW)"
    store = idx.store
    if isinstance(store, ClusteredVectors):
        return (
            f"par groupes ({store.count()} vecteurs en {store.groups} groupes, lus dans le fichier ; les "
            f"{store.probes} groupes les plus proches de la question)"
        )
    if isinstance(store, ExactVectors):
        return f"exacte ({store.count()} vecteurs en tableau partagé)"
    return f"Chroma (HNSW) : tableau exact illisible ({idx.exact_error})"


def alive(build: dict) -> bool:
    """The process that builds ``build`` (an entry of ``unfinished_builds``) is running."""
    return bool(build.get("pid")) and Path(f"/proc/{build['pid']}").exists()


def unfinished_builds(idx: Index) -> list[dict]:
    """The builds under way (or left unfinished) after ``idx``'s generation, with how far their embedding got."""
    out = []
    for name in generations.unfinished(idx.root, idx.generation):
        b = generations.build_info(Path(idx.root) / name) or {}
        keys = ("base", "started", "pid", "embedded", "to_embed")
        out.append({"generation": name} | {k: b.get(k) for k in keys})
    return out


def index_header(idx: Index) -> str:
    """One line for the chat's header: what the served generation holds and what it searches with."""
    docs, chunks = idx.catalog.counts()
    return (
        f"Index : {docs} documents, {chunks} passages (génération {idx.generation}) · "
        f"vecteurs : {vectors_state(idx, unfinished_builds(idx))}"
    )


def vectors_state(idx: Index, building: list[dict]) -> str:
    """What the served generation searches with, in French: "complets", or "en attente" (BM25 alone) with how
    far the build embedding them got ("12000 / 20974 passages calculés")."""
    if not idx.vectors_pending:
        return "complets"
    for b in building:
        if not alive(b):
            continue  # left by an interrupted refresh: the next ingest resumes or replaces it
        if b.get("to_embed"):
            return (
                f"en attente : recherche lexicale seule ; {b['embedded'] or 0} / {b['to_embed']} passages calculés "
                f"dans la génération {b['generation']}"
            )
        return f"en attente : recherche lexicale seule ; génération {b['generation']} en préparation"
    return "en attente : recherche lexicale seule jusqu'à la prochaine commande ingest (sans --vectors-later)"


def analysis_warning(idx: Index) -> str | None:
    """What to say when the index's text was analysed otherwise than this code analyses questions (another
    ``ANALYSIS_VERSION``): its words and the questions' may not meet until the next refresh rebuilds it."""
    built = idx.info.get("analysis_version")
    if built is None or built == ANALYSIS_VERSION or not idx.catalog.counts()[0]:
        return None
    return (
        f"l'index de {idx.root} a analysé ses textes autrement (version {built} de l'analyse, celle du code est "
        f"{ANALYSIS_VERSION}) : des mots des questions peuvent ne pas retrouver les siens. La prochaine commande "
        "`python -m assistant ingest` reconstruit son index lexical (sans recalculer les vecteurs)."
    )


def status(settings: Settings) -> dict:
    """What the index of ``settings`` holds, its generations, the settings it was built with, and warnings (a
    model that differs from the settings', an unfinished build). ``python -m assistant status`` prints it."""
    idx = Index(settings)
    docs, chunks = idx.catalog.counts()
    building = unfinished_builds(idx)
    info = {
        "index": str(settings.index),
        "documents": docs,
        "chunks": chunks,
        "generation": idx.generation,
        "generations": generations.generations(settings.index) or [idx.generation],
        "unfinished": building,
        "vectors": vectors_state(idx, building),
        "vector_search": vector_search(idx),
        "embedding_model": idx.info.get("embedding_model"),
        "chunking_version": idx.info.get("chunking_version"),
        "analysis_version": idx.info.get("analysis_version"),
        "last_refresh": idx.info.get("updated"),
        "last_document_change": idx.catalog.last_change(),
        "warnings": [],
    }
    try:
        idx.check_settings()
    except IndexMismatch as exc:
        info["warnings"].append(str(exc))
    if warning := analysis_warning(idx):
        info["warnings"].append(warning)
    exact_missing = not (idx.vectors_pending or settings.chroma_url or (idx.path / generations.EXACT).exists())
    limit = settings.exact_search_max  # 0: no array saved at all
    saves_array = 0 < chunks <= limit or (0 < limit < chunks and settings.cluster_probes > 0)
    if exact_missing and saves_array:
        info["warnings"].append(
            f"la génération {idx.generation} n'a pas ses vecteurs en tableau (construite avant eux) : ses "
            "vecteurs sont cherchés par Chroma (HNSW). `python -m assistant ingest CHEMIN... --rebuild` les "
            "enregistre (sans rien recalculer quand le cache de vecteurs a les passages), comme la prochaine "
            "mise à jour publiée."
        )
    if bits := stale_array_bits(idx, settings):
        info["warnings"].append(
            f"la génération {idx.generation} a ses vecteurs en tableau sur {bits} bits, les réglages en demandent "
            f"{settings.exact_vector_bits} (ASSISTANT_EXACT_VECTOR_BITS) : elle est servie telle quelle ; la "
            "prochaine commande `python -m assistant ingest` l'enregistre à nouveau (sans recalculer les vecteurs)."
        )
    for b in building:
        if alive(b):  # a refresh at work (the background job computing the vectors): nothing to warn about
            continue
        info["warnings"].append(
            f"génération {b['generation']} inachevée (commencée {b['started']}) : la prochaine "
            "commande ingest la reprend ou la remplace."
        )
    return info
