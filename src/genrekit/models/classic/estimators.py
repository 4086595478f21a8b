"""The five classic models on hand-crafted features: logistic regression, k-NN, SVM, random forest, XGBoost.

Each is a :class:`~genrekit.models.classic.specs.ClassicModel` in :data:`SPECS`: a builder, an
optional fit hook, and an export to plain arrays and JSON with a restore that predicts through
small numpy functions of those arrays (XGBoost through its own UBJSON format). Nothing is pickled,
and the scores in a run folder are computed through the exported form, so a reloaded run predicts
exactly what was scored:

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
"""

from __future__ import annotations

import itertools
import os

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import softmax
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from genrekit.errors import ConfigError
from genrekit.models.classic.specs import ClassicModel, Exported

# --------------------------------------------------------------------------- shared pieces


def _scaled_pipeline(estimator):
    return Pipeline([("scale", StandardScaler()), ("clf", estimator)])


def _scaler_arrays(pipeline) -> dict[str, np.ndarray]:
    scaler = pipeline.named_steps["scale"]
    return {"scale_mean": np.asarray(scaler.mean_, np.float64), "scale_scale": np.asarray(scaler.scale_, np.float64)}


def _apply_scaler(arrays: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    return (X - arrays["scale_mean"]) / arrays["scale_scale"]


def default_fit(estimator, X, y, X_valid, y_valid, seed, *, sample_weight=None, valid_weight=None):
    """The fit of a :class:`ClassicModel` without its own: ``estimator.fit`` on train, nothing decided."""
    return estimator.fit(X, y, **_weights_for(estimator, sample_weight)), {}


def _weights_for(estimator, sample_weight) -> dict:
    """Fit keyword for per-row weights: routed to the classifier step of a scaling pipeline."""
    if sample_weight is None:
        return {}
    return {"clf__sample_weight": sample_weight} if hasattr(estimator, "named_steps") else {"sample_weight": sample_weight}


# --------------------------------------------------------------------------- logistic regression


def _build_logreg(*, num_classes: int, params: dict, seed: int = 0):
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
        return softmax(z, axis=1)

    return proba


# --------------------------------------------------------------------------- k nearest neighbours


def _build_knn(*, num_classes: int, params: dict, seed: int = 0):
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
    a, m = exported.arrays, exported.meta
    knn = KNeighborsClassifier(
        n_neighbors=m["n_neighbors"], weights=m["weights"], metric=m["metric"], p=m["p"], algorithm="brute"
    ).fit(a["train_X"], a["train_y"])
    return lambda X: knn.predict_proba(_apply_scaler(a, X))


# --------------------------------------------------------------------------- support vector machine


def _build_svm(*, num_classes: int, params: dict, seed: int = 0):
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
    def loss(log_t):
        p = softmax(np.exp(log_t) * scores, axis=1)
        return -np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None)))

    best = minimize_scalar(loss, bounds=(np.log(1e-2), np.log(1e3)), method="bounded")
    return float(np.exp(best.x))


def _fit_svm(estimator, X, y, X_valid, y_valid, seed, *, sample_weight=None, valid_weight=None):
    gamma = estimator.named_steps["clf"].gamma
    if gamma == "scale":
        # Resolve now, on the scaled features, so the exported kernel is explicit.
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
        return softmax(float(a["temperature"][0]) * scores, axis=1)

    return proba


# --------------------------------------------------------------------------- random forest


def _build_rf(*, num_classes: int, params: dict, seed: int = 0):
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
    from xgboost import XGBClassifier  # on use: looking up or training another model never loads xgboost

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
    import xgboost  # on use, as in _build_xgboost

    booster = xgboost.Booster()
    booster.load_model(bytearray(exported.files["model.ubj"]))

    def proba(X):
        p = np.asarray(booster.inplace_predict(np.ascontiguousarray(X, dtype=np.float64)), dtype=np.float64)
        return np.column_stack([1.0 - p, p]) if p.ndim == 1 else p

    proba.booster = booster  # type: ignore[attr-defined]
    return proba


# --------------------------------------------------------------------------- the registry entries

#: The five models, registered by :mod:`genrekit.models.classic` on import.
SPECS = [
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

