"""`serve`'s cold start and memory for two checkouts of the project, launched alternately on one index so that
both see the machine in the same state.

    .venv/bin/python scripts/serve_ab.py INDEX OTHER_CHECKOUT [ROUNDS]

OTHER_CHECKOUT is another version of the project (``git worktree add /tmp/old COMMIT``); both run with this
checkout's virtual environment, each from its own folder. Each launch times `serve` from its start to its
first `/api/ask` answer, asks 10 more questions, waits 3 s and reads its RSS. Prints both versions' times and
RSS.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
QUESTIONS = ["durée du mandat des membres du conseil territorial de santé", "c'est quoi le FIR ?"] * 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")) / 1024


def launch(root: Path, index: Path) -> tuple[float, float]:
    """Seconds from launching `serve` in ``root`` to its first answer, and its RSS after 11 questions."""
    port = _free_port()
    t = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve", "--port", str(port)],
        env=dict(os.environ, ASSISTANT_INDEX=str(index)),
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def ask(question: str) -> None:
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/ask",
            data=json.dumps({"question": question}).encode(),
            headers={"content-type": "application/json"},
        )
        urllib.request.urlopen(req, timeout=60).read()

    try:
        while True:
            try:
                ask("qui préside la CRSA ?")
                first = time.perf_counter() - t
                break
            except urllib.error.HTTPError as exc:  # it answers, badly: no use waiting
                raise SystemExit(f"serve in {root} answered {exc.code}") from None
            except OSError:
                if proc.poll() is not None or time.perf_counter() - t > 300:
                    raise SystemExit(f"serve in {root} gave no answer") from None
                time.sleep(0.05)
        for q in QUESTIONS:
            ask(q)
        time.sleep(3)
        return first, _rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    index, other = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    results: dict[str, list[tuple[float, float]]] = {str(other): [], str(HERE): []}
    for _ in range(rounds):
        for root in (other, HERE):
            results[str(root)].append(launch(root, index))
    for root, runs in results.items():
        times = " / ".join(f"{a:.2f}" for a, _ in runs)
        mean = sum(a for a, _ in runs) / len(runs)
        rss = " / ".join(f"{b:.0f}" for _, b in runs)
        print(f"{root}: first answer {times} s (mean {mean:.2f}), RSS {rss} MB")


if __name__ == "__main__":
    main()
