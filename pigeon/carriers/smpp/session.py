"""One bind to an SMSC: connect, bind, read PDUs, keep the link alive, reconnect with backoff.

The PDUs themselves are smpplib's (make_pdu / parse_pdu); this module is the session policy smpplib leaves
to its users: a window of outstanding submit_sm per bind, answers matched by sequence number, enquire_link
to find a dead peer, a clean unbind on shutdown. Submits come from the dispatcher's thread, answers to the
SMSC's requests from whichever thread settles them; every write holds one lock, so PDUs never interleave.
A link that drops fails its outstanding submits at once (the dispatcher retries them), so a message leaves
the outbox only once the SMSC answered submit_sm_resp.
"""

from __future__ import annotations

import logging
import random
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

from smpplib import smpp
from smpplib.exceptions import UnknownCommandError

from pigeon.carriers.smpp import statuses
from pigeon.carriers.smpp.config import SmppConfig

log = logging.getLogger("pigeon.carriers.smpp")

DISCONNECTED, CONNECTING, BOUND, BIND_FAILED, CLOSED = "DISCONNECTED", "CONNECTING", "BOUND", "BIND_FAILED", "CLOSED"
_MAX_SEQUENCE = 0x7FFFFFFF
_MAX_PDU = 64 * 1024


class LinkDown(Exception):
    """The session cannot send now (not bound, or the link dropped while a submit waited)."""


class Pending:
    """One submit_sm waiting for its submit_sm_resp."""

    __slots__ = ("done", "status", "message_id", "failure", "sent_at")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.status = -1
        self.message_id = ""
        self.failure = ""
        self.sent_at = time.monotonic()


class Session:
    """A bind in ``mode`` transceiver, transmitter or receiver; ``on_deliver(session, pdu)`` gets every deliver_sm."""

    def __init__(self, config: SmppConfig, index: int, mode: str,
                 on_deliver: Callable[[Session, Any], None]) -> None:
        self.config, self.index, self.mode = config, index, mode
        self.on_deliver = on_deliver
        self.state = DISCONNECTED
        self.last_error = ""
        self.bound_since: float | None = None
        self.paused_until = 0.0
        self.throttle_streak = 0
        self.counters = {"Submitted": 0, "Accepted": 0, "Refused": 0, "Throttled": 0, "ReceiptsReceived": 0,
                         "InboundReceived": 0, "Reconnects": 0, "Timeouts": 0}
        self._socket: socket.socket | ssl.SSLSocket | None = None
        self._buffer = bytearray()
        self._send_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._pending: dict[int, Pending] = {}
        self._window = threading.BoundedSemaphore(config.window)
        self._sequence = 0
        self._closing = threading.Event()
        self._unbound = threading.Event()
        self._enquire_sent: float | None = None
        self._last_sent = self._last_received = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"pigeon-smpp-{config.name}-{index}", daemon=True)

    # --- the sequence "client" smpplib's PDUs ask for ---------------------------------------------------

    @property
    def sequence(self) -> int:
        return self._sequence

    def next_sequence(self) -> int:
        with self._state_lock:
            self._sequence = self._sequence % _MAX_SEQUENCE + 1
            return self._sequence

    # --- life -------------------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    @property
    def can_submit(self) -> bool:
        return self.state == BOUND and self.mode != "receiver" and time.monotonic() >= self.paused_until

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    def close(self, timeout: float = 2.0) -> None:
        """Unbind (waiting up to ``timeout`` for unbind_resp), then close the link for good."""
        self._closing.set()
        if self.state == BOUND:
            try:
                self._send(smpp.make_pdu("unbind", client=self))
                answered = self._unbound.wait(timeout)
            except (OSError, LinkDown):
                answered = False
            if answered:
                log.info("smpp unbound carrier=%s bind=%d", self.config.name, self.index)
            else:
                log.warning("smpp unbind unanswered carrier=%s bind=%d (closing)", self.config.name, self.index)
        self._drop("closed")
        self.state = CLOSED
        self._thread.join(timeout)

    def _run(self) -> None:
        delay = self.config.reconnect_initial_seconds
        while not self._closing.is_set():
            try:
                self._connect_and_bind()
                delay = self.config.reconnect_initial_seconds
                self._read_loop()
            except BindRefused as refused:
                self.state = BIND_FAILED
                self.last_error = str(refused)
                log.error("smpp bind refused carrier=%s bind=%d system_id=%s: %s (retrying in %.0fs)",
                          self.config.name, self.index, self.config.system_id, refused, delay)
            except (OSError, LinkDown, struct.error, ValueError, UnknownCommandError) as error:
                self.last_error = f"{type(error).__name__}: {error}"
                if not self._closing.is_set():
                    log.warning("smpp link down carrier=%s bind=%d host=%s:%d: %s (reconnecting in %.1fs)",
                                self.config.name, self.index, self.config.host, self.config.port,
                                self.last_error, delay)
            self._drop(self.last_error or "link lost")
            if self.state != BIND_FAILED:
                self.state = DISCONNECTED
            if self._closing.wait(delay * random.uniform(0.8, 1.2)):
                break
            self.counters["Reconnects"] += 1
            delay = min(delay * 2, self.config.reconnect_max_seconds)

    def _connect_and_bind(self) -> None:
        self.state = CONNECTING
        raw = socket.create_connection((self.config.host, self.config.port), timeout=self.config.response_timeout_seconds)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock: socket.socket | ssl.SSLSocket = raw
        if self.config.tls:
            context = ssl.create_default_context(cafile=self.config.tls_ca_file)
            if not self.config.tls_verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            sock = context.wrap_socket(raw, server_hostname=self.config.host)
        self._buffer = bytearray()
        self._socket = sock
        self._unbound.clear()
        bind = smpp.make_pdu(f"bind_{self.mode}", client=self, system_id=self.config.system_id,
                             password=self.config.password, system_type=self.config.system_type,
                             interface_version=0x34, addr_ton=0, addr_npi=0, address_range="")
        self._send(bind)
        deadline = time.monotonic() + self.config.response_timeout_seconds
        while True:
            pdu = self._next_pdu(deadline)
            if pdu is None:
                raise LinkDown("no bind response")
            if pdu.command == f"bind_{self.mode}_resp" or pdu.command == "generic_nack":
                if pdu.status != statuses.ROK:
                    raise BindRefused(f"{statuses.name(pdu.status)} (0x{pdu.status:02X})")
                break
        sock.settimeout(1.0)
        self.state = BOUND
        self.bound_since = time.time()
        self.last_error = ""
        self.throttle_streak = 0
        log.info("smpp bound carrier=%s bind=%d mode=%s host=%s:%d system_id=%s", self.config.name, self.index,
                 self.mode, self.config.host, self.config.port, self.config.system_id)

    # --- reading ----------------------------------------------------------------------------------------

    def _next_pdu(self, deadline: float | None = None) -> Any:
        """The next complete PDU (None at a read timeout); LinkDown when the peer closed."""
        assert self._socket is not None
        while True:
            if len(self._buffer) >= 4:
                length = struct.unpack(">L", self._buffer[:4])[0]
                if not 16 <= length <= _MAX_PDU:
                    raise LinkDown(f"malformed PDU length {length}")
                if len(self._buffer) >= length:
                    raw = bytes(self._buffer[:length])
                    del self._buffer[:length]
                    self._last_received = time.monotonic()
                    return smpp.parse_pdu(raw, client=self, allow_unknown_opt_params=True)
            if deadline is not None and time.monotonic() > deadline:
                return None
            try:
                chunk = self._socket.recv(65536)
            except TimeoutError:
                return None
            if not chunk:
                raise LinkDown("the SMSC closed the connection")
            self._buffer += chunk

    def _read_loop(self) -> None:
        while not self._closing.is_set():
            pdu = self._next_pdu()
            if pdu is None:
                self._keep_alive()
                continue
            self._handle(pdu)
            if time.monotonic() - self._last_sent >= self.config.enquire_link_seconds:
                self._keep_alive()

    def _keep_alive(self) -> None:
        now = time.monotonic()
        if self._enquire_sent is not None and now - self._enquire_sent > self.config.response_timeout_seconds:
            raise LinkDown(f"no enquire_link_resp within {self.config.response_timeout_seconds:.0f}s")
        if self._enquire_sent is None and now - max(self._last_sent, self._last_received) >= self.config.enquire_link_seconds:
            self._enquire_sent = now
            self._send(smpp.make_pdu("enquire_link", client=self))

    def _handle(self, pdu: Any) -> None:
        command = pdu.command
        if command in ("submit_sm_resp", "generic_nack"):
            self._answered(pdu)
        elif command in ("deliver_sm", "data_sm"):
            self.on_deliver(self, pdu)
        elif command == "enquire_link":
            self.respond(pdu.sequence, "enquire_link_resp")
        elif command == "enquire_link_resp":
            self._enquire_sent = None
        elif command == "unbind":
            self.respond(pdu.sequence, "unbind_resp")
            raise LinkDown("the SMSC unbound")
        elif command == "unbind_resp":
            self._unbound.set()
            raise LinkDown("unbound")
        else:
            log.debug("smpp carrier=%s ignores %s", self.config.name, command)

    def _answered(self, pdu: Any) -> None:
        with self._state_lock:
            pending = self._pending.pop(pdu.sequence, None)
        if pending is None:
            return
        self._window.release()
        pending.status = pdu.status
        message_id = getattr(pdu, "message_id", b"") or b""
        pending.message_id = message_id.decode("ascii", errors="replace") if isinstance(message_id, bytes) else str(message_id)
        pending.done.set()

    # --- writing ----------------------------------------------------------------------------------------

    def _send(self, pdu: Any) -> None:
        self._write(pdu.generate())

    def respond(self, sequence: int, command: str, status: int = statuses.ROK) -> None:
        """Answer the SMSC's request ``sequence`` (deliver_sm_resp, enquire_link_resp, ...)."""
        self.respond_many([(sequence, command, status)])

    def respond_many(self, answers: list[tuple[int, str, int]]) -> None:
        """Answers to the SMSC's requests in one write; a link that is gone drops them (the SMSC sends its
        requests again)."""
        data = []
        for sequence, command, status in answers:
            pdu = smpp.make_pdu(command, client=self, status=status, sequence=sequence)
            pdu.sequence = sequence  # make_pdu keeps a fresh sequence number when one is passed
            if command == "deliver_sm_resp":
                pdu.message_id = ""
            data.append(pdu.generate())
        try:
            self._write(b"".join(data))
        except (OSError, LinkDown) as error:
            log.info("smpp carrier=%s bind=%d could not send %d answers: %s", self.config.name, self.index,
                     len(answers), error)

    def _write(self, data: bytes) -> None:
        with self._send_lock:
            sock = self._socket
            if sock is None:
                raise LinkDown("not connected")
            sock.sendall(data)
            self._last_sent = time.monotonic()

    def submit_many(self, submits: list[dict[str, Any]], deadline: float) -> list[Pending | LinkDown]:
        """submit_sm for each of ``submits`` within the window, written together: one write for as many as
        the window has room for (then waiting for a free slot until ``deadline``, and the next write)."""
        results: list[Pending | LinkDown] = []
        batch: list[tuple[int, bytes]] = []
        for fields in submits:
            if self.state != BOUND:
                results.append(LinkDown(f"bind {self.index} is {self.state.lower()}"))
                continue
            if not self._window.acquire(blocking=False):
                self._flush(batch)
                batch = []
                if not self._window.acquire(timeout=max(0.0, deadline - time.monotonic())):
                    results.append(LinkDown(f"bind {self.index}: window of {self.config.window} still full"))
                    continue
            pdu = smpp.make_pdu("submit_sm", client=self, **fields)
            pending = Pending()
            with self._state_lock:
                self._pending[pdu.sequence] = pending
            batch.append((pdu.sequence, pdu.generate()))
            results.append(pending)
        self._flush(batch)
        return results

    def _flush(self, batch: list[tuple[int, bytes]]) -> None:
        if not batch:
            return
        try:
            self._write(b"".join(data for _, data in batch))
        except (OSError, LinkDown) as error:
            for sequence, _ in batch:
                self._fail(sequence, f"link lost: {error}")
            return
        self.counters["Submitted"] += len(batch)

    def try_acquire(self) -> bool:
        """Whether the window has a free slot now (taken, then given back: a hint for load sharing)."""
        if self._window.acquire(blocking=False):
            self._window.release()
            return True
        return False

    def _fail(self, sequence: int, reason: str) -> None:
        with self._state_lock:
            pending = self._pending.pop(sequence, None)
        if pending is not None:
            self._window.release()
            pending.failure = reason
            pending.done.set()

    def _drop(self, reason: str) -> None:
        """Close the link and fail every outstanding submit (the dispatcher retries them)."""
        with self._send_lock:
            sock, self._socket = self._socket, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
        self.bound_since = None
        self._enquire_sent = None
        with self._state_lock:
            sequences = list(self._pending)
        for sequence in sequences:
            self._fail(sequence, reason)

    def reset(self, reason: str) -> None:
        """Drop a link that stopped answering; the session reconnects by itself."""
        self.counters["Timeouts"] += 1
        log.warning("smpp carrier=%s bind=%d reset: %s", self.config.name, self.index, reason)
        self.last_error = reason
        with self._send_lock:
            sock = self._socket
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def pause(self) -> float:
        """Throttled: send nothing for a while, doubling while throttling repeats; returns the pause."""
        self.throttle_streak = min(self.throttle_streak + 1, 6)
        pause = self.config.throttle_pause_seconds * 2 ** (self.throttle_streak - 1)
        self.paused_until = time.monotonic() + pause
        self.counters["Throttled"] += 1
        return pause

    def status(self) -> dict[str, Any]:
        return {"Name": self.config.name, "Type": "smpp", "Bind": self.index, "Mode": self.mode,
                "State": self.state, "Host": self.config.host, "Port": self.config.port,
                "SystemId": self.config.system_id, "InFlight": self.in_flight, "Window": self.config.window,
                "BoundSince": self.bound_since, "LastError": self.last_error or None,
                "PausedSeconds": round(max(0.0, self.paused_until - time.monotonic()), 2), **self.counters}


class BindRefused(Exception):
    """The SMSC answered the bind with an error (wrong password or system id, ...)."""
