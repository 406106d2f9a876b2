"""Run a question set against an index and write ``results.json`` and ``report.md``."""
from __future__ import annotations

import json
import time
from pathlib import Path

from assistant.records import Answer
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
         "latency_ms": answer.timings_ms.get("total", 0.0)}
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
