"""Soft voting: :class:`Ensemble`, a predictor over several predictors."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from genrekit.errors import ConfigError
from genrekit.inference.prediction import Prediction, window_frame
from genrekit.inference.predictor import Predictor, spans_for


class Ensemble(Predictor):
    """Soft voting over several predictors: the weighted mean of their probabilities.

    Parameters
    ----------
    predictors : sequence of Predictor
        At least one; each keeps its own preprocessing (sample rate, features, chunks).
    weights : sequence of float or None
        One non-negative weight per predictor (normalised to sum 1); equal weights if None.

    Labels are aligned by name: the ensemble's labels are the first member's, followed by genres
    only later members know; a member gives probability 0 to genres it lacks.

    Raises
    ------
    ConfigError
        No predictors, a nested ensemble, bad weights, or a member that shares no genre with the
        others.
    """

    family = "ensemble"

    def __init__(self, predictors: Sequence[Predictor], weights: Sequence[float] | None = None):
        members = list(predictors)
        if not members:
            raise ConfigError("an ensemble needs at least one predictor")
        for member in members:
            if isinstance(member, Ensemble):
                raise ConfigError("an ensemble cannot contain another ensemble; list its members instead")
            if not isinstance(member, Predictor):
                raise ConfigError(f"ensemble members must be Predictors (see load_predictor), got {type(member).__name__}")
        if weights is None:
            w = np.ones(len(members))
        else:
            w = np.asarray(list(weights), dtype=np.float64)
            if w.shape != (len(members),):
                raise ConfigError(f"{len(members)} predictors but {w.size} weights")
            if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
                raise ConfigError(f"weights must be non-negative numbers, not all zero; got {w.tolist()}")
        labels: list[str] = []
        for member in members:
            labels += [g for g in member.labels if g not in labels]
        if len(members) > 1:
            for i, member in enumerate(members):
                others = {g for j, m in enumerate(members) if j != i for g in m.labels}
                if not others & set(member.labels):
                    raise ConfigError(f"{member.name} shares no genre with the other members "
                                      f"({', '.join(member.labels)} vs {', '.join(sorted(others))})")
        self.members = members
        self.weights = w / w.sum()
        self.labels = labels
        self.model = "ensemble(" + "+".join(m.model for m in members) + ")"
        self.name = self.model
        self.run_dir = None
        self.sample_rate = max(int(m.sample_rate) for m in members)
        windows = [m.window_seconds for m in members if m.window_seconds]
        self.window_seconds = max(windows) if windows else None
        self.clip_seconds = None
        # column j of member i's probabilities goes to column _columns[i][j] of the ensemble's
        self._columns = [np.array([labels.index(g) for g in m.labels]) for m in members]

    def _rates(self) -> list[int]:
        return sorted({int(m.sample_rate) for m in self.members})

    def align(self, index: int, proba: np.ndarray) -> np.ndarray:
        """Member ``index``'s probabilities ``(..., n_member_classes)`` on the ensemble's labels (0 for
        genres it lacks; rows with NaN stay NaN)."""
        proba = np.asarray(proba, dtype=np.float64)
        out = np.zeros(proba.shape[:-1] + (len(self.labels),))
        out[..., self._columns[index]] = proba
        if proba.shape[-1]:
            out[np.isnan(proba).any(axis=-1)] = np.nan
        return out

    def combine(self, member_proba: Sequence[np.ndarray]) -> np.ndarray:
        """Soft vote.

        Parameters
        ----------
        member_proba : sequence of np.ndarray [shape=(..., n_member_classes)]
            Each member's probabilities over its own labels, in member order.

        Returns
        -------
        np.ndarray [shape=(..., n_classes)]
            The weighted mean over members, on :attr:`labels`. Members with NaN rows (a window
            they could not score) are left out of that row and the others' weights renormalised.
        """
        aligned = [self.align(i, proba) for i, proba in enumerate(member_proba)]
        stack = np.stack(aligned)  # (members, ..., classes)
        valid = ~np.isnan(stack).any(axis=-1, keepdims=True)
        w = self.weights.reshape((-1,) + (1,) * (stack.ndim - 1)) * valid
        total = w.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, (np.nan_to_num(stack) * w).sum(axis=0) / total, np.nan)

    def member_tracks(self, path) -> list[np.ndarray]:
        """Each member's :meth:`~Predictor.predict_track` of one file (each reads its own middle clip)."""
        return [member.predict_track(path) for member in self.members]

    def predict_track(self, path) -> np.ndarray:
        """The soft vote of the members' :meth:`member_tracks`."""
        return self.combine(self.member_tracks(path))

    def _predict_signals(self, signals: dict, clips: dict | None, *, timeline, window, hop, source) -> Prediction:
        spans = spans_for(signals, window, hop) if timeline else None
        predictions = []
        for member in self.members:
            rate = int(member.sample_rate)
            clip = None if clips is None else clips[rate]
            predictions.append(member._predict_prepared(signals[rate], clip, spans=spans, source=source))
        return self.vote(predictions, source=source)

    def vote(self, predictions: Sequence[Prediction], *, source: str | None = None) -> Prediction:
        """Combine the members' predictions of one piece of audio (in member order) into one."""
        proba = self.combine([p.probabilities for p in predictions])
        windows = None
        if all(p.windows is not None for p in predictions):
            first = predictions[0].windows
            window_proba = self.combine([p.windows[list(p.labels)].to_numpy(dtype=np.float64) for p in predictions])
            windows = window_frame(list(zip(first["start_s"], first["end_s"])), window_proba, self.labels)
        return Prediction(
            labels=list(self.labels),
            probabilities=proba,
            logits=None,
            windows=windows,
            model=self.name,
            source=source,
            seconds=max(p.seconds for p in predictions),
            members=tuple(predictions),
        )

    def __repr__(self) -> str:
        parts = ", ".join(f"{m.name} x{w:.2f}" for m, w in zip(self.members, self.weights))
        return f"Ensemble({parts})"


