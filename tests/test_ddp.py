"""Data-parallel training (DDP) on CPU: two processes under ``torchrun`` with the Gloo backend.

The same code path runs with NCCL on a multi-GPU box; only the backend and devices differ.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from genrekit import distributed
from genrekit.config import ExperimentConfig
from genrekit.errors import ConfigError
from genrekit.trainer import BEST_WEIGHTS, STATE_FILE, evaluate_tracks, load_weights

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
import ddp_fit_worker  # noqa: E402


def torchrun(*args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", *args]
    environ = dict(os.environ, OMP_NUM_THREADS="1", **(env or {}))
    done = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return done


def test_two_processes_train_one_model(tmp_path):
    torchrun(str(ROOT / "tests" / "ddp_fit_worker.py"), str(tmp_path))
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    weights = [load_file(str(tmp_path / f"rank{r}.safetensors")) for r in (0, 1)]

    assert [r["world_size"] for r in ranks] == [2, 2]
    # gradients are averaged and validation is shared, so both processes end in the same place
    timeless = [[{k: v for k, v in row.items() if k != "seconds"} for row in r["history"]] for r in ranks]
    assert timeless[0] == timeless[1]
    assert weights[0].keys() == weights[1].keys()
    for name in weights[0]:
        assert torch.equal(weights[0][name], weights[1][name]), name
    state = json.loads((tmp_path / "checkpoints" / STATE_FILE).read_text())
    assert state["world_size"] == 2 and len(state["history"]) == 4

    # The validation score the processes agreed on, recomputed in one process on every example:
    # equal only if the shares (45 + 45 of 90 examples, odd and even rows) were put back in order.
    model = ddp_fit_worker.network()
    load_weights(model, tmp_path / "checkpoints" / BEST_WEIGHTS)
    valid = ddp_fit_worker.blobs(90, seed=2)
    metrics, loss, _ = evaluate_tracks(model, valid, list("abcd"), batch_size=16, device="cpu")
    best = next(row for row in ranks[0]["history"] if row["epoch"] == ranks[0]["best_epoch"])
    assert metrics["macro_f1"] == pytest.approx(best["valid_macro_f1"], abs=1e-12)
    assert loss == pytest.approx(best["valid_loss"], rel=1e-6)
    assert metrics["accuracy"] > 0.8  # chance is 0.25


def test_genrekit_train_under_torchrun_writes_one_run(tmp_path):
    done = torchrun(
        "-m", "genrekit", "train", "--config", "configs/debug-torch.toml", "--split", "random",
        "--set", "train.epochs=2", "--quiet", env={"GENREKIT_HOME": str(tmp_path)},
    )
    runs = [p for p in (tmp_path / "models" / "runs").iterdir() if p.is_dir()]
    assert len(runs) == 1, runs
    metrics = json.loads((runs[0] / "metrics.json").read_text())
    assert metrics["training"]["world_size"] == 2
    assert metrics["test"]["n"] == 30
    assert done.stdout.count("run folder:") == 1  # rank 0 reports, rank 1 stays quiet


def test_hf_family_under_torchrun(tmp_path):
    """wav2vec 2.0 leaves its masking embedding unused in some batches: DDP must tolerate that."""
    torchrun(
        "-m", "genrekit", "train", "--config", "configs/debug-hf.toml", "--checkpoint", "tiny-random:wav2vec2",
        "--set", "train.epochs=1", "--set", "train.max_steps=3", "--quiet", env={"GENREKIT_HOME": str(tmp_path)},
    )
    runs = [p for p in (tmp_path / "models" / "runs").iterdir() if p.is_dir()]
    assert len(runs) == 1, runs
    metrics = json.loads((runs[0] / "metrics.json").read_text())
    assert metrics["training"]["world_size"] == 2
    assert (runs[0] / "hf_model" / "config.json").is_file()


def test_single_process_context_is_rank_zero_of_one():
    context = distributed.setup("cpu")
    assert (context.rank, context.world_size, context.enabled, context.is_main) == (0, 1, False, True)
    assert distributed.broadcast("x") == "x"
    values = torch.tensor([1.0, 2.0])
    assert distributed.all_reduce_sum(values) is values
    with distributed.main_first():
        pass


def test_launcher_without_rendezvous_variables_says_how_to_start(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    for name in ("RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="torchrun --nproc_per_node"):
        distributed.setup("cpu")


def test_classic_models_refuse_to_run_under_a_launcher(monkeypatch):
    from genrekit.train import train

    monkeypatch.setenv("WORLD_SIZE", "2")
    config = ExperimentConfig()
    config.model.name = "logreg"
    with pytest.raises(ConfigError, match="does not train data-parallel"):
        train(config, progress=False)
