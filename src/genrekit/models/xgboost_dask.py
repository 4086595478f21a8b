"""XGBoost trained across a Dask cluster (``xgboost-dask``), saved and loaded as any XGBoost run.

Gradient-boosted trees (Chen & Guestrin 2016) through XGBoost's own Dask interface
(:class:`xgboost.dask.DaskXGBClassifier`): the feature rows are spread over the workers and each
boosting round all-reduces the workers' gradient histograms, so every worker's cores build the
same model. The feature table itself is assembled here from the Parquet cache (FMA-large at 3 s
chunks: about a million rows of 107 features, 0.9 GB), then scattered to the workers.

Everything except the fitting is the classic family's ``xgboost``: the same grid, the same early
stopping on valid, the same selection, the same export (the booster cut at the early-stopping
iteration, ``model.ubj``), the same run folder. The run is recorded with family ``classic``, so
``genrekit evaluate``, ``results`` and inference load it with
:func:`genrekit.models.classic.load_classic` and predict on one machine without Dask.

The cluster: ``model.params.scheduler`` if given, else ``features.scheduler``, else ``local`` (a
LocalCluster of one-thread workers, one per CPU core). Feature extraction follows
``features.scheduler`` only, so ``--set features.scheduler=tcp://host:8786`` puts both on the cluster.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import numpy as np

from genrekit.features.distributed import LOCAL, current_client, dask_client, total_threads
from genrekit.models.classic import CLASSIC_MODELS, load_classic, train_classic
from genrekit.models.registry import Family, ModelSpec, register_family, register_model
from genrekit.runs import RUN_FILE, write_json

NAME = "xgboost-dask"
FAMILY = "dask"

#: The ``model.params`` entry naming the cluster (not an XGBoost parameter; removed before fitting).
SCHEDULER_PARAM = "scheduler"


def _build(*, num_classes: int, params: dict, seed: int = 0):
    from xgboost.dask import DaskXGBClassifier

    # n_jobs 0: every worker boosts with its own thread count (and the classic fit leaves it alone)
    settings = {"tree_method": "hist", "random_state": seed, "n_jobs": 0, **params}
    settings.pop(SCHEDULER_PARAM, None)
    if num_classes == 2 and settings.get("eval_metric") == "mlogloss":
        settings["eval_metric"] = "logloss"
    return DaskXGBClassifier(**settings)


def scatter_rows(client, array: np.ndarray, *, parts: int | None = None):
    """Spread the rows of a local array over the workers as a Dask array.

    Parameters
    ----------
    client : distributed.Client
    array : np.ndarray [shape=(n, ...)]
    parts : int, optional
        Row blocks (default: one per worker thread, so every worker holds data).

    Returns
    -------
    dask.array.Array [shape=(n, ...)]
        Blocks already in the workers' memory (scattered, not embedded in the task graph).
    """
    import dask.array as da

    parts = max(1, min(parts or total_threads(client), len(array)))
    bounds = np.linspace(0, len(array), parts + 1).astype(int)
    blocks = [np.ascontiguousarray(array[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    futures = client.scatter(blocks)
    return da.concatenate([da.from_delayed(f, shape=b.shape, dtype=b.dtype) for f, b in zip(futures, blocks)])


def _fit(estimator, X, y, X_valid, y_valid, seed, *, sample_weight=None, valid_weight=None):
    """The classic family's fit hook: ``xgboost``'s own fit, on rows scattered over the open cluster."""
    client = current_client()
    estimator.client = client
    valid = (None, None)
    if X_valid is not None and len(y_valid):
        valid = (scatter_rows(client, X_valid), scatter_rows(client, np.asarray(y_valid)))
    # early stopping on valid and cutting the booster to the chosen trees work on Dask arrays as is
    weights = None if sample_weight is None else scatter_rows(client, np.asarray(sample_weight, dtype=np.float64))
    valid_weights = None
    if valid_weight is not None and valid[0] is not None:
        valid_weights = scatter_rows(client, np.asarray(valid_weight, dtype=np.float64))
    return CLASSIC_MODELS["xgboost"].fit(
        estimator, scatter_rows(client, X), scatter_rows(client, np.asarray(y)), *valid, seed,
        sample_weight=weights, valid_weight=valid_weights,
    )


def train_xgboost_dask(config, *, progress: bool = True) -> Path:
    """Train ``xgboost-dask`` on a Dask cluster and write an ordinary classic run folder.

    Parameters
    ----------
    config : genrekit.config.ExperimentConfig
        ``model.params.scheduler`` or ``features.scheduler`` names the cluster (``local`` if
        neither); the other ``model.params`` are XGBoost's, as for ``xgboost``.
    progress : bool
        Show progress bars.

    Returns
    -------
    Path
        The run folder, laid out as :func:`genrekit.models.classic.train_classic` writes it
        (feature importances included); ``run.json`` also records the scheduler and the workers.
    """
    config = copy.deepcopy(config)
    address = config.model.params.pop(SCHEDULER_PARAM, None) or config.features.scheduler or LOCAL
    with dask_client(address) as client:
        workers = client.nthreads()
        run_dir = train_classic(config, progress=progress)
    record = json.loads((run_dir / RUN_FILE).read_text())
    record.setdefault("extra", {}).update(
        {"scheduler": address, "dask_workers": len(workers), "dask_threads": int(sum(workers.values()))}
    )
    write_json(run_dir / RUN_FILE, record)
    return run_dir


_DESCRIPTION = (
    "XGBoost across a Dask cluster (xgboost.dask; model.params.scheduler or features.scheduler, else a "
    "local cluster); same search, early stopping and run folder as xgboost."
)

CLASSIC_MODELS[NAME] = dataclasses.replace(CLASSIC_MODELS["xgboost"], name=NAME, description=_DESCRIPTION, build=_build, fit=_fit)
register_model(ModelSpec(NAME, FAMILY, ("features",), _build, _DESCRIPTION))
register_family(Family(FAMILY, train=train_xgboost_dask, load=load_classic))
