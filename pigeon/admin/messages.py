"""Inspection of sending: ``GET /_pigeon/messages`` and ``GET /_pigeon/events`` (public names, DESIGN.md)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pigeon.admin import message_files
from pigeon.admin.http import json, limit
from pigeon.messaging import outbox
from pigeon.messaging.outbox import Message


def message_view(message: Message) -> dict[str, Any]:
    payload = message.payload
    return {
        "MessageId": message.message_id, "AccountId": message.account_id, "Region": message.region,
        "Channel": message.channel, "OriginationIdentity": message.origination_identity,
        "DestinationPhoneNumber": message.destination, "MessageBody": payload.get("MessageBody"),
        "MediaUrls": payload.get("MediaUrls") or [], "Status": message.status,
        "ConfigurationSetName": payload.get("ConfigurationSetName"), "Context": payload.get("Context") or {},
        "CreatedTimestamp": message.created_at, "MessageType": payload.get("MessageType"),
        "Encoding": payload.get("Encoding"), "Parts": payload.get("Parts"), "Attempts": message.attempts,
        **message_files.details(message),
    }


def routes(runtime: Any) -> list[Route]:
    async def list_messages(request: Request) -> Response:
        criteria = {key: request.query_params.get(key, "") for key in
                    ("account", "destination", "origination", "channel", "region", "message_id")}
        with runtime.store.transaction(write=False) as tx:
            found = outbox.list_messages(tx, criteria, limit(request, 1000))
        return json({"Messages": [message_view(message) for message in found]})

    async def list_events(request: Request) -> Response:
        message_id = request.query_params.get("message_id")
        with runtime.store.transaction(write=False) as tx:
            found = outbox.list_events(tx, request.query_params.get("account"),
                                       [message_id] if message_id else None, limit(request, 5000))
        return json({"Events": found})

    return [
        Route("/_pigeon/messages", list_messages, methods=["GET"]),
        Route("/_pigeon/events", list_events, methods=["GET"]),
        *message_files.routes(runtime),
    ]
