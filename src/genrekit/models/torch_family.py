"""The ``torch`` family: spectrogram/MFCC networks, their data preparation, training runs and experiments.

Registers the models

==============  ====================  ===========================================================
name            inputs                network
==============  ====================  ===========================================================
``cnn-spec``    mel, log, linear      :class:`~genrekit.models.cnn.SpectrogramCNN`
``resnet-spec`` mel, log, linear      :class:`~genrekit.models.resnet.ResNetSpec` (ResNet-18/34)
``cnn-mfcc``    mfcc                  :class:`~genrekit.models.cnn.MFCCCNN`
``lstm-mfcc``   mfcc                  :class:`~genrekit.models.lstm.MFCCLSTM`
==============  ====================  ===========================================================

and the family ``Family('torch', train=train_torch, load=load_torch_run)``, which also trains any
other model registered with ``family='torch'`` whose network maps a batch of waveform chunks to
logits (WaveNet): the loop (:func:`genrekit.trainer.fit`) only needs ``model(x) -> logits``.

``model.params`` is one flat table: front-end keys (``n_fft``, ``hop_length``, ``size``,
``n_mels``, ``n_mfcc``, ``n_bins``, ``fmin``, ``fmax``, ``top_db``, ``norm``), network keys (the
network class's keyword arguments, e.g. ``width``, ``dropout``, ``depth``), ``pretrained``
(ResNet: load torchvision's ImageNet weights) and ``cache`` (keep spectrogram images in the
on-disk :class:`~genrekit.features.spectrogram.SpectrogramCache` instead of recomputing them every
epoch; not a model setting, so it is not stored with the weights).

Data: every track's audio is read once (the middle ``data.clip_seconds`` at the model's sample
rate), cut into ``data.chunk_seconds`` chunks (3 s when unset; see :func:`chunk_clip`) and kept in memory as float32. Chunk probabilities are averaged per
track for every score, as for the classic models.
"""

from __future__ import annotations

import copy
import inspect
import json
import time
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import torch
from torch import nn

from genrekit import distributed
from genrekit.checkpoint import TorchModelInfo, TorchPredictor, load_torch_run, save_torch_checkpoint
from genrekit.config import ExperimentConfig, load_config
from genrekit.data.audio import chunk_signal, load_audio, n_chunks
from genrekit.data.index import Problem, TrackIndex
from genrekit.errors import AudioError, ConfigError, DatasetError, RunError
from genrekit.features.spectrogram import SpectrogramCache, SpectrogramFrontEnd
from genrekit.models.cnn import MFCCCNN, SpectrogramCNN
from genrekit.models.lstm import MFCCLSTM
from genrekit.models.registry import Family, ModelSpec, get_model, register_family, register_model
from genrekit.models.resnet import ResNetSpec, load_imagenet_weights
from genrekit.trainer import ChunkSet, evaluate_tracks, fit, plot_history, resolve_device, seed_everything, write_history

#: Chunk length (seconds) when ``data.chunk_seconds`` is unset.
DEFAULT_CHUNK_SECONDS = 3.0

#: Model inputs that are spectrogram images (cacheable, SpecAugment-able).
SPECTROGRAM_INPUTS = ("mel", "log", "linear")

#: Files a torch run folder holds besides the :mod:`genrekit.runs` record and the weights.
TRACKS_FILE = "tracks.csv"  # every track with its split: the data the run saw
HISTORY_FILE = "history.csv"
CURVES_FILE = "training_curves.png"
CHECKPOINT_DIR = "checkpoints"
INDEX_FILE = "index.json"  # dataset name and split kind, for resuming before run.json exists

_FRONTEND_KEYS = ("n_fft", "hop_length", "size", "n_mels", "n_mfcc", "n_bins", "fmin", "fmax", "top_db", "norm")


@dataclass(frozen=True)
class _Recipe:
    """How a registered name becomes a network: its class, front-end defaults, builder-level options."""

    network: type[nn.Module]
    frontend: dict
    options: dict


_RECIPES: dict[str, _Recipe] = {
    "cnn-spec": _Recipe(SpectrogramCNN, {}, {}),
    "resnet-spec": _Recipe(ResNetSpec, {}, {"pretrained": False}),
    # MFCC rows have very different scales (c0 is loudness): a learned per-row norm, no resize
    "cnn-mfcc": _Recipe(MFCCCNN, {"size": None, "norm": "batch"}, {}),
    "lstm-mfcc": _Recipe(MFCCLSTM, {"size": None, "norm": "batch"}, {}),
}


def _defaults(function: Callable, skip: tuple[str, ...]) -> dict:
    return {
        name: p.default
        for name, p in inspect.signature(function).parameters.items()
        if p.default is not inspect.Parameter.empty and name not in skip
    }


def resolve_params(name: str, params: dict | None = None) -> dict:
    """Every hyper-parameter of model ``name``: its defaults overridden by ``params``.

    Parameters
    ----------
    name : str
        A model of this module ('cnn-spec', 'resnet-spec', 'cnn-mfcc', 'lstm-mfcc'); other torch
        models get ``params`` back unchanged (their builders apply their own defaults).
    params : dict
        The ``model.params`` table (without ``cache``).

    Returns
    -------
    dict
        Flat, JSON-able: front-end keys, network keys, builder options. Stored in ``model.json``,
        so a checkpoint never depends on later changes of defaults.

    Raises
    ------
    ConfigError
        On a key the model does not know, naming the known ones.
    """
    params = dict(params or {})
    recipe = _RECIPES.get(name)
    if recipe is None:
        return params
    frontend = _defaults(SpectrogramFrontEnd.__init__, ("kind", "sr", "spec_augment"))
    frontend.update(recipe.frontend)
    network = _defaults(recipe.network.__init__, ("frontend", "num_classes"))
    resolved = {**frontend, **network, **recipe.options}
    unknown = sorted(set(params) - set(resolved))
    if unknown:
        raise ConfigError(f"model {name!r}: unknown model.params {unknown}; known: {', '.join(sorted(resolved))}, cache")
    resolved.update(params)
    if resolved.get("size") is not None:
        resolved["size"] = [int(s) for s in resolved["size"]]
    return resolved


def _build(name: str, *, num_classes: int, params: dict | None = None, input: str, sample_rate: int = 22050,
           init_weights: bool = True, **_ignored) -> nn.Module:
    """Builder behind the registry entries of this module.

    ``init_weights=False`` skips downloading pretrained weights (a checkpoint is about to be loaded).
    """
    recipe = _RECIPES[name]
    resolved = resolve_params(name, params)
    frontend = SpectrogramFrontEnd(input, sr=sample_rate, **{k: resolved[k] for k in _FRONTEND_KEYS})
    network_keys = set(_defaults(recipe.network.__init__, ("frontend", "num_classes")))
    model = recipe.network(frontend, num_classes=num_classes, **{k: resolved[k] for k in network_keys})
    if resolved.get("pretrained") and init_weights:
        load_imagenet_weights(model.backbone, depth=model.depth)
    return model


def sample_rate_of(model: nn.Module, default: int) -> int:
    """The sample rate a network expects: its ``sample_rate`` attribute, its front-end's, or ``default``."""
    rate = getattr(model, "sample_rate", None)
    if rate:
        return int(rate)
    frontend = getattr(model, "frontend", None)
    if isinstance(frontend, SpectrogramFrontEnd):
        return frontend.sr
    return int(default)


# ---------------------------------------------------------------------- data preparation
def chunk_clip(y: np.ndarray, *, sr: int, chunk_seconds: float, hop_seconds: float | None = None) -> np.ndarray:
    """Cut a clip into the chunks a network sees, in training and in prediction alike.

    Full chunks every ``hop_seconds``; the end of the clip is zero-padded into one more chunk
    only if the full chunks leave at least half a chunk of it uncovered (so overlapping hops
    never add a half-silent chunk), and a clip shorter than a chunk becomes one padded chunk if it
    is at least half a chunk long.

    Returns
    -------
    chunks : np.ndarray [shape=(n_chunks, round(chunk_seconds * sr)), dtype=float32]

    Raises
    ------
    AudioError
        If the clip is shorter than half a chunk.
    """
    size = int(round(chunk_seconds * sr))
    hop = int(round((hop_seconds or chunk_seconds) * sr))
    full = n_chunks(len(y), sr=sr, chunk_seconds=chunk_seconds, hop_seconds=hop_seconds)
    covered = (full - 1) * hop + size if full else 0
    pad = len(y) - covered >= 0.5 * size
    return chunk_signal(y, sr=sr, chunk_seconds=chunk_seconds, hop_seconds=hop_seconds, pad_last=pad, min_last=0.5)


def load_chunks(
    tracks: pd.DataFrame,
    *,
    labels: list[str],
    sr: int,
    clip_seconds: float | None,
    chunk_seconds: float,
    hop_seconds: float | None = None,
    frontend: SpectrogramFrontEnd | None = None,
    cache: SpectrogramCache | None = None,
    progress: bool = True,
    desc: str = "loading audio",
) -> tuple[ChunkSet, np.ndarray, list[Problem]]:
    """Read, window and chunk the audio of ``tracks`` (optionally as cached spectrogram images).

    Parameters
    ----------
    tracks : pd.DataFrame
        Rows of a :class:`~genrekit.data.index.TrackIndex` (``track_id``, ``path``, ``genre``).
    labels : list of str
        Label map; every genre of ``tracks`` must be in it.
    sr : int
        Sample rate (Hz) audio is resampled to.
    clip_seconds : float or None
        Read the middle this-many seconds of each track (None: all of it).
    chunk_seconds, hop_seconds : float
        Chunk length and hop (hop = chunk length if None).
    frontend, cache : optional
        With both, each track's chunks become ``frontend.compute`` images, read from / written to
        ``cache`` (a cached track is not decoded at all).

    Returns
    -------
    data : ChunkSet
        ``inputs`` ``(n_chunks, samples)`` float32 waveforms, or ``(n_chunks, 1, rows, columns)`` images.
    chunk_index : np.ndarray [shape=(n_chunks,)]
        Position of each chunk within its track.
    problems : list of Problem
        Tracks skipped (unreadable, too short, silent).
    """
    from tqdm.auto import tqdm

    class_of = {label: i for i, label in enumerate(labels)}
    unknown = sorted(set(tracks["genre"].astype(str)) - set(class_of))
    if unknown:
        raise DatasetError(f"genres {unknown} are not in the label map {labels}")
    pieces, ids, classes, positions, problems = [], [], [], [], []
    rows = tracks[["track_id", "path", "genre"]].itertuples(index=False)
    for track_id, path, genre in tqdm(rows, total=len(tracks), desc=desc, disable=not progress, leave=False):
        try:
            part = cache.load(track_id, path) if cache is not None else None
            if part is None:
                y = load_audio(path, sr=sr, middle=clip_seconds)
                part = chunk_clip(y, sr=sr, chunk_seconds=chunk_seconds, hop_seconds=hop_seconds)
                if cache is not None:
                    with torch.no_grad():
                        part = frontend.compute(torch.from_numpy(part).to(frontend.window.device)).cpu().numpy()
                    cache.save(track_id, path, part)
        except AudioError as exc:
            problems.append(Problem(str(path), exc.reason))
            continue
        pieces.append(part)
        ids.extend([str(track_id)] * len(part))
        classes.extend([class_of[str(genre)]] * len(part))
        positions.append(np.arange(len(part)))
    if not pieces:
        empty = torch.zeros((0, int(round(chunk_seconds * sr))), dtype=torch.float32)
        return ChunkSet(empty, torch.zeros(0, dtype=torch.long), []), np.zeros(0, dtype=int), problems
    inputs = torch.from_numpy(np.concatenate(pieces).astype(np.float32, copy=False))
    data = ChunkSet(inputs, torch.tensor(classes, dtype=torch.long), np.asarray(ids))
    return data, np.concatenate(positions), problems


def _subset(data: ChunkSet, mask: np.ndarray, *, ids: np.ndarray | None = None) -> ChunkSet:
    keep = torch.from_numpy(np.flatnonzero(mask))
    return ChunkSet(data.inputs[keep], data.labels[keep], (ids if ids is not None else data.track_ids)[mask])


@dataclass
class PreparedChunks:
    """Train/valid/test chunk sets of one dataset for one model."""

    train: ChunkSet
    valid: ChunkSet
    test: ChunkSet
    unit: str  # 'track', or 'chunk' under the leaky protocol
    problems: list[Problem]


def prepare_chunks(
    index: TrackIndex,
    *,
    labels: list[str],
    sr: int,
    clip_seconds: float | None,
    chunk_seconds: float,
    hop_seconds: float | None = None,
    seed: int = 0,
    valid_fraction: float = 0.15,
    test_fraction: float = 0.15,
    frontend: SpectrogramFrontEnd | None = None,
    cache: SpectrogramCache | None = None,
    splits: tuple[str, ...] = ("train", "valid", "test"),
    progress: bool = True,
) -> PreparedChunks:
    """Chunk sets per split of a split track index.

    Under the leaky protocol (``index.split_kind == 'leaky-chunks'``) chunks, not tracks, are
    split at random (:func:`genrekit.data.splits.leaky_chunk_split`) and every chunk is its own
    scoring unit; otherwise no track has chunks on two sides (checked).
    """
    from genrekit.data.splits import check_no_leak, leaky_chunk_split
    from genrekit.evaluate import LEAKY_SPLIT

    options = dict(labels=labels, sr=sr, clip_seconds=clip_seconds, chunk_seconds=chunk_seconds,
                   hop_seconds=hop_seconds, frontend=frontend, cache=cache, progress=progress)
    tracks = index.tracks
    empty = ChunkSet(torch.zeros((0, 1)), torch.zeros(0, dtype=torch.long), [])
    if index.split_kind == LEAKY_SPLIT:
        data, position, problems = load_chunks(tracks, desc="loading audio (all splits)", **options)
        genre_of = dict(zip(tracks["track_id"].astype(str), tracks["genre"].astype(str)))
        frame = pd.DataFrame({"genre": [genre_of[t] for t in data.track_ids]})
        side = leaky_chunk_split(frame, seed=seed, valid_fraction=valid_fraction, test_fraction=test_fraction).to_numpy()
        chunk_ids = np.char.add(np.char.add(data.track_ids.astype(str), "#"), position.astype(str))
        parts = {s: _subset(data, side == s, ids=chunk_ids) if s in splits else empty for s in ("train", "valid", "test")}
        return PreparedChunks(parts["train"], parts["valid"], parts["test"], "chunk", problems)
    parts, problems = {}, []
    for split in ("train", "valid", "test"):
        if split not in splits:
            parts[split] = empty
            continue
        chosen = tracks[tracks["split"] == split]
        parts[split], _, skipped = load_chunks(chosen, desc=f"loading {split} audio", **options)
        problems += skipped
    check_no_leak(
        pd.DataFrame({
            "track_id": np.concatenate([parts[s].track_ids for s in parts]),
            "split": np.concatenate([[s] * len(parts[s]) for s in parts]),
        })
    )
    return PreparedChunks(parts["train"], parts["valid"], parts["test"], "track", problems)


# ---------------------------------------------------------------------- training runs
def split_index(config: ExperimentConfig, index: TrackIndex | None, progress: bool) -> TrackIndex:
    """The config's dataset with its split, or ``index`` (split now if its split column is empty)."""
    if index is None:
        from genrekit.train import prepare_index

        return prepare_index(config, progress=progress)
    if index.tracks["split"].isna().any():
        from genrekit.data.splits import assign_splits

        data = config.data
        return assign_splits(index, kind=data.split, seed=data.seed, valid_fraction=data.valid_fraction,
                             test_fraction=data.test_fraction, split_dir=data.split_dir)
    return index


def _resolved_config(config: ExperimentConfig, *, model_input: str, chunk_seconds: float) -> ExperimentConfig:
    """A copy with the defaults this family filled in written out, for the run folder."""
    config = copy.deepcopy(config)
    config.model.input = model_input
    config.data.chunk_seconds = chunk_seconds
    return config


def train_torch(
    config: ExperimentConfig,
    *,
    progress: bool = True,
    index: TrackIndex | None = None,
    run_dir: str | Path | None = None,
    resume: bool = False,
    extra: dict | None = None,
    on_epoch_end: Callable[[dict], None] | None = None,
) -> Path:
    """Train a torch model as ``config`` says and write its run folder (the family's trainer).

    Parameters
    ----------
    config : ExperimentConfig
        ``model.name`` must be a torch-family model; ``model.input`` one of its inputs.
    progress : bool
        Progress bars and per-epoch lines.
    index : TrackIndex, optional
        Use these tracks instead of loading ``config.data.source`` (split by ``config.data`` if
        their ``split`` column is empty). Experiments pass one index to several runs so they share
        the split.
    run_dir : str or Path, optional
        Write into this folder (default: a new one under ``config.runs_dir`` / ``paths.runs_dir()``).
    resume : bool
        Continue from ``run_dir/checkpoints`` (see :func:`resume_run`).
    extra : dict, optional
        Added to ``RunInfo.extra`` (e.g. ``{"experiment": "mel-vs-log"}``).
    on_epoch_end : callable, optional
        Called with each epoch's history row.

    Under ``torchrun``/``accelerate`` every process calls this; they train one model together
    (:mod:`genrekit.distributed`) and rank 0 alone writes the run folder, which all return.

    Returns
    -------
    Path
        The run folder: ``run.json``, ``config.toml``, ``labels.json``, ``versions.json``,
        ``model.safetensors``, ``model.json``, ``metrics.json``, ``report.txt``, ``confusion.png``,
        ``history.csv``, ``training_curves.png``, ``tracks.csv`` and ``checkpoints/`` (resumable state).
    """
    from genrekit.evaluate import split_label, write_evaluation
    from genrekit.runs import RunInfo, new_run_dir, write_run_record

    spec = get_model(config.model.name)
    if spec.family != "torch":
        raise ConfigError(f"model {spec.name!r} belongs to the {spec.family!r} family, not 'torch'")
    model_input = config.model.input or spec.default_input
    if model_input not in spec.inputs:
        raise ConfigError(f"model {spec.name!r} takes inputs {', '.join(spec.inputs)}, not {model_input!r}")
    params = dict(config.model.params)
    use_cache = bool(params.pop("cache", False))
    resolved = resolve_params(spec.name, params)
    chunk_seconds = float(config.data.chunk_seconds or DEFAULT_CHUNK_SECONDS)
    config = _resolved_config(config, model_input=model_input, chunk_seconds=chunk_seconds)

    context = distributed.setup(config.train.device)
    progress = progress and context.is_main
    with distributed.main_first():  # rank 0 generates or indexes the data once, the others reuse it
        index = split_index(config, index, progress)
    labels = index.genres
    seed_everything(config.train.seed)
    model = spec.build(num_classes=len(labels), params=params, input=model_input, sample_rate=config.data.sample_rate)
    sr = sample_rate_of(model, config.data.sample_rate)
    config.data.sample_rate = sr  # a network with a fixed rate (WaveNet) overrides the config's

    if run_dir is None:
        # under DDP one folder for all processes: rank 0 makes it and tells the others
        run_dir = distributed.from_main(lambda: new_run_dir(config, dataset=index.name, model=f"{spec.name}-{model_input}"))
    run_dir = Path(run_dir)
    checkpoint_dir = run_dir / CHECKPOINT_DIR
    if context.is_main:
        checkpoint_dir.mkdir(parents=True, exist_ok=True)
        # what resume_run needs, written before training so an interrupted run can be continued
        (run_dir / "config.toml").write_text(_config_toml(config))
        index.tracks.to_csv(run_dir / TRACKS_FILE, index=False)
        (checkpoint_dir / INDEX_FILE).write_text(json.dumps({"name": index.name, "split_kind": index.split_kind}) + "\n")

    device = distributed.device_for(context, resolve_device(config.train.device))
    frontend = getattr(model, "frontend", None)
    cache = None
    if use_cache:
        if not isinstance(frontend, SpectrogramFrontEnd):
            raise ConfigError(f"model.params.cache: model {spec.name!r} has no spectrogram front-end to cache")
        frontend = copy.deepcopy(frontend).to(device).eval()
        cache = SpectrogramCache(frontend, audio=_audio_key(config, sr))
    data = prepare_chunks(
        index, labels=labels, sr=sr, clip_seconds=config.data.clip_seconds, chunk_seconds=chunk_seconds,
        hop_seconds=config.data.hop_seconds, seed=config.data.seed, valid_fraction=config.data.valid_fraction,
        test_fraction=config.data.test_fraction, frontend=frontend if cache else None, cache=cache, progress=progress,
    )
    if len(data.test) == 0:
        raise DatasetError(f"{index.name}: the test split is empty (split kind {index.split_kind})")
    untrained = sorted(set(labels) - {labels[i] for i in data.train.labels.unique().tolist()})
    if untrained:
        warnings.warn(f"{index.name}: genres with no training tracks under the {index.split_kind} split: "
                      f"{', '.join(untrained)}; their test tracks cannot be classified correctly", stacklevel=2)

    began = time.perf_counter()
    result = fit(
        model, data.train, data.valid, config=config.train, labels=labels, checkpoint_dir=checkpoint_dir,
        resume=resume, progress=progress, on_epoch_end=on_epoch_end,
    )
    train_seconds = time.perf_counter() - began
    if not context.is_main:
        distributed.barrier()  # wait while rank 0 scores the test split and writes the run folder
        return run_dir
    batch = max(config.train.batch_size, 1)
    test_scores, _, test_proba = evaluate_tracks(model, data.test, labels, batch_size=batch, device=device, precision=result.precision)
    valid_scores, _, _ = evaluate_tracks(model, data.valid, labels, batch_size=batch, device=device, precision=result.precision)
    chunk_accuracy = float((test_proba.argmax(axis=1) == data.test.labels.numpy()).mean())

    model.to("cpu")
    save_torch_checkpoint(run_dir, model, TorchModelInfo(
        model=spec.name, input=model_input, num_classes=len(labels), params=resolved, labels=labels,
        sample_rate=sr, chunk_seconds=chunk_seconds, hop_seconds=config.data.hop_seconds,
        clip_seconds=config.data.clip_seconds, frontend=frontend.config if isinstance(frontend, SpectrogramFrontEnd) else None,
    ))
    write_history(result.history, run_dir / HISTORY_FILE)
    plot_history(result.history, run_dir / CURVES_FILE, title=f"{spec.name} ({model_input}) on {index.name}")

    n_tracks = {s: getattr(data, s).n_tracks for s in ("train", "valid", "test")}
    training = {
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "stopped": result.stopped,
        "best_valid_macro_f1": result.best_score,
        "device": result.device,
        "precision": result.precision,
        "chunk_seconds": chunk_seconds,
        "test_chunk_accuracy": chunk_accuracy,
        "spectrogram_cache": cache.key if cache else None,
        "world_size": result.world_size,
    }
    info = RunInfo(
        family="torch", model=spec.name, input=model_input, dataset=index.name,
        split_kind=index.split_kind or config.data.split, train_seconds=round(train_seconds, 3),
        n_train=n_tracks["train"], n_valid=n_tracks["valid"], n_test=n_tracks["test"] if data.unit == "track" else len(data.test),
        unit=data.unit,
        extra={"source": config.data.source, "chunk_seconds": chunk_seconds, "sample_rate": sr,
               "train_chunks": len(data.train), "valid_chunks": len(data.valid), "test_chunks": len(data.test),
               "best_epoch": result.best_epoch, "skipped_files": len(data.problems), **(extra or {})},
    )
    metrics = {"split_kind": info.split_kind, "unit": data.unit, "test": test_scores, "valid": valid_scores, "training": training}
    write_run_record(run_dir, info=info, config=config, labels=labels)
    header = [
        f"run {run_dir.name}",
        f"model {spec.name} (torch, input {model_input}); dataset {index.name} ({config.data.source})",
        f"tracks train/valid/test: {n_tracks['train']}/{n_tracks['valid']}/{n_tracks['test']}; chunks of {chunk_seconds:g} s "
        f"at {sr} Hz; split {split_label(info.split_kind)}",
        f"best epoch {result.best_epoch} of {len(result.history)} ({result.stopped}); device {result.device}, {result.precision}",
        "a track's prediction is the mean of its chunks' probabilities",
    ]
    write_evaluation(run_dir, metrics, header=header, title=f"{spec.name} ({model_input})")
    distributed.barrier()
    return run_dir


def _config_toml(config: ExperimentConfig) -> str:
    from genrekit.config import to_toml

    return to_toml(config.to_dict())


def _audio_key(config: ExperimentConfig, sr: int) -> dict:
    return {"sr": sr, "clip_seconds": config.data.clip_seconds, "chunk_seconds": config.data.chunk_seconds,
            "hop_seconds": config.data.hop_seconds}


def read_run_tracks(run_dir: str | Path) -> TrackIndex:
    """The split track index a torch run was trained on (``tracks.csv`` + ``checkpoints/index.json``)."""
    run_dir = Path(run_dir)
    path = run_dir / TRACKS_FILE
    if not path.is_file():
        raise RunError(f"{run_dir}: {TRACKS_FILE} is missing (not a torch run folder?)")
    tracks = pd.read_csv(path, dtype={"track_id": str})
    meta_path = run_dir / CHECKPOINT_DIR / INDEX_FILE
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    if not meta:
        try:
            run = json.loads((run_dir / "run.json").read_text())
            meta = {"name": run.get("dataset", "dataset"), "split_kind": run.get("split_kind")}
        except (OSError, ValueError):
            meta = {"name": "dataset", "split_kind": None}
    return TrackIndex(meta.get("name") or "dataset", tracks, split_kind=meta.get("split_kind"))


def resume_run(
    run_dir: str | Path, *, overrides: list[str] | None = None, progress: bool = True,
    on_epoch_end: Callable[[dict], None] | None = None,
) -> Path:
    """Continue an interrupted (or extend a finished) torch run from its last checkpoint.

    The run's own ``config.toml`` and ``tracks.csv`` (so the same data and split) are used;
    ``overrides`` (``section.field=value``) may raise ``train.epochs``. Weights, optimizer moments,
    schedule position, RNG state, history and the early-stopping state continue where they were
    after the last finished epoch. A run that stopped early stays stopped.
    """
    run_dir = Path(run_dir)
    config_path = run_dir / "config.toml"
    if not config_path.is_file():
        raise RunError(f"{run_dir}: cannot resume, config.toml is missing")
    config = load_config(config_path, overrides)
    return train_torch(config, index=read_run_tracks(run_dir), run_dir=run_dir, resume=True, progress=progress,
                       on_epoch_end=on_epoch_end, extra=_previous_extra(run_dir))


def _previous_extra(run_dir: Path) -> dict:
    try:
        extra = json.loads((run_dir / "run.json").read_text()).get("extra", {})
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in extra.items() if k == "experiment"}


def compare_inputs(
    config: ExperimentConfig,
    *,
    inputs: tuple[str, ...] = ("mel", "log"),
    tag: str = "mel-vs-log",
    index: TrackIndex | None = None,
    progress: bool = True,
) -> list[Path]:
    """Train ``config``'s model once per input on one shared split (e.g. mel vs log-frequency).

    Parameters
    ----------
    config : ExperimentConfig
        Everything but ``model.input``, which each run sets.
    inputs : tuple of str
        Inputs to compare, each one the model accepts.
    tag : str
        Stored as ``RunInfo.extra["experiment"]`` in every run, so the results table can group them.
    index : TrackIndex, optional
        Tracks to use instead of ``config.data.source``.

    Returns
    -------
    list of Path
        One run folder per input, in ``inputs`` order.
    """
    spec = get_model(config.model.name)
    bad = [i for i in inputs if i not in spec.inputs]
    if bad:
        raise ConfigError(f"model {spec.name!r} takes inputs {', '.join(spec.inputs)}, not {', '.join(bad)}")
    index = split_index(config, index, progress)  # split once: every input sees the same tracks
    runs = []
    for model_input in inputs:
        run_config = copy.deepcopy(config)
        run_config.model.input = model_input
        runs.append(train_torch(run_config, index=index, progress=progress, extra={"experiment": tag}))
    return runs


# ---------------------------------------------------------------------- re-scoring a saved run
def rescore(predictor: TorchPredictor, *, split: str = "test", progress: bool = True) -> dict:
    """Score a loaded torch run again on the tracks of one split it recorded in ``tracks.csv``.

    Returns
    -------
    dict
        :func:`genrekit.evaluate.classification_metrics` plus ``unit``, ``split`` and ``split_kind``.
    """
    from genrekit.evaluate import track_metrics
    from genrekit.runs import read_run
    from genrekit.trainer import predict_proba

    if predictor.run_dir is None:
        raise RunError("this predictor was not loaded from a run folder; nothing to re-score")
    record = read_run(predictor.run_dir)
    index = read_run_tracks(predictor.run_dir)
    info = predictor.info
    data = prepare_chunks(
        index, labels=predictor.labels, sr=info.sample_rate, clip_seconds=info.clip_seconds,
        chunk_seconds=info.chunk_seconds, hop_seconds=info.hop_seconds, seed=record.config.data.seed,
        valid_fraction=record.config.data.valid_fraction, test_fraction=record.config.data.test_fraction,
        splits=(split,), progress=progress,
    )
    part = getattr(data, split)
    if len(part) == 0:
        raise DatasetError(f"{predictor.run_dir}: the {split} split is empty")
    proba = predict_proba(predictor.model, part.inputs, batch_size=predictor.batch_size, device=predictor.device)
    scores = track_metrics(part.track_ids, proba, part.track_labels(), predictor.labels)
    return {**scores, "unit": data.unit, "split": split, "split_kind": index.split_kind}


# ---------------------------------------------------------------------- registration
_DESCRIPTIONS = {
    "cnn-spec": "compact CNN on spectrogram images (Choi et al. 2016; Dieleman & Schrauwen 2014)",
    "resnet-spec": "ResNet-18/34 on spectrogram images (He et al. 2016), optional ImageNet weights",
    "cnn-mfcc": "2-D CNN on MFCC matrices of 3 s chunks",
    "lstm-mfcc": "LSTM on MFCC frame sequences of 3 s chunks (Hochreiter & Schmidhuber 1997)",
}
_INPUTS = {
    "cnn-spec": SPECTROGRAM_INPUTS,
    "resnet-spec": SPECTROGRAM_INPUTS,
    "cnn-mfcc": ("mfcc",),
    "lstm-mfcc": ("mfcc",),
}

for _name in _RECIPES:
    register_model(ModelSpec(_name, "torch", _INPUTS[_name], partial(_build, _name), _DESCRIPTIONS[_name]))
register_family(Family("torch", train=train_torch, load=load_torch_run))

