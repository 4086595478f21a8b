"""Hugging Face ``datasets`` audio-classification sets, materialised as wav files.

The rest of genrekit works on file paths (feature caches are keyed by them, the album CLI reads
files), so each example's audio is written once to ``out_dir/<genre>/<track_id>.wav`` and indexed
like any folder. Recent ``datasets`` versions decode ``Audio`` columns through torchcodec, which is
not a genrekit dependency; the column is therefore read undecoded (``Audio(decode=False)``: the
original file bytes or a local path) and decoded with soundfile.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pandas as pd
import soundfile as sf
from tqdm.auto import tqdm

from genrekit import paths
from genrekit.data.audio import audio_info, quiet_decoder, write_audio
from genrekit.data.folder import plural
from genrekit.data.index import Problem, TrackIndex
from genrekit.errors import AudioError, ConfigError, DatasetError

#: Hugging Face split names -> genrekit's.
_SPLIT_NAMES = {"train": "train", "training": "train", "validation": "valid", "valid": "valid", "dev": "valid", "test": "test"}

#: Label columns tried, in order, when none is given and no ClassLabel feature exists.
_LABEL_CANDIDATES = ("genre", "label", "labels", "genre_top")


def load_hf(
    dataset: Any,
    *,
    name: str | None = None,
    split: str | None = None,
    audio_column: str = "audio",
    label_column: str | None = None,
    out_dir: str | Path | None = None,
    progress: bool = True,
) -> TrackIndex:
    """Index a Hugging Face audio dataset, writing its audio to wav files.

    Parameters
    ----------
    dataset : datasets.Dataset, datasets.DatasetDict or str
        A dataset object, a folder written by ``save_to_disk``, or a hub name such as
        ``'marsyas/gtzan'`` (loaded with ``datasets.load_dataset``: needs internet or a cache).
    name : str or None
        Dataset name in the index (default: derived from the hub name, else ``'hf'``).
    split : str or None
        Use only this split of a DatasetDict. Without it, all splits are used and, when the
        dict has at least two of train/validation/test, kept as the ``'official'`` split.
    audio_column : str
        Column with the ``Audio`` feature.
    label_column : str or None
        Genre column: a ``ClassLabel`` (names used) or strings. Default: the first ClassLabel
        column, else one of 'genre', 'label', 'labels'.
    out_dir : str or Path or None
        Where the wav files go (default ``paths.interim_dir()/'hf'/<name>``). Files already there
        and readable are reused, so a second call is fast.
    progress : bool
        Show a progress bar while writing audio.

    Returns
    -------
    TrackIndex
        ``track_id`` is the example's original file stem when those are unique, else
        ``'<split>-<row>'``. Examples whose audio cannot be decoded are listed in ``problems``.

    Raises
    ------
    DatasetError
        If a hub dataset cannot be loaded (offline, unknown name), or the columns are missing.
    ConfigError
        For an unknown ``split``.
    """
    import datasets

    if isinstance(dataset, (str, Path)):
        name = name or _name_from(str(dataset))
        dataset = _open(str(dataset), split=split)
    name = name or "hf"
    out_dir = Path(out_dir).expanduser() if out_dir is not None else paths.interim_dir() / "hf" / name

    if isinstance(dataset, (datasets.DatasetDict, dict)):
        if split is not None:
            if split not in dataset:
                raise ConfigError(f"split {split!r} not in the dataset; it has {', '.join(dataset)}")
            parts = {split: dataset[split]}
        else:
            parts = dict(dataset)
    elif isinstance(dataset, datasets.Dataset):
        parts = {split or str(dataset.split or "all"): dataset}
    else:
        raise DatasetError(f"load_hf expects a datasets.Dataset, DatasetDict or a name, got {type(dataset).__name__}")

    known_sides = {_SPLIT_NAMES.get(s.lower()) for s in parts} - {None}
    official = split is None and len(known_sides) >= 2
    for part_name, part in parts.items():
        if audio_column not in part.column_names:
            raise DatasetError(f"{name}[{part_name}]: no audio column {audio_column!r}; columns: {part.column_names}")
    ids = _track_ids(parts, audio_column)
    rows, problems, notes = [], [], []
    for part_name, part in parts.items():
        label_col, label_names = _label_column(part, label_column, where=f"{name}[{part_name}]")
        part = part.cast_column(audio_column, datasets.Audio(decode=False)).select_columns([audio_column, label_col])
        side = _SPLIT_NAMES.get(part_name.lower()) if official else None
        for i, example in enumerate(tqdm(part, desc=f"writing {name} [{part_name}]", unit="clip", disable=not progress)):
            label = example[label_col]
            if label is None or (label_names is not None and not 0 <= label < len(label_names)):
                problems.append(Problem(f"{name}[{part_name}][{i}]", f"no valid label ({label!r}); skipped"))
                continue
            genre = label_names[label] if label_names is not None else str(label)
            track_id = ids[part_name][i]
            target = out_dir / _safe(genre) / f"{_safe(track_id)}.wav"
            try:
                _materialise(example[audio_column], target)
            except AudioError as exc:
                problems.append(Problem(f"{name}[{part_name}][{i}]", exc.reason))
                continue
            rows.append({"track_id": track_id, "path": str(target), "genre": genre, "split": side})
    if not rows:
        raise DatasetError(f"{name}: no usable examples ({len(problems)} skipped)")
    tracks = pd.DataFrame(rows)
    notes.append(f"{len(tracks):,} examples from Hugging Face dataset {name!r} written under {out_dir}")
    if problems:
        notes.append(f"{plural(len(problems), 'example')} skipped (see problems)")
    if split is None and not official and len(parts) > 1:
        notes.append(f"splits {', '.join(parts)} are not train/validation/test: merged, no official split")
    return TrackIndex(name, tracks, problems=problems, split_kind="official" if official else None, notes=notes)


def _open(source: str, *, split: str | None):
    import datasets

    try:
        if Path(source).expanduser().is_dir() and (
            (Path(source).expanduser() / "dataset_dict.json").is_file() or (Path(source).expanduser() / "state.json").is_file()
        ):
            return datasets.load_from_disk(str(Path(source).expanduser()))
        return datasets.load_dataset(source, split=split)
    except Exception as exc:  # offline, unknown name, script datasets refused: all end the same way
        raise DatasetError(
            f"could not load Hugging Face dataset {source!r}: {type(exc).__name__}: {str(exc)[:300]}. "
            "Hub datasets need internet access (or a local cache); offline, save it with "
            "Dataset.save_to_disk and pass that folder, or use 'folder:PATH' on the audio files"
        ) from None


def _name_from(source: str) -> str:
    return "hf-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", source.strip("/")).strip("-").lower()


def _label_column(part, label_column: str | None, *, where: str) -> tuple[str, list[str] | None]:
    """(column, class names or None for string labels)."""
    import datasets

    features = part.features
    if label_column is None:
        class_labels = [c for c, f in features.items() if isinstance(f, datasets.ClassLabel)]
        candidates = class_labels or [c for c in _LABEL_CANDIDATES if c in features]
        if not candidates:
            raise DatasetError(f"{where}: no label column found; pass label_column (columns: {list(features)})")
        label_column = candidates[0]
    if label_column not in features:
        raise DatasetError(f"{where}: no label column {label_column!r}; columns: {list(features)}")
    feature = features[label_column]
    if isinstance(feature, datasets.ClassLabel):
        return label_column, list(feature.names)
    if isinstance(feature, datasets.Value) and feature.dtype in ("string", "large_string"):
        return label_column, None
    raise DatasetError(f"{where}: label column {label_column!r} is {feature}, not a ClassLabel or string column")


def _track_ids(parts: dict, audio_column: str) -> dict[str, list[str]]:
    """Per part, the original file stems when all are present and unique across parts (GTZAN's
    'blues.00000'), else '<part>-<row>'."""
    import pyarrow as pa
    import pyarrow.compute as pc

    stems = {}
    for part_name, part in parts.items():
        # as Arrow, only the path field becomes Python objects, not every clip's bytes
        column = part.select_columns([audio_column]).with_format("arrow")[audio_column]
        if isinstance(column, pa.Table):
            column = column.column(0)
        if not pa.types.is_struct(column.type) or column.type.get_field_index("path") < 0:
            stems[part_name] = [None] * len(part)
            continue
        stems[part_name] = [Path(p).stem if p else None for p in pc.struct_field(column, "path").to_pylist()]
    every = [s for values in stems.values() for s in values]
    if all(every) and len(set(every)) == len(every):
        return stems
    return {part_name: [f"{part_name}-{i:06d}" for i in range(len(values))] for part_name, values in stems.items()}


def _safe(text: str) -> str:
    """A file-system-safe name (labels and ids can hold '/', ':' ...)."""
    return re.sub(r"[^\w.+-]+", "_", str(text)).strip("._") or "_"


def _materialise(value: dict | None, target: Path) -> None:
    """Write one undecoded Audio value ({'bytes', 'path'}) to ``target`` as wav, unless already there."""
    if target.is_file():
        try:
            audio_info(target)
            return
        except AudioError:
            pass  # a half-written file from an interrupted run: write it again
    value = value or {}
    data, source = value.get("bytes"), value.get("path")
    try:
        with quiet_decoder(source or target):  # mpg123's notes on MP3 bytes name no file
            if data is not None:
                y, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
                subtype = sf.info(io.BytesIO(data)).subtype
            elif source and Path(source).is_file():
                y, sr = sf.read(source, dtype="float32", always_2d=True)
                subtype = sf.info(source).subtype
            else:
                raise AudioError(source, "no audio bytes and no readable local file")
    except AudioError:
        raise
    except Exception as exc:  # soundfile raises LibsndfileError, RuntimeError or TypeError
        detail = str(exc).strip().splitlines()
        raise AudioError(source, f"could not decode audio ({detail[-1][:200] if detail else type(exc).__name__})") from None
    if y.shape[0] == 0:
        raise AudioError(source, "empty: no samples")
    # keep the original sample format where WAV can hold it (24-bit stays 24-bit)
    subtype = subtype if sf.check_format("WAV", subtype) else None
    partial = target.with_name(target.name + ".part")
    partial.parent.mkdir(parents=True, exist_ok=True)
    write_audio(partial, y.T, sr, format="WAV", subtype=subtype)
    partial.replace(target)
