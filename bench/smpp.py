"""SMPP end to end: SendTextMessage -> submit_sm -> the SMSC's receipt -> the final event, on one machine.

Starts the node-smpp peer (tests/peers/smsc, quiet) and one ``pigeon serve`` (SQLite, or PostgreSQL with
--database-url) whose only carrier is that peer; wrk sends SendTextMessage for --seconds; then the script waits
until every accepted message has its final event. Reports, as one JSON document:
- accepted/s (wrk), end-to-end/s (messages final over the time from the first request to the last final event),
- accepted -> final latency p50/p99 (each final record's eventTimestamp minus its messageRequestTimestamp),
- what the peer alone sustains with the same client library and window (bench/smsc_peer.py), for the ratio.

    .venv/bin/python bench/smpp.py --seconds 10 --connections 16 --window 50 --binds 2

Needs wrk (apt-get install wrk) and the peer's node_modules (scripts/setup.sh --test).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.postgres import free_port  # noqa: E402
from tests.support.smsc import NodeSmsc  # noqa: E402

DESTINATION = "+447411000001"


def start_pigeon(data: Path, smsc: NodeSmsc, args: argparse.Namespace) -> tuple[subprocess.Popen[bytes], str]:
    config = {"carriers": [{"name": "bench-smsc", "type": "smpp", "host": "127.0.0.1", "port": smsc.port,
                            "window": args.window, "binds": args.binds, "system_id": "bench"}],
              "mps": {"LONG_CODE": 1_000_000}}
    if args.simulator:  # the same path with the simulated carrier instead of the SMSC: the baseline
        config.pop("carriers")
    (data / "bench.yaml").write_text(yaml.safe_dump(config))
    port = free_port()
    command = [sys.executable, "-m", "pigeon", "serve", "--port", str(port), "--data-dir", str(data),
               "--log-level", "warning", "--config", str(data / "bench.yaml")]
    if args.database_url:
        command += ["--database-url", args.database_url]
    process = subprocess.Popen(command, stdout=open(data / "server.log", "ab"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/_pigeon/health", timeout=1).ok and (args.simulator or any(
                    c.get("State") == "BOUND" for c in requests.get(url + "/_pigeon/connections").json()["Connections"])):
                return process, url
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise SystemExit("pigeon did not come up bound: " + (data / "server.log").read_text()[-2000:])


def origination(url: str) -> str:
    client = boto3.client("pinpoint-sms-voice-v2", endpoint_url=url, region_name="us-east-1",
                          aws_access_key_id="123456789012", aws_secret_access_key="x")
    return client.request_phone_number(IsoCountryCode="GB", MessageType="TRANSACTIONAL", NumberCapabilities=["SMS"],
                                       NumberType="LONG_CODE")["PhoneNumberId"]


def run_wrk(url: str, identity: str, args: argparse.Namespace) -> dict[str, Any]:
    env = {**os.environ, "PIGEON_OPERATION": "SendTextMessage", "PIGEON_ORIGINATION": identity,
           "PIGEON_DESTINATION": DESTINATION}
    done = subprocess.run(["wrk", "-t", "2", "-c", str(args.connections), "-d", f"{args.seconds}s", "--latency",
                           "-s", str(ROOT / "bench" / "request.lua"), url + "/"],
                          capture_output=True, text=True, env=env, check=True)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    return {"accepted_per_second": rate, "non_2xx": int(non_2xx.group(1)) if non_2xx else 0}


def finals(url: str) -> list[dict[str, Any]]:
    records = requests.get(url + "/_pigeon/events", params={"account": "123456789012", "limit": "10000000"},
                           timeout=120).json()["Events"]
    return [record for record in records if record["isFinal"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--window", type=int, default=50)
    parser.add_argument("--binds", type=int, default=2)
    parser.add_argument("--database-url")
    parser.add_argument("--skip-peer-alone", action="store_true")
    parser.add_argument("--simulator", action="store_true", help="no SMSC: the simulated carrier (the baseline)")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="pigeon-bench-smpp-"))
    smsc = NodeSmsc(quiet=True, dlr_delay_ms=0, log_dir=data).start()
    report: dict[str, Any] = {"seconds": args.seconds, "connections": args.connections, "window": args.window,
                              "binds": args.binds, "backend": "postgresql" if args.database_url else "sqlite"}
    process, url = start_pigeon(data, smsc, args)
    try:
        identity = origination(url)
        started = time.time()
        report.update(run_wrk(url, identity, args))
        accepted = int(requests.get(url + "/_pigeon/messages", params={"account": "123456789012",
                                                                       "limit": "10000000"}).json().__len__())
        deadline = time.monotonic() + 120
        while True:
            messages = requests.get(url + "/_pigeon/messages", params={"account": "123456789012", "limit": "10000000"},
                                    timeout=120).json()["Messages"]
            open_ = sum(m["Status"] not in ("DELIVERED", "FAILED", "EXPIRED") for m in messages)
            if open_ == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        done = finals(url)
        last = max(record["eventTimestamp"] for record in done) / 1000
        latencies = sorted((r["eventTimestamp"] - r["messageRequestTimestamp"]) / 1000 for r in done)
        delivered = sum(r["eventType"] == "TEXT_DELIVERED" for r in done)
        report.update({
            "messages": len(messages), "final": len(done), "delivered": delivered, "left_open": open_,
            "end_to_end_per_second": round(len(done) / (last - started), 1),
            "latency_p50_ms": round(statistics.median(latencies) * 1000, 1),
            "latency_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
            "smsc_submits": smsc.stats()["submits"],
        })
        del accepted
    finally:
        process.terminate()
        process.wait(20)
    if not args.skip_peer_alone:
        alone = subprocess.run([sys.executable, str(ROOT / "bench" / "smsc_peer.py"), "--seconds", str(args.seconds),
                                "--window", str(args.window)], capture_output=True, text=True, check=True)
        report["peer_alone"] = json.loads(alone.stdout)
    smsc.stop()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
