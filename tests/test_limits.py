"""What a careless or hostile client sends to the web app: oversized bodies, uploads by non-admins or in
floods, document markup, secrets in feedback, failed and same-name uploads."""

import base64
import sqlite3

import pytest
from fakes import FAKE

from assistant.auth import Users


def _basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def app_with_users(fake_index, tmp_path_factory):
    from fastapi.testclient import TestClient

    from assistant.app import create_app
    from assistant.feedback import FeedbackStore
    from assistant.service import Service

    folder = tmp_path_factory.mktemp("limits")
    Users.add(folder / "users.txt", "agent", "mdp-agent", "user")
    Users.add(folder / "users.txt", "chef", "mdp-chef", "admin")
    settings = fake_index.model_copy(
        update={"upload_dir": folder / "uploads", "upload_max_files": 3, "request_max_kb": 64}
    )
    app = create_app(Service(settings), FeedbackStore(folder / "fb.sqlite"), Users(folder / "users.txt"))
    return TestClient(app)


def test_oversized_bodies_get_413_on_every_route(app_with_users):
    agent = _basic("agent", "mdp-agent")
    big = b'{"data": ["' + b"x" * 200_000 + b'"], "fn_index": 0, "session_hash": "abc"}'
    for path in ("/gradio_api/queue/join", "/gradio_api/run/predict", "/api/ask"):
        r = app_with_users.post(path, content=big, headers={**agent, "content-type": "application/json"})
        assert r.status_code == 413 and "trop volumineuse" in r.text, path

    def chunked():  # no Content-Length: counted as it arrives
        for _ in range(10):
            yield b"x" * 20_000

    r = app_with_users.post("/gradio_api/queue/join", content=chunked(), headers=agent)
    assert r.status_code == 413
    ok = app_with_users.post("/api/ask", json={"question": "Qui pilote le ciblage des CAQES ?"}, headers=agent)
    assert ok.status_code == 200


def test_uploads_are_for_admins_and_limited(app_with_users):
    files = {"files": ("note.txt", b"Le comite se reunit.", "text/plain")}
    r = app_with_users.post("/gradio_api/upload", files=files, headers=_basic("agent", "mdp-agent"))
    assert r.status_code == 403 and "réservé aux administrateurs" in r.text
    chef = _basic("chef", "mdp-chef")
    codes = [app_with_users.post("/gradio_api/upload", files=files, headers=chef).status_code for _ in range(4)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429


def test_uploads_are_refused_when_nobody_logs_in(fake_index, tmp_path):
    from fastapi.testclient import TestClient

    from assistant.app import create_app
    from assistant.feedback import FeedbackStore
    from assistant.service import Service

    client = TestClient(create_app(Service(fake_index), FeedbackStore(tmp_path / "fb.sqlite")))
    r = client.post("/gradio_api/upload", files={"files": ("a.txt", b"texte", "text/plain")})
    assert r.status_code == 403


def test_chat_markup_of_a_document_is_inert():
    from assistant.web import chat_markdown

    text = (
        'Le comité est présidé par <a href="https://evil.example/p">le directeur</a> '
        "![pixel](https://evil.example/b.png) [lien](https://evil.example/x) www.evil.example "
        "contact@evil.example $$x^2$$ **gras** [1]\n- 1. premier point <img src=x onerror=alert(1)> [1]"
    )
    md = chat_markdown(text, notice="Le modèle n'a pas répondu: <b>x</b>")
    import markdown_it  # CommonMark, as Gradio's front end renders it (bare addresses: see the browser test)

    rendered = markdown_it.MarkdownIt("commonmark").render(md)
    assert "<a " not in rendered and "<img" not in rendered and "<strong>" not in rendered and "<b>" not in rendered
    assert 'href="' not in rendered and 'src="' not in rendered  # as text only: href=&quot;
    assert rendered.count("<li>") == 1  # our own list stays a list
    import html

    shown = html.unescape(rendered)
    for literal in (
        '<a href="https://evil.example/p">',
        "![pixel](https://evil.example/b.png)",
        "$$x^2$$",
        "**gras**",
        "[1]",
        "contact@evil.example",
        "www.evil.example",
    ):
        assert literal in shown, literal


def test_feedback_never_stores_the_api_key_nor_url_credentials(fake_index, tmp_path):

    from assistant.feedback import FeedbackStore

    settings = fake_index.model_copy(
        update={
            "llm_api_key": "sk-tres-secret-4242",
            "llm_base_url": "https://alice:mdp-url-9999@albert.example/v1?key=q77",
        }
    )
    assert "sk-tres-secret-4242" not in repr(settings)
    described = settings.describing()
    assert described["llm_base_url"] == "https://albert.example/v1" and "llm_api_key" not in described
    store = FeedbackStore(tmp_path / "fb.sqlite")
    store.add(1, "question", {"answer": "réponse", "answered": True, "citations": []}, described)
    raw = (tmp_path / "fb.sqlite").read_bytes()
    for secret in (b"sk-tres-secret-4242", b"mdp-url-9999", b"q77"):
        assert secret not in raw
    assert b"albert.example" in raw and b"dense_weight" in raw  # what describes the answer is kept
    # the web app's feedback path uses it
    import inspect

    import assistant.chat as chat

    source = inspect.getsource(chat.mount_chat)
    assert "describing()" in source and "model_dump" not in source
    assert sqlite3.connect(tmp_path / "fb.sqlite").execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 1


def test_failed_uploads_are_not_kept_and_same_names_coexist(small_corpus, tmp_path):
    from assistant.service import Service
    from assistant.settings import Settings
    from assistant.web import ingest_uploads
    from ingest.pipeline import refresh

    settings = Settings(index=tmp_path / "index", upload_dir=tmp_path / "uploads", embedding_model=FAKE)
    refresh(settings, [small_corpus / "note-information-dss-1d-2018-154.txt"])
    service = Service(settings)
    bad = tmp_path / "cassé.pdf"
    bad.write_bytes(b"%PDF-1.4\n1 0 obj <<")
    report = ingest_uploads(service, [bad])
    assert "cassé.pdf : échec" in report and not (tmp_path / "uploads" / "cassé.pdf").exists()
    (tmp_path / "bretagne").mkdir()
    (tmp_path / "occitanie").mkdir()
    (tmp_path / "bretagne" / "convention.txt").write_text(
        "Le comité breton des licornes est présidé par le directeur de la ménagerie de Rennes.", encoding="utf-8"
    )
    (tmp_path / "occitanie" / "convention.txt").write_text(
        "Le comité occitan des dragons est présidé par la directrice du zoo de Toulouse.", encoding="utf-8"
    )
    first = ingest_uploads(service, [tmp_path / "bretagne" / "convention.txt"])
    second = ingest_uploads(service, [tmp_path / "occitanie" / "convention.txt"])
    assert "cassé.pdf" not in first + second  # not reported again
    assert "enregistré sous « convention (2).txt »" in second
    assert service.ask("Qui préside le comité breton des licornes ?").answered
    assert service.ask("Qui préside le comité occitan des dragons ?").answered


def _wait_for_chat(url: str, headers: dict, seconds: float = 120) -> None:
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10)
            return
        except urllib.error.HTTPError as exc:
            if exc.code != 503 or time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@pytest.mark.integration
def test_an_admin_upload_through_the_chat_leaves_no_temporary_copy(tmp_path):
    """A real server with login: an admin uploads through Gradio's route and the upload event; the file is
    indexed from the upload folder and Gradio's temporary copy is gone."""
    import os

    from conftest import serve_assistant
    from gradio_client import Client, handle_file

    Users.add(tmp_path / "users.txt", "chef", "mdp-chef-1", "admin")
    gradio_tmp = tmp_path / "gradio-tmp"
    env = dict(
        os.environ,
        ASSISTANT_INDEX=str(tmp_path / "index"),
        ASSISTANT_AUTH_FILE=str(tmp_path / "users.txt"),
        ASSISTANT_UPLOAD_DIR=str(tmp_path / "uploads"),
        ASSISTANT_FEEDBACK_DB=str(tmp_path / "fb.sqlite"),
        GRADIO_TEMP_DIR=str(gradio_tmp),
    )
    from assistant.settings import Settings
    from ingest.pipeline import refresh

    (tmp_path / "seed").mkdir()
    (tmp_path / "seed" / "base.txt").write_text("Le comité de base se réunit une fois par an.", encoding="utf-8")
    refresh(Settings(index=tmp_path / "index"), [tmp_path / "seed"])
    # the page asks for a login: a 401 means the server is up
    proc, url = serve_assistant(tmp_path / "server.log", env, ready_statuses=(401,))
    try:
        auth = {"Authorization": _basic("chef", "mdp-chef-1")["Authorization"]}
        _wait_for_chat(url, auth)  # the API answers first; the chat is mounted when built
        new = tmp_path / "licornes.txt"
        new.write_text(
            "Le comité régional des licornes est présidé par le directeur de la ménagerie.", encoding="utf-8"
        )
        client = Client(url, headers=auth, verbose=False)
        report = client.predict([handle_file(str(new))], api_name="/upload")
        assert "licornes.txt : ajouté" in report, report
        assert (tmp_path / "uploads" / "licornes.txt").exists()
        left = [p for p in gradio_tmp.rglob("*") if p.is_file() and p.name == "licornes.txt"]
        assert not left, left
    finally:
        proc.terminate()
        proc.wait(timeout=30)
