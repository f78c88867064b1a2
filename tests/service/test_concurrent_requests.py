"""Conflicting requests arriving at once, through three servers on one database: a name is taken once, a quota
is never overshot, a ClientToken makes one resource, and none of them answers 500 (docs/decisions.md, Store)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import BACKENDS, REGION, new_account_id
from tests.service.registrations.forms import fill
from tests.support.server import PigeonServer

AT_ONCE = 30
ROUNDS = 3
CONFIGURATION_SETS_QUOTA = 5
AUTO_APPROVE_SECONDS = 60
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")


@pytest.fixture(scope="module", params=BACKENDS)
def servers(request: pytest.FixtureRequest, database_factory: Callable[[str], str | None],
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[PigeonServer]]:
    directory = tmp_path_factory.mktemp("concurrent")
    config = directory / "pigeon.yaml"
    config.write_text(f"quotas:\n  CONFIGURATION_SETS: {CONFIGURATION_SETS_QUOTA}\n"
                      f"registration_auto_approve_seconds: {AUTO_APPROVE_SECONDS}\n")
    url = database_factory(request.param) or f"sqlite:///{directory / 'shared.db'}"
    count = 3 if request.param == "postgresql" else 2
    started = [PigeonServer(url, extra_args=["--config", str(config)], data_dir=Path(directory) / f"s{i}").start()
               for i in range(count)]
    try:
        yield started
    finally:
        for server in started:
            server.stop()


def _clients(servers: list[PigeonServer], account_id: str, region: str = REGION) -> list[Any]:
    """AT_ONCE clients spread over the servers, none of which retries (a retried 500 would hide the 500)."""
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    return [boto3.client("pinpoint-sms-voice-v2", endpoint_url=servers[i % len(servers)].url, region_name=region,
                         aws_access_key_id=account_id, aws_secret_access_key="test-secret", config=config)
            for i in range(AT_ONCE)]


def _at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together; each answer, or the (Code, Reason) of its error."""
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            answers[index] = calls[index]()
        except ClientError as error:
            answers[index] = (error.response["Error"]["Code"], error.response.get("Reason"))

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _errors(answers: list[Any]) -> Counter[Any]:
    return Counter(answer for answer in answers if isinstance(answer, tuple))


def test_a_name_created_by_many_requests_at_once_is_created_once(servers) -> None:
    for _ in range(ROUNDS):
        clients = _clients(servers, new_account_id())  # a fresh account: its first writes race too
        answers = _at_once([lambda c=c: c.create_configuration_set(ConfigurationSetName="same") for c in clients])
        assert _errors(answers) == {("ConflictException", "RESOURCE_ALREADY_EXISTS"): AT_ONCE - 1}
        assert [s["ConfigurationSetName"] for s in clients[0].describe_configuration_sets()["ConfigurationSets"]] \
            == ["same"]


def test_an_account_quota_is_never_overshot_by_requests_at_once(servers) -> None:
    for _ in range(ROUNDS):
        clients = _clients(servers, new_account_id())
        for index in range(CONFIGURATION_SETS_QUOTA - 2):
            clients[0].create_configuration_set(ConfigurationSetName=f"before-{index}")
        answers = _at_once([lambda c=c, i=i: c.create_configuration_set(ConfigurationSetName=f"racing-{i}")
                            for i, c in enumerate(clients)])
        assert _errors(answers) == {("ServiceQuotaExceededException", "CONFIGURATION_SETS_PER_ACCOUNT"): AT_ONCE - 2}
        assert len(clients[0].describe_configuration_sets()["ConfigurationSets"]) == CONFIGURATION_SETS_QUOTA


def test_one_client_token_sent_by_many_requests_at_once_makes_one_resource(servers) -> None:
    for round_ in range(ROUNDS):
        clients = _clients(servers, new_account_id())
        number = clients[0].request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                                 NumberCapabilities=["SMS"], NumberType="SIMULATOR")
        params = {"OriginationIdentity": number["PhoneNumberId"], "IsoCountryCode": "US",
                  "MessageType": "TRANSACTIONAL", "ClientToken": f"token-{round_}"}
        answers = _at_once([lambda c=c, p=params: c.create_pool(**p) for c in clients])
        assert _errors(answers) == {}
        assert len({answer["PoolId"] for answer in answers}) == 1
        assert len(clients[0].describe_pools()["Pools"]) == 1


def test_a_new_account_writing_in_several_regions_at_once_is_recorded_once(servers) -> None:
    for _ in range(ROUNDS * 2):
        account_id = new_account_id()
        clients = [client for region in REGIONS
                   for client in _clients(servers, account_id, region)[: AT_ONCE // len(REGIONS)]]
        answers = _at_once([lambda c=c, i=i: c.create_opt_out_list(OptOutListName=f"list-{i}")
                            for i, c in enumerate(clients)])
        assert _errors(answers) == {}



def _stop(server: PigeonServer, handset: str, number: str) -> Any:
    """A handset's STOP to ``number``, received by ``server``: 200, or what it answered instead."""
    response = requests.post(server.url + "/_pigeon/inbound", timeout=30, json={
        "OriginationNumber": handset, "DestinationNumber": number, "MessageBody": "STOP"})
    return response.status_code if response.status_code == 200 else ("inbound", response.text)


def test_put_opted_out_number_and_a_handsets_stop_at_once_both_opt_it_out(servers) -> None:
    for round_ in range(ROUNDS * 2):
        clients = _clients(servers, new_account_id())
        number = clients[0].request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                                 NumberCapabilities=["SMS"], NumberType="SIMULATOR")["PhoneNumber"]
        handsets = [f"+1206414{round_}{index:03d}" for index in range(AT_ONCE // 2)]
        calls: list[Callable[[], Any]] = []
        for index, handset in enumerate(handsets):
            server = servers[index % len(servers)]
            calls.append(lambda s=server, h=handset, n=number: _stop(s, h, n))
            calls.append(lambda c=clients[index], h=handset: c.put_opted_out_number(OptOutListName="Default",
                                                                                    OptedOutNumber=h))
        assert _errors(_at_once(calls)) == {}
        listed = clients[0].describe_opted_out_numbers(OptOutListName="Default")["OptedOutNumbers"]
        assert sorted(entry["OptedOutNumber"] for entry in listed) == handsets


def _read_registration(client: Any, index: int, registration_id: str) -> Any:
    """One of the reads of a registration (each settles it)."""
    if index % 4 == 0:
        return client.describe_registrations(RegistrationIds=[registration_id])
    if index % 4 == 1:
        return client.describe_registration_versions(RegistrationId=registration_id)
    if index % 4 == 2:
        return client.describe_registration_field_values(RegistrationId=registration_id)
    return client.list_registration_associations(RegistrationId=registration_id)


def test_reads_that_find_a_registration_due_for_auto_approval_at_once_approve_it_once(servers) -> None:
    """Reading a registration settles it (auto-approval creates the form's sender ID): reads at once used to
    write in read transactions (SQLite: "database is locked", a 500)."""
    registration_type = "GB_SENDER_ID_REGISTRATION"
    for _ in range(ROUNDS):
        clients = _clients(servers, new_account_id())
        registration_id = clients[0].create_registration(RegistrationType=registration_type)["RegistrationId"]
        fill(clients[0], registration_id, registration_type)
        clients[0].submit_registration_version(RegistrationId=registration_id)
        for server in servers:
            server.advance_clock(AUTO_APPROVE_SECONDS + 1)
        answers = _at_once([lambda c=c, i=i, r=registration_id: _read_registration(c, i, r)
                            for i, c in enumerate(clients)])
        assert _errors(answers) == {}
        [registration] = clients[0].describe_registrations(RegistrationIds=[registration_id])["Registrations"]
        assert (registration["RegistrationStatus"], registration["ApprovedVersionNumber"]) == ("COMPLETE", 1)
        assert len(clients[0].describe_sender_ids()["SenderIds"]) == 1
