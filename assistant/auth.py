"""Optional login: users, roles and password hashes in a file named by ASSISTANT_AUTH_FILE.

One line per user: ``name:role:pbkdf2_sha256$iterations$salt$hash`` (role is ``user`` or ``admin``); write it
with ``python -m assistant adduser NAME``. When the file is set, every route (page, API, article pages, OpenAPI)
needs HTTP Basic credentials of a listed user.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from pathlib import Path

from assistant.errors import ConfigError

ITERATIONS = 200_000
ROLES = ("user", "admin")
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
        self.users: dict[str, tuple[str, str]] = {}
        if self.path.exists():
            for n, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip() or line.startswith("#"):
                    continue
                try:
                    name, role, stored = line.split(":", 2)
                except ValueError as exc:
                    raise ConfigError(f"{self.path}:{n}: expected name:role:hash") from exc
                if role not in ROLES:
                    raise ConfigError(f"{self.path}:{n}: role must be one of {', '.join(ROLES)}")
                self.users[name] = (role, stored)
        if not self.users:
            raise ConfigError(f"no user in {self.path}: add one with `python -m assistant adduser NAME`")

    def role(self, name: str, password: str) -> str | None:
        entry = self.users.get(name)
        # An unknown name costs the same hashing as a known one: timing does not tell which names exist.
        ok = verify_password(password, entry[1] if entry else _DUMMY_HASH)
        return entry[0] if entry and ok else None

    @staticmethod
    def add(path: Path, name: str, password: str, role: str = "user") -> None:
        if role not in ROLES or ":" in name or not name:
            raise ConfigError("a user name without ':' and a role among user, admin are needed")
        path = Path(path)
        lines = [l for l in (path.read_text(encoding="utf-8").splitlines() if path.exists() else [])
                 if not l.startswith(name + ":")]
        lines.append(f"{name}:{role}:{hash_password(password)}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        path.chmod(0o600)


def credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return user, password


class BasicAuthMiddleware:
    """ASGI middleware: every HTTP and websocket request needs the credentials of a listed user."""

    def __init__(self, app, users: Users):
        self.app = app
        self.users = users
        self._cache: dict[str, str] = {}

    def role_of(self, header: str | None) -> str | None:
        creds = credentials(header)
        if not creds:
            return None
        # Checked logins are remembered (PBKDF2 is slow on purpose), keyed on the decoded credentials.
        key = hashlib.sha256(f"{creds[0]}\x00{creds[1]}".encode()).hexdigest()
        if key in self._cache:
            return self._cache[key]
        role = self.users.role(*creds)
        if role:
            if len(self._cache) > 1000:
                self._cache.clear()
            self._cache[key] = role
        return role

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        role = self.role_of(headers.get("authorization"))
        if role is None:
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 4401})
            await send({"type": "http.response.start", "status": 401, "headers": [
                (b"www-authenticate", b'Basic realm="assistant", charset="UTF-8"'),
                (b"content-type", b"text/plain; charset=utf-8")]})
            return await send({"type": "http.response.body", "body": "Identification requise.".encode()})
        scope.setdefault("state", {})["role"] = role
        return await self.app(scope, receive, send)
