"""musicnn in PyTorch: two small tagging CNNs trained on real music, with their front-end.

Pons & Serra, "musicnn: pre-trained convolutional neural networks for music audio tagging",
ISMIR 2019 late-breaking demo. ``MSD_musicnn`` was trained on the Million Song Dataset's 50 most
common tags, ``MTT_musicnn`` on MagnaTagATune's 50; the weights are the authors' (ISC licence),
read from their PyPI wheel by :mod:`genrekit.pretrained.weights`.

Input: audio at 16 kHz, mono; a mel power spectrogram (n_fft 512, hop 256, 96 Slaney mel bands,
as librosa computes it) compressed as ``log10(1 + 10000 S)``, cut into non-overlapping patches of
187 frames (2.99 s) from the start. A partial last patch is dropped, so a signal shorter than one
patch (2.976 s) cannot be tagged: :func:`patches` raises :class:`~genrekit.errors.AudioError`
naming the length (the original crashes). The network (per patch):

* a musically motivated front-end: "timbral" convolutions of 7 frames x 38 and 67 mel bands
  (204 filters each) and "temporal" ones of 128, 64 and 32 frames x 1 band (51 each), every one
  max-pooled over the mel axis: 561 features per frame;
* a mid-end of three 1-D convolutions (64 filters, 7 frames) with residual connections;
* a back-end: max and mean over time of the 753 frame features, batch norm, a 200-unit dense
  layer (the "penultimate" embedding) and 50 sigmoid tag outputs.

Every block is conv -> ReLU -> batch norm, in that order, as in the original. :class:`Musicnn`
returns all four representations of each patch; :class:`MusicnnExtractor` runs one or both
models over a whole signal, sharing the spectrogram between them.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from genrekit.devices import resolve_device
from genrekit.errors import AudioError, ConfigError
from genrekit.features.numba_cache import load_librosa
from genrekit.pretrained.weights import load_weights

SAMPLE_RATE = 16_000
N_FFT = 512
HOP = 256
N_MELS = 96
PATCH_FRAMES = 187
#: Shortest signal (s) that yields one patch: 187 frames of a centred STFT.
MIN_SECONDS = (PATCH_FRAMES - 1) * HOP / SAMPLE_RATE
PATCH_SECONDS = PATCH_FRAMES * HOP / SAMPLE_RATE

MODELS = ("MSD_musicnn", "MTT_musicnn")

TAGS = {
    "MSD_musicnn": [
        "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s", "alternative rock",
        "jazz", "beautiful", "metal", "chillout", "male vocalists", "classic rock", "soul", "indie rock", "Mellow",
        "electronica", "80s", "folk", "90s", "chill", "instrumental", "punk", "oldies", "blues", "hard rock",
        "ambient", "acoustic", "experimental", "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country",
        "easy listening", "sexy", "catchy", "funk", "electro", "heavy metal", "Progressive rock", "60s", "rnb",
        "indie pop", "sad", "House", "happy",
    ],
    "MTT_musicnn": [
        "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast", "piano",
        "ambient", "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male", "singing", "vocals",
        "no vocals", "harpsichord", "loud", "quiet", "flute", "woman", "male vocal", "no vocal", "pop", "soft",
        "sitar", "solo", "man", "classic", "choir", "voice", "new age", "dance", "male voice", "female vocal",
        "beats", "harp", "cello", "no voice", "weird", "country", "metal", "female voice", "choral",
    ],
}

#: What :meth:`Musicnn.forward` returns per patch, and each output's width.
OUTPUTS = {"taggram": 50, "penultimate": 200, "max_pool": 753, "mean_pool": 753}

_BN_EPS = 1e-3


class LogMel(nn.Module):
    """musicnn's input: ``log10(1 + 10000 * mel power)``, frames x 96 bands, in float32.

    The original casts the mel power to float16 first; under NumPy 2 that overflows, and in
    float32 the tag probabilities move by less than 1e-4.
    """

    def __init__(self):
        super().__init__()
        mel = load_librosa().filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS)  # Slaney, as musicnn
        self.register_buffer("mel", torch.from_numpy(mel.astype(np.float32)), persistent=False)
        self.register_buffer("window", torch.hann_window(N_FFT, periodic=True), persistent=False)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        """(n,) waveform at 16 kHz -> (frames, 96), frames = 1 + n // 256 (centred, zero-padded)."""
        spec = torch.stft(y, N_FFT, HOP, window=self.window, center=True, pad_mode="constant", return_complex=True)
        power = spec.real.square() + spec.imag.square()
        return torch.log10(1.0 + 10000.0 * (self.mel @ power)).T


class _BatchNorm(nn.Module):
    """Inference-only batch norm over the last axis, stored as TensorFlow stores it."""

    def __init__(self, n: int):
        super().__init__()
        for name in ("gamma", "beta", "moving_mean", "moving_variance"):
            self.register_buffer(name, torch.ones(n) if name in ("gamma", "moving_variance") else torch.zeros(n))

    def scale_shift(self) -> tuple[torch.Tensor, torch.Tensor]:
        scale = self.gamma / torch.sqrt(self.moving_variance + _BN_EPS)
        return scale, self.beta - self.moving_mean * scale

    def forward(self, x: torch.Tensor, axis: int = -1) -> torch.Tensor:
        scale, shift = self.scale_shift()
        shape = [1] * x.dim()
        shape[axis] = -1
        return x * scale.view(shape) + shift.view(shape)


class Musicnn(nn.Module):
    """musicnn (Pons & Serra 2019): musically motivated CNN front-end, dense mid-end, pooled back-end.

    Layers are named after the TensorFlow checkpoint's variables, so :meth:`load_tf` maps
    weights one to one. Inference only (batch norm uses the moving statistics; no dropout).
    """

    def __init__(self, n_tags: int = 50):
        super().__init__()
        self.bn_input = _BatchNorm(1)
        # front-end: timbral (time x mel) and temporal (time x 1) filters, max over mel
        self.timbral = nn.ModuleList([nn.Conv2d(1, 204, (7, 38)), nn.Conv2d(1, 204, (7, 67))])
        self.temporal = nn.ModuleList([nn.Conv1d(1, 51, k) for k in (128, 64, 32)])
        self.bn_front = nn.ModuleList([_BatchNorm(n) for n in (204, 204, 51, 51, 51)])
        # mid-end: 1-D convolutions over time, residual after the first
        self.mid = nn.ModuleList([nn.Conv1d(561, 64, 7), nn.Conv1d(64, 64, 7), nn.Conv1d(64, 64, 7)])
        self.bn_mid = nn.ModuleList([_BatchNorm(64) for _ in range(3)])
        # back-end
        self.bn_pool = _BatchNorm(2 * 753)
        self.dense = nn.Linear(2 * 753, 200)
        self.bn_dense = _BatchNorm(200)
        self.output = nn.Linear(200, n_tags)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Tag probabilities and embeddings of log-mel patches.

        Parameters
        ----------
        x : torch.Tensor [shape=(batch, 187, 96)]
            :class:`LogMel` frames, one 187-frame patch per row.

        Returns
        -------
        dict of str to torch.Tensor
            ``taggram`` (batch, 50) sigmoid probabilities, ``penultimate`` (batch, 200),
            ``max_pool`` and ``mean_pool`` (batch, 753): the time pools of the mid-end's output.
        """
        batch = x.shape[0]
        # input batch norm (one channel)
        x = self.bn_input(x.unsqueeze(-1)).squeeze(-1)  # (B, T, 96)
        # front-end: each block is conv -> ReLU -> BN -> max over the mel axis
        front = self.timbral_features(x) + self.temporal_features(x)
        front = torch.cat(front, dim=1)  # (B, 561, T)
        # mid-end: conv -> ReLU -> BN, residual connections on the second and third
        layers = [front]
        h = front
        for i, (conv, bn) in enumerate(zip(self.mid, self.bn_mid)):
            out = bn(F.relu(conv(F.pad(h, (3, 3)))), axis=1)
            h = out if i == 0 else out + h
            layers.append(h)
        features = torch.cat(layers, dim=1)  # (B, 753, T)
        # back-end: max and mean over time, interleaved as (753, 2) flattened
        max_pool, mean_pool = features.amax(dim=2), features.mean(dim=2)
        pooled = self.bn_pool(torch.stack([max_pool, mean_pool], dim=2).reshape(batch, -1))
        penultimate = self.bn_dense(F.relu(self.dense(pooled)))
        taggram = torch.sigmoid(self.output(penultimate))
        return {"taggram": taggram, "penultimate": penultimate, "max_pool": max_pool, "mean_pool": mean_pool}

    # The front-end's outputs are 60x (timbral) and 96x (temporal) larger than what is kept
    # after the max over mel; writing them, then ReLU and BN over them, cost more than the
    # convolutions. So the sign of BN's scale is folded into the filters: for s > 0,
    # max_f(s relu(x_f) + h) = s relu(max_f x_f) + h, and for s < 0 the max of -x gives the min.
    # ReLU and BN then touch only the pooled values, and on the CPU the convolutions are tiled
    # GEMMs that pool as they go, so the full outputs never exist.

    #: On a CPU, compute the front-end as cache-sized GEMMs (False: plain convolutions, as on a GPU).
    tiled = True

    def _tiled(self, x: torch.Tensor) -> bool:
        return self.tiled and x.device.type == "cpu"

    def timbral_features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The two timbral blocks: (B, T, 96) -> two (B, 204, T)."""
        padded = F.pad(x, (0, 0, 3, 3))  # 'same' in time; the mel axis is pooled away
        out = []
        for conv, bn in zip(self.timbral, self.bn_front):
            scale, shift = bn.scale_shift()
            sign = torch.where(scale < 0, -1.0, 1.0)
            weight, bias = conv.weight * sign.view(-1, 1, 1, 1), conv.bias * sign
            if self._tiled(x):
                pooled = _conv_max_over_mel(padded, weight, bias)
            else:
                pooled = F.conv2d(padded.unsqueeze(1), weight, bias).amax(dim=3)
            out.append(_relu_bn(pooled, sign, scale, shift))
        return out

    def temporal_features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The three temporal blocks (each mel band filtered in time alone): (B, T, 96) -> three (B, 51, T)."""
        batch, frames, bands = x.shape
        scales, shifts = zip(*(bn.scale_shift() for bn in self.bn_front[2:]))
        scale, shift = torch.cat(scales), torch.cat(shifts)
        sign = torch.where(scale < 0, -1.0, 1.0)
        # the three filters (128, 64 and 32 frames, TF 'same' padding) as one 128-frame filter
        # bank, shorter ones zero-padded around their centre: one GEMM instead of three convs
        width = self.temporal[0].kernel_size[0]
        bank = torch.zeros(width, sign.numel(), dtype=x.dtype, device=x.device)
        column = 0
        for conv in self.temporal:
            k, n = conv.kernel_size[0], conv.out_channels
            offset = (width - 1) // 2 - (k - 1) // 2
            bank[offset : offset + k, column : column + n] = conv.weight[:, 0].T
            column += n
        bank = bank * sign
        bias = torch.cat([conv.bias for conv in self.temporal]) * sign
        rows = F.pad(x.transpose(1, 2), ((width - 1) // 2, width // 2))  # (B, 96, T + 127)
        if self._tiled(x):
            pooled = torch.stack([_gemm_max(p.unfold(1, width, 1), bank, block=16) for p in rows]) + bias
        else:
            windows = rows.unfold(2, width, 1)  # (B, 96, T, 128)
            pooled = (windows @ bank).amax(dim=1) + bias
        out = _relu_bn(pooled.transpose(1, 2), sign, scale, shift)
        return list(out.split([conv.out_channels for conv in self.temporal], dim=1))

    def load_tf(self, tensors: dict[str, np.ndarray]) -> "Musicnn":
        """Copy the weights of a TensorFlow musicnn checkpoint (variable name -> array) into the layers."""
        def conv2d(name):  # TF (time, mel, in, out) -> torch (out, in, time, mel)
            return torch.from_numpy(tensors[f"{name}/kernel"]).permute(3, 2, 0, 1)

        def bn(module, index):
            suffix = "" if index == 0 else f"_{index}"
            for field in ("gamma", "beta", "moving_mean", "moving_variance"):
                getattr(module, field).copy_(torch.from_numpy(tensors[f"batch_normalization{suffix}/{field}"]))

        with torch.no_grad():
            bn(self.bn_input, 0)
            convs = [*self.timbral, *self.temporal, *self.mid]
            for i, (conv, norm) in enumerate(zip(convs, [*self.bn_front, *self.bn_mid])):
                name = "conv2d" if i == 0 else f"conv2d_{i}"
                kernel = conv2d(name)
                if i in (2, 3, 4):  # temporal: (out, 1, time, 1) -> (out, 1, time)
                    kernel = kernel[..., 0]
                elif i >= 5:  # mid-end: (out, 1, time, in) -> (out, in, time)
                    kernel = kernel[:, 0].permute(0, 2, 1)
                conv.weight.copy_(kernel)
                conv.bias.copy_(torch.from_numpy(tensors[f"{name}/bias"]))
                bn(norm, i + 1)
            bn(self.bn_pool, 9)
            bn(self.bn_dense, 10)
            self.dense.weight.copy_(torch.from_numpy(tensors["dense/kernel"]).T)
            self.dense.bias.copy_(torch.from_numpy(tensors["dense/bias"]))
            self.output.weight.copy_(torch.from_numpy(tensors["dense_1/kernel"]).T)
            self.output.bias.copy_(torch.from_numpy(tensors["dense_1/bias"]))
        return self


def _relu_bn(pooled: torch.Tensor, sign: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """ReLU then BN of sign-folded, max-pooled conv outputs (B, C, T)."""
    return F.relu(pooled * sign.view(1, -1, 1)) * scale.view(1, -1, 1) + shift.view(1, -1, 1)


def _conv_max_over_mel(padded: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``conv2d(padded, weight, bias).amax(mel)``: (B, T + kt - 1, 96) and (C, 1, kt, kf) -> (B, C, T)."""
    channels, _, kt, kf = weight.shape
    matrix = weight.reshape(channels, kt * kf).T
    windows = [patch.unfold(0, kt, 1).unfold(1, kf, 1).transpose(0, 1) for patch in padded]  # (mel, T, kt, kf)
    return (torch.stack([_gemm_max(w, matrix, block=8) for w in windows]) + bias).transpose(1, 2)


def _gemm_max(windows: torch.Tensor, matrix: torch.Tensor, *, block: int) -> torch.Tensor:
    """``(windows @ matrix).amax(0)`` for windows (P, T, ...) flattened to (P, T, K), a few
    positions P at a time, so that each block's im2col copy and product stay in the CPU's cache
    (1.5x to 2.7x faster than one conv over the whole patch). Returns (T, C)."""
    best = None
    for start in range(0, windows.shape[0], block):
        part = windows[start : start + block]
        part = (part.reshape(-1, matrix.shape[0]) @ matrix).view(part.shape[0], part.shape[1], -1).amax(dim=0)
        best = part if best is None else torch.maximum(best, part)
    return best


def load_musicnn(model: str, *, fetch: bool = False) -> Musicnn:
    """``MSD_musicnn`` or ``MTT_musicnn`` with the authors' weights, in eval mode.

    Raises
    ------
    genrekit.pretrained.weights.WeightsError
        If the weights are not cached (with ``fetch=False``) or cannot be fetched.
    """
    if model not in MODELS:
        raise ConfigError(f"unknown musicnn model {model!r}; available: {', '.join(MODELS)}")
    return Musicnn(len(TAGS[model])).load_tf(load_weights(model, fetch=fetch)).eval()


def patch_count(n_samples: int) -> int:
    """Patches of a signal of ``n_samples`` at 16 kHz (0 when shorter than :data:`MIN_SECONDS`)."""
    return (1 + n_samples // HOP) // PATCH_FRAMES


#: Patches whose outputs an extractor remembers (about 50 minutes of audio, 14 MB with both models).
REMEMBERED_PATCHES = 1000


class MusicnnExtractor:
    """Run one or both musicnn models over whole signals, sharing the spectrogram.

    Parameters
    ----------
    models : sequence of str
        Some of :data:`MODELS`.
    device : str
        'auto' (CUDA when present), 'cpu', 'cuda' or 'cuda:N'.
    batch_size : int
        Patches per forward pass.
    fetch : bool
        Fetch the weights through pip when they are not cached yet.
    """

    def __init__(self, models=MODELS, *, device: str = "auto", batch_size: int = 64, fetch: bool = False):
        if batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
        self.device = resolve_device(device)
        self.batch_size = int(batch_size)
        self.models = {name: load_musicnn(name, fetch=fetch).to(self.device) for name in models}
        self.logmel = LogMel().to(self.device)
        self._seen: OrderedDict[bytes, dict] = OrderedDict()  # patch digest -> its outputs, least recent first
        self._lock = threading.Lock()  # the app's requests share one extractor

    def patches(self, y: np.ndarray, *, name: str | None = None) -> torch.Tensor:
        """Log-mel patches of a mono 16 kHz signal: (n_patches, 187, 96) on the extractor's device.

        Raises
        ------
        AudioError
            If the signal is shorter than one patch (:data:`MIN_SECONDS`).
        """
        if patch_count(len(y)) == 0:
            raise AudioError(name, f"too short for musicnn: {len(y) / SAMPLE_RATE:.2f} s, it needs at least "
                                   f"{MIN_SECONDS:.2f} s (one {PATCH_SECONDS:.1f} s patch)")
        with torch.inference_mode():
            mel = self.logmel(torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32)).to(self.device))
        n = mel.shape[0] // PATCH_FRAMES
        return mel[: n * PATCH_FRAMES].reshape(n, PATCH_FRAMES, N_MELS)

    def __call__(self, y: np.ndarray, *, name: str | None = None) -> dict[str, dict[str, np.ndarray]]:
        """Every output of every model for each patch of ``y`` (mono, 16 kHz).

        Returns
        -------
        dict
            ``{model: {output: np.ndarray [shape=(n_patches, width)]}}`` with the outputs of
            :data:`OUTPUTS`.
        """
        return self.run_patches(self.patches(y, name=name))

    def run_patches(self, patches: torch.Tensor) -> dict[str, dict[str, np.ndarray]]:
        """The models' outputs for log-mel patches (n, 187, 96).

        A patch met among the latest :data:`REMEMBERED_PATCHES` is not run again: the app's genres
        (the zero-shot model reads musicnn's tags) and its tag panel look at the same middle of an
        upload, and a long upload's 30 s timeline windows are the 30 s pieces its genres were
        scored on.
        """
        digests = [hashlib.blake2b(p.tobytes(), digest_size=16).digest() for p in patches.detach().cpu().numpy()]
        with self._lock:
            known = {d: self._seen[d] for d in digests if d in self._seen}
        missing = [i for i, d in enumerate(digests) if d not in known]
        if missing:
            fresh = self._run(patches[missing])
            for j, i in enumerate(missing):
                # copies: a remembered row must not keep its whole batch alive
                known[digests[i]] = {name: {key: out[key][j].copy() for key in OUTPUTS} for name, out in fresh.items()}
        with self._lock:
            for digest in digests:
                self._seen[digest] = known[digest]
                self._seen.move_to_end(digest)
            while len(self._seen) > REMEMBERED_PATCHES:
                self._seen.popitem(last=False)
        return {name: {key: np.stack([known[d][name][key] for d in digests]) for key in OUTPUTS} for name in self.models}

    def _run(self, patches: torch.Tensor) -> dict[str, dict[str, np.ndarray]]:
        result = {}
        with torch.inference_mode():
            for name, net in self.models.items():
                parts = [net(patches[i : i + self.batch_size]) for i in range(0, len(patches), self.batch_size)]
                result[name] = {key: torch.cat([p[key] for p in parts]).float().cpu().numpy() for key in OUTPUTS}
        return result
