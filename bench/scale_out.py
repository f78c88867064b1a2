"""Scale-out, side by side in one run: durable SendTextMessage accepted per second on

- SQLite, one ``pigeon serve`` (its dispatcher inside);
- PostgreSQL, one ``pigeon serve`` (its dispatcher inside);
- PostgreSQL, one API process (``dispatcher: false``) + one ``pigeon worker``;
- PostgreSQL, two API processes + one ``pigeon worker`` (wrk's connections split over both ports).

PostgreSQL is a throwaway cluster with its default durability (fsync on, bench/postgres.py), a fresh database
per configuration; the simulator is the carrier (MPS lifted). Each configuration runs ``--rounds`` times,
alternating, for ``--seconds`` each, on processes started for that run (so ``cpu_affinity: auto`` pins each
configuration's processes alike); after each run the script waits until every accepted message has its final
event (so delivery kept up). Reports each Pigeon process's CPU (% of one core; API processes first) and the
PostgreSQL cluster's (all its processes; idle during the SQLite run), the machine's load average before and after, one JSON line per run and a
summary (median per configuration).

    .venv/bin/python bench/scale_out.py --seconds 8 --rounds 2 --connections 32

Needs wrk (apt-get install wrk) and PostgreSQL's server binaries (scripts/setup.sh --test).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pigeon.store.engine import create_engine  # noqa: E402
from tests.support.postgres import ThrowawayPostgres, free_port  # noqa: E402

CONFIGURATIONS = {"sqlite-serve": ("sqlite", 1, 0), "postgresql-serve": ("postgresql", 1, 0),
                  "postgresql-1api-1worker": ("postgresql", 1, 1), "postgresql-2api-1worker": ("postgresql", 2, 1)}
"""name -> (backend, API processes, workers); no worker means the API process dispatches itself."""
_databases = iter(range(1, 10_000))


class Deployment:
    """The processes of one configuration, on a fresh database."""

    def __init__(self, backend: str, apis: int, workers: int, postgres: ThrowawayPostgres, index: int) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="pigeon-scale-"))
        self.url = (postgres.create_database(f"scale_{index}") if backend == "postgresql"
                    else f"sqlite:///{self.directory / 'pigeon.db'}")
        config = self.directory / "bench.yaml"
        config.write_text(f"mps:\n  SIMULATOR: 1000000\ndispatcher: {'false' if workers else 'true'}\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIGEON_")} | {"PIGEON_CONFIG": str(config)}
        common = ["--data-dir", str(self.directory), "--database-url", self.url, "--log-level", "warning"]
        log = open(self.directory / "processes.log", "ab")
        self.ports = [free_port() for _ in range(apis)]
        self.processes: list[subprocess.Popen[bytes]] = []
        for port in self.ports:
            self.processes.append(subprocess.Popen([sys.executable, "-m", "pigeon", "serve", "--port", str(port),
                                                    *common], stdout=log, stderr=subprocess.STDOUT, env=env))
            _wait_healthy(port)
        self.api_pids = [p.pid for p in self.processes]
        for _ in range(workers):
            self.processes.append(subprocess.Popen([sys.executable, "-m", "pigeon", "worker", *common], stdout=log,
                                                   stderr=subprocess.STDOUT, env=env))
        if workers:
            time.sleep(2)  # the workers' start-up (imports, connections) is not part of what is measured
        client = boto3.client("pinpoint-sms-voice-v2", endpoint_url=f"http://127.0.0.1:{self.ports[0]}",
                              region_name="us-east-1", aws_access_key_id="123456789012", aws_secret_access_key="x")
        self.origination = client.request_phone_number(IsoCountryCode="US", MessageType="TRANSACTIONAL",
                                                       NumberCapabilities=["SMS"],
                                                       NumberType="SIMULATOR")["PhoneNumberId"]
        self.engine = create_engine(self.url)

    def counts(self) -> tuple[int, int]:
        with self.engine.connect() as db:
            accepted = db.exec_driver_sql("select count(*) from messages").scalar_one()
            finals = db.exec_driver_sql("select count(*) from events where is_final").scalar_one()
        return int(accepted), int(finals)

    def stop(self) -> None:
        self.engine.dispose()
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_healthy(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/_pigeon/health", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"pigeon on {port} did not become healthy")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_pids(postgres: ThrowawayPostgres) -> list[int]:
    """The cluster's postmaster and its children (the backends serving Pigeon, the WAL writer, ...)."""
    postmaster = int((postgres.root / "data" / "postmaster.pid").read_text().split()[0])
    children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
    return [postmaster, *map(int, children)]


def _postgres_cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += _cpu_seconds(pid)
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def _run(deployment: Deployment, seconds: int, connections: int, postgres: ThrowawayPostgres) -> dict[str, Any]:
    env = os.environ | {"PIGEON_OPERATION": "SendTextMessage", "PIGEON_ORIGINATION": deployment.origination}
    per_port = max(1, connections // len(deployment.ports))
    before_accepted, _ = deployment.counts()
    cpu_before = [_cpu_seconds(p.pid) for p in deployment.processes]
    postgres_pids = _postgres_pids(postgres)
    postgres_before = _postgres_cpu(postgres_pids)
    started = time.monotonic()
    wrks = [subprocess.Popen(["wrk", "-t1", f"-c{per_port}", f"-d{seconds}s", "-s", str(ROOT / "bench/request.lua"),
                              f"http://127.0.0.1:{port}/"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True, env=env) for port in deployment.ports]
    outputs = [w.communicate()[0] for w in wrks]
    cpu = [round(100 * (_cpu_seconds(p.pid) - c) / seconds)
           for p, c in zip(deployment.processes, cpu_before, strict=True)]
    allowed = [_allowed_cpus(p.pid) for p in deployment.processes]
    postgres_cpu = round(100 * (_postgres_cpu(postgres_pids) - postgres_before) / seconds)
    rates = [float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)) for out in outputs]  # type: ignore[union-attr]
    non_2xx = sum(int(m.group(1)) for out in outputs for m in re.finditer(r"Non-2xx or 3xx responses: (\d+)", out))
    accepted, finals = deployment.counts()
    # != rather than <: a request still in flight when wrk stopped may commit between the two counts
    while finals != accepted and time.monotonic() - started < seconds + 60:
        time.sleep(0.2)
        accepted, finals = deployment.counts()
    return {"sends_per_second": round(sum(rates)), "per_port": [round(r) for r in rates],
            "accepted": accepted - before_accepted, "all_final_after_s": round(time.monotonic() - started - seconds, 2),
            "all_final": finals == accepted, "non_2xx": non_2xx, "cpu_percent": cpu, "postgres_cpu_percent": postgres_cpu,
            "cpus_allowed": allowed}


def _allowed_cpus(pid: int) -> str:
    found = re.search(r"Cpus_allowed_list:\s+(\S+)", Path(f"/proc/{pid}/status").read_text())
    return found.group(1) if found else "?"


def _load() -> str:
    """The 1, 5 and 15-minute load averages (the machine is shared)."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32, help="wrk connections in all (split over ports)")
    parser.add_argument("--only", nargs="*", choices=list(CONFIGURATIONS), default=list(CONFIGURATIONS))
    args = parser.parse_args()
    postgres = ThrowawayPostgres(durable=True).start()
    results: dict[str, list[int]] = {name: [] for name in args.only}
    print(json.dumps({"date": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()), "cores": os.cpu_count(),
                      "load_before": _load(), "seconds": args.seconds, "connections": args.connections}), flush=True)
    try:
        for round_ in range(args.rounds):
            for name in args.only:
                deployment = Deployment(*CONFIGURATIONS[name], postgres, next(_databases))
                try:
                    outcome = _run(deployment, args.seconds, args.connections, postgres)
                finally:
                    deployment.stop()
                results[name].append(outcome["sends_per_second"])
                print(json.dumps({"round": round_ + 1, "configuration": name, **outcome}), flush=True)
    finally:
        postgres.stop()
    print(json.dumps({"load_after": _load(),
                      "median_sends_per_second": {n: round(statistics.median(r)) for n, r in results.items() if r}}))


if __name__ == "__main__":
    main()
