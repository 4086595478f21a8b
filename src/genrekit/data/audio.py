"""Reading, resampling, windowing and chunking audio.

One reader for every format libsndfile knows (wav, flac, ogg/vorbis, opus, mp3, Sun ``.au``,
aiff, ...), with resampling through soxr. Everything that can go wrong with a file becomes an
:class:`~genrekit.errors.AudioError` naming the file and the reason.

A file that decodes to noticeably less than it declares (a cut download, a damaged copy) is used as
far as it decodes and reported as an :class:`~genrekit.errors.AudioWarning` naming the file and
what is wrong; :func:`collect_audio_warnings` hands those to a caller that reports them itself.
What the C decoders print on their own (mpg123's "Illegal Audio-MPEG-Header", "Trying to
resync", naming no file) is kept off stderr; ``GENREKIT_VERBOSE=1`` shows it, headed by the file.
"""

from __future__ import annotations

import atexit
import math
import os
import re
import sys
import tempfile
import threading
import warnings
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from genrekit.errors import AudioError, AudioWarning

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

#: A file is reported truncated (or damaged) when it decodes to less than this share of the length
#: it declares ...
TRUNCATED_SHARE = 0.95
#: ... and to at least this many seconds less (libsndfile's length of an MP3 without a length
#: header is an estimate from the file size, a little above what decodes).
TRUNCATED_SECONDS = 0.5

#: Environment variable: set it to 1 to see on stderr what the decoders print about each file.
ENV_VERBOSE = "GENREKIT_VERBOSE"

# Frames per read: a decode error loses at most this much audio before it (0.37 s at 44.1 kHz).
_READ_BLOCK = 1 << 14
# Seconds read at the declared end of a file to see whether it really gets there.
_PROBE_SECONDS = 1.0
# libsndfile's log of a WAV/AU/AIFF whose data chunk claims more bytes than the file holds
# ("data : 441000 (should be 220478)"); it quietly reads what is there.
_SHORT_CHUNK = re.compile(r"^\s*(?:data|Data Size|SSND)\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)
# A chunk size written before the length was known (a streamed WAV): 0xFFFFFFFF, 0x7FFFFFFF
_UNKNOWN_CHUNK = 0x7FFFFFFF
# libsndfile's log of an Ogg file whose last page is not marked end-of-stream: it was cut off
_NO_EOS = "Last page lacks an end-of-stream bit"
# What mpg123 prints when it meets bytes that are not MP3 frames, as opposed to its chatter on
# seeks in healthy files ("part2_3_length ... too large").
_DAMAGE_NOTE = re.compile(r"Illegal Audio-MPEG-Header|resync|lost sync", re.IGNORECASE)


@dataclass(frozen=True)
class AudioInfo:
    """What the file header says, without decoding the audio.

    ``frames`` is what libsndfile finds (for a cut WAV, what is left of it); ``declared_frames`` is
    nonzero when something in the file claims more: a WAV/AU/AIFF data chunk longer than the bytes
    present (``declared_by`` 'its header'), or an MP3's ID3 length tag (TLEN; 'its ID3 tag
    (TLEN)'). ``cut_off`` says why a file that declares no length is cut off all the same (an Ogg
    stream whose last page is not its end-of-stream page); '' otherwise.
    """

    path: str
    samplerate: int
    channels: int
    frames: int
    format: str
    subtype: str
    declared_frames: int = 0
    declared_by: str = ""
    cut_off: str = ""

    @property
    def duration(self) -> float:
        """Duration in seconds."""
        return self.frames / self.samplerate if self.samplerate else 0.0

    @property
    def declared_duration(self) -> float:
        """Seconds the file claims to hold: more than :attr:`duration` when ``declared_frames`` says so."""
        frames = max(self.frames, self.declared_frames)
        return frames / self.samplerate if self.samplerate else 0.0


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
        with quiet_decoder(path):
            info = sf.info(str(path))
    except Exception as exc:  # libsndfile raises RuntimeError/LibsndfileError/TypeError
        raise AudioError(path, f"unreadable: not a supported audio file or corrupt ({_short(exc)})") from None
    # libsndfile opens a .au/.snd file without the '.snd' magic as headerless 8 kHz mu-law, so any
    # garbage with that suffix "decodes" to noise; none of AUDIO_EXTENSIONS is legitimately raw.
    if info.format == "RAW":
        raise AudioError(path, "unreadable: no valid audio header (corrupt or not an audio file)")
    frames = int(info.frames)
    log = getattr(info, "extra_info", "") or ""
    if frames <= 0 and "ended unexpectedly" in log:
        # a cut Ogg file: libsndfile finds no last page, gives length 0 and decodes nothing
        raise AudioError(path, "truncated: the Ogg stream is cut off before its last page, and nothing of it can be decoded")
    if frames <= 0 or info.samplerate <= 0:
        raise AudioError(path, "empty: the file holds no audio samples")
    # libsndfile reports SF_COUNT_MAX when a stream's length is unknown; reading "to the end"
    # would then try to allocate exabytes.
    if frames >= _UNKNOWN_FRAMES:
        raise AudioError(path, "unreadable: the header does not give the stream length")
    declared, by = _declared_frames(path, info, frames)
    # an Ogg stream declares no length: a cut one just ends on a page without the end-of-stream mark
    cut = "the Ogg stream stops without its end-of-stream page" if _NO_EOS in log else ""
    return AudioInfo(str(path), int(info.samplerate), int(info.channels), frames, info.format, info.subtype, declared, by, cut)


def _declared_frames(path: Path, info, frames: int) -> tuple[int, str]:
    """(frames, by whom) the file claims beyond the ``frames`` libsndfile found; (0, '') if none."""
    match = _SHORT_CHUNK.search(getattr(info, "extra_info", "") or "")
    if match:
        claimed, present = int(match.group(1)), int(match.group(2))
        if 0 < present < claimed < _UNKNOWN_CHUNK:
            return int(round(frames * claimed / present)), "its header"
    if info.format == "MP3":
        # a cut MP3 without a Xing/LAME header gets a length estimated from its size: only a
        # length tag written by the encoder or tagger still tells the full length
        seconds = _id3_seconds(path)
        if seconds is not None and seconds * info.samplerate > frames:
            return int(round(seconds * info.samplerate)), "its ID3 tag (TLEN)"
    return 0, ""


def _id3_seconds(path: Path) -> float | None:
    """The ID3 length tag (TLEN, milliseconds) of an MP3 in seconds, or None."""
    try:
        from mutagen.id3 import ID3

        frame = ID3(str(path)).get("TLEN")
        seconds = float(frame.text[0]) / 1000 if frame is not None and frame.text else None
    except Exception:  # noqa: BLE001 - no tag, or a tag mutagen cannot parse: no claim
        return None
    return seconds if seconds is not None and math.isfinite(seconds) and seconds > 0 else None


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

    Warns
    -----
    AudioWarning
        When the file decodes to less than :data:`TRUNCATED_SHARE` of the length it declares (its
        header, or an MP3's ID3 length tag) and :data:`TRUNCATED_SECONDS` less: "truncated: decodes
        14.5 s of the 29.0 s its ID3 tag (TLEN) declares", or "damaged: ..." when a decode error or
        undecodable bytes end it. The window is then taken from what decodes (``middle``: the
        middle of that). Inside :func:`collect_audio_warnings` it is collected instead of issued.
    """
    info = audio_info(path)
    start, stop = _window(info.frames, info, offset=offset, duration=duration, middle=middle)
    with quiet_decoder(path) as notes:
        y, end, error = _decode(path, start, stop, declared_end=info.frames)
    damage = _damage(info, end, error, notes)
    if damage is not None and end is not None and end < stop:
        # the window runs past what decodes: the same window on the length that decodes
        try:
            again = _window(end, info, offset=offset, duration=duration, middle=middle)
        except AudioError:
            raise AudioError(path, f"offset {offset:.2f} s is past the end of what decodes ({damage})") from None
        if again != (start, start + y.shape[0]):
            with quiet_decoder(path):
                fuller, _, _ = _decode(path, *again, declared_end=None)
            if fuller.shape[0] > y.shape[0]:  # seeks near damage can fail where the first read did not
                y = fuller
    if y.shape[0] == 0:
        raise AudioError(path, f"could not decode audio ({_note_text(error) if error else 'nothing decodes'})")
    if damage is not None:
        report_audio_warning(AudioWarning(path, damage))
    return _finish(y.T, info.samplerate, path=path, sr=sr, mono=mono, min_duration=min_duration, allow_silent=allow_silent)


def _window(frames: int, info: AudioInfo, *, offset, duration, middle) -> tuple[int, int]:
    """Frames ``[start, stop)`` of a file of ``frames`` frames that :func:`load_audio`'s window asks for."""
    native = info.samplerate
    if middle is not None:
        if offset or duration is not None:
            raise ValueError("pass either middle= or offset=/duration=, not both")
        if middle <= 0:
            raise ValueError(f"middle must be positive, got {middle}")
        want = min(int(round(middle * native)), frames)
        start = (frames - want) // 2
        return start, start + want
    if offset < 0:
        raise ValueError(f"offset must be >= 0, got {offset}")
    start = int(round(offset * native))
    if start >= frames:
        raise AudioError(info.path, f"offset {offset:.2f} s is past the end of the file ({info.duration:.2f} s)")
    return start, frames if duration is None else min(frames, start + int(round(duration * native)))


def _decode(path, start: int, stop: int, *, declared_end: int | None) -> tuple[np.ndarray, int | None, str | None]:
    """Decode frames ``[start, stop)`` as far as they decode.

    Returns ``(y, end, error)``: ``y`` is ``(n, channels)`` float32; ``end`` is the frame where
    decoding stops when that was found to be before ``stop`` or (probing there when given)
    ``declared_end``, else None; ``error`` is the decoder's error message if one ended it.
    """
    with sf.SoundFile(str(path)) as f:
        y, error = _read(f, start, stop - start)
        if y.shape[0] < stop - start:
            if y.shape[0] or not start:
                return y, start + y.shape[0], error
            # nothing decodes at start: the seek went past the real end (or a cut FLAC cannot seek)
            end, later = _decodable_end(path, 0)
            return y, end, later or error
        if declared_end is None or stop >= declared_end:
            return y, None, None
        # the window decoded; does the file reach the end it declares? (cheap: one seek, one read)
        take = min(declared_end - stop, max(1, int(_PROBE_SECONDS * f.samplerate)))
        at = declared_end - take
        tail, error = _read(f, at, take)
    if tail.shape[0] == take:
        return y, None, None
    if tail.shape[0]:
        return y, at + tail.shape[0], error
    end, later = _decodable_end(path, stop)
    return y, end, later


def _read(f: sf.SoundFile, start: int, count: int) -> tuple[np.ndarray, str | None]:
    """Up to ``count`` frames from ``start`` in blocks, keeping the blocks before a decode error."""
    out = np.empty((count, f.channels), dtype=np.float32)
    got = 0
    try:
        if f.tell() != start:
            f.seek(start)
        while got < count:
            want = min(_READ_BLOCK, count - got)
            n = f.read(dtype="float32", always_2d=True, out=out[got : got + want]).shape[0]
            got += n
            if n < want:
                break
    except Exception as exc:  # noqa: BLE001 - libsndfile raises LibsndfileError/RuntimeError mid-stream
        return out[:got], _short(exc)
    return out[:got], None


def _decodable_end(path, start: int) -> tuple[int, str | None]:
    """The frame where decoding stops, counting from ``start`` (from 0 if the seek there fails)."""
    for origin in dict.fromkeys((start, 0)):
        with sf.SoundFile(str(path)) as f:
            try:
                if origin:
                    f.seek(origin)
            except Exception:  # noqa: BLE001 - a cut FLAC may not seek at all
                continue
            scratch = np.empty((_READ_BLOCK, f.channels), dtype=np.float32)
            end = origin
            try:
                while True:
                    n = f.read(dtype="float32", always_2d=True, out=scratch).shape[0]
                    end += n
                    if n < _READ_BLOCK:
                        return end, None
            except Exception as exc:  # noqa: BLE001
                return end, _short(exc)
    return 0, None


def _damage(info: AudioInfo, end: int | None, error: str | None, notes: list[str]) -> str | None:
    """Why the file is used only in part ('truncated: decodes 14.5 s of the 30.0 s its header
    declares'), or None when what decodes is (nearly) all it declares."""
    declared = max(info.frames, info.declared_frames)
    got = info.frames if end is None else min(end, info.frames)
    sr = info.samplerate
    if info.cut_off and declared == info.frames:
        return f"truncated: {info.cut_off} (decodes {got / sr:.1f} s)"
    if not (got < TRUNCATED_SHARE * declared and declared - got > TRUNCATED_SECONDS * sr):
        return None
    by = info.declared_by if info.declared_frames > info.frames else "its header"
    detail = next((_note_text(n) for n in notes if _DAMAGE_NOTE.search(n)), None) or (error and _note_text(error))
    if detail is None:
        return f"truncated: decodes {got / sr:.1f} s of the {declared / sr:.1f} s {by} declares"
    return f"damaged: decodes {got / sr:.1f} s of the {declared / sr:.1f} s {by} declares ({detail})"


def _note_text(line: str) -> str:
    """A decoder's line without its 'Note: ' or '[src/...:line] error: ' prefix."""
    line = re.sub(r"^\[[^\]]*\]\s*(?:error:\s*)?", "", line.strip())
    return re.sub(r"^(?:Note|Warning|Error)\s*:\s*", "", line).rstrip(".")[:120]


# --------------------------------------------------------------------------------------------
# warnings about files used in part, and the decoders' own notes

_COLLECTOR: ContextVar[list | None] = ContextVar("genrekit_audio_warnings", default=None)


@contextmanager
def collect_audio_warnings():
    """Collect the :class:`~genrekit.errors.AudioWarning` s :func:`load_audio` gives in this block.

    Inside the block (in this thread or task only) a file that is used in part is added to the
    yielded list, once per file, instead of being issued with :func:`warnings.warn`: the caller
    reports it (a note in a prediction, a feature cache, the app's result). Blocks nest; the
    innermost one collects.

    Yields
    ------
    list of AudioWarning
    """
    found: list[AudioWarning] = []
    token = _COLLECTOR.set(found)
    try:
        yield found
    finally:
        _COLLECTOR.reset(token)


def report_audio_warning(warning: AudioWarning) -> None:
    """Hand ``warning`` to the innermost :func:`collect_audio_warnings` block, or issue it."""
    found = _COLLECTOR.get()
    if found is None:
        warnings.warn(warning, stacklevel=3)
    elif all(w.path != warning.path for w in found):
        found.append(warning)


def verbose() -> bool:
    """True when :data:`ENV_VERBOSE` asks for the decoders' own notes on stderr."""
    return os.environ.get(ENV_VERBOSE, "").strip().lower() not in ("", "0", "false", "no", "off")


# fd 2 is one per process: threads that read files take turns (the lock), each read costs a few
# system calls; the scratch file is made once per process (a forked worker makes its own)
_STDERR_LOCK = threading.RLock()
_SCRATCH: tuple[int, object] | None = None
_DECODER_LINE = re.compile(r"^(?:Note|Warning|Error):|^\[src/|mpg123", re.IGNORECASE)


@contextmanager
def quiet_decoder(path):
    """Keep what the C decoders print on file descriptor 2 while ``path`` is read off stderr.

    mpg123, libsndfile's MP3 decoder, writes straight to fd 2 and names no file ("Note: Illegal
    Audio-MPEG-Header ...", and even "part2_3_length too large" on seeks in healthy files), so fd 2
    points at a scratch file for the block and is restored after it. :func:`audio_info` and
    :func:`load_audio` read files inside it; use it for any other soundfile call on a file.

    Yields the list the decoder's lines are put in when the block ends. Anything else that reached
    fd 2 meanwhile (another thread's output) is passed on; with :data:`ENV_VERBOSE` set, the
    decoder's lines are shown too, headed by ``path``.
    """
    lines: list[str] = []
    with _STDERR_LOCK:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError, AttributeError):  # no stderr at all: nothing to keep clean
            saved = None
        if saved is None:
            yield lines
            return
        scratch = _scratch()
        fd = scratch.fileno()
        os.dup2(fd, 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            text = ""
            if os.lseek(fd, 0, os.SEEK_CUR):  # the usual case, nothing printed, costs no read
                os.lseek(fd, 0, os.SEEK_SET)
                chunks = iter(lambda: os.read(fd, 1 << 16), b"")
                text = b"".join(chunks).decode("utf-8", "replace")
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)
            other = []
            for line in text.splitlines():
                (lines if _DECODER_LINE.search(line) else other).append(line)
            if other:
                os.write(2, ("\n".join(other) + "\n").encode())
            if lines and verbose():
                sys.stderr.write(f"genrekit: the decoder's notes on {path}:\n" + "".join(f"  {n}\n" for n in lines))


def _scratch():
    global _SCRATCH
    if _SCRATCH is None or _SCRATCH[0] != os.getpid():
        _SCRATCH = (os.getpid(), tempfile.TemporaryFile(buffering=0))
        atexit.register(_SCRATCH[1].close)
    return _SCRATCH[1]


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
    starts = _chunk_starts(y.shape[0], sr=sr, chunk_seconds=chunk_seconds, hop_seconds=hop_seconds, pad_last=pad_last,
                           min_last=min_last)
    out = np.zeros((len(starts), size), dtype=y.dtype)
    for i, s in enumerate(starts):
        piece = y[s : s + size]
        out[i, : piece.shape[0]] = piece
    return out


def _chunk_starts(n: int, *, sr: int, chunk_seconds: float, hop_seconds: float | None, pad_last: bool, min_last: float) -> list[int]:
    size = int(round(chunk_seconds * sr))
    hop = int(round((hop_seconds or chunk_seconds) * sr))
    if size <= 0 or hop <= 0:
        raise ValueError("chunk and hop lengths must be positive")
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
    return starts


def n_chunks(n_samples: int, *, sr: int, chunk_seconds: float, hop_seconds: float | None = None) -> int:
    """How many full chunks :func:`chunk_signal` (without padding) yields for ``n_samples``."""
    size = int(round(chunk_seconds * sr))
    hop = int(round((hop_seconds or chunk_seconds) * sr))
    return 0 if n_samples < size else 1 + (n_samples - size) // hop


def chunk_clip(y: np.ndarray, *, sr: int, chunk_seconds: float, hop_seconds: float | None = None) -> np.ndarray:
    """Cut a clip into the chunks a network sees, in training and in prediction alike.

    Full chunks every ``hop_seconds``; the end of the clip is zero-padded into one more chunk
    only if the full chunks leave at least half a chunk of it uncovered (so overlapping hops
    never add a half-silent chunk), and a clip shorter than a chunk becomes one padded chunk if it
    is at least half a chunk long.

    Returns
    -------
    chunks : np.ndarray [shape=(n_chunks, round(chunk_seconds * sr)), dtype=float32]

    Raises
    ------
    AudioError
        If the clip is shorter than half a chunk.
    """
    size = int(round(chunk_seconds * sr))
    starts = clip_chunk_starts(len(y), sr=sr, chunk_seconds=chunk_seconds, hop_seconds=hop_seconds)
    out = np.zeros((len(starts), size), dtype=y.dtype)
    for i, s in enumerate(starts):
        piece = y[s : s + size]
        out[i, : piece.shape[0]] = piece
    return out


def clip_chunk_starts(n_samples: int, *, sr: int, chunk_seconds: float, hop_seconds: float | None = None) -> list[int]:
    """Where :func:`chunk_clip`'s chunks of a clip of ``n_samples`` start (samples); each is
    ``round(chunk_seconds * sr)`` long, the last zero-padded where it runs past the end.

    Raises
    ------
    AudioError
        If the clip is shorter than half a chunk.
    """
    size = int(round(chunk_seconds * sr))
    hop = int(round((hop_seconds or chunk_seconds) * sr))
    full = n_chunks(n_samples, sr=sr, chunk_seconds=chunk_seconds, hop_seconds=hop_seconds)
    covered = (full - 1) * hop + size if full else 0
    pad = n_samples - covered >= 0.5 * size
    return _chunk_starts(n_samples, sr=sr, chunk_seconds=chunk_seconds, hop_seconds=hop_seconds, pad_last=pad, min_last=0.5)


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
