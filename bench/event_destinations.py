"""Event records to an event destination: a burst of SendTextMessage (16 client threads, boto3) to a
configuration set with a CloudWatch Logs destination on a real moto_server, then the time until every record
(two a message) is DONE in ``GET /_pigeon/deliveries``.

Usage: .venv/bin/python bench/event_destinations.py [messages, default 1000]
"""

from __future__ import annotations

import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from tests.conftest import make_client  # noqa: E402
from tests.support.moto import MotoServer  # noqa: E402
from tests.support.server import PigeonServer  # noqa: E402


def main(count: int) -> None:
    moto = MotoServer().start()
    config = Path(tempfile.mkdtemp()) / "pigeon.yaml"
    config.write_text("mps:\n  SIMULATOR: 1000000\n")
    server = PigeonServer(None, ["--config", str(config)], env={
        "PIGEON_AWS_ENDPOINT_URL": moto.url, "PIGEON_AWS_ACCESS_KEY_ID": "testing",
        "PIGEON_AWS_SECRET_ACCESS_KEY": "testing"}).start()
    try:
        logs = moto.client("logs")
        logs.create_log_group(logGroupName="events")
        client = make_client(server, "123456789012")
        client.create_configuration_set(ConfigurationSetName="bench")
        client.create_event_destination(
            ConfigurationSetName="bench", EventDestinationName="logs", MatchingEventTypes=["ALL"],
            CloudWatchLogsDestination={"IamRoleArn": "arn:aws:iam::123456789012:role/bench",
                                       "LogGroupArn": logs.describe_log_groups()["logGroups"][0]["arn"]})
        origin = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                             NumberCapabilities=["SMS"], NumberType="SIMULATOR")["PhoneNumberId"]
        started = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda _: client.send_text_message(
                DestinationPhoneNumber="+14254147755", MessageBody="x", OriginationIdentity=origin,
                ConfigurationSetName="bench"), range(count)))
        sent = time.monotonic() - started
        while len(requests.get(server.url + "/_pigeon/deliveries", params={"status": "DONE", "limit": "100000"},
                               timeout=30).json()["Deliveries"]) < 2 * count:
            time.sleep(0.2)
        delivered = time.monotonic() - started
        print(f"{count} sends in {sent:.2f} s ({count / sent:.0f}/s); all {2 * count} records at the destination "
              f"after {delivered:.2f} s ({delivered - sent:.2f} s after the last send)")
    finally:
        server.stop()
        moto.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
