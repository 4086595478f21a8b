"""Figures written into run folders: confusion matrices and feature importances.

Figures are drawn with matplotlib's object API on an Agg canvas, never through ``pyplot``, so
they work in headless jobs and tests and do not leak global figure state.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from genrekit.errors import ConfigError


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=120)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: str | Path) -> Path:
    """Lay ``fig`` out and write it to ``path`` (its folder made if needed); returns the path."""
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def plot_confusion(matrix, labels: list[str], *, title: str = "", path: str | Path) -> Path:
    """Draw a confusion matrix as a PNG: colours are row-normalised, cells show the counts.

    Parameters
    ----------
    matrix : array-like [shape=(n_classes, n_classes)]
        Counts; rows are true classes, columns predicted classes.
    labels : list of str [length n_classes]
        Class names in matrix order.
    title : str
        Figure title (say the split and the unit, e.g. "xgboost, test (artist split, per track)").
    path : str or Path
        Output PNG file; parent folders are created.

    Returns
    -------
    Path
        ``path``.
    """
    counts = np.asarray(matrix, dtype=float)
    k = len(labels)
    if counts.shape != (k, k):
        raise ConfigError(f"confusion matrix has shape {counts.shape}, expected ({k}, {k}) for {k} labels")
    totals = counts.sum(axis=1, keepdims=True)
    # A class absent from the split has an all-zero row; show it as zeros rather than NaN.
    share = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)

    size = max(4.0, 0.55 * k + 2.0)
    fig = _figure(size + 1.0, size)
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    ax.set_xticks(range(k), labels, rotation=45, ha="right")
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title)
    font = 8 if k <= 12 else 6
    for i in range(k):
        for j in range(k):
            if counts[i, j]:
                colour = "white" if share[i, j] > 0.6 else "black"
                ax.text(j, i, f"{int(counts[i, j])}", ha="center", va="center", color=colour, fontsize=font)
    return _save(fig, path)


def plot_importances(
    table: pd.DataFrame, *, path: str | Path, column: str = "gain", top: int = 20, title: str = ""
) -> Path:
    """Horizontal bar plot of the ``top`` most important features.

    Parameters
    ----------
    table : pd.DataFrame
        One row per feature with a ``feature`` column and the importance ``column``
        (e.g. the table of :func:`genrekit.models.classic.feature_importances`).
    path : str or Path
        Output PNG file.
    column : str
        Which importance to plot ('gain', 'weight', 'cover', ...).
    top : int
        Number of features shown, largest first.
    title : str
        Figure title.

    Returns
    -------
    Path
        ``path``.
    """
    if "feature" not in table.columns or column not in table.columns:
        raise ConfigError(f"importance table needs columns 'feature' and {column!r}; has {list(table.columns)}")
    shown = table.nlargest(top, column).iloc[::-1]
    fig = _figure(7.0, max(2.5, 0.28 * len(shown) + 1.2))
    ax = fig.add_subplot(1, 1, 1)
    ax.barh(shown["feature"].astype(str), shown[column], color="#3b75af")
    ax.set_xlabel(f"importance ({column}, normalised to sum 1)")
    ax.tick_params(axis="y", labelsize=8)
    if title:
        ax.set_title(title)
    return _save(fig, path)


def plot_results(table: pd.DataFrame, *, path: str | Path, title: str = "test scores, 95 % intervals") -> Path:
    """The results table as a picture: accuracy and macro F1 of every run with their intervals.

    Parameters
    ----------
    table : pd.DataFrame
        Rows of :func:`genrekit.results.collect_results` (``accuracy``, ``macro_f1`` and their
        ``_low``/``_high`` bounds, ``model``, ``input``, ``dataset``, ``split_kind``, ``leaky``).
    path : str or Path
        Output PNG file.
    title : str
        Figure title.

    Returns
    -------
    Path
        ``path``. One row per run, top to bottom in the table's order; leaky-protocol rows are grey
        and marked, so their inflated scores are not read beside the others.
    """
    if not len(table):
        raise ConfigError("no results to plot")
    names = [f"{r.model} ({r.input}) · {r.dataset} · {r.split_kind}" for r in table.itertuples(index=False)]
    rows = np.arange(len(table))[::-1]
    colours = np.where(table["leaky"].to_numpy(dtype=bool), "#9a9a9a", "#3b75af")
    fig = _figure(11.0, max(2.2, 0.32 * len(table) + 1.3))
    axes = fig.subplots(1, 2, sharey=True)
    for ax, metric, label in zip(axes, ("accuracy", "macro_f1"), ("accuracy", "macro F1")):
        value = table[metric].to_numpy(dtype=float)
        low = table[f"{metric}_low"].to_numpy(dtype=float)
        high = table[f"{metric}_high"].to_numpy(dtype=float)
        # no bar where no interval; a percentile interval may (rarely) not hold its own score
        errors = np.clip(np.nan_to_num(np.vstack([value - low, high - value])), 0, None)
        for row, v, e0, e1, colour in zip(rows, value, *errors, colours):
            ax.errorbar(v, row, xerr=[[e0], [e1]], fmt="o", color=colour, ecolor=colour, capsize=3, markersize=5)
        ax.set_xlim(0, 1)
        ax.set_xlabel(label)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(rows, names, fontsize=8)
    fig.suptitle(title)
    return _save(fig, path)
