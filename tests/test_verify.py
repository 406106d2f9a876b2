import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from assistant.cli import cli
from assistant.index import Index
from assistant.settings import Settings
from ingest.pipeline import refresh

pytestmark = pytest.mark.usefixtures("fake_model_env")  # Settings() and the commands: the ``fake`` embedder


def test_verify_finds_and_fixes_what_went_wrong(tmp_path, small_corpus):
    corpus = tmp_path / "corpus"
    shutil.copytree(small_corpus, corpus)
    settings = Settings(index=tmp_path / "index")
    refresh(settings, [corpus])
    args = ["verify", "--index", str(settings.index)]
    assert CliRunner().invoke(cli, args).exit_code == 0

    idx = Index(settings)
    victims = list(idx.chunks)[:3]
    chroma = idx.chroma()  # (readers search the exact array saved from it; the next refresh copies Chroma)
    chroma.delete(victims)  # vectors lost
    chroma.add(
        ["orphan-1"], np.ones((1, idx.embedder.dimension), dtype=np.float32) / 20, [{"doc_id": "nowhere"}]
    )  # a vector nobody knows
    shutil.rmtree(idx.path / "lexical")  # BM25 gone
    (corpus / "note-information-dss-1d-2018-154.txt").unlink()  # a source deleted behind our back
    result = CliRunner().invoke(cli, args + ["--json"])
    assert result.exit_code == 1
    found = json.loads(result.output)
    assert found["missing_vectors"] == 3 and found["orphan_vectors"] == 1 and found["lexical_out_of_sync"]
    assert found["sources_missing"] == ["note-information-dss-1d-2018-154.txt"]

    fixed = CliRunner().invoke(cli, args + ["--fix"])
    assert fixed.exit_code == 0, fixed.output
    assert "Index cohérent." in fixed.output
    idx = Index(settings)
    assert idx.store.count() == idx.chroma().count() == idx.catalog.counts()[1]
    assert set(idx.store.vectors(victims)) == set(idx.chroma().vectors(victims)) == set(victims)
    hits = __import__("assistant.service", fromlist=["Service"]).Service(settings).search("ciblage des CAQES").hits
    assert hits[0].chunk.locator == "§ 35"
