"""The same index against a real `chroma run` server on loopback: same passages, same answers, same metrics."""
import sys
from pathlib import Path

import pytest

from conftest import free_port, start_server
from evals.runner import DEFAULT_QUESTIONS, evaluate, load_questions


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    exe = Path(sys.executable).parent / "chroma"
    port = free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    url = f"http://127.0.0.1:{port}"
    proc = start_server([str(exe), "run", "--path", str(folder / "data"), "--host", "127.0.0.1", "--port", str(port)],
                        url + "/api/v2/heartbeat", folder / "server.log", timeout=60)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_server_mode_matches_embedded_mode(chroma_url, small_corpus, small_index, tmp_path):
    from assistant.index import Index
    from assistant.service import Service
    from ingest.pipeline import refresh

    settings = small_index.model_copy(update={"index": tmp_path / "index", "chroma_url": chroma_url})
    report = refresh(settings, [small_corpus])
    assert not report.failed and report.chunks_embedded == report.chunks_total
    assert not (tmp_path / "index" / "chroma").exists()  # vectors live on the server
    again = refresh(settings, [small_corpus])
    assert not again.changed and again.chunks_embedded == 0

    server, embedded = Service(settings), Service(small_index)
    assert server.index.store.count() == embedded.index.store.count()
    question = "Qui pilote le ciblage des CAQES ?"
    assert [h.chunk.chunk_id for h in server.search(question).hits] == \
        [h.chunk.chunk_id for h in embedded.search(question).hits]
    assert server.ask(question).citations[0].locator == "§ 35"

    questions = load_questions(DEFAULT_QUESTIONS)
    m_server, _ = evaluate(server, questions)
    m_embedded, _ = evaluate(embedded, questions)
    for key in ("hit@1", "hit@5", "mrr@10", "citation_support", "locator_accuracy", "refusal_accuracy"):
        assert m_server[key] == pytest.approx(m_embedded[key]), key
