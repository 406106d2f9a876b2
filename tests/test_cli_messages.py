"""The command line speaks French, its errors included (they sit beside French reports)."""

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
