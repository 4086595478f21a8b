"""Zero-shot genre models: genres from a pretrained network with no training at all.

Both are members of the ``classic`` family whose "fit" learns nothing from the training split: a
fixed linear scorer over the network's features, softmax over the dataset's genres.

``musicnn-zeroshot``
    The weights of :mod:`genrekit.pretrained.genre_map` (a hand-set multinomial logistic
    regression over the 100 tag probabilities of ``MSD_musicnn`` and ``MTT_musicnn``) laid out for
    the dataset's genres. Reads the ``musicnn`` feature kind with the ``taggram`` embedding.
    ``model.params.temperature`` (default 0.1) sets the softmax temperature.
``clap-zeroshot``
    CLAP's text embeddings of prompts naming each genre (:data:`genrekit.pretrained.clap.PROMPTS`,
    averaged); a clip's probabilities are the softmax of CLAP's logit scale times the cosine
    between its audio embedding (the ``clap`` feature kind) and each genre's text embedding.
    ``--checkpoint`` (``model.checkpoint``) names the CLAP model (default ``laion/larger_clap_music``).

The feature settings they need are forced whatever the config says, so features come from the
same resumable cache, and each run folder is an ordinary classic run: scored on the test split
(validation too), listed by ``genrekit results`` with its split kind, usable by ``predict``,
``album``, ensembles and ``space build`` like any run. The exported form is two arrays
(``weights``, n_features x n_genres) and a temperature, so a reloaded run needs neither the
mapping code nor CLAP's text tower.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.special import softmax

from genrekit import paths
from genrekit.config import ExperimentConfig
from genrekit.data.gtzan import GTZAN_GENRES
from genrekit.errors import ConfigError
from genrekit.features import kinds
from genrekit.models.classic import CLASSIC_MODELS, ClassicModel, Exported, FittedClassic, register_classic
from genrekit.pretrained import weights as musicnn_weights
from genrekit.pretrained.clap import PROMPTS
from genrekit.pretrained.clap import load as load_clap
from genrekit.pretrained.genre_map import MAPPING_VERSION, TEMPERATURE, weight_matrix
from genrekit.runs import RUN_FILE, RunInfo, write_run_record

NAME = "musicnn-zeroshot"
CLAP_NAME = "clap-zeroshot"


class LinearRule:
    """An untrained linear scorer: softmax(x' @ weights / temperature), x' = x or x / |x|."""

    def __init__(self, weights: np.ndarray, *, temperature: float, normalise: bool = False):
        if not temperature > 0:
            raise ConfigError(f"model.params.temperature must be positive, got {temperature}")
        self.weights = np.asarray(weights, dtype=np.float64)
        self.temperature = float(temperature)
        self.normalise = bool(normalise)


def _build_tags(*, num_classes: int, params: dict, seed: int = 0, labels=None, feature_columns=None, features=None):
    return LinearRule(weight_matrix(list(labels), list(feature_columns)), temperature=params.get("temperature", TEMPERATURE))


def _build_clap(*, num_classes: int, params: dict, seed: int = 0, labels=None, feature_columns=None, features=None):
    clap = load_clap(features)
    prompts = tuple(params.get("prompts") or PROMPTS)
    if not all("{genre}" in p for p in prompts):
        raise ConfigError("every model.params.prompts template needs a '{genre}' placeholder")
    text = clap.genre_embeddings(list(labels), prompts=prompts)  # (genres, dim)
    return LinearRule(text.T, temperature=1.0 / clap.logit_scale, normalise=True)


def _fit(estimator, X, y, X_valid, y_valid, seed, *, sample_weight=None, valid_weight=None):
    return estimator, {}  # zero-shot: nothing is learnt from the training split


def _export(fitted: LinearRule, extra, X, y) -> Exported:
    return Exported(arrays={"weights": fitted.weights}, meta={"temperature": fitted.temperature, "normalise": fitted.normalise})


def _restore(exported: Exported):
    weights = np.asarray(exported.arrays["weights"], dtype=np.float64)
    temperature = float(exported.meta["temperature"])
    normalise = bool(exported.meta.get("normalise", False))

    def proba(X):
        X = np.asarray(X, dtype=np.float64)
        if normalise:
            X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
        return softmax((X @ weights) / temperature, axis=1)

    return proba


SPEC = ClassicModel(
    name=NAME,
    description="Zero-shot genres from musicnn's MSD and MTT tag probabilities (a reasoned mapping, no training; "
    "Pons & Serra 2019 weights).",
    grid={},
    fixed={"temperature": TEMPERATURE},
    defaults={},
    build=_build_tags,
    export=_export,
    restore=_restore,
    fit=_fit,
    features={"kind": "musicnn", "embedding": "taggram"},
    needs_names=True,
    params=("temperature",),
)

CLAP_SPEC = ClassicModel(
    name=CLAP_NAME,
    description="Zero-shot genres from CLAP text prompts (Wu et al. 2023; --checkpoint, default laion/larger_clap_music; "
    "needs the hub or a local folder).",
    grid={},
    fixed={},
    defaults={},
    build=_build_clap,
    export=_export,
    restore=_restore,
    fit=_fit,
    features={"kind": "clap"},
    needs_names=True,
    params=("prompts",),
)

for _spec in (SPEC, CLAP_SPEC):
    if _spec.name not in CLASSIC_MODELS:
        register_classic(_spec)


def default_run(*, genres: tuple[str, ...] | None = None, fetch: bool = True) -> Path:
    """A ready run folder of the zero-shot model over GTZAN's ten genres (made once, then reused).

    This is what ``genrekit predict`` and the app use when no run is given: real music gets a
    sensible answer on a fresh machine without any training. It lives beside the weights
    (:func:`genrekit.paths.pretrained_dir`), not among the trained runs, and is not scored
    (it has no dataset): ``genrekit train --model musicnn-zeroshot --data ...`` makes a scored run.

    Parameters
    ----------
    genres : tuple of str, optional
        Genre names (default GTZAN's); a folder per distinct set.
    fetch : bool
        Fetch the musicnn weights now if they are missing (through pip).
    """
    import os
    import shutil
    import tempfile

    if fetch and not musicnn_weights.have_weights():
        musicnn_weights.fetch_musicnn()  # through the module, so tests can stand in for pip
    genres = tuple(genres or GTZAN_GENRES)
    name = f"{NAME}-v{MAPPING_VERSION}-{'gtzan' if genres == tuple(GTZAN_GENRES) else '-'.join(genres)[:40]}"
    folder = paths.pretrained_dir() / "runs" / name
    if (folder / RUN_FILE).is_file():
        return folder
    config = ExperimentConfig(name=NAME)
    config.model.name = NAME
    config.data.source = "none"
    config.data.split = "none"
    for key, value in SPEC.features.items():
        setattr(config.features, key, value)
    columns = kinds.feature_names(config.features)
    rule = LinearRule(weight_matrix(list(genres), columns), temperature=TEMPERATURE)
    predictor = FittedClassic(model=NAME, labels=list(genres), feature_columns=columns,
                              class_ids=list(range(len(genres))), exported=_export(rule, {}, None, None),
                              params={"temperature": TEMPERATURE})
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=folder.parent))
    predictor.save(tmp)
    info = RunInfo(family="classic", model=NAME, input="features", dataset="none (zero-shot, not scored)",
                   split_kind="none", extra={"zero_shot": True, "genres": list(genres)})
    write_run_record(tmp, info=info, config=config, labels=list(genres))
    try:
        os.replace(tmp, folder)  # atomic: a second process finds the folder complete or absent
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)  # another process made it first
    return folder
