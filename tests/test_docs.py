"""The README's settings table and command list cannot drift from the code."""

import re

from click.testing import CliRunner
from conftest import ROOT

from assistant.cli import cli
from assistant.settings import settings_table

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_with_its_default():
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(ASSISTANT_[A-Z_]+)` \| `([^`]*)` \|", README, re.M)}
    expected = {name: default for name, default, _ in settings_table()}
    assert rows == expected


def test_every_command_has_help_and_is_in_the_readme():
    for name in cli.commands:
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
        assert f"python -m assistant {name}" in README, name
    assert "make run" in README and "make test" in README


def test_every_command_speaks_french_in_its_help():
    """The agents read French: each command's help, its options' included, says nothing in English (until stop 53
    only the group's and Click's own headings were French)."""
    from evals.cli import cli as evals_cli

    english = re.compile(r"\b(?:the|and|with|from|when|which|Print|Show|Remove|Serve|Answer|Check|Measure)\b")
    # ... and so does `python -m evals` (English until stop 54), its feedback group's command included
    commands = [(cli, [name]) for name in cli.commands] + [(evals_cli, [name]) for name in evals_cli.commands]
    commands += [(evals_cli, ["feedback", "export"]), (evals_cli, [])]
    for group, name in commands:
        result = CliRunner().invoke(group, [*name, "--help"], terminal_width=200)
        assert result.exit_code == 0, (name, result.output)
        described = result.output.split("\n", 1)[1]  # after the usage line, which names the options
        described = re.sub(r"ASSISTANT_[A-Z_]+|--[\w-]+|\{[^}]*\}", "", described)
        assert not english.search(described), (name, english.search(described).group(0))


def test_every_loader_format_is_in_the_readme():
    from ingest.loaders import LOADERS, supported

    formats = README[README.index("- Formats (one loader per suffix") :]
    formats = formats[: formats.index("\n  - ")]
    assert supported() == sorted(LOADERS) and len(LOADERS) >= 6
    for suffix in LOADERS:
        assert f"`{suffix}`" in formats, suffix
