"""Write ``codes/vectors.npz``, the passage vectors shipped with the repository (``assistant/shipped.py``), from an
index of ``corpus/`` and the two codes whose vectors are computed.

``make vectors`` does it all: an index of ``corpus/`` and the codes alone in ``data/ship`` (through the vector cache:
only the passages whose text changed are embedded), then this script:
``.venv/bin/python scripts/ship_vectors.py [--index data/ship] [--out codes/vectors.npz]``. It refuses an index
that holds other documents (an upload in the chat, another folder). Do it again when a change of the chunking, of
the text a model reads, of a model or of a code changes passages' vectors: the integration test
``tests/test_shipped.py::test_the_shipped_vectors_are_those_of_today_s_passages`` fails with how many of today's
passages the shipped file lacks. A model changed under the same name is not detected, and the vector cache still
holds the old vectors: ``ASSISTANT_VECTOR_CACHE=off make vectors`` then computes them all (about an hour).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from assistant.errors import AssistantError
from assistant.service import Service
from assistant.settings import DEFAULT_MODEL, Settings
from assistant.shipped import export_vectors
from ingest.sources import source_path

ROOT = Path(__file__).resolve().parent.parent
CODES = ("code-de-la-securite-sociale", "code-de-la-sante-publique")


def refusal(index, settings: Settings) -> str:
    """Why the vectors of ``index`` are not those to ship, or "": the default embedding model's, every passage's,
    of ``corpus/`` and both codes and of nothing else (not a document uploaded in the chat, nor another folder)."""
    if settings.embedding_model != DEFAULT_MODEL:
        return f"modèle {settings.embedding_model}, pas celui par défaut ({DEFAULT_MODEL})"
    if index.vectors_pending:
        return "vecteurs en attente"
    roots = {
        "corpus/": [ROOT / "corpus"],
        **{
            code: [
                ROOT / "data" / "codes" / "legifrance" / code,
                ROOT.parent / "shared" / "corpora" / "legifrance" / code,
            ]
            for code in CODES
        },
    }
    roots = {name: [r.resolve() for r in paths] for name, paths in roots.items()}
    held = dict.fromkeys(roots, 0)
    others = []
    for d in index.catalog.documents().values():
        path = source_path(d["source"]).resolve()
        name = next((n for n, paths in roots.items() if any(path.is_relative_to(r) for r in paths)), None)
        if name is None:
            others.append(d["source"])
        else:
            held[name] += 1
    if others:
        return f"{len(others)} documents hors de corpus/ et des codes (dont {others[0]})"
    if not all(held.values()):
        return f"il manque {', '.join(n for n, k in held.items() if not k)}"
    return ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=Path("data/ship"))
    parser.add_argument("--out", type=Path, default=Path("codes/vectors.npz"))
    args = parser.parse_args(argv)
    settings = Settings.of(args.index)
    try:
        index = Service(settings, follow=False).index
        why = refusal(index, settings)
        if why:
            raise SystemExit(f"{args.index} : {why} : rien n'est écrit")
        counts = export_vectors(index, args.out)
    except AssistantError as exc:
        raise SystemExit(str(exc)) from exc
    for name, n in counts.items():
        print(f"{name}: {n} passages")
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
