"""A real moto_server process: the AWS peer (S3, SNS, SQS, Firehose, CloudWatch Logs) for tests."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import requests

from tests.support.postgres import free_port


class MotoServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.log = Path(tempfile.mkstemp(prefix="moto-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        self.process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                        stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/moto-api/", timeout=1)
                return self
            except requests.ConnectionError:
                time.sleep(0.1)
        raise TimeoutError(f"moto_server did not start: {self.log.read_text()[-2000:]}")

    def client(self, service: str, region: str = "us-east-1"):
        return boto3.client(service, endpoint_url=self.url, region_name=region,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
