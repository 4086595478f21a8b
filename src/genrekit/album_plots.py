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
    """Draw the album figure as a PNG.

    Three panels share one row per track (track 1 at the top): (a) stacked bars of the ensemble's
    genre probabilities for the middle of each track; (b) the timeline, each window coloured by
    its winning genre, paler where the winner is less probable; (c) a heat map of the probability
    of ``focus`` over time. A track of a single window has no timeline (its row in (b) says so);
    when no track has more than one window, (b) and (c) give way to a line saying so.

    Parameters
    ----------
    tracks : pd.DataFrame
        ``tracks.csv`` of :mod:`genrekit.album`: ``track``, ``title``, ``genre`` and one column per
        label.
    timeline : pd.DataFrame
        ``timeline.csv``: ``track``, ``start_s``, ``end_s`` (seconds) and one column per label.
    labels : sequence of str
        The genres, in column order.
    path : str or Path
        Output PNG; parent folders are created.
    focus : str, optional
        Genre of panel (c); default the most frequent predicted genre.
    title : str
        Figure title.

    Returns
    -------
    Path
        ``path``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    labels = list(labels)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = len(tracks)
    colours = genre_colours(labels)
    fig = Figure(figsize=(15, 2.2 + 0.38 * max(n, 1)), dpi=110)
    FigureCanvasAgg(fig)
    if n == 0:
        ax = fig.add_subplot(1, 1, 1)
        ax.axis("off")
        ax.text(0.5, 0.5, "no track could be analysed", ha="center", va="center")
        fig.savefig(path)
        return path
    windows_per_track = timeline.groupby("track").size() if len(timeline) else pd.Series(dtype=int)
    if not (windows_per_track > 1).any():
        # one window per track says no more than the bars: no timeline panels
        grid = fig.add_gridspec(1, 2, width_ratios=[1.0, 3.0], wspace=0.08)
        bars = fig.add_subplot(grid[0])
        empty = fig.add_subplot(grid[1])
        empty.axis("off")
        empty.text(0.5, 0.5, "no timeline: every track fits in one window", ha="center", va="center", fontsize=10)
        _draw_bars(bars, tracks, labels, colours)
        return _finish(fig, labels, colours, path, title)
    if focus is None:
        focus = tracks["genre"].value_counts().index[0]
    grid = fig.add_gridspec(1, 3, width_ratios=[1.0, 1.5, 1.5], wspace=0.08)
    bars = fig.add_subplot(grid[0])
    line = fig.add_subplot(grid[1], sharey=bars)
    heat = fig.add_subplot(grid[2], sharey=bars)
    _draw_bars(bars, tracks, labels, colours)

    # (b) winning genre per window; (c) probability of the focus genre per window
    norm = Normalize(0.0, 1.0)
    cmap = _heat_cmap()
    longest = 0.0
    for i, number in enumerate(tracks["track"]):
        windows = timeline[timeline["track"] == number].sort_values("start_s")
        if windows.empty:
            continue
        if len(windows) == 1:
            line.text(0.01, i, "one window: no timeline", transform=line.get_yaxis_transform(), va="center",
                      fontsize=7, color="0.4")
            continue
        starts, ends = windows["start_s"].to_numpy(float), windows["end_s"].to_numpy(float)
        lo, hi = _cells(starts, ends)
        proba = windows[labels].to_numpy(dtype=np.float64)
        longest = max(longest, float(ends.max()))
        for j in range(len(windows)):
            if np.isnan(proba[j]).any():
                continue
            k = int(np.argmax(proba[j]))
            line.barh(i, hi[j] - lo[j], left=lo[j], height=0.8, color=colours[labels[k]],
                      alpha=0.25 + 0.75 * float(proba[j, k]), edgecolor="none")
            if focus in labels:
                heat.barh(i, hi[j] - lo[j], left=lo[j], height=0.8, color=cmap(norm(proba[j, labels.index(focus)])),
                          edgecolor="none")
    for ax, name in ((line, "(b) winning genre per window (paler: less sure)"), (heat, f"(c) probability of {focus}")):
        ax.set_xlim(0, max(longest, 1.0))
        ax.set_xlabel("time in track (s)")
        ax.set_title(name, fontsize=10)
        ax.tick_params(axis="y", labelleft=False)
        ax.set_facecolor("#f2f2f2")
    colorbar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=heat, fraction=0.04, pad=0.01)
    colorbar.set_label(f"P({focus})")
    return _finish(fig, labels, colours, path, title)


def _draw_bars(bars, tracks: pd.DataFrame, labels: list[str], colours: dict) -> None:
    """Panel (a): stacked probabilities of the middle of each track, one row per track."""
    n = len(tracks)
    rows = np.arange(n)
    names = [f"{int(t):02d} {str(name)[:28]}" for t, name in zip(tracks["track"], tracks["title"])]
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


def _finish(fig, labels: list[str], colours: dict, path: Path, title: str) -> Path:
    """Legend, title and margins; save."""
    from matplotlib.patches import Patch

    handles = [Patch(color=colours[label], label=label) for label in labels]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(labels), 10), fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.subplots_adjust(left=0.13, right=0.95, top=1 - 0.9 / fig.get_figheight(), bottom=1.1 / fig.get_figheight())
    fig.savefig(path)
    return path


def _heat_cmap():
    from matplotlib import colormaps

    return colormaps["magma_r"]
