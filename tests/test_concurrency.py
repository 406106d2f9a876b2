"""20 simulated users ask through /api/ask on loopback for 60 s while refreshes publish new generations from
another process: no error, every answer comes whole from one generation, the server switches without restart.
The figures are printed and written to test-artifacts/concurrency.json."""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from conftest import ROOT, copy_small_corpus, serve_assistant

from assistant import generations
from assistant.catalog import Catalog
from assistant.settings import Settings
from ingest.pipeline import refresh

pytestmark = pytest.mark.integration  # a real server, refreshes in other processes, the real model

USERS = 20
SECONDS = 60
QUESTIONS = [
    "À quelle fréquence se réunit le comité de coopération en Bretagne ?",
    "Qui pilote le ciblage des CAQES ?",
    "Que prévoit l'article L. 162-30-2 ?",
    "Qui préside la commission régionale de coordination ?",
    "Quelles sont les missions des CPTS ?",
    "Quel est le rôle de l'ARS dans la gestion du risque ?",
    "Que dit l'article R. 1434-14 ?",
    "Quelle est la durée du contrat d'amélioration de la qualité ?",
]
DOC = "cooperation-ars-assurance-maladie-bretagne.txt"
WORDS = ["deux", "trois", "cinq", "six", "sept", "huit", "neuf", "dix"]


def _percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def test_twenty_users_during_refreshes(tmp_path):
    (tmp_path / "corpus").mkdir()
    corpus = copy_small_corpus(tmp_path / "corpus")
    root = tmp_path / "index"
    settings = Settings(index=root)
    assert refresh(settings, [corpus]).published
    original = (corpus / DOC).read_text(encoding="utf-8")
    assert "quatre fois par an" in original

    env = dict(
        os.environ,
        ASSISTANT_INDEX=str(root),
        ASSISTANT_KEEP_GENERATIONS="100",
        ASSISTANT_FEEDBACK_DB=str(tmp_path / "feedback.sqlite"),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
    )
    server, base = serve_assistant(tmp_path / "serve.log", env, ready_path="docs")
    results, lock = [], threading.Lock()
    stop_at = time.monotonic() + SECONDS
    t0 = time.perf_counter()

    def user(n):
        i = n
        while time.monotonic() < stop_at:  # bounded: every user stops at the deadline
            question = QUESTIONS[i % len(QUESTIONS)]
            i += 1
            body = json.dumps({"question": question}).encode()
            req = urllib.request.Request(base + "api/ask", body, {"Content-Type": "application/json"})
            t = time.perf_counter()
            try:
                with urllib.request.urlopen(req, timeout=60) as resp:
                    row = {"status": resp.status, "answer": json.loads(resp.read())}
            except Exception as exc:  # noqa: BLE001 - every failure is counted and shown
                row = {"status": getattr(exc, "code", None), "error": repr(exc)}
            row["seconds"] = time.perf_counter() - t
            row["at"] = round(t - t0, 1)
            row["question"] = question
            with lock:
                results.append(row)

    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(USERS)]
    refreshes = []
    try:
        for th in threads:
            th.start()
        k = 0
        while time.monotonic() < stop_at - 10:  # each refresh edits one paragraph: a new generation
            word = WORDS[k % len(WORDS)]
            k += 1
            (corpus / DOC).write_text(original.replace("quatre fois par an", f"{word} fois par an"), encoding="utf-8")
            t = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "assistant", "ingest", str(corpus), "--quiet", "--json"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert proc.returncode == 0, proc.stdout + proc.stderr
            report = json.loads(proc.stdout)
            refreshes.append(
                {
                    "generation": report["generation"],
                    "started_at": round(t - t0, 1),
                    "seconds": round(time.perf_counter() - t, 1),
                    "word": word,
                }
            )
        for th in threads:
            th.join(timeout=SECONDS + 90)
        assert not any(th.is_alive() for th in threads)
        # the last refresh may publish after the users stop: the server still switches to it by itself
        final, deadline = None, time.monotonic() + 60
        while time.monotonic() < deadline and final != generations.current_name(root):
            req = urllib.request.Request(
                base + "api/ask",
                json.dumps({"question": QUESTIONS[0]}).encode(),
                {"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(req, timeout=60) as resp:
                final = json.loads(resp.read())["generation"]
            time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)

    errors = [r for r in results if r["status"] != 200]
    latencies = [r["seconds"] for r in results if r["status"] == 200]
    seen = sorted({r["answer"]["generation"] for r in results if r["status"] == 200})
    figures = {
        "users": USERS,
        "seconds": SECONDS,
        "requests": len(results),
        "errors": len(errors),
        "p50_ms": round(1000 * _percentile(latencies, 0.5)),
        "p95_ms": round(1000 * _percentile(latencies, 0.95)),
        "max_ms": round(1000 * max(latencies)),
        "generations_answered_from": seen,
        "refreshes": refreshes,
        "slowest": [
            {"at_s": r["at"], "ms": round(1000 * r["seconds"]), "generation": r["answer"]["generation"]}
            for r in sorted(results, key=lambda r: -r["seconds"])[:5]
            if r["status"] == 200
        ],
    }
    print("\nconcurrency:", json.dumps(figures, ensure_ascii=False))
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    (ROOT / "test-artifacts" / "concurrency.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1))

    assert not errors, errors[:3]
    assert len(refreshes) >= 1 and len(seen) >= 2, figures  # the server followed a refresh without restart
    assert final == refreshes[-1]["generation"] == generations.current_name(root)

    # No answer mixes two generations: every cited passage is, word for word, in the generation it names.
    catalogs = {g: Catalog(root / g / "catalog.sqlite") for g in seen}
    passages = {g: {(d, t) for d, t in c.db.execute("SELECT doc_id, text FROM chunks")} for g, c in catalogs.items()}
    texts = {g: {d: c.document_text(d) for d in c.documents()} for g, c in catalogs.items()}
    checked = 0
    for r in results:
        a = r["answer"]
        for cit in a["citations"]:
            assert (cit["doc_id"], cit["text"]) in passages[a["generation"]], (a["generation"], cit)
            checked += 1
        if "fois par an" in a["answer"]:
            word = a["answer"].split(" fois par an")[0].split()[-1]
            assert f"{word} fois par an" in texts[a["generation"]][DOC], (a["generation"], a["answer"])
    assert checked > len(results)  # the check ran on real citations
