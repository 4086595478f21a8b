"""Classic models on hand-crafted features: logistic regression, k-NN, SVM, random forest, XGBoost.

Training (:func:`train_classic`, the ``classic`` family's trainer):

1. dataset, split and cached features come from :func:`genrekit.train.prepare_features`;
2. every candidate of a small grid is fitted on *train* and scored on *valid* (macro F1 per
   track: chunk probabilities are averaged per track first); XGBoost also early-stops on valid;
3. the best candidate, as fitted on train, is the final model. It is deliberately not refitted
   on train+valid: the validation scores in ``metrics.json`` then stay held-out numbers, and
   XGBoost's number of trees stays the one early stopping chose on data it did not see;
4. test is scored once, per track (per chunk under the leaky protocol), and everything is
   written to a run folder.

Saving never pickles. Each model is exported to plain arrays and JSON and predicts through small
numpy functions of those arrays (XGBoost through its own UBJSON format), and the scores in the run
folder are computed through that exported form, so a reloaded run predicts exactly what was scored:

=========  =========================================================================
logreg     scaler mean/scale, ``coef``, ``intercept`` (softmax)
knn        scaler mean/scale, the scaled training matrix and its labels; the brute-force
           neighbour search is rebuilt on load (deterministic)
svm        scaler mean/scale, support vectors, dual coefficients, intercepts and RBF gamma;
           probabilities are a softmax of the one-vs-one votes and confidences with a
           temperature fitted on valid (scikit-learn's Platt-scaling ``probability=True`` is
           deprecated, and its internal CV would mix chunks of one track across folds)
rf         every tree's children, split features, thresholds and normalised leaf distributions
xgboost    ``model.ubj`` (the booster cut at the early-stopping iteration)
=========  =========================================================================

Arrays go to ``model.safetensors``, settings to ``model.json``.
"""

from __future__ import annotations

import difflib
import itertools
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from genrekit.errors import ConfigError, DatasetError, RunError
from genrekit.evaluate import track_metrics, write_evaluation
from genrekit.models.registry import Family, ModelSpec, get_model, register_family, register_model

MODEL_JSON = "model.json"
MODEL_ARRAYS = "model.safetensors"
IMPORTANCE_CSV = "feature_importance.csv"
IMPORTANCE_PNG = "feature_importance.png"
SEARCH_CSV = "search.csv"
FORMAT_VERSION = 1

#: Importance types reported for XGBoost, each normalised to sum 1.
IMPORTANCE_TYPES = ("gain", "weight", "cover", "total_gain", "total_cover")


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


CLASSIC_MODELS: dict[str, ClassicModel] = {}


# --------------------------------------------------------------------------- shared pieces


def _scaled_pipeline(estimator):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline([("scale", StandardScaler()), ("clf", estimator)])


def _scaler_arrays(pipeline) -> dict[str, np.ndarray]:
    scaler = pipeline.named_steps["scale"]
    return {"scale_mean": np.asarray(scaler.mean_, np.float64), "scale_scale": np.asarray(scaler.scale_, np.float64)}


def _apply_scaler(arrays: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    return (X - arrays["scale_mean"]) / arrays["scale_scale"]


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _default_fit(estimator, X, y, X_valid, y_valid, seed, *, sample_weight=None, valid_weight=None):
    return estimator.fit(X, y, **_weights_for(estimator, sample_weight)), {}


def _weights_for(estimator, sample_weight) -> dict:
    """Fit keyword for per-row weights: routed to the classifier step of a scaling pipeline."""
    if sample_weight is None:
        return {}
    return {"clf__sample_weight": sample_weight} if hasattr(estimator, "named_steps") else {"sample_weight": sample_weight}


# --------------------------------------------------------------------------- logistic regression


def _build_logreg(*, num_classes: int, params: dict, seed: int = 0):
    from sklearn.linear_model import LogisticRegression

    return _scaled_pipeline(LogisticRegression(random_state=seed, **params))


def _export_logreg(fitted, extra, X, y) -> Exported:
    clf = fitted.named_steps["clf"]
    arrays = _scaler_arrays(fitted) | {"coef": clf.coef_.astype(np.float64), "intercept": clf.intercept_.astype(np.float64)}
    return Exported(arrays=arrays)


def _restore_logreg(exported: Exported):
    a = exported.arrays

    def proba(X):
        z = _apply_scaler(a, X) @ a["coef"].T + a["intercept"]
        if z.shape[1] == 1:  # two classes: scikit-learn keeps one logit for the second class
            p = 1.0 / (1.0 + np.exp(-z[:, 0]))
            return np.column_stack([1.0 - p, p])
        return _softmax(z)

    return proba


# --------------------------------------------------------------------------- k nearest neighbours


def _build_knn(*, num_classes: int, params: dict, seed: int = 0):
    from sklearn.neighbors import KNeighborsClassifier

    # Brute force: exact, deterministic, and the same search is rebuilt on load.
    return _scaled_pipeline(KNeighborsClassifier(algorithm="brute", **params))


def _fit_knn(estimator, X, y, X_valid, y_valid, seed, *, sample_weight=None, valid_weight=None):
    if sample_weight is not None:
        raise ConfigError("knn cannot weight classes (train.class_weight); use logreg, svm, rf or xgboost")
    k = estimator.named_steps["clf"].n_neighbors
    if k > len(X):
        estimator.set_params(clf__n_neighbors=len(X))
    return estimator.fit(X, y), {}


def _export_knn(fitted, extra, X, y) -> Exported:
    clf = fitted.named_steps["clf"]
    arrays = _scaler_arrays(fitted) | {"train_X": fitted.named_steps["scale"].transform(X), "train_y": np.asarray(y, np.int64)}
    meta = {"n_neighbors": int(clf.n_neighbors), "weights": clf.weights, "metric": clf.metric, "p": clf.p}
    return Exported(arrays=arrays, meta=meta)


def _restore_knn(exported: Exported):
    from sklearn.neighbors import KNeighborsClassifier

    a, m = exported.arrays, exported.meta
    knn = KNeighborsClassifier(
        n_neighbors=m["n_neighbors"], weights=m["weights"], metric=m["metric"], p=m["p"], algorithm="brute"
    ).fit(a["train_X"], a["train_y"])
    return lambda X: knn.predict_proba(_apply_scaler(a, X))


# --------------------------------------------------------------------------- support vector machine


def _build_svm(*, num_classes: int, params: dict, seed: int = 0):
    from sklearn.svm import SVC

    return _scaled_pipeline(SVC(kernel="rbf", decision_function_shape="ovo", random_state=seed, **params))


def _rbf_ovo(a: dict[str, np.ndarray], Xs: np.ndarray) -> np.ndarray:
    """One-vs-one decision values [shape=(n, k(k-1)/2)], positive for the first class of a pair."""
    sv = a["support_vectors"]
    sq = (Xs**2).sum(axis=1)[:, None] + (sv**2).sum(axis=1)[None, :] - 2.0 * Xs @ sv.T
    kernel = np.exp(-float(a["gamma"][0]) * np.maximum(sq, 0.0))
    starts = np.concatenate([[0], np.cumsum(a["n_support"])])
    k = len(a["n_support"])
    out = []
    for pair, (i, j) in enumerate(itertools.combinations(range(k), 2)):
        si, sj = slice(starts[i], starts[i + 1]), slice(starts[j], starts[j + 1])
        out.append(kernel[:, si] @ a["dual_coef"][j - 1, si] + kernel[:, sj] @ a["dual_coef"][i, sj] + a["intercept"][pair])
    return np.stack(out, axis=1)


def _ovr_scores(decision: np.ndarray, k: int) -> np.ndarray:
    """Votes plus squashed summed confidences per class, as scikit-learn's 'ovr' decision shape."""
    votes = np.zeros((len(decision), k))
    confidence = np.zeros((len(decision), k))
    for pair, (i, j) in enumerate(itertools.combinations(range(k), 2)):
        d = decision[:, pair]
        votes[:, i] += d > 0
        votes[:, j] += d <= 0
        confidence[:, i] += d
        confidence[:, j] -= d
    return votes + confidence / (3.0 * (np.abs(confidence) + 1.0))


def _svm_arrays(fitted) -> dict[str, np.ndarray]:
    clf = fitted.named_steps["clf"]
    dual, intercept = clf.dual_coef_.astype(np.float64), clf.intercept_.astype(np.float64)
    if len(clf.classes_) == 2:  # scikit-learn flips libsvm's sign for two classes; undo it
        dual, intercept = -dual, -intercept
    return _scaler_arrays(fitted) | {
        "support_vectors": clf.support_vectors_.astype(np.float64),
        "dual_coef": dual,
        "intercept": intercept,
        "n_support": clf.n_support_.astype(np.int64),
        "gamma": np.array([float(clf.gamma)]),
    }


def _fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """Inverse temperature ``t`` minimising the log loss of ``softmax(t * scores)`` (Guo et al. 2017)."""
    from scipy.optimize import minimize_scalar

    def loss(log_t):
        p = _softmax(np.exp(log_t) * scores)
        return -np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None)))

    best = minimize_scalar(loss, bounds=(np.log(1e-2), np.log(1e3)), method="bounded")
    return float(np.exp(best.x))


def _fit_svm(estimator, X, y, X_valid, y_valid, seed, *, sample_weight=None, valid_weight=None):
    gamma = estimator.named_steps["clf"].gamma
    if gamma == "scale":
        # Resolve now, on the scaled features, so the exported kernel is explicit.
        from sklearn.preprocessing import StandardScaler

        variance = StandardScaler().fit_transform(X).var()
        estimator.set_params(clf__gamma=1.0 / (X.shape[1] * variance) if variance > 0 else 1.0)
    fitted = estimator.fit(X, y, **_weights_for(estimator, sample_weight))
    temperature = 1.0
    if X_valid is not None and len(y_valid):
        a = _svm_arrays(fitted)
        scores = _ovr_scores(_rbf_ovo(a, _apply_scaler(a, X_valid)), len(a["n_support"]))
        temperature = _fit_temperature(scores, y_valid)
    return fitted, {"gamma_value": float(fitted.named_steps["clf"].gamma), "temperature": temperature}


def _export_svm(fitted, extra, X, y) -> Exported:
    return Exported(arrays=_svm_arrays(fitted) | {"temperature": np.array([extra.get("temperature", 1.0)])})


def _restore_svm(exported: Exported):
    a = exported.arrays

    def proba(X):
        scores = _ovr_scores(_rbf_ovo(a, _apply_scaler(a, X)), len(a["n_support"]))
        return _softmax(float(a["temperature"][0]) * scores)

    return proba


# --------------------------------------------------------------------------- random forest


def _build_rf(*, num_classes: int, params: dict, seed: int = 0):
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(random_state=seed, **params)


def _export_rf(fitted, extra, X, y) -> Exported:
    left, right, feature, threshold, leaf_row, leaves, roots = [], [], [], [], [], [], []
    offset = n_leaves = 0
    for tree in fitted.estimators_:
        t = tree.tree_
        is_leaf = t.children_left < 0
        # Children get global node ids; -1 marks a leaf.
        left.append(np.where(is_leaf, -1, t.children_left + offset))
        right.append(np.where(is_leaf, -1, t.children_right + offset))
        feature.append(np.where(is_leaf, 0, t.feature))
        threshold.append(t.threshold)
        rows = np.full(t.node_count, -1, dtype=np.int64)
        rows[is_leaf] = np.arange(is_leaf.sum()) + n_leaves
        leaf_row.append(rows)
        value = t.value[is_leaf, 0, :].astype(np.float64)
        leaves.append(value / value.sum(axis=1, keepdims=True))
        roots.append(offset)
        offset += t.node_count
        n_leaves += int(is_leaf.sum())
    arrays = {
        "left": np.concatenate(left).astype(np.int64),
        "right": np.concatenate(right).astype(np.int64),
        "feature": np.concatenate(feature).astype(np.int64),
        "threshold": np.concatenate(threshold).astype(np.float64),
        "leaf_row": np.concatenate(leaf_row),
        "leaf_value": np.concatenate(leaves),
        "roots": np.asarray(roots, dtype=np.int64),
    }
    return Exported(arrays=arrays)


def _restore_rf(exported: Exported):
    a = exported.arrays

    def proba(X):
        # scikit-learn trees compare float32 features with float64 thresholds; do the same.
        X32 = np.asarray(X, dtype=np.float32)
        out = np.empty((len(X32), a["leaf_value"].shape[1]))
        for start in range(0, len(X32), 2048):
            xb = X32[start : start + 2048]
            node = np.tile(a["roots"], (len(xb), 1))
            while True:
                rows, trees = np.nonzero(a["left"][node] >= 0)
                if len(rows) == 0:
                    break
                current = node[rows, trees]
                go_left = xb[rows, a["feature"][current]] <= a["threshold"][current]
                node[rows, trees] = np.where(go_left, a["left"][current], a["right"][current])
            out[start : start + len(xb)] = a["leaf_value"][a["leaf_row"][node]].mean(axis=1)
        return out

    return proba


# --------------------------------------------------------------------------- XGBoost


def _build_xgboost(*, num_classes: int, params: dict, seed: int = 0):
    from xgboost import XGBClassifier

    settings = {"tree_method": "hist", "random_state": seed, **params}
    if num_classes == 2 and settings.get("eval_metric") == "mlogloss":
        settings["eval_metric"] = "logloss"
    return XGBClassifier(**settings)


# Below this many rows one thread is faster: per-round thread synchronisation costs more than it
# saves, and on a machine whose cores are busy it slows boosting down twenty-fold.
_XGB_SINGLE_THREAD_ROWS = 20_000


def _fit_xgboost(estimator, X, y, X_valid, y_valid, seed, *, sample_weight=None, valid_weight=None):
    if estimator.n_jobs is None:
        estimator.set_params(n_jobs=1 if len(X) < _XGB_SINGLE_THREAD_ROWS else os.cpu_count())
    has_valid = X_valid is not None and len(y_valid) > 0
    if has_valid:
        # early stopping watches the validation loss weighted like the training loss
        eval_weights = None if valid_weight is None else [valid_weight]
        estimator.fit(X, y, sample_weight=sample_weight, eval_set=[(X_valid, y_valid)], sample_weight_eval_set=eval_weights,
                      verbose=False)
    else:
        estimator.set_params(early_stopping_rounds=None)
        estimator.fit(X, y, sample_weight=sample_weight, verbose=False)
    booster = estimator.get_booster()
    rounds = booster.num_boosted_rounds()
    best = getattr(estimator, "best_iteration", None) if has_valid else None
    used = rounds if best is None else int(best) + 1
    # Keep only the trees early stopping chose, so the saved booster needs no iteration range.
    return booster[:used], {"n_rounds": used, "rounds_fitted": rounds}


def _export_xgboost(fitted, extra, X, y) -> Exported:
    return Exported(meta=dict(extra), files={"model.ubj": bytes(fitted.save_raw(raw_format="ubj"))})


def _restore_xgboost(exported: Exported):
    import xgboost

    booster = xgboost.Booster()
    booster.load_model(bytearray(exported.files["model.ubj"]))

    def proba(X):
        p = np.asarray(booster.inplace_predict(np.ascontiguousarray(X, dtype=np.float64)), dtype=np.float64)
        return np.column_stack([1.0 - p, p]) if p.ndim == 1 else p

    proba.booster = booster  # type: ignore[attr-defined]
    return proba


# --------------------------------------------------------------------------- the registry entries

_SPECS = [
    ClassicModel(
        name="logreg",
        description="Logistic regression (multinomial) on standardised features; searches C.",
        grid={"C": [0.001, 0.01, 0.1, 1.0, 10.0]},
        fixed={"max_iter": 3000},
        defaults={"C": 1.0},
        build=_build_logreg,
        export=_export_logreg,
        restore=_restore_logreg,
        reserved={"random_state": "set from train.seed"},
    ),
    ClassicModel(
        name="knn",
        description="k nearest neighbours (Euclidean, standardised features); searches k and weighting.",
        grid={"n_neighbors": [1, 5, 9, 15, 25], "weights": ["uniform", "distance"]},
        fixed={},
        defaults={"n_neighbors": 9, "weights": "distance"},
        build=_build_knn,
        export=_export_knn,
        restore=_restore_knn,
        fit=_fit_knn,
        reserved={"algorithm": "brute force, so the search rebuilt on load is the same"},
    ),
    ClassicModel(
        name="svm",
        description="RBF support vector machine on standardised features; searches C and gamma.",
        grid={"C": [1.0, 10.0, 100.0], "gamma": ["scale", 0.01, 0.001]},
        fixed={},
        defaults={"C": 10.0, "gamma": "scale"},
        build=_build_svm,
        export=_export_svm,
        restore=_restore_svm,
        fit=_fit_svm,
        reserved={"random_state": "set from train.seed", "kernel": "the exported form computes an RBF kernel",
                  "decision_function_shape": "the exported form reads one-vs-one decisions"},
    ),
    ClassicModel(
        name="rf",
        description="Random forest (Breiman 2001), 200 trees; searches depth.",
        grid={"max_depth": [None, 12, 24]},
        fixed={"n_estimators": 200, "max_features": "sqrt", "min_samples_leaf": 1, "n_jobs": -1},
        defaults={"max_depth": None},
        build=_build_rf,
        export=_export_rf,
        restore=_restore_rf,
        reserved={"random_state": "set from train.seed"},
    ),
    ClassicModel(
        name="xgboost",
        description="Gradient-boosted trees (XGBoost, Chen & Guestrin 2016), hist method, early stopping on valid; "
        "searches depth and learning rate.",
        grid={"max_depth": [3, 6], "learning_rate": [0.1, 0.3]},
        fixed={"n_estimators": 500, "early_stopping_rounds": 30, "eval_metric": "mlogloss"},
        defaults={"max_depth": 6, "learning_rate": 0.1},
        build=_build_xgboost,
        export=_export_xgboost,
        restore=_restore_xgboost,
        fit=_fit_xgboost,
    ),
]


# --------------------------------------------------------------------------- predictor and saving


class ClassicPredictor:
    """A trained classic model: ``predict_proba`` over the full label map.

    Attributes
    ----------
    model : str
        Registered model name.
    labels : list of str
        Genre names; column ``i`` of :meth:`predict_proba` is ``labels[i]``.
    feature_columns : list of str
        Feature names, in the column order ``X`` must have.
    class_ids : list of int
        The label ids the model was fitted on (a genre absent from train gets probability 0).
    params : dict
        The hyper-parameters used.
    """

    def __init__(
        self,
        *,
        model: str,
        labels: list[str],
        feature_columns: list[str],
        class_ids: list[int],
        exported: Exported,
        params: dict | None = None,
    ):
        if model not in CLASSIC_MODELS:
            get_model(model)  # the registry imports the module that defines it (zero-shot, xgboost-dask)
        if model not in CLASSIC_MODELS:
            raise ConfigError(f"unknown classic model {model!r}; known: {', '.join(sorted(CLASSIC_MODELS))}")
        self.model = model
        self.labels = list(labels)
        self.feature_columns = list(feature_columns)
        self.class_ids = [int(c) for c in class_ids]
        self.params = dict(params or {})
        self.exported = exported
        self._proba = CLASSIC_MODELS[model].restore(exported)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        X : np.ndarray [shape=(n, n_features)]
            Feature rows with columns in :attr:`feature_columns` order.

        Returns
        -------
        np.ndarray [shape=(n, len(labels)), dtype=float64]
            Rows sum to 1.
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.feature_columns):
            raise DatasetError(
                f"{self.model}: expected a feature matrix with {len(self.feature_columns)} columns, got shape {X.shape}"
            )
        out = np.zeros((len(X), len(self.labels)))
        if len(X):
            out[:, self.class_ids] = self._proba(X)
        return out

    @property
    def booster(self):
        """The ``xgboost.Booster`` of a boosted-tree model, else None."""
        return getattr(self._proba, "booster", None)

    def predict(self, X: np.ndarray) -> list[str]:
        """The most likely genre of each row."""
        return [self.labels[i] for i in self.predict_proba(X).argmax(axis=1)]

    def save(self, folder: str | Path) -> list[Path]:
        """Write ``model.json`` (+ ``model.safetensors`` and native model files) into ``folder``."""
        from safetensors.numpy import save_file

        folder = Path(folder)
        written = []
        if self.exported.arrays:
            save_file({k: np.ascontiguousarray(v) for k, v in self.exported.arrays.items()}, str(folder / MODEL_ARRAYS))
            written.append(folder / MODEL_ARRAYS)
        for name, blob in self.exported.files.items():
            (folder / name).write_bytes(blob)
            written.append(folder / name)
        description = {
            "format_version": FORMAT_VERSION,
            "family": "classic",
            "model": self.model,
            "labels": self.labels,
            "feature_columns": self.feature_columns,
            "class_ids": self.class_ids,
            "params": self.params,
            "meta": self.exported.meta,
            "arrays": MODEL_ARRAYS if self.exported.arrays else None,
            "files": sorted(self.exported.files),
        }
        (folder / MODEL_JSON).write_text(json.dumps(description, indent=2, default=_plain) + "\n")
        written.append(folder / MODEL_JSON)
        return written


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def load_classic(run_dir: str | Path) -> ClassicPredictor:
    """Load a classic model from a run folder (the ``classic`` family's loader).

    Raises
    ------
    RunError
        If ``model.json`` or a file it names is missing or unreadable.
    """
    from safetensors.numpy import load_file

    run_dir = Path(run_dir)
    path = run_dir / MODEL_JSON
    if not path.is_file():
        raise RunError(f"{run_dir}: no {MODEL_JSON}; not a classic-model run folder")
    try:
        description = json.loads(path.read_text())
    except ValueError as exc:
        raise RunError(f"{path}: unreadable ({exc})") from None
    if description.get("format_version", 0) > FORMAT_VERSION:
        raise RunError(f"{path}: written by a newer genrekit (format {description['format_version']})")
    exported = Exported(meta=description.get("meta", {}))
    if description.get("arrays"):
        arrays_path = run_dir / description["arrays"]
        if not arrays_path.is_file():
            raise RunError(f"{run_dir}: {description['arrays']} is missing")
        exported.arrays = load_file(str(arrays_path))
    for name in description.get("files", []):
        if not (run_dir / name).is_file():
            raise RunError(f"{run_dir}: {name} is missing")
        exported.files[name] = (run_dir / name).read_bytes()
    return ClassicPredictor(
        model=description["model"],
        labels=description["labels"],
        feature_columns=description["feature_columns"],
        class_ids=description["class_ids"],
        exported=exported,
        params=description.get("params", {}),
    )


# --------------------------------------------------------------------------- search and fit


@dataclass
class ClassicFit:
    """Result of :func:`fit_classic`.

    Attributes
    ----------
    predictor : ClassicPredictor
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

    predictor: ClassicPredictor
    params: dict
    candidates: pd.DataFrame
    valid_metrics: dict | None
    fit_seconds: float


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
    model = _classic(name)
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
    model = _classic(name)
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
    model = _classic(name)
    for key in params:
        if key in model.reserved:
            raise ConfigError(f"model.params '{key}' cannot be set for {name}: {model.reserved[key]}")
    valid = valid_params(name)
    unknown = [key for key in params if key not in valid]
    if unknown:
        close = difflib.get_close_matches(unknown[0], valid, n=1)
        hint = f" (did you mean '{close[0]}'?)" if len(unknown) == 1 and close else ""
        raise ConfigError(f"unknown model.params {', '.join(repr(k) for k in unknown)} for {name}{hint}; valid: {', '.join(valid)}")


def _classic(name: str) -> ClassicModel:
    if name not in CLASSIC_MODELS:
        try:
            get_model(name)  # the registry imports the module that defines it (zero-shot, xgboost-dask)
        except ConfigError:
            pass  # not a model at all: said below, as not a classic one
    if name not in CLASSIC_MODELS:
        raise ConfigError(f"{name!r} is not a classic model; classic models: {', '.join(sorted(CLASSIC_MODELS))}")
    return CLASSIC_MODELS[name]


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
    from tqdm.auto import tqdm

    model = _classic(name)
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
        from genrekit.evaluate import balanced_class_weights

        per_class = balanced_class_weights(y_fit, len(class_ids), kind=class_weight)
        sample_weight = per_class[y_fit]
        valid_weight = per_class[y_valid_fit] if has_valid else None
    candidates = search_space(name, params, search=search)
    fit = model.fit or _default_fit
    rows, best = [], None
    started = time.perf_counter()
    for candidate in tqdm(candidates, desc=f"{name} search", unit="fit", disable=not progress or len(candidates) < 2):
        t0 = time.perf_counter()
        names = ({"labels": [labels[i] for i in class_ids], "feature_columns": feature_columns, "features": features}
                 if model.needs_names else {})
        estimator = model.build(num_classes=len(class_ids), params=dict(candidate), seed=seed, **names)
        fitted, extra = fit(estimator, train.X, y_fit, X_valid_fit, y_valid_fit, seed, sample_weight=sample_weight, valid_weight=valid_weight)
        predictor = ClassicPredictor(
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


# --------------------------------------------------------------------------- importances


def feature_importances(predictor: ClassicPredictor) -> pd.DataFrame:
    """XGBoost feature importances, one row per feature, sorted by gain.

    Columns are ``feature`` and :data:`IMPORTANCE_TYPES`, each normalised to sum 1 ('gain' is the
    average gain of a feature's splits, as ``XGBClassifier.feature_importances_`` reports it).
    Features the trees never split on get 0.

    Raises
    ------
    ConfigError
        For models other than XGBoost.
    """
    booster = predictor.booster
    if booster is None:
        raise ConfigError(f"feature importances are available for xgboost runs, not {predictor.model}")
    table = pd.DataFrame({"feature": predictor.feature_columns})
    for kind in IMPORTANCE_TYPES:
        scores = booster.get_score(importance_type=kind)
        values = np.array([scores.get(f"f{i}", 0.0) for i in range(len(predictor.feature_columns))], dtype=np.float64)
        table[kind] = values / values.sum() if values.sum() > 0 else values
    return table.sort_values(["gain", "weight"], ascending=False, kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- the family's trainer


def train_classic(config, *, progress: bool = True) -> Path:
    """Train a classic model as ``config`` says and write its run folder.

    Parameters
    ----------
    config : genrekit.config.ExperimentConfig
    progress : bool
        Show progress bars.

    Returns
    -------
    Path
        The run folder: ``run.json``, ``config.toml``, ``labels.json``, ``model.json`` (+
        ``model.safetensors`` or ``model.ubj``), ``metrics.json``, ``report.txt``,
        ``confusion.png``, ``search.csv`` and, for XGBoost, ``feature_importance.{csv,png}``.
    """
    from genrekit.evaluate import split_label
    from genrekit.plots import plot_importances
    from genrekit.runs import RunInfo, new_run_dir, write_run_record
    from genrekit.train import prepare_features

    spec = get_model(config.model.name)
    model_input = config.model.input or spec.default_input
    if model_input not in spec.inputs:
        raise ConfigError(f"model {spec.name!r} takes inputs {spec.inputs}, not {model_input!r}")
    config = configured(config)
    check_params(spec.name, config.model.params)  # before the features: a typo fails in a second, not after extraction
    data = prepare_features(config, progress=progress)
    train_part, valid_part, test_part = (data.split(s) for s in ("train", "valid", "test"))
    if len(test_part) == 0:
        raise DatasetError(f"{data.dataset}: the test split is empty (split kind {data.split_kind})")
    result = fit_classic(
        spec.name,
        train=train_part,
        valid=valid_part,
        labels=data.labels,
        feature_columns=data.feature_columns,
        params=config.model.params,
        search=config.train.search,
        seed=config.train.seed,
        progress=progress,
        class_weight=config.train.class_weight,
        features=config.features,
    )
    predictor = result.predictor
    test_scores = track_metrics(test_part.groups, predictor.predict_proba(test_part.X), test_part.truth(), data.labels)

    run_dir = new_run_dir(config, dataset=data.dataset, model=spec.name)
    predictor.save(run_dir)
    result.candidates.to_csv(run_dir / SEARCH_CSV, index=False)
    counts = data.counts()
    chunked = data.chunk_seconds is not None
    info = RunInfo(
        family="classic",
        model=spec.name,
        input=model_input,
        dataset=data.dataset,
        split_kind=data.split_kind,
        train_seconds=round(result.fit_seconds, 3),
        n_train=counts["train"],
        n_valid=counts["valid"],
        n_test=counts["test"],
        unit=data.unit,
        extra={
            "source": config.data.source,
            "chunk_seconds": data.chunk_seconds,
            "train_rows": len(train_part),
            "valid_rows": len(valid_part),
            "test_rows": len(test_part),
            "n_features": len(data.feature_columns),
            "selected_params": {k: _shown(v) for k, v in result.params.items()},
            "skipped_files": len(data.problems),
        },
    )
    metrics = {
        "split_kind": data.split_kind,
        "unit": data.unit,
        "test": test_scores,
        "search": {
            "selected": {k: _shown(v) for k, v in result.params.items()},
            "selection": "validation macro F1 per track" if data.unit == "track" else "validation macro F1 per chunk",
            "candidates": result.candidates.replace({np.nan: None}).to_dict(orient="records"),
        },
    }
    if result.valid_metrics is not None:
        metrics["valid"] = result.valid_metrics
    write_run_record(run_dir, info=info, config=config, labels=data.labels)
    header = [
        f"run {run_dir.name}",
        f"model {spec.name} (classic, input {model_input}); dataset {data.dataset} ({config.data.source})",
        f"{data.unit}s train/valid/test: {counts['train']}/{counts['valid']}/{counts['test']}"
        + (f"; chunks of {data.chunk_seconds:g} s" if chunked else ""),
        f"selected {metrics['search']['selected']} by {metrics['search']['selection']}; fitted on train only",
    ]
    if chunked and data.unit == "track":
        header.append("trained on chunks; a track's prediction is the mean of its chunks' probabilities")
    write_evaluation(run_dir, metrics, header=header, title=spec.name)
    if predictor.booster is not None:
        table = feature_importances(predictor)
        table.to_csv(run_dir / IMPORTANCE_CSV, index=False, float_format="%.6g")
        plot_importances(
            table,
            path=run_dir / IMPORTANCE_PNG,
            column="gain",
            top=20,
            title=f"XGBoost feature importance (gain), {data.dataset}, {split_label(data.split_kind)}",
        )
    return run_dir


def configured(config):
    """``config`` with the feature settings its classic model requires (a copy when they differ)."""
    import dataclasses

    required = dict(CLASSIC_MODELS[config.model.name].features or {}) if config.model.name in CLASSIC_MODELS else {}
    if required and config.model.checkpoint:
        required.setdefault("checkpoint", config.model.checkpoint)  # --checkpoint names the network behind the features
    if not required or all(getattr(config.features, k) == v for k, v in required.items()):
        return config
    return dataclasses.replace(config, features=dataclasses.replace(config.features, **required))


def register_classic(model: ClassicModel) -> None:
    """Add a classic model to the registry (training, loading, ``--list-models``)."""
    CLASSIC_MODELS[model.name] = model
    register_model(ModelSpec(model.name, "classic", ("features",), model.build, model.description))


for _model in _SPECS:
    register_classic(_model)
register_family(Family("classic", train=train_classic, load=load_classic))
