"""One entry point from a dataset name (``DataConfig.source``) to a :class:`TrackIndex`, and a summary.

==========================  =====================================================================
source                      meaning
==========================  =====================================================================
``synthetic``               the generated genre set (made on first use, see ``genrekit.data.synth``)
``gtzan:PATH``              GTZAN, original (``genres/``) or Kaggle (``genres_original/``) layout
``fma-small:PATH``          FMA subset (also ``fma-medium``, ``fma-large``); PATH holds
                            ``fma_metadata/`` and ``fma_<subset>/``; ``fma:PATH`` picks the subset
                            whose audio folder is there
``folder:PATH``             sub-folders are genres
``hf:NAME``                 a Hugging Face dataset (hub name or ``save_to_disk`` folder)
``PATH``                    layout detected: FMA, then GTZAN, else folder
==========================  =====================================================================
"""

from __future__ import annotations

import statistics
from collections import Counter
from pathlib import Path

from tqdm.auto import tqdm

from genrekit.config import DataConfig, FeatureConfig
from genrekit.data.audio import audio_info
from genrekit.data.fma import FMA_SUBSETS, load_fma
from genrekit.data.folder import load_folder
from genrekit.data.gtzan import find_gtzan_genres_dir, load_gtzan
from genrekit.data.index import SPLITS, TrackIndex
from genrekit.errors import AudioError, ConfigError, DatasetError

#: Source prefixes :func:`load_dataset` understands (``PREFIX:PATH``).
SOURCE_PREFIXES = ("gtzan", "fma", *(f"fma-{s}" for s in FMA_SUBSETS), "folder", "hf")


def load_dataset(source: str = "synthetic", *, data: DataConfig | None = None, progress: bool = True) -> TrackIndex:
    """Load the track index named by ``source``.

    Parameters
    ----------
    source : str
        See the module table: ``'synthetic'``, ``'gtzan:PATH'``, ``'fma-small:PATH'``,
        ``'folder:PATH'``, ``'hf:NAME'`` or a bare PATH.
    data : DataConfig or None
        Supplies ``artist_index`` (GTZAN), ``limit_per_genre``, ``seed`` and the synthetic set's
        size; defaults if None. ``data.source`` is not read: ``source`` is.
    progress : bool
        Show progress bars (file checks, synthetic generation).

    Returns
    -------
    TrackIndex
        Splits are not assigned here (FMA's official one excepted); see
        :func:`genrekit.data.splits.assign_splits`.

    Raises
    ------
    ConfigError
        For an unknown prefix or an empty path.
    DatasetError
        If the path does not exist or holds no known layout.
    """
    data = data or DataConfig()
    source = str(source).strip()
    if source == "synthetic":
        from genrekit.data import synth  # generated data: imported only when asked for

        root = synth.ensure_synthetic(
            clips_per_genre=data.synthetic_clips, seconds=data.synthetic_seconds, seed=data.seed, progress=progress
        )
        index = load_gtzan(root, artist_index=Path(root) / "artists.txt", progress=progress, name="synthetic")
    else:
        kind, target = _parse_source(source)
        index = _load(kind, target, data=data, progress=progress)
    return index.limit_per_genre(data.limit_per_genre, seed=data.seed)


def _parse_source(source: str) -> tuple[str, str]:
    """'gtzan:/x' -> ('gtzan', '/x'); a bare path -> ('path', path)."""
    prefix, colon, rest = source.partition(":")
    if colon and prefix in SOURCE_PREFIXES:
        if not rest.strip():
            raise ConfigError(f"data source {source!r} names no path after '{prefix}:'")
        return prefix, rest.strip()
    # 'C:\\music' is a path; 'gtzn:/x' is a typo of a prefix
    looks_like_prefix = colon and len(prefix) > 1 and "/" not in prefix and "\\" not in prefix
    if looks_like_prefix and not Path(source).expanduser().exists():
        raise ConfigError(
            f"unknown data source prefix {prefix!r} in {source!r}; use 'synthetic' or one of "
            f"{', '.join(p + ':' for p in SOURCE_PREFIXES)} followed by a path, or a bare path"
        )
    return "path", source


def _load(kind: str, target: str, *, data: DataConfig, progress: bool) -> TrackIndex:
    if kind == "hf":
        from genrekit.data.hf import load_hf  # imports `datasets`, slow: only when asked for

        return load_hf(target, progress=progress)
    root = Path(target).expanduser()
    if not root.exists():
        raise DatasetError(f"{root}: dataset path not found")
    if kind == "path":
        kind = detect_layout(root)
    if kind == "gtzan":
        return load_gtzan(root, artist_index=data.artist_index, progress=progress)
    if kind == "folder":
        return load_folder(root, progress=progress)
    if kind == "fma":
        kind = f"fma-{_fma_subset(root)}"
    return load_fma(root, subset=kind.removeprefix("fma-"), progress=progress)


def detect_layout(root: str | Path) -> str:
    """'fma' (holds ``fma_metadata/``), 'gtzan' (``genres/``, ``genres_original/``, ...) or 'folder'."""
    root = Path(root)
    if (root / "fma_metadata").is_dir():
        return "fma"
    try:
        find_gtzan_genres_dir(root)
    except DatasetError:
        return "folder"
    return "gtzan"


def _fma_subset(root: Path) -> str:
    present = [s for s in FMA_SUBSETS if (root / f"fma_{s}").is_dir()]
    if not present:
        raise DatasetError(f"{root}: has fma_metadata/ but no audio folder ({', '.join(f'fma_{s}/' for s in FMA_SUBSETS)})")
    # the largest present subset: it includes the others' tracks
    return present[-1]


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
            from genrekit.features import kinds

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
    from genrekit.features.extract import check_track

    problem, note = check_track(path, data=data, features=features)
    return info, problem, note
