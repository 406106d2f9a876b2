"""The vectors' exact array (``assistant.store.write_exact``, ``ExactVectors``): written from embedded Chroma when
a generation is built, searched by readers instead of Chroma, rewritten by each refresh, absent above
``exact_search_max`` and with a Chroma server. Real embedded Chroma, the ``fake`` embedder."""

import json
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
    assert set(exact) == set(ids) and all(exact[c].dtype == np.float32 for c in ids)
    # each value within half a step of Chroma's: the row's largest magnitude over 254
    assert all(np.abs(exact[c] - stored[c]).max() <= np.abs(stored[c]).max() / 254 * 1.001 for c in ids)
    assert not all(np.array_equal(exact[c], stored[c]) for c in ids)  # (rounded: not the same floats)
    assert np.load(idx.path / generations.EXACT / "vectors.npy", mmap_mode="r").dtype == np.int8  # a quarter
    assert idx.store.existing([ids[0], "absent"]) == {ids[0]}

    folder = idx.path / generations.EXACT
    rows, steps = np.load(folder / "vectors.npy"), np.load(folder / "steps.npy")
    assert np.allclose(np.load(folder / "norms.npy"), np.linalg.norm(rows * steps[:, None], axis=1), rtol=1e-6)

    matrix = np.stack([stored[c] for c in ids])
    matrix = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    own = np.stack([exact[c] for c in ids])  # what the array holds
    own = own / np.linalg.norm(own, axis=1, keepdims=True)
    for question in ("Qui pilote le ciblage des CAQES ?", "durée de la convention", "fonds d'intervention régional"):
        q = idx.embedder.embed_query(question)
        got = idx.store.query(q, 10)
        held = own @ (q / np.linalg.norm(q))
        best = sorted(range(len(ids)), key=lambda i: -held[i])[:10]
        assert [c for c, _ in got] == [ids[i] for i in best]  # exactly the 10 nearest of its vectors, best first
        assert [s for _, s in got] == pytest.approx([float(held[i]) for i in best], abs=1e-5)
        sims = dict(zip(ids, (matrix @ (q / np.linalg.norm(q))).tolist(), strict=True))
        tenth = sorted(sims.values(), reverse=True)[9]
        # the 10 nearest by Chroma's own vectors, best first, but for ties closer than the rounding
        assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)
        assert all(sims[c] >= tenth - 0.004 for c, _ in got)
        assert [s for _, s in got] == pytest.approx([sims[c] for c, _ in got], abs=0.002)
        assert {c for c, _ in chroma.query(q, 3)} <= {c for c, _ in got}  # Chroma's nearest are among them
    assert len(idx.store.query(q, 10_000)) == len(ids)
    idx.close()


def test_an_array_saved_in_float32_is_read_as_it_is_and_int8_rows_without_their_steps_are_refused(
    tmp_path, corpus, monkeypatch
):
    """``ASSISTANT_EXACT_VECTOR_BITS=32`` saves Chroma's float32 vectors as they are, as every array was saved
    before 2026-12-05 (no steps): readers read both kinds. int8 rows whose steps are missing or short are not
    read (Chroma answers, and ``exact_error`` says why)."""
    monkeypatch.setenv("ASSISTANT_EXACT_VECTOR_BITS", "32")
    settings = Settings(index=tmp_path / "index")
    refresh(settings, [corpus])
    idx = Index(settings)
    folder = idx.path / generations.EXACT
    assert np.load(folder / "vectors.npy", mmap_mode="r").dtype == np.float32 and not (folder / "steps.npy").exists()
    ids = idx.chroma().all_ids()
    stored = idx.chroma().vectors(ids)
    assert isinstance(idx.store, ExactVectors) and not idx.exact_error
    got = idx.store.vectors(ids)
    assert all(np.array_equal(got[c], stored[c]) for c in ids)
    q = idx.embedder.embed_query("Qui pilote le ciblage des CAQES ?")
    assert idx.store.query(q, 3)[0][0] == idx.chroma().query(q, 1)[0][0]

    monkeypatch.setenv("ASSISTANT_EXACT_VECTOR_BITS", "8")
    (corpus / "igas-2018-041r-deploiement-cpts-synthese.txt").unlink()
    settings = Settings(index=tmp_path / "index")
    refresh(settings, [corpus])  # the next generation's array: int8
    idx = Index(settings)
    folder = idx.path / generations.EXACT
    assert np.load(folder / "vectors.npy", mmap_mode="r").dtype == np.int8 and isinstance(idx.store, ExactVectors)
    saved_steps = np.load(folder / "steps.npy")
    (folder / "steps.npy").unlink()
    broken = Index(settings)
    assert isinstance(broken.store, VectorStore) and "manquants" in broken.exact_error
    assert "steps.npy" in broken.exact_error
    np.save(folder / "steps.npy", saved_steps[:-1])
    short = Index(settings)
    assert isinstance(short.store, VectorStore) and "longueurs différentes" in short.exact_error
    np.save(folder / "steps.npy", saved_steps[:, None])  # one column: every product would be a matrix
    flat = Index(settings)
    assert isinstance(flat.store, VectorStore) and "steps.npy : tableau inattendu" in flat.exact_error
    np.save(folder / "steps.npy", saved_steps)
    assert isinstance(Index(settings).store, ExactVectors)


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


def test_above_exact_search_max_without_groups_readers_search_chroma(tmp_path, corpus, monkeypatch):
    monkeypatch.setenv("ASSISTANT_EXACT_SEARCH_MAX", "5")
    monkeypatch.setenv("ASSISTANT_CLUSTER_PROBES", "0")
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


@pytest.mark.parametrize(
    "model", ["fake", "fake, vectors pending", pytest.param("real", marks=pytest.mark.integration)]
)
def test_a_reader_process_answers_without_importing_chromadb(model, request, tmp_path, corpus):
    """The point of the array: no Chroma client, HNSW index nor chromadb module in a reader (about 100 MB and
    half a second of a full-codes server's start, measured), nor in the master of several workers. Nor for a
    generation published before its vectors (``make run``'s first one), searched by BM25 alone."""
    if model == "fake, vectors pending":
        settings = Settings(index=tmp_path / "index")
        refresh(settings, [corpus], vectors_later=True)
        assert Index(settings).vectors_pending
    else:
        settings = request.getfixturevalue("fake_index" if model == "fake" else "small_index")
    fakes = "import sys; sys.path.insert(0, 'tests'); from fakes import register_fakes; register_fakes(); "
    code = (
        (fakes if model != "real" else "import sys; ")
        + "from pathlib import Path; from assistant.service import Service; from assistant.settings import Settings; "
        f"s = Settings(index=Path({str(settings.index)!r})); "
        "svc = Service(s); svc.warm(); a = svc.ask('Qui pilote le ciblage des CAQES ?'); "
        "from assistant.workers import preload; preload(s); "
        "print(a.answered, a.citations[0].locator, 'chromadb' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k != "ASSISTANT_EMBEDDING_MODEL"}
    if model != "real":
        env["ASSISTANT_EMBEDDING_MODEL"] = "fake"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "§", "35", "False"]


def _verify_then_fix(settings, finding: str) -> Index:
    """`verify` says ``finding`` and exits 1; `verify --fix` then leaves the index consistent. The index after."""
    from click.testing import CliRunner

    from assistant.cli import cli

    runner, index = CliRunner(), ["--index", str(settings.index)]
    result = runner.invoke(cli, ["verify", *index])
    assert result.exit_code == 1 and finding in result.output, result.output
    result = runner.invoke(cli, ["verify", "--fix", *index])
    assert result.exit_code == 0 and "Index cohérent." in result.output, result.output
    return Index(settings)


def test_verify_reads_the_array_readers_search_and_fix_saves_it_again(tmp_path, corpus):
    from assistant.store import EXACT_IDS, EXACT_NORMS, EXACT_STEPS, EXACT_VECTORS

    settings = Settings(index=tmp_path / "index")
    refresh(settings, [corpus])
    folder = _exact_folder(settings)
    for name in (EXACT_IDS, EXACT_NORMS, EXACT_STEPS, EXACT_VECTORS):  # the array loses its last passage
        array = np.load(folder / name)
        np.save(folder / name, array[:-1])
    idx = _verify_then_fix(settings, "1 passage(s) sans vecteur")
    assert isinstance(idx.store, ExactVectors)
    assert sorted(idx.store.all_ids()) == sorted(idx.catalog.chunk_ids())


@pytest.mark.parametrize("damage", ["ids removed", "vectors truncated"])
def test_an_unreadable_array_falls_back_to_chroma_and_verify_fix_saves_it_again(tmp_path, corpus, damage):
    from assistant.service import Service
    from assistant.store import EXACT_IDS, EXACT_VECTORS

    settings = Settings(index=tmp_path / "index")
    refresh(settings, [corpus])
    folder = _exact_folder(settings)
    if damage == "ids removed":
        (folder / EXACT_IDS).unlink()
    else:
        np.save(folder / EXACT_VECTORS, np.load(folder / EXACT_VECTORS)[:-2])
    idx = Index(settings)
    assert isinstance(idx.store, VectorStore) and idx.exact_error  # Chroma answers meanwhile
    assert Service(settings).ask("Qui pilote le ciblage des CAQES ?").citations[0].locator == "§ 35"
    idx = _verify_then_fix(settings, "vecteurs exacts illisibles")
    assert isinstance(idx.store, ExactVectors) and not idx.exact_error
    assert sorted(idx.store.all_ids()) == sorted(idx.catalog.chunk_ids())
    assert sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(generations.EXACT)) == ["exact"]


def test_saving_the_array_again_replaces_it_whole_and_never_saves_one_short_of_the_catalog(tmp_path, corpus):
    """Saving the array again (``verify --fix``) replaces its folder whole: a reader that opened the old one
    keeps reading it, one that opens it afterwards reads the new one. An array that would not hold every
    passage of the catalog is not saved (Chroma is searched) rather than saved wrong."""
    from ingest.build import Builder

    settings = Settings(index=tmp_path / "index")
    refresh(settings, [corpus])
    before = Index(settings)
    q = before.embedder.embed_query("Qui pilote le ciblage des CAQES ?")
    first = before.store.query(q, 5)
    build = Builder(settings, path=before.path)
    assert build.write_exact_vectors() == before.catalog.counts()[1]
    assert before.store.query(q, 5) == first and Index(settings).store.query(q, 5) == first
    build.chroma().delete(before.store.all_ids()[:1])  # Chroma loses a vector, then the array is saved from it
    assert build.write_exact_vectors() == 0
    assert not (before.path / generations.EXACT).exists()
    assert before.store.query(q, 5) == first  # the reader's mapped array is still whole
    assert isinstance(Index(settings).store, VectorStore)
    build.close()


def test_status_says_how_the_vectors_are_searched_and_warns_of_a_generation_without_its_array(tmp_path, corpus):
    import shutil

    from assistant.index import status

    settings = Settings(index=tmp_path / "index")
    refresh(settings, [corpus])
    info = status(settings)
    assert info["vector_search"] == f"exacte ({info['chunks']} vecteurs en tableau partagé)"
    assert not info["warnings"]
    shutil.rmtree(_exact_folder(settings))  # as a generation built before the arrays
    info = status(settings)
    assert info["vector_search"] == "Chroma (HNSW)"
    assert any("--rebuild" in w and "en tableau" in w for w in info["warnings"]), info["warnings"]
    above = settings.model_copy(update={"exact_search_max": 5, "cluster_probes": 0})  # Chroma by design: no warning
    assert status(above)["vector_search"] == "Chroma (HNSW)" and not status(above)["warnings"]
    refresh(settings, [corpus], rebuild=True)
    assert status(settings)["vector_search"].startswith("exacte") and not status(settings)["warnings"]


def test_a_refresh_with_no_change_saves_an_array_of_other_bits_again_without_embedding(tmp_path, corpus, monkeypatch):
    """A float32 array (saved before stop 42, or with ``ASSISTANT_EXACT_VECTOR_BITS=32``) is served as it is, with a
    warning in ``status``; the next ``ingest``, even with no document changed, publishes a generation whose array
    has the bits asked for, from the vectors Chroma holds (nothing embedded), and says so."""
    from click.testing import CliRunner

    from assistant.cli import cli
    from assistant.index import status

    monkeypatch.setenv("ASSISTANT_EXACT_VECTOR_BITS", "32")
    settings = Settings(index=tmp_path / "index")
    refresh(settings, [corpus])
    first = Index(settings)
    assert np.load(first.path / generations.EXACT / "vectors.npy", mmap_mode="r").dtype == np.float32
    assert not status(settings)["warnings"]
    assert not refresh(settings, [corpus]).published  # the bits asked for: nothing to do

    monkeypatch.setenv("ASSISTANT_EXACT_VECTOR_BITS", "8")
    settings = Settings(index=tmp_path / "index")
    warnings = status(settings)["warnings"]
    assert any("32 bits" in w and "ingest" in w for w in warnings), warnings
    assert isinstance(Index(settings).store, ExactVectors)  # served as it is meanwhile

    # a publish that fails says so, not that the array was saved again (the message came before the publish)
    import errno

    from ingest import pipeline

    def disk_error(point):
        if point == "verified":
            raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(pipeline, "checkpoint", disk_error)
    failed = CliRunner().invoke(cli, ["ingest", str(corpus), "--index", str(settings.index), "--quiet"])
    assert failed.exit_code == 1 and "interrompue" in failed.output, failed.output
    assert "demandés" not in failed.output
    assert Index(settings).generation == first.generation
    monkeypatch.setattr(pipeline, "checkpoint", lambda point: None)

    out = CliRunner().invoke(cli, ["ingest", str(corpus), "--index", str(settings.index), "--quiet", "--json"])
    assert out.exit_code == 0, out.output
    assert "32 bits, 8 demandés" in out.output
    report = json.loads(out.output[out.output.index("{") :])
    assert report["published"] and report["chunks_embedded"] == 0
    idx = Index(settings)
    assert idx.generation != first.generation
    folder = idx.path / generations.EXACT
    assert np.load(folder / "vectors.npy", mmap_mode="r").dtype == np.int8 and (folder / "steps.npy").exists()
    assert isinstance(idx.store, ExactVectors) and set(idx.store.all_ids()) == set(first.store.all_ids())
    assert not status(settings)["warnings"]
    assert not refresh(settings, [corpus]).published  # and once saved, a no-change refresh does nothing again


def test_an_array_readers_do_not_search_is_not_saved_again(tmp_path, corpus, monkeypatch):
    """On a Chroma server, or with the groups turned off, readers search Chroma: an array of other bits there is
    neither warned of as served nor saved again."""
    from assistant.index import stale_array_bits

    monkeypatch.setenv("ASSISTANT_EXACT_VECTOR_BITS", "32")
    settings = Settings(index=tmp_path / "index")
    refresh(settings, [corpus])
    base = Index(settings)
    eight = settings.model_copy(update={"exact_vector_bits": 8})
    assert stale_array_bits(base, eight) == 32
    assert stale_array_bits(base, eight.model_copy(update={"chroma_url": "http://127.0.0.1:1"})) is None
    assert stale_array_bits(base, settings) is None
