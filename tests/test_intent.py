"""Question intents from French question patterns, and the cue phrases of legal text that answer them."""

import pytest

from assistant.intent import asked_words, has_cue, intent_of, says_until, shape_of
from assistant.wordclass import carries_subject, subject_words


@pytest.mark.parametrize(
    "question,intent",
    [
        ("c'est quoi le FIR ?", "definition"),
        ("cpts c quoi", "definition"),
        ("Qu'est-ce qu'une DCGDR ?", "definition"),
        ("FIR ?", "definition"),
        ("a quoi sert la CRSA", "role"),
        ("quelles sont les missions des ARS ?", "role"),
        # "c'est quoi son rôle ?" asks for the role, not a definition; "c'est quoi la mission locale ?" for one
        ("CNAF, c'est quoi son rôle ?", "role"),
        ("c'est quoi le rôle de l'ARS ?", "role"),
        ("c quoi le rôle de l'ARS", "role"),
        ("c'est quoi exactement son rôle ?", "role"),
        ("qui préside le conseil de surveillance de l'ARS ?", "presidence"),
        ("qui siège à la commission de coordination ?", "composition"),
        ("le PRS c'est pour combien de temps", "duree"),
        ("délai pour saisir la CRA ?", "duree"),
        ("le schéma c'est pour combien d'années", "duree"),
        ("le CACT il doit se réunir à quelle fréquence", "duree"),
        ("le CACT se réunit à quel rythme ?", "duree"),
        ("quelle est la périodicité des réunions du CACT ?", "duree"),
        ("les zones sont revues tous les combien ?", "duree"),
        ("montant de la pénalité ?", "sanction"),
        ("clinique qui refuse de signer le caqes, elle risque quoi", "sanction"),
        ("que risque un médecin qui refuse la carte vitale ?", "sanction"),
        ("qui pilote la gestion du risque ?", "qui"),
        ("quel est le taux de remboursement ?", "montant"),
        ("qui signe le CAQES", "qui"),
        ("comment contester une décision de la CPAM ?", "procedure"),
        ("à quelles conditions une CPTS est-elle financée ?", "conditions"),
        ("Peut-on fumer dans un bar ?", "oui_non"),
        ("mon employeur peut-il me contrôler pendant un arrêt ?", "oui_non"),
        # the subject inverted anywhere, or "on peut", "est-ce": a yes or a no
        ("le buraliste peut il vendre des cigarettes a un ado de 16 ans", "oui_non"),
        ("Le refus de transfusion sanguine est-il autorisé par la loi française ?", "oui_non"),
        ("fongibilité : on peut basculer des crédits de prévention vers du soin ?", "oui_non"),
        ("Les influenceurs font de la publicité pour l'alcool sans les mentions. Est-ce licite ?", "oui_non"),
        # ... unless a question word opens its clause: it asks for what it names
        ("Quand le conseil de l'UNCAM a-t-il adopté le plan national ?", None),
        ("quel temps fera-t-il demain à Rennes", None),
        ("Bonjour, quand peut-on demander une pension ?", "conditions"),  # in which cases: not a yes / no
        ("Le FIR : qu'en est-il pour les CPTS ?", None),
        # ... after a preposition too
        ("Sous quelle forme l'intéressement CAQES est-il versé à l'établissement ?", None),
        ("selon quels critères le FIR est-il réparti entre les régions ?", None),
        ("devant quel tribunal le refus est-il contesté ?", None),
        ("entre quels acteurs le contrat est-il signé ?", None),
        ("au bout de combien de temps l'avis est-il réputé rendu ?", "duree"),
        ("à hauteur de combien la caisse prend-elle en charge ?", "montant"),
        # the members named, not asked for: what is asked of them decides; asked for, a composition
        ("membres de la crsa nommés pour combien de temps", "duree"),
        ("mandat des membres du CTS durée", "duree"),
        ("qui sont les membres du CTS ?", "composition"),
        ("les membres de la CRSA ?", "composition"),
        # the plural too: "rôles des ARS ?" was read as a definition, answered with what the ARS are
        ("rôles des ARS ?", "role"),
        # ... but a clause opened by a preposition without a question word stays a yes / no
        ("Dès que l'arrêt de travail est terminé le salarié peut-il reprendre ?", "oui_non"),
        ("Pendant qu'elle est en congé maternité la salariée est-elle payée ?", "oui_non"),
        ("Avant qu'il ne parte en retraite l'employeur doit-il lui verser une prime ?", "oui_non"),
        ("en cas de refus, la caisse doit-elle motiver sa décision ?", "oui_non"),
        ("avec l'accord du patient, le médecin peut-il partager le dossier ?", "oui_non"),
        # ... a clause that the question word only opens, then the yes / no
        ("Quand on est en arrêt maladie, a-t-on le droit de voyager ?", "oui_non"),
        ("Ou bien l'employeur doit-il payer ?", "oui_non"),
        # not a relative clause nor "elles-mêmes"
        ("liste des actes que l'on peut déléguer à une infirmière", None),
        ("les soins qu'on peut facturer", None),
        ("Les ARS sont elles-mêmes financées par le FIR", None),
        # what one risks: a sanction, in any form; "bien que risqué" is not one
        ("qu'est-ce qu'on risque si on ne signe pas le CAQES ?", "sanction"),
        ("que risquerait une clinique qui refuse ?", "sanction"),
        ("bien que risqué, le geste est-il autorisé ?", "oui_non"),
        # the first and second persons: "Peux-tu ...", "serai-je remboursé", "..., je peux voter ?"
        ("Peux-tu congeler tes ovocytes sans raison médicale ?", "oui_non"),
        ("Séances de chimio : serai-je remboursé des trajets en voiture ?", "oui_non"),
        ("je suis en CDD de 4 mois à l'ARS, je peux voter aux élections du CACT ?", "oui_non"),
        ("la liste de ce que je peux faire", None),
        ("pourrai-je toucher le chômage ?", "oui_non"),
        # ... not with a question word anywhere in the clause, nor in a polite request
        ("je dois faire quoi pour obtenir la CSS ?", None),
        ("je ne sais pas à qui je dois m'adresser", None),
        ("les aides auxquelles je peux prétendre", None),
        ("Pouvez-vous m'expliquer ce qu'est un GHT ?", None),
        ("Peux-tu me dire qui est le directeur de l'ARS ?", None),
        # "quand peut-on ...", "dans quel cas": in which cases
        ("Quand peut-on consulter un kiné sans ordonnance ?", "conditions"),
        ("dans quels cas la CPAM rembourse le transport", "conditions"),
        # an age, before "jusqu'à" (a duration), "bénéficier" (conditions) and the yes / no of "peut-on"
        ("À partir de quel âge peut-on donner son sang ?", "age"),
        ("Jusqu'à quel âge peut-on toucher des allocations familiales pour un enfant ?", "age"),
        ("A partir de quel âge peut-on bénéficier de l'ASPA ?", "age"),
        ("quel est l'âge limite pour être directeur", "age"),
        ("Quel est l'âge limite pour être président du CA ?", "age"),  # not who presides
        ("Quel est l'âge de la retraite ?", "age"),
        ("Pour quels âges le dépistage est-il pris en charge ?", "age"),
        ("les personnes âgées peuvent-elles bénéficier de l'ASPA ?", "conditions"),  # not an age asked
    ],
)
def test_intent_patterns(question, intent):
    assert intent_of(question) == intent


def test_the_words_that_say_what_is_asked_are_not_searched():
    # "risque" asks for the sanction: the codes write "sanction", "est puni"; searched, it would lead to the
    # "gestion du risque" (and, absent from the article that answers, lower the evidence and refuse).
    assert asked_words("clinique qui refuse de signer le caqes, elle risque quoi") == ["risque"]
    assert asked_words("Que risquent les pharmaciens ?") == ["risquent"]
    assert asked_words("qui pilote la gestion du risque ?") == []
    assert asked_words("Quel risque pèse sur la coopération ?") == []
    # "quelle est la peine pour … ?" asks for the sanction: the "peine d'interdiction" of another article is not it
    assert asked_words("quelle est la peine pour exercice illégal de la médecine ?") == ["peine"]
    assert asked_words("Quelles sont les peines encourues ?") == ["peines"]
    assert asked_words("quelle peine pour vente de tabac à un mineur") == ["peine"]
    assert asked_words("la peine d'interdiction d'exercer est prononcée par qui ?") == []
    assert asked_words("tu risques quoi ?") == ["risques"]
    # what kind of body it is: its defining sentence says it without these words
    assert asked_words("c quoi le statut juridique d'une ARS") == ["statut juridique"]
    assert asked_words("URPS c'est quoi comme structure juridique") == ["structure juridique"]
    assert asked_words("le statut des praticiens hospitaliers") == []
    assert asked_words("bien que risqué, le geste est-il autorisé ?") == []
    # the unit of a duration: the codes say "pour cinq ans", and their "années" are "chaque année"
    assert asked_words("le SRS c'est pour combien d'années") == ["annees"]
    assert asked_words("au bout de combien de temps l'avis est réputé rendu ?") == ["bout", "temps"]
    assert asked_words("le temps de travail des agents") == []
    # the frequency asked: the codes say "une fois par an", "une évaluation annuelle", never "rythme"
    assert asked_words("A quel rythme les objectifs du CAQES sont-ils évalués ?") == ["rythme"]
    assert asked_words("la commission se réunit selon quelle cadence ?") == ["cadence"]
    assert asked_words("quelle est la fréquence des réunions ?") == ["frequence"]
    assert asked_words("quel est le rythme des évaluations ?") == ["rythme"]
    assert asked_words("le rythme de travail des agents") == []
    # how common an event is: its words are the subject, searched and counted ("fréquence des infections")
    assert asked_words("quelle est la fréquence des infections nosocomiales ?") == []
    assert intent_of("quelle est la fréquence des infections nosocomiales ?") is None
    assert intent_of("quelle est la fréquence des réunions du conseil ?") == "duree"
    assert asked_words("les données de l'année 2019 ?") == []
    # "qui siège au ..." asks for the members; the codes' "siège" is the seat ("le siège de l'agence")
    assert asked_words("qui siege au CA de l'ARS") == ["siege"]
    assert asked_words("Qui siègent au conseil ?") == ["siegent"]
    assert asked_words("où est le siège de l'ARS ?") == []
    # "à quoi sert ...", "ça sert à quoi": the verb asks for the role (devu-098 "IPA ça sert à quoi concrètement"
    # was refused: "sert" weighed in the evidence, no article says it)
    assert asked_words("IPA ça sert à quoi concrètement") == ["sert"]
    assert asked_words("À quoi servent les URPS ?") == ["servent"]
    assert asked_words("le FIR sert à quoi") == ["sert"]
    assert asked_words("le montant qui sert de base au calcul") == []


def test_no_intent_for_a_plain_question():
    assert intent_of("Que prévoit la convention bretonne de 2016 sur l'échange des données ?") is None


def test_cues_mark_the_sentences_that_answer():
    assert has_cue("La conférence est présidée par le préfet de région.", "presidence")
    assert not has_cue("La conférence rend des avis sur le projet régional.", "presidence")
    assert has_cue("Le contrat est conclu pour une durée maximale de cinq ans.", "duree")
    assert has_cue("L'agence a pour mission de définir et de mettre en œuvre...", "role")
    assert has_cue("Le représentant de proximité a un rôle d'écoute, au niveau local.", "role")
    assert not has_cue("Le rôle des cotisations est fixé par décret.", "role")
    assert has_cue("est puni de 7 500 euros d'amende", "sanction")
    # a length of time is a duration's cue, whatever its number ("un an", "vingt et un jours"); a number of
    # other things is not (deva-076 "signée pour cmb d'années max" was answered with "signé avec trois syndicats")
    assert has_cue("L'action se prescrit par un an à compter de la fin du séjour.", "duree")
    assert has_cue("Le congé est de vingt et un jours.", "duree")
    assert not has_cue("L'avenant a été signé avec trois syndicats.", "duree")
    assert has_cue("Le médecin transmet son avis dans les 48 h.", "duree")
    assert has_cue("La durée d'assurance est de trois trimestres.", "duree")
    # an amount counted in time is no duration
    assert not has_cue("L'indemnité est égale à deux mois de salaire.", "duree")
    assert not has_cue("Le dépôt de garantie ne peut dépasser 1 mois de loyer.", "duree")
    assert has_cue("Le salaire est maintenu deux mois.", "duree")
    assert not has_cue("Les crédits non consommés sont reportés sur l'exercice suivant.", "duree")
    assert says_until("Les crédits non consommés sont reportés sur l'exercice suivant.")
    assert not says_until("L'exercice des fonctions est incompatible.")
    # an age, or what the codes say instead of one
    assert has_cue("L'âge mentionné à l'article L. 815-1 est fixé à soixante-cinq ans.", "age")
    assert has_cue("Il est interdit de vendre à des mineurs de moins de dix-huit ans des produits du vapotage.", "age")
    assert has_cue("Aucun prélèvement de sang ne peut avoir lieu sur une personne mineure.", "age")
    assert has_cue("Sont éligibles les personnels âgés de dix-huit ans révolus.", "age")
    assert has_cue("Les enfants ouvrent droit aux prestations familiales jusqu'à l'âge de vingt ans.", "age")
    assert has_cue("Toute personne majeure peut rédiger des directives anticipées.", "age")
    assert has_cue("Les personnes âgées d'au moins seize ans peuvent...", "age")
    assert has_cue("Le dépistage est proposé aux femmes de 50 à 74 ans.", "age")
    assert has_cue("Les assurés de plus de soixante ans bénéficient...", "age")
    assert not has_cue("Les modifications mineures sont notifiées.", "age")
    assert not has_cue("Sauf en cas de force majeure, le délai court.", "age")
    assert not has_cue("La prise en charge des patients âgés en ville.", "age")
    assert not has_cue("Le don du sang est gratuit.", "age")
    # a number of years is a duration, "personnes âgées" a category: neither says an age
    assert not has_cue("Les représentants du personnel sont élus pour une période de quatre ans.", "age")
    assert not has_cue("Cinq représentants des associations de retraités et personnes âgées.", "age")
    assert not has_cue("Nul ne peut assurer plus de dix ans consécutivement les fonctions de président.", "age")
    assert not has_cue("sous réserve de l'avis conforme d'une majorité qualifiée de leurs membres", "age")
    assert not has_cue("anything", None)


def test_shapes():
    assert [shape_of(i) for i in ("definition", "composition", "duree", "oui_non", None)] == [
        "definition",
        "list",
        "fact",
        "oui_non",
        "plain",
    ]


@pytest.mark.parametrize(
    "word,previous,first,carries,before",
    [
        ("TVA", "de", False, True, ""),  # an acronym
        ("Ségur", "du", False, True, ""),  # a name
        ("chômage", "le", False, True, ""),  # after a determiner
        ("optique", "remboursement", False, True, ""),  # a noun by its ending
        ("jouer", "peut", False, False, ""),  # a common verb
        ("vouloir", "pourrait", False, False, ""),
        ("vraiment", "veut", False, False, ""),  # a common adverb
        ("concrètement", "quoi", False, False, ""),
        ("juste", "au", False, False, ""),  # a filler: "le FIR finance quoi au juste ?"
        ("fond", "au", False, False, ""),  # common with its accents (wordfreq lacks "concretement")
        ("zorglubien", "est", False, True, ""),  # rare in French
        ("vraies", "des", False, False, ""),  # an adjective before its noun: "des vraies CPTS"
        ("nouvelle", "la", False, False, ""),
        ("rejoindre", "de", False, False, "obligé"),  # an infinitive after "obligé de"
        ("accéder", "peut", False, False, ""),  # ... or after a modal
        ("dossier", "de", False, True, "copie"),  # a noun after "de" still carries it
        ("loyer", "le", False, True, ""),
        # a verb after a subject pronoun or "ne", whatever its ending: "J'hésite à créer mon dossier" was refused
        # with "Aucun document du corpus ne mentionne « hésite »", "nous n'étions pas mariés" for "étions"
        ("hésite", "J", False, False, ""),
        ("étions", "n", False, False, "nous"),
        ("cotisations", "les", False, True, ""),
        ("cotisations", "des", False, True, "nous"),
    ],
)
def test_which_words_carry_the_subject(word, previous, first, carries, before):
    assert carries_subject(word, previous, first, before=before) is carries


def test_after_an_inverted_pronoun_comes_a_noun_that_carries_the_subject():
    carried = [w for w, c in subject_words("Y a-t-il prescription pour les indus ?") if c]
    assert "prescription" in carried
    assert "exonération" in [w for w, c in subject_words("Existe-t-il exonération ?") if c]
    assert "hésite" not in [w for w, c in subject_words("J’hésite à créer mon dossier médical") if c]


def test_word_frequencies_are_wordfreqs_read_without_importing_it():
    """The rule reads wordfreq's small French list itself (importing wordfreq took 0.2 s of a server's start):
    the same Zipf values as wordfreq for plain words, common, rare and unknown, and for the others (digits,
    apostrophes, capitals), which still go through wordfreq."""
    import subprocess
    import sys

    from wordfreq import iter_wordlist, zipf_frequency

    from assistant.wordclass import zipf

    listed = list(iter_wordlist("fr", wordlist="small"))
    words = (
        listed[::25] + listed[-200:] + ["adjonction", "concretement", "xyzzy", "œuvre", "2021", "aujourd'hui", "TVA"]
    )
    assert all(zipf(w) == zipf_frequency(w, "fr", wordlist="small") for w in words)
    assert zipf("vouloir") > 3 > zipf("adjonction") and zipf("xyzzy") == 0.0
    code = (
        "import sys; from assistant.wordclass import carries_subject; carries_subject('jouer'); "
        "print('wordfreq' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_the_large_french_list_gives_wordfreqs_values():
    """``french_zipf`` reads wordfreq's large French list into two arrays: the same Zipf values as wordfreq for
    plain words, common, rare, misspelt and unknown; and wordfreq answers when its file is not readable."""
    from wordfreq import iter_wordlist, zipf_frequency

    from assistant import wordclass

    listed = [w for w in iter_wordlist("fr", wordlist="large") if wordclass.PLAIN.fullmatch(w)]
    words = listed[::50] + listed[-300:] + ["commision", "parents", "xyzzyq", "œuvre"]
    assert all(wordclass.french_zipf(w) == zipf_frequency(w, "fr", wordlist="large") for w in words)
    assert wordclass.french_zipf("marions") > 0 and wordclass.french_zipf("xyzzyq") == 0.0
    assert wordclass.typo_of("commision", lambda w: True) == "commission"
    assert wordclass.typo_of("parents", lambda w: True) is None
    assert wordclass.is_slip("acceuil", "accueil") and wordclass.is_slip("professionel", "professionnel")
    assert not wordclass.is_slip("licite", "limite") and not wordclass.is_slip("marions", "marins")


@pytest.fixture
def moved_wordfreq(monkeypatch, tmp_path):
    """wordfreq's files where another version might put them (not under its data/): every word list of
    ``wordclass`` read again, before and after the test."""
    import importlib.util

    from assistant import wordclass

    real = importlib.util.find_spec

    class Moved:
        origin = str(tmp_path / "wordfreq" / "__init__.py")  # no data/ there

    def clear():
        for f in (wordclass._small_french, wordclass.zipf, wordclass.french_zipf, wordclass._folded_common):
            f.cache_clear()
        wordclass._LARGE.clear()

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: Moved() if name == "wordfreq" else real(name, *a))
    clear()
    yield wordclass
    clear()


def test_the_large_list_comes_from_wordfreq_when_its_file_is_not_readable(moved_wordfreq):
    """Another wordfreq version may move its files: the frequencies and the corrections then come through
    wordfreq itself."""
    from wordfreq import zipf_frequency

    wordclass = moved_wordfreq
    assert wordclass.french_zipf("marions") == zipf_frequency("marions", "fr", wordlist="large") > 0
    assert wordclass._LARGE == [None]
    assert wordclass.typo_of("personel", lambda w: True) == "personnel"


def test_word_frequencies_come_from_wordfreq_when_its_file_is_not_readable(moved_wordfreq):
    """Another wordfreq version may move or change its list: the rule then asks wordfreq, and answers go on."""
    from wordfreq import zipf_frequency

    wordclass = moved_wordfreq
    assert wordclass._small_french() is None
    assert wordclass.zipf("vouloir") == zipf_frequency("vouloir", "fr", wordlist="small") > 3
    assert not wordclass.carries_subject("jouer")


def test_a_length_of_time_is_a_number_of_units_not_the_word_duree():
    """A duration asked is answered first by a sentence that gives a length of time, not by one that only says
    "durée" or "délai"; an amount counted in months is no length of time."""
    from assistant.intent import says_length

    for sentence in (
        "Le mandat des membres des conseils territoriaux de santé est de cinq ans, renouvelable une fois.",
        "dans un délai de 2 mois à compter de la réception",
        "pendant vingt et un jours",
        "pour une durée d'un an",
    ):
        assert says_length(sentence), sentence
    for sentence in (
        "il est remplacé pour la durée du mandat restant à courir",
        "dans un délai fixé par décret",
        "une indemnité égale à deux mois de salaire",
    ):
        assert not says_length(sentence), sentence


def test_a_sentence_naming_the_asked_one_as_the_agent_answers_the_reverse_question():
    """ "qui nomme le directeur général de l'ARS ?" asks who appoints him: a sentence where he appoints others
    ("… sont nommés par le directeur général", "par arrêté des directeurs généraux") or acts ("… agrément par le
    directeur général") says the reverse. A sentence where he is the one appointed, or one that names him
    otherwise, may answer; "déterminées par une convention" names an instrument, not the one who concludes it."""
    from assistant.intent import reversed_agent

    question = "qui nomme le directeur général d'une ARS ?"
    for sentence in (
        "Leurs membres sont nommés par le directeur général de l'agence régionale de santé de la région.",
        "Ils sont nommés par arrêté des directeurs généraux des agences régionales de santé concernées.",
        "Dans chaque école un médecin, directeur technique des enseignements, est nommé par arrêté du directeur "
        "général de l'agence régionale de santé.",
        "La nomination des directeurs des écoles est subordonnée à leur agrément par le directeur général.",
    ):
        assert reversed_agent(question, sentence), sentence
    for sentence in (
        "Le directeur général de l'agence régionale de santé est nommé par décret en conseil des ministres.",
        "Le ministre chargé de la santé nomme le directeur général.",
        "Le conseil de surveillance est présidé par le préfet de région.",
    ):
        assert not reversed_agent(question, sentence), sentence
    # an instrument named in passing ("par une convention", "par des conventions"), a sentence where the question's
    # verb follows the object: they may answer
    convention = (
        "Les modalités du plan sont déterminées par une convention conclue par le directeur général de l'agence."
    )
    assert not reversed_agent("Qui conclut la convention de mise en oeuvre du plan ?", convention)
    plural = "Les modalités sont déterminées par des conventions conclues par le directeur général."
    assert not reversed_agent("Qui conclut les conventions de mise en oeuvre du plan ?", plural)
    signed = "Les tarifs sont fixés par la convention nationale signée par l'Union nationale des caisses."
    assert not reversed_agent("qui signe la convention ?", signed)
    assert reversed_agent("qui finance le FIR ?", "Les actions financées par le FIR sont arrêtées chaque année.")
    # not a question of that form: "qui est", "qui peut", "qui relève du", "par qui", a relative clause
    members = "Les membres sont nommés par le directeur général."
    assert not reversed_agent("qui est le directeur général ?", members)
    assert not reversed_agent("qui peut saisir le directeur général ?", members)
    assert not reversed_agent("le directeur est nommé par qui ?", "Les membres sont nommés par le directeur.")
    assert not reversed_agent("qui relève du régime général ?", "Les indépendants sont couverts par le régime général.")
    assert not reversed_agent(
        "quelles sont les obligations de l'établissement qui signe le contrat ?",
        "les obligations fixées par le contrat",
    )
    assert reversed_agent("Bonjour, qui nomme le directeur général ?", members)
    # the one asked about as the subject of the question's verb says what he does; acted on, he is answered
    assert reversed_agent("qui nomme le directeur de la CPAM ?", "Le directeur nomme les agents de direction.")
    assert not reversed_agent(question, "Le directeur général, nommé par décret, nomme les membres.")
    assert not reversed_agent("qui fixe les tarifs ?", "Les tarifs sont fixés par arrêté des ministres.")


def test_a_time_limit_says_a_duration():
    """ "le délai pour déclarer un accident du travail ?" is answered by "… jusqu'à l'expiration de la deuxième
    année qui suit l'accident": a time limit, though neither "délai" nor "deux ans" is written."""
    assert has_cue(
        "La déclaration peut être faite jusqu'à l'expiration de la deuxième année qui suit l'accident.", "duree"
    )
    assert has_cue("Elle est pratiquée avant la fin de la quatorzième semaine de grossesse.", "duree")
    assert not has_cue("La déclaration est faite à la caisse primaire par la victime.", "duree")


def test_the_one_asked_about_is_read_with_whose_it_is():
    """ "qui nomme le président de la HAS ?" was answered at the full codes with "Le président de la Haute Autorité
    de santé nomme les présidents des commissions spécialisées" (whom he appoints): the name was read as its first
    word, and "les présidents des commissions" (others) and "sa présidence" (another word) made the sentence look
    like one about him being appointed. The name is read with whose it is ("de la HAS", spelled out through
    ``long_forms``) and as written (a plural or a feminine aside); "après avis du", "sur décision du" name an
    agent as "par" does."""
    from assistant.intent import reversed_agent

    def long_forms(acronym):
        return {"HAS": ["Haute Autorité de santé"], "CPAM": ["caisse primaire d'assurance maladie"]}.get(acronym, [])

    question = "qui nomme le président de la HAS ?"
    for sentence in (
        "Le président de la Haute Autorité de santé nomme les présidents des commissions spécialisées.",
        "Sur décision du président de la Haute Autorité, deux commissions réunies sous sa présidence délibèrent.",
    ):
        assert reversed_agent(question, sentence, long_forms), sentence
    answers = (
        "Le président du collège, président de la Haute Autorité de santé, désigné par le Président de la République"
    )
    assert not reversed_agent(question, answers, long_forms)
    assistants = (
        "Les assistantes sociales sont nommées par le directeur de la caisse régionale, après avis du directeur de la "
        "caisse primaire."
    )
    assert reversed_agent("qui nomme le directeur de la CPAM ?", assistants, long_forms)
    # without its long forms, an acronym's complement is not checked (the sentence may spell it out)
    members = "Leurs membres sont nommés par le directeur général de l'agence régionale de santé."
    assert reversed_agent("qui nomme le directeur général d'une ARS ?", members)


def test_an_acronym_asked_about_is_found_spelled_out():
    """ "qui contrôle les ARS ?" was answered at the full codes with "Le directeur général de l'agence régionale de
    santé contrôle également les établissements de formation" (what the ARS controls): the acronym asked about is
    found in full through its long forms. "élit son président" is a noun of "préside", not the verb."""
    from assistant.intent import reversed_agent

    def long_forms(acronym):
        return {
            "ARS": ["agences régionales de santé"],
            "CRSA": ["conférence régionale de la santé et de l'autonomie"],
        }.get(acronym, [])

    controls = "Le directeur général de l'agence régionale de santé contrôle également les établissements de formation."
    assert reversed_agent("qui contrôle les ARS ?", controls, long_forms)
    assert not reversed_agent("qui contrôle les ARS ?", controls)  # its long form unknown: not found
    controlled = "Les agences régionales de santé sont contrôlées par l'inspection générale des affaires sociales."
    assert not reversed_agent("qui contrôle les ARS ?", controlled, long_forms)
    elects = "La conférence régionale de la santé et de l'autonomie réunie en assemblée plénière élit son président."
    assert not reversed_agent("qui préside la CRSA ?", elects, long_forms)


def test_a_sentence_where_the_verb_asked_acts_on_its_object_says_who_acts():
    """ "qui délivre la carte vitale ?": "Chaque organisme … délivre une carte Vitale" says who; "Un arrêté …
    détermine les justificatifs … pour la délivrance de la carte Vitale" does not; nor "ils peuvent signer des
    conventions" for "qui signe la convention médicale ?" (the name asked is written in full)."""
    from assistant.intent import acts_on_asked

    q = "qui délivre la carte vitale ?"
    assert acts_on_asked(q, "Chaque organisme d'assurance maladie délivre une carte Vitale aux assurés.")
    assert acts_on_asked(q, "La carte Vitale est délivrée par la caisse primaire.")
    assert not acts_on_asked(q, "Un arrêté détermine les justificatifs produits pour la délivrance de la carte Vitale.")
    assert not acts_on_asked(q, "Une carte Vitale peut être délivrée à une personne mineure.")
    assert not acts_on_asked("qui signe la convention médicale ?", "Ils peuvent signer des conventions.")
    assert acts_on_asked("qui signe la convention médicale ?", "L'union signe la convention médicale.")
    assert not acts_on_asked("c'est quoi la carte vitale ?", "La caisse délivre la carte Vitale.")
    # the noun opens a long subject, the auxiliary right before the participle
    plan = (
        "II. – Le plan d'actions pluriannuel régional d'amélioration de la pertinence des soins est arrêté par le "
        "directeur."
    )
    assert acts_on_asked("qui arrête le plan d'actions pertinence ?", plan)
    assert not acts_on_asked(
        "qui arrête le plan ?", "Le plan, dont les actions ont été définies avec soin, arrêté hier."
    )


def test_a_who_question_is_answered_by_a_sentence_that_says_its_action():
    """ "qui nomme le directeur de la CPAM ?" was answered "Le directeur dirige la caisse primaire…": an authority
    named (the one asked about), no appointment said. The verb, its noun or a verb the codes write for it must be
    there ("la gestion" for "gère", "arrêté par" for "fixe")."""
    from assistant.intent import names_action

    q = "qui nomme le directeur de la CPAM ?"
    assert not names_action(q, "Le directeur dirige la caisse primaire d'assurance maladie.")
    assert names_action(q, "Le directeur est nommé par le directeur général de la Caisse nationale.")
    assert names_action(q, "La nomination du directeur est faite par le directeur général.")
    assert names_action("qui gère l'UNCAM ?", "La Caisse nationale assure la gestion administrative de l'union.")
    assert names_action("qui fixe le budget ?", "Le budget est arrêté par le directeur général.")
    assert not names_action("qui fixe le budget ?", "Le budget est transmis au directeur général.")
    assert names_action("c'est quoi le budget ?", "Le budget est transmis au directeur général.")  # no action asked
    # who pays: "pris en charge", not the "chargé" of "le ministre chargé de la sécurité sociale"
    q = "qui paie le transport en ambulance ?"
    assert names_action(q, "Les frais de transport sont pris en charge par l'assurance maladie.")
    assert not names_action(q, "Un référentiel arrêté par le ministre chargé de la sécurité sociale précise les cas.")
    # a word start that is another word is no family: "établissement", "version", "organisme", "validité"
    assert names_action("qui arrête le budget ?", "Le budget est établi par le directeur.")
    assert not names_action("qui arrête le budget ?", "Le budget de l'établissement est transmis.")
    assert not names_action("qui verse la rente ?", "La version en vigueur de la rente est transmise.")
    assert names_action("qui verse la rente ?", "La rente est servie par la caisse.")
    assert not names_action("qui organise la garde ?", "L'organisme local informe de la garde.")
    assert not names_action("qui valide le plan ?", "La durée de validité du plan est de deux ans.")


def test_an_apposition_that_says_what_kind_of_body_it_is_defines_it():
    """ "c'est quoi la HAS ?" was answered with L. 161-45's "Les ressources de la Haute Autorité de santé sont
    constituées notamment par :" before L. 161-37's "La Haute Autorité de santé, autorité publique indépendante à
    caractère scientifique, est chargée de :": the kind of body between commas is a definition's cue."""
    assert has_cue(
        "La Haute Autorité de santé, autorité publique indépendante à caractère scientifique, est chargée de :",
        "definition",
    )
    assert has_cue("Le fonds, établissement public de l'Etat, finance les actions.", "definition")
    assert not has_cue("Le directeur, après avis du conseil, fixe la liste.", "definition")


def test_kesako_asks_what_it_is():
    """ "PreParE kesako ?" was refused: "Aucun document du corpus ne mentionne « kesako »"."""
    for q in ("PreParE kesako ?", "la CSG kézako", "quésaco la PUMa ?"):
        assert intent_of(q) == "definition" and asked_words(q), q


def test_a_question_asks_what_a_notion_is_only_in_so_many_words():
    """The refusal of a definition answered by a mere mention applies where the question asks what a notion is,
    not to a bare notion, to "qui définit…" (who) or to "définitivement"."""
    from assistant.intent import asks_definition

    for q in ("PUI à l'hôpital, ça veut dire quoi ?", "Qu'est-ce qu'une SISA ?", "comment le code définit un DM ?"):
        assert asks_definition(q), q
    for q in ("FIR ?", "qui définit les zones sous-dotées ?", "pharmacie qui ferme définitivement, prévenir qui"):
        assert not asks_definition(q), q
