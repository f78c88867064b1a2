"""The SQLite write queue across processes, the change counter file, and time-ordered message ids."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from pathlib import Path

from pigeon.common import ids
from pigeon.store.changes import FileCounter
from pigeon.store.write_lock import WriteLock


def _hold(path: str, seconds: float, ready: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    with WriteLock(Path(path)):
        ready.set()
        time.sleep(seconds)


def test_a_writer_in_another_process_waits_for_the_lock_and_gets_it_when_released(tmp_path: Path) -> None:
    path = tmp_path / "db.write-lock"
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    holder = context.Process(target=_hold, args=(str(path), 0.5, ready))
    holder.start()
    assert ready.wait(20)
    started = time.monotonic()
    with WriteLock(path):
        waited = time.monotonic() - started
    holder.join(10)
    assert 0.2 < waited < 5


def test_the_lock_is_reentrant_within_a_thread(tmp_path: Path) -> None:
    lock = WriteLock(tmp_path / "db.write-lock")
    with lock:
        with lock:
            pass
    with lock:  # fully released: taking it again does not block
        pass


def test_the_change_counter_is_shared_through_its_file(tmp_path: Path) -> None:
    one, other = FileCounter(tmp_path / "db.changes"), FileCounter(tmp_path / "db.changes")
    before = other.current()
    one.bump()
    one.bump()
    assert other.current() == before + 2


def test_message_ids_are_version_7_uuids_ordered_by_time() -> None:
    earlier = ids.new_time_ordered_uuid()
    time.sleep(0.002)
    later = ids.new_time_ordered_uuid()
    parsed = uuid.UUID(earlier)
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert str(parsed) == earlier
    assert earlier < later
    assert abs(int(earlier.replace("-", "")[:12], 16) - time.time() * 1000) < 5000
    assert len({ids.new_time_ordered_uuid() for _ in range(10_000)}) == 10_000
