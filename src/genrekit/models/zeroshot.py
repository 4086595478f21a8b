"""``musicnn-zeroshot``: genres from musicnn's tag probabilities, with no training at all.

A member of the ``classic`` family whose "fit" sets nothing: the weights of
:mod:`genrekit.pretrained.genre_map` (a hand-set multinomial logistic regression over the 100
tag probabilities of ``MSD_musicnn`` and ``MTT_musicnn``) are laid out for the dataset's genres.
It reads the ``musicnn`` feature kind with the ``taggram`` embedding (forced, whatever the
config says), so the features come from the same resumable cache, and the run folder is an
ordinary classic run: scored on the test split (train data is not used; validation is scored
too), listed by ``genrekit results`` with its split kind, and usable by ``predict``, ``album``,
ensembles and ``space build`` like any run.

``model.params.temperature`` (default 0.1) sets the softmax temperature: it changes the
probabilities' confidence, never the ranking.
"""

from __future__ import annotations

import numpy as np

from genrekit.models.classic import CLASSIC_MODELS, ClassicModel, Exported, register_classic
from genrekit.pretrained.genre_map import TEMPERATURE, weight_matrix

NAME = "musicnn-zeroshot"


class TagRule:
    """The untrained estimator: genre scores = tag probabilities @ weights, softmax with a temperature."""

    def __init__(self, *, genres: list[str], feature_columns: list[str], temperature: float):
        if not temperature > 0:
            from genrekit.errors import ConfigError

            raise ConfigError(f"model.params.temperature must be positive, got {temperature}")
        self.weights = weight_matrix(genres, feature_columns)
        self.temperature = float(temperature)


def _build(*, num_classes: int, params: dict, seed: int = 0, labels=None, feature_columns=None) -> TagRule:
    return TagRule(genres=list(labels), feature_columns=list(feature_columns), temperature=params.get("temperature", TEMPERATURE))


def _fit(estimator, X, y, X_valid, y_valid, seed, *, sample_weight=None, valid_weight=None):
    return estimator, {}  # zero-shot: nothing is learnt from the training split


def _export(fitted: TagRule, extra, X, y) -> Exported:
    return Exported(arrays={"weights": fitted.weights}, meta={"temperature": fitted.temperature})


def _restore(exported: Exported):
    weights = np.asarray(exported.arrays["weights"], dtype=np.float64)
    temperature = float(exported.meta["temperature"])

    def proba(X):
        z = (np.asarray(X, dtype=np.float64) @ weights) / temperature
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    return proba


SPEC = ClassicModel(
    name=NAME,
    description="Zero-shot genres from musicnn's MSD and MTT tag probabilities (a reasoned mapping, no training; "
    "Pons & Serra 2019 weights).",
    grid={},
    fixed={"temperature": TEMPERATURE},
    defaults={},
    build=_build,
    export=_export,
    restore=_restore,
    fit=_fit,
    features={"kind": "musicnn", "embedding": "taggram"},
    needs_names=True,
)

if NAME not in CLASSIC_MODELS:
    register_classic(SPEC)


def default_run(*, genres: tuple[str, ...] | None = None, fetch: bool = True) -> "Path":
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
    from pathlib import Path

    from genrekit import paths
    from genrekit.config import ExperimentConfig
    from genrekit.data.gtzan import GTZAN_GENRES
    from genrekit.features import kinds
    from genrekit.models.classic import ClassicPredictor
    from genrekit.pretrained.weights import fetch_musicnn, have_weights
    from genrekit.runs import RUN_FILE, RunInfo, write_run_record

    if fetch and not have_weights():
        fetch_musicnn()
    genres = tuple(genres or GTZAN_GENRES)
    name = f"{NAME}-{'gtzan' if genres == tuple(GTZAN_GENRES) else '-'.join(genres)[:40]}"
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
    rule = TagRule(genres=list(genres), feature_columns=columns, temperature=TEMPERATURE)
    predictor = ClassicPredictor(model=NAME, labels=list(genres), feature_columns=columns,
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
