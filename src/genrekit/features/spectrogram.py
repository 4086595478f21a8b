"""Spectrogram images and MFCC matrices as a torch module, so the audio front-end ships inside every network.

:class:`SpectrogramFrontEnd` turns a batch of waveforms into one-channel images on whatever device
the network is on: STFT power, a frequency scale (linear, mel, log-frequency) or MFCCs, decibels,
a resize to a fixed image size and a normalisation. Because the front-end is a submodule of the
network, training, the album CLI and the app can never preprocess differently.

Image convention: ``image[..., row, column]`` with row 0 the *lowest* frequency (as librosa's arrays;
plot with ``origin="lower"``) and columns in time order.

Scales
------
``linear``
    The STFT bins from 0 Hz to ``sr/2``, rows evenly spaced in Hz.
``mel``
    Slaney mel filterbank (librosa's) between ``fmin`` and ``fmax``.
``log``
    Log-frequency: triangular filters on log-spaced centre frequencies from ``fmin`` (default C1,
    32.7 Hz) to ``fmax``, each normalised to unit area, applied to the STFT power. Every octave gets
    the same number of rows, as in a constant-Q transform, but it is one matrix product on the STFT,
    so it runs on the GPU and costs no more than a mel spectrogram. Below a few hundred Hz the STFT
    cannot resolve neighbouring rows, which then interpolate between bins (a true CQT would need
    longer windows there).
``mfcc``
    DCT-II (orthonormal) of the mel power in dB, the first ``n_mfcc`` coefficients: numerically
    librosa's ``feature.mfcc``. Not resized by default: shape ``(n_mfcc, frames)``.

The deterministic part (:meth:`SpectrogramFrontEnd.compute`) can be cached on disk with
:class:`SpectrogramCache`; the forward pass accepts such precomputed images and then only applies
the learned normalisation (if any) and, in training mode, SpecAugment masking.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from genrekit import paths
from genrekit.data.store import TrackStore
from genrekit.errors import ConfigError
from genrekit.features.numba_cache import load_librosa

#: Spectrogram kinds :class:`SpectrogramFrontEnd` knows.
KINDS = ("mel", "log", "linear", "mfcc")

#: Normalisations: per-image standardisation, a learned per-row batch norm (MFCC inputs), or none.
NORMS = ("instance", "batch", "none")

#: Lowest centre frequency of the log-frequency scale by default: C1.
LOG_FMIN = 32.703

# Bump when the meaning of a cached image changes, so stale caches are never read.
_CACHE_VERSION = 1


class SpecAugment(nn.Module):
    """Random time and frequency masking (Park et al. 2019, "SpecAugment"), active in training only.

    Each image gets ``freq_masks`` bands of up to ``max_freq`` of its rows and ``time_masks`` bands
    of up to ``max_time`` of its columns set to zero (the mean of a standardised image).
    """

    def __init__(self, *, freq_masks: int = 2, max_freq: float = 0.15, time_masks: int = 2, max_time: float = 0.15):
        super().__init__()
        self.freq_masks, self.max_freq = int(freq_masks), float(max_freq)
        self.time_masks, self.max_time = int(time_masks), float(max_time)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        batch, _, rows, cols = x.shape
        keep = torch.ones(batch, 1, rows, cols, dtype=torch.bool, device=x.device)
        for axis, count, fraction in ((2, self.freq_masks, self.max_freq), (3, self.time_masks, self.max_time)):
            length = x.shape[axis]
            for _ in range(count):
                width = (torch.rand(batch, device=x.device) * fraction * length).long()
                start = (torch.rand(batch, device=x.device) * (length - width + 1)).long()
                pos = torch.arange(length, device=x.device)[None, :]
                band = (pos >= start[:, None]) & (pos < (start + width)[:, None])  # (batch, length)
                shape = (batch, 1, length, 1) if axis == 2 else (batch, 1, 1, length)
                keep &= ~band.view(shape)
        return x * keep


class SpectrogramFrontEnd(nn.Module):
    """Waveforms to normalised spectrogram images: the audio front-end of every genrekit network.

    Parameters
    ----------
    kind : {'mel', 'log', 'linear', 'mfcc'}
        Frequency scale (see the module docstring).
    sr : int
        Sample rate of the input waveforms in Hz.
    n_fft : int
        STFT window (Hann) and FFT length in samples.
    hop_length : int
        STFT hop in samples.
    size : (int, int) or None
        Resize the image to ``(rows, columns)`` (bilinear, antialiased); ``None`` keeps the native
        rows (``n_fft/2+1``, ``n_mels``, ``n_bins`` or ``n_mfcc``) and one column per frame.
    n_mels : int
        Mel bands (kind 'mel', and behind 'mfcc').
    n_mfcc : int
        Cepstral coefficients kept (kind 'mfcc').
    n_bins : int
        Rows of the log-frequency filterbank (kind 'log').
    fmin, fmax : float or None
        Frequency range in Hz of 'mel', 'mfcc' and 'log' (defaults: 0 Hz, or C1 for 'log'; ``sr/2``).
    top_db : float
        Clip each image at this many dB below its maximum, as ``librosa.power_to_db``.
    norm : {'instance', 'batch', 'none'}
        'instance' standardises each image (zero mean, unit variance); 'batch' is a learned
        :class:`torch.nn.BatchNorm1d` per row (good for MFCCs, whose rows have very different scales).
    spec_augment : bool
        Apply :class:`SpecAugment` masking in training mode.

    Shapes
    ------
    ``forward(x)``: ``x`` is ``(batch, samples)`` waveforms, or ``(batch, 1, rows, columns)`` images
    from :meth:`compute` (e.g. read from a :class:`SpectrogramCache`); returns ``(batch, 1, rows, columns)``.
    """

    def __init__(
        self,
        kind: str = "mel",
        *,
        sr: int = 22050,
        n_fft: int = 2048,
        hop_length: int = 512,
        size: tuple[int, int] | None = (224, 224),
        n_mels: int = 128,
        n_mfcc: int = 20,
        n_bins: int = 128,
        fmin: float | None = None,
        fmax: float | None = None,
        top_db: float = 80.0,
        norm: str = "instance",
        spec_augment: bool = False,
    ):
        super().__init__()
        if kind not in KINDS:
            raise ConfigError(f"unknown spectrogram kind {kind!r}; choose one of {', '.join(KINDS)}")
        if norm not in NORMS:
            raise ConfigError(f"unknown spectrogram norm {norm!r}; choose one of {', '.join(NORMS)}")
        if size is not None:
            size = tuple(int(s) for s in size)
            if len(size) != 2 or min(size) < 1:
                raise ConfigError(f"spectrogram size must be two positive integers (rows, columns), got {size}")
        if n_fft < 2 or hop_length < 1 or sr < 1:
            raise ConfigError(f"need sr >= 1, n_fft >= 2 and hop_length >= 1 (got {sr}, {n_fft}, {hop_length})")
        nyquist = sr / 2.0
        fmin = float(fmin) if fmin is not None else (LOG_FMIN if kind == "log" else 0.0)
        fmax = float(fmax) if fmax is not None else nyquist
        if not 0.0 <= fmin < fmax <= nyquist:
            raise ConfigError(f"need 0 <= fmin < fmax <= sr/2 = {nyquist:g} Hz, got fmin={fmin:g}, fmax={fmax:g}")
        if kind == "log" and fmin <= 0:
            raise ConfigError("a log-frequency scale needs fmin > 0 Hz")
        self.kind, self.sr, self.n_fft, self.hop_length = kind, int(sr), int(n_fft), int(hop_length)
        self.size = size
        self.n_mels, self.n_mfcc, self.n_bins = int(n_mels), int(n_mfcc), int(n_bins)
        self.fmin, self.fmax, self.top_db, self.norm = fmin, fmax, float(top_db), norm

        # Filterbanks are rebuilt from the config rather than stored in checkpoints (non-persistent):
        # the config is in the checkpoint and librosa's filters are deterministic.
        self.register_buffer("window", torch.hann_window(self.n_fft), persistent=False)
        fb, self._native_freqs = self._filterbank()
        self.register_buffer("filterbank", fb, persistent=False)
        if kind == "mfcc":
            self.register_buffer("dct", _dct_matrix(self.n_mfcc, self.n_mels), persistent=False)
        self.batch_norm = nn.BatchNorm1d(self.rows) if norm == "batch" else None
        self.augment = SpecAugment() if spec_augment else None

    # ------------------------------------------------------------------ description
    @property
    def config(self) -> dict[str, Any]:
        """Constructor arguments (JSON-able): stored in checkpoints and used as the cache key."""
        return {
            "kind": self.kind,
            "sr": self.sr,
            "n_fft": self.n_fft,
            "hop_length": self.hop_length,
            "size": list(self.size) if self.size else None,
            "n_mels": self.n_mels,
            "n_mfcc": self.n_mfcc,
            "n_bins": self.n_bins,
            "fmin": self.fmin,
            "fmax": self.fmax,
            "top_db": self.top_db,
            "norm": self.norm,
        }

    @property
    def native_rows(self) -> int:
        """Rows before resizing."""
        if self.kind == "mfcc":
            return self.n_mfcc
        return self.filterbank.shape[0] if self.filterbank is not None else self.n_fft // 2 + 1

    @property
    def rows(self) -> int:
        """Rows of the output image."""
        return self.size[0] if self.size else self.native_rows

    def n_frames(self, n_samples: int) -> int:
        """Columns of the image for a waveform of ``n_samples`` (before any resize)."""
        return 1 + n_samples // self.hop_length

    def output_shape(self, n_samples: int) -> tuple[int, int, int]:
        """``(1, rows, columns)`` of the image for a waveform of ``n_samples``."""
        return (1, self.rows, self.size[1] if self.size else self.n_frames(n_samples))

    def row_frequencies(self) -> np.ndarray | None:
        """Centre frequency in Hz of each output row (None for MFCCs, whose rows are not frequencies).

        Returns
        -------
        freqs : np.ndarray [shape=(rows,)]
        """
        if self.kind == "mfcc":
            return None
        native = self._native_freqs
        if not self.size or self.size[0] == len(native):
            return native.copy()
        # an output row's centre sits at this fractional input row (align_corners=False)
        scale = len(native) / self.size[0]
        pos = (np.arange(self.size[0]) + 0.5) * scale - 0.5
        return np.interp(pos, np.arange(len(native)), native)

    def extra_repr(self) -> str:
        size = "native" if not self.size else f"{self.size[0]}x{self.size[1]}"
        return f"kind={self.kind!r}, sr={self.sr}, n_fft={self.n_fft}, hop={self.hop_length}, size={size}, norm={self.norm!r}"

    # ------------------------------------------------------------------ computation
    def compute(self, waveform: torch.Tensor) -> torch.Tensor:
        """The deterministic part: waveform to dB image, resized and (instance-)normalised.

        Parameters
        ----------
        waveform : torch.Tensor [shape=(batch, samples) or (samples,)]

        Returns
        -------
        image : torch.Tensor [shape=(batch, 1, rows, columns), dtype=float32]
        """
        if waveform.dim() == 1:
            waveform = waveform[None]
        if waveform.dim() != 2:
            raise ValueError(f"expected waveforms of shape (batch, samples), got {tuple(waveform.shape)}")
        # Mixed precision would ruin the dB scale (fp16 underflows at -100 dB): always float32 here.
        with torch.autocast(device_type=waveform.device.type, enabled=False):
            x = waveform.float()
            spec = torch.stft(
                x, self.n_fft, hop_length=self.hop_length, window=self.window, center=True,
                pad_mode="constant", return_complex=True,
            )
            power = spec.real.square() + spec.imag.square()  # (batch, n_fft/2+1, frames)
            if self.filterbank is not None:
                power = torch.matmul(self.filterbank, power)
            db = 10.0 * torch.log10(power.clamp_min(1e-10))
            db = torch.maximum(db, db.amax(dim=(-2, -1), keepdim=True) - self.top_db)
            if self.kind == "mfcc":
                db = torch.matmul(self.dct, db)
            image = db[:, None]
            if self.size is not None and tuple(image.shape[-2:]) != self.size:
                image = F.interpolate(image, size=self.size, mode="bilinear", align_corners=False, antialias=True)
            if self.norm == "instance":
                mean = image.mean(dim=(-2, -1), keepdim=True)
                std = image.std(dim=(-2, -1), keepdim=True)
                image = (image - mean) / (std + 1e-5)
        return image.contiguous()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # spectrogram, unless x already holds images from compute() (the spectrogram cache)
        if x.dim() == 4:
            if x.shape[1] != 1 or x.shape[2] != self.rows:
                raise ValueError(f"precomputed images must be (batch, 1, {self.rows}, columns), got {tuple(x.shape)}")
            image = x.float()
        else:
            image = self.compute(x)
        # learned normalisation (per row), then training-time masking
        if self.batch_norm is not None:
            image = self.batch_norm(image[:, 0])[:, None]
        if self.augment is not None:
            image = self.augment(image)
        return image

    # ------------------------------------------------------------------ filterbanks
    def _filterbank(self) -> tuple[torch.Tensor | None, np.ndarray]:
        """(filterbank (rows, n_fft/2+1) or None, centre frequency of each native row)."""
        bin_freqs = np.linspace(0.0, self.sr / 2.0, self.n_fft // 2 + 1)
        if self.kind == "linear":
            return None, bin_freqs
        if self.kind == "log":
            fb, centres = log_filterbank(sr=self.sr, n_fft=self.n_fft, n_bins=self.n_bins, fmin=self.fmin, fmax=self.fmax)
            return torch.from_numpy(fb), centres
        librosa = load_librosa()
        fb = librosa.filters.mel(sr=self.sr, n_fft=self.n_fft, n_mels=self.n_mels, fmin=self.fmin, fmax=self.fmax)
        centres = librosa.mel_frequencies(self.n_mels + 2, fmin=self.fmin, fmax=self.fmax)[1:-1]
        return torch.from_numpy(np.ascontiguousarray(fb, dtype=np.float32)), centres


def log_filterbank(*, sr: int, n_fft: int, n_bins: int, fmin: float, fmax: float) -> tuple[np.ndarray, np.ndarray]:
    """Triangular filters on log-spaced centre frequencies, each normalised to unit area.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    n_fft : int
        FFT length; the filters act on its ``n_fft // 2 + 1`` bins.
    n_bins : int
        Number of filters (rows).
    fmin, fmax : float
        Centre frequencies of the first and last filter in Hz (``0 < fmin < fmax``).

    Returns
    -------
    weights : np.ndarray [shape=(n_bins, n_fft // 2 + 1), dtype=float32]
        Each row sums to 1.
    centres : np.ndarray [shape=(n_bins,)]
        Centre frequencies in Hz, ``fmin * (fmax / fmin) ** (i / (n_bins - 1))``.
    """
    if n_bins < 2:
        raise ConfigError(f"a log-frequency filterbank needs at least 2 bins, got {n_bins}")
    ratio = (fmax / fmin) ** (1.0 / (n_bins - 1))
    # one extra centre at each end gives the outer filters their edges
    edges = fmin * ratio ** np.arange(-1, n_bins + 1)
    centres = edges[1:-1]
    bin_freqs = np.linspace(0.0, sr / 2.0, n_fft // 2 + 1)
    spacing = sr / n_fft
    # A filter narrower than the STFT bin spacing would miss every bin: widen it to one bin each side.
    lower = np.minimum(edges[:-2], centres - spacing)
    upper = np.maximum(edges[2:], centres + spacing)
    f = bin_freqs[None, :]
    rising = (f - lower[:, None]) / (centres - lower)[:, None]
    falling = (upper[:, None] - f) / (upper - centres)[:, None]
    weights = np.clip(np.minimum(rising, falling), 0.0, None)
    weights /= weights.sum(axis=1, keepdims=True)
    return weights.astype(np.float32), centres


def _dct_matrix(n_out: int, n_in: int) -> torch.Tensor:
    """Orthonormal DCT-II as a matrix (``scipy.fft.dct(x, type=2, norm='ortho')`` on rows): (n_out, n_in)."""
    n = np.arange(n_in)
    k = np.arange(n_out)[:, None]
    basis = np.cos(np.pi * k * (2 * n + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
    basis[0] /= np.sqrt(2.0)
    return torch.from_numpy(basis.astype(np.float32))


# ---------------------------------------------------------------------- numpy conveniences
@functools.lru_cache(maxsize=16)
def _cached_frontend(kind: str, sr: int, size: tuple[int, int] | None, options: tuple) -> SpectrogramFrontEnd:
    return SpectrogramFrontEnd(kind, sr=sr, size=size, **dict(options)).eval()


def spectrogram_image(y: np.ndarray, *, sr: int, kind: str = "mel", size: tuple[int, int] | None = (224, 224), **options) -> np.ndarray:
    """One waveform to one spectrogram image, with the same code the networks run.

    Parameters
    ----------
    y : np.ndarray [shape=(samples,)]
        Mono signal.
    sr : int
        Its sample rate in Hz.
    kind : {'mel', 'log', 'linear', 'mfcc'}
    size : (int, int) or None
        Output ``(rows, columns)``; None for native resolution.
    **options
        Other :class:`SpectrogramFrontEnd` arguments (``n_fft``, ``hop_length``, ``n_mels``, ``norm``, ...).

    Returns
    -------
    image : np.ndarray [shape=(rows, columns), dtype=float32]
        Row 0 is the lowest frequency.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ValueError(f"spectrogram_image expects a mono signal of shape (samples,), got {y.shape}")
    frontend = _cached_frontend(kind, int(sr), None if size is None else tuple(size), tuple(sorted(options.items())))
    with torch.no_grad():
        return frontend(torch.from_numpy(y)[None])[0, 0].numpy()


def plot_spectrograms(
    y: np.ndarray, *, sr: int, path: str | Path, kinds: tuple[str, ...] = ("mel", "log", "linear"), title: str | None = None
) -> Path:
    """Save the mel, log-frequency and linear spectrograms of one clip side by side (native resolution).

    Parameters
    ----------
    y : np.ndarray [shape=(samples,)]
    sr : int
        Sample rate in Hz.
    path : str or Path
        Output image (PNG, SVG, PDF: from the suffix).

    Returns
    -------
    path : Path
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    seconds = len(y) / sr
    fig = Figure(figsize=(4.2 * len(kinds), 3.6), dpi=110)
    FigureCanvasAgg(fig)
    axes = np.atleast_1d(fig.subplots(1, len(kinds)))
    names = {"mel": "mel", "log": "log-frequency", "linear": "linear (STFT)", "mfcc": "MFCC"}
    for ax, kind in zip(axes, kinds):
        frontend = _cached_frontend(kind, int(sr), None, (("norm", "none"),))
        image = spectrogram_image(y, sr=sr, kind=kind, size=None, norm="none")
        shown = ax.imshow(image, origin="lower", aspect="auto", cmap="magma", extent=(0, seconds, -0.5, image.shape[0] - 0.5))
        freqs = frontend.row_frequencies()
        if freqs is not None:
            ticks = np.linspace(0, len(freqs) - 1, 6).round().astype(int)
            ax.set_yticks(ticks, [f"{freqs[t]:.0f}" for t in ticks])
            ax.set_ylabel("Hz")
        else:
            ax.set_ylabel("coefficient")
        ax.set_xlabel("seconds")
        ax.set_title(names[kind])
        fig.colorbar(shown, ax=ax, label="dB" if kind != "mfcc" else "")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path)
    return path


# ---------------------------------------------------------------------- on-disk cache
class SpectrogramCache(TrackStore):
    """Images from :meth:`SpectrogramFrontEnd.compute`, one ``.npy`` per track, keyed by configuration.

    A :class:`~genrekit.data.store.TrackStore` under ``genrekit.paths.store_dir() / "spectrograms"``
    whose arrays are a track's chunk images ``(n_chunks, 1, rows, columns)``. The key hashes the
    front-end config and the audio window (sample rate, clip, chunk and hop seconds), and
    ``key.json`` beside the files says what it stands for.

    Parameters
    ----------
    frontend : SpectrogramFrontEnd or dict
        The front-end (or its :attr:`~SpectrogramFrontEnd.config`).
    audio : dict
        Whatever else determines the chunks (e.g. ``{"clip_seconds": 30, "chunk_seconds": 3}``).
    root : str or Path, optional
    """

    def __init__(self, frontend: SpectrogramFrontEnd | dict, *, audio: dict, root: str | Path | None = None):
        config = frontend.config if isinstance(frontend, SpectrogramFrontEnd) else dict(frontend)
        # the learned norm runs after the cache, so it does not change what is stored
        description = {"version": _CACHE_VERSION, "frontend": {k: v for k, v in config.items() if k != "norm"},
                       "instance_norm": config.get("norm") == "instance", "audio": audio}
        super().__init__(description, root=root or paths.store_dir() / "spectrograms")
