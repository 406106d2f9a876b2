"""The forward pass of a BERT sentence-transformers model (token embeddings -> mean pooling -> L2 normalise)
in plain numpy, from the model folder's ``model.safetensors`` and ``tokenizer.json``.

Why: importing torch, transformers and sentence-transformers takes several seconds, most of the cold start
of ``ask`` and ``serve``; numpy, tokenizers and safetensors import in a fraction of a second. The vectors
are those of sentence-transformers to float32 rounding (checked by tests/test_minilm.py). Only folders
this module recognises are served this way (``supports``); any other model goes through
sentence-transformers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.rows import FileRows

MODULES = [
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
]


def supports(folder: str | Path) -> bool:
    """A BERT model with absolute positions, mean pooling and normalisation, weights in safetensors."""
    f = Path(folder)
    try:
        modules = json.loads((f / "modules.json").read_text())
        config = json.loads((f / "config.json").read_text())
        pooling = json.loads((f / modules[1]["path"] / "config.json").read_text())
    except (OSError, ValueError, IndexError, KeyError):
        return False
    return (
        [m.get("type") for m in modules] == MODULES
        and config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and pooling.get("pooling_mode_mean_tokens")
        and not any(v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens")
        and (f / "model.safetensors").exists()
        and (f / "tokenizer.json").exists()
    )


# Abramowitz and Stegun 7.1.26: erf within 1.5e-7 of the exact value, about a float32's rounding (scipy's erf
# gave the same vectors to 1e-6 and the same answers; importing scipy.special took 0.18 s of every server's
# first question).
_ERF_P = 0.3275911
_ERF_A = (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)


def _erf(x: np.ndarray) -> np.ndarray:
    z = np.abs(x).astype(np.float64)
    t = 1.0 / (1.0 + _ERF_P * z)
    poly = _ERF_A[0]
    for a in _ERF_A[1:]:
        poly = poly * t + a
    return (np.sign(x) * (1.0 - poly * t * np.exp(-z * z))).astype(x.dtype)


_BLAS_LIMIT = []


def _one_blas_thread() -> None:
    """numpy's BLAS on one thread in this process. The forward pass of one query is too small to gain from
    threads, and on two cores shared with torch or other processes, BLAS threads waiting for each other
    made one query take 500 ms instead of a few (measured: ask p95 535 ms -> see the README's benchmark)."""
    if _BLAS_LIMIT:
        return
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return
    _BLAS_LIMIT.append(ThreadpoolController().limit(limits=1, user_api="blas"))


SAFETENSORS_DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}


def safetensors_header(path: Path) -> tuple[dict, int]:
    """The JSON header of a safetensors file (its format: an 8-byte header length, a JSON header of names,
    dtypes, shapes and offsets, then the raw little-endian data) and where its data starts in the file."""
    with open(path, "rb") as f:
        size = int(np.frombuffer(f.read(8), dtype="<u8")[0])
        header = json.loads(f.read(size))
    header.pop("__metadata__", None)
    return header, 8 + size


def mapped_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a safetensors file as read-only arrays over the file mapped in memory. Nothing is copied:
    the pages are the system's page cache, shared by every process that maps the file."""
    header, base = safetensors_header(path)
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for name, meta in header.items():
        begin, end = meta["data_offsets"]
        dtype = np.dtype(SAFETENSORS_DTYPES[meta["dtype"]])
        out[name] = raw[base + begin : base + end].view(dtype).reshape(meta["shape"])
    return out


def file_rows(path: Path, name: str) -> FileRows:
    """The 2-D tensor ``name`` of a safetensors file, read row by row from the file (``FileRows``)."""
    header, base = safetensors_header(path)
    meta = header[name]
    rows, dim = meta["shape"]
    return FileRows(path, base + meta["data_offsets"][0], (rows, dim), np.dtype(SAFETENSORS_DTYPES[meta["dtype"]]))


class MiniLM:
    def __init__(self, folder: str | Path):
        from tokenizers import Tokenizer

        _one_blas_thread()
        f = Path(folder)
        config = json.loads((f / "config.json").read_text())
        st_config = (
            json.loads((f / "sentence_bert_config.json").read_text())
            if (f / "sentence_bert_config.json").exists()
            else {}
        )
        self.max_len = int(st_config.get("max_seq_length") or config.get("max_position_embeddings", 512))
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.dimension = int(config["hidden_size"])
        self.tokenizer = Tokenizer.from_file(str(f / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.max_len)
        self.tokenizer.no_padding()
        # The weights are read from the mapped file (``mapped_safetensors``): the word embeddings (47 of the
        # model's 90 MB) stay in the file, only the rows of the tokens met are read (``FileRows``); the layers'
        # matrices are copied transposed (read in place, transposed, a query took 20 ms instead of 15). Loaded
        # whole with ``safetensors.numpy.load_file``, the model cost each server 130 MB at its peak.
        w = mapped_safetensors(f / "model.safetensors")
        word = next(k for k in w if k.removeprefix("bert.") == "embeddings.word_embeddings.weight")
        self.word = file_rows(f / "model.safetensors", word)
        w = {k.removeprefix("bert."): v for k, v in w.items()}
        self.position = np.array(w["embeddings.position_embeddings.weight"])
        self.token_type = np.array(w["embeddings.token_type_embeddings.weight"][0])
        self.emb_ln = (np.array(w["embeddings.LayerNorm.weight"]), np.array(w["embeddings.LayerNorm.bias"]))
        self.layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            q, k, v = (w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value"))
            qkv_b = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
            self.layers.append(
                (
                    np.ascontiguousarray(np.concatenate([q, k, v]).T),
                    qkv_b,
                    np.ascontiguousarray(w[p + "attention.output.dense.weight"].T),
                    np.array(w[p + "attention.output.dense.bias"]),
                    (
                        np.array(w[p + "attention.output.LayerNorm.weight"]),
                        np.array(w[p + "attention.output.LayerNorm.bias"]),
                    ),
                    np.ascontiguousarray(w[p + "intermediate.dense.weight"].T),
                    np.array(w[p + "intermediate.dense.bias"]),
                    np.ascontiguousarray(w[p + "output.dense.weight"].T),
                    np.array(w[p + "output.dense.bias"]),
                    (np.array(w[p + "output.LayerNorm.weight"]), np.array(w[p + "output.LayerNorm.bias"])),
                )
            )

        # Every tensor but the word embeddings is copied: once ``w`` goes, nothing of the file stays mapped (the
        # small ones left as views of the map brought its pages around them into memory, 3 MB).

    def _ln(self, x: np.ndarray, params) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * params[0] + params[1]

    def tokenize(self, texts: Sequence[str]) -> list:
        return self.tokenizer.encode_batch(list(texts))

    def encode(self, texts: Sequence[str], encs: list | None = None) -> np.ndarray:
        """Normalised float32 sentence vectors, one row per text (``encs``: their ``tokenize`` if done)."""
        encs = encs if encs is not None else self.tokenize(texts)
        n, length = len(encs), max((len(e.ids) for e in encs), default=0)
        ids = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for i, e in enumerate(encs):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1.0
        x = self.word[ids] + self.position[:length] + self.token_type
        x = self._ln(x, self.emb_ln)
        h, d = self.heads, self.dimension // self.heads
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]  # padded keys get no attention
        scale = np.float32(1.0 / np.sqrt(d))
        for qkv_w, qkv_b, o_w, o_b, ln1, i_w, i_b, out_w, out_b, ln2 in self.layers:
            qkv = (x @ qkv_w + qkv_b).reshape(n, length, 3, h, d).transpose(2, 0, 3, 1, 4)  # 3, n, h, L, d
            scores = (qkv[0] @ qkv[1].transpose(0, 1, 3, 2)) * scale + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            ctx = (scores @ qkv[2]).transpose(0, 2, 1, 3).reshape(n, length, h * d)
            x = self._ln(x + (ctx @ o_w + o_b), ln1)
            inter = x @ i_w + i_b
            inter = 0.5 * inter * (1.0 + _erf(inter * np.float32(1 / np.sqrt(2))))
            x = self._ln(x + (inter @ out_w + out_b), ln2)
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32)
