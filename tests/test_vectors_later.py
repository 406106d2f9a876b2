"""A generation published before its vectors (``ingest --vectors-later``): it answers at once by BM25 alone, and
the next refresh embeds what it lacks and publishes the generation that searches with vectors too."""

import json
import os

import pytest
from click.testing import CliRunner

from assistant import generations
from assistant.cli import cli
from assistant.index import Index, index_header, status, vectors_state
from assistant.service import Service
from assistant.settings import Settings
from ingest.integrity import check
from ingest.pipeline import refresh

pytestmark = pytest.mark.usefixtures("fake_model_env")
QUESTION = "Qui pilote le ciblage des CAQES ?"


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


def test_status_says_when_the_index_was_analysed_otherwise_and_a_refresh_mends_it(tmp_path, corpus):
    from assistant.settings import ANALYSIS_VERSION

    settings = Settings(index=tmp_path / "index")
    refresh(settings, [corpus])
    assert status(settings)["analysis_version"] == ANALYSIS_VERSION
    assert not any("analysé ses textes autrement" in w for w in status(settings)["warnings"])
    info_path = Index(settings).path / generations.INFO
    info = json.loads(info_path.read_text())
    info_path.write_text(json.dumps({**info, "analysis_version": "0"}))  # an index made by older code
    warned = [w for w in status(settings)["warnings"] if "analysé ses textes autrement" in w]
    assert warned and "version 0 de l'analyse" in warned[0] and f"celle du code est {ANALYSIS_VERSION}" in warned[0]
    again = refresh(settings, [corpus])  # no document changed: the lexical index is rebuilt all the same
    assert again.published
    assert not any("analysé ses textes autrement" in w for w in status(settings)["warnings"])


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


def test_the_flag_after_changes_leaves_only_the_new_passages_to_embed(tmp_path, corpus):
    """On a complete index, --vectors-later with a changed file publishes a generation searched by BM25 until the
    next plain refresh embeds its new passages (those alone); one that only removed a file needs no vectors."""
    settings = Settings(index=tmp_path / "index", vector_cache="off")
    first = refresh(settings, [corpus])
    note = corpus / "nouvelle-note.txt"
    note.write_text("La commission des licornes se réunit chaque printemps dans la forêt domaniale.", encoding="utf-8")
    changed = refresh(settings, [corpus], vectors_later=True)
    assert changed.published and changed.chunks_embedded == 0 and Index(settings).vectors_pending
    done = refresh(settings, [corpus])
    assert done.published and 0 < done.chunks_embedded < first.chunks_total  # the note's passage(s) only
    assert not Index(settings).vectors_pending and check(Index(settings), sources=False).ok

    note.unlink()
    removed = refresh(settings, [corpus], vectors_later=True)
    assert removed.published and not Index(settings).vectors_pending  # every passage left has its vector


def test_an_interrupted_vectors_build_is_resumed_not_discarded(tmp_path, corpus, monkeypatch):
    """The background job killed while embedding: the next `make index` (--vectors-later, nothing changed) keeps
    its unfinished generation, and the plain refresh after it resumes it, embedding nothing again."""
    import errno

    from ingest import pipeline

    settings = Settings(index=tmp_path / "index", vector_cache="off")
    refresh(settings, [corpus], vectors_later=True)

    def fail_after_embedding(point):
        if point == "embedding":
            raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(pipeline, "checkpoint", fail_after_embedding)
    with pytest.raises(pipeline.RefreshFailed):
        refresh(settings, [corpus])
    monkeypatch.undo()
    root = tmp_path / "index"
    unfinished = generations.unfinished(root, generations.current_name(root))
    assert len(unfinished) == 1 and generations.build_info(root / unfinished[0])["embedded"] > 0

    again = refresh(settings, [corpus], vectors_later=True)  # what `make index` runs first
    assert not again.published and generations.unfinished(root, generations.current_name(root)) == unfinished
    resumed = refresh(settings, [corpus])
    assert resumed.published and resumed.resumed == unfinished[0] and resumed.chunks_embedded == 0
    assert not Index(settings).vectors_pending


def test_an_upload_onto_an_index_without_vectors_leaves_them_to_the_background(tmp_path, corpus):
    from assistant.web import ingest_uploads

    settings = Settings(index=tmp_path / "index", upload_dir=tmp_path / "uploads", vector_cache="off")
    refresh(settings, [corpus], vectors_later=True)
    service = Service(settings)
    upload = tmp_path / "comite.txt"
    upload.write_text("Le comité des licornes est présidé par le directeur de la ménagerie.", encoding="utf-8")
    report = ingest_uploads(service, [upload])
    assert "comite.txt : ajouté" in report
    assert Index(settings).vectors_pending and Index(settings).store.count() == 0  # nothing embedded in the request
    assert service.ask("Qui préside le comité des licornes ?").answered


def test_ingest_says_75_when_another_refresh_holds_the_index(tmp_path, corpus):
    """What `make index` tells apart: the background job holds the index (go on serving), or a real failure."""
    index = tmp_path / "index"
    assert CliRunner().invoke(cli, ["ingest", str(corpus), "--index", str(index), "--quiet"]).exit_code == 0
    with generations.writer_lock(index):
        busy = CliRunner().invoke(cli, ["ingest", str(corpus), "--index", str(index), "--vectors-later", "--quiet"])
    assert busy.exit_code == 75 and "déjà en cours" in busy.output
    missing = CliRunner().invoke(cli, ["ingest", str(tmp_path / "nulle-part"), "--index", str(tmp_path / "other")])
    assert missing.exit_code == 1


def test_a_server_takes_up_a_new_calibration_without_a_restart(tmp_path, corpus):
    """The background job calibrates the index again once its vectors are in: a running server reads the new
    values at its next question (same generation), and a value set by the environment still wins."""
    settings = Settings(index=tmp_path / "index")
    refresh(settings, [corpus])
    root = tmp_path / "index"
    model = settings.embedding_model  # a calibration holds for the model it was measured with
    generations.write_calibration(
        root, {"settings": {"dense_weight": 0.1, "min_coverage": 0.2}, "embedding_model": model}
    )
    service = Service(settings)
    assert service.index.settings.min_coverage == 0.2 and service.retriever.settings.dense_weight == 0.1
    generation = service.generation
    generations.write_calibration(
        root, {"settings": {"dense_weight": 0.4, "min_coverage": 0.457}, "embedding_model": model}
    )
    service.search(QUESTION, 3)
    assert service.generation == generation  # the same generation, not reloaded
    assert service.index.settings.min_coverage == 0.457 and service.retriever.settings.dense_weight == 0.4
    assert service.answerer.settings.min_coverage == 0.457

    pinned = Service(Settings(index=root, min_coverage=0.3))  # ASSISTANT_MIN_COVERAGE, say
    generations.write_calibration(
        root, {"settings": {"dense_weight": 0.5, "min_coverage": 0.6}, "embedding_model": model}
    )
    pinned.search(QUESTION, 3)
    assert pinned.index.settings.min_coverage == 0.3 and pinned.retriever.settings.dense_weight == 0.5
