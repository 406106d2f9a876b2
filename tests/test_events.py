"""Limits and conversations shared by the processes of ``serve --workers N``: counted or kept in SQLite files, so
that a client gets the same limits, and a conversation goes on, whichever process takes its request."""

from __future__ import annotations

import multiprocessing

from assistant.auth import Throttle
from assistant.conversations import Conversations, new_id
from assistant.events import EventLog


def _take_many(path: str, n: int, out, start) -> None:
    log = EventLog(path)
    start.wait(30)  # both processes take at the same time
    out.put(sum(1 for _ in range(n) if log.take("upload:admin", 120, 3600) == 0))


def test_uploads_are_counted_once_across_processes(tmp_path):
    """Two processes taking 100 uploads each, at once, under a limit of 120 an hour: 120 pass in all, not 200
    (nor more than 120, as a count then insert without one transaction would let through)."""
    ctx = multiprocessing.get_context("spawn")
    out, start = ctx.Queue(), ctx.Barrier(2)
    procs = [ctx.Process(target=_take_many, args=(str(tmp_path / "events.sqlite"), 100, out, start)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert sum(out.get(timeout=5) for _ in procs) == 120
    log = EventLog(tmp_path / "events.sqlite")
    assert log.take("upload:admin", 120, 3600) > 0  # the limit holds for a third process too
    assert log.take("upload:other", 120, 3600) == 0  # per user


def test_failed_logins_in_one_worker_count_in_another(tmp_path):
    """Five failures spread over two workers' throttles lock the client out of both."""
    a = Throttle(max_failures=5, window=60, events=EventLog(tmp_path / "events.sqlite"))
    b = Throttle(max_failures=5, window=60, events=EventLog(tmp_path / "events.sqlite"))
    for _ in range(3):
        a.fail("client:1.2.3.4", "user:alice")
    assert a.retry_after("client:1.2.3.4") == 0 and b.retry_after("client:1.2.3.4") == 0
    for _ in range(2):
        b.fail("client:1.2.3.4", "user:alice")
    assert 0 < a.retry_after("client:1.2.3.4") <= 61
    assert 0 < b.retry_after("user:alice") <= 61
    assert b.retry_after("client:5.6.7.8", "user:bob") == 0


def test_events_outside_the_window_are_forgotten(tmp_path):
    log = EventLog(tmp_path / "events.sqlite", horizon=3600)
    for t in (0.0, 10.0, 20.0):
        log.add("k", now=t)
    assert log.wait(["k"], 3, 60, now=30.0) == 31  # the oldest of the three leaves the window at t=60
    assert log.wait(["k"], 3, 60, now=61.0) == 0
    log.add("k", now=10_000.0)  # older than the horizon: deleted
    count = log._connect().execute("SELECT COUNT(*) FROM events").fetchone()[0]
    assert count == 1


def test_in_memory_log_for_one_process():
    t = Throttle(max_failures=2, window=60)
    t.fail("client:x")
    assert t.retry_after("client:x") == 0
    t.fail("client:x")
    assert t.retry_after("client:x") > 0


def test_a_conversation_goes_on_in_another_process_and_strangers_get_none(tmp_path):
    one = Conversations(tmp_path / "conversations.sqlite")
    other = Conversations(tmp_path / "conversations.sqlite")
    cid = new_id()
    one.put(cid, {"history": ["qui pilote le ciblage des CAQES ?"], "last": {"question": "q"}})
    assert other.get(cid)["history"] == ["qui pilote le ciblage des CAQES ?"]
    assert other.get(new_id()) == {}  # an unknown id: a new conversation
    assert other.get("../../etc/passwd") == {} and other.get(None) == {} and other.get(cid.upper()) == {}


def test_old_conversations_are_forgotten(tmp_path):
    store = Conversations(tmp_path / "conversations.sqlite", max_age=0.5)
    cid = new_id()
    store.put(cid, {"history": ["x"]})
    import time

    time.sleep(0.6)
    assert store.get(cid) == {}
    store.put(new_id(), {})
    rows = store._connect().execute("SELECT COUNT(*) FROM conversations").fetchone()[0]
    assert rows == 1  # the expired one was deleted


def test_conversations_kept_are_bounded(tmp_path):
    store = Conversations(tmp_path / "conversations.sqlite", max_kept=3)
    ids = [new_id() for _ in range(5)]
    for cid in ids:
        store.put(cid, {"history": [cid]})
    assert [bool(store.get(cid)) for cid in ids] == [False, False, True, True, True]  # the oldest went first


def test_a_new_file_is_put_in_wal_mode_while_another_connection_writes(tmp_path):
    """SQLite refuses the switch to WAL at once, busy timeout or not, while another connection holds the write
    lock (two workers opening events.sqlite together: one of them crashed at its start): ``use_wal`` waits."""
    import sqlite3
    import threading

    from assistant.catalog import use_wal

    path = tmp_path / "events.sqlite"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE t (x)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (1)")
    other = sqlite3.connect(path, isolation_level=None, timeout=5)
    try:
        other.execute("PRAGMA journal_mode=WAL")
        raise AssertionError("SQLite waited: the case this test is about did not happen")
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
    threading.Timer(0.3, lambda: writer.execute("COMMIT")).start()
    use_wal(other)
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    log = EventLog(path)  # and an EventLog opens the file as it is now
    assert log.take("upload:admin", 1, 3600) == 0
