"""Does a recording hold a given prompt? Normalized cross-correlation at the best lag, in pure Python.

Both files are read through sox as 8 kHz mono s16 (whatever their rate and encoding). The lag is found on
a 500 Hz envelope first (coarse), then refined sample by sample, so a 5 s prompt takes well under a second.
"""

from __future__ import annotations

import math
import subprocess
from array import array
from pathlib import Path


def samples(path: Path) -> array[int]:
    raw = subprocess.run(["sox", str(path), "-t", "raw", "-r", "8000", "-c", "1", "-e", "signed", "-b", "16", "-"],
                         check=True, capture_output=True).stdout
    return array("h", raw)


def _ncc(reference: array[int], recording: array[int], lag: int, step: int = 1) -> float:
    """Correlation of ``reference`` with ``recording`` shifted by ``lag`` samples, over their overlap."""
    start = max(0, -lag)
    end = min(len(reference), len(recording) - lag)
    if end - start < 100:
        return 0.0
    a = reference[start:end:step]
    b = recording[start + lag:end + lag:step]
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    energy = math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
    return dot / energy if energy else 0.0


def _envelope(signal: array[int], block: int) -> array[int]:
    return array("i", (sum(abs(x) for x in signal[i:i + block]) // block for i in range(0, len(signal) - block, block)))


def best_correlation(reference_path: Path, recording_path: Path, max_lag_seconds: float = 1.5) -> tuple[float, float]:
    """(NCC, lag in seconds) of the reference prompt within the recording."""
    reference, recording = samples(reference_path), samples(recording_path)
    block = 16
    envelopes = _envelope(reference, block), _envelope(recording, block)
    span = int(max_lag_seconds * 8000 / block)
    coarse = max(range(-span, span + 1), key=lambda lag: _ncc(*envelopes, lag)) * block
    fine = max(range(coarse - block, coarse + block + 1), key=lambda lag: _ncc(reference, recording, lag))
    return _ncc(reference, recording, fine), fine / 8000
