"""One loader for "a run or an ensemble of runs", and what a loaded model was trained on.

:func:`load_predictor` is what the command line (``predict``, ``album``), the album analysis, the
app and the notebooks call: one run folder, a run folder on the Hugging Face hub (``hf:ORG/NAME``),
a bare ``save_pretrained`` folder, or several of them (a soft-voting :class:`Ensemble`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from genrekit.config import ExperimentConfig
from genrekit.errors import RunError
from genrekit.hub import hub_errors
from genrekit.inference.ensemble import Ensemble
from genrekit.inference.families import FeaturePredictor, NetworkPredictor
from genrekit.inference.predictor import Predictor
from genrekit.models.registry import get_family
from genrekit.runs import RUN_FILE, RunInfo, RunRecord, read_run, resolve_run

#: Prefix of a run folder pushed to the Hugging Face hub (``hf upload ORG/NAME RUN``): ``hf:ORG/NAME``.
HUB_PREFIX = "hf:"


def wrap_loaded(loaded, record: RunRecord) -> Predictor:
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
        return NetworkPredictor(loaded, record)
    raise RunError(f"{record.path}: the {record.info.family!r} loader returned {type(loaded).__name__}, "
                   "which neither scores feature rows nor takes waveform chunks")


def load_predictor(
    runs: str | Path | Predictor | Sequence[str | Path | Predictor],
    *,
    weights: Sequence[float] | None = None,
    runs_dir: str | Path | None = None,
) -> Predictor:
    """Load one saved run, or several as a soft-voting :class:`Ensemble`.

    Parameters
    ----------
    runs : str, Path, Predictor, or a sequence of them
        Each one a run folder written by ``genrekit train`` or ``genrekit evaluate --ensemble``
        (a path, or a folder name under ``runs_dir``), ``hf:ORG/NAME`` (a run folder pushed to
        the Hugging Face hub, downloaded once into its cache), a folder holding a bare Hugging
        Face ``save_pretrained`` audio classifier (loaded by the ``hf`` family), or an already
        loaded :class:`Predictor`.
    weights : sequence of float, optional
        One soft-vote weight per run; giving weights makes an :class:`Ensemble` even of one run.
    runs_dir : str or Path, optional
        Where run names are looked up (default :func:`genrekit.paths.runs_dir`).

    Returns
    -------
    Predictor
        The run's predictor for one run, an :class:`Ensemble` for several.

    Raises
    ------
    RunError
        A folder that is not a complete run, or whose model cannot be read.
    ConfigError
        An unknown family, bad weights, or members that share no genre.
    """
    items = [runs] if isinstance(runs, (str, Path, Predictor)) else list(runs)
    members = [item if isinstance(item, Predictor) else _load_one(item, runs_dir) for item in items]
    if len(members) == 1 and weights is None:
        return members[0]
    return Ensemble(members, weights)


def _load_one(source: str | Path, runs_dir) -> Predictor:
    if isinstance(source, str) and source.startswith(HUB_PREFIX):
        return _load_hub_run(source[len(HUB_PREFIX):])
    folder = resolve_run(source, runs_dir)
    if not (folder / RUN_FILE).is_file() and (folder / "config.json").is_file():
        record = _bare_pretrained_record(folder)
    else:
        record = read_run(folder)
    predictor = wrap_loaded(get_family(record.info.family).load(record.path), record)
    if not isinstance(predictor, Ensemble):  # an ensemble's members carry their own
        predictor.dataset = predictor.dataset or record.info.dataset
    return predictor


def hub_folder(model_id: str) -> Path:
    """The local copy of a run folder on the Hugging Face hub (downloaded on first use)."""
    import huggingface_hub  # optional ([hf] extra), and slow to import: only when a hub run is asked for

    with hub_errors(model_id):
        return Path(huggingface_hub.snapshot_download(model_id))


def _load_hub_run(model_id: str) -> Predictor:
    try:
        return _load_one(hub_folder(model_id), None)
    except RunError as exc:
        raise RunError(f"{HUB_PREFIX}{model_id}: not a genrekit run folder pushed to the hub ({exc})") from None


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


def _bare_pretrained_record(folder: Path) -> RunRecord:
    """A stand-in run record for a bare ``save_pretrained`` folder (no training run behind it)."""
    config = ExperimentConfig()
    config.data.clip_seconds = None
    info = RunInfo(family="hf", model="hf", input="waveform", dataset="", split_kind="", name=folder.name)
    return RunRecord(folder, info, config, labels=[], metrics={})
