"""Atomic publish: a refresh killed (SIGKILL) at each of its stages, from inside at named points and from
outside at random moments, or stopped by a full disk, leaves the previous generation serving and consistent;
the next run finishes the work (resuming what was already embedded) and old generations are collected."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS, LEGI, ROOT

from assistant import generations
from assistant.cli import cli
from assistant.index import Index
from assistant.settings import Settings
from ingest.integrity import check
from ingest.pipeline import refresh

pytestmark = pytest.mark.integration  # refreshes in subprocesses killed (SIGKILL), with the real model

EDITED = "cooperation-ars-assurance-maladie-bretagne.txt"
BASE_ARTICLES = ["l162-30-2.md", "r1434-14.md", "l1432-1.md", "l1434-12.md"]
OLD, NEW = "quatre fois par an", "onze fois par an"


def _article(name: str) -> Path:
    return next(LEGI.rglob(name))


DELETED = _article("l1432-1.md").relative_to(CORPUS).as_posix()  # doc id of the article the change deletes


def _write_v1(corpus: Path) -> None:
    shutil.rmtree(corpus, ignore_errors=True)
    corpus.mkdir(parents=True)
    shutil.copy(CORPUS / "documents" / EDITED, corpus / EDITED)
    for name in BASE_ARTICLES:
        src = _article(name)
        target = corpus / src.relative_to(CORPUS)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, target)


def _added_articles(n: int) -> list[Path]:
    code = LEGI / "code-de-la-securite-sociale"
    return sorted(p for p in code.rglob("l*.md") if p.name not in BASE_ARTICLES)[:n]


def _write_v2(corpus: Path) -> None:
    """One document edited, one article deleted, 40 articles added (more than one embedding slice)."""
    doc = corpus / EDITED
    doc.write_text(doc.read_text(encoding="utf-8").replace(OLD, NEW), encoding="utf-8")
    (corpus / DELETED).unlink()
    for src in _added_articles(40):
        target = corpus / src.relative_to(CORPUS)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, target)


def _settings(root: Path) -> Settings:
    return Settings(index=root, embedding_batch_size=4)  # slices of 32 chunks: a kill can land between two


def _env(**extra) -> dict:
    env = dict(
        os.environ,
        ASSISTANT_EMBEDDING_BATCH_SIZE="4",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
    )
    env.pop("ASSISTANT_CRASH_AT", None)
    env.pop("ASSISTANT_FAIL_AT", None)
    return env | extra


def _ingest(corpus: Path, root: Path, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest", str(corpus), "--index", str(root), "--quiet"],
        cwd=ROOT,
        env=_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _assistant(*args: str, **env) -> subprocess.CompletedProcess:
    """``python -m assistant ARGS`` in a process of its own (a refresh that may be killed or made to fail)."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=ROOT,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _serving(root: Path) -> dict:
    """What a reader sees now: the generation, its consistency, and the content of the changed documents."""
    idx = Index(_settings(root))
    try:
        problems = check(idx, sources=False)
        texts = " ".join(c.text for c in idx.chunks_by_doc.get(EDITED, []))
        return {
            "generation": idx.generation,
            "ok": problems.ok,
            "problems": problems.lines(),
            "old_text": OLD in texts,
            "new_text": NEW in texts,
            "deleted_present": DELETED in idx.documents,
            "documents": len(idx.documents),
        }
    finally:
        idx.close()


def _search_finds(root: Path, question: str, doc_id: str) -> bool:
    from assistant.service import Service

    return any(h.chunk.doc_id == doc_id for h in Service(_settings(root), follow=False).search(question, 10).hits)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """Generation 1 of the v1 corpus, built once; each case works on copies of it."""
    work = tmp_path_factory.mktemp("generations")
    corpus, root = work / "corpus", work / "index"
    _write_v1(corpus)
    report = refresh(_settings(root), [corpus])
    assert report.generation == "gen-000001" and report.published and not report.failed
    v2 = work / "v2"
    _write_v1(v2)
    _write_v2(v2)
    return {"corpus": corpus, "root": root, "v2_chunks": _chunk_count(v2)}


def _chunk_count(folder: Path) -> int:
    """How many passages the files of ``folder`` make, counted by the loader and chunker alone."""
    from ingest.chunking import chunk_document
    from ingest.loaders import load_file
    from ingest.sources import doc_id_of

    s = _settings(folder)
    return sum(
        len(
            chunk_document(
                load_file(f, doc_id_of(f, folder)), s.chunk_max_tokens, s.chunk_overlap_tokens, s.paragraph_pack_tokens
            )
        )
        for f in folder.rglob("*")
        if f.is_file()
    )


def _case(base, tmp_path) -> tuple[Path, Path]:
    """The v1 index copied to its own root, and the corpus (same path as the index knows) changed to v2."""
    root = tmp_path / "index"
    shutil.copytree(base["root"], root)
    (root / generations.LOCK).unlink(missing_ok=True)
    corpus = base["corpus"]
    _write_v1(corpus)
    _write_v2(corpus)
    return root, corpus


def _assert_old_serving(root: Path) -> None:
    seen = _serving(root)
    assert seen["generation"] == "gen-000001", seen
    assert seen["ok"], seen["problems"]
    assert seen["old_text"] and not seen["new_text"] and seen["deleted_present"], seen
    assert _search_finds(root, "agence régionale de santé missions article L1432-1", DELETED)


def _assert_new_serving(root: Path, base) -> None:
    seen = _serving(root)
    assert seen["generation"] == "gen-000002", seen
    assert seen["ok"], seen["problems"]
    assert seen["new_text"] and not seen["old_text"] and not seen["deleted_present"], seen
    idx = Index(_settings(root))
    assert idx.catalog.counts()[1] == idx.store.count() == base["v2_chunks"]
    assert not _search_finds(root, "agence régionale de santé missions article L1432-1", DELETED)


@pytest.mark.parametrize("point", generations.POINTS)
def test_refresh_killed_at_each_stage(base, tmp_path, point):
    root, corpus = _case(base, tmp_path)
    proc = _ingest(corpus, root, ASSISTANT_CRASH_AT=point)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL, out

    if point == "published":  # killed after the switch, before collecting garbage: the new one serves
        _assert_new_serving(root, base)
    else:
        _assert_old_serving(root)
        assert generations.unfinished(root, "gen-000001") == ["gen-000002"]
        status = json.loads(CliRunner().invoke(cli, ["status", "--index", str(root), "--json"]).output)
        assert status["generation"] == "gen-000001" and status["unfinished"][0]["generation"] == "gen-000002"
        assert any("inachevée" in w for w in status["warnings"])

    report = refresh(_settings(root), [corpus])  # the rerun finishes the work
    assert not report.failed
    _assert_new_serving(root, base)
    if point == "published":
        assert not report.published and report.generation == "gen-000002"
    else:
        assert report.published and report.generation == "gen-000002"
        assert report.resumed == "gen-000002"  # the unfinished build was taken up, not thrown away
        if point == "embedding":  # the slice embedded before the kill is not paid for again
            assert 0 < report.chunks_embedded < base["v2_chunks"] - 1
    assert generations.generations(root) == ["gen-000001", "gen-000002"]
    assert not (root / "gen-000002" / generations.BUILD).exists()
    if point != generations.POINTS[0]:
        return
    # a third generation collects the first (two are kept by default)
    (corpus / EDITED).write_text((corpus / EDITED).read_text(encoding="utf-8") + "\nAjout.\n", encoding="utf-8")
    third = refresh(_settings(root), [corpus])
    assert third.generation == "gen-000003" and third.collected == ["gen-000001"]
    assert generations.generations(root) == ["gen-000002", "gen-000003"]


def test_resumed_build_follows_the_files_of_the_rerun_not_those_of_the_crashed_run(base, tmp_path):
    """Killed after the edit was applied; before the rerun the edit is undone and another file changes. The
    rerun reuses the vectors of the unfinished build but publishes what the files say now."""
    root, corpus = _case(base, tmp_path)
    proc = _ingest(corpus, root, ASSISTANT_CRASH_AT="derived")
    proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL
    _write_v1(corpus)  # everything back as in generation 1 (same content, new mtimes)...
    note = corpus / EDITED
    note.write_text(note.read_text(encoding="utf-8").replace("comité", "Comité régional"), encoding="utf-8")
    report = refresh(_settings(root), [corpus])  # ...but one other edit
    assert report.published and report.resumed == "gen-000002"
    assert report.updated == [EDITED] and not report.added and not report.removed
    seen = _serving(root)
    assert seen["ok"] and seen["old_text"] and not seen["new_text"] and seen["deleted_present"], seen
    idx = Index(_settings(root))
    assert "Comité régional" in idx.catalog.document_text(EDITED)
    assert len(idx.documents) == 1 + len(BASE_ARTICLES) and idx.store.count() == idx.catalog.counts()[1]


def test_an_error_after_the_switch_keeps_the_new_generation(base, tmp_path):
    root, corpus = _case(base, tmp_path)
    proc = _assistant("ingest", str(corpus), "--index", str(root), "--quiet", ASSISTANT_FAIL_AT="published")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _assert_new_serving(root, base)


def test_refresh_killed_from_outside_at_random_moments(base, tmp_path):
    """kill -9 sent by another process at a random moment of the build (seeded, printed)."""
    seed = int(os.environ.get("KILL_SEED", time.time()))
    rng = random.Random(seed)
    print(f"KILL_SEED={seed}")
    root, corpus = _case(base, tmp_path)
    for attempt in range(3):
        proc = _ingest(corpus, root)
        build = root / "gen-000002"
        deadline = time.monotonic() + 120
        while not (build / "chroma").exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)  # the build has started: now any moment will do
        time.sleep(rng.uniform(0.0, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        seen = _serving(root)
        assert seen["ok"], (seed, attempt, seen["problems"])
        if seen["generation"] == "gen-000001":
            assert seen["old_text"] and seen["deleted_present"], (seed, seen)
        else:  # the kill came after the switch
            assert seen["generation"] == "gen-000002" and seen["new_text"] and not seen["deleted_present"], (seed, seen)
            break
    final = _assistant("ingest", str(corpus), "--index", str(root), "--quiet")
    assert final.returncode == 0, final.stdout + final.stderr
    _assert_new_serving(root, base)
    verify = _assistant("verify", "--index", str(root))
    assert verify.returncode == 0 and "Index cohérent." in verify.stdout, verify.stdout + verify.stderr


def test_second_refresh_is_refused_while_one_runs(base, tmp_path):
    root, corpus = _case(base, tmp_path)
    with generations.writer_lock(root):
        proc = _assistant("ingest", str(corpus), "--index", str(root), "--quiet")
    assert proc.returncode == 75  # EX_TEMPFAIL: what `make index` tells from a failure
    assert "mise à jour de l'index" in proc.stderr and "déjà en cours" in proc.stderr
    _assert_old_serving(root)


def test_full_disk_leaves_the_previous_generation_serving(base, tmp_path):
    """A real full disk when the test may mount a small tmpfs (root), else the same error raised at the
    embedding stage."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    real = (
        os.geteuid() == 0
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)], capture_output=True
        ).returncode
        == 0
    )
    try:
        root = mount / "index" if real else tmp_path / "index"
        shutil.copytree(base["root"], root)
        (root / generations.LOCK).unlink(missing_ok=True)
        corpus = base["corpus"]
        _write_v1(corpus)
        _write_v2(corpus)
        filler = mount / "filler"
        if real:  # leave less room than a second generation needs
            free = shutil.disk_usage(mount).free
            used = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
            with open(filler, "wb") as fh:
                fh.write(b"\0" * max(0, free - used // 2))
        env = {} if real else {"ASSISTANT_FAIL_AT": "embedding"}
        proc = _assistant("ingest", str(corpus), "--index", str(root), "--quiet", **env)
        print(f"full disk ({'tmpfs' if real else 'simulated'}): exit {proc.returncode}: {proc.stderr[-300:]}")
        assert proc.returncode == 1, proc.stderr
        assert "interrompue : disque plein" in proc.stderr and "reste servi" in proc.stderr, proc.stderr
        assert generations.unfinished(root, "gen-000001") == []  # its space given back
        _assert_old_serving(root)
        filler.unlink(missing_ok=True)
        report = refresh(_settings(root), [corpus])
        assert report.published
        _assert_new_serving(root, base)
    finally:
        if real:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True)
