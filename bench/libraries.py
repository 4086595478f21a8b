"""Library alternatives measured against genrekit's own code: keep what the numbers justify.

    python bench/libraries.py
    python bench/libraries.py --repeats 3 --seeds 5      # quicker

Table 1, exporters: each classic model (logreg, svm, rf, xgboost) fitted on a synthetic feature
matrix (scikit-learn ``make_classification``: 2000 rows x 60 features, 10 classes), saved and
loaded once through genrekit's exported form (arrays in safetensors + ``model.json``; XGBoost's own
UBJSON booster) and once through ``skops.io`` (the fitted estimator). Sizes are the bytes on disk;
times are medians of ``--repeats`` runs; "same output" compares the reloaded model's scores with
the in-memory ones; "types to trust" lists what ``skops.io.get_untrusted_types`` asks the caller
to allow before ``skops.io.load`` will build the object (genrekit's form builds no objects from
the file, so there is nothing to trust). skops is optional here: without it its rows say so.

Table 2, SVM temperature: the RBF SVM fitted on train, its one-vs-rest scores (votes plus squashed
confidences, as scikit-learn's 'ovr' decision shape) calibrated on valid, log loss and accuracy on
test, mean over ``--seeds`` data sets (3000 rows, 60/20/20). genrekit's ``_fit_temperature``
(``genrekit.models.classic.estimators``) against scikit-learn's ``CalibratedClassifierCV(FrozenEstimator(svm),
method='temperature')`` (scikit-learn >= 1.8), with the uncalibrated softmax and scikit-learn's
Platt ('sigmoid') calibration for reference.

Table 3, artist-disjoint splits: a synthetic index of 10 genres x 100 tracks whose artists hold
1-30 tracks each (one genre per artist), split 60/20/20. genrekit's ``assign_splits(kind='artist')``
against scikit-learn's ``StratifiedGroupKFold`` (test = one fold of 5, valid = one fold of 4 of the
rest). "dev" is the per-genre gap between a side's share of the genre's tracks and its target
(percentage points): the mean over genres and seeds, and the worst genre of any seed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

MODELS = ("logreg", "svm", "rf", "xgboost")


def _median_seconds(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        function()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _fit_classic_model(name: str, X, y, X_valid, y_valid, *, seed: int = 0):
    """(scikit-learn or XGBoost estimator, genrekit FittedClassic) of model ``name`` at its default settings."""
    from genrekit.models.classic import CLASSIC_MODELS, FittedClassic, search_space
    from genrekit.models.classic.estimators import default_fit

    spec = CLASSIC_MODELS[name]
    params = search_space(name, search=False)[0]
    if name == "rf":
        params["n_jobs"] = 2  # a shared two-core machine
    estimator = spec.build(num_classes=10, params=dict(params), seed=seed)
    fitted, extra = (spec.fit or default_fit)(estimator, X, y, X_valid, y_valid, seed)
    predictor = FittedClassic(model=name, labels=[f"g{i}" for i in range(10)], feature_columns=[f"f{i}" for i in range(X.shape[1])],
                                 class_ids=list(range(10)), exported=spec.export(fitted, extra, X, y), params=params | extra)
    # xgboost's fit returns the booster cut at early stopping; skops gets the scikit-learn wrapper
    return estimator, predictor


def _scores(name: str, estimator, X) -> np.ndarray:
    """What the estimator itself outputs: probabilities, or decision values for the SVM (fitted without Platt scaling)."""
    return estimator.decision_function(X) if name == "svm" else estimator.predict_proba(X)


def exporters(*, repeats: int) -> list[dict]:
    """Rows of table 1."""
    from sklearn.datasets import make_classification

    from genrekit.models.classic import load_classic

    try:
        import skops.io as sio
    except ImportError:
        sio = None
    X, y = make_classification(n_samples=2500, n_features=60, n_informative=30, n_classes=10, random_state=0)
    X_train, y_train, X_valid, y_valid = X[:2000], y[:2000], X[2000:], y[2000:]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in MODELS:
            estimator, predictor = _fit_classic_model(name, X_train, y_train, X_valid, y_valid)
            ours = Path(tmp) / f"{name}-genrekit"
            ours.mkdir()
            save = _median_seconds(lambda: predictor.save(ours), repeats)
            load = _median_seconds(lambda: load_classic(ours), repeats)
            same = np.allclose(load_classic(ours).predict_proba(X_valid), predictor.predict_proba(X_valid), rtol=0, atol=1e-12)
            files = ", ".join(sorted(p.name for p in ours.iterdir()))
            rows.append({"model": name, "format": f"genrekit ({files})", "bytes": _folder_bytes(ours), "save ms": 1e3 * save,
                         "load ms": 1e3 * load, "same output": same, "types to trust": "none (no objects built)"})
            if sio is None:
                rows.append({"model": name, "format": "skops.io", "bytes": None, "save ms": None, "load ms": None,
                             "same output": None, "types to trust": "skops not installed"})
                continue
            path = Path(tmp) / f"{name}.skops"
            try:
                save = _median_seconds(lambda: sio.dump(estimator, path), repeats)
                untrusted = sio.get_untrusted_types(file=path)
                load = _median_seconds(lambda: sio.load(path, trusted=untrusted), repeats)
                same = np.allclose(_scores(name, sio.load(path, trusted=untrusted), X_valid), _scores(name, estimator, X_valid), rtol=0, atol=1e-12)
                trust = f"{len(untrusted)}: " + ", ".join(t.rsplit(".", 1)[-1] for t in untrusted) if untrusted else "none"
                rows.append({"model": name, "format": "skops.io (estimator)", "bytes": path.stat().st_size, "save ms": 1e3 * save,
                             "load ms": 1e3 * load, "same output": same, "types to trust": trust})
            except Exception as exc:  # noqa: BLE001 - the failure is the measurement
                rows.append({"model": name, "format": "skops.io (estimator)", "bytes": None, "save ms": None, "load ms": None,
                             "same output": None, "types to trust": f"fails: {type(exc).__name__}: {str(exc)[:80]}"})
    return rows


def temperatures(*, seeds: int) -> list[dict]:
    """Rows of table 2."""
    from scipy.special import softmax
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.datasets import make_classification
    from sklearn.frozen import FrozenEstimator
    from sklearn.metrics import accuracy_score, log_loss

    from genrekit.models.classic import CLASSIC_MODELS, search_space
    from genrekit.models.classic.estimators import _apply_scaler, _fit_temperature, _ovr_scores, _rbf_ovo, _svm_arrays

    results: dict[str, list[tuple[float, float, float]]] = {}
    for seed in range(seeds):
        X, y = make_classification(n_samples=3000, n_features=60, n_informative=20, n_classes=10, flip_y=0.05, class_sep=1.0,
                                   random_state=seed)
        X_train, y_train, X_valid, y_valid, X_test, y_test = X[:1800], y[:1800], X[1800:2400], y[1800:2400], X[2400:], y[2400:]
        spec = CLASSIC_MODELS["svm"]
        estimator = spec.build(num_classes=10, params=search_space("svm", search=False)[0], seed=seed)
        fitted, _ = spec.fit(estimator, X_train, y_train, None, None, seed)  # resolves gamma; temperature 1
        a = _svm_arrays(fitted)

        def ovr(X_):
            return _ovr_scores(_rbf_ovo(a, _apply_scaler(a, X_)), 10)

        t0 = time.perf_counter()  # scores on valid included, as in scikit-learn's fit
        t = _fit_temperature(ovr(X_valid), y_valid)
        ours_s = time.perf_counter() - t0
        s_test = ovr(X_test)
        rows = {"none (softmax of scores)": (softmax(s_test, axis=1), 1.0, 0.0),
                "genrekit _fit_temperature": (softmax(t * s_test, axis=1), t, ours_s)}
        # scikit-learn's 'ovr' decision shape is the same votes + confidences genrekit computes
        fitted.set_params(clf__decision_function_shape="ovr")
        assert np.allclose(fitted.decision_function(X_test), s_test, atol=1e-8)
        for method in ("temperature", "sigmoid"):
            t0 = time.perf_counter()
            calibrated = CalibratedClassifierCV(FrozenEstimator(fitted), method=method).fit(X_valid, y_valid)
            seconds = time.perf_counter() - t0
            beta = float(calibrated.calibrated_classifiers_[0].calibrators[0].beta_) if method == "temperature" else float("nan")
            rows[f"sklearn CalibratedClassifierCV({method})"] = (calibrated.predict_proba(X_test), beta, seconds)
        ours_p = rows["genrekit _fit_temperature"][0]
        for label, (p, beta, seconds) in rows.items():
            results.setdefault(label, []).append((log_loss(y_test, p, labels=range(10)), accuracy_score(y_test, p.argmax(axis=1)),
                                                  beta, seconds, np.abs(p - ours_p).max()))
    return [{"method": label, "test log loss": np.mean([r[0] for r in values]), "test accuracy": np.mean([r[1] for r in values]),
             "inverse T (seed 0)": values[0][2], "max abs p - genrekit p": max(r[4] for r in values),
             "fit ms": 1e3 * np.mean([r[3] for r in values])}
            for label, values in results.items()]


def _synthetic_index(seed: int):
    """10 genres x 100 tracks; each genre's artists hold 1-30 tracks (the last one what is left)."""
    import pandas as pd

    from genrekit.data.index import TrackIndex

    rng = np.random.default_rng(seed)
    rows = []
    for g in range(10):
        left, a = 100, 0
        while left:
            size = min(int(rng.integers(1, 31)), left)
            for _ in range(size):
                rows.append({"track_id": f"t{len(rows)}", "path": f"t{len(rows)}.wav", "genre": f"genre{g}", "artist": f"artist{g}-{a}"})
            left, a = left - size, a + 1
    return TrackIndex("bench", pd.DataFrame(rows))


def _deviations(split: np.ndarray, genres: np.ndarray, side: str, target: float) -> np.ndarray:
    return np.array([abs((split[genres == g] == side).mean() - target) for g in np.unique(genres)])


def _disjoint(split: np.ndarray, groups: np.ndarray) -> bool:
    import pandas as pd

    return bool((pd.Series(split).groupby(groups).nunique() == 1).all())


def splits(*, seeds: int, valid: float = 0.2, test: float = 0.2) -> list[dict]:
    """Rows of table 3."""
    from sklearn.model_selection import StratifiedGroupKFold

    from genrekit.data.splits import assign_splits

    stats: dict[str, dict[str, list]] = {}
    for seed in range(seeds):
        index = _synthetic_index(seed)
        genres = index.tracks["genre"].to_numpy()
        groups = index.tracks["artist"].to_numpy()

        t0 = time.perf_counter()
        ours = assign_splits(index, kind="artist", seed=seed, valid_fraction=valid, test_fraction=test).tracks["split"].to_numpy()
        ours_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        theirs = np.full(len(genres), "train", dtype=object)
        _, test_rows = next(StratifiedGroupKFold(n_splits=round(1 / test), shuffle=True, random_state=seed).split(genres, genres, groups))
        theirs[test_rows] = "test"
        rest = np.flatnonzero(theirs == "train")
        inner = StratifiedGroupKFold(n_splits=round((1 - test) / valid), shuffle=True, random_state=seed)
        _, valid_rows = next(inner.split(genres[rest], genres[rest], groups[rest]))
        theirs[rest[valid_rows]] = "valid"
        theirs_s = time.perf_counter() - t0

        for label, split, seconds in (("genrekit assign_splits(kind='artist')", ours, ours_s),
                                      ("sklearn StratifiedGroupKFold (5, then 4)", theirs, theirs_s)):
            s = stats.setdefault(label, {"test": [], "valid": [], "disjoint": [], "seconds": [], "empty": []})
            s["test"].append(_deviations(split, genres, "test", test))
            s["valid"].append(_deviations(split, genres, "valid", valid))
            s["disjoint"].append(_disjoint(split, groups))
            s["seconds"].append(seconds)
            s["empty"].append(sum(int(not (split[genres == g] == side).any()) for g in np.unique(genres) for side in ("train", "valid", "test")))
    return [{"method": label, "test dev mean pp": 100 * np.mean(s["test"]), "test dev worst pp": 100 * np.max(s["test"]),
             "valid dev mean pp": 100 * np.mean(s["valid"]), "valid dev worst pp": 100 * np.max(s["valid"]),
             "empty genre-sides": int(np.sum(s["empty"])), "groups disjoint": f"{sum(s['disjoint'])}/{len(s['disjoint'])}",
             "ms per split": 1e3 * np.mean(s["seconds"])} for label, s in stats.items()]


def _table(rows: list[dict]) -> str:
    def cell(value):
        if value is None:
            return "-"
        if isinstance(value, (bool, np.bool_)):
            return "yes" if value else "NO"
        if isinstance(value, (float, np.floating)):
            return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"
        if isinstance(value, (int, np.integer)):
            return f"{value:,}"
        return str(value)

    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(cell(row[k]) for k in keys) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="skops.io, scikit-learn temperature scaling and StratifiedGroupKFold "
                                                 "against genrekit's own exporters, temperature and split optimiser.")
    parser.add_argument("--repeats", type=int, default=5, help="timed save/load repeats (default: %(default)s)")
    parser.add_argument("--seeds", type=int, default=10, help="data sets for the temperature and split tables (default: %(default)s)")
    args = parser.parse_args(argv)

    import sklearn

    try:
        import skops
        skops_version = skops.__version__
    except ImportError:
        skops_version = "not installed"
    print(f"scikit-learn {sklearn.__version__}, skops {skops_version}\n")
    print("## Exporters (2000 x 60, 10 classes)\n")
    print(_table(exporters(repeats=args.repeats)))
    print(f"\n## SVM temperature (mean of {args.seeds} data sets)\n")
    print(_table(temperatures(seeds=args.seeds)))
    print(f"\n## Artist-disjoint 60/20/20 splits ({args.seeds} synthetic indexes)\n")
    print(_table(splits(seeds=args.seeds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
