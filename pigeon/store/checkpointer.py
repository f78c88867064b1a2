"""SQLite WAL checkpoints in a background thread, so that commits rarely pay for them.

In WAL mode the commit that finds the log past 1,000 pages copies it back into the database and syncs the
database file (an automatic checkpoint): 4-12 ms on this project's machine, during which that group commit's
requests, and the ones queued behind it, wait. This thread runs a PASSIVE checkpoint every ``interval``
seconds on a connection of its own outside any transaction, which copies what it can without blocking readers
or writers, so a commit reaching the threshold finds little left to copy. Each tick also checks that the
database file is still at its path, and saves the lost one beside it (pigeon/store/database_file.py). The automatic checkpoint stays on:
it is what lets SQLite start the log over. Measured: commits slower than 3 ms, paced like half the sending
benchmark's load, 19 -> 7 in 3,000; p99 at half load 8.7-9.7 -> 7.3-8.0 ms (bench/README.md).
"""

from __future__ import annotations

import logging
import threading

from pigeon.store.database_file import DatabaseUnavailable
from pigeon.store.engine import Store

log = logging.getLogger("pigeon.checkpointer")

DEFAULT_INTERVAL_SECONDS = 0.1


class Checkpointer:
    def __init__(self, store: Store, interval: float = DEFAULT_INTERVAL_SECONDS) -> None:
        self.store = store
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pigeon-checkpointer", daemon=True)

    def start(self) -> Checkpointer:
        """Start the thread; nothing to do on PostgreSQL."""
        if self.store.is_sqlite:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _run(self) -> None:
        connection = self.store.engine.raw_connection()  # autocommit (engine._tune_sqlite): in no transaction
        rescued = False
        try:
            while not self._stop.wait(self.interval):
                try:
                    if self.store.file is not None:
                        self.store.file.check()  # a deleted or replaced file is found within an interval
                    cursor = connection.cursor()
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    cursor.close()
                except DatabaseUnavailable:  # logged once by the store; nothing to copy into a lost file
                    if self.store.file is not None and self.store.file.lost is not None and not rescued:
                        rescued = True  # this connection still reads the lost file: save it beside the path
                        self.store.file.rescue(connection.dbapi_connection)  # type: ignore[arg-type]
                    continue
                except Exception as error:  # noqa: BLE001 - retried on the next tick; commits checkpoint anyway
                    if self.store.file is None or self.store.file.unavailable(error, write=True) is None:
                        log.exception("background checkpoint failed")  # else: the store logged it once
        finally:
            connection.close()
