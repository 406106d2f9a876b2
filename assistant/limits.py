"""Limits on what a client may send to the web app, applied before any route runs (ASGI middlewares).

- ``BodyLimit``: a request body larger than ``request_max_kb`` gets 413, whether it announces its length or not
  (the chat's Gradio routes had no limit: a 1 MB question, a 10,000-message history).
- ``UploadGuard``: Gradio's file route (``/gradio_api/upload``) is for admins only, since only admins have the
  upload tab; each admin may send ``upload_max_files`` upload requests an hour, and the files held in Gradio's
  temporary folder may not exceed ``upload_max_total_mb`` (they are deleted after indexing, and by Gradio's cache
  cleaner after an hour).
"""

from __future__ import annotations

import os
from pathlib import Path

import anyio

from assistant.events import EventLog


async def _reply(send, status: int, text: str, headers: list | None = None) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": text.encode()})


def _is_upload(path: str) -> bool:
    return path.rstrip("/").endswith("/upload") and "gradio_api" in path


class BodyLimit:
    def __init__(self, app, max_bytes: int, upload_max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.upload_max_bytes if _is_upload(scope.get("path", "")) else self.max_bytes
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _reply(
                send, 413, f"Requête trop volumineuse ({int(declared) // 1024} Ko ; limite {limit // 1024} Ko)."
            )
        if declared is not None:
            return await self.app(scope, receive, send)  # the server reads no more than it announced
        # No length announced (chunked): read the body here, up to the limit, then hand it on.
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > limit:
                return await _reply(send, 413, f"Requête trop volumineuse (limite {limit // 1024} Ko).")
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)


def folder_bytes(folder: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


class UploadGuard:
    """Runs inside the login middleware (which puts the user's role in ``scope["state"]``)."""

    def __init__(self, app, temp_dir: Path, max_per_hour: int, max_total_bytes: int, events: EventLog | None = None):
        """``events``: where uploads are counted (an ``events.EventLog``: a server's file, shared by its workers;
        in memory when not given)."""
        self.app = app
        self.temp_dir = Path(temp_dir)
        self.max_per_hour = max_per_hour
        self.max_total_bytes = max_total_bytes
        self.events = events or EventLog()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not _is_upload(scope.get("path", "")):
            return await self.app(scope, receive, send)
        state = scope.get("state") or {}
        if state.get("role") != "admin":
            return await _reply(send, 403, "Envoi de fichiers réservé aux administrateurs.")
        # The count is a SQLite file shared by the workers: taken in a worker thread, never on the event loop.
        wait = await anyio.to_thread.run_sync(
            self.events.take, "upload:" + state.get("user", "?"), self.max_per_hour, 3600
        )
        if wait:
            return await _reply(
                send,
                429,
                f"Trop d'envois de fichiers : {self.max_per_hour} par heure ; réessayer dans {wait} s.",
                [(b"retry-after", str(wait).encode())],
            )
        if folder_bytes(self.temp_dir) >= self.max_total_bytes:
            return await _reply(send, 507, "Espace des fichiers envoyés plein : réessayer plus tard.")
        return await self.app(scope, receive, send)
