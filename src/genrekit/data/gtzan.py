"""GTZAN (Tzanetakis & Cook 2002): 1,000 30-second clips, 100 in each of 10 genres.

Two layouts are in circulation, and both are read here:

* the original tarball: ``genres/<genre>/<genre>.000NN.au`` (22,050 Hz mono Sun audio);
* the Kaggle copy: ``genres_original/<genre>/<genre>.000NN.wav``, often under ``Data/``.

The genre comes from the folder, the track id is the file stem (``'jazz.00054'``). Common copies
hold a clip that cannot be opened (``jazz.00054.wav`` in the Kaggle copy); with ``check_audio`` the
loader reads every header and lists such files in :attr:`TrackIndex.problems` instead of failing.

GTZAN has no artist column. Sturm (2012) identified the artist and title of most clips; pass his
``GTZANindex.txt`` as ``artist_index`` to get them, which artist-conditional splits need.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from genrekit.data.audio import is_audio_file
from genrekit.data.folder import check_readable, plural
from genrekit.data.index import Problem, TrackIndex
from genrekit.errors import DatasetError

#: The ten GTZAN genres, in the label order of the original release.
GTZAN_GENRES = ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")

#: Folders that hold the genre folders, in the order they are looked for under a dataset root.
_GENRES_DIR_CANDIDATES = ("genres", "genres_original", "Data/genres_original", "data/genres_original")

# '<genre>.<clip number>'; the genre part is whatever the folder is called (the synthetic set
# uses its own genre names in the same layout).
_CLIP_STEM = re.compile(r"^(?P<prefix>[^.]+)\.(?P<number>\d+)$")


def find_gtzan_genres_dir(root: str | Path) -> Path:
    """Find the folder whose sub-folders are the genres.

    Parameters
    ----------
    root : str or Path
        The dataset root (holding ``genres/``, ``genres_original/`` or ``Data/genres_original/``),
        or the genres folder itself.

    Returns
    -------
    Path
        The folder holding ``<genre>/<genre>.000NN.<ext>``.

    Raises
    ------
    DatasetError
        If ``root`` does not exist or holds none of these layouts.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DatasetError(f"{root}: GTZAN folder not found")
    for candidate in _GENRES_DIR_CANDIDATES:
        if (root / candidate).is_dir():
            return root / candidate
    if _has_clip_folders(root):
        return root
    raise DatasetError(
        f"{root}: not a GTZAN folder. Expected genres/<genre>/<genre>.000NN.au (original release), "
        "genres_original/<genre>/<genre>.000NN.wav or Data/genres_original/... (Kaggle copy), "
        "or the genres folder itself"
    )


def _has_clip_folders(folder: Path) -> bool:
    """True if some sub-folder holds a file named like '<subfolder>.000NN.<audio ext>'."""
    for sub in _genre_folders(folder):
        for f in sub.iterdir():
            match = _CLIP_STEM.match(f.stem)
            if match and match["prefix"] == sub.name and is_audio_file(f):
                return True
    return False


def _genre_folders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def read_sturm_index(path: str | Path) -> pd.DataFrame:
    """Read Sturm's GTZAN artist/title index.

    The file has ``##`` comment lines, then one line per clip:
    ``blues.00000.wav ::: John Lee Hooker ::: One Bourbon, One Scotch And One Beer``.
    Artist or title are empty where the clip was not identified.

    Parameters
    ----------
    path : str or Path
        The index file (``GTZANindex.txt``).

    Returns
    -------
    pd.DataFrame
        Columns ``track_id`` (the clip stem, ``'blues.00000'``), ``artist`` and ``title``
        (``pd.NA`` where unknown), one row per clip, in file order.

    Raises
    ------
    DatasetError
        If the file is missing, a line lacks the ``:::`` separator, or a clip is listed twice.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise DatasetError(f"{path}: artist index not found")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if ":::" not in line:
            raise DatasetError(f"{path}, line {number}: expected 'clip ::: artist ::: title', got {line[:80]!r}")
        parts = [part.strip() for part in line.split(":::")]
        parts += [""] * (3 - len(parts))
        clip, artist, title = parts[0], parts[1], ":::".join(parts[2:]).strip()
        rows.append((_clip_id(clip), artist or pd.NA, title or pd.NA))
    frame = pd.DataFrame(rows, columns=["track_id", "artist", "title"], dtype=object)
    duplicated = frame["track_id"].duplicated()
    if duplicated.any():
        raise DatasetError(f"{path}: clips listed more than once: {frame.loc[duplicated, 'track_id'].tolist()[:5]}")
    return frame


def _clip_id(name: str) -> str:
    """'blues/blues.00000.wav' or 'blues.00000.au' -> 'blues.00000'."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = base.rpartition(".")
    return stem if dot and not suffix.isdigit() else base


def load_gtzan(
    root: str | Path,
    *,
    artist_index: str | Path | None = None,
    check_audio: bool = True,
    progress: bool = False,
    name: str = "gtzan",
) -> TrackIndex:
    """Index a GTZAN copy (or anything in its layout, like the synthetic set).

    Parameters
    ----------
    root : str or Path
        See :func:`find_gtzan_genres_dir`.
    artist_index : str or Path or None
        Sturm's ``GTZANindex.txt`` (see :func:`read_sturm_index`); fills ``artist`` and ``title``.
    check_audio : bool
        Read every file's header and skip unreadable or empty ones (listed in ``problems``).
    progress : bool
        Show a progress bar while checking headers.
    name : str
        Dataset name stored in the index.

    Returns
    -------
    TrackIndex
        One row per usable clip: ``track_id`` = file stem, ``genre`` = folder name, ``path``
        absolute; ``split`` empty.

    Raises
    ------
    DatasetError
        If the layout is not found or no clip is found in it.
    """
    genres_dir = find_gtzan_genres_dir(root).resolve()
    rows, problems, notes = [], [], []
    ignored = mismatched = 0
    for folder in _genre_folders(genres_dir):
        for f in sorted(folder.iterdir()):
            if not f.is_file() or not is_audio_file(f):
                ignored += f.is_file() and not f.name.startswith(".")
                continue
            match = _CLIP_STEM.match(f.stem)
            if match is None:
                problems.append(Problem(str(f), "not a GTZAN clip name ('<genre>.000NN.<ext>'); skipped"))
                continue
            mismatched += match["prefix"] != folder.name
            rows.append({"track_id": f.stem, "path": str(f), "genre": folder.name})
    if not rows:
        raise DatasetError(f"{genres_dir}: no '<genre>/<genre>.000NN.<ext>' audio files found")

    tracks = pd.DataFrame(rows)
    duplicated = tracks["track_id"].duplicated(keep=False)
    if duplicated.any():
        # the same clip in two formats (blues.00000.au next to blues.00000.wav): keep the first
        first = ~tracks["track_id"].duplicated(keep="first")
        for path in tracks.loc[duplicated & ~first, "path"]:
            problems.append(Problem(path, "another file with the same clip id was already indexed; skipped"))
        tracks = tracks[first].reset_index(drop=True)
    if check_audio:
        tracks, bad = check_readable(tracks, progress=progress, what=name)
        problems.extend(bad)

    notes.append(f"{plural(len(tracks), 'clip')} in {plural(tracks['genre'].nunique(), 'genre')} from {genres_dir}")
    if problems:
        notes.append(f"{plural(len(problems), 'file')} skipped (see problems)")
    if ignored:
        notes.append(f"{plural(ignored, 'non-audio file')} ignored")
    if mismatched:
        notes.append(f"{plural(mismatched, 'clip')} named after another genre than its folder; the folder was used")
    if artist_index is not None:
        tracks = _join_artists(tracks, read_sturm_index(artist_index), notes, source=Path(artist_index).name)
    return TrackIndex(name, tracks, problems=problems, notes=notes)


def _join_artists(tracks: pd.DataFrame, index: pd.DataFrame, notes: list[str], *, source: str) -> pd.DataFrame:
    merged = tracks.merge(index, on="track_id", how="left", validate="one_to_one")
    unmatched = int((~tracks["track_id"].isin(index["track_id"])).sum())
    known = int(merged["artist"].notna().sum())
    notes.append(f"artist known for {known:,} of {plural(len(merged), 'clip')} ({source})")
    if unmatched:
        notes.append(f"{plural(unmatched, 'clip')} not listed in {source}")
    return merged
