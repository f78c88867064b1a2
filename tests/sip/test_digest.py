"""Digest authentication against SIPp (Debian's sip-tester) playing a trunk that challenges every INVITE: the
right credentials get the call answered and completed, wrong ones end it VOICE_FAILED (403)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import make_client, new_account_id
from tests.messaging.support import final_events, messages
from tests.support.postgres import free_port
from tests.support.server import PigeonServer

SCENARIO = Path(__file__).with_name("digest_uas.xml")

pytestmark = pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp is not installed (scripts/setup.sh --test)")


@pytest.fixture
def trunk() -> Iterator[int]:
    port, media = free_port(), free_port()
    workdir = Path(tempfile.mkdtemp(prefix="pigeon-sipp-"))
    started = subprocess.run(["sipp", "-sf", str(SCENARIO), "-i", "127.0.0.1", "-p", str(port), "-mp", str(media),
                              "-m", "2", "-bg", "-trace_err"], cwd=workdir, capture_output=True, text=True, timeout=30)
    found = re.search(r"PID=\[(\d+)\]", started.stdout + started.stderr)
    assert found, started.stdout + started.stderr
    yield port
    try:
        os.kill(int(found.group(1)), signal.SIGTERM)  # it exits by itself after its two calls
    except ProcessLookupError:
        pass


def test_digest_credentials_are_answered_and_wrong_ones_refused(trunk, tmp_path):
    common = {"type": "sip", "host": "127.0.0.1", "port": trunk, "local_address": "127.0.0.1", "realm": "pigeon.test",
              "username": "pigeon", "ring_timeout_seconds": 5, "tail_seconds": 0.2}
    carriers = [{**common, "name": "good", "password": "secret"}, {**common, "name": "bad", "password": "wrong"}]
    routes = [{"carrier": "bad", "destination_prefixes": ["+1504"]}, {"carrier": "good"}]
    server = PigeonServer(None, data_dir=tmp_path, env={"PIGEON_CARRIERS": json.dumps(carriers),
                                                      "PIGEON_ROUTES": json.dumps(routes)}).start()
    try:
        client = make_client(server, new_account_id())
        number = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                             NumberCapabilities=["SMS", "VOICE"], NumberType="TOLL_FREE")
        good, bad = (client.send_voice_message(DestinationPhoneNumber=destination, MessageBody="Hello.",
                                               OriginationIdentity=number["PhoneNumberId"])["MessageId"]
                     for destination in ("+15035550100", "+15045550100"))
        assert [r["eventType"] for r in final_events(server, good, timeout=30)] == [
            "VOICE_INITIATED", "VOICE_ANSWERED", "VOICE_COMPLETED"]
        refused = final_events(server, bad, timeout=30)
        assert [r["eventType"] for r in refused] == ["VOICE_INITIATED", "VOICE_FAILED"]
        assert "SIP 403" in refused[-1]["messageStatusDescription"]
        [message] = messages(server, message_id=good)
        assert (message["Carrier"], message["SipStatus"]) == ("good", "200 OK")
    finally:
        server.stop()
