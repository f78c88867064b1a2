"""Builds the dispatcher of a process from its settings: the connector (the simulator by default), the MPS
overrides, the lease. Used by ``pigeon serve`` (a background thread) and ``pigeon worker`` (the main loop)."""

from __future__ import annotations

import gc
import logging
import signal
from typing import Any

from pigeon.carriers.routing import CarrierContext, build_router
from pigeon.carriers.simulator import SimulatorCarrier
from pigeon.messaging import feedback
from pigeon.messaging.call_attempts import CallAttempts
from pigeon.messaging.channels import ChannelPreparer
from pigeon.messaging.dispatcher import DispatchConfig, Dispatcher, EventSink


def build_dispatcher(runtime: Any, sink: EventSink | None = None) -> Dispatcher:
    settings = runtime.settings
    simulator = SimulatorCarrier(settings.simulator_rules, settings.simulator_failure_status)
    context = CarrierContext(inbound=carrier_inbound_handler(runtime), clock=runtime.clock.now,
                             data_dir=settings.data_dir, call_attempts=CallAttempts(runtime.store))
    connector = build_router(simulator, settings.carriers, settings.routes, context)
    runtime.carriers = connector
    config = DispatchConfig(batch_size=settings.dispatch_batch_size,
                            lease_seconds=float(settings.dispatch_lease_seconds), mps=dict(settings.mps))
    return Dispatcher(runtime.store, runtime.clock, connector, config, sink, prepare=ChannelPreparer(settings),
                      sweeps=[feedback.expire])


def carrier_inbound_handler(runtime: Any) -> Any:
    """Handset messages from carriers enter the inbound pipeline (reassembled from their parts first)."""
    from pigeon.inbound.carrier import CarrierInbound

    return CarrierInbound(runtime)


def run_worker(runtime: Any) -> int:
    """``pigeon worker``: dispatch messages and send deliveries until SIGINT or SIGTERM."""
    from pigeon.deliveries.worker import build_delivery_worker
    from pigeon.store.checkpointer import Checkpointer

    dispatcher = build_dispatcher(runtime)
    delivery_worker = build_delivery_worker(runtime)
    checkpointer = Checkpointer(runtime.store).start()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: dispatcher.request_stop())
    delivery_worker.start()
    logging.getLogger("pigeon.worker").info("worker %s dispatching", dispatcher.worker)
    gc.collect()
    gc.freeze()  # the service model and the process's long-lived objects: not re-scanned by every collection
    dispatcher.run()
    checkpointer.stop()
    delivery_worker.stop()
    dispatcher.stop()  # unbinds the carriers' links and removes this process's connection state
    return 0
