"""The coalescing transport: one system call per response, nothing lost or reordered."""

from __future__ import annotations

import asyncio
import socket

import requests

from pigeon.http_protocol import CoalescingTransport
from tests.support.server import PigeonServer


class RecordingTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


def test_writes_of_one_turn_leave_as_one_write_in_order() -> None:
    async def scenario() -> list[list[bytes]]:
        inner = RecordingTransport()
        transport = CoalescingTransport(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(b"body")
        assert inner.writes == [] and transport.get_write_buffer_size() == len(b"HTTP/1.1 200 OK\r\n\r\nbody")
        await asyncio.sleep(0)
        first = list(inner.writes)
        transport.write(b"next")
        await asyncio.sleep(0)
        return [first, inner.writes[1:], [transport.get_extra_info("peername").encode()]]

    first, second, extra = asyncio.run(scenario())
    assert first == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
    assert second == [b"next"]
    assert extra == [b"info:peername"]  # everything else is the real transport's


def test_close_flushes_what_is_pending() -> None:
    async def scenario() -> RecordingTransport:
        inner = RecordingTransport()
        transport = CoalescingTransport(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
        transport.write(b"last words")
        transport.close()
        await asyncio.sleep(0)  # the scheduled flush finds nothing more to write
        return inner

    inner = asyncio.run(scenario())
    assert inner.writes == [b"last words"] and inner.closed


def test_a_server_response_arrives_whole_in_one_segment(server: PigeonServer) -> None:
    """Status line, headers and body of an API answer come in one read on a fresh keep-alive connection."""
    host, port = server.url.removeprefix("http://").split(":")
    body = b"{}"
    request = (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
        b"X-Amz-Target: PinpointSMSVoiceV2.DescribeAccountAttributes\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        for _ in range(3):  # keep-alive: every answer complete and in order
            connection.sendall(request)
            chunk = connection.recv(65536)
            head, _, payload = chunk.partition(b"\r\n\r\n")
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            assert head.startswith(b"HTTP/1.1 200") and len(payload) == length
            assert b"AccountAttributes" in payload
    assert requests.get(server.url + "/_pigeon/health", timeout=5).status_code == 200
