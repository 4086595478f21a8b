"""The :class:`Predictor` base: audio in (a file or an array, any rate and channels), a
:class:`~genrekit.inference.prediction.Prediction` out. Subclasses only score segments."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from genrekit.data.audio import audio_info, collect_audio_warnings, load_audio, prepare_array, report_audio_warning
from genrekit.errors import AudioError, ConfigError
from genrekit.inference.prediction import DEFAULT_MIDDLE_SECONDS, DEFAULT_WINDOW_SECONDS, Prediction, timeline_spans, window_frame


class Predictor:
    """A saved model with the preprocessing its run recorded.

    Subclasses implement :meth:`_segment_scores`; everything else (reading files, mono and
    resampling, middle clips, timelines) is shared. Make one with :func:`load_predictor`.

    Attributes
    ----------
    labels : list of str
        Genre names (index = class id).
    name : str
        Readable model name, e.g. ``'xgboost (features)'``.
    model : str
        Registered model name, e.g. ``'xgboost'``.
    family : str
        Registry family: 'classic', 'torch', 'hf', 'ensemble'.
    run_dir : Path or None
        The run folder it was loaded from.
    dataset : str
        ``RunInfo.dataset`` of that run: what it was trained on (``'synthetic'``, ``'gtzan'``,
        ...); ``''`` when unknown (an ensemble, a bare pretrained folder).
    sample_rate : int
        Rate (Hz) audio is resampled to before the model sees it.
    window_seconds : float or None
        Length (s) of audio one model input covers, from the run config: the chunk length for
        runs trained on chunks (and for networks), else the clip length (``data.clip_seconds``);
        None for a feature model trained on whole tracks.
    clip_seconds : float or None
        ``data.clip_seconds`` of the run: how much of each track (its middle) training used.
    """

    labels: list[str]
    name: str
    model: str
    family: str
    run_dir: Path | None = None
    dataset: str = ""
    sample_rate: int
    window_seconds: float | None = None
    clip_seconds: float | None = None

    @property
    def run(self) -> str:
        """The run folder's name ('' when not loaded from a folder)."""
        return self.run_dir.name if self.run_dir is not None else ""

    # -- what subclasses implement
    def _segment_scores(self, segments: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray | None, list[str | None]]:
        """Score segments, each as the run scored one clip.

        Parameters
        ----------
        segments : list of np.ndarray [shape=(n,), float32]
            Mono audio at :attr:`sample_rate`.

        Returns
        -------
        proba : np.ndarray [shape=(n_segments, n_classes)]
            NaN rows for segments that could not be scored.
        logits : np.ndarray [shape=(n_segments, n_classes)] or None
        errors : list of (str or None)
            Why each failed segment failed (None where it was scored).
        """
        raise NotImplementedError

    # -- shared
    def predict_array(
        self,
        y: np.ndarray,
        sr: int,
        *,
        timeline: bool = False,
        hop_seconds: float | None = None,
        window_seconds: float | None = None,
        name: str | None = None,
    ) -> Prediction:
        """Predict an in-memory signal (all of it, as one clip).

        Parameters
        ----------
        y : np.ndarray [shape=(n,) or (channels, n) or (n, channels)]
            Float in [-1, 1] or integer PCM.
        sr : int
            Its sample rate in Hz.
        timeline : bool
            Also score windows over the signal (see the module docstring).
        hop_seconds, window_seconds : float or None
            Timeline hop and window length in seconds (defaults: half a window, 30 s).
        name : str or None
            Named in error messages.

        Returns
        -------
        Prediction

        Raises
        ------
        AudioError
            If the signal is empty, silent, not finite or too short for the model.
        """
        signals = {rate: prepare_array(y, sr, sr=rate, name=name) for rate in self._rates()}
        return self._predict_signals(signals, None, timeline=timeline, window=window_seconds, hop=hop_seconds, source=name)

    def predict_file(
        self,
        path: str | Path,
        *,
        timeline: bool = False,
        middle_seconds: float | None = DEFAULT_MIDDLE_SECONDS,
        max_seconds: float | None = None,
        hop_seconds: float | None = None,
        window_seconds: float | None = None,
    ) -> Prediction:
        """Predict an audio file.

        Parameters
        ----------
        path : str or Path
            Any format :func:`~genrekit.data.audio.load_audio` reads.
        timeline : bool
            Also score windows over the file (its first ``max_seconds``).
        middle_seconds : float or None
            :attr:`Prediction.probabilities` describe the middle this-many seconds (the whole
            file when shorter; None: the whole file, or its first ``max_seconds``).
        max_seconds : float or None
            Read at most the first this-many seconds for the timeline (None: all).
        hop_seconds, window_seconds : float or None
            Timeline hop and window length (defaults: half a window, 30 s).

        Raises
        ------
        AudioError
            Naming the file: unreadable, empty, silent or too short for the model.

        A truncated or damaged file is predicted from the part that decodes; what is wrong with it
        is in :attr:`Prediction.notes` and is also passed on as an
        :class:`~genrekit.errors.AudioWarning` (see :func:`~genrekit.data.audio.collect_audio_warnings`).
        """
        path = Path(path)
        error = None
        with collect_audio_warnings() as found:
            try:
                signals, clips = _read(path, rates=self._rates(), timeline=timeline, middle_seconds=middle_seconds,
                                         max_seconds=max_seconds)
                prediction = self._predict_signals(signals, clips, timeline=timeline, window=window_seconds,
                                                   hop=hop_seconds, source=str(path))
            except AudioError as exc:
                error = exc if exc.path is not None else AudioError(path, exc.reason)
        for warning in found:  # on to the caller's collector, or issued
            report_audio_warning(warning)
        if error is not None:
            raise error from None
        return replace(prediction, notes=tuple(w.reason for w in found)) if found else prediction

    def predict_track(self, path: str | Path) -> np.ndarray:
        """Probabilities of one file read as the run read a track in training and evaluation: its
        middle :attr:`clip_seconds` (all of it for a run trained on whole tracks). What scoring a
        run on a list of tracks uses (:func:`genrekit.evaluate.predict_tracks`).

        Raises
        ------
        AudioError
            Naming the file: unreadable, empty, silent or too short for the model.
        """
        return self.predict_file(path, middle_seconds=self.clip_seconds).probabilities

    def predict_tracks(self, tracks: pd.DataFrame, *, desc: str = "scoring", progress: bool = True
                       ) -> tuple[pd.DataFrame, list[np.ndarray], list[dict]]:
        """:meth:`predict_track` of every row of ``tracks`` (a ``path`` column); a file that cannot be
        read is reported, not fatal. Network predictors stream many tracks through their loader.

        Returns
        -------
        kept : pd.DataFrame
            The rows predicted, in order.
        proba : list of np.ndarray [shape=(n_classes,)]
            One per kept row.
        problems : list of dict
            ``{"path", "reason"}`` per file left out.
        """
        # imports scikit-learn (through evaluate's metrics) only when many tracks are scored
        from genrekit.evaluate import predict_tracks

        return predict_tracks(self.predict_track, tracks, desc=desc, progress=progress)

    def _rates(self) -> list[int]:
        return [int(self.sample_rate)]

    def _predict_signals(self, signals: dict, clips: dict | None, *, timeline, window, hop, source) -> Prediction:
        rate = int(self.sample_rate)
        spans = spans_for(signals, window, hop) if timeline else None
        return self._predict_prepared(signals[rate], None if clips is None else clips[rate], spans=spans, source=source)

    def _predict_prepared(self, y: np.ndarray, clip, *, spans, source) -> Prediction:
        """Predict the clip and (with ``spans``) windows of ``y``, mono at :attr:`sample_rate`.

        ``clip`` is ``(start, stop)`` samples of ``y``, a separate array, or None for all of ``y``;
        ``spans`` are ``(start_s, end_s)`` windows. Identical segments are scored once (the clip of
        a short track is its only window).
        """
        sr = int(self.sample_rate)
        if clip is None:
            clip = (0, len(y))
        keys: list = [clip if isinstance(clip, tuple) else "clip"]
        if spans is not None:
            keys += [(int(round(s * sr)), min(int(round(e * sr)), len(y))) for s, e in spans]
        unique = list(dict.fromkeys(keys))
        segments = [y[k[0] : k[1]] if isinstance(k, tuple) else clip for k in unique]
        proba, logits, errors = self._segment_scores(segments)
        rows = [unique.index(k) for k in keys]
        if errors[rows[0]] is not None:
            raise AudioError(source, errors[rows[0]])
        windows = None
        if spans is not None:
            windows = window_frame(spans, proba[rows[1:]], self.labels)
        clip_samples = clip[1] - clip[0] if isinstance(clip, tuple) else len(clip)
        return Prediction(
            labels=list(self.labels),
            probabilities=proba[rows[0]],
            logits=None if logits is None else logits[rows[0]],
            windows=windows,
            model=self.name,
            source=source,
            seconds=clip_samples / sr,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, family={self.family!r}, {len(self.labels)} genres, run={self.run!r})"


def spans_for(signals: dict, window: float | None, hop: float | None) -> list[tuple[float, float]]:
    """Timeline windows over the decoded signal (the first rate's; every rate has the same duration)."""
    rate, y = next(iter(signals.items()))
    return timeline_spans(len(y) / rate, window_seconds=window or DEFAULT_WINDOW_SECONDS, hop_seconds=hop)


def _read(path: Path, *, rates: list[int], timeline: bool, middle_seconds, max_seconds):
    """Decode a file once per sample rate.

    Returns ``({rate: signal}, {rate: clip})`` where a clip is ``(start, stop)`` samples of the
    signal, or its own array when the signal does not hold it (a timeline cut by ``max_seconds``).
    """
    if middle_seconds is not None and middle_seconds <= 0:
        raise ConfigError(f"middle_seconds must be positive, got {middle_seconds}")
    if max_seconds is not None and max_seconds <= 0:
        raise ConfigError(f"max_seconds must be positive, got {max_seconds}")
    info = audio_info(path)
    whole = max_seconds is None or max_seconds >= info.duration
    signals, clips = {}, {}
    for rate in rates:
        if not timeline and middle_seconds is not None:
            # only the middle is needed: decode just that
            signals[rate] = load_audio(path, sr=rate, middle=middle_seconds)
            clips[rate] = (0, len(signals[rate]))
            continue
        y = load_audio(path, sr=rate, duration=max_seconds)
        signals[rate] = y
        if middle_seconds is None:
            clips[rate] = (0, len(y))
        elif whole:
            want = min(int(round(middle_seconds * rate)), len(y))
            start = (len(y) - want) // 2
            clips[rate] = (start, start + want)
        else:
            clips[rate] = load_audio(path, sr=rate, middle=middle_seconds)
    return signals, clips


