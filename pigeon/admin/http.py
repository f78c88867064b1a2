"""The inspection API's JSON plumbing, shared by its route modules: responses, AWS-shaped errors, bodies."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from pigeon.errors import Invalid, ServiceError


def json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def error(err: ServiceError, status: int | None = None) -> Response:
    """The AWS-shaped error body (``__type``, ``message``, members) with its status (or ``status``)."""
    return json(err.body(), status or err.status)


async def document(request: Request) -> dict[str, Any]:
    """The request's JSON object; anything else is ValidationException CANNOT_PARSE."""
    try:
        parsed = orjson.loads(await request.body() or b"{}")
    except orjson.JSONDecodeError as exc:
        raise Invalid("CANNOT_PARSE", f"Body is not JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise Invalid("CANNOT_PARSE", "Body must be a JSON object")
    return parsed
