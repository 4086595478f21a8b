"""Rendering one clip: :func:`render_clip` draws the clip, lays out its timeline, renders drums,
bass, comping, pad and melody, mixes them (levels, reverb, dynamics, compression) and records the
result (noise floor, hum, bandwidth, crackle, loudness and a soft limiter)."""

from __future__ import annotations

import math

import numpy as np
from scipy import signal

from genrekit.data.audio import DEFAULT_SR
from genrekit.data.synth.arrangement import _bass_notes, _comp_notes, _lead_notes
from genrekit.data.synth.artists import ArtistStyle, _Clip, _draw_clip, _rng, draw_artist
from genrekit.data.synth.drums import _drum_hits, _drum_kit
from genrekit.data.synth.dsp import _add, _filter
from genrekit.data.synth.instruments import _BASS_REGISTER, _COMP_REGISTER, _Instrument, _Note, _timbre
from genrekit.data.synth.styles import _DISTORTED_LEADS, _LEADS, GenreStyle, genre_style
from genrekit.data.synth.timeline import _chord_timeline, _Song, _step_times
from genrekit.errors import ConfigError


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
# Mixing and production
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
# One clip
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
