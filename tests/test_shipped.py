"""Passage vectors shipped with the repository (``codes/vectors.npz``, ``assistant/shipped.py``): exported from an
index and its vector cache, imported into another cache, they let a refresh of the same texts embed nothing; a bad
file is refused with a French message naming it and the cache is left as it was; and the shipped file holds the
vectors of today's passages of ``corpus/`` and the two codes (integration)."""

import hashlib
import json
import os
import runpy
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from fakes import FAKE, HashEmbedder
from test_mix import MIX, SaltedEmbedder, salted  # noqa: F401  (the fixture registers the salted model)

from assistant import shipped
from assistant.cli import cli
from assistant.index import Index
from assistant.service import Service
from assistant.settings import Settings
from assistant.shipped import (
    ShippedVectorsError,
    digests,
    export_vectors,
    import_vectors,
    model_texts,
    read_shipped,
)
from assistant.vectorcache import VectorCache, embedder_identity, text_hash
from ingest.pipeline import refresh

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "codes" / "vectors.npz"


def texts_of(settings: Settings) -> list[str]:
    idx = Index(settings)
    return [c.embedding_text(idx.passage_format) for c in idx.catalog.iter_chunks()]


def count(cache_file: Path) -> int:
    with sqlite3.connect(cache_file) as db:
        return db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]


def test_shipped_vectors_let_a_refresh_of_the_same_texts_embed_nothing_and_give_the_same_rows(tmp_path, corpus):
    first = Settings(index=tmp_path / "a" / "index", embedding_model=MIX)
    report = refresh(first, [corpus])
    assert report.published and report.chunks_embedded == report.chunks_total > 0
    out = tmp_path / "vectors.npz"
    counts = export_vectors(Index(first), out)
    # each model of the mix apart, every passage
    assert counts == {FAKE: report.chunks_total, embedder_identity(SaltedEmbedder()): report.chunks_total}

    second = Settings(index=tmp_path / "b" / "index", embedding_model=MIX)  # a cache of its own, empty
    added = import_vectors(out, VectorCache(tmp_path / "b" / "vector-cache.sqlite"))
    texts = texts_of(first)
    assert added == {name: (len(set(t)), len(set(t))) for name, _, t in model_texts(Index(first).embedder, texts)}
    report = refresh(second, [corpus])
    assert report.published and report.chunks_embedded == 0 and report.chunks_from_cache == report.chunks_total
    # the rows of the first index's array, as it rounds them (a text read by two passages aside: one vector each)
    a, b = Index(first), Index(second)
    ids = [c.chunk_id for c in a.catalog.iter_chunks()]
    va, vb = a.store.vectors(ids), b.store.vectors(ids)
    assert max(float(np.abs(va[i] - vb[i]).max()) for i in ids) < 1e-5
    q = "Qui pilote le ciblage des CAQES ?"
    hits = [[h.chunk.chunk_id for h in Service(s, follow=False).search(q, 5).hits] for s in (first, second)]
    assert hits[0] == hits[1]


def index_of(tmp_path: Path, texts: list[str], model: str = FAKE) -> Index:
    """An index of one file per text (no headings, so that a passage is its text), built with ``model``."""
    folder = tmp_path / "src"
    folder.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(texts):
        (folder / f"doc-{i}.txt").write_text(text + "\n", encoding="utf-8")
    settings = Settings(index=tmp_path / "index", embedding_model=model)
    assert refresh(settings, [folder]).published
    return Index(settings)


def test_the_vectors_are_read_from_the_index_in_batches_whatever_their_size(tmp_path, monkeypatch):
    idx = index_of(tmp_path, [f"Article {i} : la caisse primaire verse la prestation {i}." for i in range(5)])
    export_vectors(idx, tmp_path / "whole.npz")
    monkeypatch.setattr(shipped, "READ_BATCH", 2)  # three batches, the last one short
    export_vectors(idx, tmp_path / "batched.npz")
    with np.load(tmp_path / "whole.npz") as a, np.load(tmp_path / "batched.npz") as b:
        assert a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files)
        assert len(a["rows"]) == 5


def test_ship_vectors_refuses_an_index_that_is_not_corpus_and_the_codes_alone(tmp_path, monkeypatch):
    script = runpy.run_path(str(ROOT / "scripts" / "ship_vectors.py"))
    idx = index_of(tmp_path, ["La caisse primaire verse les prestations."])
    assert "pas celui par défaut" in script["refusal"](idx, idx.settings)  # the fake model, not the default
    with pytest.raises(SystemExit, match="construit avec d'autres réglages"):  # read with the default model
        script["main"](["--index", str(idx.settings.index), "--out", str(tmp_path / "v.npz")])
    assert not (tmp_path / "v.npz").exists()
    refusal = script["refusal"]
    refusal.__globals__["DEFAULT_MODEL"] = FAKE  # the other checks, with the model of the test's indexes
    assert "1 documents hors de corpus/ et des codes" in refusal(idx, idx.settings)
    # a project whose corpus/ and codes are in tmp_path: corpus/ alone lacks the codes; with both codes it ships
    refusal.__globals__["ROOT"] = tmp_path / "project"
    folders = [tmp_path / "project" / "corpus"] + [
        tmp_path / "project" / "data" / "codes" / "legifrance" / code for code in script["CODES"]
    ]
    for i, folder in enumerate(folders):
        folder.mkdir(parents=True)
        (folder / f"doc-{i}.txt").write_text(f"La caisse primaire verse la prestation {i}.\n", encoding="utf-8")
    settings = Settings(index=tmp_path / "project" / "index", embedding_model=FAKE)
    assert refresh(settings, folders[:1]).published
    assert refusal(Index(settings), settings) == ("il manque code-de-la-securite-sociale, code-de-la-sante-publique")
    assert refresh(settings, folders).published
    assert refusal(Index(settings), settings) == ""


def test_a_digest_that_ends_in_zero_bytes_is_kept_whole(tmp_path):
    # numpy's bytes type ("S32") drops trailing zero bytes: a text whose SHA-256 ends in 00 must still be found
    idx = index_of(tmp_path, ["La caisse primaire verse les prestations.", "Le conseil de surveillance délibère."])
    texts = texts_of(idx.settings)
    ending = next(t for t in (f"passage {i}" for i in range(100_000)) if hashlib.sha256(t.encode()).digest()[-1] == 0)
    keys = digests([ending, texts[1]])
    assert keys.shape == (2, 32) and bytes(keys[0]).hex() == text_hash(ending)
    export_vectors(idx, tmp_path / "v.npz")
    shipped = read_shipped(tmp_path / "v.npz")
    assert [k for _, ks, _ in shipped for k in ks] == [text_hash(t) for t in texts]
    # the first passage's vector shipped under the digest that ends in 00: read back whole, found by its text
    with np.load(tmp_path / "v.npz") as data:
        arrays = {k: data[k] for k in data.files}
    np.savez(tmp_path / "zero.npz", **(arrays | {"keys-0": keys}))
    assert read_shipped(tmp_path / "zero.npz")[0][1] == [text_hash(ending), text_hash(texts[1])]
    fresh = VectorCache(tmp_path / "b.sqlite")
    assert import_vectors(tmp_path / "zero.npz", fresh) == {FAKE: (2, 2)}
    model = HashEmbedder()
    found = fresh.get(model.name, [ending, texts[1]], model.dimension)
    assert sorted(found) == [0, 1] and float(found[0] @ model.embed_batch(texts[:1])[0]) > 0.999


def test_a_vector_already_in_the_cache_is_kept(tmp_path):
    model = HashEmbedder()
    idx = index_of(tmp_path, ["La caisse primaire verse les prestations.", "Le conseil de surveillance délibère."])
    texts = texts_of(idx.settings)
    export_vectors(idx, tmp_path / "v.npz")
    target = VectorCache(tmp_path / "b.sqlite")
    own = np.zeros((1, model.dimension), np.float32)
    own[0, 0] = 1.0  # a vector computed here (not the shipped one): kept
    target.put(model.name, texts[:1], own)
    assert import_vectors(tmp_path / "v.npz", target) == {model.name: (2, 1)}
    got = target.get(model.name, texts, model.dimension)
    assert np.array_equal(got[0], own[0]) and float(got[1] @ model.embed_batch(texts[1:])[0]) > 0.999


def bad_files(tmp_path: Path, good: Path) -> dict[str, Path]:
    """A file of each kind of damage (its name says which)."""
    files = {}
    (tmp_path / "text.npz").write_text("pas un fichier numpy", encoding="utf-8")
    files["text.npz"] = tmp_path / "text.npz"
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    files["cut.npz"] = cut
    with np.load(good) as data:
        arrays = {k: data[k] for k in data.files}
    changes = {
        "norows.npz": {k: v for k, v in arrays.items() if k != "rows"},
        "nokeys.npz": {k: v for k, v in arrays.items() if k != "keys-0"},
        "short.npz": arrays | {"steps": arrays["steps"][:-1]},
        "wide.npz": arrays | {"dims": arrays["dims"] + 1},
        "future.npz": arrays | {"format": np.array(99)},
        "nan.npz": arrays | {"steps": np.full_like(arrays["steps"], np.nan)},
        "floats.npz": arrays | {"rows": arrays["rows"].astype(np.float32)},
        "pickled.npz": arrays | {"models": np.array([object()], dtype=object)},
        "nomodel.npz": arrays
        | {
            "models": np.array([], dtype=str),
            "dims": np.array([], dtype=np.int64),
            "rows": arrays["rows"][:, :0],
        },
        "twice.npz": arrays
        | {"models": np.array([FAKE, FAKE]), "dims": np.array([256, 256]), "keys-1": arrays["keys-0"]},
        "textformat.npz": arrays | {"format": np.array("2")},
        "zerodim.npz": arrays
        | {"models": np.array([FAKE, "autre"]), "dims": np.array([0, 512]), "keys-1": arrays["keys-0"]},
        "negative.npz": arrays | {"steps": -arrays["steps"]},
        "keytext.npz": arrays | {"keys-0": np.array([bytes(k) for k in arrays["keys-0"]], dtype="S32")},
        "keyshort.npz": arrays | {"keys-0": arrays["keys-0"][:, :16]},
        "keyrows.npz": arrays | {"keys-0": arrays["keys-0"][:-1]},
    }
    for name, content in changes.items():
        np.savez(tmp_path / name, **content)
        files[name] = tmp_path / name
    np.save(tmp_path / "lone.npy", arrays["rows"])  # a lone array, renamed as an archive
    (tmp_path / "lone.npy").rename(tmp_path / "lone.npz")
    files["lone.npz"] = tmp_path / "lone.npz"
    with zipfile.ZipFile(tmp_path / "notarrays.npz", "w") as z:  # an archive whose members are not numpy arrays
        for k in arrays:
            z.writestr(f"{k}.npy", b"pas un tableau")
    files["notarrays.npz"] = tmp_path / "notarrays.npz"
    damaged = bytearray(good.read_bytes())  # a compressed member's data damaged, the archive's index intact
    with zipfile.ZipFile(good) as z:
        info = z.getinfo("rows.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 40
    damaged[start : start + 64] = bytes(64)
    (tmp_path / "damaged.npz").write_bytes(bytes(damaged))
    files["damaged.npz"] = tmp_path / "damaged.npz"
    return files


def test_a_bad_file_is_refused_naming_it_and_the_cache_is_left_as_it_was(tmp_path, monkeypatch):
    idx = index_of(tmp_path / "built", ["La caisse primaire.", "Le conseil de surveillance.", "L'agence régionale."])
    good = tmp_path / "good.npz"
    export_vectors(idx, good)
    cache_file = tmp_path / "data" / "vector-cache.sqlite"
    VectorCache(cache_file).put("autre", ["un"], np.ones((1, 4), np.float32))
    monkeypatch.setenv("ASSISTANT_VECTOR_CACHE", str(cache_file))
    for name, path in [*bad_files(tmp_path, good).items(), ("absent.npz", tmp_path / "absent.npz")]:
        with pytest.raises(ShippedVectorsError, match=r"vecteurs livrés .*" + name.replace(".", r"\.")):
            read_shipped(path)
        result = CliRunner().invoke(cli, ["import-vectors", str(path), "--index", str(tmp_path / "data" / "index")])
        assert result.exit_code == 1, (name, result.output)
        assert name in result.output and ("illisibles" in result.output or "introuvables" in result.output)
        assert "Traceback" not in result.output
        assert count(cache_file) == 1  # nothing added, nothing lost
    # the good one is imported, the vector already there kept; again, nothing added
    result = CliRunner().invoke(cli, ["import-vectors", str(good), "--index", str(tmp_path / "data" / "index")])
    assert result.exit_code == 0, result.output
    assert "3 ajoutés sur 3 (0 déjà dans le cache)" in result.output and count(cache_file) == 4
    again = ["import-vectors", str(good), "--index", str(tmp_path / "data" / "index"), "--json"]
    result = CliRunner().invoke(cli, again)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"file": str(good), "cache": str(cache_file), "models": {FAKE: [3, 0]}}


def test_a_cache_that_cannot_be_written_or_is_off_is_said_and_exits_1(tmp_path, monkeypatch):
    idx = index_of(tmp_path / "built", ["La caisse primaire.", "Le conseil de surveillance."])
    good = tmp_path / "good.npz"
    export_vectors(idx, good)
    cache = VectorCache(tmp_path / "ro.sqlite")
    cache._db.execute("PRAGMA query_only = ON")  # as a read-only file: every write fails
    with pytest.raises(ShippedVectorsError, match="non importés : cache de vecteurs non mis à jour"):
        import_vectors(good, cache)
    monkeypatch.setenv("ASSISTANT_VECTOR_CACHE", "off")
    result = CliRunner().invoke(cli, ["import-vectors", str(good), "--index", str(tmp_path / "i")])
    assert result.exit_code == 1 and "désactivé" in result.output
    (tmp_path / "folder.sqlite").mkdir()  # a cache path that cannot be opened as a file
    monkeypatch.setenv("ASSISTANT_VECTOR_CACHE", str(tmp_path / "folder.sqlite"))
    result = CliRunner().invoke(cli, ["import-vectors", str(good), "--index", str(tmp_path / "i")])
    assert result.exit_code == 1 and "inaccessible" in result.output and "Traceback" not in result.output


def test_imported_vectors_are_dated_the_day_of_the_import(tmp_path):
    idx = index_of(tmp_path / "built", ["La caisse primaire.", "Le conseil de surveillance."])
    export_vectors(idx, tmp_path / "v.npz")
    day = 1_800_000_000.0  # 2027-01-15
    import_vectors(tmp_path / "v.npz", VectorCache(tmp_path / "c.sqlite", clock=lambda: day))
    with sqlite3.connect(tmp_path / "c.sqlite") as db:
        assert {u for (u,) in db.execute("SELECT used FROM vectors")} == {"2027-01-15"}


def test_an_index_whose_vectors_are_pending_is_not_exported(tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a.txt").write_text("La caisse primaire verse les prestations.\n", encoding="utf-8")
    settings = Settings(index=tmp_path / "index", embedding_model=FAKE)
    assert refresh(settings, [folder], vectors_later=True).published
    with pytest.raises(ShippedVectorsError, match="sans vecteur"):
        export_vectors(Index(settings), tmp_path / "v.npz")
    assert not (tmp_path / "v.npz").exists()


@pytest.mark.integration
def test_the_shipped_vectors_are_those_of_today_s_passages(tmp_path):
    """``codes/vectors.npz`` holds a vector for the text each model of the default embedder reads of every passage
    of ``corpus/`` and the two codes, as today's chunking makes them: otherwise run ``scripts/ship_vectors.py``
    (a fresh clone's `make run` would compute the missing ones, about an hour for all)."""
    from assistant.settings import DEFAULT_MODEL

    with tarfile.open(ROOT / "codes" / "legifrance.tar.xz", "r:xz") as tar:
        tar.extractall(tmp_path / "codes", filter="data")
    settings = Settings(index=tmp_path / "index", embedding_model=DEFAULT_MODEL, vector_cache="off")
    subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", "corpus/", str(tmp_path / "codes" / "legifrance")]
        + ["--index", str(settings.index), "--vectors-later", "--quiet"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "ASSISTANT_VECTOR_CACHE": "off"},
    )
    texts = texts_of(settings)
    assert len(texts) > 20_000
    shipped = {name: set(keys) for name, keys, _ in read_shipped(SHIPPED)}
    idx = Index(settings)
    for name, _dim, part in model_texts(idx.embedder, texts):
        missing = {text_hash(t) for t in part} - shipped.get(name, set())
        assert not missing, f"{name}: {len(missing)} passages sans vecteur livré (scripts/ship_vectors.py)"
    shutil.rmtree(tmp_path / "codes")
