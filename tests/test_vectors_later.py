"""A generation published before its vectors (``ingest --vectors-later``): it answers at once by BM25 alone, and
the next refresh embeds what it lacks and publishes the generation that searches with vectors too."""

import json
import os

import pytest
from click.testing import CliRunner
from conftest import copy_small_corpus

from assistant import generations
from assistant.cli import cli
from assistant.index import Index, index_header, status, vectors_state
from assistant.service import Service
from assistant.settings import Settings
from ingest.integrity import check
from ingest.pipeline import refresh

pytestmark = pytest.mark.usefixtures("fake_model_env")
QUESTION = "Qui pilote le ciblage des CAQES ?"


@pytest.fixture()
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    return copy_small_corpus(folder)


def test_a_generation_without_vectors_answers_then_the_next_refresh_embeds_it(tmp_path, corpus, monkeypatch):
    settings = Settings(index=tmp_path / "index", vector_cache="off")
    first = refresh(settings, [corpus], vectors_later=True)
    assert first.published and first.chunks_embedded == 0 and first.chunks_total > 0
    idx = Index(settings)
    assert idx.vectors_pending and idx.store.count() == 0
    assert check(idx, sources=False).ok  # no vector is missing from a generation that has none by design
    assert status(settings)["vectors"].startswith("en attente")
    assert "vecteurs : en attente" in index_header(idx)

    service = Service(settings)  # a server: follows CURRENT
    embedded = []
    real = type(service.index.embedder).embed_query
    monkeypatch.setattr(
        type(service.index.embedder), "embed_query", lambda self, q: embedded.append(q) or real(self, q)
    )
    hits = service.search(QUESTION, 5).hits
    assert hits and all(h.dense == 0.0 and h.signals.get("dense", 0.0) == 0.0 for h in hits)
    assert embedded == []  # BM25 alone: the question is not embedded
    answer = service.ask(QUESTION)
    assert answer.answered and "§ 35" in answer.citations[0].locator

    # nothing changed in the files, yet the next refresh without the flag builds the generation with vectors
    second = refresh(settings, [corpus])
    assert second.published and second.generation != first.generation
    assert second.chunks_embedded == first.chunks_total
    done = Index(settings)
    assert not done.vectors_pending and done.store.count() == first.chunks_total
    assert check(done, sources=False).ok and status(settings)["vectors"] == "complets"
    service.reload()  # what a server does in the background at its next question, without a restart
    assert service.index.generation == second.generation
    hits = service.search(QUESTION, 5).hits
    assert embedded and any(h.dense > 0 for h in hits)

    third = refresh(settings, [corpus])  # and then nothing to do
    assert not third.published and third.chunks_embedded == 0


def test_the_flag_on_a_complete_index_changes_nothing_without_changes(tmp_path, corpus):
    settings = Settings(index=tmp_path / "index")
    refresh(settings, [corpus])
    again = refresh(settings, [corpus], vectors_later=True)
    assert not again.published and not Index(settings).vectors_pending


def test_the_command_line_flag_and_status(tmp_path, corpus):
    index = str(tmp_path / "index")
    result = CliRunner().invoke(cli, ["ingest", str(corpus), "--index", index, "--vectors-later", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "(0 calculés)" in result.output
    shown = CliRunner().invoke(cli, ["status", "--index", index])
    assert "vectors: en attente : recherche lexicale seule" in shown.output
    result = CliRunner().invoke(cli, ["ingest", str(corpus), "--index", index, "--quiet"])
    assert result.exit_code == 0 and "publiée" in result.output
    assert "vectors: complets" in CliRunner().invoke(cli, ["status", "--index", index]).output


def test_a_build_records_how_far_its_embedding_got(tmp_path):
    build = tmp_path / "gen-000002"
    build.mkdir()
    generations.note_progress(build, embedded=1, to_embed=2)  # no BUILD.json: no build to note
    assert not (build / generations.BUILD).exists()
    (build / generations.BUILD).write_text(json.dumps({"base": "gen-000001", "pid": 1}))
    generations.note_progress(build, embedded=512, to_embed=20974)
    info = generations.build_info(build)
    assert info == {"base": "gen-000001", "pid": 1, "embedded": 512, "to_embed": 20974}

    class Pending:
        vectors_pending = True

    alive = os.getpid()
    state = vectors_state(Pending(), [{"generation": "gen-000002", "pid": alive, "embedded": 512, "to_embed": 20974}])
    assert state == (
        "en attente : recherche lexicale seule ; 512 / 20974 passages calculés dans la génération gen-000002"
    )
    starting = vectors_state(Pending(), [{"generation": "gen-000002", "pid": alive}])
    assert starting == "en attente : recherche lexicale seule ; génération gen-000002 en préparation"
    gone = 2**22 + 1  # above the kernel's largest pid: no such process
    dead = vectors_state(Pending(), [{"generation": "gen-000002", "pid": gone, "embedded": 5, "to_embed": 9}])
    assert dead.endswith("jusqu'à la prochaine commande ingest (sans --vectors-later)")  # an interrupted build
