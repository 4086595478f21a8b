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

Values are checked against each field's declared type as they are read, from a file or from
``--set``: ``"5"`` and ``5.0`` become the integer 5, an integer becomes a float where a float is
declared, a bool is only ``true`` or ``false``; anything else is a :class:`ConfigError` naming the
field (``train.epochs must be an integer, got 'abc'``).

TOML has no null, so a field set to None is left out of its table and named, as a dotted key,
in the top-level list ``unset``::

    name = "whole-tracks"
    unset = ["runs_dir", "data.clip_seconds", "model.params.max_depth"]

:func:`to_toml` lists every None value it meets (tables of ``model.params`` included), not only
those whose default differs, so a run folder reads back exactly even if a default changes later;
:func:`from_dict` and :func:`load_config` apply the list before ``--set`` overrides. Files without
it (configs written by hand, run folders of older versions) load as before: a field missing from
the file takes its default. ``--set data.clip_seconds=none`` unsets a field from the command line.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
import tomllib
import types
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

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
    decode_workers: int | None = option(
        None, help="Processes decoding tracks into the store of network runs (unset: one per CPU core, at most 8)."
    )
    synthetic_clips: int = option(100, help="Clips per genre when the synthetic set is generated.")
    synthetic_seconds: float = option(30.0, help="Clip length in seconds of the generated synthetic set.")


@dataclass
class FeatureConfig:
    kind: str = option(
        "handcrafted",
        help="What a feature row is: 'handcrafted' (librosa descriptors), or the embedding of a pretrained "
        "network, 'musicnn-msd', 'musicnn-mtt', 'musicnn' (both), 'clap' or 'hf-encoder' (a frozen DistilHuBERT, "
        "wav2vec 2.0 or Whisper encoder; features.checkpoint, features.layer); classic models on them are "
        "probes. See genrekit.features.kinds.",
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
    num_workers: int | None = option(
        None, help="DataLoader worker processes per training process; unset (auto): none on a CPU, on a GPU one per "
        "CPU core of the process's share less one, at most 8."
    )
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


#: Top-level key listing the fields (dotted keys) whose value is None; see the module docstring.
UNSET_KEY = "unset"


def from_dict(cls: type, values: dict, *, where: str = "") -> Any:
    """Build dataclass ``cls`` from a (nested) dict, checking keys and coercing values to their declared types.

    A top-level ``unset`` list (see the module docstring) sets the fields it names to None.

    Raises
    ------
    ConfigError
        For an unknown key, or a value that is not of (and cannot be read as) the field's type.
    """
    if not where and UNSET_KEY in values and UNSET_KEY not in {f.name for f in fields(cls)}:
        values = apply_unset(values)
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
            kwargs[key] = coerce(value, hint, name=f"{where}{key}")
    return cls(**kwargs)


_KINDS = {int: "an integer", float: "a number", bool: "true or false", str: "a string", dict: "a table"}


def coerce(value: Any, hint: Any, *, name: str) -> Any:
    """``value`` as the declared type ``hint`` of field ``name``, or a :class:`ConfigError` saying what was expected.

    int: ints, integral floats and strings of digits; float: ints, floats and numeric strings;
    bool: ``true``/``false`` only; str: strings only; ``X | None``: None or an ``X``; dict: tables.
    Other declared types are not checked.
    """
    optional = False
    if get_origin(hint) in (Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        optional = len(args) < len(get_args(hint))
        if value is None and optional:
            return None
        if len(args) != 1:
            return value
        hint = args[0]
    kind = get_origin(hint) or hint
    if kind not in _KINDS:
        return value
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
            return value.strip().lower() == "true"
    elif kind is int and not isinstance(value, bool):
        if isinstance(value, int):
            return value
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            return int(value)
    elif kind is float and not isinstance(value, bool):
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
    elif kind in (str, dict) and isinstance(value, kind):
        return value
    expected = _KINDS[kind] + (" or none" if optional else "")
    raise ConfigError(f"{name} must be {expected}, got {value!r}")


def apply_unset(values: dict) -> dict:
    """A copy of ``values`` with its top-level ``unset`` list applied: each named (dotted) key set to None."""
    values = copy.deepcopy(values)
    unset = values.pop(UNSET_KEY)
    if not isinstance(unset, list) or not all(isinstance(item, str) for item in unset):
        raise ConfigError(f"'{UNSET_KEY}' must be a list of dotted field names, e.g. [\"data.clip_seconds\"]")
    for item in unset:
        parts = _dotted_key(item)
        node = values
        for depth, part in enumerate(parts[:-1]):
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{UNSET_KEY}: '{'.'.join(parts[: depth + 1])}' is a value, not a table")
        if node.get(parts[-1]) is not None:
            raise ConfigError(f"'{item}' is both given a value and listed in '{UNSET_KEY}'")
        node[parts[-1]] = None
    return values


_KEY = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*")'


def _dotted_key(item: str) -> list[str]:
    """The parts of a TOML dotted key such as ``model.params."odd key"``."""
    if not re.fullmatch(rf"\s*{_KEY}(?:\s*\.\s*{_KEY})*\s*", item):
        raise ConfigError(f"{UNSET_KEY}: {item!r} is not a dotted field name such as 'data.clip_seconds'")
    try:
        node = tomllib.loads(f"{item} = 0")  # TOML decodes the quoted parts
    except tomllib.TOMLDecodeError:
        raise ConfigError(f"{UNSET_KEY}: {item!r} is not a dotted field name such as 'data.clip_seconds'") from None
    parts = []
    while isinstance(node, dict):
        key, node = next(iter(node.items()))
        parts.append(key)
    return parts


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
    if UNSET_KEY in values:
        values = apply_unset(values)  # before the overrides, so --set wins over the file's unset list
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
    for depth, part in enumerate(parts[:-1]):
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"override '{item}': '{'.'.join(parts[: depth + 1])}' is a value, not a table")
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
    """Serialise a config dict as TOML: scalars, arrays, nested tables, and None as the ``unset`` list.

    ``tomllib.loads(to_toml(values))`` read with :func:`from_dict` gives ``values`` back exactly.

    Raises
    ------
    ConfigError
        For None inside an array, which TOML cannot hold.
    """
    unset: list[str] = []
    lines = _table_lines(_without_none(values, (), unset), ())
    if unset:
        # one name a line, after the top-level scalars and before the first table
        at = next((i for i, line in enumerate(lines) if not line), len(lines))
        lines[at:at] = [f"{UNSET_KEY} = ["] + [f"    {_toml_string(name)}," for name in unset] + ["]"]
    return "\n".join(lines).strip() + "\n"


def _without_none(values: dict, path: tuple[str, ...], unset: list[str]) -> dict:
    out = {}
    for key, value in values.items():
        if value is None:
            unset.append(".".join(_toml_key(part) for part in (*path, key)))
        elif isinstance(value, dict):
            out[key] = _without_none(value, (*path, key), unset)
        else:
            out[key] = value
    return out


def _table_lines(values: dict, path: tuple[str, ...]) -> list[str]:
    lines = [f"{_toml_key(key)} = {_toml_value(value)}" for key, value in values.items() if not isinstance(value, dict)]
    for key, value in values.items():
        if isinstance(value, dict):
            lines += ["", "[" + ".".join(_toml_key(part) for part in (*path, key)) + "]"]
            lines += _table_lines(value, (*path, key))
    return lines


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_string(key)


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _toml_string(text: str) -> str:
    # TOML basic strings hold any character but the quote, the backslash and control characters
    return '"' + re.sub(r'["\\\x00-\x1f\x7f]', lambda m: _ESCAPES.get(m[0], f"\\u{ord(m[0]):04x}"), text) + '"'


def _toml_value(value: Any) -> str:
    if value is None:
        raise ConfigError("None inside an array cannot be written to TOML")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        return repr(float(value))  # also inf, -inf and nan, which TOML spells the same way; float() drops numpy's repr
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return _toml_string(str(value))
