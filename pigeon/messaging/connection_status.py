"""Carrier connection state shared through the store: every process with configured carriers writes its
binds' state every few seconds, and the inspection API shows every process's (a process that stopped
writing for a while is left out)."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pigeon.store.engine import Store
from pigeon.store.schema import carrier_status

WRITE_SECONDS = 2.0
STALE_SECONDS = 30.0
_S = carrier_status.c


def write(tx: Connection, process: str, entries: list[dict[str, Any]]) -> None:
    """Replace ``process``'s rows with ``entries`` (those of configured carriers; the simulator has no state)."""
    now = time.time()
    rows = [{"process": process, "carrier": entry["Name"], "bind": int(entry.get("Bind", 0)), "updated_at": now,
             "status": {**entry, "Process": process}}
            for entry in entries if entry.get("Type") != "simulator"]
    tx.execute(carrier_status.delete().where(sa.or_(_S.process == process, _S.updated_at < now - 3600)))
    if rows:
        tx.execute(carrier_status.insert(), rows)


def remove(store: Store, process: str) -> None:
    with store.transaction(write=True) as tx:
        tx.execute(carrier_status.delete().where(_S.process == process))


def read(store: Store) -> list[dict[str, Any]]:
    """Every live process's connections, by carrier and bind."""
    with store.transaction(write=False) as tx:
        rows = tx.execute(sa.select(_S.status, _S.updated_at).where(_S.updated_at >= time.time() - STALE_SECONDS)
                          .order_by(_S.carrier, _S.bind, _S.process)).all()
    return [{**dict(row.status), "UpdatedAt": row.updated_at} for row in rows]
