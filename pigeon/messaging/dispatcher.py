"""The dispatcher: claims due messages, holds each origination identity to its MPS, hands messages to the
carrier connector, and records every status change with its event records.

One cycle: claim a batch (its own short transaction) -> decide each message (TTL, MPS, submit) -> drain the
connector's receipts -> write every transition and event in one transaction -> pass the records to the
event sink (the seam for event destinations). A crash between claim and write leaves the batch CLAIMED; the
lease runs out and a worker takes it again, so nothing accepted is lost (the carrier may see a message twice,
the event log never records two final events: transitions are guarded by the expected status).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.engine import Connection

from pigeon.carriers.base import Ack, Connector, Outgoing, Receipt, TransientCarrierError, submit_all
from pigeon.clock import Clock
from pigeon.messaging import carrier_parts, connection_status, outbox, pricing, records
from pigeon.messaging.outbox import Message, Transition
from pigeon.messaging.throughput import RateLimiter, mps_for
from pigeon.store.database_file import DatabaseUnavailable
from pigeon.store.engine import Store

if TYPE_CHECKING:
    from pigeon.messaging.group_commit import GroupCommit

log = logging.getLogger("pigeon.dispatcher")
T = TypeVar("T")

EventSink = Callable[[dict[str, Any], str | None], None]
"""Receives each event record after it is committed, with the message's configuration set name."""
Prepare = Callable[[Message], Ack | None]
"""The channel's step before the carrier (fetch media, synthesize voice; pigeon/messaging/channels.py): completes
the message's payload in place, or returns the refusal that ends it (e.g. MEDIA_FILE_INACCESSIBLE)."""

NO_FINAL_RECEIPT_SECONDS = 72 * 3600
"""AWS ends a message UNKNOWN when no final carrier event arrives within 72 hours (aws-facts §2); a call
FAILED, since the model's EventType enum has no VOICE_UNKNOWN."""
UNRESOLVED_RECEIPT_SECONDS = 60.0
"""How long a receipt naming an unknown part is looked up again before it is given up."""
SWEEP_SECONDS = 60.0
"""How often (by the injected clock) a dispatcher looks for submitted messages that never got a receipt."""


@dataclass(frozen=True)
class DispatchConfig:
    batch_size: int = 200
    lease_seconds: float = 30.0
    idle_seconds: float = 0.1
    """Pause after a cycle that found less than a full batch: fewer, larger write transactions leave the
    (SQLite) write lock to the requests most of the time."""
    gather_seconds: float = 0.02
    """How long handed-over messages may wait for more to share a cycle (unless a full batch is there): a
    cycle per hand-over made every send wait behind a dispatcher write."""
    retry_base_seconds: float = 1.0
    retry_max_seconds: float = 300.0
    mps: dict[str, Any] | None = None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{random.getrandbits(32):08x}"


class Dispatcher:
    def __init__(self, store: Store, clock: Clock, connector: Connector, config: DispatchConfig | None = None,
                 sink: EventSink | None = None, worker: str | None = None, prepare: Prepare | None = None,
                 sweeps: Sequence[Callable[[Store, float], object]] = ()) -> None:
        self.store, self.clock, self.connector = store, clock, connector
        self.config = config or DispatchConfig()
        self.sink = sink
        self.prepare: Prepare = prepare or (lambda message: None)
        self.sweeps = tuple(sweeps)
        """Periodic work of other families, run with the receipt sweep (e.g. the message feedback timeout)."""
        self.worker = worker or worker_name()
        self.limiter = RateLimiter()
        self.group_commit: GroupCommit | None = None
        """The process's group commit (``pigeon serve``): writes go through it, new messages come from it."""
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_sweep = 0.0
        self._next_poll = 0.0
        self._handed: deque[Message] = deque()
        self._next_status = 0.0
        self._next_prune = 0.0
        self._unresolved: dict[tuple[str, str, str], tuple[Receipt, float]] = {}

    @property
    def lease_seconds(self) -> float:
        return self.config.lease_seconds

    def wants_more(self) -> bool:
        """Whether to take new messages in memory: a backlog of at most 20 batches is worked off long before
        the leases of its messages (``lease_seconds``) run out; beyond it they wait in the store."""
        return len(self._handed) < 20 * self.config.batch_size

    def hand_over(self, messages: list[Message]) -> None:
        """New messages, committed already claimed by this dispatcher (see pigeon/messaging/group_commit.py)."""
        was_empty = not self._handed
        self._handed.extend(messages)
        if was_empty or len(self._handed) >= self.config.batch_size:
            self._wake.set()

    # --- running ---------------------------------------------------------------------------------------

    def start(self) -> threading.Thread:
        """Run in a daemon thread (``pigeon serve``)."""
        self._thread = threading.Thread(target=self.run, name="pigeon-dispatcher", daemon=True)
        self._thread.start()
        return self._thread

    def request_stop(self) -> None:
        """Ask the loop to end after its current cycle (safe from a signal handler)."""
        self._stop.set()
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout)
        self.connector.close()
        if getattr(self.connector, "carriers", None):
            try:
                connection_status.remove(self.store, self.worker)
            except Exception:  # noqa: BLE001 - rows of a stopped process age out by themselves
                log.info("could not remove this process's carrier state")

    def run(self) -> None:
        """Cycle until stopped; a failing cycle is logged and retried after a pause, never fatal."""
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except DatabaseUnavailable as error:  # the store has logged why, once
                log.debug("dispatch cycle failed: %s", error)
                worked = 0
            except Exception:  # noqa: BLE001 - the loop must survive a lost database connection
                log.exception("dispatch cycle failed")
                worked = 0
            full = self.config.batch_size
            if worked >= full or len(self._handed) >= full:
                continue
            if not self._handed:
                self._wake.wait(self.config.idle_seconds)
                self._wake.clear()
            if 0 < len(self._handed) < full:  # gather more, unless a full batch arrives meanwhile
                self._wake.wait(self.config.gather_seconds)
                self._wake.clear()

    def run_once(self) -> int:
        """One cycle; returns how many messages it took (handed over, or claimed from the store)."""
        now = self.clock.now()
        claimed = self._take_handed()
        try:
            if len(claimed) < self.config.batch_size and (not claimed or time.monotonic() >= self._next_poll):
                self._next_poll = time.monotonic() + self.config.idle_seconds
                claimed += outbox.claim(self.store, self.worker, now, self.config.lease_seconds,
                                        self.config.batch_size - len(claimed))
            self._cycle(claimed, now)
        except Exception:
            # their leases are still ours: taken again next cycle instead of after the lease (a lost database
            # connection cost every message of the failed cycle its whole lease)
            self._handed.extendleft(reversed(claimed))
            raise
        self._share_connection_status()
        return len(claimed)

    def _cycle(self, claimed: list[Message], now: float) -> None:
        decided = self._decide_all(claimed, now)
        receipts = self._pending_receipts(now) + self.connector.receipts()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_SECONDS
            decided += self._give_up_on_silent(now)
            if getattr(self.connector, "carriers", None) and now >= self._next_prune:
                self._next_prune = now + 3600.0  # an hourly scan: the rows are only ever looked up by key
                self._in_transaction(lambda tx: carrier_parts.prune(tx, now))
            for sweep in self.sweeps:
                sweep(self.store, now)
        if decided or receipts:
            self._publish(self._write(decided, receipts, now))

    def _share_connection_status(self) -> None:
        """Every few seconds, this process's carrier connections into the store (GET /_pigeon/connections)."""
        if not getattr(self.connector, "carriers", None) or time.monotonic() < self._next_status:
            return
        self._next_status = time.monotonic() + connection_status.WRITE_SECONDS
        entries = self.connector.status()
        try:
            self._in_transaction(lambda tx: connection_status.write(tx, self.worker, entries))
        except Exception:  # noqa: BLE001 - the state is informational; sending goes on
            log.exception("could not record the carrier connections' state")

    def _pending_receipts(self, now: float) -> list[Receipt]:
        """Receipts of parts not found last time (another process's submit not yet committed), looked up again
        for ``UNRESOLVED_RECEIPT_SECONDS``; older ones are given up (and acknowledged to the carrier)."""
        if not self._unresolved:
            return []
        keep: list[Receipt] = []
        dropped: list[Receipt] = []
        for receipt, first_seen in self._unresolved.values():
            (keep if time.monotonic() - first_seen < UNRESOLVED_RECEIPT_SECONDS else dropped).append(receipt)
        for receipt in dropped:
            log.warning("receipt for unknown part carrier=%s carrier_message_id=%s status=%s dropped",
                        receipt.carrier, receipt.carrier_message_id, receipt.status)
            del self._unresolved[(receipt.carrier, receipt.carrier_message_id, receipt.status)]
        self._settle(dropped)
        return keep

    def _take_handed(self) -> list[Message]:
        taken: list[Message] = []
        while self._handed and len(taken) < self.config.batch_size:
            taken.append(self._handed.popleft())
        return taken

    # --- deciding ----------------------------------------------------------------------------------------

    def _decide_all(self, claimed: list[Message], now: float) -> list[tuple[Message, Transition]]:
        """Each message's fate: decided before the carrier (TTL, protect, MPS, the channel's preparation), or
        by the carrier's answer; the messages for the carrier go in one ``submit_many`` (SMPP pipelines them
        through its window)."""
        decided: list[tuple[Message, Transition]] = []
        to_submit: list[tuple[Message, Transition]] = []
        for message in claimed:
            base = Transition(message.message_id, outbox.CLAIMED, outbox.QUEUED, claimed_by=self.worker)
            try:
                early = self._decide(base, message, now)
            except Exception as error:  # noqa: BLE001 - one poisoned row must not stall every other message
                log.exception("dispatch failed on message_id=%s", message.message_id)
                early = self._retry(base, message, now, repr(error))
            decided.append((message, early if early is not None else base))
            if early is None:
                to_submit.append((message, base))
        if not to_submit:
            return decided
        try:
            results = submit_all(self.connector, [_outgoing(message) for message, _ in to_submit])
        except Exception as error:  # noqa: BLE001 - a connector bug must not lose the messages
            log.exception("connector failed on %d messages", len(to_submit))
            results = [TransientCarrierError(repr(error)) for _ in to_submit]
        finished = {}
        for (message, base), result in zip(to_submit, results, strict=True):
            if isinstance(result, TransientCarrierError):
                finished[message.message_id] = self._retry(base, message, now, str(result), result.retry_after)
            else:
                finished[message.message_id] = self._acked(base, message, result, now)
        return [(message, finished.get(message.message_id, transition)) for message, transition in decided]

    def _decide(self, base: Transition, message: Message, now: float) -> Transition | None:
        """The transition decided before the carrier, or None when the message goes to the carrier."""
        if now >= message.expires_at:
            base.status = outbox.EXPIRED
            base.records.append(records.record(message, "TTL_EXPIRED", True, now, charged=False))
            return base
        payload = message.payload
        if (payload.get("Protect") or {}).get("blocked"):
            base.status = outbox.FAILED
            base.records.append(records.record(message, "PROTECT_BLOCKED", True, now, charged=False))
            return base
        mps = mps_for(payload["NumberType"], payload["IsoCountryCode"], message.origination_identity,
                      self.config.mps or {})
        identity_key = f"{message.account_id}/{message.region}/{message.origination_identity}"  # "ACME" is per account
        retry_at = self.limiter.acquire(identity_key, payload["Parts"], mps, now)
        if retry_at is not None:
            base.due_at = retry_at
            return base
        try:
            refusal = self.prepare(message)
        except TransientCarrierError as error:
            return self._retry(base, message, now, str(error), error.retry_after)
        return self._acked(base, message, refusal, now) if refusal is not None else None

    def _retry(self, base: Transition, message: Message, now: float, reason: str,
               retry_after: float | None = None) -> Transition:
        delay = min(self.config.retry_base_seconds * 2 ** message.attempts, self.config.retry_max_seconds)
        if retry_after is not None:
            delay = retry_after
        base.due_at = min(now + delay, message.expires_at)
        base.attempted = True
        base.payload_changes = {"LastError": reason}
        log.info("retry message_id=%s attempt=%d in=%.1fs", message.message_id, message.attempts + 1, delay)
        return base

    def _acked(self, base: Transition, message: Message, ack: Ack, now: float) -> Transition:
        base.attempted = True
        base.charge = (message.channel, pricing.month_of(now),
                       message.payload["PriceMicros"] + message.payload["CarrierFeeMicros"] if ack.charged else 0)
        if ack.accepted:
            base.status = outbox.SUBMITTED
            base.payload_changes = {"CarrierMessageId": ack.carrier_message_id}
            if ack.carrier:
                base.payload_changes["Carrier"] = ack.carrier
                base.carrier_parts = [(ack.carrier, part_id, index, len(ack.part_ids))
                                      for index, part_id in enumerate(ack.part_ids, start=1)]
            base.records.append(records.record(message, ack.status, False, now, ack.description))
        else:
            base.status = outbox.FAILED
            base.records.append(records.record(message, ack.status, True, now, ack.description, ack.charged))
        return base

    def _give_up_on_silent(self, now: float) -> list[tuple[Message, Transition]]:
        with self.store.transaction(write=False) as tx:
            silent = outbox.stale_submitted(tx, now - NO_FINAL_RECEIPT_SECONDS, self.config.batch_size)
            expired = [m for m in outbox.expired_submitted(tx, now, self.config.batch_size)
                       if m.payload.get("Carrier") and m.channel != "VOICE"]
        expired_ids = {m.message_id for m in expired}  # a real carrier's silence ends at the TTL
        return [(m, Transition(m.message_id, outbox.SUBMITTED, outbox.FAILED,
                               records=[records.record(m, "FAILED" if m.channel == "VOICE" else "UNKNOWN", True, now)]))
                for m in silent if m.message_id not in expired_ids] + [
            (m, Transition(m.message_id, outbox.SUBMITTED, outbox.EXPIRED,
                           records=[records.record(m, "TTL_EXPIRED", True, now)]))
            for m in expired]

    # --- writing -----------------------------------------------------------------------------------------

    def _write(self, decided: list[tuple[Message, Transition]], receipts: list[Receipt],
               now: float) -> list[tuple[Message, Transition]]:
        """All transitions of a cycle in one transaction. A receipt for a message submitted in this very
        cycle (the simulator answers at once) is folded into that message's transition: one update for
        both, its records in order; other receipts follow the messages submitted in earlier cycles. Receipts
        that name a carrier's part find their message through ``carrier_parts`` (the parts submitted in this
        cycle included: they are inserted first, in the same transaction). The carrier is told which
        receipts are recorded only after the commit."""
        submitted = {transition.message_id: (message, transition) for message, transition in decided
                     if transition.status == outbox.SUBMITTED}
        submitted_parts = {(carrier, part_id): submitted[transition.message_id]
                           for transition in (t for _, t in submitted.values())
                           for carrier, part_id, _, parts in transition.carrier_parts if parts == 1}
        later, parted = [], []
        for receipt in receipts:
            found = submitted.get(receipt.message_id) if receipt.message_id else None
            if not receipt.message_id:
                same_cycle = submitted_parts.get((receipt.carrier, receipt.carrier_message_id))
                if same_cycle is not None and receipt.is_final and same_cycle[1].status == outbox.SUBMITTED:
                    _follow(same_cycle[1], same_cycle[0], receipt)  # a fast carrier's receipt: one update
                else:
                    parted.append(receipt)
            elif found is not None and found[1].status == outbox.SUBMITTED:
                _follow(found[1], found[0], receipt)
            else:
                later.append(receipt)
        unresolved: list[Receipt] = []

        def apply(tx: Connection) -> list[tuple[Message, Transition]]:
            applied = outbox.apply_all(tx, decided, now)
            of_messages, unknown = carrier_parts.resolve(tx, parted, now)
            unresolved[:] = unknown
            followed_receipts = later + of_messages
            current = outbox.get_many(tx, [receipt.message_id for receipt in followed_receipts])
            return applied + outbox.apply_all(tx, _receipt_transitions(current, followed_receipts, now), now)

        applied = self._in_transaction(apply)
        for receipt in unresolved:
            self._unresolved.setdefault((receipt.carrier, receipt.carrier_message_id, receipt.status),
                                        (receipt, time.monotonic()))
        waiting = {id(receipt) for receipt in unresolved}
        for receipt in parted:
            if id(receipt) not in waiting:
                self._unresolved.pop((receipt.carrier, receipt.carrier_message_id, receipt.status), None)
        self._settle([receipt for receipt in receipts if id(receipt) not in waiting])
        return applied

    def _settle(self, receipts: list[Receipt]) -> None:
        settle = getattr(self.connector, "settle", None)
        if receipts and settle is not None:
            try:
                settle(receipts)
            except Exception:  # noqa: BLE001 - the carrier sends an unsettled receipt again
                log.exception("settling %d receipts failed", len(receipts))

    def _in_transaction(self, work: Callable[[Connection], T]) -> T:
        """``work`` in the group commit's next transaction when there is one, else in a transaction of its own."""
        if self.group_commit is not None:
            try:
                future = self.group_commit.run_job(work)
            except RuntimeError:  # the group commit has stopped
                pass
            else:
                return future.result()  # type: ignore[no-any-return]
        with self.store.transaction(write=True) as tx:
            return work(tx)

    def _publish(self, applied: list[tuple[Message, Transition]]) -> None:
        """Pass each committed record to the event sink, with its message's configuration set."""
        if self.sink is None:
            return
        for message, transition in applied:
            configuration_set = message.payload.get("ConfigurationSetName")
            for record in transition.records:
                try:
                    self.sink(record, configuration_set)
                except Exception:  # noqa: BLE001 - delivery to destinations never blocks sending
                    log.exception("event sink failed for %s", record.get("messageId"))


def _follow(transition: Transition, message: Message, receipt: Receipt) -> None:
    """Extend a submit's transition with the receipt that followed it in the same cycle (its record is
    the previous one's, same instant and charge, at the receipt's status)."""
    if receipt.is_final:
        transition.status = outbox.DELIVERED if receipt.status in ("DELIVERED", "COMPLETED") else outbox.FAILED
    changes = receipt.extra.get("payload")
    if not changes:
        transition.records.append(records.then(transition.records[-1], message, receipt.status, receipt.is_final,
                                               _description(message, receipt)))
        return
    before = replace(message, payload={**message.payload, **transition.payload_changes})
    _restate(transition, before, changes, transition.records[-1]["eventTimestamp"] / 1000)
    transition.records.append(records.record(replace(before, payload={**before.payload, **changes}),
                                             receipt.status, receipt.is_final,
                                             transition.records[-1]["eventTimestamp"] / 1000,
                                             _description(message, receipt)))


def _restate(transition: Transition, message: Message, changes: dict[str, Any], now: float) -> None:
    """A receipt's ``extra["payload"]`` changes the message's payload (a call's SIP status and duration); a
    restated price (PriceMicros, CarrierFeeMicros: a call billed per minute it lasted) books the difference."""
    def price(payload: dict[str, Any]) -> int:
        return int(payload["PriceMicros"]) + int(payload["CarrierFeeMicros"])

    delta = price({**message.payload, **changes}) - price(message.payload)
    transition.payload_changes.update(changes)
    if delta:
        channel, month, micros = transition.charge or (message.channel, pricing.month_of(now), 0)
        transition.charge = (channel, month, micros + delta)


def _description(message: Message, receipt: Receipt) -> str:
    """The receipt's own description, else AWS's for its status, with the carrier's words when it gave any
    (SMPP's ``stat:UNDELIV err:001``)."""
    detail = receipt.extra.get("carrierStatus")
    if not detail:
        return receipt.description
    return f"{receipt.description or records.describe(message.channel, receipt.status)} ({detail})"


def _receipt_transitions(current: dict[str, Message], receipts: list[Receipt],
                         now: float) -> list[tuple[Message, Transition]]:
    """One transition per submitted message for the receipts of a cycle, in order, up to its first final one
    (two parts' receipts in one cycle make one transition; a call's RINGING, ANSWERED and COMPLETED all count)."""
    transitions: dict[str, tuple[Message, Transition]] = {}
    for receipt in receipts:
        message = current.get(receipt.message_id)
        if message is None or message.status != outbox.SUBMITTED:
            continue
        if receipt.message_id not in transitions:
            transitions[receipt.message_id] = (message, Transition(message.message_id, outbox.SUBMITTED,
                                                                   outbox.SUBMITTED))
        original, transition = transitions[receipt.message_id]
        if transition.status != outbox.SUBMITTED:
            continue  # already final
        if receipt.is_final:
            transition.status = outbox.DELIVERED if receipt.status in ("DELIVERED", "COMPLETED") else outbox.FAILED
        before = replace(original, payload={**original.payload, **transition.payload_changes})
        changes = receipt.extra.get("payload") or {}
        if changes:
            _restate(transition, before, changes, now)
        transition.records.append(records.record(replace(before, payload={**before.payload, **changes}),
                                                 receipt.status, receipt.is_final, now,
                                                 _description(message, receipt)))
    return list(transitions.values())


def _outgoing(message: Message) -> Outgoing:
    payload = message.payload
    return Outgoing(message.message_id, message.channel, message.origination_identity, message.destination,
                    payload["IsoCountryCode"], payload.get("MessageBody", ""), payload["Encoding"],
                    payload["Parts"], tuple(payload.get("MediaUrls") or ()), payload.get("NumberType", ""),
                    payload.get("MessageType", "TRANSACTIONAL"), message.expires_at, payload.get("Connection") or "", payload)
