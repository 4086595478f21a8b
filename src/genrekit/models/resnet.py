"""ResNet-18/34 on one-channel spectrogram images.

The architecture is written out here rather than taken from torchvision: the torchvision wheel
on PyPI is built for CUDA and fails on import (``operator torchvision::nms does not exist``) beside
the CPU torch the project pins, and no CPU build of it is on PyPI. Module and parameter names follow ``torchvision.models.resnet`` (``conv1``, ``bn1``,
``layer1.0.conv1``, ``layer2.0.downsample.0``, ``fc``, ...), so ImageNet weights load straight
into :class:`ResNet` when torchvision is available (:func:`load_imagenet_weights`).
"""

from __future__ import annotations

import torch
from torch import nn

from genrekit.errors import ConfigError
from genrekit.features.spectrogram import SpectrogramFrontEnd

#: Blocks per stage for each supported depth.
DEPTHS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3)}


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with an identity (or 1x1 projection) shortcut (He et al. 2016)."""

    expansion = 1

    def __init__(self, c_in: int, c_out: int, *, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(c_out, c_out, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """Residual network (He, Zhang, Ren & Sun 2016, "Deep residual learning for image recognition").

    torchvision's ResNet with BasicBlocks, the same module names, and two additions: any number of
    input channels and a base ``width`` (64 in the paper; smaller for quick CPU runs, which rules
    out ImageNet weights).

    Parameters
    ----------
    layers : tuple of int
        Blocks per stage: (2, 2, 2, 2) is ResNet-18, (3, 4, 6, 3) ResNet-34.
    in_channels : int
    num_classes : int
    width : int
        Channels of the stem and first stage; stages double it.
    """

    def __init__(self, layers: tuple[int, ...] = (2, 2, 2, 2), *, in_channels: int = 1, num_classes: int = 1000, width: int = 64):
        super().__init__()
        self.inplanes = width
        self.conv1 = nn.Conv2d(in_channels, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(width, layers[0])
        self.layer2 = self._make_layer(width * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(width * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(width * 8, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width * 8, num_classes)
        # torchvision's initialisation
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def _make_layer(self, planes: int, blocks: int, *, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes, kernel_size=1, stride=stride, bias=False), nn.BatchNorm2d(planes)
            )
        modules = [BasicBlock(self.inplanes, planes, stride=stride, downsample=downsample)]
        self.inplanes = planes
        modules += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*modules)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, in_channels, H, W) -> (batch, 8 * width) pooled features."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.forward_features(x))


def resnet(depth: int = 18, *, in_channels: int = 1, num_classes: int = 1000, width: int = 64) -> ResNet:
    """ResNet-18 or ResNet-34."""
    if depth not in DEPTHS:
        raise ConfigError(f"ResNet depth must be one of {sorted(DEPTHS)}, got {depth}")
    return ResNet(DEPTHS[depth], in_channels=in_channels, num_classes=num_classes, width=width)


def load_imagenet_weights(net: ResNet, *, depth: int) -> ResNet:
    """Copy torchvision's ImageNet weights into ``net`` (all but ``fc``), in place.

    The RGB stem filters are summed over colour to fit a one-channel input. Needs torchvision
    (and, the first time, a download of the weights into torch's hub cache).

    Raises
    ------
    ConfigError
        If torchvision is not importable, or ``net`` is not at the standard width of 64.
    """
    if net.conv1.out_channels != 64:
        raise ConfigError(f"ImageNet weights need width=64, this ResNet has width={net.conv1.out_channels}")
    try:
        import torchvision
    except (ImportError, RuntimeError, OSError) as exc:  # a CUDA torchvision beside a CPU torch fails at import
        raise ConfigError(
            f"pretrained ResNet weights come from torchvision, which cannot be imported here ({type(exc).__name__}); "
            "install the torchvision build matching your torch, or train with pretrained=false"
        ) from None
    builder = {18: torchvision.models.resnet18, 34: torchvision.models.resnet34}[depth]
    return load_resnet_state(net, builder(weights="IMAGENET1K_V1").state_dict())


def load_resnet_state(net: ResNet, state: dict) -> ResNet:
    """Copy a state dict in torchvision's ResNet layout (e.g. ImageNet weights) into ``net``, in place.

    Everything but ``fc`` is copied; the stem's RGB filters are summed over colour and spread over
    ``net``'s input channels, so a one-channel spectrogram sees the same response as a grey image.

    Raises
    ------
    ConfigError
        If the tensors do not fit ``net`` (another depth or width).
    """
    state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    stem = state["conv1.weight"]  # (64, 3, 7, 7)
    c_in = net.conv1.in_channels
    state["conv1.weight"] = stem.sum(dim=1, keepdim=True).repeat(1, c_in, 1, 1) / c_in
    try:
        missing, unexpected = net.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # a tensor of another shape
        raise ConfigError(f"the ResNet weights do not fit this network: {str(exc).splitlines()[-1].strip()}") from None
    if unexpected or set(missing) - {"fc.weight", "fc.bias"}:
        raise ConfigError(f"the ResNet weights do not fit: missing {missing}, unexpected {unexpected}")
    return net


class ResNetSpec(nn.Module):
    """ResNet-18/34 (He et al. 2016) on one-channel spectrogram images.

    The image-classification workhorse applied to mel, log-frequency or linear spectrograms, with
    the classifier replaced for genres. The backbone is :class:`ResNet` under ``backbone.``, with
    torchvision's parameter names.

    Parameters
    ----------
    frontend : SpectrogramFrontEnd
    num_classes : int
    depth : {18, 34}
    width : int
        64 is the standard network (and the only width ImageNet weights fit).
    dropout : float
        Dropout before the classifier.
    """

    def __init__(self, frontend: SpectrogramFrontEnd, *, num_classes: int, depth: int = 18, width: int = 64, dropout: float = 0.0):
        super().__init__()
        self.frontend = frontend
        self.depth = depth
        self.backbone = resnet(depth, in_channels=1, num_classes=num_classes, width=width)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, samples) waveforms, or cached (batch, 1, rows, columns) images -> (batch, num_classes) logits."""
        # front-end: waveform -> normalised (batch, 1, rows, columns) spectrogram
        x = self.frontend(x)
        # convolutions: stem, four residual stages, global average pooling
        x = self.backbone.forward_features(x)
        # classifier
        return self.backbone.fc(self.dropout(x))
