"""The vectors' exact array (``assistant.store.write_exact``, ``ExactVectors``): written from embedded Chroma when
a generation is built, searched by readers instead of Chroma, rewritten by each refresh, absent above
``exact_search_max`` and with a Chroma server. Real embedded Chroma, the ``fake`` embedder."""

import os
import subprocess
import sys

import numpy as np
import pytest

from assistant import generations
from assistant.index import Index, reads_chroma
from assistant.settings import Settings
from assistant.store import ExactVectors, VectorStore
from ingest.pipeline import refresh

pytestmark = pytest.mark.usefixtures("fake_model_env")


def _exact_folder(settings) -> object:
    idx = Index(settings)
    return idx.path / generations.EXACT


def test_readers_search_the_exact_array_which_holds_chromas_vectors_and_finds_the_true_nearest(tmp_path, corpus):
    settings = Settings(index=tmp_path / "index")
    assert not refresh(settings, [corpus]).failed
    idx = Index(settings)
    assert isinstance(idx.store, ExactVectors) and not reads_chroma(settings)
    chroma = idx.chroma()
    ids = chroma.all_ids()
    assert sorted(idx.store.all_ids()) == sorted(ids) == sorted(idx.catalog.chunk_ids())
    stored = chroma.vectors(ids)
    exact = idx.store.vectors(ids + ["absent"])
    assert set(exact) == set(ids) and all(np.array_equal(exact[c], stored[c]) for c in ids)
    assert idx.store.existing([ids[0], "absent"]) == {ids[0]}

    matrix = np.stack([stored[c] for c in ids])
    matrix = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    for question in ("Qui pilote le ciblage des CAQES ?", "durée de la convention", "fonds d'intervention régional"):
        q = idx.embedder.embed_query(question)
        got = idx.store.query(q, 10)
        sims = matrix @ (q / np.linalg.norm(q))
        best = sorted(range(len(ids)), key=lambda i: -sims[i])[:10]
        assert [c for c, _ in got] == [ids[i] for i in best]  # exactly the 10 nearest, best first
        assert [s for _, s in got] == pytest.approx([float(sims[i]) for i in best], abs=1e-5)
        assert {c for c, _ in chroma.query(q, 3)} <= {c for c, _ in got}  # Chroma's nearest are among them
    assert len(idx.store.query(q, 10_000)) == len(ids)
    idx.close()


def test_each_refresh_saves_the_array_of_its_own_generation(tmp_path, corpus):
    settings = Settings(index=tmp_path / "index")
    refresh(settings, [corpus])
    first = Index(settings)
    before = set(first.store.all_ids())
    (corpus / "igas-2018-041r-deploiement-cpts-synthese.txt").unlink()
    report = refresh(settings, [corpus])
    assert report.published and report.removed
    idx = Index(settings)
    assert idx.generation != first.generation
    after = set(idx.store.all_ids())
    assert after == set(idx.catalog.chunk_ids()) and after < before
    gone = before - after
    q = idx.embedder.embed_query("déploiement des CPTS IGAS")
    assert not gone & {c for c, _ in idx.store.query(q, len(before))}
    assert set(first.store.all_ids()) == before  # the previous generation's array is its own, unchanged


def test_above_exact_search_max_readers_search_chroma(tmp_path, corpus, monkeypatch):
    monkeypatch.setenv("ASSISTANT_EXACT_SEARCH_MAX", "5")
    settings = Settings(index=tmp_path / "index")
    refresh(settings, [corpus])
    idx = Index(settings)
    assert idx.catalog.counts()[1] > 5
    assert not (idx.path / generations.EXACT).exists()
    assert isinstance(idx.store, VectorStore) and reads_chroma(settings)
    assert idx.store.query(idx.embedder.embed_query("CAQES"), 3)


def test_a_generation_published_before_its_vectors_has_no_array_until_they_come(tmp_path, corpus):
    settings = Settings(index=tmp_path / "index")
    refresh(settings, [corpus], vectors_later=True)
    assert Index(settings).vectors_pending and not _exact_folder(settings).exists()
    refresh(settings, [corpus])
    idx = Index(settings)
    assert not idx.vectors_pending and isinstance(idx.store, ExactVectors)
    assert idx.store.count() == idx.catalog.counts()[1]


@pytest.mark.integration
def test_a_server_process_answers_without_importing_chromadb(small_index):
    """The point of the array: no Chroma client, HNSW index nor chromadb module in a reader (about 110 MB and
    half a second of a full-codes server's start, measured)."""
    code = (
        "import sys; from pathlib import Path; from assistant.service import Service; "
        "from assistant.settings import Settings; "
        f"a = Service(Settings(index=Path({str(small_index.index)!r}))).ask('Qui pilote le ciblage des CAQES ?'); "
        "print(a.answered, a.citations[0].locator, 'chromadb' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k != "ASSISTANT_EMBEDDING_MODEL"}  # the real model, not the fake
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "§", "35", "False"]


def test_verify_reads_the_array_readers_search_and_fix_saves_it_again(tmp_path, corpus):
    from click.testing import CliRunner

    from assistant.cli import cli
    from assistant.store import EXACT_IDS, EXACT_NORMS, EXACT_VECTORS

    settings = Settings(index=tmp_path / "index")
    refresh(settings, [corpus])
    folder = _exact_folder(settings)
    for name in (EXACT_IDS, EXACT_NORMS, EXACT_VECTORS):  # the array loses its last passage
        array = np.load(folder / name)
        np.save(folder / name, array[:-1])
    runner, index = CliRunner(), ["--index", str(settings.index)]
    result = runner.invoke(cli, ["verify", *index])
    assert result.exit_code == 1 and "1 passage(s) sans vecteur" in result.output, result.output
    result = runner.invoke(cli, ["verify", "--fix", *index])
    assert result.exit_code == 0 and "Index cohérent." in result.output, result.output
    idx = Index(settings)
    assert isinstance(idx.store, ExactVectors)
    assert sorted(idx.store.all_ids()) == sorted(idx.catalog.chunk_ids())
