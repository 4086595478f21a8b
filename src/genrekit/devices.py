"""Which torch device a setting names: one rule for training, the pretrained networks and the app."""

from __future__ import annotations

import torch

from genrekit.errors import ConfigError


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' picks CUDA when present, else CPU; 'cuda:N' and 'cpu' are taken as given.

    Raises
    ------
    ConfigError
        An unknown device name, or CUDA asked for where torch sees none.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"unknown device {name!r}; use 'auto', 'cpu', 'cuda' or 'cuda:N'") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {name!r} asked for, but this torch build sees no CUDA device")
    return device
