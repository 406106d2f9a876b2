import atexit
import functools
import shutil
import socket
import tempfile
from pathlib import Path

import pytest
from fakes import FAKE, FAKE_CHAT, register_fakes

register_fakes()  # the ``fake`` embedder and LLM backend, through the registries of the real ones

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@functools.lru_cache(maxsize=1)
def full_codes() -> Path:
    """The two whole codes' folder: ``../shared/corpora/legifrance`` beside the repository, or else the archive the
    repository ships, extracted once per test session (about 6 s) into a folder removed at exit."""
    from evals.bench import SHARED, extract_codes

    if SHARED.is_dir():
        return SHARED
    folder = Path(tempfile.mkdtemp(prefix="codes-"))
    atexit.register(shutil.rmtree, folder, True)
    extract_codes(folder)
    return folder / "legifrance"


LEGI = CORPUS / "legifrance"
ARTICLES = [
    "l162-30-2.md",
    "l162-30-3.md",
    "l162-30-4.md",
    "r1434-13.md",
    "r1434-14.md",
    "l182-2-1-1.md",
    "l1434-12.md",
    "l1432-1.md",
]
DOCS = [
    "cooperation-ars-assurance-maladie-bretagne.txt",
    "convention-type-pprgdress-2018.txt",
    "note-information-dss-1d-2018-154.txt",
    "igas-2018-041r-deploiement-cpts-synthese.txt",
]


def pytest_collection_modifyitems(items):
    """The fast tier (``-m "not integration"``) never loads the real model: a test that takes the real index
    must carry the ``integration`` mark."""
    unmarked = [
        item.nodeid
        for item in items
        if {"small_index", "real_service"} & set(item.fixturenames) and item.get_closest_marker("integration") is None
    ]
    if unmarked:
        raise pytest.UsageError("tests using the real model without @pytest.mark.integration: " + ", ".join(unmarked))


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Tests run offline: any connection outside loopback fails loudly."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")
        ):
            raise RuntimeError(f"network access attempted during tests: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def copy_small_corpus(dest: Path) -> Path:
    """A few seed documents and code articles, with the code folders kept (they carry the breadcrumb)."""
    for name in DOCS:
        for suffix in ("", ".meta.json"):
            shutil.copy(CORPUS / "documents" / (name + suffix), dest / (name + suffix))
    for article in ARTICLES:
        src = next(LEGI.rglob(article))
        target = dest / src.relative_to(CORPUS)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, target)
    shutil.copy(LEGI / "PROVENANCE.md", dest / "legifrance" / "PROVENANCE.md")  # the version of the law
    return dest


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    return copy_small_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture()
def corpus(tmp_path) -> Path:
    """A copy of the small corpus of this test's own (a test may change or add files in it)."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    return copy_small_corpus(folder)


def build_index(folder: Path, corpus: Path, model: str):
    """An index of ``corpus`` in ``folder`` built with the embedding model ``model``; its settings."""
    from assistant.settings import Settings
    from ingest.pipeline import refresh

    settings = Settings(index=folder, embedding_model=model)
    report = refresh(settings, [corpus])
    assert not report.failed, report.failed
    return settings


@pytest.fixture(scope="session")
def small_index(tmp_path_factory, small_corpus):
    """An index of the small corpus built once with the real packaged embedding model (integration tests)."""
    from assistant.settings import DEFAULT_MODEL

    return build_index(tmp_path_factory.mktemp("index"), small_corpus, DEFAULT_MODEL)


@pytest.fixture(scope="session")
def fake_index(tmp_path_factory, small_corpus):
    """The same small corpus indexed with the ``fake`` embedder (tests/fakes.py): no model loaded."""
    return build_index(tmp_path_factory.mktemp("fake-index"), small_corpus, FAKE)


@pytest.fixture(scope="session")
def fake_service(fake_index):
    from assistant.service import Service

    return Service(fake_index)


@pytest.fixture(scope="session")
def real_service(small_index):
    from assistant.service import Service

    return Service(small_index)


@pytest.fixture(scope="session", params=[FAKE, pytest.param("real", marks=pytest.mark.integration)])
def service(request):
    """A service over the small corpus, once with the ``fake`` embedder (fast tier) and once with the real
    model (integration): for the answers that must hold whatever the embedder."""
    return request.getfixturevalue("fake_service" if request.param == FAKE else "real_service")


@pytest.fixture()
def fake_model_env(monkeypatch):
    """Settings built in this process (``Settings()``, click's ``CliRunner``) take the ``fake`` embedder."""
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", FAKE)


@pytest.fixture()
def fake_llm():
    """The chat model of the ``fake`` LLM backend, emptied: set ``reply`` or ``error``, read ``calls``."""
    FAKE_CHAT.reset()
    yield FAKE_CHAT
    FAKE_CHAT.reset()


def llm_answerer(service):
    """The service's answerer with ``llm_backend="fake"`` in its settings: the LLM path runs the real ``LLM``
    class (prompt, reply parsing) around the ``fake_llm`` chat model, chosen through the backend table."""
    from assistant.answer import Answerer

    settings = service.settings.model_copy(update={"llm_backend": FAKE})
    answerer = Answerer(service.index, service.retriever)
    answerer.settings = settings
    return answerer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_assistant(log_path: Path, env: dict, ready_path: str = "", workers: int = 1, **wait) -> tuple:
    """``python -m assistant serve`` on a free port with ``env`` and ``workers`` processes, started by
    ``start_server`` (``wait``: its ``timeout`` and ``ready_statuses``); returns the process and the server's
    base URL."""
    import sys

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    cmd = [sys.executable, "-m", "assistant", "serve", "--port", str(port), "--workers", str(workers)]
    return start_server(cmd, url + ready_path, log_path, cwd=ROOT, env=env, **wait), url


def start_server(
    cmd: list[str], ready_url: str, log_path: Path, timeout: float = 180, ready_statuses: tuple[int, ...] = (), **popen
):
    """Start a real server for a test and wait until ``ready_url`` answers (with a success, or with one of
    ``ready_statuses``: 401 behind a login); the caller terminates it."""
    import subprocess
    import time
    import urllib.error
    import urllib.request

    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, **popen)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(ready_url, timeout=2)
            return proc
        except urllib.error.HTTPError as exc:
            if exc.code in ready_statuses:
                return proc
            time.sleep(0.3)
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[0]} exited: {Path(log_path).read_text()}") from None
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"{' '.join(cmd)} did not answer on {ready_url}: {Path(log_path).read_text()}")
