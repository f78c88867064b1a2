"""A pooled PostgreSQL connection that the server closed while it sat idle is replaced, not handed out."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from pigeon.store import engine as engine_module
from pigeon.store.engine import Store


def test_a_connection_closed_by_the_server_while_idle_is_replaced(postgres, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.05)
    store = Store(postgres.create_database("pigeon_idle_connections"))
    with store.transaction(write=False) as tx:
        victim = tx.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    killer = sa.create_engine(postgres.create_database("pigeon_idle_killer").replace(
        "postgresql://", "postgresql+psycopg://"))
    with killer.connect() as connection:
        assert connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": victim}).scalar()
    killer.dispose()
    time.sleep(0.2)  # idle longer than the ping threshold
    with store.transaction(write=False) as tx:  # the pool's only connection was killed: a new one serves
        assert tx.exec_driver_sql("SELECT pg_backend_pid()").scalar() != victim
    store.dispose()


def test_a_connection_returned_moments_ago_is_used_without_a_ping(postgres, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The trade-off: within the threshold a dead connection is handed out, its transaction fails, and the
    pool replaces it for the next one."""
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 60)
    store = Store(postgres.create_database("pigeon_recent_connections"))
    with store.transaction(write=False) as tx:
        victim = tx.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    killer = sa.create_engine(postgres.create_database("pigeon_recent_killer").replace(
        "postgresql://", "postgresql+psycopg://"))
    with killer.connect() as connection:
        connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})
    killer.dispose()
    time.sleep(0.2)
    with pytest.raises(sa.exc.OperationalError), store.transaction(write=False) as tx:
        tx.exec_driver_sql("SELECT 1")
    with store.transaction(write=False) as tx:
        assert tx.exec_driver_sql("SELECT pg_backend_pid()").scalar() != victim
    store.dispose()
