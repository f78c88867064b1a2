"""The ASGI application: the AWS API at ``POST /``, the inspection API under ``/_pigeon``."""

from __future__ import annotations

import functools
import time
from typing import Any

from pigeon.admin.api import build_admin
from pigeon.common.ids import request_id
from pigeon.deliveries.worker import DeliveryWorker, build_delivery_worker
from pigeon.errors import RequestTooLarge
from pigeon.messaging.dispatcher import Dispatcher
from pigeon.messaging.group_commit import GroupCommit
from pigeon.messaging.worker import build_dispatcher
from pigeon.protocol.handler import ApiHandler, Pending
from pigeon.protocol.sigv4 import WireRequest
from pigeon.protocol.wire import error_response, json_response
from pigeon.runtime import Runtime
from pigeon.service import load_families
from pigeon.service.invoke import invoke
from pigeon.store.checkpointer import Checkpointer

Scope = dict[str, Any]

MAX_REQUEST_BYTES = 4 * 1024 * 1024
"""The largest AWS API request body read: twice the largest the model allows (an AttachmentBody of 1.5 MiB is 2 MiB
in base64), so every valid request fits and no client makes the process buffer more."""


def build_app(runtime: Runtime) -> Any:
    load_families()
    credentials = (
        {key: (c.secret_access_key, c.account_id) for key, c in runtime.credentials.items()}
        if runtime.credentials is not None
        else None
    )
    api = ApiHandler(
        functools.partial(invoke, runtime),
        runtime.settings.default_region,
        credentials,
        time.time,  # a signature's freshness is the signer's wall clock, not the clock /_pigeon/clock moves
    )
    admin = build_admin(runtime)
    dispatcher: Dispatcher | None = None
    delivery_worker: DeliveryWorker | None = None
    checkpointer = Checkpointer(runtime.store)

    async def read_rest(receive: Any, first: bytes) -> bytes | None:
        """The body after its ``first`` chunk; None (reading stops) once it is over MAX_REQUEST_BYTES."""
        chunks, size = [first], len(first)
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_REQUEST_BYTES:
                return None
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        nonlocal dispatcher, delivery_worker
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] == "POST":  # the hot path first
            message = await receive()
            body: bytes | None = message.get("body", b"")
            if message.get("more_body"):
                body = await read_rest(receive, body)  # type: ignore[arg-type]
            if body is None or len(body) > MAX_REQUEST_BYTES:
                response: Any = error_response(RequestTooLarge(
                    f"The request body is larger than {MAX_REQUEST_BYTES} bytes."), request_id())
            else:
                response = api.handle(
                    WireRequest("POST", "/", scope["query_string"].decode("latin-1"), scope["headers"], body)
                )
            if type(response) is Pending:
                response = await api.settle(response)
            status, headers, payload = response  # type: ignore[misc]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": payload})
            return
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    checkpointer.start()
                    runtime.group_commit = GroupCommit(runtime.store, runtime.clock.now)
                    runtime.group_commit.start()
                    if runtime.settings.dispatcher:
                        dispatcher = build_dispatcher(runtime)
                        dispatcher.group_commit = runtime.group_commit
                        runtime.group_commit.receiver = dispatcher
                        dispatcher.start()
                        delivery_worker = build_delivery_worker(runtime)
                        delivery_worker.start()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    if dispatcher is not None:
                        dispatcher.stop()  # first: its last cycle writes through the group commit
                    if runtime.group_commit is not None:
                        runtime.group_commit.stop()
                    if delivery_worker is not None:
                        delivery_worker.stop()
                    checkpointer.stop()
                    runtime.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path.startswith("/_pigeon"):
            await admin(scope, receive, send)
            return
        status, headers, payload = json_response(
            {"__type": "UnknownOperationException", "message": "Pigeon serves the AWS API at POST /"}, "-", 404
        )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    return app
