"""The delivery worker: a background thread that sends due deliveries, one attempt each, and records the
outcome. Runs in ``pigeon serve`` and in ``pigeon worker``; several may share PostgreSQL.

Up to ``concurrency`` attempts are in flight at once, each on a thread of its own, and the worker claims
only as many deliveries as it has free threads: a slow or hanging target (a webhook that answers after its
timeout, an unreachable AWS endpoint) holds one thread for its own attempt while deliveries to every other
target go on, and no claimed delivery waits behind another one long enough for its lease to run out.
After a target fails, deliveries to it that come due within the first backoff step are rescheduled without
a call (their attempt records why), so a dead target costs about one request a second, not one per queued
delivery.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
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


class DeliveryWorker:
    def __init__(self, store: Store, clock: Clock, senders: dict[str, Sender], concurrency: int = 8,
                 lease_seconds: float = 60.0, idle_seconds: float = 0.2) -> None:
        self.store, self.clock, self.senders = store, clock, senders
        self.concurrency, self.lease_seconds, self.idle_seconds = concurrency, lease_seconds, idle_seconds
        self.worker = worker_name()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="pigeon-delivery")
        self._failing: dict[bytes, tuple[float, str]] = {}  # target -> (cooling until, its last error)
        self._failing_lock = threading.Lock()

    def run_once(self) -> int:
        """Claim up to ``concurrency`` due deliveries, attempt them side by side, and return how many there were
        once every attempt is recorded."""
        started = self._start_attempts(self.concurrency)
        for attempt in started:
            attempt.result()
        return len(started)

    def run(self) -> None:
        in_flight: set[Future[None]] = set()
        while not self._stop.is_set():
            try:
                started = self._start_attempts(self.concurrency - len(in_flight))
            except Exception:  # noqa: BLE001 - the loop outlives a database hiccup
                log.exception("claiming deliveries failed")
                started = []
            in_flight.update(started)
            if len(in_flight) >= self.concurrency:
                _, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            elif not started:  # nothing more is due: look again after a pause, or when a thread frees up
                if in_flight:
                    _, in_flight = wait(in_flight, timeout=self.idle_seconds, return_when=FIRST_COMPLETED)
                else:
                    self._stop.wait(self.idle_seconds)

    def _start_attempts(self, free: int) -> list[Future[None]]:
        if free <= 0:
            return []
        claimed = deliveries.claim(self.store, self.worker, self.clock.now(), self.lease_seconds, free)
        return [self._pool.submit(self._attempt, delivery) for delivery in claimed]

    def _attempt(self, delivery: Delivery) -> None:
        """One attempt (or its rescheduling while the target cools down), recorded in its own transaction."""
        target = delivery.kind.encode() + orjson.dumps(delivery.target, option=orjson.OPT_SORT_KEYS)
        error = self._cooling(target)
        if error is None:
            try:
                self.senders[delivery.kind](delivery.target, delivery.payload, delivery.delivery_id)
            except Exception as failure:  # noqa: BLE001 - any failure is retried, and logged
                error = f"{type(failure).__name__}: {failure}"
                log.warning("delivery %s (%s) failed: %s", delivery.delivery_id, delivery.kind, error)
                with self._failing_lock:
                    self._failing[target] = (self.clock.now() + COOL_DOWN_SECONDS, error)
            else:
                with self._failing_lock:
                    self._failing.pop(target, None)
        try:
            with self.store.transaction(write=True) as tx:
                deliveries.finish(tx, delivery, self.worker, self.clock.now(), error)
        except Exception:  # noqa: BLE001 - the claim's lease runs out and the delivery is attempted again
            log.exception("recording delivery %s failed", delivery.delivery_id)

    def _cooling(self, target: bytes) -> str | None:
        with self._failing_lock:
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
        """End the claiming loop; attempts in flight finish on their own (unrecorded ones are retaken after
        their lease)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
        self._pool.shutdown(wait=False, cancel_futures=True)


def build_delivery_worker(runtime: Any) -> DeliveryWorker:
    return DeliveryWorker(runtime.store, runtime.clock, build_senders(runtime.settings))
