"""A SQLite database file that stops being usable under a running process: a clear error, never a ghost.

SQLite keeps an open file descriptor: when the file is deleted or replaced (``rm``, ``mv`` of another file
over it), the process's connections go on reading and writing the old, unlinked inode, and answer 200 for
messages nobody will ever find again; a connection opened later creates a new empty file at the path. And a
writer that finds the file locked by another program waits in SQLite's busy handler. Here:

- the file Pigeon runs on is the one its first connection opened (device and inode); every later connection,
  write transactions just before their COMMIT (at most one a millisecond), and the checkpointer every 100 ms
  compare the path's identity with it (one ``stat``). Once it differs the store is *lost* for good: every
  transaction is refused until Pigeon is restarted on whatever file is at the path then (docs/decisions.md,
  "Reliability suite"), and the checkpointer saves what its connection still reads of the lost file beside
  the path (``rescue``): the commits of the last millisecond, if any went to the lost file, are in it too;
- a lock held past ``lock_timeout`` seconds (the busy timeout, and the longest a writer waits for the
  process's other writers), a read-only file, a full disk, an I/O error become ``DatabaseUnavailable`` naming
  what happened; the store logs one line when such a failure begins and one when a transaction succeeds
  again (nothing to restart: the next transaction tries again). Once a writer has waited for a lock in vain,
  the next writers try it without waiting (``locked_out``) until one commits: requests fail at once instead of
  each waiting its turn, and the first writer to find the lock free ends it.

This module knows no AWS error: the service layer renders ``DatabaseUnavailable`` as InternalServerException.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from pigeon.store.write_lock import WriteLockTimeout

log = logging.getLogger("pigeon.store")

DEFAULT_LOCK_TIMEOUT_SECONDS = 5.0
COMMIT_CHECK_SECONDS = 0.001
_LOCKED_OUT = "pigeon_locked_out"  # in a connection's info: its busy timeout is 0 (see DatabaseFile.wait_for_lock)

_FAILURES = {  # SQLite's primary result codes that say the file, not the statement, is the problem
    sqlite3.SQLITE_BUSY: "is locked by another program or connection",
    sqlite3.SQLITE_LOCKED: "is locked by another connection",
    sqlite3.SQLITE_READONLY: "cannot be written (read-only)",
    sqlite3.SQLITE_IOERR: "cannot be read or written (disk I/O error)",
    sqlite3.SQLITE_CORRUPT: "is corrupt",
    sqlite3.SQLITE_FULL: "cannot grow (the disk or the file size limit is full)",
    sqlite3.SQLITE_CANTOPEN: "cannot be opened",
    sqlite3.SQLITE_NOTADB: "is not a database",
}


class DatabaseUnavailable(Exception):
    """The database cannot serve a transaction now; the message says why (nothing of it was committed)."""


class DatabaseFile:
    """The watch over one SQLite database file (see the module's docstring)."""

    def __init__(self, path: Path, lock_timeout: float = DEFAULT_LOCK_TIMEOUT_SECONDS) -> None:
        self.path = path
        self._path = os.fsencode(path)  # os.stat of bytes: no conversion on each check
        self.lock_timeout = lock_timeout
        self.lost: str | None = None
        """Why the file Pigeon runs on is gone from its path (sticky until restart); None while it is there."""
        self._identity: tuple[int, int] | None = None
        self._failing: str | None = None
        self._failing_write = False
        self.locked_out = False
        """A writer waited ``lock_timeout`` in vain and none has committed since: the next writers try the
        lock once without waiting (the first to get it ends this), so that requests do not each wait in turn."""
        self._guard = threading.Lock()
        self._next_check = 0.0

    def _current(self) -> tuple[int, int] | None:
        try:
            status = os.stat(self._path)
        except FileNotFoundError:
            return None
        return status.st_dev, status.st_ino

    def opened(self) -> None:
        """A connection has just opened the path: the first names the file; a later one must find it."""
        current = self._current()
        if self._identity is None and self.lost is None:
            self._identity = current
        elif current != self._identity:
            self._lose(current)
        self.refuse_if_lost()

    def check(self) -> None:
        """Refuse (``DatabaseUnavailable``) when the path no longer holds the file Pigeon runs on."""
        if self.lost is None and self._identity is not None:
            current = self._current()
            if current != self._identity:
                self._lose(current)
        self.refuse_if_lost()

    def check_before_commit(self) -> None:
        """``check``, at most once per ``COMMIT_CHECK_SECONDS``: a ``stat`` costs 4-7 µs next to SQLite's work
        (a tenth of a small write transaction), so commits that follow each other closely share one."""
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + COMMIT_CHECK_SECONDS
            self.check()
        elif self.lost is not None:
            self.refuse_if_lost()

    def rescue(self, held: sqlite3.Connection) -> Path | None:
        """Save what ``held`` (a connection opened before the file was lost) still reads of it, beside the
        path, as ``<name>.lost-<time>-<pid>``: what was committed, the messages accepted just before too."""
        target = self.path.with_name(f"{self.path.name}.lost-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
        try:
            with closing(sqlite3.connect(target)) as copy:
                held.backup(copy)
        except Exception:  # noqa: BLE001 - the directory may be gone too; the loss itself is already logged
            log.exception("could not save the lost database file %s to %s", self.path, target)
            return None
        log.error("database file %s: what this process still held of it is saved in %s; to keep it, stop Pigeon, "
                  "move it to %s and start Pigeon again", self.path, target, self.path)
        return target

    def refuse_if_lost(self) -> None:
        if self.lost is not None:
            raise DatabaseUnavailable(f"The database file {self.lost} while Pigeon ran. Nothing was changed; "
                                      "Pigeon must be restarted.")

    def _lose(self, current: tuple[int, int] | None) -> None:
        with self._guard:
            if self.lost is not None:
                return
            self.lost = "was deleted" if current is None else "was replaced by another file"
        log.error("database file %s %s under the running process (it was device %s inode %s): refusing every "
                  "request until Pigeon is restarted; nothing is written to the old file any more",
                  self.path, self.lost, *(self._identity or ("?", "?")))

    def unavailable(self, error: Exception, write: bool) -> DatabaseUnavailable | None:
        """The clear error for a driver error that is about the file, or a writer's wait for the process's
        other writers past the bound (None for any other error)."""
        code = getattr(getattr(error, "orig", error), "sqlite_errorcode", None)  # SQLAlchemy's or the driver's
        primary = code & 0xFF if isinstance(code, int) else None  # the extended code's primary result
        if isinstance(error, WriteLockTimeout):
            primary = sqlite3.SQLITE_BUSY
        what = _FAILURES.get(primary) if primary is not None else None
        if what is None:
            return None
        if primary == sqlite3.SQLITE_BUSY:
            what += f" (waited {self.lock_timeout:g} s)"
        with self._guard:
            begins, self._failing = self._failing != what, what
            self._failing_write = write
            self.locked_out = write and primary == sqlite3.SQLITE_BUSY
        if begins:
            log.error("database file %s %s: %s; requests get InternalServerException until it is usable",
                      self.path, what, getattr(error, "orig", error))
        return DatabaseUnavailable(f"The database {what}. Nothing was changed; try again.")

    def wait_for_lock(self, connection: Any) -> None:
        """Set the busy timeout of a writer's ``connection`` (an SQLAlchemy Connection): ``lock_timeout``,
        or none while ``locked_out``. A statement only when the state changed since the connection's last use."""
        info = connection.info
        if info.get(_LOCKED_OUT, False) is not self.locked_out:
            wait = 0 if self.locked_out else int(self.lock_timeout * 1000)
            connection.connection.dbapi_connection.execute(f"PRAGMA busy_timeout={wait}")  # outside a transaction
            info[_LOCKED_OUT] = self.locked_out

    def succeeded(self, write: bool) -> None:
        """A transaction committed: a failure logged before is over (a read's success ends only a read's
        failure: a file another program locks for writing can still be read)."""
        if self._failing is not None and (write or not self._failing_write):
            with self._guard:
                failing, self._failing = self._failing, None
                self.locked_out = False
            if failing is not None:
                log.warning("database file %s is usable again, after a failure (it %s)", self.path, failing)
