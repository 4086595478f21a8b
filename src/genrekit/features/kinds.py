"""Feature kinds: what one row of a feature table is made of, chosen by ``features.kind``.

==================  ================================================================  ========
kind                what a row holds                                                    rate
==================  ================================================================  ========
``handcrafted``     librosa descriptors (:mod:`~genrekit.features.handcrafted`),        data's
                    107 columns by default
``musicnn-msd``     an embedding of ``MSD_musicnn`` (Million Song Dataset tags),       16 kHz
                    averaged over the 3 s patches of the clip or chunk
``musicnn-mtt``     the same for ``MTT_musicnn`` (MagnaTagATune tags)                   16 kHz
``musicnn``         both, side by side (one spectrogram feeds both networks)            16 kHz
==================  ================================================================  ========

``features.embedding`` picks the musicnn representation: ``penultimate`` (200 values, the
default: the layer transfer studies use), ``taggram`` (the 50 tag probabilities), ``max_pool`` /
``mean_pool`` (753 each) or ``pools`` (both, 1506). Every classic model trained on an embedding
kind is a linear or tree *probe* of the pretrained network; the cache, splits, results table and
ensembles are the same for every kind.

This module is the one place that dispatches on the kind: the batch extractor
(:mod:`~genrekit.features.extract`) and the inference layer call these functions only.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from genrekit.config import DataConfig, FeatureConfig
from genrekit.errors import AudioError, ConfigError

HANDCRAFTED = "handcrafted"
#: Embedding kinds and the musicnn checkpoints behind each.
MUSICNN_KINDS = {"musicnn-msd": ("MSD_musicnn",), "musicnn-mtt": ("MTT_musicnn",), "musicnn": ("MSD_musicnn", "MTT_musicnn")}
KINDS = (HANDCRAFTED, *MUSICNN_KINDS)
#: musicnn representations a row can hold, and the outputs behind each.
EMBEDDINGS = {"penultimate": ("penultimate",), "taggram": ("taggram",), "max_pool": ("max_pool",),
              "mean_pool": ("mean_pool",), "pools": ("max_pool", "mean_pool")}
_SHORT = {"penultimate": "pen", "max_pool": "max", "mean_pool": "mean"}


def check(cfg: FeatureConfig) -> None:
    """Raise :class:`ConfigError` for an unknown kind or embedding."""
    if cfg.kind not in KINDS:
        raise ConfigError(f"unknown features.kind {cfg.kind!r}; available: {', '.join(KINDS)}")
    if cfg.kind != HANDCRAFTED and cfg.embedding not in EMBEDDINGS:
        raise ConfigError(f"unknown features.embedding {cfg.embedding!r}; available: {', '.join(EMBEDDINGS)}")


def is_embedding(cfg: FeatureConfig) -> bool:
    return cfg.kind in MUSICNN_KINDS


def sample_rate(cfg: FeatureConfig, data: DataConfig) -> int:
    """Rate (Hz) audio is read at for this kind: musicnn's 16 kHz, else ``data.sample_rate``."""
    from genrekit.pretrained.musicnn import SAMPLE_RATE

    return SAMPLE_RATE if is_embedding(cfg) else int(data.sample_rate)


def min_seconds(cfg: FeatureConfig) -> float:
    """Shortest clip or chunk (s) this kind can describe."""
    if is_embedding(cfg):
        from genrekit.pretrained.musicnn import MIN_SECONDS

        return MIN_SECONDS
    from genrekit.features.handcrafted import MIN_SECONDS

    return MIN_SECONDS


def version(cfg: FeatureConfig) -> str:
    """Changes whenever the values of this kind would (part of the cache key)."""
    from genrekit.features.handcrafted import FEATURE_VERSION

    return "musicnn-1" if is_embedding(cfg) else FEATURE_VERSION


def feature_names(cfg: FeatureConfig) -> list[str]:
    """Column names of a row, in order."""
    check(cfg)
    if not is_embedding(cfg):
        from genrekit.features.handcrafted import feature_names as handcrafted_names

        return handcrafted_names(cfg)
    from genrekit.pretrained.musicnn import OUTPUTS, TAGS

    names = []
    for model in MUSICNN_KINDS[cfg.kind]:
        prefix = model.split("_")[0].lower()
        for output in EMBEDDINGS[cfg.embedding]:
            if output == "taggram":
                names += [tag_column(model, t) for t in TAGS[model]]
            else:
                names += [f"{prefix}_{_SHORT[output]}_{i:03d}" for i in range(OUTPUTS[output])]
    return names


def tag_column(model: str, tag: str) -> str:
    """The feature column of one musicnn tag probability, e.g. ``msd_tag_hip_hop``."""
    return f"{model.split('_')[0].lower()}_tag_{re.sub(r'[^a-z0-9]+', '_', tag.lower()).strip('_')}"


def check_chunking(cfg: FeatureConfig, chunk_seconds: float | None, hop_seconds: float | None) -> None:
    """Raise :class:`ConfigError` unless chunks are long enough for this kind and the hop is positive."""
    from genrekit.features.handcrafted import check_chunking as check_handcrafted

    check_handcrafted(chunk_seconds, hop_seconds)
    if chunk_seconds is not None and chunk_seconds < min_seconds(cfg):
        raise ConfigError(f"data.chunk_seconds must be at least {min_seconds(cfg):.2f} s for features.kind "
                          f"{cfg.kind!r} (one 3 s musicnn patch), got {chunk_seconds}")


def warm_up(cfg: FeatureConfig) -> None:
    """Prepare this process once: compile librosa's numba paths, or load the musicnn weights."""
    if is_embedding(cfg):
        _extractor(cfg)
    else:
        from genrekit.features.handcrafted import warm_up as warm_handcrafted

        warm_handcrafted()


def extract_chunked(y: np.ndarray, *, sr: int, cfg: FeatureConfig, chunk_seconds: float | None,
                    hop_seconds: float | None = None) -> pd.DataFrame:
    """Rows of one clip: one per chunk (full chunks only), or one for the whole clip.

    Parameters
    ----------
    y : np.ndarray [shape=(n,), float]
        Mono signal at :func:`sample_rate`.
    sr : int
        Its rate in Hz.
    cfg : FeatureConfig
    chunk_seconds, hop_seconds : float or None
        As :func:`genrekit.features.handcrafted.extract_chunked`.

    Returns
    -------
    pd.DataFrame
        Columns ``chunk``, ``start_s``, then :func:`feature_names`.

    Raises
    ------
    AudioError
        If the signal is unusable or shorter than one chunk (or one musicnn patch).
    """
    check(cfg)
    if not is_embedding(cfg):
        from genrekit.features.handcrafted import extract_chunked as handcrafted_rows

        return handcrafted_rows(y, sr=sr, cfg=cfg, chunk_seconds=chunk_seconds, hop_seconds=hop_seconds)
    return _musicnn_rows(y, sr=sr, cfg=cfg, chunk_seconds=chunk_seconds, hop_seconds=hop_seconds)


# ---------------------------------------------------------------------- musicnn embeddings

_EXTRACTORS: dict = {}


def _extractor(cfg: FeatureConfig):
    """One extractor per process and (model, device): loading weights once, not per clip."""
    from genrekit.pretrained.musicnn import MusicnnExtractor

    key = (MUSICNN_KINDS[cfg.kind], cfg.device)
    if key not in _EXTRACTORS:
        _EXTRACTORS[key] = MusicnnExtractor(key[0], device=cfg.device, fetch=True)
    return _EXTRACTORS[key]


def _musicnn_rows(y, *, sr, cfg, chunk_seconds, hop_seconds) -> pd.DataFrame:
    import torch

    from genrekit.pretrained.musicnn import SAMPLE_RATE

    if sr != SAMPLE_RATE:
        raise ConfigError(f"features.kind {cfg.kind!r} reads audio at {SAMPLE_RATE} Hz, got {sr} Hz")
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1 or not np.all(np.isfinite(y)):
        raise AudioError(None, "not a finite mono signal")
    if chunk_seconds is None:
        spans = [(0, len(y))]
    else:
        check_chunking(cfg, chunk_seconds, hop_seconds)
        size, step = int(round(chunk_seconds * sr)), int(round((hop_seconds or chunk_seconds) * sr))
        count = 0 if len(y) < size else 1 + (len(y) - size) // step
        if count == 0:
            raise AudioError(None, f"too short: {len(y) / sr:.2f} s is less than one {chunk_seconds:g} s chunk")
        spans = [(i * step, i * step + size) for i in range(count)]
    extractor = _extractor(cfg)
    # every chunk's patches in one batch, then each chunk's row is the mean over its patches
    patches = [extractor.patches(y[a:b]) for a, b in spans]
    outputs = extractor.run_patches(torch.cat(patches))
    values = np.concatenate([outputs[m][o] for m in MUSICNN_KINDS[cfg.kind] for o in EMBEDDINGS[cfg.embedding]],
                            axis=1).astype(np.float64)
    bounds = np.cumsum([0] + [len(p) for p in patches])
    rows = np.stack([values[a:b].mean(axis=0) for a, b in zip(bounds[:-1], bounds[1:])])
    frame = pd.DataFrame(rows, columns=feature_names(cfg))
    frame.insert(0, "start_s", [a / sr for a, _ in spans])
    frame.insert(0, "chunk", np.arange(len(spans), dtype=np.int64))
    return frame
