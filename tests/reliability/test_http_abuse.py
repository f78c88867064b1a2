"""HTTP/1.1 abuses on a raw socket: a client that never finishes its headers holds nobody else up, and bad
chunking or a lying Content-Length end the connection with a 400 or a close, never a hang."""

from __future__ import annotations

import socket
import time

import requests

from tests.support.server import PigeonServer


def _connect(server: PigeonServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.settimeout(10)
    return sock


def _answer(sock: socket.socket) -> bytes:
    """What the server says before it closes, or b'' when it just closes."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data:
                break
    except (ConnectionResetError, TimeoutError):
        pass
    return data


def test_slow_headers_hold_no_other_request_up(server: PigeonServer) -> None:
    slow = [_connect(server) for _ in range(20)]
    try:
        for sock in slow:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: pigeon\r\nX-Amz-Target: PinpointSMSVoiceV2.DescribePools\r\n")
        started = time.monotonic()
        response = requests.post(server.url + "/", data=b"{}", timeout=10, headers={
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "PinpointSMSVoiceV2.DescribeAccountLimits"})
        assert response.status_code == 200 and time.monotonic() - started < 2
    finally:
        for sock in slow:
            sock.close()


def test_bad_chunking_is_refused_not_hung(server: PigeonServer) -> None:
    for body in (b"zz\r\nnot hex\r\n0\r\n\r\n", b"5\r\nabc\r\n0\r\n\r\n", b"-1\r\n\r\n"):
        sock = _connect(server)
        try:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: pigeon\r\nTransfer-Encoding: chunked\r\n"
                         b"X-Amz-Target: PinpointSMSVoiceV2.DescribePools\r\n\r\n" + body)
            started = time.monotonic()
            answer = _answer(sock)
            assert time.monotonic() - started < 9
            assert answer == b"" or answer.startswith(b"HTTP/1.1 4"), answer[:100]
        finally:
            sock.close()


def test_a_body_shorter_than_its_content_length_does_not_hold_the_server(server: PigeonServer) -> None:
    sock = _connect(server)
    try:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: pigeon\r\nContent-Length: 1000\r\n"
                     b"X-Amz-Target: PinpointSMSVoiceV2.DescribePools\r\n\r\n{}")
        response = requests.post(server.url + "/", data=b"{}", timeout=10, headers={
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "PinpointSMSVoiceV2.DescribeAccountLimits"})
        assert response.status_code == 200
    finally:
        sock.close()
    assert requests.get(server.url + "/_pigeon/health", timeout=5).status_code == 200
