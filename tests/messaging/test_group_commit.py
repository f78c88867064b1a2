"""The group commit in-process, over a real store: requests' rows are committed before their futures complete,
handed to the local dispatcher already claimed, and stored QUEUED for any worker while its backlog is long."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from pigeon.carriers.simulator import SimulatorCarrier
from pigeon.clock import Clock
from pigeon.common import ids
from pigeon.messaging import outbox
from pigeon.messaging.dispatcher import DispatchConfig, Dispatcher
from pigeon.messaging.group_commit import GroupCommit
from pigeon.runtime import Runtime
from pigeon.scope import Scope
from pigeon.settings import Settings
from pigeon.store import engine
from pigeon.store.engine import Store

SCOPE = Scope("111122223333", "us-east-1")


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    instance = Runtime(Settings(data_dir=tmp_path), Clock())
    instance.start()
    yield instance
    instance.close()


def _row(now: float) -> dict:
    return outbox.new_row(SCOPE, {
        "message_id": ids.new_time_ordered_uuid(), "channel": "TEXT", "origination_identity": "+12065550100",
        "destination": "+14254147755", "created_at": now, "due_at": now, "expires_at": now + 60,
        "payload": {"MessageBody": "hi"}})


def _status(runtime: Runtime, message_id: str) -> tuple[str, str | None] | None:
    with runtime.store.transaction(write=False) as tx:
        message = outbox.get(tx, message_id)
    return (message.status, message.claimed_by) if message else None


async def _submit_all(group: GroupCommit, rows: list[dict], runtime: Runtime) -> list[tuple[str, str | None] | None]:
    futures = [group.submit([row]) for row in rows]
    seen = []
    for row, future in zip(rows, futures, strict=True):
        await future
        seen.append(_status(runtime, row["message_id"]))  # committed before the future completed
    return seen


def test_rows_are_committed_before_the_answer_and_handed_over_claimed(runtime: Runtime) -> None:
    dispatcher = Dispatcher(runtime.store, runtime.clock, SimulatorCarrier(), DispatchConfig(batch_size=5),
                            worker="worker-a")
    group = GroupCommit(runtime.store, runtime.clock.now)
    group.receiver = dispatcher
    group.start()
    try:
        rows = [_row(runtime.clock.now()) for _ in range(30)]
        seen = asyncio.run(_submit_all(group, rows, runtime))
    finally:
        group.stop()
    assert all(status is not None for status in seen)
    assert seen == [(outbox.CLAIMED, "worker-a")] * 30
    assert [message.message_id for message in dispatcher._handed] == [row["message_id"] for row in rows]
    assert 1 <= group.commits <= 30


def test_a_long_backlog_leaves_new_messages_queued_in_the_store(runtime: Runtime) -> None:
    dispatcher = Dispatcher(runtime.store, runtime.clock, SimulatorCarrier(), DispatchConfig(batch_size=1),
                            worker="worker-b")
    dispatcher.hand_over([outbox.message_of(_row(runtime.clock.now())) for _ in range(20)])
    assert not dispatcher.wants_more()
    group = GroupCommit(runtime.store, runtime.clock.now)
    group.receiver = dispatcher
    group.start()
    try:
        row = _row(runtime.clock.now())
        [status] = asyncio.run(_submit_all(group, [row], runtime))
    finally:
        group.stop()
    assert status == (outbox.QUEUED, None)
    assert len(dispatcher._handed) == 20


def test_the_sends_of_one_loop_turn_share_one_commit(runtime: Runtime) -> None:
    group = GroupCommit(runtime.store, runtime.clock.now)
    group.start()
    rows = [_row(runtime.clock.now()) for _ in range(12)]

    async def one_turn() -> None:
        await asyncio.gather(*[group.submit([row]) for row in rows])  # all submitted before the turn ends

    try:
        asyncio.run(one_turn())
    finally:
        group.stop()
    assert group.commits == 1
    assert [_status(runtime, row["message_id"]) for row in rows] == [(outbox.QUEUED, None)] * 12


def test_a_turn_that_ends_after_the_threads_stopped_is_committed_by_the_loop(runtime: Runtime) -> None:
    group = GroupCommit(runtime.store, runtime.clock.now)
    group.start()
    rows = [_row(runtime.clock.now()) for _ in range(3)]

    async def submit_then_stop() -> None:
        futures = [group.submit([row]) for row in rows]
        group.stop()  # the threads end before this turn hands its batch over
        await asyncio.wait_for(asyncio.gather(*futures), 10)
        assert [_status(runtime, row["message_id"]) for row in rows] == [(outbox.QUEUED, None)] * 3
        with pytest.raises(RuntimeError):
            group.submit([_row(runtime.clock.now())])  # a new turn after stopping: the caller commits itself

    asyncio.run(submit_then_stop())


def _backend_pid(group: GroupCommit) -> int:
    return group.run_job(lambda tx: tx.exec_driver_sql("SELECT pg_backend_pid()").scalar()).result(10)


def _kill(postgres, pid: int) -> None:  # type: ignore[no-untyped-def]
    killer = sa.create_engine(postgres.create_database(f"pigeon_killer_{pid}").replace(
        "postgresql://", "postgresql+psycopg://"))
    with killer.connect() as connection:
        assert connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    killer.dispose()


@pytest.mark.parametrize("idle_ping", [True, False])
def test_a_committer_whose_kept_connection_died_reconnects(postgres, monkeypatch, idle_ping: bool) -> None:  # type: ignore[no-untyped-def]
    """Each committer keeps its connection between commits; on PostgreSQL one idle past the threshold is
    pinged first (the next commit works), else the commit that finds it dead fails and the next reconnects."""
    monkeypatch.setattr(engine, "PING_AFTER_IDLE_SECONDS", 0.05 if idle_ping else 60)
    store = Store(postgres.create_database(f"pigeon_kept_connection_{idle_ping}"))
    group = GroupCommit(store, time.time, threads=1)
    group.start()
    try:
        first = _backend_pid(group)
        assert _backend_pid(group) == first  # kept, not checked out anew
        _kill(postgres, first)
        time.sleep(0.2)
        if not idle_ping:
            with pytest.raises(sa.exc.OperationalError):
                _backend_pid(group)
        assert _backend_pid(group) not in (first, None)
    finally:
        group.stop()
        store.dispose()
