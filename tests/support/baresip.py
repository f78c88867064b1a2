"""Debian's baresip as the called party of SIP tests: auto-answers (or rings), records what it hears.

One process serves several accounts on one SIP port (each a user part the test dials): ``auto`` ones answer at
once, ``manual`` ones ring (180) until the test answers, rejects (486 Busy) or leaves them. The ``sndfile``
module writes the decoded received audio of each call to ``rec/dump-*-dec.wav`` (8 kHz mono s16); ``ctrl_tcp``
(netstring JSON) gives the call events and takes commands. Every port is picked free at start.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import wave
from pathlib import Path
from typing import Any

from tests.support.postgres import free_port

MODULES = Path("/usr/lib/baresip/modules")


def available() -> bool:
    return shutil.which("baresip") is not None and MODULES.is_dir()


class Baresip:
    def __init__(self, auto: list[str], manual: list[str], certificate: Path | None = None) -> None:
        self.certificate = certificate
        """A PEM file holding key and certificate: baresip then also takes SIP over TLS on ``sip_port + 1``."""
        self.dir = Path(tempfile.mkdtemp(prefix="pigeon-baresip-"))
        self.recordings = self.dir / "rec"
        self.recordings.mkdir()
        self.sip_port, self.ctrl_port = free_port(), free_port()
        self.auto, self.manual = auto, manual
        self._write_config()
        self.log_path = self.dir / "baresip.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.events: list[dict[str, Any]] = []
        self._events_lock = threading.Lock()
        self._control: socket.socket | None = None

    def _write_config(self) -> None:
        rtp = free_port()
        silence = self.dir / "silence.wav"
        if not silence.exists():
            with wave.open(str(silence), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(8000)
                out.writeframes(b"\x00\x00" * 8000 * 600)
        (self.dir / "config").write_text("\n".join([
            "poll_method epoll", f"sip_listen 127.0.0.1:{self.sip_port}", "net_interface 127.0.0.1",
            "audio_player aubridge,sink", f"audio_source aufile,{silence}", "audio_alert aubridge,alert",
            "audio_srate 8000", "audio_channels 1", f"rtp_ports {rtp}-{rtp + 40}", f"module_path {MODULES}",
            "module g711.so", "module aubridge.so", "module aufile.so", "module sndfile.so", "module ctrl_tcp.so",
            "module_app account.so", "module_app menu.so", f"snd_path {self.recordings}",
            f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}",
            f"sip_certificate {self.certificate}" if self.certificate else "", ""]))
        accounts = [f"<sip:{user}@127.0.0.1:{self.sip_port}>;regint=0;answermode={mode};audio_codecs=PCMU,PCMA"
                    for mode, users in (("auto", self.auto), ("manual", self.manual)) for user in users]
        (self.dir / "accounts").write_text("\n".join(accounts) + "\n")
        (self.dir / "contacts").write_text("")

    def start(self, timeout: float = 15.0, tries: int = 5) -> Baresip:
        """Start it; ports another process took meanwhile (baresip also binds TLS on the SIP port + 1) are
        picked again."""
        for attempt in range(tries):
            try:
                return self._start(timeout)
            except RuntimeError:
                if attempt == tries - 1:
                    raise
                self.sip_port, self.ctrl_port = free_port(), free_port()
                self._write_config()
        raise AssertionError("unreachable")

    def _start(self, timeout: float) -> Baresip:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(["baresip", "-f", str(self.dir), "-v"], stdin=subprocess.DEVNULL,
                                        stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"baresip exited: {self.log_path.read_text()[-2000:]}")
            try:
                self._control = socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise TimeoutError(f"baresip did not listen: {self.log_path.read_text()[-2000:]}")
        self._control.settimeout(None)
        threading.Thread(target=self._read_events, daemon=True).start()
        return self

    def _read_events(self) -> None:
        buffer = b""
        assert self._control is not None
        while True:
            try:
                chunk = self._control.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b":" in buffer:
                length, rest = buffer.split(b":", 1)
                size = int(length)
                if len(rest) < size + 1:
                    break
                document, buffer = rest[:size], rest[size + 1:]
                with self._events_lock:
                    self.events.append(json.loads(document))

    def command(self, command: str, params: str = "") -> None:
        body = json.dumps({"command": command, "params": params, "token": str(time.monotonic_ns())}).encode()
        assert self._control is not None
        self._control.sendall(str(len(body)).encode() + b":" + body + b",")

    def wait_event(self, kind: str, after: int = 0, timeout: float = 15.0) -> dict[str, Any]:
        """The first event of ``kind`` (CALL_INCOMING, CALL_ESTABLISHED, CALL_CLOSED, ...) from index ``after``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._events_lock:
                for event in self.events[after:]:
                    if event.get("type") == kind:
                        return event
            time.sleep(0.02)
        raise AssertionError(f"baresip sent no {kind}: {self.events[after:]}")

    def mark(self) -> int:
        with self._events_lock:
            return len(self.events)

    def recordings_received(self) -> list[Path]:
        return sorted(self.recordings.glob("dump-*-dec.wav"), key=lambda path: path.stat().st_mtime)

    def stop(self) -> None:
        if self._control is not None:
            self._control.close()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
