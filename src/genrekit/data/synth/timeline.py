"""The timeline of a song: the start time of every 16th step (tempo drift, swing), the chords of
the progression laid over the bars, and the one-bar pattern strings the parts are written in."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from genrekit.data.synth.vocabulary import _Chord, _parse_chord


@dataclass
class _Song:
    sr: int
    n: int  # samples in the render buffer
    steps_per_bar: int
    n_bars: int
    times: np.ndarray  # start of every step, s, plus the end of the last
    chords: list[_Chord]
    key: int
    minor: bool
    jitter: float
    rng: np.random.Generator

    def t(self, step: int) -> float:
        return float(self.times[min(step, len(self.times) - 1)])

    def human(self, step: int) -> float:
        return max(0.0, self.t(step) + float(self.rng.normal(0.0, self.jitter)))

    def span(self, step: int, length: int) -> float:
        return self.t(step + length) - self.t(step)

    def chord_at(self, step: int) -> _Chord:
        i = bisect.bisect_right(self._starts, step) - 1
        return self.chords[max(i, 0)]

    def __post_init__(self):
        self._starts = [c.start for c in self.chords]


def _step_times(rng, *, n_bars, steps_per_bar, tempo, swing, swing_unit, drift) -> np.ndarray:
    beats = n_bars * steps_per_bar // 4
    # slow tempo wander: random control points every 4 beats, interpolated
    points = rng.normal(0.0, drift, beats // 4 + 2)
    wander = np.interp(np.arange(beats) / 4.0, np.arange(len(points)), points)
    beat_len = 60.0 / (tempo * (1.0 + np.clip(wander, -0.3, 0.3)))
    beat_start = np.concatenate([[0.0], np.cumsum(beat_len)])
    s = swing / (1.0 + swing)  # where the swung off-beat falls, as a fraction of its pair
    if swing_unit == 8:
        offsets = np.array([0.0, s / 2, s, s + (1 - s) / 2])
    else:
        offsets = np.array([0.0, s / 2, 0.5, 0.5 + s / 2])
    times = beat_start[:-1, None] + offsets[None, :] * beat_len[:, None]
    return np.concatenate([times.ravel(), beat_start[-1:]])


def _chord_timeline(progression: str, key: int, n_bars: int, steps_per_bar: int) -> list[_Chord]:
    bars = progression.split()
    chords = []
    for b in range(n_bars):
        tokens = bars[b % len(bars)].split(",")
        length = steps_per_bar // len(tokens)
        for j, token in enumerate(tokens):
            degree, quality = _parse_chord(token)
            start = b * steps_per_bar + j * length
            chords.append(_Chord(start, start + length, (key + degree) % 12, quality))
    return chords


def _hits(pattern: str, steps: int) -> list[tuple[int, int, str]]:
    """(step, length in steps, symbol) of each note of a one-bar ``pattern`` cut to ``steps``."""
    pattern = pattern[:steps]
    out = []
    for i, ch in enumerate(pattern):
        if ch in ".-":
            continue
        length = 1
        while i + length < len(pattern) and pattern[i + length] == "-":
            length += 1
        out.append((i, length, ch))
    return out


def _bar_pattern(patterns: tuple[str, ...], choice: int, bar: int) -> str:
    # Patterns of 32 characters span two bars.
    p = patterns[choice % len(patterns)]
    bars_in = max(1, len(p) // 16)
    return p[(bar % bars_in) * 16:(bar % bars_in + 1) * 16]
