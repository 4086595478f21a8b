"""Self-describing checkpoints of torch networks, and the predictor that loads them.

A torch run folder holds, besides the :mod:`genrekit.runs` record::

    model.safetensors   # the weights (front-end filterbanks are rebuilt from the config)
    model.json          # model name, input, resolved hyper-parameters, front-end config,
                        # sample rate, clip/chunk/hop seconds, label map

:func:`load_torch_run` needs nothing else: it rebuilds the network through the model registry
from ``model.json`` and loads the weights. Nothing is unpickled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from genrekit.data.audio import load_audio, prepare_array
from genrekit.errors import AudioError, RunError

WEIGHTS_FILE = "model.safetensors"
MODEL_FILE = "model.json"
FORMAT = "genrekit-torch/1"


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

    def to_json(self) -> dict:
        return {"format": FORMAT, **self.__dict__}


def save_torch_checkpoint(run_dir: str | Path, model: nn.Module, info: TorchModelInfo) -> Path:
    """Write ``model.safetensors`` and ``model.json`` into ``run_dir``; returns the weights path."""
    from genrekit.trainer import save_weights

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    save_weights(model, run_dir / WEIGHTS_FILE)
    (run_dir / MODEL_FILE).write_text(json.dumps(info.to_json(), indent=2) + "\n")
    return run_dir / WEIGHTS_FILE


def read_model_info(run_dir: str | Path) -> TorchModelInfo:
    """Read ``model.json``; raises :class:`RunError` naming the folder if it is missing or foreign."""
    path = Path(run_dir) / MODEL_FILE
    if not path.is_file():
        raise RunError(f"{run_dir}: not a torch run folder ({MODEL_FILE} is missing)")
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise RunError(f"{path}: not valid JSON ({exc})") from None
    if data.pop("format", None) != FORMAT:
        raise RunError(f"{path}: not a {FORMAT} checkpoint description")
    known = set(TorchModelInfo.__dataclass_fields__)
    try:
        return TorchModelInfo(**{k: v for k, v in data.items() if k in known})
    except TypeError as exc:
        raise RunError(f"{path}: incomplete checkpoint description ({exc})") from None


def build_network(info: TorchModelInfo) -> nn.Module:
    """The untrained network ``info`` describes, built through the model registry."""
    from genrekit.models.registry import get_model

    spec = get_model(info.model)
    return spec.build(
        num_classes=info.num_classes, params=info.params, input=info.input, sample_rate=info.sample_rate, init_weights=False
    )


class WaveformPredictor:
    """Shared behaviour of networks that take waveform chunks: chunk, predict, average per track.

    Subclasses define :meth:`chunks` (how a signal is cut, exactly as in training) and
    :attr:`sample_rate`; ``info.clip_seconds`` is the window a file is read with.
    """

    family = ""

    def __init__(self, model: nn.Module, info, *, labels: list[str], run_dir: Path | None = None, device: str = "cpu",
                 batch_size: int = 32):
        self.model = model.eval().to(device)
        self.info = info
        self.labels = list(labels)
        self.run_dir = run_dir
        self.device = torch.device(device)
        self.batch_size = batch_size

    @property
    def sample_rate(self) -> int:
        raise NotImplementedError

    def chunks(self, waveform: np.ndarray, sr: int) -> np.ndarray:
        raise NotImplementedError

    def predict_proba(self, waveform: np.ndarray, sr: int) -> np.ndarray:
        """Class probabilities of every chunk of a signal.

        Parameters
        ----------
        waveform : np.ndarray [shape=(samples,) or (channels, samples) or (samples, channels)]
        sr : int
            Its sample rate in Hz.

        Returns
        -------
        proba : np.ndarray [shape=(n_chunks, n_classes), dtype=float64]
        """
        from genrekit.trainer import predict_proba

        chunks = torch.from_numpy(np.ascontiguousarray(self.chunks(waveform, sr), dtype=np.float32))
        return predict_proba(self.model, chunks, batch_size=self.batch_size, device=self.device)

    def predict_track_proba(self, waveform: np.ndarray, sr: int) -> np.ndarray:
        """Track probabilities: the mean over chunks, as in evaluation. Shape ``(n_classes,)``."""
        return self.predict_proba(waveform, sr).mean(axis=0)

    def predict_file(self, path: str | Path) -> np.ndarray:
        """Track probabilities of an audio file, read as in training (the middle ``clip_seconds``)."""
        y = load_audio(path, sr=self.sample_rate, middle=self.info.clip_seconds)
        try:
            return self.predict_track_proba(y, self.sample_rate)
        except AudioError as exc:
            raise AudioError(path, exc.reason) from None


class TorchPredictor(WaveformPredictor):
    """A trained torch network with its preprocessing: waveform or file in, genre probabilities out.

    Attributes
    ----------
    model : nn.Module
        The network, in eval mode; its front-end computes the spectrogram from waveforms.
    info : TorchModelInfo
    labels : list of str
        Class names (index = class id).
    run_dir : Path
    """

    family = "torch"

    def __init__(self, model: nn.Module, info: TorchModelInfo, *, run_dir: Path | None = None, device: str = "cpu", batch_size: int = 32):
        super().__init__(model, info, labels=info.labels, run_dir=run_dir, device=device, batch_size=batch_size)

    @property
    def sample_rate(self) -> int:
        return self.info.sample_rate

    def chunks(self, waveform: np.ndarray, sr: int) -> np.ndarray:
        """The model's input chunks of a signal: ``(n_chunks, round(chunk_seconds * sample_rate))``.

        The signal is mixed to mono, resampled to the model's rate and chunked exactly as in
        training (:func:`genrekit.models.torch_family.chunk_clip`). Raises :class:`AudioError` if
        the signal is shorter than half a chunk, silent, or not finite.
        """
        from genrekit.models.torch_family import chunk_clip  # here, not at the top: torch_family imports this module

        y = prepare_array(waveform, sr, sr=self.sample_rate)
        return chunk_clip(y, sr=self.sample_rate, chunk_seconds=self.info.chunk_seconds, hop_seconds=self.info.hop_seconds)

    def rescore(self, *, split: str = "test", progress: bool = True) -> dict:
        """Score this run again on one split of the tracks it recorded (see :func:`genrekit.evaluate.evaluate_run`)."""
        from genrekit.models.torch_family import rescore  # here, not at the top: torch_family imports this module

        return rescore(self, split=split, progress=progress)

    def __repr__(self) -> str:
        return f"TorchPredictor({self.info.model}, input={self.info.input!r}, {len(self.labels)} classes, run={self.run_dir})"


def load_torch_run(run_dir: str | Path, *, device: str = "cpu") -> TorchPredictor:
    """Load a torch run folder (or any folder with ``model.json`` + ``model.safetensors``).

    Parameters
    ----------
    run_dir : str or Path
    device : str
        'cpu', 'cuda', 'cuda:N'.

    Returns
    -------
    TorchPredictor
    """
    from genrekit.trainer import load_weights

    run_dir = Path(run_dir)
    info = read_model_info(run_dir)
    weights = run_dir / WEIGHTS_FILE
    if not weights.is_file():
        raise RunError(f"{run_dir}: {WEIGHTS_FILE} is missing")
    model = build_network(info)
    load_weights(model, weights)
    return TorchPredictor(model, info, run_dir=run_dir, device=device)
