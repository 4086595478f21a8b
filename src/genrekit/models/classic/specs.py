"""What a classic model is: how it is built, fitted, exported to plain data and restored.

Every model of the ``classic`` family is one :class:`ClassicModel` in :data:`CLASSIC_MODELS`: the
five of :mod:`~genrekit.models.classic.estimators`, the zero-shot ones of
:mod:`genrekit.models.zeroshot` and ``xgboost-dask``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from genrekit.errors import ConfigError
from genrekit.models.registry import get_model


@dataclass
class Exported:
    """A fitted model as plain data: arrays (safetensors), settings (JSON) and native files."""

    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class ClassicModel:
    """How one classic model is built, searched, exported and restored.

    ``fit(estimator, X, y, X_valid, y_valid, seed, *, sample_weight=None, valid_weight=None)``
    returns ``(fitted, extra)`` where ``extra`` is a dict of settings decided during fitting
    (XGBoost's best iteration, the SVM temperature); the weights are per row, or None;
    ``defaults`` are the grid values used when the search is switched off;
    ``export(fitted, extra, X, y)`` turns it into :class:`Exported`; ``restore(exported)`` returns
    ``proba(X) -> (n, n_fit_classes)``. ``features`` fixes fields of the feature config the model
    needs (the zero-shot model reads musicnn tag probabilities); with ``needs_names`` the builder
    also receives ``labels`` (of the classes it is fitted on), ``feature_columns`` and ``features``
    (the FeatureConfig).

    The ``model.params`` a model accepts are its grid and fixed keys and, when ``params`` is None,
    the parameters of the estimator its builder returns (``get_params()``, of the classifier step
    of a scaling pipeline); a builder that is not a scikit-learn estimator lists them in ``params``.
    ``reserved`` maps the estimator parameters the builder sets itself to the reason, e.g. the
    exported form depends on them.
    """

    name: str
    description: str
    grid: dict[str, list]
    fixed: dict[str, Any]
    defaults: dict[str, Any]
    build: Callable[..., Any]
    export: Callable[..., Exported]
    restore: Callable[[Exported], Callable[[np.ndarray], np.ndarray]]
    fit: Callable[..., tuple[Any, dict]] | None = None
    features: dict[str, Any] | None = None
    needs_names: bool = False
    params: tuple[str, ...] | None = None
    reserved: dict[str, str] = field(default_factory=dict)


#: Every registered classic model by name (filled by :func:`genrekit.models.classic.register_classic`).
CLASSIC_MODELS: dict[str, ClassicModel] = {}


def classic_model(name: str) -> ClassicModel:
    """The classic model called ``name``.

    Raises
    ------
    ConfigError
        If no registered model of that name is a classic one.
    """
    if name not in CLASSIC_MODELS:
        try:
            get_model(name)  # the registry imports the module that defines it (zero-shot, xgboost-dask)
        except ConfigError:
            pass  # not a model at all: said below, as not a classic one
    if name not in CLASSIC_MODELS:
        raise ConfigError(f"{name!r} is not a classic model; classic models: {', '.join(sorted(CLASSIC_MODELS))}")
    return CLASSIC_MODELS[name]
