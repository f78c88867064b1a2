"""Outbound calls to AWS services (SNS, Firehose, CloudWatch Logs, S3) through boto3.

One ``AwsTarget`` says where and as whom (real AWS, LocalStack or moto); ``AwsClients`` makes each client
once per (service, region) and shares it between threads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config


@dataclass(frozen=True)
class AwsTarget:
    """Where and as whom Pigeon calls AWS services (None: boto3's own defaults and credential chain)."""

    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    default_region: str = "us-east-1"


class AwsClients:
    def __init__(self, target: AwsTarget) -> None:
        self.target = target
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.target.default_region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = boto3.client(
                    service,
                    region_name=key[1],
                    endpoint_url=self.target.endpoint_url,
                    aws_access_key_id=self.target.access_key_id,
                    aws_secret_access_key=self.target.secret_access_key,
                    config=Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=10),
                )
            return self._clients[key]
