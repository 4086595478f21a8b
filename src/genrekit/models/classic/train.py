"""The ``classic`` family's trainer: a config in, a run folder out.

1. dataset, split and cached features come from :func:`genrekit.prepare.prepare_features`;
2. the model's grid is searched on train and valid (:func:`~genrekit.models.classic.fit.fit_classic`);
3. test is scored once, per track (per chunk under the leaky protocol), through the exported form
   the run folder holds, so a reloaded run predicts exactly what was scored;
4. everything is written to a run folder.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from genrekit.evaluate import check_training_split, track_metrics, write_run
from genrekit.models.classic.fit import check_params, fit_classic
from genrekit.models.classic.importance import write_importances
from genrekit.models.classic.specs import CLASSIC_MODELS
from genrekit.models.registry import get_model, model_input
from genrekit.prepare import prepare_features
from genrekit.runs import RunInfo, new_run_dir, write_tracks

SEARCH_CSV = "search.csv"


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
        ``confusion.png``, ``tracks.csv``, ``search.csv`` and, for XGBoost, ``feature_importance.{csv,png}``.
    """
    spec = get_model(config.model.name)
    chosen_input = model_input(config, spec.family)  # the classic trainer also trains the dask family
    config = configured(config)
    check_params(spec.name, config.model.params)  # before the features: a typo fails in a second, not after extraction
    data = prepare_features(config, progress=progress)
    train_part, valid_part, test_part = (data.split(s) for s in ("train", "valid", "test"))
    check_training_split(data.dataset, data.split_kind, labels=data.labels, train_classes=train_part.y, n_test=len(test_part))
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
    if data.tracks is not None:
        write_tracks(run_dir, data.tracks)
    result.candidates.to_csv(run_dir / SEARCH_CSV, index=False)
    counts = data.counts()
    chunked = data.chunk_seconds is not None
    info = RunInfo(
        family="classic",
        model=spec.name,
        input=chosen_input,
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
            "selected_params": result.shown_params,
            "skipped_files": len(data.problems),
        },
    )
    metrics = {
        "split_kind": data.split_kind,
        "unit": data.unit,
        "test": test_scores,
        "search": {
            "selected": result.shown_params,
            "selection": "validation macro F1 per track" if data.unit == "track" else "validation macro F1 per chunk",
            "candidates": result.candidates.replace({np.nan: None}).to_dict(orient="records"),
        },
    }
    if result.valid_metrics is not None:
        metrics["valid"] = result.valid_metrics
    header = [
        f"run {run_dir.name}",
        f"model {spec.name} (classic, input {chosen_input}); dataset {data.dataset} ({config.data.source})",
        f"{data.unit}s train/valid/test: {counts['train']}/{counts['valid']}/{counts['test']}"
        + (f"; chunks of {data.chunk_seconds:g} s" if chunked else ""),
        f"selected {metrics['search']['selected']} by {metrics['search']['selection']}; fitted on train only",
    ]
    if chunked and data.unit == "track":
        header.append("trained on chunks; a track's prediction is the mean of its chunks' probabilities")
    write_run(run_dir, info=info, config=config, labels=data.labels, metrics=metrics, header=header, title=spec.name)
    if predictor.booster is not None:
        write_importances(predictor, run_dir, dataset=data.dataset, split_kind=data.split_kind)
    return run_dir


def configured(config):
    """``config`` with the feature settings its classic model requires (a copy when they differ)."""
    required = dict(CLASSIC_MODELS[config.model.name].features or {}) if config.model.name in CLASSIC_MODELS else {}
    if required and config.model.checkpoint:
        required.setdefault("checkpoint", config.model.checkpoint)  # --checkpoint names the network behind the features
    if not required or all(getattr(config.features, k) == v for k, v in required.items()):
        return config
    return dataclasses.replace(config, features=dataclasses.replace(config.features, **required))
