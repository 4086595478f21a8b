"""What a dataset holds, checked as extraction will check it: the summary behind ``genrekit data info``.

:func:`describe` counts tracks per genre and split, durations and artists, and (``check=True``)
decodes every file and runs the feature extractor's own checks (:func:`genrekit.features.extract.check_track`),
so the problems it reports are the ones feature extraction would skip.
"""

from __future__ import annotations

import statistics
from collections import Counter

from tqdm.auto import tqdm

from genrekit.config import DataConfig, FeatureConfig
from genrekit.data.audio import audio_info
from genrekit.data.index import SPLITS, TrackIndex
from genrekit.errors import AudioError
from genrekit.features import kinds
from genrekit.features.extract import check_track


def describe(
    index: TrackIndex,
    *,
    durations: bool = True,
    progress: bool = False,
    check: bool = False,
    data: DataConfig | None = None,
    features: FeatureConfig | None = None,
    workers: int = 1,
) -> dict:
    """Summarise a track index for reports, ``genrekit data info`` and the EDA notebook.

    Parameters
    ----------
    index : TrackIndex
    durations : bool
        Read every file's header for durations, sample rates and channel counts (fast: no
        decoding, about 1 ms a file).
    progress : bool
        Show a progress bar while reading files.
    check : bool
        Also decode every track as feature extraction reads it and make the checks extraction
        makes (:func:`genrekit.features.extract.check_track`: unreadable, empty, silent, NaN
        samples, too short, truncated), so ``problems`` lists the files extraction would skip
        and ``partial`` the ones it would use only as far as they decode. Needs ``durations``.
    data : DataConfig or None
        The audio window of those checks (sample rate, clip, chunk); defaults if None.
    features : FeatureConfig or None
        The feature kind of those checks (its sample rate and shortest clip); defaults if None.
    workers : int
        Processes that decode for ``check`` (1: this one; 0: one per CPU core).

    Returns
    -------
    dict
        ``name``, ``tracks`` (count), ``genres`` ({genre: count}, sorted by name), ``splits``
        ({split: {genre: count}} or None when unsplit), ``split_kind``, ``artists_known`` (tracks
        with an artist), ``artists`` (distinct artists), ``durations`` ({'min', 'median', 'max',
        'total'} in seconds, or None), ``sample_rates`` ({Hz: count}), ``channels``
        ({channels: count}), ``formats`` ({format: count}), ``problems`` (list of str
        ``'path: reason'``: the files the loader skipped, then the tracks that cannot be used),
        ``skipped_on_load`` (how many of ``problems`` the loader skipped: they are not among the
        ``tracks``), ``partial`` (list of str: tracks used only as far as they decode), ``checked``
        ('decoded', 'headers' or None: how far the files were read) with ``check_settings``
        (sample rate, clip, chunk and shortest seconds of the checks, or None) and ``notes``.
    """
    data = data or DataConfig()
    features = features or FeatureConfig()
    tracks = index.tracks
    summary: dict = {
        "name": index.name,
        "tracks": len(tracks),
        "genres": {g: int(n) for g, n in sorted(tracks["genre"].value_counts().items())},
        "splits": None,
        "split_kind": index.split_kind,
        "artists_known": int(tracks["artist"].notna().sum()),
        "artists": int(tracks["artist"].dropna().nunique()),
        "durations": None,
        "sample_rates": {},
        "channels": {},
        "formats": {},
        "problems": [str(p) for p in index.problems],
        "skipped_on_load": len(index.problems),
        "partial": [],
        "checked": None,
        "check_settings": None,
        "notes": list(index.notes),
    }
    if tracks["split"].notna().any():
        summary["splits"] = {
            side: {g: int(n) for g, n in sorted(tracks.loc[tracks["split"] == side, "genre"].value_counts().items())}
            for side in SPLITS
        }
    if durations and len(tracks):
        decode = bool(check)
        summary["checked"] = "decoded" if decode else "headers"
        if decode:
            kinds.check_chunking(features, data.chunk_seconds, data.hop_seconds)  # a bad setting, not a problem per file
            if kinds.is_embedding(features):
                workers = 1  # the backend has imported torch: forking now can hang the workers
            summary["check_settings"] = {"sample_rate": kinds.sample_rate(features, data), "clip_seconds": data.clip_seconds,
                                         "chunk_seconds": data.chunk_seconds, "min_seconds": kinds.min_seconds(features)}
        seconds, rates, channels, formats = [], Counter(), Counter(), Counter()
        paths = [str(p) for p in tracks["path"]]
        desc = f"checking {index.name} audio" if decode else f"reading {index.name} headers"
        results = _inspect_all(paths, data=data, features=features, decode=decode, workers=workers)
        for path, (info, problem, note) in zip(paths, tqdm(results, total=len(paths), desc=desc, unit="file", disable=not progress)):
            if problem is not None:
                summary["problems"].append(f"{path}: {problem}")
            elif note is not None:
                summary["partial"].append(f"{path}: {note}")
            if info is None:
                continue
            seconds.append(info.duration)
            rates[info.samplerate] += 1
            channels[info.channels] += 1
            formats[info.format] += 1
        if seconds:
            summary["durations"] = {
                "min": min(seconds),
                "median": statistics.median(seconds),
                "max": max(seconds),
                "total": sum(seconds),
            }
        summary["sample_rates"] = dict(sorted(rates.items()))
        summary["channels"] = dict(sorted(channels.items()))
        summary["formats"] = dict(sorted(formats.items()))
    return summary


def _inspect_all(paths: list[str], *, data: DataConfig, features: FeatureConfig, decode: bool, workers: int):
    """:func:`_inspect` of every path, in order: here, or in ``workers`` processes."""
    import functools
    import os

    task = functools.partial(_inspect, data=data, features=features, decode=decode)
    n = (os.cpu_count() or 1) if workers == 0 else max(1, int(workers))
    if not decode or n == 1 or len(paths) < 2:
        return map(task, paths)
    return _pooled(task, paths, min(n, len(paths)))


def _pooled(task, paths: list[str], n: int):
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=n) as pool:
        yield from pool.map(task, paths, chunksize=8)


def _inspect(path: str, *, data: DataConfig, features: FeatureConfig, decode: bool):
    """(header or None, why the track cannot be used or None, why it is used only in part or None)."""
    try:
        info = audio_info(path)
    except AudioError as exc:
        return None, exc.reason, None
    if not decode:
        return info, None, None
    problem, note = check_track(path, data=data, features=features)
    return info, problem, note
