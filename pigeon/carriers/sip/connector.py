"""The SIP connector: ``submit_many`` places calls, ``receipts`` reports their progress as AWS voice statuses.

``submit_many`` returns once each INVITE is out (INITIATED, with the SIP Call-ID), never for a call's duration.
Beyond ``max_concurrent_calls`` it answers TransientCarrierError (retried a second later). Each attempt is
written durably before its INVITE (pigeon/messaging/call_attempts.py): a message claimed again after a crash
is not called a second time. Receipts carry the SIP status, the call's duration and its restated price (per
started minute of the answered call; an unanswered call costs nothing) in ``extra["payload"]``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pigeon.carriers.base import Ack, Outgoing, Receipt, SubmitResult, TransientCarrierError
from pigeon.carriers.sip import audio
from pigeon.carriers.sip.agent import Agent, describe
from pigeon.carriers.sip.config import SipConfig
from pigeon.carriers.sip.trunk import SAFETY_SECONDS, CallEvent, CallRequest, Trunk, billed_minutes

log = logging.getLogger("pigeon.carriers.sip")

BUSY_RETRY_SECONDS = 1.0
"""When every call slot is taken, the dispatcher offers the message again this much later."""
RESTART_SECONDS = 30.0
SWEEP_SECONDS = 5.0
PRUNE_SECONDS = 3600.0
CLOSE_WAIT_SECONDS = 2.0
DEADLINE_MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class _Placed:
    per_minute_micros: int
    fee_per_minute_micros: int
    audio_file: str


class SipConnector:
    kind = "sip"

    def __init__(self, config: SipConfig, context: Any) -> None:
        self.name = config.name
        self.config = config
        self.data_dir = Path(context.data_dir or ".")
        self.clock = context.clock or time.time
        self.attempts = context.call_attempts
        self._lock = threading.Lock()
        self._receipts: list[Receipt] = []
        self._calls: dict[str, _Placed] = {}
        self.counters = {"CallsPlaced": 0, "Completed": 0, "Busy": 0, "NoAnswer": 0, "Failures": 0}
        self.last_error = ""
        self.agent: Agent | None = None
        self.trunk: Trunk | None = None
        self._next_start = 0.0
        self._next_sweep = 0.0
        self._next_prune = 0.0
        self._start()

    def _start(self) -> None:
        try:
            self.agent = Agent.shared()
            agent = self.agent
            self.trunk = agent.run(lambda: Trunk(agent, self.config, self._on_event))
            agent.add_ticker(self.trunk.tick)
            log.info("SIP carrier %s: %s to %s:%d from %s", self.name, self.config.transport, self.config.host,
                     self.config.port, self.trunk.local)
        except Exception as error:  # noqa: BLE001 - a carrier that cannot start refuses calls for now
            self.trunk = None
            self.last_error = describe(error)
            self._next_start = time.monotonic() + RESTART_SECONDS
            log.error("SIP carrier %s cannot start: %s", self.name, self.last_error)

    # --- submitting -------------------------------------------------------------------------------------

    def submit_many(self, outgoings: Sequence[Outgoing]) -> list[SubmitResult]:
        if self.trunk is None and time.monotonic() >= self._next_start:
            self._start()
        results: list[SubmitResult | None] = [None] * len(outgoings)
        now = self.clock()
        ready: list[tuple[int, Outgoing, CallRequest, _Placed]] = []
        for index, outgoing in enumerate(outgoings):
            if self.trunk is None:
                results[index] = TransientCarrierError(f"carrier {self.name}: the SIP stack is not ready: "
                                                       f"{self.last_error}", retry_after=RESTART_SECONDS)
            elif len(self._calls) + len(ready) >= self.config.max_concurrent_calls:
                results[index] = TransientCarrierError(
                    f"carrier {self.name}: {self.config.max_concurrent_calls} calls in progress "
                    f"(max_concurrent_calls)", retry_after=BUSY_RETRY_SECONDS)
            else:
                results[index] = self._prepare(index, outgoing, ready)
        if ready:
            self._place(ready, results, now)
        return results  # type: ignore[return-value]

    def _prepare(self, index: int, outgoing: Outgoing, ready: list[tuple[int, Outgoing, CallRequest, _Placed]]
                 ) -> SubmitResult | None:
        payload = outgoing.payload
        try:
            source = self.data_dir / payload["AudioFile"]
            path, seconds = audio.render(source, self.config.codecs[0])
        except (KeyError, OSError, audio.AudioError) as error:
            return Ack(False, status="FAILED", description=f"The call audio could not be made: {error}",
                       carrier=self.name, charged=False)
        placed = _Placed(int(payload.get("PricePerMinuteMicros", 0)), int(payload.get("CarrierFeePerMinuteMicros", 0)),
                         str(Path(payload["AudioFile"]).with_name(path.name)))
        request = CallRequest(outgoing.message_id, outgoing.origination, outgoing.destination, path, seconds)
        ready.append((index, outgoing, request, placed))
        return None

    def _deadline(self, now: float, request: CallRequest) -> float:
        return (now + self.config.ring_timeout_seconds + request.audio_seconds + self.config.tail_seconds
                + SAFETY_SECONDS + DEADLINE_MARGIN_SECONDS)

    def _place(self, ready: list[tuple[int, Outgoing, CallRequest, _Placed]], results: list[SubmitResult | None],
               now: float) -> None:
        try:
            again = self.attempts.begin(self.name, [(o.message_id, self._deadline(now, r)) for _, o, r, _ in ready],
                                        now) if self.attempts is not None else set()
        except Exception as error:  # noqa: BLE001 - no durable attempt, no call
            log.exception("carrier %s: recording %d call attempts failed", self.name, len(ready))
            for index, *_ in ready:
                results[index] = TransientCarrierError(f"carrier {self.name}: the attempt could not be recorded: "
                                                       f"{error!r}", retry_after=BUSY_RETRY_SECONDS)
            return
        to_call = []
        for index, outgoing, request, placed in ready:
            if outgoing.message_id in again:
                results[index] = Ack(True, "", status="INITIATED", carrier=self.name)
                self._push(Receipt(outgoing.message_id, "FAILED", True,
                                   "A call attempt was recorded before a restart: the call may have been placed, "
                                   "so it is not placed again", extra={"payload": _unbilled(placed)},
                                   carrier=self.name))
                continue
            with self._lock:
                self._calls[outgoing.message_id] = placed
            to_call.append((index, request))
        trunk, agent = self.trunk, self.agent
        assert trunk is not None and agent is not None
        outcomes = agent.run(lambda: [_try(trunk.place, request) for _, request in to_call])
        for (index, request), (call_id, refusal) in zip(to_call, outcomes, strict=True):
            if refusal is None:
                self.counters["CallsPlaced"] += 1
                results[index] = Ack(True, call_id, status="INITIATED", carrier=self.name)
                continue
            with self._lock:
                self._calls.pop(request.message_id, None)
            self.counters["Failures"] += 1
            self.last_error = refusal
            results[index] = Ack(False, status="FAILED", description=f"The call could not be placed: {refusal}",
                                 carrier=self.name, charged=False)

    # --- progress ---------------------------------------------------------------------------------------

    def _on_event(self, event: CallEvent) -> None:
        """A call's step, from the agent thread."""
        with self._lock:
            placed = self._calls.get(event.message_id)
            if placed is None:
                return
            changes: dict[str, Any] = {"SipCallId": event.call_id, "CallAudioFile": placed.audio_file}
            if event.sip_status or event.is_final:
                changes["SipStatus"] = event.sip_status or "no response"
            if event.is_final:
                del self._calls[event.message_id]
                changes |= _billed(placed, event.duration_seconds, event.answered)
                counter = {"COMPLETED": "Completed", "BUSY": "Busy", "NO_ANSWER": "NoAnswer"}.get(event.status,
                                                                                                 "Failures")
                self.counters[counter] += 1
                if counter == "Failures":
                    self.last_error = event.description
            self._receipts.append(Receipt(event.message_id, event.status, event.is_final, event.description,
                                          extra={"payload": changes}, carrier=self.name))

    def _push(self, receipt: Receipt) -> None:
        with self._lock:
            self._receipts.append(receipt)

    def receipts(self) -> list[Receipt]:
        self._sweep()
        with self._lock:
            ready, self._receipts = self._receipts, []
        return ready

    def _sweep(self) -> None:
        """End the calls of processes that died while calling (SUBMITTED past their deadline)."""
        if self.attempts is None or time.monotonic() < self._next_sweep:
            return
        self._next_sweep = time.monotonic() + SWEEP_SECONDS
        try:
            with self._lock:
                mine = set(self._calls)
            orphans = self.attempts.overdue(self.name, self.clock(), mine)
            if time.monotonic() >= self._next_prune:
                self._next_prune = time.monotonic() + PRUNE_SECONDS
                self.attempts.prune(self.clock())
        except Exception:  # noqa: BLE001 - tried again at the next sweep
            log.exception("carrier %s: looking for calls of ended processes failed", self.name)
            return
        for message_id in orphans:
            self._push(Receipt(message_id, "FAILED", True, "The process placing the call ended before the call "
                               "did: its outcome is unknown", extra={"payload": {"PriceMicros": 0,
                                                                                 "CarrierFeeMicros": 0}},
                               carrier=self.name))

    def settle(self, receipts: Sequence[Receipt]) -> None:
        return None

    def status(self) -> list[dict[str, Any]]:
        config = self.config
        with self._lock:
            active = len(self._calls)
        return [{"Name": self.name, "Type": "sip", "State": "READY" if self.trunk is not None else "FAILED",
                 "Host": f"{config.host}:{config.port}", "Transport": config.transport.upper(),
                 "LocalAddress": self.trunk.local if self.trunk is not None else "",
                 "Codecs": list(config.codecs), "ActiveCalls": active,
                 "MaxConcurrentCalls": config.max_concurrent_calls, **self.counters, "LastError": self.last_error}]

    def close(self) -> None:
        """Hang up every call in progress (CANCEL or BYE), wait briefly for them to end, close the transport."""
        trunk, agent = self.trunk, self.agent
        if trunk is None or agent is None:
            return
        self.trunk = None
        try:
            agent.run(trunk.close)
            deadline = time.monotonic() + CLOSE_WAIT_SECONDS
            while time.monotonic() < deadline and agent.run(lambda: trunk.active):
                time.sleep(0.05)
            agent.remove_ticker(trunk.tick)
            agent.run(trunk.shut)
        except Exception:  # noqa: BLE001 - shutting down anyway
            log.exception("closing SIP carrier %s failed", self.name)


def _try(place: Any, request: CallRequest) -> tuple[str, str | None]:
    try:
        return place(request), None
    except Exception as error:  # noqa: BLE001 - the stack refused this INVITE; the others go on
        return "", describe(error)


def _billed(placed: _Placed, seconds: float, answered: bool) -> dict[str, Any]:
    minutes = billed_minutes(seconds, answered)
    return {"CallDurationSeconds": seconds, "BilledMinutes": minutes,
            "PriceMicros": placed.per_minute_micros * minutes, "CarrierFeeMicros": placed.fee_per_minute_micros * minutes}


def _unbilled(placed: _Placed) -> dict[str, Any]:
    return {"CallAudioFile": placed.audio_file, "SipStatus": "not placed", **_billed(placed, 0.0, False)}
