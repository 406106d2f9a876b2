import pytest

from assistant.answertype import expected_type, has_type


@pytest.mark.parametrize(
    "question,kind",
    [
        ("Combien de CPTS le plan Ma santé 2022 prévoit-il ?", "nombre"),
        ("Quel est le montant de la sanction ?", "nombre"),
        ("delai de carence indemnites journalieres ?", "nombre"),
        ("How many CPTS contracts were signed?", "nombre"),
        ("Quand l'avenant 7 a-t-il été signé ?", "date"),
        ("Depuis quand la téléconsultation est-elle remboursée ?", "date"),
        ("Comment s'appelle le directeur général de l'ARS Bretagne ?", "nom"),
        ("Qui pilote le ciblage des CAQES ?", None),
        ("Que prévoit l'article L. 162-30-2 ?", None),
    ],
)
def test_expected_type(question, kind):
    assert expected_type(question) == kind


def test_sentences_with_and_without_the_expected_thing():
    assert has_type("Le contrat est conclu pour une durée maximale de cinq ans.", "nombre")
    assert has_type("une sanction financière correspondant à 1 % des produits", "nombre")
    assert not has_type("dans les conditions prévues aux articles L. 162-1-7 et L. 162-14-1.", "nombre")
    assert not has_type("2° A la facturation des soins, selon l'avenant n°7 de 2016.", "nombre")
    assert not has_type("Les tarifs prennent effet à compter du 1er mars de l'année en cours.", "nombre")
    assert has_type("Le délai est de deux mois à compter du 1er mars.", "nombre")
    assert has_type("Ils ont été signés le 20 juin 2019 par l'Assurance Maladie.", "date")
    assert not has_type("La convention a été signée par les parties.", "date")
    assert has_type("Le directeur général de l'UNCAM, N. REVEL", "nom") or has_type("signé par M. Revel", "nom")
    assert not has_type("Deux DG ARS se sont succédé en Bretagne.", "nom")


def test_quand_asks_for_a_date_only_as_the_question_word():
    assert expected_type("Quand le conseil de l'UNCAM a-t-il adopté le plan ?") == "date"
    assert expected_type("la CPTS est créée quand ?") == "date"
    assert expected_type("depuis quand existe la CRSA") == "date"
    assert expected_type("le forfait urgences quand on n'est pas hospitalisé, c'est prévu où ?") is None
