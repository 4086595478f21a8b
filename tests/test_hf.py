"""Fine-tuning Hugging Face audio transformers, offline.

Weights cannot be downloaded here, so every test builds tiny randomly initialised checkpoints of
each architecture (HuBERT/DistilHuBERT, wav2vec 2.0, Whisper) with ``make_tiny_pretrained`` and
passes the folder as ``model.checkpoint``: the same code path a hub name takes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from fixtures import CONFIGS, chunk_proba
from genrekit.config import load_config
from genrekit.errors import ConfigError
from genrekit.hub import (
    KNOWN_CHECKPOINTS,
    make_tiny_pretrained,
    resolve_checkpoint,
)
from genrekit.inference import load_predictor
from genrekit.models.hf import HF_MODEL_DIR, build_hf, load_hf_run, window_for

ARCHS = ["distilhubert", "wav2vec2", "whisper"]

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tiny_checkpoints(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-pretrained")
    return {arch: make_tiny_pretrained(arch, root / arch) for arch in ARCHS}


def _quiet_pipeline(folder):
    from transformers import pipeline

    return pipeline("audio-classification", model=str(folder), device="cpu")


# ---------------------------------------------------------------------- checkpoints and errors


def test_resolve_checkpoint_names_aliases_and_folders(tmp_path, tiny_checkpoints):
    assert resolve_checkpoint("distilhubert") == "ntu-spml/distilhubert"
    assert resolve_checkpoint("openai/whisper-medium") == "openai/whisper-medium"
    assert set(KNOWN_CHECKPOINTS.values()) >= {"openai/whisper-small", "facebook/wav2vec2-base"}
    assert resolve_checkpoint(tiny_checkpoints["whisper"]) == str(tiny_checkpoints["whisper"].resolve())
    with pytest.raises(ConfigError, match="folder not found"):
        resolve_checkpoint(str(tmp_path / "missing" / "model"))
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "config.json").write_text("{}")
    with pytest.raises(ConfigError, match="preprocessor_config.json is missing"):
        resolve_checkpoint(tmp_path / "half")
    with pytest.raises(ConfigError, match="needs model.checkpoint"):
        resolve_checkpoint(None)


def test_unknown_hub_name_offline_says_what_to_do(monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # the hub client reads the variable once, at import
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ConfigError) as info:
        build_hf(labels=["a", "b"], checkpoint="genrekit-test/no-such-model")
    message = str(info.value)
    assert "genrekit-test/no-such-model" in message
    for hint in ("HF_HOME", "HF_HUB_OFFLINE", "save_pretrained", "--checkpoint"):
        assert hint in message


def test_tiny_random_checkpoint_is_written_once_under_interim(monkeypatch, tmp_path):
    monkeypatch.setenv("GENREKIT_HOME", str(tmp_path))
    folder = Path(resolve_checkpoint("tiny-random:whisper"))
    assert folder.is_relative_to(tmp_path) and (folder / "preprocessor_config.json").is_file()
    stamp = (folder / "config.json").stat().st_mtime_ns
    assert resolve_checkpoint("tiny-random:whisper-small") == str(folder)
    assert (folder / "config.json").stat().st_mtime_ns == stamp
    with pytest.raises(ConfigError, match="unknown transformer architecture"):
        resolve_checkpoint("tiny-random:bert")


# ---------------------------------------------------------------------- the module


@pytest.mark.parametrize("arch", ARCHS)
def test_module_front_end_matches_the_pipeline(arch, tiny_checkpoints, tmp_path):
    """Logits of HFAudioClassifier (waveform in) equal what pipeline() computes from the saved folder."""
    torch.manual_seed(0)
    labels = ["blues", "jazz", "metal"]
    model = build_hf(labels=labels, checkpoint=str(tiny_checkpoints[arch]), params={"window_seconds": None if arch == "whisper" else 2.0})
    assert model.labels == labels and model.model.config.label2id == {label: i for i, label in enumerate(labels)}
    folder = model.eval().save_pretrained(tmp_path / "saved")
    x = 0.2 * torch.randn(2, 32000, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        proba = model(x).softmax(-1).numpy()
    out = _quiet_pipeline(folder)(x[1].numpy(), top_k=None)
    scores = {row["label"]: row["score"] for row in out}
    assert set(scores) == set(labels)
    np.testing.assert_allclose([scores[label] for label in labels], proba[1], rtol=1e-4, atol=1e-6)
    # dict input with the sampling rate, as a datasets Audio column gives it
    again = _quiet_pipeline(folder)({"array": x[1].numpy(), "sampling_rate": 16000}, top_k=1)
    assert again[0]["label"] == labels[int(proba[1].argmax())]


def test_freezing_and_gradient_checkpointing_options(tiny_checkpoints):
    def trainable(model):
        return sum(p.numel() for p in model.parameters() if p.requires_grad)

    for arch in ARCHS:
        source = str(tiny_checkpoints[arch])
        full = build_hf(labels=["a", "b"], checkpoint=source, params={"freeze_feature_encoder": False})
        feature = build_hf(labels=["a", "b"], checkpoint=source, params={"freeze_feature_encoder": True})
        body = build_hf(labels=["a", "b"], checkpoint=source, params={"freeze_encoder": True})
        head = sum(p.numel() for n, p in body.model.named_parameters() if n.startswith(("projector", "classifier", "layer_weights")))
        assert trainable(full) > trainable(feature) > trainable(body) == head, arch
        checkpointed = build_hf(labels=["a", "b"], checkpoint=source, params={"gradient_checkpointing": True})
        flag = "is_activation_checkpointing" if hasattr(checkpointed.model, "is_activation_checkpointing") else "is_gradient_checkpointing"
        assert getattr(checkpointed.model, flag), arch
    with pytest.raises(ConfigError, match="unknown model.params"):
        build_hf(labels=["a", "b"], checkpoint=str(tiny_checkpoints["whisper"]), params={"lora": True})
    # hf_config entries reach the transformers config
    tuned = build_hf(labels=["a", "b"], checkpoint=str(tiny_checkpoints["wav2vec2"]),
                     params={"hf_config": {"layerdrop": 0.0, "mask_time_prob": 0.2}})
    assert tuned.model.config.layerdrop == 0.0 and tuned.model.config.mask_time_prob == 0.2


def test_windows_follow_the_model_input_length(tiny_checkpoints):
    whisper = build_hf(labels=["a", "b"], checkpoint=str(tiny_checkpoints["whisper"]))
    assert whisper.window_seconds == 2.0  # the tiny Whisper extractor's chunk_length
    with pytest.raises(ConfigError, match="fixed 2 s windows"):
        build_hf(labels=["a", "b"], checkpoint=str(tiny_checkpoints["whisper"]), params={"window_seconds": 5.0})
    config = load_config(None, ["data.chunk_seconds=3.0"])
    with pytest.raises(ConfigError, match="data.chunk_seconds"):
        window_for(config, whisper.feature_extractor)
    hubert = build_hf(labels=["a", "b"], checkpoint=str(tiny_checkpoints["distilhubert"]))
    assert window_for(load_config(None, []), hubert.feature_extractor) == 10.0
    assert window_for(config, hubert.feature_extractor) == 3.0


# ---------------------------------------------------------------------- fine-tuning runs


@pytest.mark.parametrize("arch", ARCHS)
def test_fine_tune_save_load_and_pipeline(arch, tiny_checkpoints, tiny_synth, tmp_path):
    """Fine-tune through genrekit.train.train exactly as a hub checkpoint would be; the loss falls,
    the saved folder reproduces the run's scores, and pipeline() returns genre labels."""
    from genrekit.models.registry import get_family
    from genrekit.rescore import rescore_run
    from genrekit.train import train

    params = "{freeze_feature_encoder=false}" if arch == "whisper" else "{freeze_feature_encoder=false, window_seconds=2.0}"
    config = load_config(
        None,
        [
            f'name="hf-{arch}"',
            f'data.source="gtzan:{tiny_synth}"',
            'data.split="random"',
            "data.clip_seconds=2.0",  # one 2 s window per track keeps the test fast
            'model.name="hf"',
            f'model.checkpoint="{tiny_checkpoints[arch]}"',
            f"model.params={params}",
            "train.epochs=4",
            "train.batch_size=8",
            "train.lr=3e-3",
            "train.weight_decay=1e-4",
            "train.patience=4",
            'train.device="cpu"',
            f'runs_dir="{tmp_path}"',
        ],
    )
    run = train(config, progress=False)

    history = [line.split(",") for line in (run / "history.csv").read_text().splitlines()]
    column = history[0].index("train_loss")
    losses = [float(row[column]) for row in history[1:]]
    assert losses[-1] < losses[0] - 0.01, losses

    record = json.loads((run / "run.json").read_text())
    metrics = json.loads((run / "metrics.json").read_text())
    genres = json.loads((run / "labels.json").read_text())
    assert record["family"] == "hf" and record["model"] == "hf" and record["input"] == "waveform"
    assert len(genres) == 10
    for split in ("test", "valid"):
        assert {"accuracy", "macro_f1"} <= set(metrics[split]) and metrics[split]["n"] >= 5
    saved = json.loads((run / HF_MODEL_DIR / "config.json").read_text())
    assert saved["label2id"] == {g: i for i, g in enumerate(genres)}
    # only the save_pretrained folder carries weights once the run has finished
    assert not list((run / "checkpoints").glob("*.safetensors"))

    # load through the registry; re-scoring the test split reproduces the run's numbers
    predictor = get_family("hf").load(run)
    assert predictor.labels == genres and predictor.sample_rate == 16000
    again = rescore_run(run, split="test", progress=False)
    assert again["accuracy"] == pytest.approx(metrics["test"]["accuracy"])
    assert again["macro_f1"] == pytest.approx(metrics["test"]["macro_f1"])
    assert again["confusion"] == metrics["test"]["confusion"]

    # pipeline() on the saved folder agrees with the predictor on one window of a track
    wav = next(tiny_synth.rglob("*.wav"))
    from genrekit.data.audio import load_audio

    window = load_audio(wav, sr=16000, middle=2.0)
    expected = chunk_proba(predictor, window, 16000)[0]
    out = _quiet_pipeline(run / HF_MODEL_DIR)(window, top_k=None)
    scores = {row["label"]: row["score"] for row in out}
    assert set(scores) == set(genres)
    np.testing.assert_allclose([scores[g] for g in genres], expected, rtol=1e-4, atol=1e-6)

    # a longer signal is classified by windows whose probabilities are averaged
    long = np.tile(window, 3)
    per_window = chunk_proba(predictor, long, 16000)
    assert per_window.shape == (3, 10)
    np.testing.assert_allclose(load_predictor(run).predict_array(long, 16000).probabilities, per_window.mean(axis=0), atol=1e-6)
    # the bare save_pretrained folder loads too (e.g. for the app)
    bare = load_hf_run(run / HF_MODEL_DIR)
    np.testing.assert_allclose(chunk_proba(bare, window, 16000)[0], expected, rtol=1e-5, atol=1e-7)


def test_an_interrupted_hf_run_resumes_and_predicts_with_its_training_hop(tiny_checkpoints, tiny_synth, tmp_path):
    """hf runs share the torch runs' orchestration: Ctrl-C keeps the state, resume_run continues
    it, and the windows' hop of training is stored and used when the run predicts."""
    from genrekit.errors import RunError
    from genrekit.models.hf import HF_INFO_FILE, train_hf
    from genrekit.network_runs import resume_run

    config = load_config(None, [
        'name="hf-resume"', f'data.source="gtzan:{tiny_synth}"', 'data.split="random"', "data.clip_seconds=4.0",
        "data.hop_seconds=1.0", 'model.name="hf"', f'model.checkpoint="{tiny_checkpoints["distilhubert"]}"',
        "model.params={window_seconds=2.0}", "train.epochs=3", "train.batch_size=16", "train.patience=5",
        'train.device="cpu"', f'runs_dir="{tmp_path}"',
    ])

    def stop_after_one(row):
        if row["epoch"] == 1:
            raise KeyboardInterrupt  # as Ctrl-C would, once epoch 1's checkpoint is written

    with pytest.raises(KeyboardInterrupt):
        train_hf(config, progress=False, on_epoch_end=stop_after_one)
    (run,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert not (run / "run.json").exists()
    seen = []
    assert resume_run(run, progress=False, on_epoch_end=lambda row: seen.append(row["epoch"])) == run
    assert seen == [2, 3]
    assert json.loads((run / HF_INFO_FILE).read_text())["hop_seconds"] == 1.0
    predictor = load_predictor(run)
    assert predictor.network.hop_seconds == 1.0
    assert len(predictor.network.chunks(np.random.default_rng(0).standard_normal(4 * 16000) * 0.1, 16000)) == 3
    with pytest.raises(RunError, match="nothing to resume from"):  # a finished hf run keeps no training state
        resume_run(run, progress=False)


# ---------------------------------------------------------------------- shipped configs


@pytest.mark.parametrize(
    "name, checkpoint",
    [
        ("hf-distilhubert", "ntu-spml/distilhubert"),
        ("hf-wav2vec2-base", "facebook/wav2vec2-base"),
        ("hf-whisper-small", "openai/whisper-small"),
        ("hf-whisper-medium", "openai/whisper-medium"),
        ("debug-hf", "tiny-random:distilhubert"),
    ],
)
def test_shipped_configs_parse(name, checkpoint):
    from genrekit.models.hf import DEFAULT_PARAMS
    from genrekit.models.registry import get_model

    config = load_config(CONFIGS / f"{name}.toml")
    assert get_model(config.model.name).family == "hf"
    assert config.model.checkpoint == checkpoint
    assert set(config.model.params) <= set(DEFAULT_PARAMS)
    if name == "hf-whisper-medium":
        assert config.model.params["gradient_checkpointing"] is True
        assert config.train.grad_accum * config.train.batch_size >= 32


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("arch", ARCHS)
def test_cuda_bf16_with_gradient_checkpointing_and_accumulation(arch, tiny_checkpoints, tmp_path):
    """The GPU settings of the Whisper-medium config on a tiny model: bf16 autocast, gradient
    checkpointing, gradient accumulation, frozen input convolutions."""
    from genrekit.config import TrainConfig
    from genrekit.trainer import ChunkSet, fit

    labels = ["a", "b"]
    params = {"gradient_checkpointing": True, "freeze_feature_encoder": True}
    if arch != "whisper":
        params["window_seconds"] = 2.0
    model = build_hf(labels=labels, checkpoint=str(tiny_checkpoints[arch]), params=params)
    generator = torch.Generator().manual_seed(0)
    tone = torch.sin(torch.arange(32000) * 2 * torch.pi * 440 / 16000)
    x = torch.cat([0.1 * torch.randn(8, 32000, generator=generator), 0.1 * torch.randn(8, 32000, generator=generator) + 0.3 * tone])
    y = torch.tensor([0] * 8 + [1] * 8)
    data = ChunkSet(x, y, [f"t{i}" for i in range(16)])
    config = TrainConfig(epochs=3, batch_size=4, grad_accum=2, lr=1e-3, device="cuda", patience=3)
    result = fit(model, data, data, config=config, labels=labels, checkpoint_dir=tmp_path, progress=False)
    assert result.precision in ("bf16", "fp16") and result.device.startswith("cuda")
    assert all(np.isfinite(row["train_loss"]) for row in result.history)
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]


def test_whisper_log_mel_on_the_device_equals_the_feature_extractor():
    """Whisper's front-end as torch ops (the training device, no host round trip) computes what
    ``WhisperFeatureExtractor`` computes: identical to its torch path, and within 1e-4 (features
    span about -0.5 to 1.5) of its float64 numpy path, for a full, a short (padded) and a long (cut) window."""
    from transformers import WhisperFeatureExtractor

    from genrekit.models.hf import whisper_log_mel

    fe = WhisperFeatureExtractor()  # whisper-small/medium's settings: 80 mels, 30 s at 16 kHz
    rng = np.random.default_rng(0)
    t = np.arange(16000 * 30) / 16000
    signals = [0.1 * rng.standard_normal(16000 * 30), 0.3 * np.sin(2 * np.pi * 440 * t) * (t < 12), 0.2 * rng.standard_normal(16000 * 31)]
    for y in (s.astype(np.float32) for s in signals):
        ours = whisper_log_mel(torch.from_numpy(y)[None], fe)[0]
        expected = fe([y], sampling_rate=16000, return_tensors="pt")["input_features"][0]
        assert ours.shape == expected.shape == (80, 3000)
        torch.testing.assert_close(ours, expected, rtol=0, atol=1e-5)
        reference = fe._np_extract_fbank_features(y[None, : fe.n_samples], "cpu")[0]  # float64 numpy, full length here
        if len(y) >= fe.n_samples:
            np.testing.assert_allclose(ours.numpy(), reference, rtol=0, atol=1e-4)
    batch = whisper_log_mel(torch.from_numpy(np.stack([s[: fe.n_samples] for s in signals]).astype(np.float32)), fe)
    torch.testing.assert_close(batch[1], whisper_log_mel(torch.from_numpy(signals[1].astype(np.float32))[None], fe)[0])


@pytest.mark.parametrize("arch", ARCHS)
def test_front_ends_on_the_device_equal_the_feature_extractor(tiny_checkpoints, arch):
    """A built model's front-end (torch ops on the waveform's device) gives its feature extractor's inputs."""
    model = build_hf(labels=["a", "b"], checkpoint=str(tiny_checkpoints[arch]), params={"window_seconds": None if arch == "whisper" else 2.0})
    fe = model.feature_extractor
    y = (0.1 * np.random.default_rng(1).standard_normal((2, int(model.window_seconds * 16000))) + 0.05).astype(np.float32)
    ours = model.frontend(torch.from_numpy(y))
    expected = fe(list(y), sampling_rate=16000, return_tensors="pt")
    assert set(ours) == set(expected)
    for key in ours:
        torch.testing.assert_close(ours[key], expected[key], rtol=0, atol=1e-5)
