"""Hyper-parameter search and fitting of a classic model.

Every candidate of a small grid is fitted on *train* and scored on *valid* (macro F1 per track:
chunk probabilities are averaged per track first); XGBoost also early-stops on valid. The best
candidate, as fitted on train, is the final model; it is deliberately not refitted on train+valid,
so the validation scores stay held-out numbers and XGBoost's number of trees stays the one early
stopping chose on data it did not see.
"""

from __future__ import annotations

import difflib
import itertools
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from genrekit.errors import ConfigError, DatasetError
from genrekit.evaluate import balanced_class_weights, track_metrics
from genrekit.models.classic.estimators import default_fit
from genrekit.models.classic.saved import FittedClassic
from genrekit.models.classic.specs import ClassicModel, classic_model


@dataclass
class ClassicFit:
    """Result of :func:`fit_classic`.

    Attributes
    ----------
    predictor : FittedClassic
        The selected model (fitted on train).
    params : dict
        Its hyper-parameters (grid values and settings decided while fitting).
    candidates : pd.DataFrame
        One row per grid candidate: its parameters, validation accuracy and macro F1, fit seconds.
    valid_metrics : dict or None
        :func:`~genrekit.evaluate.classification_metrics` of the selected model on valid.
    fit_seconds : float
        Wall time of the whole search.
    """

    predictor: FittedClassic
    params: dict
    candidates: pd.DataFrame
    valid_metrics: dict | None
    fit_seconds: float

    @property
    def shown_params(self) -> dict:
        """:attr:`params` as ``run.json`` and ``metrics.json`` record them (None spelt 'None')."""
        return {k: _shown(v) for k, v in self.params.items()}


def search_space(name: str, params: dict | None = None, *, search: bool = True) -> list[dict]:
    """The candidates tried for model ``name``.

    ``params`` (``config.model.params``) overrides the defaults: a list is a grid axis, a scalar
    is fixed. Without ``search`` each axis keeps one value: the first item of a user's list, else
    the model's default (e.g. ``C = 1.0`` for logreg, depth 6 and learning rate 0.1 for XGBoost).

    Raises
    ------
    ConfigError
        For a name that is not a classic model, or a key of ``params`` the model does not take
        (the message lists :func:`valid_params`).
    """
    model = classic_model(name)
    params = dict(params or {})
    check_params(name, params)
    grid = {key: list(values) for key, values in model.grid.items()}
    fixed = dict(model.fixed)
    for key, value in params.items():
        if isinstance(value, (list, tuple)):
            if not value:
                raise ConfigError(f"model.params.{key} is an empty list")
            grid[key] = list(value)
            fixed.pop(key, None)
        else:
            fixed[key] = value
            grid.pop(key, None)
    if not search:
        grid = {key: values[:1] if key in params else [model.defaults.get(key, values[0])] for key, values in grid.items()}
    keys = list(grid)
    return [fixed | dict(zip(keys, combo)) for combo in itertools.product(*(grid[k] for k in keys))]


def valid_params(name: str) -> list[str]:
    """The ``model.params`` names classic model ``name`` accepts (see :class:`ClassicModel`), sorted."""
    model = classic_model(name)
    names = set(model.grid) | set(model.fixed)
    if model.params is not None:
        names |= set(model.params)
    else:
        estimator = model.build(num_classes=2, params={}, seed=0)
        estimator = estimator.named_steps["clf"] if hasattr(estimator, "named_steps") else estimator
        names |= set(estimator.get_params(deep=False))
    return sorted(names - set(model.reserved), key=str.lower)


def check_params(name: str, params: dict) -> None:
    """Raise :class:`ConfigError` naming the valid ones if ``params`` holds a key model ``name`` does not take."""
    model = classic_model(name)
    for key in params:
        if key in model.reserved:
            raise ConfigError(f"model.params '{key}' cannot be set for {name}: {model.reserved[key]}")
    valid = valid_params(name)
    unknown = [key for key in params if key not in valid]
    if unknown:
        close = difflib.get_close_matches(unknown[0], valid, n=1)
        hint = f" (did you mean '{close[0]}'?)" if len(unknown) == 1 and close else ""
        raise ConfigError(f"unknown model.params {', '.join(repr(k) for k in unknown)} for {name}{hint}; valid: {', '.join(valid)}")


def fit_classic(
    name: str,
    *,
    train,
    valid,
    labels: list[str],
    feature_columns: list[str],
    params: dict | None = None,
    search: bool = True,
    seed: int = 0,
    progress: bool = True,
    class_weight: str | None = None,
    features=None,
) -> ClassicFit:
    """Fit every candidate on train, pick the best by validation macro F1 per track.

    Parameters
    ----------
    name : str
        Classic model name ('logreg', 'knn', 'svm', 'rf', 'xgboost').
    train, valid : genrekit.train.SplitData
        Feature rows (``X`` [shape=(n, n_features)]), class ids ``y`` and scoring groups.
        Rows of one group (the chunks of a track) are averaged before validation scoring.
    labels : list of str
        The label map (``y`` indexes it).
    feature_columns : list of str
        Names of the ``X`` columns, stored with the model.
    params : dict, optional
        ``config.model.params``; see :func:`search_space`.
    search : bool
        Try the whole grid (True) or only the default candidate.
    seed : int
        Seed of every estimator.
    progress : bool
        Show a progress bar over candidates.
    class_weight : {'balanced', None}
        'balanced' weights each training row by ``n / (k * count of its class)`` (see
        :func:`genrekit.evaluate.balanced_class_weights`), so every genre weighs the same in the
        loss on unbalanced data (FMA-medium); None weighs every row the same.
    features : genrekit.config.FeatureConfig, optional
        The feature settings, handed to builders that need them (``needs_names``: the zero-shot
        models read the checkpoint behind the features).

    Returns
    -------
    ClassicFit
    """
    model = classic_model(name)
    if len(train) == 0:
        raise DatasetError(f"{name}: the train split is empty")
    class_ids = np.unique(train.y)
    if len(class_ids) < 2:
        raise DatasetError(f"{name}: the train split holds only {len(class_ids)} genre(s); need at least 2")
    # Estimators see consecutive ids of the classes present in train.
    y_fit = np.searchsorted(class_ids, train.y)
    has_valid = valid is not None and len(valid) > 0
    if has_valid:
        known = np.isin(valid.y, class_ids)
        X_valid_fit, y_valid_fit = valid.X[known], np.searchsorted(class_ids, valid.y[known])
    else:
        X_valid_fit = y_valid_fit = None

    sample_weight = valid_weight = None
    if class_weight is not None:
        per_class = balanced_class_weights(y_fit, len(class_ids), kind=class_weight)
        sample_weight = per_class[y_fit]
        valid_weight = per_class[y_valid_fit] if has_valid else None
    candidates = search_space(name, params, search=search)
    fit = model.fit or default_fit
    rows, best = [], None
    started = time.perf_counter()
    for candidate in tqdm(candidates, desc=f"{name} search", unit="fit", disable=not progress or len(candidates) < 2):
        t0 = time.perf_counter()
        names = ({"labels": [labels[i] for i in class_ids], "feature_columns": feature_columns, "features": features}
                 if model.needs_names else {})
        estimator = model.build(num_classes=len(class_ids), params=dict(candidate), seed=seed, **names)
        fitted, extra = fit(estimator, train.X, y_fit, X_valid_fit, y_valid_fit, seed, sample_weight=sample_weight, valid_weight=valid_weight)
        predictor = FittedClassic(
            model=name,
            labels=labels,
            feature_columns=feature_columns,
            class_ids=class_ids.tolist(),
            exported=model.export(fitted, extra, train.X, y_fit),
            params=candidate | extra,
        )
        scores = track_metrics(valid.groups, predictor.predict_proba(valid.X), valid.truth(), labels) if has_valid else None
        row = {**{k: _shown(v) for k, v in candidate.items() if k in _grid_keys(model, params)}, **extra}
        row |= {
            "valid_accuracy": scores["accuracy"] if scores else np.nan,
            "valid_macro_f1": scores["macro_f1"] if scores else np.nan,
            "fit_seconds": round(time.perf_counter() - t0, 3),
        }
        rows.append(row)
        key = (scores["macro_f1"], scores["accuracy"]) if scores else (0.0, 0.0)
        # Ties keep the earlier candidate: grids list the simpler or more regularised settings first.
        if best is None or key > best[0]:
            best = (key, predictor, candidate | extra, scores)
    _, predictor, chosen, valid_scores = best
    return ClassicFit(predictor, chosen, pd.DataFrame(rows), valid_scores, time.perf_counter() - started)


def _grid_keys(model: ClassicModel, params: dict | None) -> set[str]:
    keys = set(model.grid)
    for key, value in (params or {}).items():
        if isinstance(value, (list, tuple)):
            keys.add(key)
        else:
            keys.discard(key)
    return keys


def _shown(value):
    return "None" if value is None else value

