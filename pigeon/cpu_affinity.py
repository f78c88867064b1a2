"""Keep a Pigeon process on one CPU.

A Pigeon process runs Python on one core at a time (CPython's interpreter lock), but in several threads: the
event loop, the group commit, the dispatcher. Every hand-over of the lock between threads on different CPUs
is a cross-CPU wake-up, which is expensive (in virtual machines especially); on one CPU it is a plain
context switch. Measured on the 2-core development VM: durable SendTextMessage +48 % (bench/README.md).

``cpu_affinity`` (settings): ``auto`` claims a CPU no other Pigeon process of this user holds (a lock file per
CPU, released when the process ends) and stays unpinned when every allowed CPU is taken or only one is
allowed; ``none`` never pins; a CPU number pins to that CPU.
"""

from __future__ import annotations

import fcntl
import logging
import os
import stat
import tempfile
from pathlib import Path

log = logging.getLogger("pigeon.cpu")

_claims: list[int] = []
"""Open lock files of the CPUs this process holds (closed, so released, when the process ends)."""
_unpinned: set[int] | None = None
"""The CPUs this process could use before it pinned itself (None: not pinned)."""


def validate(setting: str) -> None:
    """Raise ValueError unless ``setting`` is ``auto``, ``none`` or a CPU number."""
    if not isinstance(setting, str) or (setting not in ("auto", "none") and not setting.isdigit()):
        raise ValueError(f"cpu_affinity must be auto, none or a CPU number, not {setting!r}")


def claim_dir() -> Path:
    """Machine-wide directory of the CPU claims of this user's Pigeon processes."""
    return Path(tempfile.gettempdir()) / f"pigeon-cpus-{os.getuid()}"


def apply(setting: str) -> int | None:
    """Pin every thread of this process (and those it starts later) to one CPU per ``setting``; returns the
    CPU, or None when the process stays unpinned (``none``, one allowed CPU, all taken, not Linux)."""
    validate(setting)
    if setting == "none" or not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    cpu = _chosen(setting, allowed)
    if cpu is None:
        return None
    global _unpinned
    _unpinned = set(allowed)
    _pin_all_threads(cpu)
    log.info("pinned to CPU %s", cpu)
    return cpu


def _chosen(setting: str, allowed: list[int]) -> int | None:
    """The CPU named by ``setting`` (it must be allowed), or for ``auto`` a free one (None: stay unpinned)."""
    if setting.isdigit():
        if int(setting) not in allowed:
            raise ValueError(f"cpu_affinity {setting}: this process may run on CPUs {allowed} only")
        return int(setting)
    if len(allowed) < 2:
        return None
    cpu = _claim_free(allowed, claim_dir())
    if cpu is None:
        log.info("every CPU is held by another Pigeon process: not pinning")
    return cpu


def _claim_free(allowed: list[int], claims: Path) -> int | None:
    """The first allowed CPU whose lock file this process could lock; None when all are held or the claim
    directory is unusable (not a directory of this user's: another user's could point anywhere)."""
    try:
        claims.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = claims.lstat()
    except OSError as error:
        log.warning("cannot claim a CPU in %s (%s): not pinning", claims, error)
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        log.warning("%s is not a directory of this user: not pinning", claims)
        return None
    for cpu in allowed:
        try:
            descriptor = os.open(claims / f"cpu-{cpu}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError:
            continue
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(descriptor)
            continue
        _claims.append(descriptor)  # held open for the process's life
        return cpu
    return None


def _pin_all_threads(cpu: int) -> None:
    """Affinity is per thread on Linux: set it on every thread there is; threads started later inherit it."""
    for task in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(task), {cpu})
        except ProcessLookupError:  # a thread that ended meanwhile
            pass


def unpin(pid: int) -> None:
    """Give a child process (which inherits the pin) every CPU this process could use before pinning: work
    such as speech synthesis should not take the requests' CPU."""
    if _unpinned is None:
        return
    try:
        os.sched_setaffinity(pid, _unpinned)
    except ProcessLookupError:  # it has ended already
        pass
