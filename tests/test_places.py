"""The places a question asks about (assistant/places.py, places.tsv)."""

from assistant.places import asked_places, key, names_place, places_in


def test_a_place_is_found_however_it_is_typed():
    for question in (
        "combien de DMP ont été ouverts en Bretagne en 2019 ?",
        "combien de DMP ont été ouverts en bretagne en 2019 ?",
        "COMBIEN DE DMP ONT ÉTÉ OUVERTS EN BRETAGNE EN 2019 ?",
        "Bretagne : combien de DMP ouverts en 2019 ?",
        "combien de DMP ouverts en 2019 (Bretagne) ?",
        "J'aimerais connaître le nombre de DMP ouverts en Bretagne en 2019",
    ):
        assert asked_places(question) == ["bretagne"], question
    assert places_in("les médecins d'Ile de France") == ["ile de france"]
    assert places_in("l'ARS Provence-Alpes-Côte d'Azur") == ["provence alpes cote d azur"]


def test_words_that_are_not_places_here():
    # a capitalised common noun, a common word that is also a town, the country itself
    assert asked_places("Le Gouvernement peut-il suspendre le directeur général de l'ARS ?") == []
    assert asked_places("la réunion du conseil a lieu à Tours ?") == []
    assert asked_places("Combien coûte une consultation en France ?") == []


def test_the_place_of_the_askers_own_situation_is_not_asked_about():
    assert asked_places("Je vis à Lyon, comment déclarer mon médecin traitant ?") == []
    assert asked_places("Mon médecin est à Lyon : le tiers payant est-il obligatoire ?") == []
    assert asked_places("J'habite en Bretagne, combien de temps pour envoyer mon arrêt ?") == []
    assert asked_places("Je vis à Lyon : combien de centres de santé à Marseille ?") == ["marseille"]


def test_a_passage_names_a_place_with_or_without_its_hyphens():
    assert names_place(key("L'agence régionale de santé d'Île-de-France"), "ile de france")
    assert not names_place(key("Les agences régionales de santé"), "bretagne")
    assert not names_place(key("Les Bretons"), "bretagne")
