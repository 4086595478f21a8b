"""Frozen transformer encoders as a feature kind (``hf-encoder``), on tiny random checkpoints (offline)."""

from __future__ import annotations

import numpy as np
import pytest

from fixtures import noise
from genrekit.config import FeatureConfig, load_config
from genrekit.errors import AudioError, ConfigError
from genrekit.features import kinds
from genrekit.hub import make_random_pretrained
from genrekit.pretrained import hf_encoder

SR = 16_000
ARCHS = ("distilhubert", "wav2vec2-base", "whisper-small")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, str]:
    """Tiny random checkpoint folders (hidden size 32, 2 layers; Whisper with 2 s windows)."""
    root = tmp_path_factory.mktemp("tiny-encoders")
    return {arch: str(make_random_pretrained(arch, root / arch, tiny=True)) for arch in ARCHS}


def features(checkpoint: str, **settings) -> FeatureConfig:
    return FeatureConfig(kind="hf-encoder", checkpoint=checkpoint, device="cpu", **settings)


@pytest.mark.parametrize("arch", ARCHS)
def test_a_long_signal_is_the_mean_of_its_windows(tiny, arch):
    cfg = features(tiny[arch])
    assert kinds.sample_rate(cfg, None) == SR and kinds.min_seconds(cfg) == 1.0
    assert kinds.feature_names(cfg) == [f"hf_{i:04d}" for i in range(32)]
    y = noise(45.0, SR)
    rows = kinds.extract_chunked(y, sr=SR, cfg=cfg, chunk_seconds=None)
    assert rows.shape == (1, 2 + 32) and list(rows.columns[:2]) == ["chunk", "start_s"]
    # the windows by hand: 20 s for wav2vec 2.0 / HuBERT (20, 20, 5 s); Whisper's input length
    # (2 s for the tiny one: 22 windows of 2 s and one of 1 s, kept because it is not under 1 s)
    window = 20.0 if arch != "whisper-small" else 2.0
    size = int(window * SR)
    windows = [y[i : i + size] for i in range(0, len(y), size)]
    assert len(windows) == (3 if arch != "whisper-small" else 23)
    each = [hf_encoder.embed(w, [(0, len(w))], cfg)[0] for w in windows]
    np.testing.assert_allclose(rows.iloc[0, 2:].to_numpy(dtype=float), np.mean(each, axis=0), atol=1e-5)
    # chunks are rows of their own, embedded in shared batches
    chunked = kinds.extract_chunked(y[: 10 * SR], sr=SR, cfg=cfg, chunk_seconds=5.0)
    assert chunked.shape == (2, 34) and list(chunked["start_s"]) == [0.0, 5.0]
    np.testing.assert_allclose(chunked.iloc[1, 2:].to_numpy(dtype=float),
                               hf_encoder.embed(y[5 * SR : 10 * SR], [(0, 5 * SR)], cfg)[0], atol=1e-5)


def test_a_short_last_window_is_dropped_unless_it_is_the_only_one(tiny):
    encoder = hf_encoder.load(features(tiny["distilhubert"]))
    assert [len(w) / SR for w in encoder.windows(noise(40.5, SR))] == [20.0, 20.0]
    assert [len(w) / SR for w in encoder.windows(noise(1.5, SR))] == [1.5]
    with pytest.raises(AudioError, match="too short"):
        encoder.windows(noise(0.5, SR))


@pytest.mark.parametrize("arch", ARCHS)
def test_layers_differ_and_share_the_width(tiny, arch):
    y = noise(3.0, SR, seed=1)
    rows = {layer: hf_encoder.embed(y, [(0, len(y))], features(tiny[arch], layer=layer)) for layer in (0, -1, None)}
    assert {r.shape for r in rows.values()} == {(1, 32)}
    assert not np.allclose(rows[0], rows[-1]) and not np.allclose(rows[None], rows[-1])
    # None is the mean of every hidden state: the input embeddings and the 2 layers
    layers = [hf_encoder.embed(y, [(0, len(y))], features(tiny[arch], layer=i)) for i in range(3)]
    np.testing.assert_allclose(rows[None], np.mean(layers, axis=0), atol=1e-5)
    with pytest.raises(ConfigError, match="from -3 to 2"):
        kinds.feature_names(features(tiny[arch], layer=3))


def test_whisper_averages_only_the_frames_of_real_audio(tiny):
    import torch

    cfg = features(tiny["whisper-small"], layer=-1)
    encoder = hf_encoder.load(cfg)
    y = noise(1.5, SR, seed=2)
    row = hf_encoder.embed(y, [(0, len(y))], cfg)[0]
    # the encoder's own frames: 50 per second, so 75 of the 100 in the tiny model's padded 2 s input
    inputs = encoder.feature_extractor([y], sampling_rate=SR, return_tensors="pt")
    with torch.inference_mode():
        frames = encoder.model(inputs["input_features"]).last_hidden_state[0]
    assert frames.shape[0] == 100
    np.testing.assert_allclose(row, frames[:75].mean(dim=0).numpy(), atol=1e-5)
    # the padding is not averaged: trailing silence (the same log-mel input) changes the row
    padded = np.concatenate([y, np.zeros(SR // 2, dtype=np.float32)])
    assert not np.allclose(hf_encoder.embed(padded, [(0, len(padded))], cfg)[0], row, atol=1e-4)


def test_cache_key_names_checkpoint_and_layer_and_bad_settings_are_config_errors(tiny):
    from genrekit.config import DataConfig
    from genrekit.features.extract import cache_spec

    spec = cache_spec("x", data=DataConfig(), features=features(tiny["distilhubert"], layer=-1))
    assert spec["features"] == {"kind": "hf-encoder", "checkpoint": tiny["distilhubert"], "layer": -1, "embedding": "mean"}
    assert spec["sample_rate"] == SR
    with pytest.raises(ConfigError, match="needs features.checkpoint"):
        kinds.check(FeatureConfig(kind="hf-encoder"))
    with pytest.raises(ConfigError, match="'mean'"):
        kinds.check(features(tiny["distilhubert"], embedding="audio"))
    with pytest.raises(ConfigError, match="features.checkpoint folder not found"):
        kinds.check(features("./no/such/folder"))


def test_unknown_hub_name_offline_says_what_to_do(monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # read once, at import
    with pytest.raises(ConfigError) as info:
        kinds.feature_names(features("genrekit-test/no-such-encoder"))
    message = str(info.value)
    for hint in ("genrekit-test/no-such-encoder", "HF_HOME", "HF_HUB_OFFLINE", "features.checkpoint"):
        assert hint in message


def test_a_probe_on_a_frozen_encoder_trains_and_predicts(tiny, tiny_synth, tmp_path):
    from genrekit.inference import load_predictor
    from genrekit.runs import read_run
    from genrekit.train import train

    config = load_config(None, [f"data.source=gtzan:{tiny_synth}", "data.split=random", "data.clip_seconds=6.0",
                                "features.kind=hf-encoder", f"features.checkpoint={tiny['distilhubert']}",
                                "features.device=cpu", "model.name=logreg", "train.search=false", f"runs_dir={tmp_path}"])
    run = train(config, progress=False)
    record = read_run(run)
    assert record.config.features.kind == "hf-encoder" and record.config.features.checkpoint == tiny["distilhubert"]
    assert record.metrics["test"]["n"] >= 10
    predictor = load_predictor(run)
    assert predictor.sample_rate == SR and "hf-encoder" in predictor.name
    prediction = predictor.predict_file(next(tiny_synth.rglob("*.wav")))
    assert prediction.labels == record.labels and prediction.genre in record.labels
    assert prediction.probabilities.sum() == pytest.approx(1.0)
