"""Data preparation shared by training and re-scoring: dataset, split, features, arrays.

:func:`prepare_index` loads ``config.data.source`` and splits it; :func:`prepare_features` adds the
(cached) features of ``config.features`` and checks that no track sits on two sides;
:meth:`PreparedFeatures.split` turns one split into arrays. ``genrekit train``, ``genrekit
evaluate`` and the network families all prepare data through here, so a run is re-scored on
exactly the data it was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from genrekit.config import ExperimentConfig
from genrekit.data.datasets import load_dataset
from genrekit.data.splits import LEAKY_SPLIT, assign_splits, check_no_leak, leaky_chunk_split
from genrekit.errors import ConfigError, DatasetError
from genrekit.features.extract import extract_dataset


@dataclass
class SplitData:
    """One split as arrays.

    Attributes
    ----------
    X : np.ndarray [shape=(n_rows, n_features), dtype=float64]
        One row per clip or chunk.
    y : np.ndarray [shape=(n_rows,), dtype=int]
        Class ids (indices into the label list).
    groups : np.ndarray [shape=(n_rows,), dtype=str]
        The scoring unit of each row: its track id, or a chunk id under the leaky protocol.
        Rows of one group are aggregated (mean probability) before scoring.
    """

    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def truth(self) -> dict[str, int]:
        """The true class id of every group."""
        return dict(zip(self.groups.tolist(), self.y.tolist()))


@dataclass
class PreparedFeatures:
    """A dataset's feature table with its split, ready for the feature-based models.

    Attributes
    ----------
    dataset : str
        Dataset name (from the track index).
    split_kind : str
        How tracks (or, for the leaky protocol, chunks) were split.
    unit : str
        What a test example is: 'track', or 'chunk' under the leaky protocol.
    chunk_seconds : float or None
        Chunk length when tracks were cut into chunks.
    labels : list of str
        Sorted genre names: the label map.
    feature_columns : list of str
        Feature columns of ``frame``.
    frame : pd.DataFrame
        ``track_id, chunk, start_s, genre, artist, split`` and the features; one row per clip or chunk.
    problems : list
        Files skipped while loading or extracting.
    tracks : pd.DataFrame or None
        The split track index (``track_id``, ``path``, ``genre``, ``split``, ...): what a run
        records as its ``tracks.csv``.
    """

    dataset: str
    split_kind: str
    unit: str
    chunk_seconds: float | None
    labels: list[str]
    feature_columns: list[str]
    frame: pd.DataFrame
    problems: list = field(default_factory=list)
    tracks: pd.DataFrame | None = None

    @property
    def leaky(self) -> bool:
        return self.split_kind == LEAKY_SPLIT

    def split(self, name: str, *, columns: list[str] | None = None, labels: list[str] | None = None) -> SplitData:
        """Rows of split ``name`` as arrays.

        Parameters
        ----------
        name : {'train', 'valid', 'test'}
        columns : list of str, optional
            Feature columns in the order a model expects (default: :attr:`feature_columns`).
        labels : list of str, optional
            Label map for ``y`` (default: :attr:`labels`); a saved model passes its own.
        """
        columns = list(columns or self.feature_columns)
        labels = list(labels or self.labels)
        missing = [c for c in columns if c not in self.frame.columns]
        if missing:
            raise DatasetError(
                f"{self.dataset}: the feature table lacks columns the model was trained on: {missing[:5]} "
                "(were the features extracted with different settings?)"
            )
        rows = self.frame[self.frame["split"] == name]
        X = rows[columns].to_numpy(dtype=np.float64)
        bad = ~np.isfinite(X)
        if bad.any():
            where = [columns[j] for j in np.flatnonzero(bad.any(axis=0))][:5]
            raise DatasetError(f"{self.dataset}: {int(bad.any(axis=1).sum())} {name} rows have non-finite features ({where})")
        index = {label: i for i, label in enumerate(labels)}
        unknown = sorted(set(rows["genre"]) - set(index))
        if unknown:
            raise DatasetError(f"{self.dataset}: genres {unknown} are not in the model's label map {labels}")
        y = rows["genre"].map(index).to_numpy(dtype=int)
        groups = rows["track_id"].astype(str)
        if self.unit == "chunk":
            groups = groups + "#" + rows["chunk"].astype(str)
        return SplitData(X, y, groups.to_numpy(dtype=str))

    def counts(self) -> dict[str, int]:
        """Scoring units (tracks, or chunks when leaky) per split."""
        out = {}
        for name in ("train", "valid", "test"):
            rows = self.frame[self.frame["split"] == name]
            out[name] = len(rows) if self.unit == "chunk" else int(rows["track_id"].nunique())
        return out


def prepare_index(config: ExperimentConfig, *, progress: bool = True):
    """Load ``config.data.source`` and split its tracks as the config says.

    Under the leaky protocol (``data.split = "leaky-chunks"``) tracks get a random split here
    (so track-level code still works) and :func:`prepare_features` re-splits the chunks.

    Returns
    -------
    genrekit.data.index.TrackIndex
        With the ``split`` column filled and ``split_kind`` set.
    """
    data = config.data
    leaky = data.split == LEAKY_SPLIT
    if leaky and not data.chunk_seconds:
        raise ConfigError(
            "data.split = 'leaky-chunks' splits the chunks of each track at random, so it needs "
            "data.chunk_seconds (e.g. --chunk-seconds 3)"
        )
    index = load_dataset(data.source, data=data, progress=progress)  # applies data.limit_per_genre
    return assign_splits(
        index,
        kind=data.split,
        seed=data.seed,
        valid_fraction=data.valid_fraction,
        test_fraction=data.test_fraction,
        split_dir=data.split_dir,
    )


def prepare_features(config: ExperimentConfig, *, progress: bool = True) -> PreparedFeatures:
    """Dataset, split and (cached) hand-crafted features for ``config``.

    Parameters
    ----------
    config : ExperimentConfig
        Uses ``config.data`` and ``config.features``.
    progress : bool
        Show progress bars.

    Returns
    -------
    PreparedFeatures

    Raises
    ------
    DatasetError
        If a track-level split would put chunks of one track on both sides.
    """
    data = config.data
    index = prepare_index(config, progress=progress)
    features = extract_dataset(index, data=data, features=config.features, progress=progress)
    frame = features.frame.copy()
    if data.split == LEAKY_SPLIT:
        split = leaky_chunk_split(
            frame, seed=data.seed, valid_fraction=data.valid_fraction, test_fraction=data.test_fraction
        )
        frame["split"] = np.asarray(split)
        split_kind, unit = LEAKY_SPLIT, "chunk"
    else:
        check_no_leak(frame, group_col="track_id", split_col="split")
        split_kind, unit = index.split_kind or data.split, "track"
    return PreparedFeatures(
        dataset=index.name,
        split_kind=split_kind,
        unit=unit,
        chunk_seconds=data.chunk_seconds,
        labels=index.genres,
        feature_columns=list(features.feature_columns),
        frame=frame,
        problems=list(index.problems) + list(features.problems),
        tracks=index.tracks,
    )
