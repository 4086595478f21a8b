"""The album figure: per-track genre bars and the timeline of every track.

Drawn with matplotlib's object API on an Agg canvas, never through ``pyplot`` (as
:mod:`genrekit.plots`), so it works in headless jobs and tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd


def genre_colours(labels: Sequence[str]) -> dict[str, tuple]:
    """A fixed colour per genre (tab10, or tab20 beyond ten genres), in label order."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if len(labels) <= 10 else "tab20"]
    return {label: cmap(i % cmap.N) for i, label in enumerate(labels)}


def _cells(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping cell edges for overlapping windows: boundaries halfway between window centres."""
    centres = (starts + ends) / 2
    middle = (centres[:-1] + centres[1:]) / 2
    left = np.concatenate([[starts[0]], middle])
    right = np.concatenate([middle, [ends[-1]]])
    return left, right


def plot_album(
    tracks: pd.DataFrame,
    timeline: pd.DataFrame,
    labels: Sequence[str],
    *,
    path: str | Path,
    focus: str | None = None,
    title: str = "",
) -> Path:
    """Draw the album figure (:func:`album_figure`) as a PNG.

    Parameters
    ----------
    tracks, timeline, labels, focus, title
        As :func:`album_figure`.
    path : str or Path
        Output PNG; parent folders are created.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    album_figure(tracks, timeline, labels, focus=focus, title=title).savefig(path)
    return path


def album_figure(
    tracks: pd.DataFrame,
    timeline: pd.DataFrame,
    labels: Sequence[str],
    *,
    focus: str | None = None,
    title: str = "",
):
    """The album figure, as a matplotlib ``Figure`` on an Agg canvas.

    Three panels share one row per track (track 1 at the top): (a) stacked bars of the ensemble's
    genre probabilities for the middle of each track; (b) the timeline, each window coloured by
    its winning genre, paler where the winner is less probable; (c) a heat map of the probability
    of ``focus`` over time. In (b) and (c) every track's row spans the panel's width whatever its
    length (the axis is the position in the track, 0 to 100 %), so a ten-minute track does not
    squash a one-minute one; the length analysed is written at the end of each row. A track of a
    single window has no timeline (its row in (b) says so); when no track has more than one
    window, (b) and (c) give way to a line saying so. Track labels longer than
    :data:`LABEL_CHARS` are shortened in the middle, and the left margin fits the longest.

    Parameters
    ----------
    tracks : pd.DataFrame
        ``tracks.csv`` of :mod:`genrekit.album`: ``track``, ``title``, ``genre`` and one column per
        label (``duration_s``, seconds, if present, is written beside a row whose timeline covers
        less of the file).
    timeline : pd.DataFrame
        ``timeline.csv``: ``track``, ``start_s``, ``end_s`` (seconds) and one column per label.
    labels : sequence of str
        The genres, in column order.
    focus : str, optional
        Genre of panel (c); default the most frequent predicted genre.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    labels = list(labels)
    n = len(tracks)
    colours = genre_colours(labels)
    fig = Figure(figsize=(15, 2.2 + 0.38 * max(n, 1)), dpi=110)
    FigureCanvasAgg(fig)
    if n == 0:
        ax = fig.add_subplot(1, 1, 1)
        ax.axis("off")
        ax.text(0.5, 0.5, "no track could be analysed", ha="center", va="center")
        return fig
    windows_per_track = timeline.groupby("track").size() if len(timeline) else pd.Series(dtype=int)
    if not (windows_per_track > 1).any():
        # one window per track says no more than the bars: no timeline panels
        grid = fig.add_gridspec(1, 2, width_ratios=[1.0, 3.0], wspace=0.08)
        bars = fig.add_subplot(grid[0])
        empty = fig.add_subplot(grid[1])
        empty.axis("off")
        empty.text(0.5, 0.5, "no timeline: every track fits in one window", ha="center", va="center", fontsize=10)
        _draw_bars(bars, tracks, labels, colours)
        return _finish(fig, bars, labels, colours, title)
    if focus is None:
        focus = tracks["genre"].value_counts().index[0]
    grid = fig.add_gridspec(1, 3, width_ratios=[1.0, 1.5, 1.5], wspace=0.22)  # room for the lengths
    bars = fig.add_subplot(grid[0])
    line = fig.add_subplot(grid[1], sharey=bars)
    heat = fig.add_subplot(grid[2], sharey=bars)
    _draw_bars(bars, tracks, labels, colours)

    # (b) winning genre per window; (c) probability of the focus genre per window. Each row is
    # drawn on its own track's length (0 to 1): on a shared seconds axis one long track squashes
    # every short one to a sliver.
    norm = Normalize(0.0, 1.0)
    cmap = _heat_cmap()
    durations = tracks["duration_s"] if "duration_s" in tracks.columns else pd.Series(np.nan, index=tracks.index)
    for i, (number, duration) in enumerate(zip(tracks["track"], durations)):
        windows = timeline[timeline["track"] == number].sort_values("start_s")
        if windows.empty:
            continue
        if len(windows) == 1:
            line.text(0.01, i, "one window: no timeline", transform=line.get_yaxis_transform(), va="center",
                      fontsize=7, color="0.4")
            continue
        starts, ends = windows["start_s"].to_numpy(float), windows["end_s"].to_numpy(float)
        span = max(float(ends.max()), 1e-6)
        lo, hi = (edge / span for edge in _cells(starts, ends))
        proba = windows[labels].to_numpy(dtype=np.float64)
        for j in range(len(windows)):
            if np.isnan(proba[j]).any():
                continue
            k = int(np.argmax(proba[j]))
            line.barh(i, hi[j] - lo[j], left=lo[j], height=0.8, color=colours[labels[k]],
                      alpha=0.25 + 0.75 * float(proba[j, k]), edgecolor="none")
            if focus in labels:
                heat.barh(i, hi[j] - lo[j], left=lo[j], height=0.8, color=cmap(norm(proba[j, labels.index(focus)])),
                          edgecolor="none")
        length = _clock(span)
        if np.isfinite(duration) and float(duration) > span + 1.0:
            length += f"\nof {_clock(float(duration))}"  # only the start of a long file was analysed
        line.text(1.01, i, length, transform=line.get_yaxis_transform(), va="center", fontsize=7, color="0.25")
    for ax, name, axis in ((line, "(b) winning genre per window (paler: less sure)",
                            "position in track (each row spans its own length, written after it)"),
                           (heat, f"(c) probability of {focus}", "position in track (as in b)")):
        ax.set_xlim(0, 1)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0", "25%", "50%", "75%", "end"])
        ax.set_xlabel(axis, fontsize=8)
        ax.set_title(name, fontsize=10)
        ax.tick_params(axis="y", labelleft=False)
        ax.set_facecolor("#f2f2f2")
    colorbar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=heat, fraction=0.04, pad=0.01)
    colorbar.set_label(f"P({focus})")
    return _finish(fig, bars, labels, colours, title)


#: Track labels longer than this many characters (after the track number) are shortened in the middle.
LABEL_CHARS = 36


def track_label(number: int, title: str, *, width: int = LABEL_CHARS) -> str:
    """``'07 title'``, the title shortened to ``width`` characters with an ellipsis in the middle
    (the end of a file name often tells tracks apart as much as its start)."""
    title = str(title)
    if len(title) > width:
        head = (width - 1) * 2 // 3
        title = title[:head] + "\u2026" + title[len(title) - (width - 1 - head):]
    return f"{int(number):02d} {title}"


def _clock(seconds: float) -> str:
    """``m:ss`` for a duration in seconds."""
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


def _draw_bars(bars, tracks: pd.DataFrame, labels: list[str], colours: dict) -> None:
    """Panel (a): stacked probabilities of the middle of each track, one row per track."""
    n = len(tracks)
    rows = np.arange(n)
    names = [track_label(t, name) for t, name in zip(tracks["track"], tracks["title"])]
    left = np.zeros(n)
    for label in labels:
        values = tracks[label].to_numpy(dtype=np.float64)
        bars.barh(rows, values, left=left, color=colours[label], height=0.8, edgecolor="none")
        left += values
    bars.set_yticks(rows, names, fontsize=8)
    bars.set_ylim(n - 0.5, -0.5)
    bars.set_xlim(0, 1)
    bars.set_xlabel("probability (middle of track)")
    bars.set_title("(a) ensemble genre probabilities", fontsize=10)


def _finish(fig, bars, labels: list[str], colours: dict, title: str):
    """Legend, title and margins: the left margin fits the longest track label."""
    from matplotlib.patches import Patch

    handles = [Patch(color=colours[label], label=label) for label in labels]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(labels), 10), fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=11)
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.05, right=0.95, top=1 - 0.9 / height, bottom=1.1 / height)
    # tick labels hang left of the axes by their own width, whatever the axes' position: measure
    # them once and move the axes right by that much (plus a small gap)
    renderer = fig.canvas.get_renderer()
    widest = max((t.get_window_extent(renderer).width for t in bars.get_yticklabels()), default=0.0)
    gap = 12.0 + bars.yaxis.get_tick_padding() * fig.dpi / 72
    fig.subplots_adjust(left=min(0.5, (widest + gap) / (fig.get_figwidth() * fig.dpi)))
    return fig


def _heat_cmap():
    from matplotlib import colormaps

    return colormaps["magma_r"]
