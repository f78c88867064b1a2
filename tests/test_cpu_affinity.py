"""``cpu_affinity``: a Pigeon process keeps all its threads on one CPU, claimed so that two processes of one
machine take different CPUs (pigeon/cpu_affinity.py). Observed from outside, in /proc, on real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.server import PigeonServer

ALLOWED = sorted(os.sched_getaffinity(0))


def thread_cpus(pid: int) -> dict[int, set[int]]:
    """Each thread of ``pid`` -> the CPUs it may run on."""
    cpus = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            cpus[int(task)] = os.sched_getaffinity(int(task))
        except ProcessLookupError:
            pass
    return cpus


def claimant(tmp: Path, setting: str = "auto") -> tuple[subprocess.Popen[str], str]:
    """A process that applies ``setting`` and holds its claim until its stdin closes; returns it and its answer."""
    code = ("import sys; from pigeon import cpu_affinity; "
            f"print(cpu_affinity.apply({setting!r}), flush=True); sys.stdin.read()")
    process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(tmp)})
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def test_serve_keeps_every_thread_on_one_cpu(tmp_path):
    server = PigeonServer(env={"TMPDIR": str(tmp_path)}).start()
    try:
        threads = thread_cpus(server.process.pid)  # type: ignore[union-attr]
        assert len(threads) >= 3  # the event loop, the group commit, the dispatcher, ...
        if len(ALLOWED) >= 2:
            (cpu,) = next(iter(threads.values()))
            assert all(cpus == {cpu} for cpus in threads.values()), threads
            assert (tmp_path / f"pigeon-cpus-{os.getuid()}" / f"cpu-{cpu}.lock").exists()
        else:  # one CPU: nothing to choose
            assert all(cpus == set(ALLOWED) for cpus in threads.values())
    finally:
        server.stop()


def test_none_leaves_the_threads_to_the_scheduler(tmp_path):
    server = PigeonServer(env={"TMPDIR": str(tmp_path), "PIGEON_CPU_AFFINITY": "none"}).start()
    try:
        threads = thread_cpus(server.process.pid)  # type: ignore[union-attr]
        assert len(threads) >= 3
        assert all(cpus == set(ALLOWED) for cpus in threads.values()), threads
    finally:
        server.stop()


def test_a_worker_pins_itself_too(tmp_path):
    data = tmp_path / "data"
    worker = subprocess.Popen([sys.executable, "-m", "pigeon", "worker", "--data-dir", str(data)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "TMPDIR": str(tmp_path), "PIGEON_CPU_AFFINITY": str(ALLOWED[-1])})
    try:
        deadline = time.monotonic() + 20
        while len(thread_cpus(worker.pid)) < 3 and time.monotonic() < deadline:  # its delivery and checkpoint threads
            assert worker.poll() is None
            time.sleep(0.1)
        threads = thread_cpus(worker.pid)
        assert len(threads) >= 3
        assert all(cpus == {ALLOWED[-1]} for cpus in threads.values()), threads
    finally:
        worker.terminate()
        worker.wait(10)


def test_processes_claim_different_cpus_until_none_is_free(tmp_path):
    held = [claimant(tmp_path) for _ in ALLOWED]
    try:
        cpus = [answer for _, answer in held]
        if len(ALLOWED) >= 2:
            assert sorted(int(cpu) for cpu in cpus) == ALLOWED
        else:
            assert cpus == ["None"]
        extra, answer = claimant(tmp_path)  # every CPU is held: this one stays unpinned
        assert answer == "None"
        extra.communicate()
        if len(ALLOWED) >= 2:  # a process killed outright gives its CPU back
            first, first_cpu = held[0]
            first.kill()
            first.wait()
            again, answer = claimant(tmp_path)
            assert answer == first_cpu
            again.communicate()
    finally:
        for process, _ in held:
            if process.poll() is None:
                process.communicate()


def test_an_unusable_claim_directory_leaves_the_server_unpinned(tmp_path):
    (tmp_path / f"pigeon-cpus-{os.getuid()}").write_text("")  # a file where the directory should be
    server = PigeonServer(env={"TMPDIR": str(tmp_path)}).start()  # it starts anyway
    try:
        threads = thread_cpus(server.process.pid)  # type: ignore[union-attr]
        assert all(cpus == set(ALLOWED) for cpus in threads.values()), threads
        if len(ALLOWED) >= 2:
            assert "not pinning" in server.log_path.read_text()
    finally:
        server.stop()


def test_a_symlinked_claim_directory_is_not_used(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / f"pigeon-cpus-{os.getuid()}").symlink_to(elsewhere)  # as another user could plant in /tmp
    _, answer = claimant(tmp_path)
    assert answer == "None"
    assert list(elsewhere.iterdir()) == []


def test_a_child_process_gets_the_cpus_back(tmp_path):
    """Children inherit the pin; work of their own (espeak-ng) is given every CPU again."""
    code = ("import os, subprocess; from pigeon import cpu_affinity; cpu_affinity.apply('auto'); "
            "child = subprocess.Popen(['sleep', '5']); inherited = sorted(os.sched_getaffinity(child.pid)); "
            "cpu_affinity.unpin(child.pid); print(inherited, sorted(os.sched_getaffinity(child.pid))); child.kill()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "TMPDIR": str(tmp_path)}, check=True)
    inherited, given = done.stdout.strip().split("] [")
    assert given.strip("[]") == ", ".join(map(str, ALLOWED))
    if len(ALLOWED) >= 2:
        assert len(inherited.strip("[]").split(", ")) == 1  # pinned before unpin


@pytest.mark.parametrize("setting, message", [
    ("banana", "cpu_affinity must be auto, none or a CPU number, not 'banana'"),
    ("9999", "cpu_affinity 9999: this process may run on CPUs"),
    ("-1", "cpu_affinity must be auto, none or a CPU number, not '-1'"),
])
def test_a_bad_setting_stops_the_server_with_one_line(tmp_path, setting, message):
    done = subprocess.run([sys.executable, "-m", "pigeon", "serve", "--data-dir", str(tmp_path), "--port", "0"],
                          capture_output=True, text=True, timeout=30,
                          env={**os.environ, "TMPDIR": str(tmp_path), "PIGEON_CPU_AFFINITY": setting})
    assert done.returncode == 1
    assert done.stderr.startswith("pigeon: ") and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_setting_file_value_names_the_setting(tmp_path):
    config = tmp_path / "pigeon.yaml"
    config.write_text("port: eighty\n")
    done = subprocess.run([sys.executable, "-m", "pigeon", "serve", "--config", str(config)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert done.stderr.strip() == "pigeon: setting port: invalid literal for int() with base 10: 'eighty'"
