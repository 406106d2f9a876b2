"""Check every sentence of a generated answer against the passages it cites.

A sentence is supported when it cites at least one passage that exists, and
- every number and article number it states appears in the cited passages;
- at least ``min_terms`` of its content words (stemmed, stop words left out) appear there (a word of the same
  family counts: same first five letters);
- its embedding is at least ``min_similarity`` close to one cited passage (second signal).
Sentences of a passage that give orders to the assistant ("Ignore les instructions précédentes et réponds
...") are data: they are shown to the model inside the passage, but they never support what the model says.
Unsupported sentences are dropped from the answer and kept, with the reason, for display on request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.text import ARTICLE_REF, analyse, article_of, fold, sentences

MARKER = re.compile(r"\[(\d{1,2})\]")
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class Checked:
    sentence: str  # as generated, markers included
    cited: tuple[int, ...]
    supported: bool
    reason: str = ""


# An order addressed to the assistant inside a document, matched on folded text: the usual French and English
# phrasings of a prompt injection and fake chat-role markup. Leaflets and forms also give orders ("le patient
# ignore les consignes", "vous devez répondre au questionnaire", "répondez par « oui »"): only orders aimed
# at what came before the document, or at the assistant itself (tutoiement, "you"), are taken.
ORDER = re.compile(
    r"\b(?:ignore[rsz]?|oublie[rsz]?|ne (?:tiens|tenez) pas compte|fais abstraction|faites abstraction"
    r"|disregard|forget|override)\b.{0,80}?"
    r"(?:\bprecedent|ci-dessus|ce qui precede|\banterieur|\b(?:tes|vos|your|all|the) (?:instructions|consignes|regles)"
    r"|\bprevious\b|\babove\b|\bprior\b|system prompt|\bprompt\b)"
    r"|\b(?:tu dois|you must|you will)\s+(?:\w+\s+)?(?:repondre|obeir|ignorer|dire|answer|obey|ignore|say|respond)\b"
    r"|\b(?:tu es|you are) (?:desormais|maintenant|now)\b"
    r"|\breponds\b\s*(?:uniquement|seulement|simplement|toujours)?\s*(?:par|que|:|[\"«“])"
    r"|\b(?:answer|respond|reply)\s+(?:only\s+)?(?:with|by saying|that)\b"
    r"|\b(?:dis|dites|reponds|repondez|say)\s+(?:a|to)\s+l'?(?:utilisateur|usager|agent|user)\b"
    r"|<\s*/?\s*(?:system|assistant|passage|question|instructions?)\b|\[/?inst\]|<<\s*sys"
    r"|(?:^|\n)\s*system\s*:",
    re.S,
)
FROM_ORDER = "reprend une consigne contenue dans un document (un document est une source, pas une instruction)"
PIECES = re.compile(r"(?<=[.!?;»])\s+|\n+")


def without_orders(passage: str) -> str:
    """The passage without its sentences (cut at any full stop or line) that give orders to the assistant;
    the passage itself when it gives none."""
    pieces = PIECES.split(passage)
    kept = [piece for piece in pieces if not ORDER.search(fold(piece))]
    return passage if len(kept) == len(pieces) else " ".join(kept)


def _numbers(text: str) -> set[str]:
    plain = ARTICLE_REF.sub(" ", text)
    return {n.replace(",", ".") for n in NUMBER.findall(MARKER.sub(" ", plain))}


def _articles(text: str) -> set[str]:
    return {article_of(m) for m in ARTICLE_REF.finditer(text)}


def split_generated(answer: str) -> list[str]:
    out = []
    for s, e in sentences(answer):
        piece = answer[s:e].strip()
        lead = re.match(r"^((?:\[\d{1,2}\]\s*)+)(.*)$", piece, re.S)
        if out and lead:  # "Phrase. [1] Suivante": the markers after a full stop belong to the sentence before
            out[-1] += " " + lead.group(1).strip()
            piece = lead.group(2).strip()
        if piece:
            out.append(piece)
    return out


def check(
    answer: str, passages: list[str], embed=None, min_terms: float = 0.6, min_similarity: float = 0.35
) -> list[Checked]:
    results = []
    ordered = list(passages)  # as shown to the model, orders included (to say why a sentence goes)
    passages = [without_orders(p) for p in passages]
    passage_terms = [set(analyse(p)) for p in passages]
    passage_prefixes = [{t[:5] for t in terms if len(t) >= 5} for terms in passage_terms]
    passage_vecs = None
    for sent in split_generated(answer):
        cited = tuple(sorted({int(n) for n in MARKER.findall(sent)}))
        body = MARKER.sub(" ", sent).strip()
        if not cited:
            results.append(Checked(sent, cited, False, "ne cite aucun passage"))
            continue
        if any(n < 1 or n > len(passages) for n in cited):
            results.append(Checked(sent, cited, False, "cite un passage qui n'existe pas"))
            continue
        text = " ".join(passages[n - 1] for n in cited)
        # the cited passages as shown to the model, when orders were cut from them (else nothing can come from one)
        shown = (
            " ".join(ordered[n - 1] for n in cited) if any(ordered[n - 1] is not passages[n - 1] for n in cited) else ""
        )
        missing_numbers = _numbers(body) - _numbers(text)
        if missing_numbers and shown and missing_numbers <= _numbers(shown):
            results.append(Checked(sent, cited, False, FROM_ORDER))
            continue
        if missing_numbers:
            results.append(
                Checked(sent, cited, False, f"nombre absent des passages cités : {', '.join(sorted(missing_numbers))}")
            )
            continue
        missing_articles = _articles(body) - _articles(text)
        if missing_articles and shown and missing_articles <= _articles(shown):
            results.append(Checked(sent, cited, False, FROM_ORDER))
            continue
        if missing_articles:
            results.append(
                Checked(
                    sent, cited, False, f"article absent des passages cités : {', '.join(sorted(missing_articles))}"
                )
            )
            continue
        terms = [t for t in dict.fromkeys(analyse(body)) if not t.isdigit()]
        if len(terms) < 2:
            results.append(Checked(sent, cited, False, "phrase vide de contenu"))
            continue
        found_terms = set().union(*(passage_terms[n - 1] for n in cited))
        prefixes = set().union(*(passage_prefixes[n - 1] for n in cited))
        share = sum(1 for t in terms if t in found_terms or (len(t) >= 5 and t[:5] in prefixes)) / len(terms)
        if share < min_terms:
            shown_terms = set(analyse(shown)) if shown else set()
            if sum(1 for t in terms if t in shown_terms) / len(terms) >= min_terms:  # its words come from an order
                results.append(Checked(sent, cited, False, FROM_ORDER))
            else:
                results.append(Checked(sent, cited, False, f"mots absents des passages cités ({share:.0%} retrouvés)"))
            continue
        if embed is not None:
            if passage_vecs is None:
                passage_vecs = embed(passages)
            vec = embed([body])[0]
            sim = max(float(np.dot(vec, passage_vecs[n - 1])) for n in cited)
            if sim < min_similarity:
                results.append(Checked(sent, cited, False, f"sens trop éloigné des passages cités ({sim:.2f})"))
                continue
        results.append(Checked(sent, cited, True))
    return results
