"""Signed webhook deliveries to a real local HTTP receiver that verifies them."""

from __future__ import annotations

import http.server
import json
import threading

import pytest

from pigeon.inbound.webhook import DELIVERY_HEADER, SIGNATURE_HEADER, WebhookError, deliver, sign, verify_signature

SECRET = "shared-secret"
BODY = json.dumps({"originationNumber": "+14255550100", "destinationNumber": "+12125550199",
                   "messageKeyword": "JOIN", "messageBody": "hello", "inboundMessageId": "m-1",
                   "previousPublishedMessageId": "p-1"}).encode()


class Receiver(http.server.BaseHTTPRequestHandler):
    received: list[tuple[dict, bytes]] = []
    answer = 200

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body))
        ok = verify_signature(SECRET, self.headers[SIGNATURE_HEADER], body)
        self.send_response(Receiver.answer if ok else 401)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.received, Receiver.answer = [], 200
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def test_signed_delivery_is_verified_by_the_receiver(receiver):
    deliver(receiver, SECRET, BODY, "delivery-1")
    headers, body = Receiver.received[0]
    assert body == BODY and headers[DELIVERY_HEADER] == "delivery-1"
    assert json.loads(body)["inboundMessageId"] == "m-1"


def test_wrong_secret_is_rejected_and_raises(receiver):
    with pytest.raises(WebhookError, match="401"):
        deliver(receiver, "not-the-secret", BODY, "delivery-2")


def test_receiver_errors_and_unreachable_receivers_raise(receiver):
    Receiver.answer = 503
    with pytest.raises(WebhookError, match="503"):
        deliver(receiver, SECRET, BODY, "delivery-3")
    with pytest.raises(WebhookError):
        deliver("http://127.0.0.1:1/hook", SECRET, BODY, "delivery-4")


def test_verify_rejects_tampering_and_stale_signatures():
    header = sign(SECRET, BODY, 1_800_000_000)
    assert verify_signature(SECRET, header, BODY, now=1_800_000_100)
    assert not verify_signature(SECRET, header, BODY + b" ", now=1_800_000_100)
    assert not verify_signature(SECRET, header, BODY, now=1_800_001_000)
    assert not verify_signature(SECRET, "garbage", BODY)
    assert not verify_signature(SECRET, "t=1800000000,v1=\u00e9", BODY, now=1_800_000_100)  # no TypeError
    assert not verify_signature(SECRET, "t=" + "9" * 400 + ",v1=00", BODY)  # no OverflowError
