"""One entry point that trains any registered model into a run folder.

:func:`train` looks the model up in :mod:`genrekit.models.registry` and hands the config to its
family's trainer; nothing here knows about particular families. Data preparation is in
:mod:`genrekit.prepare`; the network families share :func:`genrekit.network_runs.train_network`.
"""

from __future__ import annotations

from pathlib import Path

from genrekit import distributed
from genrekit.config import ExperimentConfig
from genrekit.errors import ConfigError
from genrekit.models import registry

#: Families whose trainer runs under torchrun/accelerate (see :mod:`genrekit.distributed`).
DATA_PARALLEL_FAMILIES = ("torch", "hf")


def train(config: ExperimentConfig, *, progress: bool = True) -> Path:
    """Train ``config.model.name`` and return its run folder.

    Parameters
    ----------
    config : ExperimentConfig
        The full experiment: data, features, model and training settings.
    progress : bool
        Show progress bars.

    Returns
    -------
    Path
        The new run folder (``run.json``, ``config.toml``, model file, ``metrics.json``, ...).
    """
    spec = registry.get_model(config.model.name)
    if distributed.launched() and spec.family not in DATA_PARALLEL_FAMILIES:
        raise ConfigError(
            f"model {spec.name!r} ({spec.family} family) does not train data-parallel: run it without torchrun/accelerate "
            "(for XGBoost on a cluster use the xgboost-dask model with features.scheduler)"
        )
    family = registry.get_family(spec.family)
    return Path(family.train(config, progress=progress))
