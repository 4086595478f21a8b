"""Serving requests: classifying one upload (everything the app's button does), and the process
set-up that keeps requests fast (:func:`warm_up`, :func:`share_cores`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from genrekit.app.models import AppModel
from genrekit.app.results import (
    FALLBACK_WINDOW_SECONDS,
    AppResult,
    bar_frame,
    score_dict,
    timeline_frame,
    timeline_window,
)
from genrekit.app.tags import TagPanel
from genrekit.app.uploads import UploadLimits, read_upload
from genrekit.errors import AudioError


def classify_upload(model: AppModel, path: str | Path | None, *, limits: UploadLimits | None = None) -> AppResult:
    """Check, read and classify one upload: everything the app's button does.

    Parameters
    ----------
    model : AppModel
    path : str or Path or None
        The uploaded or recorded file.
    limits : UploadLimits, optional

    Returns
    -------
    AppResult
        With musicnn's tags of the upload's middle when the model has a :class:`~genrekit.app.tags.Tagger` (a note
        instead of tags for audio shorter than one musicnn patch).

    Raises
    ------
    AudioError
        If the file is unusable (see :func:`read_upload`) or the model cannot score it; the message
        is meant for the user.
    """
    upload = read_upload(path, sr=model.sample_rate, limits=limits)
    window = timeline_window(upload.seconds, model_window=model.window_seconds)
    timeline = upload.seconds > (model.window_seconds or window)
    try:
        prediction = model.predictor.predict_array(
            upload.y, upload.sr, timeline=timeline, window_seconds=window, hop_seconds=window
        )
    except AudioError as exc:
        # the predictor sees an array; the user needs the file's name
        raise AudioError(path, exc.reason) from None
    scores = score_dict(prediction.labels, prediction.probabilities)
    frame = None
    if timeline and getattr(prediction, "windows", None) is not None and len(prediction.windows) > 1:
        frame = timeline_frame(prediction.windows, prediction.labels)
    if model.tagger is not None:
        tags = model.tagger.tag(upload.y, upload.sr)
    else:
        tags = None if model.tag_note is None else TagPanel(note=model.tag_note)
    return AppResult(scores=scores, bars=bar_frame(scores), timeline=frame, seconds=upload.seconds, notes=upload.notes,
                     tags=tags)


def warm_up(model: AppModel) -> float:
    """Run one prediction (and tagging) on a synthetic tone so the first user does not wait for
    JIT compilation, weight loading or first-call set-up.

    Returns
    -------
    float
        Seconds it took.
    """
    started = time.perf_counter()
    sr = model.sample_rate
    model.predictor.predict_array(_tone(model.window_seconds or FALLBACK_WINDOW_SECONDS, sr), sr)
    if model.tagger is not None:
        # as long as what requests are tagged on, so the first request finds the same shapes
        model.tagger.tag(_tone(model.tagger.seconds, sr), sr)
    return time.perf_counter() - started


def _tone(seconds: float, sr: int) -> np.ndarray:
    """A 440 Hz tone pulsing twice a second: audible, not silent, cheap to make."""
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * 440.0 * t) * (1 + np.sin(2 * np.pi * 2 * t)) / 2).astype(np.float32)


def share_cores(concurrency: int, *, cores: int | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Give each of the ``concurrency`` requests classified at once its share of the cores for torch.

    torch's OpenMP threads spin while they wait for each other, so two requests of two threads
    each on two cores (or one beside another busy process) run several times slower than with one
    thread each: a 30 s clip's genres and tags took 2 to 10 s instead of a steady 1.2 s here.
    Leaves the setting alone when ``OMP_NUM_THREADS`` is set.

    Parameters
    ----------
    concurrency : int
        Requests classified at once (the queue's concurrency limit).
    cores : int, optional
        Cores to share (default: those this process may run on).
    environ : mapping, optional
        Where to look for ``OMP_NUM_THREADS`` (default ``os.environ``).

    Returns
    -------
    int
        torch's intra-op threads now.
    """
    import torch

    environ = os.environ if environ is None else environ
    if not environ.get("OMP_NUM_THREADS"):
        cores = cores or len(os.sched_getaffinity(0))
        torch.set_num_threads(max(1, cores // max(1, int(concurrency))))
    return torch.get_num_threads()
