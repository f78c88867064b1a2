"""Group commit: the writes of many sends, and the dispatcher's, in one transaction.

A send whose admission needed no write (the usual case: its reads came from the read cache) queues its
outbox row here and waits; the dispatcher queues its status changes (as a job). One thread commits
everything queued since its last commit in one transaction, then wakes the waiting requests, which only now
answer with their MessageId: every MessageId a client receives is durable. Under load the cost of a commit
is shared by all the work that arrived while the previous one ran. The sends of one event-loop turn gather
on the loop (no lock) and join the batch together when the turn is over, waking an idle thread then (no
timer: a lone send is committed at once, and the sends that one turn handled share a commit instead of the
first waking the thread alone); a turn that ends after the threads have stopped is committed by the loop.
On SQLite there is one writer per process, so sends never queue behind the dispatcher's transactions for
the write lock.
On PostgreSQL two threads take turns: while one waits for its commit to be flushed, the other gathers and
writes the next batch (the dispatcher waits for each of its jobs, so its changes stay in order).

When this process runs a dispatcher, new messages are inserted already claimed by it (with its lease) and
handed to it in memory after the commit, so it need not find them with a query. A process that dies leaves
them claimed; the lease runs out and any worker takes them, as with every claim.

Without a running group commit (a request outside the server's event loop, tools, tests calling
in-process) the rows are committed in a transaction of their own before the call returns.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from pigeon.errors import InternalError
from pigeon.messaging import outbox
from pigeon.messaging.outbox import Message
from pigeon.store.database_file import DatabaseUnavailable
from pigeon.store.engine import KeptConnection, Store

log = logging.getLogger("pigeon.group_commit")

Job = Callable[[Connection], Any]


class Receiver(Protocol):
    """The dispatcher of this process, as the group commit sees it."""

    worker: str
    lease_seconds: float

    def wants_more(self) -> bool:
        """False while its backlog is long: new messages are then stored QUEUED, for any worker's claim."""

    def hand_over(self, messages: list[Message]) -> None: ...


def insert(tx: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert queued outbox rows in an open write transaction."""
    outbox.enqueue_many(tx, rows)


def commit(runtime: Any, rows: Sequence[dict[str, Any]]) -> Awaitable[None] | None:
    """Commit ``rows``: through the process's group commit when the caller runs on an event loop (returns
    what to await), else at once in a transaction of its own (returns None)."""
    running: GroupCommit | None = runtime.group_commit
    if running is not None:
        try:
            return running.submit(rows)
        except RuntimeError:  # no event loop in this thread, or stopping
            pass
    with runtime.store.transaction(write=True) as tx:
        insert(tx, rows)
    return None


@dataclass
class _Batch:
    rows: list[dict[str, Any]] = field(default_factory=list)
    waiting: list[tuple[asyncio.Future[None], asyncio.AbstractEventLoop]] = field(default_factory=list)
    jobs: list[tuple[Job, Future[Any]]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.waiting or self.jobs)


class GroupCommit:
    """The writing thread(s) of a process for new messages and the dispatcher's changes."""

    def __init__(self, store: Store, now: Callable[[], float], threads: int | None = None) -> None:
        self.store = store
        self.now = now
        self.receiver: Receiver | None = None
        self._condition = threading.Condition()
        self._next = _Batch()
        self._stopping = False
        self._turns: dict[asyncio.AbstractEventLoop, _Batch] = {}  # each loop's sends of its current turn
        # SQLite has one writer at a time; on PostgreSQL a second committer gathers the next batch while the
        # first waits for its commit's WAL flush.
        count = threads if threads is not None else (1 if store.is_sqlite else 2)
        self._threads = [threading.Thread(target=self._run, name=f"pigeon-group-commit-{n}", daemon=True)
                         for n in range(count)]
        self.commits = 0
        self._running = 0  # threads that have not ended (under the condition)

    def start(self) -> None:
        self._running = len(self._threads)
        for thread in self._threads:
            thread.start()

    def submit(self, rows: Sequence[dict[str, Any]]) -> asyncio.Future[None]:
        """Queue a request's rows; the returned future completes when they are committed."""
        loop = asyncio.get_running_loop()  # RuntimeError outside an event loop: the caller commits itself
        future: asyncio.Future[None] = loop.create_future()
        turn = self._turns.get(loop)
        if turn is None:  # the turn's first send: no lock until the turn hands its batch over
            if self._stopping:
                raise RuntimeError("the group commit is stopping")
            turn = self._turns[loop] = _Batch()
            loop.call_soon(self._kick, loop)
        turn.rows.extend(rows)
        turn.waiting.append((future, loop))
        return future

    def _kick(self, loop: asyncio.AbstractEventLoop) -> None:
        """Hand the loop's turn to the thread once the turn is over: every send it handled shares a batch."""
        turn = self._turns.pop(loop)
        with self._condition:
            if self._running:
                self._next.rows.extend(turn.rows)
                self._next.waiting.extend(turn.waiting)
                self._condition.notify()
                return
        connection = self.store.kept_connection()  # the threads have ended (stopping): commit here
        try:
            self._commit(turn, connection)
        finally:
            connection.release()

    def run_job(self, job: Job) -> Future[Any]:
        """Run ``job(tx)`` in the next group transaction (in a savepoint: its failure is its own); the
        future holds its result once committed."""
        future: Future[Any] = Future()
        with self._condition:
            if self._stopping:
                raise RuntimeError("the group commit is stopping")
            self._next.jobs.append((job, future))
            self._condition.notify()
        return future

    def stop(self, timeout: float = 10.0) -> None:
        """Commit what is queued, then end the threads."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout)

    def _run(self) -> None:
        connection = self.store.kept_connection()  # no pool checkout per commit: +15 % sends on SQLite
        try:
            while True:
                with self._condition:
                    while not self._next and not self._stopping:
                        self._condition.wait()
                    if not self._next:
                        self._running -= 1
                        return
                    batch, self._next = self._next, _Batch()
                self._commit(batch, connection)
        finally:
            connection.release()

    def _commit(self, batch: _Batch, connection: KeptConnection) -> None:
        receiver = self.receiver if self.receiver is not None and self.receiver.wants_more() else None
        claimed = self._claim_for(receiver, batch.rows) if receiver is not None else None
        results: list[tuple[Future[Any], Any, BaseException | None]] = []
        try:
            with self.store.transaction(write=True, connection=connection.get()) as tx:
                insert(tx, batch.rows)
                for job, future in batch.jobs:
                    results.append((future, *_run_job(tx, job)))
        except DatabaseUnavailable as unavailable:  # logged by the store once; each request logs its answer
            connection.release()
            log.debug("group commit of %d messages and %d jobs failed: %s", len(batch.rows), len(batch.jobs),
                        unavailable)
            self._settle_requests(batch, InternalError(str(unavailable)))
            for _, future in batch.jobs:
                future.set_exception(unavailable)
            return
        except Exception as failure:  # noqa: BLE001 - every waiter answers with the error
            connection.release()
            log.exception("group commit of %d messages and %d jobs failed", len(batch.rows), len(batch.jobs))
            self._settle_requests(batch, failure)
            for _, future in batch.jobs:
                future.set_exception(failure)
            return
        with self._condition:
            self.commits += 1
        self._settle_requests(batch, None)
        for future, result, error in results:
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)
        if receiver is not None and claimed:
            receiver.hand_over(claimed)

    def _claim_for(self, receiver: Receiver, rows: list[dict[str, Any]]) -> list[Message]:
        """Mark new rows as claimed by this process's dispatcher (they are handed to it after the commit)."""
        due_at = self.now() + receiver.lease_seconds
        for row in rows:
            row.update(status=outbox.CLAIMED, claimed_by=receiver.worker, due_at=due_at)
        return [outbox.message_of(row) for row in rows]

    @staticmethod
    def _settle_requests(batch: _Batch, error: BaseException | None) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
        for future, loop in batch.waiting:
            by_loop.setdefault(loop, []).append(future)
        for loop, futures in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, futures, error)
            except RuntimeError:  # the loop has closed: nobody is waiting any more
                pass


def _run_job(tx: Connection, job: Job) -> tuple[Any, BaseException | None]:
    savepoint = tx.begin_nested()
    try:
        result = job(tx)
    except Exception as error:  # noqa: BLE001 - one failing job must not undo the others' work
        savepoint.rollback()
        log.exception("a job in the group commit failed")
        return None, error
    savepoint.commit()
    return result, None


def _settle(futures: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for future in futures:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
