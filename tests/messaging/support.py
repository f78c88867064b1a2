"""Helpers for sending tests: a simulator origination number, and reading the inspection API."""

from __future__ import annotations

import time
from typing import Any

import requests

TEXT_RECORD_FIELDS = ["eventType", "eventVersion", "eventTimestamp", "isFinal", "originationPhoneNumber",
                      "destinationPhoneNumber", "isoCountryCode", "isInternationalSend", "mcc", "messageId",
                      "messageRequestTimestamp", "messageEncoding", "messageType", "messageStatus",
                      "messageStatusDescription", "context", "totalMessageParts", "totalMessagePrice",
                      "totalCarrierFee"]
"""AWS's order of a text (and media) event record's fields (aws-facts §2.2), for a US destination with Context."""

VOICE_RECORD_FIELDS = [field for field in TEXT_RECORD_FIELDS
                       if field not in ("mcc", "messageEncoding", "messageType", "totalMessageParts")]
"""A voice record's fields: the text record's without network, encoding, message type and parts."""

US_SUCCESS = "+14254147755"
US_FAILURE = "+14254147167"
GB_SUCCESS = "+447860019066"


def simulator_number(client: Any) -> dict[str, Any]:
    return client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                       NumberCapabilities=["SMS", "VOICE"], NumberType="SIMULATOR")


def messages(server: Any, **criteria: str) -> list[dict[str, Any]]:
    response = requests.get(server.url + "/_pigeon/messages", params=criteria, timeout=10)
    response.raise_for_status()
    return response.json()["Messages"]


def events(server: Any, **criteria: str) -> list[dict[str, Any]]:
    response = requests.get(server.url + "/_pigeon/events", params=criteria, timeout=10)
    response.raise_for_status()
    return response.json()["Events"]


def final_events(server: Any, message_id: str, timeout: float = 15.0) -> list[dict[str, Any]]:
    """The message's records once a final one is among them (fails after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        found = events(server, message_id=message_id)
        if any(event["isFinal"] for event in found):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"no final event for {message_id}: {found}")
        time.sleep(0.05)
