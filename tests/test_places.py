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


def test_an_institutions_name_and_common_words_are_not_places_asked_about():
    # the codes apply to every ARS alike: "l'ARS Grand Est" names an agency, not a place asked about
    assert asked_places("Qui nomme le directeur général de l'ARS Grand Est ?") == []
    assert asked_places("Quelles sont les missions de l'ARS de Bretagne ?") == []
    assert asked_places("la CPAM de Paris rembourse quoi ?") == []
    assert asked_places("les médecins de l'ARS Bretagne en Corse ?") == ["corse"]
    # accents are kept when written: "maçon" is not Mâcon, "corsé" not the Corse; "macon" typed bare is
    assert asked_places("un maçon victime d'un accident du travail") == []
    assert asked_places("un vin corsé est-il de l'alcool ?") == []
    assert asked_places("combien de médecins a macon") == ["macon"]
    # in a question with capitals, a place is written with one
    assert asked_places("Le plus grand est-il le meilleur hôpital de France ?") == []


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
    assert asked_places("J'ai déménagé à Lyon, que faire de ma carte Vitale ?") == []
    assert asked_places("Habitant à Lyon, dois-je changer de caisse ?") == []
    # ... but a question about the asker's rights in a place asks about that place
    assert asked_places("Mes droits sont-ils les mêmes en Guadeloupe ?") == ["guadeloupe"]
    assert asked_places("je suis perdu combien de médecins en Bretagne") == ["bretagne"]


def test_a_passage_names_a_place_with_or_without_its_hyphens():
    assert names_place(key("L'agence régionale de santé d'Île-de-France"), "ile de france")
    assert not names_place(key("Les agences régionales de santé"), "bretagne")
    assert names_place(key("l'ARS de Bretagne"), "bretagne")
