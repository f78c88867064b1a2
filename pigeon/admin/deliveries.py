"""Inspection of outbound side effects: ``GET /_pigeon/deliveries?account=&status=&kind=&limit=``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pigeon import deliveries
from pigeon.admin.http import json, limit


def routes(runtime: Any) -> list[Route]:
    async def list_deliveries(request: Request) -> Response:
        query = request.query_params
        with runtime.store.transaction(write=False) as tx:
            found = deliveries.listing(tx, query.get("account"), query.get("status"), query.get("kind"),
                                       limit(request, 1000))
        body = {"Deliveries": [{
            "DeliveryId": d.delivery_id, "AccountId": d.account_id, "Region": d.region, "Kind": d.kind,
            "Status": d.status, "Attempts": d.attempts, "Target": d.target, "Payload": d.payload,
            "LastError": d.last_error, "CreatedTimestamp": d.created_at,
        } for d in found]}
        return json(body)

    return [Route("/_pigeon/deliveries", list_deliveries, methods=["GET"])]
