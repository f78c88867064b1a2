"""Concurrent SIP calls: N voice messages at once through a real ``pigeon serve`` with a SIP carrier, answered by
a minimal callee in this script that timestamps every RTP packet it receives.

Reports: calls completed, most calls open at once, RTP inter-arrival (deviation from 20 ms: p50/p99/max), the
RFC 3550 interarrival jitter per call, packets received versus expected, and the CPU time of the Pigeon process
(user+system from /proc, with its call processes and its espeak-ng/sox children) per call, beside its idle CPU over the same wall time.

Usage: .venv/bin/python bench/sip_calls.py [calls, default 20] [words of the message, default 20]
"""

from __future__ import annotations

import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import json  # noqa: E402

from tests.conftest import make_client  # noqa: E402
from tests.messaging.support import final_events  # noqa: E402
from tests.support.server import PigeonServer  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


class Callee:
    """Answers every INVITE with 200 (PCMU), gives each call its own RTP socket, answers BYE."""

    def __init__(self) -> None:
        self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sip.bind(("127.0.0.1", 0))
        self.port = self.sip.getsockname()[1]
        self.calls: dict[str, dict] = {}
        self.open_calls = 0
        self.most_open = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._sip_loop, daemon=True).start()

    def _sip_loop(self) -> None:
        while True:
            data, peer = self.sip.recvfrom(65535)
            text = data.decode(errors="replace")
            method = text.split(" ", 1)[0]
            headers = text.split("\r\n\r\n", 1)[0].split("\r\n")
            keep = [h for h in headers[1:] if h.split(":", 1)[0].lower() in ("via", "from", "to", "call-id", "cseq")]
            call_id = next(h.split(":", 1)[1].strip() for h in headers if h.lower().startswith("call-id"))
            if method == "INVITE":
                if call_id in self.calls:
                    continue  # a retransmission
                rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                rtp.bind(("127.0.0.1", 0))
                record = {"arrivals": [], "open": True}
                with self.lock:
                    self.calls[call_id] = record
                    self.open_calls += 1
                    self.most_open = max(self.most_open, self.open_calls)
                threading.Thread(target=self._rtp_loop, args=(rtp, record), daemon=True).start()
                sdp = (f"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                       f"m=audio {rtp.getsockname()[1]} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n")
                keep = [h + ";tag=callee" if h.lower().startswith("to:") else h for h in keep]
                self._answer(peer, "200 OK", keep + [f"Contact: <sip:callee@127.0.0.1:{self.port}>",
                                                    "Content-Type: application/sdp"], sdp)
            elif method == "BYE":
                self._answer(peer, "200 OK", keep, "")
                with self.lock:
                    record = self.calls.get(call_id)
                    if record and record["open"]:
                        record["open"] = False
                        self.open_calls -= 1

    def _answer(self, peer: tuple[str, int], status: str, headers: list[str], body: str) -> None:
        message = "\r\n".join([f"SIP/2.0 {status}", *headers, f"Content-Length: {len(body)}", "", body])
        self.sip.sendto(message.encode(), peer)

    def _rtp_loop(self, rtp: socket.socket, record: dict) -> None:
        rtp.settimeout(5)
        while record["open"]:
            try:
                data = rtp.recv(2048)
            except TimeoutError:
                break
            record["arrivals"].append((time.monotonic_ns(), int.from_bytes(data[4:8], "big"), len(data) - 12))
        rtp.close()


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """CPU of the process, its waited-for children (espeak-ng, sox) and its live children (the call processes)."""
    fields = _stat(pid)
    total = sum(int(value) for value in fields[11:15])
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                child = _stat(int(entry.name))
            except OSError:
                continue
            if int(child[1]) == pid:
                total += int(child[11]) + int(child[12])
    return total / TICKS


def jitter_ms(arrivals: list[tuple[int, int, int]]) -> float:
    """RFC 3550 interarrival jitter at the end of the call, in ms (8 kHz timestamps)."""
    value = 0.0
    for (t0, ts0, _), (t1, ts1, _) in zip(arrivals, arrivals[1:], strict=False):
        d = ((t1 - t0) / 1e6) - ((ts1 - ts0) / 8.0)
        value += (abs(d) - value) / 16
    return value


def main(count: int, words: int) -> None:
    callee = Callee()
    config = Path(tempfile.mkdtemp()) / "pigeon.yaml"
    config.write_text(json.dumps({"mps": {"TOLL_FREE": 1000}, "carriers": [{
        "name": "bench", "type": "sip", "host": "127.0.0.1", "port": callee.port, "local_address": "127.0.0.1",
        "max_concurrent_calls": count, "request_uri": "sip:{destination_digits}@{host}:{port}"}]}))
    server = PigeonServer(None, ["--config", str(config)]).start()
    assert server.process is not None
    pid = server.process.pid
    body = " ".join(["Pigeon"] * words)
    try:
        client = make_client(server, "123456789012")
        number = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                             NumberCapabilities=["SMS", "VOICE"], NumberType="TOLL_FREE")
        idle_start, idle_wall = cpu_seconds(pid), time.monotonic()
        time.sleep(3)
        idle_cpu = (cpu_seconds(pid) - idle_start) / (time.monotonic() - idle_wall)
        cpu_start, started = cpu_seconds(pid), time.monotonic()
        ids = [client.send_voice_message(DestinationPhoneNumber=f"+1206555{1000 + i}", MessageBody=body,
                                         OriginationIdentity=number["PhoneNumberId"])["MessageId"] for i in range(count)]
        finals = [final_events(server, message_id, timeout=120)[-1] for message_id in ids]
        wall = time.monotonic() - started
        cpu = cpu_seconds(pid) - cpu_start
        completed = sum(record["eventType"] == "VOICE_COMPLETED" for record in finals)
        for record in finals:
            if record["eventType"] != "VOICE_COMPLETED":
                print(record["eventType"], record["messageStatusDescription"])
        deviations, jitters, received, expected = [], [], 0, 0
        for record in callee.calls.values():
            arrivals = record["arrivals"]
            gaps = [(b[0] - a[0]) / 1e6 for a, b in zip(arrivals, arrivals[1:], strict=False)]
            deviations += [abs(gap - 20.0) for gap in gaps]
            jitters.append(jitter_ms(arrivals))
            received += len(arrivals)
            if arrivals:
                expected += (arrivals[-1][1] - arrivals[0][1]) // 160 + 1
        deviations.sort()
        durations = [record.get("callDurationSeconds", 0) for record in finals]
        print(f"calls: {count}, completed {completed}, most open at once at the callee: {callee.most_open}")
        print(f"call duration: {statistics.mean(durations):.2f} s mean; wall for all: {wall:.1f} s")
        print(f"RTP packets: {received} received of {expected} expected ({received / max(expected, 1):.2%})")
        print(f"inter-arrival deviation from 20 ms: p50 {deviations[len(deviations) // 2]:.3f} ms, "
              f"p99 {deviations[int(len(deviations) * 0.99)]:.3f} ms, max {deviations[-1]:.3f} ms")
        print(f"RFC 3550 jitter per call: mean {statistics.mean(jitters):.3f} ms, max {max(jitters):.3f} ms")
        busy = cpu - idle_cpu * wall
        print(f"pigeon CPU: {cpu:.2f} s over {wall:.1f} s ({cpu / wall:.1%} of a core; idle {idle_cpu:.1%}); "
              f"{busy / count * 1000:.0f} ms per call beyond idle, {busy / sum(durations) * 100:.2f} % of a core "
              f"per call-second")
    finally:
        server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20, int(sys.argv[2]) if len(sys.argv) > 2 else 20)
