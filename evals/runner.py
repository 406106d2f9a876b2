"""Run a question set against an index and write ``results.json`` and ``report.md``."""

from __future__ import annotations

import html
import json
from pathlib import Path

from assistant.records import Answer
from assistant.verify import split_generated
from evals import metrics as m

DEFAULT_QUESTIONS = Path(__file__).resolve().parent / "questions.jsonl"  # the dev set: tune on it
DEV_USERS_QUESTIONS = Path(__file__).resolve().parent / "dev_users.jsonl"  # dev set too: users' voices
# Written blind by helpers on 2026-12-04 (stop 36), before the work they judged: onboarding and staff questions with
# near-miss unanswerable ones, and real askers' questions from public pages.
DEV_AGENTS_QUESTIONS = Path(__file__).resolve().parent / "dev_agents.jsonl"
DEV_REAL_QUESTIONS = Path(__file__).resolve().parent / "dev_real.jsonl"
DEV_SETS = (DEFAULT_QUESTIONS, DEV_USERS_QUESTIONS, DEV_AGENTS_QUESTIONS, DEV_REAL_QUESTIONS)  # tune on these
TEST_QUESTIONS = Path(__file__).resolve().parent / "test.jsonl"  # the frozen test set: report on it, never tune
REQUIRED = ("id", "question", "answerable", "evidence", "answer_keywords", "citations")
KINDS = (
    "definition",
    "role",
    "composition",
    "presidency",
    "actor",
    "duration",
    "amount",
    "sanction",
    "procedure",
    "conditions",
    "yesno",
    "fact",
    "unanswerable",
)


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
        if q.get("kind") is not None and q["kind"] not in KINDS:
            raise ValueError(f"{path}:{n}: unknown kind {q['kind']!r} (one of {', '.join(KINDS)})")
        out.append(q)
    return out


def question_group(q: dict) -> str:
    """Where a question comes from: a real asker's page, a new agent, a staff member, the texts' own wording."""
    source = str(q.get("source") or "")
    if source.startswith("http"):
        return "real"
    return source.split(":")[0].strip() or "written"


def score_question(q: dict, answer: Answer, in_index: bool = True) -> dict:
    """Score one answer. ``in_index`` is False for a question the corpus answers in a text this index does not
    hold (a code article of the full codes asked of the default index): there, refusing is the right answer."""
    answerable = bool(q["answerable"]) and in_index
    passages = [h.chunk.text for h in answer.closest[:10]]
    rank = m.first_relevant_rank(passages, q["evidence"]) if answerable else None
    cited = [c.text for c in answer.citations]
    d = {
        "id": q["id"],
        "question": q["question"],
        "answerable": answerable,
        "answered": answer.answered,
        "kind": q.get("kind") or ("unanswerable" if not q["answerable"] else "other"),
        "group": question_group(q),
        "not_in_index": bool(q["answerable"]) and not in_index,
        "answer": answer.answer,
        "rank": rank,
        "answer_words": m.answer_words(answer.answer) if answer.answered else None,
        "retrieved": [f"{h.chunk.title}, {h.chunk.locator}" for h in answer.closest[:5]],
        "citations": [f"[{c.n}] {c.title}, {c.locator}" for c in answer.citations],
        "latency_ms": answer.timings_ms.get("total", 0.0),
        "confidence": answer.confidence,
        "generated": answer.generated,
        "unsupported": [s for s, _ in answer.unsupported],
        "generated_sentences": (len(split_generated(answer.answer)) if answer.generated else 0)
        + len(answer.unsupported),
    }
    if answerable:
        d.update(
            {
                "hit@1": m.hit_at(rank, 1),
                "hit@5": m.hit_at(rank, 5),
                "hit@10": m.hit_at(rank, 10),
                "rr@10": m.reciprocal_rank(rank, 10),
                "citation_support": float(
                    answer.answered and any(m.contains_evidence(t, q["evidence"]) for t in cited)
                ),
                "citation@1": float(answer.answered and bool(cited) and m.contains_evidence(cited[0], q["evidence"])),
                "keywords": float(answer.answered and m.keywords_present(answer.answer, q["answer_keywords"])),
            }
        )
        if q["citations"]:
            d["locator"] = float(any(m.locator_matches(c.locator, q["citations"]) for c in answer.citations))
    return d


def answer_right(d: dict) -> bool:
    """An answer cites a passage that holds the evidence (an unanswerable question answered never does)."""
    return bool(d["answerable"] and d["answered"] and d.get("citation_support"))


def confidence_metrics(details: list[dict]) -> dict:
    """Of the answers, the share of high confidence (``Answer.confidence``), and the share of those and of those to
    check ("low") that cite a passage holding the evidence (unanswerable questions answered count as wrong). None
    where no answer was marked (an index not calibrated for it)."""
    answered = [d for d in details if d["answered"] and d.get("confidence")]
    high = [d for d in answered if d["confidence"] == "high"]
    low = [d for d in answered if d["confidence"] != "high"]
    return {
        "high_share": len(high) / len(answered) if answered else None,
        "high_precision": m.mean([float(answer_right(d)) for d in high]) if high else None,
        "low_precision": m.mean([float(answer_right(d)) for d in low]) if low else None,
    }


def aggregate(details: list[dict]) -> dict:
    ans = [d for d in details if d["answerable"]]
    unans = [d for d in details if not d["answerable"]]
    with_loc = [d for d in ans if "locator" in d]
    lat = [d["latency_ms"] for d in details]
    words = [d["answer_words"] for d in details if d.get("answer_words") is not None]
    return {
        "hit@1": m.mean([d["hit@1"] for d in ans]),
        "hit@5": m.mean([d["hit@5"] for d in ans]),
        "hit@10": m.mean([d["hit@10"] for d in ans]),
        "mrr@10": m.mean([d["rr@10"] for d in ans]),
        "citation_support": m.mean([d["citation_support"] for d in ans]),
        "citation@1": m.mean([d.get("citation@1", 0.0) for d in ans]),
        "locator_accuracy": m.mean([d["locator"] for d in with_loc]),
        "keyword_accuracy": m.mean([d["keywords"] for d in ans]),
        "refusal_accuracy": m.mean([0.0 if d["answered"] else 1.0 for d in unans]),
        "false_refusal_rate": m.mean([0.0 if d["answered"] else 1.0 for d in ans]),
        "latency_ms_p50": m.percentile(lat, 50),
        "latency_ms_p95": m.percentile(lat, 95),
        "unsupported_sentence_rate": (
            sum(len(d["unsupported"]) for d in details) / max(1, sum(d["generated_sentences"] for d in details))
        ),
        "answer_words": float(m.median(words)),
        **confidence_metrics(details),
        "n": len(details),
        "n_answerable": len(ans),
        "n_unanswerable": len(unans),
        "n_with_locator": len(with_loc),
        "n_not_in_index": sum(1 for d in details if d.get("not_in_index")),
    }


BREAKDOWN = ("hit@5", "citation@1", "citation_support", "refusal_accuracy", "false_refusal_rate", "answer_words")


def breakdown(details: list[dict], key: str) -> dict[str, dict]:
    """The main metrics for each value of ``key`` (``kind`` or ``group``), questions counted per value."""
    out = {}
    for value in sorted({d.get(key) or "" for d in details}):
        rows = [d for d in details if (d.get(key) or "") == value]
        agg = aggregate(rows)
        out[value] = {
            "n": len(rows),
            **{k: agg[k] for k in BREAKDOWN},
            "n_answerable": agg["n_answerable"],
            "n_unanswerable": agg["n_unanswerable"],
        }
    return out


def index_texts(index) -> str:
    """Every passage of an index, normalised as evidence is, in one string (to find which questions it can
    answer at all)."""
    return "\n".join(m.normalise_quote(c.text) for c in index.chunks.values())


def in_index(q: dict, texts: str | None) -> bool:
    return (
        texts is None
        or not q["answerable"]
        or any(m.normalise_quote(e) and m.normalise_quote(e) in texts for e in q["evidence"])
    )


def evaluate(service, questions: list[dict], progress=None) -> tuple[dict, list[dict]]:
    """Ask every question. A question whose evidence no passage of this index holds counts as one to refuse
    here (``not_in_index``), so that one test set serves the default and the full-codes index."""
    texts = index_texts(service.index) if hasattr(service, "index") else None
    details = []
    for q in questions:
        answer = service.ask(q["question"])
        details.append(score_question(q, answer, in_index(q, texts)))
        if progress:
            progress(1)
    return aggregate(details), details


def write_results(out: Path, metrics: dict, details: list[dict], meta: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    meta = {**meta, "by_kind": breakdown(details, "kind"), "by_group": breakdown(details, "group")}
    (out / "results.json").write_text(
        json.dumps(
            {
                "metrics": metrics,
                "meta": meta,
                "questions": details,
                "by_kind": meta["by_kind"],
                "by_group": meta["by_group"],
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    (out / "report.md").write_text(render_report(metrics, details, meta), encoding="utf-8")
    (out / "report.html").write_text(render_html(metrics, details, meta), encoding="utf-8")


def render_report(metrics: dict, details: list[dict], meta: dict) -> str:
    lines = [
        f"# Évaluation — {meta.get('questions', '')}",
        "",
        f"Index : `{meta.get('index', '')}` ({meta.get('chunks', '?')} passages), "
        f"modèle : `{meta.get('embedding_model', '')}`, le {meta.get('date', '')}.",
        "",
        "| métrique | valeur |",
        "|---|---|",
    ]
    for k, v in metrics.items():
        lines.append(f"| {k} | {v:.3f} |" if isinstance(v, float) else f"| {k} | {'—' if v is None else v} |")
    for title, key in (("Par type de question (`kind`)", "by_kind"), ("Par origine (`source`)", "by_group")):
        if meta.get(key):
            lines += ["", f"## {title}", "", breakdown_table(meta[key])]
    if meta.get("ablation"):
        lines += ["", "## Ablation : chaque signal retiré à son tour", "", ablation_table(meta["ablation"])]
    misses = [d for d in details if d["answerable"] and (not d["hit@5"] or not d["citation_support"])]
    wrong_refusals = [d for d in details if not d["answerable"] and d["answered"]]
    lines += ["", f"## Questions à revoir ({len(misses)} sans preuve en top 5 ou citation non étayée)", ""]
    for d in misses:
        lines.append(
            f"- **{d['id']}** — {d['question']} — rang {d['rank']}, "
            f"{'répondue' if d['answered'] else 'refusée'}; cité : {'; '.join(d['citations']) or '—'}; "
            f"trouvé : {'; '.join(d['retrieved'][:3])}"
        )
    lines += ["", f"## Questions sans réponse dans le corpus mais répondues ({len(wrong_refusals)})", ""]
    for d in wrong_refusals:
        lines.append(f"- **{d['id']}** — {d['question']} — cité : {'; '.join(d['citations'])}")
    return "\n".join(lines) + "\n"


def _fmt(v) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def breakdown_table(rows: dict[str, dict]) -> str:
    """Markdown table: one row per kind (or group), n then the main metrics (— where they do not apply)."""
    head = "| | n | " + " | ".join(BREAKDOWN) + " |\n|---|---|" + "---|" * len(BREAKDOWN)
    body = []
    for name, r in rows.items():
        cells = []
        for k in BREAKDOWN:
            applies = (
                r["n_unanswerable"] if k == "refusal_accuracy" else r["n_answerable"] if k != "answer_words" else r["n"]
            )
            cells.append(_fmt(r[k]) if applies else "—")
        body.append(f"| {name} | {r['n']} | " + " | ".join(cells) + " |")
    return head + "\n" + "\n".join(body)


ABLATION_METRICS = ("hit@5", "mrr@10", "citation@1", "citation_support", "refusal_accuracy", "false_refusal_rate")


def ablation_table(rows: dict[str, dict]) -> str:
    """Markdown table: the full pipeline, then each signal turned off, with the change it makes."""
    full = rows.get("(tous)") or next(iter(rows.values()))
    head = "| sans | " + " | ".join(ABLATION_METRICS) + " |\n|---|" + "---|" * len(ABLATION_METRICS)
    body = []
    for name, r in rows.items():
        cells = [f"{r[k]:.3f}" + ("" if r is full else f" ({r[k] - full[k]:+.3f})") for k in ABLATION_METRICS]
        body.append(f"| {name} | " + " | ".join(cells) + " |")
    return head + "\n" + "\n".join(body)


def _bars_svg(items: list[tuple[str, float]], width: int = 520, vmax: float = 1.0, fmt: str = "{:.2f}") -> str:
    row = 22
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 260}" height="{row * len(items) + 10}">']
    for i, (label, value) in enumerate(items):
        w = 0 if vmax <= 0 else int(width * min(value, vmax) / vmax)
        y = i * row + 5
        out.append(
            f'<text x="0" y="{y + 14}" font-size="13">{html.escape(label)}</text>'
            f'<rect x="180" y="{y}" width="{w}" height="16" fill="#3b6fb6"/>'
            f'<text x="{186 + w}" y="{y + 13}" font-size="12">{fmt.format(value)}</text>'
        )
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
    rows = "".join(
        f"<tr><td>{html.escape(d['id'])}</td><td>{html.escape(d['question'])}</td><td>{d['rank']}</td>"
        f"<td>{'oui' if d['answered'] else 'non'}</td><td>{html.escape('; '.join(d['citations']))}</td></tr>"
        for d in misses
    )
    tables = ""
    for title, key in (("Par type de question", "by_kind"), ("Par origine", "by_group")):
        if meta.get(key):
            head = "".join(f"<th>{html.escape(k)}</th>" for k in ("", "n", *BREAKDOWN))
            body = "".join(
                "<tr><td>"
                + html.escape(name)
                + f"</td><td>{r['n']}</td>"
                + "".join(f"<td>{_fmt(r[k])}</td>" for k in BREAKDOWN)
                + "</tr>"
                for name, r in meta[key].items()
            )
            tables += f"<h2>{title}</h2><table border='1' cellspacing='0' cellpadding='4'><tr>{head}</tr>{body}</table>"
    if meta.get("ablation"):
        head = "".join(f"<th>{html.escape(k)}</th>" for k in ("sans", *ABLATION_METRICS))
        body = "".join(
            "<tr><td>"
            + html.escape(name)
            + "</td>"
            + "".join(f"<td>{r[k]:.3f}</td>" for k in ABLATION_METRICS)
            + "</tr>"
            for name, r in meta["ablation"].items()
        )
        tables += f"<h2>Ablation</h2><table border='1' cellspacing='0' cellpadding='4'><tr>{head}</tr>{body}</table>"
    return (
        f"<!doctype html><meta charset='utf-8'><title>Évaluation</title>"
        f"<body style='font-family:sans-serif;max-width:1000px;margin:auto'>"
        f"<h1>Évaluation</h1><p>{html.escape(str(meta.get('questions', '')))} — index "
        f"<code>{html.escape(str(meta.get('index', '')))}</code> ({meta.get('chunks', '?')} passages), "
        f"{html.escape(str(meta.get('date', '')))}. Latence p50 {metrics.get('latency_ms_p50', 0):.0f} ms, "
        f"p95 {metrics.get('latency_ms_p95', 0):.0f} ms.</p>"
        f"<h2>Métriques</h2>{_bars_svg([(k, v) for k, v in rates if k != 'answer_words'])}{tables}"
        "<h2>Latence (questions par tranche)</h2>"
        f"{_bars_svg(bins, vmax=max([c for _, c in bins] or [1]), fmt='{:.0f}')}"
        f"<h2>Questions à revoir ({len(misses)})</h2><table border='1' cellspacing='0' cellpadding='4'>"
        f"<tr><th>id</th><th>question</th><th>rang</th><th>répondue</th><th>citations</th></tr>{rows}</table>"
    )


def compare(a: dict, b: dict) -> tuple[list[tuple[str, float, float]], list[dict]]:
    """Metric deltas and the questions whose outcome changed between two results.json."""
    deltas = [
        (k, a["metrics"][k], b["metrics"][k])
        for k in a["metrics"]
        if k in b["metrics"]
        and all(isinstance(x["metrics"][k], (int, float)) for x in (a, b))
        and a["metrics"][k] != b["metrics"][k]
    ]
    before = {q["id"]: q for q in a["questions"]}
    changed = []
    for q in b["questions"]:
        old = before.get(q["id"])
        if old is None:
            continue
        diffs = {
            k: (old.get(k), q.get(k))
            for k in ("rank", "answered", "citation_support", "keywords", "locator")
            if old.get(k) != q.get(k)
        }
        if diffs:
            changed.append({"id": q["id"], "question": q["question"], "changes": diffs})
    return deltas, changed
