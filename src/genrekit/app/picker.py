"""The run picker: with no run configured, the app serves its default model and offers the runs
already in the runs folder, each loaded when it is first chosen.

:func:`list_runs` lists and labels the run folders; :class:`ModelPicker` holds the models loaded so
far, one per run folder, so switching back is instant, and keeps the current model when a choice
fails to load (:attr:`Selection.error` says why, in one line).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from genrekit import paths
from genrekit.app.models import AppModel, ModelCard
from genrekit.errors import GenrekitError
from genrekit.inference import HUB_PREFIX, load_predictor
from genrekit.runs import find_runs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunChoice:
    """One entry of the picker.

    Attributes
    ----------
    key : str
        The run folder as an absolute path: the dropdown's value and the cache's key.
    label : str
        What the dropdown shows (:func:`run_label`).
    """

    key: str
    label: str


def run_label(folder: str | Path, *, root: str | Path | None = None) -> str:
    """A readable one-line label of a run folder for the picker.

    Parameters
    ----------
    folder : str or Path
        The run folder.
    root : str or Path, optional
        The runs folder; the label names ``folder`` relative to it (``app-default/<run>``), else by
        its own name.

    Returns
    -------
    str
        ``'<run> · <model> on <dataset> · test accuracy 0.812'`` from ``run.json`` and
        ``metrics.json``; a zero-shot run says so, a run without ``metrics.json`` says it has no
        test score, and a folder whose record cannot be read says that (choosing it then shows why).
    """
    folder = Path(folder)
    try:
        name = folder.relative_to(root).as_posix() if root is not None else folder.name
    except ValueError:
        name = folder.name
    try:
        card = ModelCard.from_run(folder, interval=False)
    except GenrekitError:
        return f"{name} · unreadable run record"
    if card.zero_shot:
        trained = f"{card.model}, zero-shot"
    else:
        trained = f"{card.model} on {card.dataset}"
    if card.test_accuracy is None:
        score = "no test score"
    else:
        score = f"test accuracy {card.test_accuracy:.3f}" + (" (leaky split)" if card.leaky else "")
    return f"{name} · {trained} · {score}"


def list_runs(root: str | Path | None = None) -> list[RunChoice]:
    """The run folders under ``root`` (default :func:`genrekit.paths.runs_dir`), newest first.

    Every folder holding a ``run.json`` (:func:`genrekit.runs.find_runs`), at any depth, labelled by
    :func:`run_label`. Run folder names start with a timestamp, so newest first is reverse name order.
    """
    root = Path(root).expanduser() if root is not None else paths.runs_dir()
    folders = sorted(find_runs(root), key=lambda p: (p.name, str(p)), reverse=True)
    return [RunChoice(key=str(folder.resolve()), label=run_label(folder, root=root)) for folder in folders]


@dataclass
class Selection:
    """What choosing an entry of the picker gives.

    Attributes
    ----------
    key : str
        The entry now serving: the chosen one, or the previous one if the choice failed.
    model : AppModel
        Its model.
    error : str or None
        Why the choice failed to load, in one line (None when it loaded).
    """

    key: str
    model: AppModel
    error: str | None = None


class ModelPicker:
    """The models the app can switch between: the one it started with, and the runs under the
    runs folder, each loaded on first choice and kept (one per run folder) for the life of the process.

    Safe to share between requests: a lock keeps two requests from loading the same run twice, and
    each request names the entry it serves by key, so one user's choice never changes another's.

    Parameters
    ----------
    start : AppModel
        The model served at start-up (the default model); its tagger and tag note are shared with
        every model loaded here, since musicnn's tags do not depend on the genre model.
    root : str or Path, optional
        The runs folder (default :func:`genrekit.paths.runs_dir`).
    """

    def __init__(self, start: AppModel, *, root: str | Path | None = None):
        self.root = Path(root).expanduser() if root is not None else paths.runs_dir()
        self.start = start
        self.start_key = _start_key(start)
        self._loaded: dict[str, AppModel] = {self.start_key: start}
        self._lock = threading.Lock()
        self.runs: list[RunChoice] = []
        self.refresh()

    def refresh(self) -> list[tuple[str, str]]:
        """List the runs folder again (runs trained since start-up appear); returns :attr:`choices`."""
        self.runs = list_runs(self.root)
        return self.choices

    @property
    def choices(self) -> list[tuple[str, str]]:
        """``(label, key)`` pairs for ``gr.Dropdown``: the start model first (marked as the default)
        unless it is one of the runs, then the runs, newest first."""
        labels = {run.key: run.label for run in self.runs}
        if self.start_key in labels:
            return [(f"{labels[k]} (default)" if k == self.start_key else labels[k], k) for k in labels]
        return [(f"{self._start_label()} (default)", self.start_key), *((run.label, run.key) for run in self.runs)]

    def label(self, key: str) -> str:
        """The label of an entry (its key when unknown)."""
        return next((label for label, k in self.choices if k == key), key)

    def model(self, key: str | None) -> AppModel:
        """The loaded model of an entry; the start model for None or an entry not loaded here."""
        return self._loaded.get(key or self.start_key, self.start)

    def select(self, key: str, *, current: str | None = None) -> Selection:
        """Switch to an entry, loading its run folder on first choice (:func:`genrekit.inference.load_predictor`).

        Parameters
        ----------
        key : str
            A key of :attr:`choices`.
        current : str, optional
            The entry serving now (default the start model): kept if ``key`` fails to load.

        Returns
        -------
        Selection
            The chosen entry and its model; or, when it cannot be loaded (not listed, missing,
            incomplete, unreadable weights), the current entry and model with a one-line ``error``.
        """
        current = current if current in self._loaded else self.start_key
        if key in self._loaded:  # switching back: no wait on a load in progress
            return Selection(key, self._loaded[key])
        with self._lock:
            if key in self._loaded:  # loaded by another request meanwhile
                return Selection(key, self._loaded[key])
            if key not in {run.key for run in self.runs}:
                # only listed folders: the key comes from the browser, so never load an arbitrary path
                return Selection(current, self._loaded[current], f"{key!r} is not a run under {self.root}")
            try:
                model = self._load(Path(key))
            except Exception as exc:  # whatever one run folder holds, the app keeps serving
                error = f"Could not load {Path(key).name} ({_reason(exc, key)}); still serving {self.label(current)}."
                return Selection(current, self._loaded[current], error)
            self._loaded[key] = model
            return Selection(key, model)

    def _load(self, folder: Path) -> AppModel:
        model = AppModel(predictor=load_predictor(folder), cards=[ModelCard.from_run(folder)])
        model.tagger, model.tag_note = self.start.tagger, self.start.tag_note
        return model

    def _start_label(self) -> str:
        folder = _single_folder(self.start)
        if folder is not None:
            return run_label(folder)
        return " + ".join(f"{card.name} · {card.model}" for card in self.start.cards)


def _single_folder(model: AppModel) -> Path | None:
    """The run folder of a model loaded from one local folder (None for an ensemble or a hub model)."""
    sources = [card.source for card in model.cards]
    if len(sources) == 1 and not sources[0].startswith(HUB_PREFIX) and Path(sources[0]).is_dir():
        return Path(sources[0])
    return None


def _start_key(model: AppModel) -> str:
    """The start model's key: its run folder, resolved, so that it matches its entry among the runs."""
    folder = _single_folder(model)
    return str(folder.resolve()) if folder is not None else ",".join(card.source for card in model.cards)


def _reason(exc: BaseException, key: str) -> str:
    """Why a run failed to load, in one line: a genrekit error's message without the folder it
    starts with; anything else by type, logged with its traceback."""
    if not isinstance(exc, GenrekitError):
        log.exception("loading the run %s failed", key)
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else 'no message'}"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.removeprefix(f"{key}: ")
