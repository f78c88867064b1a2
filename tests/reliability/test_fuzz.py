"""The seeded CI slice of the model-driven fuzzer (tests/reliability/fuzz.py): every operation of the model,
made wrong in every way its shapes allow, plus wire abuses, against a real server on both backends: no 5xx
(but NotImplementedException), every error AWS-shaped, nothing slower than 10 s, the server still healthy."""

from __future__ import annotations

import time
from collections import Counter

import pytest
import requests

from tests.conftest import new_account_id
from tests.reliability import fuzz
from tests.support.server import PigeonServer

PER_SEED = 1500


@pytest.mark.parametrize("seed", [1, 2])
def test_fuzzed_requests_get_aws_shaped_answers(server: PigeonServer, seed: int) -> None:
    session = requests.Session()
    problems: Counter[str] = Counter()
    examples: dict[str, str] = {}
    statuses: Counter[int] = Counter()
    for case in fuzz.cases(seed, PER_SEED, new_account_id()):
        started = time.monotonic()
        try:
            response = session.post(server.url + "/", data=case.body, headers=case.headers, timeout=15)
        except requests.RequestException as error:
            problems[f"{case.operation} {case.kind}: {type(error).__name__}"] += 1
            session = requests.Session()
            continue
        statuses[response.status_code] += 1
        wrong = fuzz.check(response.status_code, response.content, time.monotonic() - started)
        if wrong is not None:
            key = f"{case.operation} {case.kind}"
            problems[key] += 1
            examples.setdefault(key, wrong)
    assert requests.get(server.url + "/_pigeon/health", timeout=5).status_code == 200
    assert not problems, "\n".join(f"{key} ({count}x): {examples.get(key, '')}" for key, count in problems.items())
    assert statuses[400] > PER_SEED // 2  # the fuzzer mostly sends what must be refused
