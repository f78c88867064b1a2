"""Real calls over SIP: a real ``pigeon serve`` with SIP carriers (PIGEON_CARRIERS) calls Debian's baresip, which
nobody here wrote, through boto3's send_voice_message; the outcome is read back from GET /_pigeon/events.

baresip answers one number at once (and records what it hears), rings for two others (the test rejects the
call busy, or lets it ring out), and knows no fourth (404). A second carrier points at a port where nothing
listens (an unreachable trunk). The recorded audio must match the synthesized prompt (NCC >= 0.9).
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import make_client, new_account_id
from tests.messaging.support import VOICE_RECORD_FIELDS, events, final_events, messages
from tests.support.audio_match import best_correlation
from tests.support.baresip import Baresip, available
from tests.support.postgres import free_port
from tests.support.server import PigeonServer

ANSWERS, RINGS, RINGS_TOO, UNKNOWN = "+12065550101", "+12065550102", "+12065550103", "+12065550199"
UNREACHABLE = "+13125550123"
ANSWERS_OVER_TCP, ANSWERS_OVER_TLS = "+14255550101", "+13605550101"
PROMPT = "Your verification code is 1 2 3 4 5 6. Goodbye."
RING_TIMEOUT = 3

pytestmark = pytest.mark.skipif(not available(), reason="baresip is not installed (scripts/setup.sh --test)")


def self_signed(directory: Path) -> Path:
    """A PEM file with a new key and a self-signed certificate for 127.0.0.1 (baresip's TLS listener)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=2))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .sign(key, hashes.SHA256()))
    path = directory / "baresip.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption()) + certificate.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.fixture(scope="module")
def callee(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Baresip]:
    peer = Baresip(auto=[ANSWERS.lstrip("+"), ANSWERS_OVER_TCP.lstrip("+"), ANSWERS_OVER_TLS.lstrip("+")],
                   manual=[RINGS.lstrip("+"), RINGS_TOO.lstrip("+")],
                   certificate=self_signed(tmp_path_factory.mktemp("tls"))).start()
    yield peer
    peer.stop()


def carriers(callee: Baresip, **trunk: Any) -> str:
    common = {"type": "sip", "host": "127.0.0.1", "request_uri": "sip:{destination_digits}@{host}:{port}",
              "local_address": "127.0.0.1", "ring_timeout_seconds": RING_TIMEOUT, "tail_seconds": 0.3}
    return json.dumps([{**common, "name": "trunk", "port": callee.sip_port, "max_concurrent_calls": 2, **trunk},
                       {**common, "name": "dead", "port": free_port()},
                       {**common, "name": "tcp", "port": callee.sip_port, "transport": "tcp", "codecs": ["PCMA"]},
                       {**common, "name": "tls", "port": callee.sip_port + 1, "transport": "tls",
                        "tls_verify_server": False}])


ROUTES = json.dumps([{"carrier": "dead", "destination_prefixes": ["+1312"]},
                     {"carrier": "tcp", "destination_prefixes": ["+1425"]},
                     {"carrier": "tls", "destination_prefixes": ["+1360"]}, {"carrier": "trunk"}])


def sip_server(callee: Baresip, database_url: str | None = None, **env: str) -> PigeonServer:
    return PigeonServer(database_url, env={"PIGEON_CARRIERS": carriers(callee), "PIGEON_ROUTES": ROUTES, **env})


@pytest.fixture(scope="module")
def pigeon(callee: Baresip) -> Iterator[PigeonServer]:
    server = sip_server(callee).start()
    yield server
    server.stop()


@pytest.fixture
def origin(pigeon: PigeonServer) -> tuple[Any, str]:
    client = make_client(pigeon, new_account_id())
    number = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                         NumberCapabilities=["SMS", "VOICE"], NumberType="TOLL_FREE")
    return client, number["PhoneNumberId"]


def call(client: Any, origin: str, destination: str, body: str = PROMPT, **kwargs: Any) -> str:
    return client.send_voice_message(DestinationPhoneNumber=destination, OriginationIdentity=origin,
                                     MessageBody=body, **kwargs)["MessageId"]


def statuses(records: list[dict[str, Any]]) -> list[str]:
    return [record["eventType"] for record in records]


def view(server: PigeonServer, message_id: str) -> dict[str, Any]:
    [message] = messages(server, message_id=message_id)
    return message


def carrier_status(server: PigeonServer, name: str, timeout: float = 10.0, **expected: Any) -> dict[str, Any]:
    """The carrier's entry in GET /_pigeon/connections once it shows ``expected`` (written every 2 s)."""
    deadline = time.monotonic() + timeout
    while True:
        found = requests.get(f"{server.url}/_pigeon/connections", timeout=10).json()["Connections"]
        entry = next((entry for entry in found if entry["Name"] == name), {})
        if entry and all(entry.get(key) == value for key, value in expected.items()):
            return entry
        assert time.monotonic() < deadline, (expected, entry)
        time.sleep(0.2)


def most_calls_at_once(callee: Baresip, since: int) -> int:
    """The most calls baresip had open at once (CALL_INCOMING .. CALL_CLOSED) from event ``since`` on."""
    open_calls, most = 0, 0
    for event in callee.events[since:]:
        open_calls += {"CALL_INCOMING": 1, "CALL_CLOSED": -1}.get(event.get("type", ""), 0)
        most = max(most, open_calls)
    return most


def assert_plays_the_prompt(server: PigeonServer, callee: Baresip, origin: tuple[Any, str],
                            destination: str = ANSWERS, carrier: str = "trunk", law: bytes = b"\x07\x00") -> str:
    """Call ``destination``, check the events, the inspection API and what baresip heard; the message id."""
    client, number = origin
    before = len(callee.recordings_received())
    message_id = call(client, number, destination, Context={"call": "sip"})
    assert final_events(server, message_id, timeout=30)[0]["context"] == {"call": "sip"}
    return assert_played(server, callee, message_id, before, carrier, law)


def assert_played(server: PigeonServer, callee: Baresip, message_id: str, before: int, carrier: str = "trunk",
                  law: bytes = b"\x07\x00", free: bool = False) -> str:
    records = final_events(server, message_id, timeout=30)
    assert statuses(records) in (["VOICE_INITIATED", "VOICE_RINGING", "VOICE_ANSWERED", "VOICE_COMPLETED"],
                                 ["VOICE_INITIATED", "VOICE_ANSWERED", "VOICE_COMPLETED"]), records
    assert [field for field in VOICE_RECORD_FIELDS if field in records[0]] == list(records[0])
    assert set(VOICE_RECORD_FIELDS) - set(records[0]) <= {"context"}
    completed = records[-1]
    assert completed["isFinal"] and completed.get("context", {"call": "sip"}) == {"call": "sip"}
    message = view(server, message_id)
    assert (message["Status"], message["Carrier"], message["SipStatus"]) == ("DELIVERED", carrier, "200 OK")
    assert message["SipCallId"]
    # the call lasts the message plus its tail, and is billed one started minute
    assert message["DurationSeconds"] + 0.2 < completed["callDurationSeconds"] < message["DurationSeconds"] + 2.0
    assert message["CallDurationSeconds"] == completed["callDurationSeconds"]
    assert completed["totalMessagePrice"] == records[0]["totalMessagePrice"]
    assert (completed["totalMessagePrice"] == 0) is free
    # what baresip heard is the synthesized prompt
    deadline = time.monotonic() + 10
    while len(callee.recordings_received()) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    recording = callee.recordings_received()[-1]
    synthesized = server.data_dir / "messages" / message_id / "voice.wav"
    score, lag = best_correlation(synthesized, recording)
    assert score >= 0.9, (score, lag, recording)
    # the inspection API serves the audio that was sent: 8 kHz G.711 in the first codec's law (7 µ-law, 6 A-law)
    sent = requests.get(f"{server.url}{message['CallAudioDownload']}", timeout=10)
    assert (sent.status_code, sent.headers["content-type"], sent.content[20:22]) == (200, "audio/wav", law)
    assert int.from_bytes(sent.content[24:28], "little") == 8000
    assert requests.get(f"{server.url}{message['AudioDownload']}", timeout=10).content[:4] == b"RIFF"
    return message_id


def test_call_plays_the_synthesized_prompt_and_completes(pigeon, callee, origin):
    assert_plays_the_prompt(pigeon, callee, origin)
    entry = carrier_status(pigeon, "trunk", ActiveCalls=0)
    assert (entry["Type"], entry["State"], entry["Transport"]) == ("sip", "READY", "UDP")
    assert entry["CallsPlaced"] >= 1 and entry["Completed"] >= 1
    bad = requests.get(f"{pigeon.url}/_pigeon/messages/x/audio", params={"version": "loud"}, timeout=10)
    assert (bad.status_code, bad.json()["__type"]) == (400, "ValidationException")


def test_call_over_tcp_offering_pcma_only(pigeon, callee, origin):
    assert_plays_the_prompt(pigeon, callee, origin, ANSWERS_OVER_TCP, "tcp", b"\x06\x00")
    assert carrier_status(pigeon, "tcp", ActiveCalls=0)["Transport"] == "TCP"


def test_call_over_tls(pigeon, callee, origin):
    assert_plays_the_prompt(pigeon, callee, origin, ANSWERS_OVER_TLS, "tls")


def test_voice_verification_code_is_a_real_call(pigeon, callee, origin):
    client, number = origin
    verified = client.create_verified_destination_number(DestinationPhoneNumber=ANSWERS)
    before = len(callee.recordings_received())
    message_id = client.send_destination_number_verification_code(
        VerifiedDestinationNumberId=verified["VerifiedDestinationNumberId"], VerificationChannel="VOICE",
        OriginationIdentity=number)["MessageId"]
    assert_played(pigeon, callee, message_id, before, free=True)  # verification codes are free
    code = "".join(re.findall(r"\d", view(pigeon, message_id)["MessageBody"])[:6])
    answer = client.verify_destination_number(VerifiedDestinationNumberId=verified["VerifiedDestinationNumberId"],
                                              VerificationCode=code)
    assert answer["Status"] == "VERIFIED"


def test_stopping_pigeon_hangs_up_its_calls(callee, tmp_path: Path):
    server = PigeonServer(None, data_dir=tmp_path, env={"PIGEON_CARRIERS": carriers(callee, ring_timeout_seconds=60),
                                                      "PIGEON_ROUTES": ROUTES}).start()
    try:
        client = make_client(server, new_account_id())
        number = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                             NumberCapabilities=["SMS", "VOICE"], NumberType="TOLL_FREE")
        mark = callee.mark()
        call(client, number["PhoneNumberId"], RINGS)
        callee.wait_event("CALL_INCOMING", mark)
        stopped = time.monotonic()
        server.stop()
        callee.wait_event("CALL_CLOSED", mark, timeout=10)  # our CANCEL, not baresip giving up
        assert time.monotonic() - stopped < 10
    finally:
        server.stop()


def test_busy_callee_ends_voice_busy_uncharged(pigeon, callee, origin):
    client, number = origin
    mark = callee.mark()
    message_id = call(client, number, RINGS)
    callee.wait_event("CALL_INCOMING", mark)
    callee.command("hangup")
    records = final_events(pigeon, message_id, timeout=20)
    assert statuses(records)[0] == "VOICE_INITIATED" and statuses(records)[-1] == "VOICE_BUSY", records
    assert "VOICE_ANSWERED" not in statuses(records)
    assert (records[-1]["totalMessagePrice"], records[-1]["totalCarrierFee"]) == (0.0, 0.0)
    assert view(pigeon, message_id)["SipStatus"].startswith("486")


def test_unknown_callee_is_rejected_voice_failed(pigeon, callee, origin):
    client, number = origin
    records = final_events(pigeon, call(client, number, UNKNOWN), timeout=20)
    assert statuses(records) == ["VOICE_INITIATED", "VOICE_FAILED"], records
    assert "SIP 404" in records[-1]["messageStatusDescription"]


def test_unreachable_trunk_fails_quickly(pigeon, origin):
    client, number = origin
    started = time.monotonic()
    message_id = call(client, number, UNREACHABLE)
    records = final_events(pigeon, message_id, timeout=20)
    assert statuses(records) == ["VOICE_INITIATED", "VOICE_FAILED"], records
    assert "unreachable" in records[-1]["messageStatusDescription"]
    assert time.monotonic() - started < RING_TIMEOUT + 3
    assert view(pigeon, message_id)["Carrier"] == "dead"
    assert "unreachable" in carrier_status(pigeon, "dead", ActiveCalls=0)["LastError"]


def test_unanswered_calls_ring_out_and_wait_for_a_free_line(pigeon, callee, origin):
    """max_concurrent_calls 2: the third call waits until one of the first two has rung out."""
    client, number = origin
    mark = callee.mark()
    first, second, third = (call(client, number, destination) for destination in (RINGS, RINGS_TOO, RINGS))
    ended = {m: final_events(pigeon, m, timeout=3 * RING_TIMEOUT + 10) for m in (first, second, third)}
    assert {statuses(records)[-1] for records in ended.values()} == {"VOICE_NO_ANSWER"}, ended
    assert all("VOICE_RINGING" in statuses(records) for records in ended.values())
    deadline = time.monotonic() + 10
    while sum(e.get("type") == "CALL_CLOSED" for e in callee.events[mark:]) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert most_calls_at_once(callee, mark) == 2, callee.events[mark:]
    first_end = min(ended[m][-1]["eventTimestamp"] for m in (first, second))
    assert ended[third][0]["eventTimestamp"] >= first_end - 50  # placed only once a line was free
    assert view(pigeon, third)["Attempts"] >= 2


def call_process_of(server: PigeonServer, carrier: str) -> int:
    """The pid of ``carrier``'s (first) call process, a child of the server."""
    assert server.process is not None
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit() or int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) != \
                    server.process.pid:
                continue
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"pigeon.carriers.sip.helper" in arguments and carrier.encode() in arguments:
            return int(entry.name)
    raise AssertionError(f"no call process of {carrier}")


def test_a_call_process_that_dies_fails_its_calls_and_is_replaced(pigeon, callee, origin):
    client, number = origin
    message_id = call(client, number, RINGS)
    deadline = time.monotonic() + 10
    while "VOICE_RINGING" not in statuses(events(pigeon, message_id=message_id)):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(call_process_of(pigeon, "trunk"), signal.SIGKILL)
    records = final_events(pigeon, message_id, timeout=10)
    assert statuses(records)[-1] == "VOICE_FAILED" and "call process ended" in records[-1]["messageStatusDescription"]
    callee.command("hangup")  # the killed process never sent its CANCEL
    again = final_events(pigeon, call(client, number, UNKNOWN), timeout=20)  # a new call process takes it
    assert statuses(again) == ["VOICE_INITIATED", "VOICE_FAILED"] and "SIP 404" in again[-1]["messageStatusDescription"]


def _database(server: PigeonServer) -> sqlite3.Connection:
    return sqlite3.connect(server.data_dir / "pigeon.db")


def test_a_call_attempted_before_a_crash_is_not_placed_again(callee, tmp_path: Path):
    """The INVITE went out, then the process died before it wrote SUBMITTED: the message is claimed again when
    its lease ends, finds its attempt, and ends VOICE_FAILED (uncharged) without a second call."""
    accepting = PigeonServer(None, data_dir=tmp_path, env={"PIGEON_CARRIERS": carriers(callee),
                                                         "PIGEON_ROUTES": ROUTES, "PIGEON_DISPATCHER": "false"}).start()
    client = make_client(accepting, new_account_id())
    number = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                         NumberCapabilities=["SMS", "VOICE"], NumberType="TOLL_FREE")
    message_id = call(client, number["PhoneNumberId"], ANSWERS)
    accepting.stop()
    with _database(accepting) as db:  # what the crashed process had written before its INVITE
        db.execute("INSERT INTO call_attempts VALUES (?, 'trunk', ?, ?)", (message_id, time.time(), time.time() + 600))
    mark = callee.mark()
    dispatching = PigeonServer(None, data_dir=tmp_path, env={"PIGEON_CARRIERS": carriers(callee),
                                                           "PIGEON_ROUTES": ROUTES}).start()
    try:
        records = final_events(dispatching, message_id, timeout=20)
        assert statuses(records) == ["VOICE_INITIATED", "VOICE_FAILED"], records
        assert "not placed again" in records[-1]["messageStatusDescription"]
        assert records[-1]["totalMessagePrice"] == 0.0
        time.sleep(0.5)
        assert not [e for e in callee.events[mark:] if e.get("type") == "CALL_INCOMING"]
    finally:
        dispatching.stop()


def test_a_call_whose_process_died_ends_failed_after_its_deadline(callee, tmp_path: Path):
    """The process died while the call rang (SUBMITTED, no receipt will come): after a restart the call ends
    VOICE_FAILED once its deadline has passed, and is not placed again."""
    server = PigeonServer(None, data_dir=tmp_path, env={"PIGEON_CARRIERS": carriers(callee, ring_timeout_seconds=60),
                                                      "PIGEON_ROUTES": ROUTES}).start()
    try:
        client = make_client(server, new_account_id())
        number = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                             NumberCapabilities=["SMS", "VOICE"], NumberType="TOLL_FREE")
        mark = callee.mark()
        message_id = call(client, number["PhoneNumberId"], RINGS)
        deadline = time.monotonic() + 15
        while "VOICE_RINGING" not in statuses(events(server, message_id=message_id)):
            assert time.monotonic() < deadline, events(server, message_id=message_id)
            time.sleep(0.05)
        server.stop(kill=True)
        callee.command("hangup")  # the dead process will never CANCEL
        server.start()
        server.advance_clock(300)
        records = final_events(server, message_id, timeout=20)
        assert statuses(records) == ["VOICE_INITIATED", "VOICE_RINGING", "VOICE_FAILED"], records
        assert "ended before the call" in records[-1]["messageStatusDescription"]
        assert records[-1]["totalMessagePrice"] == 0.0
        assert len([e for e in callee.events[mark:] if e.get("type") == "CALL_INCOMING"]) == 1
    finally:
        server.stop()


def test_call_on_postgresql(callee, database_factory):
    server = sip_server(callee, database_factory("postgresql")).start()
    try:
        client = make_client(server, new_account_id())
        number = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                             NumberCapabilities=["SMS", "VOICE"], NumberType="TOLL_FREE")
        assert_plays_the_prompt(server, callee, (client, number["PhoneNumberId"]))
    finally:
        server.stop()

