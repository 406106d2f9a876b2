"""The phrase signal: a passage that holds the question's words side by side ("personne de confiance") ranks
above one that holds them apart."""

from types import SimpleNamespace

import numpy as np

from assistant.index import term_pairs
from assistant.retrieval import phrase_score, question_pairs
from assistant.text import analyse

FLAT = SimpleNamespace(lexical=SimpleNamespace(idf=lambda term: 1.0))  # every term weighs the same


def pairs_of(text: str) -> np.ndarray:
    return np.unique(np.array(term_pairs(analyse(text)), dtype=np.uint32))


def test_the_words_must_be_adjacent():
    question = question_pairs(FLAT, analyse("personne de confiance"))
    assert phrase_score(pairs_of("Toute personne majeure peut désigner une personne de confiance."), question) == 1.0
    apart = "La personne hospitalisée accorde sa confiance au médecin."
    assert set(analyse("personne confiance")) <= set(analyse(apart))  # both words, not side by side
    assert phrase_score(pairs_of(apart), question) == 0.0
    assert phrase_score(np.zeros(0, dtype=np.uint32), question) == 0.0


def test_each_pair_counts_its_share_of_the_weight():
    terms = analyse("choisir une personne de confiance")
    question = question_pairs(FLAT, terms)
    assert len(question[0]) == 2 and np.isclose(question[1].sum(), 1.0)
    assert phrase_score(pairs_of("désigner une personne de confiance"), question) == 0.5
    rare = SimpleNamespace(lexical=SimpleNamespace(idf=lambda term: 3.0 if term == terms[0] else 1.0))
    assert phrase_score(pairs_of("désigner une personne de confiance"), question_pairs(rare, terms)) == 2 / 6
    assert question_pairs(FLAT, analyse("confiance")) is None  # one word: no pair, no signal
