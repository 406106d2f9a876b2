"""Does a word of a question carry its subject? Only such a word, when the corpus never uses it, makes the
assistant refuse ("Aucun document du corpus ne mentionne « TVA »"). A common verb or adverb the corpus happens
not to use ("jouer", "vouloir", "vraiment") says nothing of the subject and never causes a refusal.

The rule, without a tagger: a word carries the subject when it is
- an acronym or a capitalised word inside the question ("TVA", "Ségur");
- preceded by a determiner or a preposition ("le chômage", "de démission", "sur l'optique");
- shaped like a noun by its ending (-tion, -age, -ité, -isme, -ique, -eur, -ance, -ence, -ure...);
- or rare in French (not above Zipf frequency 3 in ``wordfreq``'s French list: jargon, names);
but never an adjective French puts before its noun ("des vraies CPTS"), an infinitive after a modal or "obligé
de" ("il peut accéder", "obligé de rejoindre") nor a verb after a subject pronoun or "ne" ("j'hésite", "nous
n'étions pas").
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.text import fold

DETERMINERS = frozenset(
    """le la les l un une des du de d au aux mon ma mes ton ta tes son sa ses notre nos votre vos
leur leurs ce cet cette ces sur pour par en avec sans quel quelle quels quelles chez entre contre""".split()
)
# Spoken fillers whose word follows a preposition but names nothing ("le FIR finance quoi au juste ?").
FILLERS = frozenset(
    tuple(pair.split())
    for pair in (
        "au juste",
        "en fait",
        "en gros",
        "au final",
        "du coup",
        "en vrai",
        "au fond",
        "en bref",
        "en clair",
        "en cas",
        "au cas",  # "en cas d'accident": the accident is the subject, not the case
    )
)
# Adjectives that French puts before the noun ("des vraies CPTS", "le nouveau DG", "la dernière convention"): they
# qualify the subject, they do not name it.
PREPOSED = frozenset(
    """bon bonne bons bonnes mauvais mauvaise mauvaises grand grande grands grandes petit petite petits petites
gros grosse grosses jeune jeunes vieux vieil vieille vieilles nouveau nouvel nouvelle nouveaux nouvelles beau bel
belle beaux belles vrai vraie vrais vraies faux fausse fausses premier premiere premiers premieres dernier
derniere derniers dernieres seul seule seuls seules meme memes autre autres meilleur meilleure meilleurs
meilleures prochain prochaine prochains prochaines ancien ancienne anciens anciennes certain certaine certains
certaines simple simples moindre pire plein pleine pleins pleines different differente differents differentes
divers diverses plusieurs nombreux nombreuse nombreuses tel telle tels telles reel reelle reels reelles veritable
veritables""".split()
)
# A verb after a modal ("il peut accéder", "faut prévenir") or after "obligé de", "tenu de", "autorisé à": an
# infinitive, which says what is done, not what it is about.
MODALS = frozenset(
    """peut peuvent peux pouvons pouvez pourra pourront pourrait pourraient doit doivent dois devons devez devra
devront devrait devraient faut faudra faudrait veut veux veulent voulez voudrait va vont vais""".split()
)
# The asker's speech, which no article says and no question is about: the conjugated forms of être, avoir,
# pouvoir, devoir, vouloir, savoir, faire, aller and falloir that the stop words lack ("puis-je", "suis-je",
# "peux-tu", "êtes-vous", "je voulais savoir", "ça veut dire"), greetings and thanks. They choose no sentence of
# an answer (``Answerer._compose``): "puis" of "puis-je" weighed as a rare word in any sentence that says "puis".
# The search and the evidence still read them (left out of both and calibrated again at stop 57, unanswerable
# questions told in speech were answered: their words had counted against them). Folded; not "es" (the trade's
# "ES") nor "sommes" (the sums due: "les sommes indûment versées").
SPEECH = frozenset(
    """suis etes serai seras sera serons serez seront serais serait serions seriez seraient sois soyons
soyez soient etions etiez fus fut furent
avons avez aurai auras aura aurons aurez auront aurais aurait aurions auriez auraient eue eues eus eut
peux pouvons pouvez pourrai pourras pourra pourrons pourrez pourront pourrais pourrait pourrions pourriez
pourraient puis puisse puisses puissent puissions pouvais pouvait pouvaient pu
dois devons devez devrai devras devra devrons devrez devront devrais devrait devrions devriez devraient devais
devait devaient doive doivent
veux veut voulons voulez veulent voudrais voudrait voudrions voudriez voudraient voulais voulait voulu veuille
veuillez aimerais aimerait aimerions souhaiterais souhaiterait souhaiterions desire
savoir sais sait savons savez savent savais savait saurais saurait
fais faisons faites ferai fera ferons ferez feront ferais ferait faisais faisait
vais vas va allons allez vont irai ira irons irez iront irais irait faudra faudrait fallait fallu
bonjour bonsoir merci svp stp cordialement oui etc vraiment franchement""".split()
)


def speech_word(word: str) -> bool:
    """``word`` (as written) is of the asker's speech (``SPEECH``), not a name ("VA" is no "va")."""
    return not (len(word) >= 2 and word.isupper()) and fold(word) in SPEECH


BOUND_TO = frozenset(
    """oblige obligee obliges obligees tenu tenue tenus tenues autorise autorisee autorises autorisees cense
censee censes censees habilite habilitee habilites habilitees""".split()
)
# A word after a subject pronoun or the negation ("j'hésite", "nous n'étions pas", "je ne souhaite pas") is a
# conjugated verb, whatever its ending says ("hésite" ends like "-ité", "étions" like "-tions").
PRONOUNS = frozenset("je j tu il elle on nous vous ils elles ne n".split())  # not inverted ("a-t-il")
INFINITIVE = re.compile(r"(?:er|ir|re|oir)$")
NOUN_ENDING = re.compile(r"(?:tion|sion|age|ite|isme|ique|eur|euse|ance|ence|ure|aire|iste|ie|ise|ade|ose)s?$")
ADVERB_ENDING = re.compile(r"(?:amment|emment)$")
RARE_ZIPF = 3.0


# A word of plain French letters is one token to wordfreq, looked up as it is.
PLAIN = re.compile(r"[a-zàâäçéèêëîïôöùûüÿœæ]+")


def _buckets(name: str):
    """The buckets of the word list ``name`` ("small_fr", "large_fr") that wordfreq ships (its "cBpack": a
    gzipped msgpack list, a header then the buckets, each the words of one frequency), read one bucket at a
    time, without importing wordfreq. Raises when the file is not where or what it was (another wordfreq
    version)."""
    import gzip
    import importlib.util

    import msgpack

    spec = importlib.util.find_spec("wordfreq")
    with gzip.open(Path(spec.origin).parent / "data" / f"{name}.msgpack.gz", "rb") as f:
        unpacker = msgpack.Unpacker(f, raw=False)
        n = unpacker.read_array_header()
        header = unpacker.unpack()
        if not isinstance(header, dict) or header.get("format") != "cB" or header.get("version") != 1:
            raise ValueError(f"{name}: not a cBpack of version 1")
        for _ in range(n - 1):
            yield unpacker.unpack()


@lru_cache(maxsize=1)
def _small_french() -> dict[str, int] | None:
    """Each word of ``wordfreq``'s small French list and its bucket (minus its frequency in centibels), read
    from the file wordfreq ships without importing wordfreq, whose tokenizers' dependencies took 0.2 s of every
    server's start. None when the file is not where or what it was (another wordfreq version): wordfreq itself
    answers then."""
    try:
        return {word: i for i, bucket in enumerate(_buckets("small_fr")) for word in bucket}
    except Exception:  # any unreadable or other file (msgpack's own errors included): wordfreq reads it itself
        return None


def load() -> None:
    """Read the word list now (``serve``'s master does, before it forks its workers: they then share it)."""
    _small_french()


def _bucket_zipf(i: int) -> float:
    """The Zipf frequency wordfreq gives a word of bucket ``i``, computed as it does (its frequency rounded to
    three significant digits, then the Zipf value to two decimals)."""
    freq = 10 ** (-i / 100)
    freq = round(freq, math.floor(-math.log(freq, 10)) + 3)
    return round(math.log(freq, 10) + 9, 2)


@lru_cache(maxsize=20_000)
def zipf(word: str) -> float:
    """Zipf frequency of a French word in ``wordfreq``'s small French list, which holds the words above
    ``RARE_ZIPF`` (0 for the others): all that the rule needs, loaded in 0.03 s and a few MB, where the large
    list took 0.2 s and 34 MB of a server's memory. (The 477 words of exactly Zipf 3.0, "adjonction",
    "admirablement", are only in the large list: they now count as rare.) A word of plain French letters is
    looked up in the list itself (the same value as ``wordfreq.zipf_frequency``, tested); any other word
    (digits, apostrophes, capitals) goes through wordfreq's tokenizer."""
    listed = _small_french() if PLAIN.fullmatch(word) else None
    if listed is not None:
        i = listed.get(unicodedata.normalize("NFC", word))
        return 0.0 if i is None else _bucket_zipf(i)
    from wordfreq import zipf_frequency  # its word list loads on first use

    return zipf_frequency(word, "fr", wordlist="small")


def carries_subject(word: str, previous: str = "", first: bool = False, before: str = "") -> bool:
    """``word`` as written in the question; ``previous`` the word before it (``before`` the one before that);
    ``first`` when it opens it."""
    if len(word) >= 2 and word.isupper():
        return True
    if word[:1].isupper() and not first:
        return True
    w = fold(word)
    prev = fold(previous)
    if (prev, w) in FILLERS or w in PREPOSED:
        return False
    if prev in PRONOUNS:
        return False
    if INFINITIVE.search(w) and (prev in MODALS or (prev in ("de", "d", "a") and fold(before) in BOUND_TO)):
        return False
    if prev in DETERMINERS:
        return True
    if NOUN_ENDING.search(w) and not ADVERB_ENDING.search(w):
        return True
    # wordfreq knows words with their accents: "concrètement" is common, "concretement" is not a word to it
    return max(zipf(word.lower()), zipf(w)) < RARE_ZIPF


def written_names(text: str) -> list[str]:
    """The words of ``text`` written as names: acronyms ("UNOCAM") and capitalised words after the first
    ("Les Misérables", "la Bretagne"). A name the corpus lacks is not a typo of a word it has: "Misérables" is
    not "misées", "UNOCAM" not "UNCAM"."""
    words = re.findall(r"\w+", text)
    return [w for i, w in enumerate(words) if len(w) >= 2 and (w.isupper() or (i and w[:1].isupper()))]


def subject_words(text: str) -> list[tuple[str, bool]]:
    """Each word of ``text`` as written, with whether it carries the subject (``carries_subject`` given the word
    before it)."""
    found = list(re.finditer(r"\w+", text))
    words = [m.group(0) for m in found]
    # an inverted pronoun ("y a-t-il prescription", "peut-on cumul…") is followed by a noun, not by its verb
    inverted = [m.start() > 0 and text[m.start() - 1] == "-" for m in found]

    def previous(i: int) -> str:
        return "" if not i or inverted[i - 1] and fold(words[i - 1]) in PRONOUNS else words[i - 1]

    return [
        (w, carries_subject(w, previous(i), first=i == 0, before=words[i - 2] if i > 1 else ""))
        for i, w in enumerate(words)
    ]


# A typo or a word? The spelling corrector (``assistant.lexical.correct``) once turned any word the corpus lacks
# into the most frequent corpus term one edit away, real words too: "rechute" was searched as "recrutement",
# "parents" as "parlent", "avorter" as "avert...". A word of wordfreq's large French list (311,000 words, down
# to Zipf 0.5 or so; common misspellings are in it too: "personel" 2.11, "acceuil" 2.71) is now only read as a
# typo of a word one edit away and at least ``TYPO_MARGIN`` Zipf more frequent: "personel" -> "personnel"
# (4.95); not "licite" (2.75) -> "limite" (4.86), "marions" (2.24) -> "marins" (4.34), "débitant" ->
# "débutant". For the slips typing makes most, two letters swapped or a letter doubled or not, the margin is
# ``SLIP_MARGIN``: "acceuil" -> "accueil" (4.65), "professionel" (2.52) -> "professionnel" (4.65).
TYPO_MARGIN = 2.5
SLIP_MARGIN = 1.5


def _large_french() -> tuple[np.ndarray, np.ndarray] | None:
    """wordfreq's large French list as two arrays: the sorted ``hash`` of its words and their buckets (3 MB;
    read a bucket at a time, since its 311,000 words as Python strings would leave about 25 MB of the
    process's heap behind). Python's string hash is the process's own, and so is the array (a worker forked
    after ``load_large`` shares it). None when the file is not what it was."""
    hashes: list[np.ndarray] = []
    buckets: list[np.ndarray] = []
    try:
        for i, words in enumerate(_buckets("large_fr")):
            hashes.append(np.fromiter(map(hash, words), dtype=np.int64, count=len(words)))
            buckets.append(np.full(len(words), i, dtype=np.int16))
    except Exception:  # any unreadable or other file (msgpack's own errors included): wordfreq reads it itself
        return None
    return _sorted_by_hash(np.concatenate(hashes), np.concatenate(buckets))


def _sorted_by_hash(hashes: np.ndarray, buckets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pairs sorted by hash, each hash once, with its lowest bucket (its most frequent word)."""
    order = np.lexsort((buckets, hashes))
    hashes, buckets = hashes[order], buckets[order]
    first = np.ones(len(hashes), dtype=bool)
    first[1:] = hashes[1:] != hashes[:-1]
    return hashes[first], buckets[first]


def _bucket_of(arrays: tuple[np.ndarray, np.ndarray], word: str) -> int | None:
    hashes, buckets = arrays
    key = hash(word)
    i = int(np.searchsorted(hashes, key))
    return int(buckets[i]) if i < len(hashes) and hashes[i] == key else None


_LARGE: list = []  # [arrays or None] once read


def load_large() -> None:
    """Read the large list now (``serve``'s master does, before it forks its workers)."""
    if not _LARGE:
        _LARGE.append(_large_french())
        _folded_common()


@lru_cache(maxsize=20_000)
def french_zipf(word: str) -> float:
    """Zipf frequency of a lower-case word in wordfreq's large French list, 0 for a word it does not hold (a
    typo no one makes often, a name, jargon). wordfreq itself answers when its file is not what it was."""
    load_large()
    arrays = _LARGE[0]
    if arrays is None:
        from wordfreq import zipf_frequency  # its word list loads on first use

        return zipf_frequency(word, "fr", wordlist="large")
    bucket = _bucket_of(arrays, unicodedata.normalize("NFC", word))
    return 0.0 if bucket is None else _bucket_zipf(bucket)


@lru_cache(maxsize=1)
def _folded_common() -> tuple[np.ndarray, np.ndarray]:
    """The words of the small list (Zipf 3 and above) folded (no accents), as ``_large_french``'s arrays: the
    hash of each folded word, with the bucket of the most frequent word that folds to it ("debutant" has
    "débutant"'s)."""
    listed = _small_french()
    if listed is None:  # another wordfreq version: its own list, read through it
        from wordfreq import iter_wordlist, zipf_frequency

        listed = {w: round((9 - zipf_frequency(w, "fr", wordlist="small")) * 100) for w in iter_wordlist("fr", "small")}
    hashes = np.fromiter((hash(fold(w)) for w in listed), dtype=np.int64, count=len(listed))
    buckets = np.fromiter(listed.values(), dtype=np.int16, count=len(listed))
    return _sorted_by_hash(hashes, buckets)


def common_folded(word: str) -> bool:
    """Whether a word, accents and case aside, is one of the small French list's (Zipf 3 and above): "DROITS",
    "CONGES", "SALARIES" typed in capitals are those words, "SISA" or "ESMS" none."""
    return _bucket_of(_folded_common(), fold(word)) is not None


def edits1(word: str) -> set[str]:
    """The strings one edit away from ``word`` (a letter deleted, swapped with the next, replaced or inserted)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return (
        {a + b[1:] for a, b in splits if b}
        | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        | {a + c + b[1:] for a, b in splits if b for c in letters}
        | {a + c + b for a, b in splits for c in letters}
    )


def is_slip(word: str, other: str) -> bool:
    """``other`` is ``word`` with two adjacent letters swapped, or with a letter doubled or undoubled."""
    if len(word) == len(other):
        diff = [i for i, (a, b) in enumerate(zip(word, other, strict=True)) if a != b]
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and word[diff[0]] == other[diff[1]]
            and word[diff[1]] == other[diff[0]]
        )
    longer, shorter = (word, other) if len(word) > len(other) else (other, word)
    if len(longer) != len(shorter) + 1:
        return False
    i = next((k for k in range(len(shorter)) if longer[k] != shorter[k]), len(shorter))
    if longer[:i] + longer[i + 1 :] != shorter:
        return False
    return (i > 0 and longer[i - 1] == longer[i]) or (i + 1 < len(longer) and longer[i + 1] == longer[i])


def typo_of(word: str, accept) -> str | None:
    """The common French word (folded) that ``word``, a French word, is most likely a misspelling of: one edit
    away, taken by ``accept`` (its term is in the corpus), and ``TYPO_MARGIN`` Zipf more frequent than ``word``
    itself (``SLIP_MARGIN`` for a slip: ``is_slip``). None when there is none: the word is meant as written.
    Candidates are read in alphabetical order, so that of two as frequent the answer does not depend on the
    process's string hashing."""
    common = _folded_common()
    own = french_zipf(word)
    folded = fold(word)
    best, best_z = None, 0.0
    for cand in sorted(edits1(folded)):
        bucket = _bucket_of(common, cand)
        if bucket is None:
            continue
        z = _bucket_zipf(bucket)
        if z > best_z and z >= own + (SLIP_MARGIN if is_slip(folded, cand) else TYPO_MARGIN) and accept(cand):
            best, best_z = cand, z
    return best
