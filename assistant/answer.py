"""Extractive answers: the sentences of the best passages that answer the question, each with its ``[n]``,
then the numbered citations. When the evidence is too weak, say so and show the closest passages."""
from __future__ import annotations

import re
import time
from dataclasses import replace
from functools import cached_property

from assistant.answertype import expected_type, has_type
from assistant.index import Index
from assistant.records import Answer, Citation, Hit
from assistant.retrieval import Retriever, SearchResult, sentence_score, window_coverage
from assistant.lexical import correct
from assistant.text import analyse, is_stopword, sentences
from assistant.verify import check
from ingest.loaders import display_article

NO_ANSWER = ("Je n'ai pas trouvé de réponse à cette question dans le corpus. "
             "Voici les passages les plus proches, à vérifier :")
HEADING_LINE = re.compile(r"^([IVX]+(\.\d+)?\s*[–—-]|Article\s+\d|\d+\.\d+\.?\s|PR[ÉE]AMBULE)", re.I)
TYPE_LABEL = {"nombre": "de nombre ni de durée", "date": "de date", "nom": "de nom"}
RELATIVE_FLOOR = 0.5  # sentences scoring at least half the best one join the answer (measured: 0.5 to 0.7)
LOOKUP_NOISE = {"article", "prevoit", "dispos", "contenu", "quoi", "que", "resum", "text", "art", "code",
                "css", "csp", "secur", "social", "publiqu", "sant", "convent", "typ", "paragraph"}


def _display_sentence(text: str, locator: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if locator.startswith("§ "):
        number = locator[2:].split(",")[0]
        if re.match(rf"{re.escape(number)}(?=[A-ZÀ-ÖØ-ÞŒ«“\"L’'])", text):  # "35La mise en œuvre"
            text = text[len(number):].lstrip()
    return text


class Answerer:
    def __init__(self, index: Index, retriever: Retriever | None = None):
        self.index = index
        self.retriever = retriever or Retriever(index)
        self.settings = index.settings

    def unknown_words(self, result: SearchResult) -> list[str]:
        """Words of the question that no document of the corpus uses, nor any word of their family
        (after typo correction): the corpus cannot answer about them."""
        lexical = self.index.lexical
        if not lexical.n:
            return []
        out = []
        source = result.question if not result.translated else result.translated
        for w in re.findall(r"\w+", source):
            if is_stopword(w) or w.isdigit() or not (len(w) >= 5 or (len(w) >= 2 and w.isupper())):
                continue
            for t in analyse(w):
                if not lexical.knows(t) and not lexical.knows(correct(lexical, t)):
                    out.append(w)
        return list(dict.fromkeys(out))

    def evidence_strength(self, result: SearchResult, hits: list[Hit]) -> float:
        """Best share of the question's IDF weight held by one or two adjacent sentences of a top-3
        passage (the refusal signal, calibrated on the eval set)."""
        weights = {t: self.index.lexical.idf(t) for t in dict.fromkeys(result.terms)}
        return max((window_coverage(self.index.analysed_sentences(h.chunk.chunk_id), weights) for h in hits[:3]),
                   default=0.0)

    def ask(self, question: str) -> Answer:
        t0 = time.perf_counter()
        result = self.retriever.search(question, self.settings.search_k)
        t = time.perf_counter()
        hits = result.hits[:self.settings.search_k]
        lookup = [h for h in hits if h.reason == "lookup"]
        if result.missing_articles and not lookup:
            names = ", ".join(display_article(a) for a in result.missing_articles)
            what = "Le paragraphe" if names.startswith("§") else "L'article"
            text = (f"{what} {names} ne figure pas dans le corpus indexé ; je ne peux pas en citer le contenu. "
                    "Passages les plus proches :")
            return self._refusal(question, result, hits, text, t0, t)
        unknown = self.unknown_words(result)
        if unknown and not lookup:
            listed = ", ".join(f"« {w} »" for w in unknown)
            text = (f"Aucun document du corpus ne mentionne {listed} : je ne peux pas répondre à partir du corpus. "
                    "Passages les plus proches, à vérifier :")
            return self._refusal(question, result, hits, text, t0, t)
        best_cov = self.evidence_strength(result, hits)
        if not lookup and best_cov < self.settings.min_coverage:
            return self._refusal(question, result, hits, NO_ANSWER, t0, t, best_cov)
        extractive = self._compose(question, result, hits, lookup, t0, t, best_cov)
        if self.settings.llm_backend == "none" or not extractive.answered:
            return extractive
        return self._generate(question, result, lookup or hits, extractive)

    def _generate(self, question: str, result: SearchResult, hits: list[Hit], extractive: Answer) -> Answer:
        """An LLM answer over the same passages, kept only where the verifier finds each sentence in the
        passages it cites; otherwise the extractive answer with a notice."""
        t = time.perf_counter()
        from assistant.llm import passage_text

        pool = hits[:self.settings.llm_passages]
        try:
            text = self.llm.generate(question, pool)
        except Exception as exc:  # network errors, timeouts, bad replies: the extractive answer stands
            reason = "délai dépassé" if "timeout" in type(exc).__name__.lower() or "timed out" in str(exc) else str(exc)[:200]
            return replace(extractive, notice=f"Le modèle de langage n'a pas répondu ({reason}) : réponse extraite "
                                              "des passages.")
        checked = check(text, [passage_text(h, self.settings.llm_passage_chars) for h in pool], embed=self._embed_texts,
                        min_terms=self.settings.verify_min_terms, min_similarity=self.settings.verify_min_similarity)
        kept = [c for c in checked if c.supported]
        unsupported = tuple((c.sentence, c.reason) for c in checked if not c.supported)
        timings = dict(extractive.timings_ms)
        timings["llm"] = (time.perf_counter() - t) * 1000
        if not kept:
            return replace(extractive, unsupported=unsupported, timings_ms=timings,
                           notice="La réponse du modèle de langage n'a pas pu être vérifiée dans les sources : "
                                  "réponse extraite des passages.")
        numbers: dict[int, int] = {}
        for c in kept:
            for n in c.cited:
                numbers.setdefault(n, len(numbers) + 1)
        parts, used = [], {}
        for c in kept:
            body = re.sub(r"\s*\[\d{1,2}\]", "", c.sentence).strip()
            marks = "".join(f"[{numbers[n]}]" for n in c.cited)
            parts.append(f"{body} {marks}")
            for n in c.cited:
                used.setdefault(n, []).append(body)
        citations = tuple(Citation(
            n=new, doc_id=pool[old - 1].chunk.doc_id, title=self._title(pool[old - 1]), locator=pool[old - 1].chunk.locator,
            text=pool[old - 1].chunk.text, score=pool[old - 1].score, breadcrumb=pool[old - 1].chunk.breadcrumb,
            source=pool[old - 1].chunk.source, sentences=tuple(used[old])) for old, new in numbers.items())
        timings["total"] = extractive.timings_ms.get("total", 0.0) + timings["llm"]
        return replace(extractive, answer=" ".join(parts), citations=citations, generated=True,
                       unsupported=unsupported, timings_ms=timings,
                       notice=f"{len(unsupported)} phrase(s) générée(s) non vérifiée(s) retirée(s)." if unsupported else "")

    @cached_property
    def llm(self):
        from assistant.llm import LLM

        return LLM(self.settings)

    def _embed_texts(self, texts):
        return self.index.embedder.embed(list(texts))

    def _refusal(self, question, result, hits, text, t0, t, cov=0.0) -> Answer:
        timings = dict(result.timings_ms)
        timings["answer"] = (time.perf_counter() - t) * 1000
        timings["total"] = (time.perf_counter() - t0) * 1000
        return Answer(question, text, False, (), tuple(result.hits), timings, result.query)

    def _compose(self, question, result, hits, lookup, t0, t, best_cov) -> Answer:
        terms = list(dict.fromkeys(result.terms + analyse(" ".join(result.acronyms))))
        if lookup:
            terms = [x for x in terms if x not in LOOKUP_NOISE and not re.match(r"^[lrda]\d|^\d+$", x)]
        weights = {x: self.index.lexical.idf(x) for x in terms}
        for x in analyse(" ".join(result.expansions)):  # long forms of the question's acronyms count less
            weights.setdefault(x, self.settings.expansion_weight * self.index.lexical.idf(x))
        pool = lookup or hits[:3]
        top_score = pool[0].score if pool else 0.0
        candidates = []  # (score, rank, start, hit, sentence text)
        for rank, hit in enumerate(pool):
            if not lookup and hit.score < 0.5 * top_score:
                continue
            text = hit.chunk.text
            context = self.index.context_terms(hit.chunk.chunk_id)
            analysed = self.index.analysed_sentences(hit.chunk.chunk_id)  # the same split, analysed once
            for i, (s, e) in enumerate(sentences(text)):
                sent = text[s:e].strip()
                n_words = len(sent.split())
                if n_words < 4 or (HEADING_LINE.match(sent) and n_words < 25) or (
                        n_words < 20 and sent[-1] not in ".;:!?»)"):
                    continue  # a title or heading line, not an answer
                toks = analysed[i]
                # a term found elsewhere in the passage (or in what it is indexed under: its title, the
                # acronym of a long form it spells out) half-counts: the sentence is read in its context
                score = sentence_score(toks, context, weights)
                if lookup and not terms:
                    score = 1.0 - 0.01 * (10 * rank + i)  # "que prévoit l'article X ?": its opening sentences
                if sent.startswith("["):
                    score *= 0.5  # a template's instructions to its editor, not its content
                if n_words > 40 and not (lookup and not terms):  # a long sentence holds many words by chance
                    score *= (40 / n_words) ** 0.25
                score += 0.1 / (1 + rank)
                candidates.append((score, rank, s, hit, sent))
        if not candidates:
            return self._refusal(question, result, hits, NO_ANSWER, t0, t, best_cov)
        candidates.sort(key=lambda c: -c[0])
        kind = None if lookup else expected_type(question)
        if kind:
            # The question expects a number, a date or a name: only sentences that hold one may answer it.
            best_any = candidates[0][0]
            candidates = [c for c in candidates if has_type(c[4], kind) and c[0] >= RELATIVE_FLOOR * best_any]
            if not candidates:
                text = (f"Les passages trouvés ne donnent pas {TYPE_LABEL[kind]} en réponse à cette question : "
                        "je ne peux pas répondre à partir du corpus. Passages les plus proches, à vérifier :")
                return self._refusal(question, result, hits, text, t0, t, best_cov)
        best = candidates[0][0]
        # First the best sentence of each passage that holds a good one (several agreeing passages make the
        # answer checkable in more places), then the next best sentences while there is room.
        chosen, said = [], set()
        good = [c for c in candidates if c[0] >= RELATIVE_FLOOR * best]
        firsts = {}
        for c in good:
            firsts.setdefault(c[3].chunk.chunk_id, c)
        order = good if lookup and not terms else list(firsts.values()) + good  # "que prévoit l'article X ?"
        for c in order:
            key = " ".join(c[4].split())
            if key not in said and len(chosen) < self.settings.max_answer_sentences:
                chosen.append(c)
                said.add(key)  # the same sentence in two passages (a decree repeating the law) is said once
        chosen.sort(key=lambda c: (c[1], c[2]))
        numbers: dict[str, int] = {}
        used: dict[str, list[str]] = {}
        parts = []
        for score, rank, start, hit, sent in chosen:
            n = numbers.setdefault(hit.chunk.chunk_id, len(numbers) + 1)
            shown = _display_sentence(sent, hit.chunk.locator)
            used.setdefault(hit.chunk.chunk_id, []).append(shown)
            parts.append(f"{shown} [{n}]")
        by_id = {h.chunk.chunk_id: h for h in pool}
        citations = tuple(
            Citation(n=n, doc_id=by_id[cid].chunk.doc_id, title=self._title(by_id[cid]), locator=by_id[cid].chunk.locator,
                     text=by_id[cid].chunk.text, score=by_id[cid].score, breadcrumb=by_id[cid].chunk.breadcrumb,
                     source=by_id[cid].chunk.source, sentences=tuple(used[cid]))
            for cid, n in numbers.items())
        timings = dict(result.timings_ms)
        timings["answer"] = (time.perf_counter() - t) * 1000
        timings["total"] = (time.perf_counter() - t0) * 1000
        return Answer(question, " ".join(parts), True, citations, tuple(result.hits), timings, result.query)

    def _title(self, hit: Hit) -> str:
        doc = self.index.documents.get(hit.chunk.doc_id, {})
        return doc.get("short_title") if doc.get("kind") != "legifrance" and doc.get("short_title") else hit.chunk.title
