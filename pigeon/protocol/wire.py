"""Rendering responses: JSON bodies, AWS error bodies, and the headers AWS sends with them."""

from __future__ import annotations

from typing import Any

import orjson

from pigeon.errors import SerializationError, ServiceError

CONTENT_TYPE = b"application/x-amz-json-1.0"


def json_response(body: Any, request_id: str, status: int = 200) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    payload = orjson.dumps(body)
    headers = [
        (b"content-type", CONTENT_TYPE),
        (b"content-length", str(len(payload)).encode()),
        (b"x-amzn-requestid", request_id.encode()),
    ]
    return status, headers, payload


def error_response(error: ServiceError, request_id: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    status, headers, payload = json_response(error.body(), request_id, error.status)
    headers.append((b"x-amzn-errortype", error.code.encode()))
    return status, headers, payload


def parse_body(body: bytes) -> dict[str, Any]:
    """The JSON request document; an empty body is an empty document."""
    if not body or body.isspace():
        return {}
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise SerializationError(f"Unable to parse request body as JSON: {error}") from error
    if not isinstance(document, dict):
        raise SerializationError("The request body must be a JSON object.")
    return document
