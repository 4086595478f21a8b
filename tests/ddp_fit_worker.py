"""Run by tests/test_ddp.py under ``torchrun --nproc_per_node 2``: one :func:`fit` on Gaussian blobs.

Each process writes its final weights to ``OUT/rank<N>.safetensors`` and its history to
``OUT/rank<N>.json``; the test compares them. Not a test module (pytest does not collect it).
"""

import json
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn

from genrekit import distributed
from genrekit.config import TrainConfig
from genrekit.trainer import ChunkSet, fit

CLASSES = 4


def blobs(n: int, seed: int) -> ChunkSet:
    """Four well separated Gaussian classes in 8 dimensions; one example per 'track'."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(CLASSES, 8, generator=torch.Generator().manual_seed(123)) * 2.0
    y = torch.arange(n) % CLASSES
    x = centres[y] + torch.randn(n, 8, generator=g)
    return ChunkSet(x, y, [f"t{seed}-{i}" for i in range(n)])


def network() -> nn.Module:
    torch.manual_seed(0)
    # batch norm: its running statistics must agree across processes for validation
    return nn.Sequential(nn.Linear(8, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, CLASSES))


def main(out: Path) -> None:
    torch.set_num_threads(1)
    # 90 validation examples: not divisible by 2 processes, so the shares differ in size
    train, valid = blobs(203, seed=1), blobs(90, seed=2)
    config = TrainConfig(epochs=4, batch_size=16, lr=5e-3, patience=10, grad_accum=2, device="cpu", seed=3)
    model = network()
    result = fit(model, train, valid, config=config, labels=list("abcd"), checkpoint_dir=out / "checkpoints", progress=False)
    context = distributed.current()
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out / f"rank{context.rank}.safetensors"))
    (out / f"rank{context.rank}.json").write_text(json.dumps({
        "world_size": result.world_size, "history": result.history, "best_epoch": result.best_epoch,
        "best_score": result.best_score,
    }))
    distributed.teardown()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
