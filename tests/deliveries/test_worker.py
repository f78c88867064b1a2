"""The deliveries queue with a real store (SQLite and PostgreSQL), a real moto_server and a real webhook
receiver: sent once, retried with backoff, failed after the limit, never lost."""

from __future__ import annotations

import http.server
import json
import threading
import time
from pathlib import Path

import pytest

from pigeon import deliveries
from pigeon.clock import Clock
from pigeon.deliveries.senders import build_senders
from pigeon.deliveries.worker import DeliveryWorker
from pigeon.inbound.webhook import SIGNATURE_HEADER, verify_signature
from pigeon.runtime import Runtime
from pigeon.scope import Scope
from pigeon.settings import Settings
from tests.conftest import BACKENDS
from tests.support.moto import MotoServer

SCOPE = Scope("123456789012", "us-east-1")


@pytest.fixture(scope="module")
def moto():
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def runtime(request, tmp_path: Path, database_factory, moto):
    settings = Settings(data_dir=tmp_path, database_url=database_factory(request.param), aws_endpoint_url=moto.url,
                        aws_access_key_id="testing", aws_secret_access_key="testing")
    runtime = Runtime(settings, Clock())
    runtime.start()
    yield runtime
    runtime.close()


@pytest.fixture
def worker(runtime):
    return DeliveryWorker(runtime.store, runtime.clock, build_senders(runtime.settings))


class Receiver(http.server.BaseHTTPRequestHandler):
    bodies: list[bytes] = []
    failures_left = 0
    requests = 0
    delay_seconds = 0.0

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.requests += 1
        time.sleep(Receiver.delay_seconds)
        if Receiver.failures_left > 0:
            Receiver.failures_left -= 1
            self.send_response(503)
        elif verify_signature("s3cret", self.headers[SIGNATURE_HEADER], body):
            Receiver.bodies.append(body)
            self.send_response(204)
        else:
            self.send_response(401)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook_url():
    Receiver.bodies, Receiver.failures_left, Receiver.requests, Receiver.delay_seconds = [], 0, 0, 0.0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/inbound"
    server.shutdown()


def enqueue(runtime, kind, target, payload) -> str:
    with runtime.store.transaction() as tx:
        return deliveries.enqueue(tx, SCOPE, kind, target, payload, runtime.clock.now())


def statuses(runtime) -> dict[str, tuple[str, int]]:
    with runtime.store.transaction(write=False) as tx:
        return {d.delivery_id: (d.status, d.attempts) for d in deliveries.listing(tx, SCOPE.account_id)}


def test_sns_delivery_is_published_once(runtime, worker, moto):
    sns, sqs = moto.client("sns"), moto.client("sqs")
    topic = sns.create_topic(Name=f"two-way-{id(runtime)}")["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"two-way-{id(runtime)}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    delivery_id = enqueue(runtime, "sns", {"TopicArn": topic}, {"messageBody": "hello"})
    assert worker.run_once() == 1
    assert statuses(runtime)[delivery_id] == ("DONE", 1)
    assert worker.run_once() == 0
    bodies = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]]
    assert bodies == [{"messageBody": "hello"}]


def test_webhook_failures_are_retried_with_backoff(runtime, worker, webhook_url):
    Receiver.failures_left = 2
    delivery_id = enqueue(runtime, "webhook", {"Url": webhook_url, "Secret": "s3cret"}, {"n": 1})
    worker.run_once()
    assert statuses(runtime)[delivery_id] == ("PENDING", 1)
    assert worker.run_once() == 0  # not due yet: the first retry waits a second
    runtime.clock.advance(1.0)
    worker.run_once()
    assert statuses(runtime)[delivery_id] == ("PENDING", 2)
    runtime.clock.advance(2.0)
    worker.run_once()
    assert statuses(runtime)[delivery_id] == ("DONE", 3)
    assert [json.loads(body) for body in Receiver.bodies] == [{"n": 1}]


def test_delivery_fails_after_the_attempt_limit(runtime, worker):
    delivery_id = enqueue(runtime, "sns", {"TopicArn": "arn:aws:sns:us-east-1:123456789012:missing"}, {"x": 1})
    for _ in range(deliveries.MAX_ATTEMPTS):
        worker.run_once()
        runtime.clock.advance(deliveries.RETRY_MAX_SECONDS)
    status, attempts = statuses(runtime)[delivery_id]
    assert (status, attempts) == ("FAILED", deliveries.MAX_ATTEMPTS)


def test_claimed_but_unfinished_deliveries_are_taken_again_after_the_lease(runtime, webhook_url):
    delivery_id = enqueue(runtime, "webhook", {"Url": webhook_url, "Secret": "s3cret"}, {"n": 2})
    crashed = deliveries.claim(runtime.store, "crashed-worker", runtime.clock.now(), 60.0, 10)
    assert [d.delivery_id for d in crashed] == [delivery_id]
    survivor = DeliveryWorker(runtime.store, runtime.clock, build_senders(runtime.settings))
    assert survivor.run_once() == 0
    runtime.clock.advance(61.0)
    assert survivor.run_once() == 1
    assert statuses(runtime)[delivery_id] == ("DONE", 1)


def test_unknown_kind_is_refused(runtime):
    with pytest.raises(ValueError):
        enqueue(runtime, "carrier-pigeon", {}, {})


def test_backoff_doubles_up_to_the_cap():
    assert [deliveries.backoff(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert deliveries.backoff(40) == deliveries.RETRY_MAX_SECONDS


def test_inspection_lists_deliveries(server):
    import requests

    answer = requests.get(server.url + "/_pigeon/deliveries?account=999999999999", timeout=5)
    assert answer.status_code == 200 and answer.json() == {"Deliveries": []}


def _wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_slow_target_does_not_hold_up_deliveries_to_the_others(runtime, moto, webhook_url):
    Receiver.delay_seconds = 3.0
    slow = enqueue(runtime, "webhook", {"Url": webhook_url, "Secret": "s3cret"}, {"n": "slow"})
    topic = moto.client("sns").create_topic(Name=f"quick-{id(runtime)}")["TopicArn"]
    quick = [enqueue(runtime, "sns", {"TopicArn": topic}, {"n": n}) for n in range(3)]
    worker = DeliveryWorker(runtime.store, runtime.clock, build_senders(runtime.settings), idle_seconds=0.05)
    worker.start()
    try:
        assert _wait_for(lambda: all(statuses(runtime)[d] == ("DONE", 1) for d in quick), timeout=1.5)
        assert statuses(runtime)[slow] == ("PENDING", 0)  # still on its way, queued first
        assert _wait_for(lambda: statuses(runtime)[slow] == ("DONE", 1), timeout=6)
    finally:
        worker.stop()


def test_a_failing_target_is_not_called_again_within_the_first_backoff_step(runtime, worker, webhook_url):
    Receiver.failures_left = 1000
    queued = [enqueue(runtime, "webhook", {"Url": webhook_url, "Secret": "s3cret"}, {"n": n}) for n in range(20)]
    assert worker.run_once() == worker.concurrency == 8
    first_wave = Receiver.requests  # side by side: those started before the first failure was recorded
    assert 1 <= first_wave <= 8
    assert worker.run_once() + worker.run_once() == 12  # the rest come due while the target cools down
    assert Receiver.requests == first_wave
    with runtime.store.transaction(write=False) as tx:
        found = {d.delivery_id: d for d in deliveries.listing(tx, SCOPE.account_id)}
    assert all((found[d].status, found[d].attempts) == ("PENDING", 1) for d in queued)
    skipped = sum(found[d].last_error.startswith("not attempted: the target failed") for d in queued)
    assert skipped == 20 - first_wave
    runtime.clock.advance(deliveries.RETRY_BASE_SECONDS)
    assert worker.run_once() == 8 and Receiver.requests > first_wave  # cooled down: called again


def test_one_target_receives_its_deliveries_in_the_order_they_were_queued(runtime, worker, webhook_url):
    Receiver.delay_seconds = 0.01
    for n in range(12):
        enqueue(runtime, "webhook", {"Url": webhook_url, "Secret": "s3cret"}, {"n": n})
    assert worker.run_once() + worker.run_once() == 12
    assert [json.loads(body)["n"] for body in Receiver.bodies] == list(range(12))


def test_a_claim_that_waited_past_half_its_lease_is_renewed_before_the_attempt(runtime, webhook_url):
    queued = [enqueue(runtime, "webhook", {"Url": webhook_url, "Secret": "s3cret"}, {"n": n}) for n in range(2)]
    worker = DeliveryWorker(runtime.store, runtime.clock, build_senders(runtime.settings), lease_seconds=60.0)
    original = worker.senders["webhook"]

    def slow_first(target, payload, delivery_id):  # the clock moves 40 s while the first one is sent
        if payload["n"] == 0:
            runtime.clock.advance(40.0)
        else:  # 30 s after the original lease ended, the second one is still ours
            seen_by_other.extend(deliveries.claim(runtime.store, "other", runtime.clock.now() + 30, 60.0, 10))
        original(target, payload, delivery_id)

    seen_by_other: list[deliveries.Delivery] = []
    worker.senders["webhook"] = slow_first
    assert worker.run_once() == 2
    assert seen_by_other == []
    assert [json.loads(body)["n"] for body in Receiver.bodies] == [0, 1]
    assert statuses(runtime)[queued[1]] == ("DONE", 1)


def test_a_claim_lost_while_waiting_in_its_lane_is_not_attempted(runtime, webhook_url):
    queued = [enqueue(runtime, "webhook", {"Url": webhook_url, "Secret": "s3cret"}, {"n": n}) for n in range(2)]
    worker = DeliveryWorker(runtime.store, runtime.clock, build_senders(runtime.settings), lease_seconds=60.0)
    original = worker.senders["webhook"]

    def first_outlives_the_lease(target, payload, delivery_id):
        if payload["n"] == 0:  # meanwhile both leases end and another worker takes both
            runtime.clock.advance(61.0)
            taken.extend(d.delivery_id for d in deliveries.claim(runtime.store, "other", runtime.clock.now(), 60.0, 10))
        original(target, payload, delivery_id)

    taken: list[str] = []
    worker.senders["webhook"] = first_outlives_the_lease
    assert worker.run_once() == 2
    assert taken == queued
    assert [json.loads(body)["n"] for body in Receiver.bodies] == [0]  # the second is the other worker's now
    assert statuses(runtime) == {queued[0]: ("PENDING", 0), queued[1]: ("PENDING", 0)}  # neither recorded by us


def test_event_records_to_one_destination_go_out_in_batches_in_order(runtime, moto):
    from pigeon.deliveries.senders import build_batch_senders

    logs = moto.client("logs")
    logs.create_log_group(logGroupName=f"lane-{id(runtime)}")
    destination = {"EventDestinationName": "cw", "Enabled": True, "MatchingEventTypes": ["ALL"],
                   "CloudWatchLogsDestination": {"IamRoleArn": "arn:aws:iam::123456789012:role/x",
                                                 "LogGroupArn": f"arn:aws:logs:us-east-1:123456789012:log-group:lane-{id(runtime)}"}}
    now_ms = int(time.time() * 1000)
    queued = [enqueue(runtime, "event-destination", destination,
                      {"eventType": "TEXT_DELIVERED", "eventTimestamp": now_ms, "messageId": f"m{n}"}) for n in range(30)]
    batch_senders = build_batch_senders(runtime.settings)
    calls: list[int] = []

    def counted(target, payloads):
        calls.append(len(payloads))
        return batch_senders["event-destination"](target, payloads)

    worker = DeliveryWorker(runtime.store, runtime.clock, build_senders(runtime.settings),
                            {"event-destination": counted}, batch_size=20)
    assert worker.run_once() == 30
    assert calls == [20, 10]
    assert all(statuses(runtime)[d] == ("DONE", 1) for d in queued)
    found = logs.get_log_events(logGroupName=f"lane-{id(runtime)}", logStreamName="pigeon-sms-voice-events")["events"]
    assert [json.loads(event["message"])["messageId"] for event in found] == [f"m{n}" for n in range(30)]


def test_a_batch_to_a_missing_destination_is_retried_whole(runtime, moto):
    from pigeon.deliveries.senders import build_batch_senders

    destination = {"EventDestinationName": "sns", "Enabled": True, "MatchingEventTypes": ["ALL"],
                   "SnsDestination": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:absent"}}
    queued = [enqueue(runtime, "event-destination", destination, {"eventType": "TEXT_DELIVERED", "n": n})
              for n in range(3)]
    worker = DeliveryWorker(runtime.store, runtime.clock, build_senders(runtime.settings),
                            build_batch_senders(runtime.settings))
    assert worker.run_once() == 3
    assert [statuses(runtime)[d] for d in queued] == [("PENDING", 1)] * 3
