"""The bench's synthetic index: built from a real one without embedding, opened like any index."""

import json

import numpy as np
from fakes import FAKE

from assistant.index import Index
from assistant.service import Service
from assistant.settings import Settings
from assistant.store import exact_bits
from evals.synthetic import build_synthetic, is_built, refresh_lexical, refresh_vectors, synthetic_params


def test_synthetic_index_opens_and_answers(fake_index, tmp_path, monkeypatch):
    source = fake_index.index
    n_source = Index(fake_index).catalog.counts()[1]
    dest = tmp_path / "synthetic"
    report = build_synthetic(source, dest, n_chunks=2 * n_source + 3, log=lambda msg: None)
    assert report["chunks"] >= 2 * n_source + 3 and report["copies"] == 3
    assert is_built(dest, synthetic_params(source, 2 * n_source + 3, 0))
    assert not (tmp_path / "synthetic.building").exists()

    settings = Settings(index=dest, embedding_model=FAKE)
    svc = Service(settings)
    idx = svc.index
    docs, chunks = idx.catalog.counts()
    assert chunks == report["chunks"] == idx.store.count() == idx.lexical.n
    copies = [c for c in idx.chunks.values() if c.chunk_id.endswith("~1")]
    original = idx.chunks[copies[0].chunk_id[:-2]]
    assert copies[0].doc_id.endswith("~1") and "(copie 1)" in copies[0].title and not copies[0].article
    # a copy's vector is close to its source's, not equal; its text lost some words
    vecs = idx.store.vectors([original.chunk_id, copies[0].chunk_id])
    cos = float(np.dot(vecs[original.chunk_id], vecs[copies[0].chunk_id]))
    assert 0.9 < cos < 0.99999
    assert sum(len(c.text) for c in copies) < sum(len(idx.chunks[c.chunk_id[:-2]].text) for c in copies)
    # copy 0 is the source itself: a question still finds and cites its passages
    answer = svc.ask("Quelle est la durée du PPRGDRESS ?")
    assert answer.citations
    info = json.loads((dest / "index.json").read_text())
    assert info["synthetic_build"]["chunks"] == report["chunks"]
    assert info["passage_format"] == "text" and synthetic_params(source, 1, 0)["vectors"] == f"{FAKE}/text"

    # written by an older analysis: its lexical index alone is written again, the rest kept
    search = [(h.chunk.chunk_id, h.score) for h in svc.search("Quelle est la durée du PPRGDRESS ?").hits]
    svc.index.close()
    lexical = dest / "lexical"
    for name in ("chunk_ids.npy", "chunk_order.npy"):
        (lexical / name).unlink()
    info["analysis_version"] = "0"
    (dest / "index.json").write_text(json.dumps(info))
    assert refresh_lexical(dest, log=lambda msg: None)
    assert not refresh_lexical(dest, log=lambda msg: None)  # once
    again = json.loads((dest / "index.json").read_text())
    assert (lexical / "chunk_ids.npy").exists() and again["synthetic"] == info["synthetic"]
    assert is_built(dest, synthetic_params(source, 2 * n_source + 3, 0))
    svc = Service(settings)
    assert [(h.chunk.chunk_id, h.score) for h in svc.search("Quelle est la durée du PPRGDRESS ?").hits] == search

    # an array saved in float32 (as before stop 42) is saved again as exact_vector_bits says, once
    svc.index.close()
    quiet = lambda msg: None  # noqa: E731
    assert refresh_vectors(dest, log=quiet) and exact_bits(dest / "exact") == 8  # (it had none)
    assert not refresh_vectors(dest, log=quiet)
    monkeypatch.setenv("ASSISTANT_EXACT_VECTOR_BITS", "32")
    assert refresh_vectors(dest, log=quiet) and exact_bits(dest / "exact") == 32
    assert not refresh_vectors(dest, log=quiet)
    monkeypatch.delenv("ASSISTANT_EXACT_VECTOR_BITS")
    assert refresh_vectors(dest, log=quiet) and exact_bits(dest / "exact") == 8
    assert [(h.chunk.chunk_id, h.score) for h in Service(settings).search("Quelle est la durée du PPRGDRESS ?").hits]
