"""Rewrite the settings table of README.md from assistant/settings.py (a test checks they agree)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.settings import settings_table  # noqa: E402

readme = ROOT / "README.md"
text = readme.read_text(encoding="utf-8")
start = text.index("| variable | default | meaning |")
end = text.index("\n\n", start)
rows = ["| variable | default | meaning |", "|---|---|---|"]
rows += [f"| `{name}` | `{default}` | {help_} |" for name, default, help_ in settings_table()]
readme.write_text(text[:start] + "\n".join(rows) + text[end:], encoding="utf-8")
print(f"{len(rows) - 2} settings written to {readme}")
