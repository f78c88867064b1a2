"""The dispatcher over a real store (a temp SQLite file), driven cycle by cycle with an injected clock:
lease expiry hands a message to another worker and the first one's late result is discarded; a submitted
message that never gets a receipt ends UNKNOWN after 72 hours (a call FAILED); TTL before the first attempt."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pigeon.carriers.base import Ack, Outgoing, Receipt
from pigeon.carriers.simulator import SimulatorCarrier
from pigeon.clock import Clock
from pigeon.errors import Conflict
from pigeon.messaging import outbox, pricing
from pigeon.messaging.dispatcher import DispatchConfig, Dispatcher
from pigeon.runtime import Runtime
from pigeon.scope import Scope
from pigeon.service import load_families
from pigeon.service.invoke import invoke
from pigeon.settings import Settings
from pigeon.store import accounts, resources, schema
from tests.messaging.support import US_SUCCESS

SCOPE = Scope("111122223333", "us-east-1")


class SilentSmsc:
    """Accepts every message and never sends a delivery receipt."""

    def submit(self, outgoing: Outgoing) -> Ack:
        return Ack(True, f"silent-{outgoing.message_id}")

    def receipts(self) -> list[Receipt]:
        return []

    def close(self) -> None:
        pass


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    load_families()
    instance = Runtime(Settings(data_dir=tmp_path), Clock())
    instance.start()
    yield instance
    instance.close()


def _send(runtime: Runtime, **extra: Any) -> str:
    number = invoke(runtime, "RequestPhoneNumber", SCOPE, {
        "IsoCountryCode": "US", "MessageType": "TRANSACTIONAL", "NumberCapabilities": ["SMS"],
        "NumberType": "SIMULATOR"}, "request")
    return invoke(runtime, "SendTextMessage", SCOPE, {
        "DestinationPhoneNumber": US_SUCCESS, "MessageBody": "hi",
        "OriginationIdentity": number["PhoneNumberId"], **extra}, "request")["MessageId"]


def _dispatcher(runtime: Runtime, worker: str, connector: Any = None) -> Dispatcher:
    return Dispatcher(runtime.store, runtime.clock, connector or SimulatorCarrier(),
                      DispatchConfig(lease_seconds=30), worker=worker)


def _final_events(runtime: Runtime, message_id: str) -> list[dict[str, Any]]:
    with runtime.store.transaction(write=False) as tx:
        return [e for e in outbox.list_events(tx, None, [message_id]) if e["isFinal"]]


def test_expired_lease_goes_to_another_worker_and_the_late_result_is_dropped(runtime: Runtime) -> None:
    message_id = _send(runtime)
    [claimed] = outbox.claim(runtime.store, "worker-a", runtime.clock.now(), 30, 10)
    assert claimed.message_id == message_id
    assert outbox.claim(runtime.store, "worker-b", runtime.clock.now(), 30, 10) == []  # leased
    runtime.clock.advance(31)
    assert _dispatcher(runtime, "worker-b").run_once() == 1
    assert len(_final_events(runtime, message_id)) == 1
    late = _dispatcher(runtime, "worker-a")
    [(_, transition)] = late._decide_all([claimed], runtime.clock.now())
    with runtime.store.transaction() as tx:
        assert outbox.apply_all(tx, [(claimed, transition)], runtime.clock.now()) == []
    assert [e["eventType"] for e in _final_events(runtime, message_id)] == ["TEXT_DELIVERED"]


def _stored(runtime: Runtime, message_id: str) -> outbox.Message:
    with runtime.store.transaction(write=False) as tx:
        message = outbox.get(tx, message_id)
    assert message is not None
    return message


def test_a_batch_of_transitions_changes_each_row_as_its_own_transition_says(runtime: Runtime) -> None:
    ids = [_send(runtime) for _ in range(4)]
    claimed = outbox.claim(runtime.store, "worker-a", runtime.clock.now(), 30, 10)
    dispatcher = _dispatcher(runtime, "worker-a")
    changes = dispatcher._decide_all(claimed, runtime.clock.now())
    changes[0][1].status, changes[0][1].due_at = outbox.QUEUED, runtime.clock.now() + 99  # one retried later
    with runtime.store.transaction() as tx:
        applied = outbox.apply_all(tx, changes, runtime.clock.now())
    assert [transition.message_id for _, transition in applied] == [m.message_id for m in claimed]
    assert sorted(m.message_id for m in claimed) == sorted(ids)
    for message, transition in changes:
        stored = _stored(runtime, message.message_id)
        assert (stored.status, stored.attempts) == (transition.status, 1)
        assert stored.payload["CarrierMessageId"] == transition.payload_changes["CarrierMessageId"]
    retried = _stored(runtime, claimed[0].message_id)
    assert retried.status == outbox.QUEUED
    with runtime.store.transaction(write=False) as tx:
        due = tx.execute(schema.messages.select().where(schema.messages.c.message_id == retried.message_id)).one()
    assert due.due_at == pytest.approx(runtime.clock.now() + 99)


def test_a_batch_applies_only_the_transitions_whose_row_is_still_as_expected(runtime: Runtime) -> None:
    ids = [_send(runtime) for _ in range(5)]
    claimed = outbox.claim(runtime.store, "worker-a", runtime.clock.now(), 30, 10)
    runtime.clock.advance(31)
    [taken] = outbox.claim(runtime.store, "worker-b", runtime.clock.now(), 30, 1)  # its lease ran out
    late = _dispatcher(runtime, "worker-a")
    changes = late._decide_all(claimed, runtime.clock.now())
    with runtime.store.transaction() as tx:
        applied = outbox.apply_all(tx, changes, runtime.clock.now())
    assert {transition.message_id for _, transition in applied} == set(ids) - {taken.message_id}
    assert (_stored(runtime, taken.message_id).status, _stored(runtime, taken.message_id).claimed_by) == (
        outbox.CLAIMED, "worker-b")
    assert _stored(runtime, taken.message_id).attempts == 0
    with runtime.store.transaction(write=False) as tx:
        events = outbox.list_events(tx, None, ids)
    assert {event["messageId"] for event in events} == set(ids) - {taken.message_id}


def _final_after_72_silent_hours(runtime: Runtime, message_id: str) -> dict[str, Any]:
    """The final record of a message whose carrier accepts it and never sends a receipt, 72 hours on."""
    dispatcher = _dispatcher(runtime, "worker", SilentSmsc())
    dispatcher.run_once()
    assert _final_events(runtime, message_id) == []
    runtime.clock.advance(72 * 3600 + 61)
    dispatcher.run_once()
    [final] = _final_events(runtime, message_id)
    return final


def test_submitted_message_without_receipt_ends_unknown_after_72_hours(runtime: Runtime) -> None:
    final = _final_after_72_silent_hours(runtime, _send(runtime))
    assert (final["eventType"], final["messageStatus"]) == ("TEXT_UNKNOWN", "UNKNOWN")


def test_a_call_without_a_final_receipt_ends_voice_failed_after_72_hours(runtime: Runtime) -> None:
    """The model's EventType enum has no VOICE_UNKNOWN: a call nobody reported on has failed."""
    number = invoke(runtime, "RequestPhoneNumber", SCOPE, {
        "IsoCountryCode": "US", "MessageType": "TRANSACTIONAL", "NumberCapabilities": ["VOICE"],
        "NumberType": "SIMULATOR"}, "request")
    message_id = invoke(runtime, "SendVoiceMessage", SCOPE, {
        "DestinationPhoneNumber": US_SUCCESS, "MessageBody": "hi",
        "OriginationIdentity": number["PhoneNumberId"]}, "request")["MessageId"]
    final = _final_after_72_silent_hours(runtime, message_id)
    assert (final["eventType"], final["messageStatus"]) == ("VOICE_FAILED", "FAILED")


def _spent(runtime: Runtime) -> int:
    with runtime.store.transaction(write=False) as tx:
        return outbox.spent(tx, SCOPE, "TEXT", pricing.month_of(runtime.clock.now()))


def test_ttl_passed_before_the_first_attempt_expires_without_charge(runtime: Runtime) -> None:
    message_id = _send(runtime, TimeToLive=5)
    runtime.clock.advance(6)
    _dispatcher(runtime, "worker").run_once()
    [final] = _final_events(runtime, message_id)
    assert (final["eventType"], final["totalMessagePrice"]) == ("TEXT_TTL_EXPIRED", 0.0)
    assert _spent(runtime) == 0


def test_spend_is_booked_once_per_delivered_message(runtime: Runtime) -> None:
    for _ in range(3):
        _send(runtime)
    _dispatcher(runtime, "worker").run_once()
    assert _spent(runtime) == 3 * 5810  # US simulator: USD 0.00581 a part, no carrier fee


def test_sandbox_account_sends_to_a_verified_destination_only_once_verified(runtime: Runtime) -> None:
    destination = "+12065550123"
    registration = invoke(runtime, "CreateRegistration", SCOPE, {"RegistrationType": "US_TOLL_FREE_REGISTRATION"},
                          "request")["RegistrationId"]
    number = invoke(runtime, "RequestPhoneNumber", SCOPE, {
        "IsoCountryCode": "US", "MessageType": "TRANSACTIONAL", "NumberCapabilities": ["SMS"],
        "NumberType": "TOLL_FREE", "RegistrationId": registration}, "request")
    with runtime.store.transaction() as tx:  # as if an operator had approved it (the review flow has its own tests)
        record = resources.get(tx, SCOPE, "registration", registration)
        assert record is not None
        resources.update(tx, replace(record, data={**record.data, "RegistrationStatus": "COMPLETE"}))
    with runtime.store.transaction() as tx:
        accounts.set_tier(tx, SCOPE.account_id, "SANDBOX", runtime.clock.now())
    invoke(runtime, "CreateVerifiedDestinationNumber", SCOPE, {"DestinationPhoneNumber": destination}, "request")
    send = {"DestinationPhoneNumber": destination, "MessageBody": "hi", "OriginationIdentity": number["PhoneNumberId"]}
    with pytest.raises(Conflict) as refused:
        invoke(runtime, "SendTextMessage", SCOPE, dict(send), "request")
    assert refused.value.reason == "DESTINATION_PHONE_NUMBER_NOT_VERIFIED"
    with runtime.store.transaction() as tx:
        record = resources.get_by_name(tx, SCOPE, "verified-destination-number", destination)
        assert record is not None
        resources.update(tx, replace(record, data={**record.data, "Status": "VERIFIED"}))
    assert invoke(runtime, "SendTextMessage", SCOPE, dict(send), "request")["MessageId"]


def test_a_broken_message_is_retried_later_without_stalling_the_batch(runtime: Runtime) -> None:
    broken, healthy = _send(runtime), _send(runtime)
    with runtime.store.transaction() as tx:  # a row an older version wrote without the part count
        message = outbox.get(tx, broken)
        assert message is not None
        payload = {key: value for key, value in message.payload.items() if key != "Parts"}
        tx.execute(schema.messages.update().where(schema.messages.c.message_id == broken).values(payload=payload))
    _dispatcher(runtime, "worker").run_once()
    assert [e["eventType"] for e in _final_events(runtime, healthy)] == ["TEXT_DELIVERED"]
    with runtime.store.transaction(write=False) as tx:
        stuck = outbox.get(tx, broken)
    assert stuck is not None
    assert (stuck.status, stuck.attempts) == ("QUEUED", 1)
    assert "Parts" in stuck.payload["LastError"]


def test_the_sink_gets_each_committed_record_in_order_with_its_configuration_set(runtime: Runtime) -> None:
    invoke(runtime, "CreateConfigurationSet", SCOPE, {"ConfigurationSetName": "receipts"}, "request")
    plain, configured = _send(runtime), _send(runtime, ConfigurationSetName="receipts")
    received: list[tuple[str, str, str | None]] = []

    def sink(record: dict[str, Any], configuration_set: str | None) -> None:
        received.append((record["messageId"], record["eventType"], configuration_set))
        raise RuntimeError("a failing sink never fails the cycle")

    dispatcher = Dispatcher(runtime.store, runtime.clock, SimulatorCarrier(), sink=sink, worker="worker")
    assert dispatcher.run_once() == 2
    assert received == [(plain, "TEXT_SUCCESSFUL", None), (plain, "TEXT_DELIVERED", None),
                        (configured, "TEXT_SUCCESSFUL", "receipts"), (configured, "TEXT_DELIVERED", "receipts")]
