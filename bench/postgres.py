"""A throwaway PostgreSQL cluster for benchmarks, with PostgreSQL's default durability (fsync on):
prints a database URL, then runs until the process is terminated."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.postgres import ThrowawayPostgres  # noqa: E402


def main() -> None:
    cluster = ThrowawayPostgres(durable=True).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        print(cluster.create_database("pigeon_bench"), flush=True)
        signal.pause()
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
