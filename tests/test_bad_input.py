"""A corpus of bad files built here: each is ingested correctly or named in the report with a reason a person
understands, and every good file beside them is indexed. Every ``Settings()`` and command run in this process
reads ``ASSISTANT_EMBEDDING_MODEL=fake`` (the ``fake_model_env`` fixture)."""

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT
from pypdf import PdfWriter
from test_loaders import _pdf

from assistant.cli import cli
from assistant.index import Index
from assistant.settings import Settings

pytestmark = pytest.mark.usefixtures("fake_model_env")


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
    (d / "bom.txt").write_bytes(b"\xef\xbb\xbf" + "Préambule de la convention type.".encode())
    with open(d / "énorme.txt", "wb") as fh:  # 60 MB
        fh.truncate(60 * 1024 * 1024)
        fh.seek(0)
        fh.write(b"Un tres grand fichier. ")
    (d / "cassé.md").write_text(
        "# Note\n\n<p>Un paragraphe <b>non fermé <div>et une suite</p> sans fin", encoding="utf-8"
    )
    (d / "nom avec espaces é.txt").write_text("Les CPTS sont créées par la loi du 26 janvier 2016.", encoding="utf-8")
    (d / "utf16.txt").write_bytes("Texte français en UTF-16 sans BOM.".encode("utf-16-le"))
    (d / "symboles.txt").write_bytes("Article 1er, § 2 : 3 µg/m³ et ½ dose, délai.".encode("latin-1"))
    with open(os.path.join(os.fsencode(d), b"plan-\xe9t\xe9.txt"), "wb") as fh:  # a name that is not UTF-8
        fh.write("Le plan d'été des urgences.".encode())
    os.mkfifo(d / "tube.txt")
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
        "tube.txt": "pas un fichier ordinaire (tube, socket ou périphérique) : refusé",
    }
    for name, reason in expected.items():
        assert f"{d / name} : {reason}" in out, (name, out)
    assert "en échec     8" in out and "attention" not in out
    idx = Index(Settings(index=tmp_path / "index"))
    assert set(idx.documents) == {
        "bon.txt",
        "latin1.txt",
        "bom.txt",
        "cassé.md",
        "nom avec espaces é.txt",
        "utf16.txt",
        "symboles.txt",
        "plan-été.txt",
    }
    texts = {d: idx.catalog.document_text(d) for d in idx.documents}
    assert "français" in texts["utf16.txt"] and "µg/m³ et ½ dose" in texts["symboles.txt"]
    assert "délai d'opposition" in texts["latin1.txt"] and texts["bom.txt"].startswith("Préambule")
    assert "Un paragraphe non fermé" in texts["cassé.md"] and "<" not in texts["cassé.md"]


@pytest.mark.integration
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
        env.pop("ASSISTANT_EMBEDDING_MODEL", None)  # the subprocess has the real model only, not the fake
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
        if root_user:  # nobody may not create the vector cache beside the index: said, and the ingest goes on
            assert "cache de vecteurs" in proc.stdout and "inaccessible" in proc.stdout, proc.stdout
        assert set(Index(Settings(index=index)).documents) == {"bon.txt"}
    finally:
        if root_user:
            shutil.rmtree(base, ignore_errors=True)


# ---------------------------------------------------------------- one test per fault of the hostile-world review


def _ingest(*args):
    return CliRunner().invoke(cli, ["ingest", *map(str, args), "--quiet"])


def test_protected_pdfs_with_an_empty_password_are_read(tmp_path):
    from evals.adversarial import _encrypted

    d = tmp_path / "c"
    d.mkdir()
    _encrypted(d / "aes128.pdf", "Rapport protege AES128 sur les CPTS.", "", "AES-128")
    _encrypted(d / "aes256.pdf", "Rapport protege AES256 sur les CAQES.", "", "AES-256")
    _encrypted(d / "verrou.pdf", "Rapport sous mot de passe.", "motdepasse", "AES-128")
    r = _ingest(d, "--index", tmp_path / "i")
    assert f"{d / 'verrou.pdf'} : PDF chiffré : mot de passe requis" in r.output, r.output
    assert "illisible ou tronqué" not in r.output
    idx = Index(Settings(index=tmp_path / "i"))
    assert "AES128" in idx.catalog.document_text("aes128.pdf") and "AES256" in idx.catalog.document_text("aes256.pdf")


def test_an_unexpected_loader_error_fails_that_file_only(tmp_path, monkeypatch):
    import ingest.pipeline as pipeline

    d = tmp_path / "c"
    d.mkdir()
    (d / "bon.txt").write_text("Le comité se réunit deux fois par an.", encoding="utf-8")
    (d / "piege.txt").write_text("Un texte qui fait planter le chargeur.", encoding="utf-8")
    real = pipeline.load_file

    def flaky(path, *a, **k):
        if path.name == "piege.txt":
            raise RuntimeError("bogue du chargeur")
        return real(path, *a, **k)

    monkeypatch.setattr(pipeline, "load_file", flaky)
    r = _ingest(d, "--index", tmp_path / "i")
    assert r.exit_code == 1
    assert f"{d / 'piege.txt'} : erreur inattendue à la lecture (RuntimeError : bogue du chargeur)" in r.output, (
        r.output
    )
    assert set(Index(Settings(index=tmp_path / "i")).documents) == {"bon.txt"}


def test_a_file_name_that_is_not_utf8_is_indexed(tmp_path):
    from assistant.service import Service

    d = tmp_path / "c"
    d.mkdir()
    with open(os.path.join(os.fsencode(d), b"plan-\xe9t\xe9.txt"), "wb") as fh:
        fh.write("Le plan d'été des urgences est arrêté par le directeur général.".encode())
    r = _ingest(d, "--index", tmp_path / "i")
    assert r.exit_code == 0 and "ajoutés      1" in r.output, r.output
    answer = Service(Settings(index=tmp_path / "i"), follow=False).ask("Qui arrête le plan d'été des urgences ?")
    assert answer.answered and answer.citations[0].doc_id == "plan-été.txt"
    r = _ingest(d, "--index", tmp_path / "i")  # stable: nothing to redo
    assert "inchangés    1" in r.output and "supprimés    0" in r.output, r.output
    v = CliRunner().invoke(cli, ["verify", "--index", str(tmp_path / "i"), "--deep"])
    assert v.exit_code == 0 and "introuvable" not in v.output, v.output


def test_same_relative_path_under_two_roots_keeps_both(tmp_path):
    a, b = tmp_path / "bretagne", tmp_path / "occitanie"
    a.mkdir()
    b.mkdir()
    (a / "convention.txt").write_text("La convention bretonne fixe trois réunions par an.", encoding="utf-8")
    (b / "convention.txt").write_text("La convention occitane fixe cinq réunions par an.", encoding="utf-8")
    _ingest(a, "--index", tmp_path / "i")
    r = _ingest(b, "--index", tmp_path / "i", "--keep-missing")
    assert "mis à jour   0" in r.output and "indexé sous « occitanie/convention.txt »" in r.output, r.output
    docs = Index(Settings(index=tmp_path / "i")).documents
    assert {"convention.txt", "occitanie/convention.txt"} <= set(docs)
    r = _ingest(a, b, "--index", tmp_path / "j")  # both in one command: both indexed, the collision said
    assert "ajoutés      2" in r.output and "même chemin relatif que" in r.output, r.output
    # a file that merely moved (its old path is gone) keeps its document: no collision, nothing added
    moved = tmp_path / "bretagne2"
    a.rename(moved)
    r = _ingest(moved, "--index", tmp_path / "i", "--keep-missing")
    assert "ajoutés      0" in r.output and "inchangés    1" in r.output and "même chemin" not in r.output, r.output
    assert Index(Settings(index=tmp_path / "i")).catalog.manifest()["convention.txt"]["source"] == str(
        moved / "convention.txt"
    )


def test_a_document_indexed_under_its_folder_name_keeps_that_id(tmp_path):
    """The second of two same-named files is indexed as « occitanie/convention.txt »; when the first one is
    deleted, the second must keep its id (citations name it), not be moved over to « convention.txt »."""
    a, b = tmp_path / "bretagne", tmp_path / "occitanie"
    a.mkdir()
    b.mkdir()
    (a / "convention.txt").write_text("La convention bretonne fixe trois réunions par an.", encoding="utf-8")
    (b / "convention.txt").write_text("La convention occitane fixe cinq réunions par an.", encoding="utf-8")
    _ingest(a, "--index", tmp_path / "i")
    _ingest(b, "--index", tmp_path / "i")
    (a / "convention.txt").unlink()
    r = _ingest(b, "--index", tmp_path / "i")
    assert "inchangés    1" in r.output and "supprimés    0" in r.output and "même chemin" not in r.output, r.output
    r = _ingest(a, "--index", tmp_path / "i")
    assert "supprimés    1" in r.output and "    supprimé : convention.txt" in r.output, r.output
    r = _ingest(b, "--index", tmp_path / "i")
    assert "inchangés    1" in r.output and "ajoutés      0" in r.output, r.output
    docs = Index(Settings(index=tmp_path / "i")).documents
    assert set(docs) == {"occitanie/convention.txt"}


def test_french_text_in_latin1_and_cp1252_decodes_exactly(tmp_path):
    from ingest.loaders import decode_bytes

    for name in sorted((ROOT / "corpus" / "documents").glob("*.txt")):
        text = name.read_text(encoding="utf-8")
        for paragraph in [p for p in text.split("\n\n") if len(p) > 200 and any(c in p for c in "éèà")][:5]:
            for encoding in ("latin-1", "cp1252"):
                try:
                    data = paragraph.encode(encoding)
                except UnicodeEncodeError:
                    continue  # a character (œ, ’) the encoding has not
                warnings = []
                assert decode_bytes(data, name.name, warnings) == paragraph, (name.name, encoding)
                assert not warnings
    assert (
        decode_bytes("Texte français sans BOM, en UTF-16.".encode("utf-16-le")) == "Texte français sans BOM, en UTF-16."
    )
    assert (
        decode_bytes("Texte français sans BOM, en UTF-16.".encode("utf-16-be")) == "Texte français sans BOM, en UTF-16."
    )
    warnings = []
    polish = "Zażółć gęślą jaźń: wszystkie źdźbła trawy są zielone, a żółw śpi w cieniu. " * 3
    assert decode_bytes(polish.encode("cp1250"), "pl.txt", warnings) and warnings
    assert "encodage deviné avec peu de certitude" in warnings[0]


def test_a_link_leading_outside_the_ingested_folders_is_refused(tmp_path):
    d, outside = tmp_path / "c", tmp_path / "dehors"
    d.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("Mot de passe du serveur : hunter2.", encoding="utf-8")
    (d / "bon.txt").write_text("Le comité se réunit deux fois par an.", encoding="utf-8")
    os.symlink(outside / "secret.txt", d / "lien.txt")
    os.symlink(d / "bon.txt", d / "lien-interne.txt")
    r = _ingest(d, "--index", tmp_path / "i")
    assert f"{d / 'lien.txt'} : lien symbolique vers un fichier hors des dossiers indexés" in r.output, r.output
    idx = Index(Settings(index=tmp_path / "i"))
    assert all("hunter2" not in idx.catalog.document_text(doc) for doc in idx.documents)
    assert "lien-interne.txt" not in r.output or "échec : " + str(d / "lien-interne.txt") not in r.output


def test_an_edit_keeping_size_and_time_is_seen_with_deep(tmp_path):
    d = tmp_path / "c"
    d.mkdir()
    f = d / "note.txt"
    f.write_text("Le comité se réunit deux fois par an.", encoding="utf-8")
    _ingest(d, "--index", tmp_path / "i")
    st = f.stat()
    f.write_text("Le comité se réunit onze fois par an.", encoding="utf-8")  # same length
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    plain = CliRunner().invoke(cli, ["verify", "--index", str(tmp_path / "i")])
    deep = CliRunner().invoke(cli, ["verify", "--index", str(tmp_path / "i"), "--deep"])
    assert "modifié" not in plain.output and "note.txt : fichier source modifié" in deep.output, deep.output
    assert "mis à jour   0" in _ingest(d, "--index", tmp_path / "i").output
    r = _ingest(d, "--index", tmp_path / "i", "--deep")
    assert "mis à jour   1" in r.output, r.output
    assert "onze" in Index(Settings(index=tmp_path / "i")).catalog.document_text("note.txt")


def test_a_mistyped_path_creates_no_empty_index(tmp_path):
    r = _ingest(tmp_path / "chemin" / "faux", "--index", tmp_path / "i")
    assert r.exit_code == 1 and "chemin introuvable" in r.output and "aucun index n'est créé" in r.output, r.output
    from assistant import generations

    assert generations.current_name(tmp_path / "i") is None


def test_a_mistyped_path_with_rebuild_keeps_the_index(tmp_path):
    """--rebuild builds from the files alone: with a path that does not exist it would publish an empty (or
    partial) generation and lose what the index held."""
    d = tmp_path / "c"
    d.mkdir()
    (d / "bon.txt").write_text("Le comité se réunit deux fois par an.", encoding="utf-8")
    _ingest(d, "--index", tmp_path / "i")
    for args in ([tmp_path / "faux"], [d, tmp_path / "faux"]):
        r = _ingest(*args, "--index", tmp_path / "i", "--rebuild")
        assert r.exit_code == 1, r.output
        assert f"{tmp_path / 'faux'} : chemin introuvable" in r.output and "index actuel est conservé" in r.output, (
            r.output
        )
        from assistant import generations

        assert generations.current_name(tmp_path / "i") == "gen-000001"
        assert set(Index(Settings(index=tmp_path / "i")).documents) == {"bon.txt"}


def test_an_unreadable_folder_is_named_and_its_documents_kept(tmp_path, monkeypatch):
    """A sub-folder that cannot be listed (its rights, a disk error) was skipped in silence, and the documents
    indexed from it were then removed as if their files had been deleted."""
    d = tmp_path / "c"
    (d / "sous").mkdir(parents=True)
    (d / "bon.txt").write_text("Le comité se réunit deux fois par an.", encoding="utf-8")
    (d / "sous" / "note.txt").write_text("La note du sous-dossier porte sur les CPTS.", encoding="utf-8")
    _ingest(d, "--index", tmp_path / "i")
    real = os.scandir

    def scandir(path="."):
        if os.fspath(path) == os.fspath(d / "sous"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    r = _ingest(d, "--index", tmp_path / "i")
    assert r.exit_code == 1, r.output
    assert f"{d / 'sous'} : dossier illisible : lecture non autorisée (droits du fichier)" in r.output, r.output
    assert "supprimés    0" in r.output, r.output
    assert set(Index(Settings(index=tmp_path / "i")).documents) == {"bon.txt", "sous/note.txt"}


def test_french_text_with_latin1_symbols_decodes_exactly():
    """Symbols of Latin-1 that French documents use (§, ©, ±, ², ³, ½, ¼, µ, º) are not letters of French: a
    text with more of them than accents went to charset detection, which read it as Central European (³ -> ł,
    ½ -> ˝, ¼ -> Ľ)."""
    from ingest.loaders import decode_bytes

    for text in (
        "Année 2019 : 3 µg/m³, ×2, ½ dose, ¼ des crédits, 50 m², n° 3.",
        "Cf. § 3, § 4 et § 5 de l'article ; © 2019 ; ± 2 %. Délai.",
        "Article 1er ; § 2 ; ¾ des agents ; 1º alinéa ; 20 £.",
    ):
        for encoding in ("latin-1", "cp1252"):
            warnings = []
            assert decode_bytes(text.encode(encoding), "x.txt", warnings) == text, (text, encoding)
            assert not warnings, (text, encoding, warnings)
    warnings = []
    polish = "Zażółć gęślą jaźń: wszystkie źdźbła trawy są zielone, a żółw śpi w cieniu. " * 3
    assert decode_bytes(polish.encode("cp1250"), "pl.txt", warnings) and warnings


def test_a_folder_link_leading_outside_is_named(tmp_path):
    """A link to a folder outside the ingested folders is not followed: it was left out in silence."""
    d, outside = tmp_path / "c", tmp_path / "dehors"
    d.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("Mot de passe du serveur : hunter2.", encoding="utf-8")
    (d / "bon.txt").write_text("Le comité se réunit deux fois par an.", encoding="utf-8")
    (d / "vrai").mkdir()
    (d / "vrai" / "note.txt").write_text("La note porte sur les CPTS.", encoding="utf-8")
    os.symlink(outside, d / "lien-dossier")
    os.symlink(d / "vrai", d / "lien-interne")  # inside: its files are indexed once, under their real path
    r = _ingest(d, "--index", tmp_path / "i")
    assert f"{d / 'lien-dossier'} : lien symbolique vers un dossier hors des dossiers indexés : refusé" in r.output, (
        r.output
    )
    assert "lien-interne" not in r.output and "en échec     1" in r.output, r.output
    assert set(Index(Settings(index=tmp_path / "i")).documents) == {"bon.txt", "vrai/note.txt"}


def test_a_file_name_not_utf8_with_a_percent_sign_is_found_again(tmp_path):
    """A name that is not UTF-8 is stored with its bytes as %XX; a « % » already in it (« taux-%41 ») was read
    back as a byte too, so verify called the file missing."""
    d = tmp_path / "c"
    d.mkdir()
    with open(os.path.join(os.fsencode(d), b"taux-%41-\xe9t\xe9.txt"), "wb") as fh:
        fh.write("Le taux d'été des urgences est fixé par arrêté.".encode())
    r = _ingest(d, "--index", tmp_path / "i")
    assert r.exit_code == 0 and "ajoutés      1" in r.output, r.output
    v = CliRunner().invoke(cli, ["verify", "--index", str(tmp_path / "i"), "--deep"])
    assert v.exit_code == 0 and "introuvable" not in v.output, v.output
    r = _ingest(d, "--index", tmp_path / "i", "--deep")
    assert "inchangés    1" in r.output, r.output


def test_a_named_pipe_is_refused_and_the_ingest_goes_on(tmp_path):
    """A named pipe (or socket) called « x.txt » in a folder: opening it to hash it waited forever for a writer,
    and the whole ingest with it."""
    import threading

    d = tmp_path / "c"
    d.mkdir()
    (d / "bon.txt").write_text("Le comité se réunit deux fois par an.", encoding="utf-8")
    os.mkfifo(d / "tube.txt")
    result = {}
    worker = threading.Thread(target=lambda: result.update(r=_ingest(d, "--index", tmp_path / "i")), daemon=True)
    worker.start()
    worker.join(20)
    if worker.is_alive():  # let the blocked reader go before failing
        os.close(os.open(d / "tube.txt", os.O_WRONLY | os.O_NONBLOCK))
        worker.join(30)
        pytest.fail("the ingest waited on a named pipe")
    r = result["r"]
    assert r.exit_code == 1, r.output
    assert f"{d / 'tube.txt'} : pas un fichier ordinaire (tube, socket ou périphérique) : refusé" in r.output, r.output
    assert set(Index(Settings(index=tmp_path / "i")).documents) == {"bon.txt"}
    r = _ingest(d / "tube.txt", "--index", tmp_path / "j")  # given by name: not « chemin introuvable »
    assert f"{d / 'tube.txt'} : pas un fichier ordinaire" in r.output and r.exit_code == 1, r.output
