"""The command line speaks French, its errors included (they sit beside French reports)."""

import os
import subprocess
import sys

from click.testing import CliRunner

from assistant.cli import cli


def test_errors_and_usage_messages_are_in_french(tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["ask", "Qui pilote le ciblage des CAQES ?", "--index", str(tmp_path / "rien")])
    assert r.exit_code == 1 and r.output.startswith("Erreur : aucun index dans"), r.output
    r = runner.invoke(cli, ["ingest"])
    assert r.exit_code == 2 and "Erreur : Argument manquant" in r.output and "Usage :" in r.output, r.output
    r = runner.invoke(cli, ["ask", "--inconnue", "x"])
    assert "Option inconnue" in r.output and "Error" not in r.output, r.output
    r = runner.invoke(cli, ["search", "x", "--k", "zéro"])
    assert "Valeur invalide pour" in r.output, r.output


def test_a_wrong_setting_is_named_in_french_without_a_traceback(monkeypatch, tmp_path):
    from evals.cli import cli as evals_cli

    monkeypatch.setenv("ASSISTANT_SEARCH_K", "0")
    result = CliRunner().invoke(cli, ["search", "FIR", "--index", str(tmp_path / "i")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "réglage invalide : ASSISTANT_SEARCH_K = '0' : doit valoir au moins 1" in result.output
    monkeypatch.setenv("ASSISTANT_SEARCH_K", "5")
    monkeypatch.setenv("ASSISTANT_LLM_BACKEND", "gpt")
    result = CliRunner().invoke(evals_cli, ["run", "--out", str(tmp_path / "o"), "--index", str(tmp_path / "i")])
    assert result.exit_code == 1 and "ASSISTANT_LLM_BACKEND = 'gpt' : backend LLM inconnu 'gpt'" in result.output
    # a setting read as JSON: not JSON, or a key's value of the wrong type (named after the setting, with its key)
    monkeypatch.delenv("ASSISTANT_LLM_BACKEND")
    for value, said in (
        ("{rank", "réglage invalide : ASSISTANT_RANKER_WEIGHTS n'est pas du JSON valide"),
        ('{"rank": "a"}', "réglage invalide : ASSISTANT_RANKER_WEIGHTS, « rank » = 'a' : un nombre est attendu"),
    ):
        monkeypatch.setenv("ASSISTANT_RANKER_WEIGHTS", value)
        result = CliRunner().invoke(cli, ["search", "FIR", "--index", str(tmp_path / "i")])
        assert result.exit_code == 1 and "Traceback" not in result.output and said in result.output, result.output
    for value, said in (
        ("[1]", 'un objet JSON est attendu ({"trait": poids, ...})'),
        ('{"rank": NaN}', "poids non fini pour rank"),
    ):
        monkeypatch.setenv("ASSISTANT_RANKER_WEIGHTS", value)
        result = CliRunner().invoke(cli, ["search", "FIR", "--index", str(tmp_path / "i")])
        assert result.exit_code == 1 and said in result.output, result.output
    # ... told by `python -m evals` too, whatever the command (`tune`, which `make index` runs)
    import subprocess
    import sys

    env = {**os.environ, "ASSISTANT_RANKER_WEIGHTS": "{rank"}
    done = subprocess.run(
        [sys.executable, "-m", "evals", "tune", "--index", str(tmp_path / "i")], capture_output=True, text=True, env=env
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "Erreur : réglage invalide : ASSISTANT_RANKER_WEIGHTS n'est pas du JSON valide" in done.stderr


def test_serve_with_workers_says_a_bad_login_file_once_before_starting_them(fake_index, tmp_path):
    """A worker that fails to start is started again by gunicorn: a bad login file must stop `serve` first."""
    (tmp_path / "users.txt").write_text("", encoding="utf-8")
    env = {
        "ASSISTANT_INDEX": str(fake_index.index),
        "ASSISTANT_AUTH_FILE": str(tmp_path / "users.txt"),
        "ASSISTANT_FEEDBACK_DB": str(tmp_path / "fb.sqlite"),
        "ASSISTANT_EMBEDDING_MODEL": fake_index.embedding_model,
    }
    r = CliRunner().invoke(cli, ["serve", "--workers", "2", "--port", "1"], env=env)
    assert r.exit_code != 0 and "aucun utilisateur" in r.output, r.output


def test_serve_with_workers_without_gunicorn_says_so_in_french_before_anything_starts(fake_index, tmp_path):
    """An environment installed before gunicorn came in: `serve --workers 2` names what is missing and how to get
    it, and announces no address."""
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "gunicorn.py").write_text('raise ImportError("absent here", name="gunicorn")\n', encoding="utf-8")
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(blocked), os.environ.get("PYTHONPATH", "")]),
        ASSISTANT_INDEX=str(fake_index.index),
        ASSISTANT_FEEDBACK_DB=str(tmp_path / "fb.sqlite"),
        ASSISTANT_EMBEDDING_MODEL=fake_index.embedding_model,
    )
    r = subprocess.run(
        [sys.executable, "-m", "assistant", "serve", "--workers", "2", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "demande gunicorn et uvicorn-worker (gunicorn manque)" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and "Assistant sur" not in r.stdout
