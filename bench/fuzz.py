"""The model-driven fuzzer's long run (tests/reliability/fuzz.py; CI runs a seeded 3,000-request slice a
backend): N requests against a fresh ``pigeon serve``, counting answers by status and every broken promise
(5xx other than NotImplementedException, a non-AWS-shaped error, an answer slower than 10 s, a dropped
connection), then checking the server is still healthy. Prints one JSON document.

    .venv/bin/python bench/fuzz.py --requests 12000 --seed 7 [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.reliability import fuzz  # noqa: E402
from tests.support.server import PigeonServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=12000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    server = PigeonServer(args.database_url).start()
    session = requests.Session()
    statuses: Counter[int] = Counter()
    broken: Counter[str] = Counter()
    examples: dict[str, str] = {}
    slowest = 0.0
    started = time.monotonic()
    try:
        for case in fuzz.cases(args.seed, args.requests, "210987654321"):
            began = time.monotonic()
            try:
                response = session.post(server.url + "/", data=case.body, headers=case.headers, timeout=15)
            except requests.RequestException as error:
                broken[f"connection: {type(error).__name__}"] += 1
                session = requests.Session()
                continue
            took = time.monotonic() - began
            slowest = max(slowest, took)
            statuses[response.status_code] += 1
            wrong = fuzz.check(response.status_code, response.content, took)
            if wrong is not None:
                key = f"{case.operation} {case.kind}"
                broken[key] += 1
                examples.setdefault(key, wrong)
        healthy = requests.get(server.url + "/_pigeon/health", timeout=5).status_code == 200
        alive = server.process is not None and server.process.poll() is None
    finally:
        server.stop()
    print(json.dumps({"requests": args.requests, "seed": args.seed, "seconds": round(time.monotonic() - started, 1),
                      "statuses": dict(sorted(statuses.items())), "broken": dict(broken), "examples": examples,
                      "slowest_seconds": round(slowest, 3), "healthy_after": healthy, "process_alive": alive},
                     indent=2))


if __name__ == "__main__":
    main()
