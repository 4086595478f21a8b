"""WaveNet classifier: causality and receptive field, parameter checks, and learning on synthetic audio."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from genrekit.config import load_config
from genrekit.errors import ConfigError
from genrekit.inference import load_predictor
from genrekit.models.wavenet import WAVENET_SR, WaveNetClassifier, build_wavenet

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = {"channels": 8, "skip_channels": 8, "layers": 4, "stacks": 2, "stem_strides": [4, 4], "stem_kernels": [8, 8]}


def _tiny(**overrides) -> WaveNetClassifier:
    torch.manual_seed(0)
    return build_wavenet(num_classes=4, params={**TINY, **overrides}).eval()


def test_receptive_field_formula():
    model = _tiny()
    # stem: 1 + (8-1) + (8-1)*4 = 36 samples; two stacks of dilations 1,2,4,8 add 2*15 frames of 16 samples
    assert model.hop == 16
    assert model.receptive_field == 36 + 2 * 15 * 16


@pytest.mark.parametrize("norm", ["batch", "layer", "none"])
def test_output_at_t_ignores_the_future_and_sees_exactly_its_receptive_field(norm):
    model = _tiny(norm=norm)
    with torch.no_grad():
        # give batch norm non-trivial running statistics, then check in eval mode (where it is a
        # per-channel affine map; in training mode its statistics mix time steps)
        model.train()(torch.randn(2, 4000))
        # float64: a sample's effect on the frames at the edge of its reach passes through
        # long products of weights and can round away in float32
        model.eval().double()
    x = 0.3 * torch.randn(1, 8000, dtype=torch.float64)
    with torch.no_grad():
        base = model.frame_features(x)
        assert base.shape == (1, 8, 8000 // model.hop)

        # replacing every sample after t leaves every frame that ends at or before t unchanged
        t = 3001
        future = x.clone()
        future[0, t + 1 :] = torch.randn(8000 - t - 1, dtype=torch.float64)
        changed = (model.frame_features(future) - base).abs().amax(dim=1)[0] > 0
        last_safe = t // model.hop  # frame j ends at sample j * hop
        assert not changed[: last_safe + 1].any()
        assert changed[last_safe + 1 :].all()

        # one perturbed sample p moves only the frames j with j*hop - rf < p <= j*hop; ReLUs can
        # hide its effect on a frame for one input, so take the union over a few inputs
        p = 4000
        first = -(-p // model.hop)
        last = (p + model.receptive_field - 1) // model.hop
        moved = set()
        generator = torch.Generator().manual_seed(1)
        for _ in range(6):
            x = 0.3 * torch.randn(1, 8000, generator=generator, dtype=torch.float64)
            bumped = x.clone()
            bumped[0, p] += 0.5
            diff = (model.frame_features(bumped) - model.frame_features(x)).abs().amax(dim=1)[0]
            moved |= set(torch.nonzero(diff > 0).flatten().tolist())
        assert min(moved) == first
        assert max(moved) == last


def test_forward_shapes_and_bad_input():
    model = _tiny()
    with torch.no_grad():
        logits = model(torch.randn(3, WAVENET_SR))
    assert logits.shape == (3, 4)
    assert torch.isfinite(logits).all()
    with pytest.raises(ValueError, match="batch, samples"):
        model(torch.randn(WAVENET_SR))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"width": 3}, "unknown model.params"),
        ({"channels": 0}, "channels"),
        ({"stem_strides": [4, 4], "stem_kernels": [2, 8]}, "stem_kernels"),
        ({"norm": "group"}, "norm"),
    ],
)
def test_bad_params_raise_config_error(params, match):
    with pytest.raises(ConfigError, match=match):
        build_wavenet(num_classes=10, params=params)


def test_registered_as_a_torch_model_on_waveforms():
    from genrekit.models.registry import get_family, get_model

    spec = get_model("wavenet")
    assert spec.family == "torch" and spec.default_input == "waveform"
    from genrekit.models.torch_family import load_torch_run, train_torch

    family = get_family(spec.family)
    assert family.train is train_torch and family.load is load_torch_run  # trained and reloaded like any torch net
    model = spec.build(num_classes=10, params=TINY, input="waveform", sample_rate=22050)
    # the torch family reads audio at the network's own rate
    assert model.sample_rate == WAVENET_SR


def test_trains_with_the_common_loop_and_beats_chance_on_held_out_tracks(tiny_synth, tmp_path):
    """A small WaveNet (receptive field ~1 s) trained for 20 epochs on 1.5 s chunks of the synthetic set.

    Ten genres, so chance is 0.1; the ~24 held-out test tracks must reach 0.3. (Over split and
    initialisation seeds 0-3 this setting scored 0.40-0.55.)
    """
    from genrekit.models.registry import get_family
    from genrekit.train import train

    config = load_config(
        None,
        [
            'name="wavenet-test"',
            f'data.source="gtzan:{tiny_synth}"',
            'data.split="random"',
            "data.test_fraction=0.3",  # more test tracks: a steadier estimate than 10
            "data.clip_seconds=6.0",
            "data.chunk_seconds=1.5",
            "data.sample_rate=16000",
            'model.name="wavenet"',
            "model.params={channels=16, skip_channels=32, layers=8, stacks=1, dropout=0.0}",
            "train.epochs=20",
            "train.batch_size=16",
            "train.lr=1e-2",
            "train.weight_decay=1e-4",
            "train.patience=20",
            'train.device="cpu"',
            f'runs_dir="{tmp_path}"',
        ],
    )
    run = train(config, progress=False)
    metrics = json.loads((run / "metrics.json").read_text())
    record = json.loads((run / "run.json").read_text())
    assert record["family"] == "torch" and record["model"] == "wavenet" and record["input"] == "waveform"
    assert record["extra"]["sample_rate"] == WAVENET_SR
    assert metrics["test"]["n"] >= 20  # scored per track
    assert metrics["test"]["accuracy"] >= 0.3, metrics["test"]["accuracy"]

    # the saved run predicts what the trained network predicted
    predictor = get_family("torch").load(run)
    tracks = json.loads((run / "labels.json").read_text())
    assert predictor.labels == tracks
    proba = load_predictor(run).predict_file(next(tiny_synth.rglob("*.wav"))).probabilities
    assert proba.shape == (10,) and np.isclose(proba.sum(), 1.0)
