"""An open index reads its passages and documents from the catalog when asked for: answering never reads the
whole corpus, and the passages kept in memory stay bounded (``assistant.rows``)."""

import mmap

import pytest

from assistant import generations
from assistant.catalog import Catalog
from assistant.headings import HeadingField, HeadingIndex
from assistant.index import Index, passage_authority
from assistant.records import Chunk, Document
from assistant.service import Service
from assistant.text import analyse, sentences

QUESTIONS = [
    "Qui pilote le ciblage des CAQES ?",
    "c'est quoi une CPTS ?",
    "que prévoit l'article L. 162-30-2 ?",
    "Qui préside la commission régionale de coordination ?",
    "quelle est la durée du contrat ?",
    "que dit l'article 5 de la convention ?",
]


def test_answering_reads_passages_by_id_never_the_whole_catalog(fake_index, monkeypatch):
    def whole(*_a, **_k):
        raise AssertionError("the whole catalog was read to answer a question")

    # (the headings field and the authorities are arrays the builder saved: not even where passages sit is read)
    for name in ("iter_chunks", "iter_documents", "chunks", "documents", "places", "citation_counts"):
        monkeypatch.setattr(Catalog, name, whole)
    svc = Service(fake_index)
    with pytest.raises(AssertionError):  # the check itself can fail
        list(svc.index.chunks.values())
    svc.index.chunks.size = 8
    answered = 0
    for q in QUESTIONS:
        answer = svc.ask(q)
        answered += answer.answered
        assert svc.index.chunks.kept <= 8
    assert answered >= 3


def test_what_answering_computes_per_passage_stays_bounded(fake_index, monkeypatch):
    """Analysed sentences, terms, intent cues and 3-grams are kept for the last passages read only: a server that
    answers for days does not end up holding them for the whole corpus."""
    from assistant import index as index_module
    from assistant import retrieval
    from assistant.rows import Recent

    monkeypatch.setattr(index_module, "MEMO_SIZE", 4)
    monkeypatch.setattr(index_module, "SENTENCE_SETS", 4)
    monkeypatch.setattr(retrieval, "_SHINGLES", Recent(4))
    svc = Service(fake_index)
    idx = svc.index
    for q in QUESTIONS:
        assert svc.ask(q).question == q
    caches = {name: value for name, value in vars(idx).items() if isinstance(value, Recent)}
    assert {"_sentence_terms", "_sentence_sets", "_cue_cache"} <= set(caches)
    assert all(len(cache) <= 4 for cache in caches.values()) and len(retrieval._SHINGLES) <= 4
    # ... and a passage read again gives what it gave when it was computed
    cid = next(iter(idx.catalog.chunk_ids()))
    first = idx.analysed_sentences(cid)
    for other in list(idx.catalog.chunk_ids())[1:6]:
        idx.analysed_sentences(other)
    assert idx.analysed_sentences(cid) == first and idx.analysed_sentences(cid) is not first


def test_recent_keeps_the_last_values_used():
    from assistant.rows import Recent

    cache, calls = Recent(2), []

    def compute(key):
        def run():
            calls.append(key)
            return key.upper()

        return run

    assert [cache.get(k, compute(k)) for k in ("a", "b", "a", "c", "a", "b")] == ["A", "B", "A", "C", "A", "B"]
    # "a" was used again before "c" came, so "b" went first; then "c" went when "b" came back
    assert calls == ["a", "b", "c", "b"] and len(cache) == 2
    cache.clear()  # (an embedder's query vectors, forgotten by ``clear_cache``)
    assert len(cache) == 0 and cache.get("a", compute("a")) == "A" and calls[-1] == "a"


def test_the_bench_s_spread_passages_come_from_the_whole_catalog(fake_index):
    idx = Index(fake_index)
    every = [c.text for c in idx.catalog.iter_chunks()]
    spread = idx.catalog.spread_texts(5)
    assert len(spread) == 5 and set(spread) <= set(every)
    assert spread == idx.catalog.spread_texts(5)  # the same ones each time
    # passages from all over the catalog, not its first rows; asked for more than it holds, all of them
    whole = idx.catalog.spread_texts(10**6)
    assert sorted(whole) == sorted(every) and spread != whole[: len(spread)]
    # ... also when asked for nearly as many as it holds: spread, the last ones included
    most = idx.catalog.spread_texts(len(every) - 2)
    assert len(set(most)) == len(every) - 2 and most[-1] in whole[-2:] and most != whole[: len(most)]


def test_the_passages_read_on_demand_are_those_of_the_catalog(fake_index):
    idx = Index(fake_index)
    every = {c.chunk_id: c for c in idx.catalog.iter_chunks()}
    assert len(idx.chunks) == len(every) > 10
    idx.chunks.size = 3
    for cid, chunk in every.items():
        assert idx.chunks[cid] == chunk and cid in idx.chunks
    assert idx.chunks.kept == 3
    assert idx.chunks.many(list(every)[:5] + ["absent"]) == {k: every[k] for k in list(every)[:5]}
    assert "absent" not in idx.chunks and idx.chunks.get("absent") is None
    with pytest.raises(KeyError):
        idx.chunks["absent"]
    assert dict(idx.chunks.items()) == every
    for doc_id, chunks in idx.chunks_by_doc.items():
        assert idx.chunks_by_doc[doc_id] == chunks == sorted(chunks, key=lambda c: c.start)
        assert [c.chunk_id for c in chunks] == [c for c in every if every[c].doc_id == doc_id]
    docs = dict(idx.documents.items())
    assert set(docs) == set(idx.documents) == {c.doc_id for c in every.values()}
    assert all(idx.documents[d] == meta and "text" not in meta for d, meta in docs.items())
    numbers = {m["article"] for m in docs.values() if m["article"]}
    assert set(idx.articles) == numbers and "L162-30-2" in idx.articles and "L999-9" not in idx.articles
    assert "" not in idx.articles and idx.articles.get("") is None  # the documents that are no article
    assert set(idx.chunks_by_doc) == {c.doc_id for c in every.values()} == set(dict(idx.chunks_by_doc.items()))
    assert len(idx.chunks_by_doc) == len(set(idx.chunks_by_doc))
    # the headings field is the same built from where the passages sit as from the passages themselves
    built = HeadingIndex.build(every.values())
    placed = HeadingIndex.build(idx.catalog.places())
    assert (placed.paths, placed.first_of_section, placed.members) == (
        built.paths,
        built.first_of_section,
        built.members,
    )


def test_a_unit_is_found_with_its_sub_units_and_no_other(tmp_path):
    cat = Catalog(tmp_path / "catalog.sqlite")
    text = "x" * 100
    doc = Document(doc_id="conv", title="Convention", text=text, source="conv.txt")
    locators = ["Article 4", "Article 5", "Article 5.1", "Article 5.2.1", "Article 50", "Article 5bis", "Article 6"]
    chunks = [
        Chunk(chunk_id=f"c{i}", doc_id="conv", text=loc, locator=loc, start=i * 10, end=i * 10 + 9)
        for i, loc in enumerate(locators)
    ]
    cat.replace(doc, chunks, "h", 100, 0.0, "2026-12-02")
    assert [c.locator for c in cat.chunks_at("Article 5")] == ["Article 5", "Article 5.1", "Article 5.2.1"]
    assert [c.locator for c in cat.chunks_at("Article 5.2")] == ["Article 5.2.1"]
    assert [c.locator for c in cat.chunks_at("Article 50")] == ["Article 50"]
    assert cat.chunks_at("Article 7") == []
    assert cat.chunks_at("Article 5")[0].title == "Convention"  # the document's fields come with the chunk


def test_a_server_warm_up_answers_without_the_llm(fake_index, monkeypatch):
    from fakes import FAKE

    from assistant.answer import Answerer

    def no_llm(*_a, **_k):
        raise AssertionError("the LLM was called")

    monkeypatch.setattr(Answerer, "_generate", no_llm)
    svc = Service(fake_index.model_copy(update={"llm_backend": FAKE}))
    svc.warm()  # a remote, paid or slow call at every start and switch otherwise
    with pytest.raises(AssertionError, match="LLM"):  # a question does use it
        svc.ask("Qui pilote le ciblage des CAQES ?")


def test_the_reader_writes_nothing_and_the_builder_creates(fake_index, tmp_path):
    """Opening an index that is not there fails without creating anything; only ``ingest.build.Builder``
    creates a generation (its folder and ``index.json``) and rebuilds its lexical index."""
    from assistant import generations
    from assistant.errors import IndexMissing
    from ingest.build import Builder

    settings = fake_index.model_copy(update={"index": tmp_path / "nothing"})
    with pytest.raises(IndexMissing):
        Index(settings)
    with pytest.raises(IndexMissing):
        Index(settings, path=tmp_path / "nothing" / "gen-000001")
    assert not (tmp_path / "nothing").exists()
    assert not hasattr(Index, "rebuild_derived") and not hasattr(Index, "write_info")

    build = Builder(settings, path=tmp_path / "nothing" / "gen-000001")
    assert (build.path / generations.INFO).exists() and build.catalog.counts() == (0, 0)
    build.rebuild_derived()
    assert (build.path / generations.LEXICAL).is_dir()
    build.close()
    assert Index(settings, path=build.path).catalog.counts() == (0, 0)  # and a reader opens what it made


def test_a_generation_without_its_catalog_is_refused_not_served_empty(fake_index, tmp_path):
    import shutil

    from assistant import generations
    from assistant.errors import IndexMissing

    src = Index(fake_index)
    copy = tmp_path / "gen-000001"
    shutil.copytree(src.path, copy)
    for name in generations.CATALOG_FILES:
        (copy / name).unlink(missing_ok=True)
    with pytest.raises(IndexMissing, match="catalogue absent"):
        Index(fake_index, path=copy)
    assert not (copy / generations.CATALOG).exists()


def test_the_saved_fields_are_those_the_passages_give(fake_index, monkeypatch):
    """The headings field and the authorities the builder saved with the lexical index score as the field
    computed from the passages, and a server opening the index builds neither."""
    idx = Index(fake_index)
    every = list(idx.catalog.iter_chunks())
    built = HeadingIndex.build(every)
    monkeypatch.setattr(HeadingIndex, "build", lambda *_a: pytest.fail("the headings field was built at start"))
    field = idx.headings
    assert isinstance(field.a["chunk_section"].base.base, mmap.mmap)  # read from the mapped file, not loaded
    ids = idx.lexical.chunk_ids
    assert sorted(ids) == sorted(c.chunk_id for c in every)
    section = {c.chunk_id: tuple(c.breadcrumb) for c in every}
    for question in [*QUESTIONS, "fonds d'intervention régional", "licornes", "dispositions générales"]:
        terms = analyse(question)
        expected = built.path_scores(terms)
        scores = field.section_scores(terms)
        if not expected:
            assert scores is None
            continue
        for pos, cid in enumerate(ids):
            assert field.score_at(pos, scores) == pytest.approx(expected.get(section[cid], 0.0))
        best = field.top_sections(scores, 3)
        assert [round(scores[s], 9) for s in best] == sorted((round(v, 9) for v in expected.values()), reverse=True)[:3]
        assert all(field.members(s) == built.members[section[field.members(s)[0]]] for s in best)
    assert {c for pos, c in enumerate(ids) if field.opens_at(pos)} == built.first_of_section
    assert list(idx.authority) == list(passage_authority(idx.catalog, ids, idx.catalog.places()))


def test_an_index_saved_without_its_fields_computes_them(fake_index, tmp_path):
    """A generation written before the builder saved the fields (or whose fields are unreadable) still has them."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(fake_index.index, copy)
    settings = fake_index.model_copy(update={"index": copy})
    idx = Index(settings)
    for f in (idx.path / generations.LEXICAL).glob("*.npy"):
        if f.name.startswith(("heading", "section", "chunk_")):
            f.unlink()
    again = Index(settings)
    assert isinstance(again.headings, HeadingField) and len(again.authority) == again.lexical.n
    saved = Index(fake_index)
    assert list(again.authority) == list(saved.authority)
    terms = analyse("fonds d'intervention régional")
    assert list(again.headings.section_scores(terms)) == pytest.approx(list(saved.headings.section_scores(terms)))


def test_headings_are_shown_with_their_accents_without_the_french_vocabulary(fake_index, monkeypatch):
    """The builder saved each heading's accented form: a server shows them without loading the word list that
    finds them."""
    import assistant.text as text

    idx = Index(fake_index)
    headings = {b for c in idx.catalog.iter_chunks() for b in c.breadcrumb if b}
    expected = {h: text.accented(h) for h in headings}
    assert any(h != shown for h, shown in expected.items())  # the small corpus has slugs to mend
    monkeypatch.setattr(text, "_accented_forms", lambda: pytest.fail("the French vocabulary was loaded"))
    assert {h: idx.shown_heading(h) for h in headings} == expected
    assert idx.shown_heading("Un intitulé inconnu") == "Un intitulé inconnu"
    answer = Service(fake_index).ask("c'est quoi une CPTS ?")
    assert answer.citations
    for c in answer.citations:
        raw = next(x.breadcrumb for x in idx.chunks_by_doc[c.doc_id] if x.locator == c.locator)
        assert c.breadcrumb == tuple(expected.get(b, b) for b in raw)


def test_sections_that_match_as_well_come_in_the_catalog_s_order(fake_index):
    """Ties between sections (every section under a matching heading scores the same) are broken by the order
    of the catalog, the codes' own: the heading candidates do not depend on how headings sort as text."""
    idx = Index(fake_index)
    field = idx.headings
    first_position = {}
    for pos in range(idx.lexical.n):
        section = int(field.a["chunk_section"][pos])
        if section >= 0:
            first_position.setdefault(section, pos)
    for question in [*QUESTIONS, "dispositions générales", "agence régionale de santé"]:
        scores = field.section_scores(analyse(question))
        if scores is None:
            continue
        best = field.top_sections(scores, 10)
        for a, b in zip(best, best[1:], strict=False):
            if scores[a] == scores[b]:
                assert first_position[a] < first_position[b], (question, a, b)


def test_a_damaged_field_is_computed_again(fake_index, tmp_path):
    """A truncated array (a crash while it was written) is not an error for questions: computed as before."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(fake_index.index, copy)
    settings = fake_index.model_copy(update={"index": copy})
    folder = Index(settings).path / generations.LEXICAL
    for name in ("chunk_section.npy", "chunk_authority.npy", "heading_shown.npy"):
        (folder / name).write_bytes(b"")
    again = Index(settings)
    saved, terms = Index(fake_index), analyse("agence régionale de santé")
    assert list(again.authority) == list(saved.authority)
    assert list(again.headings.section_scores(terms)) == pytest.approx(list(saved.headings.section_scores(terms)))
    assert Service(settings).ask("c'est quoi une CPTS ?").answered


def test_the_saved_bm25_scores_as_bm25s_does_without_importing_it(fake_index, tmp_path):
    """A server scores questions from the three saved arrays: the same scores as bm25s over the same files,
    repeated and unknown terms included, and neither bm25s nor scipy imported to open or search."""
    import subprocess
    import sys

    import bm25s
    import numpy as np

    from assistant.lexical import LexicalIndex, MappedBM25

    folder = Index(fake_index).path / generations.LEXICAL
    mine = LexicalIndex.load(folder)
    assert isinstance(mine._bm25, MappedBM25)
    theirs = bm25s.BM25.load(str(folder / "bm25"), mmap=True)
    vocab = [t for t in theirs.vocab_dict if t]
    queries = [analyse(q) for q in QUESTIONS] + [vocab[:3] + vocab[:2], [vocab[-1], "motinconnu"], ["motinconnu"]]
    compared = 0
    for terms in queries:
        known = [t for t in terms if t in theirs.vocab_dict]
        got = mine.scores(terms)
        if known:
            want = np.asarray(theirs.get_scores(known), dtype=np.float32)
            assert np.array_equal(got, want), terms
            compared += bool(want.any())
        else:
            assert not got.any()
    assert compared >= len(QUESTIONS)
    # a bm25s index scored otherwise (BM25+: a non-occurrence array) is read by bm25s
    plus = tmp_path / "bm25"
    index = bm25s.BM25(method="bm25+")
    index.index([["un", "mot"], ["autre", "mot"]], show_progress=False)
    index.save(str(plus))
    assert MappedBM25.load(plus) is None
    code = (
        "import sys; from pathlib import Path; from assistant.lexical import LexicalIndex; "
        f"ix = LexicalIndex.load(Path({str(folder)!r})); ix.top(['cpts', 'caqes'], 5); "
        "print(sorted(m for m in ('bm25s', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_passages_ids_are_mapped_arrays_that_find_positions(fake_index, tmp_path):
    """A server opens the ids of the passages as two mapped arrays, not a list and a dict of every id: each id's
    position is found by binary search, the same as the saved order gives, and an id the index lacks (or one
    that only shares the saved ones' first bytes) is not found."""
    import json
    import shutil

    import numpy as np

    from assistant.lexical import LexicalIndex, MappedIds

    folder = Index(fake_index).path / generations.LEXICAL
    saved = json.loads((folder / "chunk_ids.json").read_text())
    lex = LexicalIndex.load(folder)
    assert isinstance(lex.chunk_ids, MappedIds) and lex.position is lex.chunk_ids
    assert list(lex.chunk_ids) == saved and len(lex.chunk_ids) == lex.n == len(saved)
    assert all(lex.chunk_ids[i] == cid and lex.position[cid] == i for i, cid in enumerate(saved))
    longest = max(saved, key=len)
    asked = [*reversed(saved), "absent", longest + "x", longest[:-1], ""]
    assert list(lex.positions(asked)) == [saved.index(c) if c in saved else -1 for c in asked]
    assert "absent" not in lex.position and lex.position.get("absent") is None and saved[0] in lex.position
    with pytest.raises(KeyError):
        lex.position["absent"]
    # ids of any script and length, as a builder saves them
    ids = ["é-1", "b", "a" * 40, "z", "ü"]
    arrays = MappedIds.arrays_of(ids)
    mapped = MappedIds(arrays["chunk_ids"], arrays["chunk_order"])
    assert list(mapped) == ids and list(mapped.positions(["ü", "a" * 41, "a", "b"])) == [4, -1, -1, 1]
    # ids the arrays cannot hold as they are (a duplicate, a NUL byte, a lone surrogate): none saved, the JSON
    # list is read
    for odd in (["a", "b", "a"], ["a", "b\x00"], ["a", "\ud800"]):
        assert MappedIds.arrays_of(odd) == {}
    # an index saved before the ids were arrays reads its JSON list, and answers the same
    copy = tmp_path / "copy"
    shutil.copytree(fake_index.index, copy)
    settings = fake_index.model_copy(update={"index": copy})
    old = Index(settings).path / generations.LEXICAL
    for name in ("chunk_ids.npy", "chunk_order.npy"):
        (old / name).unlink()
    before = Service(fake_index)
    after = Service(settings)
    assert isinstance(after.index.lexical.position, dict)
    for q in QUESTIONS:
        a, b = before.search(q), after.search(q)
        assert [(h.chunk.chunk_id, h.score) for h in a.hits] == [(h.chunk.chunk_id, h.score) for h in b.hits]
    assert np.array_equal(after.index.lexical.positions(asked), lex.positions(asked))


def test_a_passage_terms_table_gives_the_sets_it_was_made_of_and_the_rerank_their_scores(fake_index):
    """``SentenceTerms`` keeps a passage's sentence terms and indexed terms as one table of bit masks: read back,
    they are the sets they were made of, and the rerank's sentence scores read from the masks are those of
    ``sentence_score`` over the sets, for every passage and for questions of every kind."""
    from assistant.index import ContextTerms, SentenceTerms
    from assistant.retrieval import sentence_score, sentence_scores

    # a term of a sentence that the passage is not indexed under ("art" of a split article reference) stays so
    table = SentenceTerms([{"agenc", "region"}, set(), {"art", "agenc"}], ["agenc", "region", "sant", "agenc"])
    assert table.sentences() == [{"agenc", "region"}, set(), {"art", "agenc"}]
    context = ContextTerms(table)
    assert set(context) == {"agenc", "region", "sant"} and len(context) == 3
    assert "art" not in context and "sant" in context and frozenset({"sant", "region"}) <= context
    assert context | {"x"} == {"agenc", "region", "sant", "x"} and context - {"sant"} == {"agenc", "region"}
    assert {"sant", "art"} & context == {"sant"}
    # a long passage: sentence 69's bit is far beyond a machine word's
    many = [{f"t{i}", "commun"} for i in range(70)]
    long = SentenceTerms(many, ["commun", "t3"])
    assert long.sentences() == many and long.masks["t69"] == 2 << 69 and set(ContextTerms(long)) == {"commun", "t3"}

    idx = Service(fake_index).index
    questions = [analyse(q) for q in QUESTIONS] + [["art", "agenc"], ["inconnu"]]
    checked = 0
    for cid in idx.catalog.chunk_ids():
        sets, context = idx.analysed_sentences(cid), idx.context_terms(cid)
        text = idx.chunks[cid].text
        spans = sentences(text)
        assert all(set(analyse(text[a:b])) <= s for s, (a, b) in zip(sets, spans, strict=True))
        assert set(context) == set(idx.index_terms(idx.chunks[cid]))
        for terms in questions:
            weights = {t: idx.lexical.idf(t) + 0.1 for t in dict.fromkeys(terms)}
            best, _ = sentence_scores(idx, cid, weights)
            assert best == max((sentence_score(s, set(context), weights) for s in sets), default=0.0)
            checked += best > 0
    assert checked > 20


def test_documents_and_passages_read_share_the_values_they_repeat(fake_index):
    """A code's title, type and date are read once per document and passage: the values are shared, so that a
    server's caches of documents and passages hold one copy of each, not one per document."""
    idx = Service(fake_index).index
    docs = [d for _doc_id, d in idx.catalog.iter_documents()]
    by_title = {}
    for d in docs:
        by_title.setdefault(d["title"], []).append(d)
    shared = [group for group in by_title.values() if len(group) > 1]
    assert shared, "the test index has documents with the same title"
    for group in shared:
        assert group[0]["title"] and group[0]["doc_type"]  # (one empty string object would pass without sharing)
        assert all(d["title"] is group[0]["title"] and d["doc_type"] is group[0]["doc_type"] for d in group)
    chunks = list(idx.catalog.iter_chunks())
    same = [c for c in chunks if c.doc_id == chunks[0].doc_id]
    assert same[0].title and len(same) > 1 and all(c.title is same[0].title for c in same)
    assert all(c.doc_type is same[0].doc_type for c in same)


def test_the_terms_frequencies_and_vocabulary_are_mapped_arrays_that_answer_as_the_saved_dicts(fake_index, tmp_path):
    """A server reads the documents' frequencies and BM25's vocabulary from sorted arrays mapped from the index,
    not from two dicts parsed from JSON in every process: every term gives the saved value, a term absent (or
    one that only shares a saved term's first bytes) is absent, ``knows`` answers as the prefixes' set did, and
    an index saved before the arrays (or with one damaged) reads its JSON files and answers the same."""
    import json
    import shutil

    import numpy as np

    from assistant.lexical import TERMS, LexicalIndex, TermCounts

    folder = Index(fake_index).path / generations.LEXICAL
    saved_df = json.loads((folder / "df.json").read_text())
    saved_vocab = json.loads((folder / "bm25" / "vocab.index.json").read_text())
    lex = LexicalIndex.load(folder)
    assert isinstance(lex.df, TermCounts) and isinstance(lex._bm25.vocab_dict, TermCounts)
    assert isinstance(lex.df.terms, np.memmap) or isinstance(lex.df.terms.base, np.memmap)
    assert dict(lex.df) == saved_df and dict(lex._bm25.vocab_dict) == saved_vocab
    assert all(lex.df[t] == n and t in lex.df and lex.df.get(t) == n for t, n in saved_df.items())
    longest = max(saved_df, key=len)
    for absent in ("motinconnu", longest + "x", longest[:-1] if longest[:-1] not in saved_df else "zz", 3, None):
        assert absent not in lex.df and lex.df.get(absent, -1) == -1
    with pytest.raises(KeyError):
        lex.df["motinconnu"]

    def knew(token):  # the set of prefixes ``knows`` built before
        prefixes = {t[:5] for t in saved_df if len(t) >= 5} | {
            t[:n] for t in saved_df for n in range(3, min(5, len(t)) + 1)
        }
        return token in saved_df or token[:5] in prefixes

    tokens = [t[:k] + x for t in list(saved_df)[:200] for k in (2, 3, 4, 5, 6) for x in ("", "zq")]
    assert [lex.knows(t) for t in tokens] == [knew(t) for t in tokens]
    assert any(knew(t) and t not in saved_df for t in tokens) and not all(knew(t) for t in tokens)
    # many at once (a spelling correction's candidates), and the correction they give, as with the dict
    import types

    from assistant.lexical import correct

    asked = [*tokens, "é" * 40, "", longest]
    assert lex.df.known(asked) == [t for t in asked if t in saved_df]
    typos = [t[:-1] + "x" + t[-1] for t in saved_df if len(t) >= 6][:60] + ["motinconnu"]
    as_dict, as_table = types.SimpleNamespace(df=saved_df), types.SimpleNamespace(df=lex.df)
    assert [correct(as_table, t) for t in typos] == [correct(as_dict, t) for t in typos]
    assert any(correct(as_table, t) != t for t in typos)
    # terms of any script, the empty term bm25s keeps in its vocabulary, values beyond 32 bits
    odd = {"é": 1, "": 7, "ü" * 30: 2**40, "a": 3}
    table = TermCounts.of(odd)
    assert isinstance(table, TermCounts) and dict(table) == odd and len(table) == 4
    assert table.has_prefix("üü") and not table.has_prefix("b") and "ü" not in table
    for cannot in ({"a\x00": 1}, {"\ud800": 1}, {"a": 2**70}):
        assert TermCounts.of(cannot) is cannot
    # an index saved before the arrays, and one whose arrays are damaged, read the JSON files: the same answers
    before = Service(fake_index)
    for damage in ("absent", "truncated"):
        copy = tmp_path / damage
        shutil.copytree(fake_index.index, copy)
        settings = fake_index.model_copy(update={"index": copy})
        terms = Index(settings).path / generations.LEXICAL / TERMS
        if damage == "absent":
            shutil.rmtree(terms)
        else:
            data = (terms / "df_terms.npy").read_bytes()
            (terms / "df_terms.npy").write_bytes(data[: len(data) // 2])
        after = Service(settings)
        assert dict(after.index.lexical.df) == saved_df
        for q in QUESTIONS:
            a, b = before.search(q), after.search(q)
            assert [(h.chunk.chunk_id, h.score) for h in a.hits] == [(h.chunk.chunk_id, h.score) for h in b.hits]
