"""`python -m evals adversarial`: what a hostile or careless world sends, tried for real, one line per case.

- **bad-input corpus**: damaged, protected, mis-encoded, oversized, misnamed and linked files are built in a
  temporary folder and ingested; each must be indexed correctly or named with its reason, and what was indexed
  before must still be there;
- **markup document**: a document full of HTML and Markdown (links, images, emphasis) is asked about; the chat's
  rendering of the answer must hold no live markup;
- **a real server with login** (`python -m assistant serve`, on the index given): failed-login flood (429 with
  Retry-After), oversized bodies (413, announced or chunked), the chat endpoint taking no history from the
  client, uploads (admins only, limited per hour), the server's memory after oversized requests, and a logged-in
  user's p95 while an abusive client floods the server, against its quiet p95 (target: at most twice).
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from assistant.auth import Users
from assistant.errors import AssistantError
from assistant.index import Index
from assistant.service import Service
from assistant.settings import Settings
from ingest.pipeline import refresh

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "Qui pilote le ciblage des CAQES ?",
    "Qu'est-ce qu'une CPTS ?",
    "c'est quoi le FIR ?",
    "Qui préside la commission régionale de coordination ?",
    "Quelle est la durée du PRS ?",
]


@dataclass
class Case:
    group: str
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'OK   ' if self.ok else 'ÉCHEC'}  [{self.group}] {self.name} : {self.detail}"


# ---------------------------------------------------------------- bad-input corpus


def minimal_pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF with one text line per page (Helvetica)."""
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", None, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for text in pages:
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
        objs.append(f"<< /Length {len(stream)} >>\nstream\n".encode("latin-1") + stream + b"\nendstream")
        objs.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {len(objs)} 0 R "
            f"/Resources << /Font << /F1 3 0 R >> >> >>"
        )
        kids.append(f"{len(objs)} 0 R")
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        body = obj if isinstance(obj, bytes) else obj.encode("latin-1")
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def _encrypted(path: Path, text: str, user_password: str, algorithm: str) -> None:
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(minimal_pdf([text]))))
    writer.encrypt(user_password=user_password, owner_password="proprietaire", algorithm=algorithm)
    with open(path, "wb") as fh:
        writer.write(fh)


MARKUP = (
    "La commission des licornes est présidée par le directeur de la ménagerie "
    '<a href="https://evil.example/phish">formulaire</a> ![pixel](https://evil.example/beacon.png) '
    "[cliquez](https://evil.example/x) https://evil.example/bare <img src=https://evil.example/i.png> "
    "**urgent**.\n"
)
FRENCH = "Le délai d'opposition de l'agence régionale est de deux mois ; le directeur général s'y prête."


def build_bad_corpus(base: Path) -> tuple[list[Path], dict, dict]:
    """The bad files, in two roots. Returns (roots, {name: reason expected in its failure}, {doc file: text
    expected in the index})."""
    d, other, outside = base / "corpus", base / "autre-region", base / "hors-corpus"
    for f in (d, other, outside):
        f.mkdir(parents=True)
    (d / "bon.txt").write_text("La cellule de coordination se réunit quatre fois par an.", encoding="utf-8")
    (d / "balisage.txt").write_text(MARKUP, encoding="utf-8")
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret")
    with open(d / "mot-de-passe.pdf", "wb") as fh:
        writer.write(fh)
    _encrypted(d / "protege-aes128.pdf", "Rapport protege AES128 sur les CPTS.", "", "AES-128")
    _encrypted(d / "protege-aes256.pdf", "Rapport protege AES256 sur les CAQES.", "", "AES-256")
    (d / "tronque.pdf").write_bytes(minimal_pdf(["Texte du rapport."])[:80])
    (d / "image.pdf").write_bytes(minimal_pdf([""]))
    (d / "vide.txt").write_bytes(b"")
    (d / "binaire.txt").write_bytes(bytes(range(256)) * 64)
    (d / "latin1.txt").write_bytes(FRENCH.encode("latin-1"))
    (d / "cp1252.txt").write_bytes(("L’œuvre du comité : " + FRENCH).encode("cp1252"))
    (d / "utf16-sans-bom.txt").write_bytes(("Note en UTF-16 : " + FRENCH).encode("utf-16-le"))
    with open(d / "enorme.txt", "wb") as fh:
        fh.truncate(60 * 1024 * 1024)
        fh.seek(0)
        fh.write(b"Un tres grand fichier. ")
    with open(os.path.join(os.fsencode(d), b"\xe9t\xe9.txt"), "wb") as fh:  # a Latin-1 file name
        fh.write("Le plan d'été des urgences est arrêté par le directeur général.".encode())
    os.symlink(d / "boucle.txt", d / "boucle.txt")
    (outside / "secret.txt").write_text("Mot de passe du serveur : hunter2.", encoding="utf-8")
    os.symlink(outside / "secret.txt", d / "lien-dehors.txt")
    (d / "convention.txt").write_text("La convention bretonne fixe trois réunions par an.", encoding="utf-8")
    (other / "convention.txt").write_text("La convention occitane fixe cinq réunions par an.", encoding="utf-8")
    failures = {
        "mot-de-passe.pdf": "mot de passe requis",
        "tronque.pdf": "PDF illisible ou tronqué",
        "image.pdf": "aucun texte extractible",
        "vide.txt": "fichier vide",
        "binaire.txt": "binaire",
        "enorme.txt": "fichier trop gros",
        "boucle.txt": "lien symbolique",
        "lien-dehors.txt": "lien symbolique",
    }
    texts = {
        "bon.txt": "quatre fois par an",
        "protege-aes128.pdf": "AES128",
        "protege-aes256.pdf": "AES256",
        "latin1.txt": FRENCH,
        "cp1252.txt": "L’œuvre du comité",
        "utf16-sans-bom.txt": FRENCH,
        "été.txt": "plan d'été",
        "convention bretonne": "trois réunions",
        "convention occitane": "cinq réunions",
        "balisage.txt": "licornes",
    }
    return [d, other], failures, texts


def bad_corpus_cases(base: Path) -> tuple[list[Case], Path]:
    roots, failures, texts = build_bad_corpus(base)
    settings = Settings(index=base / "index")
    cases = []
    try:
        report = refresh(settings, roots)
    except Exception as exc:  # the whole ingest stopped: every case fails
        return [
            Case("corpus", "ingest", False, f"l'ingest entier s'est arrêté : {type(exc).__name__}: {exc}")
        ], settings.index
    for name, reason in failures.items():
        got = [r for p, r in report.failed if Path(p).name == name]
        cases.append(
            Case(
                "corpus",
                name,
                bool(got) and reason in got[0],
                f"nommé : {got[0]}" if got else "pas nommé dans le rapport (indexé ou ignoré en silence)",
            )
        )
    idx = Index(settings)
    all_text = {doc_id: idx.catalog.document_text(doc_id) for doc_id in idx.documents}
    for name, snippet in texts.items():
        holders = [
            doc_id for doc_id, text in all_text.items() if snippet in text and (doc_id == name or "." not in name)
        ]  # a file: its own document holds the text
        failed = [r for p, r in report.failed if name in Path(p).name]
        cases.append(
            Case(
                "corpus",
                name,
                bool(holders),
                f"indexé ({holders[0]})" if holders else f"absent de l'index{' : ' + failed[0] if failed else ''}",
            )
        )
    leaked = [d for d, t in all_text.items() if "hunter2" in t]
    cases.append(
        Case(
            "corpus",
            "lien vers un fichier hors du corpus",
            not leaked,
            "non indexé" if not leaked else f"indexé sous {leaked[0]}",
        )
    )
    before = set(idx.documents)
    (roots[0] / "nouveau-casse.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<")
    try:
        refresh(settings, roots)
        kept = before <= set(Index(settings).documents)
        cases.append(
            Case(
                "corpus",
                "rien de perdu au passage suivant",
                kept,
                f"{len(before)} documents toujours indexés" if kept else "des documents ont disparu",
            )
        )
    except AssistantError as exc:
        cases.append(Case("corpus", "rien de perdu au passage suivant", False, str(exc)))
    return cases, settings.index


def markup_case(base: Path) -> Case:
    import html

    import markdown_it

    from assistant.web import chat_markdown  # lazy: Gradio takes 3 s to import; only this case needs it

    (base / "docs").mkdir(parents=True)
    (base / "docs" / "balisage.txt").write_text(MARKUP, encoding="utf-8")
    settings = Settings(index=base / "index")
    refresh(settings, [base / "docs"])
    answer = Service(settings, follow=False).ask("Qui préside la commission des licornes ?")
    rendered = markdown_it.MarkdownIt("commonmark").render(chat_markdown(answer.answer, answer.notice))
    live = [tag for tag in ("<a ", "<img", "<strong", "<em") if tag in rendered]
    shown = html.unescape(rendered)
    ok = answer.answered and not live and "evil.example" in shown
    return Case(
        "balisage",
        "document plein de HTML et de Markdown",
        ok,
        f"balisage actif dans la réponse : {live}"
        if live
        else ("réponse sans balisage actif, le texte du document reste lisible" if ok else "pas de réponse"),
    )


# ---------------------------------------------------------------- a real server


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _request(url: str, data: bytes | None = None, headers: dict | None = None, timeout: float = 60):
    """(status, headers, body) of a request. A server that refuses a body before reading it may close the
    connection while it is still being sent: the status is then -1 ("connexion fermée")."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.putrequest("POST" if data is not None else "GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if data is not None:
            conn.putheader("Content-Length", str(len(data)))
        conn.endheaders()
        if data is not None:
            try:
                conn.send(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
        try:
            r = conn.getresponse()
            return r.status, r.headers, r.read()
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
            return -1, {}, b""
    finally:
        conn.close()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The abusive client: another process, another account, as fast as it can: failed logins, 1 MB bodies, 5,000-
# character questions, in four threads. It prints how many requests it sent when it is stopped.
ABUSER = r"""
import json, signal, sys, threading
sys.path.insert(0, ROOT_PATH)
from evals.adversarial import _request, _basic
url, auth = sys.argv[1], sys.argv[2]
big = b'{"data": ["' + b"x" * 1_000_000 + b'"], "fn_index": 0, "session_hash": "s"}'
sent = [0]
wrong = {"Authorization": _basic("abus", "faux"), "Content-Type": "application/json"}
right = {"Authorization": auth, "Content-Type": "application/json"}
def loop(kind):
    while True:
        if kind == 0:
            _request(url + "api/ask", b"{}", wrong)
        elif kind == 1:
            _request(url + "gradio_api/queue/join", big, right)
        else:
            _request(url + "api/ask", json.dumps({"question": "x" * 5000}).encode(), right)
        sent[0] += 1
for k in range(4):
    threading.Thread(target=loop, args=(k % 3,), daemon=True).start()
signal.signal(signal.SIGTERM, lambda *a: (print(sent[0], flush=True), sys.exit(0)))
threading.Event().wait()
""".replace("ROOT_PATH", repr(str(ROOT)))


def server_cases(index: Path, base: Path, load_rounds: int = 100) -> list[Case]:
    Users.add(base / "users.txt", "agent", "mdp-agent-1", "user")
    Users.add(base / "users.txt", "chef", "mdp-chef-1", "admin")
    Users.add(base / "users.txt", "abus", "mdp-abus-1", "user")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    env = dict(
        os.environ,
        ASSISTANT_INDEX=str(index),
        ASSISTANT_AUTH_FILE=str(base / "users.txt"),
        ASSISTANT_FEEDBACK_DB=str(base / "fb.sqlite"),
        ASSISTANT_UPLOAD_DIR=str(base / "uploads"),
        GRADIO_TEMP_DIR=str(base / "gradio-tmp"),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    log = open(base / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    agent = {"Authorization": _basic("agent", "mdp-agent-1"), "Content-Type": "application/json"}
    cases: list[Case] = []
    try:
        deadline = time.time() + 180
        while True:  # up, and its chat mounted (the API answers a few seconds before it)
            try:
                status = _request(url, headers=agent, timeout=2)[0]
                if status == 200:
                    break
                if status != 503:  # 500: the chat could not be built
                    raise RuntimeError(f"le chat répond {status} : {(base / 'server.log').read_text()}")
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError((base / "server.log").read_text()) from None
            if time.time() > deadline:
                raise RuntimeError(f"le chat n'est pas prêt après 180 s : {(base / 'server.log').read_text()}")
            time.sleep(0.3)

        def ask(q: str) -> float:
            t = time.perf_counter()
            status, _, _ = _request(url + "api/ask", json.dumps({"question": q}).encode(), agent)
            assert status == 200, status
            return (time.perf_counter() - t) * 1000

        for q in QUESTIONS:  # warm up
            ask(q)
        # uploads
        boundary = "----frontiere"
        upload = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n'
            f"Content-Type: text/plain\r\n\r\nTexte envoyé.\r\n--{boundary}--\r\n"
        ).encode()
        form = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        status = _request(url + "gradio_api/upload", upload, {**form, "Authorization": agent["Authorization"]})[0]
        cases.append(Case("envois", "envoi de fichier par un non-administrateur", status == 403, f"réponse {status}"))
        chef = {**form, "Authorization": _basic("chef", "mdp-chef-1")}
        codes = [_request(url + "gradio_api/upload", upload, chef)[0] for _ in range(21)]
        cases.append(
            Case(
                "envois",
                "21 envois d'un administrateur en une heure",
                codes[:20] == [200] * 20 and codes[20] == 429,
                f"{codes.count(200)} acceptés, puis {codes[20]} (réponses : {sorted(set(codes[:20]))})",
            )
        )
        # failed logins (they block new logins from this address for a minute: last but the load)
        codes, retry = [], None
        for i in range(8):
            status, headers, _ = _request(
                url + "api/ask",
                json.dumps({"question": "x"}).encode(),
                {"Authorization": _basic("agent", f"faux-{i}"), "Content-Type": "application/json"},
            )
            codes.append(status)
            retry = (headers.get("Retry-After") if headers else None) or retry
        ok = codes[:5] == [401] * 5 and set(codes[5:]) == {429} and retry is not None
        cases.append(Case("connexion", "mots de passe faux en série", ok, f"réponses {codes}, Retry-After {retry} s"))
        ok = ask(QUESTIONS[0]) > 0
        cases.append(Case("connexion", "l'utilisateur connecté reste servi pendant le blocage", ok, "200"))
        # bodies
        big = b'{"data": ["' + b"x" * 1_000_000 + b'"], "fn_index": 0, "session_hash": "s"}'
        rss0 = _rss_mb(proc.pid)
        statuses = {_request(url + "gradio_api/queue/join", big, agent)[0] for _ in range(20)}
        statuses |= {_request(url + "api/ask", big, agent)[0] for _ in range(5)}
        grown = _rss_mb(proc.pid) - rss0
        cases.append(
            Case(
                "limites",
                "corps de 1 Mo sur les routes du chat et de l'API",
                statuses <= {413, -1} and 413 in statuses,
                f"réponses {sorted(statuses)} ; mémoire du serveur {grown:+.0f} Mo après 25 envois",
            )
        )
        cases.append(Case("limites", "mémoire après les envois de 1 Mo", grown < 50, f"{grown:+.0f} Mo (seuil 50 Mo)"))
        status, _, body = _request(url + "gradio_api/info", headers=agent)
        info = json.loads(body) if status == 200 else {}
        params = [
            [p["parameter_name"] for p in ep["parameters"]]
            for name, ep in info.get("named_endpoints", {}).items()
            if name.startswith("/respond")
        ]
        cases.append(
            Case(
                "limites",
                "historique de 10 000 messages envoyé par le client",
                bool(params) and all(p == ["question", "cid"] for p in params),
                "le point d'entrée du chat ne prend que la question et l'identifiant de la conversation ; "
                "la conversation reste sur le serveur"
                if params
                else f"point d'entrée introuvable ({status})",
            )
        )
        status, _, _ = _request(url + "api/ask", json.dumps({"question": "x" * 5000}).encode(), agent)
        cases.append(Case("limites", "question de 5 000 caractères", status == 422, f"réponse {status}"))

        # load: a logged-in user's p95, quiet and while an abusive client floods the server
        def p95(rounds: int) -> float:
            times = [ask(QUESTIONS[i % len(QUESTIONS)]) for i in range(rounds)]
            return statistics.quantiles(times, n=20)[-1]

        quiet = p95(load_rounds)
        abuser = subprocess.Popen(
            [sys.executable, "-c", ABUSER, url, _basic("abus", "mdp-abus-1")], stdout=subprocess.PIPE, text=True
        )
        try:
            time.sleep(1.0)
            loaded = p95(load_rounds)
        finally:
            abuser.terminate()
            sent = [int((abuser.communicate(timeout=30)[0] or "0").split()[-1] or 0)]
        ratio = loaded / quiet if quiet else float("inf")
        cases.append(
            Case(
                "charge",
                "p95 d'un utilisateur pendant un client abusif",
                ratio <= 2.0,
                f"{quiet:.0f} ms au calme, {loaded:.0f} ms sous {sent[0]} requêtes abusives (x{ratio:.2f} ; seuil x2)",
            )
        )
    except Exception as exc:
        cases.append(Case("serveur", "démarrage et requêtes", False, f"{type(exc).__name__}: {exc}"[:300]))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return cases


def run(index: Path, server: bool = True, load_rounds: int = 100) -> list[Case]:
    with tempfile.TemporaryDirectory(prefix="adversarial-") as tmp:
        base = Path(tmp)
        cases, bad_index = bad_corpus_cases(base / "mauvais")
        for c in cases:
            print(c.line(), flush=True)
        more = [markup_case(base / "balisage")]
        if server:
            (base / "serveur").mkdir()
            more += server_cases(index, base / "serveur", load_rounds)
        for c in more:
            print(c.line(), flush=True)
        cases += more
    failed = [c for c in cases if not c.ok]
    print(
        f"\n{len(cases) - len(failed)} cas sur {len(cases)} tenus"
        + (f" ; en échec : {', '.join(c.name for c in failed)}" if failed else ".")
    )
    return cases
