"""Write ``codes/vectors.npz``, the passage vectors shipped with the repository (``assistant/shipped.py``), from an
index of ``corpus/`` and the two codes whose vectors are computed.

``make vectors`` does it all: an index of ``corpus/`` and the codes alone in ``data/ship`` (through the vector cache:
only the passages whose text changed are embedded), then this script:
``.venv/bin/python scripts/ship_vectors.py [--index data/ship] [--out codes/vectors.npz]``. It refuses an index
that holds other documents (an upload in the chat, another folder). Do it again when a change of the chunking, of
the text a model reads, of a model or of a code changes passages' vectors: the integration test
``tests/test_shipped.py::test_the_shipped_vectors_are_those_of_today_s_passages`` fails with how many of today's
passages the shipped file lacks (a model changed under the same name is not detected).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from assistant.service import Service
from assistant.settings import Settings
from assistant.shipped import export_vectors

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=Path("data/ship"))
    parser.add_argument("--out", type=Path, default=Path("codes/vectors.npz"))
    args = parser.parse_args()
    settings = Settings.of(args.index)
    index = Service(settings, follow=False).index
    if index.vectors_pending:
        raise SystemExit(f"{args.index} : vecteurs en attente, rien à livrer")
    # only corpus/ and the two codes: not a document uploaded in the chat, nor another folder indexed beside
    roots = [ROOT / "corpus", ROOT / "data" / "codes" / "legifrance", ROOT.parent / "shared" / "corpora" / "legifrance"]
    roots = [r.resolve() for r in roots]
    others = [
        d["source"]
        for d in index.catalog.documents().values()
        if not any(Path(d["source"]).resolve().is_relative_to(r) for r in roots)
    ]
    if others:
        raise SystemExit(f"{args.index} : {len(others)} documents hors de corpus/ et des codes (dont {others[0]})")
    for name, n in export_vectors(index, args.out).items():
        print(f"{name}: {n} passages")
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
