"""`serve`'s cold start and memory for two checkouts of the project, launched alternately on one index so that
both see the machine in the same state.

    .venv/bin/python scripts/serve_ab.py INDEX OTHER_CHECKOUT [ROUNDS]

OTHER_CHECKOUT is another version of the project (``git worktree add /tmp/old COMMIT``); both run with this
checkout's virtual environment, each from its own folder. Each launch times `serve` from its start to its
first `/api/ask` answer (as the bench does, ``evals.bench._start_serve``), asks 10 more questions, waits 3 s
and reads its RSS. Prints both versions' times and RSS.
"""

import sys
import time
from pathlib import Path

from evals.bench import _rss_mb, _start_serve

HERE = Path(__file__).resolve().parent.parent
QUESTIONS = ["durée du mandat des membres du conseil territorial de santé", "c'est quoi le FIR ?"] * 5


def launch(root: Path, index: Path) -> tuple[float, float]:
    """Seconds from launching `serve` in ``root`` to its first answer, and its RSS after 11 questions."""
    proc, ask, first = _start_serve(index, "qui préside la CRSA ?", cwd=root)
    try:
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
