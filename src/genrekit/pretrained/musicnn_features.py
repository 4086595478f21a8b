"""musicnn as a feature kind (``musicnn-msd``, ``musicnn-mtt``, ``musicnn``): the embedder backend
that :mod:`genrekit.features.kinds` dispatches to.

``features.embedding`` picks the representation: ``penultimate`` (200 values, the default: the
layer transfer studies use), ``taggram`` (the 50 tag probabilities), ``max_pool`` / ``mean_pool``
(753 each) or ``pools`` (both, 1506). A row is the mean over the 3 s patches of its clip or chunk.
"""

from __future__ import annotations

import re

import numpy as np

from genrekit.config import FeatureConfig
from genrekit.errors import ConfigError
from genrekit.pretrained.musicnn import MIN_SECONDS, OUTPUTS, SAMPLE_RATE, TAGS, MusicnnExtractor

#: Kinds and the checkpoints behind each.
KINDS = {"musicnn-msd": ("MSD_musicnn",), "musicnn-mtt": ("MTT_musicnn",), "musicnn": ("MSD_musicnn", "MTT_musicnn")}
#: Representations a row can hold, and the network outputs behind each.
EMBEDDINGS = {"penultimate": ("penultimate",), "taggram": ("taggram",), "max_pool": ("max_pool",),
              "mean_pool": ("mean_pool",), "pools": ("max_pool", "mean_pool")}
_SHORT = {"penultimate": "pen", "max_pool": "max", "mean_pool": "mean"}


#: The representation used when ``features.embedding`` is None.
DEFAULT_EMBEDDING = "penultimate"


def embedding(cfg: FeatureConfig) -> str:
    return cfg.embedding or DEFAULT_EMBEDDING


def check(cfg: FeatureConfig) -> None:
    if embedding(cfg) not in EMBEDDINGS:
        raise ConfigError(f"unknown features.embedding {cfg.embedding!r} for {cfg.kind!r}; available: {', '.join(EMBEDDINGS)}")


def sample_rate(cfg: FeatureConfig) -> int:
    return SAMPLE_RATE


def min_seconds(cfg: FeatureConfig) -> float:
    return MIN_SECONDS


def version(cfg: FeatureConfig) -> str:
    return "musicnn-1"


def cache_settings(cfg: FeatureConfig) -> dict:
    """What the values depend on (the device does not change them)."""
    return {"kind": cfg.kind, "embedding": embedding(cfg)}


def tag_column(model: str, tag: str) -> str:
    """The feature column of one musicnn tag probability, e.g. ``msd_tag_hip_hop``."""
    return f"{model.split('_')[0].lower()}_tag_{re.sub(r'[^a-z0-9]+', '_', tag.lower()).strip('_')}"


def feature_names(cfg: FeatureConfig) -> list[str]:
    names = []
    for model in KINDS[cfg.kind]:
        prefix = model.split("_")[0].lower()
        for output in EMBEDDINGS[embedding(cfg)]:
            if output == "taggram":
                names += [tag_column(model, t) for t in TAGS[model]]
            else:
                names += [f"{prefix}_{_SHORT[output]}_{i:03d}" for i in range(OUTPUTS[output])]
    return names


_EXTRACTORS: dict = {}


def extractor(cfg: FeatureConfig) -> MusicnnExtractor:
    """One extractor per process and (models, device): weights are loaded once, not per clip."""
    key = (KINDS[cfg.kind], cfg.device)
    if key not in _EXTRACTORS:
        _EXTRACTORS[key] = MusicnnExtractor(key[0], device=cfg.device, fetch=True)
    return _EXTRACTORS[key]


def warm_up(cfg: FeatureConfig) -> None:
    extractor(cfg)


def embed(y: np.ndarray, spans: list[tuple[int, int]], cfg: FeatureConfig) -> np.ndarray:
    """One row per span ``(start, stop)`` of ``y`` (16 kHz): the mean over the span's patches."""
    import torch

    net = extractor(cfg)
    # every span's patches in one batch, then each row is the mean over its span's patches
    patches = [net.patches(y[a:b]) for a, b in spans]
    outputs = net.run_patches(torch.cat(patches))
    values = np.concatenate([outputs[m][o] for m in KINDS[cfg.kind] for o in EMBEDDINGS[embedding(cfg)]], axis=1)
    bounds = np.cumsum([0] + [len(p) for p in patches])
    return np.stack([values[a:b].mean(axis=0) for a, b in zip(bounds[:-1], bounds[1:])]).astype(np.float64)
