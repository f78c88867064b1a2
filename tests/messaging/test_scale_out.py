"""Scale-out on PostgreSQL as an operator runs it: ``scripts/cluster.sh`` with two API processes
(``dispatcher: false``) and two ``pigeon worker`` processes on the suite's real PostgreSQL.

What two servers sharing one database already prove is not repeated here: test_multi_process.py (a change
through one server binds the other's next send; answered ids are stored), test_concurrent_requests.py (quotas,
names and ClientTokens under concurrent requests through three servers), test_crash.py (kill -9 of a server
mid-burst). This module adds what only the split topology has: the messages accepted by one process are
delivered by others, spend booked by a worker limits sends of every API process, a handset's keyword taken in
by one process binds the other's sends, and a worker killed with SIGKILL holding claims loses none of them.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

from pigeon.store.engine import create_engine
from tests.conftest import make_client, new_account_id
from tests.inbound.support import inbound
from tests.messaging.support import US_FAILURE, US_SUCCESS, events, simulator_number
from tests.support.errors import error_of

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 2
"""dispatch_lease_seconds of the cluster: how long a killed worker's claims wait for another worker."""


class Endpoint:
    """One API process of the cluster, shaped like PigeonServer for the helpers (``url``)."""

    def __init__(self, url: str) -> None:
        self.url = url


class Cluster:
    def __init__(self, process: subprocess.Popen[str], apis: list[Endpoint], workers: list[int],
                 database_url: str) -> None:
        self.process, self.apis, self.workers, self.database_url = process, apis, workers, database_url


@pytest.fixture(scope="module")
def cluster(database_factory: Callable[[str], str | None], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    directory = tmp_path_factory.mktemp("scale-out")
    config = directory / "pigeon.yaml"
    config.write_text(yaml.safe_dump({"dispatch_lease_seconds": LEASE_SECONDS, "mps": {"SIMULATOR": 10000},
                                      "cpu_affinity": "none"}))
    url = database_factory("postgresql")
    assert url is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIGEON_")}
    process = subprocess.Popen([str(ROOT / "scripts/cluster.sh"), "--api", "2", "--workers", "2", "--database-url",
                                url, "--config", str(config), "--data-dir", str(directory / "data"),
                                "--log-level", "warning"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 40
    while not (lines and lines[-1].startswith("ready")):
        line = process.stdout.readline()
        assert line and time.monotonic() < deadline, f"cluster.sh did not start: {''.join(lines)}"
        lines.append(line)
    output = "".join(lines)
    apis = [Endpoint(found) for found in re.findall(r"^api \d+: +(\S+)", output, re.M)]
    workers = [int(found) for found in re.findall(r"^worker \d+: pid (\d+)", output, re.M)]
    assert (len(apis), len(workers)) == (2, 2), output
    threading.Thread(target=process.stdout.read, daemon=True).start()  # keep its pipe drained
    try:
        yield Cluster(process, apis, workers, url)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        for pid in workers:
            assert not _alive(pid), "cluster.sh left a worker running"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _finals(cluster: Cluster, account_id: str, wanted: set[str], timeout: float = 30) -> Counter[str]:
    """Final events per message, once every wanted message has one (read through the second API process)."""
    deadline = time.monotonic() + timeout
    while True:
        finals = Counter(e["messageId"] for e in events(cluster.apis[1], account=account_id, limit="5000")
                         if e["isFinal"])
        missing = wanted - set(finals)
        if not missing or time.monotonic() > deadline:
            assert not missing, f"{len(missing)} accepted messages never reached a final event"
            return finals
        time.sleep(0.2)


def test_sends_spread_over_both_api_processes_are_each_delivered_once(cluster: Cluster) -> None:
    account_id = new_account_id()
    clients = [make_client(api, account_id) for api in cluster.apis]
    number = simulator_number(clients[0])["PhoneNumberId"]
    accepted: list[str] = []

    def burst(client: Any) -> None:
        for n in range(50):
            destination = US_FAILURE if n % 10 == 0 else US_SUCCESS
            accepted.append(client.send_text_message(DestinationPhoneNumber=destination, OriginationIdentity=number,
                                                     MessageBody=f"spread {n}")["MessageId"])

    threads = [threading.Thread(target=burst, args=(make_client(api, account_id),)) for api in cluster.apis * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(accepted) == 200
    finals = _finals(cluster, account_id, set(accepted))
    assert set(finals) == set(accepted) and set(finals.values()) == {1}


def test_a_client_token_and_a_quota_hold_across_the_api_processes(cluster: Cluster) -> None:
    account_id = new_account_id()
    first, second = (make_client(api, account_id) for api in cluster.apis)
    request = {"IsoCountryCode": "US", "MessageType": "TRANSACTIONAL", "NumberCapabilities": ["SMS"],
               "NumberType": "SIMULATOR", "ClientToken": "one-number-please"}
    assert first.request_phone_number(**request)["PhoneNumberId"] == \
        second.request_phone_number(**request)["PhoneNumberId"]
    with pytest.raises(ClientError) as reused:
        second.request_phone_number(**{**request, "MessageType": "PROMOTIONAL"})
    assert error_of(reused)["Code"] == "ValidationException"
    limit = next(a["Max"] for a in first.describe_account_limits()["AccountLimits"]
                 if a["Name"] == "CONFIGURATION_SETS")
    for n in range(limit):
        (first, second)[n % 2].create_configuration_set(ConfigurationSetName=f"set-{n}")
    for client in (first, second):
        with pytest.raises(ClientError) as over:
            client.create_configuration_set(ConfigurationSetName="one-too-many")
        assert error_of(over)["Code"] == "ServiceQuotaExceededException"


def test_spend_booked_by_the_workers_limits_sends_through_every_api_process(cluster: Cluster) -> None:
    """USD 1 at USD 0.00581 a part: 24 messages of 7 parts fit and a 25th does not (test_send_text.py, on one
    process); here they are accepted by two processes and delivered (and booked) by two others."""
    account_id = new_account_id()
    clients = [make_client(api, account_id) for api in cluster.apis]
    number = simulator_number(clients[0])["PhoneNumberId"]
    clients[1].set_text_message_spend_limit_override(MonthlyLimit=1)
    sent = [clients[n % 2].send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="y" * 1000,
                                             OriginationIdentity=number)["MessageId"] for n in range(24)]
    _finals(cluster, account_id, set(sent))  # all booked, by whichever worker delivered each
    time.sleep(1.1)  # a send may use the booked spend it read for a second (outbox.SPENT_CACHE_SECONDS)
    for client in clients:
        with pytest.raises(ClientError) as refused:
            client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="y" * 1000,
                                     OriginationIdentity=number)
        assert error_of(refused)["Reason"] == "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT"
    small = clients[0].send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody="y",
                                         OriginationIdentity=number)  # 0.976 + 0.00581 still fits
    assert small["MessageId"]


def test_a_keyword_opt_out_taken_in_by_one_process_binds_the_others_sends(cluster: Cluster) -> None:
    account_id = new_account_id()
    first, second = (make_client(api, account_id) for api in cluster.apis)
    number = simulator_number(first)
    first.put_keyword(OriginationIdentity=number["PhoneNumberId"], Keyword="UNSUBSCRIBE", KeywordMessage="Bye",
                      KeywordAction="OPT_OUT")
    second.send_text_message(DestinationPhoneNumber=US_SUCCESS, OriginationIdentity=number["PhoneNumberId"],
                             MessageBody="before")  # the second process now has the destination's state cached
    inbound(cluster.apis[0], US_SUCCESS, number["PhoneNumber"], "unsubscribe")
    deadline = time.monotonic() + 2  # PostgreSQL's change notification arrives just after the commit
    while True:
        try:
            second.send_text_message(DestinationPhoneNumber=US_SUCCESS, OriginationIdentity=number["PhoneNumberId"],
                                     MessageBody="after")
        except ClientError as error:
            assert error_of(error)["Reason"] == "DESTINATION_PHONE_NUMBER_OPTED_OUT"
            break
        assert time.monotonic() < deadline, "the second process sent to a handset that opted out"
        time.sleep(0.05)


def test_a_worker_killed_holding_claims_loses_none_of_them(cluster: Cluster) -> None:
    """Worker B is stopped (SIGSTOP) so that worker A alone claims; A is frozen while it holds claims, checked
    in the database, then killed with SIGKILL. B, let go, takes A's claims once their lease runs out."""
    victim, survivor = cluster.workers
    account_id = new_account_id()
    number = simulator_number(make_client(cluster.apis[0], account_id))["PhoneNumberId"]
    accepted: list[str] = []
    stop = threading.Event()

    def burst(client: Any) -> None:
        n = 0
        while not stop.is_set() and n < 400:
            accepted.append(client.send_text_message(DestinationPhoneNumber=US_SUCCESS, OriginationIdentity=number,
                                                     MessageBody=f"lease {n}")["MessageId"])
            n += 1

    engine = create_engine(cluster.database_url)
    os.kill(survivor, signal.SIGSTOP)
    threads = [threading.Thread(target=burst, args=(make_client(api, account_id),)) for api in cluster.apis * 2]
    try:
        for thread in threads:
            thread.start()
        held: list[str] = []
        deadline = time.monotonic() + 20
        while not held:
            assert time.monotonic() < deadline, "worker A was never caught holding a claim"
            time.sleep(0.02)
            os.kill(victim, signal.SIGSTOP)
            with engine.connect() as db:
                held = list(db.exec_driver_sql("SELECT message_id FROM messages WHERE status = 'CLAIMED' "
                                               "AND account_id = %(a)s", {"a": account_id}).scalars())
            if not held:
                os.kill(victim, signal.SIGCONT)
        os.kill(victim, signal.SIGKILL)
        time.sleep(0.3)
        stop.set()
        for thread in threads:
            thread.join(30)
    finally:
        stop.set()
        os.kill(survivor, signal.SIGCONT)
        engine.dispose()
    assert set(held) <= set(accepted)
    finals = _finals(cluster, account_id, set(accepted), timeout=LEASE_SECONDS + 30)
    assert set(finals.values()) == {1}, "a message has two final events"
    assert not _alive(victim)
