import base64

import pytest
from click.testing import CliRunner
from fakes import FAKE

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
    r = CliRunner().invoke(
        cli, ["adduser", "alice", "--role", "admin", "--auth-file", str(f)], input="pw1-assez-long\npw1-assez-long\n"
    )
    assert r.exit_code == 0, r.output
    assert Users(f).role("alice", "pw1-assez-long") == "admin" and Users(f).role("alice", "nope") is None


@pytest.fixture(scope="module")
def secured(fake_index, tmp_path_factory):
    from fastapi.testclient import TestClient

    from assistant.app import create_app
    from assistant.feedback import FeedbackStore
    from assistant.service import Service

    folder = tmp_path_factory.mktemp("auth")
    Users.add(folder / "users.txt", "agent", "mdp-agent", "user")
    Users.add(folder / "users.txt", "chef", "mdp-chef", "admin")
    settings = fake_index.model_copy(update={"upload_dir": folder / "uploads"})
    app = create_app(Service(settings), FeedbackStore(folder / "fb.sqlite"), Users(folder / "users.txt"))
    return TestClient(app)


def test_every_route_needs_a_login(secured):
    for method, path in [
        ("get", "/"),
        ("get", "/docs"),
        ("get", "/openapi.json"),
        ("get", "/article/L162-30-2"),
        ("get", "/config"),
    ]:
        r = getattr(secured, method)(path)
        assert r.status_code == 401, path
        assert r.headers["www-authenticate"].startswith("Basic")
    assert secured.post("/api/ask", json={"question": "Qui pilote le ciblage des CAQES ?"}).status_code == 401
    bad = secured.post("/api/ask", json={"question": "x"}, headers=_basic("agent", "faux"))
    assert bad.status_code == 401


def test_a_logged_in_user_gets_answers(secured):
    r = secured.post(
        "/api/ask", json={"question": "Qui pilote le ciblage des CAQES ?"}, headers=_basic("agent", "mdp-agent")
    )
    assert r.status_code == 200 and r.json()["citations"][0]["locator"] == "§ 35"
    assert secured.get("/", headers=_basic("agent", "mdp-agent")).status_code == 200


def test_admin_upload_is_type_and_size_checked_and_indexed_without_restart(small_corpus, tmp_path):
    from assistant.service import Service
    from assistant.settings import Settings
    from assistant.web import ingest_uploads
    from ingest.pipeline import refresh

    settings = Settings(
        index=tmp_path / "index", upload_dir=tmp_path / "uploads", upload_max_mb=0.001, embedding_model=FAKE
    )
    refresh(settings, [small_corpus / "note-information-dss-1d-2018-154.txt"])
    service = Service(settings)
    assert not service.ask("Quel est le rôle du comité régional des licornes ?").answered
    new = tmp_path / "licornes.txt"
    new.write_text(
        "Le comité régional des licornes est présidé par le directeur de la ménagerie régionale.", encoding="utf-8"
    )
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

    Users.add(tmp_path / "u.txt", "agent", "pw-agent-1")
    users = Users(tmp_path / "u.txt")
    calls = []
    real = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda p, h: calls.append(h) or real(p, h))
    assert users.role("personne", "pw-agent-1") is None and users.role("agent", "faux") is None
    assert len(calls) == 2  # the unknown name was hashed as well
    assert auth.credentials("Basic YWx*pY2U6cHc=") is None  # lenient base64 is refused


def test_adduser_refuses_empty_and_short_passwords(tmp_path):
    f = tmp_path / "users.txt"
    for pw in ("", "court"):  # an empty one given as an option (the prompt asks again for an empty one)
        r = CliRunner().invoke(cli, ["adduser", "bob", "--auth-file", str(f), "--password", pw])
        assert r.exit_code != 0 and "mot de passe refusé : 8 caractères au moins" in r.output, r.output
    assert not f.exists()


def test_user_changes_apply_without_restart(tmp_path, monkeypatch):
    import assistant.auth as auth

    monkeypatch.setattr(auth, "RELOAD_CHECK_S", 0.0)
    f = tmp_path / "users.txt"
    Users.add(f, "agent", "ancien-mdp", "user")
    users = Users(f)  # as the server holds it
    assert users.role("agent", "ancien-mdp") == "user"
    Users.add(f, "agent", "nouveau-mdp", "user")
    Users.add(f, "chef", "mdp-du-chef", "admin")
    assert users.role("agent", "ancien-mdp") is None and users.cached_role("agent", "ancien-mdp") is None
    assert users.role("agent", "nouveau-mdp") == "user" and users.role("chef", "mdp-du-chef") == "admin"
    r = CliRunner().invoke(cli, ["deluser", "chef", "--auth-file", str(f)])
    assert r.exit_code == 0 and "chef retiré" in r.output, r.output
    assert users.role("chef", "mdp-du-chef") is None and users.role("agent", "nouveau-mdp") == "user"
    r = CliRunner().invoke(cli, ["deluser", "personne", "--auth-file", str(f)])
    assert r.exit_code != 0 and "aucun utilisateur « personne »" in r.output
    f.write_text("ligne cassée\n", encoding="utf-8")  # a broken file keeps the users read before
    assert users.role("agent", "nouveau-mdp") == "user"


def test_failed_logins_are_throttled_and_hashed_off_the_event_loop(fake_index, tmp_path, monkeypatch):
    import threading

    from fastapi.testclient import TestClient

    import assistant.auth as auth
    from assistant.app import create_app
    from assistant.feedback import FeedbackStore
    from assistant.service import Service

    Users.add(tmp_path / "users.txt", "agent", "mdp-agent", "user")
    hashed_in = []
    real = auth.verify_password
    monkeypatch.setattr(
        auth, "verify_password", lambda p, h: hashed_in.append(threading.current_thread().name) or real(p, h)
    )
    app = create_app(Service(fake_index), FeedbackStore(tmp_path / "fb.sqlite"), Users(tmp_path / "users.txt"))
    with TestClient(app) as client:
        loop_thread = client.portal.call(lambda: threading.current_thread().name)
        assert client.get("/article/L162-30-2", headers=_basic("agent", "mdp-agent")).status_code == 200
        codes = [client.get("/article/L162-30-2", headers=_basic("agent", f"faux-{i}")).status_code for i in range(8)]
        assert codes[: auth.MAX_FAILURES] == [401] * auth.MAX_FAILURES
        assert set(codes[auth.MAX_FAILURES :]) == {429}
        r = client.get("/article/L162-30-2", headers=_basic("autre", "faux"))
        assert r.status_code == 429 and 0 < int(r.headers["retry-after"]) <= auth.WINDOW_S + 1
        assert "réessayer dans" in r.text
        # the throttled attempts were not hashed; every hash ran in a worker thread, not the event loop's
        assert len(hashed_in) == 1 + auth.MAX_FAILURES and loop_thread not in hashed_in
        # a user whose credentials were checked before is still served, from the same client
        assert client.get("/article/L162-30-2", headers=_basic("agent", "mdp-agent")).status_code == 200


def test_a_header_that_is_not_utf8_gets_401_not_500(secured):
    r = secured.get("/", headers={"Authorization": b"Basic \xff\xfe", "X-Nom": b"\xe9t\xe9"})
    assert r.status_code == 401
