"""Metrics shared by every model family: accuracy and macro F1 per track, confusion matrices.

Chunk-level predictions are always aggregated to one prediction per track (mean of class
probabilities) before scoring, so a score never counts one track several times.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support


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


def classification_metrics(y_true, y_pred, labels: list[str]) -> dict:
    """Accuracy, macro F1, per-class precision/recall/F1 and the confusion matrix.

    ``y_true`` and ``y_pred`` are class ids (indices into ``labels``).
    """
    y_true = np.asarray(y_true, dtype=int)
    y_pred = np.asarray(y_pred, dtype=int)
    ids = list(range(len(labels)))
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=ids, zero_division=0)
    return {
        "n": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=ids, average="macro", zero_division=0)),
        "per_class": {
            label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
        "confusion": confusion_matrix(y_true, y_pred, labels=ids).tolist(),
        "labels": list(labels),
    }


def track_metrics(track_ids, proba: np.ndarray, y_true_by_track: dict, labels: list[str]) -> dict:
    """Aggregate chunk probabilities to tracks, then score: the one scoring path for every model."""
    ids, track_proba = aggregate_by_track(track_ids, proba)
    y_true = np.array([y_true_by_track[i] for i in ids])
    return classification_metrics(y_true, track_proba.argmax(axis=1), labels)
