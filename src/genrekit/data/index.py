"""The common track index every dataset loader returns.

A :class:`TrackIndex` is a DataFrame with one row per usable track (columns
:data:`INDEX_COLUMNS`) plus the list of files that were skipped and why. Feature extraction,
splitting, training and ``genrekit data info`` all consume this one shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from genrekit.errors import DatasetError

#: Columns of :attr:`TrackIndex.tracks`. ``artist``, ``title`` and ``split`` may be missing (NA).
INDEX_COLUMNS = ["track_id", "path", "genre", "artist", "title", "split", "dataset"]

#: Values of the ``split`` column.
SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class Problem:
    """A file a loader or batch job skipped, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class TrackIndex:
    """Tracks of one dataset.

    Attributes
    ----------
    name : str
        Dataset name ('gtzan', 'fma-small', 'synthetic', ...), stored in every result.
    tracks : pd.DataFrame
        One row per usable track, columns :data:`INDEX_COLUMNS` (extra columns allowed).
    problems : list of Problem
        Files that were found but skipped (corrupt, missing audio, no genre, ...).
    split_kind : str or None
        How the ``split`` column was filled ('official', 'filtered', 'artist', 'random', ...).
    notes : list of str
        Counts and remarks for reports (e.g. "1,204 tracks without a top genre").
    """

    name: str
    tracks: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    split_kind: str | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.tracks = normalise_tracks(self.tracks, dataset=self.name)

    @property
    def genres(self) -> list[str]:
        """Sorted genre names: the label map (index = class id)."""
        return sorted(self.tracks["genre"].unique().tolist())

    def __len__(self) -> int:
        return len(self.tracks)

    def subset(self, split: str) -> pd.DataFrame:
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        return self.tracks[self.tracks["split"] == split]

    def limit_per_genre(self, n: int | None, *, seed: int = 0) -> "TrackIndex":
        """Keep at most ``n`` tracks per genre (deterministic for ``seed``), for quick runs."""
        if n is None:
            return self
        parts = [g.sample(n=min(n, len(g)), random_state=seed) for _, g in self.tracks.groupby("genre", sort=True)]
        kept = pd.concat(parts).sort_values("track_id") if parts else self.tracks.iloc[:0]
        return TrackIndex(self.name, kept.reset_index(drop=True), list(self.problems), self.split_kind, list(self.notes))


def normalise_tracks(tracks: pd.DataFrame, *, dataset: str) -> pd.DataFrame:
    """Add missing optional columns, check required ones, order columns, make ``track_id`` unique."""
    tracks = tracks.copy()
    for column in ("track_id", "path", "genre"):
        if column not in tracks.columns:
            raise DatasetError(f"track index for {dataset!r} lacks the required column {column!r}")
    for column in ("artist", "title", "split"):
        if column not in tracks.columns:
            tracks[column] = pd.NA
    tracks["dataset"] = dataset
    tracks["track_id"] = tracks["track_id"].astype(str)
    duplicated = tracks["track_id"].duplicated(keep=False)
    if duplicated.any():
        raise DatasetError(f"track index for {dataset!r} has duplicate track ids: {sorted(tracks.loc[duplicated, 'track_id'])[:5]}")
    extra = [c for c in tracks.columns if c not in INDEX_COLUMNS]
    return tracks[INDEX_COLUMNS + extra].reset_index(drop=True)
