"""From a prediction to what the widgets show: scores, bars, the timeline, colours, messages.

Pure shaping, no model: :func:`genrekit.app.serving.classify_upload` runs the model and hands its
prediction to these.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from genrekit.album_plots import genre_colours
from genrekit.app.tags import TagPanel
from genrekit.app.uploads import clock
from genrekit.errors import AudioError, GenrekitError


@dataclass
class AppResult:
    """What the app shows for one track.

    Attributes
    ----------
    scores : dict
        Genre -> probability, every genre (``gr.Label`` shows the top three).
    bars : pd.DataFrame
        Columns ``genre``, ``probability``; one row per genre, most probable first.
    timeline : pd.DataFrame or None
        Long format ``time_s`` (window centre, seconds), ``genre``, ``probability`` for the
        :data:`TIMELINE_GENRES` genres most probable over the track; None when the analysed audio
        is not longer than one model window.
    seconds : float
        Seconds analysed.
    notes : list of str
        Messages for the user.
    tags : TagPanel or None
        musicnn's tags of the same upload (None when the app shows no tags).
    """

    scores: dict[str, float]
    bars: pd.DataFrame
    timeline: pd.DataFrame | None
    seconds: float
    notes: list[str] = field(default_factory=list)
    tags: TagPanel | None = None

    @property
    def top(self) -> str:
        """The most probable genre."""
        return max(self.scores, key=self.scores.get)

    def status_markdown(self) -> str:
        """A line on what was analysed, plus any notes."""
        windows = "" if self.timeline is None else f", {self.timeline['time_s'].nunique()} windows"
        summary = (f"Analysed {clock(self.seconds)} of audio{windows}: most likely **{self.top}** "
                   f"({self.scores[self.top]:.0%}).")
        lines = [summary]
        lines += [f"⚠️ {note}" for note in self.notes]
        return "\n\n".join(lines)

    def tags_markdown(self) -> str:
        """The tag panel's text ('' when the app shows no tags)."""
        return "" if self.tags is None else self.tags.markdown()


#: Genres drawn on the timeline (the most probable over the track), to keep the plot readable.
TIMELINE_GENRES = 5
#: At most this many timeline windows: a ten-minute track is not scored 3 s at a time twice over.
MAX_TIMELINE_WINDOWS = 100
#: Timeline window for models that see whole tracks (GTZAN's clip length).
FALLBACK_WINDOW_SECONDS = 30.0


def timeline_window(seconds: float, *, model_window: float | None, max_windows: int = MAX_TIMELINE_WINDOWS) -> float:
    """Length (s) of the timeline's windows for a track of ``seconds``.

    The model's own window (one chunk, or :data:`FALLBACK_WINDOW_SECONDS` for models without
    one), times the smallest whole number that keeps the timeline at ``max_windows`` windows or
    fewer; windows do not overlap, so the timeline costs about as much as the track's prediction.
    """
    base = float(model_window or FALLBACK_WINDOW_SECONDS)
    return base * max(1, math.ceil(seconds / (base * max_windows)))



def genre_colour_map(labels: Sequence[str]) -> dict[str, str]:
    """``{genre: '#rrggbb'}`` in the model's label order, the album figure's palette
    (:func:`genrekit.album_plots.genre_colours`).

    For ``gr.BarPlot`` / ``gr.LinePlot``'s ``color_map``: without it Gradio colours the genres in
    the order they appear in each answer, so one genre changes colour from upload to upload.
    """
    from matplotlib.colors import to_hex

    return {str(label): to_hex(colour) for label, colour in genre_colours([str(x) for x in labels]).items()}


def score_dict(labels: Sequence[str], probabilities: np.ndarray) -> dict[str, float]:
    """``{genre: probability}`` for ``gr.Label``; ``probabilities`` has shape ``(n_classes,)``."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.shape != (len(labels),):
        raise ValueError(f"expected {len(labels)} probabilities, got shape {probabilities.shape}")
    return {str(label): float(p) for label, p in zip(labels, probabilities)}


def bar_frame(scores: Mapping[str, float]) -> pd.DataFrame:
    """Columns ``genre``, ``probability``, most probable first (for ``gr.BarPlot``)."""
    frame = pd.DataFrame({"genre": list(scores), "probability": [float(v) for v in scores.values()]})
    return frame.sort_values("probability", ascending=False, kind="stable").reset_index(drop=True)


def timeline_frame(windows: pd.DataFrame, labels: Sequence[str], *, top: int | None = TIMELINE_GENRES) -> pd.DataFrame:
    """Per-window probabilities in long format for ``gr.LinePlot``.

    Parameters
    ----------
    windows : pd.DataFrame
        ``start_s``, ``end_s`` (seconds) and one probability column per genre, one row per window.
    labels : sequence of str
        The genre columns.
    top : int or None
        Keep the ``top`` genres with the highest mean probability (all if None).

    Returns
    -------
    pd.DataFrame
        Columns ``time_s`` (window centre in seconds), ``genre``, ``probability``; rows ordered by
        genre (most probable first), then time.
    """
    labels = [str(label) for label in labels]
    missing = [label for label in ("start_s", "end_s", *labels) if label not in windows.columns]
    if missing:
        raise ValueError(f"the window table lacks columns {missing}")
    keep = windows[labels].mean(axis=0).sort_values(ascending=False, kind="stable").index.tolist()
    if top is not None:
        keep = keep[:top]
    centre = (windows["start_s"].to_numpy(dtype=float) + windows["end_s"].to_numpy(dtype=float)) / 2
    parts = [pd.DataFrame({"time_s": centre, "genre": genre, "probability": windows[genre].to_numpy(dtype=float)})
             for genre in keep]
    return pd.concat(parts, ignore_index=True)


def user_message(exc: BaseException) -> str:
    """A message for the UI: genrekit errors verbatim (file and reason), anything else generic."""
    if isinstance(exc, AudioError):
        name = Path(exc.path).name if exc.path else "the audio"
        return f"Cannot use {name}: {exc.reason}"
    if isinstance(exc, GenrekitError):
        return str(exc)
    return f"Unexpected error ({type(exc).__name__}); the file could not be classified."
