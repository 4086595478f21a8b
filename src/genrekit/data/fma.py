"""FMA, the Free Music Archive dataset (Defferrard et al., ISMIR 2017).

Layout (as distributed)::

    <root>/fma_metadata/tracks.csv  genres.csv  ...
    <root>/fma_small/000/000002.mp3  ...        (also fma_medium/, fma_large/)

``tracks.csv`` has two header rows (``('set', 'subset')``, ``('track', 'genre_top')``, ...) and a
third row naming the index, ``track_id``. The subsets are nested: medium holds small's tracks,
large holds all. FMA ships its own artist-aware train/validation/test split in ``('set', 'split')``;
the loader keeps it as the ``'official'`` split.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from genrekit.data.folder import check_readable, plural
from genrekit.data.index import Problem, TrackIndex
from genrekit.errors import ConfigError, DatasetError

#: FMA subsets, smallest first; each includes the ones before it.
FMA_SUBSETS = ("small", "medium", "large")

#: tracks.csv columns holding Python-literal lists ("[21, 12]").
_LIST_COLUMNS = [("track", "tags"), ("album", "tags"), ("artist", "tags"), ("track", "genres"), ("track", "genres_all")]

#: FMA's split names -> genrekit's.
_SPLIT_NAMES = {"training": "train", "validation": "valid", "test": "test"}

_REQUIRED = [("set", "subset"), ("set", "split"), ("track", "genre_top")]


def read_tracks_csv(path: str | Path) -> pd.DataFrame:
    """Read FMA's ``tracks.csv``.

    Parameters
    ----------
    path : str or Path
        ``fma_metadata/tracks.csv``.

    Returns
    -------
    pd.DataFrame
        Indexed by integer ``track_id``, with two-level columns (``('set', 'subset')``, ...).
        List columns (``('track', 'genres')``, tags) hold Python lists; ``('set', 'subset')`` is an
        ordered categorical ``small < medium < large``, so ``subset <= 'medium'`` selects medium.

    Raises
    ------
    DatasetError
        If the file is missing or lacks FMA's two header rows and required columns.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise DatasetError(f"{path}: FMA tracks.csv not found")
    try:
        tracks = pd.read_csv(path, index_col=0, header=[0, 1], low_memory=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DatasetError(f"{path}: not FMA's tracks.csv (two header rows expected): {exc}") from None
    missing = [c for c in _REQUIRED if c not in tracks.columns]
    if missing:
        raise DatasetError(f"{path}: not FMA's tracks.csv: missing columns {missing}")
    try:
        tracks.index = tracks.index.astype(int)
    except (TypeError, ValueError):
        raise DatasetError(f"{path}: the first column must hold integer track ids") from None
    tracks.index.name = "track_id"
    for column in _LIST_COLUMNS:
        if column in tracks.columns:
            tracks[column] = tracks[column].map(lambda v: ast.literal_eval(v) if isinstance(v, str) else [])
    unknown = set(tracks[("set", "subset")].dropna()) - set(FMA_SUBSETS)
    if unknown:
        raise DatasetError(f"{path}: unknown subsets {sorted(unknown)} in ('set', 'subset')")
    tracks[("set", "subset")] = tracks[("set", "subset")].astype(pd.CategoricalDtype(FMA_SUBSETS, ordered=True))
    return tracks


def read_genres_csv(path: str | Path) -> pd.DataFrame:
    """Read FMA's ``genres.csv``: indexed by ``genre_id``, columns ``#tracks, parent, title, top_level``.

    Raises
    ------
    DatasetError
        If the file is missing or has no ``title`` column.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise DatasetError(f"{path}: FMA genres.csv not found")
    genres = pd.read_csv(path, index_col=0)
    if "title" not in genres.columns:
        raise DatasetError(f"{path}: not FMA's genres.csv (no 'title' column)")
    genres.index.name = "genre_id"
    return genres


def fma_audio_path(audio_dir: str | Path, track_id: int) -> Path:
    """``<audio_dir>/<first 3 digits>/<6-digit id>.mp3``, e.g. 2 -> ``000/000002.mp3``."""
    tid = f"{int(track_id):06d}"
    return Path(audio_dir) / tid[:3] / f"{tid}.mp3"


def load_fma(
    root: str | Path,
    *,
    subset: str = "small",
    metadata_dir: str | Path | None = None,
    audio_dir: str | Path | None = None,
    check_audio: bool = False,
    progress: bool = False,
) -> TrackIndex:
    """Index one FMA subset, keeping FMA's own split.

    Parameters
    ----------
    root : str or Path
        Folder holding ``fma_metadata/`` and ``fma_<subset>/``.
    subset : {'small', 'medium', 'large'}
        Which subset; medium includes small's tracks, large includes all.
    metadata_dir, audio_dir : str or Path or None
        Override ``root/'fma_metadata'`` and ``root/f'fma_{subset}'``.
    check_audio : bool
        Also read each mp3's header and skip unreadable ones (FMA has a few empty or truncated
        files). Off by default: it takes a while on the larger subsets.
    progress : bool
        Show progress bars.

    Returns
    -------
    TrackIndex
        Named ``'fma-<subset>'``; ``track_id`` is the 6-digit file stem (``'000002'``), ``genre``
        is FMA's top genre, ``split`` is set (``split_kind='official'``). Extra column ``subset``.
        Tracks without a top genre or without an audio file are dropped and listed in
        ``problems`` and counted in ``notes``.

    Raises
    ------
    ConfigError
        For an unknown subset.
    DatasetError
        If the metadata or the audio folder is missing.
    """
    if subset not in FMA_SUBSETS:
        raise ConfigError(f"unknown FMA subset {subset!r}; choose one of {', '.join(FMA_SUBSETS)}")
    root = Path(root).expanduser()
    metadata_dir = Path(metadata_dir).expanduser() if metadata_dir is not None else root / "fma_metadata"
    audio_dir = Path(audio_dir).expanduser() if audio_dir is not None else root / f"fma_{subset}"
    if not (metadata_dir / "tracks.csv").is_file():
        raise DatasetError(f"{metadata_dir}: no tracks.csv (unzip fma_metadata.zip there)")
    if not audio_dir.is_dir():
        raise DatasetError(f"{audio_dir}: FMA audio folder for subset {subset!r} not found (unzip fma_{subset}.zip)")
    audio_dir = audio_dir.resolve()

    tracks = read_tracks_csv(metadata_dir / "tracks.csv")
    chosen = tracks[tracks[("set", "subset")] <= subset]
    name = f"fma-{subset}"
    frame = pd.DataFrame(
        {
            "track_id": [f"{tid:06d}" for tid in chosen.index],
            "path": [str(fma_audio_path(audio_dir, tid)) for tid in chosen.index],
            "genre": chosen[("track", "genre_top")].to_numpy(dtype=object),
            "artist": _column(chosen, ("artist", "name")),
            "title": _column(chosen, ("track", "title")),
            "split": chosen[("set", "split")].map(_SPLIT_NAMES).to_numpy(dtype=object),
            "subset": chosen[("set", "subset")].astype(str).to_numpy(dtype=object),
        }
    )
    problems: list[Problem] = []
    notes = [f"{plural(len(frame), 'track')} in FMA {subset} (tracks.csv)"]

    no_genre = frame["genre"].isna()
    for path in frame.loc[no_genre, "path"]:
        problems.append(Problem(path, "no top genre in tracks.csv; skipped"))
    if no_genre.any():
        notes.append(f"{plural(int(no_genre.sum()), 'track')} without a top genre dropped")
    frame = frame[~no_genre]

    exists = [Path(p).is_file() for p in tqdm(frame["path"], desc=f"finding {name} audio", unit="file", disable=not progress)]
    missing = frame.loc[[not e for e in exists], "path"]
    for path in missing:
        problems.append(Problem(path, "audio file missing; skipped"))
    if len(missing):
        notes.append(f"{plural(len(missing), 'track')} without an audio file dropped")
    frame = frame[exists].reset_index(drop=True)

    if check_audio:
        frame, bad = check_readable(frame, progress=progress, what=name)
        problems.extend(bad)
        if bad:
            notes.append(f"{plural(len(bad), 'unreadable audio file')} dropped")
    no_split = frame["split"].isna()
    if no_split.any():
        notes.append(f"{plural(int(no_split.sum()), 'track')} without an official split")
    notes.append(f"{plural(len(frame), 'usable track')} in {plural(frame['genre'].nunique(), 'top genre')}")
    return TrackIndex(name, frame, problems=problems, split_kind="official", notes=notes)


def _column(frame: pd.DataFrame, column: tuple[str, str]):
    if column not in frame.columns:
        return pd.NA
    return frame[column].astype(object).where(frame[column].notna(), pd.NA).to_numpy(dtype=object)
