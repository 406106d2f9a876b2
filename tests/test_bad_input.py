"""A corpus of bad files built here: each is ingested correctly or named in the report with a reason a person
understands, and every good file beside them is indexed."""
import os

from click.testing import CliRunner
from pypdf import PdfWriter

from assistant.cli import cli
from assistant.index import Index
from assistant.settings import Settings

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
