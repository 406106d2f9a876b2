"""The authority signal: among code articles that match a question about as well, the law's article that the
decrees apply comes before them."""

from fakes import FAKE

from assistant.index import article_authority


def _code(tmp_path):
    section = tmp_path / "c" / "code-de-la-sante-publique" / "chapitre-1-pension-des-licornes"
    section.mkdir(parents=True)
    (section / "l1-1.md").write_text(
        "# Article L1-1\n\n<p>La pension mensuelle des licornes âgées leur est due dans la forêt royale et dans "
        "les bois voisins du domaine.</p>",
        encoding="utf-8",
    )
    for n, what in (("1", "est versée le premier jour du mois"), ("2", "est revalorisée chaque année")):
        (section / f"r1-{n}.md").write_text(
            f"# Article R1-{n}\n\n<p>La pension mensuelle des licornes âgées {what} (<a href='l1-1.md'>article "
            f"L. 1-1</a>).</p>",
            encoding="utf-8",
        )
    return tmp_path / "c"


def test_the_law_comes_before_the_decrees_that_refer_to_it(tmp_path):
    from assistant.service import Service
    from assistant.settings import Settings
    from ingest.pipeline import refresh

    settings = Settings(index=tmp_path / "i", embedding_model=FAKE, dense_weight=0.0)  # BM25 and the rest
    refresh(settings, [_code(tmp_path)])
    question = "pension mensuelle des licornes âgées"
    with_it = Service(settings, follow=False).search(question, 3).hits
    assert [h.chunk.article for h in with_it][0] == "L1-1", [(h.chunk.article, h.score) for h in with_it]
    assert with_it[0].signals["authority"] == article_authority("L1-1", 2) > with_it[1].signals["authority"]
    without = Service(settings.model_copy(update={"authority_weight": 0.0}), follow=False).search(question, 3).hits
    assert [h.chunk.article for h in without][0] != "L1-1", [(h.chunk.article, h.score, h.signals) for h in without]
    assert "authority" not in without[0].signals


def test_authority_of_an_article():
    assert article_authority("L1432-1", 0) == 1.0  # the law
    assert article_authority("R1432-1", 0) == 0.0  # a decree's article, cited by none
    assert article_authority("R1432-1", 3) > article_authority("R1432-2", 1) > 0
    assert article_authority("LO111-3", 0) == 1.0


def test_citations_are_counted_once_per_citing_article_and_never_by_the_article_itself(tmp_path):
    from assistant.catalog import Catalog
    from ingest.loaders import load_legifrance

    code = _code(tmp_path) / "code-de-la-sante-publique" / "chapitre-1-pension-des-licornes"
    (code / "r1-3.md").write_text(
        "# Article R1-3\n\n<p>Voir l'<a href='l1-1.md'>article L. 1-1</a> et encore l'<a href='l1-1.md'>article "
        "L. 1-1</a>, ainsi que le présent <a href='r1-3.md'>article R. 1-3</a>.</p>",
        encoding="utf-8",
    )
    catalog = Catalog(tmp_path / "catalog.sqlite")
    for path in sorted(code.glob("*.md")):
        doc = load_legifrance(path, path.read_text(encoding="utf-8"))
        catalog.replace(doc, [], "0" * 64, 1, 0.0, "now")
    counts, numbers = catalog.citation_counts()
    assert counts == {"L1-1": 3}
    assert sorted(numbers) == ["L1-1", "R1-1", "R1-2", "R1-3"]


def test_the_most_linked_articles_are_counted_by_sqlite_and_without_its_json_functions(tmp_path):
    """The chat's example article (``web.example_questions``): the corpus's most referred-to article, counted in
    SQL instead of reading every document; a tie goes to the article referred to first (documents in id order,
    then their links in order); the same without SQLite's JSON functions."""
    import sqlite3

    from assistant.catalog import Catalog
    from ingest.loaders import load_legifrance

    code = _code(tmp_path) / "code-de-la-sante-publique" / "chapitre-1-pension-des-licornes"
    for name, targets in (("r5-1", ("l1-1", "r1-1", "r1-2", "l9-9")), ("r5-2", ("r1-2", "r1-1"))):
        links = " et ".join(f"l'<a href='{t}.md'>article {t[0].upper()}. {t[1:]}</a>" for t in targets)
        (code / f"{name}.md").write_text(f"# Article {name.upper()}\n\n<p>Voir {links}.</p>", encoding="utf-8")
    catalog = Catalog(tmp_path / "catalog.sqlite")
    for path in sorted(code.glob("*.md")):
        catalog.replace(load_legifrance(path, path.read_text(encoding="utf-8")), [], "0" * 64, 1, 0.0, "now")
    # L1-1: by R1-1, R1-2 and R5-1; R1-1 and R1-2 twice each (R5-1 names R1-1 first, R5-2 names R1-2 first);
    # L9-9 is not in the corpus
    want = ["L1-1", "R1-1", "R1-2"]
    assert catalog.most_linked_articles(5) == want
    assert catalog.most_linked_articles() == ["L1-1"]

    class NoJson:
        def __init__(self, db):
            self.db = db

        def execute(self, sql, *args):
            if "json_each" in sql:
                raise sqlite3.OperationalError("no such table: json_each")
            return self.db.execute(sql, *args)

    catalog.db = NoJson(catalog.db)
    assert catalog.most_linked_articles(5) == want
