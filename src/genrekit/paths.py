"""Every default path genrekit uses, in one place, each overridable by an environment variable.

Functions rather than constants, so a changed environment (a test's ``monkeypatch``) is honoured.

========================  ======================================  ==========================
path                      default                                 override
========================  ======================================  ==========================
``home()``                the checkout (if run from one), else    ``GENREKIT_HOME``
                          ``~/.genrekit``
``data_dir()``            ``home()/data``                         ``GENREKIT_DATA``
``raw_dir()``             ``data_dir()/raw``
``interim_dir()``         ``data_dir()/interim``
``processed_dir()``       ``data_dir()/processed``
``feature_cache_dir()``   ``processed_dir()/features``            ``GENREKIT_CACHE``
``store_dir()``           ``processed_dir()`` (decoded audio and   ``GENREKIT_STORE``
                          spectrogram images of network runs)
``synthetic_dir()``       ``raw_dir()/synthetic``
``runs_dir()``            ``home()/models/runs``                  ``GENREKIT_RUNS``
``outputs_dir()``         ``home()/outputs`` (album reports)      ``GENREKIT_OUTPUTS``
``configs_dir()``         the checkout's ``configs/``, else        ``GENREKIT_CONFIGS``
                          ``home()/configs``
``pretrained_dir()``      ``$XDG_CACHE_HOME/genrekit/pretrained``  ``GENREKIT_PRETRAINED``
                          (``~/.cache/genrekit/pretrained``)
========================  ======================================  ==========================
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
# src/genrekit -> src -> checkout root; only trusted when the checkout's pyproject is there.
_CHECKOUT = _PACKAGE_DIR.parent.parent


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else None


def home() -> Path:
    """Root of all genrekit outputs."""
    env = _env_path("GENREKIT_HOME")
    if env is not None:
        return env
    if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "src" / "genrekit").is_dir():
        return _CHECKOUT
    return Path.home() / ".genrekit"


def data_dir() -> Path:
    return _env_path("GENREKIT_DATA") or home() / "data"


def raw_dir() -> Path:
    return data_dir() / "raw"


def interim_dir() -> Path:
    return data_dir() / "interim"


def processed_dir() -> Path:
    return data_dir() / "processed"


def feature_cache_dir() -> Path:
    return _env_path("GENREKIT_CACHE") or processed_dir() / "features"


def store_dir() -> Path:
    return _env_path("GENREKIT_STORE") or processed_dir()


def synthetic_dir() -> Path:
    return raw_dir() / "synthetic"


def runs_dir() -> Path:
    return _env_path("GENREKIT_RUNS") or home() / "models" / "runs"


def outputs_dir() -> Path:
    return _env_path("GENREKIT_OUTPUTS") or home() / "outputs"


def configs_dir() -> Path:
    """The experiment configs shipped with the checkout (``GENREKIT_CONFIGS`` overrides).

    They belong to the checkout, not to the outputs: ``GENREKIT_HOME`` moves the outputs but
    the shipped configs are still found in the checkout the package runs from.
    """
    env = _env_path("GENREKIT_CONFIGS")
    if env is not None:
        return env
    if (_CHECKOUT / "configs").is_dir():
        return _CHECKOUT / "configs"
    return home() / "configs"


def pretrained_dir() -> Path:
    """Weights of pretrained networks (musicnn), converted once and shared by every checkout.

    Not under :func:`home`: they are inputs, not outputs, and a test or a second checkout with
    its own ``GENREKIT_HOME`` should not fetch them again.
    """
    env = _env_path("GENREKIT_PRETRAINED")
    if env is not None:
        return env
    cache = _env_path("XDG_CACHE_HOME") or Path.home() / ".cache"
    return cache / "genrekit" / "pretrained"
