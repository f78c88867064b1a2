"""What the SMSC test peer (node-smpp, tests/peers/smsc) sustains alone, driven by smpplib with a window.

The SMPP benchmark compares Pigeon's connector with this: the same client library against the same peer,
with nothing in between. One bind (transceiver), a window of N outstanding submit_sm, receipts answered
inline with deliver_sm_resp; each run lasts --seconds. Prints one JSON document.

    .venv/bin/python bench/smsc_peer.py --seconds 10 --window 10 100
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import socket
import sys
import time
from pathlib import Path
from typing import Any

import smpplib.client
import smpplib.smpp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.smsc import NodeSmsc  # noqa: E402


def drive(port: int, window: int, receipts: bool, seconds: float, nodelay: bool) -> dict[str, Any]:
    """One bind: keep ``window`` submit_sm outstanding for ``seconds``, answer every receipt."""
    client = smpplib.client.Client("127.0.0.1", port, allow_unknown_opt_params=True, timeout=10)
    client.connect()
    if nodelay:  # as Pigeon's connector does; with Nagle on, receipts runs lose half their rate
        client._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.bind_transceiver(system_id="bench", password="bench")
    body = b"Benchmark message, GSM-7, one part."
    outstanding = sent = resps = errors = delivered = 0
    submit_elapsed: float | None = None
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        now = time.perf_counter()
        sending = now < deadline
        while sending and outstanding < window:
            client.send_message(source_addr_ton=1, source_addr_npi=1, source_addr="15551230000",
                                dest_addr_ton=1, dest_addr_npi=1, destination_addr="15557654321",
                                short_message=body, data_coding=0, registered_delivery=1 if receipts else 0)
            outstanding += 1
            sent += 1
        if not sending and outstanding == 0 and (not receipts or delivered >= resps - errors):
            break
        if not sending and now > deadline + 15:
            break  # something is lost; the counts say what
        pdu = client.read_pdu()
        if pdu.command == "submit_sm_resp":
            outstanding -= 1
            resps += 1
            if pdu.status:
                errors += 1
            if resps == sent and not sending:
                submit_elapsed = time.perf_counter() - start
        elif pdu.command == "deliver_sm":
            delivered += 1
            answer = smpplib.smpp.make_pdu("deliver_sm_resp", client=client)
            answer.sequence = pdu.sequence
            client.send_pdu(answer)
    total = time.perf_counter() - start
    client.unbind()
    client.disconnect()
    return {"submits": sent, "errors": errors, "receipts": delivered, "submit_seconds": submit_elapsed or total,
            "total_seconds": total}


def run(peer: NodeSmsc, window: int, receipts: bool, seconds: float, binds: int, nodelay: bool) -> dict[str, Any]:
    peer.reset()
    jobs = [(peer.port, window, receipts, seconds, nodelay)] * binds
    if binds == 1:
        results = [drive(*jobs[0])]
    else:
        with multiprocessing.Pool(binds) as pool:
            results = pool.starmap(drive, jobs)
    sent = sum(r["submits"] for r in results)
    submit_seconds = max(r["submit_seconds"] for r in results)
    stats = peer.stats()
    return {"binds": binds, "window": window, "receipts": receipts, "seconds": round(submit_seconds, 2),
            "submits": sent, "submit_sm_resp_errors": sum(r["errors"] for r in results),
            "submit_sm_per_s": round(sent / submit_seconds), "receipts_received": sum(r["receipts"] for r in results),
            "receipts_done_after_s": round(max(r["total_seconds"] for r in results), 2),
            "peer": {k: stats[k] for k in ("submits", "submits_accepted", "receipts_sent", "receipts_acked")}
            | {"rss_mb": rss_mb(peer)}}


def rss_mb(peer: NodeSmsc) -> float | None:
    if peer.process is None:
        return None
    for line in Path(f"/proc/{peer.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--window", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--binds", type=int, default=1, help="client processes, one bind each")
    parser.add_argument("--nagle", action="store_true", help="leave Nagle on in the client (TCP_NODELAY off)")
    args = parser.parse_args()
    peer = NodeSmsc(dlr_delay_ms=0, quiet=True).start()
    try:
        results = [run(peer, window, receipts, args.seconds, args.binds, not args.nagle)
                   for window in args.window for receipts in (False, True)]
    finally:
        peer.stop()
    print(json.dumps({"peer": "node-smpp 0.5.1 (tests/peers/smsc/smsc.js, SMSC_QUIET=1)", "client": "smpplib 2.2.4",
                      "runs": results}, indent=2))


if __name__ == "__main__":
    main()
