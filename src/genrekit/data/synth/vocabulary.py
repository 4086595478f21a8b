"""Musical vocabulary of the generator: note names, chord qualities, scales, and the Roman-numeral
progressions (``'ii7 V7 Imaj7'``) that the genre styles are written in, parsed into chords."""

from __future__ import annotations

from typing import NamedTuple

from genrekit.errors import ConfigError

_NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

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
