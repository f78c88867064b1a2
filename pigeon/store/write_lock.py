"""One writer at a time on a SQLite database, queued without sleeping.

SQLite lets one transaction write at a time; a writer that finds the lock taken sleeps in SQLite's busy
handler (1, 2, 5, 10, ... 100 ms) and retries, which under load turns a sub-millisecond wait into tens of
milliseconds. Pigeon's writers therefore queue before they begin: threads of one process on a lock,
processes on an advisory lock on a file beside the database (``flock``), both of which wake the next writer
as soon as the current one is done. SQLite's own lock stays the guarantee; this only orders the queue.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from types import TracebackType


class WriteLockTimeout(Exception):
    """Another thread of this process held the write lock past the timeout (a writer waiting for a lock
    another program holds on the database, pigeon/store/database_file.py)."""


class WriteLock:
    """Re-entrant within a thread; exclusive across the threads and processes sharing ``path``.

    A thread waits at most ``timeout`` seconds for the process's other threads (-1: forever): Python's lock
    is not fair, so without a bound a writer could stay behind the others' waits for a locked file for good."""

    def __init__(self, path: Path | None, timeout: float = -1) -> None:
        self._threads = threading.RLock()
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600) if path is not None else None
        self._depth = threading.local()
        self.timeout = timeout

    def __enter__(self) -> None:
        if not self._threads.acquire(timeout=self.timeout):
            raise WriteLockTimeout(f"the write lock was held for more than {self.timeout:g} s")
        depth = getattr(self._depth, "value", 0)
        if depth == 0 and self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except BaseException:
                self._threads.release()
                raise
        self._depth.value = depth + 1

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._depth.value -= 1
        if self._depth.value == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
