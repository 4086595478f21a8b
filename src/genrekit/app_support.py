"""Everything the Gradio app does except drawing widgets: which model answers, checking an upload,
and turning a prediction into what the widgets show.

``space/app.py`` is UI only and calls nothing but this module, so all of it is tested without a
browser. The model comes from, in order:

1. ``--run`` on the app's command line, or the environment variable :data:`ENV_RUNS`
   (``GENREKIT_APP_RUNS``): one run folder, or several separated by commas for a soft-voting
   ensemble; an entry ``hf:ORG/NAME`` is a run folder pushed to the Hugging Face hub (when online);
2. the runs a Space bundle carries: :data:`SPACE_FILE` (``space.json``) beside the app, written by
   :func:`genrekit.space_bundle.build_space` (``genrekit space build``);
3. the newest run under :func:`default_model_root` (``<runs>/app-default``), which
   :func:`train_default_model` (``python space/app.py --train-default``) writes.

If neither exists, :func:`load_app_model` raises :class:`NoModelError` whose message is the exact
command that trains a default model.

An upload is checked before anything is decoded: size on disk (:attr:`UploadLimits.max_bytes`),
then the header (:func:`genrekit.data.audio.audio_info`); only the first
:attr:`UploadLimits.max_seconds` are decoded, so an hour-long file costs no more than ten minutes.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genrekit import paths
from genrekit.data.audio import DEFAULT_SR, audio_info, load_audio
from genrekit.errors import AudioError, ConfigError, GenrekitError, RunError

#: Environment variable naming the run folder(s) the app serves, comma-separated.
ENV_RUNS = "GENREKIT_APP_RUNS"
#: Environment variables overriding the upload limits.
ENV_MAX_MB = "GENREKIT_APP_MAX_MB"
ENV_MAX_MINUTES = "GENREKIT_APP_MAX_MINUTES"
#: Sub-folder of :func:`genrekit.paths.runs_dir` where the default model is trained and looked for.
DEFAULT_MODEL_FOLDER = "app-default"
#: The command that trains the default model (shown when no model is found).
TRAIN_COMMAND = "python space/app.py --train-default"
#: Prefix of a Hugging Face hub model id in :data:`ENV_RUNS` / ``--run``.
HUB_PREFIX = "hf:"
#: The file beside a bundled app (``genrekit space build``) listing the runs it serves.
SPACE_FILE = "space.json"
#: The ``format`` value of :data:`SPACE_FILE`.
SPACE_FORMAT = "genrekit-space/1"

#: Uploads larger than this are refused before decoding. 100 MB holds an hour of 192 kbit/s MP3.
MAX_UPLOAD_MB = 100.0
#: Only the first this-many minutes of a track are classified.
MAX_MINUTES = 10.0

#: Settings of the default model: 3 s chunks of a 50 clips x 10 s synthetic set, logistic regression.
#: Fewer clips leave three artists per genre, one per side of an artist-grouped split; at 50 (five
#: artists per genre) the test accuracy is about 0.86 (100 tracks, artist split).
DEFAULT_MODEL = "logreg"
DEFAULT_CLIPS_PER_GENRE = 50
DEFAULT_SECONDS = 10.0
DEFAULT_CHUNK_SECONDS = 3.0


class NoModelError(ConfigError):
    """No model is configured and no default model has been trained; the message says how to train one."""


# ----------------------------------------------------------------------------------------------
# which model answers


def default_model_root() -> Path:
    """``genrekit.paths.runs_dir()/app-default``: where :func:`train_default_model` writes its runs."""
    return paths.runs_dir() / DEFAULT_MODEL_FOLDER


def find_default_run(root: str | Path | None = None) -> Path | None:
    """The newest complete run folder under ``root`` (default :func:`default_model_root`), or None."""
    from genrekit.runs import METRICS_FILE, find_runs

    runs = [p for p in find_runs(root or default_model_root()) if (p / METRICS_FILE).is_file()]
    # run folder names start with a timestamp, so the last in name order is the newest
    return max(runs, key=lambda p: p.name) if runs else None


def no_model_message() -> str:
    """What to do when no model is configured: the exact commands, as Markdown."""
    return (
        "**No model is configured.** Train the small default model on the synthetic genre set "
        f"(one to two minutes on two cores):\n\n```\n{TRAIN_COMMAND}\n```\n\n"
        f"It is saved under `{default_model_root()}`, where the app finds it on its next start. "
        f"Or serve a run you trained yourself: `{ENV_RUNS}=models/runs/<run> python space/app.py` "
        "(several runs separated by commas make a soft-voting ensemble)."
    )


def bundled_sources(app_dir: str | Path) -> list[str]:
    """The runs a Space bundle serves: the entries of ``app_dir/space.json``, or [] without one.

    Parameters
    ----------
    app_dir : str or Path
        The folder holding the app (``space/`` in a checkout, the bundle's root in a Space).

    Returns
    -------
    list of str
        Run folders as absolute paths (``space.json`` stores them relative to ``app_dir``, so the
        bundle can be moved or uploaded), and ``hf:ORG/NAME`` hub ids as they are.

    Raises
    ------
    ConfigError
        If ``space.json`` is not a genrekit Space description.
    """
    import json

    app_dir = Path(app_dir)
    path = app_dir / SPACE_FILE
    if not path.is_file():
        return []
    try:
        description = json.loads(path.read_text())
    except ValueError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from None
    description = description if isinstance(description, dict) else {}
    runs = description.get("runs")
    if description.get("format") != SPACE_FORMAT or not isinstance(runs, list) or not all(isinstance(r, str) for r in runs):
        raise ConfigError(f"{path}: not a {SPACE_FORMAT} description (expected 'format' and a list 'runs')")
    return [run if run.startswith(HUB_PREFIX) else str((app_dir / run).resolve()) for run in runs]


def model_sources(
    runs: str | Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    app_dir: str | Path | None = None,
) -> list[str]:
    """The model sources the app serves: ``runs``, else :data:`ENV_RUNS`, else the runs bundled
    beside the app (:func:`bundled_sources`), else the default run.

    Parameters
    ----------
    runs : str or sequence of str, optional
        Run folders or ``hf:ORG/NAME`` hub ids; a string may hold several separated by commas.
    environ : mapping, optional
        Where to read :data:`ENV_RUNS` (default ``os.environ``).
    app_dir : str or Path, optional
        The app's folder, where a Space bundle keeps :data:`SPACE_FILE`; not consulted if None.

    Returns
    -------
    list of str
        At least one source.

    Raises
    ------
    NoModelError
        If nothing is configured, bundled or found by :func:`find_default_run`.
    """
    environ = os.environ if environ is None else environ
    if runs is None or (isinstance(runs, str) and not runs.strip()):
        runs = environ.get(ENV_RUNS, "")
    items = runs.split(",") if isinstance(runs, str) else [str(r) for r in runs]
    sources = [item.strip() for item in items if item.strip()]
    if sources:
        return sources
    if app_dir is not None:
        sources = bundled_sources(app_dir)
        if sources:
            return sources
    default = find_default_run()
    if default is None:
        raise NoModelError(no_model_message())
    return [str(default)]


@dataclass(frozen=True)
class ModelCard:
    """What the app says about one model: where it comes from and how well it scored.

    Attributes
    ----------
    source : str
        The run folder or ``hf:`` id it was loaded from.
    name, family, model : str
        Experiment name, model family ('classic', 'torch', 'hf') and registered model name.
    dataset, split_kind : str
        What it was trained on and how that was split (from ``run.json`` / ``metrics.json``).
    test_accuracy, test_macro_f1 : float or None
        Test scores per track, from ``metrics.json``.
    n_test : int or None
        Number of test tracks behind those scores.
    leaky : bool
        True if the split put parts of one track on both sides (its scores are inflated).
    """

    source: str
    name: str
    family: str
    model: str
    dataset: str = "unknown"
    split_kind: str = "unknown"
    test_accuracy: float | None = None
    test_macro_f1: float | None = None
    n_test: int | None = None
    leaky: bool = False

    @classmethod
    def from_run(cls, run_dir: str | Path) -> ModelCard:
        """Read ``run.json`` and ``metrics.json`` of a run folder (raises :class:`RunError`)."""
        from genrekit.runs import read_run

        record = read_run(run_dir)
        test = record.metrics.get("test") or {}
        kind = record.metrics.get("split_kind") or record.info.split_kind or "unknown"
        return cls(
            source=str(run_dir),
            name=record.info.name or record.config.name,
            family=record.info.family,
            model=record.info.model,
            dataset=record.info.dataset or "unknown",
            split_kind=kind,
            test_accuracy=_float_or_none(test.get("accuracy")),
            test_macro_f1=_float_or_none(test.get("macro_f1")),
            n_test=test.get("n"),
            leaky=bool(record.metrics.get("leaky")) or str(kind).startswith("leaky"),
        )

    def markdown(self) -> str:
        """One Markdown line: model, family, dataset, split kind and test accuracy."""
        if self.test_accuracy is None:
            score = "no test score recorded"
        else:
            n = f", n = {self.n_test} tracks" if self.n_test else ""
            f1 = f", macro F1 {self.test_macro_f1:.3f}" if self.test_macro_f1 is not None else ""
            score = f"test accuracy **{self.test_accuracy:.3f}**{f1}{n}"
        leak = " **(LEAKY split: inflated score)**" if self.leaky else ""
        return (
            f"**{self.name}** — `{self.model}` ({self.family} family), trained on *{self.dataset}*, "
            f"{self.split_kind} split{leak}: {score}"
        )


def _float_or_none(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


@dataclass
class AppModel:
    """The loaded predictor (one model, or a soft-voting ensemble) with a card per member."""

    predictor: Any
    cards: list[ModelCard]

    @property
    def labels(self) -> list[str]:
        return list(self.predictor.labels)

    @property
    def sample_rate(self) -> int:
        return int(getattr(self.predictor, "sample_rate", None) or DEFAULT_SR)

    @property
    def window_seconds(self) -> float | None:
        value = getattr(self.predictor, "window_seconds", None)
        return None if value is None else float(value)

    def markdown(self) -> str:
        """Which model answers, as Markdown."""
        if len(self.cards) == 1:
            return f"Model: {self.cards[0].markdown()}"
        lines = [f"Model: a soft-voting ensemble of {len(self.cards)} runs"]
        lines += [f"- {card.markdown()}" for card in self.cards]
        return "\n".join(lines)


def load_app_model(
    runs: str | Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    app_dir: str | Path | None = None,
) -> AppModel:
    """Load the model(s) the app serves, once, at start-up (see :func:`model_sources`).

    Raises
    ------
    NoModelError
        Nothing configured and no default model trained.
    RunError, ConfigError
        A configured run folder is missing or incomplete, or a hub model cannot be fetched.
    """
    from genrekit.inference import Ensemble, load_predictor

    predictors, cards = [], []
    for source in model_sources(runs, environ=environ, app_dir=app_dir):
        if source.startswith(HUB_PREFIX):
            predictor, card = _load_hub_model(source[len(HUB_PREFIX):])
        else:
            folder = Path(source).expanduser()
            if not folder.is_dir():
                raise RunError(f"{folder}: not a run folder (does not exist); check --run / {ENV_RUNS}")
            predictor, card = load_predictor(folder), ModelCard.from_run(folder)
        predictors.append(predictor)
        cards.append(card)
    predictor = predictors[0] if len(predictors) == 1 else Ensemble(predictors)
    return AppModel(predictor=predictor, cards=cards)


def _load_hub_model(model_id: str):
    """A genrekit run folder pushed to the Hugging Face hub (``hf upload ORG/NAME RUN``).

    Downloaded (or taken from the local cache) and loaded like any run folder, so its family's
    loader (for a fine-tuned transformer, the hf family's) and its metrics come with it.
    """
    import huggingface_hub

    from genrekit.inference import load_predictor
    from genrekit.models.hf_hub import hub_errors

    with hub_errors(model_id):
        folder = huggingface_hub.snapshot_download(model_id)
    try:
        card = replace(ModelCard.from_run(folder), source=HUB_PREFIX + model_id)
        return load_predictor(folder), card
    except RunError as exc:
        raise RunError(f"{HUB_PREFIX}{model_id}: not a genrekit run folder pushed to the hub ({exc})") from None


# ----------------------------------------------------------------------------------------------
# checking and reading an upload


@dataclass(frozen=True)
class UploadLimits:
    """How much of an upload the app accepts.

    Attributes
    ----------
    max_bytes : int
        Larger files are refused before decoding (also passed to Gradio's ``max_file_size``).
    max_seconds : float
        Only the first this-many seconds are decoded and classified.
    """

    max_bytes: int = int(MAX_UPLOAD_MB * 1e6)
    max_seconds: float = MAX_MINUTES * 60.0

    def describe(self) -> str:
        """The limits in words, for the page: 'Only the first 10 minutes ...; files over 100 MB ...'."""
        seconds = self.max_seconds
        span = f"{seconds / 60:g} minutes" if seconds >= 60 else f"{seconds:g} seconds"
        return f"Only the first {span} of a track are analysed; files over {self.max_bytes / 1e6:g} MB are refused."

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> UploadLimits:
        """Limits from :data:`ENV_MAX_MB` and :data:`ENV_MAX_MINUTES` (defaults otherwise)."""
        environ = os.environ if environ is None else environ
        megabytes = _positive(environ.get(ENV_MAX_MB), MAX_UPLOAD_MB, ENV_MAX_MB)
        minutes = _positive(environ.get(ENV_MAX_MINUTES), MAX_MINUTES, ENV_MAX_MINUTES)
        return cls(max_bytes=int(megabytes * 1e6), max_seconds=minutes * 60.0)


def _positive(text: str | None, default: float, name: str) -> float:
    if text is None or not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a positive number, got {text!r}") from None
    if not value > 0:
        raise ConfigError(f"{name} must be a positive number, got {text!r}")
    return value


@dataclass
class Upload:
    """The part of an uploaded track the app classifies.

    Attributes
    ----------
    y : np.ndarray [shape=(n,), dtype=float32]
        Mono samples at ``sr``.
    sr : int
        Sample rate in Hz.
    total_seconds : float
        Length of the whole file, from its header.
    truncated : bool
        True if only the first ``max_seconds`` were read.
    notes : list of str
        Messages for the user (e.g. that the track was cut).
    """

    y: np.ndarray
    sr: int
    total_seconds: float
    truncated: bool
    notes: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        """Seconds actually analysed."""
        return self.y.shape[0] / self.sr


def read_upload(path: str | Path | None, *, sr: int = DEFAULT_SR, limits: UploadLimits | None = None) -> Upload:
    """Check and read an uploaded or recorded file, decoding at most ``limits.max_seconds``.

    Parameters
    ----------
    path : str or Path or None
        What Gradio hands over (``gr.Audio(type="filepath")``); None when nothing was uploaded.
    sr : int
        Sample rate in Hz to read at (the model's).
    limits : UploadLimits, optional
        Size and length limits (default :class:`UploadLimits`).

    Returns
    -------
    Upload

    Raises
    ------
    AudioError
        Naming the file and the reason: nothing uploaded, empty, over the size limit (checked before
        decoding), not audio, unreadable, silent.
    """
    limits = limits or UploadLimits()
    if path is None or str(path).strip() == "":
        raise AudioError(None, "no audio: upload a file or record one with the microphone")
    path = Path(path)
    if not path.is_file():
        raise AudioError(path, "file not found (the upload may have expired; upload it again)")
    size = path.stat().st_size
    if size == 0:
        raise AudioError(path, "empty file (0 bytes)")
    if size > limits.max_bytes:
        raise AudioError(
            path, f"too large: {size / 1e6:.1f} MB, the limit is {limits.max_bytes / 1e6:.0f} MB (upload a shorter or compressed file)"
        )
    info = audio_info(path)  # header only: refuses non-audio before any decoding
    truncated = info.duration > limits.max_seconds
    y = load_audio(path, sr=sr, duration=limits.max_seconds if truncated else None)
    notes = []
    if truncated:
        notes.append(
            f"The track is {_clock(info.duration)} long; only the first {_clock(limits.max_seconds)} were analysed."
        )
    return Upload(y=y, sr=sr, total_seconds=info.duration, truncated=truncated, notes=notes)


def _clock(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``) for a duration in seconds."""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# ----------------------------------------------------------------------------------------------
# from a prediction to what the widgets show


@dataclass
class AppResult:
    """What the app shows for one track.

    Attributes
    ----------
    scores : dict
        Genre -> probability, every genre (``gr.Label`` shows the top three).
    bars : pd.DataFrame
        Columns ``genre``, ``probability``; one row per genre, most probable first.
    timeline : pd.DataFrame or None
        Long format ``time_s`` (window centre, seconds), ``genre``, ``probability`` for the
        :data:`TIMELINE_GENRES` genres most probable over the track; None when the analysed audio
        is not longer than one model window.
    seconds : float
        Seconds analysed.
    notes : list of str
        Messages for the user.
    """

    scores: dict[str, float]
    bars: pd.DataFrame
    timeline: pd.DataFrame | None
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def top(self) -> str:
        """The most probable genre."""
        return max(self.scores, key=self.scores.get)

    def status_markdown(self) -> str:
        """A line on what was analysed, plus any notes."""
        windows = "" if self.timeline is None else f", {self.timeline['time_s'].nunique()} windows"
        summary = (f"Analysed {_clock(self.seconds)} of audio{windows}: most likely **{self.top}** "
                   f"({self.scores[self.top]:.0%}).")
        lines = [summary]
        lines += [f"⚠️ {note}" for note in self.notes]
        return "\n\n".join(lines)


#: Genres drawn on the timeline (the most probable over the track), to keep the plot readable.
TIMELINE_GENRES = 5
#: At most this many timeline windows: a ten-minute track is not scored 3 s at a time twice over.
MAX_TIMELINE_WINDOWS = 100
#: Timeline window for models that see whole tracks (GTZAN's clip length).
FALLBACK_WINDOW_SECONDS = 30.0


def timeline_window(seconds: float, *, model_window: float | None, max_windows: int = MAX_TIMELINE_WINDOWS) -> float:
    """Length (s) of the timeline's windows for a track of ``seconds``.

    The model's own window (one chunk, or :data:`FALLBACK_WINDOW_SECONDS` for models without
    one), times the smallest whole number that keeps the timeline at ``max_windows`` windows or
    fewer; windows do not overlap, so the timeline costs about as much as the track's prediction.
    """
    base = float(model_window or FALLBACK_WINDOW_SECONDS)
    return base * max(1, math.ceil(seconds / (base * max_windows)))


def warm_up(model: AppModel) -> float:
    """Run one prediction on a synthetic tone so the first user does not wait for JIT compilation.

    Returns
    -------
    float
        Seconds it took.
    """
    started = time.perf_counter()
    sr = model.sample_rate
    seconds = model.window_seconds or FALLBACK_WINDOW_SECONDS
    t = np.arange(int(seconds * sr)) / sr
    tone = (0.3 * np.sin(2 * np.pi * 440.0 * t) * (1 + np.sin(2 * np.pi * 2 * t)) / 2).astype(np.float32)
    model.predictor.predict_array(tone, sr)
    return time.perf_counter() - started


def score_dict(labels: Sequence[str], probabilities: np.ndarray) -> dict[str, float]:
    """``{genre: probability}`` for ``gr.Label``; ``probabilities`` has shape ``(n_classes,)``."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.shape != (len(labels),):
        raise ValueError(f"expected {len(labels)} probabilities, got shape {probabilities.shape}")
    return {str(label): float(p) for label, p in zip(labels, probabilities)}


def bar_frame(scores: Mapping[str, float]) -> pd.DataFrame:
    """Columns ``genre``, ``probability``, most probable first (for ``gr.BarPlot``)."""
    frame = pd.DataFrame({"genre": list(scores), "probability": [float(v) for v in scores.values()]})
    return frame.sort_values("probability", ascending=False, kind="stable").reset_index(drop=True)


def timeline_frame(windows: pd.DataFrame, labels: Sequence[str], *, top: int | None = TIMELINE_GENRES) -> pd.DataFrame:
    """Per-window probabilities in long format for ``gr.LinePlot``.

    Parameters
    ----------
    windows : pd.DataFrame
        ``start_s``, ``end_s`` (seconds) and one probability column per genre, one row per window.
    labels : sequence of str
        The genre columns.
    top : int or None
        Keep the ``top`` genres with the highest mean probability (all if None).

    Returns
    -------
    pd.DataFrame
        Columns ``time_s`` (window centre in seconds), ``genre``, ``probability``; rows ordered by
        genre (most probable first), then time.
    """
    labels = [str(label) for label in labels]
    missing = [label for label in ("start_s", "end_s", *labels) if label not in windows.columns]
    if missing:
        raise ValueError(f"the window table lacks columns {missing}")
    keep = windows[labels].mean(axis=0).sort_values(ascending=False, kind="stable").index.tolist()
    if top is not None:
        keep = keep[:top]
    centre = (windows["start_s"].to_numpy(dtype=float) + windows["end_s"].to_numpy(dtype=float)) / 2
    parts = [pd.DataFrame({"time_s": centre, "genre": genre, "probability": windows[genre].to_numpy(dtype=float)})
             for genre in keep]
    return pd.concat(parts, ignore_index=True)


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

    Raises
    ------
    AudioError
        If the file is unusable (see :func:`read_upload`); the message is meant for the user.
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
    return AppResult(scores=scores, bars=bar_frame(scores), timeline=frame, seconds=upload.seconds, notes=upload.notes)


def user_message(exc: BaseException) -> str:
    """A message for the UI: genrekit errors verbatim (file and reason), anything else generic."""
    if isinstance(exc, AudioError):
        name = Path(exc.path).name if exc.path else "the audio"
        return f"Cannot use {name}: {exc.reason}"
    if isinstance(exc, GenrekitError):
        return str(exc)
    return f"Unexpected error ({type(exc).__name__}); the file could not be classified."


# ----------------------------------------------------------------------------------------------
# the default model


def default_model_config(
    *,
    model: str = DEFAULT_MODEL,
    clips_per_genre: int = DEFAULT_CLIPS_PER_GENRE,
    seconds: float = DEFAULT_SECONDS,
    chunk_seconds: float | None = DEFAULT_CHUNK_SECONDS,
    data: str = "synthetic",
    runs_root: str | Path | None = None,
):
    """The experiment :func:`train_default_model` runs (an :class:`~genrekit.config.ExperimentConfig`).

    Parameters
    ----------
    model : str
        A registered model name (default logistic regression on hand-crafted features).
    clips_per_genre, seconds : int, float
        Size of the synthetic set (ignored for other ``data`` sources, except as clip length).
    chunk_seconds : float or None
        Train on chunks of this many seconds; it is also the app's timeline window.
    data : str
        Dataset source (``'synthetic'`` or e.g. ``'gtzan:PATH'``).
    runs_root : str or Path, optional
        Where the run folder goes (default :func:`default_model_root`).
    """
    from genrekit.config import ExperimentConfig

    config = ExperimentConfig(name=DEFAULT_MODEL_FOLDER)
    config.runs_dir = str(runs_root or default_model_root())
    config.model.name = model
    config.data.source = data
    config.data.synthetic_clips = int(clips_per_genre)
    config.data.synthetic_seconds = float(seconds)
    config.data.clip_seconds = float(seconds)
    config.data.chunk_seconds = chunk_seconds
    # the slow features (constant-Q chroma, tempo) add little on the synthetic set
    config.features.chroma_cqt = False
    config.features.tempo = False
    return config


def train_default_model(
    *,
    model: str = DEFAULT_MODEL,
    clips_per_genre: int = DEFAULT_CLIPS_PER_GENRE,
    seconds: float = DEFAULT_SECONDS,
    chunk_seconds: float | None = DEFAULT_CHUNK_SECONDS,
    data: str = "synthetic",
    runs_root: str | Path | None = None,
    progress: bool = True,
) -> Path:
    """Train the app's default model (see :func:`default_model_config`) and return its run folder.

    The run lands under :func:`default_model_root` unless ``runs_root`` is given, where
    :func:`find_default_run` (and so the app) finds it.
    """
    from genrekit.train import train

    config = default_model_config(model=model, clips_per_genre=clips_per_genre, seconds=seconds,
                                  chunk_seconds=chunk_seconds, data=data, runs_root=runs_root)
    return train(config, progress=progress)
