"""Data-parallel training across processes (DDP), started by ``torchrun`` or ``accelerate launch``.

The single-process path is the default and needs none of this. When a launcher starts N copies of
``genrekit train`` it sets ``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``, ``MASTER_ADDR`` and
``MASTER_PORT`` in each one; :func:`setup` then joins the process group (NCCL on CUDA, Gloo on CPU)
and :func:`genrekit.trainer.fit` trains a :class:`torch.nn.parallel.DistributedDataParallel` copy of
the network:

* every process sees its own ``1/N`` of each epoch (:class:`~torch.utils.data.DistributedSampler`,
  reshuffled per epoch from the seed), so ``train.batch_size`` is the batch *per process* and the
  effective batch is ``N x batch_size x grad_accum``;
* gradients are averaged across processes on optimiser steps only (``no_sync`` on accumulation
  micro-steps);
* validation is split across processes too, and the probabilities are summed back together, so
  every process takes the same early-stopping decision from the same numbers;
* only rank 0 writes checkpoints, run folders, logs and progress bars. The run folder must be on a
  file system all processes see (one machine, or a shared volume for several).

Launch, one machine with 4 GPUs::

    torchrun --standalone --nproc_per_node 4 -m genrekit train --config configs/hf-whisper-small.toml

or ``accelerate launch --multi_gpu --num_processes 4 -m genrekit train ...`` (accelerate sets the same
variables).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Iterator

import torch
import torch.distributed as dist

from genrekit.errors import ConfigError

#: How long processes wait for each other (joining, barriers) before giving up.
TIMEOUT = timedelta(minutes=30)


@dataclass(frozen=True)
class Context:
    """Where this process stands: ``rank`` of ``world_size`` (``local_rank`` on its machine)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        """True when several processes train together."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0 writes files, logs and progress bars."""
        return self.rank == 0


def launched(environ: dict[str, str] | None = None) -> bool:
    """True when a launcher (torchrun, accelerate) started this process as one of several."""
    env = os.environ if environ is None else environ
    return int(env.get("WORLD_SIZE", "1") or 1) > 1


def setup(device: str = "auto") -> Context:
    """Join the process group if a launcher asked for several processes; idempotent.

    Parameters
    ----------
    device : str
        ``train.device``: with CUDA (``auto`` on a GPU box, ``cuda``) each process takes the GPU
        ``LOCAL_RANK`` and the NCCL backend; on CPU the Gloo backend.

    Returns
    -------
    Context
        ``Context()`` (rank 0 of 1) when no launcher is involved.
    """
    if dist.is_available() and dist.is_initialized():
        return current()
    if not launched():
        return Context()
    if not dist.is_available():
        raise ConfigError("WORLD_SIZE > 1 but this torch build has no torch.distributed support")
    for name in ("RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        if name not in os.environ:
            raise ConfigError(
                f"WORLD_SIZE={os.environ['WORLD_SIZE']} but {name} is not set: start distributed training with "
                "'torchrun --nproc_per_node N -m genrekit train ...' or 'accelerate launch'"
            )
    local_rank = int(os.environ["LOCAL_RANK"])
    use_cuda = device != "cpu" and torch.cuda.is_available()
    if use_cuda:
        if local_rank >= torch.cuda.device_count():
            raise ConfigError(f"LOCAL_RANK={local_rank} but this machine has {torch.cuda.device_count()} CUDA devices")
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend="nccl" if use_cuda else "gloo", timeout=TIMEOUT)
    return current()


def current() -> Context:
    """This process's :class:`Context` (rank 0 of 1 outside a process group)."""
    if not (dist.is_available() and dist.is_initialized()):
        return Context()
    return Context(rank=dist.get_rank(), world_size=dist.get_world_size(), local_rank=int(os.environ.get("LOCAL_RANK", "0")))


def device_for(context: Context, device: torch.device) -> torch.device:
    """The device this rank trains on: its own GPU (``cuda:LOCAL_RANK``) when training on CUDA."""
    if context.enabled and device.type == "cuda":
        return torch.device("cuda", context.local_rank)
    return device


def barrier() -> None:
    """Wait for every process (no-op in a single process)."""
    if current().enabled:
        dist.barrier()


@contextmanager
def main_first() -> Iterator[None]:
    """Run the block on rank 0 first, then on the other ranks (e.g. generating or caching data once).

    Every process must enter the block; outside a process group it simply runs.
    """
    context = current()
    if context.enabled and not context.is_main:
        dist.barrier()
    try:
        yield
    finally:
        if context.enabled and context.is_main:
            dist.barrier()


def broadcast(value: Any, *, src: int = 0) -> Any:
    """Rank ``src``'s ``value`` (any picklable object of our own making, e.g. a path) on every rank."""
    if not current().enabled:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=src)
    return box[0]


def from_main(make: Callable[[], Any]) -> Any:
    """``make()`` run on rank 0 only (e.g. creating the run folder), its result on every rank."""
    return broadcast(make() if current().is_main else None)


def all_reduce_sum(values: torch.Tensor) -> torch.Tensor:
    """Element-wise sum over processes (in place, returned); identity in a single process."""
    if current().enabled:
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values


def broadcast_buffers(module: torch.nn.Module, *, src: int = 0) -> None:
    """Copy rank ``src``'s buffers (batch-norm running statistics) to every rank.

    DDP broadcasts buffers before each training forward pass, and every rank then updates its own
    copy; validating with rank-specific statistics would give each rank a different score.
    """
    if not current().enabled:
        return
    for buffer in module.buffers():
        dist.broadcast(buffer.data, src=src)


def teardown() -> None:
    """Leave the process group (call once, at the end of the command)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
