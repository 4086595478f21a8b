"""What a prediction is: :class:`Prediction`, and where the windows of a timeline fall."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from genrekit.errors import ConfigError

#: Default timeline window (s): GTZAN's clip length.
DEFAULT_WINDOW_SECONDS = 30.0

#: An end-aligned last window must bring at least this share of a window of new audio; a shorter
#: tail stretches the last full window instead (a 30.013 s clip is one 30 s window, not two).
MIN_NEW_FRACTION = 0.1

#: Default length (s) of the part of a file a single prediction looks at: its middle.
DEFAULT_MIDDLE_SECONDS = 30.0



@dataclass(frozen=True)
class Prediction:
    """Genre scores of one piece of audio.

    Attributes
    ----------
    labels : list of str
        Genre names; position ``i`` of every array is ``labels[i]``.
    probabilities : np.ndarray [shape=(n_classes,), dtype=float64]
        Sum to 1.
    logits : np.ndarray [shape=(n_classes,)] or None
        Mean pre-softmax outputs over the model's chunks, for networks; None for models without
        logits (feature models, ensembles): use :attr:`log_scores`.
    windows : pd.DataFrame or None
        With ``timeline=True``: one row per window, columns ``start_s``, ``end_s`` (seconds from
        the start of the signal) and one probability column per genre (NaN where the model could
        not score the window).
    model : str
        Name of the predictor that made it.
    source : str or None
        The file, for :meth:`Predictor.predict_file`.
    seconds : float
        Duration (s) of the audio behind :attr:`probabilities`.
    members : tuple of Prediction
        For an ensemble: each member's own prediction, in member order.
    notes : tuple of str
        What is wrong with the file it was made from, when it was used only as far as it decodes
        (e.g. ``'truncated: decodes 14.5 s of the 29.0 s its header declares'``); empty otherwise.
    """

    labels: list[str]
    probabilities: np.ndarray
    logits: np.ndarray | None = None
    windows: pd.DataFrame | None = None
    model: str = ""
    source: str | None = None
    seconds: float = 0.0
    members: tuple = field(default_factory=tuple)
    notes: tuple = field(default_factory=tuple)

    @property
    def genre(self) -> str:
        """The most probable genre."""
        return self.labels[int(np.argmax(self.probabilities))]

    @property
    def log_scores(self) -> np.ndarray:
        """The logits, or the log-probabilities (floored at 1e-12) when the model has no logits."""
        if self.logits is not None:
            return self.logits
        return np.log(np.clip(self.probabilities, 1e-12, None))

    @property
    def score_kind(self) -> str:
        """``'logit'`` or ``'log-probability'``: what :attr:`log_scores` holds."""
        return "logit" if self.logits is not None else "log-probability"

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` most probable genres as ``(genre, probability)``, most probable first."""
        order = np.argsort(-self.probabilities, kind="stable")[: max(int(k), 0)]
        return [(self.labels[i], float(self.probabilities[i])) for i in order]

    def to_dict(self, *, top: int | None = None) -> dict:
        """A JSON-able summary: model, source, top genres, all probabilities, logits, windows."""
        out = {
            "model": self.model,
            "source": self.source,
            "seconds": round(self.seconds, 3),
            "top": [{"genre": g, "probability": p} for g, p in self.top(top or len(self.labels))],
            "probabilities": {g: float(p) for g, p in zip(self.labels, self.probabilities)},
            "logits": None if self.logits is None else {g: float(v) for g, v in zip(self.labels, self.logits)},
            "notes": list(self.notes),
        }
        if self.windows is not None:
            out["windows"] = self.windows.replace({np.nan: None}).to_dict(orient="records")
        return out


def timeline_spans(duration: float, *, window_seconds: float, hop_seconds: float | None = None) -> list[tuple[float, float]]:
    """Window boundaries over a signal.

    Parameters
    ----------
    duration : float
        Signal length in seconds.
    window_seconds : float
        Window length in seconds (> 0).
    hop_seconds : float or None
        Step between window starts (default ``window_seconds / 2``).

    Returns
    -------
    list of (start_s, end_s)
        Full windows from 0 every hop; if they leave the end uncovered, one more window ending at
        the end of the signal when that window adds at least ``MIN_NEW_FRACTION * window_seconds``
        of audio, else the last full window is stretched to the end. So a signal shorter than
        ``(1 + MIN_NEW_FRACTION) * window_seconds`` gives ``[(0, duration)]``.
    """
    if not window_seconds or window_seconds <= 0:
        raise ConfigError(f"window_seconds must be positive, got {window_seconds}")
    hop = window_seconds / 2 if hop_seconds is None else hop_seconds
    if not hop or hop <= 0:
        raise ConfigError(f"hop_seconds must be positive, got {hop_seconds}")
    if duration <= window_seconds + 1e-9:
        return [(0.0, float(duration))]
    count = 1 + int(math.floor((duration - window_seconds) / hop + 1e-9))
    spans = [(i * hop, i * hop + window_seconds) for i in range(count)]
    tail = duration - spans[-1][1]
    if tail >= MIN_NEW_FRACTION * window_seconds - 1e-9:
        spans.append((duration - window_seconds, float(duration)))
    elif tail > 1e-6:
        spans[-1] = (spans[-1][0], float(duration))
    return [(round(s, 6), round(e, 6)) for s, e in spans]




def window_frame(spans, proba: np.ndarray, labels: list[str]) -> pd.DataFrame:
    """The ``windows`` table of a :class:`Prediction`: ``start_s``, ``end_s`` and one column per genre."""
    frame = pd.DataFrame({"start_s": [s for s, _ in spans], "end_s": [e for _, e in spans]})
    for i, label in enumerate(labels):
        frame[label] = proba[:, i]
    return frame
