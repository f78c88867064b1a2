"""The SMSC test peer itself (node-smpp, tests/peers/smsc), proven with an independent client: smpplib.

These tests hold the peer to what the SMPP connector's tests rely on: binds and credentials, submit
logging with the right decoded text, reassembly, receipts in each mode, behaviour rules, handset (MO)
messages, and a kill/start on the same port.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import gsm0338  # noqa: F401  (registers the 'gsm03.38' codec)
import pytest
import smpplib.client
import smpplib.exceptions

from tests.support.smsc import NodeSmsc, SmscError

RECEIPT = re.compile(rb"^id:(\S+) sub:\d{3} dlvrd:\d{3} submit date:\d{10} done date:\d{10} stat:(\w+) err:(\d{3}) text:")


def wait_receipt_state(peer: NodeSmsc, state: str) -> None:
    peer.wait_for(lambda: [r["state"] for r in peer.receipts()] == [state], message=f"one receipt {state}")


class Esme:
    """An smpplib client bound to the peer, with a reader thread collecting what the SMSC sends."""

    def __init__(self, port: int, mode: str = "transceiver", system_id: str = "esme", password: str = "pw") -> None:
        self.client = smpplib.client.Client("127.0.0.1", port, allow_unknown_opt_params=True, timeout=5)
        self.resps: list[Any] = []
        self.delivered: list[Any] = []
        self.errors: list[Any] = []
        self.status_for_deliver = 0
        self.reader_error: BaseException | None = None
        self.client.set_message_sent_handler(lambda pdu: self.resps.append(pdu))
        self.client.set_message_received_handler(lambda pdu: self._received(pdu))
        self.client.set_error_pdu_handler(lambda pdu: self.errors.append(pdu))
        self.client.connect()
        getattr(self.client, f"bind_{mode}")(system_id=system_id, password=password)
        self._stop = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _received(self, pdu: Any) -> int:
        self.delivered.append(pdu)
        return self.status_for_deliver

    def _read(self) -> None:
        while not self._stop:
            try:
                self.client.read_once(auto_send_enquire_link=False)
            except TimeoutError:
                continue
            except Exception as error:  # the connection went away, or a bug: kept for the test to see
                self.reader_error = error
                return

    def submit(self, text: str | bytes, destination: str = "15557654321", data_coding: int = 0,
               registered_delivery: int = 1, **kwargs: Any) -> None:
        body = text.encode("gsm03.38") if isinstance(text, str) else text
        self.client.send_message(source_addr_ton=1, source_addr_npi=1, source_addr="15551230000",
                                 dest_addr_ton=1, dest_addr_npi=1, destination_addr=destination,
                                 short_message=body, data_coding=data_coding,
                                 registered_delivery=registered_delivery, **kwargs)

    def wait(self, what: str, count: int, timeout: float = 5.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        while len(getattr(self, what)) < count:
            assert time.monotonic() < deadline, f"only {len(getattr(self, what))} of {count} {what} ({self.reader_error!r})"
            time.sleep(0.01)
        return getattr(self, what)

    def close(self) -> None:
        self._stop = True
        try:
            self.client.unbind()
        except Exception:
            pass
        self._thread.join(timeout=6)
        self.client.disconnect()


@pytest.fixture(scope="module")
def smsc() -> Iterator[NodeSmsc]:
    peer = NodeSmsc(dlr_delay_ms=10).start()
    yield peer
    peer.stop()


@pytest.fixture
def peer(smsc: NodeSmsc) -> NodeSmsc:
    smsc.reset()
    return smsc


@pytest.fixture
def esme(peer: NodeSmsc) -> Iterator[Esme]:
    client = Esme(peer.port)
    yield client
    client.close()


def test_gsm7_submit_is_logged_decoded_and_receipted_in_each_mode(peer: NodeSmsc, esme: Esme) -> None:
    text = "Hi {you} €5 @ß"
    esme.submit(text, validity_period="000001000000000R")
    resp = esme.wait("resps", 1)[0]
    assert resp.status == 0
    message_id = resp.message_id.decode()
    [submit] = peer.submits()
    assert submit["message_id"] == message_id
    assert (submit["text"], submit["data_coding"], submit["esm_class"]) == (text, 0, 0)
    assert (submit["destination_addr"], submit["dest_addr_ton"], submit["dest_addr_npi"]) == ("15557654321", 1, 1)
    assert submit["validity_period"] == "000001000000000R"
    assert submit["system_id"] == "esme" and submit["bind_id"] == peer.binds()[0]["bind_id"]

    receipt = esme.wait("delivered", 1)[0]
    assert receipt.esm_class == 0x04
    assert receipt.source_addr.decode() == "15557654321" and receipt.destination_addr.decode() == "15551230000"
    match = RECEIPT.match(receipt.short_message)
    assert match and match.group(1).decode() == message_id and match.group(2) == b"DELIVRD"
    assert receipt.short_message.endswith(b"text:Hi {you} ?5 @?")  # the first 20 characters, ASCII only
    assert receipt.receipted_message_id.decode() == message_id and receipt.message_state == 2
    wait_receipt_state(peer, "acked")

    for mode, count in (("tlv", 2), ("text", 3)):
        peer.behave(receipts=mode)
        esme.submit(f"mode {mode}")
        receipt = esme.wait("delivered", count)[-1]
        message_id = esme.wait("resps", count)[-1].message_id
        if mode == "tlv":
            assert receipt.short_message == b"" and receipt.receipted_message_id == message_id
        else:
            assert RECEIPT.match(receipt.short_message).group(1) == message_id  # type: ignore[union-attr]
            assert getattr(receipt, "receipted_message_id", None) is None

    peer.behave(receipts="none")
    esme.submit("silent carrier")
    esme.wait("resps", 4)
    time.sleep(0.3)
    assert len(esme.delivered) == 3
    stats = peer.stats()
    assert (stats["submits"], stats["receipts_created"], stats["receipts_acked"]) == (4, 3, 3)


def test_udh_three_parts_are_reassembled(peer: NodeSmsc, esme: Esme) -> None:
    text = ("€" * 76 + "x") + ("b" * 153) + "tail {end}"  # part 1 would end in half an escape at 153 septets
    encoded = text.encode("gsm03.38")
    parts, rest = [], encoded
    while rest:
        cut = 153 if rest[152:153] != b"\x1b" else 152
        parts.append(rest[:cut])
        rest = rest[cut:]
    assert len(parts) == 3
    for number, part in enumerate(parts, start=1):
        esme.submit(bytes([5, 0, 3, 0x42, 3, number]) + part, esm_class=0x40, registered_delivery=0)
    ids = [r.message_id.decode() for r in esme.wait("resps", 3)]
    [message] = peer.wait_for(peer.messages)
    assert message["text"] == text and message["warnings"] == []
    assert (message["parts"], message["method"], message["data_coding"]) == (3, "udh", 0)
    assert message["message_ids"] == ids
    assert [s["udh"] for s in peer.submits()] == [[f"00034203{n:02x}"] for n in (1, 2, 3)]


def test_ucs2_sar_and_payload_messages(peer: NodeSmsc, esme: Esme) -> None:
    esme.submit("你好 😀".encode("utf-16-be"), data_coding=8, registered_delivery=0, sar_msg_ref_num=7,
                sar_total_segments=2, sar_segment_seqnum=2)
    esme.submit("Ça va? ".encode("utf-16-be"), data_coding=8, registered_delivery=0, sar_msg_ref_num=7,
                sar_total_segments=2, sar_segment_seqnum=1)
    esme.submit(b"", data_coding=0, registered_delivery=0, message_payload=("p" * 300).encode("gsm03.38"))
    esme.wait("resps", 3)
    sar, payload = peer.wait_for(lambda: len(peer.messages()) == 2 and peer.messages())
    assert (sar["text"], sar["method"], sar["parts"], sar["data_coding"]) == ("Ça va? 你好 😀", "sar", 2, 8)
    assert peer.submits()[0]["sar"] == {"msg_ref_num": 7, "total_segments": 2, "segment_seqnum": 2}
    assert (payload["text"], payload["method"]) == ("p" * 300, "payload")
    assert peer.submits()[2]["payload"] is True


def test_credentials_are_checked(peer: NodeSmsc) -> None:
    peer.behave(system_id="pigeon", password="secret")
    for system_id, password, status in (("pigeon", "wrong", 0x0E), ("other", "secret", 0x0F)):
        with pytest.raises(smpplib.exceptions.PDUError) as refused:
            Esme(peer.port, system_id=system_id, password=password)
        assert refused.value.args[1] == status
    Esme(peer.port, system_id="pigeon", password="secret").close()
    assert [(b["system_id"], b["status"]) for b in peer.binds(all=True)] == [("pigeon", 0x0E), ("other", 0x0F), ("pigeon", 0)]

    with NodeSmsc(password="from-env") as strict:
        with pytest.raises(smpplib.exceptions.PDUError) as refused:
            Esme(strict.port, password="pw")
        assert refused.value.args[1] == 0x0E
        Esme(strict.port, mode="transmitter", password="from-env").close()


def test_behaviour_rules(peer: NodeSmsc, esme: Esme) -> None:
    peer.behave(throttle_every=3)
    for _ in range(6):
        esme.submit("t", registered_delivery=0)
    assert [r.status for r in esme.wait("resps", 6)] == [0, 0, 0x58, 0, 0, 0x58]

    peer.behave(throttle_every=0, reject=[{"prefix": "+1555", "status": 11}],
                stat=[{"prefix": "1444", "stat": "UNDELIV", "err": "001"}])
    esme.submit("rejected", destination="15550000000")
    esme.submit("undeliverable", destination="14440000000")
    resps = esme.wait("resps", 8)
    assert resps[6].status == 11 and resps[7].status == 0
    receipt = esme.wait("delivered", 1)[0]
    assert RECEIPT.match(receipt.short_message).group(2, 3) == (b"UNDELIV", b"001")  # type: ignore[union-attr]
    assert receipt.message_state == 5

    with pytest.raises(SmscError):
        peer.behave(throttle_evry=2)  # a typo is refused, not ignored
    peer.behave(respond=False)
    esme.submit("into the void", destination="12220000000")
    peer.wait_for(lambda: peer.stats()["submits_unanswered"] == 1)
    time.sleep(0.2)
    assert len(esme.resps) == 8


def test_mo_reaches_a_bound_receiver(peer: NodeSmsc) -> None:
    assert peer.send_mo("+15557654321", "+15551230000", "nobody there") == {"error": "no receiver bound"}
    receiver = Esme(peer.port, mode="receiver")
    try:
        answer = peer.send_mo("+15557654321", "+15551230000", "Hello {world} €")
        assert answer["statuses"] == [0]
        single = receiver.wait("delivered", 1)[0]
        assert (single.short_message, single.data_coding, single.esm_class) == ("Hello {world} €".encode("gsm03.38"), 0, 0)
        assert single.source_addr == b"15557654321" and single.source_addr_ton == 1

        text = "😀" * 40  # 80 UTF-16 units: 2 parts, the split must not cut a surrogate pair
        assert peer.send_mo("+15557654321", "+15551230000", text, method="udh", data_coding=8)["statuses"] == [0, 0]
        parts = receiver.wait("delivered", 3)[1:]
        ref = parts[0].short_message[3]
        assert [p.short_message[:6] for p in parts] == [bytes([5, 0, 3, ref, 2, n]) for n in (1, 2)]
        assert all(p.esm_class == 0x40 and p.data_coding == 8 for p in parts)
        assert "".join(p.short_message[6:].decode("utf-16-be") for p in parts) == text

        receiver.status_for_deliver = 0x45
        assert peer.send_mo("+15557654321", "+15551230000", "refused", method="sar")["statuses"] == [0x45]
    finally:
        receiver.close()


def test_kill_and_start_on_the_same_port() -> None:
    peer = NodeSmsc().start()
    try:
        first = Esme(peer.port)
        first.submit("before", registered_delivery=0)
        before = first.wait("resps", 1)[0].message_id
        port = peer.port
        peer.kill()
        first._thread.join(timeout=5)
        assert not first._thread.is_alive()  # the connection died with the peer
        peer.start()
        assert peer.port == port and peer.submits() == []
        second = Esme(peer.port)
        second.submit("after", registered_delivery=0)
        after = second.wait("resps", 1)[0].message_id
        assert after != before  # ids stay unique across restarts
        second.close()
    finally:
        peer.kill()


def test_refused_receipts_are_retried_then_given_up(peer: NodeSmsc, esme: Esme) -> None:
    peer.behave(receipt_retry_delay_ms=20)
    esme.status_for_deliver = 0x08  # ESME_RSYSERR on every deliver_sm
    esme.submit("nobody wants this receipt")
    wait_receipt_state(peer, "failed")
    [receipt] = peer.receipts()
    assert [a["status"] for a in receipt["attempts"]] == [8, 8, 8, 8]  # the first try and 3 retries
    assert len(esme.delivered) == 4
    stats = peer.stats()
    assert (stats["receipts_sent"], stats["receipts_nacked"], stats["receipts_failed"]) == (4, 4, 1)


def test_receipt_waits_for_a_receiver_bind(peer: NodeSmsc) -> None:
    transmitter = Esme(peer.port, mode="transmitter")
    try:
        transmitter.submit("sent on a transmitter bind")
        message_id = transmitter.wait("resps", 1)[0].message_id
        wait_receipt_state(peer, "pending")
        receiver = Esme(peer.port, mode="receiver")
        receipt = receiver.wait("delivered", 1)[0]
        assert receipt.receipted_message_id == message_id
        wait_receipt_state(peer, "acked")
        assert peer.receipts()[0]["attempts"][0]["bind_id"] == receiver_bind_id(peer)
        receiver.close()
    finally:
        transmitter.close()


def receiver_bind_id(peer: NodeSmsc) -> int:
    return next(b["bind_id"] for b in peer.binds() if b["mode"] == "receiver")


def test_smsc_can_end_the_session(peer: NodeSmsc, esme: Esme) -> None:
    [bind] = peer.binds()
    assert peer.disconnect(mode="close") == [bind["bind_id"]]
    esme._thread.join(timeout=5)
    assert esme.reader_error is not None  # the client saw its connection drop
    peer.wait_for(lambda: peer.binds() == [])
