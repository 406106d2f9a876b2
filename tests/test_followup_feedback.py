from assistant.feedback import FeedbackStore
from assistant.followup import is_follow_up, standalone


def test_follow_up_questions_carry_the_previous_subject():
    first = "Qui pilote le ciblage des CAQES ?"
    q = standalone("et qui décide des sanctions ?", [first])
    assert q.startswith("et qui décide des sanctions ?") and "CAQES" in q and "ciblage" in q
    assert standalone("Et sa durée ?", ["Qu'est-ce qu'un CAQES ?"]).endswith("(CAQES)")


def test_standalone_questions_are_left_alone():
    assert (
        standalone("Qui préside la commission régionale de coordination ?", ["Qu'est-ce qu'une CPTS ?"])
        == "Qui préside la commission régionale de coordination ?"
    )
    assert not is_follow_up("Que prévoit l'article L. 162-30-3 ?", "Qu'est-ce qu'un CAQES ?")
    assert standalone("et sa durée ?", []) == "et sa durée ?"


def test_feedback_is_saved_and_exported(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite")
    answer = {
        "answer": "Ainsi... [1]",
        "answered": True,
        "citations": [{"n": 1, "locator": "§ 35", "text": "35La mise en œuvre de la convention"}],
    }
    store.add(1, "Qui pilote ?", answer, {"dense_weight": 0.2}, "")
    store.add(-1, "Et la durée ?", answer, {"dense_weight": 0.2}, "mauvaise source")
    rows = store.rows()
    assert [r["rating"] for r in rows] == [1, -1] and rows[1]["comment"] == "mauvaise source"
    lines = store.export_eval_lines()
    assert lines[0]["citations"] == ["§ 35"] and lines[0]["evidence"]
    assert lines[1]["evidence"] == [] and lines[1]["review"]["comment"] == "mauvaise source"


def test_feedback_export_command(tmp_path):
    import json

    from click.testing import CliRunner

    from evals.cli import cli

    store = FeedbackStore(tmp_path / "f.sqlite")
    store.add(
        1, "Qui pilote ?", {"answer": "a", "answered": True, "citations": [{"locator": "§ 35", "text": "texte"}]}, {}
    )
    out = tmp_path / "fb.jsonl"
    result = CliRunner().invoke(cli, ["feedback", "export", "--db", str(tmp_path / "f.sqlite"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    line = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert line["question"] == "Qui pilote ?" and line["citations"] == ["§ 35"]
    missing = CliRunner().invoke(cli, ["feedback", "export", "--db", str(tmp_path / "none.sqlite")])
    assert missing.exit_code == 1 and "aucun fichier d'avis" in missing.output


def test_follow_up_rewritten_by_the_llm_when_one_is_configured(service, fake_llm):
    from assistant.service import Service

    svc = Service(service.settings.model_copy(update={"llm_backend": "fake"}))
    fake_llm.reply = "Qui décide des sanctions des CAQES ?\nUne seconde ligne qui n'est pas gardée."
    assert (
        svc.standalone("et qui décide des sanctions ?", ["Qui pilote le ciblage des CAQES ?"])
        == "Qui décide des sanctions des CAQES ?"
    )
    assert "Qui pilote le ciblage des CAQES ?" in fake_llm.calls[0][1][1]  # the history is in the prompt
    fake_llm.error = TimeoutError("timed out")
    assert "CAQES" in svc.standalone("et qui décide des sanctions ?", ["Qui pilote le ciblage des CAQES ?"])
    calls = len(fake_llm.calls)
    assert svc.standalone("Qu'est-ce qu'une CPTS ?", ["Qui pilote le ciblage des CAQES ?"]) == "Qu'est-ce qu'une CPTS ?"
    assert len(fake_llm.calls) == calls  # a question that is not a follow-up is not sent to the LLM
