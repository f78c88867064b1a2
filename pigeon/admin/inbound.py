"""Handset replies: ``POST /_pigeon/inbound`` (simulate a handset writing to one of our numbers) and
``GET /_pigeon/inbound`` (what arrived, and what was done with each). Public names, DESIGN.md."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pigeon.admin.http import document as read_document
from pigeon.admin.http import error, json, limit
from pigeon.errors import NotFound, ServiceError
from pigeon.inbound import history
from pigeon.inbound.receive import receive


def routes(runtime: Any) -> list[Route]:
    async def post_inbound(request: Request) -> Response:
        try:
            document = await read_document(request)
            result = await run_in_threadpool(receive, runtime, document.get("OriginationNumber"),
                                             document.get("DestinationNumber"), document.get("MessageBody"))
        except NotFound as err:  # no account holds the number: an HTTP 404 on this plain JSON API
            return error(err, 404)
        except ServiceError as err:
            return error(err)
        return json(result.view())

    async def list_inbound(request: Request) -> Response:
        criteria = {key: request.query_params.get(key, "") for key in
                    ("account", "region", "destination", "origination")}
        with runtime.store.transaction(write=False) as tx:
            found = history.list_inbound(tx, criteria, limit(request, 1000))
            statuses = history.delivery_statuses(
                tx, [forward["DeliveryId"] for item in found for forward in item.outcome.get("Forwarded", [])])
        return json({"InboundMessages": [item.view(statuses) for item in found]})

    return [
        Route("/_pigeon/inbound", post_inbound, methods=["POST"]),
        Route("/_pigeon/inbound", list_inbound, methods=["GET"]),
    ]
