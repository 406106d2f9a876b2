"""The test doubles of the two extension points, registered by conftest.py through the same registries as
the real ones: the ``fake`` embedder (``assistant.embeddings.register``) and the ``fake`` LLM backend
(``assistant.llm.register``). A test chooses them by settings: ``embedding_model="fake"``,
``llm_backend="fake"``.
They exist in the test process only (a subprocess or a server started by a test has the real ones alone)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from types import SimpleNamespace

import numpy as np

from assistant.embeddings import Embedder
from assistant.text import analyse

FAKE = "fake"
FAKE_HEADINGS = "fake-headings"


class HashEmbedder(Embedder):
    """No model: a text is the bag of its analysed words (stems, accents folded, no stop words) and of their
    character trigrams, each hashed (CRC-32, the same in every process) into one of ``dimension`` buckets,
    then L2-normalised. Texts sharing words or word parts get close vectors (a sentence and the passage it
    paraphrases: about 0.55), unrelated French texts distant ones (about 0.2); nothing is loaded, and a chunk
    costs about a millisecond."""

    name = FAKE
    dimension = 512

    def features(self, text: str) -> list[str]:
        out = []
        for stem in analyse(text):
            padded = f"<{stem}>"
            out.append(f"w {stem}")
            out += [padded[i : i + 3] for i in range(len(padded) - 2)]
        return out

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            buckets = [zlib.crc32(f.encode("utf-8")) % self.dimension for f in self.features(text)]
            np.add.at(out[row], buckets, 1.0)
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out


class HeadingsEmbedder(HashEmbedder):
    """The fake embedder reading each passage with its headings first (as e5 does)."""

    name = FAKE_HEADINGS
    PASSAGE_FORMAT = "headings"


class FakeChatModel:
    """The chat model of the ``fake`` LLM backend: each call is recorded in ``calls`` (its messages); it
    raises ``error`` when one is set, else replies ``reply``. One instance serves every answerer of the
    process; the ``fake_llm`` fixture empties it before each test that uses it."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.reply, self.error, self.calls = "", None, []

    def invoke(self, messages):
        self.calls.append(messages)
        if self.error is not None:
            raise self.error
        return SimpleNamespace(content=self.reply)


FAKE_CHAT = FakeChatModel()


def register_fakes() -> None:
    from assistant import embeddings, llm

    embeddings.register(FAKE, HashEmbedder)
    embeddings.register(FAKE_HEADINGS, HeadingsEmbedder)
    llm.register(FAKE, lambda settings: FAKE_CHAT)
