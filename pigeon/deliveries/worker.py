"""The delivery worker: a background thread that sends due deliveries, one attempt each, and records the
outcome. Runs in ``pigeon serve`` and in ``pigeon worker``; several may share PostgreSQL.

Deliveries go out in lanes, one per target (an event destination, an SNS topic, a webhook URL): a lane sends
its deliveries one after the other in the order they were queued, so one target receives a message's
records in order, while up to ``concurrency`` lanes run side by side on threads of their own. A slow or
hanging target (a webhook answering after its timeout, an unreachable AWS endpoint) therefore delays only its
own lane. The worker holds at most ``concurrency`` claimed deliveries at a time, and renews the claim of one
that waited in its lane past half the lease, so no other worker takes it while it waits. After a target
fails, the deliveries to it that come due within the first backoff step are rescheduled without a call
(their attempt records why), so a dead target costs about one request a second, not one per delivery.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson

from pigeon import deliveries
from pigeon.clock import Clock
from pigeon.deliveries import Delivery
from pigeon.deliveries.senders import Sender, build_senders
from pigeon.messaging.dispatcher import worker_name
from pigeon.store.engine import Store

log = logging.getLogger("pigeon.deliveries")

COOL_DOWN_SECONDS = deliveries.RETRY_BASE_SECONDS
"""After a failed attempt, how long other deliveries to the same target are rescheduled without a call."""


def target_of(delivery: Delivery) -> bytes:
    """The lane of a delivery: its kind and target document."""
    return delivery.kind.encode() + orjson.dumps(delivery.target, option=orjson.OPT_SORT_KEYS)


class DeliveryWorker:
    def __init__(self, store: Store, clock: Clock, senders: dict[str, Sender], concurrency: int = 8,
                 lease_seconds: float = 60.0, idle_seconds: float = 0.2) -> None:
        self.store, self.clock, self.senders = store, clock, senders
        self.concurrency, self.lease_seconds, self.idle_seconds = concurrency, lease_seconds, idle_seconds
        self.worker = worker_name()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="pigeon-delivery")
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # notified when a held delivery is recorded
        self._lanes: dict[bytes, deque[tuple[Delivery, float]]] = {}  # target -> (delivery, claimed at), oldest first
        self._held = 0  # claimed and not yet recorded
        self._failing: dict[bytes, tuple[float, str]] = {}  # target -> (cooling until, its last error)

    def run_once(self) -> int:
        """Claim up to ``concurrency`` due deliveries and return how many, once every attempt is recorded."""
        claimed = self._claim()
        with self._changed:
            self._changed.wait_for(lambda: self._held == 0)
        return claimed

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                claimed = self._claim()
            except Exception:  # noqa: BLE001 - the loop outlives a database hiccup
                log.exception("claiming deliveries failed")
                claimed = 0
            if claimed:  # more may be due: claim again once half the hand is free, not per recorded delivery
                with self._changed:
                    self._changed.wait_for(lambda: self._held <= self.concurrency // 2 or self._stop.is_set())
            else:
                self._stop.wait(self.idle_seconds)

    def _claim(self) -> int:
        with self._lock:
            free = self.concurrency - self._held
        if free <= 0:
            return 0
        claimed = deliveries.claim(self.store, self.worker, self.clock.now(), self.lease_seconds, free)
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
                self._held += 1
        return len(claimed)

    def _drain(self, target: bytes) -> None:
        """Send a lane's deliveries in order until it is empty (claims may add to it meanwhile)."""
        while True:
            with self._lock:
                lane = self._lanes[target]
                if not lane:
                    del self._lanes[target]
                    return
                delivery, claimed_at = lane[0]  # stays in the lane while attempted: later claims queue behind
            try:
                if not self._stop.is_set():  # stopping: left to its lease, attempted again after it
                    self._attempt(delivery, claimed_at, target)
            except Exception:  # noqa: BLE001 - the claim's lease runs out and the delivery is attempted again
                log.exception("delivery %s could not be attempted or recorded", delivery.delivery_id)
            with self._changed:
                lane.popleft()
                self._held -= 1
                self._changed.notify_all()

    def _attempt(self, delivery: Delivery, claimed_at: float, target: bytes) -> None:
        """One attempt (or its rescheduling while the target cools down), recorded in its own transaction."""
        now = self.clock.now()
        if now - claimed_at > self.lease_seconds / 2 and not deliveries.extend(
                self.store, delivery, self.worker, now, self.lease_seconds):
            return  # waited so long that another worker took it
        error = self._cooling(target)
        if error is None:
            try:
                self.senders[delivery.kind](delivery.target, delivery.payload, delivery.delivery_id)
            except Exception as failure:  # noqa: BLE001 - any failure is retried, and logged
                error = f"{type(failure).__name__}: {failure}"
                log.warning("delivery %s (%s) failed: %s", delivery.delivery_id, delivery.kind, error)
                with self._lock:
                    self._failing[target] = (self.clock.now() + COOL_DOWN_SECONDS, error)
            else:
                with self._lock:
                    self._failing.pop(target, None)
        with self.store.transaction(write=True) as tx:
            deliveries.finish(tx, delivery, self.worker, self.clock.now(), error)

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
        """End the claiming loop; lanes in flight finish what they hold (what they cannot record is attempted
        again once its lease runs out)."""
        self._stop.set()
        with self._changed:
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=15)
        self._pool.shutdown(wait=False)


def build_delivery_worker(runtime: Any) -> DeliveryWorker:
    return DeliveryWorker(runtime.store, runtime.clock, build_senders(runtime.settings))
