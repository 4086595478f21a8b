"""Hand-crafted clip features: one STFT per clip, everything else derived from it.

The feature set is a superset of the columns of the widely used GTZAN ``features_30_sec.csv`` /
``features_3_sec.csv`` (and of most "librosa features + XGBoost" genre notebooks), so results can
be compared. Each frame-level descriptor is summarised over the clip (or chunk) by its mean and its
population variance (``np.var``, as in the CSV).

Columns
-------
Frame-level descriptors (``<name>_mean`` and ``<name>_var`` each):

=================================  =========================================================
``chroma_stft``                    STFT chroma: all 12 bins pooled (the CSV's column), and
``chroma_stft_<pc>``               per pitch class ``<pc>`` in C Db D Eb E F Gb G Ab A Bb B
``chroma_cqt``, ``chroma_cqt_<pc>``  constant-Q chroma (only if ``cfg.chroma_cqt``)
``tonnetz_<axis>``                 tonal centroid of the *harmonic* part's STFT chroma, axes
                                   fifth_x fifth_y minor_x minor_y major_x major_y (``cfg.tonnetz``)
``rms``                            RMS energy of the waveform frames
``spectral_centroid``              spectral centroid (Hz)
``spectral_bandwidth``             second-order spectral bandwidth (Hz)
``spectral_contrast_<band>``       spectral contrast per octave band 00..06 (dB)
``spectral_rolloff``               85 % roll-off frequency (Hz)
``zcr``                            zero-crossing rate (crossings per sample)
``harmonic``, ``percussive``       the harmonic / percussive waveforms of HPSS, sample statistics
                                   (``cfg.hpss``)
``mfcc_<k>``                       MFCCs, ``k`` = 01 .. ``cfg.n_mfcc`` (1-based, as the CSV)
=================================  =========================================================

plus ``tempo`` (BPM, one value; ``cfg.tempo``). :func:`feature_names` gives the exact order.

Mapping from the GTZAN CSV (:data:`GTZAN_CSV_COLUMNS` holds it as a dict)::

    chroma_stft_{mean,var}         -> chroma_stft_{mean,var}
    rms_{mean,var}                 -> rms_{mean,var}
    spectral_centroid_{mean,var}   -> spectral_centroid_{mean,var}
    spectral_bandwidth_{mean,var}  -> spectral_bandwidth_{mean,var}
    rolloff_{mean,var}             -> spectral_rolloff_{mean,var}
    zero_crossing_rate_{mean,var}  -> zcr_{mean,var}
    harmony_{mean,var}             -> harmonic_{mean,var}    (librosa.effects.harmonic(y))
    perceptr_{mean,var}            -> percussive_{mean,var}  (librosa.effects.percussive(y))
    tempo                          -> tempo
    mfcc<k>_{mean,var}, k=1..20    -> mfcc_<kk>_{mean,var}   (mfcc1 -> mfcc_01: coefficient 0)

Every value equals (within float32 rounding, see :data:`REFERENCE_RTOL`, :func:`relative_difference`) what
:func:`reference_features` gets by calling each librosa function on the raw signal, the way the
CSV and most notebooks do: ``chroma_stft(y=)``, ``rms(y=)``, ``spectral_centroid(y=)``,
``effects.harmonic(y)``, ``effects.percussive(y)``, ``feature.tempo(y=)`` (the tempo that
``beat.beat_track`` reports), ``mfcc(y=)``, ... How the fast path gets there:

- one STFT of the clip; its magnitude and power feed chroma, centroid, bandwidth, contrast,
  roll-off and the mel spectrogram (filter banks built once, applied as one BLAS product), and the
  log-mel spectrogram feeds both the MFCCs and the onset envelope for tempo;
- one HPSS on that STFT (librosa separates once per component), whose two median filters are
  exact running medians (:func:`median_filter_1d`: a sorted window per frequency bin or frame,
  updated branch-free for all of them at once) instead of ``scipy.ndimage.median_filter``, which
  takes over 80 % of the naive time; the percussive waveform is the signal minus the harmonic one;
- the tonnetz takes the STFT chroma of that harmonic waveform (the one extra STFT);
- chroma tuning keeps only the spectral peaks (:func:`estimate_tuning`) where librosa's
  ``piptrack`` fills several full-size arrays; the constant-Q chroma reuses that estimate (at the
  default n_fft/hop) instead of a second STFT;
- the centroid comes from two spectral moments and the bandwidth from the deviations around it,
  roll-off from one cumulative sum, the zero-crossing rate from one pass over the samples (librosa
  counts each crossing once per overlapping frame).

A chunk whose onset envelope is flat zero (digital silence) gets ``tempo`` 0 rather than the peak
of the tempo prior that librosa reports for it (about 117 BPM).

Chunks
------
:func:`extract_chunked` analyses the whole clip once and summarises the frames whose centres fall
inside each chunk. Compared with analysing each chunk as a separate signal, the frames within
``n_fft / 2`` samples of a chunk edge see the neighbouring chunk instead of zero padding, the HPSS
median filters (+-15 frames, about 0.35 s) look across the edge, chroma tuning is estimated once
per clip, and the chunk's tempo is estimated from its slice of the clip's onset envelope. These
are edge effects of well under a tenth of a 3 s chunk; the whole-clip values are exactly those of
:func:`extract_features`.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import librosa
import numba
import numpy as np
import pandas as pd

from genrekit.config import FeatureConfig
from genrekit.errors import AudioError, ConfigError
from genrekit.features.numba_cache import compile_lock, load_librosa

#: Version of the feature values; part of every cache key. Bump it whenever a value changes.
FEATURE_VERSION = "1"

#: Shortest clip (seconds) features are computed for; shorter ones raise AudioError('too short').
MIN_SECONDS = 1.0

#: Tolerance within which every feature matches :func:`reference_features`, as measured by
#: :func:`relative_difference` (checked in ``tests/test_features.py`` and ``bench/features.py``).
REFERENCE_RTOL = 1e-4

#: Pitch classes of chroma bin 0..11 (librosa's chroma starts at C).
PITCH_CLASSES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")

#: Rows of librosa's tonnetz.
TONNETZ_AXES = ("fifth_x", "fifth_y", "minor_x", "minor_y", "major_x", "major_y")

#: HPSS median-filter length in frames / bins (librosa's default).
HPSS_KERNEL = 31

#: Constant-Q chroma resolution (librosa's chroma_cqt default), needed for its tuning estimate.
_CQT_BINS_PER_OCTAVE = 36

_N_CONTRAST_BANDS = 7  # librosa's spectral_contrast default: 6 octave bands + the residual band

# librosa's warning when a tuning estimate finds no spectral peak (silence): expected, answered with 0
_NO_PEAKS = "Trying to estimate tuning from empty frequency set"


def _csv_mapping() -> dict[str, str]:
    pairs = {
        "chroma_stft": "chroma_stft",
        "rms": "rms",
        "spectral_centroid": "spectral_centroid",
        "spectral_bandwidth": "spectral_bandwidth",
        "rolloff": "spectral_rolloff",
        "zero_crossing_rate": "zcr",
        "harmony": "harmonic",
        "perceptr": "percussive",
    }
    pairs.update({f"mfcc{k}": f"mfcc_{k:02d}" for k in range(1, 21)})
    mapping = {f"{csv}_{stat}": f"{ours}_{stat}" for csv, ours in pairs.items() for stat in ("mean", "var")}
    mapping["tempo"] = "tempo"
    return mapping


#: GTZAN ``features_30_sec.csv`` column -> genrekit column (default FeatureConfig).
GTZAN_CSV_COLUMNS: dict[str, str] = _csv_mapping()


@dataclass(frozen=True)
class _Block:
    """One frame-level descriptor and how its columns are named."""

    name: str
    rows: tuple[str, ...] = ()  # row suffixes; empty for a single series
    pooled: bool = False  # also summarise all rows together (the CSV's chroma_stft)
    unit: str = "frames"  # 'frames' or 'samples' (waveform statistics)


def _blocks(cfg: FeatureConfig) -> list[_Block]:
    blocks = [_Block("chroma_stft", PITCH_CLASSES, pooled=True)]
    if cfg.chroma_cqt:
        blocks.append(_Block("chroma_cqt", PITCH_CLASSES, pooled=True))
    if cfg.tonnetz:
        blocks.append(_Block("tonnetz", TONNETZ_AXES))
    blocks += [
        _Block("rms"),
        _Block("spectral_centroid"),
        _Block("spectral_bandwidth"),
        _Block("spectral_contrast", tuple(f"{b:02d}" for b in range(_N_CONTRAST_BANDS))),
        _Block("spectral_rolloff"),
        _Block("zcr"),
    ]
    if cfg.hpss:
        blocks += [_Block("harmonic", unit="samples"), _Block("percussive", unit="samples")]
    blocks.append(_Block("mfcc", tuple(f"{k:02d}" for k in range(1, cfg.n_mfcc + 1))))
    return blocks


def feature_names(cfg: FeatureConfig | None = None) -> list[str]:
    """Column names of :func:`extract_features`, in order, for ``cfg``.

    Parameters
    ----------
    cfg : FeatureConfig or None
        Feature settings (defaults if None).

    Returns
    -------
    names : list of str
        ``<descriptor>[_<row>]_{mean,var}`` for every descriptor, then ``tempo`` if enabled.
    """
    cfg = cfg or FeatureConfig()
    names = []
    for block in _blocks(cfg):
        prefixes = ([block.name] if block.pooled or not block.rows else []) + [f"{block.name}_{r}" for r in block.rows]
        names += [f"{p}_{stat}" for p in prefixes for stat in ("mean", "var")]
    if cfg.tempo:
        names.append("tempo")
    return names


# --------------------------------------------------------------------------------------------
# fast exact HPSS


def median_filter_1d(x: np.ndarray, *, size: int, axis: int = -1) -> np.ndarray:
    """Centred running median along one axis with mirrored edges: exactly
    ``scipy.ndimage.median_filter`` with a 1-D window and ``mode='reflect'``, about 50 times faster.

    Parameters
    ----------
    x : np.ndarray [shape=(..., n, ...), real]
        Values to filter (a magnitude spectrogram), no NaN.
    size : int
        Odd window length (samples along ``axis``).
    axis : int
        Axis to filter along.

    Returns
    -------
    y : np.ndarray [shape=x.shape, dtype=x.dtype]
    """
    if size < 1 or size % 2 != 1:
        raise ValueError(f"median window must be a positive odd number, got {size}")
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    if size == 1:
        return x.copy()
    # `axis` becomes the steps; all other axes are flattened into lanes filtered in lock-step
    moved = np.moveaxis(x, axis, 0)
    steps = np.ascontiguousarray(moved.reshape(moved.shape[0], -1))
    out = np.empty_like(steps)
    if steps.size:
        _running_median(steps, size, out)
    return np.moveaxis(out.reshape(moved.shape), 0, axis)


@numba.njit(nogil=True, cache=True)
def _running_median(x, size, out):  # pragma: no cover - compiled
    # x, out: (steps, lanes), C order. Each lane keeps its window sorted in buf[:, lane]; a step
    # drops the oldest value and inserts the newest with selects and min/max only, so the inner
    # loops run branch-free over contiguous lanes and vectorise. Plain 2-D indexing (no row views)
    # keeps numba's compile time down. Edges mirror like ndimage 'reflect' (d c b a | a b c d),
    # repeatedly when the window overhangs the whole axis.
    n, lanes = x.shape
    half = size // 2
    period = 2 * n
    buf = np.empty((size, lanes), x.dtype)
    rem = np.empty((size, lanes), x.dtype)
    for k in range(size):
        m = (k - half) % period
        if m >= n:
            m = period - 1 - m
        for lane in range(lanes):  # insertion sort of the first window
            v = x[m, lane]
            j = k
            while j > 0 and buf[j - 1, lane] > v:
                buf[j, lane] = buf[j - 1, lane]
                j -= 1
            buf[j, lane] = v
    for lane in range(lanes):
        out[0, lane] = buf[half, lane]
    for s in range(1, n):
        old = (s - half - 1) % period
        if old >= n:
            old = period - 1 - old
        new = (s + half) % period
        if new >= n:
            new = period - 1 - new
        # remove one copy of the old value: keep buf[k] below it, take buf[k + 1] from it on
        for k in range(size - 1):
            for lane in range(lanes):
                v = buf[k, lane]
                rem[k, lane] = v if v < x[old, lane] else buf[k + 1, lane]
        # insert the new value into the size - 1 sorted ones: buf[k] = clamp(new, rem[k - 1], rem[k])
        for lane in range(lanes):
            v = x[new, lane]
            buf[0, lane] = min(v, rem[0, lane])
            buf[size - 1, lane] = max(v, rem[size - 2, lane])
        for k in range(1, size - 1):
            for lane in range(lanes):
                buf[k, lane] = min(max(x[new, lane], rem[k - 1, lane]), rem[k, lane])
        for lane in range(lanes):
            out[s, lane] = buf[half, lane]
    return out


def _harmonic_mask(harm: np.ndarray, perc: np.ndarray) -> np.ndarray:
    """``librosa.util.softmask(harm, perc, power=2, split_zeros=True)``, the same arithmetic."""
    z = np.maximum(harm, perc)
    bad = z < np.finfo(z.dtype).tiny
    z[bad] = 1
    h = (harm / z) ** 2
    p = (perc / z) ** 2
    p += h
    p[bad] = 1  # 0 / 0 where both are silent: librosa splits those bins 0.5 / 0.5
    h /= p
    h[bad] = 0.5
    return h


def hpss_waveforms(
    y: np.ndarray, *, D: np.ndarray, S: np.ndarray | None = None, n_fft: int, hop_length: int
) -> tuple[np.ndarray, np.ndarray]:
    """Harmonic and percussive waveforms of ``y`` from its STFT.

    Equals ``librosa.effects.harmonic(y)`` and ``librosa.effects.percussive(y)`` (kernel 31,
    power 2, margin 1) within float32 rounding, separating once (librosa separates once per
    component) with :func:`median_filter_1d` instead of ``scipy.ndimage.median_filter``.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        The signal.
    D : np.ndarray [shape=(1 + n_fft // 2, t), complex]
        ``librosa.stft(y, n_fft=n_fft, hop_length=hop_length)``.
    S : np.ndarray [shape=D.shape] or None
        ``np.abs(D)``, if already computed.
    n_fft, hop_length : int
        The STFT's window and hop (samples).

    Returns
    -------
    harmonic, percussive : np.ndarray [shape=(n,), dtype=y.dtype]
    """
    load_librosa()
    S = np.abs(D) if S is None else S
    mask = _harmonic_mask(median_filter_1d(S, size=HPSS_KERNEL, axis=-1), median_filter_1d(S, size=HPSS_KERNEL, axis=-2))
    # librosa forms (|D| * mask) * phase; D * mask differs by float32 rounding only (~1e-8 relative)
    harmonic = librosa.istft(D * mask, n_fft=n_fft, hop_length=hop_length, length=y.shape[-1], dtype=y.dtype)
    if 2 * hop_length <= n_fft:
        # The two masks sum to one and the Hann STFT inverts exactly at this overlap, so the
        # percussive part is the rest of the signal (within ~1e-7), without a second inverse STFT.
        percussive = y - harmonic
    else:
        percussive = librosa.istft(D * (1 - mask), n_fft=n_fft, hop_length=hop_length, length=y.shape[-1], dtype=y.dtype)
    return harmonic, percussive


def estimate_tuning(S: np.ndarray, *, sr: int, n_fft: int, bins_per_octave: int = 12) -> float:
    """``librosa.estimate_tuning(S=S, sr=sr, n_fft=n_fft, bins_per_octave=...)`` in one pass.

    librosa's ``piptrack`` builds several full-size arrays (gradient, parabolic shifts, thresholded
    copy, local maxima, ...) to keep the few spectral peaks; this visits each bin once and keeps
    only the peaks, with the same float32 arithmetic, then hands them to ``librosa.pitch_tuning``.
    chroma_stft calls it for every clip, twice here (signal and harmonic part).

    Parameters
    ----------
    S : np.ndarray [shape=(1 + n_fft // 2, t)]
        Magnitude or power spectrogram (float32; other types go to librosa's own estimate).
    sr : int
        Sample rate in Hz.
    n_fft : int
        FFT size of ``S``.
    bins_per_octave : int
        Tuning resolution reference (12 for STFT chroma, 36 for constant-Q chroma).

    Returns
    -------
    tuning : float
        Offset in fractions of a bin, in [-0.5, 0.5), resolution 0.01.
    """
    load_librosa()
    S = np.asarray(S)
    # piptrack's defaults: 150 Hz <= f < 4 kHz, peaks above 0.1 of the frame's maximum
    fmax = min(4000.0, sr / 2)
    freqs = librosa.fft_frequencies(sr=sr, n_fft=n_fft)
    usable = np.flatnonzero((freqs >= 150.0) & (freqs < fmax))
    with warnings.catch_warnings():
        # silent or near-silent audio (a quiet intro, a click in silence) has no spectral peak to
        # tune by; librosa warns and returns 0, which is the right answer, so the warning is noise
        warnings.filterwarnings("ignore", message=_NO_PEAKS, category=UserWarning)
        if S.dtype != np.float32 or S.ndim != 2 or S.shape[0] < 3 or usable.size == 0:
            return float(librosa.estimate_tuning(S=S, sr=sr, n_fft=n_fft, bins_per_octave=bins_per_octave))
        frames = np.asfortranarray(S)  # frames contiguous (an STFT already is)
        pitch, mag = _spectral_peaks(frames, int(usable[0]), int(usable[-1]) + 1, np.float32(0.1), float(sr), n_fft)
        if pitch.size == 0:
            return float(librosa.pitch_tuning(pitch, bins_per_octave=bins_per_octave))  # 0
        keep = mag >= np.median(mag)
        return float(librosa.pitch_tuning(pitch[keep], resolution=0.01, bins_per_octave=bins_per_octave))


@numba.njit(nogil=True, cache=True)
def _spectral_peaks(S, lo, hi, threshold, sr, n_fft):  # pragma: no cover - compiled
    # librosa.piptrack reduced to its output, for float32 S: bins lo..hi-1 of each frame that are
    # local maxima of S * (S > threshold * max(frame)), with parabolic interpolation. The
    # expressions mirror librosa's (np.gradient, _pi_stencil with numba's int * float32 -> float64)
    # so the peaks match bitwise.
    n_bins, n_frames = S.shape
    pitch = np.empty(n_bins * n_frames, np.float32)
    mag = np.empty(n_bins * n_frames, np.float32)
    count = 0
    last = n_bins - 1
    half = np.float32(0.5)
    two = np.float32(2.0)
    for t in range(n_frames):
        peak = S[0, t]
        for k in range(1, n_bins):
            if S[k, t] > peak:
                peak = S[k, t]
        ref = threshold * peak
        for k in range(max(lo, 1), hi):  # the stencil's first bin is never a maximum
            x0 = S[k, t] if S[k, t] > ref else np.float32(0)
            xm = S[k - 1, t] if S[k - 1, t] > ref else np.float32(0)
            if k == last:
                if not x0 > xm:
                    continue
                shift = np.float32(0)
                avg = S[k, t] - S[k - 1, t]
            else:
                xp = S[k + 1, t] if S[k + 1, t] > ref else np.float32(0)
                if not (x0 > xm and x0 >= xp):
                    continue
                a = S[k + 1, t] + S[k - 1, t] - 2 * S[k, t]
                b = (S[k + 1, t] - S[k - 1, t]) / 2
                shift = np.float32(0) if abs(b) >= abs(a) else np.float32(-b / a)
                avg = (S[k + 1, t] - S[k - 1, t]) / two
            pitch[count] = (k + shift) * sr / n_fft
            mag[count] = S[k, t] + half * avg * shift
            count += 1
    return pitch[:count], mag[:count]


@functools.lru_cache(maxsize=32)
def _filters(kind: str, sr: int, n_fft: int, param: float) -> np.ndarray:
    """Mel (param = n_mels) or chroma (param = tuning) filter bank, built once per setting."""
    if kind == "mel":
        bank = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=int(param))
    else:
        bank = librosa.filters.chroma(sr=sr, n_fft=n_fft, tuning=param)
    bank.setflags(write=False)
    return bank


def _apply(bank: np.ndarray, S: np.ndarray) -> np.ndarray:
    # (S.T @ bank.T).T is librosa's einsum('mf,ft->mt') as one BLAS call on the STFT's frame-major
    # layout (bitwise the same here), without einsum's copies
    return (S.T @ bank.T).T


def _chroma_stft(power: np.ndarray, *, sr: int, n_fft: int) -> np.ndarray:
    """``librosa.feature.chroma_stft(S=power)``: tuning from :func:`estimate_tuning`, cached filters."""
    tuning = estimate_tuning(power, sr=sr, n_fft=n_fft, bins_per_octave=12)
    return librosa.util.normalize(_apply(_filters("chroma", sr, n_fft, tuning), power), norm=np.inf, axis=-2)


def _centroid_bandwidth(S: np.ndarray, *, sr: int, n_fft: int) -> tuple[np.ndarray, np.ndarray]:
    """librosa's ``spectral_centroid(S=S)`` and ``spectral_bandwidth(S=S)`` (p=2) without
    normalising a copy of ``S`` twice: the centroid from two moments in one BLAS call, the
    bandwidth as the weighted deviation from it (no cancellation, unlike the moment formula).

    Returns (1, t) arrays in Hz; silent frames get 0, as in librosa.
    """
    freq = librosa.fft_frequencies(sr=sr, n_fft=n_fft).astype(S.dtype)
    moments = S.T @ np.stack([np.ones_like(freq), freq], axis=1)  # (t, 2)
    total = moments[:, 0].astype(np.float64)
    silent = total < np.finfo(S.dtype).tiny
    total[silent] = 1.0
    centroid = np.where(silent, 0.0, moments[:, 1] / total)
    deviation = freq[:, None] - centroid.astype(S.dtype)[None, :]
    spread = np.einsum("ft,ft->t", deviation * deviation, S) / total
    return centroid[None, :], np.sqrt(spread)[None, :]


def _rolloff(S: np.ndarray, *, sr: int, n_fft: int, roll_percent: float = 0.85) -> np.ndarray:
    """``librosa.feature.spectral_rolloff(S=S)``: the lowest frequency below which ``roll_percent``
    of the frame's magnitude lies, as the first bin where the same float32 cumulative sum crosses
    the threshold (librosa masks the whole spectrogram with NaNs and takes a minimum). (1, t), Hz."""
    cumulative = np.cumsum(S, axis=-2)
    crossed = cumulative >= roll_percent * cumulative[-1]
    return librosa.fft_frequencies(sr=sr, n_fft=n_fft)[np.argmax(crossed, axis=0)][None, :]


def _zero_crossing_rate(y: np.ndarray, *, frame_length: int, hop_length: int) -> np.ndarray:
    """``librosa.feature.zero_crossing_rate(y)`` (centred frames, edge padding, |y| <= 1e-10 counts
    as positive zero) by counting each crossing once instead of once per overlapping frame.

    Returns a (1, t) array of crossings per sample.
    """
    padded = np.pad(y, frame_length // 2, mode="edge")
    threshold = np.asarray(1e-10, dtype=padded.dtype)
    negative = np.signbit(np.where(np.abs(padded) <= threshold, 0, padded))
    # crossings[k]: crossings between samples 0..k; a frame counts those after its first sample
    crossings = np.concatenate([[0], np.cumsum(negative[1:] != negative[:-1])])
    starts = np.arange(1 + (padded.shape[0] - frame_length) // hop_length) * hop_length
    return ((crossings[starts + frame_length - 1] - crossings[starts]) / frame_length)[None, :]


# --------------------------------------------------------------------------------------------
# frame-level analysis


@dataclass
class _Analysis:
    """Frame-level descriptors of one clip: ``frames[name]`` is (rows, t); ``samples[name]`` is (n,)."""

    frames: dict[str, np.ndarray]
    samples: dict[str, np.ndarray]
    onset_envelope: np.ndarray | None
    n_frames: int
    n_samples: int


def _check_signal(y: np.ndarray, sr: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise AudioError(None, f"expected a mono signal of shape (n,), got shape {y.shape}")
    if not isinstance(sr, (int, np.integer)) or sr <= 0:
        raise ConfigError(f"sample rate must be a positive integer (Hz), got {sr!r}")
    if not np.issubdtype(y.dtype, np.floating):
        raise AudioError(None, f"expected float samples in [-1, 1], got dtype {y.dtype}")
    if y.shape[0] < MIN_SECONDS * sr:
        raise AudioError(None, f"too short: {y.shape[0] / sr:.2f} s, features need at least {MIN_SECONDS:g} s")
    if not np.all(np.isfinite(y)):
        raise AudioError(None, "corrupt: the signal contains NaN or infinite samples")
    return np.ascontiguousarray(y, dtype=np.float32)


def _analyse(y: np.ndarray, sr: int, cfg: FeatureConfig) -> _Analysis:
    load_librosa()
    n_fft, hop = cfg.n_fft, cfg.hop_length
    frames: dict[str, np.ndarray] = {}
    samples: dict[str, np.ndarray] = {}

    # spectra
    D = librosa.stft(y, n_fft=n_fft, hop_length=hop)
    S = np.abs(D)
    power = S**2

    # chroma
    frames["chroma_stft"] = _chroma_stft(power, sr=sr, n_fft=n_fft)
    if cfg.chroma_cqt:
        # cqt() estimates tuning from a default STFT of y; at the default STFT that is ours.
        tuning = None
        if (n_fft, hop) == (2048, 512):
            tuning = estimate_tuning(S, sr=sr, n_fft=n_fft, bins_per_octave=_CQT_BINS_PER_OCTAVE)
        with warnings.catch_warnings():
            # clips under ~3 s are shorter than the lowest octaves' filters; librosa zero-pads them
            warnings.filterwarnings("ignore", message="n_fft=.* is too large", category=UserWarning)
            # at other STFT settings cqt() estimates tuning itself: silence has none (see estimate_tuning)
            warnings.filterwarnings("ignore", message=_NO_PEAKS, category=UserWarning)
            frames["chroma_cqt"] = librosa.feature.chroma_cqt(y=y, sr=sr, hop_length=hop, tuning=tuning)

    # time-domain frames
    frames["rms"] = librosa.feature.rms(y=y, frame_length=n_fft, hop_length=hop)
    frames["zcr"] = _zero_crossing_rate(y, frame_length=n_fft, hop_length=hop)

    # spectral shape
    frames["spectral_centroid"], frames["spectral_bandwidth"] = _centroid_bandwidth(S, sr=sr, n_fft=n_fft)
    frames["spectral_contrast"] = librosa.feature.spectral_contrast(S=S, sr=sr, n_fft=n_fft, hop_length=hop)
    frames["spectral_rolloff"] = _rolloff(S, sr=sr, n_fft=n_fft)

    # harmonic / percussive
    if cfg.hpss or cfg.tonnetz:
        harmonic, percussive = hpss_waveforms(y, D=D, S=S, n_fft=n_fft, hop_length=hop)
        if cfg.hpss:
            samples["harmonic"], samples["percussive"] = harmonic, percussive
        if cfg.tonnetz:
            power_h = np.abs(librosa.stft(harmonic, n_fft=n_fft, hop_length=hop)) ** 2
            frames["tonnetz"] = librosa.feature.tonnetz(sr=sr, chroma=_chroma_stft(power_h, sr=sr, n_fft=n_fft))
    del D

    # mel: MFCCs and the onset envelope share the log-mel spectrogram
    mel = _apply(_filters("mel", sr, n_fft, cfg.n_mels), power)
    log_mel = librosa.power_to_db(mel)
    frames["mfcc"] = librosa.feature.mfcc(S=log_mel, n_mfcc=cfg.n_mfcc)
    onset = librosa.onset.onset_strength(S=log_mel, sr=sr, hop_length=hop) if cfg.tempo else None

    return _Analysis(frames, samples, onset, n_frames=S.shape[-1], n_samples=y.shape[0])


def _tempo(onset: np.ndarray, sr: int, hop: int) -> float:
    if not np.any(onset > 0):
        # a flat envelope (digital silence) has no beat; librosa would return its prior's peak
        return 0.0
    return float(librosa.feature.tempo(onset_envelope=onset, sr=sr, hop_length=hop)[0])


def _summarise(a: _Analysis, cfg: FeatureConfig, *, sr: int, frames: slice, samples: slice) -> dict[str, float]:
    out: dict[str, float] = {}
    for block in _blocks(cfg):
        x = a.samples[block.name][samples] if block.unit == "samples" else a.frames[block.name][..., frames]
        x = x.astype(np.float64, copy=False)
        if block.pooled or not block.rows:
            out[f"{block.name}_mean"] = float(x.mean())
            out[f"{block.name}_var"] = float(x.var())
        if block.rows:
            means, variances = x.mean(axis=-1), x.var(axis=-1)
            for i, row in enumerate(block.rows):
                out[f"{block.name}_{row}_mean"] = float(means[i])
                out[f"{block.name}_{row}_var"] = float(variances[i])
    if cfg.tempo:
        out["tempo"] = _tempo(a.onset_envelope[frames], sr, cfg.hop_length)
    return out


# --------------------------------------------------------------------------------------------
# public API


def extract_features(y: np.ndarray, *, sr: int, cfg: FeatureConfig | None = None) -> dict[str, float]:
    """Hand-crafted features of one clip.

    Parameters
    ----------
    y : np.ndarray [shape=(n,), float]
        Mono signal in [-1, 1], at least :data:`MIN_SECONDS` long. Silence is allowed (features
        of an all-zero signal are zeros or the log floor, never NaN).
    sr : int
        Sample rate in Hz.
    cfg : FeatureConfig or None
        Which descriptors and STFT settings (defaults if None).

    Returns
    -------
    features : dict of str -> float
        Keys :func:`feature_names(cfg) <feature_names>` in that order. Frequencies in Hz,
        contrast in dB, tempo in BPM.

    Raises
    ------
    AudioError
        If ``y`` is not a finite mono float signal or is shorter than :data:`MIN_SECONDS`.
    """
    cfg = cfg or FeatureConfig()
    y = _check_signal(y, sr)
    a = _analyse(y, sr, cfg)
    return _summarise(a, cfg, sr=sr, frames=slice(None), samples=slice(None))


def extract_chunked(
    y: np.ndarray,
    *,
    sr: int,
    cfg: FeatureConfig | None = None,
    chunk_seconds: float | None,
    hop_seconds: float | None = None,
) -> pd.DataFrame:
    """Hand-crafted features per chunk of one clip, analysing the clip once.

    Chunks are the full chunks of :func:`genrekit.data.audio.chunk_signal` (a partial last chunk
    is dropped). See the module docstring for the edge effects of slicing a whole-clip analysis.

    Parameters
    ----------
    y : np.ndarray [shape=(n,), float]
        Mono signal in [-1, 1].
    sr : int
        Sample rate in Hz.
    cfg : FeatureConfig or None
        Feature settings (defaults if None).
    chunk_seconds : float or None
        Chunk length in seconds; None for one row covering the whole clip.
    hop_seconds : float or None
        Step between chunk starts in seconds (``chunk_seconds`` if None).

    Returns
    -------
    frame : pd.DataFrame [shape=(n_chunks, 2 + n_features)]
        Columns ``chunk`` (int, from 0), ``start_s`` (float, seconds), then :func:`feature_names`.

    Raises
    ------
    AudioError
        If the signal is unusable (see :func:`extract_features`) or shorter than one chunk.
    ConfigError
        If the chunk is shorter than :data:`MIN_SECONDS` or the hop is not positive.
    """
    cfg = cfg or FeatureConfig()
    y = _check_signal(y, sr)
    if chunk_seconds is None:
        spans = [(0, y.shape[0])]
    else:
        check_chunking(chunk_seconds, hop_seconds)
        size = int(round(chunk_seconds * sr))
        step = int(round((hop_seconds or chunk_seconds) * sr))
        count = 0 if y.shape[0] < size else 1 + (y.shape[0] - size) // step
        if count == 0:
            raise AudioError(None, f"too short: {y.shape[0] / sr:.2f} s is less than one {chunk_seconds:g} s chunk")
        spans = [(i * step, i * step + size) for i in range(count)]

    a = _analyse(y, sr, cfg)
    hop = cfg.hop_length
    rows = []
    for i, (start, stop) in enumerate(spans):
        # frames whose centre (frame * hop) lies in [start, stop)
        first, last = -(-start // hop), min(-(-stop // hop), a.n_frames)
        values = _summarise(a, cfg, sr=sr, frames=slice(first, last), samples=slice(start, stop))
        rows.append(list(values.values()))
    values = np.asarray(rows, dtype=np.float64).reshape(len(spans), -1)
    columns = {"chunk": np.arange(len(spans), dtype=np.int64), "start_s": np.array([start / sr for start, _ in spans])}
    columns.update(zip(feature_names(cfg), values.T))
    return pd.DataFrame(columns)


def check_chunking(chunk_seconds: float | None, hop_seconds: float | None) -> None:
    """Raise ConfigError unless chunks are at least :data:`MIN_SECONDS` and the hop is positive."""
    if chunk_seconds is None:
        return
    if not chunk_seconds >= MIN_SECONDS:
        raise ConfigError(f"chunk_seconds must be at least {MIN_SECONDS:g} s, got {chunk_seconds}")
    if hop_seconds is not None and not hop_seconds > 0:
        raise ConfigError(f"hop_seconds must be positive, got {hop_seconds}")


_WARM = False


def warm_up() -> None:
    """Run every librosa path once on a 2 s signal so numba compiles before real work.

    Holds :func:`~genrekit.features.numba_cache.compile_lock` throughout, so processes started
    together compile (and write numba's cache) one at a time. Cheap to call again: only the first
    call in a process does anything.
    """
    global _WARM
    if _WARM:
        return
    sr = 22050
    t = np.arange(2 * sr) / sr
    y = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * np.random.default_rng(0).standard_normal(t.size)).astype(np.float32)
    y[:: sr // 4] += 0.5  # clicks, so the tempo path runs too
    with compile_lock():
        extract_chunked(y, sr=sr, cfg=FeatureConfig(), chunk_seconds=1.0)
    _WARM = True


# --------------------------------------------------------------------------------------------
# the slow reference


def relative_difference(values: dict[str, float], reference: dict[str, float]) -> dict[str, float]:
    """Per feature, ``|values - reference|`` relative to the reference value, or for a ``_mean``
    to the descriptor's standard deviation (``sqrt`` of its ``_var``) when that is larger: a mean
    near zero, such as a waveform's, has no relative scale of its own.

    Returns
    -------
    diff : dict of str -> float
        0 where both are equal (also for all-zero features), ``inf`` where only the scale is zero.
    """
    out = {}
    for name, ref in reference.items():
        scale = abs(ref)
        if name.endswith("_mean"):
            scale = max(scale, math.sqrt(max(reference.get(name[: -len("_mean")] + "_var", 0.0), 0.0)))
        diff = abs(values[name] - ref)
        out[name] = diff / scale if scale > 0 else (0.0 if diff == 0 else math.inf)
    return out


def reference_features(y: np.ndarray, *, sr: int, cfg: FeatureConfig | None = None) -> dict[str, float]:
    """The same features the naive way: every librosa function on the raw signal.

    Each call recomputes its own spectrum and librosa's HPSS runs twice (once per component) with
    ``scipy.ndimage.median_filter``; this is the pattern behind the GTZAN CSV and most notebooks.
    It exists to check :func:`extract_features` (tests) and to time it (``bench/features.py``);
    expect it to be about ten times slower. Same arguments, checks and output as
    :func:`extract_features`.
    """
    load_librosa()
    cfg = cfg or FeatureConfig()
    y = _check_signal(y, sr)
    n_fft, hop = cfg.n_fft, cfg.hop_length
    stft = {"n_fft": n_fft, "hop_length": hop}
    frames: dict[str, np.ndarray] = {
        "chroma_stft": librosa.feature.chroma_stft(y=y, sr=sr, **stft),
        "rms": librosa.feature.rms(y=y, frame_length=n_fft, hop_length=hop),
        "zcr": librosa.feature.zero_crossing_rate(y, frame_length=n_fft, hop_length=hop),
        "spectral_centroid": librosa.feature.spectral_centroid(y=y, sr=sr, **stft),
        "spectral_bandwidth": librosa.feature.spectral_bandwidth(y=y, sr=sr, **stft),
        "spectral_contrast": librosa.feature.spectral_contrast(y=y, sr=sr, **stft),
        "spectral_rolloff": librosa.feature.spectral_rolloff(y=y, sr=sr, **stft),
        "mfcc": librosa.feature.mfcc(y=y, sr=sr, n_mfcc=cfg.n_mfcc, n_mels=cfg.n_mels, **stft),
    }
    samples: dict[str, np.ndarray] = {}
    if cfg.chroma_cqt:
        frames["chroma_cqt"] = librosa.feature.chroma_cqt(y=y, sr=sr, hop_length=hop)
    if cfg.hpss or cfg.tonnetz:
        harmonic = librosa.effects.harmonic(y, **stft)
        if cfg.hpss:
            samples["harmonic"] = harmonic
            samples["percussive"] = librosa.effects.percussive(y, **stft)
        if cfg.tonnetz:
            frames["tonnetz"] = librosa.feature.tonnetz(y=harmonic, sr=sr, chroma=librosa.feature.chroma_stft(y=harmonic, sr=sr, **stft))
    onset = librosa.onset.onset_strength(y=y, sr=sr, n_mels=cfg.n_mels, **stft) if cfg.tempo else None
    a = _Analysis(frames, samples, onset, n_frames=frames["rms"].shape[-1], n_samples=y.shape[0])
    return _summarise(a, cfg, sr=sr, frames=slice(None), samples=slice(None))
