"""A fitted classic model, as a run folder holds it: ``model.json`` (+ ``model.safetensors`` or
native files such as XGBoost's ``model.ubj``). Nothing is pickled."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

from genrekit.errors import ConfigError, DatasetError, RunError
from genrekit.models.classic.specs import CLASSIC_MODELS, Exported
from genrekit.models.registry import get_model
from genrekit.runs import read_descriptor, write_descriptor

MODEL_JSON = "model.json"
MODEL_ARRAYS = "model.safetensors"


class FittedClassic:
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
        folder = Path(folder)
        written = []
        if self.exported.arrays:
            save_file({k: np.ascontiguousarray(v) for k, v in self.exported.arrays.items()}, str(folder / MODEL_ARRAYS))
            written.append(folder / MODEL_ARRAYS)
        for name, blob in self.exported.files.items():
            (folder / name).write_bytes(blob)
            written.append(folder / name)
        description = {
            "model": self.model,
            "labels": self.labels,
            "feature_columns": self.feature_columns,
            "class_ids": self.class_ids,
            "params": self.params,
            "meta": self.exported.meta,
            "arrays": MODEL_ARRAYS if self.exported.arrays else None,
            "files": sorted(self.exported.files),
        }
        written.append(write_descriptor(folder / MODEL_JSON, "classic", description))
        return written


def load_classic(run_dir: str | Path) -> FittedClassic:
    """Load a classic model from a run folder (the ``classic`` family's loader).

    Raises
    ------
    RunError
        If ``model.json`` or a file it names is missing or unreadable, or ``model.json`` is not a
        ``genrekit-classic/1`` description.
    """
    run_dir = Path(run_dir)
    description = _read_description(run_dir / MODEL_JSON)
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
    return FittedClassic(
        model=description["model"],
        labels=description["labels"],
        feature_columns=description["feature_columns"],
        class_ids=description["class_ids"],
        exported=exported,
        params=description.get("params", {}),
    )


def _read_description(path: Path) -> dict:
    # Runs saved before the one descriptor scheme say "format_version": 1 and "family": "classic"
    # where they now say "format": "genrekit-classic/1"; their other fields are the same.
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        old = None  # read_descriptor says what is wrong with the file
    if isinstance(old, dict) and "format" not in old and old.get("format_version") == 1:
        return {k: v for k, v in old.items() if k not in ("format_version", "family")}
    return read_descriptor(path, "classic")
