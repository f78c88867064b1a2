"""The SQLite database file stops being usable under a running server: locked by another program, deleted,
replaced. Every request gets an AWS-shaped InternalServerException within the lock bound (no hang, no crash),
the log names the file, a lock that is released is recovered from without a restart, every message answered
200 reaches its final event, and a deleted or replaced file is refused until restart and saved beside the
path, from where it can be put back with nothing lost (docs/decisions.md, "Reliability suite")."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from tests.conftest import make_client, new_account_id
from tests.messaging.support import US_SUCCESS, events, messages, simulator_number
from tests.support.server import PigeonServer

LOCK_TIMEOUT = 1.0
SLACK = 3.0
"""An answer within LOCK_TIMEOUT twice over (a request can queue behind the group commit's wait) plus this."""

HOLD_LOCK = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()
connection.execute("ROLLBACK")
"""


def _server(tmp_path: Path) -> PigeonServer:
    env = {"PIGEON_DATABASE_LOCK_TIMEOUT_SECONDS": str(LOCK_TIMEOUT),
           "PIGEON_MPS": "{SIMULATOR: 1000}"}  # finals follow the load, not the simulator numbers' 20 a second
    return PigeonServer(data_dir=tmp_path / "data", env=env).start()


def _error_code(call: Any) -> tuple[str, int, str]:
    """Run ``call`` expecting an AWS error: (its code, its HTTP status, its message)."""
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


class Sender(threading.Thread):
    """Sends one message after another until stopped; keeps every MessageId answered 200 and every error."""

    def __init__(self, client: Any, origination: str) -> None:
        super().__init__(daemon=True)
        self.client, self.origination = client, origination
        self.accepted: list[str] = []
        self.errors: list[tuple[str, int, float]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                self.accepted.append(self.client.send_text_message(
                    DestinationPhoneNumber=US_SUCCESS, MessageBody="hello", OriginationIdentity=self.origination,
                )["MessageId"])
            except ClientError as error:
                response = error.response
                self.errors.append((response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"],
                                    time.monotonic() - started))
            self.stop.wait(0.01)


def _all_final(server: PigeonServer, message_ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = set(message_ids)
    while pending:
        finals = {event["messageId"] for event in events(server, limit="100000") if event["isFinal"]}
        pending -= finals
        if pending and time.monotonic() > deadline:
            states = [messages(server, message_id=message_id) for message_id in sorted(pending)[:3]]
            raise AssertionError(f"{len(pending)} of {len(message_ids)} accepted messages have no final event: "
                                 f"{states}")
        time.sleep(0.2)


def test_file_locked_by_another_program_is_a_bounded_error_then_recovery(tmp_path: Path):
    server = _server(tmp_path)
    locker: subprocess.Popen[str] | None = None
    senders: list[Sender] = []
    try:
        client = make_client(server, new_account_id())
        origination = simulator_number(client)["PhoneNumberId"]
        for _ in range(3):  # each in an account of its own
            sender_client = make_client(server, new_account_id())
            senders.append(Sender(sender_client, simulator_number(sender_client)["PhoneNumberId"]))
            senders[-1].start()
        time.sleep(0.5)
        locker = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(server.data_dir / "pigeon.db")],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        time.sleep(LOCK_TIMEOUT * 2)  # the senders' requests meet the lock
        for call in (lambda: client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="locked",
                                                      OriginationIdentity=origination),
                     lambda: client.create_pool(OriginationIdentity=origination, IsoCountryCode="US",
                                                MessageType="TRANSACTIONAL")):
            started = time.monotonic()
            code, status, message = _error_code(call)
            assert time.monotonic() - started < 2 * LOCK_TIMEOUT + SLACK
            assert (code, status) == ("InternalServerException", 500)
            assert "locked" in message
        assert client.describe_account_limits()["AccountLimits"]  # reads go on: the other program only writes
        assert server.process is not None and server.process.poll() is None
        assert locker.stdin is not None
        locker.stdin.close()  # the other program rolls back and ends: its lock is released
        locker.wait(10)
        time.sleep(LOCK_TIMEOUT * 2)
        after = client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="after",
                                         OriginationIdentity=origination)["MessageId"]
        for sender in senders:
            sender.stop.set()
            sender.join(10)
        errors = [error for sender in senders for error in sender.errors]
        assert errors, "no send met the lock"
        assert {(code, status) for code, status, _ in errors} == {("InternalServerException", 500)}
        assert max(elapsed for _, _, elapsed in errors) < 2 * LOCK_TIMEOUT + SLACK
        accepted = [message_id for sender in senders for message_id in sender.accepted] + [after]
        _all_final(server, accepted, timeout=15)
        log = server.log_path.read_text()
        database = str(server.data_dir / "pigeon.db")
        assert f"database file {database} is locked by another program" in log
        assert f"database file {database} is usable again" in log
    finally:
        for sender in senders:
            sender.stop.set()
            sender.join(10)
        if locker is not None and locker.poll() is None:
            locker.kill()
            locker.wait()
        server.stop()


WHAT = {"deleted": "was deleted", "replaced": "was replaced by another file"}


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_file_deleted_or_replaced_is_refused_until_restart(tmp_path: Path, how: str):
    server = _server(tmp_path)
    try:
        client = make_client(server, new_account_id())
        origination = simulator_number(client)["PhoneNumberId"]
        before = client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="before",
                                          OriginationIdentity=origination)["MessageId"]
        database = server.data_dir / "pigeon.db"
        if how == "deleted":
            for suffix in ("", "-wal", "-shm"):
                os.remove(f"{database}{suffix}")
        else:  # a copy moved over it (as restoring a backup would)
            shutil.copy(database, tmp_path / "copy.db")
            os.replace(tmp_path / "copy.db", database)
        replaced_size = database.stat().st_size if how == "replaced" else 0
        code, _, message = _error_code(lambda: client.send_text_message(  # at once: checked before COMMIT
            DestinationPhoneNumber=US_SUCCESS, MessageBody="ghost", OriginationIdentity=origination))
        assert code == "InternalServerException" and f"The database file {WHAT[how]} while Pigeon ran" in message
        time.sleep(0.3)  # reads: the checkpointer looks every 0.1 s
        for call in (lambda: client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="ghost",
                                                      OriginationIdentity=origination),
                     lambda: client.create_pool(OriginationIdentity=origination, IsoCountryCode="US",
                                                MessageType="TRANSACTIONAL"),
                     client.describe_account_limits, client.describe_phone_numbers):
            started = time.monotonic()
            code, status, message = _error_code(call)
            assert time.monotonic() - started < SLACK
            assert (code, status) == ("InternalServerException", 500)
            assert f"The database file {WHAT[how]} while Pigeon ran" in message
        health = requests.get(server.url + "/_pigeon/health", timeout=10)
        assert health.status_code == 503 and health.json()["__type"] == "InternalServerException"
        assert server.process is not None and server.process.poll() is None  # refusing, not crashed
        # nothing was written at the path: a new connection may have created an empty file, no more
        assert (database.stat().st_size if database.exists() else 0) == replaced_size
        assert not Path(f"{database}-wal").exists() or how == "replaced"
        assert f"database file {database} {WHAT[how]} under the running process" in server.log_path.read_text()
        deadline = time.monotonic() + 5  # the lost file is saved beside the path, with what was accepted
        while not (saved := sorted(server.data_dir.glob("pigeon.db.lost-*"))):
            assert time.monotonic() < deadline, "the lost file was not saved"
            time.sleep(0.1)
        with closing(sqlite3.connect(saved[0])) as copy:
            assert copy.execute("SELECT count(*) FROM messages WHERE message_id = ?", (before,)).fetchone() == (1,)
        assert f"is saved in {saved[0]}" in server.log_path.read_text()
        server.stop()
        if how == "deleted":  # the operator keeps what was saved
            os.replace(saved[0], database)
        server.start()  # on whatever is at the path now
        if how == "deleted":
            assert [message["MessageId"] for message in messages(server, message_id=before)] == [before]
        client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="after restart",
                                 OriginationIdentity=simulator_number(client)["PhoneNumberId"])
    finally:
        server.stop()


def test_disk_full_is_an_error_then_recovery(tmp_path: Path):
    """A full disk, played by the process's file size limit (RLIMIT_FSIZE, set and lifted with prlimit; the
    server ignores SIGXFSZ as it is started, so a write past the limit fails with EFBIG instead of killing it):
    SQLite cannot append to its write-ahead log, every write answers InternalServerException, and once there
    is room again requests succeed and every accepted message reaches its final event, without a restart."""
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # inherited by the server through exec
    try:
        server = _server(tmp_path)
    finally:
        signal.signal(signal.SIGXFSZ, previous)
    try:
        assert server.process is not None
        client = make_client(server, new_account_id())
        origination = simulator_number(client)["PhoneNumberId"]
        accepted = [client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="before",
                                             OriginationIdentity=origination)["MessageId"] for _ in range(20)]
        soft, hard = resource.prlimit(server.process.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(server.process.pid, resource.RLIMIT_FSIZE, (1, hard))
        try:
            for _ in range(5):
                started = time.monotonic()
                code, status, message = _error_code(lambda: client.send_text_message(
                    DestinationPhoneNumber=US_SUCCESS, MessageBody="full", OriginationIdentity=origination))
                assert time.monotonic() - started < SLACK
                assert (code, status) == ("InternalServerException", 500)
                assert "Nothing was changed" in message, message
            code, status, message = _error_code(lambda: client.create_pool(
                OriginationIdentity=origination, IsoCountryCode="US", MessageType="TRANSACTIONAL"))
            assert (code, status) == ("InternalServerException", 500)
            assert server.process.poll() is None
        finally:
            resource.prlimit(server.process.pid, resource.RLIMIT_FSIZE, (soft, hard))
        deadline = time.monotonic() + 10
        while True:
            try:
                accepted.append(client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="after",
                                                         OriginationIdentity=origination)["MessageId"])
                break
            except ClientError:
                assert time.monotonic() < deadline, "no recovery within 10 s of room on the disk again"
                time.sleep(0.2)
        accepted += [client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="after",
                                              OriginationIdentity=origination)["MessageId"] for _ in range(20)]
        _all_final(server, accepted, timeout=15)
        assert "is usable again" in server.log_path.read_text()
    finally:
        server.stop()
