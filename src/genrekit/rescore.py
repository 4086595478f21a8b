"""Score a saved run again on the data it recorded: one function for every family.

``genrekit evaluate RUN`` (without ``--data``) calls :func:`rescore_run`. It reads the run's own
config, so a feature model is scored on the same dataset, split and (cached) features, a network
on the tracks of its ``tracks.csv`` cut with its own clip, chunk and hop, and an ensemble or a
cross-dataset folder on the tracks it recorded; the scores reproduce the run's ``metrics.json``.
"""

from __future__ import annotations

from pathlib import Path

from genrekit.errors import ConfigError, DatasetError
from genrekit.evaluate import SCORED_SPLITS, track_metrics
from genrekit.models import registry
from genrekit.prepare import prepare_features
from genrekit.runs import read_run


def rescore_run(run_dir: str | Path, *, split: str = "test", progress: bool = True) -> dict:
    """Re-score a saved run on one split of its recorded data.

    Parameters
    ----------
    run_dir : str or Path
        A run folder written by ``genrekit train``, an ensemble or ``genrekit evaluate --data``.
    split : {'test', 'valid'}
    progress : bool
        Show progress bars while loading data and features.

    Returns
    -------
    dict
        :func:`genrekit.evaluate.classification_metrics` plus ``unit``, ``split`` and ``split_kind``.

    Raises
    ------
    RunError
        If the folder is not a complete run.
    ConfigError
        If ``split`` is unknown or the run's model input cannot be re-scored here.
    """
    if split not in SCORED_SPLITS:
        raise ConfigError(f"split must be one of {', '.join(SCORED_SPLITS)}, got {split!r}")
    record = read_run(run_dir)
    loaded = registry.get_family(record.info.family).load(record.path)
    if hasattr(loaded, "chunks"):  # a network (torch, hf): cut its recorded tracks as in training
        from genrekit.network_runs import rescore_network  # imports torch: only for network runs

        return rescore_network(loaded, split=split, progress=progress)
    if hasattr(loaded, "rescore"):  # an ensemble, a cross-dataset folder: they know their tracks
        return loaded.rescore(split=split, progress=progress)
    if not hasattr(loaded, "feature_columns"):
        raise ConfigError(f"{record.path}: re-scoring '{record.info.input}' inputs is not supported by the "
                          f"{record.info.family!r} family; its scores are in metrics.json")
    data = prepare_features(record.config, progress=progress)
    part = data.split(split, columns=loaded.feature_columns, labels=loaded.labels)
    if len(part.X) == 0:
        raise DatasetError(f"{record.path}: the {split} split of {data.dataset} is empty")
    proba = loaded.predict_proba(part.X)
    scores = track_metrics(part.groups, proba, part.truth(), list(loaded.labels))
    return {**scores, "unit": data.unit, "split": split, "split_kind": data.split_kind}
