"""The SMPP connector: one configured SMSC, its binds, and what its answers mean (carriers.base.Connector).

``submit_many`` sends every part of every message of a dispatch cycle through the binds' windows (bound
binds with free slots share the load in turn), then waits for all the submit_sm_resp: the cycle costs about
one round trip, not one per message. The SMSC's delivery receipts and handset messages arrive on the binds'
reading threads: receipts are queued for the dispatcher (and answered deliver_sm_resp once it committed them,
``settle``), handset messages go to the inbound pipeline on a thread of their own and are answered once
committed. Either way nothing the SMSC reported is acknowledged before it is durable.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

from pigeon.carriers.base import (
    Ack,
    InboundPart,
    InboundRefused,
    Outgoing,
    Receipt,
    SubmitResult,
    TransientCarrierError,
)
from pigeon.carriers.routing import CarrierContext
from pigeon.carriers.smpp import codec, statuses
from pigeon.carriers.smpp.config import SmppConfig
from pigeon.carriers.smpp.session import LinkDown, Pending, Session

log = logging.getLogger("pigeon.carriers.smpp")
LINK_DOWN_RETRY_SECONDS = 2.0
"""A message that found no bound link is tried again this soon (steadily, not with the growing backoff)."""


class SmppConnector:
    kind = "smpp"

    def __init__(self, config: SmppConfig, context: CarrierContext) -> None:
        self.config = config
        self.name = config.name
        self.context = context
        modes = ["transceiver"] if config.bind_mode == "transceiver" else ["transmitter", "receiver"]
        self.sessions = [Session(config, len(modes) * bind + offset, mode, self._delivered)
                         for bind in range(config.binds) for offset, mode in enumerate(modes)]
        self._receipts: list[Receipt] = []
        self._receipts_lock = threading.Lock()
        self._references = itertools.count(1)
        self._turn = itertools.count()
        self._inbound: queue.Queue[tuple[Session, int, InboundPart] | None] = queue.Queue()
        self._inbound_thread = threading.Thread(target=self._inbound_loop, name=f"pigeon-smpp-{self.name}-mo",
                                                daemon=True)
        self._sent_times: deque[float] = deque(maxlen=10_000)
        self._next_slot = 0.0
        for session in self.sessions:
            session.start()
        self._inbound_thread.start()

    # --- sending ----------------------------------------------------------------------------------------

    def submit_many(self, outgoings: Sequence[Outgoing]) -> list[SubmitResult]:
        deadline = time.monotonic() + self.config.response_timeout_seconds
        results: list[SubmitResult | None] = [None] * len(outgoings)
        ready = [session for session in self.sessions if session.can_submit]
        if not ready:
            states = ", ".join(f"{s.index}:{s.state.lower()}" for s in self.sessions if s.mode != "receiver")
            down = TransientCarrierError(f"{self.name}: no bound link ({states})", retry_after=LINK_DOWN_RETRY_SECONDS)
            return [down] * len(outgoings)
        per_session: dict[int, list[tuple[int, dict[str, Any]]]] = {}
        sent: dict[int, list[tuple[Session, Pending | LinkDown]]] = {}
        paced = self.config.max_messages_per_second > 0
        turn = next(self._turn)
        for index, outgoing in enumerate(outgoings):
            try:
                parts = self._fields(outgoing)
            except TransientCarrierError as error:
                results[index] = error
                continue
            position = (turn + index) % len(ready)  # a message's parts share a bind; messages take turns
            per_session.setdefault(position, []).extend((index, fields) for fields in parts)
            if paced:  # each message goes out at its time, not with the cycle's batch
                self._write_batches(ready, per_session, sent, deadline)
        self._write_batches(ready, per_session, sent, deadline)
        for index, parts_sent in sent.items():
            results[index] = self._result(parts_sent, deadline)
        return results  # type: ignore[return-value]

    @staticmethod
    def _write_batches(ready: list[Session], per_session: dict[int, list[tuple[int, dict[str, Any]]]],
                       sent: dict[int, list[tuple[Session, Pending | LinkDown]]], deadline: float) -> None:
        """Each bind's waiting submits in one write; ``per_session`` is emptied."""
        for position, items in per_session.items():
            bind = ready[position]
            for (index, _), pending in zip(items, bind.submit_many([f for _, f in items], deadline), strict=True):
                sent.setdefault(index, []).append((bind, pending))
        per_session.clear()

    def _fields(self, outgoing: Outgoing) -> list[dict[str, Any]]:
        """The submit_sm fields of each part of ``outgoing`` (held to the connection's rate first)."""
        ton, npi, source = codec.source_address(outgoing.origination, self.config)
        common: dict[str, Any] = {
            "service_type": "", "source_addr_ton": ton, "source_addr_npi": npi, "source_addr": source,
            "dest_addr_ton": self.config.destination_ton, "dest_addr_npi": self.config.destination_npi,
            "destination_addr": outgoing.destination.lstrip("+"),
            "registered_delivery": self.config.registered_delivery, "protocol_id": 0, "priority_flag": 0,
            "replace_if_present_flag": 0, "sm_default_msg_id": 0,
        }
        if self.config.validity_period and outgoing.expires_at:
            common["validity_period"] = codec.validity_period(outgoing.expires_at)
        parts = codec.parts_of(outgoing.body, self.config, next(self._references))
        for _ in parts:
            self._pace()
        return [{**common, "short_message": part.short_message or None, "esm_class": part.esm_class,
                 "data_coding": part.data_coding, **part.tlvs} for part in parts]

    def _pace(self) -> None:
        """Hold the connection to ``max_messages_per_second``: a short wait, or 'try again soon'."""
        rate = self.config.max_messages_per_second
        if rate <= 0:
            return
        now = time.monotonic()
        slot = max(now, self._next_slot)
        if slot - now > 0.5:
            raise TransientCarrierError(f"{self.name}: {rate:g} messages/s reached", retry_after=slot - now)
        self._next_slot = slot + 1.0 / rate
        if slot > now:
            time.sleep(slot - now)

    def _result(self, parts: list[tuple[Session, Pending | LinkDown]], deadline: float) -> SubmitResult:
        """The message's outcome from its parts' submit_sm_resp: every part accepted, or the first refusal."""
        ids = []
        for session, pending in parts:
            if isinstance(pending, LinkDown):
                return TransientCarrierError(f"{self.name}: {pending}", retry_after=LINK_DOWN_RETRY_SECONDS)
            if not pending.done.wait(max(0.0, deadline - time.monotonic())):
                session.reset(f"no submit_sm_resp within {self.config.response_timeout_seconds:g}s")
                return TransientCarrierError(f"{self.name}: no submit_sm_resp", retry_after=LINK_DOWN_RETRY_SECONDS)
            if pending.failure:
                return TransientCarrierError(f"{self.name}: {pending.failure}", retry_after=LINK_DOWN_RETRY_SECONDS)
            status = pending.status
            if status == statuses.ROK:
                session.counters["Accepted"] += 1
                session.throttle_streak = 0
                ids.append(pending.message_id)
                continue
            description = f"SMSC {self.name}: {statuses.name(status)} (0x{status:02X})"
            if status in statuses.THROTTLING:
                return TransientCarrierError(description, retry_after=session.pause())
            if status in statuses.TEMPORARY:
                return TransientCarrierError(description)
            session.counters["Refused"] += 1
            return Ack(False, status=statuses.FINAL.get(status, "UNKNOWN"), description=description, carrier=self.name)
        self._sent_times.append(time.monotonic())
        return Ack(True, ids[0], carrier=self.name, part_ids=tuple(ids))

    # --- receiving --------------------------------------------------------------------------------------

    def _delivered(self, session: Session, pdu: Any) -> None:
        """A deliver_sm on a bind's reading thread: a receipt (queued for the dispatcher) or a handset message."""
        esm_class = pdu.esm_class or 0
        short_message = pdu.short_message or b""
        payload = getattr(pdu, "message_payload", None) or b""
        if codec.is_receipt(esm_class):
            self._receipt(session, pdu, short_message or payload)
            return
        session.counters["InboundReceived"] += 1
        concatenation = None
        text_bytes = payload or short_message
        if esm_class & codec.ESM_UDHI and not payload:
            concatenation, text_bytes = codec.split_udh(short_message)
        elif getattr(pdu, "sar_msg_ref_num", None) is not None and getattr(pdu, "sar_total_segments", None):
            concatenation = codec.Concatenation(pdu.sar_msg_ref_num, pdu.sar_total_segments, pdu.sar_segment_seqnum or 1)
        part = InboundPart(
            codec.e164(pdu.source_addr or b"", pdu.source_addr_ton or 0),
            codec.e164(pdu.destination_addr or b"", pdu.dest_addr_ton or 0),
            codec.decode(text_bytes, pdu.data_coding or 0), self.name,
            concatenation.reference if concatenation else None,
            concatenation.total if concatenation else 1, concatenation.sequence if concatenation else 1)
        self._inbound.put((session, pdu.sequence, part))

    def _receipt(self, session: Session, pdu: Any, text: bytes) -> None:
        session.counters["ReceiptsReceived"] += 1
        fields = codec.parse_receipt(text, getattr(pdu, "receipted_message_id", None),
                                     getattr(pdu, "message_state", None))
        if fields is None:
            log.warning("smpp carrier=%s bind=%d: a receipt naming no message (%r)", self.name, session.index, text[:80])
            session.respond(pdu.sequence, "deliver_sm_resp")
            return
        meaning = statuses.receipt_meaning(fields.stat)
        if not meaning.is_final:  # progress only: AWS has no event for it
            session.respond(pdu.sequence, "deliver_sm_resp")
            return
        detail = f"stat:{fields.stat}" + (f" err:{fields.err}" if fields.err else "")
        receipt = Receipt("", meaning.status, True, extra={"carrierStatus": detail}, carrier=self.name,
                          carrier_message_id=fields.carrier_message_id, token=(session, pdu.sequence))
        with self._receipts_lock:
            self._receipts.append(receipt)

    def receipts(self) -> list[Receipt]:
        with self._receipts_lock:
            ready, self._receipts = self._receipts, []
        return ready

    def settle(self, receipts: Sequence[Receipt]) -> None:
        by_session: dict[int, tuple[Session, list[tuple[int, str, int]]]] = {}
        for receipt in receipts:
            if receipt.token is not None:
                session, sequence = receipt.token
                by_session.setdefault(id(session), (session, []))[1].append((sequence, "deliver_sm_resp", 0))
        for session, answers in by_session.values():
            session.respond_many(answers)

    def _inbound_loop(self) -> None:
        while (item := self._inbound.get()) is not None:
            session, sequence, part = item
            status = statuses.ROK
            try:
                if self.context.inbound is not None:
                    self.context.inbound(part)
            except InboundRefused:
                status = statuses.RINVDSTADR
            except Exception:  # noqa: BLE001 - the SMSC sends it again
                log.exception("smpp carrier=%s: a handset message could not be stored", self.name)
                status = statuses.RX_T_APPN
            session.respond(sequence, "deliver_sm_resp", status)

    # --- state ------------------------------------------------------------------------------------------

    def status(self) -> list[dict[str, Any]]:
        now = time.monotonic()
        recent = sum(1 for sent in self._sent_times if now - sent <= 10.0) / 10.0
        return [{**session.status(), "MessagesPerSecond": recent} for session in self.sessions]

    def close(self) -> None:
        for session in self.sessions:
            session.close()
        self._inbound.put(None)
        self._inbound_thread.join(2.0)
