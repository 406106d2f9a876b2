"""The test doubles are reached through the same registries as the real embedders and LLM backends, and the
fake embedder keeps what the tests that use it rely on: deterministic, normalised, closer for texts that share
words."""

import subprocess
import sys

import numpy as np
from conftest import ROOT
from fakes import FAKE, FAKE_CHAT, HashEmbedder

from assistant import embeddings, llm
from assistant.settings import Settings

PASSAGE = (
    "Le ciblage des établissements signataires d'un CAQES est travaillé ensemble par l'agence "
    "régionale de santé et l'assurance maladie."
)
CLOSE = "Qui pilote le ciblage des CAQES avec l'assurance maladie ?"
FAR = "La commission des licornes se réunit quatre fois par an à Rennes."


def test_the_fake_embedder_is_chosen_by_its_model_name():
    embedder = embeddings.get_embedder(FAKE)
    assert isinstance(embedder, HashEmbedder) and embeddings.get_embedder(FAKE) is embedder  # one per process


def test_the_fake_embedder_is_deterministic_normalised_and_close_for_shared_words():
    vectors = HashEmbedder().embed([PASSAGE, CLOSE, FAR, ""])
    assert vectors.shape == (4, HashEmbedder.dimension) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0) and not vectors[3].any()
    assert vectors[0] @ vectors[1] > 0.4 and vectors[0] @ vectors[2] < 0.3
    assert np.array_equal(HashEmbedder().embed_query(CLOSE), vectors[1])
    # the same vector in another process (CRC-32, not Python's salted hash)
    code = (
        f"import sys; sys.path.insert(0, 'tests'); from fakes import HashEmbedder; "
        f"print(HashEmbedder().embed_query({CLOSE!r}).tobytes().hex())"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == vectors[1].tobytes().hex()


def test_the_fake_llm_backend_is_chosen_by_settings(fake_llm):
    settings = Settings(llm_backend=FAKE)  # validated against llm.BACKENDS, where conftest registered it
    model = llm.LLM(settings)
    assert model.model is FAKE_CHAT is fake_llm
    fake_llm.reply = "Une réponse [1]."
    assert model.rewrite("et sa durée ?", ["Qu'est-ce qu'un CAQES ?"]) == "Une réponse [1]."
    assert "Qu'est-ce qu'un CAQES ?" in fake_llm.calls[0][1][1]
