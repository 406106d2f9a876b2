import pytest

from evals import metrics as m


def test_evidence_matching_normalises_apostrophes_and_spaces():
    passage = "un ciblage travaillé ensemble,\n une information portée par l’ARS"
    assert m.contains_evidence(passage, ["ciblage travaillé ensemble, une information portée par l'ARS"])
    assert not m.contains_evidence(passage, ["ciblage travaillé seul"])


def test_ranks_hits_and_reciprocal_rank():
    passages = ["a", "b la preuve c", "la preuve"]
    rank = m.first_relevant_rank(passages, ["la preuve"])
    assert rank == 2
    assert m.hit_at(rank, 1) == 0.0 and m.hit_at(rank, 5) == 1.0
    assert m.reciprocal_rank(rank) == 0.5
    assert m.reciprocal_rank(None) == 0.0
    assert m.first_relevant_rank(["x"] * 10 + ["la preuve"], ["la preuve"]) is None


@pytest.mark.parametrize("locator,labels,ok", [
    ("§ 35", ["35"], True),
    ("art. L. 162-30-2", ["L162-30-2"], True),
    ("art. L. 162-30-2", ["L162-30"], False),
    ("Article 3.1", ["Article 3"], True),
    ("Article 3", ["Article 3.1"], False),
    ("Article 1er", ["article 1er"], True),
    ("Préambule", ["preambule"], True),
    ("Article 5, p. 3", ["Article 5"], True),
    ("§ 3", ["35"], False),
])
def test_locator_matching(locator, labels, ok):
    assert m.locator_matches(locator, labels) is ok


def test_keywords_ignore_case_and_accents():
    assert m.keywords_present("Le Directeur Général de l'ARS décide.", ["directeur general", "ARS"])
    assert not m.keywords_present("Le directeur décide.", ["directeur général"])


def test_percentiles():
    assert m.percentile([5, 1, 3, 2, 4], 50) == 3
    assert m.percentile(list(range(1, 101)), 95) == 95
    assert m.percentile([], 95) == 0.0
