"""Several processes started together on one new database: one migrates it and creates the server secrets, the
others wait and find them (a second migration used to fail creating a table that was just created)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, make_client, new_account_id
from tests.support.server import PigeonServer

PROCESSES = 4
ROUNDS = 3


def _start_together(servers: list[PigeonServer]) -> list[BaseException]:
    """Start the servers in threads released together; the errors of those that failed to start."""
    failures: list[BaseException] = []
    barrier = threading.Barrier(len(servers))

    def start(server: PigeonServer) -> None:
        barrier.wait()
        try:
            server.start()
        except Exception as error:  # noqa: BLE001 - reported by the caller
            failures.append(error)

    threads = [threading.Thread(target=start, args=(server,)) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


@pytest.mark.parametrize("backend", BACKENDS)
def test_processes_started_together_on_a_new_database_all_serve(
        backend: str, database_factory: Callable[[str], str | None], tmp_path: Path) -> None:
    for round_ in range(ROUNDS):
        url = database_factory(backend) or f"sqlite:///{tmp_path / f'new-{round_}.db'}"
        servers = [PigeonServer(url, data_dir=tmp_path / f"{round_}-{index}") for index in range(PROCESSES)]
        failures = _start_together(servers)
        try:
            assert failures == []
            account_id = new_account_id()
            for index in range(3):
                make_client(servers[0], account_id).create_configuration_set(ConfigurationSetName=f"set-{index}")
            token = make_client(servers[0], account_id).describe_configuration_sets(MaxResults=2)["NextToken"]
            for server in servers[1:]:  # one pagination secret: every process takes the others' tokens
                page = make_client(server, account_id).describe_configuration_sets(NextToken=token)
                assert [s["ConfigurationSetName"] for s in page["ConfigurationSets"]] == ["set-2"]
        finally:
            for server in servers:
                server.stop()
