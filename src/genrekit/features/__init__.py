"""Hand-crafted features (:mod:`~genrekit.features.handcrafted`), their batch extraction with a
Parquet cache (:mod:`~genrekit.features.extract`) and spectrogram front-ends
(:mod:`~genrekit.features.spectrogram`).

Names are imported on first use, so ``import genrekit.features.spectrogram`` does not pull in
librosa and numba.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "FEATURE_VERSION": "genrekit.features.handcrafted",
    "GTZAN_CSV_COLUMNS": "genrekit.features.handcrafted",
    "extract_chunked": "genrekit.features.handcrafted",
    "extract_features": "genrekit.features.handcrafted",
    "feature_names": "genrekit.features.handcrafted",
    "warm_up": "genrekit.features.handcrafted",
    "FeatureSet": "genrekit.features.extract",
    "cache_key": "genrekit.features.extract",
    "extract_dataset": "genrekit.features.extract",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'genrekit.features' has no attribute {name!r}")
