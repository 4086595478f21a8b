"""Reading, resampling, windowing and chunking audio.

One reader for every format libsndfile knows (wav, flac, ogg/vorbis, opus, mp3, Sun ``.au``,
aiff, ...), with resampling through soxr. Everything that can go wrong with a file becomes an
:class:`~genrekit.errors.AudioError` naming the file and the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from genrekit.errors import AudioError

#: File extensions genrekit treats as audio when it scans folders.
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".au", ".snd", ".aiff", ".aif")

#: Default sample rate of the hand-crafted features and spectrograms (GTZAN's own rate is 22,050 Hz).
DEFAULT_SR = 22050

#: A clip whose peak amplitude is below this is treated as silent (about -120 dBFS).
SILENCE_PEAK = 1e-6

# libsndfile crashes on some single large OGG/Vorbis writes; writing in blocks avoids it.
_WRITE_BLOCK = 1 << 16

# Frame counts at or above this are libsndfile's 'unknown length' marker (SF_COUNT_MAX), not real lengths.
_UNKNOWN_FRAMES = 1 << 62


@dataclass(frozen=True)
class AudioInfo:
    """What the file header says, without decoding the audio."""

    path: str
    samplerate: int
    channels: int
    frames: int
    format: str
    subtype: str

    @property
    def duration(self) -> float:
        """Duration in seconds."""
        return self.frames / self.samplerate if self.samplerate else 0.0


def is_audio_file(path: str | Path) -> bool:
    """True if ``path`` has one of :data:`AUDIO_EXTENSIONS` (case-insensitive) and is not hidden."""
    p = Path(path)
    return p.suffix.lower() in AUDIO_EXTENSIONS and not p.name.startswith(".")


def audio_info(path: str | Path) -> AudioInfo:
    """Read the header of an audio file.

    Raises
    ------
    AudioError
        If the file does not exist, cannot be parsed, or holds no samples.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioError(path, "file not found")
    if path.stat().st_size == 0:
        raise AudioError(path, "empty file (0 bytes)")
    try:
        info = sf.info(str(path))
    except Exception as exc:  # libsndfile raises RuntimeError/LibsndfileError/TypeError
        raise AudioError(path, f"unreadable: not a supported audio file or corrupt ({_short(exc)})") from None
    # libsndfile opens a .au/.snd file without the '.snd' magic as headerless 8 kHz mu-law, so any
    # garbage with that suffix "decodes" to noise; none of AUDIO_EXTENSIONS is legitimately raw.
    if info.format == "RAW":
        raise AudioError(path, "unreadable: no valid audio header (corrupt or not an audio file)")
    frames = int(info.frames)
    if frames <= 0 or info.samplerate <= 0:
        raise AudioError(path, "empty: the file holds no audio samples")
    # libsndfile reports SF_COUNT_MAX when a stream's length is unknown; reading "to the end"
    # would then try to allocate exabytes.
    if frames >= _UNKNOWN_FRAMES:
        raise AudioError(path, "unreadable: the header does not give the stream length")
    return AudioInfo(str(path), int(info.samplerate), int(info.channels), frames, info.format, info.subtype)


def load_audio(
    path: str | Path,
    *,
    sr: int | None = DEFAULT_SR,
    mono: bool = True,
    offset: float = 0.0,
    duration: float | None = None,
    middle: float | None = None,
    min_duration: float = 0.0,
    allow_silent: bool = False,
) -> np.ndarray:
    """Read an audio file as float32, mixed to mono and resampled.

    Parameters
    ----------
    path : str or Path
        Any format in :data:`AUDIO_EXTENSIONS`.
    sr : int or None
        Target sample rate in Hz; ``None`` keeps the file's rate (see :func:`audio_info`).
    mono : bool
        Average the channels. If False the result has shape ``(channels, samples)``.
    offset, duration : float
        Window in seconds: start ``offset`` s into the file and read ``duration`` s (all if None).
    middle : float or None
        Read the middle ``middle`` seconds instead (the whole file if it is shorter).
        Mutually exclusive with ``offset``/``duration``.
    min_duration : float
        Raise if fewer than this many seconds were read.
    allow_silent : bool
        Accept all-zero (digitally silent) audio instead of raising.

    Returns
    -------
    y : np.ndarray [shape=(n,) or (channels, n), dtype=float32]
        Samples in [-1, 1].

    Raises
    ------
    AudioError
        Naming the file and why it is unusable: not found, unreadable, empty, too short or silent.
    """
    info = audio_info(path)
    native = info.samplerate
    if middle is not None:
        if offset or duration is not None:
            raise ValueError("pass either middle= or offset=/duration=, not both")
        if middle <= 0:
            raise ValueError(f"middle must be positive, got {middle}")
        want = min(int(round(middle * native)), info.frames)
        start = (info.frames - want) // 2
        stop = start + want
    else:
        if offset < 0:
            raise ValueError(f"offset must be >= 0, got {offset}")
        start = int(round(offset * native))
        if start >= info.frames:
            raise AudioError(path, f"offset {offset:.2f} s is past the end of the file ({info.duration:.2f} s)")
        stop = info.frames if duration is None else min(info.frames, start + int(round(duration * native)))
    try:
        y = sf.read(str(path), start=start, stop=stop, dtype="float32", always_2d=True)[0]
    except Exception as exc:
        raise AudioError(path, f"could not decode audio ({_short(exc)})") from None
    return _finish(y.T, native, path=path, sr=sr, mono=mono, min_duration=min_duration, allow_silent=allow_silent)


def prepare_array(
    y: np.ndarray,
    sr_in: int,
    *,
    sr: int | None = DEFAULT_SR,
    mono: bool = True,
    min_duration: float = 0.0,
    allow_silent: bool = False,
    name: str | None = None,
) -> np.ndarray:
    """Apply :func:`load_audio`'s checks, mixing and resampling to an in-memory signal.

    ``y`` is ``(n,)``, ``(channels, n)`` or ``(n, channels)`` (the shorter axis is taken as channels,
    as soundfile and Gradio return ``(n, channels)``). Integer PCM is scaled to [-1, 1].
    """
    y = np.asarray(y)
    if np.issubdtype(y.dtype, np.unsignedinteger):
        # unsigned PCM (8-bit WAV) is centred on mid-scale, not on zero
        half = float(np.iinfo(y.dtype).max // 2 + 1)
        y = (y.astype(np.float64) - half) / half
    elif np.issubdtype(y.dtype, np.integer):
        # full-scale negative is -2**(bits-1); dividing by max would give values below -1
        y = y.astype(np.float64) / -float(np.iinfo(y.dtype).min)
    y = y.astype(np.float32, copy=False)
    if y.ndim == 1:
        y = y[None, :]
    elif y.ndim == 2:
        if y.shape[0] > y.shape[1]:
            y = y.T
    else:
        raise AudioError(name, f"expected a 1-D or 2-D signal, got shape {y.shape}")
    return _finish(y, int(sr_in), path=name, sr=sr, mono=mono, min_duration=min_duration, allow_silent=allow_silent)


def _finish(y, native, *, path, sr, mono, min_duration, allow_silent) -> np.ndarray:
    """y is (channels, n) float32 at ``native`` Hz."""
    if y.shape[-1] == 0:
        raise AudioError(path, "empty: no samples in the requested window")
    if not np.all(np.isfinite(y)):
        raise AudioError(path, "corrupt: the signal contains NaN or infinite samples")
    if mono:
        y = y.mean(axis=0)
    if sr is not None and sr != native:
        # soxr wants (n, channels)
        y = soxr.resample(y.T, native, sr, quality="HQ").T.astype(np.float32, copy=False)
    rate = sr or native
    seconds = y.shape[-1] / rate
    if seconds < min_duration:
        raise AudioError(path, f"too short: {seconds:.2f} s, at least {min_duration:.2f} s needed")
    if not allow_silent and float(np.max(np.abs(y))) < SILENCE_PEAK:
        raise AudioError(path, "silent: every sample is (near) zero")
    return np.ascontiguousarray(y)


def chunk_signal(
    y: np.ndarray,
    *,
    sr: int,
    chunk_seconds: float,
    hop_seconds: float | None = None,
    pad_last: bool = False,
    min_last: float = 0.5,
) -> np.ndarray:
    """Cut a signal into fixed-length chunks.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono signal.
    sr : int
        Its sample rate in Hz.
    chunk_seconds : float
        Chunk length in seconds.
    hop_seconds : float or None
        Step between chunk starts (``chunk_seconds`` if None: no overlap).
    pad_last : bool
        Zero-pad a final partial chunk instead of dropping it, if it is at least ``min_last``
        of a chunk long. A signal shorter than one chunk then yields one padded chunk.

    Returns
    -------
    chunks : np.ndarray [shape=(n_chunks, round(chunk_seconds * sr))]

    Raises
    ------
    AudioError
        If not even one chunk fits.
    """
    if y.ndim != 1:
        raise ValueError(f"chunk_signal expects a mono signal, got shape {y.shape}")
    size = int(round(chunk_seconds * sr))
    hop = int(round((hop_seconds or chunk_seconds) * sr))
    if size <= 0 or hop <= 0:
        raise ValueError("chunk and hop lengths must be positive")
    n = y.shape[0]
    count = 0 if n < size else 1 + (n - size) // hop
    starts = [i * hop for i in range(count)]
    if pad_last:
        tail_start = count * hop
        if count == 0:
            tail_start = 0
        if tail_start < n and (n - tail_start) >= min_last * size and (count == 0 or tail_start + size > n):
            starts.append(tail_start)
    if not starts:
        raise AudioError(None, f"too short: {n / sr:.2f} s is less than one {chunk_seconds:g} s chunk")
    out = np.zeros((len(starts), size), dtype=y.dtype)
    for i, s in enumerate(starts):
        piece = y[s : s + size]
        out[i, : piece.shape[0]] = piece
    return out


def n_chunks(n_samples: int, *, sr: int, chunk_seconds: float, hop_seconds: float | None = None) -> int:
    """How many full chunks :func:`chunk_signal` (without padding) yields for ``n_samples``."""
    size = int(round(chunk_seconds * sr))
    hop = int(round((hop_seconds or chunk_seconds) * sr))
    return 0 if n_samples < size else 1 + (n_samples - size) // hop


def write_audio(path: str | Path, y: np.ndarray, sr: int, *, format: str | None = None, subtype: str | None = None) -> Path:
    """Write ``y`` (``(n,)`` or ``(channels, n)``, float in [-1, 1]) to ``path``; format from the suffix.

    Writes in blocks: one large OGG/Vorbis write crashes some libsndfile builds.

    Raises
    ------
    AudioError
        If the suffix is unknown or the codec refuses the rate (Opus: 8/12/16/24/48 kHz only).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.asarray(y, dtype=np.float32)
    data = data[:, None] if data.ndim == 1 else data.T
    suffix = path.suffix.lower()
    fmt = format or {".au": "AU", ".snd": "AU", ".opus": "OGG", ".oga": "OGG", ".aif": "AIFF"}.get(suffix)
    sub = subtype or ({".opus": "OPUS"}.get(suffix))
    try:
        f = sf.SoundFile(str(path), "w", samplerate=int(sr), channels=data.shape[1], format=fmt, subtype=sub)
    except Exception as exc:  # unknown suffix, or a rate the codec refuses (Opus: 8/12/16/24/48 kHz only)
        raise AudioError(path, f"cannot write this format: {_short(exc)}") from None
    with f:
        for i in range(0, data.shape[0], _WRITE_BLOCK):
            f.write(data[i : i + _WRITE_BLOCK])
    return path


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    if not text:
        return type(exc).__name__
    line = text[-1]
    # libsndfile prefixes "Error opening '<path>': " (the path is already in AudioError's message)
    # and says "File does not exist or is not a regular file" for any format it cannot recognise.
    if line.startswith("Error opening") and "': " in line:
        line = line.split("': ", 1)[1]
    if line.startswith("File does not exist or is not a regular file"):
        line = "format not recognised"
    return line[:200]


def seconds_to_samples(seconds: float, sr: int) -> int:
    return int(math.floor(seconds * sr + 0.5))
