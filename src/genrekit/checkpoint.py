"""Loaded networks and the self-describing checkpoints of torch runs.

A torch run folder holds, besides the :mod:`genrekit.runs` record::

    model.safetensors   # the weights (front-end filterbanks are rebuilt from the config)
    model.json          # model name, input, resolved hyper-parameters, front-end config,
                        # sample rate, clip/chunk/hop seconds, label map

:func:`load_torch_run` needs nothing else: it rebuilds the network through the model registry
from ``model.json`` and loads the weights. Nothing is unpickled.

:class:`LoadedNetwork` is what a network family's loader returns (torch: :class:`TorchNetwork`;
hf: :class:`genrekit.models.hf.HFNetwork`): the network with the sample rate, chunk length and
hop it was trained with, and how a signal is cut into its inputs. Predictions are made by
:class:`genrekit.inference.NetworkPredictor`, which wraps it; re-scoring by
:func:`genrekit.network_runs.rescore_network`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from genrekit.data.audio import chunk_clip, prepare_array
from genrekit.errors import RunError
from genrekit.models.registry import get_model
from genrekit.runs import read_descriptor, write_descriptor
from genrekit.trainer import load_weights, save_weights

WEIGHTS_FILE = "model.safetensors"
MODEL_FILE = "model.json"
#: Descriptor kind of ``model.json`` (format ``genrekit-torch/<version>``).
DESCRIPTOR_KIND = "torch"


@dataclass(frozen=True)
class TorchModelInfo:
    """Contents of ``model.json``: everything needed to rebuild and feed the network."""

    model: str
    input: str
    num_classes: int
    params: dict
    labels: list[str]
    sample_rate: int
    chunk_seconds: float
    hop_seconds: float | None = None
    clip_seconds: float | None = None
    frontend: dict | None = None


def save_torch_checkpoint(run_dir: str | Path, model: nn.Module, info: TorchModelInfo) -> Path:
    """Write ``model.safetensors`` and ``model.json`` into ``run_dir``; returns the weights path."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    save_weights(model, run_dir / WEIGHTS_FILE)
    write_descriptor(run_dir / MODEL_FILE, DESCRIPTOR_KIND, asdict(info))
    return run_dir / WEIGHTS_FILE


def read_model_info(run_dir: str | Path) -> TorchModelInfo:
    """Read ``model.json``; raises :class:`RunError` naming the file if it is missing or foreign."""
    return read_descriptor(Path(run_dir) / MODEL_FILE, DESCRIPTOR_KIND, into=TorchModelInfo)


def build_network(info: TorchModelInfo) -> nn.Module:
    """The untrained network ``info`` describes, built through the model registry."""
    spec = get_model(info.model)
    return spec.build(
        num_classes=info.num_classes, params=info.params, input=info.input, sample_rate=info.sample_rate, init_weights=False
    )


class LoadedNetwork:
    """A trained network as its family's loader returns it, with what its inputs must look like.

    Subclasses set :attr:`sample_rate`, :attr:`chunk_seconds` and :attr:`hop_seconds` from their
    descriptor; :meth:`chunks` cuts a signal exactly as training did.

    Attributes
    ----------
    model : nn.Module
        In eval mode; maps ``(batch, samples)`` waveforms to logits (front-end inside).
    info : object
        The family's descriptor (:class:`TorchModelInfo`, ``HFModelInfo``).
    labels : list of str
        Class names (index = class id).
    run_dir : Path or None
    device : torch.device
    batch_size : int
        Inputs per forward pass when predicting.
    clip_seconds : float or None
        ``data.clip_seconds`` of the run: how much of each track (its middle) training read.
    """

    family = ""
    sample_rate: int
    chunk_seconds: float
    hop_seconds: float | None = None
    clip_seconds: float | None = None

    def __init__(self, model: nn.Module, info, *, labels: list[str], run_dir: Path | None = None, device: str = "cpu",
                 batch_size: int = 32):
        self.model = model.eval().to(device)
        self.info = info
        self.labels = list(labels)
        self.run_dir = run_dir
        self.device = torch.device(device)
        self.batch_size = batch_size

    def chunks(self, waveform: np.ndarray, sr: int) -> np.ndarray:
        """The network's inputs of a signal: ``(n_chunks, round(chunk_seconds * sample_rate))``.

        The signal is mixed to mono, resampled to :attr:`sample_rate` and cut as in training
        (:func:`genrekit.data.audio.chunk_clip`: every :attr:`hop_seconds`, a last partial chunk
        zero-padded when at least half a chunk is left). Raises :class:`AudioError` if the signal is
        shorter than half a chunk, silent, or not finite.
        """
        y = prepare_array(waveform, sr, sr=self.sample_rate)
        return chunk_clip(y, sr=self.sample_rate, chunk_seconds=self.chunk_seconds, hop_seconds=self.hop_seconds)

    def __repr__(self) -> str:
        where = self.run_dir.name if self.run_dir is not None else None
        return f"{type(self).__name__}({len(self.labels)} classes, {self.chunk_seconds:g} s inputs, run={where!r})"


class TorchNetwork(LoadedNetwork):
    """A trained torch-family network (CNN, ResNet, LSTM, WaveNet) read from its run folder."""

    family = "torch"

    def __init__(self, model: nn.Module, info: TorchModelInfo, *, run_dir: Path | None = None, device: str = "cpu",
                 batch_size: int = 32):
        super().__init__(model, info, labels=info.labels, run_dir=run_dir, device=device, batch_size=batch_size)
        self.sample_rate = int(info.sample_rate)
        self.chunk_seconds = float(info.chunk_seconds)
        self.hop_seconds = info.hop_seconds
        self.clip_seconds = info.clip_seconds


def load_torch_run(run_dir: str | Path, *, device: str = "cpu") -> TorchNetwork:
    """Load a torch run folder (or any folder with ``model.json`` + ``model.safetensors``); the
    torch family's loader.

    Parameters
    ----------
    run_dir : str or Path
    device : str
        'cpu', 'cuda', 'cuda:N'.
    """
    run_dir = Path(run_dir)
    info = read_model_info(run_dir)
    weights = run_dir / WEIGHTS_FILE
    if not weights.is_file():
        raise RunError(f"{run_dir}: {WEIGHTS_FILE} is missing")
    model = build_network(info)
    load_weights(model, weights)
    return TorchNetwork(model, info, run_dir=run_dir, device=device)
