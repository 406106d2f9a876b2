"""What kind of answer a question expects (a number, a sum of money, a date, a person's name) and whether a
sentence has one.

A documented rule, no model: "combien", "quel montant", "délai", "how many" expect a number; what one pays or is
paid ("ça coûte combien", "quel est le salaire de", "je suis remboursé combien") a sum of money or a share;
"quand", "depuis quand", "en quelle année", "when" expect a date; "à quelle fréquence", "à quel rythme" a
frequency; "comment s'appelle", "who is the current" expect a name. An answer whose sentences hold no such thing is
refused rather than given.
"""

from __future__ import annotations

import re

from assistant.glossary import reads_as_acronym
from assistant.text import ARTICLE_REF, analyse, fold, is_stopword

NUMBER_WORDS = (
    r"(?:deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|seize|vingt|trente|quarante|"
    r"cinquante|soixante|cent|cents|mille|million|millions|milliard|milliards|moitie|tiers|quart)"
)
# what one pays or is paid: "ça coûte combien", "je vais toucher combien", "je suis remboursé combien" (folded)
MONEY_VERBS = r"cout\w*|coute\w*|pay(?:e|es|ee|ees|er|era\w*|ent|ons|ez)\b|paie(?:s|nt|ra\w*)?\b|gagne\w*|rembourse\w*"
# ... and what one receives, said of the asker ("je vais toucher combien", "on perçoit combien"): "le diabète
# touche combien de personnes" counts people
RECEIVE = re.compile(
    r"(?:\b(?<!sont-)(?<!est-)(?:je|on|tu|vous|nous|il|elle|ils|elles)\s+|\bj')"
    r"(?:(?!(?:qui|a|sont|est|etre|ete)\b)[\w-]+\s+){0,2}?(?:touch|percoi|percev|percu)\w*"
)
# "combien de fois", "combien de jours", "combien de séances": a number of things, whatever else the question says
# ("remboursées combien de fois par an ?", "payé combien de temps ?"); "combien d'euros" is money
COUNTED_THINGS = re.compile(r"\bcombien\s+(?:de\b|d')\s*(?!euros?\b|argent\b)")
# "combien faut-il attendre pour être remboursé ?", "la CPAM met combien à rembourser ?": a time
WAITING = re.compile(r"\b(?:attendre|attend|prend|prendre|met|mettent|mettre|dure|durer|delai)\b")
# "à quelle fréquence ?", "quelle est la périodicité ?" ask how often something recurs; "quelle est la fréquence des
# infections nosocomiales ?" asks how common an event is, which no date nor "une fois par an" answers (folded text)
COUNTED_EVENT = (
    r"(?:infections?|maladies?|cas|accidents?|deces|effets?|complications?|erreurs?|pathologies?|cancers?|"
    r"troubles?|chutes?|evenements?|incidents?|fraudes?)\b"
)
FREQUENCY_NOUN = r"(?:frequence|periodicite|cadence)\b"
OF = r"(?:des |de |du |d'|d )"
# "de l'infection", "de survenue des infections": the event still; "à quelle fréquence" always asks how often
FREQUENCY_ASKED = rf"{FREQUENCY_NOUN}(?! {OF}(?:(?:survenue|apparition) {OF})?(?:l'|l |\w+ )?{COUNTED_EVENT})"
# a question that asks how often (folded text): the answer type's and the intent's (``assistant.intent``)
FREQUENCY_QUESTION = rf"\ba quelle {FREQUENCY_NOUN}|\bquelle (?:est la )?{FREQUENCY_ASKED}|\bquel (?:est le )?rythme\b"

EXPECTS = [
    (
        "nom",
        re.compile(
            r"\bcomment s.?appelle|\bquel est (?:le )?nom\b|\bwhat is the name\b|\bwho is (?:the )?current\b|"
            r"\bqui est (?:l.?actuel|le actuel|l.?actuelle)|"
            # "qui est le président actuel de...", "qui dirige l'ARS aujourd'hui": a person of today, by name
            r"(?:\bqui (?:est|sont|dirige|preside)|\bc.?\s?est qui (?:le|la|les|l')|\bc qui (?:le|la|les|l'))\b.*"
            r"\b(?:actuel(?:le)?s?|actuellement|aujourd.?hui|en ce moment)\b",
            re.I,
        ),
    ),
    # "à quelle fréquence (à quel rythme) se réunit-il ?": a frequency or a time limit answers it, as it answers a
    # bare "quand", and so does a frequency's adjective ("une évaluation annuelle"), which does not answer "quand"
    (
        "frequence",
        re.compile(FREQUENCY_QUESTION, re.I),
    ),
    # "quand" asks for a date when it is the question word ("quand a-t-elle été créée ?", "depuis quand",
    # "c'est quand"), not when it joins a clause ("le forfait quand on n'est pas hospitalisé").
    (
        "date",
        re.compile(
            r"^\s*quand\b|\b(?:depuis|jusqu.?a|a partir de|de|c.?est|pour|et) quand\b|\bquand\s*\??\s*$|"
            r"\bquand (?:est[- ]ce|a[- ]t|ont|sera|seront|doit|doivent|faut)\b|\ben quelle annee\b|"
            # typed as a chat: "il a été adopté quand ?", "dates des réunions 2019 ?"
            r"\b(?:ete|etait|sera|seront) \w+ quand\b|"
            r"^\s*(?:la |les )?dates? (?:de|des|du|d')(?!.*\b(?:qui|comment|pourquoi|ou|quel(?:le)?s?)\b)|"
            r"\ba quelle date\b|\bwhen\b|\bwhat year\b",
            re.I,
        ),
    ),
    # "quelle est l'adresse du siège de l'ARS ?", "le numéro de la CPAM ?": a postal address, a telephone number.
    # ("adresse-t-elle son projet", "adresse les avis": the verb)
    (
        "adresse",
        re.compile(
            r"\badresse\b(?!-t|\s+(?:son|sa|ses|les|le|la|un|une|des|leur|leurs)\b)|\bou (?:se trouve|est situee?)\b",
            re.I,
        ),
    ),
    (
        "telephone",
        re.compile(
            r"\btelephone\b|\bnumero de tel\b|\bnumero (?:de l.?|du |de la |des )(?:ars|cpam|agence|caisse|cnam|caf|"
            r"mdph|msa|urssaf|ordre|hopital|chu|samu|pharmacie)\b",
            re.I,
        ),
    ),
    # "combien ça coûte ?", "quel est le salaire d'un directeur ?": a sum of money or a share answers it, not any
    # number ("des paquets de moins de vingt cigarettes") nor a word of amounts ("un montant égal au produit de la
    # rémunération"); "montant" alone stays a number ("le montant de la sanction": "1 % des produits", "deux fois")
    (
        "argent",
        re.compile(
            rf"\b(?:combien(?:\s+(?!de\b|d')[\w'-]+){{0,4}}?\s+(?:{MONEY_VERBS})|(?:{MONEY_VERBS})(?: a)? combien|"
            r"combien d'(?:euros?|argent)\b|"
            r"quel(?:le)?s? (?:est |sont |serait )?(?:le |la |les )?(?:prix|cout|couts|tarifs?|salaires?|"
            r"remunerations?)|(?:prix|cout|tarif|salaire|remuneration)\b[^?]*\bcombien|"
            # in English: "what is the fee of a GP consultation?", "how much does it cost?"
            r"what (?:is|are|was|were) the (?:\w+ ){0,3}?(?:fees?|prices?|costs?|salary|salaries|wages?)(?!-)|"
            r"how much (?!time\b)(?:\w+\s+){0,4}?(?:cost|pay|paid|charge)\w*)\b",
            re.I,
        ),
    ),
    # "combien de % aux élections ?", "quel pourcentage… ?", "quelle part… ?": a share answers it, not any number
    (
        "part",
        re.compile(
            r"\bcombien de (?:%|pour ?cents?\b|pourcentage)|"
            r"\bquel(?:le)? (?:est |sont )?(?:le |la )?(?:pourcentage|part)\b|\ben pourcentage\b",
            re.I,
        ),
    ),
    (
        "nombre",
        re.compile(
            r"\bcombien\b|\bquel(?:le)? (?:est le )?(?:montant|nombre|taux|pourcentage|tarif|prix|cout)\b|"
            # a question typed as a noun phrase: "nombre d'assurés en ALD en 2022 ?", "montant du FIR ?"
            r"^\s*(?:le |la )?(?:montant|nombre|taux|pourcentage|tarif|prix|cout) (?:de|des|du|d')"
            r"(?!.*\b(?:qui|comment|pourquoi|ou|quel(?:le)?s?)\b)|"
            r"\bdelai\b|\bhow (?:many|much|long)\b|\b(?:fee|price|rate|amount)\b",
            re.I,
        ),
    ),
]
DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d)\b|\b\d{1,2}(?:er)? (?:janvier|fevrier|mars|avril|mai|juin|juillet|aout|"
    r"septembre|octobre|novembre|decembre)\b|\b(?:janvier|fevrier|mars|avril|mai|juin|juillet|aout|"
    r"septembre|octobre|novembre|decembre) \d{4}\b"
)
# "quand se réunit le conseil ?" is answered by a frequency ("au moins deux fois par an"), "quand envoyer
# l'arrêt ?" by a time limit ("dans les deux jours", "dans un délai de"), not only by a date (folded text).
# Only for a bare "quand" (``expected_type`` gives "quand") and a frequency asked ("frequence"): "jusqu'à quand",
# "depuis quand", "en quelle année" ask for a date, which a frequency does not give.
TIME_NUMBER = rf"(?:\d+|un|une|{NUMBER_WORDS}(?:[- ](?:et[- ])?{NUMBER_WORDS})*)"
TIME_UNIT = r"(?:jours?|mois|semaines?|heures?|ans?|annees?)"
WHEN = re.compile(
    r"\bfois par (?:an|annee|mois|semaine|trimestre|semestre)\b|\bchaque (?:annee|mois|semaine|trimestre|semestre)\b|"
    r"\btous les (?:\w+ )?(?:ans|mois)\b|\bannuellement\b|"
    rf"\bdans (?:un|le) delai (?:maxim(?:um|al) )?(?:qui ne peut exceder )?(?:de |d')?{TIME_NUMBER} {TIME_UNIT}\b|"
    rf"\bdans les {TIME_NUMBER} {TIME_UNIT}\b|\bdans (?:le mois|l'annee|la semaine) (?:qui suit|suivant)"
)
# "fait l'objet d'une évaluation annuelle", "se réunit trimestriellement": a frequency asked ("à quel rythme ?"),
# not a time ("quand saisir la commission ?" is not answered by "un programme annuel de contrôle"). The adjective
# says how often only of something that recurs: not "un rapport annuel", "un plafond annuel", "la vie quotidienne"
# (folded text).
RECURRING = (
    r"(?:evaluation|reunion|seance|bilan|examen|controle|revue|revision|actualisation|visite|inspection|entretien|"
    r"signalement|transmission|mise a jour)s?"
)
FREQUENCY_WORD = (
    r"(?:(?:bi)?annuel|(?:bi)?mensuel|trimestriel|semestriel|biennal|triennal|quinquennal)(?:le)?s?|"
    r"quotidien(?:ne)?s?|hebdomadaires?"
)
OFTEN = re.compile(
    rf"\b{RECURRING} (?:\w+ ){{0,2}}?(?:{FREQUENCY_WORD})\b|"
    r"\b(?:annuelle|mensuelle|trimestrielle|semestrielle|quotidienne|hebdomadaire)ment\b"
)
BARE_WHEN = re.compile(r"\bquand\b")
# "quand peut-on consulter un kiné sans ordonnance ?": in which cases (``intent`` "conditions"), not a time
CASE_WHEN = re.compile(r"\bquand (?:peut|puis|peuvent)[- ](?:on|je|il|elle|ils|elles)\b")
DATE_WHEN = re.compile(
    r"\b(?:depuis|jusqu.?a|a partir de|de|pour|d.?ici) quand\b|"
    r"\ba[- ]t[- ](?:il|elle)\b|\bont[- ](?:ils|elles)\b|\b(?:a|ont) (?:ete|eu)\b"  # a past event: a date
)
NUMBER = re.compile(rf"\d|\b{NUMBER_WORDS}\b")
NUMBER_WORD = re.compile(NUMBER_WORDS)
# "à partir du deuxième enfant": an ordinal gives a number of things too (folded text), except the ordinals of a
# text's parts ("troisième alinéa", "deuxième partie"), which say nothing of a quantity.
ORDINALS = (  # not "second": "en second lieu", "second recours"
    r"(?:deuxieme|troisieme|quatrieme|cinquieme|sixieme|septieme|huitieme|neuvieme|dixieme|\d+(?:e|eme|ieme))"
)
# "troisième alinéa", "aux deuxième et troisième alinéas", "quatrième degré", "en troisième lieu"
PART_ORDINAL = re.compile(
    rf"\b{ORDINALS}(?:\s*(?:,|et|ou|a)\s*{ORDINALS})*\s+(?:alinea|article|phrase|partie|livre|titre|chapitre|"
    r"section|sous-section|paragraphe|annexe|tiret|ligne|colonne|piece|point|recours|degre|lieu|niveau|ordre)s?\b"
)
ORDINAL = re.compile(rf"\b{ORDINALS}\b")
NAME = re.compile(
    r"(?<![.!?]\s)(?<!^)\b(?:M\.|Mme|Dr|[A-ZÉ][a-zéèêëïîôûç]+(?:[- ][A-ZÉ][a-zéèêëïîôûç]+)*)\s+[A-ZÉ]{2,}\b|"
    r"\b(?:M\.|Mme|Monsieur|Madame)\s+[A-ZÉ][a-zé]+"
)


def expected_type(question: str) -> str | None:
    q = fold(question)
    for kind, pattern in EXPECTS:
        if kind == "argent":
            if COUNTED_THINGS.search(q) or WAITING.search(q):
                continue  # "remboursées combien de fois ?", "payé combien de temps ?", "il faut attendre combien"
            if pattern.search(q) or ("combien" in q and RECEIVE.search(q)):
                return kind
            continue
        if pattern.search(q):
            if kind == "date" and BARE_WHEN.search(q) and not DATE_WHEN.search(q):
                if CASE_WHEN.search(q) and not pattern.search(CASE_WHEN.sub(" ", q)):
                    return None  # only "quand peut-on" asked it ("..., à quelle date ?" still asks for a date)
                return "quand"  # "quand se réunit le conseil ?": a date, a frequency or a time limit answers it
            return kind
    return None


ADDRESS = re.compile(
    r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s(?:rue|avenue|av\.|boulevard|bd|place|quai|allee|chemin|route|impasse|cours|"
    r"square|esplanade)\b|\bcedex\b|\bbp\s?\d",
    re.I,
)
PHONE = re.compile(r"(?<!\d)0\d(?:[\s.]?\d\d){4}(?!\d)|\+33\s?\d")


def without_references(sentence: str) -> str:
    """The sentence folded, without article numbers, references (n° 2018-154, 2016-41) and items (1°)."""
    plain = fold(ARTICLE_REF.sub(" ", sentence))
    # another code's articles, which have no letter ("aux articles 371-1, 372 à 373-2-1 et 459 du code civil"), and
    # any number with a hyphen are references too
    plain = re.sub(r"\barticles?\s+\d[\d-]*(?:\s*(?:,|\bet\b|\ba\b)\s*\d[\d-]*)*|\b\d+(?:-\d+)+\b", " ", plain)
    return re.sub(r"(?:n°|\bno\b|\bnumero)\s*\S+|\b\d{4}-\d+\b|\b\d+\s*°", " ", plain)


def quantities(sentence: str) -> str:
    """The sentence folded, without what only looks like a quantity: references (``without_references``) and
    dates."""
    return DATE.sub(" ", without_references(sentence))  # a date is not the number asked for


# A sum of money or a share (folded text, after ``quantities``): "2 euros", "1 000 €", "50 %", "les deux tiers",
# "le double", or that nothing is left to pay ("gratuit", "sans frais", "intégralement"; not "à titre gratuit", which
# says how a thing is given, nor "maintenu en totalité").
MONEY = re.compile(
    r"\d\s*(?:(?:k|m|md|mds)\s*)?(?:€|%|‰)|\beuros?\b|\d\s*eur\b|\b(?:pour|p\.)\s*(?:cent|100|mille|1000)\b(?!\s*\d)|"
    # a share: "les deux tiers du tarif", "le quart de", "la moitié"; not "à des tiers", "quart d'heure"
    r"\b(?:un|le|les|deux|trois|au|aux|du) (?:tiers|quarts?|cinquiemes?|dixiemes?) (?:de|du|des|d')"
    r"(?!\s*(?:heure|confiance))|"
    r"\bmoitie\b|\b(?:aux|au|d'un|un|deux|trois) (?:deux |trois )?(?:tiers|quarts?)\s*(?:[.,;)]|$)|"
    # "le double du plafond", "quatre fois le plafond" (not "une fois le montant fixé": once)
    r"\b(?:le|au|du) (?:double|triple)\b|"
    r"\b(?:\d+(?:,\d+)?|deux|trois|quatre|cinq|six|sept|huit|neuf|dix) fois (?:le|la|les) "
    r"(?:plafond|montant|valeur|smic|tarif|salaire)|"
    r"(?<![\d/])\b\d{1,3}\s*/\s*\d{1,3}\b(?!\s*/)|"
    # nothing left to pay: "gratuit", "sans frais", "pris en charge intégralement", "exonéré"; "à titre gratuit"
    # says how a thing is given ("l'offre à titre gratuit de paquets"), unless of a function ("exercées à titre
    # gratuit": its holder is not paid)
    r"(?<!a titre )\bgratuit\w*|\bexerce\w*(?:\s+\w+){0,3}?\s+a titre gratuit|\bsans frais\b|"
    r"\b(?:prise? en charge|rembourse\w*|remboursement) integral\w*|\bintegralement\b|\bexoner\w*|\bsmic\b"
)
FULL_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b24\s*/\s*24\b|\b7\s*/\s*7\b")  # not fractions


def has_type(sentence: str, kind: str | None) -> bool:
    if kind is None:
        return True
    if kind == "argent":
        return bool(MONEY.search(FULL_DATE.sub(" ", quantities(sentence))))
    if kind == "nom":
        return bool(NAME.search(sentence))
    if kind == "adresse":
        return bool(ADDRESS.search(fold(sentence)))
    if kind == "telephone":
        return bool(PHONE.search(sentence))
    if kind == "date":
        return bool(DATE.search(without_references(sentence)))
    if kind in ("quand", "frequence"):
        plain = without_references(sentence)
        return bool(DATE.search(plain) or WHEN.search(plain) or (kind == "frequence" and OFTEN.search(plain)))
    plain = quantities(sentence)
    if kind == "part":
        return bool(SHARE.search(plain) or re.search(r"\bpour ?cents?\b|%", plain))
    return bool(NUMBER.search(plain) or ORDINAL.search(PART_ORDINAL.sub(" ", plain)))


# "combien de membres ?", "combien de CPTS ?": what is counted. Units of time ask for a duration (the duration
# cues decide), "fois" for a frequency: they are not counted things.
COUNTED = re.compile(
    r"\bcombien\s+(?:de\s+|d['’]\s*)(?:(?:la|le|les|ces|ses|leurs|nos|vos|mes|tes)\s+|l['’]\s*)?(\w+)", re.I
)
# ... nor are money and shares: "combien d'euros" asks for a sum (``expected_type`` "argent"), "combien de pourcent"
# for a share (any number answers)
NOT_COUNTED = frozenset(
    "temps an ans annee annees mois jour jours semaine semaines trimestre trimestres semestre semestres heure "
    "heures minute minutes fois euro euros argent pourcent pourcents pourcentage points".split()
)
COUNT_WINDOW = 4  # words between a number and the thing counted ("cent neuf membres au plus", "4 000 CPTS")
# "15 % des médecins", "à la demande d'un tiers de ses membres", "la moitié au moins des membres": a share of
# them, not a number of them (folded text)
SHARE = re.compile(
    r"\d+(?:[.,]\d+)?\s*(?:%|pour\s*cents?\b|pourcents?\b)|"
    r"\b(?:un|le|les|la|du|au|aux|des|deux|trois|quatre) (?:tiers|quarts?|moitie|cinquiemes?|dixiemes?)\b"
)


def counted_noun(question: str) -> str | None:
    """The thing a "combien de X ?" question counts, as written ("membres", "CPTS"), or None."""
    m = COUNTED.search(question)
    if not m or fold(m.group(1)) in NOT_COUNTED or is_stopword(m.group(1)):
        return None  # "combien d'entre eux ?" counts nothing named
    return m.group(1)


def counted_nouns(question: str, long_forms) -> list[str]:
    """The thing a "combien de X ?" question counts and the first word of its long forms (``long_forms(X)``:
    "CPTS" -> "communautés professionnelles..."), or []."""
    counted = counted_noun(question)
    if not counted:
        return []
    if not reads_as_acronym(counted):
        return [counted]  # "combien de cas de rougeole ?" counts cases, not the CAS (Chemical Abstract Service)
    return [counted] + [form.split()[0] for form in long_forms(counted.upper())[:2] if form.split()]


def gives_count(sentence: str, nouns: list[str]) -> bool:
    """The sentence puts a number at most ``COUNT_WINDOW`` words before the thing counted ("composée de cent neuf
    membres", "4 000 CPTS"), or gives "le nombre de" it along with a number, or names it before "dont le nombre"
    and a number ("les membres de l'instance, dont le nombre ne peut excéder vingt"). ``nouns``: the word counted
    and the first word of its long forms ("CPTS": "communautés", for "mille communautés professionnelles...")."""
    stems = {s for n in nouns for s in analyse(n)[:1]}
    if not stems:
        return True
    words = re.findall(r"\w+", PART_ORDINAL.sub(" ", SHARE.sub(" ", quantities(sentence))))

    def number(w: str) -> bool:
        return w.isdigit() or bool(NUMBER_WORD.fullmatch(w)) or bool(ORDINAL.fullmatch(w))

    # "les membres de l'instance ..., dont le nombre ne peut excéder vingt": the number of what it names before
    # (the last such clause of the sentence, found once)
    relative = max(
        (
            j
            for j in range(len(words) - 2)
            if words[j : j + 3] == ["dont", "le", "nombre"]
            and any(number(a) for a in words[j + 3 : j + 3 + COUNT_WINDOW])
        ),
        default=-1,
    )
    for i, w in enumerate(words):
        if not set(analyse(w)[:1]) & stems:
            continue
        # ... not a number of those chosen among them ("quatre vice-présidents, dont trois désignés parmi les
        # membres": three vice-presidents)
        before = words[max(0, i - COUNT_WINDOW) : i]
        if (
            any(number(b) for b in before)
            and "parmi" not in before[next(k for k, b in enumerate(before) if number(b)) :]
        ):
            return True
        # "le nombre de membres est fixé à douze": the number follows, close by
        if i >= 2 and words[i - 2] == "nombre" and any(number(a) for a in words[i + 1 : i + 1 + 2 * COUNT_WINDOW]):
            return True
        if i < relative:
            return True
    return False


# Things the texts number ("l'avenant n° 7", "les ARS du groupe 1", "secteur 2"): a question about one of them
# is not answered by a sentence about another of the same name (folded text).
NUMBERED = (
    r"(?:avenant|groupe|classe|categorie|niveau|secteur|tranche|palier|echelon|phase|vague|zone|annexe|liste|"
    r"plan|programme|convention)"
)
NUMBERED_NAMES = {"categorie": "catégorie", "echelon": "échelon"}  # as the refusal writes them
NUMBERED_IN_QUESTION = re.compile(
    rf"\b({NUMBERED})s?\s+(?:n\s?°\s*|no\s+|numero\s+)?(\d{{1,4}}(?:-\d{{1,4}})?)(?![\d-])"
)


def numbered_things(question: str) -> list[tuple[str, str]]:
    """("avenant", "9") for "l'avenant 9 à la convention médicale", ("plan", "2023-2025") for "le plan
    2023-2025"; a year alone after a name is a date, not a number of it ("convention 2018" is kept too: the
    texts name conventions by their year)."""
    return list(dict.fromkeys((m.group(1), m.group(2)) for m in NUMBERED_IN_QUESTION.finditer(fold(question))))


def other_number(sentence: str, thing: str, number: str) -> str | None:
    """The number the sentence gives the thing ``thing`` when it names it with numbers and never with
    ``number`` ("avenant n°7" for the avenant 9), else None."""
    folded = fold(sentence)
    numbers = [m.group(2) for m in NUMBERED_IN_QUESTION.finditer(folded) if m.group(1) == thing]
    if not numbers or re.search(rf"(?<![\d-]){re.escape(number)}(?![\d-])", folded):
        return None  # "les avenants n° 7 et n° 9": the number asked is there too
    if any(n.split("-")[0] == number.split("-")[0] for n in numbers):
        return None  # "le programme 2023" and "le programme 2023-2027", "annexe 13" and "annexe 13-8"
    return numbers[0]
