"""Options shared by the two command lines, ``python -m assistant`` and ``python -m evals``."""

from __future__ import annotations

from pathlib import Path

import click

INDEX_HELP = "Dossier de l'index (par défaut : data/index dans le projet ; variable ASSISTANT_INDEX)."

# ``@index_option`` on a command gives it ``index`` (a Path or None); ``Settings.of(index, ...)`` builds its settings.
index_option = click.option("--index", type=click.Path(path_type=Path), envvar="ASSISTANT_INDEX", help=INDEX_HELP)

# ``@auth_file_option`` on ``adduser`` / ``deluser``: the users file, required (from the option or the environment).
auth_file_option = click.option(
    "--auth-file",
    type=click.Path(path_type=Path),
    envvar="ASSISTANT_AUTH_FILE",
    required=True,
    help="Fichier des utilisateurs (variable ASSISTANT_AUTH_FILE).",
)
