"""WaveNet-style genre classifier on raw audio, trained with the common torch loop.

The network follows van den Oord et al., "WaveNet: A Generative Model for Raw Audio" (2016):
stacks of dilated causal 1-D convolutions with gated ``tanh * sigmoid`` units, residual and skip
connections. A classifier does not need one output per sample, so a strided causal stem (a
learnable filterbank of 4 ms kernels, hop 1 ms, then a second strided convolution) first brings
16 kHz audio down to a 250 Hz frame rate, and the summed skip features are pooled over time (mean
and max) into a linear classifier. Clips are cut into chunks of a few seconds (the config's
``data.chunk_seconds``) and chunk probabilities are averaged per track by the common evaluation.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from genrekit.errors import ConfigError
from genrekit.models.registry import ModelSpec, register_model

#: Sample rate (Hz) the network is designed for: the stem's strides and the dilations assume it.
WAVENET_SR = 16000

#: Hyper-parameters accepted in ``model.params`` and their defaults.
DEFAULT_PARAMS = {
    "channels": 32,  # residual channels
    "skip_channels": 64,
    "stacks": 2,  # repetitions of the dilation cycle
    "layers": 9,  # layers per stack: dilations 1, 2, 4, ..., 2**(layers-1); 2 x 9 -> ~4 s receptive field
    "kernel_size": 2,
    "stem_strides": [16, 4],  # causal strided convolutions before the residual stack: hop 64 samples
    "stem_kernels": [64, 8],  # their kernel sizes (None: 2 x stride each)
    "mu": 255,  # mu-law companding of the input, as in the paper; 0 disables it
    "norm": "batch",  # 'layer' (per frame, over channels), 'batch' or 'none'; after the stem and around the skip head
    "dropout": 0.1,
}


class CausalConv1d(nn.Conv1d):
    """A 1-D convolution padded on the left only, so output frame ``j`` sees inputs ``<= j * stride``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *, stride: int = 1, dilation: int = 1):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, dilation=dilation)
        self.left_pad = (kernel_size - 1) * dilation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, (self.left_pad, 0)))


class FrameLayerNorm(nn.LayerNorm):
    """Layer normalisation of each frame over its channels: ``(batch, channels, time)`` in and out.

    Statistics come from one frame only, so it is causal, and it behaves the same in training and inference.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.transpose(1, 2)).transpose(1, 2)


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "layer":
        return FrameLayerNorm(channels)
    if kind == "batch":
        return nn.BatchNorm1d(channels)
    if kind == "none":
        return nn.Identity()
    raise ConfigError(f"wavenet: model.params.norm must be 'layer', 'batch' or 'none', got {kind!r}")


class GatedResidualBlock(nn.Module):
    """One WaveNet layer: dilated causal convolution, gated activation, residual and skip outputs."""

    def __init__(self, channels: int, skip_channels: int, *, kernel_size: int, dilation: int, dropout: float):
        super().__init__()
        self.dilated = CausalConv1d(channels, 2 * channels, kernel_size, dilation=dilation)
        self.residual = nn.Conv1d(channels, channels, 1)
        self.skip = nn.Conv1d(channels, skip_channels, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        filt, gate = self.dilated(x).chunk(2, dim=1)
        z = self.dropout(torch.tanh(filt) * torch.sigmoid(gate))
        # sqrt(0.5) keeps the residual stream's variance from growing with depth
        return (x + self.residual(z)) * math.sqrt(0.5), self.skip(z)


class WaveNetClassifier(nn.Module):
    """WaveNet (van den Oord et al. 2016) adapted to clip classification.

    Dilated causal convolutions with gated activations and residual/skip connections over a
    strided causal stem, batch normalisation after the stem and on the skip sum, then mean+max
    pooling over time and a linear classifier.

    Parameters
    ----------
    num_classes : int
        Number of genres.
    channels, skip_channels : int
        Width of the residual stream and of the skip outputs.
    stacks, layers : int
        The dilation cycle ``1, 2, ..., 2**(layers-1)`` is repeated ``stacks`` times.
    kernel_size : int
        Kernel of the dilated convolutions (2 in the paper).
    stem_strides : sequence of int
        Strides of the causal stem convolutions; their product is the hop in samples between
        output frames.
    stem_kernels : sequence of int or None
        Kernel sizes of the stem convolutions (default: 2 x stride each).
    mu : int
        Mu-law companding constant of the input (255 as in the paper); 0 feeds the raw waveform.
    norm : {'layer', 'batch', 'none'}
        Normalisation after each stem convolution and on the skip sum. Without it the
        time-pooled features of a freshly initialised network barely differ between clips and
        training stalls at chance. 'layer' normalises each frame over its channels (causal in
        training and inference, no running statistics, but trained far slower in our checks on
        the synthetic set); 'batch' is causal at inference (a fixed per-channel affine map).
    dropout : float
        Dropout on the gated activations and before the classifier.
    sample_rate : int
        Sample rate the model expects (Hz); stored so loaders resample to it.

    Input is ``(batch, samples)`` float audio in [-1, 1] at ``sample_rate``; output is
    ``(batch, num_classes)`` logits.
    """

    def __init__(
        self,
        *,
        num_classes: int,
        channels: int = 32,
        skip_channels: int = 64,
        stacks: int = 2,
        layers: int = 9,
        kernel_size: int = 2,
        stem_strides=(16, 4),
        stem_kernels=(64, 8),
        mu: int = 255,
        norm: str = "batch",
        dropout: float = 0.1,
        sample_rate: int = WAVENET_SR,
    ):
        super().__init__()
        if num_classes < 2:
            raise ConfigError(f"wavenet needs at least 2 classes, got {num_classes}")
        for name, value in (("channels", channels), ("skip_channels", skip_channels), ("stacks", stacks),
                            ("layers", layers), ("kernel_size", kernel_size)):
            if int(value) < 1:
                raise ConfigError(f"wavenet: model.params.{name} must be >= 1, got {value}")
        stem_strides = [int(s) for s in stem_strides]
        stem_kernels = [2 * s for s in stem_strides] if stem_kernels is None else [int(k) for k in stem_kernels]
        if any(s < 1 for s in stem_strides) or len(stem_kernels) != len(stem_strides) or any(
            k < s for k, s in zip(stem_kernels, stem_strides)
        ):
            raise ConfigError(
                f"wavenet: model.params.stem_strides {stem_strides} must be positive and stem_kernels "
                f"{stem_kernels} one kernel per stride, each at least its stride"
            )
        self.num_classes = int(num_classes)
        self.sample_rate = int(sample_rate)
        self.mu = int(mu)
        self.kernel_size = int(kernel_size)
        self.stem_strides = stem_strides
        self.stem_kernels = stem_kernels
        self.dilations = [2**i for _ in range(stacks) for i in range(layers)]

        stem: list[nn.Module] = []
        in_ch = 1
        for stride, kernel in zip(stem_strides, stem_kernels):
            stem.append(CausalConv1d(in_ch, channels, kernel, stride=stride))
            stem.append(_norm(norm, channels))
            stem.append(nn.ReLU())
            in_ch = channels
        if not stem:
            stem = [CausalConv1d(1, channels, 1)]
        self.stem = nn.Sequential(*stem)
        self.blocks = nn.ModuleList(
            GatedResidualBlock(channels, skip_channels, kernel_size=kernel_size, dilation=d, dropout=dropout)
            for d in self.dilations
        )
        self.skip_norm = _norm(norm, skip_channels)
        self.post = nn.Conv1d(skip_channels, skip_channels, 1)
        self.post_norm = _norm(norm, skip_channels)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(2 * skip_channels, num_classes)

    @property
    def hop(self) -> int:
        """Samples between output frames (product of the stem strides)."""
        return math.prod(self.stem_strides) if self.stem_strides else 1

    @property
    def receptive_field(self) -> int:
        """Input samples an output frame depends on: frame ``j`` sees samples ``[j*hop - rf + 1, j*hop]``."""
        rf, scale = 1, 1
        for stride, kernel in zip(self.stem_strides, self.stem_kernels):
            rf += (kernel - 1) * scale
            scale *= stride
        rf += sum((self.kernel_size - 1) * d for d in self.dilations) * scale
        return rf

    def frame_features(self, waveform: torch.Tensor) -> torch.Tensor:
        """Causal skip features before pooling.

        Parameters
        ----------
        waveform : torch.Tensor [shape=(batch, samples)]

        Returns
        -------
        torch.Tensor [shape=(batch, skip_channels, ceil(samples / hop))]
            Frame ``j`` depends only on samples ``<= j * hop``.
        """
        if waveform.ndim != 2:
            raise ValueError(f"wavenet expects a (batch, samples) waveform, got shape {tuple(waveform.shape)}")
        # mu-law front-end: pointwise, so it keeps causality, and it evens out loudness
        x = waveform.clamp(-1.0, 1.0).unsqueeze(1)
        if self.mu > 0:
            x = torch.sign(x) * torch.log1p(self.mu * x.abs()) / math.log1p(self.mu)
        # strided causal stem
        x = self.stem(x)
        # dilated residual stack
        skips = 0
        for block in self.blocks:
            x, skip = block(x)
            skips = skips + skip
        skips = skips / math.sqrt(len(self.blocks))
        return self.post_norm(self.post(F.relu(self.skip_norm(skips))))

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` waveform at :attr:`sample_rate` -> ``(batch, num_classes)`` logits."""
        h = F.relu(self.frame_features(waveform))
        # pooling over time
        pooled = torch.cat([h.mean(dim=-1), h.amax(dim=-1)], dim=1)
        # classifier
        return self.classifier(self.dropout(pooled))


def resolve_wavenet_params(params: dict | None = None) -> dict:
    """Every WaveNet hyper-parameter: :data:`DEFAULT_PARAMS` overridden by ``params``.

    Raises
    ------
    ConfigError
        On an unknown key, naming the known ones.
    """
    params = dict(params or {})
    unknown = sorted(set(params) - set(DEFAULT_PARAMS))
    if unknown:
        raise ConfigError(f"wavenet: unknown model.params {unknown}; known: {', '.join(sorted(DEFAULT_PARAMS))}")
    return {**DEFAULT_PARAMS, **params}


def build_wavenet(*, num_classes: int, params: dict | None = None, **_family_specific) -> WaveNetClassifier:
    """Build a :class:`WaveNetClassifier` from ``model.params`` (see :data:`DEFAULT_PARAMS`).

    The torch family's other keywords (``input``, ``sample_rate``, ``init_weights``) are accepted
    and ignored: the network always takes 16 kHz waveforms, and the family reads audio at the
    network's ``sample_rate``.

    Raises
    ------
    ConfigError
        On an unknown or invalid hyper-parameter.
    """
    return WaveNetClassifier(num_classes=num_classes, sample_rate=WAVENET_SR, **resolve_wavenet_params(params))


register_model(
    ModelSpec(
        name="wavenet",
        family="torch",
        inputs=("waveform",),
        build=build_wavenet,
        description="WaveNet-style dilated causal gated convolutions on 16 kHz raw audio (van den Oord et al. 2016)",
    )
)
