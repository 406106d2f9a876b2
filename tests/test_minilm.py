"""The numpy forward pass gives the vectors of sentence-transformers (same packaged model)."""

import numpy as np
import pytest

from assistant.embeddings import SentenceTransformerEmbedder, resolve_model_path
from assistant.minilm import MiniLM, supports
from assistant.settings import DEFAULT_MODEL


@pytest.mark.integration
def test_numpy_forward_matches_sentence_transformers():
    from sentence_transformers import SentenceTransformer

    path = resolve_model_path(DEFAULT_MODEL)
    assert supports(path)
    texts = [
        "Quelle est la durée d'une expérimentation article 51 ?",
        "CPTS",
        "Le directeur général de l'agence régionale de santé arrête le projet régional de santé " * 12,
    ]
    ours = MiniLM(path).encode(texts)  # one batch: padding and attention masks are exercised
    theirs = SentenceTransformer(path, device="cpu", local_files_only=True).encode(
        texts, normalize_embeddings=True, convert_to_numpy=True
    )
    assert ours.shape == theirs.shape and ours.dtype == np.float32
    assert np.abs(ours - theirs).max() < 1e-5


@pytest.mark.integration
def test_embedder_small_and_large_batches_agree():
    emb = SentenceTransformerEmbedder(DEFAULT_MODEL)
    texts = [f"article L. 162-{i} du code de la sécurité sociale" for i in range(12)]
    small = np.vstack([emb.embed_batch([t]) for t in texts])  # numpy forward pass (short texts)
    large = emb.embed_batch(texts)  # sentence-transformers
    assert np.abs(small - large).max() < 1e-5


def test_folder_not_supported_is_refused(tmp_path):
    assert not supports(tmp_path)


@pytest.mark.integration
def test_the_word_embeddings_stay_in_the_mapped_file():
    """The largest tensor is read where the file is mapped (only the rows of the tokens met come into memory);
    the vectors do not change (compared with sentence-transformers above)."""
    from assistant.minilm import mapped_safetensors

    model = MiniLM(resolve_model_path(DEFAULT_MODEL))
    assert isinstance(model.word, np.memmap) and not model.word.flags.writeable
    weights = mapped_safetensors(__import__("pathlib").Path(resolve_model_path(DEFAULT_MODEL)) / "model.safetensors")
    assert any(name.endswith("word_embeddings.weight") for name in weights)
    assert model.encode(["CPTS"]).shape == (1, model.dimension)


def test_the_erf_of_gelu_is_scipys_to_a_float32s_rounding():
    from scipy.special import erf

    from assistant.minilm import _erf

    x = np.linspace(-8, 8, 400_001, dtype=np.float32)
    assert np.abs(_erf(x) - erf(x)).max() < 2e-7
    assert _erf(x).dtype == np.float32 and _erf(np.float32([0.0]))[0] == 0.0


@pytest.mark.integration
def test_a_query_is_embedded_without_importing_scipy():
    """scipy.special took 0.18 s of a server's first question."""
    import subprocess
    import sys

    code = (
        "import sys; from assistant.embeddings import resolve_model_path; from assistant.minilm import MiniLM; "
        f"MiniLM(resolve_model_path({DEFAULT_MODEL!r})).encode(['durée du CAQES']); print('scipy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
