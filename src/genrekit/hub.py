"""Pretrained transformer checkpoints: names, local folders, offline errors and random stand-ins.

``model.checkpoint`` is a Hugging Face hub name (``"ntu-spml/distilhubert"``), one of the short
aliases in :data:`KNOWN_CHECKPOINTS` (``"distilhubert"``), a local folder written by
``save_pretrained``, or ``"tiny-random:ARCH"`` (a miniature randomly initialised stand-in, written
on first use under ``paths.interim_dir()/pretrained``: smoke runs and demos with no download;
its scores mean nothing about the pretrained model). Weights cannot always be downloaded (no network, ``HF_HUB_OFFLINE=1``), so
every hub failure becomes a :class:`~genrekit.errors.ConfigError` that says how to get the model.

:func:`make_random_pretrained` writes a randomly initialised checkpoint folder of any supported
architecture (tiny for tests, real-size for benchmarks) that the training code loads exactly like
a downloaded one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from genrekit import paths
from genrekit.errors import ConfigError

#: Short names accepted for ``model.checkpoint`` -> hub names.
KNOWN_CHECKPOINTS = {
    "distilhubert": "ntu-spml/distilhubert",
    "whisper-small": "openai/whisper-small",
    "whisper-medium": "openai/whisper-medium",
    "wav2vec2-base": "facebook/wav2vec2-base",
}

#: ``model.checkpoint`` prefix for a tiny random stand-in: ``"tiny-random:distilhubert"``.
TINY_RANDOM_PREFIX = "tiny-random:"

#: Architectures :func:`make_random_pretrained` can write; aliases map onto them.
ARCHITECTURES = ("distilhubert", "wav2vec2-base", "whisper-small", "whisper-medium")
_ARCH_ALIASES = {"hubert": "distilhubert", "wav2vec2": "wav2vec2-base", "whisper": "whisper-small"}


def _looks_like_path(text: str) -> bool:
    # hub ids are "name" or "org/name"; anything else with a separator is meant as a folder
    return text.startswith((".", "/", "~")) or text.count("/") > 1 or os.sep != "/" and os.sep in text


def resolve_checkpoint(name_or_path: str | os.PathLike | None, *, setting: str = "model.checkpoint") -> str:
    """Turn ``model.checkpoint`` into something ``from_pretrained`` accepts.

    Parameters
    ----------
    name_or_path : str or PathLike
        A short alias (see :data:`KNOWN_CHECKPOINTS`), a hub name, or a local ``save_pretrained`` folder.
    setting : str
        The config field it came from, named in error messages (``features.checkpoint`` for the
        ``hf-encoder`` feature kind).

    Returns
    -------
    str
        The hub name, or the absolute path of the local folder.

    Raises
    ------
    ConfigError
        If nothing is given, or a local folder does not exist or lacks ``config.json`` /
        ``preprocessor_config.json``.
    """
    if name_or_path is None or not str(name_or_path).strip():
        raise ConfigError(
            "the 'hf' model needs model.checkpoint (--checkpoint): a hub name such as "
            f"{', '.join(repr(v) for v in KNOWN_CHECKPOINTS.values())}, a short name "
            f"({', '.join(KNOWN_CHECKPOINTS)}), a local save_pretrained folder, or "
            f"'{TINY_RANDOM_PREFIX}ARCH' (random weights, for smoke runs)"
        )
    text = str(name_or_path).strip()
    if text.startswith(TINY_RANDOM_PREFIX):
        arch = _canonical_arch(text[len(TINY_RANDOM_PREFIX):])
        folder = paths.interim_dir() / "pretrained" / f"tiny-random-{arch}"
        if not (folder / "preprocessor_config.json").is_file():
            make_tiny_pretrained(arch, folder)
        return str(folder)
    if text in KNOWN_CHECKPOINTS:
        return KNOWN_CHECKPOINTS[text]
    local = Path(text).expanduser()
    if local.exists():
        if not local.is_dir():
            raise ConfigError(f"{local}: {setting} must be a save_pretrained folder, not a file")
        for needed in ("config.json", "preprocessor_config.json"):
            if not (local / needed).is_file():
                raise ConfigError(
                    f"{local}: not a complete save_pretrained folder ({needed} is missing; save both the model "
                    "and its feature extractor there)"
                )
        return str(local.resolve())
    if isinstance(name_or_path, os.PathLike) or _looks_like_path(text):
        raise ConfigError(f"{local}: {setting} folder not found")
    return text


def _hub_error_types() -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = [OSError]
    try:
        from huggingface_hub.errors import HfHubHTTPError, HFValidationError

        types += [HfHubHTTPError, HFValidationError]
    except ImportError:  # older huggingface_hub
        pass
    try:
        import httpx

        types.append(httpx.HTTPError)
    except ImportError:
        pass
    try:
        import requests

        types.append(requests.exceptions.RequestException)
    except ImportError:
        pass
    return tuple(types)


def offline_mode() -> bool:
    """Whether the hub client is in offline mode (``HF_HUB_OFFLINE=1`` or ``TRANSFORMERS_OFFLINE=1``)."""
    try:
        from huggingface_hub import constants

        return bool(constants.HF_HUB_OFFLINE)
    except ImportError:
        return os.environ.get("HF_HUB_OFFLINE", "0").lower() in {"1", "true", "yes", "on"}


def _hf_home() -> str:
    try:
        from huggingface_hub import constants

        return str(constants.HF_HOME)
    except ImportError:
        return os.environ.get("HF_HOME", "~/.cache/huggingface")


@contextlib.contextmanager
def hub_errors(checkpoint: str, *, what: str = "model", setting: str = "model.checkpoint (--checkpoint PATH)") -> Iterator[None]:
    """Turn ``from_pretrained`` failures for ``checkpoint`` into a :class:`ConfigError` that says what to do
    (``setting``: where a local folder goes instead)."""
    try:
        yield
    except _hub_error_types() as exc:
        reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        if Path(checkpoint).is_dir():
            raise ConfigError(f"{checkpoint}: could not load the {what} from this folder ({reason})") from None
        mode = (
            "HF_HUB_OFFLINE is set, so only the local cache was searched and it does not hold it"
            if offline_mode()
            else "either the name is wrong, or the hub could not be reached and the local cache does not hold it"
        )
        raise ConfigError(
            f"could not load the {what} of '{checkpoint}' ({reason}): {mode}. To fix: run once with network "
            f"access so the model is cached (cache: HF_HOME={_hf_home()}); or set HF_HOME to a cache that "
            "already holds it (HF_HUB_OFFLINE=1 then stops network attempts); or pass a local folder written "
            f"by save_pretrained as {setting}. Check the name's spelling too."
        ) from None


# ----------------------------------------------------------------------------------------------
# random stand-ins for the pretrained checkpoints


def _canonical_arch(family: str) -> str:
    arch = _ARCH_ALIASES.get(family, family)
    if arch not in ARCHITECTURES:
        known = sorted(set(ARCHITECTURES) | set(_ARCH_ALIASES))
        raise ConfigError(f"unknown transformer architecture {family!r}; known: {', '.join(known)}")
    return arch


def pretrained_config(family: str, *, tiny: bool = False):
    """A ``transformers`` config and feature extractor for ``family``, without any download.

    Parameters
    ----------
    family : str
        One of :data:`ARCHITECTURES` or an alias ('hubert', 'wav2vec2', 'whisper').
    tiny : bool
        If True, a miniature of the architecture (hidden size 32, 2 layers, 3 small convolutions;
        Whisper with 16 mel bands and 2 s windows) for tests; otherwise the published dimensions.

    Returns
    -------
    config : transformers.PretrainedConfig
        The base model's config (HubertConfig, Wav2Vec2Config or WhisperConfig).
    feature_extractor : transformers.SequenceFeatureExtractor
        Configured as the published checkpoint's ``preprocessor_config.json``.
    """
    from transformers import (
        HubertConfig,
        Wav2Vec2Config,
        Wav2Vec2FeatureExtractor,
        WhisperConfig,
        WhisperFeatureExtractor,
    )

    arch = _canonical_arch(family)
    small_conv = dict(
        conv_dim=(16, 16, 16), conv_stride=(5, 4, 4), conv_kernel=(10, 8, 8),
        num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4,
    )
    tiny_body = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
    if arch == "distilhubert":
        # DistilHuBERT (Chang et al. 2022): HuBERT-base's CNN and width, 2 transformer layers
        config = HubertConfig(**(tiny_body | small_conv if tiny else dict(num_hidden_layers=2)))
        extractor = Wav2Vec2FeatureExtractor(
            feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=False, return_attention_mask=False
        )
    elif arch == "wav2vec2-base":
        config = Wav2Vec2Config(**(tiny_body | small_conv if tiny else {}))  # defaults are wav2vec2-base
        extractor = Wav2Vec2FeatureExtractor(
            feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True, return_attention_mask=False
        )
    else:
        if tiny:
            dims = dict(d_model=32, encoder_layers=2, encoder_attention_heads=2, encoder_ffn_dim=64,
                        decoder_layers=1, decoder_attention_heads=2, decoder_ffn_dim=64,
                        num_mel_bins=16, max_source_positions=100, max_target_positions=32, vocab_size=64,
                        pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1)
            extractor = WhisperFeatureExtractor(feature_size=16, chunk_length=2)
        else:
            width, layers, heads = (768, 12, 12) if arch == "whisper-small" else (1024, 24, 16)
            dims = dict(d_model=width, encoder_layers=layers, encoder_attention_heads=heads, encoder_ffn_dim=4 * width,
                        decoder_layers=layers, decoder_attention_heads=heads, decoder_ffn_dim=4 * width,
                        num_mel_bins=80, max_source_positions=1500, max_target_positions=448, vocab_size=51865)
            extractor = WhisperFeatureExtractor(feature_size=80, chunk_length=30)
        config = WhisperConfig(**dims)
    return config, extractor


def make_random_pretrained(family: str, out_dir: str | Path, *, tiny: bool = True, seed: int = 0) -> Path:
    """Write a randomly initialised checkpoint folder shaped like a published one.

    The folder holds the base model (HubertModel / Wav2Vec2Model / WhisperForConditionalGeneration,
    as on the hub, so the classification head is new when fine-tuning starts) and its feature
    extractor, both via ``save_pretrained``: pass it as ``model.checkpoint`` to exercise the
    same code path as a hub name, without a download.

    Parameters
    ----------
    family : str
        See :func:`pretrained_config`.
    out_dir : str or Path
        Folder to write (created).
    tiny : bool
        Miniature (tests) or published dimensions (benchmarks; whisper-medium is ~3 GB).
    seed : int
        Seed of the random initialisation (the global torch RNG is left as it was).

    Returns
    -------
    Path
        ``out_dir``.
    """
    import torch
    from transformers import HubertModel, Wav2Vec2Model, WhisperForConditionalGeneration

    arch = _canonical_arch(family)
    config, extractor = pretrained_config(arch, tiny=tiny)
    model_cls = {"distilhubert": HubertModel, "wav2vec2-base": Wav2Vec2Model}.get(arch, WhisperForConditionalGeneration)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = model_cls(config)
    model.save_pretrained(out)
    extractor.save_pretrained(out)
    return out


def make_tiny_pretrained(family: str, out_dir: str | Path, *, seed: int = 0) -> Path:
    """A tiny random checkpoint folder of ``family`` (see :func:`make_random_pretrained`), for tests and demos."""
    return make_random_pretrained(family, out_dir, tiny=True, seed=seed)
