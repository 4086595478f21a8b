"""The torch training loop: pickle-free optimizer state, resume, checkpoints that reload in a fresh
process, the spectrogram cache, and the mel-vs-log experiment command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file

from fixtures import DEBUG_TORCH_CONFIG, chunk_proba, debug_config
from genrekit.config import TrainConfig
from genrekit.errors import ConfigError
from genrekit.inference import load_predictor
from genrekit.models.torch_family import train_torch
from genrekit.network_runs import resume_run
from genrekit.trainer import ChunkSet, fit, optimizer_state, restore_optimizer, warmup_cosine

# smaller than the debug config's network: these tests check mechanics, not accuracy
SMALL = ["model.params={size=[32,32], n_fft=1024, n_mels=32, width=8, blocks=3}"]

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def trained_run(one_torch_thread, synth_index, tmp_path_factory) -> Path:
    config = debug_config(tmp_path_factory.mktemp("trained") / "runs", "train.epochs=3")
    return train_torch(config, index=synth_index, progress=False)


def test_optimizer_state_round_trips_through_safetensors_and_json(tmp_path):
    from safetensors.torch import save_file

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.LayerNorm(8), torch.nn.Linear(8, 3))
    x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-2)
    for _ in range(3):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(net(x), y).backward()
        optimizer.step()
    tensors, meta = optimizer_state(optimizer)
    save_file(tensors, str(tmp_path / "opt.safetensors"))
    (tmp_path / "opt.json").write_text(json.dumps(meta))

    twin = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.LayerNorm(8), torch.nn.Linear(8, 3))
    twin.load_state_dict(net.state_dict())
    restored = torch.optim.AdamW(twin.parameters(), lr=1.0)
    restore_optimizer(restored, load_file(str(tmp_path / "opt.safetensors")), json.loads((tmp_path / "opt.json").read_text()))
    assert restored.param_groups[0]["lr"] == pytest.approx(1e-2)
    for model, opt in ((net, optimizer), (twin, restored)):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    for a, b in zip(net.parameters(), twin.parameters()):
        assert torch.equal(a, b)


def test_warmup_then_cosine_to_zero():
    factor = warmup_cosine(100)
    values = [factor(step) for step in range(101)]
    assert values[0] < values[4] == pytest.approx(1.0)  # 5 warm-up steps
    assert all(a >= b for a, b in zip(values[5:], values[6:]))
    assert values[100] == pytest.approx(0.0, abs=1e-9)


def test_fit_refuses_empty_validation(tmp_path):
    data = ChunkSet(torch.randn(4, 8), torch.tensor([0, 1, 0, 1]), ["a", "b", "c", "d"])
    empty = ChunkSet(torch.zeros(0, 8), torch.zeros(0, dtype=torch.long), [])
    with pytest.raises(ConfigError, match="validation"):
        fit(torch.nn.Linear(8, 2), data, empty, config=TrainConfig(), labels=["x", "y"], checkpoint_dir=tmp_path)


def test_model_input_must_be_one_the_model_takes(tmp_path, synth_index):
    with pytest.raises(ConfigError, match="takes inputs mfcc, not 'mel'"):
        train_torch(debug_config(tmp_path / "runs", "model.name=lstm-mfcc", "model.input=mel"), index=synth_index, progress=False)


def test_saved_run_reloads_in_a_fresh_process_and_predicts_identically(trained_run, synth_index, tmp_path):
    from genrekit.checkpoint import load_torch_run
    from genrekit.data.audio import load_audio

    test_path = synth_index.subset("test")["path"].iloc[0]
    y = load_audio(test_path, sr=22050)
    np.save(tmp_path / "y.npy", y)
    script = (
        "import sys, numpy as np\n"
        "from genrekit.models import registry\n"
        "sys.path.insert(0, sys.argv[4])\n"
        "from fixtures import chunk_proba\n"
        "network = registry.get_family('torch').load(sys.argv[1])\n"
        "np.save(sys.argv[3], chunk_proba(network, np.load(sys.argv[2]), 22050))\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    args = [sys.executable, "-c", script, str(trained_run), str(tmp_path / "y.npy"), str(tmp_path / "p.npy"),
            str(Path(__file__).parent)]
    subprocess.run(args, check=True, env=env)
    fresh = np.load(tmp_path / "p.npy")

    here = load_torch_run(trained_run)
    proba = chunk_proba(here, y, 22050)
    assert fresh.shape == proba.shape == (3, 10)  # 6 s at a 1.5 s hop: 3 chunks of 3 s
    np.testing.assert_allclose(fresh, proba, rtol=0, atol=1e-6)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert here.labels == synth_index.genres
    whole = load_predictor(trained_run).predict_file(test_path, middle_seconds=None).probabilities
    np.testing.assert_allclose(whole, proba.mean(axis=0), atol=1e-9)  # the inference API: the mean of the chunks


def test_reloaded_run_rescores_to_its_recorded_metrics(trained_run):
    from genrekit.rescore import rescore_run

    recorded = json.loads((trained_run / "metrics.json").read_text())["test"]
    again = rescore_run(trained_run, split="test", progress=False)
    assert again["accuracy"] == pytest.approx(recorded["accuracy"]) and again["n"] == recorded["n"] == 30
    assert again["confusion"] == recorded["confusion"]


def test_augmentation_mixup_accumulation_and_max_steps(synth_index, tmp_path):
    config = debug_config(tmp_path / "runs", "train.epochs=3", "train.augment=true", "train.mixup=0.4", "train.grad_accum=2",
                          "train.max_steps=5", *SMALL)
    run = train_torch(config, index=synth_index, progress=False)
    history = pd.read_csv(run / "history.csv")
    training = json.loads((run / "metrics.json").read_text())["training"]
    # 150 training chunks in batches of 16 = 10 batches = 5 optimiser steps per epoch at grad_accum 2
    assert history["step"].tolist() == [5] and training["stopped"] == "max-steps"
    assert np.isfinite(history["train_loss"]).all()


def test_resume_continues_from_the_saved_epoch(synth_index, tmp_path):
    config = debug_config(tmp_path / "runs", "train.epochs=4", *SMALL)
    straight = train_torch(config, index=synth_index, progress=False)

    def stop_after_two(row):
        if row["epoch"] == 2:
            raise KeyboardInterrupt  # as Ctrl-C would, once epoch 2's checkpoint is written

    with pytest.raises(KeyboardInterrupt):
        train_torch(config, index=synth_index, progress=False, on_epoch_end=stop_after_two)
    interrupted = next(p for p in Path(config.runs_dir).iterdir() if p != straight)
    state = json.loads((interrupted / "checkpoints" / "state.json").read_text())
    assert state["epoch"] == 2 and not (interrupted / "run.json").exists()

    seen = []
    resumed = resume_run(interrupted, progress=False, on_epoch_end=lambda row: seen.append(row["epoch"]))
    assert resumed == interrupted and seen == [3, 4]
    a = pd.read_csv(straight / "history.csv").drop(columns="seconds")
    b = pd.read_csv(resumed / "history.csv").drop(columns="seconds")
    pd.testing.assert_frame_equal(a, b)  # same batches, same dropout, same schedule: the same run
    wa, wb = load_file(str(straight / "model.safetensors")), load_file(str(resumed / "model.safetensors"))
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def test_spectrogram_cache_is_written_once_and_reused(synth_index, tmp_path):
    from genrekit import paths

    config = debug_config(tmp_path / "runs", "train.epochs=1", *SMALL)
    config.model.params["cache"] = True
    first = train_torch(config, index=synth_index, progress=False)
    key = json.loads((first / "metrics.json").read_text())["training"]["spectrogram_cache"]
    files = sorted((paths.processed_dir() / "spectrograms" / key).glob("*.npy"))
    assert len(files) == len(synth_index)
    stamps = [f.stat().st_mtime_ns for f in files]
    images = np.load(files[0], allow_pickle=False)
    assert images.shape == (3, 1, 32, 32)  # 3 chunks of one track, as 32x32 mel images

    second = train_torch(config, index=synth_index, progress=False)
    assert [f.stat().st_mtime_ns for f in files] == stamps  # read, not recomputed
    assert json.loads((second / "model.json").read_text())["params"].get("cache") is None  # not a model setting


def test_mel_vs_log_command_trains_both_on_one_split(synth_root, tmp_path, capsys):
    from genrekit.cli import main
    from genrekit.runs import find_runs, read_run

    runs_dir = tmp_path / "runs"
    status = main([
        "experiment", "mel-vs-log", "-c", str(DEBUG_TORCH_CONFIG), "--data", str(synth_root), "--split", "random",
        "--runs", str(runs_dir), "--set", "train.epochs=2", "--quiet", *(f"--set={o}" for o in SMALL),
    ])
    assert status == 0
    records = [read_run(r) for r in find_runs(runs_dir)]
    assert sorted(r.info.input for r in records) == ["log", "mel"]
    assert all(r.info.extra.get("experiment") == "mel-vs-log" and r.info.model == "cnn-spec" for r in records)
    test_ids = [
        sorted(pd.read_csv(r.path / "tracks.csv", dtype={"track_id": str}).query("split == 'test'")["track_id"]) for r in records
    ]
    assert test_ids[0] == test_ids[1] and len(test_ids[0]) == records[0].metrics["test"]["n"] == 30
    shown = capsys.readouterr().out
    assert "mel " in shown and "log " in shown and str(records[0].path) in shown
