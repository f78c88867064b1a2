"""The SIP connector: ``submit_many`` places calls, ``receipts`` reports their progress as AWS voice statuses.

The calls themselves run in call processes (pigeon/carriers/sip/helper.py, up to 4 calls each: the PJSUA2
build's limit), as many as ``max_concurrent_calls`` needs; this side keeps the policy and the bookkeeping.
``submit_many`` returns once each INVITE is out (INITIATED, with the SIP Call-ID), never for a call's duration.
Beyond ``max_concurrent_calls`` it answers TransientCarrierError (retried a second later). Each attempt is
written durably before its INVITE (pigeon/messaging/call_attempts.py): a message claimed again after a crash
is not called a second time. Receipts carry the SIP status, the call's duration and its restated price (per
started minute of the answered call; an unanswered call costs nothing) in ``extra["payload"]``.
"""

from __future__ import annotations

import json
import logging
import math
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from pigeon import cpu_affinity
from pigeon.carriers.base import Ack, Outgoing, Receipt, SubmitResult, TransientCarrierError
from pigeon.carriers.sip import audio
from pigeon.carriers.sip.calls import SAFETY_SECONDS, CallRequest, billed_minutes
from pigeon.carriers.sip.config import SipConfig
from pigeon.carriers.sip.helper import CALLS_PER_PROCESS

log = logging.getLogger("pigeon.carriers.sip")

BUSY_RETRY_SECONDS = 1.0
"""When every call slot is taken, the dispatcher offers the message again this much later."""
RESTART_SECONDS = 30.0
SWEEP_SECONDS = 5.0
PRUNE_SECONDS = 3600.0
CLOSE_WAIT_SECONDS = 5.0
DEADLINE_MARGIN_SECONDS = 60.0
START_SECONDS = 20.0
PLACE_SECONDS = 10.0


@dataclass(frozen=True)
class _Placed:
    per_minute_micros: int
    fee_per_minute_micros: int
    audio_file: str


class _CallProcess:
    """One call process: its pipe, the calls it holds, the answers awaited from it."""

    def __init__(self, config: SipConfig, index: int, on_line: Any) -> None:
        port = config.local_port + index if config.local_port else 0
        self.process = subprocess.Popen([sys.executable, "-m", "pigeon.carriers.sip.helper", config.name, str(index)],
                                        stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, bufsize=1)
        cpu_affinity.unpin(self.process.pid)  # media work of its own, not on the requests' CPU
        self.calls: set[str] = set()
        self.pending: dict[str, Future[dict[str, Any]]] = {}
        self.ready: Future[dict[str, Any]] = Future()
        self.local = ""
        self.lock = threading.Lock()
        self._stdin: IO[str] = self.process.stdin  # type: ignore[assignment]
        self.send({"config": {**asdict(config), "local_port": port}})
        threading.Thread(target=self._read, args=(on_line,), name=f"pigeon-sip-{config.name}-{index}",
                         daemon=True).start()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None and not self._stdin.closed

    def send(self, document: dict[str, Any]) -> None:
        with self.lock:
            self._stdin.write(json.dumps(document) + "\n")
            self._stdin.flush()

    def _read(self, on_line: Any) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                document = json.loads(line)
            except ValueError:
                continue
            op = document.get("op")
            if op in ("ready", "error") and not self.ready.done():
                self.ready.set_result(document)
            elif op in ("placed", "refused"):
                future = self.pending.pop(document["message_id"], None)
                if future is not None and not future.done():
                    future.set_result(document)
            elif op == "event":
                on_line(self, document)
        on_line(self, None)  # the process ended

    def stop(self) -> None:
        try:
            self.send({"op": "close"})
            self._stdin.close()
        except (OSError, ValueError):
            pass


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
        self.processes: list[_CallProcess | None] = [None] * math.ceil(config.max_concurrent_calls
                                                                      / CALLS_PER_PROCESS)
        self._next_start = 0.0
        self._next_sweep = 0.0
        self._next_prune = 0.0
        self._closed = False
        self._start()

    # --- call processes ---------------------------------------------------------------------------------

    def _start(self) -> None:
        """Start the call processes that are not running (all at once; each takes ~0.1 s to be ready)."""
        started = []
        for index, process in enumerate(self.processes):
            if process is None or not process.alive:
                self.processes[index] = _CallProcess(self.config, index, self._on_line)
                started.append(self.processes[index])
        for process in started:
            assert process is not None
            try:
                answer = process.ready.result(START_SECONDS)
            except FutureTimeout:
                answer = {"op": "error", "error": "the call process did not start"}
            if answer["op"] == "ready":
                process.local = answer["local"]
                log.info("SIP carrier %s: %s to %s:%d from %s", self.name, self.config.transport, self.config.host,
                         self.config.port, process.local)
            else:
                self.last_error = answer["error"]
                log.error("SIP carrier %s cannot start: %s", self.name, self.last_error)
                process.stop()
                self.processes[self.processes.index(process)] = None
        if not self._ready_processes():
            self._next_start = time.monotonic() + RESTART_SECONDS

    def _ready_processes(self) -> list[_CallProcess]:
        return [p for p in self.processes if p is not None and p.alive and p.local]

    def _on_line(self, process: _CallProcess, document: dict[str, Any] | None) -> None:
        """A call's step from a call process (its reader thread), or None when the process ended."""
        if document is None:
            with self._lock:
                lost = list(process.calls)
            for future in list(process.pending.values()):
                if not future.done():
                    future.set_result({"op": "refused", "error": "the call process ended"})
            for message_id in lost:
                if not self._closed:
                    self._on_event({"message_id": message_id, "status": "FAILED", "is_final": True,
                                    "description": "The call process ended during the call: its outcome is unknown",
                                    "sip_status": "", "call_id": "", "duration_seconds": 0.0, "answered": False})
            return
        self._on_event(document)

    # --- submitting -------------------------------------------------------------------------------------

    def submit_many(self, outgoings: Sequence[Outgoing]) -> list[SubmitResult]:
        if len(self._ready_processes()) < len(self.processes) and time.monotonic() >= self._next_start:
            self._next_start = time.monotonic() + RESTART_SECONDS
            self._start()
        processes = self._ready_processes()
        room = {id(p): CALLS_PER_PROCESS - len(p.calls) for p in processes}
        results: list[SubmitResult | None] = [None] * len(outgoings)
        now = self.clock()
        ready: list[tuple[int, Outgoing, CallRequest, _Placed]] = []
        for index, outgoing in enumerate(outgoings):
            if not processes:
                results[index] = TransientCarrierError(f"carrier {self.name}: the SIP stack is not ready: "
                                                       f"{self.last_error}", retry_after=RESTART_SECONDS)
            elif (len(self._calls) + len(ready) >= self.config.max_concurrent_calls
                  or sum(room.values()) <= len(ready)):
                results[index] = TransientCarrierError(
                    f"carrier {self.name}: {self.config.max_concurrent_calls} calls in progress "
                    f"(max_concurrent_calls)", retry_after=BUSY_RETRY_SECONDS)
            else:
                results[index] = self._prepare(index, outgoing, ready)
        if ready:
            self._place(ready, results, now, processes, room)
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
               now: float, processes: list[_CallProcess], room: dict[int, int]) -> None:
        try:
            again = self.attempts.begin(self.name, [(o.message_id, self._deadline(now, r)) for _, o, r, _ in ready],
                                        now) if self.attempts is not None else set()
        except Exception as error:  # noqa: BLE001 - no durable attempt, no call
            log.exception("carrier %s: recording %d call attempts failed", self.name, len(ready))
            for index, *_ in ready:
                results[index] = TransientCarrierError(f"carrier {self.name}: the attempt could not be recorded: "
                                                       f"{error!r}", retry_after=BUSY_RETRY_SECONDS)
            return
        sent: list[tuple[int, CallRequest, _CallProcess, Future[dict[str, Any]]]] = []
        for index, outgoing, request, placed in ready:
            if outgoing.message_id in again:
                results[index] = Ack(True, "", status="INITIATED", carrier=self.name)
                self._push(Receipt(outgoing.message_id, "FAILED", True,
                                   "A call attempt was recorded before a restart: the call may have been placed, "
                                   "so it is not placed again", extra={"payload": _unbilled(placed)},
                                   carrier=self.name))
                continue
            process = max(processes, key=lambda p: room[id(p)])
            room[id(process)] -= 1
            future: Future[dict[str, Any]] = Future()
            with self._lock:
                self._calls[outgoing.message_id] = placed
                process.calls.add(outgoing.message_id)
            process.pending[outgoing.message_id] = future
            try:
                process.send({"op": "place", "message_id": request.message_id, "origination": request.origination,
                              "destination": request.destination, "audio": str(request.audio),
                              "audio_seconds": request.audio_seconds})
            except (OSError, ValueError) as error:
                future.set_result({"op": "refused", "error": f"the call process is gone: {error!r}"})
            sent.append((index, request, process, future))
        answered_by = time.monotonic() + PLACE_SECONDS
        unplaced: list[str] = []
        for index, request, process, future in sent:
            try:
                answer = future.result(max(0.0, answered_by - time.monotonic()))
            except FutureTimeout:
                answer = {"op": "placed", "call_id": ""}  # perhaps out: the process is stopped, the call ends
                self._push(Receipt(request.message_id, "FAILED", True, "The call process did not answer",
                                   extra={"payload": _unbilled(self._calls[request.message_id])}, carrier=self.name))
                with self._lock:
                    self._calls.pop(request.message_id, None)
                    process.calls.discard(request.message_id)
                process.stop()
            if answer["op"] == "placed":
                self.counters["CallsPlaced"] += 1
                results[index] = Ack(True, answer["call_id"], status="INITIATED", carrier=self.name)
                continue
            with self._lock:
                self._calls.pop(request.message_id, None)
                process.calls.discard(request.message_id)
            if answer.get("busy"):  # known never placed: offered again shortly, as a new attempt
                unplaced.append(request.message_id)
                results[index] = TransientCarrierError(f"carrier {self.name}: {answer['error']}",
                                                       retry_after=BUSY_RETRY_SECONDS)
                continue
            self.counters["Failures"] += 1
            self.last_error = answer["error"]
            results[index] = Ack(False, status="FAILED", description=f"The call could not be placed: {answer['error']}",
                                 carrier=self.name, charged=False)
        if unplaced and self.attempts is not None:
            try:
                self.attempts.forget(unplaced)
            except Exception:  # noqa: BLE001 - then they end VOICE_FAILED when offered again: never twice
                log.exception("carrier %s: forgetting %d attempts never placed failed", self.name, len(unplaced))

    # --- progress ---------------------------------------------------------------------------------------

    def _on_event(self, event: dict[str, Any]) -> None:
        message_id = event["message_id"]
        with self._lock:
            placed = self._calls.get(message_id)
            if placed is None:
                return
            changes: dict[str, Any] = {"SipCallId": event["call_id"], "CallAudioFile": placed.audio_file}
            if event["sip_status"] or event["is_final"]:
                changes["SipStatus"] = event["sip_status"] or "no response"
            if event["is_final"]:
                del self._calls[message_id]
                for process in self.processes:
                    if process is not None:
                        process.calls.discard(message_id)
                changes |= _billed(placed, event["duration_seconds"], event["answered"])
                counter = {"COMPLETED": "Completed", "BUSY": "Busy", "NO_ANSWER": "NoAnswer"}.get(event["status"],
                                                                                                  "Failures")
                self.counters[counter] += 1
                if counter == "Failures":
                    self.last_error = event["description"]
            if not changes["SipCallId"]:
                del changes["SipCallId"]
            self._receipts.append(Receipt(message_id, event["status"], event["is_final"], event["description"],
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
        processes = self._ready_processes()
        return [{"Name": self.name, "Type": "sip", "State": "READY" if processes else "FAILED",
                 "Host": f"{config.host}:{config.port}", "Transport": config.transport.upper(),
                 "LocalAddresses": [p.local for p in processes], "CallProcesses": len(processes),
                 "Codecs": list(config.codecs), "ActiveCalls": active,
                 "MaxConcurrentCalls": config.max_concurrent_calls, **self.counters, "LastError": self.last_error}]

    def close(self) -> None:
        """Hang up every call in progress (CANCEL or BYE) and wait briefly for the call processes to end."""
        self._closed = True
        processes = [p for p in self.processes if p is not None]
        for process in processes:
            process.stop()
        deadline = time.monotonic() + CLOSE_WAIT_SECONDS
        for process in processes:
            try:
                process.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.process.kill()
                process.process.wait()


def _billed(placed: _Placed, seconds: float, answered: bool) -> dict[str, Any]:
    minutes = billed_minutes(seconds, answered)
    return {"CallDurationSeconds": seconds, "BilledMinutes": minutes,
            "PriceMicros": placed.per_minute_micros * minutes, "CarrierFeeMicros": placed.fee_per_minute_micros * minutes}


def _unbilled(placed: _Placed) -> dict[str, Any]:
    return {"CallAudioFile": placed.audio_file, "SipStatus": "not placed", **_billed(placed, 0.0, False)}
