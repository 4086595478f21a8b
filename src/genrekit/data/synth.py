"""A generated genre set in GTZAN's layout: ten genres of synthetic music whose styles overlap.

The project's default dataset, so that the pipeline, the notebooks and the tests run without a
download. Each genre is a set of distributions (tempo, drum pattern, swing, instrument timbres,
harmony, bass line, melody, dynamics, recording noise); every clip draws its own parameters from
those of one of the genre's "artists", who in turn draw theirs from the genre's. Neighbouring
genres share patterns and sounds (rock/metal, disco/pop, blues/jazz/country, hiphop/reggae), and
a share of each genre's clips are crossovers played in a neighbour's arrangement (listed by
:func:`synthetic_crossovers`), so a good model scores high but not perfectly, and artist-grouped
splits matter as they do on GTZAN.

Synthesis is vectorised numpy: band-limited wavetables built with an inverse FFT per instrument and
pitch, notes rendered once per (pitch, length) and placed by slicing, drum one-shots built once per
clip. A 30 s clip takes about 0.14 s of CPU, a 4-minute track about 1 s.

Layout written by :func:`generate_synthetic` (read by the GTZAN loader)::

    <root>/genres_original/<genre>/<genre>.000NN.wav   mono 16-bit PCM at 22,050 Hz
    <root>/artists.txt                                 Sturm's GTZAN index format
    <root>/synthetic.json                              manifest: the request that made it
"""

from __future__ import annotations

import bisect
import json
import math
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
from scipy import signal

from genrekit import paths
from genrekit.data.audio import DEFAULT_SR, write_audio
from genrekit.errors import ConfigError, DatasetError

#: GTZAN's ten genres in its (alphabetical) order; the index is part of every clip's seed.
GTZAN_GENRES: tuple[str, ...] = (
    "blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock",
)
ARTIST_INDEX_NAME = "artists.txt"
MANIFEST_NAME = "synthetic.json"
#: Bumped whenever the audio a seed produces changes, so stale sets are regenerated.
GENERATOR_VERSION = 3  # 3: at least three artists per genre

_AUDIO_FOLDER = "genres_original"
# Seed-sequence stream tags: clips and artists of the same genre must never share a stream.
_CLIP_STREAM, _ARTIST_STREAM = 0, 1
_NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


# --------------------------------------------------------------------------------------------
# Musical vocabulary
# --------------------------------------------------------------------------------------------

_CHORDS = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "sus4": (0, 5, 7), "5": (0, 7, 12),
    "7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11), "min7": (0, 3, 7, 10), "h7": (0, 3, 6, 10),
    "6": (0, 4, 7, 9), "9": (0, 4, 10, 14), "maj9": (0, 4, 11, 14), "min9": (0, 3, 10, 14),
    "13": (0, 4, 10, 21), "7b9": (0, 4, 10, 13), "add9": (0, 4, 7, 14),
}
_ROMAN = {"i": 0, "ii": 2, "iii": 4, "iv": 5, "v": 7, "vi": 9, "vii": 11}
_SCALES = {
    "major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10),
    "major_pent": (0, 2, 4, 7, 9), "minor_pent": (0, 3, 5, 7, 10), "blues": (0, 3, 5, 6, 7, 10),
    "harmonic_minor": (0, 2, 3, 5, 7, 8, 11), "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
}


class _Chord(NamedTuple):
    start: int  # first step (global)
    stop: int  # one past the last step
    root: int  # pitch class, absolute
    quality: str


def _parse_chord(token: str) -> tuple[int, str]:
    """'bVI7' -> (8, '7'), 'ii7' -> (2, 'min7'), 'iih7' -> (2, 'h7'): root offset from the tonic, quality."""
    shift = 0
    while token[0] in "b#":
        shift += -1 if token[0] == "b" else 1
        token = token[1:]
    numeral = ""
    for ch in token:
        if ch.lower() in "iv":
            numeral += ch
        else:
            break
    suffix = token[len(numeral):]
    minor = numeral.islower()
    degree = _ROMAN[numeral.lower()] + shift
    if suffix in ("", "o"):
        quality = "dim" if suffix == "o" else ("min" if minor else "maj")
    elif suffix in ("7", "9"):
        quality = ("min" + suffix) if minor else suffix
    else:
        quality = suffix
    if quality not in _CHORDS:
        raise ConfigError(f"unknown chord quality {quality!r} in progression token {token!r}")
    return degree % 12, quality


def _progression_is_minor(progression: str) -> bool:
    first = progression.split()[0].split(",")[0].lstrip("b#")
    return first[:1].islower()


# --------------------------------------------------------------------------------------------
# Instruments
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Patterns: one character per 16th step. Drums: X accent, x normal, o ghost, . rest.
# Bass: a chord degree (1 3 5 6 7 8) starts a note, '-' holds it. Comping: X/x/o start a chord.
# --------------------------------------------------------------------------------------------

_VELOCITY = {"X": 1.0, "x": 0.75, "o": 0.4}

_DRUMS: dict[str, dict[str, str]] = {
    "none": {},
    "rock": {"kick": "X.....x.X.......", "snare": "....X.......X...", "chat": "x.x.x.x.x.x.x.x."},
    "rock_ride": {"kick": "X.......X.x.....", "snare": "....X.......X...", "ride": "x.x.x.x.x.x.x.x."},
    "halftime": {"kick": "X.........x.....", "snare": "........X.......", "chat": "x.x.x.x.x.x.x.x."},
    "double_kick": {"kick": "xxxxxxxxxxxxxxxx", "snare": "....X.......X...", "ride": "X...X...X...X..."},
    "blast": {"kick": "x.x.x.x.x.x.x.x.", "snare": ".x.x.x.x.x.x.x.x", "ride": "x.x.x.x.x.x.x.x."},
    "thrash": {"kick": "X...X...X...X...", "snare": "..X...X...X...X.", "chat": "x.x.x.x.x.x.x.x."},
    "disco": {"kick": "X...X...X...X...", "snare": "....X.......X...", "ohat": "..x...x...x...x.",
                  "chat": "x...x...x...x..."},
    "disco16": {"kick": "X...X...X...X...", "clap": "....X.......X...", "chat": "xoxoxoxoxoxoxoxo",
                    "ohat": "..x...x...x...x."},
    "four_floor": {"kick": "X...X...X...X...", "clap": "....X.......X...", "chat": "..x...x...x...x."},
    "pop": {"kick": "X......xX.x.....", "snare": "....X.......X...", "chat": "x.x.x.x.x.x.x.x.",
            "tamb": "....x.......x..."},
    "boom_bap": {"kick": "X.....x...X..x..", "snare": "....X.......X...", "chat": "x.x.x.x.x.x.x.x."},
    "boom_bap2": {"kick": "X..x......X.....", "snare": "....X..o....X...", "chat": "x.xxx.x.x.xxx.x."},
    "one_drop": {"kick": "........X.......", "rim": "........X.......", "chat": "x.x.x.x.x.x.x.x."},
    "rockers": {"kick": "X.......X.......", "rim": "....X.......X...", "chat": "x.x.x.x.x.x.x.x."},
    "steppers": {"kick": "X...X...X...X...", "rim": "........X.......", "chat": "x.x.x.x.x.x.x.x."},
    "jazz_ride": {"ride": "X...x.x.X...x.x.", "phat": "....x.......x...", "kick": "o...o...o...o..."},
    "jazz_brush": {"brush": "x.o.x.o.x.o.x.o.", "swish": "x.......x.......", "ride": "o...o.o.o...o.o.",
                       "phat": "....x.......x..."},
    "shuffle": {"kick": "X.......X.......", "snare": "....X.......X...", "chat": "x.x.x.x.x.x.x.x."},
    "slow_blues": {"kick": "X.......X.......", "snare": "....X.......X...", "ride": "x.x.x.x.x.x.x.x."},
    "train": {"kick": "X.......X.......", "brush": "ooxoXoxoooxoXoxo"},
    "two_step": {"kick": "X.......X.......", "rim": "....X.......X...", "chat": "x.x.x.x.x.x.x.x."},
}
# Random ghost snares on 8th positions (a drummer's chatter), per drum pattern.
_GHOSTS = {"jazz_ride": 0.15, "boom_bap": 0.08, "boom_bap2": 0.08, "shuffle": 0.1, "slow_blues": 0.08, "rock": 0.03}

_BASS: dict[str, tuple[tuple[str, ...], float]] = {
    # name: (patterns, gate as a fraction of the written length)
    "root8": (("1-1-1-1-1-1-1-1-",), 0.85),
    "root16": (("1111111111111111",), 0.7),
    "root_fifth": (("1-------5-------", "1-------5---3---", "1---5---1---5---"), 0.6),
    "octave": (("1-8-1-8-1-8-1-8-", "1-8-1-8-1-8-5-8-"), 0.5),
    "reggae": (("..1-.1.5-...3-5-", "1--.3.5-..1-.5..", "..1-1-..5-..3-1-", "1-..1-3-5-..8-5-"), 0.9),
    "boogie": (("1-3-5-6-8-6-5-3-", "1---3-5-6---5-3-"), 0.8),
    "pop_sync": (("1--1--1-1--1--1-", "1-------1-1-----", "1--1--1---1-5---"), 0.85),
    "long": (("1-------........", "1-----------5---", "1---------------"), 0.95),
    "half": (("1-------5-------", "1-------1-------"), 0.9),
    "sustain": (("1---------------", "1-------5-------", "1-------3-------"), 1.0),
    "walking": ((), 0.9),  # generated: chord tones and approach notes on every beat
    "kick": ((), 0.9),  # generated: one note per kick drum hit
}


@dataclass(frozen=True)
class _CompStyle:
    patterns: tuple[str, ...]
    voicing: str  # chord | power | rootless | dyad56 | arp
    gate: float  # fraction of the written length
    gate_max: float = 8.0  # seconds


_COMPS: dict[str, _CompStyle] = {
    "whole": _CompStyle(("x---------------", "x-------x-------"), "chord", 1.0),
    "half": _CompStyle(("x-------x-------",), "chord", 0.95),
    "block4": _CompStyle(("x---x---x---x---", "x---x---x---x-x-"), "chord", 0.6),
    "strum8": _CompStyle(("X-x-x-x-X-x-x-x-", "X-x-.-x-X-x-.-x-", "X--x--x-X--x--x-"), "chord", 0.9),
    "power8": _CompStyle(("X-x-x-x-X-x-x-x-", "X-x-x-X-x-x-X-x-"), "power", 0.9),
    "chug16": _CompStyle(("XxxxXxxxXxxxXxxx", "XxxXxxXxXxxXxxXx", "X-xxX-xxX-xxXxxx"), "power", 0.45, 0.12),
    "offbeat8": _CompStyle(("..x...x...x...x.",), "chord", 0.5, 0.16),
    "skank": _CompStyle(("....x.......x...", "....x.x.....x.x."), "chord", 0.5, 0.14),
    "stab16": _CompStyle(("..x..x....x..x..", "..x.x.x...x.x.x.", ".xx..x.x.xx..x.x"), "chord", 0.5, 0.09),
    "boomchick": _CompStyle(("....x-......x-..", "....x-..x...x-.."), "chord", 0.7, 0.3),
    "boogie": _CompStyle(("x-x-x-x-x-x-x-x-",), "dyad56", 0.85),
    "arp": _CompStyle(("x-x-x-x-x-x-x-x-", "xxxxxxxxxxxxxxxx", "x---x---x---x---"), "arp", 1.6),
    "jazz_comp": _CompStyle((), "rootless", 0.9),  # generated: 1-3 syncopated stabs per bar
    "loop": _CompStyle((), "chord", 0.9),  # generated once per clip: a repeating two-bar sample chop
}


@dataclass(frozen=True)
class _LeadStyle:
    timbre: str
    scale: str  # a _SCALES name, or 'mode' for the progression's major/minor
    register: tuple[int, int]
    cells: tuple[tuple[int, ...], ...]  # rhythm cells, note lengths in 16th steps
    phrase_bars: int = 2
    density: float = 0.7  # probability that a phrase is played rather than rested
    rest: float = 0.1  # probability that a note of a phrase is a rest
    bend: float = 0.0  # probability of a note sliding up from below
    chromatic: float = 0.0  # probability of a chromatic passing note on a weak step
    gate: float = 0.92
    level: float = 0.0  # dB relative to the lead bus


_LEADS: dict[str, _LeadStyle | None] = {
    "none": None,
    "blues_guitar": _LeadStyle("clean_gtr", "blues", (57, 81), ((2, 2), (1, 1, 2), (4,), (2, 1, 1), (6, 2), (8,)),
                               density=0.6, rest=0.15, bend=0.35),
    "harmonica": _LeadStyle("reed", "blues", (60, 84), ((2, 2), (4,), (2, 6), (8,)), density=0.55, bend=0.3),
    "fiddle": _LeadStyle("fiddle", "major_pent", (62, 86), ((2, 2), (1, 1, 1, 1), (2, 1, 1), (4,)), density=0.75,
                         rest=0.05, bend=0.15),
    "twang_lead": _LeadStyle("twang", "major_pent", (59, 83), ((2, 2), (1, 1, 2), (4,), (3, 3, 2)), density=0.6,
                             bend=0.3),
    "sung": _LeadStyle("voice", "mode", (55, 72), ((2, 2), (4,), (3, 3, 2), (2, 4, 2), (8,), (6, 2)), density=0.7,
                       rest=0.12),
    "rap": _LeadStyle("rap_voice", "mode", (47, 53), ((1,), (1,), (2,), (1, 1)), phrase_bars=4, density=0.85,
                      rest=0.2, gate=0.8),
    "bebop_sax": _LeadStyle("reed", "mixolydian", (55, 79), ((2, 2), (2, 2, 2, 2), (1, 1, 2), (4,)), density=0.75,
                            rest=0.05, chromatic=0.25),
    "bebop_brass": _LeadStyle("brass", "mixolydian", (58, 82), ((2, 2), (2, 2, 2, 2), (4,), (2, 6)),
                              density=0.7, rest=0.08, chromatic=0.2),
    "bebop_piano": _LeadStyle("piano", "dorian", (60, 84), ((2, 2), (2, 2, 2, 2), (1, 1, 2)), density=0.7,
                              chromatic=0.2),
    "shred": _LeadStyle("dist_gtr", "harmonic_minor", (59, 88), ((1, 1, 1, 1), (1, 1, 2), (4,), (2, 2)),
                        density=0.7, rest=0.03, bend=0.1),
    "rock_guitar": _LeadStyle("dist_gtr", "minor_pent", (57, 84), ((2, 2), (1, 1, 2), (4,), (6, 2), (8,)),
                              density=0.55, bend=0.3),
    "synth_lead": _LeadStyle("synth_lead", "mode", (60, 79), ((2, 2), (4,), (3, 3, 2), (2, 1, 1)), density=0.65),
    "violin": _LeadStyle("violin", "mode", (64, 88), ((4,), (2, 2), (8,), (4, 2, 2), (6, 2)), phrase_bars=4,
                         density=0.85, rest=0.04, gate=1.0),
    "flute": _LeadStyle("flute", "mode", (67, 91), ((4,), (2, 2), (8,), (4, 2, 2), (2, 2, 4)), phrase_bars=4,
                        density=0.8, rest=0.05, gate=0.98),
    "piano_melody": _LeadStyle("piano", "mode", (64, 86), ((4,), (2, 2), (1, 1, 2), (8,), (2, 2, 4)),
                               phrase_bars=4, density=0.85, rest=0.05),
    "horns": _LeadStyle("brass", "mode", (58, 77), ((2, 2), (1, 3), (2, 6), (4, 4)), density=0.45, rest=0.3,
                        gate=0.6),
}
_DISTORTED_LEADS = {"shred": 1.0, "rock_guitar": 0.7, "blues_guitar": 0.15}

# Drum kits: (kick pitch Hz, kick decay s, kick click, snare tone Hz, snare decay s, snare noise, hat tune, hat decay s)
_KITS: dict[str, tuple[float, ...]] = {
    "rock": (55, 0.3, 0.4, 190, 0.18, 0.7, 1.0, 0.05),
    "metal": (60, 0.2, 0.9, 210, 0.15, 0.65, 1.15, 0.04),
    "jazz": (68, 0.25, 0.15, 230, 0.14, 0.5, 0.9, 0.06),
    "vintage": (58, 0.28, 0.2, 200, 0.16, 0.55, 0.85, 0.06),
    "disco": (52, 0.32, 0.5, 185, 0.2, 0.75, 1.1, 0.05),
    "pop": (50, 0.35, 0.5, 195, 0.2, 0.8, 1.2, 0.04),
    "boom": (48, 0.55, 0.3, 180, 0.22, 0.75, 0.95, 0.05),
    "reggae": (56, 0.35, 0.2, 280, 0.1, 0.45, 1.0, 0.05),
}


# --------------------------------------------------------------------------------------------
# Genres
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GenreStyle:
    """The distributions one genre's artists and clips are drawn from.

    Categorical fields map a choice to its weight; ranges are ``(low, high)`` drawn uniformly per
    artist; ``(mean, sd)`` pairs are normal. Neighbouring genres share choices on purpose.
    """

    tempo: tuple[float, float]  # bpm mean, sd
    swing: tuple[float, float, float]  # probability an artist swings, swing ratio mean, sd
    swing_unit: int  # 8 or 16: the subdivision that swings
    drums: dict[str, float]
    bass: dict[str, float]
    comp: dict[str, float]
    comp_timbre: dict[str, float]
    pad: dict[str, float]  # sustained chord instrument ('none' for none)
    bass_timbre: dict[str, float]
    lead: dict[str, float]
    progressions: dict[str, float]
    kit: dict[str, float]
    mix: dict[str, float]  # bus level in dB: drums bass comp pad lead
    drive: tuple[float, float]  # guitar distortion drive (0 = clean)
    reverb: tuple[float, float]  # wet gain
    room: tuple[float, float]  # reverb time RT60, s
    dynamics: tuple[float, float]  # slow level swings, peak-to-peak dB
    compression: tuple[float, float]  # compressor ratio
    loudness: tuple[float, float]  # RMS in dBFS, mean and sd
    era: float  # probability an artist sounds like an old recording (narrow band, hiss, crackle)
    hiss: tuple[float, float]  # background noise relative to the music, dB
    crackle: float  # probability of vinyl crackle (besides old recordings)
    jitter: float  # timing humanisation sd, s
    fill: float  # probability of a drum fill at the end of a 4-bar section
    drift: float = 0.005  # slow tempo wander, relative sd
    meter3: float = 0.0  # probability of 3/4
    comp_lowpass: tuple[float, float] = (0.0, 0.0)  # sampled-loop darkening of the comping bus, Hz (0 = off)
    # Probability that a clip takes its arrangement (drum pattern, bass line, comping rhythm,
    # progression, melody) from a neighbouring genre while keeping its own artist's instruments,
    # tempo and production: the crossover tracks that make rock/metal or disco/pop hard to tell apart.
    neighbours: dict[str, float] = field(default_factory=dict)


_MIX = {"drums": 0.0, "bass": -2.0, "comp": -3.0, "pad": -8.0, "lead": -1.0}

_GENRES: dict[str, GenreStyle] = {
    "blues": GenreStyle(
        tempo=(105, 22), swing=(0.8, 1.9, 0.25), swing_unit=8,
        drums={"shuffle": 0.45, "slow_blues": 0.2, "rock": 0.1, "two_step": 0.15, "jazz_ride": 0.1},
        bass={"boogie": 0.4, "walking": 0.2, "root8": 0.15, "root_fifth": 0.15, "half": 0.1},
        comp={"boogie": 0.35, "block4": 0.15, "strum8": 0.15, "jazz_comp": 0.1, "whole": 0.15, "arp": 0.1},
        comp_timbre={"piano": 0.3, "clean_gtr": 0.3, "acoustic": 0.2, "organ": 0.1, "epiano": 0.1},
        pad={"none": 0.65, "organ": 0.25, "strings": 0.1},
        bass_timbre={"bass_electric": 0.55, "bass_upright": 0.45},
        lead={"blues_guitar": 0.45, "sung": 0.2, "harmonica": 0.25, "none": 0.1},
        progressions={"I7 I7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 V7": 3, "I7 IV7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 V7": 2,
                      "i7 i7 i7 i7 iv7 iv7 i7 i7 bVI7 V7 i7 V7": 1, "I7 I7 IV7 IV7": 0.5},
        kit={"vintage": 0.6, "rock": 0.4}, mix=_MIX,
        drive=(0.0, 3.0), reverb=(0.1, 0.35), room=(0.6, 1.5), dynamics=(3, 8), compression=(1.5, 3.0),
        loudness=(-19, 3), era=0.65, hiss=(-45, -30), crackle=0.1, jitter=0.012, fill=0.3,
        neighbours={"jazz": 0.08, "country": 0.08, "rock": 0.05},
    ),
    "classical": GenreStyle(
        tempo=(92, 22), swing=(0.0, 1.0, 0.0), swing_unit=8,
        drums={"none": 1.0},
        bass={"sustain": 0.5, "half": 0.3, "long": 0.2},
        comp={"arp": 0.35, "whole": 0.35, "half": 0.2, "block4": 0.1},
        comp_timbre={"piano": 0.4, "strings": 0.4, "acoustic": 0.1, "organ": 0.1},
        pad={"strings": 0.45, "none": 0.45, "organ": 0.1},
        bass_timbre={"cello": 0.6, "piano": 0.4},
        lead={"violin": 0.35, "flute": 0.2, "piano_melody": 0.25, "none": 0.2},
        progressions={"I IV V7 I": 2, "I vi ii V7": 2, "i iv V7 i": 2, "I ii V7 I vi IV V7 I": 1,
                      "i VI iv V7": 1, "I V vi iii IV I IV V": 1},
        kit={"rock": 1.0}, mix={"drums": 0.0, "bass": -3.0, "comp": -2.0, "pad": -3.0, "lead": 0.0},
        drive=(0.0, 0.0), reverb=(0.3, 0.6), room=(1.5, 2.5), dynamics=(12, 24), compression=(1.0, 1.3),
        loudness=(-25, 4), era=0.4, hiss=(-55, -40), crackle=0.0, jitter=0.02, fill=0.0, drift=0.06, meter3=0.25,
        neighbours={"jazz": 0.03},
    ),
    "country": GenreStyle(
        tempo=(118, 22), swing=(0.3, 1.6, 0.2), swing_unit=8,
        drums={"two_step": 0.4, "train": 0.3, "shuffle": 0.15, "rock": 0.15},
        bass={"root_fifth": 0.6, "walking": 0.1, "root8": 0.2, "boogie": 0.1},
        comp={"boomchick": 0.35, "strum8": 0.35, "arp": 0.15, "block4": 0.15},
        comp_timbre={"acoustic": 0.5, "twang": 0.3, "piano": 0.15, "clean_gtr": 0.05},
        pad={"none": 0.7, "strings": 0.2, "organ": 0.1},
        bass_timbre={"bass_electric": 0.7, "bass_upright": 0.3},
        lead={"fiddle": 0.3, "twang_lead": 0.25, "sung": 0.35, "none": 0.1},
        progressions={"I I IV IV I I V V": 2, "I IV V I": 2, "I I I I IV IV I I V7 IV I I": 1.0, "I vi IV V": 0.6},
        kit={"rock": 0.5, "vintage": 0.5}, mix=_MIX,
        drive=(0.0, 0.5), reverb=(0.1, 0.3), room=(0.8, 1.4), dynamics=(3, 6), compression=(2.0, 4.0),
        loudness=(-16, 2.5), era=0.45, hiss=(-55, -40), crackle=0.0, jitter=0.008, fill=0.25,
        neighbours={"blues": 0.08, "rock": 0.04, "pop": 0.04},
    ),
    "disco": GenreStyle(
        tempo=(120, 6), swing=(0.05, 1.2, 0.05), swing_unit=16,
        drums={"disco": 0.45, "disco16": 0.35, "four_floor": 0.15, "pop": 0.05},
        bass={"octave": 0.6, "root8": 0.2, "pop_sync": 0.2},
        comp={"stab16": 0.45, "strum8": 0.15, "whole": 0.2, "offbeat8": 0.2},
        comp_timbre={"clean_gtr": 0.45, "epiano": 0.2, "piano": 0.2, "synth_pluck": 0.15},
        pad={"strings": 0.6, "synth_pad": 0.2, "none": 0.2},
        bass_timbre={"bass_electric": 0.6, "bass_synth": 0.4},
        lead={"sung": 0.5, "synth_lead": 0.15, "violin": 0.1, "horns": 0.1, "none": 0.15},
        progressions={"i7 i7 iv7 iv7": 2, "i7 iv7": 1.5, "Imaj7 Imaj7 ii7 ii7": 1, "vi7 ii7 V7 Imaj7": 1,
                      "i9 i9 bVII bVII": 0.7},
        kit={"disco": 0.8, "pop": 0.2}, mix={"drums": 0.0, "bass": -1.0, "comp": -4.0, "pad": -6.0, "lead": -1.0},
        drive=(0.0, 0.0), reverb=(0.1, 0.3), room=(0.8, 1.5), dynamics=(1, 3), compression=(3.0, 6.0),
        loudness=(-14, 2), era=0.2, hiss=(-60, -45), crackle=0.05, jitter=0.003, fill=0.2,
        neighbours={"pop": 0.12},
    ),
    "hiphop": GenreStyle(
        tempo=(90, 8), swing=(0.7, 1.35, 0.12), swing_unit=16,
        drums={"boom_bap": 0.45, "boom_bap2": 0.3, "halftime": 0.1, "pop": 0.05, "one_drop": 0.05, "rockers": 0.05},
        bass={"kick": 0.4, "long": 0.2, "pop_sync": 0.25, "reggae": 0.15},
        comp={"loop": 0.5, "whole": 0.2, "offbeat8": 0.05, "skank": 0.1, "jazz_comp": 0.15},
        comp_timbre={"epiano": 0.35, "piano": 0.25, "strings": 0.15, "synth_pluck": 0.1, "organ": 0.1, "clean_gtr": 0.05},
        pad={"none": 0.6, "synth_pad": 0.25, "strings": 0.15},
        bass_timbre={"bass_808": 0.55, "bass_synth": 0.25, "bass_electric": 0.1, "bass_upright": 0.1},
        lead={"rap": 0.75, "sung": 0.1, "none": 0.15},
        progressions={"i7 i7 bVImaj7 bVImaj7": 2, "i9 i9 i9 i9": 1, "i7 iv7 i7 iv7": 1, "ii7 V7 Imaj7 Imaj7": 0.5,
                      "i7 bVII bVI V7": 0.5},
        kit={"boom": 0.8, "pop": 0.2}, mix={"drums": 1.0, "bass": 0.0, "comp": -5.0, "pad": -9.0, "lead": -1.0},
        drive=(0.0, 0.0), reverb=(0.0, 0.15), room=(0.4, 0.9), dynamics=(1, 3), compression=(3.0, 6.0),
        loudness=(-14, 2), era=0.15, hiss=(-55, -40), crackle=0.4, jitter=0.006, fill=0.05,
        comp_lowpass=(1800, 5000),
        neighbours={"reggae": 0.08, "pop": 0.06},
    ),
    "jazz": GenreStyle(
        tempo=(135, 40), swing=(0.9, 1.9, 0.3), swing_unit=8,
        drums={"jazz_ride": 0.58, "jazz_brush": 0.3, "none": 0.07, "shuffle": 0.05},
        bass={"walking": 0.75, "half": 0.2, "boogie": 0.05},
        comp={"jazz_comp": 0.6, "block4": 0.15, "whole": 0.15, "arp": 0.1},
        comp_timbre={"piano": 0.6, "clean_gtr": 0.2, "epiano": 0.1, "organ": 0.1},
        pad={"none": 0.85, "organ": 0.05, "strings": 0.1},
        bass_timbre={"bass_upright": 0.85, "bass_electric": 0.15},
        lead={"bebop_sax": 0.35, "bebop_brass": 0.25, "bebop_piano": 0.15, "none": 0.15, "sung": 0.1},
        progressions={"ii7 V7 Imaj7 Imaj7": 2, "ii9,V13 Imaj9 vi7,II7 ii7,V7": 2, "Imaj7,vi7 ii7,V7 iii7,VI7 ii7,V7": 1.5,
                      "iih7 V7b9 i7 i7": 1, "I7 I7 I7 I7 IV7 IV7 I7 I7 ii7 V7 I7 V7": 1, "Imaj7 IVmaj7 iii7 VI7": 1},
        kit={"jazz": 1.0}, mix={"drums": -2.0, "bass": -1.0, "comp": -2.0, "pad": -9.0, "lead": 0.0},
        drive=(0.0, 0.0), reverb=(0.15, 0.4), room=(0.8, 1.8), dynamics=(5, 12), compression=(1.2, 2.0),
        loudness=(-21, 3), era=0.6, hiss=(-48, -32), crackle=0.05, jitter=0.012, fill=0.15,
        neighbours={"blues": 0.1},
    ),
    "metal": GenreStyle(
        tempo=(140, 30), swing=(0.03, 1.3, 0.1), swing_unit=16,
        drums={"double_kick": 0.35, "thrash": 0.2, "blast": 0.1, "rock": 0.2, "halftime": 0.15},
        bass={"kick": 0.35, "root8": 0.4, "root16": 0.25},
        comp={"chug16": 0.35, "power8": 0.45, "whole": 0.2},
        comp_timbre={"dist_gtr": 0.95, "clean_gtr": 0.05},
        pad={"none": 0.8, "synth_pad": 0.1, "strings": 0.1},
        bass_timbre={"bass_electric": 0.8, "bass_synth": 0.2},
        lead={"shred": 0.4, "sung": 0.3, "none": 0.3},
        progressions={"i5 i5 bVI5 bVII5": 2, "i5 bII5 i5 bII5": 1.5, "i5 i5 bVII5 bVI5": 1, "i5 iv5 bVI5 V5": 1,
                      "i5,bII5 i5,bVII5": 1},
        kit={"metal": 0.85, "rock": 0.15}, mix={"drums": 0.0, "bass": -3.0, "comp": 0.0, "pad": -10.0, "lead": -2.0},
        drive=(8.0, 35.0), reverb=(0.05, 0.25), room=(0.6, 1.4), dynamics=(1, 3), compression=(4.0, 8.0),
        loudness=(-11.5, 2), era=0.05, hiss=(-60, -50), crackle=0.0, jitter=0.004, fill=0.5,
        neighbours={"rock": 0.12},
    ),
    "pop": GenreStyle(
        tempo=(112, 14), swing=(0.1, 1.3, 0.1), swing_unit=16,
        drums={"pop": 0.45, "four_floor": 0.3, "disco": 0.1, "rock": 0.1, "boom_bap": 0.05},
        bass={"pop_sync": 0.35, "root8": 0.35, "octave": 0.15, "kick": 0.15},
        comp={"strum8": 0.2, "block4": 0.2, "arp": 0.25, "whole": 0.2, "offbeat8": 0.15},
        comp_timbre={"synth_pluck": 0.3, "piano": 0.3, "acoustic": 0.15, "epiano": 0.1, "clean_gtr": 0.15},
        pad={"synth_pad": 0.45, "strings": 0.25, "none": 0.3},
        bass_timbre={"bass_synth": 0.5, "bass_electric": 0.5},
        lead={"sung": 0.7, "synth_lead": 0.2, "none": 0.1},
        progressions={"I V vi IV": 3, "vi IV I V": 2, "I vi IV V": 1.5, "Iadd9 V vi IV": 1, "I IV vi V": 1},
        kit={"pop": 0.8, "disco": 0.2}, mix=_MIX,
        drive=(0.0, 1.0), reverb=(0.1, 0.3), room=(0.8, 1.5), dynamics=(1, 4), compression=(3.0, 6.0),
        loudness=(-13, 2), era=0.05, hiss=(-65, -50), crackle=0.0, jitter=0.003, fill=0.3,
        neighbours={"disco": 0.08, "rock": 0.05, "hiphop": 0.04},
    ),
    "reggae": GenreStyle(
        tempo=(84, 9), swing=(0.4, 1.5, 0.15), swing_unit=16,
        drums={"one_drop": 0.45, "rockers": 0.25, "steppers": 0.15, "boom_bap": 0.15},
        bass={"reggae": 0.7, "kick": 0.1, "long": 0.1, "pop_sync": 0.1},
        comp={"skank": 0.5, "offbeat8": 0.35, "stab16": 0.15},
        comp_timbre={"clean_gtr": 0.45, "organ": 0.35, "piano": 0.2},
        pad={"organ": 0.3, "none": 0.6, "synth_pad": 0.1},
        bass_timbre={"bass_electric": 0.6, "bass_synth": 0.25, "bass_808": 0.15},
        lead={"sung": 0.45, "rap": 0.2, "horns": 0.15, "none": 0.2},
        progressions={"I IV I IV": 2, "i iv i v": 1, "I V vi IV": 0.7, "i7 iv7 i7 iv7": 0.5, "I I IV V": 1},
        kit={"reggae": 0.6, "vintage": 0.2, "boom": 0.2},
        mix={"drums": 2.0, "bass": -3.0, "comp": -3.0, "pad": -9.0, "lead": -1.0},
        drive=(0.0, 0.0), reverb=(0.15, 0.4), room=(0.8, 1.6), dynamics=(2, 5), compression=(3.0, 5.5),
        loudness=(-14.5, 2.5), era=0.3, hiss=(-52, -38), crackle=0.35, jitter=0.008, fill=0.15,
        neighbours={"hiphop": 0.08, "pop": 0.04},
    ),
    "rock": GenreStyle(
        tempo=(120, 20), swing=(0.1, 1.6, 0.2), swing_unit=8,
        drums={"rock": 0.5, "rock_ride": 0.2, "halftime": 0.1, "double_kick": 0.08, "shuffle": 0.05, "pop": 0.1},
        bass={"root8": 0.6, "kick": 0.15, "pop_sync": 0.1, "root_fifth": 0.05, "boogie": 0.1},
        comp={"power8": 0.4, "strum8": 0.3, "whole": 0.15, "block4": 0.1, "chug16": 0.1},
        comp_timbre={"dist_gtr": 0.6, "clean_gtr": 0.2, "acoustic": 0.1, "piano": 0.05, "organ": 0.05},
        pad={"none": 0.75, "organ": 0.15, "synth_pad": 0.1},
        bass_timbre={"bass_electric": 0.9, "bass_synth": 0.1},
        lead={"sung": 0.5, "rock_guitar": 0.35, "none": 0.2},
        progressions={"I5 bVII5 IV5 I5": 2, "I IV V IV": 2, "I V vi IV": 1, "i5 bVI5 bVII5 i5": 1, "I7 IV7 I7 V7": 0.7},
        kit={"rock": 0.8, "metal": 0.2}, mix=_MIX,
        drive=(4.0, 18.0), reverb=(0.1, 0.3), room=(0.8, 1.6), dynamics=(2, 5), compression=(2.5, 5.0),
        loudness=(-13, 2.5), era=0.3, hiss=(-58, -42), crackle=0.0, jitter=0.006, fill=0.45,
        neighbours={"metal": 0.1, "pop": 0.05, "blues": 0.04},
    ),
}

# The categorical choices an artist holds preferences over (GenreStyle field names).
_CHOICES = ("drums", "bass", "comp", "comp_timbre", "pad", "bass_timbre", "lead", "progressions", "kit")
# The choices a crossover clip takes from a neighbouring genre (the instruments stay its own).
_ARRANGEMENT = ("drums", "bass", "comp", "lead", "progressions")
# How strongly an artist's preferences follow the genre's (Dirichlet concentration: lower = quirkier artists).
_ARTIST_CONCENTRATION = 20.0
# Exponent on the genre weights: above 1 favours each genre's main choices, making genres more separable.
_STYLE_SHARPNESS = 2.0


def genre_style(genre: str) -> GenreStyle:
    """The distributions of one of :data:`GTZAN_GENRES`.

    Raises
    ------
    ConfigError
        If ``genre`` is not one of the ten.
    """
    try:
        return _GENRES[genre]
    except KeyError:
        raise ConfigError(f"unknown synthetic genre {genre!r}; expected one of {', '.join(GTZAN_GENRES)}") from None


# --------------------------------------------------------------------------------------------
# Artists and clips
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArtistStyle:
    """Parameters one synthetic artist shares across its clips: their sound, key, tempo and mix.

    Drawn by :func:`draw_artist`. ``preferences`` maps each categorical choice (drum pattern, bass
    line, instruments, progressions, ...) to the artist's own weights, a perturbation of the genre's.
    The continuous values are centres: each clip blends them with a fresh draw from the genre, so an
    artist is recognisable without being a genre of its own.
    """

    genre: str
    name: str
    key: int  # tonic pitch class, 0 = C
    tempo: float  # bpm
    swing: float  # swing ratio, 1 = straight, 2 = triplet shuffle
    preferences: dict[str, dict[str, float]]
    tilt: float  # added to every instrument's spectral tilt (negative = brighter)
    formant_shift: float  # scales instrument resonances
    voice: float  # scales the singer's vowel formants (about 1 for a low voice, 1.17 for a high one)
    kit: tuple[float, ...]  # see _KITS
    mix: dict[str, float]  # bus levels, dB
    drive: float
    reverb: float
    room: float
    dynamics: float  # dB
    compression: float  # ratio
    loudness: float  # dBFS
    era: float  # probability that a clip sounds like an old recording
    crackle: float  # probability that a clip has vinyl crackle
    comp_lowpass: float  # Hz, 0 = off


def artist_name(genre: str, index: int) -> str:
    """'Synth Blues Artist 03' for the blues artist with index 2."""
    return f"Synth {genre.capitalize()} Artist {index + 1:02d}"


def draw_artist(genre: str, *, seed: int | np.random.SeedSequence | np.random.Generator, index: int = 0) -> ArtistStyle:
    """Draw one artist of ``genre``: preferences, key, tempo centre, timbre offsets, kit and production.

    Parameters
    ----------
    genre : str
        One of :data:`GTZAN_GENRES`.
    seed : int, SeedSequence or Generator
        Source of randomness; the same seed gives the same artist.
    index : int
        Only names the artist (``artist_name(genre, index)``).

    Returns
    -------
    ArtistStyle
    """
    style = genre_style(genre)
    rng = _rng(seed)
    prefs = {}
    for choice in _CHOICES:
        weights = getattr(style, choice)
        names = list(weights)
        probs = np.array([weights[n] for n in names], dtype=float) ** _STYLE_SHARPNESS
        probs = probs / probs.sum()
        drawn = rng.dirichlet(_ARTIST_CONCENTRATION * probs * len(probs) + 0.05)
        prefs[choice] = dict(zip(names, drawn.tolist()))
    tempo = max(55.0, style.tempo[0] + rng.normal(0.0, 0.5 * style.tempo[1]))
    p_swing, swing_mean, swing_sd = style.swing
    swing = float(np.clip(rng.normal(swing_mean, swing_sd), 1.0, 2.6)) if rng.random() < p_swing else 1.0
    kit = tuple(float(v * rng.uniform(0.88, 1.12)) for v in _KITS[_pick(rng, prefs["kit"])])
    # mostly-old or mostly-modern recordings, never exclusively
    era = 0.5 * style.era + (0.45 if rng.random() < style.era else 0.0)
    return ArtistStyle(
        genre=genre,
        name=artist_name(genre, index),
        key=int(rng.integers(12)),
        tempo=float(tempo),
        swing=swing,
        preferences=prefs,
        tilt=float(rng.normal(0.0, 0.15)),
        formant_shift=float(np.exp(rng.normal(0.0, 0.06))),
        voice=float((1.17 if rng.random() < 0.5 else 1.0) * np.exp(rng.normal(0.0, 0.03))),
        kit=kit,
        mix={bus: level + float(rng.normal(0.0, 1.5)) for bus, level in style.mix.items()},
        drive=float(rng.uniform(*style.drive)),
        reverb=float(rng.uniform(*style.reverb)),
        room=float(rng.uniform(*style.room)),
        dynamics=float(rng.uniform(*style.dynamics)),
        compression=float(rng.uniform(*style.compression)),
        loudness=float(rng.normal(*style.loudness)),
        era=era,
        crackle=float(min(1.0, style.crackle * rng.uniform(0.5, 1.5))),
        comp_lowpass=float(rng.uniform(*style.comp_lowpass)),
    )


@dataclass(frozen=True)
class _Clip:
    """Everything one clip's rendering needs besides note-level randomness."""

    genre: str
    artist: ArtistStyle
    key: int
    tempo: float
    swing: float
    steps_per_bar: int
    progression: str
    drums: str
    bass: str
    comp: str
    comp_timbre: str
    pad: str
    bass_timbre: str
    lead: str
    tilt: float
    kit: tuple[float, ...]
    mix: dict[str, float]
    drive: float
    reverb: float
    room: float
    dynamics: float
    compression: float
    loudness: float
    bandwidth: float  # Hz, recording low-pass
    highpass: float  # Hz
    hiss: float  # dB relative to the music
    crackle: float  # clicks per second
    hum: float  # mains hum, dB relative to the music (-120 = none)
    hum_hz: float  # 50 or 60
    comp_lowpass: float
    crossover: str | None = None  # the neighbouring genre whose arrangement the clip plays, if any

    @property
    def minor(self) -> bool:
        return _progression_is_minor(self.progression)

    @property
    def title(self) -> str:
        mode = "minor" if self.minor else "major"
        return f"{self.genre.capitalize()} in {_NOTE_NAMES[self.key]} {mode}, {self.tempo:.0f} bpm"


# How much of a clip's sound is its artist's (the rest is drawn afresh from the genre).
_ARTIST_SHARE = 0.3


def _draw_clip(genre: str, artist: ArtistStyle, rng: np.random.Generator) -> _Clip:
    style = genre_style(genre)
    prefs = artist.preferences
    crossover = None
    if style.neighbours and rng.random() < sum(style.neighbours.values()):
        crossover = _pick(rng, style.neighbours)
        prefs = {**prefs, **_genre_preferences(crossover, _ARRANGEMENT)}

    def blend(centre: float, fresh: float) -> float:
        return float(_ARTIST_SHARE * centre + (1.0 - _ARTIST_SHARE) * fresh)

    # An artist mostly keeps its key but moves it now and then, like songs on an album.
    key = artist.key if rng.random() < 0.5 else (artist.key + int(rng.choice([-5, -2, 2, 5, 7]))) % 12
    tempo = float(np.clip(rng.normal(artist.tempo, 0.6 * style.tempo[1]), 50.0, 230.0))
    swing = float(np.clip(artist.swing + rng.normal(0.0, 0.08), 1.0, 2.6)) if artist.swing > 1.0 else 1.0
    choices = {choice: _pick(rng, prefs[choice]) for choice in _CHOICES if choice != "kit"}
    old = rng.random() < artist.era
    return _Clip(
        genre=genre,
        artist=artist,
        key=key,
        tempo=tempo,
        swing=swing,
        steps_per_bar=12 if rng.random() < style.meter3 else 16,
        progression=choices["progressions"],
        drums=choices["drums"],
        bass=choices["bass"],
        comp=choices["comp"],
        comp_timbre=choices["comp_timbre"],
        pad=choices["pad"],
        bass_timbre=choices["bass_timbre"],
        lead=choices["lead"],
        tilt=artist.tilt + float(rng.normal(0.0, 0.15)),
        kit=tuple(float(v * rng.uniform(0.93, 1.07)) for v in artist.kit),
        mix={bus: level + float(rng.normal(0.0, 1.5)) for bus, level in artist.mix.items()},
        drive=blend(artist.drive, rng.uniform(*style.drive)),
        reverb=blend(artist.reverb, rng.uniform(*style.reverb)),
        room=blend(artist.room, rng.uniform(*style.room)),
        dynamics=blend(artist.dynamics, rng.uniform(*style.dynamics)),
        compression=blend(artist.compression, rng.uniform(*style.compression)),
        loudness=blend(artist.loudness, rng.normal(*style.loudness)),
        bandwidth=float(rng.uniform(4500, 8000) if old else rng.uniform(8500, 11000)),
        highpass=float(rng.uniform(70, 150) if old else rng.uniform(20, 50)),
        hiss=float(rng.uniform(*style.hiss) + (4.0 if old else 0.0)),
        crackle=float(rng.uniform(5, 40) if (old and rng.random() < 0.6) or rng.random() < artist.crackle else 0.0),
        hum=float(rng.uniform(-45, -30) if old and rng.random() < 0.3 else -120.0),
        hum_hz=float(rng.choice([50.0, 60.0])),
        comp_lowpass=blend(artist.comp_lowpass, rng.uniform(*style.comp_lowpass)),
        crossover=crossover,
    )


def _genre_preferences(genre: str, choices: tuple[str, ...]) -> dict[str, dict[str, float]]:
    style = genre_style(genre)
    return {choice: {k: v ** _STYLE_SHARPNESS for k, v in getattr(style, choice).items()} for choice in choices}


def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    names = list(weights)
    p = np.array([weights[n] for n in names], dtype=float)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed}")
    if not isinstance(seed, (int, np.integer, np.random.SeedSequence, np.random.Generator)) or isinstance(seed, bool):
        raise ConfigError(f"seed must be an int, SeedSequence or Generator, got {type(seed).__name__}")
    return np.random.default_rng(seed)


# --------------------------------------------------------------------------------------------
# Rendering: timeline
# --------------------------------------------------------------------------------------------


class _Note(NamedTuple):
    time: float  # s
    dur: float  # s, sounding length before the release
    midi: int
    vel: float
    glide: float = 0.0  # semitones below the pitch the note slides up from
    vowel: int = -1  # voices only


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


# --------------------------------------------------------------------------------------------
# Rendering: oscillators and instruments
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Rendering: drums
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Rendering: harmony, bass and melody
# --------------------------------------------------------------------------------------------


def _voicing(chord: _Chord, centre: int, kind: str, prev_mean: float | None) -> list[int]:
    ivs = _CHORDS[chord.quality]
    if kind == "power":
        low = centre - 12 + ((chord.root - (centre - 12)) % 12)
        return [low, low + 7, low + 12]
    if kind == "rootless" and len(ivs) >= 4:
        ivs = ivs[1:]
    pcs = [(chord.root + i) % 12 for i in ivs]
    best, best_cost = None, None
    target = centre if prev_mean is None else 0.5 * (centre + prev_mean)
    for inv in range(len(pcs)):
        order = pcs[inv:] + pcs[:inv]
        base = centre - 6 + ((order[0] - (centre - 6)) % 12)
        notes = [base]
        for pc in order[1:]:
            notes.append(notes[-1] + ((pc - notes[-1]) % 12 or 12))
        cost = abs(float(np.mean(notes)) - target)
        if best_cost is None or cost < best_cost:
            best, best_cost = notes, cost
    return best


def _comp_notes(song: _Song, style_name: str, centre: int, loop_seed: int) -> list[_Note]:
    style = _COMPS[style_name]
    rng, spb = song.rng, song.steps_per_bar
    choice = int(rng.integers(64))
    loop = None
    if style_name == "loop":
        # A two-bar sample chop, fixed for the clip, as a producer would loop it.
        lrng = np.random.default_rng(loop_seed)
        loop = []
        for _ in range(2):
            cells = ["x---", "x-x-", "x.x.", "x---", "..x-", "x--x"]
            loop.append("".join(cells[int(lrng.integers(len(cells)))] for _ in range(4)))
    notes, prev_mean = [], None
    for bar in range(song.n_bars):
        base = bar * spb
        if loop is not None:
            pattern = loop[bar % 2]
        elif style_name == "jazz_comp":
            pattern = ["."] * 16
            for step in rng.choice([0, 2, 4, 6, 10, 12, 14, 3, 7], size=int(rng.integers(1, 4)), replace=False):
                length = int(rng.integers(1, 4))
                pattern[step] = "x"
                for j in range(1, length):
                    if step + j < 16 and pattern[step + j] == ".":
                        pattern[step + j] = "-"
            pattern = "".join(pattern)
        else:
            pattern = _bar_pattern(style.patterns, choice, bar)
        arp_i = 0
        for step, length, sym in _hits(pattern, spb):
            s = base + step
            chord = song.chord_at(s)
            voicing = _voicing(chord, centre, "chord" if style.voicing in ("arp", "dyad56") else style.voicing, prev_mean)
            prev_mean = float(np.mean(voicing))
            dur = min(song.span(s, length) * style.gate, style.gate_max)
            vel = _VELOCITY.get(sym, 0.75)
            t = song.human(s)
            if style.voicing == "arp":
                order = [0, 2, 1, 2] if len(voicing) == 3 else [0, 1, 2, 3]
                pitch = voicing[order[arp_i % len(order)] % len(voicing)]
                arp_i += 1
                notes.append(_Note(t, dur, pitch, vel * 0.8))
            elif style.voicing == "dyad56":
                root = voicing[0] - ((voicing[0] - chord.root) % 12)
                root = root if root >= centre - 14 else root + 12
                top = root + (7 if (step // 4) % 2 == 0 else 9)
                notes += [_Note(t, dur, root, vel * 0.6), _Note(t, dur, top, vel * 0.6)]
            else:
                # strummed: a few milliseconds between strings
                gain = vel / math.sqrt(len(voicing))
                for j, pitch in enumerate(voicing):
                    notes.append(_Note(t + j * 0.006, dur, pitch, gain))
    return notes


def _chord_degree(chord: _Chord, symbol: str) -> int:
    ivs = _CHORDS[chord.quality]
    third = next((i for i in ivs if i in (3, 4)), 7 if chord.quality == "5" else 4)
    fifth = next((i for i in ivs if i in (6, 7)), 7)
    seventh = next((i for i in ivs if i in (10, 11)), 10)
    return {"1": 0, "2": 2, "3": third, "4": 5, "5": fifth, "6": 9, "7": seventh, "8": 12}[symbol]


def _bass_notes(song: _Song, style_name: str, low: int, kick_steps: list[int]) -> list[_Note]:
    patterns, gate = _BASS[style_name]
    rng, spb = song.rng, song.steps_per_bar
    choice = int(rng.integers(64))
    notes = []

    def root_note(chord: _Chord) -> int:
        return low + ((chord.root - low) % 12)

    if style_name == "walking":
        prev = None
        for beat in range(song.n_bars * spb // 4):
            s = beat * 4
            chord = song.chord_at(s)
            nxt = song.chord_at(s + 4)
            root = root_note(chord)
            if s == chord.start:
                pitch = root
            elif nxt.start == s + 4:  # approach the next chord from a semitone or a step away
                pitch = root_note(nxt) + int(rng.choice([-1, 1, -2, 2]))
            else:
                pitch = root + _chord_degree(chord, str(rng.choice(["3", "5", "6", "8"])))
            if prev is not None and abs(pitch - prev) > 7:
                pitch += -12 if pitch > prev else 12
            pitch = int(np.clip(pitch, low - 2, low + 19))
            notes.append(_Note(song.human(s), song.span(s, 4) * gate, pitch, 0.85))
            prev = pitch
        return notes
    if style_name == "kick":
        steps = sorted(set(kick_steps)) or list(range(0, song.n_bars * spb, 8))
        for i, s in enumerate(steps):
            length = (steps[i + 1] - s) if i + 1 < len(steps) else 4
            chord = song.chord_at(s)
            glide = 2.0 if rng.random() < 0.15 else 0.0
            notes.append(_Note(song.human(s), song.span(s, min(length, 8)) * gate, root_note(chord), 0.9, glide))
        return notes
    for bar in range(song.n_bars):
        pattern = _bar_pattern(patterns, choice, bar)
        for step, length, sym in _hits(pattern, spb):
            s = bar * spb + step
            chord = song.chord_at(s)
            pitch = root_note(chord) + _chord_degree(chord, sym)
            notes.append(_Note(song.human(s), song.span(s, length) * gate, pitch, 0.85))
    return notes


def _lead_notes(song: _Song, style: _LeadStyle) -> list[_Note]:
    rng, spb = song.rng, song.steps_per_bar
    scale_name = style.scale if style.scale != "mode" else ("minor" if song.minor else "major")
    scale = {(song.key + pc) % 12 for pc in _SCALES[scale_name]}
    lo, hi = style.register
    pitches = [p for p in range(lo, hi + 1) if p % 12 in scale]
    voiced = style.timbre in ("voice", "rap_voice")
    notes = []
    idx = len(pitches) // 2
    total = song.n_bars * spb
    for phrase_start in range(0, total, style.phrase_bars * spb):
        if rng.random() > style.density:
            continue
        phrase_end = min(total, phrase_start + style.phrase_bars * spb - (2 if rng.random() < 0.5 else 0))
        s = phrase_start
        if style.timbre == "rap_voice":
            base_pitch = int(rng.integers(lo, hi + 1))
        while s < phrase_end:
            cell = style.cells[int(rng.integers(len(style.cells)))]
            for length in cell:
                if s >= phrase_end:
                    break
                length = min(length, phrase_end - s)
                if rng.random() < style.rest:
                    s += length
                    continue
                if style.timbre == "rap_voice":
                    # speech: a wandering spoken pitch that falls within each syllable
                    pitch = base_pitch + int(rng.integers(-2, 3))
                    notes.append(_Note(song.human(s), song.span(s, length) * style.gate, pitch,
                                       float(rng.uniform(0.6, 1.0)), -1.5, int(rng.integers(len(_VOWELS)))))
                    s += length
                    continue
                strong = (s % 4) == 0
                chord = song.chord_at(s)
                if strong and rng.random() < 0.6:
                    tones = {(chord.root + i) % 12 for i in _CHORDS[chord.quality]}
                    near = [i for i, p in enumerate(pitches) if p % 12 in tones]
                    if near:
                        idx = min(near, key=lambda i: abs(i - idx))
                else:
                    step = int(rng.choice([-2, -1, -1, 1, 1, 2, -3, 3], p=[0.1, 0.25, 0.0, 0.25, 0.0, 0.1, 0.15, 0.15]))
                    idx = int(np.clip(idx + step, 0, len(pitches) - 1))
                pitch = pitches[idx]
                if not strong and rng.random() < style.chromatic:
                    pitch += int(rng.choice([-1, 1]))
                glide = float(rng.choice([1.0, 2.0])) if rng.random() < style.bend else 0.0
                vowel = int(rng.integers(len(_VOWELS))) if voiced else -1
                notes.append(_Note(song.human(s), song.span(s, length) * style.gate, pitch,
                                   float(rng.uniform(0.75, 1.0)), glide, vowel))
                s += length
    return notes


def _consonants(song: _Song, notes: list[_Note], probability: float) -> np.ndarray:
    """Short noise bursts at syllable onsets: the consonants of a voice part."""
    sr, rng = song.sr, song.rng
    out = np.zeros(song.n, dtype=np.float32)
    bursts = [
        _filter(rng.standard_normal(int(0.04 * sr)).astype(np.float32), "highpass", 3000 + 1500 * i, sr)
        * np.exp(-np.arange(int(0.04 * sr)) / (0.008 * sr)).astype(np.float32)
        for i in range(3)
    ]
    for note in notes:
        if rng.random() < probability:
            _add(out, bursts[int(rng.integers(3))], int((note.time - 0.015) * sr), 0.5 * note.vel)
    return out


# --------------------------------------------------------------------------------------------
# Rendering: mixing and production
# --------------------------------------------------------------------------------------------


def _level(y: np.ndarray, hop: int = 1024) -> float:
    """A loudness reference that ignores rests: the 90th percentile of frame RMS."""
    n = len(y) // hop * hop
    if n == 0:
        return float(np.sqrt(np.mean(y ** 2))) if len(y) else 0.0
    frames = np.sqrt(np.mean(y[:n].reshape(-1, hop) ** 2, axis=1))
    return float(np.percentile(frames, 90))


def _normalise(y: np.ndarray, db: float) -> np.ndarray:
    ref = _level(y)
    return y * (10 ** (db / 20) / ref) if ref > 1e-9 else y


def _distort(y: np.ndarray, drive: float, sr: int) -> np.ndarray:
    if drive <= 0:
        return y
    y = _normalise(y, -14.0)
    y = np.tanh(drive * y) / math.tanh(drive * 0.5)
    # a guitar cabinet: no deep lows, no fizz above a few kHz
    return _filter(_filter(y, "lowpass", 5000, sr, 2), "highpass", 90, sr, 1)


def _reverb(y: np.ndarray, rng: np.random.Generator, sr: int, wet: float, room: float) -> np.ndarray:
    if wet <= 0:
        return y
    n_ir = int(min(room, 2.0) * sr)
    t = np.arange(n_ir) / sr
    ir = rng.standard_normal(n_ir) * np.exp(-6.9 * t / room)
    ir = _filter(ir.astype(np.float32), "lowpass", 5000, sr, 1)
    ir[: int(0.01 * sr)] = 0.0  # pre-delay
    ir /= np.sqrt(np.sum(ir ** 2)) + 1e-9
    tail = signal.oaconvolve(y, ir)[: len(y)].astype(np.float32)
    return y + wet * tail


def _dynamics(y: np.ndarray, rng: np.random.Generator, sr: int, range_db: float, period: float) -> np.ndarray:
    """Slow level swings (crescendi, quiet passages) spanning about ``range_db``."""
    if range_db <= 0:
        return y
    points = rng.uniform(-0.5, 0.5, int(len(y) / (period * sr)) + 3) * range_db
    curve = np.interp(np.arange(len(y)) / (period * sr), np.arange(len(points)), points)
    return y * (10 ** (curve / 20)).astype(np.float32)


def _compress(y: np.ndarray, ratio: float, sr: int) -> np.ndarray:
    """A feed-forward compressor on 256-sample frames: levels above the clip's median are reduced."""
    if ratio <= 1.0:
        return y
    hop = 256
    n = -(-len(y) // hop) * hop
    frames = np.pad(y, (0, n - len(y))).reshape(-1, hop)
    level = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-10)
    a = math.exp(-hop / (0.05 * sr))
    level = signal.lfilter([1 - a], [1, -a], level, zi=[level[0] * a])[0]
    threshold = float(np.median(level))
    gain_db = np.where(level > threshold, (threshold - level) * (1 - 1 / ratio), 0.0)
    gain = np.interp(np.arange(len(y)), np.arange(len(gain_db)) * hop + hop / 2, 10 ** (gain_db / 20))
    return y * gain.astype(np.float32)


# --------------------------------------------------------------------------------------------
# Rendering: one clip
# --------------------------------------------------------------------------------------------


def render_clip(
    genre: str,
    *,
    seconds: float,
    sr: int = DEFAULT_SR,
    seed: int | np.random.SeedSequence | np.random.Generator,
    artist: ArtistStyle | None = None,
) -> np.ndarray:
    """Render one clip of synthetic ``genre``.

    Parameters
    ----------
    genre : str
        One of :data:`GTZAN_GENRES`.
    seconds : float
        Duration in seconds (> 0). Any length: the song loops its progression and sections.
    sr : int
        Sample rate in Hz (at least 8,000).
    seed : int, SeedSequence or Generator
        All randomness of the clip; the same seed (and artist) gives the same samples.
    artist : ArtistStyle or None
        The artist whose style the clip follows (see :func:`draw_artist`); None draws a new one
        from ``seed``.

    Returns
    -------
    y : np.ndarray [shape=(round(seconds * sr),), dtype=float32]
        Mono samples in [-1, 1].

    Raises
    ------
    ConfigError
        Unknown genre, an artist of another genre, non-positive ``seconds``, too low ``sr`` or a
        negative seed.
    """
    style = genre_style(genre)
    if not seconds or seconds <= 0 or not math.isfinite(seconds):
        raise ConfigError(f"seconds must be a positive number, got {seconds}")
    if int(sr) < 8000:
        raise ConfigError(f"sample rate must be at least 8000 Hz, got {sr}")
    sr = int(sr)
    rng = _rng(seed)
    if artist is None:
        artist = draw_artist(genre, seed=rng, index=0)
    elif artist.genre != genre:
        raise ConfigError(f"artist {artist.name!r} plays {artist.genre}, not {genre}")
    clip = _draw_clip(genre, artist, rng)
    return _render(clip, style, seconds, sr, rng)


def _render(clip: _Clip, style: GenreStyle, seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    artist = clip.artist
    spb = clip.steps_per_bar
    bar_seconds = 60.0 / clip.tempo * spb / 4
    # The clip starts anywhere in a bar, at least a second in, so notes and reverb are already sounding.
    start = min(1.0, bar_seconds) + bar_seconds * rng.random()
    n_out = round(seconds * sr)
    n_bars = math.ceil((start + seconds) / bar_seconds * 1.35) + 2
    times = _step_times(rng, n_bars=n_bars, steps_per_bar=spb, tempo=clip.tempo, swing=clip.swing,
                        swing_unit=style.swing_unit, drift=style.drift)
    n = int((start + seconds + 0.1) * sr) + 1
    song = _Song(sr=sr, n=n, steps_per_bar=spb, n_bars=n_bars, times=times,
                 chords=_chord_timeline(clip.progression, clip.key, n_bars, spb),
                 key=clip.key, minor=clip.minor, jitter=style.jitter, rng=rng)
    buses = {}

    # drums
    hits = _drum_hits(song, clip.drums, style.fill)
    if hits:
        kit = _drum_kit(rng, sr, clip.kit, {lane for _, lane, _ in hits})
        drums = np.zeros(n, dtype=np.float32)
        for t, lane, vel in hits:
            variants = kit[lane]
            _add(drums, variants[int(rng.integers(len(variants)))], int(t * sr), vel)
        buses["drums"] = drums
    kick_steps = [int(np.searchsorted(times, t - 0.03)) for t, lane, _ in hits if lane == "kick"]

    # bass
    bass_tim = _timbre(clip.bass_timbre, clip.tilt)
    low = _BASS_REGISTER.get(clip.bass_timbre, 33)
    bass = _Instrument(bass_tim, sr).render(_bass_notes(song, clip.bass, low, kick_steps), n)
    buses["bass"] = _filter(bass, "lowpass", 1500, sr, 2) if clip.bass_timbre != "cello" else bass

    # harmony: comping instrument and sustained pad
    centre = _COMP_REGISTER.get(clip.comp_timbre, 62)
    comp_notes = _comp_notes(song, clip.comp, centre, loop_seed=int(rng.integers(2 ** 31)))
    comp = _Instrument(_timbre(clip.comp_timbre, clip.tilt), sr, shift=artist.formant_shift).render(comp_notes, n)
    if clip.comp_timbre == "dist_gtr":
        comp = _distort(comp, max(clip.drive, 2.0), sr)
    if clip.comp_lowpass > 0:
        comp = _filter(comp, "lowpass", clip.comp_lowpass, sr, 2)
    buses["comp"] = comp
    if clip.pad != "none":
        pad_notes = _comp_notes(song, "whole", 64 if clip.pad != "organ" else 60, loop_seed=0)
        buses["pad"] = _Instrument(_timbre(clip.pad, clip.tilt), sr).render(pad_notes, n)

    # melody
    lead_style = _LEADS[clip.lead]
    if lead_style is not None:
        lead_notes = _lead_notes(song, lead_style)
        shift = artist.voice if lead_style.timbre in ("voice", "rap_voice") else artist.formant_shift
        lead = _Instrument(_timbre(lead_style.timbre, clip.tilt), sr, shift=shift).render(lead_notes, n)
        if lead_style.timbre in ("voice", "rap_voice"):
            consonants = _consonants(song, lead_notes, 0.8 if lead_style.timbre == "rap_voice" else 0.3)
            lead += _normalise(consonants, 20 * math.log10(_level(lead) + 1e-9) - 8)
        drive = _DISTORTED_LEADS.get(clip.lead, 0.0) * clip.drive
        if drive > 0.5:
            lead = _distort(lead, drive, sr)
        buses["lead"] = lead

    # mix
    mix = np.zeros(n, dtype=np.float32)
    for name, bus in buses.items():
        mix += _normalise(bus, clip.mix[name])
    mix = _reverb(mix, rng, sr, clip.reverb, clip.room)
    mix = _dynamics(mix, rng, sr, clip.dynamics, period=2 * bar_seconds)
    mix = _compress(mix, clip.compression, sr)

    # recording: noise floor, bandwidth, loudness
    ref = _level(mix) + 1e-9
    mix += rng.standard_normal(n).astype(np.float32) * ref * 10 ** (clip.hiss / 20)
    if clip.hum > -100:
        t = np.arange(n) / sr
        hum = sum(np.sin(2 * np.pi * clip.hum_hz * h * t) / h for h in (1, 2, 3))
        mix += (hum * ref * 10 ** (clip.hum / 20)).astype(np.float32)
    if clip.bandwidth < 0.45 * sr:
        mix = _filter(mix, "lowpass", clip.bandwidth, sr, 4)
    mix = _filter(mix, "highpass", clip.highpass, sr, 2)
    if clip.crackle > 0:
        count = int(clip.crackle * n / sr)
        clicks = np.zeros(n, dtype=np.float32)
        clicks[rng.integers(0, n, count)] = (rng.exponential(1.0, count) * rng.choice([-1, 1], count)).astype(np.float32)
        mix += _filter(clicks, "highpass", 1500, sr, 2) * ref * 0.25

    y = mix[int(start * sr): int(start * sr) + n_out]
    rms = float(np.sqrt(np.mean(y ** 2))) if len(y) else 0.0
    if rms > 1e-9:
        y = y * (10 ** (clip.loudness / 20) / rms)
    # a soft limiter: loud genres are pushed into it, as mastered records are
    peak = float(np.max(np.abs(y))) if len(y) else 0.0
    if peak > 0.9:
        y = np.where(np.abs(y) > 0.9, np.sign(y) * (0.9 + 0.09 * np.tanh((np.abs(y) - 0.9) / 0.09)), y)
    out = np.zeros(n_out, dtype=np.float32)
    out[: len(y)] = y
    return np.clip(out, -1.0, 1.0)


def _timbre(name: str, tilt: float) -> Timbre:
    tim = _TIMBRES[name]
    if tim.amps:
        return tim
    return replace(tim, tilt=max(0.3, tim.tilt + tilt))


# --------------------------------------------------------------------------------------------
# The data set
# --------------------------------------------------------------------------------------------


def default_synthetic_root(*, clips_per_genre: int, seconds: float, seed: int) -> Path:
    """Where :func:`ensure_synthetic` keeps a set: ``synthetic_dir()/seed{seed}-{clips}x{seconds:g}s``."""
    return paths.synthetic_dir() / f"seed{seed}-{clips_per_genre}x{seconds:g}s"


def clip_path(root: str | Path, genre: str, index: int) -> Path:
    """``<root>/genres_original/<genre>/<genre>.000NN.wav``, GTZAN's own naming."""
    return Path(root) / _AUDIO_FOLDER / genre / f"{genre}.{index:05d}.wav"


def artists_per_genre(clips_per_genre: int) -> int:
    """How many artists share a genre's clips: one per ten clips, at least three (never more than clips).

    Three is the least that lets an artist-grouped split put every genre in train, validation
    and test (version 2 had two below 30 clips per genre, and small sets lost a side per genre).
    """
    return max(1, min(clips_per_genre, max(3, clips_per_genre // 10)))


def clip_artist_index(clip_index: int, clips_per_genre: int) -> int:
    """The artist of a clip: artists own contiguous runs of clips, as in GTZAN."""
    return clip_index * artists_per_genre(clips_per_genre) // clips_per_genre


def _artist_for(seed: int, genre: str, index: int) -> ArtistStyle:
    g = GTZAN_GENRES.index(genre)
    return draw_artist(genre, seed=np.random.SeedSequence(seed, spawn_key=(_ARTIST_STREAM, g, index)), index=index)


def _clip_seed(seed: int, genre: str, index: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=(_CLIP_STREAM, GTZAN_GENRES.index(genre), index))


def _clip_title(seed: int, genre: str, index: int, artist: ArtistStyle) -> str:
    return _draw_clip(genre, artist, np.random.default_rng(_clip_seed(seed, genre, index))).title


def _render_job(job: tuple) -> str:
    root, genre, index, seconds, sr, seed, artist = job
    y = render_clip(genre, seconds=seconds, sr=sr, seed=_clip_seed(seed, genre, index), artist=artist)
    path = clip_path(root, genre, index)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
    # write then rename: an interrupted run (or a concurrent one) never leaves a truncated clip behind
    write_audio(tmp, y, sr, format="WAV", subtype="PCM_16")
    os.replace(tmp, path)
    return str(path)


def generate_synthetic(
    out_dir: str | Path,
    *,
    clips_per_genre: int = 100,
    seconds: float = 30.0,
    sr: int = DEFAULT_SR,
    seed: int = 0,
    genres=GTZAN_GENRES,
    workers: int = 0,
    progress: bool = True,
) -> Path:
    """Generate the synthetic genre set in GTZAN's ``genres_original`` layout.

    Each clip's randomness comes from ``SeedSequence(seed, spawn_key=(0, genre index, clip index))``,
    so the files are byte-identical for a seed whatever the worker count. Re-running with the same
    request returns at once; an interrupted run resumes where it stopped.

    Parameters
    ----------
    out_dir : str or Path
        Dataset root; receives ``genres_original/<genre>/<genre>.000NN.wav`` (mono 16-bit PCM),
        ``artists.txt`` (Sturm's GTZAN index format) and ``synthetic.json`` (the manifest).
    clips_per_genre : int
        Clips per genre (GTZAN has 100).
    seconds : float
        Length of every clip in seconds (GTZAN's are about 30).
    sr : int
        Sample rate in Hz.
    seed : int
        Non-negative; different seeds give different sets.
    genres : sequence of str
        A subset of :data:`GTZAN_GENRES`; a genre's clips do not depend on which others are made.
    workers : int
        Processes to render with; 0 uses every CPU, 1 renders in this process.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    ConfigError
        Bad counts, lengths, rate, seed or genre names.
    DatasetError
        If ``out_dir`` already holds a ``genres_original`` folder that this generator did not write.
    """
    request = _request(clips_per_genre=clips_per_genre, seconds=seconds, sr=sr, seed=seed, genres=genres)
    if not isinstance(workers, int) or workers < 0:
        raise ConfigError(f"workers must be a non-negative integer, got {workers!r}")
    root = Path(out_dir)
    manifest_path = root / MANIFEST_NAME
    genres = request["genres"]
    old = _read_manifest(manifest_path)
    complete = old is not None and _same_request(old, request) and old.get("complete")
    if complete and (root / ARTIST_INDEX_NAME).is_file() and all(
        clip_path(root, g, i).is_file() for g in genres for i in range(clips_per_genre)
    ):
        return root
    if old is not None and not _same_request(old, request):
        _remove_clips(root, old)
    elif old is None and (root / _AUDIO_FOLDER).is_dir() and any((root / _AUDIO_FOLDER).rglob("*.wav")):
        raise DatasetError(
            f"{root / _AUDIO_FOLDER}: holds audio that the synthetic generator did not write "
            f"(no {MANIFEST_NAME}); refusing to overwrite it, choose another out_dir"
        )

    n_artists = artists_per_genre(clips_per_genre)
    artists = {g: [_artist_for(seed, g, a) for a in range(n_artists)] for g in genres}
    manifest = dict(request, artists={g: [a.name for a in artists[g]] for g in genres}, complete=False)
    root.mkdir(parents=True, exist_ok=True)
    for g in genres:
        (root / _AUDIO_FOLDER / g).mkdir(parents=True, exist_ok=True)
    _write_json(manifest_path, manifest)

    jobs = [
        (str(root), g, i, float(seconds), int(sr), int(seed), artists[g][clip_artist_index(i, clips_per_genre)])
        for g in genres
        for i in range(clips_per_genre)
        if not clip_path(root, g, i).is_file()
    ]
    _run_jobs(jobs, workers=workers or os.cpu_count() or 1, progress=progress)

    lines = [
        "## Synthetic genre set generated by genrekit.data.synth",
        f"## generator version {GENERATOR_VERSION}, seed {seed}, {clips_per_genre} clips x {seconds:g} s per genre",
        "## filename ::: artist ::: title (the format of Sturm's GTZAN index, 2012)",
        "##",
    ]
    for g in genres:
        for i in range(clips_per_genre):
            artist = artists[g][clip_artist_index(i, clips_per_genre)]
            lines.append(f"{g}.{i:05d}.wav ::: {artist.name} ::: {_clip_title(seed, g, i, artist)}")
    (root / ARTIST_INDEX_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    manifest["complete"] = True
    _write_json(manifest_path, manifest)
    return root


def _run_jobs(jobs: list[tuple], *, workers: int, progress: bool) -> None:
    from tqdm.auto import tqdm

    with tqdm(total=len(jobs), desc="synthetic genre set", unit="clip", disable=not progress) as bar:
        if workers <= 1 or len(jobs) <= 1:
            for job in jobs:
                _render_job(job)
                bar.update()
            return
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
            futures = [pool.submit(_render_job, job) for job in jobs]
            for future in as_completed(futures):
                future.result()
                bar.update()


def ensure_synthetic(
    *,
    clips_per_genre: int = 100,
    seconds: float = 30.0,
    seed: int = 0,
    sr: int = DEFAULT_SR,
    workers: int = 0,
    progress: bool = True,
) -> Path:
    """Generate the set at :func:`default_synthetic_root` unless it is already there; return its root."""
    root = default_synthetic_root(clips_per_genre=clips_per_genre, seconds=seconds, seed=seed)
    return generate_synthetic(root, clips_per_genre=clips_per_genre, seconds=seconds, sr=sr, seed=seed,
                              workers=workers, progress=progress)


def synthetic_crossovers(root: str | Path) -> dict[str, str | None]:
    """Which clips of a generated set are crossovers, and of which neighbouring genre.

    A crossover clip keeps its genre's (and artist's) instruments, tempo and production but plays a
    neighbouring genre's arrangement (drums, bass line, comping, melody, progression): the known
    "multi-genre" clips of the set. Nothing is stored for this: each clip's draw is repeated from
    the seed in the manifest (no audio is rendered), so it holds for sets made before it existed.

    Parameters
    ----------
    root : str or Path
        A folder written by :func:`generate_synthetic` (holds ``synthetic.json``).

    Returns
    -------
    dict of str -> str or None
        ``{track_id: neighbour genre or None}`` for every clip, ``track_id`` as the GTZAN loader
        names it (``'rock.00012'``).

    Raises
    ------
    DatasetError
        If the manifest is missing or unreadable, or was written by another generator version
        (the draws would not be the clips' own).
    """
    root = Path(root)
    manifest = _read_manifest(root / MANIFEST_NAME)
    if manifest is None:
        raise DatasetError(f"{root / MANIFEST_NAME}: not found; {root} is not a set made by generate_synthetic")
    if manifest.get("version") != GENERATOR_VERSION:
        raise DatasetError(
            f"{root / MANIFEST_NAME}: written by generator version {manifest.get('version')}, this is version "
            f"{GENERATOR_VERSION}; regenerate the set to know its crossovers"
        )
    seed, clips = int(manifest["seed"]), int(manifest["clips_per_genre"])
    out: dict[str, str | None] = {}
    for genre in manifest["genres"]:
        artists = [_artist_for(seed, genre, a) for a in range(artists_per_genre(clips))]
        for i in range(clips):
            clip = _draw_clip(genre, artists[clip_artist_index(i, clips)], np.random.default_rng(_clip_seed(seed, genre, i)))
            out[f"{genre}.{i:05d}"] = clip.crossover
    return out


def _request(*, clips_per_genre, seconds, sr, seed, genres) -> dict:
    if not isinstance(clips_per_genre, int) or isinstance(clips_per_genre, bool) or clips_per_genre < 1:
        raise ConfigError(f"clips_per_genre must be a positive integer, got {clips_per_genre!r}")
    if clips_per_genre > 99999:
        raise ConfigError(f"clips_per_genre must be below 100000 (5-digit file names), got {clips_per_genre}")
    if not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(f"seconds must be a positive number, got {seconds!r}")
    if not isinstance(sr, int) or sr < 8000:
        raise ConfigError(f"sr must be an integer of at least 8000 Hz, got {sr!r}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(genres, str):
        genres = [genres]
    genres = list(genres)
    unknown = [g for g in genres if g not in GTZAN_GENRES]
    if unknown or not genres or len(set(genres)) != len(genres):
        raise ConfigError(f"genres must be distinct names from {', '.join(GTZAN_GENRES)}; got {genres}")
    return {
        "generator": "genrekit.data.synth",
        "version": GENERATOR_VERSION,
        "genres": genres,
        "clips_per_genre": clips_per_genre,
        "seconds": float(seconds),
        "sr": sr,
        "seed": seed,
    }


_REQUEST_KEYS = ("generator", "version", "genres", "clips_per_genre", "seconds", "sr", "seed")


def _same_request(old: dict, new: dict) -> bool:
    return all(old.get(k) == new[k] for k in _REQUEST_KEYS)


def _read_manifest(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: unreadable synthetic-set manifest ({exc})") from None
    if not isinstance(data, dict) or data.get("generator") != "genrekit.data.synth":
        raise DatasetError(f"{path}: not a manifest written by genrekit.data.synth")
    return data


def _remove_clips(root: Path, old: dict) -> None:
    """Delete the clips an earlier, different request wrote (only files named as this generator names them)."""
    for genre in old.get("genres", []):
        if genre not in GTZAN_GENRES:
            continue
        for path in (root / _AUDIO_FOLDER / genre).glob(f"{genre}.[0-9][0-9][0-9][0-9][0-9].wav*"):
            path.unlink()
    (root / ARTIST_INDEX_NAME).unlink(missing_ok=True)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
