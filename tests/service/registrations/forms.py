"""Helpers for registration tests: fill a form from its discovered field definitions, review through /_pigeon."""

from __future__ import annotations

import re
from typing import Any

import requests

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64

_SAMPLES = ["US", "GB", "123456789", "ops@example.com", "https://www.example.com", "+12065550142", "12345",
            "1234567890123456789", "PIGEON", "Example Corp"]


def text_for(definition: dict[str, Any]) -> str:
    """A value its TextValidation accepts: the example, a known sample, or padded prose."""
    rules = definition["TextValidation"]
    low, high, pattern = rules["MinLength"], rules["MaxLength"], rules["Pattern"]
    prose = ("Sample answer for a Pigeon registration form field, written by the test suite. " * 60)
    candidates = [definition["DisplayHints"].get("ExampleTextValue"), *_SAMPLES, prose[: max(low, min(high, 80))]]
    for candidate in candidates:
        if candidate and low <= len(candidate) <= high and re.fullmatch(pattern, candidate):
            return candidate
    raise AssertionError(f"no sample for {definition['FieldPath']} ({pattern})")


def field_definitions(client: Any, registration_type: str) -> list[dict[str, Any]]:
    found, token = [], None
    while True:
        page = client.describe_registration_field_definitions(
            RegistrationType=registration_type, **({"NextToken": token} if token else {}))
        found += page["RegistrationFieldDefinitions"]
        token = page.get("NextToken")
        if not token:
            return found


def attachment(client: Any, body: bytes = PNG) -> str:
    return client.create_registration_attachment(AttachmentBody=body)["RegistrationAttachmentId"]


def fill(client: Any, registration_id: str, registration_type: str, requirement: tuple[str, ...] = ("REQUIRED",)) -> list[str]:
    """Put a valid value into every field of the given requirement; return the field paths filled."""
    filled = []
    for definition in field_definitions(client, registration_type):
        if definition["FieldRequirement"] not in requirement:
            continue
        value: dict[str, Any]
        if definition["FieldType"] == "TEXT":
            value = {"TextValue": text_for(definition)}
        elif definition["FieldType"] == "SELECT":
            value = {"SelectChoices": definition["SelectValidation"]["Options"][: definition["SelectValidation"]["MinChoices"]]}
        else:
            value = {"RegistrationAttachmentId": attachment(client)}
        client.put_registration_field_value(RegistrationId=registration_id, FieldPath=definition["FieldPath"], **value)
        filled.append(definition["FieldPath"])
    return filled


def review(server: Any, registration_id: str, decision: str, **extra: Any) -> requests.Response:
    return requests.post(f"{server.url}/_pigeon/registrations/{registration_id}/review",
                         json={"Decision": decision, **extra}, timeout=10)


def submitted(client: Any, registration_type: str) -> str:
    """A registration of a type without required associations, filled and submitted."""
    registration_id = client.create_registration(RegistrationType=registration_type)["RegistrationId"]
    fill(client, registration_id, registration_type)
    client.submit_registration_version(RegistrationId=registration_id)
    return registration_id


def approved(client: Any, server: Any, registration_type: str) -> str:
    registration_id = submitted(client, registration_type)
    assert review(server, registration_id, "APPROVE").status_code == 200
    return registration_id
