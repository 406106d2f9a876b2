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
