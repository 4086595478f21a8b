"""Label noise and multi-genre tracks: which tracks' given genre does a model doubt, and are they the known ones?

A genre label is one word for a track that may mix several styles (FMA's ``genres_all``, the
synthetic set's crossover clips) or be plainly wrong (Sturm 2012 and 2013 catalogue GTZAN's
mislabellings, repetitions and distortions; the fault-filtered split of Kereliuk, Sturm & Larsen
2015 leaves those clips out). The approach is the "self-confidence" ranking of confident learning
(Northcutt, Jiang & Chuang 2021): every track gets genre probabilities from a model that never saw
it, and tracks whose given genre gets a low probability are the suspects.

* :func:`out_of_fold_proba` -- cross-validated probabilities of a standardised logistic regression,
  folds grouped (by artist, else by track) so that no artist's other tracks teach the model the
  answer for a held-out track;
* :func:`find_suspects` -- the same on a feature table (one row per clip or chunk), averaged per
  track and ranked from most to least suspect;
* :func:`known_label_issues` -- the tracks of an index whose single label is known to be
  questionable: synthetic crossovers, FMA tracks whose genres span several root genres, GTZAN clips
  left out of the fault-filtered split;
* :func:`suspect_precision` -- how many of the top-k suspects are known issues, against the base rate
  a random list would reach;
* :func:`fma_genre_spread` and :func:`gtzan_fault_filtered_out` -- the metadata behind the last two.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from genrekit.data.fma import read_genres_csv, read_tracks_csv
from genrekit.data.index import TrackIndex
from genrekit.data.splits import FILTERED_FILES
from genrekit.data.synth import MANIFEST_NAME, synthetic_crossovers
from genrekit.errors import ConfigError, DatasetError

#: Columns of :func:`find_suspects`, in order.
SUSPECT_COLUMNS = [
    "rank", "track_id", "artist", "genre", "given_proba", "predicted", "predicted_proba", "alternative", "alternative_proba",
]

#: Columns of :func:`known_label_issues`.
ISSUE_COLUMNS = ["track_id", "genre", "issue", "other_genre"]

#: Columns of :func:`suspect_precision`.
PRECISION_COLUMNS = ["k", "hits", "precision", "recall", "base_rate", "lift"]

# Values of the ``issue`` column of known_label_issues.
CROSSOVER = "crossover"
SECOND_ROOT = "genres under another root genre"
FAULT_FILTERED = "left out of the fault-filtered split"

# GTZAN numbers its clips 00000-00099 in every genre.
_GTZAN_CLIPS_PER_GENRE = 100


def out_of_fold_proba(
    X: np.ndarray,
    y: np.ndarray,
    *,
    groups: Sequence | None = None,
    n_classes: int | None = None,
    n_splits: int = 5,
    C: float = 0.1,
    seed: int = 0,
) -> np.ndarray:
    """Class probabilities of every row from a logistic regression that never saw its group.

    The rows are divided into ``n_splits`` folds, stratified by class and with every group inside
    one fold (scikit-learn's ``StratifiedGroupKFold``); each fold is scored by a standardised
    multinomial logistic regression trained on the other folds.

    Parameters
    ----------
    X : np.ndarray [shape=(n_rows, n_features)]
        Features; must be finite.
    y : np.ndarray [shape=(n_rows,), dtype=int]
        Class ids in ``[0, n_classes)``.
    groups : sequence [shape=(n_rows,)], optional
        Rows of one group (an artist, or the chunks of one track) never sit on both sides of a
        fold; None makes every row its own group.
    n_classes : int, optional
        Number of classes (default ``y.max() + 1``).
    n_splits : int
        Number of folds, at least 2 and at most the number of groups.
    C : float
        Inverse L2 regularisation strength of the logistic regression.
    seed : int
        Seed of the fold assignment.

    Returns
    -------
    np.ndarray [shape=(n_rows, n_classes), dtype=float64]
        Rows sum to 1. A class absent from a fold's training rows gets probability 0 in that fold.

    Raises
    ------
    ConfigError
        For mismatched lengths, non-finite features, bad class ids, or fewer groups than folds.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise ConfigError(f"X must be (n_rows, n_features) and y (n_rows,), got shapes {X.shape} and {y.shape}")
    if not np.isfinite(X).all():
        raise ConfigError(f"X holds non-finite values in {int((~np.isfinite(X)).any(axis=1).sum())} rows")
    if len(y) == 0 or not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise ConfigError("y must hold non-negative integer class ids")
    n_classes = int(y.max()) + 1 if n_classes is None else int(n_classes)
    if y.max() >= n_classes:
        raise ConfigError(f"y holds class id {int(y.max())}, but n_classes is {n_classes}")
    groups = np.arange(len(y)) if groups is None else np.asarray(groups)
    if len(groups) != len(y):
        raise ConfigError(f"groups has {len(groups)} entries for {len(y)} rows")
    n_groups = len(pd.unique(groups))
    if not 2 <= n_splits <= n_groups:
        raise ConfigError(f"n_splits must be between 2 and the number of groups ({n_groups}), got {n_splits}")

    proba = np.zeros((len(y), n_classes))
    folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        # a fold may hold a single member of a rare class (sklearn warns), and lbfgs may stop a little short
        # of convergence at max_iter; neither changes the ranking this is for
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        for train, test in folds.split(X, y, groups):
            model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))
            model.fit(X[train], y[train])
            proba[np.ix_(test, model[-1].classes_)] = model.predict_proba(X[test])
    return proba


def find_suspects(
    frame: pd.DataFrame,
    *,
    feature_columns: Sequence[str],
    labels: Sequence[str] | None = None,
    group_column: str | None = "artist",
    n_splits: int = 5,
    C: float = 0.1,
    seed: int = 0,
) -> pd.DataFrame:
    """Rank the tracks of a feature table by how little an out-of-fold model believes their genre.

    Parameters
    ----------
    frame : pd.DataFrame
        One row per clip or chunk, with ``track_id``, ``genre``, the ``feature_columns`` and
        optionally ``group_column`` (e.g. :attr:`genrekit.features.extract.FeatureSet.frame`).
    feature_columns : sequence of str
        Feature columns to use.
    labels : sequence of str, optional
        Label map (default: the sorted genres of ``frame``).
    group_column : str or None
        Column grouping rows into folds (default ``'artist'``); rows where it is missing, or every
        row when it is None or absent, are grouped by ``track_id``, so chunks of a track share a fold.
    n_splits, C, seed
        See :func:`out_of_fold_proba`.

    Returns
    -------
    pd.DataFrame
        One row per track, columns :data:`SUSPECT_COLUMNS`, sorted by ``given_proba`` (lowest first;
        ``rank`` 1 is the most suspect). ``given_proba`` is the out-of-fold probability of the given
        genre (mean over the track's chunks); ``predicted`` the most probable genre;
        ``alternative`` the most probable genre other than the given one.

    Raises
    ------
    DatasetError
        If columns are missing, a feature is non-finite, or a genre is not in ``labels``.
    ConfigError
        See :func:`out_of_fold_proba`.
    """
    feature_columns = list(feature_columns)
    missing = [c for c in ["track_id", "genre", *feature_columns] if c not in frame.columns]
    if missing:
        raise DatasetError(f"feature table lacks the columns {missing[:5]}")
    X = frame[feature_columns].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        raise DatasetError(f"{int(bad.sum())} feature rows are non-finite, e.g. track {frame.loc[bad, 'track_id'].iloc[0]}")
    labels = sorted(frame["genre"].astype(str).unique()) if labels is None else list(labels)
    class_of = {g: i for i, g in enumerate(labels)}
    unknown = sorted(set(frame["genre"].astype(str)) - set(class_of))
    if unknown:
        raise DatasetError(f"genres {unknown} are not in the label map {labels}")
    track_ids = frame["track_id"].astype(str).to_numpy()
    groups = "track:" + pd.Series(track_ids, index=frame.index)
    if group_column is not None and group_column in frame.columns:
        known = frame[group_column].notna()
        groups[known] = "group:" + frame.loc[known, group_column].astype(str)
    y = frame["genre"].astype(str).map(class_of).to_numpy()
    proba = out_of_fold_proba(X, y, groups=groups.to_numpy(), n_classes=len(labels), n_splits=n_splits, C=C, seed=seed)

    per_track = pd.DataFrame(proba, columns=labels).groupby(track_ids, sort=False).mean()
    first = frame.assign(track_id=track_ids).drop_duplicates("track_id").set_index("track_id")
    values = per_track.to_numpy()
    given = first.loc[per_track.index, "genre"].astype(str).map(class_of).to_numpy()
    rows = np.arange(len(values))
    others = values.copy()
    others[rows, given] = -np.inf
    alternative = others.argmax(axis=1)
    predicted = values.argmax(axis=1)
    artist = first.loc[per_track.index, "artist"].to_numpy(dtype=object) if "artist" in first.columns else pd.NA
    table = pd.DataFrame({
        "track_id": per_track.index.to_numpy(),
        "artist": artist,
        "genre": [labels[i] for i in given],
        "given_proba": values[rows, given],
        "predicted": [labels[i] for i in predicted],
        "predicted_proba": values[rows, predicted],
        "alternative": [labels[i] for i in alternative],
        "alternative_proba": values[rows, alternative],
    })
    table = table.sort_values(["given_proba", "track_id"], kind="stable").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table[SUSPECT_COLUMNS]


def suspect_precision(suspects: pd.DataFrame, known: Iterable[str], *, ks: Iterable[int] | None = None) -> pd.DataFrame:
    """How many of the top-k suspects are known label issues, against a random list's base rate.

    Parameters
    ----------
    suspects : pd.DataFrame
        :func:`find_suspects`'s table (``rank`` and ``track_id`` are used).
    known : iterable of str
        Track ids known to have a questionable label (e.g. ``known_label_issues(...)["track_id"]``);
        ids not among the suspects are ignored.
    ks : iterable of int, optional
        List lengths to score (default: 10, 20, 50 and the number of known issues, those not
        above the number of tracks).

    Returns
    -------
    pd.DataFrame
        Columns :data:`PRECISION_COLUMNS`, one row per k: ``hits`` known issues among the top k,
        ``precision`` = hits / k, ``recall`` = hits / known issues (NaN without any),
        ``base_rate`` = known issues / tracks (a random list's expected precision) and
        ``lift`` = precision / base_rate (NaN when the base rate is 0).

    Raises
    ------
    ConfigError
        For k outside ``[1, n_tracks]``.
    """
    ordered = suspects.sort_values("rank")["track_id"].astype(str).to_numpy()
    n = len(ordered)
    known_set = set(map(str, known)) & set(ordered)
    if ks is None:
        ks = sorted({k for k in (10, 20, 50, len(known_set)) if 1 <= k <= n})
    ks = [int(k) for k in ks]
    bad = [k for k in ks if not 1 <= k <= n]
    if bad:
        raise ConfigError(f"k must be between 1 and the number of tracks ({n}), got {bad[:5]}")
    hits = np.cumsum([t in known_set for t in ordered])
    base = len(known_set) / n if n else float("nan")
    rows = []
    for k in ks:
        h = int(hits[k - 1])
        precision = h / k
        rows.append({
            "k": k, "hits": h, "precision": precision,
            "recall": h / len(known_set) if known_set else float("nan"),
            "base_rate": base, "lift": precision / base if base > 0 else float("nan"),
        })
    return pd.DataFrame(rows, columns=PRECISION_COLUMNS)


def known_label_issues(
    index: TrackIndex, *, split_dir: str | Path | None = None, fma_metadata: str | Path | None = None
) -> pd.DataFrame:
    """The tracks of an index whose single genre label is known to be questionable, and why.

    ===============  ==========================================================================
    dataset          known issues
    ===============  ==========================================================================
    synthetic set    crossover clips (:func:`genrekit.data.synth.synthetic_crossovers`): their
                     arrangement is a neighbouring genre's; ``other_genre`` names it. Recognised
                     by the generator's manifest, whatever the index is named
    ``fma-*``        tracks whose ``genres_all`` reach a root genre besides their top genre
                     (:func:`fma_genre_spread`); ``other_genre`` lists those roots
    ``gtzan``        with ``split_dir``: clips the fault-filtered split leaves out (Sturm's
                     repetitions, mislabellings and distortions; :func:`gtzan_fault_filtered_out`)
    other            none known: an empty table
    ===============  ==========================================================================

    Parameters
    ----------
    index : TrackIndex
        Tracks as loaded by :func:`genrekit.data.datasets.load_dataset`.
    split_dir : str or Path, optional
        Folder with GTZAN's ``*_filtered.txt`` lists (see :mod:`genrekit.data.splits`).
    fma_metadata : str or Path, optional
        FMA's ``fma_metadata/`` folder (default: next to the audio folder of the tracks).

    Returns
    -------
    pd.DataFrame
        Columns :data:`ISSUE_COLUMNS`, one row per affected track of ``index``.

    Raises
    ------
    DatasetError
        If the metadata these need cannot be found or read.
    """
    tracks = index.tracks
    genre_of = dict(zip(tracks["track_id"].astype(str), tracks["genre"].astype(str)))
    rows: list[dict] = []
    # a generated set: <root>/genres_original/<genre>/<clip>.wav beside <root>/synthetic.json
    parents = Path(tracks["path"].iloc[0]).parents if len(tracks) else []
    root = parents[2] if len(parents) > 2 else None
    if root is not None and (root / MANIFEST_NAME).is_file():
        for track_id, other in synthetic_crossovers(root).items():
            if other and track_id in genre_of:
                rows.append({"track_id": track_id, "genre": genre_of[track_id], "issue": CROSSOVER, "other_genre": other})
    elif index.name.startswith("fma") and (root is not None or fma_metadata is not None):
        # <root>/fma_<subset>/<ddd>/<dddddd>.mp3, with <root>/fma_metadata beside the audio folder
        metadata = Path(fma_metadata) if fma_metadata is not None else root / "fma_metadata"
        spread = fma_genre_spread(metadata)
        spread = spread[spread["track_id"].isin(genre_of.keys())]
        for row in spread.itertuples(index=False):
            others = [r for r in row.roots if r != genre_of[row.track_id]]
            if others:
                rows.append({"track_id": row.track_id, "genre": genre_of[row.track_id], "issue": SECOND_ROOT,
                             "other_genre": ", ".join(others)})
    elif index.name == "gtzan" and split_dir is not None:
        left_out = gtzan_fault_filtered_out(split_dir)
        for track_id in left_out["track_id"]:
            if track_id in genre_of:
                rows.append({"track_id": track_id, "genre": genre_of[track_id], "issue": FAULT_FILTERED, "other_genre": pd.NA})
    return pd.DataFrame(rows, columns=ISSUE_COLUMNS)


def fma_genre_spread(metadata_dir: str | Path) -> pd.DataFrame:
    """Every FMA track's genres (``genres_all``) and the root genres they belong to.

    Parameters
    ----------
    metadata_dir : str or Path
        FMA's ``fma_metadata/`` folder (``tracks.csv`` and ``genres.csv``).

    Returns
    -------
    pd.DataFrame
        One row per track of ``tracks.csv``: ``track_id`` (6 digits, as the loader names it),
        ``genre_top`` (NA where FMA gives none), ``genres`` (tuple of the titles in
        ``genres_all``), ``roots`` (sorted tuple of the titles of their root genres),
        ``n_genres`` and ``n_roots``.

    Raises
    ------
    DatasetError
        If a file is missing or not FMA's, or ``genres_all`` names a genre ``genres.csv`` lacks.
    """
    metadata_dir = Path(metadata_dir).expanduser()
    tracks = read_tracks_csv(metadata_dir / "tracks.csv")
    genres = read_genres_csv(metadata_dir / "genres.csv")
    if ("track", "genres_all") not in tracks.columns:
        raise DatasetError(f"{metadata_dir / 'tracks.csv'}: no ('track', 'genres_all') column")
    if "top_level" not in genres.columns:
        raise DatasetError(f"{metadata_dir / 'genres.csv'}: no 'top_level' column")
    title = genres["title"].astype(str).to_dict()
    root = genres["top_level"].to_dict()
    listed = tracks[("track", "genres_all")]
    unknown = sorted({g for ids in listed for g in ids} - set(title))
    if unknown:
        raise DatasetError(f"{metadata_dir / 'tracks.csv'}: genres_all names genre ids missing from genres.csv: {unknown[:5]}")
    names = [tuple(title[g] for g in ids) for ids in listed]
    roots = [tuple(sorted({title[int(root[g])] for g in ids})) for ids in listed]
    top = tracks[("track", "genre_top")]
    return pd.DataFrame({
        "track_id": [f"{int(t):06d}" for t in tracks.index],
        "genre_top": top.astype(object).where(top.notna(), pd.NA).to_numpy(dtype=object),
        "genres": names,
        "roots": roots,
        "n_genres": [len(n) for n in names],
        "n_roots": [len(r) for r in roots],
    })


def gtzan_fault_filtered_out(split_dir: str | Path) -> pd.DataFrame:
    """The GTZAN clips that the fault-filtered split (Kereliuk, Sturm & Larsen 2015) leaves out.

    GTZAN has 100 clips per genre (``<genre>.00000`` to ``<genre>.00099``); the lists name the
    clips kept, so the rest are the repetitions, mislabellings and distortions Sturm catalogued.

    Parameters
    ----------
    split_dir : str or Path
        Folder with ``train_filtered.txt``, ``valid_filtered.txt`` and ``test_filtered.txt``
        (lines like ``blues/blues.00029.wav``).

    Returns
    -------
    pd.DataFrame
        Columns ``track_id`` (``'pop.00012'``) and ``genre``, in genre then clip order.

    Raises
    ------
    DatasetError
        If a list is missing or a line is not ``<genre>/<genre>.NNNNN.<ext>``.
    """
    split_dir = Path(split_dir).expanduser()
    kept: set[str] = set()
    genres: set[str] = set()
    for filename in FILTERED_FILES.values():
        path = split_dir / filename
        if not path.is_file():
            raise DatasetError(f"{path}: not found (the fault-filtered GTZAN split lists)")
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            stem = Path(line.strip().replace("\\", "/")).stem
            genre, dot, clip = stem.partition(".")
            if not dot or not clip.isdigit():
                raise DatasetError(f"{path}:{number}: expected '<genre>/<genre>.NNNNN.wav', got {line.strip()!r}")
            kept.add(stem)
            genres.add(genre)
    rows = [
        {"track_id": f"{g}.{i:05d}", "genre": g}
        for g in sorted(genres)
        for i in range(_GTZAN_CLIPS_PER_GENRE)
        if f"{g}.{i:05d}" not in kept
    ]
    return pd.DataFrame(rows, columns=["track_id", "genre"])
