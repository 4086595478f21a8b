"""Checking and reading an upload before anything is classified.

An upload is checked before anything is decoded: size on disk (:attr:`UploadLimits.max_bytes`),
then the header (:func:`genrekit.data.audio.audio_info`); only the first
:attr:`UploadLimits.max_seconds` are decoded, so an hour-long file costs no more than ten minutes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genrekit.data.audio import DEFAULT_SR, audio_info, collect_audio_warnings, load_audio
from genrekit.errors import AudioError, ConfigError

#: Environment variables overriding the upload limits.
ENV_MAX_MB = "GENREKIT_APP_MAX_MB"
ENV_MAX_MINUTES = "GENREKIT_APP_MAX_MINUTES"

#: Uploads larger than this are refused before decoding. 100 MB holds an hour of 192 kbit/s MP3.
MAX_UPLOAD_MB = 100.0
#: Only the first this-many minutes of a track are classified.
MAX_MINUTES = 10.0


@dataclass(frozen=True)
class UploadLimits:
    """How much of an upload the app accepts.

    Attributes
    ----------
    max_bytes : int
        Larger files are refused before decoding (also passed to Gradio's ``max_file_size``).
    max_seconds : float
        Only the first this-many seconds are decoded and classified.
    """

    max_bytes: int = int(MAX_UPLOAD_MB * 1e6)
    max_seconds: float = MAX_MINUTES * 60.0

    def describe(self) -> str:
        """The limits in words, for the page: 'Only the first 10 minutes ...; files over 100 MB ...'."""
        seconds = self.max_seconds
        span = f"{seconds / 60:g} minutes" if seconds >= 60 else f"{seconds:g} seconds"
        return f"Only the first {span} of a track are analysed; files over {self.max_bytes / 1e6:g} MB are refused."

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> UploadLimits:
        """Limits from :data:`ENV_MAX_MB` and :data:`ENV_MAX_MINUTES` (defaults otherwise)."""
        environ = os.environ if environ is None else environ
        megabytes = _positive(environ.get(ENV_MAX_MB), MAX_UPLOAD_MB, ENV_MAX_MB)
        minutes = _positive(environ.get(ENV_MAX_MINUTES), MAX_MINUTES, ENV_MAX_MINUTES)
        return cls(max_bytes=int(megabytes * 1e6), max_seconds=minutes * 60.0)


def _positive(text: str | None, default: float, name: str) -> float:
    if text is None or not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a positive number, got {text!r}") from None
    if not value > 0:
        raise ConfigError(f"{name} must be a positive number, got {text!r}")
    return value


@dataclass
class Upload:
    """The part of an uploaded track the app classifies.

    Attributes
    ----------
    y : np.ndarray [shape=(n,), dtype=float32]
        Mono samples at ``sr``.
    sr : int
        Sample rate in Hz.
    total_seconds : float
        Length of the whole file, from its header.
    truncated : bool
        True if only the first ``max_seconds`` were read.
    notes : list of str
        Messages for the user (e.g. that the track was cut, or that the file is damaged).
    damage : str or None
        What is wrong with a file that is read only as far as it decodes (truncated, damaged).
    """

    y: np.ndarray
    sr: int
    total_seconds: float
    truncated: bool
    notes: list[str] = field(default_factory=list)
    damage: str | None = None

    @property
    def seconds(self) -> float:
        """Seconds actually analysed."""
        return self.y.shape[0] / self.sr


def read_upload(path: str | Path | None, *, sr: int = DEFAULT_SR, limits: UploadLimits | None = None) -> Upload:
    """Check and read an uploaded or recorded file, decoding at most ``limits.max_seconds``.

    Parameters
    ----------
    path : str or Path or None
        What Gradio hands over (``gr.Audio(type="filepath")``); None when nothing was uploaded.
    sr : int
        Sample rate in Hz to read at (the model's).
    limits : UploadLimits, optional
        Size and length limits (default :class:`UploadLimits`).

    Returns
    -------
    Upload

    Raises
    ------
    AudioError
        Naming the file and the reason: nothing uploaded, empty, over the size limit (checked before
        decoding), not audio, unreadable, silent.
    """
    limits = limits or UploadLimits()
    if path is None or str(path).strip() == "":
        raise AudioError(None, "no audio: upload a file or record one with the microphone")
    path = Path(path)
    if not path.is_file():
        raise AudioError(path, "file not found (the upload may have expired; upload it again)")
    size = path.stat().st_size
    if size == 0:
        raise AudioError(path, "empty file (0 bytes)")
    if size > limits.max_bytes:
        raise AudioError(
            path, f"too large: {size / 1e6:.1f} MB, the limit is {limits.max_bytes / 1e6:.0f} MB (upload a shorter or compressed file)"
        )
    info = audio_info(path)  # header only: refuses non-audio before any decoding
    truncated = info.duration > limits.max_seconds
    with collect_audio_warnings() as found:
        y = load_audio(path, sr=sr, duration=limits.max_seconds if truncated else None)
    damage = found[0].reason if found else None
    notes = []
    if damage is not None:
        # e.g. "truncated: decodes 14.5 s of the 29.0 s its header declares"
        kind, _, what = damage.partition(": ")
        notes.append(f"The file looks {kind}: it {what}. The genres describe the part that decodes.")
    if truncated and y.shape[0] >= 0.99 * limits.max_seconds * sr:
        notes.append(
            f"The track is {clock(info.duration)} long; only the first {clock(limits.max_seconds)} were analysed."
        )
    return Upload(y=y, sr=sr, total_seconds=info.duration, truncated=truncated, notes=notes, damage=damage)


def clock(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``) for a duration in seconds, in whole seconds cut down as media players
    show them (119.9 s is "1:59"), so the page's numbers agree with the browser's player; a
    millisecond's slack keeps a length counted in samples (29.99995 s) on its whole second."""
    seconds = int(seconds + 1e-3)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
