"""The shipped eval set: its format, and every evidence quote found verbatim in the corpus."""
import html
import re
import unicodedata

from evals.metrics import locator_matches
from evals.runner import DEFAULT_QUESTIONS, load_questions
from ingest.loaders import html_to_text

from conftest import CORPUS


def _norm(text):
    text = unicodedata.normalize("NFKC", text).replace("’", "'")
    return re.sub(r"\s+", " ", text)


def _corpus_texts():
    texts = {}
    for path in (CORPUS / "documents").glob("*.txt"):
        texts[path.name] = _norm(path.read_text(encoding="utf-8"))
    for path in (CORPUS / "legifrance").rglob("*.md"):
        raw = path.read_text(encoding="utf-8")
        if raw.startswith("# Article"):
            texts[path.stem.upper()] = _norm(html.unescape(html_to_text(raw.split("\n", 1)[1])[0]))
    return texts


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
    texts = _corpus_texts()
    missing = [(q["id"], e) for q in load_questions(DEFAULT_QUESTIONS) for e in q["evidence"]
               if not any(_norm(e) in t for t in texts.values())]
    assert not missing


def test_code_article_labels_point_at_an_article_holding_the_quote():
    texts = _corpus_texts()
    for q in load_questions(DEFAULT_QUESTIONS):
        code_labels = [c for c in q["citations"] if re.match(r"^[LRDA]\d", c)]
        if code_labels:
            holders = [name for name, t in texts.items() if any(_norm(e) in t for e in q["evidence"])]
            assert any(locator_matches(h, code_labels) for h in holders), q["id"]
