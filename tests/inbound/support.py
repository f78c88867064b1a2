"""Helpers for inbound tests: a handset writing to one of our numbers, and reading what was done."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from tests.messaging.support import messages  # noqa: F401 - re-exported for the inbound tests

HANDSET = "+12065550123"
OTHER_HANDSET = "+12065550124"


def us_number(client: Any, server: Any = None, **extra: Any) -> dict[str, Any]:
    """A US toll-free number that can send SMS (Pigeon makes one up without an inventory); registered
    (toll-free registration filled, submitted and approved) when ``server`` is given, so it may send."""
    if server is None:
        return client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                           NumberCapabilities=["SMS"], NumberType="TOLL_FREE", **extra)
    from tests.service.registrations.forms import fill, review

    registration = client.create_registration(RegistrationType="US_TOLL_FREE_REGISTRATION")["RegistrationId"]
    number = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL", NumberCapabilities=["SMS"],
                                         NumberType="TOLL_FREE", RegistrationId=registration, **extra)
    fill(client, registration, "US_TOLL_FREE_REGISTRATION")
    client.submit_registration_version(RegistrationId=registration)
    assert review(server, registration, "APPROVE").status_code == 200
    return number


def post_inbound(server: Any, handset: str, number: str, body: str) -> requests.Response:
    return requests.post(server.url + "/_pigeon/inbound", timeout=10,
                         json={"OriginationNumber": handset, "DestinationNumber": number, "MessageBody": body})


def inbound(server: Any, handset: str, number: str, body: str) -> dict[str, Any]:
    """POST /_pigeon/inbound and return what was done (fails unless 200)."""
    response = post_inbound(server, handset, number, body)
    assert response.status_code == 200, response.text
    return response.json()


def inbound_list(server: Any, **criteria: str) -> list[dict[str, Any]]:
    response = requests.get(server.url + "/_pigeon/inbound", params=criteria, timeout=10)
    response.raise_for_status()
    return response.json()["InboundMessages"]


def wait_for(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1) -> Any:
    """``check()``'s first truthy value (fails after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting after {timeout}s")
        time.sleep(interval)
