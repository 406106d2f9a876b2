"""The onboarding path: one card per notion that organises ARS / Assurance Maladie cooperation, built from the
corpus by the same machinery as the answers. A card holds the defining passage, who decides, pilots or presides,
the key articles and three questions to ask, and no sentence that is not quoted from a cited passage."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from assistant.answer import enumerated_items
from assistant.cite import citation_of, cite_html, display_article
from assistant.records import Answer
from assistant.text import fold, sentences

# The notions of the path, in the order a new agent meets them: (name as asked, name as shown).
NOTIONS = [
    ("l'ARS", "ARS", ["agence régionale de santé", "agences régionales de santé"]),
    ("la CPAM", "CPAM", ["caisse primaire d'assurance maladie", "caisses primaires d'assurance maladie"]),
    (
        "la DCGDR",
        "DCGDR",
        ["direction de la coordination de la gestion du risque", "directeur coordonnateur de la gestion du risque"],
    ),
    ("l'UNCAM", "UNCAM", ["Union nationale des caisses d'assurance maladie"]),
    ("le PRS", "PRS", ["projet régional de santé"]),
    ("le SRS", "SRS", ["schéma régional de santé"]),
    (
        "le PPRGDRESS",
        "PPRGDRESS",
        ["plan pluriannuel régional de gestion du risque et d'efficience du système de soins"],
    ),
    ("le CAQES", "CAQES", ["contrat d'amélioration de la qualité et de l'efficience des soins"]),
    (
        "la CPTS",
        "CPTS",
        ["communauté professionnelle territoriale de santé", "communautés professionnelles territoriales de santé"],
    ),
    ("le FIR", "FIR", ["fonds d'intervention régional"]),
    ("la CRSA", "CRSA", ["conférence régionale de la santé et de l'autonomie"]),
    (
        "la commission régionale de coordination",
        "Commission régionale de coordination",
        [
            "commission régionale de coordination des actions de l'agence régionale de santé et de l'assurance maladie",
            "commission de coordination des actions de l'agence régionale de santé et de l'assurance maladie",
        ],
    ),
    (
        "les expérimentations de l'article 51",
        "Expérimentations « article 51 »",
        ["expérimentations à dimension nationale ou régionale", "expérimentations « article 51 »"],
    ),
]
EXTRA_NOTIONS = 4  # more notions: the acronyms the corpus uses most that the list above lacks
ROLE_QUESTIONS = ["Qui pilote {n} ?", "Qui préside {n} ?", "Qui arrête {n} ?"]
TRY_QUESTIONS = [
    "À quoi sert {n} ?",
    "Qui pilote {n} ?",
    "Qui préside {n} ?",
    "Quelle est la durée {d} ?",
    "Quelle est la composition {d} ?",
]


@dataclass
class Card:
    name: str
    long_form: str = ""
    definition: Answer | None = None
    roles: list[Answer] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)

    @property
    def answers(self) -> list[Answer]:
        return ([self.definition] if self.definition else []) + self.roles


def _of(name: str) -> str:
    """'le PRS' -> 'du PRS', 'la CPTS' -> 'de la CPTS', "l'ARS" -> "de l'ARS", 'les ...' -> 'des ...'."""
    if name.startswith("le "):
        return "du " + name[3:]
    if name.startswith("les "):
        return "des " + name[4:]
    return "de " + name


def notions(service) -> list[tuple[str, str]]:
    idx = service.index
    chosen = [(asked, shown) for asked, shown, _ in NOTIONS]
    have = {shown.upper() for _, shown in chosen}
    entries = idx.glossary.entries
    frequent = sorted(entries, key=lambda a: -sum(e["count"] for e in entries[a]))
    for acronym in frequent:
        if len(chosen) >= len(NOTIONS) + EXTRA_NOTIONS:
            break
        if acronym.upper() not in have and len(acronym) >= 3:
            chosen.append((acronym, acronym))
    return chosen


# What a defining sentence says of its subject, strongest first (folded text).
DEFINING_STRONG = re.compile(
    r"\b(?:est|sont)\s+(?:un|une|des)\b|\ba pour (?:mission|objet|objectif)|"
    r"\bont pour (?:mission|objet|objectif)|\bdefinit\b|\bconcourt\b|\bfinance\b"
)
DEFINING = re.compile(
    DEFINING_STRONG.pattern + r"|\b(?:est|sont)\s+(?:l'|le|la|les|chargee?s?|composee?s?|"
    r"constituee?s?|cree?e?s?|institue?e?s?|conclue?s?|etablie?s?|elabore?e?s?)\b|\bcomporte\b"
)
ROLE_CUE = {
    "préside": re.compile(r"\b(?:est|sont) presidee?s? par\b"),
    "pilote": re.compile(r"\bpilot\w* par\b|\b(?:est|sont) dirigee?s? par\b|\bassure\w* le pilotage\b"),
    "arrête": re.compile(
        r"\b(?:est|sont) arretee?s? par\b|\b(?:est|sont) adoptee?s? par\b|"
        r"\b(?:est|sont) approuvee?s? par\b"
    ),
}


def _first_sentence(answer: Answer) -> str:
    c = answer.citations[0] if answer.citations else None
    return fold(c.sentences[0]) if c and c.sentences else fold(answer.answer)


def _mentions(sentence: str, names: list[str], within: int | None = None) -> bool:
    """The folded sentence names the notion (its acronym, the name asked, a long form), in its first
    ``within`` words when given."""
    words = sentence.split()
    head = " ".join(words[:within]) if within else sentence
    return any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", head) for n in names if n)


def _cited(service, question: str, chunk, sentence: str) -> Answer:
    """One sentence of the corpus as a cited answer; one that announces a list (":") with its items."""
    items = []
    if sentence.endswith(":"):
        start = " ".join(chunk.text.split()).find(sentence)
        spans = [st for st, _ in sentences(chunk.text) if " ".join(chunk.text[st:].split()).startswith(sentence)]
        items = enumerated_items(chunk.text, spans[0])[:6] if spans and start >= 0 else []
    c = citation_of(service.index.documents, 1, chunk, 1.0, (sentence, *items), shown=service.index.shown_heading)
    return Answer(question, f"{sentence} [1]" + "".join(f"\n- {item} [1]" for item in items), True, (c,))


def _rank(chunk) -> tuple:
    """Laws first (they define), then decrees, then the other documents."""
    a = chunk.article or ""
    return (0 if a.startswith("L") else 1 if a[:1] in "RD" else 2, len(chunk.text))


def _near_start(wanted: list[str]) -> re.Pattern:
    """A cheap filter: one of ``wanted`` right after a sentence or line start, or three words later."""
    alternatives = "|".join(re.escape(n) for n in wanted)
    return re.compile(rf"(?:^|[.;:!?]\s+|\n\s*)(?:[^\s.;:!?]+\s+){{0,3}}(?:[a-z]')?(?:{alternatives})(?!\w)")


def passages_opening_on(idx, names: list[str]) -> list[tuple]:
    """(chunk, folded text) of the passages where one of ``names`` may open a sentence, read from the catalog in
    one pass (nothing else kept: the whole corpus folded was 60 MB at the full codes)."""
    wanted = [n for n in names if len(n) >= 3]
    if not wanted:
        return []
    near_start = _near_start(wanted)
    return [(c, f) for c, f in ((c, fold(c.text)) for c in idx.chunks.values()) if near_start.search(f)]


def opening_sentences(service, names: list[str], passages: list[tuple] | None = None) -> list[tuple]:
    """(chunk, sentence, folded sentence) of the corpus whose subject is the notion: one of ``names`` within its
    first four words ("Les agences régionales de santé sont…"), laws first. ``passages``: those of
    ``passages_opening_on`` for these names or more (else they are read now)."""
    wanted = [n for n in names if len(n) >= 3]
    if not wanted:
        return []
    alternatives = "|".join(re.escape(n) for n in wanted)
    name_re = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
    near_start = _near_start(wanted)
    found = []
    for chunk, folded in passages if passages is not None else passages_opening_on(service.index, wanted):
        if not near_start.search(folded):
            continue
        for start, end in sentences(chunk.text):
            sent = " ".join(chunk.text[start:end].split())
            f = fold(sent)
            m = name_re.search(f)
            if not m or len(f[: m.start()].split()) > 3 or not 6 <= len(sent.split()) <= 70:
                continue
            found.append((chunk, sent, f))
    return sorted(found, key=lambda cs: _rank(cs[0]))


def find_sentences(openings: list[tuple], cue: re.Pattern) -> list[tuple]:
    """(chunk, sentence) of ``openings`` that hold ``cue``; for a definition, the strongest cues first."""
    found = [(c, s) for c, s, f in openings if cue.search(f)]
    if cue is DEFINING:
        found.sort(key=lambda cs: not DEFINING_STRONG.search(fold(cs[1])))  # stable: laws first within each
    return found


def card_names(service, asked: str, shown: str) -> tuple[list[str], list[str]]:
    """A notion's long forms, and the folded names a sentence may give it."""
    long_forms = service.index.glossary.lookup(shown) if shown.isupper() else []
    long_forms += next((forms for a, _, forms in NOTIONS if a == asked), [])
    bare = re.sub(r"^(?:l'|le |la |les )", "", asked)
    names = [fold(x) for x in [shown if shown.isupper() else "", bare, *long_forms]]
    names += [re.sub(r"s\b", "", n) for n in names if " " in n]  # "agences regionales de sante" -> singular
    return long_forms, list(dict.fromkeys(n for n in names if n))


def build_card(service, asked: str, shown: str, passages: list[tuple] | None = None) -> Card | None:
    """A notion's card, or None when the corpus does not define it. Its definition is a sentence of the corpus
    whose subject is the notion and that defines it ("La conférence régionale de la santé et de l'autonomie est
    un organisme consultatif…"), laws first; its roles are sentences that name the notion and say who pilots,
    presides or decides. A wrong card is worse than none: nothing else is taken."""
    idx = service.index
    long_forms, names = card_names(service, asked, shown)
    openings = opening_sentences(service, names, passages)
    defining = find_sentences(openings, DEFINING)
    if not defining:
        return None
    chunk, sentence = defining[0]
    card = Card(shown, long_forms[0] if long_forms else "", _cited(service, f"C'est quoi {asked} ?", chunk, sentence))
    said = {sentence}
    for verb, cue in ROLE_CUE.items():
        for chunk, sentence in find_sentences(openings, cue)[:5]:
            if sentence not in said and len(card.roles) < 2:
                card.roles.append(_cited(service, f"Qui {verb} {asked} ?", chunk, sentence))
                said.add(sentence)
                break
    for a in card.answers:
        for c in a.citations:
            number = idx.documents.get(c.doc_id, {}).get("article")
            if number and number not in card.articles:
                card.articles.append(number)
    for q in TRY_QUESTIONS:
        question = q.format(n=asked, d=_of(asked))
        if len(card.questions) >= 3:
            break
        a = service.ask(question, suggest=False)
        if a.answered and _mentions(_first_sentence(a), names):
            card.questions.append(question)
    return card


def build_path(service) -> list[Card]:
    """Every card of the path, built from the generation serving now (a few seconds; cached by the caller)."""
    cards = []
    wanted = notions(service)
    names = [n for asked, shown in wanted for n in card_names(service, asked, shown)[1]]
    passages = passages_opening_on(service.index, names)  # one pass over the corpus for every card
    for asked, shown in wanted:
        card = build_card(service, asked, shown, passages)
        if card is not None:
            cards.append(card)
    return cards


def _answer_html(answer: Answer, start: int) -> tuple[str, list[str], int]:
    """An answer's text with its [n] renumbered from ``start`` (the card numbers its sources once)."""
    import re

    mapping = {c.n: start + i for i, c in enumerate(answer.citations)}
    text = html.escape(answer.answer)
    text = re.sub(r"\[(\d{1,2})\]", lambda m: f"[{mapping.get(int(m.group(1)), m.group(1))}]", text)
    text = text.replace("\n- ", "<br>• ")
    sources = []
    for c in answer.citations:
        sources.append(f"[{mapping[c.n]}] {cite_html(c, label='Légifrance')}")
    return text, sources, start + len(answer.citations)


def card_html(card: Card) -> str:
    parts = [
        f"<div class='card' id='card-{html.escape(card.name.replace(' ', '-'))}'>"
        f"<h3>{html.escape(card.name)}{' : ' + html.escape(card.long_form) if card.long_form else ''}</h3>"
    ]
    n, sources = 1, []
    text, srcs, n = _answer_html(card.definition, n)
    parts.append(f"<p class='definition'><b>Définition.</b> {text}</p>")
    sources += srcs
    for role in card.roles:
        text, srcs, n = _answer_html(role, n)
        parts.append(f"<p class='role'><b>{html.escape(role.question)}</b> {text}</p>")
        sources += srcs
    if card.articles:
        links = ", ".join(
            f"<a href='/article/{html.escape(a)}' target='_blank'>{html.escape(display_article(a))}</a>"
            for a in card.articles
        )
        parts.append(f"<p class='articles'><b>Articles clés :</b> {links}</p>")
    if card.questions:
        parts.append(
            "<p class='questions'><b>Trois questions à poser :</b></p><ul>"
            + "".join(f"<li>{html.escape(q)}</li>" for q in card.questions)
            + "</ul>"
        )
    parts.append(
        "<details><summary>Sources</summary><ul class='card-sources'>"
        + "".join(f"<li>{s}</li>" for s in sources)
        + "</ul></details></div>"
    )
    return "".join(parts)


PATH_STYLE = (
    "<style>.card{border:1px solid #ddd;border-radius:8px;padding:10px 14px;margin:0 0 14px 0}"
    ".card h3{margin:0 0 6px 0}.card p{margin:4px 0}.card-sources{font-size:13px}</style>"
)


def path_html(cards: list[Card]) -> str:
    if not cards:
        return "<p>Le corpus indexé ne définit aucune des notions du parcours.</p>"
    toc = " · ".join(
        f"<a href='#card-{html.escape(c.name.replace(' ', '-'))}'>{html.escape(c.name)}</a>" for c in cards
    )
    return (
        PATH_STYLE + "<p>Les notions qui organisent la coopération ARS / Assurance Maladie. Chaque phrase est "
        f"citée du corpus ; les numéros renvoient aux sources de la fiche.</p><p>{toc}</p>"
        + "".join(card_html(c) for c in cards)
    )
