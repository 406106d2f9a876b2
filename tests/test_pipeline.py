"""Ingestion against the real embedded Chroma, on small copied folders, with the ``fake`` embedder: every
``Settings()`` and command of this module reads ``ASSISTANT_EMBEDDING_MODEL=fake`` (``fake_model_env``)."""

import json
import os
import shutil

import pytest
from click.testing import CliRunner

from assistant import generations
from assistant.cli import cli
from assistant.index import Index
from assistant.settings import Settings
from ingest.pipeline import refresh

pytestmark = pytest.mark.usefixtures("fake_model_env")


def _search_titles(settings, question):
    from assistant.service import Service

    return [(h.chunk.doc_id, h.chunk.locator) for h in Service(settings).search(question, 10).hits]


def test_sync_adds_then_changes_nothing_then_updates_and_removes(tmp_path, corpus):
    settings = Settings(index=tmp_path / "index")
    first = refresh(settings, [corpus])
    assert len(first.added) == 12 and not first.failed and first.chunks_embedded == first.chunks_total > 0
    total = first.chunks_total

    generation = first.generation
    for _ in range(10):
        again = refresh(settings, [corpus])
        assert not again.changed and again.chunks_embedded == 0 and again.chunks_total == total
        assert len(again.unchanged) == 12
        assert again.generation == generation and not again.published  # nothing to publish

    # touching a file without changing it: re-read (mtime changed) but found identical by its hash
    note = corpus / "note-information-dss-1d-2018-154.txt"
    os.utime(note, (1, 1))
    assert not refresh(settings, [corpus]).changed

    # editing one paragraph re-embeds only that paragraph's chunk
    bzh = corpus / "cooperation-ars-assurance-maladie-bretagne.txt"
    bzh.write_text(bzh.read_text(encoding="utf-8").replace("quatre fois par an", "six fois par an"), encoding="utf-8")
    edited = refresh(settings, [corpus])
    assert edited.updated == ["cooperation-ars-assurance-maladie-bretagne.txt"]
    assert edited.chunks_embedded == 1 and edited.chunks_total == total
    assert edited.published and edited.generation != generation
    idx = Index(settings)
    assert idx.store.count() == total
    assert any("six fois par an" in c.text for c in idx.chunks.values())
    assert not any("quatre fois par an" in c.text for c in idx.chunks.values())

    # deleting a file removes it from search results
    assert any(d.startswith("igas") for d, _ in _search_titles(settings, "déploiement des CPTS IGAS"))
    (corpus / "igas-2018-041r-deploiement-cpts-synthese.txt").unlink()
    removed = refresh(settings, [corpus])
    assert removed.removed == ["igas-2018-041r-deploiement-cpts-synthese.txt"]
    assert not any(d.startswith("igas") for d, _ in _search_titles(settings, "déploiement des CPTS IGAS"))
    idx = Index(settings)
    assert idx.store.count() == idx.catalog.counts()[1] < total


def test_bad_files_are_reported_and_the_rest_is_indexed(tmp_path, corpus):
    (corpus / "vide.txt").write_bytes(b"")
    (corpus / "binaire.txt").write_bytes(bytes(range(256)) * 40)
    (corpus / "cassé.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog")
    (corpus / "image.png").write_bytes(b"\x89PNG")
    result = CliRunner().invoke(cli, ["ingest", str(corpus), "--index", str(tmp_path / "index"), "--quiet"])
    assert result.exit_code == 1, result.output
    out = result.output
    assert "vide.txt : fichier vide" in out
    assert "binaire.txt : fichier binaire" in out
    assert "cassé.pdf : PDF illisible ou tronqué" in out
    assert "image.png : type de fichier non pris en charge" in out
    assert "ajoutés      12" in out

    # a file that later breaks keeps its indexed version; the report names it
    conv = corpus / "convention-type-pprgdress-2018.txt"
    conv.write_bytes(b"\x00\x01" * 100)
    result = CliRunner().invoke(cli, ["ingest", str(corpus), "--index", str(tmp_path / "index"), "--json", "--quiet"])
    assert result.exit_code == 1
    idx = Index(Settings(index=tmp_path / "index"))
    assert "convention-type-pprgdress-2018.txt" in idx.documents


def test_a_model_reading_headings_embeds_them_and_refuses_an_index_embedded_without(tmp_path, corpus, monkeypatch):
    from fakes import FAKE, FAKE_HEADINGS, HeadingsEmbedder

    from assistant.errors import IndexMismatch

    embedded = []
    real = HeadingsEmbedder.embed_batch
    monkeypatch.setattr(
        HeadingsEmbedder, "embed_batch", lambda self, texts: embedded.extend(texts) or real(self, texts)
    )
    settings = Settings(index=tmp_path / "index", embedding_model=FAKE_HEADINGS, vector_cache="off")
    refresh(settings, [corpus])
    idx = Index(settings)
    assert idx.info["passage_format"] == "headings"
    article = next(c for c in idx.chunks.values() if c.article == "L1432-1")
    head, _, rest = article.embedding_text("headings").partition("\n")
    assert rest == article.text and "Section 1 organisation des agences" in head
    assert any(t.startswith(head + "\n") for t in embedded)  # what was embedded is headings, then text
    document = next(c for c in idx.chunks.values() if not c.article)
    assert document.embedding_text("headings") == f"{document.title}\n{document.text}"
    assert article.embedding_text("text") == article.text
    # An index whose passages were embedded as bare text is refused to a model that reads headings ...
    plain = Settings(index=tmp_path / "plain", embedding_model=FAKE)
    refresh(plain, [corpus / "note-information-dss-1d-2018-154.txt"])
    manifest = next((tmp_path / "plain").glob("**/index.json"))
    data = json.loads(manifest.read_text())
    data.pop("passage_format")  # as written before the format was recorded
    manifest.write_text(json.dumps(data))
    Index(plain).check_settings()  # ... an index made before the format was recorded reads as bare text
    data["embedding_model"] = FAKE_HEADINGS
    manifest.write_text(json.dumps(data))
    with pytest.raises(IndexMismatch, match="passage_format"):
        Index(plain.model_copy(update={"embedding_model": FAKE_HEADINGS})).check_settings()


def test_an_unfinished_rebuild_is_resumed_only_with_the_same_passage_format(tmp_path, corpus, monkeypatch):
    import errno

    from fakes import FAKE, FAKE_HEADINGS

    from ingest import pipeline

    root = tmp_path / "index"
    plain = Settings(index=root, embedding_model=FAKE, vector_cache="off")
    refresh(plain, [corpus])

    def crash_after_embedding(point):
        if point == "catalog":
            raise OSError(errno.EIO, "I/O error")

    def unfinished_rebuild():
        monkeypatch.setattr(pipeline, "checkpoint", crash_after_embedding)
        with pytest.raises(pipeline.RefreshFailed):
            refresh(plain, [corpus], rebuild=True)
        monkeypatch.undo()

    unfinished_rebuild()
    assert refresh(plain, [corpus], rebuild=True).resumed  # same model and format: its vectors are kept
    unfinished_rebuild()
    headings = Settings(index=root, embedding_model=FAKE_HEADINGS, vector_cache="off")
    report = refresh(headings, [corpus], rebuild=True)  # the migration the refusal message asks for
    assert report.published and not report.resumed
    assert report.chunks_embedded == report.chunks_total  # every passage embedded again, with its headings
    assert Index(headings).info["passage_format"] == "headings"


def test_long_headings_leave_room_for_the_article_text():
    from assistant.records import HEADING_CHARS, Chunk

    long = "Sous-section 2 " + "dispositions relatives aux établissements de santé " * 6
    chunk = Chunk("c", "d", "Le texte de l'article.", "art. L. 1", 0, 10, breadcrumb=("Titre I", long), article="L1")
    head, _, text = chunk.embedding_text("headings").partition("\n")
    assert text == "Le texte de l'article." and len(head) == HEADING_CHARS and head.startswith("Sous-section 2")
    short = Chunk(
        "c", "d", "Texte.", "art. L. 2", 0, 6, breadcrumb=("Livre I", "Titre II", "Chapitre III"), article="L2"
    )
    assert short.embedding_text("headings") == "Titre II > Chapitre III\nTexte."


def test_index_refuses_other_embedding_settings(tmp_path, corpus):
    from assistant.errors import IndexMismatch

    settings = Settings(index=tmp_path / "index")
    refresh(settings, [corpus / "note-information-dss-1d-2018-154.txt"])
    other = Settings(index=tmp_path / "index", chunk_max_tokens=200)
    with pytest.raises(IndexMismatch, match="chunk_max_tokens"):
        refresh(other, [corpus])
    result = CliRunner().invoke(cli, ["status", "--index", str(tmp_path / "index"), "--json"])
    assert result.exit_code == 0 and '"documents": 1' in result.output
    assert json.loads(result.output)["warnings"] == []
    result = CliRunner().invoke(
        cli, ["status", "--index", str(tmp_path / "index"), "--json"], env={"ASSISTANT_CHUNK_MAX_TOKENS": "200"}
    )
    assert "--rebuild" in json.loads(result.output)["warnings"][0]
    # `ingest` says so with its own exit code, and does nothing
    env = {"ASSISTANT_CHUNK_MAX_TOKENS": "200"}
    result = CliRunner().invoke(cli, ["ingest", str(corpus), "--index", str(tmp_path / "index"), "--quiet"], env=env)
    assert result.exit_code == 78 and "--rebuild" in result.output, result.output
    assert generations.current_name(tmp_path / "index") == "gen-000001"

    # a mistyped path: the rebuild would keep only what the paths hold, so it is refused before anything is
    # announced or built, and the index stays as it was
    result = CliRunner().invoke(
        cli, ["ingest", str(tmp_path / "nope"), "--index", str(tmp_path / "index"), "--rebuild-if-changed"], env=env
    )
    assert result.exit_code == 1 and "reconstruction refusée" in result.output, result.output
    assert "nope : chemin introuvable" in result.output and "autres réglages" not in result.stderr, result.stderr
    assert generations.current_name(tmp_path / "index") == "gen-000001"

    # the rebuild offered, as `make index` asks for it (--rebuild-if-changed): a new generation from the files,
    # with the new settings, published when complete, and the reason said
    result = CliRunner().invoke(
        cli, ["ingest", str(corpus), "--index", str(tmp_path / "index"), "--rebuild-if-changed", "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    rebuilt = json.loads(result.stdout)
    assert "autres réglages" in result.stderr
    assert "chunk_max_tokens" in rebuilt["rebuilt_because"], rebuilt
    assert rebuilt["published"] and rebuilt["generation"] == "gen-000002" and len(rebuilt["added"]) == 12
    idx = Index(other)
    idx.check_settings()
    total = idx.catalog.counts()[1]
    assert idx.info["chunk_max_tokens"] == 200 and idx.store.count() == total == rebuilt["chunks_total"]
    again = refresh(other, [corpus], rebuild_if_changed=True)  # now an ordinary index: nothing to rebuild
    assert not again.published and not again.rebuilt_because


def test_same_article_in_two_folders_is_indexed_once(tmp_path, corpus):
    twin = tmp_path / "twin"
    shutil.copytree(corpus / "legifrance", twin / "legifrance")
    report = refresh(Settings(index=tmp_path / "index"), [corpus / "legifrance", twin])
    assert len(report.added) == 8


def test_a_rebuild_or_a_second_index_of_the_same_texts_embeds_nothing(tmp_path, corpus):
    """The vector cache (beside the index folders) gives back every vector whose model and text are known."""
    import numpy as np

    settings = Settings(index=tmp_path / "index")
    first = refresh(settings, [corpus])
    assert first.chunks_embedded == first.chunks_total > 0 and first.chunks_from_cache == 0
    assert (tmp_path / "vector-cache.sqlite").exists()

    rebuilt = refresh(settings, [corpus], rebuild=True)
    assert rebuilt.published and rebuilt.chunks_embedded == 0 and rebuilt.chunks_from_cache == first.chunks_total

    other = Settings(index=tmp_path / "other")  # a second index folder of the same texts
    second = refresh(other, [corpus])
    assert second.chunks_embedded == 0 and second.chunks_from_cache == first.chunks_total
    a, b = Index(settings), Index(other)
    ids = sorted(a.chunks)[:5]
    va, vb = a.store.vectors(ids), b.store.vectors(ids)
    assert len(va) == 5 and all(np.allclose(va[i], vb[i], atol=1e-6) for i in ids)
    assert _search_titles(other, "Qui pilote le ciblage des CAQES ?") == _search_titles(
        settings, "Qui pilote le ciblage des CAQES ?"
    )

    # another model (or the cache turned off) embeds again
    off = refresh(Settings(index=tmp_path / "third", vector_cache="off"), [corpus])
    assert off.chunks_embedded == first.chunks_total and off.chunks_from_cache == 0


def test_the_vector_cache_keeps_models_apart_and_survives_a_reopen(tmp_path):
    import numpy as np

    from assistant.vectorcache import VectorCache, embed_with_cache

    class Counting:
        name, dimension, calls = "compteur", 3, 0

        def embed(self, texts, batch_size=64, progress=None):
            self.calls += len(texts)
            return np.array([[len(t), 1.0, 0.0] for t in texts], dtype=np.float32)

    model = Counting()
    cache = VectorCache(tmp_path / "c.sqlite")
    vectors, n = embed_with_cache(model, ["un", "deux", "un"], cache)
    assert n == 3 and vectors[:, 0].tolist() == [2, 4, 2]
    cache.close()
    cache = VectorCache(tmp_path / "c.sqlite")
    vectors, n = embed_with_cache(model, ["deux", "trois"], cache)
    assert n == 1 and model.calls == 4 and vectors[:, 0].tolist() == [4, 5]
    other = Counting()
    other.name = "autre"
    assert embed_with_cache(other, ["deux"], cache)[1] == 1  # same text, another model: embedded again


class Clock:
    """A fake clock for the vector cache: ``days`` since an arbitrary start, moved by the test."""

    def __init__(self):
        self.days = 0.0

    def __call__(self) -> float:
        return 1_800_000_000 + self.days * 86400


def _vector(x: float):
    import numpy as np

    return np.array([[x, 1.0, 0.0]], dtype=np.float32)


def test_the_vector_cache_prunes_the_vectors_no_refresh_used_for_longer_than_its_limit(tmp_path):
    """A vector written, read or touched within the limit stays; one unused for more than the limit goes; 0 days
    prunes nothing."""
    from assistant.vectorcache import VectorCache

    clock = Clock()
    cache = VectorCache(tmp_path / "c.sqlite", clock=clock)
    for text in ("ancien", "relu", "touché", "récent"):
        cache.put("m", [text], _vector(len(text)))
    clock.days = 50
    assert list(cache.get("m", ["relu"], 3)) == [0]  # read: used on day 50
    cache.put("m", ["récent"], _vector(6))  # written again on day 50
    clock.days = 95
    cache.touch("m", ["touché", "absent"])  # a refresh's passages, one the cache does not hold

    clock.days = 100
    assert cache.prune(0) == 0 and len(cache) == 4  # 0: never
    assert cache.prune(100) == 0  # "ancien" unused for exactly 100 days, not more
    assert cache.prune(99) == 1 and len(cache) == 3
    assert sorted(cache.get("m", ["ancien", "relu", "touché", "récent"], 3)) == [1, 2, 3]
    cache.close()

    cache = VectorCache(tmp_path / "c.sqlite", clock=clock)  # the days are in the file
    clock.days = 160
    assert cache.prune(90) == 0  # read at day 100 just above
    clock.days = 191
    assert cache.prune(90) == 3 and len(cache) == 0
    assert not cache.error
    cache.close()


def _old_vector_cache(path, texts):
    """A vector cache file as written before the cache recorded last uses (its SCHEMA then), holding ``texts``."""
    import sqlite3

    from assistant.vectorcache import text_hash

    with sqlite3.connect(path) as db:
        db.execute(
            """CREATE TABLE IF NOT EXISTS vectors (
    model TEXT NOT NULL, sha256 TEXT NOT NULL, dim INTEGER NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (model, sha256)) WITHOUT ROWID"""
        )
        for text in texts:
            db.execute("INSERT INTO vectors VALUES (?, ?, ?, ?)", ("m", text_hash(text), 3, _vector(5)[0].tobytes()))
    db.close()


def test_a_vector_cache_file_without_last_uses_is_migrated_in_place(tmp_path):
    """A file written before the cache recorded last uses keeps its vectors: they count as used the day it is
    first opened, and are pruned only once unused for longer than the limit after that day."""
    import numpy as np

    from assistant.vectorcache import VectorCache

    path = tmp_path / "ancien.sqlite"
    _old_vector_cache(path, ["gardé", "oublié"])
    clock = Clock()
    clock.days = 200
    cache = VectorCache(path, clock=clock)  # migrated on day 200
    assert not cache.error and cache.uses_recorded and len(cache) == 2
    found = cache.get("m", ["gardé", "absent"], 3)
    assert list(found) == [0] and np.array_equal(found[0], _vector(5)[0])
    cache.put("m", ["nouveau"], _vector(7))  # a new vector beside the migrated ones
    cache.close()

    clock.days = 250
    cache = VectorCache(path, clock=clock)  # opened again: nothing left to migrate
    assert not cache.error and len(cache) == 3
    cache.get("m", ["gardé"], 3)  # used on day 250
    assert cache.prune(90) == 0  # "oublié" never read, but counted as used on day 200
    clock.days = 291
    assert cache.prune(90) == 2 and list(cache.get("m", ["gardé", "oublié", "nouveau"], 3)) == [0]
    cache.close()


def _age_vector_cache(path, days):
    """Every vector of the cache at ``path`` last used ``days`` days ago, beside a vector of a text no index holds
    used as long ago and one of another model used 40 days ago; the model of the index's vectors."""
    import sqlite3
    import time

    from assistant.vectorcache import DAY, day_of

    with sqlite3.connect(path) as db:
        (model,) = db.execute("SELECT DISTINCT model FROM vectors").fetchone()
        db.execute("UPDATE vectors SET used = ?", (day_of(time.time() - days * DAY),))
        add = "INSERT INTO vectors (model, sha256, dim, used, vector) VALUES (?, ?, ?, ?, ?)"
        db.execute(add, (model, "0" * 64, 3, day_of(time.time() - days * DAY), bytes(12)))
        db.execute(add, ("autre", "1" * 64, 3, day_of(time.time() - 40 * DAY), bytes(12)))
    db.close()
    return model


def _cache_rows(path) -> dict[str, list[str]]:
    """The cache's days of last use, by model and text hash."""
    import sqlite3

    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT model, sha256, used FROM vectors").fetchall()
    db.close()
    return {f"{m}/{sha}": used for m, sha, used in rows}


def test_a_refresh_prunes_the_vector_cache_once_published_and_keeps_every_vector_of_its_index(tmp_path, corpus):
    """A refresh that embedded passages marks every passage of the generation it publishes used, those its copy
    of the previous generation held included, then removes the vectors unused for ASSISTANT_VECTOR_CACHE_DAYS
    days (90): the stale ones go, a --rebuild after it embeds nothing. A refresh that embeds nothing prunes
    nothing."""
    import sqlite3
    import time

    from assistant.vectorcache import day_of

    settings = Settings(index=tmp_path / "index")
    first = refresh(settings, [corpus])
    path = tmp_path / "vector-cache.sqlite"
    model = _age_vector_cache(path, 400)
    before = _cache_rows(path)

    assert not refresh(settings, [corpus]).published and _cache_rows(path) == before  # nothing embedded

    bzh = corpus / "cooperation-ars-assurance-maladie-bretagne.txt"
    bzh.write_text(bzh.read_text(encoding="utf-8").replace("quatre fois par an", "six fois par an"), encoding="utf-8")
    days = {day_of(time.time())}
    result = CliRunner().invoke(cli, ["ingest", str(corpus), "--index", str(settings.index), "--quiet"])
    days.add(day_of(time.time()))  # the day the refresh marked its vectors (unless it ran across midnight)
    assert result.exit_code == 0, result.output
    # the text no index holds and the edited passage's former text: unused for 400 days
    assert "cache de vecteurs : 2 vecteurs inutilisés depuis plus de 90 jours retirés" in result.output
    after = _cache_rows(path)
    assert f"{model}/{'0' * 64}" not in after and f"autre/{'1' * 64}" in after  # 40 days: kept
    assert len(after) == len(before) - 1 and all(d in days for k, d in after.items() if k.startswith(model))

    rebuilt = refresh(settings, [corpus], rebuild=True)
    assert rebuilt.published and rebuilt.chunks_embedded == 0 and rebuilt.chunks_from_cache == first.chunks_total
    assert rebuilt.cache_pruned == 0 and rebuilt.to_dict()["cache_pruned"] == 0

    with sqlite3.connect(path) as db:
        db.execute("UPDATE vectors SET used = '2000-01-01'")
    db.close()
    before = _cache_rows(path)
    bzh.unlink()  # published, but nothing embedded: the cache is not opened
    removed = refresh(settings, [corpus])
    assert removed.published and removed.removed and _cache_rows(path) == before


def test_a_refresh_does_not_prune_the_vector_cache_at_0_days_nor_when_it_could_not_record_its_uses(tmp_path, corpus):
    import sqlite3

    settings = Settings(index=tmp_path / "index", vector_cache_days=0)
    refresh(settings, [corpus])
    path = tmp_path / "vector-cache.sqlite"
    model = _age_vector_cache(path, 400)
    bzh = corpus / "cooperation-ars-assurance-maladie-bretagne.txt"
    bzh.write_text(bzh.read_text(encoding="utf-8").replace("quatre fois par an", "six fois par an"), encoding="utf-8")
    report = refresh(settings, [corpus])
    assert report.published and report.chunks_embedded == 1 and report.cache_pruned == 0
    assert f"{model}/{'0' * 64}" in _cache_rows(path)

    # 90 days, but every use refused: the vectors the refresh used keep their old day, and none is removed
    with sqlite3.connect(path) as db:
        db.execute("UPDATE vectors SET used = '2000-01-01'")
        db.execute("CREATE TRIGGER refuse BEFORE UPDATE ON vectors BEGIN SELECT RAISE(ABORT, 'refusé'); END")
    db.close()
    before = _cache_rows(path)
    bzh.write_text(bzh.read_text(encoding="utf-8").replace("six fois par an", "huit fois par an"), encoding="utf-8")
    report = refresh(Settings(index=tmp_path / "index"), [corpus])
    assert report.published and report.chunks_embedded == 1 and report.cache_pruned == 0
    assert len(_cache_rows(path)) == len(before) + 1 and set(before) < set(_cache_rows(path))
    assert any("dates d'usage du cache de vecteurs non enregistrées" in w for _, w in report.warnings), report.warnings


def test_prune_cache_removes_the_vectors_unused_for_longer_than_asked_and_compacts_the_file(tmp_path):
    import time

    import numpy as np

    from assistant.vectorcache import DAY, VectorCache

    path = tmp_path / "vector-cache.sqlite"  # beside the index folder tmp_path / "index"
    old = VectorCache(path, clock=lambda: time.time() - 100 * DAY)
    old.put("m", [f"ancien {i}" for i in range(300)], np.ones((300, 384), dtype=np.float32))
    old.close()
    recent = VectorCache(path, clock=lambda: time.time() - 20 * DAY)
    recent.put("m", ["récent"], np.ones((1, 384), dtype=np.float32))
    recent.close()
    index = ["--index", str(tmp_path / "index")]

    result = CliRunner().invoke(cli, ["prune-cache", *index, "--days", "0"])
    assert result.exit_code == 0 and "retirés   0 (élagage désactivé" in result.output, result.output
    size = path.stat().st_size
    result = CliRunner().invoke(cli, ["prune-cache", *index])  # 90 days
    assert result.exit_code == 0 and "retirés   300 (inutilisés depuis plus de 90 jours)" in result.output
    assert "gardés    1" in result.output, result.output
    assert path.stat().st_size < size / 4  # compacted
    result = CliRunner().invoke(cli, ["prune-cache", *index, "--days", "10", "--json"])
    out = json.loads(result.output)
    assert result.exit_code == 0 and (out["removed"], out["kept"], out["error"]) == (1, 0, "")
    assert len(VectorCache(path)) == 0

    (tmp_path / "dossier").mkdir()  # a cache that cannot be opened
    result = CliRunner().invoke(cli, ["prune-cache", *index], env={"ASSISTANT_VECTOR_CACHE": str(tmp_path / "dossier")})
    assert result.exit_code == 1 and "cache de vecteurs inaccessible" in result.output, result.output

    result = CliRunner().invoke(cli, ["prune-cache", "--index", str(tmp_path / "ailleurs" / "index")])
    assert result.exit_code == 0 and "Aucun cache de vecteurs" in result.output
    assert not (tmp_path / "ailleurs").exists()  # nothing created
    result = CliRunner().invoke(cli, ["prune-cache", *index, "--json"], env={"ASSISTANT_VECTOR_CACHE": "off"})
    assert result.exit_code == 0 and json.loads(result.output)["path"] is None
    result = CliRunner().invoke(cli, ["prune-cache", *index, "--days", "-1"])
    assert result.exit_code == 2


def test_a_vector_cache_that_cannot_be_opened_or_written_does_not_stop_the_ingest(tmp_path, corpus):
    """A cache that cannot be opened (here a folder where the file should be) or refuses writes is named in the
    report's warnings; the index is built all the same. (As another user, test_bad_input's ingest meets a
    cache folder it may not write.)"""
    import sqlite3

    folder = tmp_path / "pas-un-fichier.sqlite"
    folder.mkdir()
    report = refresh(Settings(index=tmp_path / "a", vector_cache=str(folder)), [corpus])
    assert report.published and not report.failed and report.chunks_embedded == report.chunks_total
    assert any("inaccessible" in w for _, w in report.warnings), report.warnings

    refusing = tmp_path / "refuse.sqlite"
    with sqlite3.connect(refusing) as db:  # a table that refuses every row
        db.execute("CREATE TABLE vectors (model TEXT, sha256 TEXT, dim INTEGER, vector BLOB, CHECK (0))")
    report = refresh(Settings(index=tmp_path / "b", vector_cache=str(refusing)), [corpus])
    assert report.published and report.chunks_embedded == report.chunks_total
    assert any("non mis à jour" in w for _, w in report.warnings), report.warnings
    assert len(Index(Settings(index=tmp_path / "b")).chunks) == report.chunks_total


def test_the_catalog_writes_a_batch_of_documents_whole_or_not_at_all_and_chroma_keeps_no_text(tmp_path, corpus):
    """``Catalog.batch``: an ingest writes its documents a thousand to a transaction (one commit each); a failure
    inside one leaves the catalog as it was. Chroma gets the vectors and their metadata, not the passages' text,
    which readers read from the catalog."""
    from assistant.catalog import Catalog
    from assistant.records import Chunk, Document

    settings = Settings(index=tmp_path / "index")
    refresh(settings, [corpus])
    idx = Index(settings)
    chroma = idx.chroma()
    got = chroma._col.get(limit=3, include=["documents", "metadatas"])
    assert got["documents"] == [None, None, None] and all(m["doc_id"] for m in got["metadatas"])

    catalog = Catalog(tmp_path / "catalog.sqlite")
    doc = Document(doc_id="a", title="A", text="Texte a.", source="a.txt")
    catalog.replace(
        doc, [Chunk(chunk_id="a#0", doc_id="a", text="Texte a.", locator="", start=0, end=8)], "0", 1, 0, "t"
    )
    before = catalog.manifest()
    with pytest.raises(RuntimeError), catalog.batch():
        catalog.replace(Document(doc_id="b", title="B", text="b", source="b.txt"), [], "1", 1, 0, "t")
        catalog.remove(["a"])  # a write of its own inside the batch: it does not commit the batch
        raise RuntimeError("panne au milieu du lot")
    assert catalog.manifest() == before and catalog.chunk_ids() == ["a#0"]
    with catalog.batch():
        catalog.replace(Document(doc_id="b", title="B", text="b", source="b.txt"), [], "1", 1, 0, "t")
        with pytest.raises(RuntimeError), catalog.batch():  # a batch inside a batch is undone alone
            catalog.replace(Document(doc_id="c", title="C", text="c", source="c.txt"), [], "2", 1, 0, "t")
            raise RuntimeError("panne")
        catalog.remove(["a"])
    assert set(catalog.manifest()) == {"b"} and catalog.chunk_ids() == []
    assert not catalog.db.in_transaction
