"""Optional login: users, roles and password hashes in a file named by ASSISTANT_AUTH_FILE.

One line per user: ``name:role:pbkdf2_sha256$iterations$salt$hash`` (role is ``user`` or ``admin``); write it
with ``python -m assistant adduser NAME``, remove a user with ``deluser NAME``. When the file is set, every route
(page, API, article pages, OpenAPI) needs HTTP Basic credentials of a listed user. The file is read again when it
changes: a new password, a new or removed user take effect within a second, without a restart.

Failed logins are cheap to refuse: passwords are hashed off the event loop, at most ``HASHING_AT_ONCE`` at a
time, and a client or a user name with ``MAX_FAILURES`` failed logins in ``WINDOW_S`` seconds gets 429 with
``Retry-After`` without any hashing. Credentials already checked are remembered, so a logged-in user is served
at once even while someone else floods the login.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from pathlib import Path

from assistant.errors import ConfigError
from assistant.events import EventLog

log = logging.getLogger(__name__)

ITERATIONS = 200_000
ROLES = ("user", "admin")
MIN_PASSWORD = 8  # characters; shorter or empty passwords are refused by adduser
MAX_FAILURES = 5  # failed logins per client address, and per user name, within WINDOW_S ...
WINDOW_S = 60.0  # ... before further attempts get 429 (Retry-After) without being checked
HASHING_AT_ONCE = 2  # password checks running at the same time (each takes ~0.1 s of a core)
RELOAD_CHECK_S = 1.0  # the users file is looked at (stat) at most this often
_DUMMY_HASH = f"pbkdf2_sha256${ITERATIONS}$00000000000000000000000000000000${'0' * 64}"


def hash_password(password: str, iterations: int = ITERATIONS) -> str:
    salt = secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations)).hex()
    return hmac.compare_digest(candidate, digest)


class Users:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.users: dict[str, tuple[str, str]] = self._read()
        if not self.users:
            raise ConfigError(
                f"aucun utilisateur dans {self.path} : en ajouter un avec `python -m assistant adduser NOM`"
            )
        self._signature = self._stat()
        self._checked_at = time.monotonic()
        self._lock = threading.Lock()
        self._verified: dict[str, str] = {}  # digest of (name, password, stored hash) -> role

    def _stat(self):
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _read(self) -> dict[str, tuple[str, str]]:
        users: dict[str, tuple[str, str]] = {}
        if not self.path.exists():
            return users
        for n, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            try:
                name, role, stored = line.split(":", 2)
            except ValueError as exc:
                raise ConfigError(f"{self.path}:{n} : ligne attendue nom:rôle:empreinte") from exc
            if role not in ROLES:
                raise ConfigError(f"{self.path}:{n} : le rôle doit être l'un de {', '.join(ROLES)}")
            users[name] = (role, stored)
        return users

    def refresh(self) -> None:
        """Read the file again if it changed (checked at most every ``RELOAD_CHECK_S``). A file that no longer
        parses keeps the users read before (and says so in the log); a file removed or emptied lets nobody in."""
        now = time.monotonic()
        if now - self._checked_at < RELOAD_CHECK_S:
            return
        with self._lock:
            self._checked_at = now
            signature = self._stat()
            if signature == self._signature:
                return
            try:
                users = self._read()
            except (ConfigError, OSError, UnicodeDecodeError) as exc:
                log.error(
                    "fichier des utilisateurs %s illisible, les utilisateurs précédents restent : %s", self.path, exc
                )
                return
            self.users, self._signature = users, signature
            self._verified = {}
            log.info("fichier des utilisateurs %s relu : %d utilisateur(s)", self.path, len(users))

    def _key(self, name: str, password: str, stored: str) -> str:
        return hashlib.sha256(f"{name}\x00{password}\x00{stored}".encode("utf-8", "surrogatepass")).hexdigest()

    def cached_role(self, name: str, password: str) -> str | None:
        """The role of credentials already checked against the current file, without hashing; else None."""
        self.refresh()
        entry = self.users.get(name)
        if entry is None:
            return None
        return self._verified.get(self._key(name, password, entry[1]))

    def role(self, name: str, password: str) -> str | None:
        self.refresh()
        entry = self.users.get(name)
        if entry is not None:
            key = self._key(name, password, entry[1])
            if key in self._verified:
                return self._verified[key]
        # An unknown name costs the same hashing as a known one: timing does not tell which names exist.
        ok = verify_password(password, entry[1] if entry else _DUMMY_HASH)
        if entry and ok:
            if len(self._verified) > 1000:
                self._verified = {}
            self._verified[key] = entry[0]
            return entry[0]
        return None

    @staticmethod
    def add(path: Path, name: str, password: str, role: str = "user") -> None:
        if role not in ROLES or ":" in name or not name or name != name.strip() or "\n" in name:
            raise ConfigError("il faut un nom d'utilisateur sans « : » ni espace au bord, et un rôle parmi user, admin")
        if len(password) < MIN_PASSWORD:
            raise ConfigError(
                f"mot de passe refusé : {MIN_PASSWORD} caractères au moins"
                + (" (il est vide)" if not password else f" (il en a {len(password)})")
            )
        path = Path(path)
        lines = [
            line
            for line in (path.read_text(encoding="utf-8").splitlines() if path.exists() else [])
            if not line.startswith(name + ":")
        ]
        lines.append(f"{name}:{role}:{hash_password(password)}")
        _write(path, lines)

    @staticmethod
    def remove(path: Path, name: str) -> None:
        path = Path(path)
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        kept = [line for line in lines if not line.startswith(name + ":")]
        if len(kept) == len(lines):
            raise ConfigError(f"aucun utilisateur « {name} » dans {path}")
        _write(path, kept)


def _write(path: Path, lines: list[str]) -> None:
    """Replace the users file at once (a server reading it never sees half a file), readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + ("\n" if lines else ""))
    os.replace(tmp, path)


class Throttle:
    """Failed logins per key (a client address, a user name) in a sliding window of ``window`` seconds, counted
    in ``events`` (an ``events.EventLog``: a server's file, shared by its workers; in memory when not given)."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW_S, events: EventLog | None = None):
        self.max_failures, self.window = max_failures, window
        self.events = events or EventLog(horizon=window)

    def retry_after(self, *keys: str) -> int:
        """Seconds to wait before any of ``keys`` may try again (0: it may try now)."""
        return self.events.wait(keys, self.max_failures, self.window)

    def fail(self, *keys: str) -> None:
        self.events.add(*keys)


def credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return user, password


class BasicAuthMiddleware:
    """ASGI middleware: every HTTP and websocket request needs the credentials of a listed user. Passwords are
    checked in worker threads (``HASHING_AT_ONCE`` at most), never on the event loop; a client or user name with
    too many recent failures gets 429 and ``Retry-After`` without being checked."""

    def __init__(self, app, users: Users, throttle: Throttle | None = None):
        import anyio

        self.app = app
        self.users = users
        self.throttle = throttle or Throttle()
        self._hashing = anyio.CapacityLimiter(HASHING_AT_ONCE)

    async def role_of(self, header: str | None, client: str) -> tuple[str | None, int]:
        """(role or None, seconds to wait before trying again)."""
        import anyio

        creds = credentials(header)
        if not creds:
            return None, 0
        role = self.users.cached_role(*creds)
        if role:
            return role, 0
        user_key = "user:" + creds[0][:200]
        # The failures are counted in a SQLite file shared by the workers: read and written in worker threads.
        wait = await anyio.to_thread.run_sync(self.throttle.retry_after, "client:" + client, user_key)
        if wait:
            return None, wait
        role = await anyio.to_thread.run_sync(self.users.role, *creds, limiter=self._hashing)
        if role is None:
            await anyio.to_thread.run_sync(self.throttle.fail, "client:" + client, user_key)
        return role, 0

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        # Header values are bytes; one that is not UTF-8 is read as Latin-1 (then it matches no credentials).
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        client = (scope.get("client") or ("?", 0))[0]
        role, wait = await self.role_of(headers.get("authorization"), client)
        if role is None:
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 4429 if wait else 4401})
            if wait:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 429,
                        "headers": [
                            (b"retry-after", str(wait).encode()),
                            (b"content-type", b"text/plain; charset=utf-8"),
                        ],
                    }
                )
                return await send(
                    {
                        "type": "http.response.body",
                        "body": (f"Trop d'échecs d'identification : réessayer dans {wait} s.").encode(),
                    }
                )
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"www-authenticate", b'Basic realm="assistant", charset="UTF-8"'),
                        (b"content-type", b"text/plain; charset=utf-8"),
                    ],
                }
            )
            return await send({"type": "http.response.body", "body": b"Identification requise."})
        state = scope.setdefault("state", {})
        state["role"], state["user"] = role, (credentials(headers.get("authorization")) or ("?",))[0]
        return await self.app(scope, receive, send)
