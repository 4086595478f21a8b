"""Tags for a person: musicnn's top tags of a file, over the whole file and along a timeline.

The same answer musicnn's own tagger gives: the mean over 3 s patches of the sigmoid tag
probabilities, for the MSD model (50 Last.fm tags: genres, eras, moods) and the MTT model
(MagnaTagATune's 50: instruments, voice, a few genres).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from genrekit.data.audio import load_audio
from genrekit.errors import ConfigError
from genrekit.pretrained.musicnn import PATCH_SECONDS, SAMPLE_RATE, TAGS, MusicnnExtractor


@dataclass(frozen=True)
class TagResult:
    """musicnn's tags of one signal.

    Attributes
    ----------
    source : str or None
        The file (None for an array).
    seconds : float
        Length of the signal tagged.
    patches : int
        3 s patches the models saw (a partial last patch is not tagged).
    probabilities : dict of str to np.ndarray [shape=(50,)]
        Per model, the mean tag probabilities (order of :data:`~genrekit.pretrained.musicnn.TAGS`).
    windows : dict of str to pd.DataFrame or None
        Per model, ``start_s, end_s`` and one column per tag, one row per timeline window.
    """

    source: str | None
    seconds: float
    patches: int
    probabilities: dict[str, np.ndarray]
    windows: dict[str, pd.DataFrame] | None = None

    def top(self, model: str, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` most probable tags of ``model`` with their probabilities."""
        proba = self.probabilities[model]
        return [(TAGS[model][i], float(proba[i])) for i in np.argsort(-proba, kind="stable")[:k]]

    def to_dict(self, *, top: int = 10) -> dict:
        out = {"file": self.source, "seconds": round(self.seconds, 3), "patches": self.patches,
               "tags": {m: [{"tag": t, "probability": round(p, 5)} for t, p in self.top(m, top)] for m in self.probabilities}}
        if self.windows is not None:
            out["timeline"] = {}
            for model, frame in self.windows.items():
                rows = []
                for _, row in frame.iterrows():
                    proba = row[TAGS[model]].to_numpy(dtype=np.float64)
                    best = np.argsort(-proba, kind="stable")[:top]
                    rows.append({"start_s": row["start_s"], "end_s": row["end_s"],
                                 "tags": [{"tag": TAGS[model][i], "probability": round(float(proba[i]), 5)} for i in best]})
                out["timeline"][model] = rows
        return out


def tag_signal(extractor: MusicnnExtractor, y: np.ndarray, *, name: str | None = None,
               window_seconds: float | None = None) -> TagResult:
    """Tag a mono 16 kHz signal with every model of ``extractor``.

    Parameters
    ----------
    window_seconds : float or None
        Also give a timeline: windows of this many seconds (rounded to whole 2.99 s patches, at
        least one), without overlap. None: no timeline.

    Raises
    ------
    AudioError
        If the signal is shorter than one patch.
    """
    if window_seconds is not None and window_seconds <= 0:
        raise ConfigError(f"the timeline window must be positive, got {window_seconds}")
    outputs = extractor(y, name=name)
    n = len(next(iter(outputs.values()))["taggram"])
    probabilities = {m: out["taggram"].mean(axis=0) for m, out in outputs.items()}
    windows = None
    if window_seconds is not None:
        per = max(1, int(round(window_seconds / PATCH_SECONDS)))
        starts = list(range(0, n, per))
        windows = {}
        for model, out in outputs.items():
            frame = pd.DataFrame({"start_s": [round(s * PATCH_SECONDS, 3) for s in starts],
                                  "end_s": [round(min(s + per, n) * PATCH_SECONDS, 3) for s in starts]})
            means = np.stack([out["taggram"][s : s + per].mean(axis=0) for s in starts])
            windows[model] = pd.concat([frame, pd.DataFrame(means, columns=TAGS[model])], axis=1)
    return TagResult(source=name, seconds=len(y) / SAMPLE_RATE, patches=n, probabilities=probabilities, windows=windows)


def tag_file(extractor: MusicnnExtractor, path: str | Path, *, window_seconds: float | None = None) -> TagResult:
    """Tag a whole audio file (any format :func:`~genrekit.data.audio.load_audio` reads).

    Raises
    ------
    AudioError
        Naming the file: unreadable, silent, or shorter than one patch.
    """
    y = load_audio(path, sr=SAMPLE_RATE)
    return tag_signal(extractor, y, name=str(path), window_seconds=window_seconds)
