"""One registry from model names to builders, and from model families to their trainer and loader.

A *family* ('classic', 'torch', 'hf') knows how to train an :class:`~genrekit.config.ExperimentConfig`
into a run folder and how to load a run folder back into a predictor. A *model* ('xgboost',
'cnn-spec', ...) belongs to one family and has a builder. ``genrekit train``, ``evaluate``,
``predict`` and the app all look names up here, never in ``if`` chains of their own.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from genrekit.errors import ConfigError

# Modules that register families and models when imported; loaded on first lookup so that
# `genrekit --help` does not import torch.
_PROVIDERS = [
    "genrekit.models.classic",
    "genrekit.models.zeroshot",
    "genrekit.models.torch_family",
    "genrekit.models.wavenet",
    "genrekit.models.hf",
    "genrekit.models.xgboost_dask",
    "genrekit.ensemble",  # the saved soft-voting ensembles of genrekit evaluate --ensemble
    "genrekit.cross_dataset",  # runs scored on other data by genrekit evaluate --data
]


@dataclass(frozen=True)
class ModelSpec:
    """A trainable model.

    Attributes
    ----------
    name : str
        CLI name, e.g. ``"xgboost"`` or ``"cnn-spec"``.
    family : str
        Name of the :class:`Family` that trains and loads it.
    inputs : tuple of str
        Inputs it accepts; the first is the default ('features', 'mfcc', 'mel', 'log', 'linear', 'waveform').
    build : callable
        ``build(num_classes=..., params=dict, **family_specific) -> estimator or nn.Module``.
    description : str
        One line for ``--list-models``, naming the idea or paper.
    """

    name: str
    family: str
    inputs: tuple[str, ...]
    build: Callable[..., Any]
    description: str = ""

    @property
    def default_input(self) -> str:
        return self.inputs[0]


@dataclass(frozen=True)
class Family:
    """How a family of models is trained into a run folder and loaded back."""

    name: str
    train: Callable[..., Path] = field(repr=False)  # train(config, *, progress=True) -> run folder
    load: Callable[[Path], Any] = field(repr=False)  # load(run folder) -> predictor


_MODELS: dict[str, ModelSpec] = {}
_FAMILIES: dict[str, Family] = {}
_loaded = False


def register_model(spec: ModelSpec) -> ModelSpec:
    if spec.name in _MODELS and _MODELS[spec.name] is not spec:
        raise ValueError(f"model {spec.name!r} is registered twice")
    _MODELS[spec.name] = spec
    return spec


def register_family(family: Family) -> Family:
    _FAMILIES[family.name] = family
    return family


def _ensure_loaded() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in _PROVIDERS:
            importlib.import_module(module)


def get_model(name: str) -> ModelSpec:
    _ensure_loaded()
    if name not in _MODELS:
        raise ConfigError(f"unknown model {name!r}; available: {', '.join(model_names())}")
    return _MODELS[name]


def get_family(name: str) -> Family:
    _ensure_loaded()
    if name not in _FAMILIES:
        raise ConfigError(f"unknown model family {name!r}; available: {', '.join(sorted(_FAMILIES))}")
    return _FAMILIES[name]


def model_names() -> list[str]:
    _ensure_loaded()
    return sorted(_MODELS)


def models() -> list[ModelSpec]:
    _ensure_loaded()
    return [_MODELS[n] for n in sorted(_MODELS)]
