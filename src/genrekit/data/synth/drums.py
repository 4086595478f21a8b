"""The drums: one-shot samples of a clip's kit (kick, snare, hats, cymbals, brushes, toms)
synthesised once per clip, and the hits of a drum pattern over the song, with ghost notes and
fills."""

from __future__ import annotations

import numpy as np

from genrekit.data.synth.dsp import _filter
from genrekit.data.synth.styles import _DRUMS, _GHOSTS, _VELOCITY
from genrekit.data.synth.timeline import _hits, _Song


def _drum_kit(rng: np.random.Generator, sr: int, kit: tuple[float, ...], lanes: set[str]) -> dict[str, list[np.ndarray]]:
    """One-shot samples of the drum ``lanes`` a clip uses (a few variants each for the busy ones)."""
    kick_hz, kick_decay, click, snare_hz, snare_decay, snare_noise, hat_tune, hat_decay = kit
    sources: dict[str, np.ndarray] = {}

    def t_of(seconds):
        return np.arange(int(seconds * sr)) / sr

    def noise(n):
        return rng.standard_normal(n).astype(np.float32)

    def metal(n, tune):
        # Six detuned square waves, the classic analogue cymbal source; 32-bit fixed-point phases.
        k = np.arange(n, dtype=np.uint32)
        out = np.zeros(n, dtype=np.float32)
        for f in (205.3, 304.4, 369.6, 522.7, 540.0, 800.0):
            out += (k * np.uint32(round(f * tune / sr * 2**32)) >= np.uint32(2**31)).astype(np.float32)
        return (out - 3.0) / 3.0

    def source(name, n):
        # Hats and cymbals cut their variants from one long filtered source, built once per clip.
        if name not in sources:
            length = int(3.5 * sr)
            if name == "hat":
                sources[name] = _filter(0.6 * metal(length, hat_tune) + 0.5 * noise(length), "highpass", 6500, sr, 4)
            else:
                sources[name] = _filter(0.5 * metal(length, hat_tune * 1.3) + 0.7 * noise(length), "highpass", 3000, sr)
        src = sources[name]
        n = min(n, len(src))
        start = int(rng.integers(0, len(src) - n + 1))
        return src[start:start + n]

    def kick():
        t = t_of(kick_decay * 5)
        freq = kick_hz * (1 + 2.5 * np.exp(-t / 0.03))
        body = np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t / kick_decay)
        clk = _filter(noise(len(t)), "highpass", 2000, sr) * np.exp(-t / 0.004) * click
        return body + clk

    def snare(decay=snare_decay, tone=1.0):
        t = t_of(decay * 5)
        body = (np.sin(2 * np.pi * snare_hz * t) + 0.5 * np.sin(2 * np.pi * snare_hz * 1.8 * t)) * np.exp(-t / 0.05)
        rattle = _filter(noise(len(t)), "bandpass", (1500, 9000), sr) * np.exp(-t / decay)
        return tone * (1 - snare_noise) * body + snare_noise * 1.6 * rattle

    def hat(decay):
        t = t_of(min(decay * 6, 3.5))
        return source("hat", len(t)) * np.exp(-t / decay) * 1.5

    def cymbal(decay, bell):
        t = t_of(min(decay * 3, 3.5))
        y = source("cymbal", len(t)) * np.exp(-t / decay)
        y[: int(0.003 * sr)] *= np.linspace(0, 1, int(0.003 * sr))
        return y + bell * np.sin(2 * np.pi * 1250 * hat_tune * t) * np.exp(-t / 0.4)

    def rim():
        t = t_of(0.08)
        return (_filter(noise(len(t)), "bandpass", (1200, 2500), sr) * np.exp(-t / 0.012) * 1.5
                + 0.8 * np.sin(2 * np.pi * 820 * t) * np.exp(-t / 0.02))

    def clap():
        t = t_of(0.3)
        bursts = sum(np.exp(-np.maximum(t - d, 0) / 0.006) * (t >= d) for d in (0.0, 0.011, 0.022))
        env = 0.6 * bursts + np.exp(-np.maximum(t - 0.03, 0) / 0.12) * (t >= 0.03)
        return _filter(noise(len(t)), "bandpass", (900, 3500), sr) * env * 1.8

    def tom(hz):
        t = t_of(0.6)
        freq = hz * (1 + 0.6 * np.exp(-t / 0.05))
        return np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t / 0.22)

    def brush(seconds, attack):
        t = t_of(seconds)
        env = np.minimum(t / attack, 1) * np.exp(-t / (seconds / 3))
        return _filter(noise(len(t)), "bandpass", (2500, 8000), sr) * env

    def tamb():
        t = t_of(0.25)
        return _filter(noise(len(t)) + metal(len(t), 2.2), "highpass", 5000, sr) * np.exp(-t / 0.06)

    builders = {
        "kick": lambda: [kick()],
        "snare": lambda: [snare() for _ in range(3)],
        "ghost": lambda: [snare(decay=snare_decay * 0.6, tone=0.6) * 0.5],
        "rim": lambda: [rim()],
        "clap": lambda: [clap()],
        "chat": lambda: [hat(hat_decay) for _ in range(3)],
        "ohat": lambda: [hat(hat_decay * 6)],
        "phat": lambda: [hat(hat_decay * 0.6) * 0.6],
        "ride": lambda: [cymbal(0.9, 0.25) * 0.6 for _ in range(2)],
        "crash": lambda: [cymbal(1.2, 0.0)],
        "brush": lambda: [brush(0.12, 0.005) for _ in range(2)],
        "swish": lambda: [brush(0.45, 0.08) * 0.6],
        "tamb": lambda: [tamb()],
        "tom1": lambda: [tom(200)],
        "tom2": lambda: [tom(150)],
        "tom3": lambda: [tom(105)],
    }
    return {lane: [np.asarray(v, dtype=np.float32) for v in builders[lane]()] for lane in sorted(lanes)}


def _drum_hits(song: _Song, drums: str, fill: float) -> list[tuple[float, str, float]]:
    lanes = _DRUMS[drums]
    if not lanes:
        return []
    rng, spb = song.rng, song.steps_per_bar
    ghosts = _GHOSTS.get(drums, 0.0)
    section = 4 if rng.random() < 0.6 else 8
    hits = []
    for bar in range(song.n_bars):
        base = bar * spb
        last_of_section = bar % section == section - 1
        filling = last_of_section and rng.random() < fill
        if bar % section == 0 and bar > 0 and drums not in ("jazz_brush", "train"):
            hits.append((song.human(base), "crash", 0.8))
        for lane, pattern in lanes.items():
            for step, _, sym in _hits(pattern, spb):
                if filling and step >= spb - 4 and lane != "kick":
                    continue
                vel = _VELOCITY.get(sym, 0.75) * float(rng.uniform(0.85, 1.0))
                hits.append((song.human(base + step), lane, vel))
        if ghosts:
            for step in range(2, spb, 2):
                if rng.random() < ghosts:
                    hits.append((song.human(base + step), "ghost", float(rng.uniform(0.3, 0.6))))
        if filling:
            lane_seq = ["snare"] * 4 if rng.random() < 0.5 else ["tom1", "tom1", "tom2", "tom3"]
            for j, lane in enumerate(lane_seq):
                hits.append((song.human(base + spb - 4 + j), lane, 0.7 + 0.075 * j))
    return hits
