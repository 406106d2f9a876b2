"""Turn a follow-up question into a standalone query, without an LLM, by a documented rule.

Rule: a question is a follow-up when it has an earlier question in the conversation and either starts with a
linking word ("et", "mais", "alors", "and"...), uses a pronoun, a possessive or a demonstrative that points
back ("il", "elle", "sa", "leur", "ce contrat", "celui-ci"...), or has at most two content words and
no acronym. Its standalone form is
the question followed by the content words of the previous standalone question that it does not repeat:
"et qui décide des sanctions ?" after "Qui pilote le ciblage des CAQES ?" searches
"et qui décide des sanctions ? (pilote ciblage CAQES)". A question that names an article is never rewritten.
"""

from __future__ import annotations

import re

from assistant.text import ARTICLE_REF, analyse, fold, is_stopword

LINKING = re.compile(r"^\s*(et|mais|alors|puis|ensuite|aussi|donc|and|but|what about|et pour|et si)\b", re.I)
POINTING = re.compile(
    r"\b(sa|son|ses|leur|leurs|il|elle|ils|elles|celui-ci|celle-ci|ceux-ci|celles-ci|ce contrat|cette convention|"
    r"ce plan|cet article|cette commission|ce dispositif|lui|it|they|this|that|them)\b",
    re.I,
)


def is_follow_up(question: str, previous: str | None) -> bool:
    if not previous or ARTICLE_REF.search(question):
        return False
    content = [w for w in re.findall(r"\w+", question) if not is_stopword(w) and len(w) > 2]
    has_subject = bool(re.search(r"\b[A-Z]{2,}\b", question))  # an acronym names its own subject
    return bool(LINKING.search(question) or POINTING.search(question) or (len(content) <= 2 and not has_subject))


def standalone(question: str, history: list[str]) -> str:
    """``history``: the earlier standalone questions of the conversation, oldest first."""
    previous = history[-1] if history else None
    if not is_follow_up(question, previous):
        return question
    have = set(analyse(question))
    carried = []
    for word in re.findall(r"[\wÀ-ÿ'-]+", previous):
        if is_stopword(word) or len(word) < 3 or fold(word) in ("quel", "quelle", "quels", "quelles"):
            continue
        stems = analyse(word)
        if stems and not set(stems) & have and word not in carried:
            carried.append(word)
    return f"{question} ({' '.join(carried)})" if carried else question
