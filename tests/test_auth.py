import base64

import pytest
from click.testing import CliRunner

from assistant.auth import Users, hash_password, verify_password
from assistant.cli import cli


def _basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_password_hashes():
    stored = hash_password("s3cret", iterations=1000)
    assert stored.startswith("pbkdf2_sha256$1000$") and "s3cret" not in stored
    assert verify_password("s3cret", stored) and not verify_password("S3cret", stored)


def test_adduser_writes_a_users_file(tmp_path):
    f = tmp_path / "users.txt"
    r = CliRunner().invoke(cli, ["adduser", "alice", "--role", "admin", "--auth-file", str(f)], input="pw1\npw1\n")
    assert r.exit_code == 0, r.output
    assert Users(f).role("alice", "pw1") == "admin" and Users(f).role("alice", "nope") is None


@pytest.fixture(scope="module")
def secured(small_index, tmp_path_factory):
    from fastapi.testclient import TestClient

    from assistant.feedback import FeedbackStore
    from assistant.service import Service
    from assistant.web import create_app

    folder = tmp_path_factory.mktemp("auth")
    Users.add(folder / "users.txt", "agent", "mdp-agent", "user")
    Users.add(folder / "users.txt", "chef", "mdp-chef", "admin")
    settings = small_index.model_copy(update={"upload_dir": folder / "uploads"})
    app = create_app(Service(settings), FeedbackStore(folder / "fb.sqlite"), Users(folder / "users.txt"))
    return TestClient(app)


def test_every_route_needs_a_login(secured):
    for method, path in [("get", "/"), ("get", "/docs"), ("get", "/openapi.json"), ("get", "/article/L162-30-2"),
                         ("get", "/config")]:
        r = getattr(secured, method)(path)
        assert r.status_code == 401, path
        assert r.headers["www-authenticate"].startswith("Basic")
    assert secured.post("/api/ask", json={"question": "Qui pilote le ciblage des CAQES ?"}).status_code == 401
    bad = secured.post("/api/ask", json={"question": "x"}, headers=_basic("agent", "faux"))
    assert bad.status_code == 401


def test_a_logged_in_user_gets_answers(secured):
    r = secured.post("/api/ask", json={"question": "Qui pilote le ciblage des CAQES ?"},
                     headers=_basic("agent", "mdp-agent"))
    assert r.status_code == 200 and r.json()["citations"][0]["locator"] == "§ 35"
    assert secured.get("/", headers=_basic("agent", "mdp-agent")).status_code == 200


def test_admin_upload_is_type_and_size_checked_and_indexed_without_restart(small_corpus, tmp_path):
    from assistant.index import Index
    from assistant.service import Service
    from assistant.settings import Settings
    from assistant.web import ingest_uploads
    from ingest.pipeline import refresh

    settings = Settings(index=tmp_path / "index", upload_dir=tmp_path / "uploads", upload_max_mb=0.001)
    refresh(settings, [small_corpus / "note-information-dss-1d-2018-154.txt"])
    service = Service(settings)
    assert not service.ask("Quel est le rôle du comité régional des licornes ?").answered
    new = tmp_path / "licornes.txt"
    new.write_text("Le comité régional des licornes est présidé par le directeur de la ménagerie régionale.",
                   encoding="utf-8")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG")
    (tmp_path / "gros.txt").write_text("mot " * 2000, encoding="utf-8")
    report = ingest_uploads(service, [new, tmp_path / "photo.png", tmp_path / "gros.txt"])
    assert "licornes.txt : ajouté" in report
    assert "photo.png : refusé, type non pris en charge" in report
    assert "gros.txt : refusé" in report and "limite" in report
    answer = service.ask("Qui préside le comité régional des licornes ?")
    assert answer.answered and answer.citations[0].doc_id == "licornes.txt"


def test_unknown_names_cost_a_hash_too(tmp_path, monkeypatch):
    import assistant.auth as auth

    Users.add(tmp_path / "u.txt", "agent", "pw")
    users = Users(tmp_path / "u.txt")
    calls = []
    real = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda p, h: calls.append(h) or real(p, h))
    assert users.role("personne", "pw") is None and users.role("agent", "faux") is None
    assert len(calls) == 2  # the unknown name was hashed as well
    assert auth.credentials("Basic YWx*pY2U6cHc=") is None  # lenient base64 is refused
