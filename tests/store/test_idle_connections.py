"""A pooled PostgreSQL connection that the server closed while it sat idle is replaced, not handed out."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from pigeon.store import engine as engine_module
from pigeon.store.engine import Store


def _store_whose_connection_was_killed(postgres, name: str) -> tuple[Store, int]:  # type: ignore[no-untyped-def]
    """A store whose one pooled connection the server has just terminated, and that connection's pid."""
    store = Store(postgres.create_database(name))
    with store.transaction(write=False) as tx:
        victim = tx.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    killer = sa.create_engine(postgres.create_database(f"{name}_killer").replace(
        "postgresql://", "postgresql+psycopg://"))
    with killer.connect() as connection:
        assert connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": victim}).scalar()
    killer.dispose()
    time.sleep(0.2)
    return store, victim


def test_a_connection_closed_by_the_server_while_idle_is_replaced(postgres, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.05)
    store, victim = _store_whose_connection_was_killed(postgres, "pigeon_idle_connections")
    with store.transaction(write=False) as tx:  # idle past the threshold: pinged, found dead, replaced
        assert tx.exec_driver_sql("SELECT pg_backend_pid()").scalar() != victim
    store.dispose()


def test_a_connection_returned_moments_ago_is_used_without_a_ping(postgres, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The trade-off: within the threshold a dead connection is handed out, its transaction fails, and the
    pool replaces it for the next one."""
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 60)
    store, victim = _store_whose_connection_was_killed(postgres, "pigeon_recent_connections")
    with pytest.raises(sa.exc.OperationalError), store.transaction(write=False) as tx:
        tx.exec_driver_sql("SELECT 1")
    with store.transaction(write=False) as tx:
        assert tx.exec_driver_sql("SELECT pg_backend_pid()").scalar() != victim
    store.dispose()
