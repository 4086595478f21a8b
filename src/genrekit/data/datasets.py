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

from pathlib import Path

from genrekit.config import DataConfig
from genrekit.data.fma import FMA_SUBSETS, load_fma
from genrekit.data.folder import load_folder
from genrekit.data.gtzan import find_gtzan_genres_dir, load_gtzan
from genrekit.data.index import TrackIndex
from genrekit.errors import ConfigError, DatasetError

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
