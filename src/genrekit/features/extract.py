"""Hand-crafted features for a whole dataset: parallel, resumable, cached as Parquet.

One cache folder per dataset name, audio window and feature settings::

    <cache_root>/<dataset>-<key>/
        key.json                          # what <key> hashes (dataset, audio window,
                                          #   FeatureConfig, FEATURE_VERSION), for humans
        parts/part-<time>-<pid>.parquet   # the chunks of a batch of finished tracks
        problems.jsonl                    # files that could not be used, one JSON object a line
        notes.jsonl                       # files used as far as they decode (truncated, damaged)

Rows are keyed by ``track_id`` and remember the file they came from (path, size, modification
time): a file that changed, moved or appeared since is (re)computed, everything else is read back.
Splits are not stored; :class:`FeatureSet` joins genre, artist and split from the index, so one
cache serves every split kind. Parts are written every ``part_size`` finished tracks (atomically:
a temporary file then a rename), so an interrupted run loses at most one batch and the next run
resumes where it stopped. Only one run at a time should write to a cache folder.

Tracks are extracted by local worker processes or, given a Dask scheduler (``scheduler=`` or
``features.scheduler``), by the workers of a Dask cluster (:mod:`genrekit.features.distributed`).
Both run the same per-track function (:func:`_work`) and hand their results back to this process,
which alone writes the cache: the folder looks the same whichever way it was filled, and a run of
either kind resumes the other's.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from genrekit import paths
from genrekit.config import DataConfig, FeatureConfig
from genrekit.data.audio import collect_audio_warnings, load_audio, n_chunks
from genrekit.data.index import SPLITS, Problem, TrackIndex
from genrekit.errors import AudioError, ConfigError
from genrekit.features import kinds
from genrekit.features.distributed import dask_client, map_as_completed

KEY_FILE = "key.json"
PARTS_DIR = "parts"
PROBLEMS_FILE = "problems.jsonl"
NOTES_FILE = "notes.jsonl"

#: Columns before the features in the returned frame.
ID_COLUMNS = ["track_id", "chunk", "start_s", "genre", "artist", "split"]

# What a cached row remembers about its file, to notice a changed dataset.
_SOURCE_COLUMNS = ["path", "size", "mtime_ns"]

# Version of the audio reader's verdicts in problems.jsonl: entries of another version are retried.
# 2: a truncated or damaged file is used as far as it decodes (it used to be a problem).
_READER = 2


@dataclass
class FeatureSet:
    """Features of every usable track of a dataset, one row per chunk.

    Attributes
    ----------
    frame : pd.DataFrame
        Columns ``track_id, chunk, start_s, genre, artist, split`` then :attr:`feature_columns`;
        tracks in index order, chunks in time order.
    feature_columns : list of str
        :func:`~genrekit.features.kinds.feature_names` of the feature settings.
    problems : list of Problem
        Tracks of the index that could not be used (path and reason), from this run or the cache.
    cache_dir : Path
        The cache folder that holds these features.
    computed, cached : int
        Tracks this call tried to extract (usable or not) and tracks answered from the cache.
    notes : list of Problem
        Tracks that are in :attr:`frame` although something is wrong with the file: truncated or
        damaged, their features describe the part that decodes (path and what is wrong).
    """

    frame: pd.DataFrame
    feature_columns: list[str]
    problems: list[Problem]
    cache_dir: Path
    computed: int = 0
    cached: int = 0
    notes: list[Problem] = field(default_factory=list)

    def matrix(self, split: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Feature matrix, genre labels and track ids of one split (all rows if None).

        Returns
        -------
        X : np.ndarray [shape=(n_rows, n_features), dtype=float64]
        genres : np.ndarray [shape=(n_rows,), dtype=object]
            Genre names (strings).
        track_ids : np.ndarray [shape=(n_rows,), dtype=object]
            One per row: chunks of a track share its id, which is what per-track voting groups by.
        """
        rows = self.frame
        if split is not None:
            if split not in SPLITS:
                raise ValueError(f"split must be one of {SPLITS} or None, got {split!r}")
            rows = rows[rows["split"] == split]
        X = rows[self.feature_columns].to_numpy(dtype=np.float64)
        return X, rows["genre"].to_numpy(dtype=object), rows["track_id"].to_numpy(dtype=object)


def cache_spec(dataset: str, *, data: DataConfig, features: FeatureConfig) -> dict:
    """Everything feature values depend on: the content of ``key.json``.

    ``workers`` and ``scheduler`` are left out (they do not change values); a hop equal to the
    chunk is written as the chunk, so ``hop_seconds=None`` and ``hop_seconds=chunk_seconds`` share
    a cache.
    """
    chunk = None if data.chunk_seconds is None else float(data.chunk_seconds)
    hop = None if chunk is None else float(data.hop_seconds or chunk)
    settings = kinds.cache_settings(features)
    return {
        "dataset": dataset,
        "sample_rate": kinds.sample_rate(features, data),
        "clip_seconds": None if data.clip_seconds is None else float(data.clip_seconds),
        "chunk_seconds": chunk,
        "hop_seconds": hop,
        "min_seconds": kinds.min_seconds(features),
        "features": settings,
        "feature_version": kinds.version(features),
    }


def cache_key(dataset: str, *, data: DataConfig, features: FeatureConfig) -> str:
    """Short hash (12 hex digits) of :func:`cache_spec`."""
    text = json.dumps(cache_spec(dataset, data=data, features=features), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def cache_dir_for(dataset: str, *, data: DataConfig, features: FeatureConfig, cache_root: str | Path | None = None) -> Path:
    """The cache folder of a dataset and settings: ``<cache_root>/<dataset>-<key>``."""
    root = Path(cache_root) if cache_root is not None else paths.feature_cache_dir()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", dataset).strip("_") or "dataset"
    return root / f"{slug}-{cache_key(dataset, data=data, features=features)}"


def extract_dataset(
    index: TrackIndex,
    *,
    data: DataConfig,
    features: FeatureConfig,
    cache_root: str | Path | None = None,
    workers: int | None = None,
    progress: bool = True,
    part_size: int = 32,
    scheduler: str | None = None,
) -> FeatureSet:
    """Extract (or read back) hand-crafted features for every track of ``index``.

    Each track is read with :func:`~genrekit.data.audio.load_audio` (``data.sample_rate``, the
    middle ``data.clip_seconds``) and cut into ``data.chunk_seconds`` chunks (hop
    ``data.hop_seconds``) by :func:`~genrekit.features.kinds.extract_chunked` (hand-crafted
    features or a musicnn embedding, as ``features.kind`` says).

    Parameters
    ----------
    index : TrackIndex
        The tracks; ``index.name`` names the cache.
    data : DataConfig
        Audio window: sample_rate, clip_seconds, chunk_seconds, hop_seconds.
    features : FeatureConfig
        Feature settings.
    cache_root : str or Path or None
        Parent of the cache folders (:func:`genrekit.paths.feature_cache_dir` if None).
    workers : int or None
        Worker processes; None takes ``features.workers``, 0 means one per CPU core, 1 extracts in
        this process.
    progress : bool
        Show a tqdm progress bar.
    part_size : int
        Finished tracks per Parquet part: at most this many are recomputed after a crash.
    scheduler : str or None
        Extract on a Dask cluster: ``tcp://host:8786``, a scheduler file ``*.json``, ``local`` or
        ``local:N`` (see :func:`genrekit.features.distributed.dask_client`); None takes
        ``features.scheduler``, and when that is None too, ``workers`` local processes extract.
        The cluster is contacted only if some track is not cached yet. Its workers must read the
        audio at the same paths as this process; the cache is written here.

    Returns
    -------
    FeatureSet
        Rows of the tracks that could be used; the others are in ``problems`` with the reason
        (unreadable, empty, silent, NaN samples, shorter than 1 s or than one chunk: the checks of
        :func:`read_track`). Tracks used only as far as they decode (truncated or damaged files)
        are in ``notes`` as well as in the rows. Bad files never stop the run;
        on a cluster, neither does a file whose task kills the worker that runs it (it is listed,
        and retried by the next run).
    """
    if part_size < 1:
        raise ValueError(f"part_size must be at least 1, got {part_size}")
    kinds.check_chunking(features, data.chunk_seconds, data.hop_seconds)  # once, not as a problem per track
    columns = kinds.feature_names(features)
    cache = _Cache(cache_dir_for(index.name, data=data, features=features, cache_root=cache_root))
    cache.open(cache_spec(index.name, data=data, features=features))

    tracks = index.tracks[["track_id", "path"]].copy()
    tracks["path"] = [str(Path(p).resolve()) for p in tracks["path"]]
    signatures = [_signature(p) for p in tracks["path"]]
    tracks["size"] = np.array([size for size, _ in signatures], dtype=np.int64)
    tracks["mtime_ns"] = np.array([mtime for _, mtime in signatures], dtype=np.int64)

    stored, stored_problems = cache.read()
    good_ids = _matching(tracks, stored.drop_duplicates("track_id"))
    bad_ids = _matching(tracks, stored_problems) - good_ids
    todo = tracks[~tracks["track_id"].isin(good_ids | bad_ids)]

    run_problems: list[Problem] = []
    if len(todo):
        address = features.scheduler if scheduler is None else scheduler
        n_workers = 1 if address else _resolve_workers(workers, features, len(todo))
        desc = f"features {index.name}" + (f" on {address}" if address else "")
        bar = tqdm(total=len(tracks), initial=len(tracks) - len(todo), desc=desc, unit="track", disable=not progress)
        writer = _PartWriter(cache, part_size)
        try:
            with closing(_run(todo, data=data, features=features, workers=n_workers, scheduler=address)) as results:
                for result in results:
                    track_id, path, size, mtime_ns, rows, reason, persistent, note = result
                    if rows is not None:
                        source = pd.DataFrame({"track_id": track_id, "path": path, "size": size, "mtime_ns": mtime_ns}, index=rows.index)
                        writer.add(pd.concat([source, rows], axis=1))
                        if note is not None:
                            cache.add_note(track_id=track_id, path=path, size=size, mtime_ns=mtime_ns, reason=note)
                    else:
                        run_problems.append(Problem(path, reason))
                        if persistent:
                            cache.add_problem(track_id=track_id, path=path, size=size, mtime_ns=mtime_ns, reason=reason)
                    bar.update(1)
        finally:
            writer.flush()
            bar.close()
        cache.compact()
        stored, stored_problems = cache.read()
        good_ids = _matching(tracks, stored.drop_duplicates("track_id"))

    frame = _join(index, stored[stored["track_id"].isin(good_ids)], columns)
    bad = stored_problems[stored_problems["track_id"].isin(_matching(tracks, stored_problems) - good_ids)]
    problems = [Problem(p, r) for p, r in zip(bad["path"], bad["reason"])]
    seen = {p.path for p in problems}
    problems += [p for p in run_problems if p.path not in seen]
    stored_notes = cache.read_notes()
    kept = stored_notes[stored_notes["track_id"].isin(_matching(tracks, stored_notes) & good_ids)]
    return FeatureSet(
        frame=frame,
        feature_columns=columns,
        problems=problems,
        cache_dir=cache.root,
        computed=len(todo),
        cached=len(tracks) - len(todo),
        notes=[Problem(p, r) for p, r in zip(kept["path"], kept["reason"])],
    )


def read_track(path: str | Path, *, data: DataConfig, features: FeatureConfig) -> np.ndarray:
    """One track's audio as feature extraction reads it, after every check extraction makes on it.

    The middle ``data.clip_seconds`` at the feature kind's sample rate
    (:func:`~genrekit.features.kinds.sample_rate`), mono; unusable when it is unreadable, empty,
    silent, has NaN samples, is shorter than the kind's shortest clip
    (:func:`~genrekit.features.kinds.min_seconds`) or than one ``data.chunk_seconds`` chunk.
    ``genrekit data info`` runs it on every file, so it lists the files extraction skips.

    Returns
    -------
    y : np.ndarray [shape=(n,), dtype=float32]

    Raises
    ------
    AudioError
        Naming the file and why it cannot be used.

    Warns
    -----
    AudioWarning
        When the file is used only as far as it decodes (see :func:`~genrekit.data.audio.load_audio`).
    """
    sr = kinds.sample_rate(features, data)
    y = load_audio(path, sr=sr, middle=data.clip_seconds, min_duration=kinds.min_seconds(features))
    chunk = data.chunk_seconds
    if chunk is not None and n_chunks(len(y), sr=sr, chunk_seconds=chunk, hop_seconds=data.hop_seconds) == 0:
        raise AudioError(path, f"too short: {len(y) / sr:.2f} s is less than one {chunk:g} s chunk")
    return y


def check_track(path: str | Path, *, data: DataConfig, features: FeatureConfig) -> tuple[str | None, str | None]:
    """What feature extraction would say about one file, without computing features.

    Returns
    -------
    (problem, note) : (str or None, str or None)
        ``problem``: why extraction would skip the file (None if it is usable); ``note``: why it
        would be used only as far as it decodes (None if it decodes whole). Both as extraction
        words them, in its ``problems`` and ``notes``.
    """
    with collect_audio_warnings() as found:
        try:
            read_track(path, data=data, features=features)
        except AudioError as exc:
            return _with_notes(exc.reason, found), None
    return None, (found[0].reason if found else None)


def _with_notes(reason: str, found: list) -> str:
    """An unusable file's reason, plus why it decodes only in part when that is known."""
    return reason if not found else f"{reason}; {found[0].reason}"


# --------------------------------------------------------------------------------------------
# workers


def _extract_one(path: str, *, data: DataConfig, features: FeatureConfig) -> pd.DataFrame:
    """Decode one file and extract its chunk features (runs in a worker)."""
    y = read_track(path, data=data, features=features)
    sr = kinds.sample_rate(features, data)
    return kinds.extract_chunked(y, sr=sr, cfg=features, chunk_seconds=data.chunk_seconds, hop_seconds=data.hop_seconds)


def _work(task: tuple) -> tuple:
    """One track -> (track_id, path, size, mtime_ns, rows or None, reason or None, persistent, note or None).

    ``note`` says why a track with rows is used only as far as it decodes (truncated, damaged).
    """
    track_id, path, size, mtime_ns, data, features = task
    kinds.warm_up(features)  # once per process: a no-op in a warmed pool, the first task on a Dask worker
    with collect_audio_warnings() as found:
        try:
            rows = _extract_one(path, data=data, features=features)
        except AudioError as exc:
            # a property of the file: remembered, so the next run does not retry it
            return track_id, path, size, mtime_ns, None, _with_notes(exc.reason, found), True, None
        except Exception as exc:  # noqa: BLE001 - one odd file must not end a long run
            # not remembered: the next run retries it (after a fix, say)
            return track_id, path, size, mtime_ns, None, f"feature extraction failed: {type(exc).__name__}: {exc}", False, None
    return track_id, path, size, mtime_ns, rows, None, False, (found[0].reason if found else None)


def _start_worker(features: FeatureConfig) -> None:
    """Initialise a pool worker: one BLAS/OpenMP thread, librosa and numba warmed up.

    Each worker would otherwise start as many BLAS threads as there are cores, so N workers
    fight over the cores with N x cores threads: on 2 cores, 200 clips took 26.7 s with 2 workers
    that way and 16.0 s with one thread each (one worker: 29.3 s either way). Dask's nanny sets
    the same limits for its workers.
    """
    from threadpoolctl import threadpool_limits

    global _THREAD_LIMITS
    _THREAD_LIMITS = threadpool_limits(limits=1)  # kept referenced for the worker's lifetime
    kinds.warm_up(features)


_THREAD_LIMITS = None


def _lost(task: tuple, exc: BaseException) -> tuple:
    """The :func:`_work` result of a track whose task killed every Dask worker that ran it."""
    track_id, path, size, mtime_ns, _, _ = task
    # not remembered: a worker can die of causes other than the file (memory, a lost node)
    return track_id, path, size, mtime_ns, None, "a Dask worker died while extracting this file (crash or out of memory)", False, None


def _run(todo: pd.DataFrame, *, data: DataConfig, features: FeatureConfig, workers: int, scheduler: str | None = None):
    """Yield :func:`_work` results as they finish: on a Dask cluster if ``scheduler``, else here."""
    tasks = [(t, p, int(s), int(m), data, features) for t, p, s, m in todo[["track_id", "path", "size", "mtime_ns"]].itertuples(index=False)]
    if scheduler:
        with dask_client(scheduler) as client:
            yield from map_as_completed(client, _work, tasks, on_lost=_lost)
        return
    kinds.warm_up(features)  # forked workers inherit the compiled code instead of compiling it again
    if workers <= 1:
        for task in tasks:
            yield _work(task)
        return
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(features,))
    try:
        pending = set()
        queue = iter(tasks)
        # a bounded window keeps memory flat on 100k-track datasets
        for task in queue:
            pending.add(pool.submit(_work, task))
            if len(pending) >= 4 * workers:
                break
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
                task = next(queue, None)
                if task is not None:
                    pending.add(pool.submit(_work, task))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _resolve_workers(workers: int | None, features: FeatureConfig, n_tasks: int) -> int:
    n = features.workers if workers is None else workers
    if n < 0:
        raise ConfigError(f"workers must be >= 0 (0 = one per CPU core), got {n}")
    if n == 0:
        n = os.cpu_count() or 1
    if kinds.is_embedding(features):
        # the network uses every core (or the GPU) itself; forking after torch starts its
        # thread pool can also hang the workers
        return 1
    return max(1, min(n, n_tasks))


# --------------------------------------------------------------------------------------------
# cache folder


def _signature(path: str) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return -1, -1  # missing: load_audio reports it, and it is retried once it appears
    return int(st.st_size), int(st.st_mtime_ns)


def _matching(tracks: pd.DataFrame, stored: pd.DataFrame) -> set[str]:
    """Track ids whose stored path, size and modification time match the file now."""
    if stored.empty:
        return set()
    both = tracks.merge(stored[["track_id", *_SOURCE_COLUMNS]], on="track_id", suffixes=("", "_stored"))
    same = np.ones(len(both), dtype=bool)
    for column in _SOURCE_COLUMNS:
        same &= (both[column] == both[f"{column}_stored"]).to_numpy()
    return set(both.loc[same, "track_id"])


def _join(index: TrackIndex, rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    labels = index.tracks[["track_id", "genre", "artist", "split"]].reset_index(drop=True)
    labels["_order"] = np.arange(len(labels))
    rows = rows.reindex(columns=["track_id", "chunk", "start_s", *columns])
    joined = labels.merge(rows, on="track_id", how="inner")
    joined = joined.sort_values(["_order", "chunk"], kind="stable").reset_index(drop=True)
    return joined[ID_COLUMNS + columns]


class _Cache:
    """The files of one cache folder."""

    def __init__(self, root: Path):
        self.root = root
        self.parts = root / PARTS_DIR
        self.problems = root / PROBLEMS_FILE
        self.notes = root / NOTES_FILE

    def open(self, spec: dict) -> None:
        self.parts.mkdir(parents=True, exist_ok=True)
        key = self.root / KEY_FILE
        if not key.is_file():
            _atomic_write(key, lambda tmp: tmp.write_text(json.dumps(spec, indent=2, sort_keys=True) + "\n"))
        for stale in self.parts.glob("*.tmp"):
            stale.unlink(missing_ok=True)  # left by a run killed mid-write

    def part_files(self) -> list[Path]:
        return sorted(self.parts.glob("part-*.parquet"))

    def read(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(feature rows, problems), the newest entry of each track winning."""
        frames = []
        for order, part in enumerate(self.part_files()):
            frame = pd.read_parquet(part)
            frames.append(frame.assign(_part=order))
        if frames:
            rows = pd.concat(frames, ignore_index=True)
            newest = rows.groupby("track_id")["_part"].transform("max")
            rows = rows[rows["_part"] == newest].drop(columns="_part").reset_index(drop=True)
        else:
            rows = pd.DataFrame(columns=["track_id", *_SOURCE_COLUMNS, "chunk", "start_s"])
        problems = _read_entries(self.problems)
        return rows, problems[problems["reader"] == _READER].drop(columns="reader").reset_index(drop=True)

    def read_notes(self) -> pd.DataFrame:
        """Notes on tracks used in part (truncated, damaged), the newest entry of each track winning."""
        return _read_entries(self.notes)

    def write_part(self, rows: pd.DataFrame) -> None:
        name = f"part-{time.time_ns():020d}-{os.getpid()}.parquet"
        _atomic_write(self.parts / name, lambda tmp: rows.to_parquet(tmp, index=False))

    def add_problem(self, **entry) -> None:
        with self.problems.open("a") as f:
            f.write(json.dumps({**entry, "reader": _READER}) + "\n")

    def add_note(self, **entry) -> None:
        # written before the track's part: a crash in between leaves a note on a track without
        # rows, which is ignored (only tracks with rows get notes) and rewritten when it is redone
        with self.notes.open("a") as f:
            f.write(json.dumps(entry) + "\n")

    def compact(self, *, above: int = 8) -> None:
        """Merge the parts into one (newest rows only) once there are more than ``above``, so a
        cache hit reads few files without rewriting a large cache after every small addition."""
        parts = self.part_files()
        if len(parts) <= above:
            return
        rows, _ = self.read()
        self.write_part(rows)
        # the merged part is the newest, so a crash before these deletions loses nothing
        for part in parts:
            part.unlink(missing_ok=True)


class _PartWriter:
    """Collects finished tracks and writes them as a part every ``size`` tracks or 60 s."""

    def __init__(self, cache: _Cache, size: int):
        self.cache, self.size = cache, size
        self.pending: list[pd.DataFrame] = []
        self.since = time.monotonic()

    def add(self, rows: pd.DataFrame) -> None:
        self.pending.append(rows)
        if len(self.pending) >= self.size or time.monotonic() - self.since > 60:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.cache.write_part(pd.concat(self.pending, ignore_index=True))
            self.pending = []
        self.since = time.monotonic()


def _read_entries(path: Path) -> pd.DataFrame:
    """A JSON-lines file of ``track_id, path, size, mtime_ns, reason[, reader]`` entries, newest per track."""
    entries = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a killed run
            entries[entry["track_id"]] = entry
    return pd.DataFrame(list(entries.values()), columns=["track_id", *_SOURCE_COLUMNS, "reason", "reader"])


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)
