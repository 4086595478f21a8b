"""Convolutional networks on spectrogram images and on MFCC matrices.

Both take waveforms: their :class:`~genrekit.features.spectrogram.SpectrogramFrontEnd` is a
submodule, so a saved network preprocesses exactly as it did in training.
"""

from __future__ import annotations

import torch
from torch import nn

from genrekit.features.spectrogram import SpectrogramFrontEnd


def conv_block(c_in: int, c_out: int, *, pool: tuple[int, int] | int = 2) -> nn.Sequential:
    """3x3 convolution, batch norm, ReLU, max-pooling (ceil mode, so a 1-row map still pools)."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(pool, ceil_mode=True),
    )


class SpectrogramCNN(nn.Module):
    """Compact 2-D CNN on spectrogram images (mel, log-frequency or linear).

    After Choi, Fazekas & Sandler (2016), "Automatic tagging using deep convolutional neural
    networks" (stacked 3x3 convolutions with max-pooling on mel spectrograms), and Dieleman &
    Schrauwen (2014), "End-to-end learning for music audio" (spectrogram CNNs for music labels).
    Global average pooling makes it indifferent to the image size.

    Parameters
    ----------
    frontend : SpectrogramFrontEnd
        Waveform to image, kind 'mel', 'log' or 'linear'.
    num_classes : int
    width : int
        Channels of the first block; later blocks double it, up to 4x.
    blocks : int
        Convolution blocks, each halving both image axes.
    dropout : float
        Dropout before the linear classifier.
    """

    def __init__(self, frontend: SpectrogramFrontEnd, *, num_classes: int, width: int = 32, blocks: int = 4, dropout: float = 0.3):
        super().__init__()
        self.frontend = frontend
        channels = [1] + [width * min(2**i, 4) for i in range(blocks)]
        self.convs = nn.Sequential(*(conv_block(c_in, c_out) for c_in, c_out in zip(channels, channels[1:])))
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(channels[-1], num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, samples) waveforms, or cached (batch, 1, rows, columns) images -> (batch, num_classes) logits."""
        # front-end: waveform -> normalised (batch, 1, rows, columns) spectrogram
        x = self.frontend(x)
        # convolutions: 3x3 conv, batch norm, ReLU, 2x2 max-pool per block
        x = self.convs(x)
        # classifier: global average over frequency and time, dropout, linear
        x = x.mean(dim=(-2, -1))
        return self.classifier(x)


class MFCCCNN(nn.Module):
    """2-D CNN on MFCC matrices of short (3 s) chunks.

    The common GTZAN baseline that convolves the (coefficient x frame) MFCC matrix of each 3 s
    segment with three small conv/pool blocks and a dense layer (as in Velardo's "Deep Learning for
    Audio with Python" course, a frequent reference for GTZAN MFCC models). Unlike
    :class:`SpectrogramCNN` it keeps the coefficient axis when pooling over time, because the
    position along the cepstrum carries meaning (low coefficients: spectral envelope).

    Parameters
    ----------
    frontend : SpectrogramFrontEnd
        Waveform to MFCC matrix (kind 'mfcc', native size, per-row batch norm).
    num_classes : int
    width : int
        Channels of every convolution.
    blocks : int
        Convolution blocks, each halving both axes.
    hidden : int
        Units of the dense layer.
    dropout : float
    """

    def __init__(
        self, frontend: SpectrogramFrontEnd, *, num_classes: int, width: int = 32, blocks: int = 3, hidden: int = 64, dropout: float = 0.3
    ):
        super().__init__()
        self.frontend = frontend
        channels = [1] + [width] * blocks
        self.convs = nn.Sequential(*(conv_block(c_in, c_out) for c_in, c_out in zip(channels, channels[1:])))
        rows = frontend.rows
        for _ in range(blocks):
            rows = -(-rows // 2)  # ceil-mode pooling
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(width * rows, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, samples) waveforms -> (batch, num_classes) logits."""
        # front-end: waveform -> (batch, 1, n_mfcc, frames) MFCC matrix, each coefficient batch-normalised
        x = self.frontend(x)
        # convolutions: 3x3 conv, batch norm, ReLU, 2x2 max-pool per block
        x = self.convs(x)
        # classifier: average over time only (keeping the cepstral axis), dense layer, linear
        x = x.mean(dim=-1)
        return self.classifier(x)
