"""``pigeon inbound`` writes to the same store as the running server: the server's dispatcher sends the
automatic response and GET /_pigeon/inbound lists the message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.inbound.support import HANDSET, inbound_list, us_number
from tests.messaging.support import final_events


def run_inbound(server: Any, *args: str) -> subprocess.CompletedProcess[str]:
    store = ["--database-url", server.database_url] if server.database_url else ["--data-dir", str(server.data_dir)]
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIGEON_")}
    return subprocess.run([sys.executable, "-m", "pigeon", "inbound", *args, *store], capture_output=True,
                          text=True, env=env, timeout=60)


def test_inbound_command_stops_and_answers_through_the_server(client, server, account_id):
    number = us_number(client, server)
    done = run_inbound(server, "--from", HANDSET, "--to", number["PhoneNumber"], "--body", "STOP")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["AccountId"], result["Keyword"], result["OptOut"]) == (account_id, "STOP", "OPTED_OUT")
    assert [m["InboundMessageId"] for m in inbound_list(server, account=account_id)] == [result["InboundMessageId"]]
    assert final_events(server, result["ResponseMessageId"])[-1]["eventType"] == "TEXT_DELIVERED"
    [entry] = client.describe_opted_out_numbers(OptOutListName="Default")["OptedOutNumbers"]
    assert entry["OptedOutNumber"] == HANDSET


def test_inbound_command_reports_an_unknown_number(server):
    done = run_inbound(server, "--from", HANDSET, "--to", "+12065559876", "--body", "hi")
    assert done.returncode == 1
    error = json.loads(done.stderr.strip().splitlines()[-1])
    assert (error["__type"], error["ResourceType"]) == ("ResourceNotFoundException", "phone-number")


def test_inbound_command_refuses_a_body_that_is_not_utf8(client, server):
    number = us_number(client, server)
    done = run_inbound(server, "--from", HANDSET, "--to", number["PhoneNumber"], "--body", b"caf\xe9")  # type: ignore[arg-type]
    assert done.returncode == 1
    error = json.loads(done.stderr.strip().splitlines()[-1])
    assert (error["__type"], [f["Name"] for f in error["Fields"]]) == ("ValidationException", ["MessageBody"])
