"""SMPP delivery end to end: boto3 -> a real ``pigeon serve`` -> submit_sm -> node-smpp (an SMSC nobody here
wrote) -> receipts and handset messages back -> AWS event records and the inbound pipeline.

One SMSC peer and one server per backend for the module; three carriers on that peer (one per long-message
method, told apart by system_id) are routed by destination prefix.
"""

from __future__ import annotations

import itertools
import random
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.conftest import BACKENDS, make_client, new_account_id
from tests.messaging.support import events
from tests.support.server import PigeonServer
from tests.support.smsc import NodeSmsc

UDH, SAR, PAYLOAD = "+447411", "+447422", "+447433"
"""Destination prefixes routed to the carrier of each long-message method."""


def carriers_config(smsc: NodeSmsc, **overrides: Any) -> dict[str, Any]:
    base = {"type": "smpp", "host": "127.0.0.1", "port": smsc.port, "window": 20, "enquire_link_seconds": 5,
            "reconnect_initial_seconds": 0.2, "reconnect_max_seconds": 1, "response_timeout_seconds": 3,
            "throttle_pause_seconds": 0.2}
    return {
        "carriers": [{**base, "name": "smsc-udh", "system_id": "udh", "long_message_method": "udh", **overrides},
                     {**base, "name": "smsc-sar", "system_id": "sar", "long_message_method": "sar"},
                     {**base, "name": "smsc-payload", "system_id": "payload", "long_message_method": "payload"}],
        "routes": [{"carrier": "smsc-sar", "destination_prefixes": [SAR]},
                   {"carrier": "smsc-payload", "destination_prefixes": [PAYLOAD]},
                   {"carrier": "smsc-udh"}],
        "mps": {"LONG_CODE": 10000},
        "dispatch_lease_seconds": 2,
    }


def start_server(tmp: Path, database_url: str | None, config: dict[str, Any]) -> PigeonServer:
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "pigeon.yaml"
    path.write_text(yaml.safe_dump(config))
    return PigeonServer(database_url, ["--config", str(path)], data_dir=tmp / "data").start()


@pytest.fixture(scope="module")
def smsc() -> Iterator[NodeSmsc]:
    peer = NodeSmsc().start()
    yield peer
    peer.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def smpp_server(request: pytest.FixtureRequest, smsc: NodeSmsc, database_factory: Callable[[str], str | None],
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[PigeonServer]:
    server = start_server(tmp_path_factory.mktemp("smpp"), database_factory(request.param), carriers_config(smsc))
    wait_bound(server, 3)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def clean_peer(smsc: NodeSmsc) -> None:
    smsc.behave(receipts="both", throttle_every=0, queue_full_every=0, reject=[], stat=[], respond=True)


def connections(server: PigeonServer) -> list[dict[str, Any]]:
    response = requests.get(server.url + "/_pigeon/connections", timeout=5)
    response.raise_for_status()
    return [entry for entry in response.json()["Connections"] if entry["Type"] == "smpp"]


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = predicate()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def wait_bound(server: PigeonServer, count: int) -> None:
    wait_for(lambda: sum(entry["State"] == "BOUND" for entry in connections(server)) >= count, what="binds")


def gb_number(client: Any) -> str:
    return client.request_phone_number(IsoCountryCode="GB", MessageType="TRANSACTIONAL",
                                       NumberCapabilities=["SMS"], NumberType="LONG_CODE")["PhoneNumber"]


def final(server: PigeonServer, message_id: str, timeout: float = 20.0) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        return next((e for e in events(server, message_id=message_id) if e["isFinal"]), None)
    return wait_for(found, timeout, f"the final event of {message_id}")  # type: ignore[no-any-return]


def peer_message(smsc: NodeSmsc, destination: str, timeout: float = 10.0) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        return next((m for m in smsc.messages(destination=destination.lstrip("+"))), None)
    return wait_for(found, timeout, f"the SMSC's message to {destination}")  # type: ignore[no-any-return]


_numbers = itertools.count(random.randrange(10**5))


def destination(prefix: str = "+447855") -> str:
    """A fresh valid UK mobile number under ``prefix`` (six digits after +44 7)."""
    return f"{prefix}{next(_numbers) % 10**6:06d}"


@pytest.fixture
def sender(smpp_server: PigeonServer) -> tuple[Any, str]:
    client = make_client(smpp_server, new_account_id())
    return client, gb_number(client)


def test_gsm_text_is_submitted_and_its_receipt_ends_it_delivered(smpp_server, smsc, sender):
    client, origination = sender
    to = destination()
    body = "Your code is 123456 {€} [ok] ~ ^ | \\"
    message_id = client.send_text_message(DestinationPhoneNumber=to, MessageBody=body,
                                          OriginationIdentity=origination)["MessageId"]
    got = peer_message(smsc, to)
    assert (got["text"], got["data_coding"], got["parts"]) == (body, 0, 1)
    [submit] = smsc.submits(destination_addr=to.lstrip("+"))
    assert (submit["source_addr"], submit["source_addr_ton"], submit["dest_addr_ton"]) == (origination[1:], 1, 1)
    assert submit["registered_delivery"] == 1 and submit["validity_period"]
    last = final(smpp_server, message_id)
    records = events(smpp_server, message_id=message_id)
    assert [r["eventType"] for r in records] == ["TEXT_SUCCESSFUL", "TEXT_DELIVERED"]
    assert last["messageStatusDescription"] == "Message has been accepted by phone (stat:DELIVRD err:000)"
    assert last["messageEncoding"] == "GSM" and last["totalMessageParts"] == 1


def test_unicode_text_goes_as_ucs2(smpp_server, smsc, sender):
    client, origination = sender
    to = destination()
    body = "你好，世界 — UCS-2 😀"
    message_id = client.send_text_message(DestinationPhoneNumber=to, MessageBody=body,
                                          OriginationIdentity=origination)["MessageId"]
    got = peer_message(smsc, to)
    assert (got["text"], got["data_coding"]) == (body, 8)
    assert final(smpp_server, message_id)["messageEncoding"] == "UNICODE"


@pytest.mark.parametrize("prefix,method", [(UDH, "udh"), (SAR, "sar"), (PAYLOAD, "payload")])
def test_long_messages_are_concatenated_by_each_method_without_splitting_escapes(
        smpp_server, smsc, sender, prefix, method):
    client, origination = sender
    for body, encoding in (("€" * 100 + " and then some more text " * 3, "GSM"), ("😀" * 40 + "é" * 50, "UNICODE")):
        to = destination(prefix)
        response = client.send_text_message(DestinationPhoneNumber=to, MessageBody=body,
                                            OriginationIdentity=origination)
        got = peer_message(smsc, to)
        assert (got["text"], got["method"]) == (body, method)
        expected_submits = 1 if method == "payload" else got["parts"]
        assert len(smsc.submits(destination_addr=to.lstrip("+"))) == expected_submits
        last = final(smpp_server, response["MessageId"])
        assert (last["eventType"], last["messageEncoding"]) == ("TEXT_DELIVERED", encoding)
        assert last["totalMessageParts"] >= 2


@pytest.mark.parametrize("mode", ["tlv", "text"])
def test_receipts_by_tlv_alone_or_by_text_alone_are_understood(smpp_server, smsc, sender, mode):
    client, origination = sender
    smsc.behave(receipts=mode)
    message_id = client.send_text_message(DestinationPhoneNumber=destination(), MessageBody=f"receipt {mode}",
                                          OriginationIdentity=origination)["MessageId"]
    assert final(smpp_server, message_id)["eventType"] == "TEXT_DELIVERED"


def test_an_undeliverable_receipt_ends_the_message_unreachable_with_the_smsc_state(smpp_server, smsc, sender):
    client, origination = sender
    to = destination("+447811")
    smsc.behave(stat=[{"prefix": to, "stat": "UNDELIV", "err": "001"}])
    message_id = client.send_text_message(DestinationPhoneNumber=to, MessageBody="nobody home",
                                          OriginationIdentity=origination)["MessageId"]
    last = final(smpp_server, message_id)
    assert (last["eventType"], last["messageStatus"]) == ("TEXT_UNREACHABLE", "UNREACHABLE")
    assert "(stat:UNDELIV err:001)" in last["messageStatusDescription"]


def test_a_refused_submit_ends_the_message_with_the_matching_failure(smpp_server, smsc, sender):
    client, origination = sender
    to = destination("+447822")
    smsc.behave(reject=[{"prefix": to, "status": 0x0B}])
    message_id = client.send_text_message(DestinationPhoneNumber=to, MessageBody="bad number",
                                          OriginationIdentity=origination)["MessageId"]
    last = final(smpp_server, message_id)
    assert (last["eventType"], last["isFinal"]) == ("TEXT_INVALID", True)
    assert "ESME_RINVDSTADR" in last["messageStatusDescription"]
    assert [r["eventType"] for r in events(smpp_server, message_id=message_id)] == ["TEXT_INVALID"]


def test_throttling_slows_the_bind_down_and_every_message_still_arrives(smpp_server, smsc, sender):
    client, origination = sender
    smsc.behave(throttle_every=3)
    ids = [client.send_text_message(DestinationPhoneNumber=destination(), MessageBody=f"throttled {n}",
                                    OriginationIdentity=origination)["MessageId"] for n in range(9)]
    assert {final(smpp_server, message_id, 30)["eventType"] for message_id in ids} == {"TEXT_DELIVERED"}
    assert sum(entry["Throttled"] for entry in connections(smpp_server)) > 0 or wait_for(
        lambda: sum(entry["Throttled"] for entry in connections(smpp_server)) > 0, 5, "throttle counter")


def test_a_handset_stop_opts_out_and_gets_the_stop_answer_over_smpp(smpp_server, smsc, sender):
    client, origination = sender
    handset = destination("+447833")
    sent = smsc.send_mo(handset, origination, "STOP", system_id="udh")
    assert sent["statuses"] == [0]
    opted = client.describe_opted_out_numbers(OptOutListName="Default")["OptedOutNumbers"]
    assert [entry["OptedOutNumber"] for entry in opted] == [handset]
    answer = peer_message(smsc, handset)  # the STOP confirmation goes back through the SMSC
    assert answer["source"] == origination[1:] and answer["text"]


@pytest.mark.parametrize("method,data_coding", [("udh", 0), ("udh16", 8), ("sar", 0), ("payload", 8)])
def test_concatenated_handset_messages_are_reassembled_before_the_inbound_pipeline(
        smpp_server, smsc, sender, method, data_coding):
    client, origination = sender
    handset = destination("+447844")
    text = ("Hello from a handset with a long story € " * 6) if data_coding == 0 else ("Привет 😀 " * 20)
    sent = smsc.send_mo(handset, origination, text, method=method, data_coding=data_coding, system_id="udh")
    assert set(sent["statuses"]) == {0}
    response = requests.get(smpp_server.url + "/_pigeon/inbound", params={"destination": origination}, timeout=5)
    bodies = [entry["MessageBody"] for entry in response.json()["InboundMessages"]
              if entry["OriginationNumber"] == handset]
    assert bodies == [text]


def test_a_handset_message_to_a_number_nobody_holds_is_refused_with_invalid_destination(smpp_server, smsc):
    sent = smsc.send_mo("+447700900111", "+447000000001", "hello?", system_id="udh")
    assert sent["statuses"] == [0x0B]


def test_connection_state_is_visible_in_the_inspection_api_and_the_cli(smpp_server):
    entries = connections(smpp_server)
    assert {entry["Name"] for entry in entries} == {"smsc-udh", "smsc-sar", "smsc-payload"}
    assert all(entry["State"] == "BOUND" and entry["Window"] == 20 for entry in entries)


def test_a_verification_code_goes_out_over_smpp(smpp_server, smsc, sender):
    client, origination = sender
    to = destination()
    verified = client.create_verified_destination_number(DestinationPhoneNumber=to)
    message_id = client.send_destination_number_verification_code(
        VerifiedDestinationNumberId=verified["VerifiedDestinationNumberId"], VerificationChannel="TEXT",
        OriginationIdentity=origination)["MessageId"]
    code = re.search(r"\d{6}", peer_message(smsc, to)["text"]).group(0)  # type: ignore[union-attr]
    assert final(smpp_server, message_id)["eventType"] == "TEXT_DELIVERED"
    client.verify_destination_number(VerifiedDestinationNumberId=verified["VerifiedDestinationNumberId"],
                                     VerificationCode=code)
    [number] = client.describe_verified_destination_numbers(
        VerifiedDestinationNumberIds=[verified["VerifiedDestinationNumberId"]])["VerifiedDestinationNumbers"]
    assert number["Status"] == "VERIFIED"
