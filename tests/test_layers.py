"""The import graph: layers that only look down, no cycle, no private name imported from another module, no
project import hidden in a function without a comment saying why. Read from the source (``ast``), so a new
module or import is checked the moment it is written. CONTRIBUTING.md explains the layers."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("assistant", "ingest", "evals")

# Each module's layer. A module may import its own layer and the layers its layer lists in MAY_USE.
LAYERS = {
    # assistant.llm is core: settings validation reads its table of backends, and it needs only core modules.
    "core": [
        "assistant.records",
        "assistant.errors",
        "assistant.settings",
        "assistant.text",
        "assistant.english",
        "assistant.wordclass",
        "assistant.cite",
        "assistant.cli_fr",
        "assistant.options",
        "assistant.llm",
    ],
    "storage": [
        "assistant.catalog",
        "assistant.rows",
        "assistant.store",
        "assistant.windows",
        "assistant.lexical",
        "assistant.embeddings",
        "assistant.minilm",
        "assistant.vectorcache",
        "assistant.shipped",
        "assistant.generations",
        "assistant.glossary",
        "assistant.headings",
        "assistant.index",
    ],
    "ingest": [
        "ingest.loaders",
        "ingest.structure",
        "ingest.chunking",
        "ingest.sources",
        "ingest.build",
        "ingest.integrity",
        "ingest.pipeline",
    ],
    "retrieval": [
        "assistant.lexicon",
        "assistant.outside",
        "assistant.places",
        "assistant.intent",
        "assistant.answertype",
        "assistant.followup",
        "assistant.ranker",
        "assistant.retrieval",
    ],
    "answers": ["assistant.verify", "assistant.answer", "assistant.suggest", "assistant.onboarding"],
    "app": [
        "assistant.service",
        "assistant.feedback",
        "assistant.events",
        "assistant.conversations",
        "assistant.auth",
        "assistant.limits",
        "assistant.web",
        "assistant.chat",
        "assistant.app",
        "assistant.workers",
        "assistant.cli",
        "assistant.__main__",
    ],
    "evals": [
        "evals.metrics",
        "evals.runner",
        "evals.synthetic",
        "evals.bench",
        "evals.adversarial",
        "evals.cli",
        "evals.__main__",
    ],
}
MAY_USE = {
    "core": {"core"},
    "storage": {"core", "storage"},
    "ingest": {"core", "storage", "ingest"},  # never retrieval, answers or the app
    "retrieval": {"core", "storage", "retrieval"},
    "answers": {"core", "storage", "retrieval", "answers"},
    "app": {"core", "storage", "ingest", "retrieval", "answers", "app"},
    "evals": {"core", "storage", "ingest", "retrieval", "answers", "app", "evals"},
}
LAYER_OF = {module: layer for layer, modules in LAYERS.items() for module in modules}


def project_modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            if path.stem != "__init__":
                out[f"{package}.{path.stem}"] = path
    return out


def imports(module: str, path: Path, known: set[str]) -> list[tuple[str, list[str], int, bool, str]]:
    """(imported module, names taken from it, line, at the top of the module, source lines of the statement)."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    top = {id(node) for node in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [a.name for a in node.names]
            if node.module in known:
                targets = [(node.module, names)]
            else:  # "from assistant import generations": the module is the name
                targets = [(f"{node.module}.{n}", []) for n in names if f"{node.module}.{n}" in known]
        elif isinstance(node, ast.Import):
            targets = [(a.name, []) for a in node.names if a.name in known]
        else:
            continue
        text = "\n".join(lines[node.lineno - 2 : node.end_lineno])  # the line before, for a comment above
        for target, names in targets:
            if target != module:
                out.append((target, names, node.lineno, id(node) in top, text))
    return out


def graph() -> dict[str, list[tuple[str, list[str], int, bool, str]]]:
    modules = project_modules()
    return {m: imports(m, p, set(modules)) for m, p in modules.items()}


def test_every_module_has_a_layer():
    missing = sorted(set(project_modules()) - set(LAYER_OF))
    assert not missing, f"place these modules in a layer of tests/test_layers.py (see CONTRIBUTING.md): {missing}"
    gone = sorted(set(LAYER_OF) - set(project_modules()))
    assert not gone, f"modules listed in LAYERS that no longer exist: {gone}"


def test_imports_only_look_down():
    upward = [
        f"{m} ({LAYER_OF[m]}) imports {t} ({LAYER_OF[t]}), line {line}"
        for m, edges in graph().items()
        for t, _, line, _, _ in edges
        if m in LAYER_OF and t in LAYER_OF and LAYER_OF[t] not in MAY_USE[LAYER_OF[m]]
    ]
    assert not upward, "\n".join(upward)


def test_no_import_cycle():
    edges = {m: sorted({t for t, *_ in e}) for m, e in graph().items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for t in edges.get(m, []):
            if state.get(t) == 1:
                cycles.append(" -> ".join(path[path.index(t) :] + [m, t]) if t in path else f"{m} -> {t}")
            elif t not in state:
                visit(t, path + [m])
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m, [])
    assert not cycles, "\n".join(cycles)


def test_no_private_name_is_imported_from_another_module():
    private = [
        f"{m} imports {n} from {t}, line {line}"
        for m, edges in graph().items()
        for t, names, line, _, _ in edges
        for n in names
        if n.startswith("_")
    ]
    assert not private, "\n".join(private)


def test_imports_inside_functions_say_why():
    hidden = [
        f"{m} line {line}: {t}"
        for m, edges in graph().items()
        for t, _, line, at_top, text in edges
        if not at_top and "# lazy:" not in text
    ]
    assert not hidden, (
        "a project import inside a function needs a comment « # lazy: why » (a heavy optional "
        "dependency), otherwise it goes at the top:\n" + "\n".join(hidden)
    )


def test_the_checks_catch_what_they_are_for(tmp_path, monkeypatch):
    """The graph reader sees an upward import, a cycle, a private name and a hidden import."""
    pkg = tmp_path / "assistant"
    pkg.mkdir()
    (pkg / "text.py").write_text("from assistant.web import _private\n", encoding="utf-8")
    (pkg / "web.py").write_text("def f():\n    from assistant.text import x\n", encoding="utf-8")
    known = {"assistant.text", "assistant.web"}
    text_edges = imports("assistant.text", pkg / "text.py", known)
    web_edges = imports("assistant.web", pkg / "web.py", known)
    assert text_edges == [("assistant.web", ["_private"], 1, True, "from assistant.web import _private")]
    assert LAYER_OF["assistant.web"] not in MAY_USE[LAYER_OF["assistant.text"]]  # upward
    assert web_edges[0][0] == "assistant.text" and web_edges[0][3] is False  # hidden, no comment
