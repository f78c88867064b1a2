"""The delivery worker: a background thread that sends due deliveries, one attempt each, and records the
outcome. Runs in ``pigeon serve`` and in ``pigeon worker``; several may share PostgreSQL."""

from __future__ import annotations

import logging
import threading
from typing import Any

from pigeon import deliveries
from pigeon.clock import Clock
from pigeon.deliveries.senders import Sender, build_senders
from pigeon.messaging.dispatcher import worker_name
from pigeon.store.engine import Store

log = logging.getLogger("pigeon.deliveries")


class DeliveryWorker:
    def __init__(self, store: Store, clock: Clock, senders: dict[str, Sender], batch_size: int = 50,
                 lease_seconds: float = 60.0, idle_seconds: float = 0.2) -> None:
        self.store, self.clock, self.senders = store, clock, senders
        self.batch_size, self.lease_seconds, self.idle_seconds = batch_size, lease_seconds, idle_seconds
        self.worker = worker_name()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Claim and attempt one batch; return how many were attempted."""
        batch = deliveries.claim(self.store, self.worker, self.clock.now(), self.lease_seconds, self.batch_size)
        for delivery in batch:
            error: str | None = None
            try:
                self.senders[delivery.kind](delivery.target, delivery.payload, delivery.delivery_id)
            except Exception as failure:  # noqa: BLE001 - any failure is retried, and logged
                error = f"{type(failure).__name__}: {failure}"
                log.warning("delivery %s (%s) failed: %s", delivery.delivery_id, delivery.kind, error)
            with self.store.transaction(write=True) as tx:
                deliveries.finish(tx, delivery, self.worker, self.clock.now(), error)
        return len(batch)

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                attempted = self.run_once()
            except Exception:  # noqa: BLE001 - the loop outlives a database hiccup
                log.exception("delivery cycle failed")
                attempted = 0
            if attempted < self.batch_size:
                self._stop.wait(self.idle_seconds)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="pigeon-deliveries", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)


def build_delivery_worker(runtime: Any) -> DeliveryWorker:
    return DeliveryWorker(runtime.store, runtime.clock, build_senders(runtime.settings))
