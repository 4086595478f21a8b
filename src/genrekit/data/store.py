"""Tracks decoded once into an on-disk store, one ``.npy`` per track, read memory-mapped.

Network runs read their inputs from here one chunk at a time, so memory does not grow with the
number of tracks: a run decodes (or computes the spectrogram images of) each track once, and every
later run with the same audio settings reads the stored arrays. Why plain ``.npy`` files: numpy
reads one with ``mmap_mode='r'`` at the cost of its 128-byte header, a chunk is a slice, a killed
fill loses at most the track it was writing (each file is written to a temporary name and
renamed), two processes (DDP ranks) filling the same store at once at worst decode a track twice,
and any tool reads the files. Arrow, zarr or webdataset shards would add a dependency for nothing
genrekit needs: tracks are read by index, not streamed in order.

Layout::

    <root>/<key>/key.json                      # what the arrays are (description hashed into key)
    <root>/<key>/<track>-<source hash>.npy     # float32: a clip (n,), or chunk images (n, 1, r, c)
    <root>/<key>/<track>-<source hash>.bad     # why the file gave nothing (not retried until it changes)

The source hash covers the audio file's resolved path, size and modification time, so an edited
file is decoded again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from genrekit.data.index import Problem
from genrekit.errors import AudioError, DatasetError

#: Tracks written before :meth:`TrackStore.fill` checks that the rest will fit on the disk.
SIZE_PROBE_TRACKS = 8


class TrackStore:
    """One float32 array per track under a folder keyed by ``description``.

    Parameters
    ----------
    description : dict
        Everything that determines the arrays (JSON-able); its hash names the folder.
    root : str or Path
        Folder the keyed folders live in.
    """

    def __init__(self, description: dict, *, root: str | Path):
        blob = json.dumps(description, sort_keys=True, default=str)
        self.key = hashlib.sha1(blob.encode()).hexdigest()[:16]
        self.dir = Path(root) / self.key
        self.description = description

    def path_for(self, track_id: str, source: str | Path) -> Path:
        """Where the array of ``track_id`` decoded from ``source`` is (or would be) stored."""
        source = Path(source)
        try:
            stat = source.stat()
            stamp = f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
        except OSError:
            stamp = str(source)
        digest = hashlib.sha1(stamp.encode()).hexdigest()[:10]
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", str(track_id))[:80]
        return self.dir / f"{safe}-{digest}.npy"

    def load(self, track_id: str, source: str | Path, *, mmap: bool = False) -> np.ndarray | None:
        """The stored array of a track (memory-mapped read-only if ``mmap``), or None if not stored."""
        return _read(self.path_for(track_id, source), mmap=mmap)

    def save(self, track_id: str, source: str | Path, array: np.ndarray) -> Path:
        """Store ``array`` as float32 (write-then-rename: a concurrent reader never sees half a file)."""
        path = self.path_for(track_id, source)
        self._ready()
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            np.save(handle, np.ascontiguousarray(array, dtype=np.float32), allow_pickle=False)
        os.replace(tmp, path)
        return path

    def bad_reason(self, track_id: str, source: str | Path) -> str | None:
        """Why the file gave nothing when it was last tried, or None."""
        try:
            return self.path_for(track_id, source).with_suffix(".bad").read_text().strip() or "unreadable"
        except OSError:
            return None

    def remember_bad(self, track_id: str, source: str | Path, reason: str) -> None:
        path = self.path_for(track_id, source).with_suffix(".bad")
        self._ready()
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(reason + "\n")
        os.replace(tmp, path)

    def _ready(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        key_file = self.dir / "key.json"
        if not key_file.exists():
            key_file.write_text(json.dumps(self.description, indent=2, default=str) + "\n")

    def fill(
        self,
        tracks: pd.DataFrame,
        make: Callable[[str], np.ndarray],
        *,
        progress: bool = True,
        desc: str = "decoding audio",
    ) -> tuple[pd.DataFrame, list[Problem]]:
        """Store every track not stored yet, and list where each one is.

        Parameters
        ----------
        tracks : pd.DataFrame
            ``track_id`` and ``path`` columns (other columns are kept).
        make : callable
            ``make(path) -> float32 array`` of one track; raises AudioError for an unusable file
            (remembered) or anything else (reported, retried by the next fill).

        Returns
        -------
        stored : pd.DataFrame
            The rows of ``tracks`` that have an array, with ``file`` (its path) and ``length``
            (its first dimension), in the order of ``tracks``.
        problems : list of Problem
            The files skipped, and why.

        Raises
        ------
        DatasetError
            If, after the first :data:`SIZE_PROBE_TRACKS` new tracks, the rest would not fit on the disk.
        """
        from tqdm.auto import tqdm

        files, lengths, keep, problems = [], [], [], []
        written, written_bytes = 0, 0
        bar = tqdm(total=len(tracks), desc=desc, unit="track", disable=not progress, leave=False, dynamic_ncols=True)
        for row, (track_id, path) in enumerate(tracks[["track_id", "path"]].itertuples(index=False)):
            bar.update()
            track_id, target = str(track_id), self.path_for(str(track_id), path)
            array = _read(target, mmap=True)
            if array is None:
                reason = self.bad_reason(track_id, path)
                if reason is not None:
                    problems.append(Problem(str(path), reason))
                    continue
                try:
                    array = make(str(path))
                except AudioError as exc:
                    self.remember_bad(track_id, path, exc.reason)
                    problems.append(Problem(str(path), exc.reason))
                    continue
                except Exception as exc:  # noqa: BLE001 - one odd file must not end a long fill
                    problems.append(Problem(str(path), f"decoding failed: {type(exc).__name__}: {exc}"))
                    continue
                self.save(track_id, path, array)
                written += 1
                written_bytes += target.stat().st_size
                if written == SIZE_PROBE_TRACKS:
                    self._check_space(written_bytes / written, remaining=len(tracks) - row - 1)
                bar.set_postfix(decoded=written, refresh=False)
            files.append(str(target))
            lengths.append(int(array.shape[0]))
            keep.append(row)
        bar.close()
        stored = tracks.iloc[keep].copy()
        stored["file"] = files
        stored["length"] = np.asarray(lengths, dtype=np.int64)
        return stored.reset_index(drop=True), problems

    def _check_space(self, bytes_per_track: float, *, remaining: int) -> None:
        """Raise DatasetError unless ``remaining`` tracks of this size (at most) fit on the store's disk."""
        need = bytes_per_track * remaining
        free = shutil.disk_usage(self.dir).free
        if need > 0.95 * free:
            raise DatasetError(
                f"{self.dir}: the decoded audio would not fit: about {need / 1e9:.1f} GB more for {remaining} tracks "
                f"({bytes_per_track / 1e6:.1f} MB each), {free / 1e9:.1f} GB free; point GENREKIT_STORE at a "
                "larger disk, or shorten data.clip_seconds")


def _read(path: Path, *, mmap: bool) -> np.ndarray | None:
    if not path.is_file():
        return None
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (OSError, ValueError):  # a truncated file from a killed run: made again
        return None
