"""Options shared by the two command lines, ``python -m assistant`` and ``python -m evals``."""

from __future__ import annotations

from pathlib import Path

import click

INDEX_HELP = "Index folder (default: data/index under the project; env ASSISTANT_INDEX)."

# ``@index_option`` on a command gives it ``index`` (a Path or None); ``Settings.of(index, ...)`` builds its settings.
index_option = click.option("--index", type=click.Path(path_type=Path), envvar="ASSISTANT_INDEX", help=INDEX_HELP)

# ``@auth_file_option`` on ``adduser`` / ``deluser``: the users file, required (from the option or the environment).
auth_file_option = click.option(
    "--auth-file",
    type=click.Path(path_type=Path),
    envvar="ASSISTANT_AUTH_FILE",
    required=True,
    help="Users file (env ASSISTANT_AUTH_FILE).",
)
