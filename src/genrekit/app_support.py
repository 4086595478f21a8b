"""Everything the Gradio app does except drawing widgets: which model answers, checking an upload,
and turning a prediction (and musicnn's tags) into what the widgets show.

``space/app.py`` is UI only and calls nothing but this module, so all of it is tested without a
browser. The model comes from, in order (:func:`model_sources`, then :func:`default_sources`):

1. ``--run`` on the app's command line, or the environment variable :data:`ENV_RUNS`
   (``GENREKIT_APP_RUNS``): one run folder, or several separated by commas for a soft-voting
   ensemble; an entry ``hf:ORG/NAME`` is a run folder pushed to the Hugging Face hub (when online);
2. the runs a Space bundle carries: :data:`SPACE_FILE` (``space.json``) beside the app, written by
   :func:`genrekit.space_bundle.build_space` (``genrekit space build``);
3. with nothing configured, the zero-shot musicnn model
   (:func:`genrekit.models.zeroshot.default_run`: no training, musicnn's tags mapped to GTZAN's
   genres), so a first upload of a real song gets a sensible answer; musicnn's weights are
   fetched once with pip if they are not cached;
4. only if those weights cannot be had (offline): the newest run under
   :func:`default_model_root` (``<runs>/app-default``), which :func:`train_default_model`
   (``python space/app.py --train-default``) writes on the synthetic set.

If none of these can be served, :func:`load_app_model` raises :class:`NoModelError` whose message
names the commands that fix it (:data:`FETCH_COMMAND`, :data:`TRAIN_COMMAND`).

Beside the genres the app shows musicnn's top tags of each upload (:class:`Tagger`: the MSD model's
genres and moods, the MTT model's instruments and voice), from one extractor loaded at start-up.

An upload is checked before anything is decoded: size on disk (:attr:`UploadLimits.max_bytes`),
then the header (:func:`genrekit.data.audio.audio_info`); only the first
:attr:`UploadLimits.max_seconds` are decoded, so an hour-long file costs no more than ten minutes.
"""

from __future__ import annotations

import logging
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
from genrekit.data.audio import DEFAULT_SR, audio_info, collect_audio_warnings, load_audio
from genrekit.errors import AudioError, ConfigError, GenrekitError, RunError

#: Environment variable naming the run folder(s) the app serves, comma-separated.
ENV_RUNS = "GENREKIT_APP_RUNS"
#: Environment variables overriding the upload limits.
ENV_MAX_MB = "GENREKIT_APP_MAX_MB"
ENV_MAX_MINUTES = "GENREKIT_APP_MAX_MINUTES"
#: Sub-folder of :func:`genrekit.paths.runs_dir` where the default model is trained and looked for.
DEFAULT_MODEL_FOLDER = "app-default"
#: The command that trains the small synthetic default model (offered when no model can be served).
TRAIN_COMMAND = "python space/app.py --train-default"
#: The command that fetches musicnn's weights, which the zero-shot default model and the tags need.
FETCH_COMMAND = "genrekit pretrained fetch musicnn"
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

#: musicnn tags shown per model, and the seconds of each upload (its middle) they describe.
TAG_COUNT = 5
TAG_SECONDS = 30.0
#: The tag panel's column headings: what each musicnn model's 50 tags are mostly about.
TAG_COLUMNS = {"MSD_musicnn": "genre & mood (MSD)", "MTT_musicnn": "instruments & voice (MTT)"}

log = logging.getLogger("genrekit.app")


class NoModelError(ConfigError):
    """No model can be served; the message (Markdown) names the commands that fix it.

    Attributes
    ----------
    summary : str
        The same in one line, for the console.
    """

    def __init__(self, message: str, *, summary: str | None = None):
        super().__init__(message)
        self.summary = summary or message.splitlines()[0]


class NotConfiguredError(NoModelError):
    """No run is given (``--run``, :data:`ENV_RUNS`, a bundle's :data:`SPACE_FILE`): the default model answers."""


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


def no_model_message(reason: str = "the musicnn weights are missing") -> str:
    """What to do when no model can be served, as Markdown; ``reason`` says why musicnn is unavailable."""
    return (
        "**No model can be served.** With no run configured the app serves a zero-shot genre model "
        f"built on musicnn's tags, but musicnn's weights could not be had ({reason}). Fetch them once "
        f"(through pip, about 30 MB from PyPI):\n\n```\n{FETCH_COMMAND}\n```\n\n"
        f"Or train a small model on the synthetic genre set (one to two minutes on two cores; it knows "
        f"synthetic music only):\n\n```\n{TRAIN_COMMAND}\n```\n\n"
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
    """The model sources the app is configured to serve: ``runs``, else :data:`ENV_RUNS`, else the
    runs bundled beside the app (:func:`bundled_sources`).

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
    NotConfiguredError
        If nothing is given or bundled: then :func:`default_sources` answers.
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
    raise NotConfiguredError(f"no run is configured (--run, ${ENV_RUNS} or {SPACE_FILE} beside the app)")


def default_sources(*, fetch: bool = True) -> list[str]:
    """What the app serves when no run is configured (:func:`model_sources` raised).

    The zero-shot musicnn model (:func:`genrekit.models.zeroshot.default_run`), fetching musicnn's
    weights through pip first when they are not cached. Only when they cannot be had (offline):
    the newest synthetic default run (:func:`find_default_run`), with a warning saying what to run.

    Parameters
    ----------
    fetch : bool
        Fetch musicnn's weights if they are missing (False: use them only if cached).

    Returns
    -------
    list of str
        One run folder.

    Raises
    ------
    NoModelError
        Neither: its message names :data:`FETCH_COMMAND` and :data:`TRAIN_COMMAND`, its
        ``summary`` does so in one line.
    """
    from genrekit.models.zeroshot import default_run
    from genrekit.pretrained.weights import WeightsError, have_weights, missing_weights_message

    try:
        if not fetch and not have_weights():
            raise WeightsError(missing_weights_message())
        return [str(default_run(fetch=fetch))]
    except WeightsError as exc:
        reason = str(exc)
    unavailable = f"musicnn's weights for the zero-shot default model could not be fetched: run '{FETCH_COMMAND}'"
    trained = find_default_run()
    if trained is not None:
        log.warning("%s; serving the synthetic default model %s meanwhile (%s)", unavailable, trained, reason)
        return [str(trained)]
    summary = f"no model to serve: {unavailable} (once, online), or train one with '{TRAIN_COMMAND}'"
    raise NoModelError(no_model_message(reason), summary=summary)


def can_serve(
    runs: str | Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    app_dir: str | Path | None = None,
) -> bool:
    """Whether a model is configured, or the default model is available (fetching musicnn's weights)."""
    if is_configured(runs, environ=environ, app_dir=app_dir):
        return True
    try:
        default_sources()
        return True
    except NoModelError:
        return False


def is_configured(
    runs: str | Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    app_dir: str | Path | None = None,
) -> bool:
    """Whether :func:`model_sources` finds a run to serve (given, in the environment or bundled)."""
    try:
        model_sources(runs, environ=environ, app_dir=app_dir)
    except NotConfiguredError:
        return False
    return True


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
    zero_shot : bool
        True for an untrained model (``run.json``'s ``extra.zero_shot``, e.g. musicnn's tags mapped
        to genres): it has no training set, and test scores only if it was scored on a dataset.
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
    zero_shot: bool = False

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
            n_test=test.get("n") if test.get("n") is not None else record.info.n_test,
            leaky=bool(record.metrics.get("leaky")) or str(kind).startswith("leaky"),
            zero_shot=bool((record.info.extra or {}).get("zero_shot")),
        )

    def markdown(self) -> str:
        """One Markdown line: the run and model, what it was trained on, the test set (size and split)
        and its scores (or that it is zero-shot)."""
        leak = " (**LEAKY split: inflated score**)" if self.leaky else ""
        size = f"{self.n_test} tracks" if self.n_test else "size not recorded"
        if self.test_accuracy is None:
            score = "no test score recorded"
        else:
            f1 = f", macro F1 {self.test_macro_f1:.3f}" if self.test_macro_f1 is not None else ""
            score = f"test accuracy **{self.test_accuracy:.3f}**{f1}"
        tested = f"test set: {size}, *{self.split_kind}* split{leak}; {score}"
        run = Path(self.source).name if not self.source.startswith(HUB_PREFIX) else self.source
        head = f"**{self.name}** — model `{self.model}` ({self.family} family), run `{run}`"
        if self.zero_shot:
            scored = (f"scored on *{self.dataset}*, {tested}" if self.test_accuracy is not None
                      else "not scored on any dataset, so no test accuracy")
            return (f"{head}, **zero-shot**: no training; the tags of musicnn (CNNs trained on real music, "
                    f"Pons & Serra 2019) are mapped to genres by a fixed rule; {scored}")
        return f"{head}, trained on *{self.dataset}*; {tested}"


def _float_or_none(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


@dataclass
class AppModel:
    """The loaded predictor (one model, or a soft-voting ensemble) with a card per member.

    Attributes
    ----------
    predictor : genrekit.inference.Predictor
    cards : list of ModelCard
    tagger : Tagger or None
        musicnn's tags for the panel beside the genres; None when tags are off or unavailable.
    tag_note : str or None
        Why there is no tagger when tags were asked for (shown in the panel instead).
    """

    predictor: Any
    cards: list[ModelCard]
    tagger: Tagger | None = None
    tag_note: str | None = None

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

    @property
    def colours(self) -> dict[str, str]:
        """A fixed colour per genre for the bar chart and the timeline (:func:`genre_colour_map`)."""
        return genre_colour_map(self.labels)

    @property
    def synthetic_only(self) -> bool:
        """True if every member was trained on genrekit's synthetic set (its answers on real music mean little)."""
        return all(card.dataset == "synthetic" for card in self.cards)

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
    tags: bool = False,
) -> AppModel:
    """Load the model(s) the app serves, once, at start-up.

    Parameters
    ----------
    runs, environ, app_dir
        As :func:`model_sources`; with nothing configured, :func:`default_sources` answers (the
        zero-shot musicnn model, fetching its weights if needed).
    tags : bool
        Also load musicnn for the tag panel (:meth:`Tagger.load`, fetching the weights if needed);
        if that fails the model still loads, with :attr:`AppModel.tag_note` saying why.

    Raises
    ------
    NoModelError
        Nothing configured, and neither the zero-shot model nor a trained default model available.
    RunError, ConfigError
        A configured run folder is missing or incomplete, or a hub model cannot be fetched.
    """
    from genrekit.inference import Ensemble, load_predictor

    defaulted = False
    try:
        sources = model_sources(runs, environ=environ, app_dir=app_dir)
    except NotConfiguredError:
        sources, defaulted = default_sources(), True
    predictors, cards = [], []
    for source in sources:
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
    model = AppModel(predictor=predictor, cards=cards)
    if tags:
        from genrekit.pretrained.weights import have_weights

        # a default that fell back to a trained run has just failed to fetch: do not wait on pip twice
        model.tagger, model.tag_note = load_tagger(fetch=not (defaulted and not have_weights()))
    return model


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
        Messages for the user (e.g. that the track was cut, or that the file is damaged).
    damage : str or None
        What is wrong with a file that is read only as far as it decodes (truncated, damaged).
    """

    y: np.ndarray
    sr: int
    total_seconds: float
    truncated: bool
    notes: list[str] = field(default_factory=list)
    damage: str | None = None

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
    with collect_audio_warnings() as found:
        y = load_audio(path, sr=sr, duration=limits.max_seconds if truncated else None)
    damage = found[0].reason if found else None
    notes = []
    if damage is not None:
        # e.g. "truncated: decodes 14.5 s of the 29.0 s its header declares"
        kind, _, what = damage.partition(": ")
        notes.append(f"The file looks {kind}: it {what}. The genres describe the part that decodes.")
    if truncated and y.shape[0] >= 0.99 * limits.max_seconds * sr:
        notes.append(
            f"The track is {_clock(info.duration)} long; only the first {_clock(limits.max_seconds)} were analysed."
        )
    return Upload(y=y, sr=sr, total_seconds=info.duration, truncated=truncated, notes=notes, damage=damage)


def _clock(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``) for a duration in seconds."""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# ----------------------------------------------------------------------------------------------
# musicnn's tags beside the genres


@dataclass(frozen=True)
class TagPanel:
    """What the tag panel shows for one upload: musicnn's top tags, or why there are none.

    Attributes
    ----------
    tags : dict of str to list of (str, float)
        Per musicnn model (keys of :data:`TAG_COLUMNS`), its most probable tags with their
        probabilities (independent sigmoid outputs: they do not sum to 1).
    seconds : float
        Seconds of audio tagged (0 when none).
    middle : bool
        True if only the middle of a longer upload was tagged.
    note : str or None
        Why there are no tags (e.g. the audio is shorter than one 3 s musicnn patch).
    """

    tags: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    seconds: float = 0.0
    middle: bool = False
    note: str | None = None

    def markdown(self) -> str:
        """A heading and a small table, one column per model; or the heading and the note."""
        if self.note is not None or not self.tags:
            return f"**musicnn tags**: {self.note or 'none'}"
        span = f"the middle {_clock(self.seconds)}" if self.middle else _clock(self.seconds)
        models = list(self.tags)
        rows = [f"| {' | '.join(TAG_COLUMNS.get(m, m) for m in models)} |", "|" + " :-- |" * len(models)]
        for i in range(max(len(v) for v in self.tags.values())):
            cells = [f"{column[i][0]} {column[i][1]:.0%}" if i < len(column) else "" for column in self.tags.values()]
            rows.append(f"| {' | '.join(cells)} |")
        return f"**musicnn tags** (of {span})\n\n" + "\n".join(rows)


class Tagger:
    """musicnn's top tags of an upload's middle, for the panel beside the genres.

    Holds one :class:`~genrekit.pretrained.musicnn.MusicnnExtractor` (both models, one shared
    spectrogram) for the life of the process: load it once at start-up and let :func:`warm_up`
    run it, so no request loads weights or pays for first-call set-up.

    Parameters
    ----------
    extractor : MusicnnExtractor
    top : int
        Tags shown per model.
    seconds : float
        Only the middle this-many seconds of an upload are tagged, so a long track costs no more
        than one GTZAN clip.
    """

    def __init__(self, extractor, *, top: int = TAG_COUNT, seconds: float = TAG_SECONDS):
        if top < 1 or not seconds > 0:
            raise ConfigError(f"a tagger needs top >= 1 and seconds > 0, got {top} and {seconds}")
        self.extractor = extractor
        self.top = int(top)
        self.seconds = float(seconds)

    @classmethod
    def load(cls, *, fetch: bool = True, device: str = "auto", **kwargs) -> Tagger:
        """Both musicnn models from the weights cache (fetched through pip first if ``fetch``).

        Raises
        ------
        genrekit.pretrained.weights.WeightsError
            If the weights are missing and cannot be fetched.
        """
        from genrekit.config import FeatureConfig
        from genrekit.pretrained import musicnn_features
        from genrekit.pretrained.weights import WeightsError, have_weights, missing_weights_message

        if not fetch and not have_weights():
            raise WeightsError(missing_weights_message())
        # the process-wide extractor of the 'musicnn' feature kind: the zero-shot model's features
        # and the tags share one copy of the weights
        return cls(musicnn_features.extractor(FeatureConfig(kind="musicnn", device=device)), **kwargs)

    def tag(self, y: np.ndarray, sr: int) -> TagPanel:
        """musicnn's top tags of the middle :attr:`seconds` of a signal.

        Parameters
        ----------
        y : np.ndarray [shape=(n,), float]
            Mono audio (an :class:`Upload`'s samples).
        sr : int
            Its rate in Hz; resampled to musicnn's 16 kHz here.

        Returns
        -------
        TagPanel
            With a note instead of tags when the middle is shorter than one musicnn patch
            (:data:`~genrekit.pretrained.musicnn.MIN_SECONDS`, 2.98 s).
        """
        from genrekit.data.audio import prepare_array
        from genrekit.pretrained.musicnn import SAMPLE_RATE
        from genrekit.pretrained.tagging import tag_signal

        want = int(round(self.seconds * sr))
        start = max(0, (len(y) - want) // 2)
        middle = y[start : start + want]
        try:
            # a quiet middle of an audible track is still music to tag
            y16 = prepare_array(middle, sr, sr=SAMPLE_RATE, allow_silent=True)
            result = tag_signal(self.extractor, y16)
        except AudioError as exc:
            return TagPanel(seconds=len(middle) / sr, note=f"none for this audio: {exc.reason}")
        tags = {model: result.top(model, self.top) for model in result.probabilities}
        return TagPanel(tags=tags, seconds=len(middle) / sr, middle=len(middle) < len(y))


def load_tagger(*, fetch: bool = True) -> tuple[Tagger | None, str | None]:
    """:meth:`Tagger.load`, or ``(None, note)`` saying what to run when musicnn's weights cannot be had.

    The failure is also logged in one line, so the app serves its genres without tags rather than
    not at all.
    """
    from genrekit.pretrained.weights import WeightsError

    try:
        return Tagger.load(fetch=fetch), None
    except WeightsError as exc:
        log.warning("no musicnn tags: the weights could not be fetched; run '%s' (%s)", FETCH_COMMAND, exc)
        return None, f"unavailable: musicnn's weights are missing; run `{FETCH_COMMAND}` and restart the app"


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
    tags : TagPanel or None
        musicnn's tags of the same upload (None when the app shows no tags).
    """

    scores: dict[str, float]
    bars: pd.DataFrame
    timeline: pd.DataFrame | None
    seconds: float
    notes: list[str] = field(default_factory=list)
    tags: TagPanel | None = None

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

    def tags_markdown(self) -> str:
        """The tag panel's text ('' when the app shows no tags)."""
        return "" if self.tags is None else self.tags.markdown()


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


def genre_colour_map(labels: Sequence[str]) -> dict[str, str]:
    """``{genre: '#rrggbb'}`` in the model's label order, the album figure's palette
    (:func:`genrekit.album_plots.genre_colours`).

    For ``gr.BarPlot`` / ``gr.LinePlot``'s ``color_map``: without it Gradio colours the genres in
    the order they appear in each answer, so one genre changes colour from upload to upload.
    """
    from matplotlib.colors import to_hex

    from genrekit.album_plots import genre_colours

    return {str(label): to_hex(colour) for label, colour in genre_colours([str(x) for x in labels]).items()}


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
        With musicnn's tags of the upload's middle when the model has a :class:`Tagger` (a note
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
