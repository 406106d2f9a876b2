"""The onboarding path is built from the corpus: every sentence of every card is quoted from the passage it
cites, and each card's articles are in the index."""

import re

from assistant.onboarding import build_path, path_html


def _pieces(shown: str) -> list[str]:
    """The quoted parts of an answer line (clauses cut with "…"), without the [n]."""
    text = re.sub(r"\s*\[\d{1,2}\]", "", shown).strip().lstrip("- ")
    return [p.strip() for p in text.split("…") if len(p.strip()) > 15]


def test_every_card_sentence_comes_from_its_cited_passage(service):
    cards = build_path(service)
    names = {c.name for c in cards}
    assert {"CAQES", "CPTS", "Commission régionale de coordination"} <= names, names  # in the small corpus
    for card in cards:
        for answer in card.answers:
            assert answer.citations, card.name
            passages = " ".join(" ".join(c.text.split()) for c in answer.citations)
            for line in answer.answer.split("\n"):
                for piece in _pieces(line):
                    assert " ".join(piece.split()) in passages, (card.name, piece)
        for number in card.articles:
            assert number in service.index.articles
    by_name = {c.name: c for c in cards}
    definition = by_name["CAQES"].definition
    assert definition.citations[0].cite_as == "CSS, art. L. 162-30-2"
    assert "commission" in by_name["Commission régionale de coordination"].definition.answer
    page = path_html(cards)
    assert page.count("class='card'") == len(cards) and "Trois questions à poser" in page
