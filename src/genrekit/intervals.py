"""How sure a score is: confidence intervals of accuracy and macro F1 on a test set.

Every score genrekit reports comes with a 95 % interval (:func:`score_intervals`). Test tracks of
one artist rise and fall together, as do the chunks of one track, so where a run knows its test
tracks' artists (its ``tracks.csv``), or scores chunks, the interval is a cluster bootstrap that
resamples whole artists (tracks); otherwise the tracks are taken as independent: Wilson's interval
for accuracy, a bootstrap over tracks for macro F1.
:mod:`genrekit.compare` pairs two runs on the same tracks with the same resampling.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from genrekit.runs import TRACKS_FILE

#: Confidence level of the interval every test score is reported with, and the resamples behind
#: the macro-F1 interval.
INTERVAL_LEVEL = 0.95
BOOTSTRAP_RESAMPLES = 2000


def score_intervals(metrics: dict, *, groups=None, level: float = INTERVAL_LEVEL,
                    resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0) -> dict:
    """Confidence intervals of a score's accuracy and macro F1.

    Scored units that belong together (the tracks of one artist, the chunks of one track) rise and
    fall together, so resampling them one by one understates the uncertainty. With ``groups``
    (one per scored unit, e.g. from :func:`unit_groups`) both intervals are a cluster bootstrap:
    each resample draws as many groups as there are, with replacement (:func:`group_weights`).
    Without, the units are taken as independent: accuracy's interval is Wilson's score interval
    (``scipy.stats.binomtest``; sensible near 0 and 1 and for small test sets), macro F1's the
    percentile bootstrap over units (drawing ``n`` units with replacement is drawing the confusion
    matrix's cells from a multinomial).

    A resample may hold no track of some genre (a small test set, or a genre of few artists): its
    macro F1 averages over the genres it holds (:func:`resampled_macro_f1`); counting a genre it
    lost as 0 would pull the interval below the score. Macro F1 is averaged over ``macro_f1_labels`` when the
    score was.

    Parameters
    ----------
    metrics : dict
        A :func:`classification_metrics` dict (``confusion``, ``labels``, optionally
        ``macro_f1_labels``; ``truth`` and ``predicted`` for ``groups``), e.g. ``metrics.json``'s ``test``.
    groups : sequence of str, optional
        The group of each of ``metrics["units"]``, in that order.
    level : float
        Confidence level.
    resamples : int
        Bootstrap resamples.
    seed : int
        Seed of the bootstrap, so a run's interval reads the same every time.

    Returns
    -------
    dict
        ``{"accuracy": (low, high), "macro_f1": (low, high), "groups": int or None}``: the number of
        groups resampled (None when units were); NaNs when nothing was scored.
    """
    from scipy.stats import binomtest

    confusion = np.asarray(metrics.get("confusion", []), dtype=np.int64)
    n = int(confusion.sum())
    if n == 0:
        return {"accuracy": (np.nan, np.nan), "macro_f1": (np.nan, np.nan), "groups": None}
    labels = list(metrics.get("labels") or range(len(confusion)))
    averaged = [labels.index(label) for label in metrics.get("macro_f1_labels", labels)]
    rng = np.random.default_rng(seed)
    k = len(confusion)
    tail = (1 - level) / 2
    if groups is not None:
        codes = pd.factorize(pd.Series(list(groups), dtype=str))[0]
        if len(codes) != n:
            raise ValueError(f"{len(codes)} groups for {n} scored units")
        per_group = confusion_by_group(codes, metrics["truth"], metrics["predicted"], k)
        draws = np.concatenate([w @ per_group for w in group_weights(len(per_group), resamples=resamples, rng=rng)])
        draws = draws.reshape(-1, k, k)
        accuracy = np.trace(draws, axis1=1, axis2=2) / draws.sum(axis=(1, 2))
        f1 = resampled_macro_f1(draws, confusion, averaged)
        return {"accuracy": tuple(float(x) for x in np.quantile(accuracy, [tail, 1 - tail])),
                "macro_f1": tuple(float(x) for x in np.quantile(f1, [tail, 1 - tail])), "groups": len(per_group)}
    wilson = binomtest(int(np.trace(confusion)), n).proportion_ci(confidence_level=level, method="wilson")
    draws = rng.multinomial(n, confusion.ravel() / n, size=resamples).reshape(resamples, k, k)
    f1 = resampled_macro_f1(draws, confusion, averaged)
    return {"accuracy": (float(wilson.low), float(wilson.high)),
            "macro_f1": tuple(float(x) for x in np.quantile(f1, [tail, 1 - tail])), "groups": None}


def confusion_by_group(codes, truth, predicted, k: int) -> np.ndarray:
    """Each group's confusion counts, flattened: ``(n_groups, k * k)``, row ``g`` holding the units whose
    group (``codes``) is ``g``; a resample's confusion matrix is its group weights times this."""
    counts = np.zeros((int(np.max(codes)) + 1, k * k))
    np.add.at(counts, (np.asarray(codes), np.asarray(truth) * k + np.asarray(predicted)), 1)
    return counts


def group_weights(n_groups: int, *, resamples: int, rng: np.random.Generator, batch: int = 200):
    """How often each of ``n_groups`` groups is drawn in each bootstrap resample (as many draws as
    groups, with replacement): ``(b, n_groups)`` arrays of at most ``batch`` resamples, so a large
    test set stays small in memory."""
    for start in range(0, resamples, batch):
        yield rng.multinomial(n_groups, np.full(n_groups, 1 / n_groups), size=min(batch, resamples - start))


def unit_groups(run_dir: str | Path, metrics: dict) -> tuple[list[str] | None, str | None]:
    """What the scored units of a run belong to, for :func:`score_intervals`' cluster bootstrap.

    A unit's group is its track's artist where the run's ``tracks.csv`` names one, else its track
    (a chunk ``track_id#n`` belongs to ``track_id``; a track without an artist is a group of its own).

    Returns
    -------
    groups : list of str or None
        One per ``metrics["units"]``; None when there is nothing to group: the scores keep no units
        (runs written before they did), or no artist is known and the units are whole tracks.
    kind : str or None
        ``'artist'`` when some artist is known, ``'track'`` when chunks are grouped by their track.
    """
    units = metrics.get("units")
    if not units:
        return None, None
    tracks = [str(u).split("#", 1)[0] for u in units]
    artist_of = {}
    path = Path(run_dir) / TRACKS_FILE
    if path.is_file():
        recorded = pd.read_csv(path, usecols=lambda c: c in ("track_id", "artist"), dtype=str)
        if "artist" in recorded:
            known = recorded.dropna(subset=["artist"])
            artist_of = dict(zip(known["track_id"], known["artist"].str.strip()))
    if any(artist_of.get(t) for t in tracks):
        return [f"artist:{artist_of[t]}" if artist_of.get(t) else f"track:{t}" for t in tracks], "artist"
    if any(t != str(u) for t, u in zip(tracks, units)):
        return tracks, "track"
    return None, None


def macro_f1_of_confusion(confusion: np.ndarray, averaged: list[int] | None = None) -> np.ndarray:
    """Macro F1 of one confusion matrix ``(k, k)`` or a stack ``(..., k, k)`` (rows true, columns
    predicted), averaged over the class ids ``averaged`` (default all). A class with neither true
    nor predicted units scores 0, as scikit-learn's ``zero_division=0`` does."""
    return _per_class_f1(confusion, averaged)[0].mean(axis=-1)


def resampled_macro_f1(draws: np.ndarray, observed: np.ndarray, averaged: list[int] | None = None) -> np.ndarray:
    """Macro F1 of bootstrap resamples ``draws`` ``(b, k, k)`` of the test set whose confusion matrix
    is ``observed``: the mean F1 over the genres a resample holds, counted for the genres the test
    set holds. A genre the test set holds but a resample lost is left out of that resample's mean
    (counting it as 0 would pull the interval below the score); genres the test set itself lacks
    weigh in at 0, as in its score."""
    f1, ids = _per_class_f1(draws, averaged)
    held = np.asarray(draws).sum(axis=-1)[..., ids] > 0
    held_by_test = int((np.asarray(observed).sum(axis=-1)[ids] > 0).sum())
    mean_held = (f1 * held).sum(axis=-1) / np.maximum(held.sum(axis=-1), 1)
    return mean_held * held_by_test / len(ids)


def _per_class_f1(confusion, averaged) -> tuple[np.ndarray, list[int]]:
    confusion = np.asarray(confusion, dtype=np.float64)
    ids = list(range(confusion.shape[-1])) if averaged is None else list(averaged)
    hits = np.diagonal(confusion, axis1=-2, axis2=-1)[..., ids]
    both = (confusion.sum(axis=-1) + confusion.sum(axis=-2))[..., ids]  # true + predicted = 2 tp + fp + fn
    return np.divide(2 * hits, both, out=np.zeros_like(hits), where=both > 0), ids



def interval_line(metrics: dict, *, run_dir: str | Path | None = None) -> str:
    """The intervals of a score as a report line, e.g. ``'95% intervals (bootstrap over 31 artists):
    accuracy 0.702-0.851, macro F1 0.690-0.843'``; ``run_dir`` (its ``tracks.csv``) groups the units
    (:func:`unit_groups`)."""
    groups, kind = unit_groups(run_dir, metrics) if run_dir is not None else (None, None)
    intervals = score_intervals(metrics, groups=groups)
    accuracy, f1 = (format_interval(intervals[name]) for name in ("accuracy", "macro_f1"))
    if intervals["groups"] is not None:
        return (f"{INTERVAL_LEVEL:.0%} intervals (bootstrap over {intervals['groups']} {kind}s): "
                f"accuracy {accuracy}, macro F1 {f1}")
    unit = metrics.get("unit", "track")
    return f"{INTERVAL_LEVEL:.0%} intervals: accuracy {accuracy} (Wilson), macro F1 {f1} (bootstrap over {unit}s)"


def format_interval(interval, digits: int = 3) -> str:
    """``'0.760-0.881'``; ``'-'`` for an interval that could not be computed."""
    low, high = interval
    return "-" if np.isnan(low) or np.isnan(high) else f"{low:.{digits}f}-{high:.{digits}f}"
