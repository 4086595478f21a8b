"""Self-describing run folders.

Every training run writes one folder under :func:`genrekit.paths.runs_dir`::

    <runs>/<YYYYmmdd-HHMMSS>-<name>-<model>-<dataset>/
        run.json        # what was trained: family, model, input, dataset, split kind, times
        config.toml     # the resolved ExperimentConfig
        labels.json     # the label map: list of genre names, index = class id
        metrics.json    # test (and validation) metrics
        versions.json   # python, genrekit and library versions
        tracks.csv      # every track the run saw, with its split
        model.*         # weights: XGBoost JSON/UBJ, safetensors + JSON, or a save_pretrained folder

so that :func:`genrekit.models.registry.get_family(run.family).load(folder)` needs nothing else.
Nothing here is ever unpickled.
"""

from __future__ import annotations

import json
import platform
import re
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from genrekit import __version__, paths
from genrekit.config import ExperimentConfig, from_dict, to_toml
from genrekit.errors import RunError

RUN_FILE = "run.json"
CONFIG_FILE = "config.toml"
LABELS_FILE = "labels.json"
METRICS_FILE = "metrics.json"
VERSIONS_FILE = "versions.json"
TRACKS_FILE = "tracks.csv"  # every track with its split: the data the run saw

_VERSIONED = ("numpy", "scipy", "pandas", "scikit-learn", "xgboost", "librosa", "soundfile", "torch", "transformers")


@dataclass
class RunInfo:
    """Contents of ``run.json``."""

    family: str
    model: str
    input: str
    dataset: str
    split_kind: str
    name: str = ""
    created: str = ""
    train_seconds: float | None = None
    n_train: int | None = None
    n_valid: int | None = None
    n_test: int | None = None
    unit: str = "track"  # what a test example is: metrics are always per track
    extra: dict = field(default_factory=dict)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "-", text).strip("-")[:60] or "run"


def new_run_dir(config: ExperimentConfig, *, dataset: str, model: str | None = None, root: str | Path | None = None) -> Path:
    """Create a fresh, never-reused run folder and return it."""
    root = Path(root or config.runs_dir or paths.runs_dir())
    root.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return unique_dir(root, _slug(f"{stamp}-{config.name}-{model or config.model.name}-{dataset}"))


def unique_dir(root: Path, base: str) -> Path:
    """Create and return ``root/base``, or ``root/base-1``, ``-2``, ... if taken (never reused).

    ``mkdir`` itself decides, so two processes starting at the same second get different folders.
    """
    root.mkdir(parents=True, exist_ok=True)
    for i in range(1000):
        candidate = root / (base if i == 0 else f"{base}-{i}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise RunError(f"could not create a unique folder {base!r} under {root}")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "genrekit": __version__, "platform": platform.platform()}
    for dist in _VERSIONED:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False, default=_jsonable) + "\n")


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_run_record(
    run_dir: Path,
    *,
    info: RunInfo,
    config: ExperimentConfig,
    labels: list[str],
    metrics: dict | None = None,
) -> None:
    """Write run.json, config.toml, labels.json, versions.json and (if given) metrics.json."""
    run_dir = Path(run_dir)
    info.created = info.created or time.strftime("%Y-%m-%dT%H:%M:%S")
    info.name = info.name or config.name
    write_json(run_dir / RUN_FILE, asdict(info))
    (run_dir / CONFIG_FILE).write_text(to_toml(config.to_dict()))
    write_json(run_dir / LABELS_FILE, list(labels))
    write_json(run_dir / VERSIONS_FILE, versions())
    if metrics is not None:
        write_json(run_dir / METRICS_FILE, metrics)


# ---------------------------------------------------------------------- model descriptors

#: Version of every descriptor this genrekit writes; readers accept it and older ones.
DESCRIPTOR_VERSION = 1


def descriptor_format(kind: str, version: int = DESCRIPTOR_VERSION) -> str:
    """The ``format`` field of a model descriptor: ``genrekit-<kind>/<version>``."""
    return f"genrekit-{kind}/{version}"


def write_descriptor(path: str | Path, kind: str, fields: dict) -> Path:
    """Write a model descriptor (``model.json``, ``hf.json``, ``ensemble.json``): ``fields`` plus
    ``format = genrekit-<kind>/<version>``, the one versioning scheme every family uses."""
    path = Path(path)
    write_json(path, {"format": descriptor_format(kind), **fields})
    return path


def read_descriptor(path: str | Path, kind: str, into: type | None = None):
    """Read a descriptor written by :func:`write_descriptor`.

    Parameters
    ----------
    path : str or Path
    kind : str
        The family's descriptor kind ('torch', 'hf', 'classic', 'ensemble').
    into : dataclass type, optional
        Build this dataclass from the fields it knows (unknown fields, from a newer minor change,
        are ignored); without it the fields come back as a dict.

    Raises
    ------
    RunError
        Naming the file: missing, not JSON, another kind, written by a newer genrekit, or
        lacking a field ``into`` requires.
    """
    path = Path(path)
    if not path.is_file():
        raise RunError(f"{path.parent}: {path.name} is missing (not a {kind} run folder?)")
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise RunError(f"{path}: not valid JSON ({exc})") from None
    found = str(data.pop("format", "")) if isinstance(data, dict) else ""
    name, _, version = found.partition("/")
    if name != f"genrekit-{kind}" or not version.isdigit():
        raise RunError(f"{path}: not a {descriptor_format(kind)} description (format {found or 'missing'})")
    if int(version) > DESCRIPTOR_VERSION:
        raise RunError(f"{path}: written by a newer genrekit ({found}); this one reads up to {descriptor_format(kind)}")
    if into is None:
        return data
    known = set(into.__dataclass_fields__)
    try:
        return into(**{k: v for k, v in data.items() if k in known})
    except TypeError as exc:
        raise RunError(f"{path}: incomplete description ({exc})") from None


def write_tracks(run_dir: str | Path, tracks) -> Path:
    """Record the split track list a run saw (``tracks.csv``: ``track_id``, ``path``, ``genre``,
    ``split``, ...), so ensembles and re-scoring read the run's own tracks."""
    path = Path(run_dir) / TRACKS_FILE
    tracks.to_csv(path, index=False)
    return path


@dataclass
class RunRecord:
    """A run folder read back."""

    path: Path
    info: RunInfo
    config: ExperimentConfig
    labels: list[str]
    metrics: dict


def read_run(run_dir: str | Path) -> RunRecord:
    """Read a run folder's description; raises :class:`RunError` naming what is missing."""
    import tomllib

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunError(f"{run_dir}: not a run folder (does not exist)")
    for name in (RUN_FILE, CONFIG_FILE, LABELS_FILE):
        if not (run_dir / name).is_file():
            raise RunError(f"{run_dir}: not a complete run folder ({name} is missing)")
    try:
        info_dict = json.loads((run_dir / RUN_FILE).read_text())
        known = {f for f in RunInfo.__dataclass_fields__}
        info = RunInfo(**{k: v for k, v in info_dict.items() if k in known})
        config = from_dict(ExperimentConfig, tomllib.loads((run_dir / CONFIG_FILE).read_text()))
        labels = json.loads((run_dir / LABELS_FILE).read_text())
        metrics_path = run_dir / METRICS_FILE
        metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    except (ValueError, TypeError) as exc:
        raise RunError(f"{run_dir}: unreadable run record ({exc})") from None
    return RunRecord(run_dir, info, config, labels, metrics)


def find_runs(root: str | Path | None = None) -> list[Path]:
    """All run folders (those holding run.json) under ``root``, oldest first."""
    root = Path(root or paths.runs_dir())
    if not root.is_dir():
        return []
    return sorted(p.parent for p in root.rglob(RUN_FILE))


def resolve_run(name: str | Path, runs_dir: str | Path | None = None) -> Path:
    """A run given as a path, or as a folder name under ``runs_dir`` (default :func:`genrekit.paths.runs_dir`).

    Returns the path as given when neither exists, so the caller's error names what the user typed.
    """
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    candidate = (Path(runs_dir).expanduser() if runs_dir else paths.runs_dir()) / str(name)
    return candidate if candidate.is_dir() else path
