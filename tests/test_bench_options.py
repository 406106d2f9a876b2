"""`evals bench --no-ingest`: the encode vs ingest comparison (two embeddings of the codes at the full size) is left
out, every other measure is taken, and the results say so."""

import json

import pytest


@pytest.fixture
def measured(monkeypatch, tmp_path):
    from evals import bench

    calls = []

    class FakeIndex:
        def __init__(self, settings):
            self.catalog = self
            self.path = tmp_path / "generation"  # (no vectors' array there)

        def counts(self):
            return (3, 7)

        def close(self):
            pass

    def measure(name, row):
        def run(*args, **kwargs):
            calls.append(name)
            return row

        return run

    monkeypatch.setattr(bench, "Index", FakeIndex)
    monkeypatch.setattr(bench, "ensure_index", lambda name, cache, log: bench.Settings(index=tmp_path / name))
    monkeypatch.setattr(bench, "measure_throughput", measure("throughput", {"ingest_over_encode": 0.95}))
    monkeypatch.setattr(
        bench, "measure_latency", measure("latency", {"ask_ms_p50": 1.0, "ask_ms_p95": 2.0, "query_embed_ms_p50": 1.0})
    )
    monkeypatch.setattr(bench, "measure_refresh", measure("refresh", {}))
    monkeypatch.setattr(
        bench,
        "measure_switches",
        measure(
            "switches",
            {
                "serve_rss_before_switches_mb": 1,
                "serve_rss_after_3_switches_mb": 1,
                "serve_peak_rss_with_switches_mb": 1,
            },
        ),
    )
    monkeypatch.setattr(bench, "measure_serve", measure("serve", {}))
    monkeypatch.setattr(
        bench,
        "measure_workers",
        measure("workers", {"api_answers_per_s_1_worker": 1, "api_answers_per_s_2_worker": 1, "workers_2_over_1": 1}),
    )
    monkeypatch.setattr(
        bench,
        "measure_cold_ask",
        measure(
            "cold",
            {
                "serve_peak_rss_mb": 1,
                f"serve_peak_rss_after_{bench.SPREAD_QUESTIONS}_more_mb": 1,
                "cold_start_to_first_answer_s": 1,
                "cold_start_ask_cli_s": 1,
            },
        ),
    )
    return bench, calls


def test_no_ingest_leaves_out_the_encode_vs_ingest_comparison_only(measured, tmp_path):
    bench, calls = measured
    out = tmp_path / "r.json"
    results = bench.run_bench(["default"], out, tmp_path / "cache", log=lambda m: None, ingest=False)
    assert "throughput" not in calls
    assert {"latency", "refresh", "switches", "serve", "workers", "cold"} <= set(calls)
    assert results["ingest_measured"] is False
    assert "ingest_over_encode" not in results["sizes"]["default"]
    assert results["sizes"]["default"]["command"].endswith("--no-ingest")
    assert json.loads(out.read_text(encoding="utf-8"))["ingest_measured"] is False
    assert "--no-ingest: the encode / ingest comparison" in bench.table(results)


def test_by_default_the_comparison_is_measured(measured, tmp_path):
    bench, calls = measured
    results = bench.run_bench(["default"], tmp_path / "r.json", tmp_path / "cache", log=lambda m: None)
    assert "throughput" in calls
    assert results["sizes"]["default"]["ingest_over_encode"] == 0.95
    assert "ingest_measured" not in results
    assert "--no-ingest" not in bench.table(results)


def test_the_cpu_time_of_a_server_counts_its_workers():
    """The bench says how many cores one worker keeps busy (the most a second worker can add on these cores): the
    CPU time of a process counts its children's and their children's (gunicorn's master and its workers)."""
    import subprocess
    import sys
    import time

    from evals.bench import _tree_cpu_s

    busy = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.6: pass\ntime.sleep(30)"
    spawn = f"import subprocess, sys, time\np = subprocess.Popen([sys.executable, '-c', {busy!r}])\ntime.sleep(30)"
    parent = subprocess.Popen([sys.executable, "-c", spawn])
    try:
        deadline = time.monotonic() + 20
        while _tree_cpu_s(parent.pid) < 0.6 and time.monotonic() < deadline:
            time.sleep(0.1)
        total = _tree_cpu_s(parent.pid)
        children = open(f"/proc/{parent.pid}/task/{parent.pid}/children").read().split()
        assert len(children) == 1 and 0.6 <= total < 5, total
        assert _tree_cpu_s(int(children[0])) >= 0.5  # the grandchild's busy loop, counted in its parent's tree
    finally:
        try:
            for pid in open(f"/proc/{parent.pid}/task/{parent.pid}/children").read().split():
                subprocess.run(["kill", pid])
        except OSError:
            pass
        parent.kill()
        parent.wait()
    assert _tree_cpu_s(parent.pid) == 0.0  # gone: nothing counted
