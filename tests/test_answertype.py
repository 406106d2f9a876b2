import pytest

from assistant.answertype import counted_noun, expected_type, gives_count, has_type


@pytest.mark.parametrize(
    "question,kind",
    [
        ("Combien de CPTS le plan Ma santé 2022 prévoit-il ?", "nombre"),
        ("Quel est le montant de la sanction ?", "nombre"),
        ("delai de carence indemnites journalieres ?", "nombre"),
        ("How many CPTS contracts were signed?", "nombre"),
        ("Quand l'avenant 7 a-t-il été signé ?", "date"),  # a past event
        ("quand se réunit le conseil de surveillance ?", "quand"),  # a date, a frequency or a time limit
        ("Depuis quand la téléconsultation est-elle remboursée ?", "date"),
        ("Comment s'appelle le directeur général de l'ARS Bretagne ?", "nom"),
        ("qui est le président actuel de la CRSA de Normandie", "nom"),  # a person of today
        ("c qui le ministre de la santé en ce moment ?", "nom"),  # "c'est qui" as typed
        ("c'est qui le DG de la CNAM actuellement", "nom"),
        ("c qui le DG de la CNAM", None),  # the office, not a person of today
        ("c'est qui qui paie les indemnités journalières en ce moment ?", None),  # an actor, not a name
        ("Qui dirige l'ARS aujourd'hui ?", "nom"),
        ("qui est le directeur général ?", None),  # the role, which the codes describe
        ("quelle est l'adresse du siège de l'ARS Occitanie", "adresse"),
        ("où se trouve le siège de la CNAM ?", "adresse"),
        ("à qui la CPTS adresse-t-elle son projet de santé ?", None),  # the verb
        ("quel est le numéro de l'ARS Bretagne", "telephone"),
        ("quel est le numéro de l'article sur le FIR ?", None),
        ("Qui pilote le ciblage des CAQES ?", None),
        ("nombre d'assurés en ALD en France en 2022 ?", "nombre"),  # typed as a noun phrase
        ("montant du FIR de la région en 2024", "nombre"),
        ("le montant total versé", None),  # not the question's first words
        ("dates des réunions 2019 de la commission ?", "date"),
        ("le plan a été adopté quand par le conseil ?", "date"),
        ("le forfait urgences quand on n'est pas hospitalisé", None),  # "quand" joins a clause
        ("Quand peut-on consulter un kiné sans ordonnance ?", None),  # in which cases: no date nor time asked
        ("depuis quand peut-on consulter un kiné sans ordonnance ?", "date"),
        ("Quand peut-on s'inscrire sur les listes, à quelle date ?", "quand"),  # a date asked after all
        ("le CACT se réunit à quelle fréquence ?", "frequence"),  # a frequency answers it
        ("A quel rythme les objectifs du CAQES sont-ils évalués ?", "frequence"),  # so "à quel rythme", "cadence"
        ("la commission se réunit selon quelle cadence ?", "frequence"),
        ("quelle est la périodicité des réunions de la commission ?", "frequence"),
        ("le rythme cardiaque du patient", None),
        # how common an event is, not how often something recurs: no date nor "une fois par an" answers it
        ("quelle est la fréquence des infections nosocomiales ?", None),
        ("quelle fréquence de cas de rougeole en France ?", None),
        ("quelle est la fréquence des effets indésirables graves ?", None),
        ("quelle est la fréquence de l'infection à clostridium ?", None),
        ("quelle est la fréquence de survenue des infections nosocomiales ?", None),
        ("à quelle fréquence des incidents doivent-ils être déclarés ?", "frequence"),  # "à quelle": how often
        ("quelle est la fréquence de déclaration des infections nosocomiales ?", "frequence"),
        ("Taux de participation de l'assuré : qui le fixe ?", None),  # an actor is asked, not the rate
        ("Que prévoit l'article L. 162-30-2 ?", None),
        # a sum of money: what one pays or is paid
        ("un paquet de clopes ça coute combien en ce moment ?", "argent"),
        ("quel est le salaire d'un directeur de CPAM", "argent"),
        ("la rémunération complémentaire c'est combien par mois ?", "argent"),
        ("combien je vais toucher", "argent"),
        ("combien est remboursée une consultation ?", "argent"),
        ("combien d'euros ont été versés aux CPTS ?", "argent"),
        ("quel est le tarif d'une consultation ?", "argent"),
        # ... not a number of things, a duration, or a yes / no on being paid
        ("combien de séances sont remboursées ?", "nombre"),
        ("combien faut-il de trimestres pour toucher une retraite à taux plein ?", "nombre"),
        ("combien de temps pour être payé ?", "nombre"),
        ("donner son sang c'est payé ?", None),
        ("le diabète touche combien de personnes ?", "nombre"),  # "touche": said of people, not of money
        ("combien sont touchés par la maladie de Lyme ?", "nombre"),
        ("combien perçoivent l'AAH ?", "nombre"),
        ("les séances sont remboursées combien de fois par an ?", "nombre"),
        ("je suis payé combien de temps en arrêt maladie ?", "nombre"),
        ("le salaire est maintenu combien de jours ?", "nombre"),
        ("le tarif est révisé combien de fois par an ?", "nombre"),
        ("on perçoit combien pendant un congé maternité ?", "argent"),  # said of the asker
        ("combien je dois payer", "argent"),
        ("c'est remboursé à combien ?", "argent"),
        ("combien sont-elles à percevoir l'AAH ?", "nombre"),  # people counted
        ("combien sont-ils touchés par la grippe ?", "nombre"),
        ("combien devrai-je payer ?", "argent"),  # "devrai" is not "de"
        ("j'ai touché combien ?", "argent"),
        ("combien d'argent pour un arrêt maladie ?", "argent"),
        ("combien faut-il attendre pour être remboursé ?", "nombre"),  # a time
        ("la CPAM met combien à rembourser ?", "nombre"),
        ("What is the current fee of a standard GP consultation in France?", "argent"),  # in English
        ("how much does a GP consultation cost?", "argent"),
        ("how much time do I have to send it?", "nombre"),
        ("What is the cost-effectiveness of the CPTS?", None),  # not a price asked
        ("Who covers the cost of the teleconsultation?", None),  # a body asked
    ],
)
def test_expected_type(question, kind):
    assert expected_type(question) == kind


@pytest.mark.parametrize(
    "sentence",
    [
        "c) 2 euros par transport, ce montant s'appliquant à chaque trajet.",
        "dans la limite de 1 000 € par an",
        "une sanction financière correspondant à 1 % des produits",
        "La participation est fixée aux deux tiers du tarif.",
        "Le dépistage est gratuit pour les mineurs.",
        "une indemnité égale à 90 p. 100 de la valeur",
        "dans la limite de quatre fois le plafond mensuel de la sécurité sociale",
        "Les fonctions de membre du conseil sont exercées à titre gratuit.",
        "Les assurés sont exonérés du ticket modérateur.",
        "Les soins sont pris en charge aux deux tiers.",
        "Le fonds est doté de 3,2 Md€.",
        "Ils bénéficient d'une exonération du ticket modérateur.",
    ],
)
def test_a_sum_of_money_or_a_share_answers_a_question_of_money(sentence):
    assert has_type(sentence, "argent")


@pytest.mark.parametrize(
    "sentence",
    [
        "Sont interdites la vente de paquets de moins de vingt cigarettes.",
        "La majoration ne peut dépasser un montant égal au produit de la rémunération.",
        "Le tarif est fixé par arrêté du 12 mars 2019 (article L. 162-5, n° 2019-12).",
        "Le salaire est maintenu pendant quatre-vingt-dix jours.",
        "lorsque le salaire est maintenu en totalité, l'employeur est subrogé",
        # a third party, a copy, a quarter of an hour, a date or "24/24" are not sums
        "La caisse ne peut communiquer le salaire des agents à des tiers.",
        "Le contrat est établi en double exemplaire.",
        "La séance dure un quart d'heure.",
        "Le service, ouvert 24/24, a été créé le 12/03/2021.",
        "Une fois le montant fixé, la caisse notifie sa décision.",  # once
        "On compte 300 médecins pour 100 000 habitants.",  # a rate of people
        "La version intégrale du rapport est publiée (EUR-Lex).",
        "Le patient désigne un tiers de confiance.",
        "Sont interdites l'offre à titre gratuit de paquets de moins de vingt cigarettes",
    ],
)
def test_a_number_or_a_word_of_amounts_alone_does_not_answer_a_question_of_money(sentence):
    assert not has_type(sentence, "argent")


def test_sentences_with_and_without_the_expected_thing():
    assert has_type("Le contrat est conclu pour une durée maximale de cinq ans.", "nombre")
    assert has_type("une sanction financière correspondant à 1 % des produits", "nombre")
    assert not has_type("dans les conditions prévues aux articles L. 162-1-7 et L. 162-14-1.", "nombre")
    assert not has_type("2° A la facturation des soins, selon l'avenant n°7 de 2016.", "nombre")
    assert not has_type("Les tarifs prennent effet à compter du 1er mars de l'année en cours.", "nombre")
    assert has_type("Le délai est de deux mois à compter du 1er mars.", "nombre")
    assert has_type("Ils ont été signés le 20 juin 2019 par l'Assurance Maladie.", "date")
    assert not has_type("La convention a été signée par les parties.", "date")
    # "quand se réunit le conseil ?": a frequency or a time limit answers a bare "quand" as a date does, not
    # "jusqu'à quand", "depuis quand", "en quelle année" (a date); a time limit says its length
    assert has_type("Le conseil de surveillance est réuni au moins deux fois par an.", "quand")
    assert has_type("L'assuré envoie l'avis d'arrêt de travail dans les deux jours.", "quand")
    assert has_type("La commission se réunit chaque année sur convocation de son président.", "quand")
    # a frequency asked is answered as a bare "quand" is, and by a frequency's adjective or adverb too ("une
    # évaluation annuelle", "se réunit trimestriellement"), which does not say when ("un programme annuel")
    assert has_type("Le conseil de surveillance est réuni au moins deux fois par an.", "frequence")
    assert has_type("La réalisation des objectifs fait l'objet d'une évaluation annuelle.", "frequence")
    assert has_type("Le comité se réunit trimestriellement.", "frequence")
    assert has_type("Les données sont transmises quotidiennement à l'agence.", "frequence")
    assert not has_type("La réalisation des objectifs fait l'objet d'une évaluation conjointe.", "frequence")
    assert not has_type("La commission définit un programme annuel de contrôle.", "quand")
    # ... of something that recurs only (the review's cases: they answered "à quelle fréquence ?")
    assert not has_type("Le comité des dragons établit un rapport annuel sur les dragons.", "frequence")
    assert not has_type("Les actes essentiels de la vie quotidienne.", "frequence")
    assert not has_type("L'aide est soumise à un plafond annuel fixé par arrêté.", "frequence")
    assert has_type("Les cas font l'objet d'un signalement hebdomadaire à l'agence.", "frequence")
    assert has_type("Ils ont été signés le 20 juin 2019 par l'Assurance Maladie.", "quand")
    assert not has_type("Le conseil se réunit sur convocation de son président.", "quand")
    assert not has_type("La demande est présentée dans le délai mentionné au premier alinéa.", "quand")
    assert has_type("La demande est présentée dans un délai de deux mois.", "quand")
    assert has_type("L'employeur déclare l'accident dans les quarante-huit heures.", "quand")
    assert has_type("La victime en informe l'employeur dans un délai d'un mois.", "quand")
    assert has_type("Le recours est formé dans un délai qui ne peut excéder deux mois.", "quand")
    assert has_type("La caisse statue dans le mois qui suit la demande.", "quand")
    assert not has_type("Le conseil de surveillance est réuni au moins deux fois par an.", "date")
    assert has_type("Le directeur général de l'UNCAM, N. REVEL", "nom") or has_type("signé par M. Revel", "nom")
    assert not has_type("Deux DG ARS se sont succédé en Bretagne.", "nom")


def test_quand_asks_for_a_date_only_as_the_question_word():
    assert expected_type("Quand le conseil de l'UNCAM a-t-il adopté le plan ?") == "date"  # a past event
    assert expected_type("Quand la CRSA a-t-elle été créée ?") == "date"
    assert expected_type("la CPTS est créée quand ?") == "quand"
    assert expected_type("jusqu'à quand dure le mandat du président de la CRSA ?") == "date"
    assert expected_type("retraite du régime général à partir de quand") == "date"
    assert expected_type("depuis quand existe la CRSA") == "date"
    assert expected_type("le forfait urgences quand on n'est pas hospitalisé, c'est prévu où ?") is None


@pytest.mark.parametrize(
    "question,noun",
    [
        ("combien de membres max dans une CRSA ?", "membres"),
        ("la CRSA elle a combien de commissions spécialisées", "commissions"),
        ("combien d'agents travaillent à l'ARS ?", "agents"),
        ("Combien de CPTS le plan prévoit-il ?", "CPTS"),
        ("combien de temps on garde un budget FIR non consommé", None),  # a duration
        ("le SRS c'est pour combien d'années", None),
        ("De combien les salaires ont-ils été revalorisés ?", None),  # an amount, nothing counted
        ("combien d'euros pour une consultation ?", None),  # money: any amount answers
        ("combien de la dotation va aux CPTS ?", "dotation"),  # the determiner is skipped
        ("combien de leurs représentants siègent au conseil ?", "représentants"),  # "le" of "leurs" is no article
        ("combien de ces membres sont élus ?", "membres"),
        ("combien d'entre eux siègent ?", None),  # nothing named is counted
    ],
)
def test_what_a_how_many_question_counts(question, noun):
    assert counted_noun(question) == noun


@pytest.mark.parametrize(
    "sentence,nouns,gives",
    [
        ("La conférence est composée de cent neuf membres au plus ayant voix délibérative.", ["membres"], True),
        ("En 2019, 4 000 CPTS étaient en projet.", ["cpts"], True),
        ("Le nombre de membres de la commission est fixé à 12.", ["membres"], True),
        ("le déploiement de mille Communautés professionnelles territoriales de santé", ["cpts", "Communautés"], True),
        ("Les membres sont nommés pour une durée de cinq ans.", ["membres"], False),  # a number, not of members
        ("L'article L. 1432-4 fixe la liste des membres.", ["membres"], False),  # an article number
        ("Au 1er janvier 2024, les membres du conseil sont renouvelés par moitié.", ["membres"], False),  # a date
        ("Le nombre de membres est fixé par arrêté ; ils sont nommés pour cinq ans.", ["membres"], False),
        ("Les membres de l'instance régionale, dont le nombre ne peut excéder vingt, sont nommés.", ["membres"], True),
        ("Les membres, dont le nombre est fixé par arrêté, sont nommés pour cinq ans.", ["membres"], False),
        ("Selon la note n° 2018-154, les membres sont désignés.", ["membres"], False),  # a reference
        ("15 % des médecins bretons exercent en MSP.", ["médecins"], False),  # a share of them
        ("12,5 pour cent des médecins exercent seuls ; 3 200 médecins en MSP.", ["médecins"], True),
        # a fraction of them is a share too (devu-006 "combien de membres max dans une CRSA ?" was answered with
        # "se réunit ... à la demande d'un tiers de ses membres")
        ("Elle se réunit à la demande d'un tiers de ses membres.", ["membres"], False),
        ("Le quorum est atteint lorsque la moitié au moins des membres sont présents.", ["membres"], False),
        ("Elle délibère à la majorité des deux tiers des membres ; elle compte trois membres.", ["membres"], True),
        ("Elle délibère à la majorité des deux tiers des membres.", ["membres"], False),
        ("Elle se réunit à la demande du tiers de ses membres.", ["membres"], False),
        # "à partir de combien d'enfants ?": an ordinal counts them; the ordinal of a text's part does not
        ("Les allocations familiales sont dues à partir du deuxième enfant à charge.", ["enfants"], True),
        ("Au troisième alinéa, les enfants à charge sont ceux du foyer.", ["enfants"], False),
        # "combien de membres au conseil de surveillance de l'ARS ?" was answered with L. 1432-3's vice-presidents:
        # a number of those chosen among the members is not a number of members
        ("Il est assisté de quatre vice-présidents, dont trois désignés parmi les membres du I.", ["membres"], False),
        ("Parmi les douze membres du conseil, trois sont élus.", ["membres"], True),
    ],
)
def test_a_count_is_a_number_of_the_thing_counted(sentence, nouns, gives):
    assert gives_count(sentence, nouns) is gives


@pytest.mark.parametrize(
    "sentence,kind,has",
    [
        ("Le siège est situé 3 place du Général Giraud, 35000 Rennes.", "adresse", True),
        ("Le siège de l'agence est fixé par décret.", "adresse", False),
        ("La commune compte 10000 habitants.", "adresse", False),  # a number, not a postcode and street
        ("Appelez le 02 90 08 80 00.", "telephone", True),
        ("Le délai est de 15 jours.", "telephone", False),
        ("Les allocations familiales sont dues à partir du deuxième enfant.", "nombre", True),  # an ordinal
        ("Le troisième alinéa de l'article est supprimé.", "nombre", False),  # the ordinal of a text's part
        ("Aux deuxième et troisième alinéas, les mots sont remplacés.", "nombre", False),  # parts listed
        ("En second lieu, la caisse notifie sa décision.", "nombre", False),
        ("Les parents jusqu'au quatrième degré sont informés.", "nombre", False),
    ],
)
def test_addresses_and_telephone_numbers(sentence, kind, has):
    assert has_type(sentence, kind) is has


@pytest.mark.parametrize(
    "sentence, has",
    [
        # another code's articles have no letter; a number with hyphens is a reference
        ("Ces droits sont mis en œuvre conformément aux articles 371-1, 372 à 373-2-1 et 459 du code civil.", False),
        ("Il est mentionné à l'article 5 de la loi du 1er juillet 1901.", False),
        ("La commission est composée de 12 membres.", True),
        ("Le conseil compte vingt-deux membres nommés.", True),
    ],
)
def test_references_to_articles_are_not_numbers(sentence, has):
    assert has_type(sentence, "nombre") is has


def test_a_percentage_asked_is_answered_by_a_share():
    """ "FNI et Sniil ils ont fait combien de % aux élections URPS infirmiers ?" was answered with "… soit environ
    215 000 patients sur les 900 000…": a number, not a share."""
    for question in (
        "ils ont fait combien de % aux élections ?",
        "quel pourcentage de votes ?",
        "quelle part des dépenses ?",
    ):
        assert expected_type(question) == "part", question
    assert expected_type("quel est le taux de remboursement ?") == "nombre"
    assert not has_type("soit environ 215 000 patients sur les 900 000 pris en charge", "part")
    for sentence in ("représentant 35 % des voix", "la moitié du tarif", "trente pour cent des suffrages"):
        assert has_type(sentence, "part"), sentence
