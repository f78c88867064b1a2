"""Fixtures: a real Pigeon server per backend (SQLite and PostgreSQL), a fresh account per test.

Every test that uses ``server`` (or ``client``) runs once on SQLite and once on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.support.postgres import ThrowawayPostgres
from tests.support.server import PigeonServer

BACKENDS = ["sqlite", "postgresql"]
REGION = "us-east-1"


@pytest.fixture(scope="session")
def postgres() -> Iterator[ThrowawayPostgres]:
    cluster = ThrowawayPostgres().start()
    yield cluster
    cluster.stop()


_database_counter = iter(range(1, 10_000))


@pytest.fixture(scope="session")
def database_factory(request: pytest.FixtureRequest) -> Callable[[str], str | None]:
    """``factory(backend)`` -> a fresh database URL (None for SQLite: the server's data dir)."""

    def factory(backend: str) -> str | None:
        if backend == "sqlite":
            return None
        cluster: ThrowawayPostgres = request.getfixturevalue("postgres")
        return cluster.create_database(f"pigeon_{next(_database_counter)}")

    return factory


@pytest.fixture(scope="session", params=BACKENDS)
def server(request: pytest.FixtureRequest, database_factory: Callable[[str], str | None]) -> Iterator[PigeonServer]:
    instance = PigeonServer(database_factory(request.param)).start()
    instance.backend = request.param  # type: ignore[attr-defined]
    yield instance
    instance.stop()


def new_account_id() -> str:
    return "".join(random.choice("0123456789") for _ in range(12))


@pytest.fixture
def account_id() -> str:
    """A fresh 12-digit account per test: the access key id *is* the account id."""
    return new_account_id()


def make_client(server: PigeonServer, account_id: str, region: str = REGION, secret: str = "test-secret",
                validate: bool = True) -> Any:
    """A boto3 client for ``account_id``; ``validate=False`` lets bad input reach the server."""
    return boto3.client(
        "pinpoint-sms-voice-v2",
        endpoint_url=server.url,
        region_name=region,
        aws_access_key_id=account_id,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, parameter_validation=validate),
    )


@pytest.fixture
def client(server: PigeonServer, account_id: str) -> Any:
    return make_client(server, account_id)


@pytest.fixture
def unchecked_client(server: PigeonServer, account_id: str) -> Any:
    """A boto3 client that skips botocore's client-side validation, so the server's is tested."""
    return make_client(server, account_id, validate=False)


@pytest.fixture
def aws_cli(server: PigeonServer, account_id: str) -> Callable[..., Any]:
    """Run the real AWS CLI against the server: ``aws_cli("describe-pools")`` -> parsed JSON output."""

    def run(*args: str, expect_error: bool = False) -> Any:
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": account_id,
            "AWS_SECRET_ACCESS_KEY": "test-secret",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_MAX_ATTEMPTS": "1",
        }
        command = [sys.executable, "-m", "awscli", "pinpoint-sms-voice-v2", *args,
                   "--endpoint-url", server.url, "--output", "json"]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
        if expect_error:
            assert done.returncode != 0, done.stdout
            return done.stderr
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}

    return run
