"""One inference API for every saved run: audio in, genre probabilities out.

:func:`load_predictor` opens any run folder (classic, torch, hf, or a saved ensemble) through the
family loader the registry names for it, and wraps what it returns in a :class:`Predictor`:

==================  ==========================================================================
what the run holds  how audio becomes a prediction (all settings read from the run)
==================  ==========================================================================
a feature model     the audio is resampled to the run's ``data.sample_rate``; hand-crafted
(``classic``)       features are extracted with the run's ``[features]`` table, per chunk of
                    ``data.chunk_seconds`` every ``data.hop_seconds`` when the run was trained on
                    chunks, else per clip of ``data.clip_seconds``; the prediction is the mean
                    of the rows' probabilities (as evaluation scores a track)
a network           the loaded predictor cuts the audio into its own input chunks (torch:
(``torch``, ``hf``) ``chunk_seconds`` every ``hop_seconds`` as in training; hf: the model's
                    windows); the network's front-end turns them into spectrograms or
                    extractor inputs; the prediction is the mean of the chunks' softmax
==================  ==========================================================================

so the caller never chooses a sample rate, a feature setting or a chunk length. Any format
:func:`genrekit.data.audio.load_audio` reads, of any length, mono or multichannel, at any sample
rate is accepted; it is mixed to mono and resampled for each model.

:class:`Ensemble` has the same interface and soft-votes: its probabilities are the weighted mean
of its members' probabilities (labels aligned by name).

Logits
    :attr:`Prediction.logits` is the mean over the model's input chunks of the network's
    pre-softmax outputs, for networks. Feature models (and ensembles) have no logits: the field is
    None and :attr:`Prediction.log_scores` gives log-probabilities instead. Note that for a
    network the probabilities are the mean of the chunks' softmax (the evaluation rule), so they
    are not ``softmax(logits)`` unless the audio is one chunk.

Timelines
    ``timeline=True`` adds :attr:`Prediction.windows`: windows of ``window_seconds`` (default
    30 s) every ``hop_seconds`` (default half a window) over the signal, each predicted as the
    run predicts one clip (a feature model trained on 6 s clips scores a 30 s window as five 6 s
    clips). The last window is aligned to the end of the signal so the whole signal is covered,
    unless it would add less than :data:`MIN_NEW_FRACTION` of a window of audio no other window
    holds: the last full window then stretches to the end instead, so a signal shorter than a
    window, or at most 10 % longer, is one window. A window the model cannot score (digital
    silence, for a network) gets NaN probabilities.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from genrekit.data.audio import audio_info, collect_audio_warnings, load_audio, prepare_array, report_audio_warning
from genrekit.errors import AudioError, ConfigError, RunError
from genrekit.features import kinds

#: Default timeline window (s): GTZAN's clip length.
DEFAULT_WINDOW_SECONDS = 30.0

#: An end-aligned last window must bring at least this share of a window of new audio; a shorter
#: tail stretches the last full window instead (a 30.013 s clip is one 30 s window, not two).
MIN_NEW_FRACTION = 0.1

#: Default length (s) of the part of a file a single prediction looks at: its middle.
DEFAULT_MIDDLE_SECONDS = 30.0

# A feature model trained on clips scores a longer span as clips of the training length once the
# span is this much longer; just above it (a 31 s file for a 30 s model) it stays one clip.
_TILE_FACTOR = 1.25


# ---------------------------------------------------------------------- the prediction


@dataclass(frozen=True)
class Prediction:
    """Genre scores of one piece of audio.

    Attributes
    ----------
    labels : list of str
        Genre names; position ``i`` of every array is ``labels[i]``.
    probabilities : np.ndarray [shape=(n_classes,), dtype=float64]
        Sum to 1.
    logits : np.ndarray [shape=(n_classes,)] or None
        Mean pre-softmax outputs over the model's chunks, for networks; None for models without
        logits (feature models, ensembles): use :attr:`log_scores`.
    windows : pd.DataFrame or None
        With ``timeline=True``: one row per window, columns ``start_s``, ``end_s`` (seconds from
        the start of the signal) and one probability column per genre (NaN where the model could
        not score the window).
    model : str
        Name of the predictor that made it.
    source : str or None
        The file, for :meth:`Predictor.predict_file`.
    seconds : float
        Duration (s) of the audio behind :attr:`probabilities`.
    members : tuple of Prediction
        For an ensemble: each member's own prediction, in member order.
    notes : tuple of str
        What is wrong with the file it was made from, when it was used only as far as it decodes
        (e.g. ``'truncated: decodes 14.5 s of the 29.0 s its header declares'``); empty otherwise.
    """

    labels: list[str]
    probabilities: np.ndarray
    logits: np.ndarray | None = None
    windows: pd.DataFrame | None = None
    model: str = ""
    source: str | None = None
    seconds: float = 0.0
    members: tuple = field(default_factory=tuple)
    notes: tuple = field(default_factory=tuple)

    @property
    def genre(self) -> str:
        """The most probable genre."""
        return self.labels[int(np.argmax(self.probabilities))]

    @property
    def log_scores(self) -> np.ndarray:
        """The logits, or the log-probabilities (floored at 1e-12) when the model has no logits."""
        if self.logits is not None:
            return self.logits
        return np.log(np.clip(self.probabilities, 1e-12, None))

    @property
    def score_kind(self) -> str:
        """``'logit'`` or ``'log-probability'``: what :attr:`log_scores` holds."""
        return "logit" if self.logits is not None else "log-probability"

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` most probable genres as ``(genre, probability)``, most probable first."""
        order = np.argsort(-self.probabilities, kind="stable")[: max(int(k), 0)]
        return [(self.labels[i], float(self.probabilities[i])) for i in order]

    def to_dict(self, *, top: int | None = None) -> dict:
        """A JSON-able summary: model, source, top genres, all probabilities, logits, windows."""
        out = {
            "model": self.model,
            "source": self.source,
            "seconds": round(self.seconds, 3),
            "top": [{"genre": g, "probability": p} for g, p in self.top(top or len(self.labels))],
            "probabilities": {g: float(p) for g, p in zip(self.labels, self.probabilities)},
            "logits": None if self.logits is None else {g: float(v) for g, v in zip(self.labels, self.logits)},
            "notes": list(self.notes),
        }
        if self.windows is not None:
            out["windows"] = self.windows.replace({np.nan: None}).to_dict(orient="records")
        return out


def timeline_spans(duration: float, *, window_seconds: float, hop_seconds: float | None = None) -> list[tuple[float, float]]:
    """Window boundaries over a signal.

    Parameters
    ----------
    duration : float
        Signal length in seconds.
    window_seconds : float
        Window length in seconds (> 0).
    hop_seconds : float or None
        Step between window starts (default ``window_seconds / 2``).

    Returns
    -------
    list of (start_s, end_s)
        Full windows from 0 every hop; if they leave the end uncovered, one more window ending at
        the end of the signal when that window adds at least ``MIN_NEW_FRACTION * window_seconds``
        of audio, else the last full window is stretched to the end. So a signal shorter than
        ``(1 + MIN_NEW_FRACTION) * window_seconds`` gives ``[(0, duration)]``.
    """
    if not window_seconds or window_seconds <= 0:
        raise ConfigError(f"window_seconds must be positive, got {window_seconds}")
    hop = window_seconds / 2 if hop_seconds is None else hop_seconds
    if not hop or hop <= 0:
        raise ConfigError(f"hop_seconds must be positive, got {hop_seconds}")
    if duration <= window_seconds + 1e-9:
        return [(0.0, float(duration))]
    count = 1 + int(math.floor((duration - window_seconds) / hop + 1e-9))
    spans = [(i * hop, i * hop + window_seconds) for i in range(count)]
    tail = duration - spans[-1][1]
    if tail >= MIN_NEW_FRACTION * window_seconds - 1e-9:
        spans.append((duration - window_seconds, float(duration)))
    elif tail > 1e-6:
        spans[-1] = (spans[-1][0], float(duration))
    return [(round(s, 6), round(e, 6)) for s, e in spans]


# ---------------------------------------------------------------------- predictors


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

    def _rates(self) -> list[int]:
        return [int(self.sample_rate)]

    def _predict_signals(self, signals: dict, clips: dict | None, *, timeline, window, hop, source) -> Prediction:
        rate = int(self.sample_rate)
        spans = _spans_for(signals, window, hop) if timeline else None
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
            windows = _window_frame(spans, proba[rows[1:]], self.labels)
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


def _spans_for(signals: dict, window: float | None, hop: float | None) -> list[tuple[float, float]]:
    rate, y = next(iter(signals.items()))
    return timeline_spans(len(y) / rate, window_seconds=window or DEFAULT_WINDOW_SECONDS, hop_seconds=hop)


def _window_frame(spans, proba: np.ndarray, labels: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({"start_s": [s for s, _ in spans], "end_s": [e for _, e in spans]})
    for i, label in enumerate(labels):
        frame[label] = proba[:, i]
    return frame


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


class FeaturePredictor(Predictor):
    """A feature-based model (the ``classic`` family) with its run's feature settings and window.

    Parameters
    ----------
    model : object
        Has ``labels``, ``feature_columns`` and ``predict_proba(X) -> (n, n_classes)``
        (:class:`genrekit.models.classic.ClassicPredictor`).
    record : genrekit.runs.RunRecord
        Its run folder's record: ``config.data`` (sample rate, clip, chunk and hop seconds) and
        ``config.features``.
    """

    def __init__(self, model, record):
        data = record.config.data
        self.estimator = model
        self.labels = list(model.labels)
        self.model = record.info.model
        kind = record.config.features.kind
        self.name = f"{record.info.model} ({record.info.input if kind == kinds.HANDCRAFTED else kind})"
        self.family = record.info.family
        self.run_dir = Path(record.path)
        self.sample_rate = kinds.sample_rate(record.config.features, data)
        self.clip_seconds = data.clip_seconds
        self.chunk_seconds = data.chunk_seconds
        self.hop_seconds = data.hop_seconds
        self.features = record.config.features
        self.window_seconds = self.chunk_seconds or self.clip_seconds

    def feature_rows(self, y: np.ndarray) -> np.ndarray:
        """Feature matrix of one segment, cut as the run cut its clips.

        Parameters
        ----------
        y : np.ndarray [shape=(n,)]
            Mono audio at :attr:`sample_rate`.

        Returns
        -------
        np.ndarray [shape=(n_rows, n_features)]
            Columns in the model's ``feature_columns`` order. One row per chunk for runs trained
            on chunks (one row for the whole segment if it is shorter than a chunk); else one row,
            or one per clip of ``clip_seconds`` when the segment is clearly longer than the clips
            the model was trained on.
        """
        kinds.warm_up(self.features)
        sr = self.sample_rate
        seconds = len(y) / sr
        if self.chunk_seconds:
            if seconds >= self.chunk_seconds:
                chunk, hop = self.chunk_seconds, self.hop_seconds
            else:
                chunk, hop = None, None
        elif self.clip_seconds and seconds > _TILE_FACTOR * self.clip_seconds:
            chunk, hop = self.clip_seconds, None
        else:
            chunk, hop = None, None
        frame = kinds.extract_chunked(y, sr=sr, cfg=self.features, chunk_seconds=chunk, hop_seconds=hop)
        missing = [c for c in self.estimator.feature_columns if c not in frame.columns]
        if missing:
            raise RunError(f"{self.run_dir}: the run's feature settings do not yield the model's columns {missing[:5]}")
        return frame[self.estimator.feature_columns].to_numpy(dtype=np.float64)

    def _segment_scores(self, segments):
        proba = np.full((len(segments), len(self.labels)), np.nan)
        errors: list[str | None] = []
        for i, segment in enumerate(segments):
            try:
                rows = self.feature_rows(segment)
            except AudioError as exc:
                errors.append(exc.reason)
                continue
            proba[i] = self.estimator.predict_proba(rows).mean(axis=0)
            errors.append(None)
        return proba, None, errors


class WaveformPredictor(Predictor):
    """A network that takes waveform chunks (the ``torch`` and ``hf`` families).

    Parameters
    ----------
    loaded : object
        What the family loader returned: has ``model`` (an ``nn.Module`` mapping a
        ``(batch, samples)`` waveform at ``sample_rate`` to logits, front-end inside), ``labels``,
        ``sample_rate``, ``chunks(waveform, sr) -> (n_chunks, samples)`` (the training chunking)
        and ``info`` (with ``chunk_seconds`` or ``window_seconds``).
    record : genrekit.runs.RunRecord
    batch_size : int, optional
        Chunks per forward pass (default: the loaded predictor's own, else 32).
    """

    def __init__(self, loaded, record, *, batch_size: int | None = None):
        self.loaded = loaded
        self.labels = list(loaded.labels)
        self.model = record.info.model
        self.name = f"{record.info.model} ({record.info.input})"
        self.family = record.info.family
        self.run_dir = Path(record.path)
        self.sample_rate = int(loaded.sample_rate)
        info = loaded.info
        self.window_seconds = getattr(info, "chunk_seconds", None) or getattr(info, "window_seconds", None)
        self.clip_seconds = getattr(info, "clip_seconds", record.config.data.clip_seconds)
        self.batch_size = int(batch_size or getattr(loaded, "batch_size", None) or 32)

    def _segment_scores(self, segments):
        import torch

        module = self.loaded.model
        device = getattr(self.loaded, "device", torch.device("cpu"))
        module.eval()
        n = len(segments)
        proba = np.full((n, len(self.labels)), np.nan)
        logits = np.full((n, len(self.labels)), np.nan)
        errors: list[str | None] = []
        with torch.no_grad():
            for i, segment in enumerate(segments):
                try:
                    chunks = self.loaded.chunks(segment, self.sample_rate)
                except AudioError as exc:
                    errors.append(exc.reason)
                    continue
                out = []
                for start in range(0, len(chunks), self.batch_size):
                    x = torch.from_numpy(np.ascontiguousarray(chunks[start : start + self.batch_size], dtype=np.float32))
                    out.append(module(x.to(device)).float().cpu().numpy())
                z = np.concatenate(out).astype(np.float64)
                logits[i] = z.mean(axis=0)
                proba[i] = _softmax(z).mean(axis=0)
                errors.append(None)
        return proba, logits, errors


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def wrap_loaded(loaded, record) -> Predictor:
    """Wrap what a family loader returned in the :class:`Predictor` for its kind of input.

    The choice is by what the object can do (score feature rows, or run waveform chunks through
    a network), not by family name, so a new family whose loader returns either kind works.

    Raises
    ------
    RunError
        If the object offers neither.
    """
    if isinstance(loaded, Predictor):
        return loaded
    if hasattr(loaded, "feature_columns") and hasattr(loaded, "predict_proba"):
        return FeaturePredictor(loaded, record)
    if hasattr(loaded, "chunks") and callable(getattr(loaded, "model", None)):
        return WaveformPredictor(loaded, record)
    raise RunError(f"{record.path}: the {record.info.family!r} loader returned {type(loaded).__name__}, "
                   "which neither scores feature rows nor takes waveform chunks")


def load_predictor(run_dir: str | Path) -> Predictor:
    """Load any saved run (classic, torch, hf or ensemble) as a :class:`Predictor`.

    Parameters
    ----------
    run_dir : str or Path
        A run folder written by ``genrekit train`` or :func:`genrekit.ensemble.evaluate_ensemble`.
        A folder without ``run.json`` that holds a Hugging Face ``save_pretrained`` audio
        classifier (``config.json`` + ``preprocessor_config.json``, e.g. a hub download) is
        loaded by the ``hf`` family's loader, which accepts such folders.

    Raises
    ------
    RunError
        If the folder is not a complete run or its model cannot be read.
    ConfigError
        If its family is unknown.
    """
    from genrekit.models.registry import get_family
    from genrekit.runs import RUN_FILE, read_run

    folder = Path(run_dir)
    if not (folder / RUN_FILE).is_file() and (folder / "config.json").is_file():
        record = _bare_pretrained_record(folder)
    else:
        record = read_run(folder)
    loaded = get_family(record.info.family).load(record.path)
    predictor = wrap_loaded(loaded, record)
    if not isinstance(predictor, Ensemble):  # an ensemble's members carry their own
        predictor.dataset = predictor.dataset or record.info.dataset
    return predictor


#: ``RunInfo.dataset`` of a run trained on genrekit's generated genre set (``data.source = 'synthetic'``).
SYNTHETIC_DATASET = "synthetic"

#: What :func:`synthetic_note` recommends instead, as the command line offers it.
REAL_MUSIC_ADVICE = ("for real music use the default zero-shot musicnn model (genrekit predict/album without --run) "
                     "or a run trained on GTZAN or FMA")


def synthetic_members(predictor: Predictor) -> list[Predictor]:
    """The models behind ``predictor`` (itself, or each ensemble member) trained on the synthetic set.

    Decided from what each run recorded (``RunInfo.dataset``, kept as :attr:`Predictor.dataset`),
    so a run whose ``data.source`` was ``'synthetic'`` counts, and a run trained on a real dataset
    (or the zero-shot model, trained on nothing) does not.
    """
    inner = getattr(predictor, "inner", predictor)  # a cross-dataset folder predicts as the run it scored
    members = list(getattr(inner, "members", None) or [inner])
    whole = getattr(predictor, "dataset", "") == SYNTHETIC_DATASET
    return [m for m in members if whole or getattr(m, "dataset", "") == SYNTHETIC_DATASET]


def synthetic_note(predictor: Predictor, *, advice: str = REAL_MUSIC_ADVICE) -> str | None:
    """One line saying the model knows synthetic music only, or None if no member was trained on it.

    Parameters
    ----------
    predictor : Predictor
        One model or an :class:`Ensemble`; the note is given if any member was trained on the
        synthetic set (its answers pull the vote towards what the generator makes of a genre).
    advice : str
        What to use instead (default :data:`REAL_MUSIC_ADVICE`, in command-line terms).
    """
    found = synthetic_members(predictor)
    if not found:
        return None
    inner = getattr(predictor, "inner", predictor)
    total = len(getattr(inner, "members", None) or [inner])
    if total == 1:
        who, knows = "this model was", "it knows"
    else:
        who = f"{len(found)} of the ensemble's {total} models ({', '.join(m.name for m in found)}) were"
        knows = "it knows" if len(found) == 1 else "they know"
    return (f"{who} trained on genrekit's synthetic genre set only: {knows} synthetic music, and "
            f"{'its' if knows == 'it knows' else 'their'} answers on real recordings mean little; {advice}")


def _bare_pretrained_record(folder: Path):
    """A stand-in run record for a bare ``save_pretrained`` folder (no training run behind it)."""
    from genrekit.config import ExperimentConfig
    from genrekit.runs import RunInfo, RunRecord

    config = ExperimentConfig()
    config.data.clip_seconds = None
    info = RunInfo(family="hf", model="hf", input="waveform", dataset="", split_kind="", name=folder.name)
    return RunRecord(folder, info, config, labels=[], metrics={})


# ---------------------------------------------------------------------- ensembles


class Ensemble(Predictor):
    """Soft voting over several predictors: the weighted mean of their probabilities.

    Parameters
    ----------
    predictors : sequence of Predictor
        At least one; each keeps its own preprocessing (sample rate, features, chunks).
    weights : sequence of float or None
        One non-negative weight per predictor (normalised to sum 1); equal weights if None.

    Labels are aligned by name: the ensemble's labels are the first member's, followed by genres
    only later members know; a member gives probability 0 to genres it lacks.

    Raises
    ------
    ConfigError
        No predictors, a nested ensemble, bad weights, or a member that shares no genre with the
        others.
    """

    family = "ensemble"

    def __init__(self, predictors: Sequence[Predictor], weights: Sequence[float] | None = None):
        members = list(predictors)
        if not members:
            raise ConfigError("an ensemble needs at least one predictor")
        for member in members:
            if isinstance(member, Ensemble):
                raise ConfigError("an ensemble cannot contain another ensemble; list its members instead")
            if not isinstance(member, Predictor):
                raise ConfigError(f"ensemble members must be Predictors (see load_predictor), got {type(member).__name__}")
        if weights is None:
            w = np.ones(len(members))
        else:
            w = np.asarray(list(weights), dtype=np.float64)
            if w.shape != (len(members),):
                raise ConfigError(f"{len(members)} predictors but {w.size} weights")
            if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
                raise ConfigError(f"weights must be non-negative numbers, not all zero; got {w.tolist()}")
        labels: list[str] = []
        for member in members:
            labels += [g for g in member.labels if g not in labels]
        if len(members) > 1:
            for i, member in enumerate(members):
                others = {g for j, m in enumerate(members) if j != i for g in m.labels}
                if not others & set(member.labels):
                    raise ConfigError(f"{member.name} shares no genre with the other members "
                                      f"({', '.join(member.labels)} vs {', '.join(sorted(others))})")
        self.members = members
        self.weights = w / w.sum()
        self.labels = labels
        self.model = "ensemble(" + "+".join(m.model for m in members) + ")"
        self.name = self.model
        self.run_dir = None
        self.sample_rate = max(int(m.sample_rate) for m in members)
        windows = [m.window_seconds for m in members if m.window_seconds]
        self.window_seconds = max(windows) if windows else None
        self.clip_seconds = None
        # column j of member i's probabilities goes to column _columns[i][j] of the ensemble's
        self._columns = [np.array([labels.index(g) for g in m.labels]) for m in members]

    def _rates(self) -> list[int]:
        return sorted({int(m.sample_rate) for m in self.members})

    def align(self, index: int, proba: np.ndarray) -> np.ndarray:
        """Member ``index``'s probabilities ``(..., n_member_classes)`` on the ensemble's labels (0 for
        genres it lacks; rows with NaN stay NaN)."""
        proba = np.asarray(proba, dtype=np.float64)
        out = np.zeros(proba.shape[:-1] + (len(self.labels),))
        out[..., self._columns[index]] = proba
        if proba.shape[-1]:
            out[np.isnan(proba).any(axis=-1)] = np.nan
        return out

    def combine(self, member_proba: Sequence[np.ndarray]) -> np.ndarray:
        """Soft vote.

        Parameters
        ----------
        member_proba : sequence of np.ndarray [shape=(..., n_member_classes)]
            Each member's probabilities over its own labels, in member order.

        Returns
        -------
        np.ndarray [shape=(..., n_classes)]
            The weighted mean over members, on :attr:`labels`. Members with NaN rows (a window
            they could not score) are left out of that row and the others' weights renormalised.
        """
        aligned = [self.align(i, proba) for i, proba in enumerate(member_proba)]
        stack = np.stack(aligned)  # (members, ..., classes)
        valid = ~np.isnan(stack).any(axis=-1, keepdims=True)
        w = self.weights.reshape((-1,) + (1,) * (stack.ndim - 1)) * valid
        total = w.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, (np.nan_to_num(stack) * w).sum(axis=0) / total, np.nan)

    def _predict_signals(self, signals: dict, clips: dict | None, *, timeline, window, hop, source) -> Prediction:
        spans = _spans_for(signals, window, hop) if timeline else None
        predictions = []
        for member in self.members:
            rate = int(member.sample_rate)
            clip = None if clips is None else clips[rate]
            predictions.append(member._predict_prepared(signals[rate], clip, spans=spans, source=source))
        return self.vote(predictions, source=source)

    def vote(self, predictions: Sequence[Prediction], *, source: str | None = None) -> Prediction:
        """Combine the members' predictions of one piece of audio (in member order) into one."""
        proba = self.combine([p.probabilities for p in predictions])
        windows = None
        if all(p.windows is not None for p in predictions):
            first = predictions[0].windows
            window_proba = self.combine([p.windows[list(p.labels)].to_numpy(dtype=np.float64) for p in predictions])
            windows = _window_frame(list(zip(first["start_s"], first["end_s"])), window_proba, self.labels)
        return Prediction(
            labels=list(self.labels),
            probabilities=proba,
            logits=None,
            windows=windows,
            model=self.name,
            source=source,
            seconds=max(p.seconds for p in predictions),
            members=tuple(predictions),
        )

    def __repr__(self) -> str:
        parts = ", ".join(f"{m.name} x{w:.2f}" for m, w in zip(self.members, self.weights))
        return f"Ensemble({parts})"


def as_predictors(items) -> list[Predictor]:
    """Predictors from a mix of :class:`Predictor` objects and run folders (paths)."""
    if isinstance(items, (str, Path, Predictor)):
        items = [items]
    out = []
    for item in items:
        out.append(item if isinstance(item, Predictor) else load_predictor(item))
    return out


def load_ensemble(run_dirs, *, weights: Sequence[float] | None = None) -> Predictor:
    """One predictor for one run, an :class:`Ensemble` for several (run folders or Predictors)."""
    members = as_predictors(run_dirs)
    if len(members) == 1 and weights is None:
        return members[0]
    return Ensemble(members, weights)

