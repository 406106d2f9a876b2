"""Query time and memory of the assistant with each embedding model, for the README's comparison table.

    .venv/bin/python scripts/compare_embedders.py data/index data/e5 data/full data/full-e5

Each index folder is opened in its own process with the model it was built with (read from its index.json):
the p50 / p95 time to embed one question (the dev questions, cache emptied), the p50 / p95 of a whole
`ask`, and the process's peak RSS after answering them all. Quality comes from `python -m evals run`.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD = r"""
import json, resource, sys, time
from assistant.service import Service
from assistant.settings import Settings
from evals.runner import DEFAULT_QUESTIONS, load_questions
from evals.metrics import percentile
svc = Service(Settings(index=sys.argv[1], embedding_model=sys.argv[2]), follow=False)
qs = [q["question"] for q in load_questions(DEFAULT_QUESTIONS)]
svc.ask("échauffement")
emb = svc.index.embedder
emb.clear_cache()
embed_ms = []
for q in qs:
    t = time.perf_counter(); emb.embed_query(q); embed_ms.append((time.perf_counter() - t) * 1000)
emb.clear_cache()
ask_ms = []
for q in qs:
    t = time.perf_counter(); svc.ask(q); ask_ms.append((time.perf_counter() - t) * 1000)
print(json.dumps({"embed_ms_p50": percentile(embed_ms, 50), "embed_ms_p95": percentile(embed_ms, 95),
                  "ask_ms_p50": percentile(ask_ms, 50), "ask_ms_p95": percentile(ask_ms, 95),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "chunks": len(svc.index.chunks)}))
"""


def main(folders: list[str]) -> None:
    print("| index | model | passages | query embedding p50 / p95 (ms) | ask p50 / p95 (ms) | peak RSS (MB) |")
    print("|---|---|---|---|---|---|")
    for folder in folders:
        root = Path(folder)
        current = (root / "CURRENT").read_text().strip() if (root / "CURRENT").exists() else ""
        model = json.loads((root / current / "index.json").read_text())["embedding_model"]
        out = (
            subprocess.run(
                [sys.executable, "-c", CHILD, str(root), model], cwd=ROOT, capture_output=True, text=True, check=True
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        r = json.loads(out)
        print(
            f"| `{folder}` | `{model}` | {r['chunks']} | {r['embed_ms_p50']:.1f} / {r['embed_ms_p95']:.1f} | "
            f"{r['ask_ms_p50']:.1f} / {r['ask_ms_p95']:.1f} | {r['peak_rss_mb']:.0f} |"
        )


if __name__ == "__main__":
    main(sys.argv[1:] or ["data/index"])
