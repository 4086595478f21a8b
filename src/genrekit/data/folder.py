"""Any folder of audio whose sub-folder names are the genres (like Hugging Face's ``audiofolder``).

::

    my_music/
        jazz/  take_five.mp3  live/so_what.flac
        rock/  song.ogg

Files nested deeper inside a genre folder belong to that genre. Files that cannot be read are
listed in :attr:`TrackIndex.problems`, never raised, so one bad file does not stop a collection.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from genrekit.data.audio import audio_info, is_audio_file
from genrekit.data.index import Problem, TrackIndex
from genrekit.errors import AudioError, DatasetError


def load_folder(
    root: str | Path,
    *,
    name: str | None = None,
    check_audio: bool = True,
    progress: bool = False,
) -> TrackIndex:
    """Index a folder of genre sub-folders.

    Parameters
    ----------
    root : str or Path
        Folder whose immediate sub-folders are genres; hidden folders (``.x``) are skipped.
    name : str or None
        Dataset name (default: the folder's name).
    check_audio : bool
        Read every file's header and skip unreadable or empty ones (listed in ``problems``).
    progress : bool
        Show a progress bar while checking headers.

    Returns
    -------
    TrackIndex
        ``track_id`` is the path below ``root`` without suffix (``'jazz/live/so_what'``), so
        files with the same name in different folders stay distinct.

    Raises
    ------
    DatasetError
        If ``root`` is missing or no genre folder holds an audio file.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DatasetError(f"{root}: folder not found")
    root = root.resolve()
    name = name or root.name
    rows, notes, problems = [], [], []
    loose = sum(1 for f in root.iterdir() if f.is_file() and is_audio_file(f))
    other = 0
    for genre_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for f in sorted(genre_dir.rglob("*")):
            if not f.is_file() or _hidden(f.relative_to(genre_dir)):
                continue
            if not is_audio_file(f):
                other += 1
                continue
            track_id = f.relative_to(root).with_suffix("").as_posix()
            rows.append({"track_id": track_id, "path": str(f), "genre": genre_dir.name})
    if not rows:
        raise DatasetError(
            f"{root}: no audio files in genre sub-folders (expected {root}/<genre>/<file>.wav|.mp3|.flac|...)"
        )
    tracks = pd.DataFrame(rows)
    duplicated = tracks["track_id"].duplicated(keep="first")
    for path in tracks.loc[duplicated, "path"]:
        # 'song.mp3' next to 'song.flac': one recording, two encodings
        problems.append(Problem(path, "same name as another file in this folder (different format); skipped"))
    tracks = tracks[~duplicated].reset_index(drop=True)
    if check_audio:
        tracks, bad = check_readable(tracks, progress=progress, what=name)
        problems.extend(bad)

    notes.append(f"{plural(len(tracks), 'file')} in {plural(tracks['genre'].nunique(), 'genre folder')} under {root}")
    if problems:
        notes.append(f"{plural(len(problems), 'file')} skipped (see problems)")
    if loose:
        notes.append(f"{plural(loose, 'audio file')} directly under {root} ignored: not in a genre folder")
    if other:
        notes.append(f"{plural(other, 'non-audio file')} ignored")
    return TrackIndex(name, tracks, problems=problems, notes=notes)


def plural(n: int, noun: str) -> str:
    """'1 file', '2 files', '1,204 tracks' (for notes)."""
    return f"{n:,} {noun if n == 1 else noun + 's'}"


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def check_readable(
    tracks: pd.DataFrame, *, progress: bool = False, what: str = "dataset"
) -> tuple[pd.DataFrame, list[Problem]]:
    """Keep the rows of ``tracks`` whose ``path`` has a readable, non-empty audio header.

    Only headers are read (:func:`~genrekit.data.audio.audio_info`), so this is fast even for
    thousands of files. Shared by every loader.

    Returns
    -------
    kept : pd.DataFrame
        The readable rows, re-indexed from 0.
    problems : list of Problem
        One per dropped file, with the reason.
    """
    keep, problems = [], []
    for path in tqdm(tracks["path"], desc=f"checking {what} audio", unit="file", disable=not progress):
        try:
            audio_info(path)
        except AudioError as exc:
            problems.append(Problem(str(path), exc.reason))
            keep.append(False)
        else:
            keep.append(True)
    return tracks[keep].reset_index(drop=True), problems
