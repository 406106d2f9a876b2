"""What a question asks for, from French question patterns, and the cue phrases of legal text that answer it.

A documented rule, no model. ``intent_of("qui préside la CRSA ?")`` is ``"presidence"``; the cue phrases of that
intent ("est présidé par", "président") mark the sentences of the codes that answer such a question. Intents:

| intent | question patterns (accents ignored) | answer shape |
|---|---|---|
| age | quel âge, quel est l'âge, âge minimum / maximum / limite / légal, limite / tranche d'âge | fact |
| presidence | qui préside, présidé par, président de | fact |
| composition | composé, composition, membres, qui siège | list |
| definition | c'est quoi, qu'est-ce que, définition, que signifie, a bare term | definition |
| role | rôle, missions, à quoi sert, chargé de, compétences | list |
| sanction | sanction, pénalité, amende, puni, risque | fact |
| duree | durée, délai, combien de temps, jusqu'à quand, à quelle fréquence | fact |
| montant | montant, combien, taux, plafond, pourcentage, tarif | fact |
| procedure | comment faire / obtenir / contester, procédure, démarches | list |
| qui | qui fixe / décide / signe / pilote..., par qui, quelle autorité | fact |
| conditions | conditions, qui peut, ai-je droit, bénéficier, quand peut-on, dans quel cas | list |
| oui_non | est-ce que, peut-on, faut-il, inversion (not after quand, quel...), peux-tu, je peux | yes / no |
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from assistant.answertype import (
    CASE_WHEN,
    FREQUENCY_ASKED,
    FREQUENCY_NOUN,
    FREQUENCY_QUESTION,
    TIME_NUMBER,
    TIME_UNIT,
)
from assistant.text import fold, stem

INTENTS = (
    "presidence",
    "composition",
    "definition",
    "role",
    "sanction",
    "age",
    "duree",
    "montant",
    "procedure",
    "qui",
    "conditions",
    "oui_non",
)

# Checked in this order: the first that matches wins ("qui préside" is a presidency, not any "qui").
# "elle risque quoi ?", "tu risques quoi ?", "que risque une clinique ?", "qu'est-ce qu'on risque ?": the verb asks
# for a sanction (not "gestion du risque", nor "bien que risqué").
RISK_VERB = r"risqu(?:e|es|ent|erait|eraient|erais)"
RISK_ASKED = (
    rf"\b{RISK_VERB}(?= quoi\b)|(?<=\bque )(?<!\bbien que ){RISK_VERB}\b|"
    rf"(?<=\bqu'on ){RISK_VERB}\b|(?<=\bqu'il ){RISK_VERB}\b|(?<=\bqu'elle ){RISK_VERB}\b"
)
# what follows "c'est quoi" in a role question: "son rôle", "exactement son rôle" (not "ses missions": read as a
# role question, "HAS : c'est quoi ses missions ?" was answered from "… se rapportant à ses missions")
NOT_ROLE_NEXT = r"(?!(?: exactement| au juste| concretement)? (?:son|sa|leur|leurs|le) roles?\b)"
PATTERNS: list[tuple[str, re.Pattern]] = [
    (name, re.compile(rx))
    for name, rx in [
        # "à partir de quel âge peut-on donner son sang ?", "jusqu'à quel âge ... ?", "l'âge limite pour être
        # président ?": an age, before "président" (a presidency), "jusqu'à" (a duration) and "bénéficier"
        # (conditions)
        (
            "age",
            r"\bquel(?:le)?s? ages?\b|\bquel est l'age\b|\blimite d'age\b|\btranches? d'age\b|"
            r"\bage (?:minimum|minimal|maximum|maximal|limite|legal|requis)\b",
        ),
        ("presidence", r"\bpresid"),
        ("sanction", RISK_ASKED),  # before "qu'est-ce que" (a definition)
        ("montant", r"\bcombien de (?:membres|representants|sieges|personnes|agents|collegues)\b"),
        # "qui sont les membres du CTS ?", "les membres de la CRSA ?"; a question that only names the members is
        # asked of them otherwise ("les membres de la CRSA sont rémunérés ?", "nommés pour combien de temps"):
        # the bare word is read last, when no other intent matches
        (
            "composition",
            r"\bcompos|\b(?:qui|quels|quelles) sont (?:les |ses |leurs )?membres\b|\bliste des membres\b|"
            r"\bqui siege|\bqui en fait partie|\bqui y siege",
        ),
        (
            "definition",
            # "CNAF, c'est quoi son rôle ?", "c quoi le rôle de l'ARS" ask for a role
            rf"\bc'?\s?est quoi\b{NOT_ROLE_NEXT}|\bc quoi\b{NOT_ROLE_NEXT}|\bqu'?est[- ]ce qu|"
            r"\bque (?:signifie|veut dire)|\bsignifi|"
            r"\bdefini|\bveut dire\b|\bca designe\b|\b(?:k|qu)e[sz]a[ck]o\b|\bwhat is\b|\bwhat are\b",
        ),
        (
            "role",
            r"\broles?\b|\bmissions?\b|\ba quoi (?:sert|servent)|\bsert a quoi|\bservent a quoi|\bcharge[es]? de\b|"
            r"\bcompetences?\b|\battributions?\b|\bque fait\b|\bca sert\b|\bfonction de\b",
        ),
        ("sanction", r"\bsanction|\bpenalit|\bamende|\bpuni|\brisque[s-]|\bencour|\bpeine\b"),
        (
            "duree",
            r"\bduree|\bdelai|\bcombien d(?:e |')(?:temps|jours|mois|ans|annees|semaines|heures)|\bpendant combien|"
            rf"\btous les combien|{FREQUENCY_QUESTION}|"
            r"\bjusqu'?a quand|\bhow long|\bpour combien de temps|\ba partir de quand|\bsous combien",
        ),
        (
            "montant",
            r"\bmontant|\bcombien\b|\btaux\b|\bplafond|\bpourcentage|\btarif|\bprix\b|\bcout|\bhow much|"
            r"\bhow many|\bquel niveau",
        ),
        (
            "procedure",
            r"\bcomment (?:faire|obtenir|demander|contester|saisir|proceder|se passe|on fait|s'y prendre)|"
            r"\bprocedure|\bdemarches?\b|\betapes\b|\bmodalites\b|\bque faire\b|\bquelles formalites",
        ),
        (
            "qui",
            r"^qui\b|\bqui (?:fixe|decide|signe|arrete|nomme|pilote|conclut|finance|valide|approuve|designe|"
            r"organise|prend|delivre|verse|paie|paye|gere|controle|evalue|autorise|est competent|elabore|"
            r"cible|peut saisir|doit|dirige|est a la tete|gere)|\bpar qui\b|\bquelle autorite|\bquel organisme|\bwho\b",
        ),
        (
            "conditions",
            r"\bconditions?\b|\bqui peut\b|\bai[- ]je droit|\bavoir droit|\ba droit\b|\beligib|"
            r"\bbeneficier\b|\bqui a droit|"
            # "quand peut-on consulter un kiné sans ordonnance ?", "dans quel cas ?": in which cases, not a date
            rf"{CASE_WHEN.pattern}|\b(?:dans|en) quels? cas\b",
        ),
        (
            "oui_non",
            r"^(?:est[- ]ce qu|peut[- ]on|puis[- ]je|dois[- ]je|doit[- ]on|faut[- ]il|ai[- ]je|a[- ]t[- ]on|"
            r"y a[- ]t[- ]il|est[- ]il|est[- ]elle|sont[- ]ils|peut[- ]il|peut[- ]elle|peuvent[- ]ils|"
            r"mon \w+ peut|ma \w+ peut|on peut|je peux|un \w+ peut|une \w+ peut|is\b|can\b|do\b|does\b)|"
            r"\b\w+-t-(?:il|elle|on)\b|\best[- ]ce qu|"
            # the subject inverted anywhere: "le refus ... est-il autorisé ?", "le buraliste peut il vendre ..."
            r"\b(?:est|sont|peut|peuvent|doit|doivent|faut)[- ](?:il|elle|ils|elles|on)(?![-\w])|"
            # "on peut fumer au travail ?", not a relative clause ("les actes qu'on peut déléguer")
            r"(?<!\bqu')(?<!\bque )(?<!')\b(?:l'on|on) peut\b|\best[- ]ce\b",
        ),
        ("composition", r"\bmembres?\b"),
    ]
]
# the words that ask what a notion is (``asks_definition``)
DEFINITION_ASKED = dict(PATTERNS)["definition"]

# A length of time: "un an", "huit jours", "vingt et un jours", "3 mois" (not an amount counted in time: "deux mois
# de salaire", "trois mois de loyer")
LENGTH_OF_TIME = (
    rf"(?:\b\d+\s*(?:ans?|mois|jours|semaines|heures|h)\b|\b{TIME_NUMBER} (?:{TIME_UNIT}|trimestres?|semestres?)\b)"
    r"(?! de (?:salaires?|traitements?|remunerations?|revenus?|loyers?|cotisations?|indemnites?|gains?)\b)"
)
LENGTH_OF_TIME_RE = re.compile(LENGTH_OF_TIME)


def says_length(sentence: str) -> bool:
    """The sentence gives a length of time ("est de cinq ans", "dans un délai de deux mois"), not only the word
    "durée" or "délai" ("pour la durée du mandat restant à courir")."""
    return bool(LENGTH_OF_TIME_RE.search(fold(sentence)))


# "qui nomme le directeur général de l'ARS ?" asks who appoints him: "les membres sont nommés par le directeur
# général de l'agence" says whom he appoints, the question reversed. The verb of "qui <verb> <det> <noun>" that opens
# the question or one of its clauses (not a relative clause: "les obligations de l'établissement qui signe le
# contrat"), where the question names what the verb acts on (not "qui est", "qui peut", nor "qui relève du régime
# général": they ask something else).
ACTS_ON = re.compile(
    r"(?:^|[,:;.!?(]\s*|\b(?:savoir|dire|demande|demander|sait|sais|et|mais|ou) )qui (?:est[- ]ce qui )?([a-z]{3,}) "
    r"(?:le |la |les |l'|l |un |une |des |ce |cette |ces )([a-z]{3,})(?: ([a-z]{3,}))?"
)
# words that end the object's name ("le directeur général d'une ARS": "directeur général")
NAME_ENDS = frozenset("de des du d a au aux en pour par sur dans avec sans chez et ou qui que dont".split())
NOT_ACTION = frozenset(
    "est sont etait sera seront peut peuvent doit doivent fait font va vont ont avait aura aurait pourrait "
    "devrait siege siegent participe participent releve relevent depend dependent beneficie beneficient "
    "cotise cotisent adhere adherent appartient appartiennent travaille travaillent vient viennent".split()
)
# the agent after "par" and a definite article ("par le directeur général"), or after "par arrêté du / des",
# "par décision de la"; not "déterminées par une convention" nor "par des conventions" (an instrument named in
# passing)
AGENT_DET = frozenset("le la les l du".split())
AGENT_ACTS = frozenset(
    "arrete arretes decision decisions deliberation deliberations avis proposition propositions rapport".split()
)
AGENT_BY = frozenset("par sur apres".split())  # "par arrêté du", "sur proposition du", "après avis du"
PARTICIPLE = ("é", "ée", "és", "ées", "u", "ue", "us", "ues", "i", "ie", "is", "ies", "it", "ite", "its", "ites")
AUXILIARIES = frozenset("est sont etait etaient sera seront soit soient ete etre fut".split())


def inflected(word: str) -> str:
    """A folded word without the ending of a plural or a feminine: "présidents" and "président" are one name,
    "présidence" another."""
    return re.sub(r"(?:es|e|s|x)$", "", re.sub(r"aux$", "al", word))  # "généraux": "général"


# "… de la HAS", "… d'une ARS", "… des commissions": the word that says whose (after the name, folded)
OF_WHOM = re.compile(r"\s*(?:de |du |des |d'|d )(?:la |le |les |l'|l |une |un )?([a-z0-9]{2,})")
DETERMINERS = frozenset("la le les l une un".split())
NOUN_BEFORE = DETERMINERS | frozenset("son sa ses leur leurs du des au aux ce cette ces".split())


class AskedAction(NamedTuple):
    """What "qui <verb> <det> <noun> ?" asks (``asked_action``)."""

    match: re.Match  # ACTS_ON's match in the folded question
    verb: str  # the verb as written, folded ("nomme")
    root: str  # the first letters its forms share ("signe" / "signée", "conclut" / "conclue")
    name: list[str]  # the object's words as written, a plural or a feminine aside ("présidents", not "présidence")
    long_name: bool  # the object is written in two words ("directeur général")


@lru_cache(maxsize=256)
def asked_action(question: str) -> AskedAction | None:
    """The verb and object of a question of the form "qui <verb> <det> <noun> ?", parsed once for all the
    sentences an answer weighs; None for any other question (nor "qui est", "qui peut"…: ``NOT_ACTION``)."""
    m = ACTS_ON.search(folded(question))
    if not m or m.group(1) in NOT_ACTION:
        return None
    verb = stem(m.group(1))
    long_name = bool(m.group(3)) and m.group(3) not in NAME_ENDS
    name = [inflected(m.group(2))] + ([inflected(m.group(3))] if long_name else [])
    return AskedAction(m, m.group(1), verb[: max(4, len(verb) - 2)], name, long_name)


def reversed_agent(question: str, sentence: str, long_forms=None) -> bool:
    """The sentence names what the question's verb acts on only as an agent, after "par" ("qui nomme le
    directeur général ?" and "… sont nommés par le directeur général de l'agence", "… subordonnée à leur
    agrément par le directeur général"): it says what that one does, not who acts on it; so does a sentence where
    it is the subject of the question's verb ("Le directeur nomme les agents de direction"). Not when that verb,
    following it, acts on it ("fixés par la convention nationale signée par l'UNCAM" answers "qui signe la
    convention ?", "le directeur est nommé par décret"). False when the question is not of the form "qui <verb>
    <det> <noun>"."""
    action = asked_action(question)
    if action is None:
        return False
    m, root, name, long_name = action.match, action.root, action.name, action.long_name
    q = m.string
    written = re.findall(r"\w+", sentence.lower())  # accents kept: "nommé" is no "nomme"
    words = [fold(w) for w in written]
    stems = [stem(w) for w in words]
    forms = [inflected(w) for w in words]
    # "qui contrôle les ARS ?": the acronym asked about is also written in full ("le directeur général de l'agence
    # régionale de santé contrôle…"); each occurrence with its length
    names = [name]
    asked = next((t for t in re.findall(r"\b[A-Z][A-Z0-9]{1,}\b", question) if fold(t) == m.group(2)), None)
    if asked and not long_name and long_forms:
        names += [[inflected(w) for w in re.findall(r"\w+", fold(f))] for f in long_forms(asked)]
    found = {i: len(n) for n in names for i in range(len(forms)) if n and forms[i : i + len(n)] == n}
    at = sorted(found)
    # "qui nomme le président de la HAS ?": an occurrence of "président" whose own complement is another's ("les
    # présidents des commissions") is not the one asked about. The question's "HAS" is also written "Haute
    # Autorité de santé" (``long_forms``: an acronym's long forms).
    whose = OF_WHOM.match(q, m.end(3) if long_name else m.end(2))
    if whose:
        owner = whose.group(1)
        owners = {stem(owner)}
        acronym = next((t for t in re.findall(r"\b[A-Z][A-Z0-9]{1,}\b", question) if fold(t) == owner), None)
        if acronym:
            spelled = {stem(fold(f.split()[0])) for f in (long_forms(acronym) if long_forms else []) if f.split()}
            owners = owners | spelled if spelled else set()  # how the acronym is spelled out unknown: no check

        def of_another(i: int) -> bool:
            j = i + found[i]
            if j >= len(words) or words[j] not in ("de", "du", "des", "d"):
                return False
            j += 1
            while j < len(words) and words[j] in DETERMINERS:
                j += 1
            return j < len(words) and stems[j] not in owners

        if owners:
            at = [i for i in at if not of_another(i)]
    if not at:
        return False

    def acts(i: int) -> bool | None:
        """What the question's verb, when it follows the object's name, says of it: True when the name is its
        subject ("Le directeur nomme les agents"), False when acted on ("la convention signée par l'UNCAM", "le
        directeur est nommé par décret"); None when the verb does not follow."""
        after = range(i + found[i], min(len(stems), i + found[i] + 7))
        # not a noun of the verb's family ("élit son président" for "préside"): no determiner before a verb
        j = next((k for k in after if stems[k].startswith(root) and words[k - 1] not in NOUN_BEFORE), None)
        if j is None:
            return None
        passive = written[j].endswith(PARTICIPLE) or any(words[k] in AUXILIARIES for k in range(i + found[i], j))
        return not passive

    verbs = [acts(i) for i in at]
    if any(v is False for v in verbs):
        return False

    def as_agent(i: int) -> bool:
        j = i - 1
        if j >= 1 and words[j] == "des" and words[j - 1] in AGENT_ACTS:  # "par arrêté des directeurs"
            return j >= 2 and words[j - 2] in AGENT_BY
        if j >= 0 and words[j] in AGENT_DET:
            j -= 1
            if j >= 0 and words[j] in AGENT_ACTS:  # "par arrêté du directeur", "après avis du directeur"
                return j >= 1 and words[j - 1] in AGENT_BY
            return j >= 0 and words[j] == "par"
        return False

    return all(v or as_agent(i) for i, v in zip(at, verbs, strict=True))


# The words a sentence says an action asked with "qui <verb> … ?" in: its own verb and noun ("gère" and "la
# gestion"), and the verbs the codes write for it ("qui fixe le budget ?": "le budget est arrêté par…") (folded
# word starts, whole words with a final "$", or phrases with a space: "pris en charge", not the "chargé" of "le
# ministre chargé de")
PAY = ("paie", "paye", "paya", "en charge", "a la charge", "rembours", "financ", "verse", "versa", "supporte")
SETTLED = (
    "etabli$",
    "etablie$",
    "etablis$",
    "etablies$",
    "etablit$",
    "etablir$",
    "etablissent$",
)  # not "établissement"
ACTION_WORDS = {
    "gere": ("gere", "gestion"),  # not "gériatrie"
    "nomme": ("nomm", "nomin", "design"),
    "designe": ("design", "nomm", "nomin"),
    "paie": PAY,
    "paye": PAY,
    "verse": ("verse", "versa", "paie", "paye", "servie", "servi$", "attribu", "allou", "liquid"),  # not "version"
    "finance": ("financ", "dotation", "contribu", "en charge", "a la charge", "verse"),
    "conclut": ("conclu", "signe", "signat"),  # not "signaler"
    "signe": ("signe", "signat", "conclu"),
    "arrete": ("arret", "fix", "adopt", "approuv", *SETTLED),
    "fixe": ("fix", "arret", "determin", *SETTLED),
    "decide": ("decid", "decis", "arret", "fix", "prononc", "statue"),  # not "statut"
    "controle": ("control", "inspect", "verifi"),
    "dirige": ("dirig", "direct"),  # "le directeur général" is who directs
    "autorise": ("autoris", "agre", "licence", "accorde"),  # not "avec l'accord de"
    "organise": ("organise", "organisa", "coordon"),  # not "organisme"
    "pilote": ("pilot", "coordon", "anime", "animation"),  # not "animaux"
    "delivre": ("delivr", "attribu"),
    "elabore": ("elabor", "arret", "prepar", *SETTLED),
    "valide": ("valide", "validation", "approuv", "adopt"),  # not "validité"
    "approuve": ("approuv", "valide", "validation", "adopt"),
    "evalue": ("evalu",),
}


def names_action(question: str, sentence: str) -> bool:
    """The sentence says the action a question "qui <verb> <det> <noun> ?" asks about: its verb or a word of its
    family (``ACTION_WORDS``), not only an authority ("Le directeur dirige la caisse" does not say who appoints
    him). True when the question is not of that form."""
    action = asked_action(question)
    if action is None:
        return True
    starts = ACTION_WORDS.get(action.verb) or (action.root,)
    text = fold(sentence)
    # a phrase ("prise en charge", "à la charge de": not the "ministre chargé de" of every decree) as written, a
    # word by its start
    phrases = tuple(x for x in starts if " " in x)
    if any(re.search(rf"\b{re.escape(x)}\b", text) for x in phrases):
        return True
    words = tuple(x for x in starts if " " not in x and not x.endswith("$"))
    whole = {x[:-1] for x in starts if x.endswith("$")}  # "établi$": that word only
    return any(w in whole or (words and w.startswith(words)) for w in re.findall(r"\w+", text))


def acts_on_asked(question: str, sentence: str) -> bool:
    """The sentence says who does what a question "qui <verb> <det> <noun> ?" asks: the question's verb, active,
    acts on the noun ("Chaque organisme d'assurance maladie délivre une carte Vitale" for "qui délivre la carte
    vitale ?"), or the noun is its subject in the passive with an agent ("la convention est signée par l'UNCAM").
    False when the question is not of that form."""
    action = asked_action(question)
    if action is None:
        return False
    root, name = action.root, action.name
    written = re.findall(r"\w+", sentence.lower())
    words = [fold(w) for w in written]
    forms = [inflected(w) for w in words]

    def named(span: range) -> bool:
        return any(forms[k : k + len(name)] == name for k in span)

    for i, w in enumerate(words):
        if not stem(w).startswith(root) or (i and words[i - 1] in NOUN_BEFORE):
            continue
        if written[i].endswith(PARTICIPLE):
            # "… la carte est délivrée par la caisse": the noun before, the agent after
            # ("Le plan d'actions pluriannuel régional … des soins est arrêté par le directeur": the noun opens the
            # subject, the auxiliary comes right before the participle)
            near = range(max(0, i - 5 - len(name)), i - len(name) + 1)
            far = range(max(0, i - 15 - len(name)), i - len(name) + 1)
            passive = i and words[i - 1] in AUXILIARIES
            if "par" in words[i + 1 : i + 4] and (named(near) or passive and named(far)):
                return True
            continue
        # "délivre une carte", "signe avec l'agence le contrat": the noun within the next few words
        if named(range(i + 1, min(len(words), i + 5))):
            return True
    return False


# A body named and, between commas, the kind of body it is (folded): "La Haute Autorité de santé, autorité publique
# indépendante à caractère scientifique, est chargée de", "Le fonds, établissement public de l'Etat, finance"
APPOSITION = (
    r"^[^,;:]{3,90}, (?:autorite|etablissement|organisme|instance|agence|service|personne morale|groupement|"
    r"association|commission|conseil|fonds|office|caisse|union|societe) [^,;:]{0,80}, "
)

# Cue phrases of legal text, accents folded, by intent: a sentence holding one answers that kind of question.
CUES: dict[str, re.Pattern] = {
    name: re.compile(rx)
    for name, rx in {
        "presidence": r"\bpreside|\bpresidence\b|\bpresident\b",
        "composition": r"\bcompos|\bcomprend\b|\bcomprennent\b|\bmembres\b|\bsiegent\b|\brepresentants?\b|"
        r"\best constitue|\bsont constitue|\bregroupe\b|\breunit\b",
        # ... or says what kind of body it is in an apposition ("La Haute Autorité de santé, autorité publique
        # indépendante à caractère scientifique, est chargée de")
        "definition": rf"{APPOSITION}|"
        r"\best (?:un|une|le|la|l')\b|\bsont (?:des|les)\b|\bs'entend\b|\bon entend par\b|\bconstitue|"
        r"\ba pour objet|\bont pour objet|\bdesigne|\best cree|\bsont crees|\bappelee?s?\b|\bdite?s?\b",
        "role": r"\bmissions?\b|\bun role\b|\best chargee?s?\b|\bsont charge|\ba pour objet|\bont pour objet|"
        r"\bveillent?\b|\bcontribuent?\b|\bassurent?\b|\bdefinit\b|\bmettent en oeuvre|\bmet en oeuvre|\bcoordonne",
        # an age ("l'âge de sa majorité", "âgées d'au moins seize ans", "les enfants de moins de six ans", "de 50
        # à 74 ans") or what the codes say instead ("les mineurs", "une personne mineure", "toute personne
        # majeure"); not any number of years ("élus pour quatre ans", "plus de dix ans consécutivement":
        # durations), "personnes âgées", "patients âgés" (categories), "majorité qualifiée", "force majeure",
        # "modifications mineures" (folded, "âgés" is "ages": only the singular noun "âge" counts alone)
        "age": rf"\bage\b|\bmineurs?\b|\b(?:un|une|la|les|des|aux|personnes?|enfants?|femmes?|filles?|patientes?|"
        r"jeunes) (?:mineure?s?|majeure?s?)\b|\bmajeure?s? (?:proteges?|sous)\b|"
        rf"\b{TIME_NUMBER} ans (?:revolus|accomplis)\b|\b(?:de|entre) {TIME_NUMBER} (?:a|et) {TIME_NUMBER} ans\b|"
        rf"\b(?:agee?s?|enfants?|jeunes|personnes?|assuree?s?|femmes?|hommes?|beneficiaires?) (?:de |d')"
        rf"(?:plus de |moins de |au moins |au plus )?{TIME_NUMBER} ans\b",
        "sanction": r"\bpuni|\bpenalite|\bsanction|\bamende|\bemprisonnement|\bprononce|\bretrait\b|\bsuspension",
        # ... or a length of time (``LENGTH_OF_TIME``)
        # ... or a time limit ("jusqu'à l'expiration de la deuxième année qui suit l'accident", "avant la fin de la
        # quatorzième semaine de grossesse")
        "duree": r"\bduree\b|\bdelai\b|\bne peut exceder|\bpour une duree|\bpendant\b|"
        r"\b(?:jusqu'a|avant) (?:l'expiration|la fin) d|" + LENGTH_OF_TIME,
        "montant": r"\bmontant|\btaux\b|%|\beuros?\b|\bplafond|\bfixe a\b|\bdans la limite|\bpourcentage|\bfraction",
        "procedure": r"\bsaisi|\badresse|\bnotifi|\blettre recommandee|\bdemande\b|\bdepose|\btransmet|\bdossier\b|"
        r"\bprocedure|\binforme\b",
        "qui": r"\bdirecteur\b|\bministre|\bprefet|\bcaisse\b|\bagence\b|\bconseil\b|\bcommission\b|\bpar arrete|"
        r"\bpar decret|\bdesigne|\bnomme|\bdecide|\bfixe\b|\barrete\b|\bsigne",
        "conditions": r"\bsous reserve|\ba condition|\blorsque\b|\bpeuvent beneficier|\bont droit|\bouvre droit|"
        r"\bconditions?\b|\bsi\b|\bsauf\b|\bdans le cas ou\b|\bdans les cas\b",
        "oui_non": r"\bpeut\b|\bpeuvent\b|\bne peut\b|\binterdit|\bautorise|\bdoit\b|\bdoivent\b|\bobligatoire|"
        r"\best tenu|\bsont tenus",
    }.items()
}

# "combien de temps garde-t-on un budget non consommé ?": the year it runs to answers it too ("reportés sur
# l'exercice suivant"), though it is no cue (a sentence giving a length of time comes first)
UNTIL = re.compile(r"\b(?:exercice|annee) suivante?\b")


def says_until(sentence: str) -> bool:
    """The sentence says until which budget year or year a thing runs ("reportés sur l'exercice suivant")."""
    return bool(UNTIL.search(fold(sentence)))


LIST_INTENTS = {"composition", "role", "procedure", "conditions"}
FACT_INTENTS = {"presidence", "sanction", "age", "duree", "montant", "qui"}


# Words that say what is asked, not what the question is about:
# - "elle risque quoi ?", "que risque une clinique ?": the verb asks for the sanction (the codes write "est puni",
#   "sanction", not "risque", and "risque" of "gestion du risque" would lead the search there);
# - "combien d'années ?", "au bout de combien de temps ?": the unit of the duration asked (the codes give it in
#   "ans", "pour cinq ans"; their "années" are "chaque année", "l'année civile");
# - "qui siège au conseil ?": the verb asks for the members (the codes' "siège" is the seat, "le siège de
#   l'agence");
# - "le statut juridique d'une ARS ?", "c'est quoi comme structure juridique ?": what kind of body it is, which
#   its defining sentence says without these words ("des établissements publics de l'Etat");
# - "à quelle fréquence ?", "à quel rythme ?", "quelle cadence ?": the frequency asked, which the codes give as "une
#   fois par an" or "une évaluation annuelle";
# - "à quoi sert le FIR ?", "ça sert à quoi ?": the verb asks for the role (the codes' "sert" is rare and about
#   something else: "sert de base", "la rente servie");
# - "quelle est la peine pour exercice illégal de la médecine ?": the sanction asked (searched, "peine" led to
#   another article's "pendant la durée d'une peine d'interdiction");
# - "kesako", "quésaco": what is it.
LEGAL_FORM = r"(?:statut|nature|forme|structure) juridique"  # what kind of body is asked (folded text)
ASKED = re.compile(
    rf"{RISK_ASKED}|(?<=\bcombien d')annees?\b|(?<=\bqui )(?:y )?sieg(?:e|ent)\b|"
    rf"\b{LEGAL_FORM}\b|(?<=\ba quelle ){FREQUENCY_NOUN}|(?<=\bquelle ){FREQUENCY_ASKED}|(?<=\bquel )rythme\b|"
    rf"(?<=\bquelle est la ){FREQUENCY_ASKED}|(?<=\bquel est le )rythme\b|"
    r"(?<=\ba quoi )(?:sert|servent)\b|\b(?:sert|servent)(?= a quoi\b)|(?<=\bca )sert\b|"
    r"(?<=\bcombien de )temps\b|(?<=\bau )bout(?= de\b)|"
    r"(?<=\bquelle est la )peine\b|(?<=\bquelles sont les )peines\b|(?<=\bquelle )peine\b|(?<=\bquelles )peines\b|"
    # "PreParE kesako ?": the asker's "what is it", no word of the subject (it was an unknown word, refused)
    r"\b(?:k|qu)e[sz]a[ck]o\b"
)


def asked_words(question: str) -> list[str]:
    """Words of the question that say what is asked, not what it is about (accents folded): "risque" in "elle
    risque quoi ?", "années" in "combien d'années ?". The search leaves their terms out."""
    return [m.group(0) for m in ASKED.finditer(folded(question))]


def folded(question: str) -> str:
    """The question as the patterns read it: accents folded, spaces collapsed."""
    return re.sub(r"\s+", " ", fold(question)).strip()


def intent_of(question: str) -> str | None:
    """The first intent whose pattern the question matches, or None."""
    q = folded(question)
    for name, pattern in PATTERNS:
        if yes_no(q, pattern) if name == "oui_non" else pattern.search(q):
            return name
    # A bare notion ("FIR ?", "le PRS", "maitrise medicalisee") asks what it is.
    words = [w for w in re.findall(r"[\w'-]+", q) if w not in BARE_FILLERS]
    if 1 <= len(words) <= 3 and not re.search(r"\d", q):
        return "definition"
    return None


def asks_definition(question: str) -> bool:
    """The question says that it asks what a notion is ("c'est quoi", "qu'est-ce qu'", "que signifie",
    "kesako"...), not only names it ("FIR ?", "le PRS", read as a definition by ``intent_of``)."""
    q = folded(question)
    # "qui définit les zones sous-dotées ?" asks who; "définitivement" is no "défini"
    return bool(DEFINITION_ASKED.search(re.sub(r"\bdefinitiv\w*", "", q))) and not re.search(r"^qui\b|\bpar qui\b", q)


BARE_FILLERS = {"le", "la", "les", "l'", "un", "une", "des", "du", "de", "d'", "et", "en", "?"}
# The asker in the first or second person: "Peux-tu congeler tes ovocytes ?", "serai-je remboursé ?", "..., je
# peux voter aux élections ?" ask for a yes or a no; not where a question word stands anywhere in the clause
# ("je dois faire quoi ?", "à qui je dois m'adresser", "les aides auxquelles je peux prétendre") nor in a polite
# request ("Pouvez-vous m'expliquer ce qu'est un GHT ?"), nor "puis je" (then I), nor "ce que je peux faire".
PERSON_ASKS = re.compile(
    r"\b(?:peux|pouvez|dois|devez|puis|suis|serai|serais|pourrai|pourrais|devrai|devrais)-(?:je|tu|vous)\b|"
    r"\bpeux tu\b|\bpouvez vous\b|"
    r"(?<!\bqu')(?<!\bque )\b(?:je peux|tu peux|vous pouvez|je dois|tu dois|vous devez)\b"
)
POLITE = re.compile(r"\b(?:me|m'|nous) ?(?:dire|expliquer|indiquer|donner|preciser|aider|renseigner|confirmer)\b")
WH_ANYWHERE = re.compile(
    r"\b(?:qui|quoi|comment|ou|quel|quelle|quels|quelles|pourquoi|combien|quand|lequel|laquelle|lesquel\w*|"
    r"auxquel\w*|duquel|desquel\w*)\b"
)
# A clause opened by one of these asks for what it names, not for a yes or a no, inverted subject or not ("quand
# le conseil a-t-il adopté le plan ?" asks for a date, "Bonjour, quand peut-on partir ?" too, "Et qu'en est-il du
# FIR ?" for what is said of it), after a preposition too ("sous quelle forme l'intéressement est-il versé ?",
# "selon quels critères…", "devant quel tribunal…", "au bout de combien de temps…"), but not "que" after one,
# a conjunction ("dès que", "avant qu'il", "pendant qu'elle…"); a yes / no question may follow such a clause
# ("Quand on est en arrêt maladie, a-t-on le droit de voyager ?").
WH_WORD = re.compile(
    r"(?:(?:et|mais|alors|donc|bonjour|bonsoir)\b\s*)?"
    r"(?:(?:depuis|jusqu'a|jusqu'en|a partir d(?:e|u|es)|en|a|au|aux|de|du|des|pour|par|dans|sur|sous|avec|pendant|"
    r"durant|selon|vers|chez|entre|contre|apres|avant|devant|parmi|d'ici|aupres d(?:e|u|es)|au bout d(?:e|u|es)|"
    r"au sein d(?:e|u|es)|en vertu d(?:e|u|es)|a l'issue d(?:e|u|es)|au-dela d(?:e|u|es)|en fonction d(?:e|u|es)|"
    r"sur la base d(?:e|u|es)|a hauteur d(?:e|u|es)) (?!que\b|qu'))?"
    r"(?:quand|comment|pourquoi|ou(?! bien\b)|quel|quelle|quels|quelles|combien|qui|que|qu'(?!un\b|une\b)|quoi|"
    r"lequel|laquelle)\b"
)
CLAUSE = re.compile(r"[,;:.!?«»\"()\[\]]|\s-\s|^-")


def yes_no(q: str, pattern: re.Pattern) -> bool:
    """One clause of the folded question asks for a yes or a no: it matches ``pattern`` and no question word
    opens it, or the asker asks it in the first or second person (``PERSON_ASKS``)."""
    return any(
        pattern.search(c)
        and not WH_WORD.match(c.strip())
        or PERSON_ASKS.search(c)
        and not WH_ANYWHERE.search(c)
        and not POLITE.search(c)
        for c in CLAUSE.split(q)
        if c.strip()
    )


def has_cue(sentence: str, intent: str | None) -> bool:
    """The sentence holds a cue phrase of the intent (always False without an intent)."""
    if not intent:
        return False
    return bool(CUES[intent].search(fold(sentence)))


def shape_of(intent: str | None) -> str:
    """How the answer is laid out: definition, list, fact, oui_non or plain."""
    if intent == "definition":
        return "definition"
    if intent in LIST_INTENTS:
        return "list"
    if intent in FACT_INTENTS:
        return "fact"
    if intent == "oui_non":
        return "oui_non"
    return "plain"
