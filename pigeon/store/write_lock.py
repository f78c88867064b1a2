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


class WriteLock:
    """Re-entrant within a thread; exclusive across the threads and processes sharing ``path``."""

    def __init__(self, path: Path | None) -> None:
        self._threads = threading.RLock()
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600) if path is not None else None
        self._depth = threading.local()

    def __enter__(self) -> None:
        self._threads.acquire()
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
