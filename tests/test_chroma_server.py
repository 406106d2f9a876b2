"""The same index against a real `chroma run` server on loopback: same passages, same answers, same metrics."""

import sys
from pathlib import Path

import pytest
from conftest import free_port, start_server

from evals.runner import DEFAULT_QUESTIONS, evaluate, load_questions

pytestmark = pytest.mark.integration  # a real `chroma run` server, and the real model


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    exe = Path(sys.executable).parent / "chroma"
    port = free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    url = f"http://127.0.0.1:{port}"
    proc = start_server(
        [str(exe), "run", "--path", str(folder / "data"), "--host", "127.0.0.1", "--port", str(port)],
        url + "/api/v2/heartbeat",
        folder / "server.log",
        timeout=60,
    )
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_server_mode_matches_embedded_mode(chroma_url, small_corpus, small_index, tmp_path):
    from assistant.service import Service
    from ingest.pipeline import refresh

    settings = small_index.model_copy(update={"index": tmp_path / "index", "chroma_url": chroma_url})
    report = refresh(settings, [small_corpus])
    assert not report.failed and report.chunks_embedded == report.chunks_total
    assert report.generation == "gen-000001"
    assert not list((tmp_path / "index").rglob("chroma"))  # vectors live on the server
    assert not list((tmp_path / "index").rglob("exact"))  # and are searched there
    again = refresh(settings, [small_corpus])
    assert not again.changed and again.chunks_embedded == 0

    server, embedded = Service(settings), Service(small_index)
    assert server.index.store.count() == embedded.index.store.count()
    assert type(server.index.store).__name__ == "VectorStore" != type(embedded.index.store).__name__
    question = "Qui pilote le ciblage des CAQES ?"
    assert [h.chunk.chunk_id for h in server.search(question).hits] == [
        h.chunk.chunk_id for h in embedded.search(question).hits
    ]
    assert server.ask(question).citations[0].locator == "§ 35"

    questions = load_questions(DEFAULT_QUESTIONS)
    m_server, _ = evaluate(server, questions)
    m_embedded, _ = evaluate(embedded, questions)
    for key in ("hit@1", "hit@5", "mrr@10", "citation_support", "locator_accuracy", "refusal_accuracy"):
        assert m_server[key] == pytest.approx(m_embedded[key]), key


def test_server_mode_publishes_generations_as_collections(chroma_url, small_corpus, tmp_path):
    """Each generation has its own collection on the server: a refresh copies the current one, applies the
    change, publishes; with one generation kept, the old collection is dropped from the server."""
    import shutil

    import chromadb

    from assistant.index import Index
    from assistant.settings import Settings
    from ingest.pipeline import refresh

    corpus = tmp_path / "corpus"
    shutil.copytree(small_corpus, corpus)
    settings = Settings(index=tmp_path / "index", chroma_url=chroma_url, chroma_collection="gens")
    first = refresh(settings, [corpus])
    doc = corpus / "cooperation-ars-assurance-maladie-bretagne.txt"
    doc.write_text(doc.read_text(encoding="utf-8").replace("quatre fois par an", "onze fois par an"), encoding="utf-8")
    second = refresh(settings, [corpus])
    assert second.published and second.generation == "gen-000002" and second.chunks_embedded == 1
    assert second.collected == []  # two generations are kept
    idx = Index(settings)
    assert idx.collection == "gens-gen-000002"
    assert idx.store.count() == idx.catalog.counts()[1] == first.chunks_total
    doc.write_text(doc.read_text(encoding="utf-8") + "\nAjout.\n", encoding="utf-8")
    third = refresh(settings, [corpus])
    assert third.generation == "gen-000003" and third.collected == ["gen-000001"]
    port = int(chroma_url.rsplit(":", 1)[1])
    names = {c.name for c in chromadb.HttpClient(host="127.0.0.1", port=port).list_collections()}
    assert {"gens-gen-000002", "gens-gen-000003"} <= names and "gens-gen-000001" not in names
