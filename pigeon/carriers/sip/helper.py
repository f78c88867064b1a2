"""A call process: one PJSUA2 endpoint holding up to ``CALLS_PER_PROCESS`` calls of one SIP carrier.

The PJSUA2 wheel is built with PJSUA's default of 4 calls per process (``PJSUA_MAX_CALLS``, a compile-time
array size), so the connector spreads a carrier's calls over as many of these processes as its
``max_concurrent_calls`` needs. It speaks JSON lines on stdin/stdout:

- in: ``{"config": {...}}`` first (the SipConfig fields), then ``{"op": "place", "message_id", "origination",
  "destination", "audio", "audio_seconds"}`` and finally ``{"op": "close"}``;
- out: ``{"op": "ready", "local"}`` (or ``{"op": "error", "error"}``), ``{"op": "placed", "message_id",
  "call_id"}`` or ``{"op": "refused", "message_id", "error", "busy"?}`` per place (``busy``: no INVITE was sent,
  all its call slots are held), and ``{"op": "event", ...}`` (a
  ``CallEvent``) for each step of each call.

When stdin ends (the parent closed it or died) every call is hung up and the process exits. Its arguments (the
carrier's name and the process's index) only name it for ``ps``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import IO, Any

CALLS_PER_PROCESS = 4
CLOSE_WAIT_SECONDS = 2.0


class _Output:
    def __init__(self, stream: IO[str]) -> None:
        self.stream, self.lock = stream, threading.Lock()

    def send(self, document: dict[str, Any]) -> None:
        line = json.dumps(document)
        with self.lock:
            self.stream.write(line + "\n")
            self.stream.flush()


def main() -> int:
    protocol = os.dup(1)  # the protocol keeps the pipe; PJSUA's console lines (C stdout) go to stderr
    os.dup2(2, 1)
    out = _Output(os.fdopen(protocol, "w", buffering=1))
    sys.stdout = sys.stderr
    first = sys.stdin.readline()
    try:
        from pigeon.carriers.sip.agent import Agent, describe
        from pigeon.carriers.sip.config import SipConfig
        from pigeon.carriers.sip.trunk import CallRequest, Trunk

        fields = json.loads(first)["config"]
        config = SipConfig(**{**fields, "codecs": tuple(fields["codecs"]), "rtp_ports": tuple(fields["rtp_ports"])})
        agent = Agent()
        trunk = agent.run(lambda: Trunk(agent, config, lambda event: out.send({"op": "event", **asdict(event)})))
        agent.add_ticker(trunk.tick)
    except Exception as error:  # noqa: BLE001 - reported to the parent, which says why the carrier is down
        info = getattr(error, "info", None)
        out.send({"op": "error", "error": str(info()) if callable(info) else repr(error)})
        return 1
    out.send({"op": "ready", "local": trunk.local})
    for line in sys.stdin:
        command = json.loads(line)
        if command.get("op") == "close":
            break
        if command.get("op") != "place":
            continue
        request = CallRequest(command["message_id"], command["origination"], command["destination"],
                              Path(command["audio"]), float(command["audio_seconds"]))
        if agent.run(lambda: trunk.active) >= CALLS_PER_PROCESS:  # a call given up on still holds its slot
            out.send({"op": "refused", "message_id": request.message_id, "busy": True,
                      "error": f"{CALLS_PER_PROCESS} calls still in this call process"})
            continue
        try:
            call_id = agent.run(partial(trunk.place, request))
        except Exception as error:  # noqa: BLE001 - this INVITE was refused; the others go on
            out.send({"op": "refused", "message_id": request.message_id, "error": describe(error)})
        else:
            out.send({"op": "placed", "message_id": request.message_id, "call_id": call_id})
    agent.run(trunk.close)
    deadline = time.monotonic() + CLOSE_WAIT_SECONDS
    while time.monotonic() < deadline and agent.run(lambda: trunk.active):
        time.sleep(0.05)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    os._exit(code)  # PJSUA's thread may still be polling: no interpreter teardown under it
