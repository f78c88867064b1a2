"""The project's static checks run with the tests, so CI enforces them: ruff over the code, the tests and the
benchmarks; mypy over the package and the benchmark programs (the tests are checked by ruff only)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*command: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_ruff_finds_nothing() -> None:
    result = _run(str(BIN / "ruff"), "check", "--no-cache", "pigeon", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing(tmp_path: Path) -> None:
    result = _run(str(BIN / "mypy"), "--cache-dir", str(tmp_path / "mypy"), "pigeon",
                  "bench/durable_floor.py", "bench/dispatch_floor.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """Both tools report a planted error (so a green run above means the code is clean, not that the tools
    did not look)."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\n\ndef f() -> int:\n    return 'text'\n")
    assert _run(str(BIN / "ruff"), "check", "--no-cache", str(bad)).returncode != 0
    assert _run(str(BIN / "mypy"), "--cache-dir", str(tmp_path / "mypy"), str(bad)).returncode != 0
