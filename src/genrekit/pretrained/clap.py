"""CLAP through ``transformers``: audio embeddings as a feature kind, and genres from text prompts.

CLAP (Wu et al., "Large-scale contrastive language-audio pretraining with feature fusion and
keyword-to-caption augmentation", ICASSP 2023; LAION) embeds audio and text in one space. genrekit
loads any CLAP checkpoint by hub name, short name (:data:`KNOWN_CHECKPOINTS`) or local
``save_pretrained`` folder with ``ClapModel`` + ``ClapProcessor``, and uses it two ways:

* **feature kind** ``clap`` (``features.checkpoint``): a clip or chunk is cut into windows of the
  model's input length (10 s at 48 kHz; never silently cut to its first 10 s), each window is
  embedded and L2-normalised, and the row is their mean. Every classic model on it is a probe.
* **zero-shot** (model ``clap-zeroshot``): each genre's text embedding is the normalised mean of
  :data:`PROMPTS` filled with the genre's name; a clip's genre probabilities are the softmax of
  CLAP's logit scale times the cosine between its audio embedding and each genre's text embedding.

Unfused checkpoints (``clap-htsat-unfused``, the ``larger_clap_*`` family) need the feature
extractor's ``truncation="rand_trunc"``; fused ones ``"fusion"``. Windows are exactly the input
length (the last, shorter one is repeat-padded by the processor), so neither truncation ever
drops audio. Without the hub (no network, ``HF_HUB_OFFLINE=1``) the error says what to do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genrekit.config import FeatureConfig
from genrekit.data.gtzan import GTZAN_GENRES
from genrekit.errors import ConfigError
from genrekit.hub import hub_errors

#: Short names accepted for ``features.checkpoint`` / ``model.checkpoint``.
KNOWN_CHECKPOINTS = {
    "clap-htsat-unfused": "laion/clap-htsat-unfused",
    "clap-htsat-fused": "laion/clap-htsat-fused",
    "larger-clap-music": "laion/larger_clap_music",
    "larger-clap-music-and-speech": "laion/larger_clap_music_and_speech",
    "larger-clap-general": "laion/larger_clap_general",
}
#: The checkpoint used when none is named: LAION's CLAP trained with music.
DEFAULT_CHECKPOINT = "laion/larger_clap_music"

SAMPLE_RATE = 48_000
#: Shortest clip or chunk embedded (s); shorter windows at the end of a longer one are dropped.
MIN_SECONDS = 1.0

#: Prompt templates for zero-shot genres, averaged (CLAP's README uses "This is a sound of ...";
#: several phrasings make the text side less sensitive to one wording).
PROMPTS = ("This is a {genre} song.", "A {genre} music track.", "{genre} music.", "A recording of {genre} music.")
#: How genre labels are read out in prompts.
SPOKEN_GENRES = {"hiphop": "hip hop", "rnb": "r&b", "soulrnb": "soul and r&b", "oldtimehistoric": "old-time historic",
                 "easylistening": "easy listening"}


def resolve(checkpoint: str | None) -> str:
    """A hub name or the absolute path of a local folder (None: :data:`DEFAULT_CHECKPOINT`).

    Raises
    ------
    ConfigError
        A local folder that does not exist or holds no ``config.json``.
    """
    text = (checkpoint or DEFAULT_CHECKPOINT).strip()
    text = KNOWN_CHECKPOINTS.get(text, text)
    local = Path(text).expanduser()
    if local.exists() or text.startswith((".", "/", "~")):
        if not (local / "config.json").is_file():
            raise ConfigError(f"{local}: not a CLAP save_pretrained folder (config.json is missing)")
        return str(local.resolve())
    return text


def prompt_name(genre: str) -> str:
    """'hiphop' -> 'hip hop', 'Hip-Hop' -> 'hip-hop': how a genre label is said in a prompt."""
    key = "".join(c for c in genre.lower() if c.isalnum())
    return SPOKEN_GENRES.get(key, genre.lower().replace("_", " "))


class Clap:
    """A CLAP checkpoint, its processor and device: normalised audio and text embeddings.

    Parameters
    ----------
    checkpoint : str or None
        Hub name, short name or local folder (see :func:`resolve`).
    device : str
        'auto' (CUDA when present), 'cpu', 'cuda' or 'cuda:N'; bf16 autocast on CUDA.
    batch_size : int
        Windows per forward pass.
    """

    def __init__(self, checkpoint: str | None = None, *, device: str = "auto", batch_size: int = 8):
        from transformers import ClapModel, ClapProcessor

        # imports torch only when needed
        from genrekit.devices import resolve_device

        if batch_size < 1:
            raise ConfigError(f"features.batch_size must be at least 1, got {batch_size}")
        self.checkpoint = resolve(checkpoint)
        self.device = resolve_device(device)
        self.batch_size = int(batch_size)
        with hub_errors(self.checkpoint, what="CLAP model"):
            self.model = ClapModel.from_pretrained(self.checkpoint).to(self.device).eval()
            self.processor = ClapProcessor.from_pretrained(self.checkpoint)
        extractor = self.processor.feature_extractor
        fused = bool(getattr(self.model.config.audio_config, "enable_fusion", False))
        extractor.truncation = "fusion" if fused else "rand_trunc"
        self.window_seconds = float(extractor.max_length_s)
        self.dim = int(self.model.config.projection_dim)

    @property
    def logit_scale(self) -> float:
        """CLAP's learnt temperature for audio-to-text similarities (``exp(logit_scale_a)``)."""
        return float(self.model.logit_scale_a.detach().exp().cpu())

    def _autocast(self):
        import contextlib

        import torch

        if self.device.type == "cuda" and torch.cuda.is_bf16_supported():
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def audio_embeddings(self, windows: list[np.ndarray]) -> np.ndarray:
        """Normalised embeddings (n, dim) of 48 kHz mono windows of at most the input length."""
        import torch

        out = []
        with torch.inference_mode(), self._autocast():
            for start in range(0, len(windows), self.batch_size):
                batch = [np.asarray(w, dtype=np.float32) for w in windows[start : start + self.batch_size]]
                inputs = self.processor(audio=batch, sampling_rate=SAMPLE_RATE, return_tensors="pt")
                inputs = {k: v.to(self.device) for k, v in inputs.items()}
                out.append(_pooled(self.model.get_audio_features(**inputs)).float())
        return _normalise(torch.cat(out).cpu().numpy().astype(np.float64))

    def text_embeddings(self, texts: list[str]) -> np.ndarray:
        """Normalised embeddings (n, dim) of text prompts."""
        import torch

        with torch.inference_mode():
            inputs = self.processor(text=list(texts), return_tensors="pt", padding=True)
            inputs = {k: v.to(self.device) for k, v in inputs.items()}
            embedded = _pooled(self.model.get_text_features(**inputs)).float()
        return _normalise(embedded.cpu().numpy().astype(np.float64))

    def genre_embeddings(self, genres: list[str], *, prompts: tuple[str, ...] = PROMPTS) -> np.ndarray:
        """One normalised text embedding per genre: the mean over the prompt templates. (n_genres, dim)"""
        texts = [p.format(genre=prompt_name(g)) for g in genres for p in prompts]
        per_prompt = self.text_embeddings(texts).reshape(len(genres), len(prompts), -1)
        return _normalise(per_prompt.mean(axis=1))

    def embed_signal(self, y: np.ndarray) -> np.ndarray:
        """The mean of the normalised embeddings of ``y``'s windows (48 kHz, any length >= 1 s)."""
        size = int(round(self.window_seconds * SAMPLE_RATE))
        windows = [y[i : i + size] for i in range(0, len(y), size)]
        if len(windows) > 1 and len(windows[-1]) < MIN_SECONDS * SAMPLE_RATE:
            windows = windows[:-1]  # a sliver at the end: not worth a repeat-padded window of its own
        return self.audio_embeddings(windows).mean(axis=0)


def _pooled(output):
    # transformers 5 returns a model output with the projected embedding as pooler_output; 4.x a tensor
    return getattr(output, "pooler_output", output)


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


_MODELS: dict = {}


def load(cfg: FeatureConfig) -> Clap:
    """One :class:`Clap` per process and (checkpoint, device)."""
    key = (resolve(cfg.checkpoint), cfg.device, cfg.batch_size)
    if key not in _MODELS:
        _MODELS[key] = Clap(key[0], device=cfg.device, batch_size=cfg.batch_size)
    return _MODELS[key]


# ---------------------------------------------------------------------- feature-kind backend


def check(cfg: FeatureConfig) -> None:
    if cfg.embedding not in (None, "audio"):
        raise ConfigError(f"features.embedding {cfg.embedding!r} is not one of CLAP's: 'audio' (the default)")
    resolve(cfg.checkpoint)


def sample_rate(cfg: FeatureConfig) -> int:
    return SAMPLE_RATE


def min_seconds(cfg: FeatureConfig) -> float:
    return MIN_SECONDS


def version(cfg: FeatureConfig) -> str:
    return "clap-1"


def cache_settings(cfg: FeatureConfig) -> dict:
    return {"kind": cfg.kind, "checkpoint": resolve(cfg.checkpoint), "embedding": "audio"}


def feature_names(cfg: FeatureConfig) -> list[str]:
    return [f"clap_{i:03d}" for i in range(_projection_dim(resolve(cfg.checkpoint)))]


def _projection_dim(checkpoint: str) -> int:
    for (name, _, _), model in _MODELS.items():
        if name == checkpoint:
            return model.dim
    from transformers import ClapConfig

    with hub_errors(checkpoint, what="CLAP config"):
        return int(ClapConfig.from_pretrained(checkpoint).projection_dim)


def warm_up(cfg: FeatureConfig) -> None:
    load(cfg)


def embed(y: np.ndarray, spans: list[tuple[int, int]], cfg: FeatureConfig) -> np.ndarray:
    """One row per span of ``y`` (48 kHz): the mean normalised embedding of its 10 s windows."""
    model = load(cfg)
    return np.stack([model.embed_signal(y[a:b]) for a, b in spans])


# ---------------------------------------------------------------------- random stand-ins


def make_random_clap(out_dir: str | Path, *, tiny: bool = True, seed: int = 0) -> Path:
    """Write a randomly initialised CLAP checkpoint folder (model, feature extractor, tokenizer).

    Loaded exactly like a hub checkpoint (``features.checkpoint`` / ``--checkpoint`` = the
    folder), so tests and benchmarks exercise the real code path without a download. ``tiny``:
    a miniature (projection 16, one block per stage) for tests; otherwise the dimensions of
    ``laion/clap-htsat-unfused`` (HTSAT-tiny audio tower, RoBERTa-base text tower) for speed
    measurements. The tokenizer is a small byte-level BPE trained here on genre prompts; its
    embeddings are random like the rest, so nothing it says about music means anything.
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import ClapConfig, ClapFeatureExtractor, ClapModel, ClapProcessor, RobertaTokenizerFast

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    corpus = [p.format(genre=prompt_name(g)) for g in GTZAN_GENRES for p in PROMPTS]
    bpe.train_from_iterator(corpus * 4, trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                                            initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    bpe.post_processor = processors.RobertaProcessing(("</s>", bpe.token_to_id("</s>")), ("<s>", bpe.token_to_id("<s>")))
    tokenizer = RobertaTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                     pad_token="<pad>", mask_token="<mask>", model_max_length=77)
    ids = dict(pad_token_id=bpe.token_to_id("<pad>"), bos_token_id=bpe.token_to_id("<s>"), eos_token_id=bpe.token_to_id("</s>"))
    if tiny:
        # the audio tower's width doubles per stage: hidden_size = patch_embeds_hidden_size * 2 ** (stages - 1)
        audio = dict(spec_size=256, num_mel_bins=64, patch_embeds_hidden_size=8, hidden_size=64, depths=[1, 1, 1, 1],
                     num_attention_heads=[1, 1, 1, 1], window_size=8, projection_dim=16, enable_fusion=False)
        text = dict(vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                    intermediate_size=32, max_position_embeddings=80, projection_dim=16, **ids)
        config = ClapConfig(text_config=text, audio_config=audio, projection_dim=16)
    else:
        config = ClapConfig(text_config=dict(vocab_size=50265, **ids), audio_config=dict(enable_fusion=False))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = ClapModel(config)
    model.save_pretrained(out)
    ClapProcessor(feature_extractor=ClapFeatureExtractor(truncation="rand_trunc"), tokenizer=tokenizer).save_pretrained(out)
    return out
