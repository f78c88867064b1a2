"""A real ``pigeon serve`` process for tests, on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from tests.support.postgres import free_port


class PigeonServer:
    def __init__(self, database_url: str | None = None, extra_args: list[str] | None = None,
                 data_dir: Path | None = None, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="pigeon-data-"))
        self.database_url = database_url
        self.extra_args = extra_args or []
        self.env = env or {}
        """Extra environment of the process (the test's own PIGEON_* variables are never passed on)."""
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.data_dir / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> PigeonServer:
        command = [sys.executable, "-m", "pigeon", "serve", "--port", str(self.port),
                   "--data-dir", str(self.data_dir), "--clock-control", *self.extra_args]
        if self.database_url:
            command += ["--database-url", self.database_url]
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIGEON_")} | self.env
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pigeon exited with {self.process.returncode}: {self.log_path.read_text()[-3000:]}")
            try:
                if requests.get(self.url + "/_pigeon/health", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"pigeon did not become healthy: {self.log_path.read_text()[-3000:]}")

    def stop(self, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def advance_clock(self, seconds: float) -> None:
        response = requests.post(self.url + "/_pigeon/clock", json={"AdvanceSeconds": seconds}, timeout=5)
        response.raise_for_status()
