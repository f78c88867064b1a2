"""``pigeon worker``: with the dispatcher off in ``pigeon serve``, separate worker processes deliver (two of them
sharing the database), each message reaching exactly one final event."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.conftest import BACKENDS, make_client, new_account_id
from tests.messaging.support import US_SUCCESS, events, messages, simulator_number
from tests.support.server import PigeonServer


@pytest.mark.parametrize("backend", BACKENDS)
def test_worker_processes_deliver_what_serve_accepted(backend, database_factory, tmp_path: Path):
    config = tmp_path / "pigeon.yaml"
    config.write_text(yaml.safe_dump({"dispatcher": False, "mps": {"SIMULATOR": 10000}}))
    database_url = database_factory(backend)
    data_dir = tmp_path / "data"
    server = PigeonServer(database_url, ["--config", str(config)], data_dir=data_dir).start()
    workers: list[subprocess.Popen[bytes]] = []
    try:
        account_id = new_account_id()
        client = make_client(server, account_id)
        number = simulator_number(client)["PhoneNumberId"]
        ids = [client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody=f"m{n}",
                                        OriginationIdentity=number)["MessageId"] for n in range(60)]
        time.sleep(0.5)
        assert {m["Status"] for m in messages(server, account=account_id)} == {"QUEUED"}
        command = [sys.executable, "-m", "pigeon", "worker", "--data-dir", str(data_dir), "--config", str(config),
                   *(["--database-url", database_url] if database_url else [])]
        logs = [tmp_path / f"worker-{n}.log" for n in range(2 if backend == "postgresql" else 1)]
        workers = [subprocess.Popen(command, stderr=log.open("wb")) for log in logs]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            finals = Counter(e["messageId"] for e in events(server, account=account_id) if e["isFinal"])
            if set(finals) >= set(ids):
                break
            time.sleep(0.1)
        assert set(finals) == set(ids) and set(finals.values()) == {1}
        assert {m["Status"] for m in messages(server, account=account_id)} == {"DELIVERED"}
        while not all("dispatching" in log.read_text() for log in logs) and time.monotonic() < deadline:
            time.sleep(0.05)  # a worker still importing would die of SIGTERM before its handler is set
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        assert [worker.wait(10) for worker in workers] == [0] * len(workers)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
        server.stop()
