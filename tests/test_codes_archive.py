"""The two whole codes ship in the repository (a fresh clone has no ``../shared``): the archive `make index`
extracts holds every article of both codes, their provenance and licence, and nothing outside ``legifrance/``."""

import tarfile
from pathlib import Path

ARCHIVE = Path(__file__).resolve().parent.parent / "codes" / "legifrance.tar.xz"
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "legifrance"


def test_the_archive_holds_both_codes_and_their_provenance():
    with tarfile.open(ARCHIVE, "r:xz") as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        assert all(n == "legifrance" or n.startswith("legifrance/") for n in names)
        assert all(m.isfile() or m.isdir() for m in members)  # no link, device or fifo
        assert not any(".." in Path(n).parts or n.startswith("/") for n in names)
        articles = [n for n in names if n.endswith(".md") and n.count("/") >= 2]
        sss = [n for n in articles if n.startswith("legifrance/code-de-la-securite-sociale/")]
        csp = [n for n in articles if n.startswith("legifrance/code-de-la-sante-publique/")]
        assert len(sss) == 7318 and len(csp) == 13246  # 20,564 articles
        provenance = tar.extractfile("legifrance/PROVENANCE.md").read().decode()
        assert "Licence Ouverte" in provenance and "2023-12-03" in provenance
        if SHARED.is_dir():  # the same files as ../shared/corpora/legifrance, where it is there
            shared = sorted(p.relative_to(SHARED.parent).as_posix() for p in SHARED.rglob("*") if p.is_file())
            assert sorted(m.name for m in members if m.isfile()) == shared
            sample = "legifrance/" + sss[0].split("/", 1)[1]
            assert tar.extractfile(sample).read() == (SHARED.parent / sample).read_bytes()
