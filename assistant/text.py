"""French text analysis shared by the lexical index, the glossary, the answerer and the metrics:
accent folding, tokenisation that keeps article numbers whole, stop words, Snowball stemming."""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

STOPWORDS = frozenset(
    """
a à ai aie aient aies ait alors as au aucun aucune aussi autre autres aux avaient avais avait avant avec avez avions
avoir avons ayant c ça ce ceci cela celle celles celui ces cet cette ceux chaque ci comme comment d dans de des
du donc dont elle elles en encore entre est et étaient étais était étant été être eu eux fait faut font hors il
ils j je jusqu l la là le les leur leurs lui m ma mais me même mêmes mes moi mon n ne ni nos notre nous on ont ou
où par parce pas peu peut peuvent plus pour pourquoi qu quand que quel quelle quelles quels qui quoi s sa sans se
selon ses si sien soit sont sous sur t ta te tes toi ton tous tout toute toutes très tu un une unes uns vos votre
vous y est-ce qu'est-ce quoi dit dire combien lequel laquelle lesquels lesquelles exactement exemple
quelqu chose faire fait-il fait-elle doit doivent-ils peut-on faut-il
the of and or to in on for by with is are was be been being has have had what who which how when where why
does do did a an this that these those many much according its it his her their there from at as
""".split()
)

# a code's numbered paragraph ("I.-", "II. -"), folded, as a sentence may open on it
PARAGRAPH_NUMBER = r"[ivx]+\.\s*-\s*"
# An article number: "L. 162-30-2", "R1434-13", "article l. 162-30-2", "l162-30-2". A lower-case letter counts
# only after "art."/"article" or glued to the digits, so that "a 30 jours" is not article A. 30.
ARTICLE_REF = re.compile(
    r"\b(?:(?i:art(?:icle)?s?)\.?\s+(?P<l1>[LRDAlrda])|(?P<l2>[LRDA])|(?P<l3>[lrda])(?=\*?\d))"
    r"\.?\s?\*?(?P<n>\d{2,4}(?:-\d+)*)\b"
)


def article_of(m: re.Match) -> str:
    """Canonical number of an ARTICLE_REF match: 'L162-30-2'."""
    return (m.group("l1") or m.group("l2") or m.group("l3")).upper() + m.group("n")


TOKEN = re.compile(r"[a-z]\d{2,4}(?:-\d+)*|\w+", re.I)


NON_ASCII = re.compile(r"[^\x00-\x7f]")


@cache
def _fold_char(ch: str) -> str:
    # Decomposing character by character then dropping every combining mark gives what decomposing the
    # whole text would: canonical reordering only moves combining marks, and they are all dropped.
    return "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).replace("’", "'")


def fold(text: str) -> str:
    """Lower case without accents; typographic apostrophes and ligatures made plain."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae")
    return text if text.isascii() else NON_ASCII.sub(lambda m: _fold_char(m.group()), text)


def normalise_quote(text: str) -> str:
    """NFKC, typographic apostrophes to ', whitespace collapsed (how evidence quotes are compared)."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'").replace("ʼ", "'")
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("french")


def _join_article_refs(text: str) -> str:
    """'L. 162-30-2' -> 'l162-30-2' so that an article number is one token."""
    return ARTICLE_REF.sub(lambda m: f" {article_of(m).lower()} ", text)


def words(text: str) -> list[str]:
    """Lower-case word tokens (accents kept), article numbers whole, elisions split."""
    text = _join_article_refs(text.replace("’", "'"))
    return [w.lower() for w in TOKEN.findall(text)]


# The French Snowball stemmer gives a word's feminine and masculine forms, and some plurals, different stems:
# "assurée" assure / "assuré" assur, "salariée" / "salarié", "première" premier / "premier" premi, "directrice" /
# "directeur", "prévus" / "prévu", "publique" / "public". A question says "une salariée", "ma mère est assurée",
# the code "le salarié", "l'assuré": the folded word is put in the masculine singular first. Measured on the dev
# sets, each index calibrated again: `dev_users` hit@5 0.833 -> 0.852 (default index) and 0.643 -> 0.652 (full
# codes), citation_support 0.455 -> 0.473 and refusal_accuracy 0.897 -> 0.949 at the full codes; on
# `questions.jsonl` at the full codes, false refusals 0.058 -> 0.039 but one unanswerable question more answered
# ("remplacé" now meets "remplacée"), and `dev_users` keyword_accuracy -0.018 on both indexes.
MASCULINE = (
    (re.compile(r"(?<=\w{3})ee(s?)$"), r"e\1"),  # assuree -> assure, designees -> designes
    (re.compile(r"(?<=\w{2})iere(s?)$"), r"ier\1"),  # premiere -> premier, infirmieres -> infirmiers
    (re.compile(r"(?<=\w{2})trice(s?)$"), r"teur\1"),  # directrice -> directeur
    (re.compile(r"(?<=\w{3})us$"), "u"),  # prevus -> prevu (not "plus", "tous"; nor the words of ``KEEP_US``)
    (re.compile(r"^publique(s?)$"), r"public\1"),
)


# Words in -us that are not plurals of a participle in -u: "refus" (the stemmer gives "refuser" refus too),
# "inclus" (feminine "incluse"), "abus", and Latin words.
KEEP_US = frozenset(
    "refus inclus confus diffus intrus reclus obtus abus virus corpus consensus processus cursus campus bonus "
    "malus sinus surplus prospectus foetus rebus humus lupus papyrus cactus terminus hiatus stimulus tumulus "
    "blocus rhesus uterus typhus thymus".split()
)


def masculine(folded: str) -> str:
    """A folded word in the masculine singular where its ending says it is feminine or a plural in -us."""
    if folded in KEEP_US:
        return folded
    for pattern, replacement in MASCULINE:
        changed = pattern.sub(replacement, folded)
        if changed != folded:
            return changed
    return folded


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Accents are folded before stemming so that 'duree' and 'durée' meet, the word put in the masculine
    (``masculine``) so that 'assurée' and 'assuré' do, and in the singular where the stemmer splits a plural from
    its singular (``singular``, ``OWN_STEM``: "lois" and "loi", "usagers" and "usager")."""
    if re.fullmatch(r"[a-z]\d.*|\d.*", word):
        return word
    folded = singular(masculine(fold(word)))
    if folded in OWN_STEM or folded[-1:] == "s" and folded[:-1] in OWN_STEM:
        return folded.removesuffix("s")
    return _stemmer().stemWord(folded)


# Plurals the French stemmer stems otherwise than their singular ("lois" loi / "loi", "emplois", "essais",
# "appuis", "euros", "numéros", "commissions" comm / "commission" commiss: it reads "-issions" as a verb's
# ending, which the law does not write), by their ending; the words so ending that are no plural are kept.
PLURAL_ENDINGS = ("ois", "ais", "uis", "os", "ions")
KEEP_S = frozenset("mois bois trois frais mais jamais desormais palais mauvais clos repos gros dos propos".split())
KEEP_ENDINGS = ("fois", "quis")  # "fois", "parfois", "toutefois"; "acquis", "requis"
PLURALS = frozenset("lieux milieux jeux enjeux voeux elus".split())
# Nouns that the stemmer reads as verbs in the singular only ("usager" -> usag, the stem of "usage", but "usagers"
# -> usager; "crédit" -> cred, "crédits" -> credit), and words it stems as another, unrelated word ("délit" as
# "délai", "loyer" as "loi", "foyer" as "foi", "amiante" as "ami"): their stem is the word itself (folded, in the
# masculine singular), in the singular and the plural.
OWN_STEM = frozenset(
    (
        "usager etranger conseiller danger cancer foyer loyer entier viager passager leger menager plancher acier "
        "catheter sphincter docker gaucher credit forfait delit deficit debit conflit profit souhait amiante"
    ).split()
)


def singular(folded: str) -> str:
    """A folded word in the singular where the French stemmer gives its plural another stem than its singular
    (``PLURAL_ENDINGS``, ``PLURALS``); any other word as it is."""
    plural = folded.endswith(PLURAL_ENDINGS) and folded not in KEEP_S and not folded.endswith(KEEP_ENDINGS)
    return folded[:-1] if (plural or folded in PLURALS) and len(folded) > 3 else folded


@lru_cache(maxsize=200_000)
def _term(word: str) -> str | None:
    """The indexed term of a lower-case word; None for a stop word or a lone letter."""
    return stem(word) if fold(word) not in _FOLDED_STOPWORDS and len(word) > 1 or word.isdigit() else None


def analyse(text: str) -> list[str]:
    """Tokens for BM25: no stop words, stemmed, accents folded."""
    return [t for t in map(_term, words(text)) if t is not None]


def analysed_words(text: str) -> list[tuple[str, str]]:
    """Each word of ``text`` that has a term, with its term: ``analyse`` with the words as written (lower case)."""
    return [(w, t) for w in words(text) if (t := _term(w)) is not None]


_FOLDED_STOPWORDS = frozenset(fold(w) for w in STOPWORDS)


def is_stopword(word: str) -> bool:
    return fold(word) in _FOLDED_STOPWORDS


NUMBER_TERM = re.compile(r"[lrda]\d|\d+$")


def is_number_term(term: str) -> bool:
    """An analysed term that is an article's number ("l162-30-2") or a bare number ("2016"), not a word."""
    return bool(NUMBER_TERM.match(term))


SENTENCE_BREAK = re.compile(r"(?<=[.!?;:])\s+(?=[«\"(\[A-ZÀ-ÖØ-Þ0-9-])|\n+")
ABBREVIATION = re.compile(r"(?:\b[A-Za-z]|\bart|\bcf|\bn°|\bp|\bM|\bMM|\bMme|\bDr|\bal|\bch|\bs)\.$")


def sentences(text: str, ends: str = ".!?;") -> list[tuple[int, int]]:
    """Offsets of the sentences (or list items, lines) of a passage. Never splits after an abbreviation
    such as 'L.' in 'article L. 162-30-3' or 'art.'."""
    out, pos = [], 0
    for m in SENTENCE_BREAK.finditer(text):
        before = text[pos : m.start()]
        if "\n" not in m.group() and (before[-1:] not in ends or ABBREVIATION.search(before)):
            continue
        if before.strip():
            out.append((pos, m.start()))
        pos = m.end()
    if text[pos:].strip():
        out.append((pos, len(text)))
    return out


@lru_cache(maxsize=1)
def _accented_forms() -> dict[str, str]:
    """Unaccented French word -> its most frequent written form ("generalites" -> "généralités"), from the
    word frequencies of ``wordfreq``'s large French list (the builder's: a server reads the saved forms,
    ``Index.shown_heading``)."""
    from wordfreq import iter_wordlist

    out: dict[str, str] = {}
    for word in iter_wordlist("fr"):
        if word.isascii():  # four words in five: nothing to take off (0.42 -> 0.19 s for the whole list)
            out.setdefault(word, word)
            continue
        key = unicodedata.normalize("NFD", word)
        key = "".join(ch for ch in key if unicodedata.category(ch) != "Mn")
        if key != word and key.isascii() and key not in out:
            out[key] = word
        elif key == word:
            out.setdefault(key, word)
    return out


ROMAN = re.compile(r"^(?:[IVXLC]+|Ier|\d.*)$")

# A slug drops apostrophes: "dassurance" was "d'assurance", "lautonomie" "l'autonomie". Such a word is put back
# when it is rare (or unknown) in French and the word after its elided article is clearly more frequent.
ELIDED = re.compile(r"^(l|d|qu|s|n|j)([aeiouyh][a-z]+)$", re.I)
ELIDED_RARE = 3.5  # zipf below which "ld…" may be an article and a word ("laide" yes, "loi" "don" "dont" no)
ELIDED_GAP = 1.0  # the word after the article must be this much more frequent (zipf) than the slug word
ALWAYS_ELIDED = {"dune": "d'une", "lune": "l'une"}  # words too, but never in a heading of the codes


def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return max(zipf_frequency(word, "fr"), zipf_frequency(_accented_forms().get(word, word), "fr"))


@lru_cache(maxsize=20_000)
def unelided(word: str) -> str:
    """A slug word with its elided article put back: "dassurance" -> "d'assurance", "Lautonomie" ->
    "L'autonomie", "dune" -> "d'une"; any other word as it is ("don", "dont", "selles"). "qu'", "s'", "n'" and
    "j'" only when the slug word is unknown and the rest is a common word ("sappliquant")."""
    if word.lower() in ALWAYS_ELIDED:
        return word[:1] + ALWAYS_ELIDED[word.lower()][1:]
    m = ELIDED.match(word)
    if not m:
        return word
    article, rest = m.groups()
    whole, after = _zipf(word.lower()), _zipf(rest.lower())
    if article.lower() in ("l", "d"):
        ok = whole < ELIDED_RARE and after - whole >= ELIDED_GAP
    else:
        ok = whole == 0 and after >= ELIDED_RARE
    return f"{article}'{rest}" if ok else word


@lru_cache(maxsize=20_000)
def accented(heading: str) -> str:
    """A heading made from an unaccented slug, with its accents put back ("Livre I generalites dispositions
    communes a tout..." -> "Livre I généralités dispositions communes à tout..."). Words already accented, roman
    numerals and numbers are left as they are; a word the vocabulary does not know stays as it is."""
    if not heading.isascii():
        return heading
    forms = _accented_forms()

    def repl(m):
        word = m.group()
        if ROMAN.match(word) or len(word) == 1 and word != "a":
            return word
        whole = unelided(word)
        if whole != word:
            article, rest = whole.split("'", 1)
            return f"{article}'{repl(re.match('.+', rest))}"
        form = forms.get(word.lower())
        if not form or form == word.lower():
            return word
        return form[:1].upper() + form[1:] if word[:1].isupper() else form

    return re.sub(r"[A-Za-z]+", repl, heading)
