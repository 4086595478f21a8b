"""Feature importances of a boosted-tree classic model: the table and its plot in a run folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from genrekit.errors import ConfigError
from genrekit.evaluate import split_label
from genrekit.models.classic.saved import FittedClassic
from genrekit.plots import plot_importances

IMPORTANCE_CSV = "feature_importance.csv"
IMPORTANCE_PNG = "feature_importance.png"

#: Importance types reported for XGBoost, each normalised to sum 1.
IMPORTANCE_TYPES = ("gain", "weight", "cover", "total_gain", "total_cover")


def feature_importances(predictor: FittedClassic) -> pd.DataFrame:
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


def write_importances(predictor: FittedClassic, run_dir: str | Path, *, dataset: str, split_kind: str) -> pd.DataFrame:
    """Write :func:`feature_importances` to ``feature_importance.csv`` and the 20 largest gains to
    ``feature_importance.png`` in ``run_dir``; returns the table."""
    run_dir = Path(run_dir)
    table = feature_importances(predictor)
    table.to_csv(run_dir / IMPORTANCE_CSV, index=False, float_format="%.6g")
    plot_importances(
        table,
        path=run_dir / IMPORTANCE_PNG,
        column="gain",
        top=20,
        title=f"XGBoost feature importance (gain), {dataset}, {split_label(split_kind)}",
    )
    return table
