"""Write ``codes/vectors.npz``, the passage vectors shipped with the repository (``assistant/shipped.py``), from an
index of ``corpus/`` and the two codes whose vectors are computed.

Run from the project root once the codes' index has its vectors (``make index`` then its background job, or
``python -m assistant ingest corpus/ data/codes/legifrance --index data/index``):
``.venv/bin/python scripts/ship_vectors.py [--index data/index] [--out codes/vectors.npz]``.
Do it again when a change of the chunking, of the text a model reads or of a code changes passages' texts:
``tests/test_shipped.py`` says how many of today's passages the shipped file lacks.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from assistant.service import Service
from assistant.settings import Settings
from assistant.shipped import export_vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=Path("data/index"))
    parser.add_argument("--out", type=Path, default=Path("codes/vectors.npz"))
    args = parser.parse_args()
    settings = Settings.of(args.index)
    index = Service(settings, follow=False).index
    if index.vectors_pending:
        raise SystemExit(f"{args.index} : vecteurs en attente, rien à livrer")
    for name, n in export_vectors(index, args.out).items():
        print(f"{name}: {n} passages")
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
