"""`ask` latency with and without the notions' reformulations checked in advance (``suggest.start_precheck``),
alternated in one process so that both see the machine in the same state.

    .venv/bin/python scripts/precheck_ab.py data/index [ROUNDS]

Each pass is the bench's: the 200 questions of ``evals.bench.questions_200`` searched once (query vectors then
forgotten), then asked; the reformulations remembered are forgotten before each pass. "without" lets every
refusal check its own candidates, as before the precheck; "with" checks the notions first (the time it takes is
printed). Prints p50 / p95 of all the asks and the median / max of the refused ones.
"""

import sys
import time
from pathlib import Path

import numpy as np

from assistant import retrieval, suggest
from assistant.service import Service
from assistant.settings import Settings
from evals.bench import questions_200


def one_pass(svc: Service, questions: list[str], precheck: bool) -> str:
    answerer, embedder = svc.answerer, svc.index.embedder
    answerer.checked_suggestions = {}
    note = ""
    if precheck:
        answerer.precheck = None
        t = time.perf_counter()
        suggest.start_precheck(answerer).join()
        note = f" (precheck {time.perf_counter() - t:.1f} s)"
    embedder.clear_cache()
    retrieval.EXPANSION_VECTORS.clear()
    for q in questions:
        svc.search(q)
    embedder.clear_cache()
    times, refused = [], []
    for q in questions:
        t = time.perf_counter()
        answer = svc.ask(q)
        times.append((time.perf_counter() - t) * 1000)
        if not answer.answered:
            refused.append(times[-1])
    return (
        f"{'with' if precheck else 'without'} precheck{note}: ask p50 {np.percentile(times, 50):.1f} ms, "
        f"p95 {np.percentile(times, 95):.1f} ms; {len(refused)} refused: median {np.median(refused):.1f} ms, "
        f"max {max(refused):.1f} ms"
    )


def main() -> None:
    index = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data/index")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    svc = Service(Settings(index=index), follow=False)
    svc.ask("échauffement")  # a one-shot service (follow=False) never starts a precheck by itself
    questions = questions_200()
    for _ in range(rounds):
        for precheck in (False, True):
            print(one_pass(svc, questions, precheck), flush=True)


if __name__ == "__main__":
    main()
