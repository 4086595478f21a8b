"""Signal helpers shared by the instruments, the drum kit and the mix: adding a sound into a
buffer at a sample offset, and cached Butterworth filters."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import signal


def _add(out: np.ndarray, x: np.ndarray, start: int, gain: float) -> None:
    if start >= len(out) or start + len(x) <= 0:
        return
    if start < 0:
        x, start = x[-start:], 0
    end = min(len(out), start + len(x))
    out[start:end] += gain * x[:end - start]


@lru_cache(maxsize=256)
def _sos(kind: str, freq: float | tuple[float, float], sr: int, order: int = 2) -> np.ndarray:
    nyq = 0.5 * sr
    if isinstance(freq, tuple):
        wn = (max(freq[0] / nyq, 1e-4), min(freq[1] / nyq, 0.98))
    else:
        wn = min(max(freq / nyq, 1e-4), 0.98)
    return signal.butter(order, wn, btype=kind, output="sos")


def _filter(y: np.ndarray, kind: str, freq, sr: int, order: int = 2) -> np.ndarray:
    return signal.sosfilt(_sos(kind, freq, sr, order), y).astype(np.float32)
