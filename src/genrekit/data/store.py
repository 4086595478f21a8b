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

from genrekit.data.audio import load_audio
from genrekit.data.index import Problem
from genrekit.errors import AudioError, DatasetError

#: Tracks written before :meth:`TrackStore.fill` checks that the rest will fit on the disk.
SIZE_PROBE_TRACKS = 8

#: Tracks to decode per worker below which :meth:`TrackStore.fill` decodes in this process: a
#: spawned worker takes 1-2 s to start, a 30 s track 13-25 ms to decode.
POOL_MIN_TRACKS_PER_WORKER = 50


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
        workers: int = 1,
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
            (remembered) or anything else (reported, retried by the next fill). With ``workers``
            above 1 it must be picklable (a module-level function or a ``functools.partial`` of one).
        workers : int
            Processes making tracks at once (fresh interpreters: safe beside torch's threads and CUDA).

        Returns
        -------
        stored : pd.DataFrame
            The rows of ``tracks`` that have an array, with ``file`` (its path) and ``length``
            (its first dimension), in the order of ``tracks``.
        problems : list of Problem
            The files skipped, and why, in the order of ``tracks``.

        Raises
        ------
        DatasetError
            If, after the first :data:`SIZE_PROBE_TRACKS` new tracks, the rest would not fit on the disk.
        """
        from tqdm.auto import tqdm

        lengths: dict[int, int] = {}
        problems: dict[int, Problem] = {}
        targets: list[Path] = []  # each track's file, found once (a stat and a hash per track)
        todo = []
        for row, (track_id, path) in enumerate(tracks[["track_id", "path"]].itertuples(index=False)):
            targets.append(self.path_for(str(track_id), path))
            array = _read(targets[row], mmap=True)
            if array is not None:
                lengths[row] = int(array.shape[0])
            elif (reason := self.bad_reason(str(track_id), path)) is not None:
                problems[row] = Problem(str(path), reason)
            else:
                todo.append((row, str(track_id), str(path)))
        bar = tqdm(total=len(todo), desc=desc, unit="track", disable=not progress or not todo, leave=False, dynamic_ncols=True)
        written_bytes, written = 0, 0
        for row, length, reason in self._make_all(todo, make, workers=workers):
            bar.update()
            path = str(tracks["path"].iloc[row])
            if reason is not None:
                problems[row] = Problem(path, reason)
                continue
            lengths[row] = length
            written += 1
            if written <= SIZE_PROBE_TRACKS:
                written_bytes += targets[row].stat().st_size
                if written == SIZE_PROBE_TRACKS:
                    self._check_space(written_bytes / written, remaining=len(todo) - written)
        bar.close()
        keep = sorted(lengths)
        stored = tracks.iloc[keep].copy()
        stored["file"] = [str(targets[row]) for row in keep]
        stored["length"] = np.asarray([lengths[row] for row in keep], dtype=np.int64)
        return stored.reset_index(drop=True), [problems[row] for row in sorted(problems)]

    def _make_all(self, todo: list[tuple[int, str, str]], make, *, workers: int):
        """Yield ``(row, length or None, reason or None)`` for each track of ``todo`` as it is made."""
        if workers <= 1 or len(todo) < POOL_MIN_TRACKS_PER_WORKER * workers:
            for row, track_id, path in todo:
                yield (row, *_make_one(self, make, track_id, path))
            return
        import multiprocessing
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

        # spawned, not forked: the parent runs torch (threads, maybe CUDA), which a fork can hang
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            queue, pending = iter(todo), {}
            for row, track_id, path in queue:  # a bounded window keeps memory flat on any number of tracks
                pending[pool.submit(_make_one, self, make, track_id, path)] = row
                if len(pending) >= 4 * workers:
                    break
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield (pending.pop(future), *future.result())
                    task = next(queue, None)
                    if task is not None:
                        pending[pool.submit(_make_one, self, make, task[1], task[2])] = task[0]

    def _check_space(self, bytes_per_track: float, *, remaining: int) -> None:
        """Raise DatasetError unless ``remaining`` tracks of this size (at most) fit on the store's disk."""
        need = bytes_per_track * remaining
        free = shutil.disk_usage(self.dir).free
        if need > 0.95 * free:
            raise DatasetError(
                f"{self.dir}: the decoded audio would not fit: about {need / 1e9:.1f} GB more for {remaining} tracks "
                f"({bytes_per_track / 1e6:.1f} MB each), {free / 1e9:.1f} GB free; point GENREKIT_STORE at a "
                "larger disk, or shorten data.clip_seconds")


def decode_workers(workers: int | None) -> int:
    """Processes for :meth:`TrackStore.fill`: ``workers`` if set, else one per CPU core of this process, at most 8."""
    if workers is not None:
        return max(1, int(workers))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(8, cores))


def _make_one(store: TrackStore, make, track_id: str, path: str) -> tuple[int | None, str | None]:
    """Make and store one track: (length, None), or (None, why not)."""
    try:
        array = make(path)
    except AudioError as exc:
        store.remember_bad(track_id, path, exc.reason)
        return None, exc.reason
    except Exception as exc:  # noqa: BLE001 - one odd file must not end a long fill
        return None, f"decoding failed: {type(exc).__name__}: {exc}"
    store.save(track_id, path, array)
    return int(array.shape[0]), None


def decode_clip(path: str, *, sr: int, clip_seconds: float | None) -> np.ndarray:
    """The middle ``clip_seconds`` of ``path`` at ``sr`` Hz, as :func:`~genrekit.data.audio.load_audio` reads it.

    Raises
    ------
    AudioError
        If the file is unusable (not found, undecodable, empty, silent).
    """
    return load_audio(path, sr=sr, middle=clip_seconds)


def _read(path: Path, *, mmap: bool) -> np.ndarray | None:
    if not path.is_file():
        return None
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (OSError, ValueError):  # a truncated file from a killed run: made again
        return None
