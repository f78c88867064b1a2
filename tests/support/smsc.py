"""A real, independent SMSC for SMPP tests: node-smpp 0.5.1 in server mode (tests/peers/smsc/smsc.js).

    smsc = NodeSmsc().start()
    ... bind an ESME to 127.0.0.1:smsc.port, submit ...
    smsc.wait_for(lambda: len(smsc.receipts()) == 1)
    smsc.kill()          # "the carrier died" (SIGKILL)
    smsc.start()         # back on the same ports

The peer's control API is documented in docs/testing-smsc.md.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import requests

from tests.support.postgres import free_port

PEER_DIR = Path(__file__).resolve().parents[1] / "peers" / "smsc"
SCRIPT = PEER_DIR / "smsc.js"
T = TypeVar("T")

_running: set[NodeSmsc] = set()


@atexit.register
def _kill_leftovers() -> None:
    for peer in list(_running):
        peer.kill()


class SmscError(RuntimeError):
    """The peer refused a control request, or is not usable."""


class NodeSmsc:
    """One node-smpp SMSC process on free loopback ports; the ports stay the same across restarts."""

    def __init__(self, system_id: str | None = None, password: str | None = None, dlr_delay_ms: int = 20,
                 receipts: str = "both", quiet: bool = False, env: dict[str, str] | None = None,
                 log_dir: Path | None = None) -> None:
        self.port = free_port()
        self.control_port = free_port()
        while self.control_port == self.port:  # free_port can hand out the same port twice in a row
            self.control_port = free_port()
        self.env = {"SMSC_DLR_DELAY_MS": str(dlr_delay_ms), "SMSC_RECEIPTS": receipts} | (env or {})
        if system_id is not None:
            self.env["SMSC_SYSTEM_ID"] = system_id
        if password is not None:
            self.env["SMSC_PASSWORD"] = password
        if quiet:
            self.env["SMSC_QUIET"] = "1"
        self.log_path = Path(log_dir or tempfile.mkdtemp(prefix="pigeon-smsc-")) / "smsc.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._http = requests.Session()

    @property
    def control_url(self) -> str:
        return f"http://127.0.0.1:{self.control_port}"

    # --- process ---------------------------------------------------------------------------

    def start(self, timeout: float = 15.0) -> NodeSmsc:
        """Start (or start again, on the same ports) and wait until /health answers."""
        node = shutil.which("node")
        if node is None:
            raise SmscError("node is not installed: run scripts/setup.sh --test")
        if not (PEER_DIR / "node_modules" / "smpp" / "package.json").exists():
            raise SmscError(f"{PEER_DIR}/node_modules is missing: run scripts/setup.sh --test")
        if self.process and self.process.poll() is None:
            return self
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMSC_")} | self.env
        env |= {"SMSC_PORT": str(self.port), "SMSC_CONTROL_PORT": str(self.control_port)}
        deadline = time.monotonic() + timeout
        while True:  # a port held in the kernel for a moment after a kill: try again until the deadline
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen([node, str(SCRIPT)], stdout=log, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, env=env, cwd=PEER_DIR)
            _running.add(self)
            if self._wait_healthy(deadline):
                return self
            if self.process.poll() is None or time.monotonic() >= deadline:
                break
            time.sleep(0.2)
        self.kill()
        raise SmscError(f"the SMSC peer did not become healthy on {self.port}/{self.control_port}:\n{self.log_tail()}")

    def _wait_healthy(self, deadline: float) -> bool:
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                if self._http.get(self.control_url + "/health", timeout=1).status_code == 200:
                    return True
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        return False

    def kill(self) -> None:
        """SIGKILL: the carrier dies without unbinding."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM: the peer unbinds its sessions and exits."""
        self._signal(signal.SIGTERM)

    def _signal(self, sig: signal.Signals) -> None:
        _running.discard(self)
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return "(no log)"

    def __enter__(self) -> NodeSmsc:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- control API -----------------------------------------------------------------------

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              params: dict[str, Any] | None = None, accept: tuple[int, ...] = (200,), timeout: float = 15.0) -> Any:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        response = self._http.request(method, self.control_url + path, json=body, params=query, timeout=timeout)
        if response.status_code not in accept:
            raise SmscError(f"{method} {path} -> {response.status_code}: {response.text}")
        return response.json()

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def submits(self, since: int | None = None, **filters: str | int) -> list[dict[str, Any]]:
        """Every submit_sm seen (last 200k), oldest first; filters: destination_addr, source_addr, message_id,
        system_id, limit (the last N)."""
        return self._call("GET", "/submits", params={"since": since} | filters)

    def messages(self, **filters: str | int) -> list[dict[str, Any]]:
        """Complete messages: single parts and reassembled UDH/SAR/payload messages."""
        return self._call("GET", "/messages", params=filters)

    def partials(self) -> list[dict[str, Any]]:
        """Concatenated messages still missing parts."""
        return self._call("GET", "/partials")

    def receipts(self, **filters: str | int) -> list[dict[str, Any]]:
        """Receipts created, with each delivery attempt's deliver_sm_resp status."""
        return self._call("GET", "/receipts", params=filters)

    def mo_log(self) -> list[dict[str, Any]]:
        return self._call("GET", "/mo")

    def binds(self, all: bool = False) -> list[dict[str, Any]]:
        """Bound sessions now (or with ``all=True`` every bind attempt, refused ones included)."""
        return self._call("GET", "/binds", params={"all": "1" if all else None})

    def stats(self) -> dict[str, int]:
        """Exact counters (the logs are capped): submits, receipts_sent, receipts_acked, mo_sent, ..."""
        return self._call("GET", "/stats")

    def behaviour(self) -> dict[str, Any]:
        return self._call("GET", "/behaviour")

    def behave(self, **rules: Any) -> dict[str, Any]:
        """Merge behaviour rules, e.g. ``behave(throttle_every=3, receipts="tlv", respond=False)``."""
        return self._call("POST", "/behaviour", rules)

    def reset(self) -> None:
        """Clear the logs, counters, rules and pending receipts."""
        self._call("POST", "/reset", {})

    def send_mo(self, from_: str, to: str, text: str, method: str = "single", data_coding: int = 0,
                **extra: Any) -> dict[str, Any]:
        """A handset message to a bound receiver; returns {"statuses": [...]} or {"error": ...}."""
        body = {"from": from_, "to": to, "text": text, "method": method, "data_coding": data_coding} | extra
        return self._call("POST", "/mo", body, accept=(200, 409))

    def disconnect(self, mode: str = "unbind", bind_id: int | None = None) -> list[int]:
        """The SMSC ends sessions: ``unbind`` (politely) or ``close`` (drops the TCP connection)."""
        body: dict[str, Any] = {"mode": mode}
        if bind_id is not None:
            body["bind_id"] = bind_id
        return self._call("POST", "/disconnect", body)["bind_ids"]

    def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.05,
                 message: str = "condition") -> T:
        """Poll ``predicate`` until it returns something truthy; a TimeoutError names the peer's log tail."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{message} not met within {timeout}s; SMSC log:\n{self.log_tail(2000)}")
            time.sleep(interval)
