"""Metrics shared by every model family: accuracy and macro F1 per track, confusion matrices.

Chunk-level predictions are always aggregated to one prediction per track (mean of class
probabilities) before scoring, so a score never counts one track several times. The one exception
is the *leaky* comparison protocol (``data.split = "leaky-chunks"``), where chunks are split at
random and so the chunk is the scoring unit; such scores are labelled LEAKY wherever they appear.

Every run folder holds the evaluation written by :func:`write_evaluation`:

``metrics.json``
    ``{"split_kind": str, "unit": "track"|"chunk", "leaky": bool,
    "test": METRICS, "valid": METRICS, ...}`` where ``METRICS`` is the dict of
    :func:`classification_metrics` (``n``, ``accuracy``, ``macro_f1``, ``per_class``,
    ``confusion``, ``labels``); families may add keys (e.g. ``"search"``).
``report.txt``
    The same as text: a per-class report and the confusion matrix for each split.
``confusion.png`` (and ``confusion-valid.png``)
    Row-normalised confusion matrices with counts (:func:`genrekit.plots.plot_confusion`).

:func:`genrekit.results.collect_results` reads ``metrics.json`` of every run into one table.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Callable, TypeVar

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from genrekit.data.splits import LEAKY_SPLIT
from genrekit.errors import AudioError, ConfigError, DatasetError
from genrekit.intervals import interval_line
from genrekit.runs import METRICS_FILE, RunInfo, write_json, write_run_record

T = TypeVar("T")

#: One sentence that goes with every leaky score.
LEAKY_NOTE = (
    "LEAKY: chunks of one track were split at random, so chunks of the same recording sit in both "
    "train and test; the score is per chunk and overstates accuracy on unseen tracks (comparison only)."
)

#: Splits a run is scored on, in report order.
SCORED_SPLITS = ("test", "valid")


def aggregate_by_track(track_ids, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean class probabilities over the chunks of each track.

    Parameters
    ----------
    track_ids : array-like [shape=(n_chunks,)]
    proba : np.ndarray [shape=(n_chunks, n_classes)]

    Returns
    -------
    ids : np.ndarray [shape=(n_tracks,)]
        Unique track ids in order of first appearance.
    track_proba : np.ndarray [shape=(n_tracks, n_classes)]
    """
    track_ids = np.asarray(track_ids).astype(str)
    proba = np.asarray(proba, dtype=np.float64)
    frame = pd.DataFrame(proba)
    frame["_id"] = track_ids
    grouped = frame.groupby("_id", sort=False).mean()
    return grouped.index.to_numpy(), grouped.to_numpy()


def classification_metrics(y_true, y_pred, labels: list[str], *, average_over: list[str] | None = None,
                           units=None) -> dict:
    """Accuracy, macro F1, per-class precision/recall/F1 and the confusion matrix.

    ``y_true`` and ``y_pred`` are class ids (indices into ``labels``). ``average_over`` names the
    labels macro F1 averages over (default: all); a cross-dataset score averages over the genres
    its data holds, so a genre the data lacks is not an F1 of 0 (predicting it is still an error).
    The labels are then recorded as ``macro_f1_labels``. With ``units`` (the id of each scored
    track, or chunk), the scores also keep ``units``, ``truth`` and ``predicted`` (class ids), so two
    runs scored on the same tracks can be compared track by track (:mod:`genrekit.compare`) and their intervals resample artists (:mod:`genrekit.intervals`).
    """
    y_true = np.asarray(y_true, dtype=int)
    y_pred = np.asarray(y_pred, dtype=int)
    ids = list(range(len(labels)))
    averaged = ids if average_over is None else [labels.index(label) for label in average_over]
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=ids, zero_division=0)
    scores = {
        "n": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=averaged, average="macro", zero_division=0)),
        "per_class": {
            label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
        "confusion": confusion_matrix(y_true, y_pred, labels=ids).tolist(),
        "labels": list(labels),
    }
    if average_over is not None:
        scores["macro_f1_labels"] = list(average_over)
    if units is not None:
        units = [str(u) for u in units]
        if len(units) != len(y_true):
            raise ValueError(f"{len(units)} unit ids for {len(y_true)} scores")
        scores |= {"units": units, "truth": y_true.tolist(), "predicted": y_pred.tolist()}
    return scores


def track_metrics(track_ids, proba: np.ndarray, y_true_by_track: dict, labels: list[str]) -> dict:
    """Aggregate chunk probabilities to tracks, then score: the one scoring path for every model."""
    ids, track_proba = aggregate_by_track(track_ids, proba)
    y_true = np.array([y_true_by_track[i] for i in ids])
    return classification_metrics(y_true, track_proba.argmax(axis=1), labels, units=ids)


#: Values of ``train.class_weight``.
CLASS_WEIGHTS = ("balanced",)


def balanced_class_weights(y, num_classes: int, *, kind: str = "balanced") -> np.ndarray:
    """Per-class loss weights that make every class weigh the same: ``n / (k * count)``.

    ``k`` counts the classes present in ``y``; a class absent from ``y`` gets weight 0 (it
    contributes no examples anyway). The weighted mean over the examples is then 1, so learning
    rates keep their meaning (the convention of scikit-learn's ``class_weight='balanced'``).

    Parameters
    ----------
    y : array-like [shape=(n,), dtype=int]
        Class ids of the training examples.
    num_classes : int
    kind : str
        Only 'balanced' (the value of ``train.class_weight``).

    Returns
    -------
    weights : np.ndarray [shape=(num_classes,), dtype=float64]
    """
    if kind not in CLASS_WEIGHTS:
        raise ConfigError(f"train.class_weight must be one of {', '.join(CLASS_WEIGHTS)} or unset, not {kind!r}")
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=num_classes).astype(np.float64)
    present = counts > 0
    weights = np.zeros(num_classes)
    weights[present] = counts.sum() / (present.sum() * counts[present])
    return weights


def split_label(kind: str | None) -> str:
    """How a split kind is shown next to a score: leaky protocols are flagged ``(LEAKY)``."""
    kind = kind or "unknown"
    return f"{kind} (LEAKY)" if is_leaky(kind) else kind


def is_leaky(kind: str | None) -> bool:
    """True for split kinds that put parts of one track on both sides of the split."""
    return bool(kind) and str(kind).startswith(LEAKY_SPLIT)


def format_report(metrics: dict, *, title: str = "", run_dir: str | Path | None = None) -> str:
    """A plain-text report of one :func:`classification_metrics` dict.

    Parameters
    ----------
    metrics : dict
        Output of :func:`classification_metrics` (optionally with ``unit``).
    title : str
        First line, e.g. ``"test (artist split, per track)"``.
    run_dir : str or Path, optional
        The run folder, whose ``tracks.csv`` groups the scored units by artist (or chunks by
        track) for the intervals (:func:`genrekit.intervals.unit_groups`).

    Returns
    -------
    str
        Accuracy and macro F1, a per-class precision/recall/F1/support table and the confusion
        matrix (rows true, columns predicted), ending in a newline.
    """
    labels = list(metrics.get("labels") or metrics["per_class"].keys())
    width = max([len(label) for label in labels] + [len("macro avg")])
    unit = metrics.get("unit", "track")
    lines = []
    if title:
        lines.append(title)
    lines.append(f"accuracy {metrics['accuracy']:.4f}   macro F1 {metrics['macro_f1']:.4f}   n = {metrics['n']} {unit}s")
    if metrics.get("confusion"):
        lines.append(interval_line(metrics, run_dir=run_dir))
    lines.append("")
    lines.append(f"{'':<{width}}  precision  recall      f1  support")
    for label in labels:
        row = metrics["per_class"][label]
        lines.append(
            f"{label:<{width}}  {row['precision']:9.3f}  {row['recall']:6.3f}  {row['f1']:6.3f}  {row['support']:7d}"
        )
    lines.append("")
    confusion = np.asarray(metrics.get("confusion", []), dtype=int)
    if confusion.size:
        short = [label[:6] for label in labels]
        cell = max(7, len(str(confusion.max())) + 2)
        lines.append("confusion (rows = true, columns = predicted)")
        lines.append(f"{'':<{width}} " + "".join(f"{s:>{cell}}" for s in short))
        for label, row in zip(labels, confusion):
            lines.append(f"{label:<{width}} " + "".join(f"{v:>{cell}d}" for v in row))
    return "\n".join(lines) + "\n"


def write_evaluation(run_dir: str | Path, metrics: dict, *, header: list[str] | None = None, title: str = "") -> dict:
    """Write ``metrics.json``, ``report.txt`` and the confusion plots of a run folder.

    Parameters
    ----------
    run_dir : str or Path
        The run folder (already created).
    metrics : dict
        ``{"split_kind": ..., "unit": ..., "test": METRICS, "valid": METRICS, ...}`` as described
        in this module's docstring; splits that are missing are skipped.
    header : list of str, optional
        Lines printed at the top of ``report.txt`` (model, dataset, settings).
    title : str
        Prefix of each plot title, usually the model name.

    Returns
    -------
    dict
        ``metrics`` with ``leaky`` filled in, as written.
    """
    from genrekit.plots import plot_confusion  # matplotlib: imported when a report is written

    run_dir = Path(run_dir)
    kind = metrics.get("split_kind")
    metrics = {**metrics, "leaky": is_leaky(kind)}
    unit = metrics.get("unit", "track")
    lines = list(header or [])
    lines.append(f"split kind: {split_label(kind)}; scored per {unit}")
    if metrics["leaky"]:
        lines.append(LEAKY_NOTE)
    lines.append("")
    for split in SCORED_SPLITS:
        if split not in metrics:
            continue
        scores = {**metrics[split], "unit": unit}
        lines.append(f"== {split} ==")
        lines.append(format_report(scores, run_dir=run_dir))
        name = "confusion.png" if split == "test" else f"confusion-{split}.png"
        plot_title = f"{title + ', ' if title else ''}{split} ({split_label(kind)}, per {unit}, n={scores['n']})"
        plot_confusion(scores["confusion"], scores["labels"], title=plot_title, path=run_dir / name)
    write_json(run_dir / METRICS_FILE, metrics)
    (run_dir / "report.txt").write_text("\n".join(lines).rstrip() + "\n")
    return metrics


def check_training_split(dataset: str, split_kind: str | None, *, labels: list[str], train_classes, n_test: int) -> None:
    """The checks every family makes before fitting: a test split to score, and a warning naming
    genres that have no training examples (their test tracks cannot be classified correctly).

    Parameters
    ----------
    dataset, split_kind : str
        Named in the messages.
    labels : list of str
        The label map.
    train_classes : iterable of int
        Class ids of the training examples.
    n_test : int
        Test examples (after unreadable files were skipped).

    Raises
    ------
    DatasetError
        If the test split is empty.
    """
    if n_test == 0:
        raise DatasetError(f"{dataset}: the test split is empty (split kind {split_kind})")
    untrained = sorted(set(labels) - {labels[int(i)] for i in set(np.asarray(list(train_classes)).tolist())})
    if untrained:
        warnings.warn(f"{dataset}: genres with no training tracks under the {split_kind} split: "
                      f"{', '.join(untrained)}; their test tracks cannot be classified correctly", stacklevel=3)


def write_run(run_dir: str | Path, *, info: RunInfo, config, labels: list[str], metrics: dict, header: list[str],
              title: str) -> dict:
    """Finish a run folder the same way for every family: the :mod:`genrekit.runs` record, then
    :func:`write_evaluation` (``metrics.json``, ``report.txt``, confusion plots)."""
    write_run_record(run_dir, info=info, config=config, labels=labels)
    return write_evaluation(run_dir, metrics, header=header, title=title)


def predict_tracks(
    predict: Callable[[str], T], tracks: pd.DataFrame, *, desc: str = "scoring", progress: bool = True
) -> tuple[pd.DataFrame, list[T], list[dict]]:
    """Run ``predict(path)`` over every track; a file it cannot read is reported, not fatal.

    Parameters
    ----------
    predict : callable
        ``path -> result``; raises :class:`~genrekit.errors.AudioError` for a file it cannot use
        (e.g. :meth:`genrekit.inference.Predictor.predict_track`).
    tracks : pd.DataFrame
        With a ``path`` column.
    desc : str
        The progress bar's label.

    Returns
    -------
    kept : pd.DataFrame
        The rows of ``tracks`` that were predicted, in order.
    results : list
        ``predict``'s result for each kept row.
    problems : list of dict
        ``{"path", "reason"}`` for each file that could not be read.
    """
    from tqdm.auto import tqdm

    kept, results, problems = [], [], []
    for row in tqdm(list(tracks.itertuples(index=False)), desc=desc, unit="track", disable=not progress):
        try:
            results.append(predict(row.path))
        except AudioError as exc:
            problems.append({"path": row.path, "reason": exc.reason})
            continue
        kept.append(row)
    return pd.DataFrame(kept, columns=tracks.columns), results, problems
