"""How many configuration changes have been committed, as every process of one Pigeon sees it.

A write transaction that changes configuration (resources, accounts, account settings, resource shares)
marks itself with ``mark_changed``; when it has committed, the store bumps the counter. The per-process read
cache (pigeon/store/read_cache.py) serves a value only while the counter is where it was when the value was
read, so a change made by any process is seen by the next request of every process:

- SQLite (processes on one machine, one database file): the counter is 8 bytes of a shared memory-mapped
  file beside the database; reading it costs a memory load.
- PostgreSQL (processes anywhere): the writing transaction sends ``NOTIFY pigeon_changes``, delivered at
  commit; each process listens on its own connection and moves its counter on every notification. While
  the listener is not connected the counter moves on every read, so nothing is served from the cache.
- in-memory SQLite: one process, a plain counter.
"""

from __future__ import annotations

import fcntl
import itertools
import logging
import mmap
import os
import threading
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import Connection, make_url

log = logging.getLogger("pigeon.store")

CHANGED = "pigeon_config_changed"
"""Connection.info key: this transaction has changed configuration (cleared when a transaction begins)."""
NOTIFY_CHANNEL = "pigeon_changes"
_U64_SIZE = 8


class ChangeCounter(Protocol):
    def current(self) -> int: ...

    def bump(self) -> None:
        """Called by the process that committed a change, after the commit."""

    def close(self) -> None: ...


def mark_changed(tx: Connection) -> None:
    """Note that ``tx`` changes configuration: caches are invalidated when it commits."""
    info = tx.info
    if info.get(CHANGED):
        return
    info[CHANGED] = True
    if tx.dialect.name == "postgresql":
        tx.exec_driver_sql(f"NOTIFY {NOTIFY_CHANNEL}")  # delivered to every listener when tx commits


class LocalCounter:
    """One process only (an in-memory database)."""

    def __init__(self) -> None:
        self._ticks = itertools.count(1)
        self._value = 0

    def current(self) -> int:
        return self._value

    def bump(self) -> None:
        self._value = next(self._ticks)

    def close(self) -> None:
        pass


class FileCounter:
    """A counter in a memory-mapped file shared by the processes of one machine (SQLite)."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self._fd).st_size < _U64_SIZE:
            os.ftruncate(self._fd, _U64_SIZE)
        self._map = mmap.mmap(self._fd, _U64_SIZE)
        self._value = memoryview(self._map).cast("Q")
        """The counter as a native unsigned 64-bit integer (one aligned load per read)."""

    def current(self) -> int:
        return self._value[0]  # type: ignore[no-any-return]

    def bump(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            self._value[0] += 1
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self._value.release()
        self._map.close()
        os.close(self._fd)


class NotifyCounter:
    """A counter moved by PostgreSQL notifications (LISTEN on a connection of its own, in a thread)."""

    def __init__(self, url: str, retry_seconds: float = 1.0) -> None:
        self._conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._ticks = itertools.count(1)
        self._value = 0
        self._listening = False
        self._retry_seconds = retry_seconds
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="pigeon-changes", daemon=True)
        self._thread.start()

    def current(self) -> int:
        if not self._listening:
            self._value = next(self._ticks)  # not listening: every read is a new generation, no cache hits
        return self._value

    def bump(self) -> None:
        self._value = next(self._ticks)

    def wait_listening(self, timeout: float) -> bool:
        """For tests and start-up: whether the listener connected within ``timeout`` seconds."""
        return self._connected.wait(timeout)

    def _listen(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self._listening = True
                    self._connected.set()
                    self.bump()  # whatever was cached before the listener connected is suspect
                    while not self._stop.is_set():
                        for _ in connection.notifies(timeout=0.5):
                            self.bump()
            except Exception:  # noqa: BLE001 - a lost connection: serve nothing from cache, reconnect
                if not self._stop.is_set():
                    log.warning("change listener lost its connection; reconnecting", exc_info=True)
            finally:
                self._listening = False
                self._connected.clear()
                self.bump()
            self._stop.wait(self._retry_seconds)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2.0)


def beside_database(url: str, suffix: str) -> Path | None:
    """A file next to a SQLite database file (None for PostgreSQL or an in-memory database)."""
    database = make_url(url).database if url.startswith("sqlite") else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(f"{database}{suffix}")


def counter_for(url: str) -> ChangeCounter:
    """The counter fitting a (normalized) database URL."""
    if url.startswith("postgresql"):
        return NotifyCounter(url)
    path = beside_database(url, ".changes")
    return FileCounter(path) if path is not None else LocalCounter()
