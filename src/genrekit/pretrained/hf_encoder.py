"""Frozen transformer encoders (DistilHuBERT, wav2vec 2.0, Whisper) as a feature kind: ``hf-encoder``.

The checkpoints genrekit fine-tunes in the ``hf`` family (:mod:`genrekit.models.hf`), used
frozen: DistilHuBERT (Chang et al., ICASSP 2022), wav2vec 2.0 (Baevski et al., NeurIPS 2020) and
Whisper's encoder (Radford et al., ICML 2023; the decoder is never run). ``features.checkpoint``
takes anything :func:`~genrekit.hub.resolve_checkpoint` does: a short name
(``distilhubert``, ``wav2vec2-base``, ``whisper-small``), a hub name, a local ``save_pretrained``
folder, or ``tiny-random:ARCH``. A row is a pooled embedding of ``hidden_size`` values:

* **layer** (``features.layer``): an index into the encoder's ``hidden_states``, which hold
  ``num_hidden_layers + 1`` entries: 0 is the input embeddings (the CNN features after projection
  and positional convolution for wav2vec 2.0 / HuBERT; the two convolutions plus positional
  embeddings for Whisper), -1 the last layer's output (after Whisper's final layer norm). None,
  the default, averages all ``num_hidden_layers + 1`` entries, the input embeddings included.
* **time**: the mean over the frames that correspond to real audio. wav2vec 2.0 / HuBERT windows
  are never padded (windows of one length share a forward pass; a shorter last window runs on
  its own), so every frame is real and no attention mask is needed (``wav2vec2-base`` was trained
  without one and its group-normalised CNN would see padding). Whisper's input is always padded
  to its 30 s, so only the first ``ceil(seconds * 50)`` of its 1,500 encoder frames are averaged.
* **windows**: a clip or chunk is cut into windows of the model's input length, Whisper's
  ``chunk_length`` (30 s) or :data:`WINDOW_SECONDS` (20 s) for wav2vec 2.0 / HuBERT, which take
  any length (20 s bounds the attention, quadratic in length; wav2vec 2.0 was pretrained on crops
  of at most 15.6 s); the row is the mean of the window embeddings. A last window shorter than
  :data:`MIN_SECONDS` is dropped unless it is the only one. Nothing is silently cut. (Whisper
  computes a full 30 s window for every shorter chunk: chunks of 3 s cost 10 times the clip.)

``features.device`` and ``features.batch_size`` (windows per forward pass) apply; on CUDA the
encoder runs under bf16 autocast when the GPU supports it. Weights are float32 and loaded once per
process and (checkpoint, device).
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import numpy as np

from genrekit.config import FeatureConfig
from genrekit.errors import AudioError, ConfigError
from genrekit.hub import KNOWN_CHECKPOINTS, TINY_RANDOM_PREFIX, hub_errors, resolve_checkpoint

#: Window length (s) for encoders without a fixed input length (wav2vec 2.0, HuBERT).
WINDOW_SECONDS = 20.0
#: Shortest clip or chunk embedded (s); a shorter last window of a longer signal is dropped.
MIN_SECONDS = 1.0
#: ``features.embedding`` values: hidden states averaged over time (None means the same).
EMBEDDINGS = ("mean",)
_SETTING = "features.checkpoint (--set features.checkpoint=PATH)"


def resolve(checkpoint: str | None) -> str:
    """The hub name or absolute local folder of ``features.checkpoint``.

    Raises
    ------
    ConfigError
        If none is given, or a local folder is missing or incomplete.
    """
    if checkpoint is None or not str(checkpoint).strip():
        raise ConfigError(
            "features.kind 'hf-encoder' needs features.checkpoint: a short name "
            f"({', '.join(KNOWN_CHECKPOINTS)}), a hub name, a local save_pretrained folder, or "
            f"'{TINY_RANDOM_PREFIX}ARCH' (random weights, for smoke runs)"
        )
    return resolve_checkpoint(checkpoint, setting="features.checkpoint")


@dataclass(frozen=True)
class EncoderSpec:
    """What the configs of a checkpoint say, read without loading weights."""

    checkpoint: str
    whisper: bool
    hidden_size: int
    num_layers: int  # transformer layers: hidden_states holds num_layers + 1 entries
    sample_rate: int
    window_seconds: float


_SPECS: dict[str, EncoderSpec] = {}


def spec(checkpoint: str) -> EncoderSpec:
    """The :class:`EncoderSpec` of a resolved checkpoint (config and feature extractor only)."""
    if checkpoint not in _SPECS:
        from transformers import AutoConfig, AutoFeatureExtractor, Wav2Vec2FeatureExtractor

        with hub_errors(checkpoint, what="config", setting=_SETTING):
            config = AutoConfig.from_pretrained(checkpoint)
        with hub_errors(checkpoint, what="feature extractor", setting=_SETTING):
            extractor = AutoFeatureExtractor.from_pretrained(checkpoint)
        whisper = config.model_type == "whisper"
        if whisper:
            window = float(extractor.n_samples / extractor.sampling_rate)
        elif isinstance(extractor, Wav2Vec2FeatureExtractor):
            window = WINDOW_SECONDS
        else:
            raise ConfigError(
                f"{checkpoint}: a {config.model_type} model with a {type(extractor).__name__}; features.kind "
                "'hf-encoder' takes waveform encoders (wav2vec 2.0, HuBERT) and Whisper"
            )
        # WhisperConfig maps hidden_size -> d_model and num_hidden_layers -> encoder_layers
        _SPECS[checkpoint] = EncoderSpec(checkpoint, whisper, int(config.hidden_size), int(config.num_hidden_layers),
                                         int(extractor.sampling_rate), window)
    return _SPECS[checkpoint]


class FrozenEncoder:
    """A pretrained audio encoder and its feature extractor: pooled embeddings of 16 kHz windows.

    Parameters
    ----------
    checkpoint : str
        A resolved checkpoint (see :func:`resolve`).
    device : str
        'auto' (CUDA when present), 'cpu', 'cuda' or 'cuda:N'.
    """

    def __init__(self, checkpoint: str, *, device: str = "auto"):
        import torch
        from transformers import AutoFeatureExtractor, AutoModel
        from transformers.utils import logging as hf_logging

        # imports torch only when needed
        from genrekit.devices import resolve_device

        self.spec = spec(checkpoint)
        self.device = resolve_device(device)
        with hub_errors(checkpoint, what="feature extractor", setting=_SETTING):
            self.feature_extractor = AutoFeatureExtractor.from_pretrained(checkpoint)
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # one "Loading weights" bar per process is noise in batch jobs
        try:
            with hub_errors(checkpoint, what="model", setting=_SETTING):
                # transformers 5 loads in the checkpoint's dtype by default: ask for float32
                model, loading = AutoModel.from_pretrained(checkpoint, dtype=torch.float32, output_loading_info=True)
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        missing = [k for k in loading.get("missing_keys", []) if not k.startswith("decoder.")]
        if missing:
            import warnings

            warnings.warn(f"{checkpoint}: {len(missing)} encoder weights were not in the checkpoint and are random "
                          f"(e.g. {sorted(missing)[:3]})", stacklevel=2)
        # Whisper: keep the encoder only (WhisperModel.get_encoder; the decoder is freed with `model`).
        # Not for the others: transformers 5 gives every model a get_encoder, which for HuBERT and
        # wav2vec 2.0 returns the transformer stack without the CNN feature encoder.
        self.model = (model.get_encoder() if self.spec.whisper else model).to(self.device).eval()

    @property
    def dim(self) -> int:
        return self.spec.hidden_size

    def windows(self, y: np.ndarray) -> list[np.ndarray]:
        """``y`` cut into windows of the input length; a last one under :data:`MIN_SECONDS` is dropped
        unless it is the only one."""
        sr, size = self.spec.sample_rate, int(round(self.spec.window_seconds * self.spec.sample_rate))
        if len(y) < MIN_SECONDS * sr:
            raise AudioError(None, f"too short for the hf-encoder features: {len(y) / sr:.2f} s is less than {MIN_SECONDS:g} s")
        out = [y[i : i + size] for i in range(0, len(y), size)]
        if len(out) > 1 and len(out[-1]) < MIN_SECONDS * sr:
            out = out[:-1]
        return out

    def embed_windows(self, windows: list[np.ndarray], *, layer: int | None, batch_size: int = 8) -> np.ndarray:
        """Pooled embeddings (n_windows, hidden_size) of windows no longer than the input length.

        Parameters
        ----------
        windows : list of np.ndarray [shape=(n,), float]
            Mono signals at the feature extractor's rate (16 kHz).
        layer : int or None
            Index into ``hidden_states`` (negative from the end), or None for the mean of all of them.
        batch_size : int
            Windows per forward pass.
        """
        import torch

        check_layer(layer, self.spec)
        if batch_size < 1:
            raise ConfigError(f"features.batch_size must be at least 1, got {batch_size}")
        # wav2vec 2.0 / HuBERT: only windows of one length share a batch, so nothing is padded
        groups: dict[int, list[int]] = {}
        for i, w in enumerate(windows):
            groups.setdefault(0 if self.spec.whisper else len(w), []).append(i)
        out = np.zeros((len(windows), self.dim), dtype=np.float64)
        with torch.inference_mode(), self._autocast():
            for members in groups.values():
                for start in range(0, len(members), batch_size):
                    index = members[start : start + batch_size]
                    out[index] = self._forward([np.asarray(windows[i], dtype=np.float32) for i in index], layer)
        return out

    def _forward(self, batch: list[np.ndarray], layer: int | None) -> np.ndarray:
        import torch

        # front-end: the checkpoint's feature extractor (waveform normalisation, or Whisper's log-mel padded to 30 s)
        sr = self.spec.sample_rate
        if self.spec.whisper:
            inputs = self.feature_extractor(batch, sampling_rate=sr, return_tensors="pt", device=str(self.device))
            inputs = {"input_features": inputs["input_features"].to(self.device)}
        else:
            inputs = self.feature_extractor(batch, sampling_rate=sr, return_tensors="pt")
            inputs = {k: v.to(self.device) for k, v in inputs.items()}
        # encoder
        hidden = self.model(**inputs, output_hidden_states=True).hidden_states
        # pooling: the frames of real audio (Whisper: 50 per second of the window), then layers
        frames = hidden[0].shape[1]
        if self.spec.whisper:
            n_samples = self.feature_extractor.n_samples
            real = [min(frames, max(1, math.ceil(len(w) * frames / n_samples))) for w in batch]
        else:
            real = [frames] * len(batch)
        weights = torch.zeros(len(batch), frames, device=self.device)
        for row, n in enumerate(real):
            weights[row, :n] = 1.0 / n
        chosen = hidden if layer is None else (hidden[layer],)
        pooled = torch.stack([torch.einsum("bth,bt->bh", h.float(), weights) for h in chosen]).mean(dim=0)
        return pooled.cpu().numpy().astype(np.float64)

    def embed_signal(self, y: np.ndarray, *, layer: int | None, batch_size: int = 8) -> np.ndarray:
        """The mean of the pooled embeddings of ``y``'s windows. (hidden_size,)"""
        return self.embed_windows(self.windows(y), layer=layer, batch_size=batch_size).mean(axis=0)

    def _autocast(self):
        import torch

        if self.device.type == "cuda" and torch.cuda.is_bf16_supported():
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()


def check_layer(layer: int | None, encoder: EncoderSpec) -> None:
    """Raise :class:`ConfigError` unless ``layer`` is None or an index into the encoder's hidden states."""
    if layer is None:
        return
    count = encoder.num_layers + 1
    if isinstance(layer, bool) or not isinstance(layer, int) or not -count <= layer < count:
        raise ConfigError(f"features.layer must be None or an integer from {-count} to {count - 1} for "
                          f"{encoder.checkpoint} ({count} hidden states: the input embeddings and "
                          f"{encoder.num_layers} layers), got {layer!r}")


_MODELS: dict = {}


def load(cfg: FeatureConfig) -> FrozenEncoder:
    """One :class:`FrozenEncoder` per process and (checkpoint, device)."""
    key = (resolve(cfg.checkpoint), cfg.device)
    if key not in _MODELS:
        _MODELS[key] = FrozenEncoder(key[0], device=cfg.device)
    return _MODELS[key]


# ---------------------------------------------------------------------- feature-kind backend


def check(cfg: FeatureConfig) -> None:
    if cfg.embedding not in (None, *EMBEDDINGS):
        raise ConfigError(f"features.embedding {cfg.embedding!r} is not one of hf-encoder's: 'mean' (the default)")
    if cfg.layer is not None and (isinstance(cfg.layer, bool) or not isinstance(cfg.layer, int)):
        raise ConfigError(f"features.layer must be None or an integer, got {cfg.layer!r}")
    if cfg.batch_size < 1:
        raise ConfigError(f"features.batch_size must be at least 1, got {cfg.batch_size}")
    resolve(cfg.checkpoint)


def sample_rate(cfg: FeatureConfig) -> int:
    return spec(resolve(cfg.checkpoint)).sample_rate


def min_seconds(cfg: FeatureConfig) -> float:
    return MIN_SECONDS


def version(cfg: FeatureConfig) -> str:
    return "hf-encoder-1"


def cache_settings(cfg: FeatureConfig) -> dict:
    """What the values depend on (not the device or batch size)."""
    return {"kind": cfg.kind, "checkpoint": resolve(cfg.checkpoint), "layer": cfg.layer, "embedding": "mean"}


def feature_names(cfg: FeatureConfig) -> list[str]:
    encoder = spec(resolve(cfg.checkpoint))
    check_layer(cfg.layer, encoder)
    return [f"hf_{i:04d}" for i in range(encoder.hidden_size)]


def warm_up(cfg: FeatureConfig) -> None:
    load(cfg)


def embed(y: np.ndarray, spans: list[tuple[int, int]], cfg: FeatureConfig) -> np.ndarray:
    """One row per span ``(start, stop)`` of ``y`` (16 kHz): the mean pooled embedding of its windows.

    Returns
    -------
    np.ndarray [shape=(len(spans), hidden_size), float64]
    """
    encoder = load(cfg)
    check_layer(cfg.layer, encoder.spec)
    # every span's windows in one pass, so chunks of one length share forward passes
    windows = [encoder.windows(y[a:b]) for a, b in spans]
    values = encoder.embed_windows([w for ws in windows for w in ws], layer=cfg.layer, batch_size=cfg.batch_size)
    bounds = np.cumsum([0] + [len(ws) for ws in windows])
    return np.stack([values[a:b].mean(axis=0) for a, b in zip(bounds[:-1], bounds[1:])])
