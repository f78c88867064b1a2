"""Two-way forwarding to an HTTP webhook, for operators without AWS: signed so the receiver can trust it.

Each POST carries the inbound message in AWS's two-way JSON format and two headers:

- ``X-Pigeon-Delivery-Id``: unique per delivery (the same on every retry of it), for de-duplication;
- ``X-Pigeon-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.

A receiver recomputes the HMAC over the raw body with the shared secret (``verify_signature`` below does
it), rejects a mismatch, and rejects a ``t`` too far from its clock (replays). Any 2xx answer is success;
anything else, or no answer within the timeout, is retried later by the caller.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import requests

SIGNATURE_HEADER = "X-Pigeon-Signature"
DELIVERY_HEADER = "X-Pigeon-Delivery-Id"
TIMEOUT_SECONDS = 10.0


class WebhookError(Exception):
    """The receiver did not accept the delivery (to be retried)."""


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(secret: str, header: str, body: bytes, tolerance_seconds: int = 300,
                     now: float | None = None) -> bool:
    """For receivers: whether ``header`` signs ``body`` with ``secret`` and is fresh enough."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
        if abs((now if now is not None else time.time()) - timestamp) > tolerance_seconds:
            return False
    except (ValueError, KeyError, OverflowError):  # OverflowError: a t too large for a float
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected.encode(), fields.get("v1", "").encode())  # bytes: v1 may be non-ASCII


def deliver(url: str, secret: str, body: bytes, delivery_id: str, now: float | None = None) -> None:
    """POST one signed delivery; raise WebhookError unless the receiver answers 2xx."""
    timestamp = int(now if now is not None else time.time())
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, body, timestamp),
        DELIVERY_HEADER: delivery_id,
        "User-Agent": "Pigeon-Webhook/1",
    }
    try:
        response = requests.post(url, data=body, headers=headers, timeout=TIMEOUT_SECONDS, allow_redirects=False)
    except requests.RequestException as error:
        raise WebhookError(f"{url}: {error}") from error
    if not 200 <= response.status_code < 300:
        raise WebhookError(f"{url} answered {response.status_code}")
