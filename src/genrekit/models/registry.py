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

# Modules that register families and models when imported, imported in this order on lookup and
# only as far as needed: `genrekit --help` and a classic model's lookup never import torch.
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
_loaded = 0  # how many of _PROVIDERS have been imported


def register_model(spec: ModelSpec) -> ModelSpec:
    if spec.name in _MODELS and _MODELS[spec.name] is not spec:
        raise ValueError(f"model {spec.name!r} is registered twice")
    _MODELS[spec.name] = spec
    return spec


def register_family(family: Family) -> Family:
    _FAMILIES[family.name] = family
    return family


def _load(until: Callable[[], bool] = lambda: False) -> None:
    """Import the providers in order until ``until()`` holds (all of them if it never does)."""
    global _loaded
    while _loaded < len(_PROVIDERS) and not until():
        module = _PROVIDERS[_loaded]
        _loaded += 1  # counted first: a provider that fails to import is not retried on every lookup
        importlib.import_module(module)


def get_model(name: str) -> ModelSpec:
    _load(until=lambda: name in _MODELS)
    if name not in _MODELS:
        raise ConfigError(f"unknown model {name!r}; available: {', '.join(model_names())}")
    return _MODELS[name]


def get_family(name: str) -> Family:
    _load(until=lambda: name in _FAMILIES)
    if name not in _FAMILIES:
        raise ConfigError(f"unknown model family {name!r}; available: {', '.join(sorted(_FAMILIES))}")
    return _FAMILIES[name]


def model_input(config, family: str) -> str:
    """The input ``config.model`` asks for (or its model's default), after checking that the model
    belongs to ``family`` and takes that input; what every family's trainer checks first.

    Raises
    ------
    ConfigError
        An unknown model, a model of another family, or an input it does not take.
    """
    spec = get_model(config.model.name)
    if spec.family != family:
        raise ConfigError(f"model {spec.name!r} belongs to the {spec.family!r} family, not {family!r}")
    chosen = config.model.input or spec.default_input
    if chosen not in spec.inputs:
        raise ConfigError(f"model {spec.name!r} takes inputs {', '.join(spec.inputs)}, not {chosen!r}")
    return chosen


def model_names() -> list[str]:
    _load()
    return sorted(_MODELS)


def models() -> list[ModelSpec]:
    _load()
    return [_MODELS[n] for n in sorted(_MODELS)]
