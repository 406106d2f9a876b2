"""A corpus of bad files built here: each is ingested correctly or named in the report with a reason a person
understands, and every good file beside them is indexed."""
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfWriter

from assistant.cli import cli
from assistant.index import Index
from assistant.settings import Settings

from conftest import ROOT
from test_loaders import _pdf


def test_bad_input_corpus(tmp_path, monkeypatch):
    d = tmp_path / "corpus"
    d.mkdir()
    good = "La commission régionale de coordination est présidée par le directeur général de l'agence."
    (d / "bon.txt").write_text(good, encoding="utf-8")
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret")
    with open(d / "chiffré.pdf", "wb") as fh:
        writer.write(fh)
    (d / "tronqué.pdf").write_bytes(_pdf(["Texte du rapport."])[:80])
    (d / "image.pdf").write_bytes(_pdf([""]))  # a page with no text layer
    (d / "vide.txt").write_bytes(b"")
    (d / "binaire.txt").write_bytes(bytes(range(256)) * 64)
    (d / "latin1.txt").write_bytes("Le délai d'opposition de l'agence régionale est de deux mois.".encode("latin-1"))
    (d / "bom.txt").write_bytes(b"\xef\xbb\xbf" + "Préambule de la convention type.".encode("utf-8"))
    with open(d / "énorme.txt", "wb") as fh:  # 60 MB
        fh.truncate(60 * 1024 * 1024)
        fh.seek(0)
        fh.write(b"Un tres grand fichier. ")
    (d / "cassé.md").write_text("# Note\n\n<p>Un paragraphe <b>non fermé <div>et une suite</p> sans fin",
                                encoding="utf-8")
    (d / "nom avec espaces é.txt").write_text("Les CPTS sont créées par la loi du 26 janvier 2016.", encoding="utf-8")
    os.symlink(d / "boucle", d / "boucle")  # a link to itself
    os.symlink(d, d / "sous-dossier-en-boucle")  # a folder link back to its parent: not followed

    result = CliRunner().invoke(cli, ["ingest", str(d), "--index", str(tmp_path / "index"), "--quiet"])
    assert result.exit_code == 1, result.output
    out = result.output
    expected = {
        "chiffré.pdf": "PDF chiffré : mot de passe requis",
        "tronqué.pdf": "PDF illisible ou tronqué",
        "image.pdf": "aucun texte extractible (PDF image ; OCR non pris en charge)",
        "vide.txt": "fichier vide",
        "binaire.txt": "fichier binaire",
        "énorme.txt": "fichier trop gros : 62.9 Mo (limite 52.4 Mo",
        "boucle": "lien symbolique cassé ou en boucle",
    }
    for name, reason in expected.items():
        assert f"{d / name} : {reason}" in out, (name, out)
    assert "en échec     7" in out
    idx = Index(Settings(index=tmp_path / "index"))
    assert set(idx.documents) == {"bon.txt", "latin1.txt", "bom.txt", "cassé.md", "nom avec espaces é.txt"}
    texts = {d: idx.catalog.document_text(d) for d in idx.documents}
    assert "délai d'opposition" in texts["latin1.txt"] and texts["bom.txt"].startswith("Préambule")
    assert "Un paragraphe non fermé" in texts["cassé.md"] and "<" not in texts["cassé.md"]


def test_unreadable_file_is_named_and_the_rest_indexed(tmp_path):
    """A file the ingest may not read (mode 000). Root reads everything, so as root the ingest runs as
    `nobody` (setpriv), in a folder that user may use."""
    import shutil
    import subprocess
    import sys
    import tempfile

    root_user = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="unreadable-")) if root_user else tmp_path
    try:
        d = base / "corpus"
        d.mkdir()
        (d / "bon.txt").write_text("Le comité de coopération se réunit quatre fois par an.", encoding="utf-8")
        secret = d / "secret.txt"
        secret.write_text("Texte que personne ne peut lire.", encoding="utf-8")
        secret.chmod(0)
        index = base / "index"
        cmd = [sys.executable, "-m", "assistant", "ingest", str(d), "--index", str(index), "--quiet"]
        env = dict(os.environ, HOME=str(base), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
        if root_user:
            if not shutil.which("setpriv"):
                pytest.skip("running as root without setpriv: cannot make a file unreadable")
            base.chmod(0o755)
            index.mkdir()
            shutil.chown(index, "nobody")
            cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *cmd]
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert f"{secret} : fichier illisible : lecture non autorisée (droits du fichier)" in proc.stdout, proc.stdout
        assert "ajoutés      1" in proc.stdout and "en échec     1" in proc.stdout
        assert set(Index(Settings(index=index)).documents) == {"bon.txt"}
    finally:
        if root_user:
            shutil.rmtree(base, ignore_errors=True)
