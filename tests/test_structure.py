from conftest import CORPUS, LEGI

from assistant.records import Document
from ingest.chunking import chunk_document, count_tokens
from ingest.loaders import load_file
from ingest.structure import parse_units

DOCS = CORPUS / "documents"


def _doc(name):
    return load_file(DOCS / name, name)


def test_convention_articles_sub_articles_and_preamble():
    doc = _doc("convention-type-pprgdress-2018.txt")
    locators = [u.unit.locator for u in parse_units(doc)]
    for expected in [
        "Préambule",
        "Article 1er",
        "Article 2",
        "Article 2.1",
        "Article 2.3",
        "Article 3.1",
        "Article 5",
        "Article 8",
    ]:
        assert expected in locators
    units = {u.unit.locator: u.unit for u in parse_units(doc)}
    art5 = doc.text[units["Article 5"].start : units["Article 5"].end]
    assert art5.startswith("Article 5") and "présidée par le directeur général de l'Agence" in art5
    assert "Article 6" not in art5
    assert units["Article 5"].breadcrumb[-1] == "Article 5 – Gouvernance"


def test_glued_paragraph_numbers_and_headings():
    doc = _doc("cooperation-ars-assurance-maladie-bretagne.txt")
    units = [u.unit for u in parse_units(doc)]
    assert [u.locator for u in units] == [f"§ {i}" for i in range(1, 41)]
    p35 = next(u for u in units if u.locator == "§ 35")
    assert doc.text[p35.start : p35.end].startswith("35La mise en œuvre")
    assert p35.breadcrumb[-1].startswith("IV.2 –")
    p9 = next(u for u in units if u.locator == "§ 9")
    assert doc.text[p9.start :].startswith("I.2 –")  # the heading travels with the paragraph it opens


def test_chunks_never_cross_units_and_respect_the_budget():
    for name in ("convention-type-pprgdress-2018.txt", "cooperation-ars-assurance-maladie-bretagne.txt"):
        doc = _doc(name)
        units = [u.unit for u in parse_units(doc)]
        for chunk in chunk_document(doc, max_tokens=120, overlap=20):
            assert count_tokens(chunk.text) <= 120 or " " not in chunk.text
            if not chunk.locator.startswith("¶"):  # paragraphs of unstructured text may be packed together
                assert any(
                    u.locator == chunk.locator and u.start <= chunk.start and chunk.end <= u.end for u in units
                ), chunk.locator
            assert doc.text[chunk.start : chunk.end] == chunk.text


def test_long_unit_is_split_with_overlap():
    doc = load_file(next(LEGI.rglob("l162-30-3.md")), "l")
    chunks = chunk_document(doc, max_tokens=150, overlap=40)
    assert len(chunks) > 2 and all(c.locator == "art. L. 162-30-3" for c in chunks)
    assert [c.part for c in chunks] == list(range(1, len(chunks) + 1))
    pairs = list(zip(chunks, chunks[1:], strict=False))
    for a, b in pairs:
        assert b.start <= a.end + 2  # no text falls between two pieces
        assert b.end > a.end  # each piece brings new text
    text = " ".join(f"La phrase numéro {i} du texte d'essai parle de la convention." for i in range(80))
    synthetic = Document(doc_id="s", title="s", text=text, source="s", kind="legifrance", article="L1")
    pieces = chunk_document(synthetic, max_tokens=100, overlap=30)
    assert len(pieces) > 3
    for a, b in zip(pieces, pieces[1:], strict=False):
        assert b.start < a.end and count_tokens(text[b.start : a.end]) <= 30  # short sentences: a real overlap


def test_chunk_ids_depend_on_source_and_content_only():
    doc = _doc("convention-type-pprgdress-2018.txt")
    first = [c.chunk_id for c in chunk_document(doc)]
    assert first == [c.chunk_id for c in chunk_document(doc)]
    assert len(set(first)) == len(first)
    edited = Document(**{**doc.__dict__, "text": doc.text.replace("Durée de la convention", "Durée")})
    changed = [c.chunk_id for c in chunk_document(edited)]
    assert changed[:-1] == first[:-1] and changed[-1] != first[-1]


def test_unstructured_text_gets_paragraph_locators():
    doc = _doc("quotidien-du-medecin-cnam-exercice-coordonne-2021.txt")
    chunks = chunk_document(doc)
    assert all(c.locator.startswith("¶ ") for c in chunks)
    assert any("Lever les blocages" in c.breadcrumb for c in chunks)
