"""The synthesised instruments: each :class:`Timbre` (harmonic profile, resonances, envelope), the
registers they play in, the vowels of the voices, and :class:`_Instrument`, which renders a part's
notes from band-limited wavetables built by inverse FFT, caching every distinct note."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from genrekit.data.synth.dsp import _add


@dataclass(frozen=True)
class Timbre:
    """An additive instrument: a harmonic profile, resonances and an envelope.

    Attributes
    ----------
    tilt : float
        Harmonic ``k`` has amplitude ``k ** -tilt`` (1 is saw-like, large values approach a sine).
    even : float
        Gain of the even harmonics (0 gives a hollow, clarinet-like odd-only spectrum).
    n_harmonics : int
        Harmonics above 0.45 x the sample rate are dropped, so nothing aliases.
    formants : tuple of (centre Hz, bandwidth Hz, gain)
        Body resonances (or a vowel) weighting the harmonics by their frequency.
    floor : float
        Weight of the harmonics away from any formant (small for voices, 1 for instruments).
    attack, decay, sustain, release : float
        Envelope: seconds, seconds (exponential time constant; 0 = none), level 0-1, seconds.
    bright_decay : float
        Time constant (s) in which the upper harmonics fade (plucked strings); 0 keeps them.
    vibrato, vibrato_rate : float
        Vibrato depth (semitones) and rate (Hz).
    detune : float
        Cents between two chorus copies (ensemble strings, pads); 0 renders one oscillator.
    amps : tuple of float
        Explicit harmonic amplitudes (organ drawbars); overrides ``tilt``/``even``.
    """

    tilt: float = 1.0
    even: float = 1.0
    n_harmonics: int = 30
    formants: tuple[tuple[float, float, float], ...] = ()
    floor: float = 1.0
    attack: float = 0.005
    decay: float = 0.0
    sustain: float = 1.0
    release: float = 0.08
    bright_decay: float = 0.0
    vibrato: float = 0.0
    vibrato_rate: float = 5.5
    detune: float = 0.0
    amps: tuple[float, ...] = ()


_TIMBRES: dict[str, Timbre] = {
    "piano": Timbre(tilt=1.3, even=0.9, n_harmonics=24, formants=((3000, 1500, 0.5),), attack=0.002, decay=0.9,
                    sustain=0.12, release=0.12, bright_decay=0.25),
    "epiano": Timbre(tilt=2.2, even=0.5, n_harmonics=10, formants=((1800, 300, 2.0),), attack=0.003, decay=1.2,
                     sustain=0.25, release=0.15, bright_decay=0.08),
    "organ": Timbre(amps=(1.0, 0.8, 0.5, 0.6, 0.0, 0.4, 0.0, 0.3), attack=0.008, release=0.04),
    "acoustic": Timbre(tilt=1.1, even=0.8, formants=((250, 150, 1.0), (2500, 1200, 0.6)), attack=0.002, decay=0.6,
                       sustain=0.05, release=0.1, bright_decay=0.12),
    "clean_gtr": Timbre(tilt=1.4, even=0.7, n_harmonics=24, formants=((1200, 800, 0.6),), attack=0.002, decay=1.0,
                        sustain=0.15, release=0.08, bright_decay=0.2),
    "twang": Timbre(tilt=0.9, even=0.9, formants=((2600, 900, 1.5),), attack=0.001, decay=0.5, sustain=0.1,
                    release=0.06, bright_decay=0.15),
    "dist_gtr": Timbre(tilt=0.9, n_harmonics=40, attack=0.003, decay=1.5, sustain=0.6, release=0.06),
    "synth_pluck": Timbre(tilt=1.0, n_harmonics=40, attack=0.001, decay=0.25, sustain=0.0, release=0.05,
                          bright_decay=0.05),
    "strings": Timbre(tilt=1.0, n_harmonics=40, formants=((450, 250, 1.0), (2800, 1000, 0.5)), attack=0.25,
                      release=0.35, vibrato=0.12, vibrato_rate=5.2, detune=9.0),
    "synth_pad": Timbre(tilt=1.6, attack=0.35, release=0.5, detune=14.0),
    "brass": Timbre(tilt=0.7, n_harmonics=30, formants=((1100, 500, 2.0),), floor=0.4, attack=0.04, decay=0.3,
                    sustain=0.75, release=0.08, vibrato=0.08),
    "reed": Timbre(tilt=0.9, even=0.35, n_harmonics=30, formants=((1500, 700, 1.5),), floor=0.5, attack=0.03,
                   decay=0.4, sustain=0.8, release=0.07, vibrato=0.15, vibrato_rate=5.0),
    "flute": Timbre(tilt=2.5, even=0.7, n_harmonics=8, attack=0.06, release=0.1, vibrato=0.18, vibrato_rate=5.0),
    "violin": Timbre(tilt=0.9, n_harmonics=40, formants=((500, 300, 1.0), (2500, 800, 1.0)), attack=0.08,
                     release=0.15, vibrato=0.25, vibrato_rate=5.8),
    "fiddle": Timbre(tilt=0.8, n_harmonics=40, formants=((600, 300, 1.0), (3000, 900, 1.2)), attack=0.03,
                     release=0.08, vibrato=0.15, vibrato_rate=6.0),
    "synth_lead": Timbre(tilt=0.8, even=0.3, n_harmonics=40, attack=0.01, decay=0.3, sustain=0.8, release=0.1,
                         vibrato=0.1),
    "voice": Timbre(tilt=1.0, n_harmonics=60, floor=0.03, attack=0.04, release=0.08, vibrato=0.3),
    "rap_voice": Timbre(tilt=1.0, n_harmonics=60, floor=0.03, attack=0.01, release=0.04),
    "bass_electric": Timbre(tilt=1.8, even=0.9, n_harmonics=14, attack=0.004, decay=0.7, sustain=0.35,
                            release=0.06, bright_decay=0.12),
    "bass_upright": Timbre(tilt=2.3, even=0.8, n_harmonics=10, formants=((220, 120, 1.0),), attack=0.008,
                           decay=0.35, sustain=0.1, release=0.08, bright_decay=0.06),
    "bass_synth": Timbre(tilt=1.0, n_harmonics=24, attack=0.003, decay=0.25, sustain=0.5, release=0.05,
                         bright_decay=0.07),
    "bass_808": Timbre(tilt=5.0, n_harmonics=3, attack=0.003, decay=0.9, sustain=0.25, release=0.12),
    "cello": Timbre(tilt=1.0, n_harmonics=40, formants=((300, 200, 1.0), (1500, 800, 0.4)), attack=0.12,
                    release=0.25, vibrato=0.15, vibrato_rate=5.0, detune=6.0),
}
# Centre pitches (MIDI) of the harmony voicings and bass lines each instrument plays.
_COMP_REGISTER = {"dist_gtr": 52, "acoustic": 57, "clean_gtr": 60, "twang": 62, "strings": 62}
_BASS_REGISTER = {"bass_808": 31, "cello": 40}

# Peterson & Barney-style vowel formants (centre, bandwidth, gain) of an adult voice.
_VOWELS = (
    ((730, 90, 1.0), (1090, 110, 0.5), (2440, 160, 0.25)),
    ((530, 80, 1.0), (1840, 100, 0.45), (2480, 160, 0.3)),
    ((270, 60, 1.0), (2290, 110, 0.35), (3010, 170, 0.25)),
    ((570, 80, 1.0), (840, 100, 0.6), (2410, 160, 0.2)),
    ((300, 60, 1.0), (870, 100, 0.4), (2240, 160, 0.15)),
)


class _Note(NamedTuple):
    time: float  # s
    dur: float  # s, sounding length before the release
    midi: int
    vel: float
    glide: float = 0.0  # semitones below the pitch the note slides up from
    vowel: int = -1  # voices only


_TABLE_SIZE = 4096


def _midi_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def _harmonic_amps(tim: Timbre, f0: float, sr: int, formants, shift: float) -> np.ndarray:
    if tim.amps:
        a = np.array(tim.amps, dtype=float)
    else:
        k = np.arange(1, tim.n_harmonics + 1, dtype=float)
        a = k ** -tim.tilt
        a[1::2] *= tim.even
    freq = f0 * np.arange(1, len(a) + 1)
    if formants:
        weight = np.full(len(a), tim.floor)
        for centre, width, gain in formants:
            weight += gain / (1.0 + ((freq - centre * shift) / width) ** 2)
        a = a * weight
    a[freq >= 0.45 * sr] = 0.0
    return a


def _table(amps: np.ndarray) -> np.ndarray:
    """One period of the sum of sine harmonics ``amps`` (harmonic 1 first), by inverse FFT."""
    spec = np.zeros(_TABLE_SIZE // 2 + 1, dtype=complex)
    spec[1:len(amps) + 1] = -1j * amps * (_TABLE_SIZE / 2)
    return np.fft.irfft(spec, n=_TABLE_SIZE).astype(np.float32)


class _Instrument:
    """Renders the notes of one part with one timbre, caching each distinct (pitch, length) note."""

    def __init__(self, tim: Timbre, sr: int, *, shift: float = 1.0):
        self.tim, self.sr, self.shift = tim, sr, shift
        self._tables: dict = {}
        self._notes: dict = {}

    def tables(self, midi: int, vowel: int):
        key = (midi, vowel)
        if key not in self._tables:
            formants = _VOWELS[vowel] if vowel >= 0 else self.tim.formants
            amps = _harmonic_amps(self.tim, _midi_hz(midi), self.sr, formants, self.shift)
            norm = 1.0 / max(math.sqrt(float(np.sum(amps ** 2)) / 2.0), 1e-9)
            bright = _table(amps * norm)
            dull = None
            if self.tim.bright_decay > 0:
                dull = _table(amps * norm * 0.35 ** np.arange(len(amps)))
            self._tables[key] = (bright, dull)
        return self._tables[key]

    def note(self, midi: int, gate: int, glide: float, vowel: int) -> np.ndarray:
        key = (midi, gate, glide, vowel)
        cached = self._notes.get(key)
        if cached is None:
            cached = self._render(midi, gate, glide, vowel)
            self._notes[key] = cached
        return cached

    def _render(self, midi, gate, glide, vowel) -> np.ndarray:
        tim, sr = self.tim, self.sr
        n = gate + int(tim.release * 4 * sr)
        t = np.arange(n) / sr
        f0 = _midi_hz(midi)
        cycles = f0 * t
        if tim.vibrato:
            depth = tim.vibrato * math.log(2) / 12
            w = 2 * math.pi * tim.vibrato_rate
            cycles += f0 * depth * (1 - np.cos(w * t)) / w
        if glide:
            tau = 0.06
            cycles -= f0 * glide * math.log(2) / 12 * tau * (1 - np.exp(-t / tau))
        bright, dull = self.tables(midi, vowel)
        copies = [1.0] if not tim.detune else [2 ** (tim.detune / 2400), 2 ** (-tim.detune / 2400)]
        y = np.zeros(n, dtype=np.float32)
        for c, ratio in enumerate(copies):
            idx = ((cycles * ratio + 0.37 * c) * _TABLE_SIZE).astype(np.int64) & (_TABLE_SIZE - 1)
            wave = bright[idx]
            if dull is not None:
                fade = np.exp(-t / tim.bright_decay).astype(np.float32)
                wave = dull[idx] + (wave - dull[idx]) * fade
            y += wave
        y /= len(copies)
        return y * _envelope(tim, n, gate, sr)

    def render(self, notes: list[_Note], n: int) -> np.ndarray:
        out = np.zeros(n, dtype=np.float32)
        for note in notes:
            start = int(note.time * self.sr)
            if start >= n:
                continue
            # Lengths on a 64-sample grid, so repeated notes hit the cache despite tempo wander.
            gate = max(64, round(note.dur * self.sr / 64) * 64)
            _add(out, self.note(note.midi, gate, note.glide, note.vowel), start, note.vel)
        return out


def _envelope(tim: Timbre, n: int, gate: int, sr: int) -> np.ndarray:
    t = np.arange(n, dtype=np.float32) / sr
    if tim.decay > 0:
        env = tim.sustain + (1.0 - tim.sustain) * np.exp(-t / tim.decay)
    else:
        env = np.ones(n, dtype=np.float32)
    if tim.attack > 0:
        env *= np.minimum(t / tim.attack, 1.0)
    if gate < n:
        env[gate:] *= np.exp(-(t[gate:] - t[gate]) / max(tim.release, 1e-3))
    return env.astype(np.float32)


def _timbre(name: str, tilt: float) -> Timbre:
    tim = _TIMBRES[name]
    if tim.amps:
        return tim
    return replace(tim, tilt=max(0.3, tim.tilt + tilt))
