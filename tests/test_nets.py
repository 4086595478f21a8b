"""The torch networks: architecture known answers, and each one learning the synthetic genres on CPU."""

from __future__ import annotations

import json

import pytest
import torch

from fixtures import debug_config
from genrekit.errors import ConfigError
from genrekit.models.registry import get_model
from genrekit.models.resnet import ResNet, resnet
from genrekit.models.torch_family import resolve_params, train_torch

# Each network at a size that trains in seconds on a 2-core CPU: (model, input, params, extra overrides).
TINY = {
    "cnn-spec/mel": ("cnn-spec", "mel", "{size=[64,64], n_fft=1024, n_mels=64, width=16, blocks=3, dropout=0.1}", []),
    "resnet-spec/log": ("resnet-spec", "log", "{size=[64,64], n_fft=1024, n_bins=64, depth=18, width=8}", ["train.lr=3e-3"]),
    "cnn-mfcc/mfcc": ("cnn-mfcc", "mfcc", "{n_fft=1024, n_mels=40, width=16}", []),
    "lstm-mfcc/mfcc": ("lstm-mfcc", "mfcc", "{n_fft=1024, hop_length=1024, n_mels=40, hidden=32}", []),
}

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_resnet_has_torchvision_architecture():
    # parameter counts of torchvision's resnet18 / resnet34 (3-channel input, 1000 classes)
    assert sum(p.numel() for p in resnet(18, in_channels=3).parameters()) == 11_689_512
    assert sum(p.numel() for p in resnet(34, in_channels=3).parameters()) == 21_797_672
    names = set(ResNet((2, 2, 2, 2), width=8).state_dict())
    for name in ("conv1.weight", "bn1.running_mean", "layer1.0.conv2.weight", "layer2.0.downsample.0.weight",
                 "layer2.0.downsample.1.bias", "layer4.1.bn2.weight", "fc.weight", "fc.bias"):
        assert name in names


@pytest.mark.parametrize("case", sorted(TINY))
def test_networks_map_waveforms_to_logits(case):
    name, model_input, params, _ = TINY[case]
    from genrekit.config import parse_value

    model = get_model(name).build(num_classes=10, params=parse_value(params), input=model_input, sample_rate=22050)
    model.eval()
    with torch.no_grad():
        logits = model(torch.randn(3, 3 * 22050))
    assert logits.shape == (3, 10) and torch.isfinite(logits).all()
    # the front-end is part of the module: a saved state dict carries its learned parts only
    assert not any(k.endswith("filterbank") or k.endswith("window") for k in model.state_dict())


def test_pretrained_weights_need_the_standard_width_and_an_importable_torchvision():
    with pytest.raises(ConfigError, match="width=64"):  # refused before torchvision is even looked for
        get_model("resnet-spec").build(num_classes=10, params={"pretrained": True, "width": 8}, input="mel")
    try:
        import torchvision  # noqa: F401
    except (ImportError, RuntimeError, OSError):  # absent, or a CUDA build beside the CPU torch
        with pytest.raises(ConfigError, match="torchvision"):
            get_model("resnet-spec").build(num_classes=10, params={"pretrained": True}, input="mel")
    # loading a checkpoint never fetches weights: they come from the run folder
    model = get_model("resnet-spec").build(num_classes=10, params={"pretrained": True, "width": 8}, input="mel", init_weights=False)
    assert model.backbone.fc.out_features == 10


def test_imagenet_layout_weights_load_offline_into_a_one_channel_resnet():
    """The ImageNet path without a download: a state dict in torchvision's layout (a three-channel
    ResNet-18 with torchvision's names, built here) goes into a one-channel network."""
    from genrekit.models.resnet import ResNet, load_resnet_state

    torch.manual_seed(0)
    state = ResNet((2, 2, 2, 2), in_channels=3, num_classes=1000, width=64).state_dict()
    net = ResNet((2, 2, 2, 2), in_channels=1, num_classes=10, width=64).eval()
    fc = net.fc.weight.detach().clone()
    x = torch.randn(1, 1, 64, 64)
    before = net(x).detach()
    load_resnet_state(net, state)
    assert torch.equal(net.conv1.weight, state["conv1.weight"].sum(dim=1, keepdim=True))  # grey = R + G + B
    assert torch.equal(net.layer3[1].conv2.weight, state["layer3.1.conv2.weight"])
    assert torch.equal(net.layer2[0].downsample[0].weight, state["layer2.0.downsample.0.weight"])
    assert torch.equal(net.fc.weight, fc)  # the genre head stays as initialised
    assert not torch.allclose(net(x), before)
    with pytest.raises(ConfigError, match="do not fit"):
        load_resnet_state(ResNet((2, 2, 2, 2), in_channels=1, num_classes=10, width=32), state)


def test_unknown_params_are_refused_by_name():
    with pytest.raises(ConfigError, match="unknown model.params \\['widht'\\]"):
        resolve_params("cnn-spec", {"widht": 8})
    full = resolve_params("lstm-mfcc", {"hidden": 16})
    assert full["hidden"] == 16 and full["norm"] == "batch" and full["size"] is None and full["pool"] == "mean"


@pytest.mark.parametrize("case", sorted(TINY))
def test_network_learns_synthetic_genres(case, synth_index, tmp_path, record_property):
    name, model_input, params, extra = TINY[case]
    overrides = [f"model.name={name}", f"model.input={model_input}", f"model.params={params}", *extra]
    run = train_torch(debug_config(tmp_path, *overrides), index=synth_index, progress=False)

    metrics = json.loads((run / "metrics.json").read_text())
    test = metrics["test"]
    record_property("test_accuracy", test["accuracy"])
    print(f"{case}: test accuracy {test['accuracy']:.3f}, macro F1 {test['macro_f1']:.3f} on {test['n']} held-out tracks")
    assert test["n"] == 30  # per track, not per chunk
    assert test["accuracy"] >= 0.3  # chance is 0.1
    info = json.loads((run / "run.json").read_text())
    assert (info["family"], info["model"], info["input"], info["unit"]) == ("torch", name, model_input, "track")
    for artefact in ("model.safetensors", "model.json", "history.csv", "training_curves.png", "confusion.png", "tracks.csv"):
        assert (run / artefact).is_file(), artefact
