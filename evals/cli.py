"""``python -m evals run|tune``: measure retrieval and answers on a question set."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from assistant import cli_fr
from assistant.answer import LEARNED_RANK_LEAD, article_lead, cites_asked_article, dense_place
from assistant.errors import AssistantError
from assistant.feedback import FeedbackStore
from assistant.generations import read_calibration, write_calibration
from assistant.index import TUNABLE, calibration_holds
from assistant.options import index_option
from assistant.ranker import DEPTH as RANKER_DEPTH
from assistant.ranker import FEATURES as RANKER_FEATURES
from assistant.ranker import features as ranker_features
from assistant.ranker import head_of, rerank_depth
from assistant.retrieval import SIGNALS
from assistant.service import Service
from assistant.settings import Settings
from evals.adversarial import run as run_adversarial
from evals.bench import run_bench
from evals.bench import table as bench_table
from evals.metrics import (
    calibrate_closeness,
    calibrate_confident,
    choose_dense_places,
    choose_ranker,
    confident_rows,
    contains_evidence,
    first_relevant_rank,
    hit_at,
    mean,
    reciprocal_rank,
)
from evals.runner import (
    DEFAULT_QUESTIONS,
    DEV_SETS,
    TEST_QUESTIONS,
    compare,
    evaluate,
    in_index,
    index_texts,
    load_questions,
    write_results,
)

# the weights of the dense closeness in the evidence strength that the tune tries (``calibrate_closeness``)
CLOSENESS_WEIGHTS = (0.0, 0.5, 1.0, 2.0, 3.0)

cli_fr.install()  # Click's own messages (usage errors, help headings) in French


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli():
    """Évaluer l'assistant sur un jeu de questions (JSONL : id, question, answerable, evidence,
    answer_keywords, citations)."""


@cli.command()
@click.option(
    "--questions",
    type=click.Path(exists=True, path_type=Path),
    default=DEFAULT_QUESTIONS,
    show_default=True,
    help="Jeu de questions (JSONL).",
)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Dossier de results.json et report.md.")
@index_option
@click.option("--dense-weight", type=float, default=None, help="Remplace ASSISTANT_DENSE_WEIGHT pour ce passage.")
@click.option("--min-coverage", type=float, default=None, help="Remplace ASSISTANT_MIN_COVERAGE pour ce passage.")
@click.option(
    "--closeness-weight", type=float, default=None, help="Remplace ASSISTANT_CLOSENESS_WEIGHT pour ce passage."
)
@click.option(
    "--llm",
    is_flag=True,
    help="Évalue le backend LLM configuré (ASSISTANT_LLM_*) au lieu des réponses "
    "extractives ; ajoute unsupported_sentence_rate.",
)
@click.option(
    "--ablation",
    is_flag=True,
    help="Relance avec chaque signal de recherche coupé tour à tour "
    "(ASSISTANT_SIGNALS_OFF) et ajoute la table d'ablation au rapport.",
)
def run(questions, out, index, dense_weight, min_coverage, closeness_weight, llm, ablation):
    """Poser chaque question, noter la recherche, les citations et les refus ; écrire OUT/results.json,
    OUT/report.md et OUT/report.html."""
    from tqdm import tqdm

    try:
        settings = Settings.of(
            index, dense_weight=dense_weight, min_coverage=min_coverage, closeness_weight=closeness_weight
        )
        if llm and settings.llm_backend == "none":
            raise click.ClickException(
                "--llm demande un backend : régler ASSISTANT_LLM_BACKEND (openai ou ollama) et "
                "ASSISTANT_LLM_BASE_URL / ASSISTANT_LLM_MODEL"
            )
        if not llm:
            settings = settings.model_copy(update={"llm_backend": "none"})
        service = Service(settings)
        qs = load_questions(questions)
        with tqdm(total=len(qs), desc="questions", file=sys.stderr) as bar:
            metrics, details = evaluate(service, qs, progress=bar.update)
        table = {}
        if ablation:
            table["(tous)"] = metrics
            for name in tqdm(SIGNALS, desc="ablation", file=sys.stderr):
                off = Service(settings.model_copy(update={"signals_off": name}), follow=False)
                table[name] = evaluate(off, qs)[0]
    except (AssistantError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    meta = {
        "questions": str(questions),
        "index": str(settings.index),
        "chunks": service.index.catalog.counts()[1],
        "embedding_model": settings.embedding_model,
        "dense_weight": service.index.settings.dense_weight,
        "min_coverage": service.index.settings.min_coverage,
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "llm_backend": settings.llm_backend,
        "llm_model": settings.llm_model,
        "tuned": {k: getattr(service.index.settings, k) for k in TUNABLE},
    }
    if ablation:
        meta["ablation"] = table
    write_results(out, metrics, details, meta)
    for k, v in metrics.items():
        click.echo(f"{k:20s} {v:.3f}" if isinstance(v, float) else f"{k:20s} {v}")
    click.echo(f"report: {out / 'report.md'}")


# the values a tune stores for an index with vectors (with its vectors pending: ``min_coverage`` alone)
TUNED_WITH_VECTORS = ("dense_weight", "min_coverage", "closeness_weight", "ranker_weights")
# ... and with its vectors pending too
TUNED_ALWAYS = ("confident_margin", "confident_lead", "confident_dense")


@cli.command()
@click.option(
    "--questions",
    type=click.Path(exists=True, path_type=Path),
    multiple=True,
    default=list(DEV_SETS),
    show_default=True,
    help="Jeux de questions du réglage (option répétable) ; jamais le jeu de test gelé.",
)
@index_option
# Not above 0.5 by default: the MiniLM + e5 mix at the full codes ranked the users' dev questions best at 0.6, but
# answered the texts' own wording worse there (questions.jsonl citation_support 0.865 -> 0.837, false refusals
# 0.038 -> 0.067 against 0.5); the MiniLM's weights are 0.4 and 0.5.
@click.option("--weights", default="0,0.1,0.2,0.3,0.4,0.5", show_default=True, help="Poids denses à essayer.")
@click.option(
    "--save/--no-save",
    default=True,
    show_default=True,
    help="Enregistre les valeurs choisies avec l'index (calibration.json dans son dossier) ; l'assistant "
    "s'en sert pour cet index sauf si ASSISTANT_DENSE_WEIGHT / ASSISTANT_MIN_COVERAGE / "
    "ASSISTANT_CLOSENESS_WEIGHT / ASSISTANT_RANKER_WEIGHTS est réglé (les poids de l'ordre appris ont été ajustés "
    "avec le poids dense calibré).",
)
@click.option(
    "--if-needed",
    is_flag=True,
    help="Ne fait rien si l'index a déjà un calibrage mesuré avec son modèle d'embedding et qui tient tout ce "
    "qu'un réglage mesure (`make index` et `make curated` : un index reconstruit avec un autre modèle, ou dont le "
    "calibrage n'a ni poids dense ni poids de proximité ni poids de l'ordre appris (ou ceux d'autres traits) alors "
    "qu'il a ses vecteurs, ou pas la confiance des réponses, ou celle de réponses qui lisaient l'ordre appris "
    "autrement que ce code (measured.learned_rank_lead de calibration.json), est calibré à nouveau).",
)
def tune(questions, index, weights, save, if_needed):
    """Mesurer le poids dense (hit@5, mrr@10 par poids ; le meilleur hit@5 + mrr@10 est gardé), puis ajuster
    l'ordre appris (``assistant.ranker``) : des poids sur les signaux des 40 premiers passages de chaque question,
    gardés seulement si, chaque cinquième des questions de dev ajusté sur les autres, hit@5 + mrr@10 y gagne au moins
    0,01 sans qu'aucun jeu ne perde plus de 0,02 de hit@5 (``evals.metrics.choose_ranker``) ; puis calibrer le
    seuil de refus sur cet index : parmi les seuils dont les faux refus propres restent sous 5 % des questions
    qui ont une réponse, celui qui épargne le plus de mauvaises réponses (questions sans réponse, réponses qui ne
    citent aucun passage tenant la preuve) pour les bonnes qu'il refuse (``evals.metrics.calibrate_threshold``),
    sur la couverture des mots de la question plus un poids de sa proximité dense à ses passages (chaque poids a
    son seuil, celui qui épargne le plus est gardé : ``evals.metrics.calibrate_closeness``). Une question dont cet
    index ne tient pas la preuve compte comme une question à refuser. Calibrer enfin la confiance des réponses
    (``evals.metrics.calibrate_confident``) : la marge sur ce seuil, l'avance de l'article cité sur le suivant et
    sa place du côté dense (lue seulement si elle rend les réponses « high » plus souvent justes, chaque jeu de dev
    mis de côté tour à tour : ``evals.metrics.choose_dense_places``) au-delà desquelles une réponse est « high »,
    les autres « low » (à vérifier)."""
    if any(Path(q).resolve() == TEST_QUESTIONS.resolve() for q in questions):
        raise click.ClickException(
            "le jeu de test gelé (evals/test.jsonl) ne sert jamais au réglage : "
            f"réglez sur les jeux de dev (evals/{', '.join(p.name for p in DEV_SETS)})"
        )
    base = None
    settings = Settings.of(index)
    if if_needed:
        stored = read_calibration(Path(settings.index))
        # What a tune stores now and the stored calibration lacks: the dense weight of an index whose vectors have
        # come since (tuned while they were pending), the dense closeness of one tuned before it existed (stop 54).
        # The index is opened only then, to know whether its vectors are pending.
        holds = calibration_holds(stored, settings.embedding_model)
        stored_settings = stored.get("settings") or {}
        lacks = [k for k in TUNED_WITH_VECTORS if k not in stored_settings] if holds else []
        # weights of other features than this code's (fitted by another version of the stage): fitted again
        stored_weights = stored_settings.get("ranker_weights") or {}
        if holds and stored_weights and set(stored_weights) != set(RANKER_FEATURES) and "ranker_weights" not in lacks:
            lacks.append("ranker_weights de ses traits")
        # the confidence's thresholds of an index with the learned stage, measured on answers that read its order with
        # another lead than this code's (``answer.LEARNED_RANK_LEAD``; none stored before stop 66): those answers have
        # changed. With its vectors only (the stage reads them), as the weights; not without the stage (the plain
        # lead, ``answer.RANK_LEAD``, has not changed)
        measured_lead = (stored.get("measured") or {}).get("learned_rank_lead")
        if holds and stored_weights and not lacks and measured_lead != LEARNED_RANK_LEAD:
            lacks.append("seuils de confiance de la lecture actuelle de l'ordre appris")
        if lacks:
            base = Service(settings, follow=False)
            lacks = [] if base.index.vectors_pending else lacks
        # the thresholds of an answer of high confidence, which every tune measures since stop 61, vectors or not
        lacks += [k for k in TUNED_ALWAYS if holds and k not in stored_settings]
        if holds and not lacks:
            click.echo(f"calibration déjà mesurée avec {settings.embedding_model} : rien à refaire")
            return
        if lacks:
            click.echo(f"calibration sans {', '.join(lacks)} : mesurée à nouveau")
    base = base or Service(settings, follow=False)
    pending = base.index.vectors_pending
    # each question, and whether it is in users' voices (every dev set but the texts' own wording, `questions.jsonl`):
    # what the confidence is held to (all of them when none is)
    own_wording = DEFAULT_QUESTIONS.resolve()
    loaded = [(q, str(path)) for path in questions for q in load_questions(path)]  # each question with its file
    qs = [q for q, _ in loaded]
    set_of = [path for _, path in loaded]
    voices = [Path(path).resolve() != own_wording for path in set_of]
    voices = voices if any(voices) else [True] * len(qs)
    texts = index_texts(base.index)
    answerable = {q["id"]: in_index(q, texts) and bool(q["answerable"]) for q in qs}
    rows = []
    if pending:  # BM25 alone until the vectors are computed: no dense weight to measure
        click.echo("vecteurs en attente (ingest --vectors-later) : poids dense non mesuré, seuil de refus seul")
    for w in [] if pending else [float(x) for x in weights.split(",")]:
        # the fusion's own order: the learned stage, fitted next on the order of the weight chosen here, is off
        svc = Service(Settings.of(index, dense_weight=w, ranker_weights={}), follow=False)
        ranks = [
            first_relevant_rank([h.chunk.text for h in svc.search(q["question"], 10).hits], q["evidence"])
            for q in qs
            if answerable[q["id"]]
        ]
        rows.append(
            (
                w,
                mean([hit_at(r, 1) for r in ranks]),
                mean([hit_at(r, 5) for r in ranks]),
                mean([reciprocal_rank(r) for r in ranks]),
            )
        )
        click.echo(f"dense_weight={w:.2f}  hit@1={rows[-1][1]:.3f}  hit@5={rows[-1][2]:.3f}  mrr@10={rows[-1][3]:.3f}")
    # hit@5 and mrr@10 together: mrr@10 alone chose, for the MiniLM + e5 mix of corpus/, 0.3 over 0.4 by 0.001
    # (0.809 against 0.808) while hit@5 fell 0.931 -> 0.912 (the MiniLM's choices are the same either way).
    best_w = max(rows, key=lambda r: (round(r[2] + r[3], 3), r[3]))[0] if rows else base.settings.dense_weight
    if rows:
        click.echo(f"best dense_weight (hit@5 + mrr@10, then mrr@10): {best_w}")
    # the learned stage, fitted on the order of the weight chosen (it reads the dense side: none without it)
    fitted = [(q, Path(f).stem) for q, f in zip(qs, set_of, strict=True) if answerable[q["id"]]]
    ranker, ranked = (
        tune_ranker(index, best_w, [q for q, _ in fitted], [f for _, f in fitted])
        if best_w and not pending
        else ({}, {})
    )
    # Each question answered once with no threshold: refused anyway (unknown word, wrong subject, no number
    # where one is asked...), or answered with its evidence strength, which a threshold t refuses below t.
    svc = Service(
        Settings.of(index, dense_weight=best_w, ranker_weights=ranker, min_coverage=0.0, closeness_weight=0.0),
        follow=False,
    )
    # An answerable question's answer that cites no passage holding its evidence is a wrong citation: a
    # threshold that refuses it spares the user one, as much as refusing an unanswerable question does.
    # (refused whatever the threshold, coverage, dense closeness, answerable here, its answer cites its evidence)
    parts, leads, places, named = [], [], [], []
    for q in qs:
        # one search per question, which the answer reads too (the refusal's suggestions are not needed here)
        result = svc.retriever.search(q["question"], svc.settings.search_k)
        answer = svc.answerer.ask(q["question"], searched=result)
        hits = result.hits[: svc.settings.search_k]
        lookup = any(h.reason == "lookup" for h in hits)
        coverage = 1.0 if lookup else svc.answerer.coverage(result, hits)
        near = None if lookup else svc.answerer.closeness(result, hits)
        supported = answerable[q["id"]] and any(contains_evidence(c.text, q["evidence"]) for c in answer.citations)
        parts.append((not answer.answered, coverage, near, answerable[q["id"]], supported))
        # the article the answer cites first, and whether it is one the question names by its number
        cited = answer.citations[0].doc_id if answer.citations else ""
        leads.append(article_lead(hits, cited))
        places.append(dense_place(hits, cited))
        named.append(cites_asked_article(result, hits, cited))
    # The closeness of the question's meaning to its passages joins the coverage of its words (none while the
    # vectors are pending): each weight gets its threshold, the one that spares the most wrong answers is kept.
    weight, centre, best, rows_w, rows_t = calibrate_closeness(parts, [0.0] if pending else CLOSENESS_WEIGHTS)
    click.echo("closeness_weight  threshold  refusal_accuracy  false_refusal_rate  net")
    for w, t, ra, frr, net in rows_w:
        click.echo(f"{w:16.2f}  {t:9.3f}  {ra:16.3f}  {frr:18.3f}  {net:+d}")
    click.echo("threshold  refusal_accuracy  false_refusal_rate  (of which the threshold's)")
    for t, ra, frr, own in rows_t:
        click.echo(f"{t:9.3f}  {ra:16.3f}  {frr:18.3f}  {own:.3f}")
    click.echo(
        f"min_coverage threshold: {best[0]:.3f} (refusal_accuracy {best[1]:.3f}, false_refusal_rate {best[2]:.3f}),"
        f" closeness_weight {weight} from {centre:.3f}"
    )
    # a search without the closeness (vectors pending, the dense side off) keeps the threshold of the coverage alone
    closeness = {"closeness_weight": weight}
    if weight:
        closeness |= {"closeness_centre": centre, "min_coverage_alone": rows_w[0][1]}
    chosen = (
        {"min_coverage": best[0]}
        if pending
        else {"dense_weight": best_w, "min_coverage": best[0], **closeness, "ranker_weights": ranker}
    )
    # Of the answers at that threshold (an article asked by its number aside: always of high confidence), which are
    # of high confidence: a margin over the threshold and a lead of the article cited first over the next
    # (``evals.metrics.calibrate_confident``); the others are to check. Held to the users' questions: the texts' own
    # wording (`questions.jsonl`, nearly every answer right) would lift them.
    skipped = [n or not v for n, v in zip(named, voices, strict=True)]
    precision = base.settings.confident_precision
    # Whether the cited article's place on the dense side is read (stop 62): only where, each set in users' voices
    # left out in turn and calibrated on the others, it makes the answers marked high more often right. That held-out
    # precision is nearer the test set than the calibration's own, which its thresholds were chosen on (the refusal
    # threshold and the closeness stay those measured on every set).
    by_set: dict[str, list[int]] = {}
    for i, skip in enumerate(skipped):
        if not skip:
            by_set.setdefault(set_of[i], []).append(i)
    held_rows = [
        confident_rows(
            [parts[i] for i in ids],
            [leads[i] for i in ids],
            [places[i] for i in ids],
            [False] * len(ids),
            weight,
            centre,
            best[0],
        )
        for ids in by_set.values()
    ]
    answered = [r for rows in held_rows for r in rows]  # every set's answers: what the calibration is measured on
    denses, (with_n, with_p), (without_n, without_p) = choose_dense_places(held_rows, precision)
    for label, n, p in (("with", with_n, with_p), ("without", without_n, without_p)):
        if p is not None:
            click.echo(
                f"held out (each of {len(held_rows)} sets calibrated on the others), {label} the dense place: "
                f"{n} answers of high confidence, {p:.3f} of them citing their evidence"
            )
    read = len(denses) > 1
    held_p = with_p if read else without_p
    if len(held_rows) < 2:
        click.echo(f"{len(held_rows)} set(s) in users' voices: nothing to hold out, the dense place is not read")
    confident_margin, confident_lead, confident_dense, n_high, high_p = calibrate_confident(
        answered, precision, denses=denses
    )
    if not read:  # calibrate_confident's "none reaching the precision" gives 1.0: the place is not read either way
        confident_dense = 0.0
    click.echo(
        f"high confidence: margin {confident_margin:.2f} over the threshold, "
        f"cited article's lead {confident_lead:.2f}, its dense place {confident_dense:.2f}"
        f"{'' if read else ' (not read)'}: "
        f"{n_high} of {len(answered)} answers, {high_p:.3f} of them citing their evidence (at least {precision})"
    )
    chosen |= {
        "confident_margin": confident_margin,
        "confident_lead": confident_lead,
        "confident_dense": confident_dense,
    }
    if save:
        path = write_calibration(
            base.settings.index,
            {
                "settings": chosen,
                "embedding_model": base.settings.embedding_model,  # applied to an index of this model only
                "questions": [str(q) for q in questions],
                "date": time.strftime("%Y-%m-%d %H:%M"),
                "measured": {
                    "refusal_accuracy": best[1],
                    "false_refusal_rate": best[2],
                    "hit@5": next((r[2] for r in rows if r[0] == best_w), None),
                    "high_share": n_high / len(answered) if answered else None,
                    "high_precision": high_p if n_high else None,
                    "high_precision_held_out": held_p,
                    # hit@5 and mrr@10 of the answerable dev questions, each fifth held out: the fusion's order, then
                    # the learned stage's (kept or not)
                    "ranker_held_out": {name: [list(m) for m in pair] for name, pair in ranked.items()},
                    # how the answers the confidence was measured on read the learned order (``tune --if-needed``)
                    "learned_rank_lead": LEARNED_RANK_LEAD,
                },
            },
        )
        click.echo(f"saved to {path}")
    click.echo(json.dumps(chosen))


def tune_ranker(index, dense_weight: float, qs: list[dict], sets: list[str]) -> tuple[dict, dict]:
    """The learned stage's weights for this index (``assistant.ranker``; {} where it would not help,
    ``evals.metrics.choose_ranker``), fitted on the passages it would order for each answerable question (``qs``,
    of the dev files ``sets``), searched with ``dense_weight`` and the stage off, and what it measured."""
    svc = Service(
        Settings.of(
            index,
            dense_weight=dense_weight,
            ranker_weights={},
            rerank_depth=rerank_depth(Settings.of(index).rerank_depth),  # as the search reads them with the stage on
        ),
        follow=False,
    )
    groups, names = [], []
    for q, name in zip(qs, sets, strict=True):
        result = svc.retriever.search(q["question"], RANKER_DEPTH)
        if result.query_vector is None:
            continue
        lookup, head, _ = head_of(result.hits)
        x = ranker_features(head, svc.retriever.cosines(head, result.query_vector), svc.retriever.off)
        holds = [contains_evidence(h.chunk.text, q["evidence"]) for h in head]
        groups.append((x, holds, [contains_evidence(h.chunk.text, q["evidence"]) for h in lookup]))
        names.append(name)
    if not groups:
        click.echo("learned ranking: no question searched with the dense side, not fitted")
        return {}, {}
    weights, measured = choose_ranker(groups, names)
    click.echo("learned ranking, each fifth of the questions fitted on the others: hit@5 / mrr@10, fusion -> learned")
    for name, ((h0, m0), (h1, m1)) in measured.items():
        click.echo(f"  {name:14s} {h0:.3f} / {m0:.3f} -> {h1:.3f} / {m1:.3f}")
    click.echo("learned ranking kept" if weights else "learned ranking not kept (the fusion's order stays)")
    kept = {name: round(w, 4) for name, w in zip(RANKER_FEATURES, weights, strict=True)} if weights else {}
    return kept, measured


@cli.command()
@click.option(
    "--sizes",
    default="default,full,200k,1m,first-run",
    show_default=True,
    help="Tailles séparées par des virgules : default (corpus/), full (corpus/ + les deux codes entiers : "
    "../shared/corpora/legifrance, sinon l'archive livrée ; son rapport ingest / encodage calcule les vecteurs des "
    "codes deux fois : environ deux heures avec les deux modèles par défaut), "
    "200k et 1m (synthétiques : copies des passages et vecteurs de l'index full, construites une fois, sans "
    "embedding ; 1m prend environ 50 min et 16 Go la première fois) ; first-run "
    "(ce que fait `make run` après l'installation sur un clone neuf : extraire les codes, mettre les vecteurs "
    "livrés dans un cache vide, publier une génération sans vecteurs, calibrer, servir ; chronométré jusqu'à la "
    "première réponse ; puis, à part, sa tâche de fond : la génération avec vecteurs et son calibrage).",
)
@click.option("--out", type=click.Path(path_type=Path), default=Path("bench/results.json"), show_default=True)
@click.option(
    "--cache",
    type=click.Path(path_type=Path),
    default=Path("bench/cache"),
    show_default=True,
    help="Où les index de chaque taille sont construits une fois et gardés.",
)
@click.option(
    "--no-ingest",
    is_flag=True,
    help="Omet la comparaison encodage brut / ingest (et la reconstruction à textes inchangés) des tailles "
    "default et full : le reste est mesuré sur l'index gardé de la taille (aux codes entiers, deux heures de "
    "moins avec les deux modèles par défaut).",
)
def bench(sizes, out, cache, no_ingest):
    """Mesurer le débit d'encodage brut et d'ingest, la latence des questions et des recherches face à
    l'embedding brut de la requête, la mémoire maximale du serveur, la taille de l'index, le démarrage à froid et
    le rafraîchissement sans changement à chaque taille ; afficher la table et les objectifs atteints."""
    results = run_bench(
        [s.strip() for s in sizes.split(",") if s.strip()],
        out,
        cache,
        log=lambda msg: click.echo(msg, err=True),
        ingest=not no_ingest,
    )
    click.echo(bench_table(results))
    click.echo(f"\nwritten to {out}")


@cli.command()
@index_option
@click.option("--no-server", is_flag=True, help="Seulement le corpus d'entrées invalides et le document à balises.")
@click.option("--rounds", default=100, show_default=True, help="Questions chronométrées au calme et sous abus (p95).")
def adversarial(index, no_server, rounds):
    """Ce qu'un monde hostile ou négligent envoie, essayé pour de vrai : le corpus d'entrées invalides, un
    document à balises et un vrai serveur avec connexion (rafale d'échecs de connexion, corps trop gros, dépôts, p95
    d'un utilisateur connecté sous abus). Une ligne par cas et un résumé ; code de sortie 1 si un cas échoue."""
    settings = Settings.of(index)
    cases = run_adversarial(Path(settings.index), server=not no_server, load_rounds=rounds)
    if not all(c.ok for c in cases):
        raise SystemExit(1)


@cli.command("compare")
@click.argument("a", type=click.Path(exists=True, path_type=Path))
@click.argument("b", type=click.Path(exists=True, path_type=Path))
def compare_cmd(a, b):
    """Montrer quelles métriques et quelles questions ont changé entre deux passages (dossiers ou fichiers
    results.json)."""

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
    """Les avis donnés dans le chat (pouce levé / baissé)."""


@feedback.command("export")
@click.option(
    "--db",
    type=click.Path(path_type=Path),
    envvar="ASSISTANT_FEEDBACK_DB",
    default=None,
    help="Fichier SQLite des avis (par défaut : ASSISTANT_FEEDBACK_DB, data/feedback.sqlite).",
)
@click.option(
    "--out", type=click.Path(path_type=Path), default=None, help="Écrit le JSONL ici (par défaut : la sortie standard)."
)
def feedback_export(db, out):
    """Les réponses notées en lignes JSONL au format des évaluations, à relire avant de les ajouter à un jeu de
    questions."""
    path = db or Settings.of().feedback_db
    if not Path(path).exists():
        raise click.ClickException(f"aucun fichier d'avis à {path}")
    lines = [json.dumps(x, ensure_ascii=False) for x in FeedbackStore(Path(path)).export_eval_lines()]
    if out:
        Path(out).write_text("\n".join(lines) + "\n", encoding="utf-8")
        click.echo(f"{len(lines)} lines written to {out}")
    else:
        click.echo("\n".join(lines))


def main():
    try:
        cli(prog_name="python -m evals")
    except AssistantError as exc:  # a wrong setting or index met by any command (`run` says its own): no traceback
        click.echo(f"Erreur : {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
