"""The ``torch`` family: spectrogram/MFCC networks, how a run builds and saves them, and experiments.

Registers the models

==============  ====================  ===========================================================
name            inputs                network
==============  ====================  ===========================================================
``cnn-spec``    mel, log, linear      :class:`~genrekit.models.cnn.SpectrogramCNN`
``resnet-spec`` mel, log, linear      :class:`~genrekit.models.resnet.ResNetSpec` (ResNet-18/34)
``cnn-mfcc``    mfcc                  :class:`~genrekit.models.cnn.MFCCCNN`
``lstm-mfcc``   mfcc                  :class:`~genrekit.models.lstm.MFCCLSTM`
==============  ====================  ===========================================================

and the family ``Family('torch', train=train_torch, load=load_torch_run)``, which also trains any
other model registered with ``family='torch'`` whose network maps a batch of waveform chunks to
logits (WaveNet): the loop (:func:`genrekit.trainer.fit`) only needs ``model(x) -> logits``.

``model.params`` is one flat table: front-end keys (``n_fft``, ``hop_length``, ``size``,
``n_mels``, ``n_mfcc``, ``n_bins``, ``fmin``, ``fmax``, ``top_db``, ``norm``), network keys (the
network class's keyword arguments, e.g. ``width``, ``dropout``, ``depth``), ``pretrained``
(ResNet: load torchvision's ImageNet weights) and ``cache`` (keep spectrogram images in the
on-disk :class:`~genrekit.features.spectrogram.SpectrogramCache` instead of recomputing them every
epoch; not a model setting, so it is not stored with the weights).

Runs are orchestrated by :func:`genrekit.network_runs.train_network` (shared with the hf family):
every track's audio is decoded once (the middle ``data.clip_seconds`` at the model's sample rate)
into the on-disk store shared by runs (:mod:`genrekit.data.store`), and read from there one
``data.chunk_seconds`` chunk (3 s when unset, every ``data.hop_seconds``) at a time. Chunk probabilities are averaged per track for every score, as for the classic models.
"""

from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

from torch import nn

from genrekit.checkpoint import TorchModelInfo, load_torch_run, save_torch_checkpoint
from genrekit.config import ExperimentConfig
from genrekit.data.index import TrackIndex
from genrekit.errors import ConfigError
from genrekit.features.spectrogram import SpectrogramFrontEnd
from genrekit.models.cnn import MFCCCNN, SpectrogramCNN
from genrekit.models.lstm import MFCCLSTM
from genrekit.models.registry import Family, ModelSpec, get_model, register_family, register_model
from genrekit.models.resnet import ResNetSpec, load_imagenet_weights
from genrekit.network_runs import NetworkSetup, split_index, train_network

#: Chunk length (seconds) when ``data.chunk_seconds`` is unset.
DEFAULT_CHUNK_SECONDS = 3.0

#: Model inputs that are spectrogram images (cacheable, SpecAugment-able).
SPECTROGRAM_INPUTS = ("mel", "log", "linear")

_FRONTEND_KEYS = ("n_fft", "hop_length", "size", "n_mels", "n_mfcc", "n_bins", "fmin", "fmax", "top_db", "norm")


@dataclass(frozen=True)
class _Recipe:
    """How a registered name becomes a network: its class, front-end defaults, builder-level options."""

    network: type[nn.Module]
    frontend: dict
    options: dict


_RECIPES: dict[str, _Recipe] = {
    "cnn-spec": _Recipe(SpectrogramCNN, {}, {}),
    "resnet-spec": _Recipe(ResNetSpec, {}, {"pretrained": False}),
    # MFCC rows have very different scales (c0 is loudness): a learned per-row norm, no resize
    "cnn-mfcc": _Recipe(MFCCCNN, {"size": None, "norm": "batch"}, {}),
    "lstm-mfcc": _Recipe(MFCCLSTM, {"size": None, "norm": "batch"}, {}),
}


def _defaults(function: Callable, skip: tuple[str, ...]) -> dict:
    return {
        name: p.default
        for name, p in inspect.signature(function).parameters.items()
        if p.default is not inspect.Parameter.empty and name not in skip
    }


def resolve_params(name: str, params: dict | None = None) -> dict:
    """Every hyper-parameter of model ``name``: its defaults overridden by ``params``.

    Parameters
    ----------
    name : str
        A model of this module ('cnn-spec', 'resnet-spec', 'cnn-mfcc', 'lstm-mfcc'); other torch
        models get ``params`` back unchanged (their builders apply their own defaults).
    params : dict
        The ``model.params`` table (without ``cache``).

    Returns
    -------
    dict
        Flat, JSON-able: front-end keys, network keys, builder options. Stored in ``model.json``,
        so a checkpoint never depends on later changes of defaults.

    Raises
    ------
    ConfigError
        On a key the model does not know, naming the known ones.
    """
    params = dict(params or {})
    recipe = _RECIPES.get(name)
    if recipe is None:
        return params
    frontend = _defaults(SpectrogramFrontEnd.__init__, ("kind", "sr", "spec_augment"))
    frontend.update(recipe.frontend)
    network = _defaults(recipe.network.__init__, ("frontend", "num_classes"))
    resolved = {**frontend, **network, **recipe.options}
    unknown = sorted(set(params) - set(resolved))
    if unknown:
        raise ConfigError(f"model {name!r}: unknown model.params {unknown}; known: {', '.join(sorted(resolved))}, cache")
    resolved.update(params)
    if resolved.get("size") is not None:
        resolved["size"] = [int(s) for s in resolved["size"]]
    return resolved


def _build(name: str, *, num_classes: int, params: dict | None = None, input: str, sample_rate: int = 22050,
           init_weights: bool = True, **_ignored) -> nn.Module:
    """Builder behind the registry entries of this module.

    ``init_weights=False`` skips downloading pretrained weights (a checkpoint is about to be loaded).
    """
    recipe = _RECIPES[name]
    resolved = resolve_params(name, params)
    frontend = SpectrogramFrontEnd(input, sr=sample_rate, **{k: resolved[k] for k in _FRONTEND_KEYS})
    network_keys = set(_defaults(recipe.network.__init__, ("frontend", "num_classes")))
    model = recipe.network(frontend, num_classes=num_classes, **{k: resolved[k] for k in network_keys})
    if resolved.get("pretrained") and init_weights:
        load_imagenet_weights(model.backbone, depth=model.depth)
    return model


def sample_rate_of(model: nn.Module, default: int) -> int:
    """The sample rate a network expects: its ``sample_rate`` attribute, its front-end's, or ``default``."""
    rate = getattr(model, "sample_rate", None)
    if rate:
        return int(rate)
    frontend = getattr(model, "frontend", None)
    if isinstance(frontend, SpectrogramFrontEnd):
        return frontend.sr
    return int(default)


# ---------------------------------------------------------------------- data preparation
# ---------------------------------------------------------------------- training runs
def _setup(config: ExperimentConfig, labels: list[str]) -> NetworkSetup:
    """The torch family's hook for :func:`genrekit.network_runs.train_network`."""
    spec = get_model(config.model.name)
    model_input = config.model.input
    params = dict(config.model.params)
    use_cache = bool(params.pop("cache", False))
    resolved = resolve_params(spec.name, params)
    chunk_seconds = float(config.data.chunk_seconds or DEFAULT_CHUNK_SECONDS)
    model = spec.build(num_classes=len(labels), params=params, input=model_input, sample_rate=config.data.sample_rate)
    sr = sample_rate_of(model, config.data.sample_rate)
    frontend = getattr(model, "frontend", None)
    if use_cache and not isinstance(frontend, SpectrogramFrontEnd):
        raise ConfigError(f"model.params.cache: model {spec.name!r} has no spectrogram front-end to cache")

    def save(run_dir: Path, trained: nn.Module) -> None:
        save_torch_checkpoint(run_dir, trained, TorchModelInfo(
            model=spec.name, input=model_input, num_classes=len(labels), params=resolved, labels=labels,
            sample_rate=sr, chunk_seconds=chunk_seconds, hop_seconds=config.data.hop_seconds,
            clip_seconds=config.data.clip_seconds,
            frontend=frontend.config if isinstance(frontend, SpectrogramFrontEnd) else None,
        ))

    return NetworkSetup(
        model=model, sample_rate=sr, chunk_seconds=chunk_seconds, folder_name=f"{spec.name}-{model_input}",
        title=f"{spec.name} ({model_input})", description=f"{spec.name} (torch, input {model_input})", save=save,
        cache_frontend=frontend if use_cache else None,
    )


def train_torch(
    config: ExperimentConfig,
    *,
    progress: bool = True,
    index: TrackIndex | None = None,
    run_dir: str | Path | None = None,
    resume: bool = False,
    extra: dict | None = None,
    on_epoch_end: Callable[[dict], None] | None = None,
) -> Path:
    """Train a torch model as ``config`` says and write its run folder (the family's trainer).

    ``model.name`` must be a torch-family model and ``model.input`` one of its inputs; the other
    arguments are those of :func:`genrekit.network_runs.train_network`, which runs it. The folder
    holds ``model.safetensors`` and ``model.json`` (:mod:`genrekit.checkpoint`) besides what every
    network run writes.
    """
    return train_network(config, _setup, family="torch", progress=progress, index=index, run_dir=run_dir,
                         resume=resume, extra=extra, on_epoch_end=on_epoch_end)


def compare_inputs(
    config: ExperimentConfig,
    *,
    inputs: tuple[str, ...] = ("mel", "log"),
    tag: str = "mel-vs-log",
    index: TrackIndex | None = None,
    progress: bool = True,
) -> list[Path]:
    """Train ``config``'s model once per input on one shared split (e.g. mel vs log-frequency).

    Parameters
    ----------
    config : ExperimentConfig
        Everything but ``model.input``, which each run sets.
    inputs : tuple of str
        Inputs to compare, each one the model accepts.
    tag : str
        Stored as ``RunInfo.extra["experiment"]`` in every run, so the results table can group them.
    index : TrackIndex, optional
        Tracks to use instead of ``config.data.source``.

    Returns
    -------
    list of Path
        One run folder per input, in ``inputs`` order.
    """
    spec = get_model(config.model.name)
    bad = [i for i in inputs if i not in spec.inputs]
    if bad:
        raise ConfigError(f"model {spec.name!r} takes inputs {', '.join(spec.inputs)}, not {', '.join(bad)}")
    index = split_index(config, index, progress)  # split once: every input sees the same tracks
    runs = []
    for model_input in inputs:
        run_config = copy.deepcopy(config)
        run_config.model.input = model_input
        runs.append(train_torch(run_config, index=index, progress=progress, extra={"experiment": tag}))
    return runs


# ---------------------------------------------------------------------- registration
_DESCRIPTIONS = {
    "cnn-spec": "compact CNN on spectrogram images (Choi et al. 2016; Dieleman & Schrauwen 2014)",
    "resnet-spec": "ResNet-18/34 on spectrogram images (He et al. 2016), optional ImageNet weights",
    "cnn-mfcc": "2-D CNN on MFCC matrices of 3 s chunks",
    "lstm-mfcc": "LSTM on MFCC frame sequences of 3 s chunks (Hochreiter & Schmidhuber 1997)",
}
_INPUTS = {
    "cnn-spec": SPECTROGRAM_INPUTS,
    "resnet-spec": SPECTROGRAM_INPUTS,
    "cnn-mfcc": ("mfcc",),
    "lstm-mfcc": ("mfcc",),
}

for _name in _RECIPES:
    register_model(ModelSpec(_name, "torch", _INPUTS[_name], partial(_build, _name), _DESCRIPTIONS[_name]))
register_family(Family("torch", train=train_torch, load=load_torch_run))

