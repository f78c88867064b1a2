"""The floor of a durable send on this stack: the bare endpoint of `bare_asgi.py` plus only what durability
costs, with none of Pigeon's logic. Each request's JSON is parsed and turned into one outbox-shaped row (the
columns and indexes of Pigeon's `messages` table, a ~500-byte JSON payload); the rows of one event-loop turn go
to a committing thread, which inserts them with the driver's executemany in one SQLite transaction (WAL,
synchronous=NORMAL, as Pigeon), and each request answers its id only after that commit. The process is
pinned to one CPU, as `pigeon serve` is (cpu_affinity: auto).

Usage: durable_floor.py PORT DATABASE_PATH [thread|loop|journal] [CPU|none]
  thread   (default) the committing thread above;
  loop     the same transaction on the event loop, no thread;
  journal  no SQLite: each loop turn's rows appended to DATABASE_PATH.journal with one write() (as durable
           against a crash of the process as SQLite's WAL with synchronous=NORMAL, not against power loss).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable

import orjson
import uvicorn
from bare_asgi import read_json  # beside this file (bench/)

from pigeon.common.ids import new_time_ordered_uuid

SCHEMA = """
create table if not exists messages (
  message_id varchar(36) primary key, account_id varchar(12) not null, region varchar(32) not null,
  channel varchar(8) not null, status varchar(12) not null, origination_identity varchar(256) not null,
  destination varchar(20) not null, created_at float not null, due_at float not null, expires_at float not null,
  attempts integer not null default 0, claimed_by varchar(64), updated_at float not null, payload json not null);
create index if not exists ix_messages_due on messages (status, due_at);
create index if not exists ix_messages_scope on messages (account_id, region, created_at);
"""
INSERT = ("insert into messages (message_id, account_id, region, channel, status, origination_identity, destination,"
          " created_at, due_at, expires_at, attempts, claimed_by, updated_at, payload)"
          " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)")


def _open(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("pragma journal_mode=wal")
    db.execute("pragma synchronous=normal")
    db.executescript(SCHEMA)
    return db


def _commit(db: sqlite3.Connection, rows: list[tuple]) -> None:
    db.execute("begin immediate")
    db.executemany(INSERT, rows)
    db.execute("commit")


class ThreadCommitter:
    """One thread committing each loop turn's rows in one transaction, then resolving the turn's futures."""

    def __init__(self, path: str) -> None:
        self._db = _open(path)
        self._pending: list[tuple[tuple, asyncio.Future]] = []
        self._jobs: list[list[tuple[tuple, asyncio.Future]]] = []
        self._wake = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        threading.Thread(target=self._run, daemon=True).start()

    def add(self, row: tuple) -> asyncio.Future:
        loop = self._loop = self._loop or asyncio.get_running_loop()
        future = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)  # at the end of this loop turn
        self._pending.append((row, future))
        return future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        with self._wake:
            self._jobs.append(batch)
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._jobs:
                    self._wake.wait()
                batch = [item for job in self._jobs for item in job]
                self._jobs.clear()
            _commit(self._db, [row for row, _ in batch])
            assert self._loop is not None
            self._loop.call_soon_threadsafe(_resolve, [future for _, future in batch])


class TurnCommitter:
    """Base of the committers that write each loop turn's rows on the loop itself, at the turn's end."""

    def __init__(self) -> None:
        self._pending: list[tuple[tuple, asyncio.Future]] = []

    def add(self, row: tuple) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((row, future))
        return future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        self.write([row for row, _ in batch])
        _resolve([future for _, future in batch])

    def write(self, rows: list[tuple]) -> None:
        raise NotImplementedError


class LoopCommitter(TurnCommitter):
    """The SQLite transaction on the event loop."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self._db = _open(path)

    def write(self, rows: list[tuple]) -> None:
        _commit(self._db, rows)


class Journal(TurnCommitter):
    """No SQLite: the turn's rows appended to a file with one write()."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self._fd = os.open(path + ".journal", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def write(self, rows: list[tuple]) -> None:
        os.write(self._fd, b"".join(orjson.dumps(row) + b"\n" for row in rows))


def _resolve(futures: list[asyncio.Future]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(None)


committer: ThreadCommitter | TurnCommitter


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    request = await read_json(receive)
    now = time.time()
    message_id = new_time_ordered_uuid()
    payload = orjson.dumps({"body": request.get("MessageBody", ""), "message_type": "TRANSACTIONAL",
                            "origination_number": "+12065550100", "encoding": "GSM", "parts": 1,
                            "price_micros": 5810, "configuration_set": None, "context": None,
                            "destination_country": "US", "number_type": "SIMULATOR",
                            "phone_number_id": "phone-0123456789abcdef0123456789abcdef",
                            "phone_number_arn": "arn:aws:sms-voice:us-east-1:123456789012:phone-number/"
                                                "phone-0123456789abcdef0123456789abcdef",
                            "ttl_seconds": 259200, "feedback": False}).decode()
    await committer.add((message_id, "123456789012", "us-east-1", "SMS", "QUEUED",
                         request.get("OriginationIdentity", ""), request.get("DestinationPhoneNumber", ""),
                         now, now, now + 259200, None, now, payload))
    answer = orjson.dumps({"MessageId": message_id})
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/x-amz-json-1.0"), (b"content-length", str(len(answer)).encode())]})
    await send({"type": "http.response.body", "body": answer})


if __name__ == "__main__":
    mode = sys.argv[3] if len(sys.argv) > 3 else "thread"
    cpu = sys.argv[4] if len(sys.argv) > 4 else "0"
    if cpu != "none":
        os.sched_setaffinity(0, {int(cpu)})  # before any thread starts: every thread inherits it
    committers: dict[str, Callable[[str], ThreadCommitter | TurnCommitter]] = {
        "thread": ThreadCommitter, "loop": LoopCommitter, "journal": Journal}
    committer = committers[mode](sys.argv[2])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False,
                loop="uvloop", http="httptools")
