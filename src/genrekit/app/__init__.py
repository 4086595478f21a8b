"""Everything the Gradio app does except drawing widgets: which model answers, checking an upload,
and turning a prediction (and musicnn's tags) into what the widgets show.

``space/app.py`` is UI only and calls nothing but this package, so all of it is tested without a
browser. No module here imports gradio. Modules, each importing only those above it:

========================  ========================================================================
:mod:`~.sources`          which model answers: ``--run`` / ``GENREKIT_APP_RUNS``, a Space bundle's
                          ``space.json``, else the zero-shot musicnn model, else (offline) the
                          synthetic default model, which it also trains (``--train-default``)
:mod:`~.uploads`          checking and reading an upload (size, header, at most ten minutes decoded)
:mod:`~.tags`             musicnn's top tags of an upload's middle, for the panel beside the genres
:mod:`~.results`          from a prediction to what the widgets show (scores, bars, timeline,
                          colours, messages)
:mod:`~.models`           the loaded model with its cards (:func:`load_app_model`) and its
                          synthetic-set note (:func:`genrekit.inference.synthetic_note`)
:mod:`~.serving`          one request (:func:`classify_upload`) and the process set-up that keeps
                          requests fast (:func:`warm_up`, :func:`share_cores`)
:mod:`~.picker`           with no run configured, the runs under the runs folder, loaded on demand
                          and cached per run folder (:class:`ModelPicker`)
========================  ========================================================================
"""

from genrekit.app.models import SYNTHETIC_ADVICE, AppModel, ModelCard, load_app_model
from genrekit.app.picker import ModelPicker, RunChoice, Selection, list_runs, run_label
from genrekit.app.results import (
    FALLBACK_WINDOW_SECONDS,
    MAX_TIMELINE_WINDOWS,
    TIMELINE_GENRES,
    AppResult,
    bar_frame,
    genre_colour_map,
    score_dict,
    timeline_frame,
    timeline_window,
    user_message,
)
from genrekit.app.serving import classify_upload, share_cores, warm_up
from genrekit.app.sources import (
    DEFAULT_CHUNK_SECONDS,
    DEFAULT_CLIPS_PER_GENRE,
    DEFAULT_MODEL,
    DEFAULT_MODEL_FOLDER,
    DEFAULT_SECONDS,
    ENV_RUNS,
    FETCH_COMMAND,
    SPACE_FILE,
    SPACE_FORMAT,
    TRAIN_COMMAND,
    NoModelError,
    NotConfiguredError,
    bundled_sources,
    can_serve,
    default_model_config,
    default_model_root,
    default_sources,
    find_default_run,
    is_configured,
    model_sources,
    no_model_message,
    train_default_model,
)
from genrekit.app.tags import TAG_COLUMNS, TAG_COUNT, TAG_SECONDS, Tagger, TagPanel, load_tagger
from genrekit.app.uploads import ENV_MAX_MB, ENV_MAX_MINUTES, MAX_MINUTES, MAX_UPLOAD_MB, Upload, UploadLimits, read_upload

__all__ = [
    "DEFAULT_CHUNK_SECONDS",
    "DEFAULT_CLIPS_PER_GENRE",
    "DEFAULT_MODEL",
    "DEFAULT_MODEL_FOLDER",
    "DEFAULT_SECONDS",
    "ENV_MAX_MB",
    "ENV_MAX_MINUTES",
    "ENV_RUNS",
    "FALLBACK_WINDOW_SECONDS",
    "FETCH_COMMAND",
    "MAX_MINUTES",
    "MAX_TIMELINE_WINDOWS",
    "MAX_UPLOAD_MB",
    "SPACE_FILE",
    "SPACE_FORMAT",
    "SYNTHETIC_ADVICE",
    "TAG_COLUMNS",
    "TAG_COUNT",
    "TAG_SECONDS",
    "TIMELINE_GENRES",
    "TRAIN_COMMAND",
    "AppModel",
    "AppResult",
    "ModelCard",
    "ModelPicker",
    "NoModelError",
    "NotConfiguredError",
    "RunChoice",
    "Selection",
    "TagPanel",
    "Tagger",
    "Upload",
    "UploadLimits",
    "bar_frame",
    "bundled_sources",
    "can_serve",
    "classify_upload",
    "default_model_config",
    "default_model_root",
    "default_sources",
    "find_default_run",
    "genre_colour_map",
    "is_configured",
    "list_runs",
    "load_app_model",
    "load_tagger",
    "model_sources",
    "no_model_message",
    "read_upload",
    "run_label",
    "score_dict",
    "share_cores",
    "timeline_frame",
    "timeline_window",
    "train_default_model",
    "user_message",
    "warm_up",
]
