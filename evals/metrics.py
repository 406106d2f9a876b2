"""Eval metrics as plain functions. Each takes plain values so that it can be unit-tested alone."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable, Sequence

import numpy as np

from assistant.answer import evidence_strength
from assistant.ranker import TERRITORY, order
from assistant.text import fold, normalise_quote


def contains_evidence(passage: str, evidence: Iterable[str]) -> bool:
    """A passage holds an evidence quote (NFKC, typographic apostrophes to ', whitespace collapsed)."""
    text = normalise_quote(passage)
    return any(normalise_quote(q) and normalise_quote(q) in text for q in evidence)


def first_relevant_rank(passages: Sequence[str], evidence: Sequence[str], k: int = 10) -> int | None:
    """1-based rank of the first passage that holds an evidence quote, within the first k."""
    for i, p in enumerate(passages[:k], 1):
        if contains_evidence(p, evidence):
            return i
    return None


def hit_at(rank: int | None, k: int) -> float:
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None, k: int = 10) -> float:
    return 1.0 / rank if rank is not None and rank <= k else 0.0


def normalise_locator(label: str) -> str:
    """'Article 3.1' -> '3.1', '§ 35' -> '35', 'art. L. 162-30-2' -> 'l162-30-2', 'Article 5, p. 3' -> '5'."""
    text = fold(label)
    text = re.sub(r",\s*p\.\s*\d+$", "", text)
    text = re.sub(r"\b(articles?|art\.?)(?=\s|$|\d)", " ", text)
    text = text.replace("§", " ").replace("¶", " ")
    text = re.sub(r"\b([lrda])\.\s*(?=\d)", r"\1", text)
    return re.sub(r"\s+", "", text)


def locator_matches(locator: str, labels: Iterable[str]) -> bool:
    """Equal once normalised; a sub-unit ('Article 3.1') also matches its unit's label ('Article 3')."""
    loc = normalise_locator(locator)
    for label in labels:
        lab = normalise_locator(label)
        if lab and (loc == lab or loc.startswith(lab + ".")):
            return True
    return False


def keywords_present(answer: str, keywords: Iterable[str]) -> bool:
    """Every keyword is in the answer, case and accents ignored (whitespace collapsed)."""
    text = re.sub(r"\s+", " ", fold(answer))
    return all(re.sub(r"\s+", " ", fold(k)).strip() in text for k in keywords)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[rank - 1])


def answer_words(answer: str) -> int:
    """Words of an answer, its ``[n]`` markers left out."""
    return len(re.sub(r"\[\d{1,2}\]", " ", answer).split())


def median(values: Sequence[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    mid = len(ordered) // 2
    return float(ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2)


def mean(values: Sequence[float]) -> float:
    return float(sum(values) / len(values)) if values else 0.0


def calibrate_threshold(
    outcomes: Sequence[tuple], max_own_false_refusals: float = 0.05
) -> tuple[tuple[float, float, float], list[tuple[float, float, float, float]]]:
    """The refusal threshold on evidence strength, from each question's (refused whatever the threshold,
    strength, answerable[, its answer cites its evidence]). Of the thresholds whose own false refusals
    (answerable questions only the threshold refuses) stay within ``max_own_false_refusals`` of the answerable
    questions, the one whose refusals spare the user the most wrong answers (unanswerable questions answered,
    answers citing no passage that holds the evidence) less the right answers they take away; the lowest of
    equals. A wrong citation is worse than no answer, but a threshold that takes a right answer away for each
    wrong one it spares is not worth it. The other refusals (unknown word, no number where one is asked...) do
    not depend on the threshold and do not count against its budget: on a hard dev set they alone may pass it.
    Without the fourth value every answer counts as right. Returns (threshold, refusal_accuracy,
    false_refusal_rate) and the row of every admissible threshold (threshold, refusal_accuracy,
    false_refusal_rate, the threshold's own false refusals)."""
    outcomes = [(o[0], o[1], o[2], o[3] if len(o) > 3 else o[2]) for o in outcomes]
    n_ans = sum(1 for _, _, a, _ in outcomes if a)
    n_unans = len(outcomes) - n_ans
    best, best_net, rows = (0.0, -1.0, 0.0), None, []
    for t in sorted({round(c, 3) for _, c, _, _ in outcomes} | {0.0}):
        refused = [anyway or c < t for anyway, c, _, _ in outcomes]
        pairs = list(zip(refused, outcomes, strict=True))
        refused_unans = sum(1 for r, (_, _, a, _) in pairs if r and not a)
        refused_ans = sum(1 for r, (_, _, a, _) in pairs if r and a)
        ra, frr = refused_unans / max(1, n_unans), refused_ans / max(1, n_ans)
        own = sum(1 for r, (anyway, _, a, _) in pairs if r and a and not anyway) / max(1, n_ans)
        if own <= max_own_false_refusals:
            rows.append((t, ra, frr, own))
            net = refusal_net(outcomes, t)
            if best_net is None or net > best_net:
                best, best_net = (t, ra, frr), net
    return best, rows


def refusal_net(outcomes: Sequence[tuple], threshold: float) -> int:
    """The wrong answers a threshold's refusals spare (unanswerable questions, answers citing no passage that holds
    the evidence) less the right answers they take away, over ``calibrate_threshold``'s outcomes."""
    net = 0
    for anyway, strength, answerable, *ok in outcomes:
        if anyway or strength < threshold:
            net += -1 if answerable and (ok[0] if ok else True) else 1
    return net


def closeness_outcomes(parts: Sequence[tuple], weight: float, centre: float) -> list[tuple]:
    """``calibrate_threshold``'s outcomes from ``calibrate_closeness``'s parts: the strength is the coverage plus
    ``weight`` times the closeness less ``centre``, kept within [0, 1], the coverage alone where there is no
    closeness: the answerer's own ``evidence_strength``."""
    return [(anyway, evidence_strength(cov, n, weight, centre), a, ok) for anyway, cov, n, a, ok in parts]


def calibrate_closeness(
    parts: Sequence[tuple], weights: Sequence[float], max_own_false_refusals: float = 0.05
) -> tuple[float, float, tuple[float, float, float], list[tuple[float, float, float, float, int]], list[tuple]]:
    """The weight of the dense closeness in the evidence strength, with its threshold, from each question's
    (refused whatever the threshold, coverage, closeness or None, answerable, its answer cites its evidence; a
    lookup's coverage is 1). The closeness counts from its median over the questions (the centre); for each of
    ``weights`` the threshold is calibrated on coverage + weight * (closeness - centre) (``calibrate_threshold``),
    and the weight whose threshold spares the most wrong answers less the right ones it takes away is kept, the
    lowest of equals. Returns (weight, centre, (threshold, refusal_accuracy, false_refusal_rate)), each weight's
    row (weight, threshold, refusal_accuracy, false_refusal_rate, net) and the kept weight's admissible
    thresholds (``calibrate_threshold``'s rows)."""
    near = sorted(n for _, _, n, _, _ in parts if n is not None)
    centre = near[len(near) // 2] if near else 0.0
    rows, best = [], None
    for w in weights:
        outcomes = closeness_outcomes(parts, w, centre)
        (t, ra, frr), table = calibrate_threshold(outcomes, max_own_false_refusals)
        net = refusal_net(outcomes, t)
        rows.append((w, t, ra, frr, net))
        if best is None or net > best[0][4]:
            best = (rows[-1], table)
    (w, t, ra, frr, _), table = best
    return w, centre, (t, ra, frr), rows, table


CONFIDENT_MARGINS = tuple(round(0.05 * i, 2) for i in range(13))  # 0 to 0.6: the strength's margin over the threshold
CONFIDENT_LEADS = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3)  # the cited article's lead over the next, a share of its score
CONFIDENT_DENSES = (0.0, 0.5, 0.75, 0.9)  # the cited article's place on the dense side (``answer.dense_place``)
NO_MARGIN = 2.0  # above any evidence strength's margin over a threshold (both within [0, 1])
CONFIDENT_MIN_ANSWERS = 10  # fewer answers of high confidence than this on the dev sets measure no precision


def marked_high(
    answers: Sequence[tuple[float, float, float, bool]], margin: float, lead: float, dense: float
) -> list[bool]:
    """Of ``calibrate_confident``'s answers, whether each one the thresholds mark high cites its evidence (the rule
    of ``Answerer.confidence``)."""
    return [ok for m, g, d, ok in answers if m >= margin and g >= lead and d >= dense]


def calibrate_confident(
    answers: Sequence[tuple[float, float, float, bool]],
    precision: float,
    margins=CONFIDENT_MARGINS,
    leads=CONFIDENT_LEADS,
    denses=CONFIDENT_DENSES,
) -> tuple[float, float, float, int, float]:
    """The thresholds of an answer of high confidence (``Answerer.confidence``), from each answered dev question's
    (evidence strength less the refusal threshold, its cited article's lead over the next, its cited article's place
    on the dense side, whether it cites a passage that holds the evidence; an unanswerable question answered does
    not): of the triples whose answers of high confidence (at least ``CONFIDENT_MIN_ANSWERS``) cite their evidence at
    least ``precision`` of the time, the one that marks the most, then the most precise, then the lowest. None
    reaching it: thresholds no answer passes (every answer to check: a margin above any, the strength and the
    threshold being shares). Returns (margin, lead, dense place, answers of high confidence, their precision)."""
    best = None
    for margin in margins:
        for lead in leads:
            for dense in denses:
                high = marked_high(answers, margin, lead, dense)
                if len(high) < CONFIDENT_MIN_ANSWERS:
                    continue
                p = sum(high) / len(high)
                if p >= precision and (best is None or (len(high), p) > (best[3], best[4])):
                    best = (margin, lead, dense, len(high), p)
    return best or (NO_MARGIN, 1.0, 1.0, 0, 0.0)


def held_out_precision(
    rows_by_set: Sequence[Sequence[tuple[float, float, float, bool]]], precision: float, denses=CONFIDENT_DENSES
) -> tuple[int, float | None]:
    """What the calibration of ``calibrate_confident`` promises outside the questions it was measured on: each dev
    set in turn is left out, the thresholds are calibrated on the others and applied to it. Returns the answers of
    high confidence of the sets so left out and the share of them that cite their evidence (None where none is
    marked, or with fewer than two sets); ``denses``, the dense places tried (``(0.0,)``: the place not read). Only
    the confidence's thresholds are held out: the refusal threshold and the closeness the rows were read with were
    measured on every set. Measured at stop 62 on the users' three dev sets, with the dense place: 0.816 at the
    default index and 0.705 at the full codes against the 0.852 and 0.863 of the calibration on all three; the test
    set gave 0.689 and 0.742."""
    if len(rows_by_set) < 2:
        return 0, None
    marked = right = 0
    for i, out in enumerate(rows_by_set):
        train = [r for j, rows in enumerate(rows_by_set) if j != i for r in rows]
        margin, lead, dense, _, _ = calibrate_confident(train, precision, denses=denses)
        high = marked_high(out, margin, lead, dense)
        marked += len(high)
        right += sum(high)
    return marked, (right / marked if marked else None)


def choose_dense_places(
    rows_by_set: Sequence[Sequence[tuple[float, float, float, bool]]], precision: float
) -> tuple[tuple[float, ...], tuple[int, float | None], tuple[int, float | None]]:
    """Whether the calibration reads the cited article's dense place: each dev set left out in turn
    (``held_out_precision``), with the places of ``CONFIDENT_DENSES`` tried and without (only 0). The place is read
    when its answers of high confidence held out cite their evidence more often; a variant that marks none held out
    loses. Returns the places to try and the two held-out figures (with, without). Measured at stop 62 on the
    users' three dev sets: with it 0.816 against 0.696 at the default index, 0.705 against 0.730 at the full codes
    (the test set: 0.689 against 0.679, 0.742 against 0.778)."""
    with_place = held_out_precision(rows_by_set, precision, CONFIDENT_DENSES)
    without = held_out_precision(rows_by_set, precision, (0.0,))
    better = (with_place[1] or 0.0) > (without[1] or 0.0)
    return (CONFIDENT_DENSES if better else (0.0,)), with_place, without


def confident_rows(
    parts: Sequence[tuple],
    leads: Sequence[float],
    places: Sequence[float],
    skipped: Sequence[bool],
    weight: float,
    centre: float,
    threshold: float,
) -> list[tuple[float, float, float, bool]]:
    """``calibrate_confident``'s answers from ``calibrate_closeness``'s parts (refused whatever the threshold,
    coverage, closeness or None, answerable, cites its evidence), each answer's article lead, its article's place on
    the dense side and whether it is left out (an article asked by its number: always of high confidence): the
    questions the calibrated threshold answers, each with its strength's margin over it, its lead, its place and
    whether it cites its evidence. A question with no closeness where the weight counts one is left out too: its
    strength is read against another threshold and the answerer marks it low."""
    rows = []
    for (anyway, cov, near, _answerable, ok), lead, place, skip in zip(parts, leads, places, skipped, strict=True):
        if anyway or skip or (weight and near is None):
            continue
        strength = evidence_strength(cov, near, weight, centre)
        if strength >= threshold:
            rows.append((strength - threshold, lead, place, bool(ok)))
    return rows


# The learned ranking stage (``assistant.ranker``): fitted on the dev sets' questions, each one a group of
# candidates (the features of the head of its fused list, in the fusion's order) with their labels (the passage
# holds its evidence).
RANKER_L2 = 0.01  # the ridge on the weights
RANKER_FOLDS = 5  # the dev questions in fifths, each left out in turn
RANKER_GAIN = 0.01  # kept where hit@5 + mrr@10 over the left-out fifths gains at least this ...
RANKER_DROP = 0.02  # ... and no dev set's hit@5 drops by more than this (issue 14's bound for the dev sets)


def fit_ranker(groups: Sequence[tuple], l2: float = RANKER_L2, steps: int = 50) -> list[float]:
    """Weights of a linear score that puts each question's passages holding the evidence above the others: a
    logistic regression on the differences of their features (every pair of one that holds it and one that does
    not), by Newton's steps. A question's differences are divided by the square root of its number of pairs: near
    weights of 0 a question with many pairs still pulls more than one with few, about as the square root of their
    number (as measured on the saved candidates before the stage was built, stop 64; weighting each question's
    pairs by 1 / their number was not tried). Only passages on the same side of ``assistant.ranker.order``'s line
    (a territory's own passages, the others) are paired: the order settles a pair across it whatever the weights,
    and the ``territory`` signal (0 or 1) differs in no pair, so its weight stays 0.
    ``groups``: (features: an array, one row per passage, the columns of ``assistant.ranker.FEATURES``; labels:
    booleans)."""
    diffs = []
    for x, y in groups:
        y = np.asarray(y, dtype=bool)
        side = x[:, TERRITORY] > 0
        sides = []
        for here in (~side, side):
            pos, neg = x[y & here], x[~y & here]
            sides.append((pos[:, None, :] - neg[None, :, :]).reshape(-1, x.shape[1]))
        pairs = np.vstack(sides)
        if len(pairs):
            diffs.append(pairs / math.sqrt(len(pairs)))
    if not diffs:
        return []
    d = np.vstack(diffs)
    w = np.zeros(d.shape[1])
    for _ in range(steps):
        z = d @ w
        p = 1.0 / (1.0 + np.exp(-z))
        grad = -(d * (1.0 - p)[:, None]).sum(0) / len(d) + l2 * w
        hess = (d * (p * (1.0 - p))[:, None]).T @ d / len(d) + l2 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-9:
            break
    return w.tolist()


def group_rank(x: np.ndarray, y: Sequence[bool], w: Sequence[float] | None, looked: Sequence[bool] = ()) -> int | None:
    """1-based rank of the first passage holding the evidence, within the first 10, once the passages (``x``: one
    row of ``assistant.ranker.FEATURES`` each) are ordered by the weights ``w`` as the search orders them
    (``assistant.ranker.order``; None: as they came); ``looked``: the labels of the passages looked up by the
    question's article numbers, ranked ahead of them all."""
    for place, held in enumerate(looked[:10], 1):
        if held:
            return place
    ranked = range(len(y)) if w is None else order(x, x @ np.asarray(w))
    for place, i in enumerate(ranked, len(looked) + 1):
        if place > 10:
            return None
        if y[i]:
            return place
    return None


def choose_ranker(groups: Sequence[tuple], sets: Sequence[str], seed: int = 0) -> tuple[list[float], dict]:
    """The weights fitted on every group, or [] where the stage would not help: each fifth of the questions (a
    seeded shuffle) ordered by the weights fitted on the other four, against the fusion's order, hit@5 + mrr@10
    over all must gain ``RANKER_GAIN`` and no set's hit@5 drop more than ``RANKER_DROP``. ``groups``: (features,
    a row of ``assistant.ranker.FEATURES`` per passage; labels; the labels of the passages looked up before them);
    ``sets``: each group's dev set. Returns the weights and, for each set and for all, (hit@5, mrr@10) before and
    after."""
    shuffled = list(range(len(groups)))
    random.Random(seed).shuffle(shuffled)
    fold = {i: n % RANKER_FOLDS for n, i in enumerate(shuffled)}
    ranks: dict[int, tuple] = {}
    for f in range(RANKER_FOLDS):
        w = fit_ranker([groups[i][:2] for i in range(len(groups)) if fold[i] != f])
        for i in (i for i in range(len(groups)) if fold[i] == f):
            x, y, looked = groups[i]
            ranks[i] = (group_rank(x, y, None, looked), group_rank(x, y, w or None, looked))
    measured: dict[str, tuple] = {}
    for name in [*dict.fromkeys(sets), "all"]:
        ids = [i for i in range(len(groups)) if name == "all" or sets[i] == name]
        measured[name] = tuple(
            (mean([hit_at(ranks[i][k], 5) for i in ids]), mean([reciprocal_rank(ranks[i][k]) for i in ids]))
            for k in (0, 1)
        )
    (h0, m0), (h1, m1) = measured["all"]
    drops = [name for name, ((a, _), (b, _)) in measured.items() if name != "all" and a - b > RANKER_DROP + 1e-9]
    keep = bool(groups) and h1 + m1 - (h0 + m0) >= RANKER_GAIN and not drops
    return (fit_ranker([g[:2] for g in groups]) if keep else []), measured
