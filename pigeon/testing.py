"""Pigeon inside your own test suite: a real server in a background thread, a fresh account per test.

    from pigeon.testing import running_pigeon

    with running_pigeon() as pigeon:
        sms = pigeon.client()            # boto3 client for a fresh 12-digit account
        sms.create_configuration_set(ConfigurationSetName="alerts")

As a pytest plugin (``pytest -p pigeon.testing``, or ``pytest_plugins = ["pigeon.testing"]`` in conftest.py)
it provides the fixtures ``pigeon`` (one server per session) and ``pigeon_client`` (a fresh account per test).
"""

from __future__ import annotations

import random
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from pigeon.app import build_app
from pigeon.runtime import Runtime
from pigeon.settings import load_settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RunningPigeon:
    """A Pigeon server on a free loopback port, serving from a background thread."""

    def __init__(self, data_dir: Path, **settings: Any) -> None:
        port = _free_port()
        self.settings = load_settings({"host": "127.0.0.1", "port": port, "data_dir": data_dir,
                                       "clock_control": True, **settings}, environ={})
        self.runtime = Runtime(self.settings)
        self.runtime.start()
        config = uvicorn.Config(build_app(self.runtime), host="127.0.0.1", port=port, log_level="warning",
                                access_log=False, lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="pigeon", daemon=True)
        self.url = f"http://127.0.0.1:{port}"

    def start(self, timeout: float = 10.0) -> RunningPigeon:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("Pigeon did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def client(self, account_id: str | None = None, region: str = "us-east-1") -> Any:
        """A boto3 pinpoint-sms-voice-v2 client; a fresh random account unless one is given."""
        import boto3
        from botocore.config import Config

        account_id = account_id or "".join(random.choice("0123456789") for _ in range(12))
        return boto3.client("pinpoint-sms-voice-v2", endpoint_url=self.url, region_name=region,
                            aws_access_key_id=account_id, aws_secret_access_key="pigeon",
                            config=Config(retries={"max_attempts": 1}))


@contextmanager
def running_pigeon(data_dir: Path | None = None, **settings: Any) -> Iterator[RunningPigeon]:
    """Start Pigeon (SQLite in a temporary directory unless told otherwise) for the ``with`` block."""
    with tempfile.TemporaryDirectory(prefix="pigeon-") as temporary:
        pigeon = RunningPigeon(data_dir or Path(temporary), **settings).start()
        try:
            yield pigeon
        finally:
            pigeon.stop()


try:  # the pytest plugin, when pytest is there
    import pytest

    @pytest.fixture(scope="session")
    def pigeon() -> Iterator[RunningPigeon]:
        with running_pigeon() as server:
            yield server

    @pytest.fixture
    def pigeon_client(pigeon: RunningPigeon) -> Any:
        return pigeon.client()

except ImportError:  # pragma: no cover - pytest is optional for users of running_pigeon()
    pass
