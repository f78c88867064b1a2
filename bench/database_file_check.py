"""The cost of watching the SQLite file (pigeon/store/database_file.py) on a write transaction.

One process, one kept connection, write transactions of one INSERT back to back (as a busy group commit's);
rounds alternate the store without its watch, with a ``stat`` before every COMMIT, and with the ``stat``
at most once a millisecond (Pigeon's). Reports the process CPU per transaction.
Usage: .venv/bin/python bench/database_file_check.py [rounds, default 25]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time

from pigeon.store import database_file
from pigeon.store.engine import Store


def main(rounds: int) -> None:
    store = Store(f"sqlite:///{tempfile.mkdtemp()}/pigeon.db")
    with store.transaction(write=True) as tx:
        tx.exec_driver_sql("CREATE TABLE filler (value INTEGER)")
    kept = store.kept_connection()
    watch = store.file

    def microseconds_per_transaction(count: int = 2000) -> float:
        started = time.process_time()
        for _ in range(count):
            with store.transaction(write=True, connection=kept.get()) as tx:
                tx.exec_driver_sql("INSERT INTO filler VALUES (1)")
        return (time.process_time() - started) / count * 1e6

    figures: dict[str, list[float]] = {"no watch": [], "stat before every COMMIT": [], "stat at most 1/ms": []}
    for _ in range(rounds):
        store.file = None
        figures["no watch"].append(microseconds_per_transaction())
        store.file = watch
        database_file.COMMIT_CHECK_SECONDS = 0.0
        figures["stat before every COMMIT"].append(microseconds_per_transaction())
        database_file.COMMIT_CHECK_SECONDS = 0.001
        figures["stat at most 1/ms"].append(microseconds_per_transaction())
    for name, values in figures.items():
        print(f"{name}: median {statistics.median(values):.1f} µs CPU per write transaction, "
              f"lower quartile {statistics.quantiles(values, n=4)[0]:.1f}")
    store.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 25)
