"""The limit of the stack: a bare ASGI endpoint on the same server (uvicorn + httptools + uvloop) that
only reads the body, parses the JSON and answers a small JSON document."""

from __future__ import annotations

import sys
from typing import Any

import orjson
import uvicorn


async def read_json(receive):  # type: ignore[no-untyped-def]
    """The request's body, parsed."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    return orjson.loads(body or b"{}")


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    await read_json(receive)
    payload = orjson.dumps({"AccountAttributes": [{"Name": "ACCOUNT_TIER", "Value": "PRODUCTION"}]})
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/x-amz-json-1.0"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


if __name__ == "__main__":
    # "coalescing": on Pigeon's own protocol (pigeon/http_protocol.py: one write per response)
    if sys.argv[2:] == ["coalescing"]:
        from pigeon.http_protocol import CoalescingHttpToolsProtocol

        http: Any = CoalescingHttpToolsProtocol
    else:
        http = "httptools"
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False,
                loop="uvloop", http=http)
