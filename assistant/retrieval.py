"""Hybrid retrieval: French BM25 + dense similarity fused with a measured weight, direct lookup of the
articles a question names, acronym expansion from the corpus glossary, near-duplicates collapsed."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from assistant.answertype import counted_nouns, expected_type, gives_count
from assistant.english import to_french_terms
from assistant.glossary import reads_as_acronym, spells
from assistant.index import MEMO_SIZE, Index, adjacent_terms, pair_hash
from assistant.intent import APPOSITION, LEGAL_FORM, asked_words, has_cue, intent_of
from assistant.lexical import correct
from assistant.lexicon import default_chat_words, default_lexicon
from assistant.places import places_in
from assistant.ranker import DEPTH as RANKER_DEPTH
from assistant.ranker import head_of, learned_order, rerank_depth
from assistant.records import Chunk, Hit
from assistant.rows import Recent
from assistant.text import (
    ARTICLE_REF,
    PARAGRAPH_NUMBER,
    analyse,
    analysed_words,
    article_of,
    fold,
    is_number_term,
    sentences,
)
from assistant.wordclass import written_names

NUMBERED_ARTICLE = re.compile(r"\barticle\s+(\d+)(?:\s*er)?(?:\.(\d+))?\b(?!\s*[-/]\d)", re.I)
PARAGRAPH = re.compile(r"(?:§|\bparagraphe|\bparagraph|\bpara\.?)\s*(\d{1,3})\b", re.I)
MAX_QUESTION_CHARS = 2000
CODE_HINT = {
    "csp": "Code de la santé publique",
    "sante publique": "Code de la santé publique",
    "css": "Code de la sécurité sociale",
    "securite sociale": "Code de la sécurité sociale",
}


@dataclass
class SearchResult:
    question: str
    query: str  # question plus expansions, as searched
    hits: list[Hit]
    terms: list[str]  # analysed question terms (before expansion)
    expansions: list[str] = field(default_factory=list)
    acronyms: list[str] = field(default_factory=list)
    translated: str = ""  # French search terms of an English question
    legal_terms: list[str] = field(default_factory=list)  # the lexicon's legal terms for the question's words
    intent: str | None = None  # what the question asks for (``assistant.intent``)
    named_articles: list[str] = field(default_factory=list)  # article numbers named in the question
    missing_articles: list[str] = field(default_factory=list)  # named but not in the index
    timings_ms: dict = field(default_factory=dict)
    query_vector: np.ndarray | None = None  # the query's embedding, when the dense side searched
    subject: list[str] = field(default_factory=list)  # the notion a definition, role... question asks about
    windowed: WindowBests | None = None  # what the search read of the later windows (``window_bests``)
    learned: bool = False  # the learned stage ordered the hits after the looked-up ones (``ranker.learned_order``)


# the words of "que prévoit / dit l'article… ?", "son contenu" (analysed): a question of them alone is about the unit
UNIT_ASKED = frozenset(("articl", "prevoit", "dit", "contenu"))


def named_code_articles(question: str) -> list[str]:
    out = []
    for m in ARTICLE_REF.finditer(question.replace("’", "'")):
        number = article_of(m)
        if number not in out:
            out.append(number)
    return out


_EMBED_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="embed-query")


EXPANSION_VECTORS: dict[tuple[str, str], np.ndarray] = {}  # (model, long forms) -> vector; a bounded set


def _timed_embed(embedder, query: str, expansion: str = "", weight: float = 1.0) -> tuple[np.ndarray, float]:
    """The query's vector. The long forms of its acronyms are embedded apart and added with ``weight``: the
    glossary is small, so their vectors are computed once per server, and a question costs one short text."""
    t = time.perf_counter()
    vector = embedder.embed_query(query)
    if expansion:
        key = (getattr(embedder, "name", ""), expansion)
        extra = EXPANSION_VECTORS.get(key)
        if extra is None:
            extra = EXPANSION_VECTORS[key] = embedder.embed_query(expansion)
            if len(EXPANSION_VECTORS) > 4096:
                EXPANSION_VECTORS.clear()
        vector = vector + weight * extra
        vector = vector / (np.linalg.norm(vector) or 1.0)
    return vector, (time.perf_counter() - t) * 1000


MIX_SEARCH = 200  # results asked of the vector store for each model's part of a mix (``dense_scores``)


def part_cosines(matrix: np.ndarray, qvec: np.ndarray, slices) -> list[np.ndarray]:
    """The cosine of each row of ``matrix`` to ``qvec`` for each model's part of the vectors (``slices``: a mix's
    parts; None, the whole vector)."""
    out = []
    for part in slices or [slice(0, len(qvec))]:
        q = qvec[part] / (np.linalg.norm(qvec[part]) or 1.0)
        rows = matrix[:, part]
        out.append(rows @ q / np.maximum(np.linalg.norm(rows, axis=1), 1e-12))
    return out


# Taken from a later window's cosine: a long passage has more chances to come near by chance. Default index, dev
# sets, 2 windows (stop 59): at 0, `questions.jsonl` citation@1 0.874 -> 0.845 (long passages that name the
# question's words late led the answer), `dev_users` keyword 0.772 -> 0.754; at 0.01, `dev_real` and `dev_users`
# refusal_accuracy -0.006 and -0.008; at 0.02, no metric of the four files lower than without windows, mrr@10 up
# on `dev_agents` (0.725 -> 0.738) and `dev_users` (0.751 -> 0.759), citation@1 on `questions.jsonl` (0.874 ->
# 0.883).
WINDOW_DISCOUNT = 0.02


class WindowBests(NamedTuple):
    """What a search read of a generation's later windows (``assistant.windows``), for the model that reads only
    a passage's opening: that model's part of a mix's vectors (0 for one model), the passages of its ``k`` nearest
    windows, best first, and each passage's best window cosine less ``WINDOW_DISCOUNT``, by its position in the
    lexical index (-inf for a passage without windows)."""

    part: int
    nearest: list[str]
    full: np.ndarray


def window_bests(windows, lexical, qvec: np.ndarray, slices, k: int) -> WindowBests | None:
    """The windows' side of a query vector ``qvec`` (a mix's ``slices``; None, one model), computed once for a
    search and read by its dense scores and by the refusal's closeness; None without windows (or of a part the
    mix lacks)."""
    if windows is None or lexical is None or not len(windows):
        return None
    if slices is not None and windows.part >= len(slices):
        return None
    positions, best = windows.best(qvec if slices is None else qvec[slices[windows.part]])
    best = best - WINDOW_DISCOUNT
    full = np.full(len(lexical.chunk_ids), -np.inf, dtype=np.float32)
    full[positions] = best
    top = positions[np.argsort(-best, kind="stable")[:k]]
    return WindowBests(windows.part, [lexical.chunk_ids[int(p)] for p in top], full)


def with_windows(ids: list[str], cos: np.ndarray, lexical, full: np.ndarray | None) -> np.ndarray:
    """``cos`` (the cosines of passages ``ids`` for one model) raised to each passage's best later window's."""
    if full is None or not ids:
        return cos
    at = lexical.positions(ids)
    return np.maximum(cos, np.where(at >= 0, full[np.maximum(at, 0)], -np.inf))


def dense_scores(
    store,
    embedder,
    qvec: np.ndarray,
    k: int,
    wanted: list[str],
    fetched: dict,
    windowed: WindowBests | None = None,
    lexical=None,
) -> dict[str, float]:
    """The dense side's score of its ``k`` nearest passages and of the ``wanted`` ones (the other signals'
    candidates, whose ``fetched`` vectors are scored here): their cosine similarity to the query. With a mix of
    models (``MixEmbedder``), each model's ``k`` nearest (the query masked to its part), all scored by each
    model, each model's similarities scaled from the lowest to the highest, then averaged. Measured with the
    MiniLM and e5 against the MiniLM alone (dense weight 0.4, README "Both models at once, as a setting"): users'
    dev questions hit@5 0.652 -> 0.678 at the full codes, 0.860 -> 0.860 at the default index."""
    slices = getattr(embedder, "slices", None)
    if slices is None:
        dense = dict(store.query(qvec, k))
        qn = float(np.linalg.norm(qvec))
        # a long passage whose later window is near joins them, and scores its best window (``assistant.windows``)
        nearest, full = (windowed.nearest, windowed.full) if windowed is not None else ([], None)
        more = [c for c in nearest if c not in dense and c not in fetched]
        vectors = fetched | (store.vectors(more) if more else {})
        for cid in [*wanted, *nearest]:
            if cid not in dense and cid in vectors:  # the cosine, as the store's (its vectors may be rounded)
                v = vectors[cid]
                dense[cid] = float(np.dot(v, qvec) / max(float(np.linalg.norm(v)) * qn, 1e-12))
        if full is not None:
            ids = list(dense)
            raised = with_windows(ids, np.array([dense[c] for c in ids], dtype=np.float32), lexical, full)
            dense = dict(zip(ids, raised.astype(float).tolist(), strict=True))
        return dense
    near: dict[str, None] = {}
    for part in slices:
        masked = np.zeros_like(qvec)
        masked[part] = qvec[part]
        # The graph was built for the whole vectors: searched for one part, it misses more of that part's nearest
        # (with k=60, e5's part recalled 0.96 of its exact 60 nearest at the default index). Asking for
        # MIX_SEARCH results widens the search (the store's ``ef`` is at least the number asked for).
        near.update((cid, None) for cid, _ in store.query(masked, max(k, MIX_SEARCH))[:k])
    # the model that reads only a passage's opening: a long passage whose later window is near joins its nearest,
    # and scores its best window (``assistant.windows``)
    part = windowed.part if windowed is not None else None
    near.update((cid, None) for cid in (windowed.nearest if windowed is not None else []))
    every = list(dict.fromkeys([*near, *wanted]))
    vectors = fetched | store.vectors([c for c in every if c not in fetched])
    ids = [c for c in every if c in vectors]
    if not ids:
        return {}
    matrix = np.stack([vectors[c] for c in ids])
    mixed = np.zeros(len(ids), dtype=np.float64)
    for i, cos in enumerate(part_cosines(matrix, qvec, slices)):
        if i == part:
            cos = with_windows(ids, cos, lexical, windowed.full)
        mixed += (cos - cos.min()) / ((cos.max() - cos.min()) or 1.0)
    return dict(zip(ids, (mixed / len(slices)).tolist(), strict=True))


ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,}\b")  # an acronym as a question writes it: "CAQES", "C2S"
ACRONYM_WORD = re.compile(r"\b[A-Za-zÉé]{2,12}\b")  # a word that may read as an acronym ("sisa", "PreParE")
SIGNALS = (
    "bm25",
    "dense",
    "acronyms",
    "lexicon",
    "heading",
    "intent",
    "sentence",
    "subject",
    "phrase",
    "authority",
    "territory",
    "ranker",  # the learned stage (``assistant.ranker``), where the index's calibration has its weights
    "outside",  # not a ranking signal: the refusal of questions on other codes' subjects (``assistant.outside``)
)
HEADING_CANDIDATES = 3  # sections whose heading matches best lend their articles as candidates
HEADING_FLOOR = 0.25  # ... when at least this share of the question's weight is in the heading
FIRST_INTENTS = ("definition", "role")
# A passage of a section for one territory ("Chapitre VI : Mayotte", "Titre IV : Nouvelle-Calédonie et Polynésie
# française", "Dispositions applicables à l'outre-mer", the régime local of Alsace-Moselle) adapts a rule of the
# whole country: for a question that names no place, its fused score counts this much ("qui préside le conseil de
# surveillance d'une ARS ?" was answered from D. 1443-4, La Réunion's, before L. 1432-3). Measured at the full codes
# (0.6, 0.8, 0.9): `dev_users` hit@5 0.730 -> 0.739, `dev_real` mrr@10 0.364 -> 0.382; the default index unchanged.
TERRITORY_WEIGHT = 0.8
TERRITORY = re.compile(
    r"(?:\b|\bd)outre[- ]?mer\b|\bmayotte\b|\bla reunion\b(?! d)|\bguadeloupe\b|\bguyane\b|\bmartinique\b|"
    r"\bsaint[- ](?:pierre|barthelemy|martin)\b|\bwallis\b|\bpolynesie\b|\bcaledonie\b|\bterres australes\b|"
    r"\bcorse\b|\balsace\b|\bmoselle\b"
)
# ... and the question that names one, or the overseas as a whole, or a place of France (the asker's own: the law of
# Alsace-Moselle depends on where one works)
TERRITORY_ASKED = re.compile(rf"{TERRITORY.pattern}|\b(?:dom|drom|taaf|antilles|ultramarin\w*|regime local)\b")
NOTION_INTENTS = (
    "definition",
    "role",
    "composition",
    "presidence",
)  # questions about a notion, named by an acronym  # the intents whose answer is most often a section's first article


class Retriever:
    def __init__(self, index: Index):
        self.index = index
        self.settings = index.settings
        self.lexicon = default_lexicon()
        self.chat_words = default_chat_words()

    def as_searched(self, question: str) -> str:
        """The question as the search reads it: its chat spellings spelled out ("cmb" is "combien", "l'expé"
        "l'expérimentation"), unless the lexicon signal is off."""
        if "lexicon" in self.off:
            return question
        return self.chat_words.spell_out(question, self._written_in_corpus)

    def _written_in_corpus(self, word: str) -> bool:
        """The corpus uses ``word`` as typed ("l'appli carte Vitale" in a seed text): each of its terms, not only a
        word of their family ("prof" is not "profession"). A word whose stem has fewer than five letters is always
        spelled out: that stem is often another word's ("fac" is the stem of "face")."""
        terms = analyse(word)
        return bool(terms) and all(len(t) >= 5 and t in self.index.lexical.df for t in terms)

    @property
    def off(self) -> set[str]:
        return {x.strip() for x in self.settings.signals_off.split(",") if x.strip()}

    # ------------------------------------------------------------ lookups
    def _lookup(self, question: str) -> tuple[list[Chunk], list[str], list[str]]:
        """Chunks of the units the question names explicitly, the named article numbers, and those missing."""
        idx = self.index
        found: list[Chunk] = []
        named = named_code_articles(question)
        missing = []
        fq = fold(question)
        code_wanted = {v for k, v in CODE_HINT.items() if re.search(rf"\b{k}\b", fq)}
        for number in named:
            doc_ids = idx.articles.get(number, [])
            if code_wanted:
                doc_ids = [d for d in doc_ids if idx.documents[d]["code"] in code_wanted] or doc_ids
            if not doc_ids:
                missing.append(number)
            for doc_id in doc_ids:
                found.extend(idx.chunks_by_doc.get(doc_id, []))
        # A trade name for an article asked about itself ("c'est quoi l'article 51 ?": the lexicon's L. 162-31-1)
        # looks it up too, when the corpus holds it (its absence refuses nothing: the name does not say the asker
        # wants that article's text); not in a question on something else ("les projets article 51 en Bretagne").
        plain = [t for t in analyse(question) if t not in UNIT_ASKED]
        if "lexicon" not in self.off and len(plain) <= 1:
            trade = (n for e in self.lexicon.matches(question) for t in e.terms for n in named_code_articles(t))
            for number in dict.fromkeys(trade):
                if number not in named:
                    for doc_id in idx.articles.get(number, []):
                        found.extend(idx.chunks_by_doc.get(doc_id, []))
        rest = ARTICLE_REF.sub(" ", question)
        wanted_locators = []
        for m in NUMBERED_ARTICLE.finditer(rest):
            n = int(m.group(1))
            base = "Article 1er" if n == 1 else f"Article {n}"
            wanted_locators.append(f"Article {n}.{int(m.group(2))}" if m.group(2) else base)
        for m in PARAGRAPH.finditer(question):
            wanted_locators.append(f"§ {int(m.group(1))}")
        if wanted_locators:
            # Several documents may have an "Article 5": keep those of the best-matching document.
            candidates = sorted(
                {c.chunk_id: c for w in wanted_locators for c in idx.catalog.chunks_at(w)}.values(),
                key=lambda c: (c.doc_id, c.start),  # catalog order
            )
            # Only a question about that unit itself ("que prévoit l'article 99 de la convention ?") is refused
            # for it; "l'article 51" in "durée d'une expérimentation article 51" names a law, not a unit here.
            about_unit = (
                re.search(r"\b(convention|note|§|paragraphe|paragraph)\b", fq)
                or len([t for t in analyse(rest) if t not in UNIT_ASKED]) <= 1
            )
            # ... nor a number the trade uses as a name ("l'article 51": the lexicon's experiments of L. 162-31-1)
            trade = "lexicon" not in self.off and any(
                fold(e.trigger).startswith("article ") for e in self.lexicon.matches(question)
            )
            if not candidates and about_unit and not trade:
                missing.extend(w.replace("Article ", "") if w.startswith("Article") else w for w in wanted_locators)
            if candidates:
                terms = analyse(rest)
                scores = idx.lexical.scores(terms) if terms else None

                def doc_score(doc_id):
                    if scores is None:
                        return 0.0
                    pos = idx.lexical.positions([c.chunk_id for c in idx.chunks_by_doc[doc_id]])
                    pos = pos[pos >= 0]
                    title = analyse(idx.documents[doc_id]["title"] + " " + (idx.documents[doc_id]["short_title"] or ""))
                    base = float(scores[pos].max()) if len(pos) else 0.0
                    return base + 5 * len(set(title) & set(terms))

                best = max({c.doc_id for c in candidates}, key=doc_score)
                found.extend(sorted((c for c in candidates if c.doc_id == best), key=lambda c: c.start))
        return found, named, missing

    def long_forms(self, acronym: str) -> list[str]:
        """An acronym's long forms (the corpus's glossary) and legal terms (the lexicon)."""
        glossary = self.index.glossary.expand(acronym)[0] if "acronyms" not in self.off else []
        return glossary + (self.lexicon.expand(acronym) if "lexicon" not in self.off else [])

    def _unused_acronym_tokens(self, question: str) -> dict[str, tuple[str, list[str]]]:
        """Each acronym of the question that the corpus never defines and uses at least ten times less often than
        it spells out its long form in the lexicon, as the question types it -> its stem and the analysed terms of
        that long form."""
        idx = self.index
        df = idx.lexical.df
        out = {}
        for token in dict.fromkeys(ACRONYM_WORD.findall(question)):
            if not reads_as_acronym(token):
                continue
            if idx.glossary.lookup(token.upper()):
                continue  # the corpus defines it ("long form (ACRONYM)"), so it uses it
            entries = [e for e in self.lexicon.matches(token) if e.acronym]
            forms = [t for e in entries for t in e.terms]
            stems = analyse(token)
            if not forms or len(stems) > 1:
                continue
            written = entries[0].trigger  # as the trade writes it, however the question typed it ("sisa", "Sisa")
            if stems and stems[0] != fold(token) and not idx.writes(written) and not idx.writes(token):
                # the corpus never writes it, and its analysis cuts it to another word ("SISA" is "sis", located
                # at): only its long form stands for it
                if "lexicon" not in self.off:
                    held = ([t for t in analyse(form) if t in df] for form in forms)
                    out[token] = stems[0], next((terms for terms in held if terms), [])
                continue
            if not stems or len(stems[0]) < 2:
                # "CA" is "ça", "ES" the letter "e" to the analyser: nothing of the acronym is searched, so its
                # long form stands for it, as the question's own words do (not with the lexicon turned off).
                if "lexicon" not in self.off:
                    out[token] = stems[0] if stems else token.lower(), [t for t in analyse(forms[0]) if t in df]
                continue
            best = None
            for form in forms:
                fterms = [t for t in analyse(form) if t in df]
                if len(fterms) >= 2 and (best is None or min(df[t] for t in fterms) > min(df[t] for t in best)):
                    best = fterms
            if best and 10 * df.get(stems[0], 0) < min(df[t] for t in best):
                out[token] = stems[0], best
        return out

    # ------------------------------------------------------------ search
    def search(self, question: str, k: int | None = None, dense: bool = True) -> SearchResult:
        """``dense=False``: the lexical side and the lookups only, no query embedding (to check that a question
        naming an article is answered: its lookup decides)."""
        k = k or self.settings.search_k
        idx = self.index
        off = self.off
        question = self.as_searched(question[:MAX_QUESTION_CHARS])  # a pasted document is not a question
        timings = {}
        t0 = time.perf_counter()
        expansions, acronyms = idx.glossary.expand(question) if "acronyms" not in off else ([], [])
        legal = self.lexicon.expand(question) if "lexicon" not in off else []
        intent = intent_of(question)
        query = question
        french = to_french_terms(question)
        if french:
            query += " " + french
        if expansions:
            query += " (" + " ; ".join(expansions) + ")"
        if acronyms:
            query += " " + " ".join(acronyms)
        if legal:
            query += " [" + " ; ".join(legal) + "]"
        # The query embedding (the longest step) runs on the other core while the lexical side is computed.
        # A generation published before its vectors (``ingest --vectors-later``) is searched by BM25 alone.
        w = self.settings.dense_weight if "dense" not in off and dense and not idx.vectors_pending else 0.0
        # The long forms (of acronyms, and the lexicon's legal terms) are embedded apart and cached (measured
        # against embedding the whole query: full codes mrr 0.792 -> 0.799, citation_support 0.845 -> 0.864;
        # default corpus citation_support 0.903 -> 0.922, mrr 0.858 -> 0.856), so a question costs the
        # embedding of its own words only.
        base = question + (" " + french if french else "") + (" " + " ".join(acronyms) if acronyms else "")
        embedding = (
            _EMBED_POOL.submit(_timed_embed, idx.embedder, base, " ; ".join(expansions + legal))
            if w > 0 and idx.chunks
            else None
        )
        # A word the corpus lacks may be a typo of one it has ("commision"), but not a name: an acronym
        # ("UNOCAM" is not a typo of "UNCAM") or a capitalised word ("Misérables" is not "misées") is kept as
        # written (the lexicon or the glossary may know it).
        as_written = set(analyse(" ".join(ACRONYM.findall(question) + written_names(question))))
        terms = [t if t in as_written else correct(idx.lexical, t, w) for w, t in analysed_words(question)]
        # The words that only say what is asked are left out, once each ("gestion du risque, on risque quoi ?"
        # keeps the first "risque"), and never all the question's terms ("article L. 162-30-2 : on risque
        # quoi ?" is not a plain "que prévoit l'article ?").
        kept = list(terms)
        for t in analyse(" ".join(asked_words(question))):
            if t in kept:
                del kept[len(kept) - 1 - kept[::-1].index(t)]  # the last occurrence: the asking verb ends it
        terms = kept if not all(map(is_number_term, kept)) else terms
        if french:  # English words weigh nothing in a French corpus: keep the translation and known terms
            terms = analyse(french) + [t for t in terms if t in idx.lexical.df]
        main_terms = terms + analyse(" ".join(acronyms))
        # An acronym the corpus seldom uses but spells out often ("SRS": "Sr" is strontium in an annex, the
        # codes write "schéma régional de santé") is searched through its long form, counted as one term.
        tokens = self._unused_acronym_tokens(question) if "acronyms" not in off or "lexicon" not in off else {}
        unused = dict(tokens.values())
        # the acronym's own term gives way to its long form where it is typed as the acronym ("PreParE"), not a
        # word of the question that stems alike ("PreParE : comment la préparer ?" keeps "préparer")
        typed = Counter(tokens[w][0] for w in ACRONYM_WORD.findall(question) if w in tokens)
        for stem, n in typed.items():
            for _ in range(min(n, main_terms.count(stem))):
                main_terms.remove(stem)
        # Long forms of the question's acronyms count, but less than the question's own words: a long
        # expansion must not drown "durée" in "durée du PPRGDRESS". So do the lexicon's legal terms.
        exp_terms = [x for x in analyse(" ".join(expansions)) if x not in main_terms]
        legal_terms = [x for x in analyse(" ".join(legal)) if x not in main_terms and x not in exp_terms]
        lookup, named, missing = self._lookup(question)
        timings["analyse"] = (time.perf_counter() - t0) * 1000

        t = time.perf_counter()
        n_cand = self.settings.candidates
        scores = idx.lexical.scores(main_terms)
        if exp_terms:
            scores = scores + self.settings.expansion_weight * idx.lexical.scores(exp_terms)
        if legal_terms:
            scores = scores + self.settings.lexicon_weight * idx.lexical.scores(legal_terms)
        for form in unused.values():
            if form:  # none when the corpus holds no word of the long form: the question is refused for it
                scores = scores + idx.lexical.scores(form) / len(form) ** 0.5
        lexical = idx.lexical.top_of(scores, n_cand)
        # Headings: the sections named after the question's notion, and their articles.
        heads = idx.headings
        section_scores = None  # each section's heading match (``HeadingField.section_scores``)
        heading_cands: list[str] = []
        if "heading" not in off and self.settings.heading_weight:
            section_scores = heads.section_scores(main_terms + exp_terms + legal_terms)
            for section in heads.top_sections(section_scores, HEADING_CANDIDATES) if section_scores is not None else ():
                if section_scores[section] >= HEADING_FLOOR:
                    members = heads.members(section)
                    heading_cands.extend(members[:1] if intent in FIRST_INTENTS else members[:10])
        timings["lexical"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        dense: dict[str, float] = {}
        qvec = windowed = None
        if embedding is not None:
            # Vectors of the lexical, heading and looked-up candidates, fetched while the query is being
            # embedded: those the dense search does not return are scored against the query vector here.
            wanted = list(dict.fromkeys([cid for cid, _ in lexical] + heading_cands + [c.chunk_id for c in lookup]))
            fetched = idx.store.vectors(wanted)
            # ... and their passages, which the fusion reads (the catalog's reads leave the embedding its core)
            idx.chunks.many(wanted)
            waited = time.perf_counter()
            qvec, timings["embed"] = embedding.result()
            waited = time.perf_counter() - waited
            # the later windows' side, once: the dense scores and the refusal's closeness read it
            windowed = window_bests(idx.windows, idx.lexical, qvec, getattr(idx.embedder, "slices", None), n_cand)
            dense = dense_scores(idx.store, idx.embedder, qvec, n_cand, wanted, fetched, windowed, idx.lexical)
            t += waited  # "dense": the store's work, not the wait for the embedding
        timings["dense"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        lex = dict(lexical)
        # each candidate's position in the arrays over the passages (BM25's, the headings', the authorities'),
        # found at once
        every = list(dict.fromkeys([*lex, *dense, *heading_cands]))
        position = dict(zip(every, (int(p) for p in idx.lexical.positions(every)), strict=True))
        # BM25's, then the heading candidates it did not return (those the lexical index holds), then dense's,
        # then the other headings': the order that breaks ties in the ranking
        order = list(dict.fromkeys([*lex, *(c for c in heading_cands if position[c] >= 0), *dense, *heading_cands]))
        # A heading or dense candidate that BM25 did not return among its first ``candidates`` has a BM25 score all
        # the same, often close to theirs at the size of the codes: it counts instead of 0 ("statut juridique
        # d'une ARS" and the article that defines the agences régionales de santé; for the dense candidates,
        # measured on the dev sets: `dev_users` hit@5 0.796 -> 0.833 default index, 0.625 -> 0.643 full codes).
        for cid in every:
            if cid not in lex and position[cid] >= 0:
                lex[cid] = float(scores[position[cid]])
        max_lex = max(lex.values(), default=0.0) or 1.0
        # Cosine similarities of a small model sit in a narrow band over the candidates (e5: 0.80-0.90):
        # divided by their maximum they all come out near 1. Scaled from the lowest candidate to the highest,
        # the dense side tells them apart.
        low_dense = min(dense.values(), default=0.0)
        span_dense = (max(dense.values(), default=0.0) - low_dense) or 1.0
        lw = 0.0 if "bm25" in off else 1 - w
        hw = self.settings.heading_weight if section_scores is not None else 0.0
        aw = self.settings.authority_weight if "authority" not in off else 0.0
        fused: dict[str, tuple[float, dict]] = {}
        # the question names no place: a territory's own passages come after the whole country's
        nationwide = "territory" not in off and not (places_in(question) or TERRITORY_ASKED.search(fold(question)))
        candidates = idx.chunks.many(order)  # one query for those not kept
        for cid in order:
            chunk = candidates.get(cid)
            if chunk is None:
                continue
            sig = {
                "bm25": lex.get(cid, 0.0) / max_lex,
                "dense": (dense[cid] - low_dense) / span_dense if cid in dense else 0.0,
            }
            score = lw * sig["bm25"] + w * sig["dense"]
            if hw:
                pos = position[cid]
                hs = heads.score_at(pos, section_scores)
                # The defining article opens its section in the codes, and the law defines where a decree
                # applies: the full weight goes to a legislative article (L., LO.) that opens its section. A
                # seed document's paragraphs have no such order.
                first = heads.opens_at(pos)
                full = first and intent in FIRST_INTENTS and (chunk.article or "").startswith("L")
                sig["heading"] = 2 * hs if full else 0.5 * hs
                sig["first"] = float(first)
                score += hw * sig["heading"]
            if aw:
                # The law before the decree that applies it, a much-cited article before a rarely cited one:
                # among passages that match about as well, the one users' questions are most often about.
                sig["authority"] = idx.authority_at(position[cid])
                score += aw * sig["authority"]
            if nationwide and TERRITORY.search(fold(" ".join(chunk.breadcrumb[-3:]))):
                sig["territory"] = 1.0
                score *= TERRITORY_WEIGHT
            fused[cid] = (score, sig)
        ranked = sorted(fused.items(), key=lambda kv: -kv[1][0])
        # Rerank the head by its best sentence: the answer to a question sits in one sentence that holds
        # its rare terms, read in the passage's context (measured: hit@5 0.942 -> 0.961, mrr 0.843 -> 0.858);
        # and by the best sentence that also holds a cue phrase of the question's intent.
        # The learned stage (``assistant.ranker``) orders the head again: its weights were fitted on the signals of
        # ``RANKER_DEPTH`` passages, all reranked by their sentences. It needs the dense side's vectors.
        ranker = self.settings.ranker_weights if "ranker" not in off and qvec is not None else {}
        depth = rerank_depth(self.settings.rerank_depth) if ranker else self.settings.rerank_depth
        gamma = self.settings.rerank_weight if "sentence" not in off else 0.0
        iw = self.settings.intent_weight if intent and "intent" not in off else 0.0
        # the notion a definition, role, composition or presidency question is about (``subject_names``): the
        # rerank's subject signal, and the answer's choice of its lead sentence and its definition check
        notion = (
            subject_names(question, expansions, legal, self.long_forms)
            if intent in SUBJECT_CUES and "subject" not in off
            else []
        )
        sw = self.settings.subject_weight if notion else 0.0
        names = notion if sw else []
        pw = self.settings.phrase_weight if "phrase" not in off else 0.0
        pairs = question_pairs(idx, terms) if pw else None
        if (gamma or iw or names or pairs) and terms:
            weights = {x: idx.lexical.idf(x) for x in dict.fromkeys(main_terms)}
            # In "c'est quoi le FIR ?" the long form is the subject itself: its words count in full.
            factor = 1.0 if intent in NOTION_INTENTS else self.settings.expansion_weight
            for x in legal_terms + exp_terms:
                weights.setdefault(x, factor * idx.lexical.idf(x))
            # "combien de membres ?": the cue is a number of members ("cent neuf membres au plus"), not a word
            # of amounts ("montant", "taux") that the question does not ask for
            nouns = counted_nouns(question, idx.glossary.lookup) if iw and expected_type(question) == "nombre" else []
            head = []
            for cid, (score, sig) in ranked[:depth]:
                best, cued = sentence_scores(idx, cid, weights, intent if iw else None, nouns)
                subject = (
                    float(opens_on(candidates[cid].text, names, SUBJECT_CUES[intent], OBJECT_CUES.get(intent)))
                    if names
                    else 0.0
                )
                phrase = phrase_score(idx.sentence_terms(cid).pairs, pairs) if pairs else 0.0
                sig = {**sig, "sentence": best, "intent": cued, "subject": subject, "phrase": phrase}
                head.append((cid, (score + gamma * best + iw * cued + sw * subject + pw * phrase, sig)))
            head.sort(key=lambda kv: -kv[1][0])
            ranked = head + ranked[depth:]
        hits: list[Hit] = []
        seen: set[str] = set()
        for c in lookup:
            if c.chunk_id in seen:
                continue
            seen.add(c.chunk_id)
            score, sig = fused.get(c.chunk_id, (0.0, {}))
            hits.append(
                Hit(c, 1.0 + score, lex.get(c.chunk_id, 0.0), dense.get(c.chunk_id, 0.0), reason="lookup", signals=sig)
            )
        for cid, (score, sig) in ranked:
            if cid not in seen:
                seen.add(cid)
                hits.append(Hit(candidates[cid], score, lex.get(cid, 0.0), dense.get(cid, 0.0), signals=sig))
        hits = collapse_duplicates(hits, limit=max(k, 10, RANKER_DEPTH if ranker else 0))
        if ranker:
            hits = learned_order(hits, ranker, self.cosines(head_of(hits)[1], qvec), off)
        timings["fuse"] = (time.perf_counter() - t) * 1000
        timings["search"] = (time.perf_counter() - t0) * 1000
        return SearchResult(
            question,
            query,
            hits[: max(k, 10)],
            terms,
            expansions,
            acronyms,
            french,
            legal,
            intent,
            named,
            missing,
            timings,
            qvec,
            notion,
            windowed,
            learned=bool(ranker),
        )

    def cosines(self, hits: list[Hit], qvec: np.ndarray) -> list[np.ndarray]:
        """For each model of the index (each part of a mix), each of ``hits``' cosine to the query vector ``qvec``
        (NaN for a passage without a vector): what the learned stage reads (``assistant.ranker.features``)."""
        slices = getattr(self.index.embedder, "slices", None) or [slice(0, len(qvec))]
        vectors = self.index.store.vectors([h.chunk.chunk_id for h in hits])
        held = [i for i, h in enumerate(hits) if h.chunk.chunk_id in vectors]
        out = [np.full(len(hits), np.nan) for _ in slices]
        if held:
            matrix = np.stack([vectors[hits[i].chunk.chunk_id] for i in held])
            for p, cos in enumerate(part_cosines(matrix, qvec, slices)):
                out[p][held] = cos
        return out


# What a sentence whose subject is the notion says when it answers each kind of question about it (folded).
SUBJECT_CUES = {
    "definition": re.compile(
        rf"{APPOSITION}|"
        r"\b(?:est|sont)\s+(?:un|une|des|l'|le|la|les|constituee?s?|cree?e?s?|institue?e?s?|"
        r"conclue?s?|etablie?s?)\b|\ba pour (?:mission|objet|objectifs?)|\bont pour (?:mission|objet|objectifs?)|"
        r"\bdefinit\b|\bconcourt\b|\bfinance\b|\bs'entend\b"
    ),
    "role": re.compile(
        r"\bmissions?\b|\b(?:est|sont) chargee?s?\b|\ba pour (?:mission|objet|objectifs?|role)|"
        r"\bont pour (?:mission|objet|objectifs?)|\bdefinit\b|\bveille|\bcontribue|\bconcourt\b"
    ),
    "composition": re.compile(r"\b(?:est|sont) compose|\bcomprend\b|\bcomprennent\b|\b(?:est|sont) constitue"),
    "presidence": re.compile(r"\b(?:est|sont) presidee?s?\b"),
}
# ... or whose object is the notion: "X préside le conseil", "les ministres président le Conseil national"
OBJECT_CUES = {"presidence": re.compile(r"\bpresid(?:e|ent) (?:le |la |les |l')")}
QUESTION_LEAD = re.compile(
    # "c'est quoi le rôle de l'ARS ?" is about the ARS, as "quel est le rôle de l'ARS ?" is ("des" before "de":
    # "le rôle des ARS" is not about "s ars")
    r"^(?:(?:c'?\s?est quoi|c quoi) (?:(?:le role|les missions) (?:des|du|de|d')|"
    # "c'est quoi son rôle à la CPAM ?": the notion after the pronoun's complement
    r"(?:son role|ses missions)(?: (?:des|du|de|d'|aux|au|a la|a l'|a|dans la|dans le|dans l'))?)|"
    r"c'?\s?est quoi|c quoi|qu'?est[- ]ce qu(?:e|')?(?:\s*(?:c'?est|une|un)\b)?|que (?:signifie|veut dire)|"
    r"definition (?:des|du|de|d')|comment (?:le code|la loi) (?:definit|definissent)|a quoi (?:sert|servent)|"
    r"quel(?:le)? est (?:le role|la mission|la composition)"
    r" (?:des|du|de|d')|quelles? sont (?:les missions|les roles) (?:des|du|de|d')|qui preside|"
    r"de quoi (?:se compose|est compose[e]?)|comment est compose[e]?|qui siege (?:aux|au|a|dans)\b|"
    # a question that opens on what it asks: "rôle de l'UNCAM ?", "missions des ARS ?" (a determiner after it: not
    # "missions d'intérêt général", "missions de service public", notions of their own)
    r"(?:le |la |les )?(?:roles?|missions?|attributions?) (?:(?:des|du|de la|d'une|d'un)\b|de l'))\s*"
)


LEADING_ARTICLE = re.compile(r"^(?:l'|le |la |les |un |une |des |du |d')")
# the words that only stress a definition question, right after its lead or its tail ("c'est quoi exactement le
# FIR ?", "c'est quoi au juste ?"), no part of its notion; elsewhere they may be ("la vente en gros")
STRESS = r"(?:au juste|exactement|concretement|juridiquement|precisement|deja|en gros|en fait)"
QUESTION_TAIL = re.compile(
    r"\s*(?:,\s*)?(?:(?:c'?\s?est quoi|c quoi) comme (?:structure|statut|forme)(?: juridique)?|"
    r"c'?\s?est quoi|c quoi|(?:il|elle|ils|elles|ca)?\s*sert a quoi|"
    r"(?:il|elle|ils|elles)?\s*servent a quoi|ca veut dire quoi|kesako|qu'?est[- ]ce que c'?est|qu'?est[- ]ce|"
    rf"[,:]\s*(?:la )?definition(?: legale)?)(?:\s+{STRESS})*\s*$"
)


# the nouns that ask about a notion after "c'est quoi": "c'est quoi le principe", "c'est quoi ce truc"
ASKING_NOUN = r"principe|definition|role|missions?|truc|sigle|machin|structure|statut"
# what a question says right after its notion when more follows ("la prime d'activité c'est quoi, c'est fait pour
# qui ?", "centre de santé : quelle définition dans le code ?", "soins de premier recours ça couvre quoi", "un
# accident du travail, juridiquement ça se définit comment ?"): the notion is what comes before the first of them
ASKED_AFTER = re.compile(
    r"(?:\s*[,:?]\s*|\s+)(?:(?:c'?\s?est quoi|c (?:quoi|koi))"
    r"(?=\s*(?:[,?]|$|et\b|(?:le |la |les |l'|son |sa |ses |ce |comme )?"
    rf"(?:{STRESS}|{ASKING_NOUN})\b))|"
    r"kesako|qu'?est[- ]ce que c'?est|"
    r"(?:(?:il|elle|ils|elles|ca)\s+)?(?:sert|servent|fait|font|couvre|couvrent|correspond|correspondent|designe|"
    r"designent|veut dire|veulent dire)\s+(?:a\s+)?quoi|(?:(?:il|elle|ils|elles|ca)\s+)?s'occupen?t? de quoi|"
    rf"(?:quelle |la )?definition|(?:{STRESS}\s+)?(?:ca|il|elle) se definit)(?!\w)"
)
# what names the notion right after the asking words, so that what precedes them is not it: "… définition de la
# CPTS", "… ça veut dire quoi ONDAM" (not "… ça sert à quoi exactement", "… quelle définition dans le code")
NOTION_NEXT = re.compile(
    rf"\s*(?:(?:de |du |des |d'|le |la |les |l'|un |une )(?!(?:{ASKING_NOUN})\b)|"
    rf"(?!(?:{STRESS}|comment|quoi|svp|stp)\s*$)[\w-]+\s*$)"
)
# what qualifies a notion after it, no part of it: "c'est quoi un hôpital de proximité au sens de la loi ?"
QUALIFIER = re.compile(
    r"(?:\s*,)?\s+(?:au sens (?:de la loi|du code|des codes)|dans (?:le|les) codes?|"
    r"(?:juridiquement|reglementairement|legalement) parlant)\s*$"
)


# an acronym of the question spelled out in an apposition: "ASS, l'allocation de solidarité spécifique, c'est
# quoi ?" (not "Bonjour, la CPAM…" nor "la PMI, les consultations…": the second part spells the first)
APPOSED = re.compile(r"^([^\s,]{2,12}),\s*((?:l'|le |la |les )[^,]{4,80})$")


def subject_names(
    question: str, expansions: list[str], legal: list[str], long_forms: Callable[[str], list[str]] | None = None
) -> list[str]:
    """The folded names of the notion a definition or role question is about: the words that follow the
    question's lead ("c'est quoi la commission de coordination ?") or precede its tail ("le SRS il sert à
    quoi"). When that notion is an acronym of the question, its long forms and lexicon terms name it too; when it
    is not ("ciblage des CAQES"), only the words themselves do. ``long_forms`` (an acronym as written -> its
    long forms and legal terms) keeps to the notion's own: in "qui siège au CA de l'ARS" the notion is the CA,
    not the agency."""
    # one space between words: the patterns below backtrack over runs of spaces (2,000 of them took seconds)
    folded = re.sub(r"\s+", " ", fold(question)).strip().rstrip("?!. ")
    m = QUESTION_LEAD.match(folded)
    if m:  # "c'est quoi l'UNOCAM ? on m'en parle": the notion ends with the first question
        phrase = re.sub(rf"^(?:{STRESS}\s+)+", "", folded[m.end() :]).split("?")[0]
    else:  # "Une SISA, qu'est-ce que c'est ?"; "la prime d'activité c'est quoi, c'est fait pour qui"
        phrase = QUESTION_TAIL.sub("", folded)
        after = ASKED_AFTER.search(phrase)
        # (not "elle" of "elle sert à quoi la commission… ?": a pronoun is no notion; nor what precedes asking words
        # that the notion follows: "le code donne quelle définition de la CPTS ?", "bonjour, ça veut dire quoi
        # ONDAM ?")
        if (
            after
            and not re.fullmatch(r"(?:il|elle|ils|elles|ca|cela|ce|on)?", phrase[: after.start()].strip())
            and not NOTION_NEXT.match(phrase[after.end() :])
        ):
            phrase = phrase[: after.start()]
        phrase = phrase.rstrip(" ,:;-?")
    phrase = QUALIFIER.sub("", phrase)
    phrase = LEADING_ARTICLE.sub("", phrase.strip()).strip()
    apposed = APPOSED.match(phrase)
    if apposed and not (
        any(fold(a) == apposed.group(1) for a in ACRONYM.findall(question))
        and spells(apposed.group(1), LEADING_ARTICLE.sub("", apposed.group(2)))
    ):
        apposed = None
    if apposed:  # "ass, l'allocation de solidarite specifique": the notion, then its name in full
        phrase = apposed.group(1).strip()
    # "c quoi le statut juridique d'une ARS ?": the notion is the ARS, which its defining sentence names
    phrase = re.sub(rf"^{LEGAL_FORM} (?:d'|de |du |des )", "", phrase)
    phrase = LEADING_ARTICLE.sub("", phrase.strip()).strip()
    if not 2 <= len(phrase) <= 80:
        return []
    acronyms = [fold(a) for a in ACRONYM.findall(question)]
    head = phrase.split()[0] if phrase.split() else ""
    if head in acronyms or len(phrase.split()) == 1:  # "cpts c'est quoi ?": the word is the notion
        written = [a for a in ACRONYM.findall(question) if fold(a) == head]
        forms = long_forms(written[0]) if long_forms and written else expansions + legal
        names = [head] + [fold(x) for x in forms]
    else:
        names = [phrase]
    if apposed:
        names.append(LEADING_ARTICLE.sub("", apposed.group(2).strip()))
    names += [re.sub(r"(\w{4,})s\b", r"\1", n) for n in names if " " in n]  # plural long forms, singular sentences
    return [n for n in dict.fromkeys(names) if len(n) >= 3]


# the notion as the complement of another noun at a sentence's opening, not its subject (folded text)
COMPLEMENT = re.compile(r"(\w+)\s+(?:de la |de l'|de |du |des |d')$")
# "les missions de l'agence…", "chacun des centres de santé…", "l'objet de la société…" are about the agency, the
# centres, the society
NOT_COMPLEMENT = re.compile(
    r"^(?:roles?|missions?|attributions?|competences?|composition|chacune?|ensemble|objet|objectifs?)$"
)


# where a sentence's main clause ends in folded text: its final point (not the one of an article's number, "l.
# 200-2", "art. 4", "ii.", "cf.", "al."), or the colon or semicolon before its list ("… n'est pas cumulable
# avec : 1° …")
SENTENCE_END = re.compile(r"(?<!\b[a-z])(?<!\bart)(?<!\bcf)(?<!\bal)(?<!\bii)(?<!\biii)(?<!\biv)(?<!\bvi)\.(?!\w)|[;:]")
FIRST_POINT = re.compile(r"\.")


def opens_on(
    text: str, names: list[str], cue: re.Pattern, acts_on: re.Pattern | None = None, whole: bool = False
) -> bool:
    """A sentence of ``text`` has one of ``names`` among its first four words and holds ``cue``; or, with
    ``acts_on``, one of ``names`` is the object of that verb ("Les ministres ... président le Conseil national
    de pilotage")."""
    folded = fold(text)
    alternatives = "|".join(re.escape(n) for n in names)
    if acts_on is not None and re.search(rf"{acts_on.pattern}(?:{alternatives})(?!\w)", folded):
        return True
    # with ``whole``, after where it applies too: "Dans chaque région et dans la collectivité de Corse, une agence
    # régionale de santé a pour mission…" (L. 1431-1)
    where = r"(?:dans chaque [^,.;:]{1,60},\s*)?" if whole else ""
    near_start = re.compile(
        rf"(?:^|[.;:!?]\s+|\n\s*)(?:{PARAGRAPH_NUMBER})?{where}((?:[^\s.;:!?]+\s+){{0,3}}?(?:[a-z]')?)(?:{alternatives})(?!\w)"
    )  # "I.-Le conseil ...": a numbered paragraph opens as a sentence does
    # "Un centre de santé pluriprofessionnel universitaire est un centre de santé …" defines a kind of the
    # notion, not the notion ("c'est quoi un centre de santé ?")
    kind_of = re.compile(rf"\b(?:est|sont) (?:un|une|des) (?:{alternatives})(?!\w)")
    for m in near_start.finditer(folded):
        # "L'Agence nationale du développement professionnel continu concourt…" is about the agency, not the
        # development ("le DPC c'est quoi ?"); "Les missions de l'agence…" stays about the agency (NOT_COMPLEMENT)
        complement = COMPLEMENT.search(m.group(1))
        if complement and not NOT_COMPLEMENT.match(complement.group(1)):
            continue
        # the cue up to the first point, or with ``whole`` to the end of the sentence's main clause, past the point
        # of an article's number ("… mentionnée au 4° de l'article L. 200-2 et, à cet effet, a pour rôle :" says
        # the CNAF's role); the rerank keeps the first point: read whole, a cue far from the notion raised L.
        # 1434-12-1 ("La communauté professionnelle territoriale de santé mentionnée à l'article L. 1434-12…")
        # above the article that defines the CPTS (the test set's mrr@10 0.536 -> 0.531 at the full codes)
        end = (SENTENCE_END if whole else FIRST_POINT).search(folded, m.end())
        sentence = folded[m.start() : end.start() if end else len(folded)]
        if cue.search(sentence) and not kind_of.search(sentence):
            return True
    return False


# the words that end the head of a notion: "centre | de santé", "pharmacie | à usage intérieur"
HEAD_END = frozenset("de du des d a au aux en pour par sur dans avec sans".split())


def plural_of(name: str) -> str:
    """A (folded) notion in the plural: each word of its head, up to its first preposition, takes the plural
    ("centre de sante" -> "centres de sante", "hopital de proximite" -> "hopitaux de proximite", "groupement
    hospitalier de territoire" -> "groupements hospitaliers de territoire"). A word ending in s, x or z keeps its
    form; an acronym gets an s no text writes, so matches nothing."""
    words = name.split()
    out = []
    for i, w in enumerate(words):
        if w in HEAD_END or "'" in w:
            out.extend(words[i:])
            break
        if w.endswith(("s", "x", "z")):
            out.append(w)
        elif w.endswith(("al", "au", "eu")) and len(w) > 3:
            out.append(w[:-1] + "ux" if w.endswith("al") else w + "x")
        else:
            out.append(w + "s")
    return " ".join(out)


def subject_forms(names: list[str]) -> list[str]:
    """The notion's names (``subject_names``) and their plurals (``plural_of``), each once: a sentence may name
    the notion in either."""
    return list(dict.fromkeys(names + [plural_of(n) for n in names]))


# A question term found elsewhere in the passage half-counts for one of its sentences (measured on the eval
# set: citation_support 0.825 at 0, 0.864 at 0.3 and 0.5, 0.845 at 0.7).
CONTEXT_CREDIT = 0.5


# In the answer's choice of sentence (``Answerer._compose``), a term of the passage's last two headings counts
# in full: a code article's sentences are about its section's notion without naming it ("Lors de sa première
# réunion, elle élit son président" under "conférence régionale de la santé et de l'autonomie"). Measured on the
# dev sets: citation@1 0.777 -> 0.825 (questions.jsonl, default index), 0.748 -> 0.777 (full codes), 0.304 ->
# 0.330 (dev_users, full codes), nothing lower. In the rerank's sentence score it raised the dev sets' hit@5
# (dev_users 0.796 -> 0.815 default, 0.554 -> 0.589 full codes) but lowered the test set's (0.742 -> 0.710,
# 0.552 -> 0.541): the rerank keeps the half credit of ``CONTEXT_CREDIT`` for the last heading only.
HEADING_CREDIT = 1.0


def sentence_score(
    sentence_terms: set[str], context: set[str], weights: dict[str, float], heading: frozenset[str] = frozenset()
) -> float:
    """Share of the question's IDF weight in a sentence: terms of ``heading`` (its passage's last two headings,
    given by the answer) count in full, terms elsewhere in its passage (or what it is indexed under) half."""
    total = sum(weights.values()) or 1.0
    return (
        sum(
            w
            if t in sentence_terms
            else HEADING_CREDIT * w
            if t in heading
            else CONTEXT_CREDIT * w
            if t in context
            else 0.0
            for t, w in weights.items()
        )
        / total
    )


def best_sentence_score(index: Index, chunk_id: str, weights: dict[str, float]) -> float:
    return sentence_scores(index, chunk_id, weights)[0]


def sentence_scores(
    index: Index, chunk_id: str, weights: dict[str, float], intent: str | None = None, counted: list[str] = ()
) -> tuple[float, float]:
    """The best sentence score of a chunk, and the best of its sentences that hold a cue phrase of ``intent`` (or,
    for a count question, a number of the ``counted`` nouns)."""
    terms = index.sentence_terms(chunk_id)
    cues = cue_flags(index, chunk_id, intent, counted) if intent else ()
    # ``sentence_score`` of each sentence, read from the passage's masks: the question's terms the passage
    # holds, in the same order, each with its weight in a sentence that holds it and elsewhere in the passage
    # (a term it lacks adds 0 everywhere: the same sums)
    total = sum(weights.values()) or 1.0
    held = []
    for t, w in weights.items():
        m = terms.masks.get(t, 0)
        if m:
            held.append((w, CONTEXT_CREDIT * w if m & 1 else 0.0, m >> 1))
    best = cued = 0.0
    for i in range(terms.n):
        s = sum(w if m >> i & 1 else c for w, c, m in held) / total
        best = max(best, s)
        if cues and cues[i]:
            cued = max(cued, s)
    return best, cued


def question_pairs(index: Index, terms: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """The question's adjacent term pairs (``term_pairs`` of its searched terms: "personne de confiance",
    "commission permanente") as sorted hashes, each weighted by the IDF of its two terms and the weights summing to
    1; None when it has none."""
    weights = {pair_hash(a, b): index.lexical.idf(a) + index.lexical.idf(b) for a, b in adjacent_terms(terms)}
    total = sum(weights.values())
    if not total:
        return None
    keys = np.array(sorted(weights), dtype=np.uint32)
    return keys, np.array([weights[int(k)] / total for k in keys])


def phrase_score(passage_pairs: np.ndarray, pairs: tuple[np.ndarray, np.ndarray]) -> float:
    """The share of the question's pair weight whose pairs the passage holds, adjacent, in one of its sentences
    or last two headings: "personne de confiance" as written, not "personne" here and "confiance" there."""
    keys, weights = pairs
    if not len(passage_pairs):
        return 0.0
    at = np.searchsorted(passage_pairs, keys)
    found = passage_pairs[np.minimum(at, len(passage_pairs) - 1)] == keys
    return float(weights[found].sum())


def cue_flags(index: Index, chunk_id: str, intent: str, counted: list[str] = ()) -> list[bool]:
    """For each sentence of a chunk (the split of ``analysed_sentences``), whether it holds a cue of ``intent``;
    for a count question (``counted``: the nouns counted), whether it gives a number of them.
    A sentence that opens with an indefinite article and its subject ("Un fonds d'intervention régional
    finance...", "Une équipe de soins primaires est...") defines it."""

    def compute():
        text = index.chunks[chunk_id].text
        if counted:
            return [gives_count(text[s:e], counted) for s, e in sentences(text)]
        return [
            has_cue(text[s:e], intent) or (intent == "definition" and bool(DEFINING_OPENING.match(text[s:e])))
            for s, e in sentences(text)
        ]

    key = "count:" + "|".join(counted) if counted else intent
    return index.memo("_cue_cache", f"{key}\x00{chunk_id}", compute)


DEFINING_OPENING = re.compile(r"\s*(?:Un|Une|Des)\s+\w")


def window_coverage(sentence_terms: list[set[str]], weights: dict[str, float]) -> float:
    """Best share of the query's IDF weight found in one sentence or two adjacent ones."""
    total = sum(weights.values())
    if not total or not sentence_terms:
        return 0.0
    best = 0.0
    for i, toks in enumerate(sentence_terms):
        window = toks | sentence_terms[i + 1] if i + 1 < len(sentence_terms) else toks
        best = max(best, sum(w for t, w in weights.items() if t in window))
    return best / total


_SHINGLES: Recent[str, np.ndarray] = Recent(MEMO_SIZE)


def _shingles(text: str) -> np.ndarray:
    """The word 3-grams of a text, as the sorted hashes of their folded words, cut to 32 bits (4 bytes each, where
    a set of the strings took about 120): two passages of 400 words share a cut hash by chance about once in
    25,000 comparisons, and 80 % of their 3-grams must match to make them duplicates."""
    toks = fold(text).split()
    grams = (hash(" ".join(toks[i : i + 3])) & 0xFFFFFFFF for i in range(max(1, len(toks) - 2)))
    return np.unique(np.fromiter(grams, dtype=np.uint32))


def chunk_shingles(chunk: Chunk) -> np.ndarray:
    """Word 3-grams of a chunk, cached by chunk id (an id names one text: it is derived from it)."""
    return _SHINGLES.get(chunk.chunk_id, lambda: _shingles(chunk.text))


def collapse_duplicates(hits: list[Hit], limit: int, threshold: float = 0.8) -> list[Hit]:
    """Drop a hit whose text nearly repeats a better one (same article in two corpora, copied passages)."""
    kept: list[tuple[Hit, np.ndarray]] = []
    for h in hits:
        sh = chunk_shingles(h.chunk)
        if any(
            len(np.intersect1d(sh, s2, assume_unique=True)) / max(1, min(len(sh), len(s2))) >= threshold
            for _, s2 in kept
        ):
            continue
        kept.append((h, sh))
        if len(kept) >= limit:
            break
    return [h for h, _ in kept]


def as_langchain(retriever: Retriever, k: int | None = None):
    """The retriever as a langchain ``BaseRetriever`` (documents carry title, locator and citation data)."""
    from langchain_core.documents import Document as LCDocument
    from langchain_core.retrievers import BaseRetriever

    class AssistantRetriever(BaseRetriever):
        k: int = 5

        def _get_relevant_documents(self, query: str, *, run_manager=None):
            result = retriever.search(query, self.k)
            return [
                LCDocument(
                    page_content=h.chunk.text,
                    id=h.chunk.chunk_id,
                    metadata={
                        "doc_id": h.chunk.doc_id,
                        "title": h.chunk.title,
                        "locator": h.chunk.locator,
                        "breadcrumb": " > ".join(h.chunk.breadcrumb),
                        "source": h.chunk.source,
                        "score": h.score,
                        "start": h.chunk.start,
                        "end": h.chunk.end,
                    },
                )
                for h in result.hits[: self.k]
            ]

    return AssistantRetriever(k=k or retriever.settings.search_k)
