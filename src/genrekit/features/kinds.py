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
``clap``            CLAP's audio embedding (``features.checkpoint``), mean over the     48 kHz
                    normalised embeddings of 10 s windows
``hf-encoder``      a frozen DistilHuBERT, wav2vec 2.0 or Whisper encoder               16 kHz
                    (``features.checkpoint``): hidden states of ``features.layer``
                    (None: all layers averaged), mean over time and over the 20 s
                    windows (Whisper: 30 s) of the clip or chunk
==================  ================================================================  ========

``features.embedding`` picks the network's representation (for musicnn: ``penultimate``, 200
values, the default; ``taggram``, the 50 tag probabilities; ``max_pool`` / ``mean_pool``, 753
each; ``pools``, both); ``hf-encoder`` picks its hidden layer with ``features.layer``. Every
classic model trained on an embedding kind is a linear or tree *probe* of the pretrained network;
the cache, splits, results table and ensembles are the same for every kind. Each pretrained
backbone is one backend module (:data:`BACKENDS`).

This module is the one place that dispatches on the kind: the batch extractor
(:mod:`~genrekit.features.extract`) and the inference layer call these functions only.
"""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd

from genrekit.config import DataConfig, FeatureConfig
from genrekit.errors import AudioError, ConfigError

HANDCRAFTED = "handcrafted"

#: Embedding kinds -> the backend module (one per pretrained backbone) that computes them. A
#: backend has ``check``, ``feature_names``, ``sample_rate``, ``min_seconds``, ``version``,
#: ``cache_settings``, ``warm_up`` and ``embed(y, spans, cfg) -> (n_spans, n_features)``, all
#: taking the FeatureConfig; this module cuts clips into spans and builds the rows.
BACKENDS = {
    "musicnn-msd": "genrekit.pretrained.musicnn_features",
    "musicnn-mtt": "genrekit.pretrained.musicnn_features",
    "musicnn": "genrekit.pretrained.musicnn_features",
    "clap": "genrekit.pretrained.clap",
    "hf-encoder": "genrekit.pretrained.hf_encoder",
}
KINDS = (HANDCRAFTED, *BACKENDS)


def backend(cfg: FeatureConfig):
    """The backend module of an embedding kind."""
    check(cfg)
    return importlib.import_module(BACKENDS[cfg.kind])


def check(cfg: FeatureConfig) -> None:
    """Raise :class:`ConfigError` for an unknown kind or a setting its backend rejects."""
    if cfg.kind not in KINDS:
        raise ConfigError(f"unknown features.kind {cfg.kind!r}; available: {', '.join(KINDS)}")
    if cfg.kind != HANDCRAFTED:
        importlib.import_module(BACKENDS[cfg.kind]).check(cfg)


def is_embedding(cfg: FeatureConfig) -> bool:
    return cfg.kind in BACKENDS


def sample_rate(cfg: FeatureConfig, data: DataConfig) -> int:
    """Rate (Hz) audio is read at for this kind: the network's (16 kHz for musicnn), else ``data.sample_rate``."""
    return backend(cfg).sample_rate(cfg) if is_embedding(cfg) else int(data.sample_rate)


def min_seconds(cfg: FeatureConfig) -> float:
    """Shortest clip or chunk (s) this kind can describe."""
    if is_embedding(cfg):
        return backend(cfg).min_seconds(cfg)
    # imports librosa, numba only when needed
    from genrekit.features.handcrafted import MIN_SECONDS

    return MIN_SECONDS


def version(cfg: FeatureConfig) -> str:
    """Changes whenever the values of this kind would (part of the cache key)."""
    if is_embedding(cfg):
        return backend(cfg).version(cfg)
    # imports librosa, numba only when needed
    from genrekit.features.handcrafted import FEATURE_VERSION

    return FEATURE_VERSION


# FeatureConfig fields that only embedding kinds read (left out of hand-crafted cache keys)
_EMBEDDING_FIELDS = ("kind", "embedding", "device", "checkpoint", "layer", "batch_size")


def cache_settings(cfg: FeatureConfig) -> dict:
    """The feature settings that change values (the cache key's ``features``)."""
    from dataclasses import asdict

    if is_embedding(cfg):
        return backend(cfg).cache_settings(cfg)
    settings = asdict(cfg)
    for field in _EMBEDDING_FIELDS + ("workers", "scheduler"):
        settings.pop(field, None)
    return settings


def feature_names(cfg: FeatureConfig) -> list[str]:
    """Column names of a row, in order."""
    check(cfg)
    if not is_embedding(cfg):
        # imports librosa, numba only when needed
        from genrekit.features.handcrafted import feature_names as handcrafted_names

        return handcrafted_names(cfg)
    return backend(cfg).feature_names(cfg)


def check_chunking(cfg: FeatureConfig, chunk_seconds: float | None, hop_seconds: float | None) -> None:
    """Raise :class:`ConfigError` unless chunks are long enough for this kind and the hop is positive."""
    # imports librosa, numba only when needed
    from genrekit.features.handcrafted import check_chunking as check_handcrafted

    check_handcrafted(chunk_seconds, hop_seconds)
    if chunk_seconds is not None and chunk_seconds < min_seconds(cfg):
        raise ConfigError(f"data.chunk_seconds must be at least {min_seconds(cfg):.2f} s for features.kind "
                          f"{cfg.kind!r}, got {chunk_seconds}")


def warm_up(cfg: FeatureConfig) -> None:
    """Prepare this process once: compile librosa's numba paths, or load the network's weights."""
    if is_embedding(cfg):
        backend(cfg).warm_up(cfg)
    else:
        # imports librosa, numba only when needed
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
        If the signal is unusable or shorter than one chunk (or than the network's input).
    """
    check(cfg)
    if not is_embedding(cfg):
        # imports librosa, numba only when needed
        from genrekit.features.handcrafted import extract_chunked as handcrafted_rows

        return handcrafted_rows(y, sr=sr, cfg=cfg, chunk_seconds=chunk_seconds, hop_seconds=hop_seconds)
    module = backend(cfg)
    if sr != module.sample_rate(cfg):
        raise ConfigError(f"features.kind {cfg.kind!r} reads audio at {module.sample_rate(cfg)} Hz, got {sr} Hz")
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
    frame = pd.DataFrame(module.embed(y, spans, cfg), columns=module.feature_names(cfg))
    frame.insert(0, "start_s", [a / sr for a, _ in spans])
    frame.insert(0, "chunk", np.arange(len(spans), dtype=np.int64))
    return frame
