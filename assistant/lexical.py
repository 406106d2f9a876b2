"""French BM25 index (bm25s) saved beside the Chroma store: a folder of plainly named files."""

from __future__ import annotations

import json
import math
import shutil
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from assistant.text import analyse, stem
from assistant.wordclass import edits1, french_zipf, typo_of


def bytes_array(encoded: Sequence[bytes]) -> np.ndarray:
    """UTF-8 strings (none holding a NUL byte, which numpy's bytes drop at the end) as one array of fixed width."""
    width = max((len(e) for e in encoded), default=1) or 1
    return np.array(encoded, dtype=f"S{width}") if len(encoded) else np.zeros(0, dtype="S1")


class MappedIds:
    """The passages' ids in the index's order, over two saved arrays (``LexicalIndex.save``): the ids as UTF-8
    bytes and their sorted order. A sequence of ids (``ids[i]``) and a mapping id -> position (``ids.get``,
    ``in``, ``positions`` for many at once, by binary search): a million passages open without a million
    Python strings and a dict of them (0.8 s and about 150 MB of every server at 1M passages)."""

    def __init__(self, ids: np.ndarray, order: np.ndarray):
        self.ids = ids
        self.order = order

    @classmethod
    def arrays_of(cls, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The two arrays, or none when the ids cannot be held so (a duplicate, a NUL byte, which numpy's bytes
        drop at the end, a lone surrogate): the index is then read from its JSON list, as before."""
        try:
            encoded = [c.encode("utf-8") for c in chunk_ids]
        except UnicodeEncodeError:
            return {}
        if len(set(encoded)) != len(encoded) or any(b"\x00" in e for e in encoded):
            return {}
        ids = bytes_array(encoded)
        return {"chunk_ids": ids, "chunk_order": np.argsort(ids, kind="stable").astype(np.int64)}

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self):
        return (x.decode("utf-8") for x in self.ids)

    def positions(self, chunk_ids: Sequence[str]) -> np.ndarray:
        """The position of each id, -1 for an id the index does not hold."""
        if not len(chunk_ids) or not len(self.ids):
            return np.full(len(chunk_ids), -1, dtype=np.int64)
        wanted = [c.encode("utf-8") for c in chunk_ids]
        keys = np.array(wanted, dtype=self.ids.dtype)  # (an id longer than the saved ones is cut: compared whole)
        at = np.minimum(np.searchsorted(self.ids, keys, sorter=self.order), len(self.ids) - 1)
        pos = self.order[at]
        found = np.array([self.ids[p] == w for p, w in zip(pos, wanted, strict=True)], dtype=bool)
        return np.where(found, pos, -1)

    def get(self, chunk_id: str, default=None):
        pos = int(self.positions([chunk_id])[0])
        return default if pos < 0 else pos

    def __contains__(self, chunk_id: object) -> bool:
        return isinstance(chunk_id, str) and self.get(chunk_id) is not None

    def __getitem__(self, key):
        if isinstance(key, str):
            pos = self.get(key)
            if pos is None:
                raise KeyError(key)
            return pos
        return self.ids[key].decode("utf-8")


class TermCounts(Mapping):
    """A read-only mapping term -> integer over two arrays: the terms as UTF-8 bytes in sorted order, and their
    values (a document frequency, bm25s's column of the term). A lookup is a binary search (about 1.5 µs against
    0.04 µs in a dict, for the tens of terms of a question). The two codes' 36,700 terms took two dicts of
    Python strings and integers in every server process (the documents' frequencies, 3 MB, and BM25's vocabulary,
    4 MB, parsed from JSON at each start): saved as arrays (``arrays``), they are memory-mapped, shared by the
    workers through the page cache."""

    __slots__ = ("terms", "values")

    def __init__(self, terms: np.ndarray, values: np.ndarray):
        if len(terms) != len(values):
            raise ValueError("termes et valeurs de longueurs différentes")
        self.terms = terms
        self.values = values

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> Mapping[str, int]:
        """``counts`` as a ``TermCounts``, or as it is when a term cannot be held so (a NUL byte, which numpy's
        bytes drop at the end, a lone surrogate, a value beyond 64 bits): it is then saved in JSON only."""
        if isinstance(counts, TermCounts):
            return counts
        try:
            items = sorted((t.encode("utf-8"), int(v)) for t, v in counts.items())
            if any(b"\x00" in t for t, _ in items):
                return counts
            return cls(bytes_array([t for t, _ in items]), np.array([v for _, v in items], dtype=np.int64))
        except (UnicodeEncodeError, OverflowError):
            return counts

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The two arrays as ``LexicalIndex.save`` names them: ``PREFIX_terms`` and ``PREFIX_values``."""
        return {f"{prefix}_terms": self.terms, f"{prefix}_values": self.values}

    def _key(self, term: object) -> bytes | None:
        """The term as the table's bytes, or None for one it cannot hold."""
        if not isinstance(term, str):
            return None
        try:
            key = term.encode("utf-8")
        except UnicodeEncodeError:
            return None
        return key if len(key) <= self.terms.itemsize and not key.endswith(b"\x00") else None

    def _find(self, term: object) -> int:
        """The term's position, or -1."""
        key = self._key(term)
        if key is None or not len(self.terms):
            return -1
        i = int(np.searchsorted(self.terms, key))
        return i if i < len(self.terms) and self.terms[i] == key else -1

    def __contains__(self, term: object) -> bool:
        return self._find(term) >= 0

    def __getitem__(self, term: str) -> int:
        i = self._find(term)
        if i < 0:
            raise KeyError(term)
        return int(self.values[i])

    def get(self, term: str, default=None):
        i = self._find(term)
        return default if i < 0 else int(self.values[i])

    def __len__(self) -> int:
        return len(self.terms)

    def __iter__(self) -> Iterator[str]:
        return (t.decode("utf-8") for t in self.terms)

    def known(self, terms: Sequence[str]) -> list[str]:
        """Those of ``terms`` the table holds, found in one binary search over them all (the candidates of a
        spelling correction are a thousand)."""
        keys = [self._key(t) for t in terms]
        fits = [i for i, k in enumerate(keys) if k is not None]
        if not fits or not len(self.terms):
            return []
        wanted = np.array([keys[i] for i in fits], dtype=self.terms.dtype)
        at = np.minimum(np.searchsorted(self.terms, wanted), len(self.terms) - 1)
        found = self.terms[at] == wanted
        return [terms[i] for i, hit in zip(fits, found, strict=True) if hit]

    def has_prefix(self, prefix: str) -> bool:
        """Some term starts with ``prefix`` (UTF-8 keeps a text's prefixes as its bytes' prefixes)."""
        try:
            key = prefix.encode("utf-8")
        except UnicodeEncodeError:
            return False
        i = int(np.searchsorted(self.terms, key))
        return i < len(self.terms) and bytes(self.terms[i]).startswith(key)


class LexicalIndex:
    def __init__(self, retriever, chunk_ids: Sequence[str], df: Mapping[str, int]):
        self._bm25 = retriever
        self.chunk_ids = chunk_ids
        # id -> position: the mapped ids themselves, or a dict over a list (an index built in this process, or
        # saved before the ids were)
        self.position = chunk_ids if isinstance(chunk_ids, MappedIds) else {cid: i for i, cid in enumerate(chunk_ids)}
        self.df = TermCounts.of(df)  # term -> the number of passages that hold it
        self.n = len(chunk_ids)
        # arrays saved with it (``save``), as plain arrays over the mapped files
        self.fields: dict[str, np.ndarray] = {}

    @classmethod
    def build(cls, chunk_ids: Sequence[str], texts: Sequence[str], extra: Sequence[str] | None = None) -> LexicalIndex:
        """``extra`` is indexed with each text without being part of it (title, breadcrumb, locator)."""
        return cls.from_tokens(
            chunk_ids,
            [analyse(text) + (analyse(extra[i]) if extra is not None else []) for i, text in enumerate(texts)],
        )

    @classmethod
    def from_tokens(cls, chunk_ids: Sequence[str], token_lists: Sequence[list[str]]) -> LexicalIndex:
        """An index of already analysed chunks."""
        import bm25s

        tokens = [list(toks) or [""] for toks in token_lists]
        # b=0.5: long code articles are not over-penalised (measured with `python -m evals tune`).
        retriever = bm25s.BM25(k1=1.2, b=0.5)
        if tokens:
            retriever.index(tokens, show_progress=False)
        df = Counter()
        for toks in tokens:
            df.update(set(toks))
        return cls(retriever, list(chunk_ids), dict(df))

    def positions(self, chunk_ids: Sequence[str]) -> np.ndarray:
        """The position of each id in this index, -1 for an id it does not hold."""
        if isinstance(self.chunk_ids, MappedIds):
            return self.chunk_ids.positions(chunk_ids)
        return np.array([self.position.get(c, -1) for c in chunk_ids], dtype=np.int64)

    def knows(self, token: str) -> bool:
        """The corpus uses this term or a word of its family (same first five letters)."""
        if token in self.df:
            return True
        if isinstance(self.df, TermCounts):  # a term starting with the token's first five letters (three at least)
            return len(token[:5]) >= 3 and self.df.has_prefix(token[:5])
        prefixes = self.__dict__.get("_prefixes")
        if prefixes is None:
            prefixes = self._prefixes = {t[:5] for t in self.df if len(t) >= 5} | {
                t[:n] for t in self.df for n in range(3, min(5, len(t)) + 1)
            }
        return token[:5] in prefixes

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency; unseen tokens get the highest value."""
        return math.log(1 + (self.n + 1) / (self.df.get(token, 0) + 0.5))

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        known = [t for t in tokens if t in getattr(self._bm25, "vocab_dict", {})]
        if not known or not self.n:
            return np.zeros(self.n, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(list(known)), dtype=np.float32)

    def top(self, tokens: Sequence[str], k: int) -> list[tuple[str, float]]:
        return self.top_of(self.scores(tokens), k)

    def top_of(self, scores: np.ndarray, k: int) -> list[tuple[str, float]]:
        idx = np.flatnonzero(scores > 0)  # a question's terms match few chunks: rank only those
        if len(idx) > k:
            idx = idx[np.argpartition(-scores[idx], k - 1)[:k]]
        idx = idx[np.argsort(-scores[idx])]
        return [(self.chunk_ids[i], float(scores[i])) for i in idx]

    def save(self, folder: Path, fields: dict[str, np.ndarray] | None = None) -> None:
        """Written beside, then put in place: a reader may have the previous arrays memory-mapped (``load``),
        and rewriting a mapped file under it would crash it; a replaced file stays readable until unmapped.
        ``fields``: arrays over the passages in this index's order (the headings field, each passage's
        authority), saved with it so that they always match its positions, and memory-mapped by readers."""
        new, old = folder.with_name(folder.name + ".new"), folder.with_name(folder.name + ".old")
        for stale in (new, old):
            shutil.rmtree(stale, ignore_errors=True)
        new.mkdir(parents=True)
        if self.n:
            self._bm25.save(str(new / "bm25"))
        ids = list(self.chunk_ids)
        for name, array in ((fields or {}) | MappedIds.arrays_of(ids)).items():
            np.save(new / f"{name}.npy", array, allow_pickle=False)
        (new / "chunk_ids.json").write_text(json.dumps(ids))
        (new / "df.json").write_text(json.dumps(dict(self.df)))
        # The documents' frequencies and BM25's vocabulary as sorted arrays, mapped by readers (``TermCounts``);
        # the JSON files stay for a reader of before them.
        vocab = TermCounts.of(getattr(self._bm25, "vocab_dict", {}))
        terms = self.df.arrays("df") if isinstance(self.df, TermCounts) else {}
        if terms and isinstance(vocab, TermCounts) and self.n:
            terms |= vocab.arrays("vocab")
        if terms:
            (new / TERMS).mkdir()
            for name, array in terms.items():
                np.save(new / TERMS / f"{name}.npy", array, allow_pickle=False)
        if folder.exists():
            folder.rename(old)
        new.rename(folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """The BM25 arrays are memory-mapped: read from the page cache, shared by every process that opens them."""
        if (
            not (folder / "chunk_ids.json").exists()
            and (folder.with_name(folder.name + ".old") / "chunk_ids.json").exists()
        ):
            folder = folder.with_name(folder.name + ".old")  # a save stopped between its two renames
        fields = {}
        for path in sorted(folder.glob("*.npy")):
            try:
                fields[path.stem] = np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))
            except Exception:  # truncated (EOFError), damaged: left out, and its reader computes it
                continue
        ids, order = fields.pop("chunk_ids", None), fields.pop("chunk_order", None)
        if ids is not None and order is not None and len(ids) == len(order):
            chunk_ids = MappedIds(ids, order)
        else:  # saved before the ids were arrays, or damaged
            chunk_ids = json.loads((folder / "chunk_ids.json").read_text())
        terms = load_terms(folder / TERMS)
        df = terms.get("df") or json.loads((folder / "df.json").read_text())
        retriever = MappedBM25.load(folder / "bm25", terms.get("vocab")) if len(chunk_ids) else None
        if retriever is None:  # empty, or scored in a way this reader does not know: bm25s reads it
            import bm25s

            retriever = bm25s.BM25.load(str(folder / "bm25"), mmap=True) if len(chunk_ids) else bm25s.BM25()
        index = cls(retriever, chunk_ids, df)
        # The fields saved with it, mapped from the same folder: they always go with these positions.
        index.fields = fields
        return index


class MappedBM25:
    """The saved scores of a bm25s index, read without bm25s: a server needs only its three arrays (mapped) and
    its vocabulary to score a question, and importing bm25s (and scipy with it) cost 0.2 s of every start.
    Scores are those of ``bm25s.BM25.get_scores``, computed the same way (tested equal)."""

    # The methods whose saved scores are the whole score; BM25L and BM25+ add a non-occurrence array.
    METHODS = ("lucene", "robertson", "atire")

    def __init__(self, data, indices, indptr, num_docs: int, vocab_dict: Mapping[str, int], dtype: str):
        self.data, self.indices, self.indptr = data, indices, indptr
        self.num_docs = num_docs
        self.vocab_dict = TermCounts.of(vocab_dict)
        self.dtype = np.dtype(dtype)

    @classmethod
    def load(cls, folder: Path, vocab: TermCounts | None = None) -> MappedBM25 | None:
        """None when the saved index is scored otherwise (bm25s then reads it). ``vocab``: the vocabulary saved as
        arrays beside it (else its JSON file is read)."""
        params = json.loads((folder / "params.index.json").read_text())
        if params.get("method") not in cls.METHODS:
            return None
        arrays = [
            np.asarray(np.load(folder / f"{name}.csc.index.npy", mmap_mode="r", allow_pickle=False))
            for name in ("data", "indices", "indptr")
        ]
        if vocab is None:
            vocab = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        return cls(*arrays, int(params["num_docs"]), vocab, params.get("dtype", "float32"))

    def get_scores(self, tokens: list[str]) -> np.ndarray:
        ids = np.asarray([self.vocab_dict[t] for t in tokens if t in self.vocab_dict], dtype=np.int64)
        ids = ids[ids < len(self.indptr) - 1]  # bm25s's vocabulary may name a token no passage holds ("")
        scores = np.zeros(self.num_docs, dtype=self.dtype)
        for start, end in zip(self.indptr[ids], self.indptr[ids + 1], strict=True):
            np.add.at(scores, self.indices[start:end], self.data[start:end])
        return scores


TERMS = "terms"  # the folder of ``TermCounts``' arrays in the lexical index's


def load_terms(folder: Path) -> dict[str, TermCounts]:
    """The ``TermCounts`` saved in ``folder`` ("df", "vocab"), memory-mapped; one damaged or missing is left out
    (its JSON file is read instead)."""
    out = {}
    for name in ("df", "vocab"):
        try:
            terms, values = (
                np.load(folder / f"{name}_{part}.npy", mmap_mode="r", allow_pickle=False)
                for part in ("terms", "values")
            )
            if terms.dtype.kind != "S" or values.dtype.kind not in "iu" or terms.ndim != 1:
                continue
            out[name] = TermCounts(np.asarray(terms), np.asarray(values))
        except Exception:  # absent (an index saved before them), truncated, damaged
            continue
    return out


def correct(index: LexicalIndex, token: str, word: str | None = None) -> str:
    """A query term absent from the corpus: what it is likely a misspelling of, else the term itself. Short
    terms and numbers are left alone. ``word`` is the term's word as written: a word of wordfreq's large French
    list is meant as written unless a far more frequent French word one edit away has a term in the corpus
    ("personel" -> "personnel", "acceuil" -> "accueil"; "parents" is not "parlent", nor "rechute"
    "recrutement": ``wordclass.typo_of``). Any other (a typo no list holds, jargon, or no word given): the most
    frequent corpus term one edit away with the same first letter. A term the corpus has is never corrected:
    "commision" stems to "commis", a word of the codes."""
    if token in index.df or not 5 <= len(token) <= 30 or any(ch.isdigit() for ch in token):
        return token  # (edits of a very long "word" would be millions of strings)
    if word is not None and french_zipf(word):
        meant = typo_of(word, lambda cand: stem(cand) in index.df)
        return stem(meant) if meant else token
    candidates = [t for t in dict.fromkeys(edits1(token)) if t[0] == token[0]]
    df = index.df
    present = df.known(candidates) if isinstance(df, TermCounts) else [t for t in candidates if t in df]
    best = max(present, key=lambda t: (df[t], t), default=None)
    return best or token
