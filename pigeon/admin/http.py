"""The inspection API's JSON plumbing, shared by its route modules: responses, AWS-shaped errors, bodies."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from pigeon.errors import FieldViolation, Invalid, RequestTooLarge, ServiceError


def json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def error(err: ServiceError, status: int | None = None) -> Response:
    """The AWS-shaped error body (``__type``, ``message``, members) with its status (or ``status``)."""
    return json(err.body(), status or err.status)


def limit(request: Request, default: int) -> int:
    """``?limit=`` of a listing (1 to 100,000; ``default`` when absent or not a number); listings are oldest
    first, so a larger limit reaches the newest entries."""
    try:
        return min(max(int(request.query_params.get("limit", default)), 1), 100_000)
    except ValueError:
        return default


MAX_DOCUMENT_BYTES = 1024 * 1024
"""The largest inspection API request body read (an inbound message is a few kB)."""


async def document(request: Request) -> dict[str, Any]:
    """The request's JSON object; anything else is ValidationException CANNOT_PARSE, a body over
    MAX_DOCUMENT_BYTES RequestEntityTooLargeException (413, refused while it is read)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_DOCUMENT_BYTES:
            raise RequestTooLarge(f"The request body is larger than {MAX_DOCUMENT_BYTES} bytes.")
    try:
        parsed = orjson.loads(bytes(body) or b"{}")
    except orjson.JSONDecodeError as exc:
        raise Invalid("CANNOT_PARSE", f"Body is not JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise Invalid("CANNOT_PARSE", "Body must be a JSON object")
    return parsed


class RefuseNul:
    """ASGI middleware of the inspection API: a NUL character in the path or a query parameter is
    ValidationException naming it, before any route runs (PostgreSQL's text cannot hold one, so it can match
    nothing, and the query would fail in the store; the AWS API has the same rule in its validator)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            bad = ["path"] if "\x00" in scope["path"] else []
            bad += [key for key, value in QueryParams(scope.get("query_string", b"")).multi_items()
                    if "\x00" in key or "\x00" in value]
            if bad:
                name = bad[0].replace("\x00", "\\0")
                refusal = Invalid("FIELD_VALIDATION_FAILED", f"{name} must not contain NUL characters",
                                  [FieldViolation(name, "Must not contain NUL characters")])
                await error(refusal)(scope, receive, send)
                return
        await self.app(scope, receive, send)
