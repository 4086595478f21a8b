"""Fine-tuning pretrained audio transformers (DistilHuBERT, Wav2vec2, Whisper) through Hugging Face.

The ``hf`` family loads a checkpoint named by ``model.checkpoint`` (hub name, short alias or local
``save_pretrained`` folder, see :mod:`genrekit.hub`) with ``AutoModelForAudioClassification``
(``WhisperForAudioClassification`` for Whisper encoders) and its ``AutoFeatureExtractor``, wraps
both in :class:`HFAudioClassifier` (waveform in, logits out) and trains that with the common
loop of :mod:`genrekit.trainer`. The result is a ``save_pretrained`` folder (model + feature
extractor, label map in the model config) inside the run folder, loadable by
``transformers.pipeline("audio-classification", model=<run>/hf_model)``.

Tracks are classified by windows of the model's input length (Whisper: its fixed 30 s; others:
``model.params.window_seconds``, else ``data.chunk_seconds``, else 10 s) whose probabilities are
averaged. Audio is read at the feature extractor's rate (16 kHz for all four published models).
"""

from __future__ import annotations

import contextlib
import copy
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from genrekit.checkpoint import LoadedNetwork
from genrekit.config import ExperimentConfig
from genrekit.data.audio import chunk_clip, prepare_array
from genrekit.errors import ConfigError, RunError
from genrekit.hub import hub_errors, resolve_checkpoint
from genrekit.models.registry import Family, ModelSpec, get_model, register_family, register_model
from genrekit.network_runs import NetworkSetup, train_network
from genrekit.runs import read_descriptor, write_descriptor

#: Sub-folder of a run folder holding the fine-tuned ``save_pretrained`` model and feature extractor.
HF_MODEL_DIR = "hf_model"

#: Window length (s) for encoders without a fixed input length.
DEFAULT_WINDOW_SECONDS = 10.0

#: ``model.params`` of the hf family and their defaults.
DEFAULT_PARAMS = {
    "window_seconds": None,  # None: Whisper's fixed window, else DEFAULT_WINDOW_SECONDS
    "freeze_feature_encoder": True,  # the convolutional waveform encoder (Whisper: its two input convolutions)
    "freeze_encoder": False,  # the whole pretrained body: only the projector and classifier train
    "gradient_checkpointing": False,  # recompute activations in the backward pass (GPU memory for time)
    "hf_config": {},  # extra config overrides for from_pretrained, e.g. {layerdrop = 0.0, mask_time_prob = 0.05}
}


def _is_whisper(feature_extractor) -> bool:
    from transformers import WhisperFeatureExtractor

    return isinstance(feature_extractor, WhisperFeatureExtractor)


def fixed_window_seconds(feature_extractor) -> float | None:
    """The input length an encoder requires (Whisper: ``chunk_length``, 30 s), or None if any length works."""
    if _is_whisper(feature_extractor):
        return feature_extractor.n_samples / feature_extractor.sampling_rate
    return None


def _unit_variance(x: torch.Tensor) -> torch.Tensor:
    """``zero_mean_unit_var_norm`` of the transformers feature extractors on unpadded ``(batch, samples)`` input."""
    mean = x.mean(dim=-1, keepdim=True)
    var = x.var(dim=-1, unbiased=False, keepdim=True)
    return (x - mean) / torch.sqrt(var + 1e-7)


def whisper_log_mel(waveform: torch.Tensor, feature_extractor, *, filters: torch.Tensor | None = None) -> torch.Tensor:
    """Whisper's input features, as ``WhisperFeatureExtractor`` computes them, on the waveform's device.

    Parameters
    ----------
    waveform : torch.Tensor [shape=(batch, samples)]
        Audio at the extractor's rate; padded with zeros or cut to its ``n_samples`` (30 s).
    feature_extractor : transformers.WhisperFeatureExtractor
    filters : torch.Tensor [shape=(1 + n_fft // 2, n_mels)], optional
        The extractor's ``mel_filters`` already on the device (copied there per call otherwise).

    Returns
    -------
    features : torch.Tensor [shape=(batch, n_mels, n_samples // hop_length), dtype=float32]
        Log10 mel power, floored 8 below each example's maximum, scaled as ``(x + 4) / 4``.
    """
    fe = feature_extractor
    x = waveform.float()
    if x.shape[-1] != fe.n_samples:  # the extractor's padding='max_length' and truncation
        x = F.pad(x, (0, fe.n_samples - x.shape[-1])) if x.shape[-1] < fe.n_samples else x[..., : fe.n_samples]
    if fe.dither:
        x = x + fe.dither * torch.randn_like(x)
    window = torch.hann_window(fe.n_fft, device=x.device)
    stft = torch.stft(x, fe.n_fft, fe.hop_length, window=window, return_complex=True)
    power = (stft[..., :-1].abs() ** 2).contiguous()
    if filters is None:
        filters = torch.as_tensor(fe.mel_filters, dtype=torch.float32, device=x.device)
    log_spec = torch.clamp(filters.T @ power, min=1e-10).log10()
    floor = log_spec.amax(dim=(1, 2), keepdim=True) - 8.0
    return (torch.maximum(log_spec, floor) + 4.0) / 4.0


class HFAudioClassifier(nn.Module):
    """A pretrained audio transformer and its feature extractor as one ``waveform -> logits`` module.

    Wraps ``AutoModelForAudioClassification`` models: DistilHuBERT (Chang et al. 2022), wav2vec 2.0
    (Baevski et al. 2020) and Whisper's encoder (Radford et al. 2022). The checkpoint's own
    feature extractor is the front-end, applied inside :meth:`forward` exactly as
    ``pipeline("audio-classification")`` applies it, so training and inference cannot diverge.

    Parameters
    ----------
    model : transformers.PreTrainedModel
        An audio-classification model whose config carries ``id2label``/``label2id``.
    feature_extractor : transformers.SequenceFeatureExtractor
        Wav2Vec2FeatureExtractor (waveform normalisation) or WhisperFeatureExtractor (log-mel).
    window_seconds : float
        Length of the windows tracks are cut into (fixed at 30 s for Whisper).
    """

    def __init__(self, model, feature_extractor, *, window_seconds: float | None = None):
        super().__init__()
        self.model = model
        self.feature_extractor = feature_extractor
        self.sample_rate = int(feature_extractor.sampling_rate)
        fixed = fixed_window_seconds(feature_extractor)
        if fixed is not None and window_seconds is not None and abs(window_seconds - fixed) > 1e-6:
            raise ConfigError(
                f"Whisper encoders take fixed {fixed:g} s windows; remove model.params.window_seconds "
                f"(got {window_seconds:g})"
            )
        self.window_seconds = float(fixed or window_seconds or DEFAULT_WINDOW_SECONDS)
        if self.window_seconds <= 0:
            raise ConfigError(f"model.params.window_seconds must be positive, got {self.window_seconds}")
        # Whisper's mel filters move to the training device with the model (not saved: the extractor has them)
        mel = torch.as_tensor(feature_extractor.mel_filters, dtype=torch.float32) if fixed is not None else None
        self.register_buffer("mel_filters", mel, persistent=False)

    @property
    def labels(self) -> list[str]:
        """Class names in class-id order, from the model config's ``id2label``."""
        id2label = self.model.config.id2label
        return [id2label[i] for i in range(self.model.config.num_labels)]

    def frontend(self, waveform: torch.Tensor) -> dict[str, torch.Tensor]:
        """The model's keyword inputs for a ``(batch, samples)`` waveform at :attr:`sample_rate`.

        wav2vec 2.0 / HuBERT normalisation and Whisper's log-mel run as torch ops on the
        waveform's device (no host round trip per batch), with the feature extractor's arithmetic
        (equal within float32 rounding, ``tests/test_hf.py``); other extractors are called as they are.
        """
        from transformers import Wav2Vec2FeatureExtractor

        fe = self.feature_extractor
        if isinstance(fe, Wav2Vec2FeatureExtractor) and not fe.return_attention_mask:
            x = waveform.float()
            return {"input_values": _unit_variance(x) if fe.do_normalize else x}
        if _is_whisper(fe):
            return {"input_features": whisper_log_mel(waveform, fe, filters=self.mel_filters)}
        arrays = list(waveform.detach().float().cpu().numpy())
        inputs = fe(arrays, sampling_rate=self.sample_rate, return_tensors="pt")
        return {k: v.to(waveform.device) for k, v in inputs.items()}

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` audio at :attr:`sample_rate` -> ``(batch, num_labels)`` logits."""
        if waveform.ndim != 2:
            raise ValueError(f"expected a (batch, samples) waveform, got shape {tuple(waveform.shape)}")
        # front-end: the checkpoint's feature extractor (normalisation or log-mel)
        inputs = self.frontend(waveform)
        # pretrained encoder, pooling and classification head
        return self.model(**inputs).logits

    def save_pretrained(self, folder: str | Path) -> Path:
        """Write model and feature extractor with ``save_pretrained`` (safetensors) into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(folder)
        self.feature_extractor.save_pretrained(folder)
        return folder


# ---------------------------------------------------------------------- building


def _check_params(params: dict | None) -> dict:
    params = dict(params or {})
    unknown = sorted(set(params) - set(DEFAULT_PARAMS))
    if unknown:
        raise ConfigError(f"hf: unknown model.params {unknown}; known: {', '.join(sorted(DEFAULT_PARAMS))}")
    merged = {**copy.deepcopy(DEFAULT_PARAMS), **params}
    if not isinstance(merged["hf_config"], dict):
        raise ConfigError("hf: model.params.hf_config must be a table of transformers config overrides")
    return merged


def load_pretrained(checkpoint: str, *, labels: list[str] | None = None, hf_config: dict | None = None):
    """Load a checkpoint's audio-classification model and feature extractor.

    Parameters
    ----------
    checkpoint : str
        Hub name, alias or local folder (see :func:`~genrekit.hub.resolve_checkpoint`).
    labels : list of str, optional
        Class names for a new classification head (label2id/id2label go into the config). None
        keeps the checkpoint's head and labels (loading a fine-tuned model).
    hf_config : dict, optional
        Config overrides passed to ``from_pretrained``.

    Returns
    -------
    model : transformers.PreTrainedModel
        In float32 (mixed precision is applied by autocast while training).
    feature_extractor : transformers.SequenceFeatureExtractor

    Raises
    ------
    ConfigError
        If the checkpoint cannot be found or downloaded (with what to do about it).
    """
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    source = resolve_checkpoint(checkpoint)
    kwargs = dict(hf_config or {})
    if labels is not None:
        if len(labels) < 2:
            raise ConfigError(f"hf: need at least 2 genres to classify, got {labels}")
        kwargs.update(
            num_labels=len(labels),
            label2id={label: i for i, label in enumerate(labels)},
            id2label={i: label for i, label in enumerate(labels)},
            # a fine-tuned checkpoint with another label count gets a fresh head
            ignore_mismatched_sizes=True,
        )
    with hub_errors(source, what="feature extractor"):
        feature_extractor = AutoFeatureExtractor.from_pretrained(source)
    with hub_errors(source, what="model"), _quiet_transformers():
        # transformers' load report lists every decoder weight of a Whisper checkpoint as unused and
        # the new head as missing, both expected here; only surprises are reported (below)
        model, loading = AutoModelForAudioClassification.from_pretrained(
            source, dtype=torch.float32, output_loading_info=True, **kwargs
        )
    missing = [k for k in loading.get("missing_keys", []) if not k.startswith(_HEAD_PREFIXES)]
    if missing:
        warnings.warn(
            f"{source}: {len(missing)} weights of the pretrained body were not in the checkpoint and start "
            f"random (e.g. {sorted(missing)[:3]}); is it an audio encoder of the same architecture?",
            stacklevel=2,
        )
    return model, feature_extractor


# Parameters of the classification heads AutoModelForAudioClassification adds to a pretrained body.
_HEAD_PREFIXES = ("projector.", "classifier.", "layer_weights")


@contextlib.contextmanager
def _quiet_transformers():
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)


def configure_training(model, *, freeze_feature_encoder: bool, freeze_encoder: bool, gradient_checkpointing: bool) -> None:
    """Apply the hf family's freezing and checkpointing options to a model in place."""
    if freeze_encoder:
        if hasattr(model, "freeze_encoder"):  # WhisperForAudioClassification
            model.freeze_encoder()
        elif hasattr(model, "freeze_base_model"):
            model.freeze_base_model()
        else:
            raise ConfigError(f"hf: {type(model).__name__} cannot freeze its encoder")
    if freeze_feature_encoder:
        if hasattr(model, "freeze_feature_encoder"):
            model.freeze_feature_encoder()
        elif hasattr(model, "encoder") and hasattr(model.encoder, "conv1"):
            # Whisper's counterpart of the CNN feature encoder: the two convolutions over the log-mel
            for conv in (model.encoder.conv1, model.encoder.conv2):
                conv.requires_grad_(False)
    if gradient_checkpointing:
        if not getattr(model, "supports_gradient_checkpointing", False):
            raise ConfigError(f"hf: {type(model).__name__} does not support gradient checkpointing")
        enable = getattr(model, "activation_checkpointing_enable", None)  # transformers >= 5 name
        if enable is not None:
            enable(activation_checkpointing_kwargs={"use_reentrant": False})
        else:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})


def build_hf(
    *,
    num_classes: int | None = None,
    params: dict | None = None,
    labels: list[str] | None = None,
    checkpoint: str | None = None,
    **_family_specific,
) -> HFAudioClassifier:
    """Build the fine-tunable :class:`HFAudioClassifier` for ``model.checkpoint`` (the registry's builder).

    Parameters
    ----------
    num_classes : int, optional
        Checked against ``labels``.
    params : dict
        ``model.params`` (see :data:`DEFAULT_PARAMS`).
    labels : list of str
        Genre names, index = class id.
    checkpoint : str
        ``model.checkpoint``.
    """
    params = _check_params(params)
    if labels is None:
        raise ConfigError("hf: the builder needs the label list (labels=...)")
    if num_classes is not None and num_classes != len(labels):
        raise ConfigError(f"hf: num_classes={num_classes} but {len(labels)} labels given")
    model, feature_extractor = load_pretrained(checkpoint, labels=labels, hf_config=params["hf_config"])
    configure_training(
        model,
        freeze_feature_encoder=bool(params["freeze_feature_encoder"]),
        freeze_encoder=bool(params["freeze_encoder"]),
        gradient_checkpointing=bool(params["gradient_checkpointing"]),
    )
    return HFAudioClassifier(model, feature_extractor, window_seconds=params["window_seconds"])


# ---------------------------------------------------------------------- training runs

#: Description of the fine-tuned model next to the run record (window, hop, rates, origin).
HF_INFO_FILE = "hf.json"

#: Descriptor kind of ``hf.json`` (format ``genrekit-hf/<version>``).
DESCRIPTOR_KIND = "hf"


@dataclass(frozen=True)
class HFModelInfo:
    """Contents of ``hf.json``: how to feed the saved model and where it came from."""

    checkpoint: str  # model.checkpoint as given (hub name, alias or folder)
    source: str  # what it resolved to
    model_type: str  # 'hubert', 'wav2vec2', 'whisper', ...
    labels: list[str]
    sample_rate: int
    window_seconds: float
    clip_seconds: float | None = None
    model_dir: str = HF_MODEL_DIR
    hop_seconds: float | None = None  # data.hop_seconds of training: windows start this far apart (None: no overlap)


def window_for(config: ExperimentConfig, feature_extractor) -> float:
    """Window length (s) of a run: Whisper's fixed input length, else ``model.params.window_seconds``,
    else ``data.chunk_seconds``, else :data:`DEFAULT_WINDOW_SECONDS`."""
    fixed = fixed_window_seconds(feature_extractor)
    asked = config.model.params.get("window_seconds")
    chunk = config.data.chunk_seconds
    if fixed is not None:
        for name, value in (("model.params.window_seconds", asked), ("data.chunk_seconds", chunk)):
            if value is not None and abs(float(value) - fixed) > 1e-6:
                raise ConfigError(
                    f"Whisper encoders take fixed {fixed:g} s windows, but {name} = {value}; unset it or set {fixed:g}"
                )
        return fixed
    return float(asked or chunk or DEFAULT_WINDOW_SECONDS)


def train_hf(
    config: ExperimentConfig,
    *,
    progress: bool = True,
    index=None,
    run_dir: str | Path | None = None,
    resume: bool = False,
    extra: dict | None = None,
    on_epoch_end: Callable[[dict], None] | None = None,
) -> Path:
    """Fine-tune ``model.checkpoint`` on ``config.data`` and write a run folder (the hf family's trainer).

    Tracks are cut into windows (see :func:`window_for`) every ``data.hop_seconds`` at the feature
    extractor's sample rate; :func:`genrekit.network_runs.train_network` runs the rest as for every
    network (:func:`genrekit.trainer.fit`: AdamW, warm-up and cosine decay, gradient accumulation
    ``train.grad_accum``, bf16 autocast on CUDA, early stopping on validation macro F1 per track).

    ``model.name = "hf"``, ``model.checkpoint`` and ``model.params`` (see :data:`DEFAULT_PARAMS`)
    say what is fine-tuned; the other arguments are :func:`~genrekit.network_runs.train_network`'s.
    The folder holds ``hf_model/`` (``save_pretrained``: model with label map + feature extractor)
    and ``hf.json`` besides what every network run writes. The loop's resumable state (full weights
    and optimizer moments, gigabytes for Whisper medium) is removed after a finished run; an
    interrupted run resumes like any network run.
    """
    params = _check_params(config.model.params)
    source = resolve_checkpoint(config.model.checkpoint)  # fail fast, before any audio is read

    def setup(config: ExperimentConfig, labels: list[str]) -> NetworkSetup:
        spec = get_model(config.model.name)
        model = spec.build(num_classes=len(labels), params=config.model.params, labels=labels, checkpoint=source)
        window = window_for(config, model.feature_extractor)
        model.window_seconds = window
        model_type = model.model.config.model_type

        def save(run_dir: Path, trained: nn.Module) -> None:
            trained.save_pretrained(run_dir / HF_MODEL_DIR)
            info = HFModelInfo(
                checkpoint=str(config.model.checkpoint), source=source, model_type=model_type, labels=labels,
                sample_rate=trained.sample_rate, window_seconds=window, clip_seconds=config.data.clip_seconds,
                hop_seconds=config.data.hop_seconds,
            )
            write_descriptor(run_dir / HF_INFO_FILE, DESCRIPTOR_KIND, asdict(info))

        short = Path(source).name if Path(source).is_dir() else source.split("/")[-1]
        return NetworkSetup(
            model=model, sample_rate=model.sample_rate, chunk_seconds=window, folder_name=f"hf-{short}",
            title=f"hf {model_type}", description=f"hf ({model_type} from {config.model.checkpoint})", save=save,
            unit_name="windows",
            # e.g. wav2vec2's masking embedding goes unused in batches without masks
            fit_options={"find_unused_parameters": True},
            training={
                "window_seconds": window, "grad_accum": config.train.grad_accum,
                "gradient_checkpointing": bool(params["gradient_checkpointing"]),
                "freeze_feature_encoder": bool(params["freeze_feature_encoder"]),
                "freeze_encoder": bool(params["freeze_encoder"]),
                "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
            },
            extra={"checkpoint": str(config.model.checkpoint), "resolved_checkpoint": source, "model_type": model_type,
                   "window_seconds": window},
            keep_checkpoints=False,
        )

    return train_network(config, setup, family="hf", progress=progress, index=index, run_dir=run_dir, resume=resume,
                         extra=extra, on_epoch_end=on_epoch_end)


# ---------------------------------------------------------------------- loading and prediction


class HFNetwork(LoadedNetwork):
    """A fine-tuned transformer with its feature extractor, as the hf family's loader returns it.

    Attributes
    ----------
    model : HFAudioClassifier
        In eval mode.
    info : HFModelInfo
    labels : list of str
        Class names (index = class id), from the model config's ``id2label``.
    run_dir : Path or None
    """

    family = "hf"

    def __init__(self, model: HFAudioClassifier, info: HFModelInfo, *, run_dir: Path | None = None,
                 device: str = "cpu", batch_size: int = 8):
        super().__init__(model, info, labels=model.labels, run_dir=run_dir, device=device, batch_size=batch_size)
        self.sample_rate = int(model.sample_rate)
        self.chunk_seconds = float(model.window_seconds)
        self.hop_seconds = info.hop_seconds
        self.clip_seconds = info.clip_seconds

    @property
    def model_dir(self) -> Path | None:
        """The ``save_pretrained`` folder (for ``transformers.pipeline``)."""
        return None if self.run_dir is None else self.run_dir / self.info.model_dir

    def chunks(self, waveform: np.ndarray, sr: int) -> np.ndarray:
        """The model's input windows of a signal, ``(n_windows, samples)``, cut as in training.

        As :meth:`LoadedNetwork.chunks` (windows every ``hop_seconds``, a last partial window of at
        least half a window zero-padded), except that a signal shorter than half a window is one
        short window (Whisper's extractor pads it to 30 s; the other encoders accept any length).
        """
        y = prepare_array(waveform, sr, sr=self.sample_rate)
        if y.shape[0] < int(round(self.chunk_seconds * self.sample_rate)) / 2:
            return y[None, :]
        return chunk_clip(y, sr=self.sample_rate, chunk_seconds=self.chunk_seconds, hop_seconds=self.hop_seconds)


def load_hf_run(run_dir: str | Path, *, device: str = "cpu") -> HFNetwork:
    """Load an hf run folder (the family's loader), or a bare ``save_pretrained`` folder.

    Parameters
    ----------
    run_dir : str or Path
        A run folder holding ``hf.json`` and ``hf_model/``, or a folder with ``config.json`` and
        ``preprocessor_config.json`` (then the window is Whisper's fixed length or 10 s).
    device : str
        'cpu', 'cuda', 'cuda:N'.

    Raises
    ------
    RunError
        If the folder holds neither, or the model cannot be read.
    """
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    run_dir = Path(run_dir)
    info_path = run_dir / HF_INFO_FILE
    if info_path.is_file():
        info = read_descriptor(info_path, DESCRIPTOR_KIND, into=HFModelInfo)
        model_dir, owner = run_dir / info.model_dir, run_dir
    elif (run_dir / "config.json").is_file():
        info, model_dir, owner = None, run_dir, None
    else:
        raise RunError(f"{run_dir}: not an hf run folder ({HF_INFO_FILE} is missing) nor a save_pretrained folder")
    for needed in ("config.json", "preprocessor_config.json"):
        if not (model_dir / needed).is_file():
            raise RunError(f"{model_dir}: {needed} is missing")
    try:
        feature_extractor = AutoFeatureExtractor.from_pretrained(model_dir)
        model = AutoModelForAudioClassification.from_pretrained(model_dir, dtype=torch.float32)
    except (OSError, ValueError) as exc:
        raise RunError(f"{model_dir}: cannot load the fine-tuned model ({str(exc).splitlines()[0][:300]})") from None
    classifier = HFAudioClassifier(model, feature_extractor, window_seconds=None if info is None else info.window_seconds)
    if info is None:
        info = HFModelInfo(
            checkpoint=str(run_dir), source=str(run_dir), model_type=model.config.model_type, labels=classifier.labels,
            sample_rate=classifier.sample_rate, window_seconds=classifier.window_seconds, model_dir=".",
        )
    return HFNetwork(classifier, info, run_dir=owner, device=device)


# ---------------------------------------------------------------------- registration

register_model(
    ModelSpec(
        name="hf",
        family="hf",
        inputs=("waveform",),
        build=build_hf,
        description="fine-tuned pretrained audio transformer from model.checkpoint: DistilHuBERT, wav2vec 2.0, "
        "Whisper encoder (Hugging Face transformers)",
    )
)
register_family(Family("hf", train=train_hf, load=load_hf_run))
