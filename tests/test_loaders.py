import pytest
from conftest import LEGI

from assistant.errors import LoadError
from ingest.loaders import canonical_article, load_file


def test_legifrance_article_is_cleaned_with_number_breadcrumb_and_links():
    path = next(LEGI.rglob("l162-30-2.md"))
    doc = load_file(path, "x")
    assert doc.kind == "legifrance"
    assert doc.article == "L162-30-2"
    assert doc.code == "Code de la sécurité sociale"
    assert "<p>" not in doc.text and "NOTA" in doc.text
    assert doc.text.startswith("Un contrat d'amélioration de la qualité et de l'efficience des soins est conclu")
    assert doc.breadcrumb[0] == "Code de la sécurité sociale"
    assert any(c.startswith("Chapitre 2") for c in doc.breadcrumb)
    assert (
        doc.doc_id
        == "legifrance/code-de-la-securite-sociale/"
        + path.relative_to(next(p for p in path.parents if p.name == "code-de-la-securite-sociale")).as_posix()
    )


def test_legifrance_links_resolve_to_article_numbers(tmp_path):
    code = tmp_path / "code-de-la-sante-publique" / "partie-legislative"
    code.mkdir(parents=True)
    (code / "l1-2.md").write_text(
        "# Article L1-2\n\n<p>Voir <a href='/code-de-la-sante-publique/partie-legislative/l1434-12.md' "
        "title='x'>l'article L. 1434-12</a> &amp; la suite.</p>",
        encoding="utf-8",
    )
    doc = load_file(code / "l1-2.md", "d")
    assert doc.links == ("L1434-12",)
    assert "l'article L. 1434-12 & la suite." in doc.text


def test_legifrance_headings_are_shown_with_the_apostrophes_their_slugs_dropped(tmp_path):
    from assistant.text import accented

    folder = tmp_path / "code-de-la-sante-publique" / "titre-iii-lautonomie-dune-personne" / "chapitre-ier-don-dorganes"
    folder.mkdir(parents=True)
    (folder / "l1-2.md").write_text("# Article L1-2\n\n<p>Texte.</p>", encoding="utf-8")
    doc = load_file(folder / "l1-2.md", "d")
    assert doc.breadcrumb[1:] == ("Titre III lautonomie dune personne", "Chapitre Ier don dorganes")  # searched so
    shown = [accented(b) for b in doc.breadcrumb[1:]]
    assert shown == ["Titre III l'autonomie d'une personne", "Chapitre Ier don d'organes"]
    shown = accented("Section 2 dassurance de lenfant et des selles")
    assert shown == "Section 2 d'assurance de l'enfant et des selles"
    assert accented("Lautonomie des etablissements") == "L'autonomie des établissements"


def test_text_encodings(tmp_path):
    (tmp_path / "latin.txt").write_bytes("Agence régionale de santé".encode("latin-1"))
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + "Préambule".encode())
    assert "régionale" in load_file(tmp_path / "latin.txt", "a").text
    assert load_file(tmp_path / "bom.txt", "b").text.startswith("Préambule")


@pytest.mark.parametrize(
    "name,data,reason",
    [
        ("vide.txt", b"", "fichier vide"),
        ("binaire.txt", bytes(range(256)) * 10, "binaire"),
        ("image.png", b"\x89PNG....", "non pris en charge"),
    ],
)
def test_bad_files_raise_a_reason(tmp_path, name, data, reason):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(LoadError, match=reason):
        load_file(tmp_path / name, name)


def test_html_and_markdown(tmp_path):
    (tmp_path / "page.html").write_text(
        "<html><head><title>T</title><script>x()</script></head>"
        "<body><h1>Titre</h1><p>Un <b>paragraphe</b>.</p></body></html>"
    )
    doc = load_file(tmp_path / "page.html", "p")
    assert [line for line in doc.text.split("\n") if line] == ["Titre", "Un paragraphe."]
    assert "x()" not in doc.text
    (tmp_path / "note.md").write_text("# Note\n\nTexte *simple*.\n")
    assert "Texte *simple*." in load_file(tmp_path / "note.md", "n").text


from evals.adversarial import minimal_pdf as _pdf  # noqa: E402  (the same minimal PDF as the adversarial run)


def test_pdf_keeps_page_numbers(tmp_path):
    from ingest.chunking import chunk_document

    (tmp_path / "rapport.pdf").write_bytes(_pdf(["Premiere page du rapport.", "Seconde page sur les CPTS."]))
    doc = load_file(tmp_path / "rapport.pdf", "r")
    assert "Seconde page sur les CPTS." in doc.text
    assert [p for _, p in doc.pages] == [1, 2]
    chunks = chunk_document(doc, max_tokens=8, overlap=0)
    assert any(c.locator.endswith("p. 2") and "Seconde" in c.text for c in chunks)


def test_truncated_pdf_is_named_as_such(tmp_path):
    (tmp_path / "cut.pdf").write_bytes(_pdf(["Texte."])[:60])
    with pytest.raises(LoadError, match="PDF"):
        load_file(tmp_path / "cut.pdf", "c")


def test_canonical_article_numbers():
    assert canonical_article("L. 162-30-2") == "L162-30-2"
    assert canonical_article("r1434-13") == "R1434-13"


def test_article_headings_in_all_their_forms(tmp_path):
    code = tmp_path / "code-de-la-sante-publique" / "annexes"
    code.mkdir(parents=True)
    for name, heading in [("a.md", "R. 1435-15-1"), ("b.md", "R*1434-2"), ("c.md", "Annexe II : Tableau n° 1")]:
        (code / name).write_text(f"# Article {heading}\n\n<p>Texte de l'article.</p>", encoding="utf-8")
    articles = [load_file(code / n, n).article for n in ("a.md", "b.md", "c.md")]
    assert articles == ["R1435-15-1", "R1434-2", "Annexe II : Tableau n° 1"]


def test_a_bad_sidecar_is_a_reason_not_a_crash(tmp_path):
    (tmp_path / "a.txt").write_text("Un texte.", encoding="utf-8")
    (tmp_path / "a.txt.meta.json").write_text("[]", encoding="utf-8")
    with pytest.raises(LoadError, match="un objet JSON est attendu"):
        load_file(tmp_path / "a.txt", "a")
    (tmp_path / "a.txt.meta.json").write_text('{"title": 5, "date": null}', encoding="utf-8")
    doc = load_file(tmp_path / "a.txt", "a")
    assert doc.title == "5" and doc.date == ""


def test_a_registered_loader_is_used_by_the_scan_and_load_file(tmp_path, monkeypatch):
    """Adding a format is one function registered with ``@loader``: the scan then offers its files and
    ``load_file`` reads them (with their sidecar), where before they were refused."""
    from ingest import loaders
    from ingest.pipeline import Report, scan

    (tmp_path / "tarifs.csv").write_text("acte;tarif\nconsultation;30\n", encoding="utf-8")
    (tmp_path / "tarifs.csv.meta.json").write_text('{"title": "Tarifs"}', encoding="utf-8")
    report = Report()
    assert scan([tmp_path], report)[0] == []
    assert "non pris en charge (.csv)" in report.failed[0][1]

    monkeypatch.setitem(loaders.LOADERS, ".csv", None)  # so that the registration below is undone after the test

    @loaders.loader(".csv")
    def load_csv(path, max_pages=0):
        raw, warnings = loaders.read_text(path)
        return loaders.Document(
            doc_id="",
            title=path.stem,
            text=raw.replace(";", " : "),
            source=str(path),
            kind="csv",
            warnings=tuple(warnings),
        )

    report = Report()
    files = scan([tmp_path], report)[0]
    assert [f.name for f, _, _ in files] == ["tarifs.csv"] and not report.failed
    doc = loaders.load_file(files[0][0], "tarifs.csv")
    assert doc.kind == "csv" and doc.title == "Tarifs" and "consultation : 30" in doc.text
    assert ".csv" in loaders.supported()
