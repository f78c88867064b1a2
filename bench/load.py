"""Load and soak: C concurrent clients (boto3, each its own account) run a mix of operations against one
``pigeon serve`` for a bounded time; counts answers by kind (5xx, throttling, other errors), and samples the
server's RSS, open files and threads every 10 s. The soak verdict compares the last sample with the one
taken after the first minute (warm-up): RSS growth < 10 %, no growth of open files or threads.

    .venv/bin/python bench/load.py --clients 50 --seconds 60          # load
    .venv/bin/python bench/load.py --clients 20 --seconds 600         # soak
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import make_client, new_account_id  # noqa: E402
from tests.support.server import PigeonServer  # noqa: E402

US_SUCCESS = "+14254147755"


def sample(pid: int) -> dict[str, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {"rss_kb": int(fields["VmRSS"].split()[0]), "threads": int(fields["Threads"]),
            "open_files": len(list(Path(f"/proc/{pid}/fd").iterdir()))}


def client_loop(server: PigeonServer, stop: threading.Event, tally: Counter[str], lock: threading.Lock) -> None:
    client = make_client(server, new_account_id())
    number = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                         NumberCapabilities=["SMS", "VOICE"], NumberType="SIMULATOR")["PhoneNumberId"]
    rng = random.Random()
    operations = [
        lambda n: client.send_text_message(DestinationPhoneNumber=US_SUCCESS, MessageBody=f"load {n}",
                                           OriginationIdentity=number),
        lambda n: client.create_configuration_set(ConfigurationSetName=f"set-{n}"),
        lambda n: client.describe_configuration_sets(),
        lambda n: client.delete_configuration_set(ConfigurationSetName=f"set-{n - 1}"),
        lambda n: client.put_opted_out_number(OptOutListName="Default", OptedOutNumber=f"+1206555{n % 10000:04d}"),
        lambda n: client.describe_opted_out_numbers(OptOutListName="Default"),
        lambda n: client.describe_phone_numbers(PhoneNumberIds=[number]),
        lambda n: client.describe_account_limits(),
        lambda n: client.describe_pools(PoolIds=["pool-doesnotexist"]),
    ]
    n = 0
    while not stop.is_set():
        n += 1
        try:
            rng.choice(operations)(n)
            kind = "ok"
        except ClientError as error:
            status = error.response["ResponseMetadata"]["HTTPStatusCode"]
            kind = "5xx" if status >= 500 else f"4xx {error.response['Error']['Code']}"
        except Exception as error:  # noqa: BLE001 - a dropped connection, a timeout: counted, never hidden
            kind = f"transport {type(error).__name__}"
        with lock:
            tally[kind] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    data = Path(__import__("tempfile").mkdtemp(prefix="pigeon-load-"))
    (data / "load.yaml").write_text(yaml.safe_dump({"mps": {"SIMULATOR": 1_000_000},
                                                    "quotas": {"CONFIGURATION_SETS": 1_000_000}}))
    server = PigeonServer(args.database_url, ["--config", str(data / "load.yaml")], data_dir=data / "data").start()
    assert server.process is not None
    pid = server.process.pid
    stop, lock, tally = threading.Event(), threading.Lock(), Counter[str]()
    threads = [threading.Thread(target=client_loop, args=(server, stop, tally, lock), daemon=True)
               for _ in range(args.clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    samples: list[dict[str, Any]] = []
    while time.monotonic() - started < args.seconds:
        time.sleep(10)
        samples.append({"t": round(time.monotonic() - started), **sample(pid)})
    stop.set()
    for thread in threads:
        thread.join(30)
    alive = server.process.poll() is None
    server.stop()
    warm = next((s for s in samples if s["t"] >= 60), samples[0])
    last = samples[-1]
    print(json.dumps({
        "clients": args.clients, "seconds": args.seconds, "backend": "postgresql" if args.database_url else "sqlite",
        "requests": sum(tally.values()), "per_second": round(sum(tally.values()) / args.seconds, 1),
        "answers": dict(tally.most_common()), "server_alive": alive, "hung_clients": sum(t.is_alive() for t in threads),
        "rss_growth_percent": round(100 * (last["rss_kb"] - warm["rss_kb"]) / warm["rss_kb"], 1),
        "open_files": [warm["open_files"], last["open_files"]], "threads": [warm["threads"], last["threads"]],
        "samples": samples}, indent=1))


if __name__ == "__main__":
    main()
