"""The delivery worker: a background thread that sends due deliveries and records each outcome. Runs in
``pigeon serve`` and in ``pigeon worker``; several may share PostgreSQL.

Deliveries go out in lanes, one per target (an event destination, an SNS topic, a webhook URL): a lane sends
its deliveries in the order they were queued, so one target receives a message's records in order, while up
to ``concurrency`` lanes run side by side on threads of their own. A slow or hanging target (a webhook
answering after its timeout, an unreachable AWS endpoint) therefore delays only its own lane. Event records
go out in batches (``batch_senders``: up to ``batch_size`` of a lane in the services' batch calls); forwards
one at a time. The worker holds at most ``concurrency`` claimed single deliveries and ``concurrency`` batches
of event records, and renews the claims of a batch that waited in its lane past half the lease, so no other
worker takes them meanwhile. After a target fails, the deliveries to it that come due within the first
backoff step are rescheduled without a call (their attempt records why), so a dead target costs about one
request a second, not one per delivery.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from typing import Any

import orjson

from pigeon import deliveries
from pigeon.clock import Clock
from pigeon.deliveries import Delivery
from pigeon.deliveries.senders import BatchSender, Sender, aws_target, build_batch_senders, build_senders
from pigeon.events.destinations import EventPublisher
from pigeon.messaging.dispatcher import worker_name
from pigeon.store.database_file import DatabaseUnavailable
from pigeon.store.engine import Store

log = logging.getLogger("pigeon.deliveries")

COOL_DOWN_SECONDS = deliveries.RETRY_BASE_SECONDS
"""After a failed attempt, how long other deliveries to the same target are rescheduled without a call."""


def target_of(delivery: Delivery) -> bytes:
    """The lane of a delivery: its kind and target document."""
    return delivery.kind.encode() + orjson.dumps(delivery.target, option=orjson.OPT_SORT_KEYS)


class DeliveryWorker:
    def __init__(self, store: Store, clock: Clock, senders: dict[str, Sender],
                 batch_senders: dict[str, BatchSender] | None = None, concurrency: int = 8, batch_size: int = 100,
                 lease_seconds: float = 60.0, idle_seconds: float = 0.2) -> None:
        self.store, self.clock, self.senders = store, clock, senders
        self.batch_senders = batch_senders or {}
        self.concurrency, self.batch_size = concurrency, batch_size
        self.lease_seconds, self.idle_seconds = lease_seconds, idle_seconds
        self.worker = worker_name()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="pigeon-delivery")
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # notified when held deliveries are recorded
        self._lanes: dict[bytes, deque[tuple[Delivery, float]]] = {}  # target -> (delivery, claimed at), oldest first
        self._held = {False: 0, True: 0}  # claimed and not yet recorded: single deliveries, batched ones
        self._failing: dict[bytes, tuple[float, str]] = {}  # target -> (cooling until, its last error)

    def _limit(self, batched: bool) -> int:
        return self.concurrency * (self.batch_size if batched else 1)

    def run_once(self) -> int:
        """Claim what fits (``concurrency`` single deliveries, as many batches of event records) and return how
        many, once every attempt is recorded."""
        claimed = self._claim()
        with self._changed:
            self._changed.wait_for(lambda: not any(self._held.values()))
        return claimed

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                claimed = self._claim()
            except DatabaseUnavailable as error:  # the store has logged why, once
                log.debug("claiming deliveries failed: %s", error)
                claimed = 0
            except Exception:  # noqa: BLE001 - the loop outlives a database hiccup
                log.exception("claiming deliveries failed")
                claimed = 0
            if claimed:  # more may be due: claim again once half a hand is free, not per recorded delivery
                with self._changed:
                    self._changed.wait_for(lambda: self._stop.is_set() or any(
                        self._held[batched] <= self._limit(batched) // 2 for batched in (False, True)))
            else:
                self._stop.wait(self.idle_seconds)

    def _claim(self) -> int:
        claimed = 0
        batched_kinds = set(self.batch_senders)
        for batched, kinds in ((False, set(deliveries.KINDS) - batched_kinds), (True, batched_kinds)):
            with self._lock:
                free = self._limit(batched) - self._held[batched]
            if kinds and free > 0:
                claimed += self._hold(deliveries.claim(self.store, self.worker, self.clock.now(),
                                                       self.lease_seconds, free, kinds), batched)
        return claimed

    def _hold(self, claimed: list[Delivery], batched: bool) -> int:
        now = self.clock.now()
        with self._lock:
            for delivery in claimed:
                target = target_of(delivery)
                lane = self._lanes.get(target)
                if lane is None:
                    self._lanes[target] = deque([(delivery, now)])
                    self._pool.submit(self._drain, target)
                else:
                    lane.append((delivery, now))
            self._held[batched] += len(claimed)
        return len(claimed)

    def _drain(self, target: bytes) -> None:
        """Send a lane's deliveries in order until it is empty (claims may add to it meanwhile)."""
        while True:
            with self._lock:
                lane = self._lanes[target]
                if not lane:
                    del self._lanes[target]
                    return
                batched = lane[0][0].kind in self.batch_senders
                taken = list(islice(lane, self.batch_size if batched else 1))  # stay in the lane while sent
            try:
                if not self._stop.is_set():  # stopping: left to their lease, attempted again after it
                    self._attempt(taken, target)
            except Exception:  # noqa: BLE001 - the claims' lease runs out and they are attempted again
                log.exception("deliveries %s could not be attempted or recorded", [d.delivery_id for d, _ in taken])
            with self._changed:
                for _ in taken:
                    lane.popleft()
                self._held[batched] -= len(taken)
                self._changed.notify_all()

    def _attempt(self, taken: list[tuple[Delivery, float]], target: bytes) -> None:
        """One attempt of each delivery (or their rescheduling while the target cools down), recorded in one
        transaction."""
        batch = [delivery for delivery, _ in taken]
        now = self.clock.now()
        if now - taken[0][1] > self.lease_seconds / 2:  # the oldest claim waited long: renew them all first
            ours = deliveries.extend(self.store, batch, self.worker, now, self.lease_seconds)
            batch = [delivery for delivery in batch if delivery.delivery_id in ours]  # others: taken by another worker
            if not batch:
                return
        cooling = self._cooling(target)
        errors = [cooling] * len(batch) if cooling is not None else self._send(batch)
        with self._lock:
            if cooling is None and all(error is not None for error in errors):
                self._failing[target] = (self.clock.now() + COOL_DOWN_SECONDS, str(errors[0]))
            elif cooling is None:
                self._failing.pop(target, None)
        with self.store.transaction(write=True) as tx:
            for delivery, error in zip(batch, errors, strict=True):
                deliveries.finish(tx, delivery, self.worker, self.clock.now(), error)

    def _send(self, batch: list[Delivery]) -> list[str | None]:
        kind = batch[0].kind
        try:
            if kind in self.batch_senders:
                errors = self.batch_senders[kind](batch[0].target, [delivery.payload for delivery in batch])
            else:
                self.senders[kind](batch[0].target, batch[0].payload, batch[0].delivery_id)
                errors = [None]
        except Exception as failure:  # noqa: BLE001 - any failure is retried, and logged
            errors = [f"{type(failure).__name__}: {failure}"] * len(batch)
        for delivery, error in zip(batch, errors, strict=True):
            if error is not None:
                log.warning("delivery %s (%s) failed: %s", delivery.delivery_id, kind, error)
        return errors

    def _cooling(self, target: bytes) -> str | None:
        with self._lock:
            found = self._failing.get(target)
            if found is None:
                return None
            until, error = found
            if self.clock.now() >= until:
                del self._failing[target]
                return None
        return f"not attempted: the target failed {COOL_DOWN_SECONDS:g} s ago or less ({error})"

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="pigeon-deliveries", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the claiming loop; lanes in flight finish what they are sending (what they hold beyond that is
        attempted again once its lease runs out)."""
        self._stop.set()
        with self._changed:
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=15)
        self._pool.shutdown(wait=False)


def build_delivery_worker(runtime: Any) -> DeliveryWorker:
    publisher = EventPublisher(aws_target(runtime.settings))
    return DeliveryWorker(runtime.store, runtime.clock, build_senders(runtime.settings, publisher),
                          build_batch_senders(runtime.settings, publisher))
