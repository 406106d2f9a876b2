"""Ingest against raw encode (issue 13) on a sample of the two codes, with the default embedder.

The full codes' comparison embeds them twice: about two and a half hours with the default MiniLM + e5 mix on 2
cores. This one takes every Nth article file of the codes (sorted by path; N=4 by default: about 5,100 files and
5,700 passages with `corpus/`), builds their index once from the vector cache, then runs
``evals.bench.measure_throughput`` on it: the raw ``embed`` of its passages, then a whole ingest of the same files
into a new index without the vector cache, then a ``--rebuild`` with the cache.

    .venv/bin/python scripts/ingest_sample.py [--every 4] [--cache DIR] [--out FILE]

The cache folder (``/tmp/ingest-sample`` by default) gets the sample's files, its index and a copy of the project's
vector cache (``data/vector-cache.sqlite``, when there is one) so that the first build embeds nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evals import bench  # noqa: E402


def sample(codes: Path, folder: Path, every: int) -> int:
    """Copy every ``every``-th article file of ``codes`` (sorted by path) into ``folder``; the number copied."""
    shutil.rmtree(folder, ignore_errors=True)
    files = sorted(p for p in codes.rglob("*.md") if p.is_file() and p.parent != codes)
    kept = files[::every]
    for path in kept:
        target = folder / path.relative_to(codes)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return len(kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", type=int, default=4, help="keep one article file in N (default 4)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/ingest-sample"), help="working folder")
    parser.add_argument("--out", type=Path, help="JSON file for the figures (default: printed only)")
    args = parser.parse_args()
    if not bench.CODES.is_dir():
        sys.exit(f"Les codes sont introuvables : {bench.CODES} (make data/codes/.extracted)")
    args.cache.mkdir(parents=True, exist_ok=True)
    files = sample(bench.CODES, args.cache / "legifrance", args.every)
    # A copy of the project's vector cache (not a link: a refresh prunes the cache it writes to of the vectors
    # it has not used for a while, which would be the project's)
    project_cache = bench.PROJECT_ROOT / "data" / "vector-cache.sqlite"
    copy = args.cache / "vector-cache.sqlite"
    if project_cache.exists() and not (copy.is_symlink() or copy.exists()):
        shutil.copy2(project_cache, copy)
    name = f"sample-1-in-{args.every}"
    bench.SIZES[name] = [bench.PROJECT_ROOT / "corpus", args.cache / "legifrance"]
    settings = bench.ensure_index(name, args.cache, print)
    t = time.time()
    row = bench.measure_throughput(settings, args.cache, print, name)
    row |= {
        "files": files,
        "embedding_model": settings.embedding_model,
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "wall_s": time.time() - t,
        "command": f"python scripts/ingest_sample.py --every {args.every}",
    }
    print(json.dumps(row, indent=1))
    if args.out:
        args.out.write_text(json.dumps(row, indent=1) + "\n")


if __name__ == "__main__":
    main()
