"""Artists and clips: :func:`draw_artist` draws an artist's preferences, key, tempo and production
from a genre's style, and each clip blends its artist with a fresh draw from the genre (some clips
taking a neighbouring genre's arrangement: the crossovers)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genrekit.data.synth.styles import _KITS, genre_style
from genrekit.data.synth.vocabulary import _NOTE_NAMES, _progression_is_minor
from genrekit.errors import ConfigError

# The categorical choices an artist holds preferences over (GenreStyle field names).
_CHOICES = ("drums", "bass", "comp", "comp_timbre", "pad", "bass_timbre", "lead", "progressions", "kit")
# The choices a crossover clip takes from a neighbouring genre (the instruments stay its own).
_ARRANGEMENT = ("drums", "bass", "comp", "lead", "progressions")
# How strongly an artist's preferences follow the genre's (Dirichlet concentration: lower = quirkier artists).
_ARTIST_CONCENTRATION = 20.0
# Exponent on the genre weights: above 1 favours each genre's main choices, making genres more separable.
_STYLE_SHARPNESS = 2.0


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
