"""Typed experiment configuration.

One experiment is one TOML file (see ``configs/``) with a table per concern::

    name = "xgboost-gtzan"
    [data]
    source = "gtzan:/data/gtzan"
    split = "filtered"
    [model]
    name = "xgboost"

Every field carries help text (shown by ``genrekit config --help-fields``), every field can be
overridden on the command line as ``--set section.field=value``, and the resolved config is
written into each run folder so the run describes itself.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, get_type_hints

from genrekit.errors import ConfigError


def option(default: Any = dataclasses.MISSING, *, help: str, factory: Any = dataclasses.MISSING) -> Any:
    """A dataclass field with help text (``factory`` for mutable defaults)."""
    if factory is not dataclasses.MISSING:
        return field(default_factory=factory, metadata={"help": help})
    return field(default=default, metadata={"help": help})


@dataclass
class DataConfig:
    source: str = option(
        "synthetic",
        help="Dataset: 'synthetic' (generated on first use), 'gtzan:PATH', 'fma-small:PATH' or "
        "'fma-medium:PATH' (PATH holds fma_metadata/ and the audio folder), 'folder:PATH' "
        "(sub-folders are genres), 'hf:NAME' (a Hugging Face dataset), or a bare PATH (layout detected).",
    )
    split: str = option(
        "auto",
        help="Split kind: 'auto' (official for FMA, artist-grouped when artists are known, else "
        "random), 'random' (stratified by genre), 'artist' (stratified, artists never cross sides), "
        "'filtered' (GTZAN fault-filtered split of Kereliuk, Sturm & Larsen 2015, from split_dir), "
        "'official' (FMA's set/split), or 'leaky-chunks' (chunks shuffled at random: for comparison only).",
    )
    split_dir: str | None = option(
        None, help="Folder with train_filtered.txt/valid_filtered.txt/test_filtered.txt (GTZAN 'filtered' split)."
    )
    artist_index: str | None = option(
        None, help="Sturm's GTZANindex.txt ('clip ::: artist ::: title'), giving GTZAN's artists for 'artist' splits."
    )
    valid_fraction: float = option(0.15, help="Share of tracks (or artists) for validation in random/artist splits.")
    test_fraction: float = option(0.15, help="Share of tracks (or artists) for test in random/artist splits.")
    seed: int = option(0, help="Seed for splits and for the synthetic set.")
    sample_rate: int = option(22050, help="Sample rate (Hz) audio is resampled to before features.")
    clip_seconds: float | None = option(
        30.0, help="Use the middle N seconds of each track (GTZAN clips are 30 s); None for the whole track."
    )
    chunk_seconds: float | None = option(
        None, help="Cut each clip into chunks of this many seconds (e.g. 3.0); None for one example per clip."
    )
    hop_seconds: float | None = option(None, help="Hop between chunks in seconds (default: chunk_seconds).")
    limit_per_genre: int | None = option(None, help="Use at most N tracks per genre (quick runs).")
    synthetic_clips: int = option(100, help="Clips per genre when the synthetic set is generated.")
    synthetic_seconds: float = option(30.0, help="Clip length in seconds of the generated synthetic set.")


@dataclass
class FeatureConfig:
    kind: str = option(
        "handcrafted",
        help="What a feature row is: 'handcrafted' (librosa descriptors), or the embedding of a network "
        "pretrained on real music, 'musicnn-msd' or 'musicnn-mtt' (audio read at 16 kHz; classic models "
        "on them are probes). See genrekit.features.kinds.",
    )
    embedding: str | None = option(
        None,
        help="Which representation of the network (None: the kind's default): musicnn kinds 'penultimate' (the "
        "default, 200 values), 'taggram' (50 tag "
        "probabilities), 'max_pool' or 'mean_pool' (753 each), 'pools' (both), averaged over the 3 s patches of a "
        "clip or chunk; 'clap' takes 'audio' (the joint audio-text space); 'hf-encoder' takes 'mean' (hidden "
        "states averaged over time).",
    )
    checkpoint: str | None = option(
        None,
        help="Embedding kinds 'clap' and 'hf-encoder': the pretrained model, a Hugging Face hub name, a short name "
        "or a local save_pretrained folder (e.g. 'laion/clap-htsat-unfused', 'distilhubert').",
    )
    layer: int | None = option(
        None, help="Kind 'hf-encoder': hidden layer to pool (0 = the input embeddings, -1 = the last); None averages all layers."
    )
    device: str = option("auto", help="Embedding kinds: 'auto' (CUDA when present), 'cpu', 'cuda' or 'cuda:N'.")
    batch_size: int = option(8, help="Embedding kinds 'clap' and 'hf-encoder': windows per forward pass.")
    n_mfcc: int = option(20, help="Number of MFCCs.")
    n_fft: int = option(2048, help="STFT window length in samples.")
    hop_length: int = option(512, help="STFT hop in samples.")
    n_mels: int = option(128, help="Mel bands behind the MFCCs.")
    chroma_cqt: bool = option(
        False, help="Also compute constant-Q chroma (about 125 ms more per 30 s clip; not in GTZAN's features_30_sec.csv)."
    )
    tonnetz: bool = option(True, help="Compute tonnetz (needs harmonic chroma).")
    hpss: bool = option(True, help="Harmonic/percussive separation statistics.")
    tempo: bool = option(True, help="Estimate tempo from the onset envelope.")
    workers: int = option(0, help="Parallel processes for batch extraction (0 = number of CPU cores).")
    scheduler: str | None = option(
        None,
        help="Extract on a Dask cluster instead of local processes: a scheduler address ('tcp://host:8786'), "
        "a scheduler file ('PATH.json'), or 'local' / 'local:N' (a LocalCluster of one-thread worker processes "
        "on this machine). Needs the 'dask' extra; None extracts in local processes. Also the default cluster "
        "of the 'xgboost-dask' model.",
    )


@dataclass
class ModelConfig:
    name: str = option("xgboost", help="Registered model name (see 'genrekit train --list-models').")
    input: str | None = option(
        None, help="Model input: 'features', 'mfcc', 'mel', 'log', 'linear' or 'waveform' (model default if None)."
    )
    checkpoint: str | None = option(None, help="Pretrained checkpoint: Hugging Face name or local folder (hf models).")
    params: dict = option(factory=dict, help="Model hyper-parameters passed to the builder (a TOML table).")


@dataclass
class TrainConfig:
    seed: int = option(0, help="Seed for model initialisation and data order.")
    search: bool = option(True, help="Hyper-parameter search on the validation split (classic models).")
    epochs: int = option(30, help="Maximum epochs (neural models).")
    batch_size: int = option(32, help="Mini-batch size (per process when torchrun starts several).")
    lr: float = option(1e-3, help="Peak learning rate (AdamW).")
    weight_decay: float = option(1e-2, help="AdamW weight decay.")
    patience: int = option(8, help="Early stopping: epochs without a better validation macro F1.")
    grad_accum: int = option(1, help="Gradient accumulation steps.")
    device: str = option("auto", help="'auto', 'cpu', 'cuda' or 'cuda:N'.")
    num_workers: int = option(0, help="DataLoader worker processes.")
    augment: bool = option(False, help="SpecAugment-style masking on spectrogram inputs.")
    mixup: float = option(0.0, help="Mixup alpha (0 disables).")
    max_steps: int | None = option(None, help="Stop after this many optimiser steps (debugging, tests).")
    class_weight: str | None = option(
        None, help="'balanced': weight each genre by n / (k * its count) in the loss (unbalanced sets such as FMA-medium); "
        "unset: every example counts the same."
    )


@dataclass
class ExperimentConfig:
    name: str = option("experiment", help="Experiment name; prefixes the run folder.")
    runs_dir: str | None = option(None, help="Where run folders go (default: genrekit.paths.runs_dir()).")
    data: DataConfig = option(factory=DataConfig, help="Dataset, split and audio window.")
    features: FeatureConfig = option(factory=FeatureConfig, help="Hand-crafted feature settings.")
    model: ModelConfig = option(factory=ModelConfig, help="Which model, and its hyper-parameters.")
    train: TrainConfig = option(factory=TrainConfig, help="Optimisation settings.")

    def to_dict(self) -> dict:
        return asdict(self)


def from_dict(cls: type, values: dict, *, where: str = "") -> Any:
    """Build dataclass ``cls`` from a (nested) dict, rejecting unknown keys with a clear message."""
    hints = get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"unknown config key '{where}{key}'; known: {', '.join(sorted(known))}")
        hint = hints[key]
        if is_dataclass(hint):
            if not isinstance(value, dict):
                raise ConfigError(f"'{where}{key}' must be a table")
            kwargs[key] = from_dict(hint, value, where=f"{where}{key}.")
        else:
            kwargs[key] = value
    return cls(**kwargs)


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> ExperimentConfig:
    """Read an experiment TOML file (or the defaults) and apply ``section.field=value`` overrides."""
    values: dict = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found")
        try:
            values = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    for item in overrides or []:
        set_dotted(values, item)
    return from_dict(ExperimentConfig, values)


def set_dotted(values: dict, item: str) -> None:
    """Apply one ``a.b=value`` override to a nested dict; the value is parsed as TOML when it can be."""
    if "=" not in item:
        raise ConfigError(f"override '{item}' must look like section.field=value")
    key, raw = item.split("=", 1)
    parts = key.strip().split(".")
    node = values
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = parse_value(raw.strip())


def parse_value(raw: str) -> Any:
    if raw.lower() in {"none", "null"}:
        return None
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def describe_fields(cls: type = ExperimentConfig, prefix: str = "") -> list[tuple[str, str, str]]:
    """(dotted name, default, help) for every leaf field: the source of ``--help-fields``."""
    rows = []
    hints = get_type_hints(cls)
    for f in fields(cls):
        if is_dataclass(hints[f.name]):
            rows.extend(describe_fields(hints[f.name], f"{prefix}{f.name}."))
        else:
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
            rows.append((f"{prefix}{f.name}", repr(default), f.metadata.get("help", "")))
    return rows


def to_toml(values: dict) -> str:
    """Serialise a config dict as TOML (enough for configs: scalars, lists, nested tables)."""
    lines: list[str] = []
    tables: list[tuple[str, dict]] = []
    for key, value in values.items():
        if isinstance(value, dict):
            tables.append((key, value))
        elif value is not None:
            lines.append(f"{key} = {_toml_value(value)}")
    for name, table in tables:
        lines.append("")
        lines.append(f"[{name}]")
        inner = to_toml(table).splitlines()
        # nested tables inside a table get a dotted header
        lines.extend(line.replace("[", f"[{name}.", 1) if line.startswith("[") else line for line in inner)
    return "\n".join(lines).strip() + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
