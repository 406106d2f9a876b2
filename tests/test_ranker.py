"""The learned ranking stage (``assistant.ranker``), its fit and the tune's choice (``evals.metrics``)."""

import numpy as np

from assistant.ranker import DEPTH, FEATURES, features, head_of, learned_order, order, scores
from assistant.records import Chunk, Hit
from evals.metrics import choose_ranker, fit_ranker, group_rank
from tests.test_answers import service_over


def hit(cid: str, article: str = "", reason: str = "", score: float = 1.0, **signals) -> Hit:
    chunk = Chunk(chunk_id=cid, doc_id=cid, text="", locator="", start=0, end=0, article=article)
    return Hit(chunk, score, reason=reason, signals=signals)


def col(name: str) -> int:
    return FEATURES.index(name)


def test_features_read_the_signals_the_kind_of_text_the_order_and_each_models_cosines():
    hits = [
        hit("a", "L. 1432-1", bm25=0.2, sentence=0.5),
        hit("b", "R. 1432-2", bm25=1.0),
        hit("c", "D. 1432-3", bm25=0.6, territory=1.0),
        hit("d", "", bm25=0.0),  # a seed document's paragraph
    ]
    # the second model has no vector for "d"
    cosines = [np.array([0.80, 0.82, 0.90, 0.84]), np.array([0.5, 0.9, 0.7, np.nan])]
    x = features(hits, cosines)
    assert x.shape == (4, len(FEATURES))
    assert x[0, col("bm25")] == 0.2 and x[0, col("sentence")] == 0.5 and x[2, col("territory")] == 1.0
    assert x[1, col("sentence")] == 0.0  # a signal a passage lacks counts 0
    kinds = [[x[i, col(k)] for k in ("law", "regulation", "decree", "other")] for i in range(4)]
    assert kinds == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    assert [x[i, col("rank")] for i in range(4)] == [1.0, 0.5, 1 / 3, 0.25]
    # each model's cosine scaled from its lowest candidate to its highest; no vector: the lowest
    assert np.allclose(x[:, col("cos0")], [0.0, 0.2, 1.0, 0.4])
    assert np.allclose(x[:, col("cos1")], [0.0, 1.0, 0.5, 0.0])
    # the place in BM25's order and in each model's, as 1 / (1 + place)
    assert np.allclose(x[:, col("rr_bm25")], [1 / 3, 1.0, 0.5, 1 / 4])
    assert np.allclose(x[:, col("rr_cos0")], [1 / 4, 1 / 3, 1.0, 0.5])
    # ... and the last place in its order, after the lowest cosine found, wherever it stood
    assert np.allclose(x[:, col("rr_cos1")], [1 / 3, 1.0, 0.5, 1 / 4])
    first = features(hits, [cosines[0], np.array([np.nan, 0.9, 0.7, 0.5])])
    assert np.allclose(first[:, col("rr_cos1")], [1 / 4, 1.0, 0.5, 1 / 3])
    # a signal turned off (the ablation's) is read as 0, BM25's order too
    quiet = features(hits, cosines, off={"bm25", "sentence"})
    assert not quiet[:, col("bm25")].any() and not quiet[:, col("rr_bm25")].any()
    assert not quiet[:, col("sentence")].any() and np.allclose(quiet[:, col("cos0")], x[:, col("cos0")])
    # one model: the second model's features stay 0
    one = features(hits, cosines[:1])
    assert not one[:, col("cos1")].any() and not one[:, col("rr_cos1")].any()


def test_the_learned_order_keeps_looked_up_passages_first_and_orders_the_others_by_their_score():
    hits = [
        hit("x", reason="lookup", score=1.9, bm25=0.1),
        hit("a", score=0.9, bm25=0.9),
        hit("b", score=0.6, bm25=0.5),
        hit("c", score=0.2, bm25=0.1),
    ]
    cosines = [np.array([0.1, 0.5, 0.9])]
    got = learned_order(hits, {"cos0": 1.0}, cosines)
    assert [h.chunk.chunk_id for h in got] == ["x", "c", "b", "a"]
    # each passage ordered again carries the fusion's score of its place: the list's scores still fall
    assert [h.score for h in got] == [1.9, 0.9, 0.6, 0.2]
    assert learned_order(hits, {"bm25": 1.0}, cosines) == hits
    assert learned_order(hits, {}, cosines) == hits  # no weights: the fusion's order
    # a weight of a feature this code does not compute is not read
    assert np.allclose(scores(features(hits[1:], cosines), {"gone": 5.0, "bm25": 1.0}), [0.9, 0.5, 0.1])


def test_a_territorys_own_passages_come_after_the_whole_countrys_whatever_their_learned_score():
    """A question that names no place (the ``territory`` signal is set then): La Réunion's D. 1443-4 is not put
    before L. 1432-3 for "qui préside le conseil de surveillance de l'ARS ?"; the search's order and the tune's
    measure of it (``group_rank``) are the same."""
    hits = [
        hit("national", "L. 1432-3", score=0.9, bm25=0.5),
        hit("reunion", "D. 1443-4", score=0.8, bm25=0.9, territory=1.0),
        hit("decree", "D. 1432-15", score=0.7, bm25=0.7),
        hit("mayotte", "R. 1443-2", score=0.6, bm25=0.8, territory=1.0),
    ]
    cosines = [np.array([0.5, 0.5, 0.5, 0.5])]
    got = learned_order(hits, {"bm25": 1.0}, cosines)
    assert [h.chunk.chunk_id for h in got] == ["decree", "national", "reunion", "mayotte"]
    assert [h.score for h in got] == [0.9, 0.8, 0.7, 0.6]
    # the signal turned off (the ablation's): read as 0, the learned score alone orders them
    off = learned_order(hits, {"bm25": 1.0}, cosines, off={"territory"})
    assert [h.chunk.chunk_id for h in off] == ["reunion", "mayotte", "decree", "national"]
    x = features(hits, cosines)
    w = [1.0 if name == "bm25" else 0.0 for name in FEATURES]
    assert group_rank(x, [False, True, False, False], w) == 3
    assert group_rank(x, [True, False, False, False], w) == 2
    assert group_rank(features(hits, cosines, off={"territory"}), [False, True, False, False], w) == 1


def test_the_order_puts_a_territorys_passages_last_even_against_a_tie_or_a_score_that_is_not_a_number():
    x = np.zeros((3, len(FEATURES)))
    x[0, col("territory")] = 1.0
    assert order(x, np.array([1.0, 1.0, 1.0])).tolist() == [1, 2, 0]  # ties: as they came, the territory's last
    assert order(x, np.array([9.0, np.nan, 1.0])).tolist() == [2, 1, 0]  # NaN: last of its side, not of all


def test_the_fit_pairs_only_passages_the_order_compares():
    """A territory's passages, which never hold the evidence and come last whatever their scores, teach the weights
    nothing: the territory's weight stays 0, and their high BM25 does not pull BM25's weight down."""
    groups = []
    for _ in range(20):
        x = np.zeros((5, len(FEATURES)))
        x[:, col("bm25")] = [0.6, 0.2, 1.0, 1.0, 1.0]
        x[2:, col("territory")] = 1.0
        groups.append((x, [True, False, False, False, False]))
    w = fit_ranker(groups)
    assert w[col("territory")] == 0.0 and w[col("bm25")] > 1.0, w
    assert all(group_rank(x, y, w) == 1 for x, y in groups)
    # ... and the passages of a territory are still ordered among themselves: a question whose evidence is in one
    # (none in the dev sets) teaches the weights as any other
    inside = []
    for _ in range(20):
        x = np.zeros((3, len(FEATURES)))
        x[:, col("territory")] = 1.0
        x[:, col("dense")] = [0.9, 0.1, 0.2]
        inside.append((x, [True, False, False]))
    w = fit_ranker(inside)
    assert w[col("dense")] > 1.0 and w[col("territory")] == 0.0, w


def test_the_stage_orders_the_first_passages_of_the_list_only():
    many = [hit("x", reason="lookup")] + [hit(f"p{i}", score=1.0 - i / 100) for i in range(DEPTH + 5)]
    lookup, head, tail = head_of(many)
    assert [h.chunk.chunk_id for h in lookup] == ["x"] and len(head) == DEPTH - 1 and len(tail) == 6
    got = learned_order(many, {"rank": -1.0}, [np.zeros(len(head))])
    ids = [h.chunk.chunk_id for h in got]
    assert (
        ids[0] == "x"
        and ids[1:DEPTH] == [h.chunk.chunk_id for h in head][::-1]
        and ids[DEPTH:] == [h.chunk.chunk_id for h in tail]
    )


def wide(x: np.ndarray) -> np.ndarray:
    """``x``'s columns as the first of a row of ``FEATURES`` (bm25, dense...), the others 0: what ``group_rank``
    reads (the tune's features)."""
    out = np.zeros((len(x), len(FEATURES)))
    out[:, : x.shape[1]] = x
    return out


def groups_where(decider: int, n: int = 60, seed: int = 1):
    """Questions of 12 passages each, in an order where the one holding the evidence comes 6th to 12th; feature
    ``decider`` is 1 for it alone, the others noise."""
    rng = np.random.default_rng(seed)
    groups = []
    for _ in range(n):
        x = rng.normal(0.0, 0.3, size=(12, 4))
        y = [False] * 12
        right = int(rng.integers(5, 12))
        y[right] = True
        x[:, decider] = 0.0
        x[right, decider] = 1.0
        groups.append((wide(x), y, []))
    return groups


def test_the_fit_finds_the_feature_that_tells_the_passage_holding_the_evidence():
    groups = groups_where(decider=2)
    w = fit_ranker([g[:2] for g in groups])
    assert len(w) == len(FEATURES) and w[2] == max(w) and w[2] > 1.0, w
    assert all(group_rank(x, y, w) == 1 for x, y, _ in groups)
    assert all(group_rank(x, y, None) in (None, 6, 7, 8, 9, 10) for x, y, _ in groups)
    # no question with a passage on each side: nothing to fit
    assert fit_ranker([(np.zeros((3, len(FEATURES))), [False] * 3)]) == []


def test_a_passage_looked_up_ahead_keeps_its_rank():
    x, y = wide(np.array([[0.0], [1.0]])), [False, True]
    assert group_rank(x, y, None, [True]) == 1
    assert group_rank(x, y, None, [False]) == 3
    assert group_rank(x, y, [1.0] + [0.0] * (len(FEATURES) - 1), [False]) == 2
    assert group_rank(x, y, None, [False] * 10) is None  # beyond the first 10


def test_the_tune_keeps_the_weights_only_where_the_left_out_questions_gain():
    helped = groups_where(decider=0)
    weights, measured = choose_ranker(helped, ["a", "b"] * 30)
    assert len(weights) == len(FEATURES) and weights[0] == max(weights)
    (h0, m0), (h1, m1) = measured["all"]
    assert h0 == 0.0 and h1 == 1.0 and m1 == 1.0 and set(measured) == {"a", "b", "all"}
    # features that are noise alone: the fusion's order (the right passage first) stays
    rng = np.random.default_rng(3)
    first = [(wide(rng.normal(size=(12, 4))), [True] + [False] * 11, []) for _ in range(40)]
    weights, measured = choose_ranker(first, ["a"] * 40)
    assert weights == [] and measured["all"][0] == (1.0, 1.0)
    # weights that order every question as well as the fusion did, no better: nothing gained, not kept
    same = [(wide(np.eye(12)[:, :4] * [1, 0, 0, 0]), [True] + [False] * 11, []) for _ in range(40)]
    weights, measured = choose_ranker(same, ["a"] * 40)
    assert measured["all"][1] == measured["all"][0] == (1.0, 1.0) and weights == []
    # a gain over all that costs one set more than 0.02 of its hit@5 is not kept: in set "c" the fusion put the
    # right passage first, and six others with the feature the other sets taught to follow
    cost = []
    for _ in range(10):
        x = np.zeros((12, 4))
        x[1:7, 0] = 1.0
        cost.append((wide(x), [True] + [False] * 11, []))
    weights, measured = choose_ranker(helped + cost, ["a", "b"] * 30 + ["c"] * 10)
    assert measured["all"][1][0] > measured["all"][0][0] + 0.01  # over all, a gain
    assert measured["c"][0][0] == 1.0 and measured["c"][1][0] == 0.0 and weights == []
    # ... even one question in ten of that set (0.1 of its hit@5), the others left as they were
    spared = [(wide(np.zeros((12, 4))), [True] + [False] * 11, []) for _ in range(9)]
    weights, measured = choose_ranker(helped + cost[:1] + spared, ["a", "b"] * 30 + ["c"] * 10)
    assert measured["c"][0][0] == 1.0 and abs(measured["c"][1][0] - 0.9) < 1e-9 and weights == []
    assert choose_ranker(helped + spared, ["a", "b"] * 30 + ["c"] * 9)[0]  # without it: kept


def test_a_search_with_weights_orders_its_head_again_unless_the_stage_is_off(tmp_path):
    """Wired in ``Retriever.search``: a weight against the fusion's own order reverses it, the stage switched off
    (``signals_off``) or without the dense side leaves it."""
    files = {
        f"{name}.txt": f"Le conseil des licornes {extra} se réunit chaque année.\n"
        for name, extra in (("a", "des prairies"), ("b", "des forêts"), ("c", "des montagnes"), ("d", "du lac"))
    }
    plain = service_over(tmp_path / "plain", files)
    question = "quand le conseil des licornes des prairies se réunit-il ?"
    before = [h.chunk.chunk_id for h in plain.search(question, 5).hits]
    reversed_ = service_over(tmp_path / "rev", files, ranker_weights={"rank": -1.0})
    after = [h.chunk.chunk_id for h in reversed_.search(question, 5).hits]
    assert len(before) == 4 and after == before[::-1], (before, after)
    # what the answer reads of it (``SearchResult.learned``: it trusts the learned order more)
    assert reversed_.search(question, 5).learned and not plain.search(question, 5).learned
    off = service_over(tmp_path / "off", files, ranker_weights={"rank": -1.0}, signals_off="ranker")
    assert [h.chunk.chunk_id for h in off.search(question, 5).hits] == before
    assert not off.search(question, 5).learned
    lexical = [h.chunk.chunk_id for h in plain.retriever.search(question, 5, dense=False).hits]
    without_dense = reversed_.retriever.search(question, 5, dense=False)
    assert [h.chunk.chunk_id for h in without_dense.hits] == lexical and not without_dense.learned


def test_the_search_orders_its_first_40_passages_and_returns_its_k(tmp_path):
    """The head the weights were fitted on: the fusion's first 40 passages, whatever ``k`` (the list is cut to
    ``max(k, 10)`` after); each hit's cosines as the index's vectors give them, NaN without one."""
    files = {f"n{i:02d}.txt": f"La commission numéro {i} des licornes siège au château.\n" for i in range(45)}
    plain = service_over(tmp_path / "plain", files)
    question = "où siège la commission des licornes ?"
    before = [h.chunk.chunk_id for h in plain.retriever.search(question, DEPTH).hits]
    assert len(before) == DEPTH
    reversed_ = service_over(tmp_path / "rev", files, ranker_weights={"rank": -1.0})
    after = reversed_.search(question, 5).hits
    assert [h.chunk.chunk_id for h in after] == before[::-1][:10]
    # k above 40: the same 40 ordered again, the others after them as they came
    more = [h.chunk.chunk_id for h in plain.retriever.search(question, 45).hits]
    longer = [h.chunk.chunk_id for h in reversed_.retriever.search(question, 45).hits]
    assert len(more) == 45 and longer == more[:DEPTH][::-1] + more[DEPTH:]
    # a signal turned off is not read by the stage either: its weight alone leaves the fusion's order (here BM25's
    # would send the commission named by its number down the list)
    named = "où siège la commission numéro 7 des licornes ?"
    bm25_off = service_over(tmp_path / "b", files, signals_off="bm25")
    weighted = service_over(tmp_path / "w", files, signals_off="bm25", ranker_weights={"bm25": -1.0, "rr_bm25": -1.0})
    assert [h.chunk.doc_id for h in weighted.search(named, 5).hits] == [
        h.chunk.doc_id for h in bm25_off.search(named, 5).hits
    ]
    read = service_over(tmp_path / "r", files, ranker_weights={"bm25": -1.0, "rr_bm25": -1.0})
    assert read.search(named, 45).hits[DEPTH - 1].chunk.doc_id == "n07.txt"  # read, it would: last of the 40
    result = plain.retriever.search(question, 5)
    some = result.hits[:3]
    cos = plain.retriever.cosines([*some, hit("nowhere")], result.query_vector)
    vectors = plain.index.store.vectors([h.chunk.chunk_id for h in some])
    q = result.query_vector / np.linalg.norm(result.query_vector)
    expected = [float(vectors[h.chunk.chunk_id] @ q / np.linalg.norm(vectors[h.chunk.chunk_id])) for h in some]
    assert len(cos) == 1 and np.allclose(cos[0][:3], expected) and np.isnan(cos[0][3])
