"""Driver statements on both stores: a batch INSERT stores every row, in order, with the statement's constant
columns; a failing row fails the batch."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from pigeon.store.bulk import DriverStatement
from pigeon.store.engine import Store

_METADATA = sa.MetaData()
_ITEMS = sa.Table("bulk_items", _METADATA, sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
                  sa.Column("name", sa.String, nullable=False), sa.Column("size", sa.Integer),
                  sa.Column("note", sa.String))
_INSERT = DriverStatement(_ITEMS.insert().values(note=sa.null()), ["name", "size"])


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bulk.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database(f"pigeon_bulk_{tmp_path.name[-20:].lower()}")
    instance = Store(url)
    _METADATA.create_all(instance.engine)
    yield instance
    instance.dispose()


@pytest.mark.parametrize("count", [1, 2, 300])
def test_a_batch_insert_stores_every_row_in_order(store: Store, count: int) -> None:
    rows = [(f"item-{n}", n if n % 3 else None) for n in range(count)]
    with store.transaction() as tx:
        assert _INSERT.execute(tx, rows) == count
    with store.transaction(write=False) as tx:
        stored = tx.execute(sa.select(_ITEMS.c.name, _ITEMS.c.size, _ITEMS.c.note).order_by(_ITEMS.c.seq)).all()
    assert [tuple(row) for row in stored] == [(name, size, None) for name, size in rows]


def test_a_failing_row_fails_the_whole_insert(store: Store) -> None:
    rows = [("a", 1), (None, 2), ("c", 3)]  # NOT NULL violated by the second
    with pytest.raises(sa.exc.IntegrityError), store.transaction() as tx:
        _INSERT.execute(tx, rows)
    with store.transaction(write=False) as tx:
        assert tx.execute(sa.select(sa.func.count()).select_from(_ITEMS)).scalar() == 0
