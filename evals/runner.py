"""Run a question set against an index and write ``results.json`` and ``report.md``."""
from __future__ import annotations

import html
import json
from pathlib import Path

from assistant.records import Answer
from assistant.verify import split_generated
from evals import metrics as m

DEFAULT_QUESTIONS = Path(__file__).resolve().parent / "questions.jsonl"
REQUIRED = ("id", "question", "answerable", "evidence", "answer_keywords", "citations")


def load_questions(path: Path) -> list[dict]:
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{path}:{n}: not JSON ({exc})") from exc
        missing = [k for k in REQUIRED if k not in q]
        if missing:
            raise ValueError(f"{path}:{n}: missing {', '.join(missing)}")
        out.append(q)
    return out


def score_question(q: dict, answer: Answer) -> dict:
    passages = [h.chunk.text for h in answer.closest[:10]]
    rank = m.first_relevant_rank(passages, q["evidence"]) if q["answerable"] else None
    cited = [c.text for c in answer.citations]
    d = {"id": q["id"], "question": q["question"], "answerable": q["answerable"], "answered": answer.answered,
         "answer": answer.answer, "rank": rank,
         "retrieved": [f"{h.chunk.title}, {h.chunk.locator}" for h in answer.closest[:5]],
         "citations": [f"[{c.n}] {c.title}, {c.locator}" for c in answer.citations],
         "latency_ms": answer.timings_ms.get("total", 0.0),
         "generated": answer.generated, "unsupported": [s for s, _ in answer.unsupported],
         "generated_sentences": (len(split_generated(answer.answer)) if answer.generated else 0)
         + len(answer.unsupported)}
    if q["answerable"]:
        d.update({
            "hit@1": m.hit_at(rank, 1), "hit@5": m.hit_at(rank, 5), "hit@10": m.hit_at(rank, 10),
            "rr@10": m.reciprocal_rank(rank, 10),
            "citation_support": float(answer.answered and any(m.contains_evidence(t, q["evidence"]) for t in cited)),
            "keywords": float(answer.answered and m.keywords_present(answer.answer, q["answer_keywords"])),
        })
        if q["citations"]:
            d["locator"] = float(any(m.locator_matches(c.locator, q["citations"]) for c in answer.citations))
    return d


def aggregate(details: list[dict]) -> dict:
    ans = [d for d in details if d["answerable"]]
    unans = [d for d in details if not d["answerable"]]
    with_loc = [d for d in ans if "locator" in d]
    lat = [d["latency_ms"] for d in details]
    return {
        "hit@1": m.mean([d["hit@1"] for d in ans]), "hit@5": m.mean([d["hit@5"] for d in ans]),
        "hit@10": m.mean([d["hit@10"] for d in ans]), "mrr@10": m.mean([d["rr@10"] for d in ans]),
        "citation_support": m.mean([d["citation_support"] for d in ans]),
        "locator_accuracy": m.mean([d["locator"] for d in with_loc]),
        "keyword_accuracy": m.mean([d["keywords"] for d in ans]),
        "refusal_accuracy": m.mean([0.0 if d["answered"] else 1.0 for d in unans]),
        "false_refusal_rate": m.mean([0.0 if d["answered"] else 1.0 for d in ans]),
        "latency_ms_p50": m.percentile(lat, 50), "latency_ms_p95": m.percentile(lat, 95),
        "unsupported_sentence_rate": (sum(len(d["unsupported"]) for d in details)
                                      / max(1, sum(d["generated_sentences"] for d in details))),
        "n": len(details), "n_answerable": len(ans), "n_unanswerable": len(unans), "n_with_locator": len(with_loc),
    }


def evaluate(service, questions: list[dict], progress=None) -> tuple[dict, list[dict]]:
    details = []
    for q in questions:
        answer = service.ask(q["question"])
        details.append(score_question(q, answer))
        if progress:
            progress(1)
    return aggregate(details), details


def write_results(out: Path, metrics: dict, details: list[dict], meta: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({"metrics": metrics, "meta": meta, "questions": details},
                                                 ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "report.md").write_text(render_report(metrics, details, meta), encoding="utf-8")
    (out / "report.html").write_text(render_html(metrics, details, meta), encoding="utf-8")


def render_report(metrics: dict, details: list[dict], meta: dict) -> str:
    lines = [f"# Évaluation — {meta.get('questions', '')}", "",
             f"Index : `{meta.get('index', '')}` ({meta.get('chunks', '?')} passages), "
             f"modèle : `{meta.get('embedding_model', '')}`, le {meta.get('date', '')}.", "",
             "| métrique | valeur |", "|---|---|"]
    for k, v in metrics.items():
        lines.append(f"| {k} | {v:.3f} |" if isinstance(v, float) else f"| {k} | {v} |")
    misses = [d for d in details if d["answerable"] and (not d["hit@5"] or not d["citation_support"])]
    wrong_refusals = [d for d in details if not d["answerable"] and d["answered"]]
    lines += ["", f"## Questions à revoir ({len(misses)} sans preuve en top 5 ou citation non étayée)", ""]
    for d in misses:
        lines.append(f"- **{d['id']}** — {d['question']} — rang {d['rank']}, "
                     f"{'répondue' if d['answered'] else 'refusée'}; cité : {'; '.join(d['citations']) or '—'}; "
                     f"trouvé : {'; '.join(d['retrieved'][:3])}")
    lines += ["", f"## Questions sans réponse dans le corpus mais répondues ({len(wrong_refusals)})", ""]
    for d in wrong_refusals:
        lines.append(f"- **{d['id']}** — {d['question']} — cité : {'; '.join(d['citations'])}")
    return "\n".join(lines) + "\n"


def _bars_svg(items: list[tuple[str, float]], width: int = 520, vmax: float = 1.0, fmt: str = "{:.2f}") -> str:
    row = 22
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 260}" height="{row * len(items) + 10}">']
    for i, (label, value) in enumerate(items):
        w = 0 if vmax <= 0 else int(width * min(value, vmax) / vmax)
        y = i * row + 5
        out.append(f'<text x="0" y="{y + 14}" font-size="13">{html.escape(label)}</text>'
                   f'<rect x="180" y="{y}" width="{w}" height="16" fill="#3b6fb6"/>'
                   f'<text x="{186 + w}" y="{y + 13}" font-size="12">{fmt.format(value)}</text>')
    out.append("</svg>")
    return "".join(out)


def render_html(metrics: dict, details: list[dict], meta: dict) -> str:
    """A self-contained page: metric bars, a latency histogram, the questions to review."""
    rates = [(k, v) for k, v in metrics.items() if isinstance(v, float) and not k.startswith("latency")]
    lat = sorted(d["latency_ms"] for d in details)
    bins: list[tuple[str, float]] = []
    if lat:
        top = max(lat)
        step = max(1.0, top / 10)
        for i in range(10):
            lo, hi = i * step, (i + 1) * step
            count = sum(1 for x in lat if lo <= x < hi or (i == 9 and x == top))
            bins.append((f"{lo:.0f}–{hi:.0f} ms", float(count)))
    misses = [d for d in details if d["answerable"] and (not d["hit@5"] or not d["citation_support"])]
    rows = "".join(f"<tr><td>{html.escape(d['id'])}</td><td>{html.escape(d['question'])}</td><td>{d['rank']}</td>"
                   f"<td>{'oui' if d['answered'] else 'non'}</td><td>{html.escape('; '.join(d['citations']))}</td></tr>"
                   for d in misses)
    return (f"<!doctype html><meta charset='utf-8'><title>Évaluation</title>"
            f"<body style='font-family:sans-serif;max-width:1000px;margin:auto'>"
            f"<h1>Évaluation</h1><p>{html.escape(str(meta.get('questions', '')))} — index "
            f"<code>{html.escape(str(meta.get('index', '')))}</code> ({meta.get('chunks', '?')} passages), "
            f"{html.escape(str(meta.get('date', '')))}. Latence p50 {metrics.get('latency_ms_p50', 0):.0f} ms, "
            f"p95 {metrics.get('latency_ms_p95', 0):.0f} ms.</p>"
            f"<h2>Métriques</h2>{_bars_svg(rates)}"
            f"<h2>Latence (questions par tranche)</h2>{_bars_svg(bins, vmax=max([c for _, c in bins] or [1]), fmt='{:.0f}')}"
            f"<h2>Questions à revoir ({len(misses)})</h2><table border='1' cellspacing='0' cellpadding='4'>"
            f"<tr><th>id</th><th>question</th><th>rang</th><th>répondue</th><th>citations</th></tr>{rows}</table>")


def compare(a: dict, b: dict) -> tuple[list[tuple[str, float, float]], list[dict]]:
    """Metric deltas and the questions whose outcome changed between two results.json."""
    deltas = [(k, a["metrics"][k], b["metrics"][k]) for k in a["metrics"]
              if k in b["metrics"] and isinstance(a["metrics"][k], (int, float)) and a["metrics"][k] != b["metrics"][k]]
    before = {q["id"]: q for q in a["questions"]}
    changed = []
    for q in b["questions"]:
        old = before.get(q["id"])
        if old is None:
            continue
        diffs = {k: (old.get(k), q.get(k)) for k in ("rank", "answered", "citation_support", "keywords", "locator")
                 if old.get(k) != q.get(k)}
        if diffs:
            changed.append({"id": q["id"], "question": q["question"], "changes": diffs})
    return deltas, changed
