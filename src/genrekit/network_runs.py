"""One run orchestration for every network family (torch, hf): data, fit, scoring, run folder.

A family contributes a :class:`NetworkSetup` (its built network, how it is cut into inputs, how
its model files are written, what its report says); :func:`train_network` does the rest, the same
way for every family:

1. split the dataset (or take a given split index) once, on rank 0 under DDP;
2. write ``config.toml``, ``tracks.csv`` and ``checkpoints/index.json`` before training, so an
   interrupted run can be resumed (:func:`resume_run`);
3. decode each split's tracks once into the on-disk store and stream their chunks from it
   (:func:`prepare_chunks`; no track on two sides; memory stays at a batch whatever the number of
   tracks), warn about genres without training tracks, refuse an empty test split;
4. :func:`genrekit.trainer.fit` (early stopping on validation macro F1 per track);
5. score test and validation per track, write the family's model files, the history and curves,
   the :mod:`genrekit.runs` record, ``metrics.json`` and the report.

:func:`rescore_network` scores a loaded network again on one split of the tracks it recorded, with
the chunk length and hop it was trained with.
"""

from __future__ import annotations

import copy
import functools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import torch
from torch import nn

from genrekit import distributed, paths
from genrekit.checkpoint import LoadedNetwork
from genrekit.config import ExperimentConfig, load_config, to_toml
from genrekit.data.audio import chunk_clip, clip_chunk_starts, load_audio
from genrekit.data.index import Problem, TrackIndex
from genrekit.data.splits import LEAKY_SPLIT, assign_splits, check_no_leak, leaky_chunk_split
from genrekit.data.store import TrackStore, decode_clip, decode_workers
from genrekit.errors import AudioError, DatasetError, RunError
from genrekit.evaluate import check_training_split, split_label, track_metrics, write_run
from genrekit.features.spectrogram import SpectrogramCache, SpectrogramFrontEnd
from genrekit.models.registry import get_family, get_model, model_input
from genrekit.prepare import prepare_index
from genrekit.runs import RUN_FILE, TRACKS_FILE, RunInfo, new_run_dir, read_run, write_tracks
from genrekit.trainer import (
    ChunkSet,
    StoredChunks,
    evaluate_tracks,
    fit,
    loader_workers,
    plot_history,
    predict_proba,
    resolve_device,
    seed_everything,
    write_history,
)

#: Files a network run folder holds besides the :mod:`genrekit.runs` record and the model files.
HISTORY_FILE = "history.csv"
CURVES_FILE = "training_curves.png"
CHECKPOINT_DIR = "checkpoints"
INDEX_FILE = "index.json"  # dataset name and split kind, for resuming before run.json exists

#: Families trained by :func:`train_network` (and so resumable and re-scorable from their tracks).
NETWORK_FAMILIES = ("torch", "hf")


# ---------------------------------------------------------------------- chunk data

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
    desc: str = "decoding audio",
    workers: int = 1,
) -> tuple[StoredChunks, np.ndarray, list[Problem]]:
    """The chunks of ``tracks``, streamed from an on-disk store (each track decoded once, then reused).

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
        With both, each track's chunks are stored as ``frontend.compute`` images in ``cache``;
        otherwise each track's clip is stored in :func:`audio_store` and cut into chunks as it is read.
    workers : int
        Processes decoding audio into the store at once (images are computed here, one track at a time).

    Returns
    -------
    data : StoredChunks
        ``(samples,)`` float32 waveform chunks, or ``(1, rows, columns)`` images, one per item.
    chunk_index : np.ndarray [shape=(n_chunks,)]
        Position of each chunk within its track.
    problems : list of Problem
        Tracks skipped (unreadable, too short, silent).
    """
    class_of = {label: i for i, label in enumerate(labels)}
    unknown = sorted(set(tracks["genre"].astype(str)) - set(class_of))
    if unknown:
        raise DatasetError(f"genres {unknown} are not in the label map {labels}")
    cut = dict(sr=sr, chunk_seconds=chunk_seconds, hop_seconds=hop_seconds)
    if cache is not None:
        def images(path: str) -> np.ndarray:
            chunks = chunk_clip(load_audio(path, sr=sr, middle=clip_seconds), **cut)
            with torch.no_grad():
                return frontend.compute(torch.from_numpy(chunks).to(frontend.window.device)).cpu().numpy()

        store, make, size = cache, images, None
    else:
        make = functools.partial(decode_clip, sr=sr, clip_seconds=clip_seconds)
        store, size = audio_store(sr=sr, clip_seconds=clip_seconds), int(round(chunk_seconds * sr))
    stored, problems = store.fill(tracks, make, workers=workers if cache is None else 1, progress=progress, desc=desc)
    files, file_of, starts, positions, ids, classes = [], [], [], [], [], []
    for track_id, path, genre, file, length in stored[["track_id", "path", "genre", "file", "length"]].itertuples(index=False):
        try:
            at = np.arange(length) if size is None else np.asarray(clip_chunk_starts(int(length), **cut))
        except AudioError as exc:  # too short for this run's chunks; the store keeps it for runs with shorter ones
            problems.append(Problem(str(path), exc.reason))
            continue
        file_of.append(np.full(len(at), len(files)))
        files.append(file)
        starts.append(at)
        positions.append(np.arange(len(at)))
        ids.extend([str(track_id)] * len(at))
        classes.extend([class_of[str(genre)]] * len(at))
    join = (lambda parts: np.concatenate(parts)) if files else (lambda parts: np.zeros(0, dtype=np.int64))
    data = StoredChunks(files, join(file_of), join(starts), np.asarray(classes, dtype=np.int64), np.asarray(ids, dtype=str),
                        size=size)
    return data, join(positions), problems


def audio_store(*, sr: int, clip_seconds: float | None, root: str | Path | None = None) -> TrackStore:
    """Decoded audio at ``sr`` Hz (the middle ``clip_seconds`` of each track), shared by every network run
    with the same two settings, under ``genrekit.paths.store_dir() / "audio"``."""
    return TrackStore({"kind": "audio", "version": 1, "sr": int(sr), "clip_seconds": clip_seconds},
                      root=root or paths.store_dir() / "audio")


@dataclass
class PreparedChunks:
    """Train/valid/test chunk sets of one dataset for one model."""

    train: StoredChunks | ChunkSet  # ChunkSet: an empty split not asked for
    valid: StoredChunks | ChunkSet
    test: StoredChunks | ChunkSet
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
    workers: int = 1,
) -> PreparedChunks:
    """Chunk sets per split of a split track index.

    Under the leaky protocol (``index.split_kind == 'leaky-chunks'``) chunks, not tracks, are
    split at random (:func:`genrekit.data.splits.leaky_chunk_split`) and every chunk is its own
    scoring unit; otherwise no track has chunks on two sides (checked).
    """
    options = dict(labels=labels, sr=sr, clip_seconds=clip_seconds, chunk_seconds=chunk_seconds,
                   hop_seconds=hop_seconds, frontend=frontend, cache=cache, progress=progress, workers=workers)
    tracks = index.tracks
    empty = ChunkSet(torch.zeros((0, 1)), torch.zeros(0, dtype=torch.long), [])
    if index.split_kind == LEAKY_SPLIT:
        data, position, problems = load_chunks(tracks, desc="decoding audio (all splits)", **options)
        genre_of = dict(zip(tracks["track_id"].astype(str), tracks["genre"].astype(str)))
        frame = pd.DataFrame({"genre": [genre_of[t] for t in data.track_ids]})
        side = leaky_chunk_split(frame, seed=seed, valid_fraction=valid_fraction, test_fraction=test_fraction).to_numpy()
        chunk_ids = np.char.add(np.char.add(data.track_ids.astype(str), "#"), position.astype(str))
        parts = {s: data.take(side == s, track_ids=chunk_ids) if s in splits else empty for s in ("train", "valid", "test")}
        return PreparedChunks(parts["train"], parts["valid"], parts["test"], "chunk", problems)
    # one fill for every split asked for (one pool of decoders), then each split's chunks in track order
    chosen = tracks[tracks["split"].isin(splits)]
    data, _, problems = load_chunks(chosen, desc=f"decoding audio ({', '.join(s for s in ('train', 'valid', 'test') if s in splits)})",
                                    **options)
    side_of = dict(zip(chosen["track_id"].astype(str), chosen["split"].astype(str)))
    side = np.array([side_of[t] for t in data.track_ids.tolist()], dtype=object)
    parts = {s: data.take(side == s) if s in splits else empty for s in ("train", "valid", "test")}
    check_no_leak(
        pd.DataFrame({
            "track_id": np.concatenate([parts[s].track_ids for s in parts]),
            "split": np.concatenate([[s] * len(parts[s]) for s in parts]),
        })
    )
    return PreparedChunks(parts["train"], parts["valid"], parts["test"], "track", problems)


def split_index(config: ExperimentConfig, index: TrackIndex | None, progress: bool) -> TrackIndex:
    """The config's dataset with its split, or ``index`` (split now if its split column is empty)."""
    if index is None:
        return prepare_index(config, progress=progress)
    if index.tracks["split"].isna().any():
        data = config.data
        return assign_splits(index, kind=data.split, seed=data.seed, valid_fraction=data.valid_fraction,
                             test_fraction=data.test_fraction, split_dir=data.split_dir)
    return index


def read_run_tracks(run_dir: str | Path) -> TrackIndex:
    """The split track index a network run was trained on (``tracks.csv`` + ``checkpoints/index.json``)."""
    run_dir = Path(run_dir)
    path = run_dir / TRACKS_FILE
    if not path.is_file():
        raise RunError(f"{run_dir}: {TRACKS_FILE} is missing (not a network run folder?)")
    tracks = pd.read_csv(path, dtype={"track_id": str})
    meta_path = run_dir / CHECKPOINT_DIR / INDEX_FILE
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    if not meta:
        try:
            run = json.loads((run_dir / RUN_FILE).read_text())
            meta = {"name": run.get("dataset", "dataset"), "split_kind": run.get("split_kind")}
        except (OSError, ValueError):
            meta = {"name": "dataset", "split_kind": None}
    return TrackIndex(meta.get("name") or "dataset", tracks, split_kind=meta.get("split_kind"))


# ---------------------------------------------------------------------- one training run


@dataclass
class NetworkSetup:
    """What a family hands :func:`train_network`: its network and how to feed, save and describe it.

    Attributes
    ----------
    model : nn.Module
        The untrained (or pretrained) network; maps ``(batch, samples)`` waveforms at
        ``sample_rate`` (or cached spectrogram images) to logits.
    sample_rate : int
        Rate (Hz) the audio is resampled to.
    chunk_seconds : float
        Length of one model input (torch: the chunk; hf: the window).
    folder_name : str
        Model part of the run folder's name, e.g. ``'cnn-spec-mel'``, ``'hf-distilhubert'``.
    title : str
        Short model name for plots and the report title, e.g. ``'cnn-spec (mel)'``.
    description : str
        The report's model line, e.g. ``'cnn-spec (torch, input mel)'``.
    save : callable
        ``save(run_dir, model)``: writes the family's model files (weights and descriptor).
    unit_name : str
        What one input is called in the report: 'chunks' or 'windows'.
    cache_frontend : SpectrogramFrontEnd, optional
        Cache the inputs as this front-end's spectrogram images (``model.params.cache``).
    fit_options : dict
        Extra keyword arguments for :func:`genrekit.trainer.fit`.
    training : dict
        Family facts added to ``metrics.json``'s ``training`` table.
    extra : dict
        Family facts added to ``RunInfo.extra``.
    keep_checkpoints : bool
        Keep the loop's resumable weights and optimizer moments after a finished run (False for
        the hf family, whose copies are gigabytes; a finished run can then not be extended).
    """

    model: nn.Module
    sample_rate: int
    chunk_seconds: float
    folder_name: str
    title: str
    description: str
    save: Callable[[Path, nn.Module], None]
    unit_name: str = "chunks"
    cache_frontend: SpectrogramFrontEnd | None = None
    fit_options: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    keep_checkpoints: bool = True


def train_network(
    config: ExperimentConfig,
    setup: Callable[[ExperimentConfig, list[str]], NetworkSetup],
    *,
    family: str,
    progress: bool = True,
    index: TrackIndex | None = None,
    run_dir: str | Path | None = None,
    resume: bool = False,
    extra: dict | None = None,
    on_epoch_end: Callable[[dict], None] | None = None,
) -> Path:
    """Train the network ``setup`` builds on ``config.data`` and write its run folder.

    Parameters
    ----------
    config : ExperimentConfig
        ``model.name`` must be a model of ``family``; ``model.input`` one of its inputs (default:
        the model's first).
    setup : callable
        ``setup(config, labels) -> NetworkSetup``, the family's hook; called once the split is
        made (on rank 0 first under DDP, so weights are downloaded once). ``config`` is the run's
        own copy with ``model.input`` filled in.
    family : str
        The family the model must belong to ('torch', 'hf').
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
        The run folder: ``run.json``, ``config.toml``, ``labels.json``, ``versions.json``, the
        family's model files, ``metrics.json``, ``report.txt``, ``confusion.png``, ``history.csv``,
        ``training_curves.png``, ``tracks.csv`` and ``checkpoints/`` (resumable state).

    Raises
    ------
    ConfigError
        A model of another family, an input the model does not take, bad ``model.params``.
    DatasetError
        The test split is empty (after skipping unreadable files).
    """
    config = copy.deepcopy(config)
    config.model.input = model_input(config, family)

    context = distributed.setup(config.train.device)
    progress = progress and context.is_main
    with distributed.main_first():  # rank 0 generates the data and downloads weights once, the others reuse them
        index = split_index(config, index, progress)
        labels = index.genres
        seed_everything(config.train.seed)
        net = setup(config, labels)
    model, sr, chunk_seconds = net.model, int(net.sample_rate), float(net.chunk_seconds)
    config.data.sample_rate = sr  # a network with a fixed rate (WaveNet, a pretrained encoder) overrides the config's
    config.data.chunk_seconds = chunk_seconds

    run_dir = _open_run_folder(run_dir, config, index, net, is_main=context.is_main)
    device = distributed.device_for(context, resolve_device(config.train.device))
    frontend, cache = None, None
    if net.cache_frontend is not None:
        frontend = copy.deepcopy(net.cache_frontend).to(device).eval()
        cache = SpectrogramCache(frontend, audio={"sr": sr, "clip_seconds": config.data.clip_seconds,
                                                  "chunk_seconds": chunk_seconds, "hop_seconds": config.data.hop_seconds})
    with distributed.main_first():  # rank 0 decodes into the store; the others then find every track there
        data = prepare_chunks(
            index, labels=labels, sr=sr, clip_seconds=config.data.clip_seconds, chunk_seconds=chunk_seconds,
            hop_seconds=config.data.hop_seconds, seed=config.data.seed, valid_fraction=config.data.valid_fraction,
            test_fraction=config.data.test_fraction, frontend=frontend, cache=cache, progress=progress,
            workers=decode_workers(config.data.decode_workers),
        )
    check_training_split(index.name, index.split_kind, labels=labels, train_classes=data.train.labels.numpy(),
                         n_test=len(data.test))

    began = time.perf_counter()
    result = fit(model, data.train, data.valid, config=config.train, labels=labels, checkpoint_dir=run_dir / CHECKPOINT_DIR,
                 resume=resume, progress=progress, on_epoch_end=on_epoch_end, **net.fit_options)
    train_seconds = time.perf_counter() - began
    if not context.is_main:
        distributed.barrier()  # wait while rank 0 scores the test split and writes the run folder
        return run_dir
    scoring = dict(batch_size=max(config.train.batch_size, 1), device=device, precision=result.precision,
                   num_workers=loader_workers(config.train.num_workers, device))
    test_scores, _, test_proba = evaluate_tracks(model, data.test, labels, **scoring)
    valid_scores, _, _ = evaluate_tracks(model, data.valid, labels, **scoring)
    model.to("cpu")
    net.save(run_dir, model)
    write_history(result.history, run_dir / HISTORY_FILE)
    plot_history(result.history, run_dir / CURVES_FILE, title=f"{net.title} on {index.name}")
    training = {
        "best_epoch": result.best_epoch, "epochs_run": len(result.history), "stopped": result.stopped,
        "best_valid_macro_f1": result.best_score, "device": result.device, "precision": result.precision,
        "chunk_seconds": chunk_seconds, "hop_seconds": config.data.hop_seconds,
        "test_chunk_accuracy": float((test_proba.argmax(axis=1) == data.test.labels.numpy()).mean()),
        "spectrogram_cache": cache.key if cache else None, "world_size": result.world_size, **net.training,
    }
    _write_record(run_dir, config, index, net, data, family=family, train_seconds=train_seconds, result=result,
                  metrics={"test": test_scores, "valid": valid_scores, "training": training}, extra=extra)
    if not net.keep_checkpoints:
        # the weights are in the model files; the loop's copies and optimizer moments are only for resuming
        for name in ("best.safetensors", "last.safetensors", "optimizer.safetensors"):
            (run_dir / CHECKPOINT_DIR / name).unlink(missing_ok=True)
    distributed.barrier()
    return run_dir


def _open_run_folder(run_dir, config: ExperimentConfig, index: TrackIndex, net: NetworkSetup, *, is_main: bool) -> Path:
    """The run folder (new unless given), with what :func:`resume_run` needs written before training."""
    if run_dir is None:
        # under DDP one folder for all processes: rank 0 makes it and tells the others
        run_dir = distributed.from_main(lambda: new_run_dir(config, dataset=index.name, model=net.folder_name))
    run_dir = Path(run_dir)
    if is_main:
        (run_dir / CHECKPOINT_DIR).mkdir(parents=True, exist_ok=True)
        (run_dir / "config.toml").write_text(to_toml(config.to_dict()))
        write_tracks(run_dir, index.tracks)
        (run_dir / CHECKPOINT_DIR / INDEX_FILE).write_text(
            json.dumps({"name": index.name, "split_kind": index.split_kind}) + "\n")
    return run_dir


def _write_record(run_dir: Path, config: ExperimentConfig, index: TrackIndex, net: NetworkSetup, data: PreparedChunks, *,
                  family: str, train_seconds: float, result, metrics: dict, extra: dict | None) -> None:
    """``run.json`` and the rest of the record, ``metrics.json`` and the report of a finished network run."""
    n_tracks = {s: getattr(data, s).n_tracks for s in ("train", "valid", "test")}
    data_config = config.data
    info = RunInfo(
        family=family, model=config.model.name, input=config.model.input, dataset=index.name,
        split_kind=index.split_kind or data_config.split, train_seconds=round(train_seconds, 3),
        n_train=n_tracks["train"], n_valid=n_tracks["valid"], n_test=n_tracks["test"] if data.unit == "track" else len(data.test),
        unit=data.unit,
        extra={"source": data_config.source, "chunk_seconds": data_config.chunk_seconds,
               "hop_seconds": data_config.hop_seconds, "sample_rate": data_config.sample_rate,
               "train_chunks": len(data.train), "valid_chunks": len(data.valid), "test_chunks": len(data.test),
               "best_epoch": result.best_epoch, "skipped_files": len(data.problems), **net.extra, **(extra or {})},
    )
    hop = f" every {data_config.hop_seconds:g} s" if data_config.hop_seconds else ""
    header = [
        f"run {run_dir.name}",
        f"model {net.description}; dataset {index.name} ({data_config.source})",
        f"tracks train/valid/test: {n_tracks['train']}/{n_tracks['valid']}/{n_tracks['test']}; {net.unit_name} of "
        f"{data_config.chunk_seconds:g} s{hop} at {data_config.sample_rate} Hz; split {split_label(info.split_kind)}",
        f"best epoch {result.best_epoch} of {len(result.history)} ({result.stopped}); device {result.device}, {result.precision}",
        f"a track's prediction is the mean of its {net.unit_name}' probabilities",
    ]
    write_run(run_dir, info=info, config=config, labels=index.genres, metrics={"split_kind": info.split_kind,
              "unit": data.unit, **metrics}, header=header, title=net.title)


def resume_run(
    run_dir: str | Path, *, overrides: list[str] | None = None, progress: bool = True,
    on_epoch_end: Callable[[dict], None] | None = None,
) -> Path:
    """Continue an interrupted (or extend a finished) network run from its last checkpoint.

    Works for every network family (torch, hf): the run's own ``config.toml`` and ``tracks.csv``
    (so the same data and split) are used; ``overrides`` (``section.field=value``) may raise
    ``train.epochs``. Weights, optimizer moments, schedule position, RNG state, history and the
    early-stopping state continue where they were after the last finished epoch. A run that
    stopped early stays stopped.

    Raises
    ------
    RunError
        Naming the folder: no ``config.toml``, no ``tracks.csv``, not a network run, or nothing
        to resume from (a finished hf run keeps no optimizer state).
    """
    run_dir = Path(run_dir)
    config_path = run_dir / "config.toml"
    if not config_path.is_file():
        raise RunError(f"{run_dir}: cannot resume, config.toml is missing")
    config = load_config(config_path, overrides)
    family = get_model(config.model.name).family
    if family not in NETWORK_FAMILIES:
        raise RunError(f"{run_dir}: a {family} run trains in one go; only network runs ({', '.join(NETWORK_FAMILIES)}) resume")
    if not (run_dir / CHECKPOINT_DIR / "last.safetensors").is_file():
        raise RunError(f"{run_dir}: nothing to resume from ({CHECKPOINT_DIR}/last.safetensors is missing; "
                       "a finished hf run keeps no training state)")
    try:
        previous = json.loads((run_dir / RUN_FILE).read_text()).get("extra", {})
    except (OSError, ValueError):
        previous = {}
    kept = {k: v for k, v in previous.items() if k == "experiment"}
    return get_family(family).train(config, index=read_run_tracks(run_dir), run_dir=run_dir, resume=True,
                                    progress=progress, on_epoch_end=on_epoch_end, extra=kept)


# ---------------------------------------------------------------------- re-scoring a saved run


def rescore_network(network: LoadedNetwork, *, split: str = "test", progress: bool = True) -> dict:
    """Score a loaded network again on one split of the tracks its run recorded in ``tracks.csv``.

    The tracks are read and cut exactly as in training (the run's clip, chunk and hop seconds),
    so the scores reproduce ``metrics.json``.

    Returns
    -------
    dict
        :func:`genrekit.evaluate.classification_metrics` plus ``unit``, ``split`` and ``split_kind``.
    """
    if network.run_dir is None:
        raise RunError("this network was not loaded from a run folder; nothing to re-score")
    record = read_run(network.run_dir)
    index = read_run_tracks(network.run_dir)
    data = prepare_chunks(
        index, labels=network.labels, sr=network.sample_rate, clip_seconds=network.clip_seconds,
        chunk_seconds=network.chunk_seconds, hop_seconds=network.hop_seconds, seed=record.config.data.seed,
        valid_fraction=record.config.data.valid_fraction, test_fraction=record.config.data.test_fraction,
        splits=(split,), progress=progress, workers=decode_workers(record.config.data.decode_workers),
    )
    part = getattr(data, split)
    if len(part) == 0:
        raise DatasetError(f"{network.run_dir}: the {split} split is empty")
    proba = predict_proba(network.model, part, batch_size=network.batch_size, device=network.device)
    scores = track_metrics(part.track_ids, proba, part.track_labels(), network.labels)
    return {**scores, "unit": data.unit, "split": split, "split_kind": index.split_kind}
