"""`serve --workers 1` and `--workers 2` of this checkout and `--workers 2` of another one, launched in turns on one
index: each launch's cold start to its first `/api/ask` answer, its answers per second (4 clients, 120 of the bench's
questions after 20), and the proportional memory (PSS) of each of its processes and of all of them.

    .venv/bin/python scripts/workers_ab.py INDEX OTHER_CHECKOUT [ROUNDS]

OTHER_CHECKOUT is another version of the project (``git worktree add /tmp/old COMMIT``); both run with this
checkout's virtual environment, each from its own folder (as ``scripts/serve_ab.py``). One JSON line per launch.
"""

import json
import sys
from pathlib import Path

from evals.bench import _start_serve, answer_rate, questions_200, smaps_mb

HERE = Path(__file__).resolve().parent.parent


def launch(root: Path, index: Path, workers: int, clients: int = 4, n: int = 120) -> dict:
    questions = questions_200()
    proc, ask, first = _start_serve(index, questions[0], workers, cwd=root)
    try:
        rate, _, _ = answer_rate(ask, questions, clients, n)
        pids = [proc.pid] + [int(c) for c in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
        each = {pid: {k: round(v, 1) for k, v in smaps_mb(pid).items()} for pid in pids}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {
        "checkout": str(root),
        "workers": workers,
        "cold_start_to_first_answer_s": round(first, 2),
        "answers_per_s": round(rate, 2),
        "tree_pss_mb": round(sum(p["Pss"] for p in each.values()), 1),
        "processes": each,
    }


def main() -> None:
    index, other = Path(sys.argv[1]), Path(sys.argv[2])
    for _ in range(int(sys.argv[3]) if len(sys.argv) > 3 else 1):
        for root, workers in ((HERE, 1), (other, 2), (HERE, 2)):
            print(json.dumps(launch(root, index, workers)), flush=True)


if __name__ == "__main__":
    main()
