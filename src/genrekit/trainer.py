"""One training loop for every torch network (CNNs, LSTMs, and later WaveNet and transformers).

The loop knows only this contract: ``model(inputs) -> logits`` for a batch of examples, and
datasets of ``(input, label)`` pairs with a ``track_ids`` array (one id per example), so chunk
predictions can be aggregated to tracks. It adds:

* AdamW (no weight decay on biases and norms) with linear warm-up and cosine decay;
* early stopping on the validation macro F1 *per track* (chunk probabilities averaged per track by
  :func:`genrekit.evaluate.track_metrics`), and the best weights kept;
* resumable checkpoints without pickle: weights and optimizer tensors in safetensors, the rest
  (epoch, step, scheduler, history, parameter groups) in JSON;
* deterministic data order and initialisation from ``TrainConfig.seed``;
* mixed precision on CUDA (bf16 autocast, or fp16 with a gradient scaler where bf16 is missing);
* SpecAugment masking inside the network's front-end while training, and mixup;
* gradient accumulation, ``max_steps`` for tests, and a tqdm bar with live loss and accuracy;
* data-parallel training when a launcher (``torchrun``, ``accelerate launch``) starts several
  processes: see :mod:`genrekit.distributed`.

Checkpoint folder (``checkpoint_dir``)::

    best.safetensors        # weights of the best validation epoch
    last.safetensors        # weights after the last finished epoch
    optimizer.safetensors   # optimizer moments and RNG state after the last finished epoch
    state.json              # epoch, step, best score, scheduler, history, optimizer hyper-parameters
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn
from torch.utils.data import DataLoader, Dataset

from genrekit import distributed
from genrekit.config import TrainConfig
from genrekit.devices import resolve_device
from genrekit.errors import ConfigError, RunError
from genrekit.evaluate import balanced_class_weights, track_metrics
from genrekit.features.spectrogram import SpecAugment, SpectrogramFrontEnd

BEST_WEIGHTS = "best.safetensors"
LAST_WEIGHTS = "last.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
STATE_FILE = "state.json"

#: Share of optimiser steps spent warming the learning rate up.
WARMUP_FRACTION = 0.05

HISTORY_COLUMNS = [
    "epoch", "step", "lr", "train_loss", "train_accuracy", "valid_loss", "valid_accuracy", "valid_macro_f1", "seconds",
]


class _TrackExamples(Dataset):
    """What the loop needs of a dataset besides its items: ``labels`` and ``track_ids`` per example."""

    labels: torch.Tensor
    track_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def track_labels(self) -> dict[str, int]:
        """Label of each track id."""
        return dict(zip(self.track_ids.tolist(), self.labels.tolist()))

    @property
    def n_tracks(self) -> int:
        return len(set(self.track_ids.tolist()))


class ChunkSet(_TrackExamples):
    """Examples held in memory: waveform chunks (or cached images), labels and track ids.

    Parameters
    ----------
    inputs : torch.Tensor [shape=(n, samples) or (n, 1, rows, columns), dtype=float32]
    labels : torch.Tensor [shape=(n,), dtype=int64]
        Class ids.
    track_ids : np.ndarray [shape=(n,)]
        The track each example was cut from; chunks of one track are contiguous.
    """

    def __init__(self, inputs: torch.Tensor, labels: torch.Tensor, track_ids: Iterable):
        self.inputs = inputs
        self.labels = labels.long()
        self.track_ids = np.asarray(list(track_ids) if not isinstance(track_ids, np.ndarray) else track_ids).astype(str)
        if not (len(self.inputs) == len(self.labels) == len(self.track_ids)):
            raise ValueError(
                f"inputs, labels and track_ids differ in length: {len(self.inputs)}, {len(self.labels)}, {len(self.track_ids)}"
            )

    def __getitem__(self, i: int):
        return self.inputs[i], self.labels[i]


class StoredChunks(_TrackExamples):
    """Examples read one at a time from per-track arrays on disk (:class:`genrekit.data.store.TrackStore`).

    Each example is a slice of a memory-mapped ``.npy``: ``size`` samples from ``start`` of a clip
    (zero-padded past its end), or row ``start`` of an array of chunk images (``size`` None). The
    map is opened per example and dropped after it, so memory stays at a batch whatever the number
    of tracks (nanoGPT's "recreate the memmap every batch").

    Parameters
    ----------
    files : list of str
        One array per track.
    file_of, start : np.ndarray [shape=(n,), dtype=int64]
        Per example: which file, and where in it.
    labels : np.ndarray [shape=(n,)]
        Class ids.
    track_ids : np.ndarray [shape=(n,)]
        The track each example was cut from; chunks of one track are contiguous.
    size : int or None
        Samples per example (waveforms), or None (one row per example).
    """

    def __init__(self, files: list[str], file_of: np.ndarray, start: np.ndarray, labels, track_ids, *, size: int | None):
        self.files = list(files)
        self.file_of = np.asarray(file_of, dtype=np.int64)
        self.start = np.asarray(start, dtype=np.int64)
        self.labels = torch.as_tensor(np.asarray(labels, dtype=np.int64))
        self.track_ids = np.asarray(track_ids).astype(str)
        self.size = size
        if not (len(self.file_of) == len(self.start) == len(self.labels) == len(self.track_ids)):
            raise ValueError("file_of, start, labels and track_ids differ in length")

    def __getitem__(self, i: int):
        array = np.load(self.files[self.file_of[i]], mmap_mode="r", allow_pickle=False)
        start = int(self.start[i])
        if self.size is None:
            x = np.array(array[start], dtype=np.float32)
        else:
            x = np.zeros(self.size, dtype=np.float32)
            piece = array[start : start + self.size]
            x[: len(piece)] = piece
        return torch.from_numpy(x), self.labels[i]

    def take(self, keep: np.ndarray, *, track_ids: np.ndarray | None = None) -> StoredChunks:
        """The examples where ``keep`` (a boolean mask or indices) holds, optionally renamed."""
        ids = self.track_ids if track_ids is None else np.asarray(track_ids).astype(str)
        return StoredChunks(self.files, self.file_of[keep], self.start[keep], self.labels.numpy()[keep], ids[keep], size=self.size)


def loader_workers(num_workers: int | None, device: torch.device, *, world_size: int = 1) -> int:
    """DataLoader workers: ``num_workers`` if set; else (auto) none on a CPU, where reading a stored
    chunk costs little beside the model and workers would take its cores, and on a GPU one per
    CPU core of this process's share, less one for the main process, at most 8."""
    if num_workers is not None:
        return max(0, int(num_workers))
    if device.type == "cpu":
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return int(min(8, max(1, cores // max(1, world_size) - 1)))


@dataclass
class FitResult:
    """What :func:`fit` did."""

    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_score: float = -1.0
    stopped: str = ""  # 'epochs', 'early-stop', 'max-steps' or 'interrupted'
    device: str = "cpu"
    precision: str = "fp32"
    seconds: float = 0.0
    world_size: int = 1  # processes that trained together (DDP)


# ---------------------------------------------------------------------- set-up helpers
def precision_for(device: torch.device) -> str:
    """'bf16' on CUDA devices that support it, 'fp16' on older CUDA devices, 'fp32' on CPU."""
    if device.type != "cuda":
        return "fp32"  # CPU autocast is slower than fp32 on most CPUs
    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def set_spec_augment(model: nn.Module, enabled: bool) -> None:
    """Switch SpecAugment masking on or off in every spectrogram front-end inside ``model``."""
    for module in model.modules():
        if isinstance(module, SpectrogramFrontEnd):
            module.augment = SpecAugment() if enabled else None


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.AdamW:
    """AdamW; biases and normalisation weights (1-D parameters) get no weight decay."""
    decay, no_decay = [], []
    for param in model.parameters():
        if param.requires_grad:
            (decay if param.ndim >= 2 else no_decay).append(param)
    groups = [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=config.lr)


def warmup_cosine(total_steps: int, *, warmup_fraction: float = WARMUP_FRACTION) -> Callable[[int], float]:
    """Learning-rate multiplier: linear warm-up over the first steps, then cosine decay to zero."""
    total = max(1, total_steps)
    warmup = max(1, int(round(warmup_fraction * total)))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    return factor


# ---------------------------------------------------------------------- prediction
def predict_logits(
    model: nn.Module, inputs: torch.Tensor | Dataset, *, batch_size: int = 64, device: torch.device | str = "cpu",
    precision: str = "fp32", num_workers: int = 0,
) -> np.ndarray:
    """The network's outputs (pre-softmax) for every example, in order, with the model in eval mode.

    Parameters
    ----------
    inputs : torch.Tensor [shape=(n, ...)] or Dataset
        Examples, or a dataset of ``(input, label)`` pairs read in order by ``num_workers`` workers.

    Returns
    -------
    logits : np.ndarray [shape=(n, num_classes), dtype=float64]
    """
    out = list(_forward(model, inputs, batch_size=batch_size, device=device, precision=precision, num_workers=num_workers))
    if not out:
        return np.zeros((0, 0))
    return torch.cat(out).double().numpy()


def predict_proba(
    model: nn.Module, inputs: torch.Tensor | Dataset, *, batch_size: int = 64, device: torch.device | str = "cpu",
    precision: str = "fp32", num_workers: int = 0,
) -> np.ndarray:
    """Class probabilities for every example, in order, with the model in eval mode.

    Parameters
    ----------
    inputs : torch.Tensor [shape=(n, ...)] or Dataset
        Examples, or a dataset of ``(input, label)`` pairs read in order by ``num_workers`` workers.

    Returns
    -------
    proba : np.ndarray [shape=(n, num_classes), dtype=float64]
    """
    out = [torch.softmax(logits, dim=-1) for logits in _forward(model, inputs, batch_size=batch_size, device=device,
                                                                 precision=precision, num_workers=num_workers)]
    if not out:
        return np.zeros((0, 0))
    return torch.cat(out).double().numpy()


def _batches(inputs: torch.Tensor | Dataset, *, batch_size: int, num_workers: int = 0, pin_memory: bool = False):
    """Batches of inputs in order: slices of a tensor (or of an in-memory :class:`ChunkSet`), else a
    DataLoader over the dataset."""
    inputs = inputs.inputs if isinstance(inputs, ChunkSet) else inputs
    if torch.is_tensor(inputs):
        for start in range(0, len(inputs), batch_size):
            yield inputs[start : start + batch_size]
        return
    # a generator of its own: a DataLoader draws its base seed from torch's global one otherwise,
    # and evaluating would then change the next epoch's mixup and augmentation draws
    loader = DataLoader(inputs, batch_size=batch_size, shuffle=False, num_workers=num_workers, pin_memory=pin_memory,
                        generator=torch.Generator())
    for x, _ in loader:
        yield x


def _forward(model: nn.Module, inputs: torch.Tensor | Dataset, *, batch_size: int, device, precision: str, num_workers: int = 0):
    """float32 logits on the CPU, one batch at a time, in eval mode and without gradients."""
    device = torch.device(device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for x in _batches(inputs, batch_size=batch_size, num_workers=num_workers, pin_memory=device.type == "cuda"):
                x = x.to(device, non_blocking=True)
                with _autocast(device, precision):
                    logits = model(x)
                yield logits.float().cpu()
    finally:
        model.train(was_training)


def evaluate_tracks(
    model: nn.Module, data: ChunkSet | StoredChunks, labels: list[str], *, batch_size: int, device, precision: str = "fp32",
    shared: bool = False, num_workers: int = 0,
) -> tuple[dict, float, np.ndarray]:
    """(per-track metrics, mean chunk cross-entropy, chunk probabilities) of ``model`` on ``data``.

    With ``shared=True`` inside a process group, each of the N processes predicts every N-th
    example and the probabilities are summed back together: every process returns the same,
    complete result in 1/N of the time.
    """
    options = dict(batch_size=batch_size, device=device, precision=precision, num_workers=num_workers)
    if shared and distributed.current().enabled:
        proba = _shared_predict_proba(model, data, num_classes=len(labels), **options)
    else:
        proba = predict_proba(model, data, **options)
    eps = 1e-12
    loss = float(-np.mean(np.log(proba[np.arange(len(proba)), data.labels.numpy()] + eps)))
    metrics = track_metrics(data.track_ids, proba, data.track_labels(), labels)
    return metrics, loss, proba


def _shared_predict_proba(model: nn.Module, data: ChunkSet | StoredChunks, *, num_classes: int, batch_size: int, device,
                          precision: str, num_workers: int) -> np.ndarray:
    context = distributed.current()
    device = torch.device(device)
    mine = torch.arange(context.rank, len(data), context.world_size)
    full = torch.zeros((len(data), num_classes), dtype=torch.float64, device=device)
    if len(mine):
        part = data.inputs[mine] if isinstance(data, ChunkSet) else torch.utils.data.Subset(data, mine.tolist())
        full[mine.to(device)] = torch.from_numpy(
            predict_proba(model, part, batch_size=batch_size, device=device, precision=precision, num_workers=num_workers)
        ).to(device)
    return distributed.all_reduce_sum(full).cpu().numpy()


def _autocast(device: torch.device, precision: str):
    if precision == "fp32":
        return torch.autocast(device_type=device.type, enabled=False)
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16 if precision == "bf16" else torch.float16)


# ---------------------------------------------------------------------- checkpoint state (no pickle)
def save_weights(model: nn.Module, path: Path) -> None:
    """The model's state dict as safetensors (write-then-rename, so a crash never leaves half a file)."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    _atomic_save(tensors, path)


def load_weights(model: nn.Module, path: Path) -> None:
    try:
        state = load_file(str(path))
    except Exception as exc:  # safetensors raises SafetensorError / OSError on damaged files
        raise RunError(f"{path}: unreadable weights ({exc})") from None
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise RunError(f"{path}: weights do not fit the network (missing {missing[:5]}, unexpected {unexpected[:5]})")


def optimizer_state(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    """Split an optimizer's state dict into tensors (for safetensors) and JSON-able values.

    ``torch.save`` would pickle the state; here every tensor goes to safetensors under
    ``state.<param id>.<name>`` and everything else (hyper-parameters, non-tensor state) to JSON.
    """
    sd = optimizer.state_dict()
    tensors, scalars = {}, {}
    for pid, values in sd["state"].items():
        for name, value in values.items():
            if torch.is_tensor(value):
                tensors[f"state.{pid}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(pid), {})[name] = value
    groups = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items()} for g in sd["param_groups"]]
    return tensors, {"param_groups": groups, "scalars": scalars}


def restore_optimizer(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict) -> None:
    """Inverse of :func:`optimizer_state`."""
    state: dict[int, dict] = {}
    for key, value in tensors.items():
        if not key.startswith("state."):
            continue
        _, pid, name = key.split(".", 2)
        state.setdefault(int(pid), {})[name] = value
    for pid, values in meta.get("scalars", {}).items():
        state.setdefault(int(pid), {}).update(values)
    groups = [{k: (tuple(v) if k == "betas" else v) for k, v in g.items()} for g in meta["param_groups"]]
    optimizer.load_state_dict({"state": state, "param_groups": groups})


def _atomic_save(tensors: dict[str, torch.Tensor], path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    save_file(tensors, str(tmp))
    tmp.replace(path)


def _atomic_json(data: dict, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=_plain) + "\n")
    tmp.replace(path)


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# ---------------------------------------------------------------------- the loop
def fit(
    model: nn.Module,
    train_set: ChunkSet | StoredChunks,
    valid_set: ChunkSet | StoredChunks,
    *,
    config: TrainConfig,
    labels: list[str],
    checkpoint_dir: str | Path,
    resume: bool = False,
    progress: bool = True,
    on_epoch_end: Callable[[dict], None] | None = None,
    clip_grad_norm: float | None = 1.0,
    find_unused_parameters: bool = False,
) -> FitResult:
    """Train ``model`` with early stopping on validation macro F1 per track.

    Parameters
    ----------
    model : nn.Module
        ``model(x) -> logits (batch, num_classes)`` for a batch of ``train_set`` inputs.
    train_set, valid_set : ChunkSet
    config : TrainConfig
        Epochs, batch size, learning rate, weight decay, patience, accumulation, device, workers,
        augmentation, mixup, max_steps, seed and class weighting ('balanced': the loss weighs each
        class by ``n / (k * count)`` in the training set).
    labels : list of str
        Class names (index = class id).
    checkpoint_dir : str or Path
        Where best/last weights and the resumable state go (created if missing).
    resume : bool
        Continue from the state in ``checkpoint_dir`` if there is one (same data, same model).
    on_epoch_end : callable, optional
        Called with each epoch's history row after its checkpoint is written (progress reports;
        raising KeyboardInterrupt there stops training with everything saved).
    clip_grad_norm : float or None
        Clip the global gradient norm (keeps LSTMs stable); None disables.
    find_unused_parameters : bool
        Under DDP, let parameters that a forward pass did not use (e.g. transformer masking
        embeddings) go without gradients instead of failing; costs one graph traversal per step.

    Returns
    -------
    FitResult
        The model holds the *best* weights on return, on every process.

    Notes
    -----
    Started by ``torchrun``/``accelerate`` with several processes, each trains on its share of
    every epoch (``config.batch_size`` is per process) and rank 0 alone writes ``checkpoint_dir``,
    which must be visible to all processes; see :mod:`genrekit.distributed`.
    """
    _check_sets(train_set, valid_set, config)
    checkpoint_dir = Path(checkpoint_dir)
    context = distributed.setup(config.device)
    main = context.is_main
    if main:
        checkpoint_dir.mkdir(parents=True, exist_ok=True)
    progress = progress and main
    device = distributed.device_for(context, resolve_device(config.device))
    precision = precision_for(device)
    seed_everything(config.seed)
    model.to(device)
    set_spec_augment(model, config.augment)
    loop = _Loop.build(model, train_set, labels, config=config, context=context, device=device, precision=precision,
                       clip_grad_norm=clip_grad_norm, find_unused_parameters=find_unused_parameters)

    result = FitResult(device=str(device), precision=precision, world_size=context.world_size)
    start_epoch, best_loss, bad_epochs = 1, math.inf, 0
    if resume and (checkpoint_dir / STATE_FILE).is_file():
        saved = _load_state(checkpoint_dir, model, loop.optimizer, loop.scheduler, loop.scaler, device)
        result.history, result.best_epoch, result.best_score = saved["history"], saved["best_epoch"], saved["best_score"]
        start_epoch, loop.step, best_loss, bad_epochs = saved["epoch"] + 1, saved["step"], saved["best_loss"], saved["bad_epochs"]
        if saved.get("stopped") in ("early-stop", "max-steps"):
            result.stopped = saved["stopped"]
            load_weights(model, checkpoint_dir / BEST_WEIGHTS)
            set_spec_augment(model, False)
            return result
        if progress:
            print(f"resuming from epoch {saved['epoch']} (step {loop.step}) in {checkpoint_dir}")

    began = time.perf_counter()
    result.stopped = "epochs"
    for epoch in range(start_epoch, config.epochs + 1):
        epoch_began = time.perf_counter()
        seen, loss_sum, correct, hit_max = loop.train_epoch(train_set, epoch, progress=progress)
        metrics, valid_loss, _ = evaluate_tracks(
            model, valid_set, labels, batch_size=config.batch_size, device=device, precision=precision, shared=True,
            num_workers=loop.workers,
        )
        row = {
            "epoch": epoch,
            "step": loop.step,
            "lr": loop.optimizer.param_groups[0]["lr"],
            "train_loss": loss_sum / max(seen, 1),
            "train_accuracy": correct / max(seen, 1),
            "valid_loss": valid_loss,
            "valid_accuracy": metrics["accuracy"],
            "valid_macro_f1": metrics["macro_f1"],
            "seconds": time.perf_counter() - epoch_began,
        }
        result.history.append(row)
        score = metrics["macro_f1"]
        # ties on F1 (common with few validation tracks) go to the lower validation loss
        if score > result.best_score + 1e-9 or (abs(score - result.best_score) <= 1e-9 and valid_loss < best_loss):
            result.best_score, result.best_epoch, best_loss, bad_epochs = score, epoch, valid_loss, 0
            if main:
                save_weights(model, checkpoint_dir / BEST_WEIGHTS)
        else:
            bad_epochs += 1
        if progress:
            print(
                f"epoch {epoch:3d}  loss {row['train_loss']:.4f}  acc {row['train_accuracy']:.3f}  "
                f"valid loss {valid_loss:.4f}  valid acc {metrics['accuracy']:.3f}  valid F1 {score:.3f}"
                f"{'  *' if result.best_epoch == epoch else ''}"
            )
        stopped = "max-steps" if hit_max else "early-stop" if bad_epochs >= config.patience else ""
        if main:
            _save_state(checkpoint_dir, model, loop.optimizer, loop.scheduler, loop.scaler, device, {
                "epoch": epoch, "step": loop.step, "best_epoch": result.best_epoch, "best_score": result.best_score,
                "best_loss": best_loss, "bad_epochs": bad_epochs, "stopped": stopped, "history": result.history,
                "labels": list(labels), "world_size": context.world_size,
            })
        if on_epoch_end is not None:
            on_epoch_end(row)
        if stopped:
            result.stopped = stopped
            break

    result.seconds = time.perf_counter() - began
    distributed.barrier()  # rank 0 has written the best weights
    load_weights(model, checkpoint_dir / BEST_WEIGHTS)
    set_spec_augment(model, False)
    return result


def _check_sets(train_set: ChunkSet, valid_set: ChunkSet, config: TrainConfig) -> None:
    if len(train_set) == 0:
        raise ConfigError("no training examples: the train split is empty")
    if len(valid_set) == 0:
        raise ConfigError("no validation examples: early stopping needs a non-empty validation split")
    if config.batch_size < 1 or config.grad_accum < 1 or config.epochs < 1:
        raise ConfigError("train.batch_size, train.grad_accum and train.epochs must be at least 1")


@dataclass
class _Loop:
    """The optimisation state of one :func:`fit` and how one epoch of it runs."""

    model: nn.Module
    net: nn.Module  # the model, or its DDP wrapper (same parameters)
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    scaler: torch.amp.GradScaler
    criterion: nn.Module
    mixup: torch.distributions.Beta | None
    config: TrainConfig
    context: distributed.Context
    device: torch.device
    precision: str
    clip_grad_norm: float | None
    drop_last: bool
    workers: int  # DataLoader workers (loader_workers)
    step: int = 0

    @classmethod
    def build(cls, model, train_set: ChunkSet, labels: list[str], *, config: TrainConfig, context, device, precision: str,
              clip_grad_norm: float | None, find_unused_parameters: bool) -> _Loop:
        net: nn.Module = model
        if context.enabled:
            from torch.nn.parallel import DistributedDataParallel

            # wraps the same parameters: the optimizer, saving and prediction use the plain model
            net = DistributedDataParallel(
                model, device_ids=[device.index] if device.type == "cuda" else None,
                find_unused_parameters=find_unused_parameters,
            )
        # DistributedSampler pads each process's share to ceil(n / world_size) examples, so every
        # process runs the same number of batches (a process with one batch fewer would hang the rest)
        examples = math.ceil(len(train_set) / context.world_size)
        # one batch of one example would break batch norm in training mode
        drop_last = examples % config.batch_size == 1 and examples > 1
        batches_per_epoch = examples // config.batch_size if drop_last else math.ceil(examples / config.batch_size)
        total_steps = config.epochs * math.ceil(batches_per_epoch / config.grad_accum)
        if config.max_steps is not None:
            total_steps = min(total_steps, config.max_steps)
        optimizer = make_optimizer(model, config)
        class_weights = None
        if config.class_weight is not None:
            class_weights = torch.as_tensor(
                balanced_class_weights(train_set.labels.numpy(), len(labels), kind=config.class_weight),
                dtype=torch.float32, device=device,
            )
        return cls(
            model=model, net=net, optimizer=optimizer,
            scheduler=torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine(total_steps)),
            scaler=torch.amp.GradScaler(device.type, enabled=precision == "fp16"),
            criterion=nn.CrossEntropyLoss(weight=class_weights),
            mixup=torch.distributions.Beta(config.mixup, config.mixup) if config.mixup > 0 else None,
            config=config, context=context, device=device, precision=precision, clip_grad_norm=clip_grad_norm,
            drop_last=drop_last, workers=loader_workers(config.num_workers, device, world_size=context.world_size),
        )

    def loader(self, train_set: ChunkSet, epoch: int) -> DataLoader:
        """This epoch's batches; the order depends only on (seed, epoch), so a resumed run sees the same."""
        config, context = self.config, self.context
        if context.enabled:
            sampler = torch.utils.data.DistributedSampler(
                train_set, num_replicas=context.world_size, rank=context.rank, shuffle=True, seed=config.seed
            )
            sampler.set_epoch(epoch)
            order = {"sampler": sampler}
            # augmentation and mixup draws differ per process but stay reproducible on resume
            torch.manual_seed((config.seed * 1_000_003 + epoch) * 1_009 + context.rank)
        else:
            order = {"shuffle": True, "generator": torch.Generator().manual_seed(config.seed * 1_000_003 + epoch)}
        return DataLoader(
            train_set, batch_size=config.batch_size, drop_last=self.drop_last, num_workers=self.workers,
            pin_memory=self.device.type == "cuda", **order,
        )

    def train_epoch(self, train_set: ChunkSet, epoch: int, *, progress: bool) -> tuple[int, float, float, bool]:
        """One epoch of optimiser steps; returns (examples seen, summed loss, correct, hit max_steps),
        summed over processes."""
        from tqdm.auto import tqdm

        config, device, net = self.config, self.device, self.net
        net.train()
        loader = self.loader(train_set, epoch)
        seen, loss_sum, correct = 0, 0.0, 0.0
        bar = tqdm(loader, desc=f"epoch {epoch}/{config.epochs}", unit="batch", disable=not progress, leave=False, dynamic_ncols=True)
        began = time.perf_counter()
        self.optimizer.zero_grad(set_to_none=True)
        hit_max = False
        for i, (x, y) in enumerate(bar):
            x = x.to(device, non_blocking=True)
            y = y.to(device, non_blocking=True)
            if self.mixup is not None:
                lam = float(self.mixup.sample())
                perm = torch.randperm(len(y), device=device)
                x = lam * x + (1.0 - lam) * x[perm]
            stepping = (i + 1) % config.grad_accum == 0 or i + 1 == len(loader)
            # DDP averages gradients on every backward unless told not to: only on optimiser steps
            sync = net.no_sync() if self.context.enabled and not stepping else contextlib.nullcontext()
            with sync:
                with _autocast(device, self.precision):
                    logits = net(x)
                    if self.mixup is not None:
                        loss = lam * self.criterion(logits.float(), y) + (1.0 - lam) * self.criterion(logits.float(), y[perm])
                    else:
                        loss = self.criterion(logits.float(), y)
                self.scaler.scale(loss / config.grad_accum).backward()
            if stepping:
                self._optimiser_step()
            with torch.no_grad():
                predicted = logits.argmax(dim=-1)
                hits = (predicted == y).float()
                if self.mixup is not None:
                    hits = lam * hits + (1 - lam) * (predicted == y[perm]).float()
                seen += len(y)
                loss_sum += float(loss) * len(y)
                correct += float(hits.sum())
            # examples per second of this process: what the loader and the device deliver together
            bar.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{correct / seen:.3f}",
                            ex_s=f"{seen / max(time.perf_counter() - began, 1e-9):.1f}", refresh=False)
            if config.max_steps is not None and self.step >= config.max_steps:
                hit_max = True
                break
        bar.close()
        if self.context.enabled:
            totals = distributed.all_reduce_sum(torch.tensor([seen, loss_sum, correct], dtype=torch.float64, device=device))
            seen, loss_sum, correct = int(totals[0]), float(totals[1]), float(totals[2])
            distributed.broadcast_buffers(self.model)
        return seen, loss_sum, correct, hit_max

    def _optimiser_step(self) -> None:
        if self.clip_grad_norm is not None:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), self.clip_grad_norm)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        self.scheduler.step()
        self.step += 1


def _save_state(checkpoint_dir: Path, model, optimizer, scheduler, scaler, device, state: dict) -> None:
    save_weights(model, checkpoint_dir / LAST_WEIGHTS)
    tensors, meta = optimizer_state(optimizer)
    tensors["rng.cpu"] = torch.get_rng_state()
    if device.type == "cuda":
        tensors["rng.cuda"] = torch.cuda.get_rng_state(device)
    _atomic_save(tensors, checkpoint_dir / OPTIMIZER_FILE)
    state = dict(state, optimizer=meta, scheduler=scheduler.state_dict(), scaler=scaler.state_dict())
    # written last: a state.json always describes complete weight and optimizer files
    _atomic_json(state, checkpoint_dir / STATE_FILE)


def _load_state(checkpoint_dir: Path, model, optimizer, scheduler, scaler, device) -> dict:
    try:
        state = json.loads((checkpoint_dir / STATE_FILE).read_text())
        tensors = load_file(str(checkpoint_dir / OPTIMIZER_FILE))
    except (OSError, ValueError) as exc:
        raise RunError(f"{checkpoint_dir}: cannot resume, the saved training state is unreadable ({exc})") from None
    load_weights(model, checkpoint_dir / LAST_WEIGHTS)
    restore_optimizer(optimizer, {k: v.to(device) for k, v in tensors.items() if k.startswith("state.")}, state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    if state.get("scaler"):
        scaler.load_state_dict(state["scaler"])
    torch.set_rng_state(tensors["rng.cpu"])
    if device.type == "cuda" and "rng.cuda" in tensors:
        torch.cuda.set_rng_state(tensors["rng.cuda"], device)
    return state


# ---------------------------------------------------------------------- reports
def write_history(history: list[dict], path: str | Path) -> Path:
    """One row per epoch (columns :data:`HISTORY_COLUMNS`) as CSV."""
    path = Path(path)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HISTORY_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(history)
    return path


def plot_history(history: list[dict], path: str | Path, *, title: str | None = None) -> Path:
    """Training curves: loss (train, validation) and accuracy / macro F1 per epoch, as a PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    epochs = [r["epoch"] for r in history]
    # the object API on an Agg canvas: no pyplot global state in headless jobs
    fig = Figure(figsize=(10, 3.8), dpi=110)
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2)
    left.plot(epochs, [r["train_loss"] for r in history], marker="o", label="train (chunks)")
    left.plot(epochs, [r["valid_loss"] for r in history], marker="o", label="validation (chunks)")
    left.set_xlabel("epoch")
    left.set_ylabel("cross-entropy")
    left.legend()
    right.plot(epochs, [r["train_accuracy"] for r in history], marker="o", label="train accuracy (chunks)")
    right.plot(epochs, [r["valid_accuracy"] for r in history], marker="o", label="validation accuracy (tracks)")
    right.plot(epochs, [r["valid_macro_f1"] for r in history], marker="o", label="validation macro F1 (tracks)")
    right.set_xlabel("epoch")
    right.set_ylim(0, 1.02)
    right.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path)
    return path
