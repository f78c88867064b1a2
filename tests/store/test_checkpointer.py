"""The background checkpointer copies the SQLite write-ahead log into the database between commits."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa

from pigeon.store.checkpointer import Checkpointer
from pigeon.store.engine import Store


def _write_pages(store: Store, rows: int) -> None:
    with store.transaction(write=True) as tx:
        tx.exec_driver_sql("CREATE TABLE IF NOT EXISTS filler (value TEXT)")
        tx.execute(sa.text("INSERT INTO filler VALUES (:value)"), [{"value": "x" * 1000} for _ in range(rows)])


def test_committed_pages_reach_the_database_file_without_a_commit_crossing_the_threshold(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'pigeon.db'}")
    database = tmp_path / "pigeon.db"
    _write_pages(store, 1)
    time.sleep(0.05)
    before = database.stat().st_size
    _write_pages(store, 200)  # ~50 pages: far below the automatic checkpoint's 1,000
    assert database.stat().st_size == before  # only in the log so far
    checkpointer = Checkpointer(store, interval=0.01).start()
    try:
        deadline = time.monotonic() + 5
        while database.stat().st_size == before and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        checkpointer.stop()
    assert database.stat().st_size > before + 150 * 1000
    with store.transaction(write=False) as tx:  # and the data is intact
        assert tx.exec_driver_sql("SELECT count(*) FROM filler").scalar() == 201
    store.dispose()


def test_on_postgresql_it_starts_no_thread(postgres) -> None:  # type: ignore[no-untyped-def]
    store = Store(postgres.create_database("pigeon_checkpointer"))
    checkpointer = Checkpointer(store).start()
    assert not checkpointer._thread.is_alive()
    checkpointer.stop()
    store.dispose()
