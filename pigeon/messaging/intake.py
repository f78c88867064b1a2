"""Group commit of accepted messages: many sends, one transaction.

A send whose admission needed no write (the usual case: its reads came from the read cache) queues its
outbox row here and waits; one thread inserts everything queued since its last commit in one transaction,
commits, and then wakes the waiting requests, which only now answer with their MessageId. So every
MessageId a client receives is durable, and under load the cost of a commit is shared by all the sends
that arrived while the previous one ran (no timer: an idle server commits a lone send at once).

Without a running intake (a request outside the server's event loop, tools, tests calling in-process) the
rows are committed in a transaction of their own before the call returns.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from pigeon.messaging import outbox
from pigeon.store.engine import Store

log = logging.getLogger("pigeon.intake")

Waiting = tuple[Sequence[dict[str, Any]], asyncio.Future[None], asyncio.AbstractEventLoop]


def insert(tx: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert queued outbox rows in an open write transaction."""
    outbox.enqueue_many(tx, rows)


def commit(runtime: Any, rows: Sequence[dict[str, Any]]) -> Awaitable[None] | None:
    """Commit ``rows``: through the process's intake when the caller runs on an event loop (returns what
    to await), else at once in a transaction of its own (returns None)."""
    running: Intake | None = getattr(runtime, "intake", None)
    if running is not None:
        try:
            return running.submit(rows)
        except RuntimeError:  # no event loop in this thread, or the intake is stopping
            pass
    with runtime.store.transaction(write=True) as tx:
        insert(tx, rows)
    return None


class Intake:
    """The group-commit thread of one process."""

    def __init__(self, store: Store, max_rows: int = 2000) -> None:
        self.store = store
        self.max_rows = max_rows
        self._condition = threading.Condition()
        self._waiting: list[Waiting] = []
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="pigeon-intake", daemon=True)
        self.commits = 0
        self.committed_rows = 0

    def start(self) -> None:
        self._thread.start()

    def submit(self, rows: Sequence[dict[str, Any]]) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()  # RuntimeError outside an event loop: the caller commits itself
        future: asyncio.Future[None] = loop.create_future()
        with self._condition:
            if self._stopping:
                raise RuntimeError("the intake is stopping")
            self._waiting.append((rows, future, loop))
            if len(self._waiting) == 1:
                self._condition.notify()
        return future

    def stop(self, timeout: float = 10.0) -> None:
        """Commit what is queued, then end the thread."""
        with self._condition:
            self._stopping = True
            self._condition.notify()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._waiting and not self._stopping:
                    self._condition.wait()
                if not self._waiting:
                    return
                batch = self._take()
            self._commit(batch)

    def _take(self) -> list[Waiting]:
        """The waiting sends, oldest first, up to ``max_rows`` rows (at least one send)."""
        count, taken = 0, 0
        for rows, _, _ in self._waiting:
            if taken and count + len(rows) > self.max_rows:
                break
            count += len(rows)
            taken += 1
        batch, self._waiting = self._waiting[:taken], self._waiting[taken:]
        return batch

    def _commit(self, batch: list[Waiting]) -> None:
        rows = [row for queued, _, _ in batch for row in queued]
        error: BaseException | None = None
        try:
            with self.store.transaction(write=True) as tx:
                insert(tx, rows)
        except Exception as failure:  # noqa: BLE001 - the waiting requests answer with the error
            log.exception("group commit of %d messages failed", len(rows))
            error = failure
        else:
            self.commits += 1
            self.committed_rows += len(rows)
        by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
        for _, future, loop in batch:
            by_loop.setdefault(loop, []).append(future)
        for loop, futures in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, futures, error)
            except RuntimeError:  # the loop has closed: nobody is waiting any more
                pass


def _settle(futures: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for future in futures:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
