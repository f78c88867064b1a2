"""Operators' settings (number_inventory, quotas) against a server started with a settings file."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from botocore.exceptions import ClientError

from pigeon.runtime import Runtime
from pigeon.scope import Scope
from pigeon.service import inventory
from pigeon.service.context import Context
from pigeon.settings import Settings
from pigeon.store.resources import Record
from tests.conftest import make_client, new_account_id
from tests.support.errors import error_of
from tests.support.server import PigeonServer

INVENTORY = {
    "GB": {"LONG_CODE": [{"connection": "uk-smsc", "numbers": ["+447700900001"],
                          "ranges": [["+447700900010", "+447700900011"]], "capabilities": ["SMS"]}]},
    "SE": {"LONG_CODE": [{"connection": "nordic", "numbers": ["+46700000001"]}]},
}

QUOTAS = {"PHONE_NUMBERS": 2, "POOLS": 1, "SENDER_IDS": 2, "ORIGINATION_IDENTITIES_PER_POOL": 2}


@pytest.fixture(scope="module")
def operator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PigeonServer]:
    directory = tmp_path_factory.mktemp("operator")
    config = Path(directory) / "pigeon.yaml"
    config.write_text(yaml.safe_dump({"number_inventory": INVENTORY, "quotas": QUOTAS}))
    server = PigeonServer(extra_args=["--config", str(config)], data_dir=Path(directory) / "data").start()
    yield server
    server.stop()


def request(client, iso="GB", **overrides):
    params = {"IsoCountryCode": iso, "MessageType": "TRANSACTIONAL", "NumberCapabilities": ["SMS"],
              "NumberType": "LONG_CODE", **overrides}
    return client.request_phone_number(**params)


def test_numbers_come_from_the_configured_blocks_once_each(operator_server):
    clients = [make_client(operator_server, new_account_id()), make_client(operator_server, new_account_id()),
               make_client(operator_server, new_account_id(), region="eu-west-2")]
    handed = [request(c)["PhoneNumber"] for c in clients]
    assert handed == ["+447700900001", "+447700900010", "+447700900011"]
    with pytest.raises(ClientError) as excinfo:
        request(clients[0])
    assert (error_of(excinfo)["Code"], error_of(excinfo)["Fields"][0]["Name"]) == ("ValidationException", "NumberType")
    released = clients[1].describe_phone_numbers()["PhoneNumbers"][0]
    clients[1].release_phone_number(PhoneNumberId=released["PhoneNumberId"])
    assert request(clients[0])["PhoneNumber"] == "+447700900010"


def test_configured_capabilities_are_enforced(operator_server):
    client = make_client(operator_server, new_account_id())
    with pytest.raises(ClientError) as excinfo:
        request(client, iso="SE", NumberCapabilities=["SMS", "MMS"])
    assert error_of(excinfo)["Fields"][0]["Name"] == "NumberCapabilities"
    assert request(client, iso="SE", NumberCapabilities=["VOICE"])["PhoneNumber"] == "+46700000001"


def test_ranges_expand_in_order_with_their_width():
    block = {"numbers": ["+15550001"], "ranges": [["+4407700900098", "+4407700900100"]]}
    assert list(inventory._listed(block)) == ["+15550001", "+4407700900098", "+4407700900099", "+4407700900100"]


def quota_error(call, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    found = error_of(excinfo)
    assert found["Code"] == "ServiceQuotaExceededException"
    return found["Reason"]


def test_quotas_on_numbers_pools_sender_ids_and_pool_members(operator_server):
    client = make_client(operator_server, new_account_id())
    first = request(client, iso="US", NumberType="TOLL_FREE")
    request(client, iso="US", NumberType="TOLL_FREE")
    assert quota_error(request, client=client, iso="US", NumberType="TOLL_FREE") == "PHONE_NUMBERS_PER_ACCOUNT"
    pool = client.create_pool(OriginationIdentity=first["PhoneNumberId"], IsoCountryCode="US",
                              MessageType="TRANSACTIONAL")
    for name in ("ONE", "TWO"):
        client.request_sender_id(SenderId=name, IsoCountryCode="GB")
    assert quota_error(client.request_sender_id, SenderId="THREE", IsoCountryCode="GB") == "SENDER_IDS_PER_ACCOUNT"
    assert quota_error(client.create_pool, OriginationIdentity="ONE", IsoCountryCode="GB",
                       MessageType="TRANSACTIONAL") == "POOLS_PER_ACCOUNT"
    client.associate_origination_identity(PoolId=pool["PoolId"], OriginationIdentity="ONE", IsoCountryCode="GB")
    assert quota_error(client.associate_origination_identity, PoolId=pool["PoolId"], OriginationIdentity="TWO",
                       IsoCountryCode="GB") == "ORIGINATION_IDENTITIES_PER_POOL"
    limits = {limit["Name"]: limit for limit in client.describe_account_limits()["AccountLimits"]}
    assert (limits["PHONE_NUMBERS"]["Used"], limits["PHONE_NUMBERS"]["Max"]) == (2, 2)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_transactions_racing_for_one_number_hand_it_out_once(backend, database_factory, tmp_path):
    """The second claimant waits for the first, then loses the number and its transaction stays usable."""
    runtime = Runtime(Settings(data_dir=tmp_path, database_url=database_factory(backend)))
    runtime.start()
    try:
        first = Context(Scope("111111111111", "us-east-1"), runtime, "Test", "r1", runtime.clock.now(), True)
        second = Context(Scope("222222222222", "us-east-1"), runtime, "Test", "r2", runtime.clock.now(), True)
        holder = Record("phone-number", "phone-1", "", "", 0.0, {})
        assert inventory._claim(first, "+447700900555", holder) is True
        outcome: dict[str, bool] = {}

        def contend() -> None:
            outcome["same"] = inventory._claim(second, "+447700900555", holder)
            outcome["other"] = inventory._claim(second, "+447700900556", holder)
            second.finish()

        racer = threading.Thread(target=contend)
        racer.start()
        time.sleep(0.5)
        first.finish()
        racer.join(timeout=30)
        assert outcome == {"same": False, "other": True}
    finally:
        runtime.close()
