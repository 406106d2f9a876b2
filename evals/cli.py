"""``python -m evals run|tune``: measure retrieval and answers on a question set."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from assistant.errors import AssistantError
from assistant.settings import Settings
from evals.runner import DEFAULT_QUESTIONS, evaluate, load_questions, write_results

INDEX_HELP = "Index folder (default: data/index under the project; env ASSISTANT_INDEX)."


def _settings(index, **overrides) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    if index is not None:
        values["index"] = index
    return Settings(**values)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli():
    """Evaluate the assistant on a question set (JSONL: id, question, answerable, evidence,
    answer_keywords, citations)."""


@cli.command()
@click.option("--questions", type=click.Path(exists=True, path_type=Path), default=DEFAULT_QUESTIONS,
              show_default=True, help="Question set (JSONL).")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Folder for results.json and report.md.")
@click.option("--index", type=click.Path(path_type=Path), envvar="ASSISTANT_INDEX", help=INDEX_HELP)
@click.option("--dense-weight", type=float, default=None, help="Override ASSISTANT_DENSE_WEIGHT for this run.")
@click.option("--min-coverage", type=float, default=None, help="Override ASSISTANT_MIN_COVERAGE for this run.")
@click.option("--llm", is_flag=True, help="Evaluate the configured LLM backend (ASSISTANT_LLM_*) instead of the "
                                          "extractive answerer; adds unsupported_sentence_rate.")
def run(questions, out, index, dense_weight, min_coverage, llm):
    """Ask every question, score retrieval, citations and refusals; write OUT/results.json, OUT/report.md and
    OUT/report.html."""
    from tqdm import tqdm

    from assistant.service import Service

    try:
        settings = _settings(index, dense_weight=dense_weight, min_coverage=min_coverage)
        if llm and settings.llm_backend == "none":
            raise click.ClickException("--llm needs a backend: set ASSISTANT_LLM_BACKEND (openai or ollama) and "
                                       "ASSISTANT_LLM_BASE_URL / ASSISTANT_LLM_MODEL")
        if not llm:
            settings = settings.model_copy(update={"llm_backend": "none"})
        service = Service(settings)
        qs = load_questions(questions)
        with tqdm(total=len(qs), desc="questions", file=sys.stderr) as bar:
            metrics, details = evaluate(service, qs, progress=bar.update)
    except (AssistantError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    meta = {"questions": str(questions), "index": str(settings.index), "chunks": service.index.catalog.counts()[1],
            "embedding_model": settings.embedding_model, "dense_weight": settings.dense_weight,
            "min_coverage": settings.min_coverage, "date": time.strftime("%Y-%m-%d %H:%M"),
            "llm_backend": settings.llm_backend, "llm_model": settings.llm_model}
    write_results(out, metrics, details, meta)
    for k, v in metrics.items():
        click.echo(f"{k:20s} {v:.3f}" if isinstance(v, float) else f"{k:20s} {v}")
    click.echo(f"report: {out / 'report.md'}")


@cli.command()
@click.option("--questions", type=click.Path(exists=True, path_type=Path), default=DEFAULT_QUESTIONS, show_default=True)
@click.option("--index", type=click.Path(path_type=Path), envvar="ASSISTANT_INDEX", help=INDEX_HELP)
@click.option("--weights", default="0,0.1,0.2,0.3,0.4,0.5,0.7,1", show_default=True, help="Dense weights to try.")
def tune(questions, index, weights):
    """Measure the dense weight (hit@5, mrr@10 per weight), then calibrate the refusal threshold: among the
    thresholds keeping false refusals within 5 %, the lowest that refuses the most unanswerable questions."""
    from assistant.answer import Answerer
    from assistant.retrieval import Retriever
    from assistant.service import Service
    from evals import metrics as m

    qs = load_questions(questions)
    answerable = [q for q in qs if q["answerable"]]
    rows = []
    for w in [float(x) for x in weights.split(",")]:
        svc = Service(_settings(index, dense_weight=w))
        ranks = [m.first_relevant_rank([h.chunk.text for h in svc.search(q["question"], 10).hits], q["evidence"])
                 for q in answerable]
        rows.append((w, m.mean([m.hit_at(r, 1) for r in ranks]), m.mean([m.hit_at(r, 5) for r in ranks]),
                     m.mean([m.reciprocal_rank(r) for r in ranks])))
        click.echo(f"dense_weight={w:.2f}  hit@1={rows[-1][1]:.3f}  hit@5={rows[-1][2]:.3f}  mrr@10={rows[-1][3]:.3f}")
    best_w = max(rows, key=lambda r: (round(r[3], 3), r[2]))[0]
    click.echo(f"best dense_weight (mrr@10, then hit@5): {best_w}")
    svc = Service(_settings(index, dense_weight=best_w))
    answerer: Answerer = svc.answerer
    retriever: Retriever = svc.retriever
    covs = []
    refused_anyway = {True: 0, False: 0}  # by answerability: refused whatever the threshold
    for q in qs:
        result = retriever.search(q["question"], svc.settings.search_k)
        hits = result.hits[:svc.settings.search_k]
        if any(h.reason == "lookup" for h in hits):
            continue  # named articles are answered whatever the threshold
        if answerer.unknown_words(result):
            refused_anyway[q["answerable"]] += 1  # names what the corpus never mentions
            continue
        covs.append((answerer.evidence_strength(result, hits), q["answerable"]))
    # Of the thresholds whose false refusals stay within 5 % of the answerable questions, the lowest one that
    # refuses the most unanswerable questions: refusing a question the corpus answers costs the user more
    # than showing passages for one it does not. (The answer-type check refuses more at run time.)
    n_unans = sum(1 for q in qs if not q["answerable"])
    n_ans = len(qs) - n_unans
    best = (0.0, 0.0, 0.0)
    click.echo("threshold  refusal_accuracy  false_refusal_rate")
    for t in sorted({round(c, 3) for c, _ in covs} | {0.0}):
        refused = refused_anyway[False] + sum(1 for c, a in covs if not a and c < t)
        false_ref = refused_anyway[True] + sum(1 for c, a in covs if a and c < t)
        ra, frr = refused / max(1, n_unans), false_ref / max(1, n_ans)
        if frr <= 0.05:
            click.echo(f"{t:9.3f}  {ra:16.3f}  {frr:18.3f}")
            if ra > best[1]:
                best = (t, ra, frr)
    click.echo(f"min_coverage threshold: {best[0]:.3f} (refusal_accuracy {best[1]:.3f}, false_refusal_rate {best[2]:.3f})")
    click.echo(json.dumps({"dense_weight": best_w, "min_coverage": best[0]}))


@cli.command()
@click.option("--sizes", default="default,full,200k", show_default=True,
              help="Comma-separated sizes: default (corpus/), full (corpus/ + ../shared/corpora/legifrance), "
                   "200k (synthetic: copies of the full index's chunks and vectors, built once, no embedding).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("bench/results.json"), show_default=True)
@click.option("--cache", type=click.Path(path_type=Path), default=Path("bench/cache"), show_default=True,
              help="Where the indexes of each size are built once and kept.")
def bench(sizes, out, cache):
    """Measure encode vs ingest throughput, ask/search latency vs raw query embedding, serve peak RSS, index
    size, cold start and no-change refresh at each size; print the table and the goals met."""
    from evals.bench import run_bench, table

    results = run_bench([s.strip() for s in sizes.split(",") if s.strip()], out, cache,
                        log=lambda msg: click.echo(msg, err=True))
    click.echo(table(results))
    click.echo(f"\nwritten to {out}")


@cli.command("compare")
@click.argument("a", type=click.Path(exists=True, path_type=Path))
@click.argument("b", type=click.Path(exists=True, path_type=Path))
def compare_cmd(a, b):
    """Show which metrics and which questions changed between two runs (folders or results.json files)."""
    from evals.runner import compare

    def load(p):
        p = p / "results.json" if p.is_dir() else p
        return json.loads(p.read_text(encoding="utf-8"))

    deltas, changed = compare(load(a), load(b))
    click.echo("metric                 A        B")
    for k, x, y in deltas:
        click.echo(f"{k:20s} {x:8.3f} {y:8.3f}")
    click.echo(f"\n{len(changed)} question(s) changed:")
    for c in changed:
        what = ", ".join(f"{k}: {v[0]} -> {v[1]}" for k, v in c["changes"].items())
        click.echo(f"- {c['id']} ({c['question']}): {what}")


@cli.group()
def feedback():
    """Feedback given in the chat (thumbs up / down)."""


@feedback.command("export")
@click.option("--db", type=click.Path(path_type=Path), envvar="ASSISTANT_FEEDBACK_DB", default=None,
              help="Feedback SQLite file (default: ASSISTANT_FEEDBACK_DB, data/feedback.sqlite).")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write JSONL here (default: stdout).")
def feedback_export(db, out):
    """Rated answers as eval-format JSONL lines, for a person to review before adding them to a question set."""
    from assistant.feedback import FeedbackStore

    path = db or Settings().feedback_db
    if not Path(path).exists():
        raise click.ClickException(f"no feedback file at {path}")
    lines = [json.dumps(x, ensure_ascii=False) for x in FeedbackStore(Path(path)).export_eval_lines()]
    if out:
        Path(out).write_text("\n".join(lines) + "\n", encoding="utf-8")
        click.echo(f"{len(lines)} lines written to {out}")
    else:
        click.echo("\n".join(lines))


def main():
    cli(prog_name="python -m evals")


if __name__ == "__main__":
    main()
