"""The shipped eval set: its format, and every evidence quote found verbatim in the corpus."""

import functools
import html
import re
import unicodedata

import pytest
from conftest import CORPUS, full_codes

from evals.metrics import locator_matches, normalise_locator
from evals.runner import (
    DEFAULT_QUESTIONS,
    DEV_AGENTS_QUESTIONS,
    DEV_REAL_QUESTIONS,
    DEV_SETS,
    DEV_USERS_QUESTIONS,
    KINDS,
    TEST_QUESTIONS,
    load_questions,
    question_group,
)
from ingest.loaders import html_to_text


def _norm(text):
    text = unicodedata.normalize("NFKC", text).replace("’", "'")
    return re.sub(r"\s+", " ", text)


@functools.lru_cache(maxsize=2)  # read once per session: the full codes take seconds to parse
def _corpus_texts(full: bool = False):
    """Normalised text of each document of corpus/ (and of the full codes when ``full``: ``conftest.full_codes``), by
    article number or file name (an article number present in both codes keys a list of texts)."""
    texts = {}
    for path in (CORPUS / "documents").glob("*.txt"):
        texts[path.name] = [_norm(path.read_text(encoding="utf-8"))]
    for folder in (CORPUS / "legifrance", full_codes()) if full else (CORPUS / "legifrance",):
        for path in folder.rglob("*.md"):
            raw = path.read_text(encoding="utf-8")
            if raw.startswith("# Article"):
                texts.setdefault(path.stem.upper(), []).append(
                    _norm(html.unescape(html_to_text(raw.split("\n", 1)[1])[0]))
                )
    return {k: " \n ".join(v) for k, v in texts.items()}


def test_question_set_format():
    qs = load_questions(DEFAULT_QUESTIONS)
    assert len(qs) >= 80
    assert len({q["id"] for q in qs}) == len(qs)
    unanswerable = [q for q in qs if not q["answerable"]]
    assert len(unanswerable) >= 5
    assert all(not q["evidence"] and not q["citations"] for q in unanswerable)
    assert all(q["evidence"] for q in qs if q["answerable"])
    assert all(isinstance(q["evidence"], list) and isinstance(q["citations"], list) for q in qs)


def test_every_evidence_quote_exists_verbatim_in_the_corpus():
    """In corpus/, or in the full codes for a question only they answer ("delai de carence indemnites journalieres
    maladie ?", labelled unanswerable for corpus/ until 2026-12-04: R. 323-1 of the full codes answers it, and on
    their index it counted a refusal as right)."""
    texts = _corpus_texts(full=True)
    missing = [
        (q["id"], e)
        for q in load_questions(DEFAULT_QUESTIONS)
        for e in q["evidence"]
        if not any(_norm(e) in t for t in texts.values())
    ]
    assert not missing


def test_code_article_labels_point_at_an_article_holding_the_quote():
    texts = _corpus_texts(full=True)
    for q in load_questions(DEFAULT_QUESTIONS):
        code_labels = [c for c in q["citations"] if re.match(r"^[LRDA]\d", c)]
        if code_labels:
            holders = [name for name, t in texts.items() if any(_norm(e) in t for e in q["evidence"])]
            assert any(locator_matches(h, code_labels) for h in holders), q["id"]


USER_SETS = (TEST_QUESTIONS, DEV_USERS_QUESTIONS, DEV_AGENTS_QUESTIONS, DEV_REAL_QUESTIONS)
USER_SET_IDS = ["test", "dev_users", "dev_agents", "dev_real"]


@pytest.mark.parametrize("path", USER_SETS, ids=USER_SET_IDS)
def test_user_question_sets_have_a_kind_and_a_source(path):
    qs = load_questions(path)
    assert all(q.get("kind") in KINDS and q.get("source") for q in qs)
    assert all(q["kind"] == "unanswerable" for q in qs if not q["answerable"])
    assert all(q["evidence"] and q["answer_keywords"] for q in qs if q["answerable"])
    assert all(not q["evidence"] and not q["citations"] for q in qs if not q["answerable"])
    real = [q for q in qs if question_group(q) == "real"]
    assert all(q["source"].startswith(("http://", "https://")) for q in real)


def test_the_test_set_holds_the_questions_the_issue_asks_for():
    qs = load_questions(TEST_QUESTIONS)
    groups = [question_group(q) for q in qs]
    assert len(qs) >= 200
    assert groups.count("real") >= 80
    assert groups.count("onboarding") >= 60
    assert sum(1 for q in qs if not q["answerable"]) >= 30


def test_no_question_is_both_in_the_test_set_and_in_a_dev_set():
    test = {_norm(q["question"]).lower() for q in load_questions(TEST_QUESTIONS)}
    dev = {_norm(q["question"]).lower() for p in DEV_SETS for q in load_questions(p)}
    assert not test & dev
    dev_ids = [q["id"] for p in DEV_SETS for q in load_questions(p)]
    assert not {q["id"] for q in load_questions(TEST_QUESTIONS)} & set(dev_ids)
    assert len(dev_ids) == len(set(dev_ids))


@functools.lru_cache(maxsize=2)
def _by_unit(full: bool) -> dict[str, list[str]]:
    """The documents of ``_corpus_texts(full)`` by the first part of their normalised locator ("l162-30-2",
    "3" of "3.1"): a label can only match a document of its own unit (see ``locator_matches``)."""
    units: dict[str, list[str]] = {}
    for name in _corpus_texts(full):
        units.setdefault(normalise_locator(name).split(".")[0], []).append(name)
    return units


def _cited_holders(full: bool, quotes: list[str], labels: list[str]) -> list[str]:
    """The documents that ``locator_matches`` one of ``labels`` and hold one of ``quotes`` (normalised)."""
    texts, units = _corpus_texts(full), _by_unit(full)
    candidates = {n for lab in labels for n in units.get(normalise_locator(lab).split(".")[0], [])}
    return [n for n in sorted(candidates) if locator_matches(n, labels) and any(q in texts[n] for q in quotes)]


@pytest.mark.parametrize("path", USER_SETS, ids=USER_SET_IDS)
def test_every_user_question_quote_is_in_the_article_it_cites(path):
    texts = _corpus_texts(full=True)
    missing, wrong = [], []
    for q in load_questions(path):
        quotes = [_norm(e) for e in q["evidence"]]
        code_labels = [c for c in q["citations"] if re.match(r"^(LO|[LRDA])\d", c)]
        cited = _cited_holders(True, quotes, code_labels) if code_labels else []
        for e, quote in zip(q["evidence"], quotes, strict=True):
            if not any(quote in texts[n] for n in cited) and not any(quote in t for t in texts.values()):
                missing.append((q["id"], e))
        if code_labels and not cited:
            wrong.append(q["id"])
    assert not missing and not wrong, (missing, wrong)
