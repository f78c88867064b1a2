"""A Pigeon server configured for registrations (S3 at a real moto_server, auto-approval after 60 s), and the
moto_server itself. SQLite only: the behaviour under test is configuration, not storage."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.support.moto import MotoServer
from tests.support.server import PigeonServer

AUTO_APPROVE_SECONDS = 60


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def configured(moto: MotoServer) -> Iterator[PigeonServer]:
    config = Path(tempfile.mkdtemp(prefix="pigeon-config-")) / "pigeon.yaml"
    config.write_text(yaml.safe_dump({
        "s3_endpoint_url": moto.url, "aws_access_key_id": "testing", "aws_secret_access_key": "testing",
        "aws_region": "us-east-1", "registration_auto_approve_seconds": AUTO_APPROVE_SECONDS,
    }))
    server = PigeonServer(None, extra_args=["--config", str(config)]).start()
    yield server
    server.stop()
