"""A large generation's vectors grouped by nearness (``assistant.store.cluster``, ``ClusteredVectors``): saved
above ``exact_search_max`` when a generation is built, read from the file with ``os.pread`` (never mapped), the
``cluster_probes`` groups nearest to a question scored exactly."""

import re
from pathlib import Path

import numpy as np
import pytest

from assistant import generations
from assistant.index import Index, reads_chroma, status
from assistant.settings import Settings
from assistant.store import ClusteredVectors, ExactVectors, VectorStore, open_exact, pinned, write_exact
from ingest.pipeline import refresh


class Vectors:
    """The two questions ``write_exact`` asks a store."""

    def __init__(self, vectors: dict[str, np.ndarray]):
        self._vectors = vectors

    def all_ids(self) -> list[str]:
        return list(self._vectors)

    def vectors(self, ids) -> dict[str, np.ndarray]:
        return {i: self._vectors[i] for i in ids if i in self._vectors}


def _data(n: int = 3000, centers: int = 40, dim: int = 64, seed: int = 1) -> dict[str, np.ndarray]:
    """Vectors around ``centers`` directions (passages on a few subjects), not of unit length."""
    rng = np.random.default_rng(seed)
    middle = rng.normal(size=(centers, dim))
    which = rng.integers(0, centers, n)
    rows = (middle[which] + 0.6 * rng.normal(size=(n, dim))) * rng.uniform(0.5, 2.0, (n, 1))
    return {f"doc-{i:05d}#{i * 7919 % 10007:x}": rows[i].astype(np.float32) for i in range(n)}


def _mapped_kb(path: Path) -> int:
    total, current = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            current = line.endswith(str(path))
        elif current and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


def test_grouped_vectors_give_the_exact_nearest_when_every_group_is_read_and_nearly_so_with_a_few(tmp_path):
    data = _data()
    store = Vectors(data)
    assert write_exact(store, tmp_path / "exact") == write_exact(store, tmp_path / "grouped", clusters=True) == 3000
    exact = ExactVectors(tmp_path / "exact")
    every = ClusteredVectors(tmp_path / "grouped", probes=10_000)
    assert every.groups == 55  # about the square root of 3,000
    assert every.count() == 3000 and sorted(every.all_ids()) == sorted(data)
    ids = list(data)
    some = [ids[7], ids[2999], "absent"]
    assert every.existing(some) == exact.existing(some) == set(some[:2])
    got, same = every.vectors(some), exact.vectors(some)
    assert set(got) == set(some[:2]) and all(np.array_equal(got[c], same[c]) for c in got)
    assert all(np.abs(got[c] - data[c]).max() <= np.abs(data[c]).max() / 254 * 1.001 for c in got)  # half a step

    rng = np.random.default_rng(2)
    few = ClusteredVectors(tmp_path / "grouped", probes=8)
    recall = []
    for _ in range(20):
        q = data[ids[int(rng.integers(3000))]] + 0.3 * rng.normal(size=64).astype(np.float32)  # near some passages
        truth = exact.query(q, 10)
        assert [c for c, _ in every.query(q, 10)] == [c for c, _ in truth]
        assert [s for _, s in every.query(q, 10)] == pytest.approx([s for _, s in truth], abs=1e-5)
        near = few.query(q, 10)
        assert [s for _, s in near] == sorted((s for _, s in near), reverse=True)
        recall.append(len({c for c, _ in near} & {c for c, _ in truth}) / 10)
    assert np.mean(recall) >= 0.9, recall
    assert len(every.query(q, 10_000)) == 3000
    # the rows are read from the file, never mapped: nothing of it in this process's memory
    assert _mapped_kb((tmp_path / "grouped" / "vectors.npy").resolve()) == 0
    assert _mapped_kb((tmp_path / "exact" / "vectors.npy").resolve()) > 0  # (the exact array is mapped)


def test_damaged_groups_are_refused(tmp_path):
    write_exact(Vectors(_data(500)), tmp_path / "grouped", clusters=True)
    offsets = np.load(tmp_path / "grouped" / "offsets.npy")
    np.save(tmp_path / "grouped" / "offsets.npy", offsets[:-1])
    with pytest.raises(ValueError):
        ClusteredVectors(tmp_path / "grouped", probes=4)
    np.save(tmp_path / "grouped" / "offsets.npy", offsets)
    steps = np.load(tmp_path / "grouped" / "steps.npy")
    np.save(tmp_path / "grouped" / "steps.npy", steps[:-1])
    with pytest.raises(ValueError, match="499 pas"):
        ClusteredVectors(tmp_path / "grouped", probes=4)
    np.save(tmp_path / "grouped" / "steps.npy", steps)
    assert ClusteredVectors(tmp_path / "grouped", probes=4).count() == 500
    with open(tmp_path / "grouped" / "vectors.npy", "r+b") as f:
        f.truncate(f.seek(0, 2) - 64)
    with pytest.raises(ValueError):
        ClusteredVectors(tmp_path / "grouped", probes=4)


@pytest.mark.usefixtures("fake_model_env")
def test_above_exact_search_max_a_generation_saves_its_vectors_in_groups_that_readers_search(
    tmp_path, corpus, monkeypatch
):
    from assistant.service import Service
    from ingest import integrity

    monkeypatch.setenv("ASSISTANT_EXACT_SEARCH_MAX", "50")
    settings = Settings(index=tmp_path / "index")
    assert not refresh(settings, [corpus]).failed
    idx = Index(settings)
    assert idx.catalog.counts()[1] > 50
    assert isinstance(idx.store, ClusteredVectors) and not reads_chroma(settings)
    assert sorted(idx.store.all_ids()) == sorted(idx.catalog.chunk_ids())
    chroma = idx.chroma()
    ids = chroma.all_ids()
    stored, saved = chroma.vectors(ids), idx.store.vectors(ids)
    assert all(np.abs(saved[c] - stored[c]).max() <= np.abs(stored[c]).max() / 254 * 1.001 for c in ids)
    assert Service(settings).ask("Qui pilote le ciblage des CAQES ?").citations[0].locator == "§ 35"
    assert status(settings)["vector_search"].startswith("par groupes (")
    assert integrity.check(idx, sources=False).ok
    # without groups (ASSISTANT_CLUSTER_PROBES=0) the same generation is searched through Chroma
    monkeypatch.setenv("ASSISTANT_CLUSTER_PROBES", "0")
    off = Settings(index=tmp_path / "index")
    assert isinstance(Index(off).store, VectorStore) and reads_chroma(off)
    assert integrity.check(Index(off), sources=False).ok  # groups off is no damage: verify is content
    assert not status(off)["warnings"]
    chroma.close()
    idx.close()
    assert (idx.path / generations.EXACT / "centroids.npy").exists()


@pytest.mark.usefixtures("fake_model_env")
def test_verify_finds_damaged_groups_and_fix_saves_them_again(tmp_path, corpus, monkeypatch):
    from test_exact import _verify_then_fix

    monkeypatch.setenv("ASSISTANT_EXACT_SEARCH_MAX", "50")
    settings = Settings(index=tmp_path / "index")
    refresh(settings, [corpus])
    folder = Index(settings).path / generations.EXACT
    np.save(folder / "rank.npy", np.load(folder / "rank.npy")[:-1])  # the groups lose a row's place
    idx = Index(settings)
    assert isinstance(idx.store, VectorStore) and idx.exact_error  # Chroma answers meanwhile
    idx = _verify_then_fix(settings, "vecteurs exacts illisibles")
    assert isinstance(idx.store, ClusteredVectors) and not idx.exact_error
    assert sorted(idx.store.all_ids()) == sorted(idx.catalog.chunk_ids())


def test_passages_with_the_same_vector_come_in_id_order_however_the_rows_are_laid_out(tmp_path):
    """Identical passages ("Abrogé.") tie: the exact array and the groups give the same ones, in id order."""
    rng = np.random.default_rng(3)
    same = rng.normal(size=32).astype(np.float32)
    data = {f"d{i:03d}": same.copy() for i in range(30)} | {
        f"r{i:03d}": rng.normal(size=32).astype(np.float32) for i in range(200)
    }
    write_exact(Vectors(data), tmp_path / "exact")
    write_exact(Vectors(data), tmp_path / "grouped", clusters=True)
    exact, grouped = ExactVectors(tmp_path / "exact"), ClusteredVectors(tmp_path / "grouped", probes=1000)
    for q in (same, np.zeros(32, dtype=np.float32), rng.normal(size=32).astype(np.float32)):
        assert [c for c, _ in grouped.query(q, 10)] == [c for c, _ in exact.query(q, 10)]
    assert [c for c, _ in exact.query(same, 10)] == [f"d{i:03d}" for i in range(10)]


def test_groups_learned_from_a_sample_and_assigned_in_batches_still_hold_every_vector_once(tmp_path, monkeypatch):
    from assistant import store as store_module

    monkeypatch.setattr(store_module, "CLUSTER_SAMPLE", 300)
    monkeypatch.setattr(store_module, "CLUSTER_BATCH", 137)
    data = _data(2000)
    write_exact(Vectors(data), tmp_path / "exact")
    assert write_exact(Vectors(data), tmp_path / "grouped", clusters=True) == 2000
    exact, grouped = ExactVectors(tmp_path / "exact"), ClusteredVectors(tmp_path / "grouped", probes=1000)
    rank = np.load(tmp_path / "grouped" / "rank.npy")
    assert sorted(rank.tolist()) == list(range(2000))  # every vector in one group, once
    q = next(iter(data.values()))
    assert [c for c, _ in grouped.query(q, 20)] == [c for c, _ in exact.query(q, 20)]


def test_groups_whose_bounds_disagree_with_their_centres_are_refused(tmp_path):
    write_exact(Vectors(_data(500)), tmp_path / "grouped", clusters=True)
    offsets = np.load(tmp_path / "grouped" / "offsets.npy")
    np.save(tmp_path / "grouped" / "offsets.npy", np.concatenate([offsets[:2], offsets[-1:]]))  # right end, few
    with pytest.raises(ValueError):
        ClusteredVectors(tmp_path / "grouped", probes=4)


@pytest.mark.usefixtures("fake_model_env")
def test_exact_search_max_zero_saves_no_array_at_all(tmp_path, corpus, monkeypatch):
    monkeypatch.setenv("ASSISTANT_EXACT_SEARCH_MAX", "0")
    settings = Settings(index=tmp_path / "index")
    refresh(settings, [corpus])
    idx = Index(settings)
    assert not (idx.path / generations.EXACT).exists() and isinstance(idx.store, VectorStore)
    assert not status(settings)["warnings"]
    idx.close()


@pytest.mark.parametrize("grouped", [False, True])
def test_a_folder_replaced_while_it_is_opened_is_read_whole_the_old_one_or_the_new_one(tmp_path, grouped):
    """Readers open the saved vectors' files through one descriptor of their folder: replaced meanwhile
    (``write_exact`` renames the new folder into place, then deletes the old one), the folder is read whole."""
    old = _data(300, seed=1)
    new = {f"n{i:03d}": v for i, v in enumerate(_data(200, seed=2).values())}
    folder = tmp_path / "exact"
    write_exact(Vectors(old), folder, clusters=grouped)
    with pinned(folder) as path:
        folder.rename(tmp_path / "previous")  # replaced, the old one not yet deleted
        write_exact(Vectors(new), folder, clusters=grouped)
        assert sorted(open_exact(path, 4).all_ids()) == sorted(old)  # every file of the old folder
    assert sorted(open_exact(folder, 4).all_ids()) == sorted(new)
    with pinned(folder) as path:
        write_exact(Vectors(old), folder, clusters=grouped)  # replaced and deleted: nothing of it is read
        with pytest.raises(FileNotFoundError):
            open_exact(path, 4)
    assert sorted(open_exact(folder, 4).all_ids()) == sorted(old)


def test_int8_rows_give_the_products_of_the_vectors_they_stand_for_with_any_part_of_a_question():
    """``products`` makes int8 rows float32 a block at a time and reads only the columns a question's part
    uses (a mix's model searched alone): the same values as the vectors' own products."""
    from assistant.store import PRODUCT_BLOCK, products, quantize

    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(2 * PRODUCT_BLOCK + 37, 96)).astype(np.float32)
    rows, steps = quantize(vectors)
    assert rows.dtype == np.int8 and np.abs(rows * steps[:, None] - vectors).max() <= np.abs(vectors).max() / 254
    read = rows * steps[:, None]
    q = rng.normal(size=96).astype(np.float32)
    for part in (slice(0, 96), slice(0, 48), slice(48, 96), slice(10, 11)):
        masked = np.zeros_like(q)
        masked[part] = q[part]
        assert np.allclose(products(rows, masked, steps), read @ masked, atol=1e-4)
        assert np.allclose(products(vectors, masked, None), vectors @ masked, atol=1e-5)
    assert not products(rows, np.zeros_like(q), steps).any()
