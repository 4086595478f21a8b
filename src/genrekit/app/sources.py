"""Which model the app serves: the configured runs, a Space bundle's, or the default model.

In order (:func:`model_sources`, then :func:`default_sources`):

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

If none of these can be served, :class:`NoModelError` names the commands that fix it
(:data:`FETCH_COMMAND`, :data:`TRAIN_COMMAND`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from genrekit import paths
from genrekit.config import ExperimentConfig
from genrekit.errors import ConfigError
from genrekit.inference import HUB_PREFIX
from genrekit.pretrained.weights import WeightsError, have_weights, missing_weights_message
from genrekit.runs import METRICS_FILE, find_runs

#: Environment variable naming the run folder(s) the app serves, comma-separated.
ENV_RUNS = "GENREKIT_APP_RUNS"
#: Sub-folder of :func:`genrekit.paths.runs_dir` where the default model is trained and looked for.
DEFAULT_MODEL_FOLDER = "app-default"
#: The command that trains the small synthetic default model (offered when no model can be served).
TRAIN_COMMAND = "python space/app.py --train-default"
#: The command that fetches musicnn's weights, which the zero-shot default model and the tags need.
FETCH_COMMAND = "genrekit pretrained fetch musicnn"
#: The file beside a bundled app (``genrekit space build``) listing the runs it serves.
SPACE_FILE = "space.json"
#: The ``format`` value of :data:`SPACE_FILE`.
SPACE_FORMAT = "genrekit-space/1"

#: Settings of the default model: 3 s chunks of a 50 clips x 10 s synthetic set, logistic regression.
#: Fewer clips leave three artists per genre, one per side of an artist-grouped split; at 50 (five
#: artists per genre) the test accuracy is about 0.86 (100 tracks, artist split).
DEFAULT_MODEL = "logreg"
DEFAULT_CLIPS_PER_GENRE = 50
DEFAULT_SECONDS = 10.0
DEFAULT_CHUNK_SECONDS = 3.0

log = logging.getLogger(__name__)


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


def default_model_root() -> Path:
    """``genrekit.paths.runs_dir()/app-default``: where :func:`train_default_model` writes its runs."""
    return paths.runs_dir() / DEFAULT_MODEL_FOLDER


def find_default_run(root: str | Path | None = None) -> Path | None:
    """The newest complete run folder under ``root`` (default :func:`default_model_root`), or None."""
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
    # imports scikit-learn only when needed
    from genrekit.models.zeroshot import default_run

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


# ----------------------------------------------------------------------------------------------
# the synthetic default model (served only when musicnn's weights cannot be had)


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
    # imports torch only when needed
    from genrekit.train import train

    config = default_model_config(model=model, clips_per_genre=clips_per_genre, seconds=seconds,
                                  chunk_seconds=chunk_seconds, data=data, runs_root=runs_root)
    return train(config, progress=progress)
