"""A recurrent network on MFCC frame sequences."""

from __future__ import annotations

import torch
from torch import nn

from genrekit.errors import ConfigError
from genrekit.features.spectrogram import SpectrogramFrontEnd


class MFCCLSTM(nn.Module):
    """Stacked LSTM over the MFCC frames of a short (3 s) chunk.

    Long short-term memory (Hochreiter & Schmidhuber 1997) reading one MFCC vector per STFT frame,
    as in the MFCC-LSTM GTZAN setups that classify 3 s segments and vote over a clip: two LSTM
    layers, a summary of the top layer over time, a dense layer and a linear classifier.

    Parameters
    ----------
    frontend : SpectrogramFrontEnd
        Waveform to MFCC matrix (kind 'mfcc', native size, per-coefficient batch norm).
    num_classes : int
    hidden : int
        LSTM state size (and the dense layer's width).
    layers : int
        Stacked LSTM layers.
    bidirectional : bool
        Also read the frames backwards (the classifier then sees both final states).
    dropout : float
        Dropout between LSTM layers and before the classifier.
    pool : {'mean', 'last'}
        Summary of the sequence: the mean of the top layer's outputs over all frames, or its
        final hidden state (the classic setup). The mean gives every frame a direct gradient
        path, so it trains in far fewer epochs.
    """

    def __init__(
        self,
        frontend: SpectrogramFrontEnd,
        *,
        num_classes: int,
        hidden: int = 64,
        layers: int = 2,
        bidirectional: bool = False,
        dropout: float = 0.3,
        pool: str = "mean",
    ):
        super().__init__()
        if pool not in ("mean", "last"):
            raise ConfigError(f"lstm-mfcc: model.params.pool must be 'mean' or 'last', got {pool!r}")
        self.frontend = frontend
        self.pool = pool
        self.lstm = nn.LSTM(
            input_size=frontend.rows,
            hidden_size=hidden,
            num_layers=layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if layers > 1 else 0.0,
        )
        state = hidden * (2 if bidirectional else 1)
        self.classifier = nn.Sequential(
            nn.Linear(state, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout), nn.Linear(hidden, num_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, samples) waveforms -> (batch, num_classes) logits."""
        # front-end: waveform -> (batch, 1, n_mfcc, frames) -> one MFCC vector per time step
        x = self.frontend(x)
        x = x[:, 0].transpose(1, 2)  # (batch, frames, n_mfcc)
        # recurrence: the top layer's outputs averaged over frames, or its final state (both directions)
        # in float32 even under mixed precision: not every cuDNN build has half-precision RNNs, and
        # the LSTM is a small share of the work
        with torch.autocast(device_type=x.device.type, enabled=False):
            outputs, (h_n, _) = self.lstm(x.float())
        if self.pool == "mean":
            summary = outputs.mean(dim=1)
        else:
            summary = h_n[-2:].transpose(0, 1).flatten(1) if self.lstm.bidirectional else h_n[-1]
        # classifier
        return self.classifier(summary)
