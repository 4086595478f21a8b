"""Pretrained weights that ship inside a PyPI wheel, read without the framework that wrote them.

The musicnn wheel (``musicnn==0.1.0``, ISC licence, Music Technology Group, Universitat Pompeu
Fabra) carries TensorFlow 1 checkpoints. genrekit never installs TensorFlow nor imports the
``musicnn`` package: :func:`fetch_musicnn` downloads the wheel with pip *without its
dependencies* (its metadata pins ``tensorflow>=1.14`` and ``numpy<1.17``), checks its sha256,
reads each checkpoint straight out of the zip with :func:`read_tf_bundle`, and stores the
trainable weights and batch-norm statistics once as safetensors::

    <pretrained_dir>/musicnn/MSD_musicnn.safetensors
    <pretrained_dir>/musicnn/MTT_musicnn.safetensors

A TensorFlow "tensor bundle" checkpoint is two files: ``.index``, a LevelDB-format table mapping
variable names to ``BundleEntryProto`` records (dtype, shape, offset and size in the data file),
and ``.data-00000-of-00001``, the raw little-endian tensor bytes. Both formats are simple enough to
read with the standard library; the Adam slots and step counters in the bundle are skipped.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from genrekit import paths
from genrekit.errors import ConfigError, GenrekitError

#: The wheel that carries the weights: name, version, file name, size and sha256.
MUSICNN_WHEEL = {
    "requirement": "musicnn==0.1.0",
    "file": "musicnn-0.1.0-py3-none-any.whl",
    "size": 29_292_476,
    "sha256": "f38a4890c648c1ddbb141c5d96d2b0a8cfcd36746002d896989f7b88beb65cfa",
}

#: The checkpoints genrekit ports (folder names inside the wheel's ``musicnn/`` package).
MUSICNN_MODELS = ("MSD_musicnn", "MTT_musicnn")


class WeightsError(GenrekitError):
    """Pretrained weights that are missing, corrupt or cannot be fetched."""


# ---------------------------------------------------------------------- where weights live


def weights_path(model: str) -> Path:
    """The safetensors file of a musicnn checkpoint (may not exist yet)."""
    if model not in MUSICNN_MODELS:
        raise ConfigError(f"unknown musicnn model {model!r}; available: {', '.join(MUSICNN_MODELS)}")
    return paths.pretrained_dir() / "musicnn" / f"{model}.safetensors"


def have_weights() -> bool:
    """Whether both musicnn checkpoints are in the cache."""
    return all(weights_path(m).is_file() for m in MUSICNN_MODELS)


def missing_weights_message() -> str:
    return (f"the musicnn weights are not in {paths.pretrained_dir() / 'musicnn'}: run 'genrekit pretrained fetch musicnn' "
            f"(needs PyPI), or offline 'genrekit pretrained fetch musicnn --from-wheel {MUSICNN_WHEEL['file']}' with the "
            "wheel downloaded elsewhere")


def load_weights(model: str, *, fetch: bool = False) -> dict[str, np.ndarray]:
    """The arrays of one musicnn checkpoint, by TensorFlow variable name.

    Parameters
    ----------
    model : {'MSD_musicnn', 'MTT_musicnn'}
    fetch : bool
        Fetch the wheel through pip when the weights are not cached yet.

    Raises
    ------
    WeightsError
        If the weights are not cached (and ``fetch`` is off or fails), or the file is unreadable.
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    path = weights_path(model)
    if not path.is_file():
        if not fetch:
            raise WeightsError(missing_weights_message())
        fetch_musicnn()
    try:
        return load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise WeightsError(f"{path}: unreadable weights ({exc}); delete it and run 'genrekit pretrained fetch musicnn'") from None


# ---------------------------------------------------------------------- fetching


def fetch_musicnn(*, wheel: str | Path | None = None, force: bool = False, progress: bool = True) -> list[Path]:
    """Obtain the musicnn checkpoints and store them as safetensors (once).

    Parameters
    ----------
    wheel : str or Path, optional
        A ``musicnn-0.1.0-py3-none-any.whl`` placed by hand (offline route); None downloads it
        with ``pip download --no-deps``.
    force : bool
        Convert again even if the safetensors files exist.
    progress : bool
        Print what is being done.

    Returns
    -------
    list of Path
        The safetensors files, one per checkpoint in :data:`MUSICNN_MODELS`.

    Raises
    ------
    WeightsError
        If pip fails, the wheel's checksum is wrong, or a checkpoint cannot be read.
    """
    targets = [weights_path(m) for m in MUSICNN_MODELS]
    targets[0].parent.mkdir(parents=True, exist_ok=True)
    # one fetch at a time (parallel test workers, two terminals); the others find the files done
    with _locked(targets[0].parent / ".fetch.lock"):
        if not force and all(t.is_file() for t in targets):
            return targets
        with tempfile.TemporaryDirectory(prefix="genrekit-musicnn-") as tmp:
            if wheel is None:
                wheel_path = _pip_download(Path(tmp), progress=progress)
            else:
                wheel_path = Path(wheel)
                if not wheel_path.is_file():
                    raise WeightsError(f"{wheel_path}: wheel not found")
            check_wheel(wheel_path)
            for model, target in zip(MUSICNN_MODELS, targets):
                tensors = read_wheel_checkpoint(wheel_path, model)
                _save(target, tensors, source=wheel_path.name)
                if progress:
                    n = sum(int(a.size) for a in tensors.values())
                    print(f"{model}: {len(tensors)} tensors, {n:,} values -> {target}", file=sys.stderr)
    return targets


def check_wheel(path: Path) -> None:
    """Raise :class:`WeightsError` unless ``path`` is the expected wheel, byte for byte."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != MUSICNN_WHEEL["sha256"]:
        raise WeightsError(f"{path}: sha256 {digest.hexdigest()} is not that of {MUSICNN_WHEEL['file']} "
                           f"({MUSICNN_WHEEL['sha256']}); download {MUSICNN_WHEEL['requirement']} again")


def _pip_download(folder: Path, *, progress: bool) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--no-cache-dir",
               "--disable-pip-version-check", "-d", str(folder), MUSICNN_WHEEL["requirement"]]
    if progress:
        print(f"downloading {MUSICNN_WHEEL['requirement']} ({MUSICNN_WHEEL['size'] / 1e6:.0f} MB) with pip, "
              "without its dependencies", file=sys.stderr)
    done = subprocess.run(command, capture_output=True, text=True)
    path = folder / MUSICNN_WHEEL["file"]
    if done.returncode != 0 or not path.is_file():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise WeightsError(f"pip could not download {MUSICNN_WHEEL['requirement']} ({last}); offline, download "
                           f"{MUSICNN_WHEEL['file']} elsewhere and run 'genrekit pretrained fetch musicnn --from-wheel PATH'")
    return path


def _save(target: Path, tensors: dict[str, np.ndarray], *, source: str) -> None:
    from safetensors.numpy import save_file

    tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(tmp),
              metadata={"source": source, "licence": "ISC, Music Technology Group, Universitat Pompeu Fabra (2019)"})
    os.replace(tmp, target)


@contextmanager
def _locked(path: Path):
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---------------------------------------------------------------------- TensorFlow tensor bundles


def read_wheel_checkpoint(wheel: str | Path, model: str) -> dict[str, np.ndarray]:
    """Read one checkpoint out of the musicnn wheel: model variables only (no optimiser slots)."""
    prefix = f"musicnn/{model}/"
    try:
        with zipfile.ZipFile(wheel) as archive:
            index = archive.read(prefix + ".index")
            data = archive.read(prefix + ".data-00000-of-00001")
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise WeightsError(f"{wheel}: no {model} checkpoint in it ({exc})") from None
    tensors = read_tf_bundle(index, data)
    return {k: v for k, v in tensors.items() if not _optimiser_slot(k)}


def _optimiser_slot(name: str) -> bool:
    return name.endswith(("/Adam", "/Adam_1")) or name in {"beta1_power", "beta2_power", "global_step"}


_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 9: np.int64}
_MAGIC = 0xDB4775248B80FB57


def read_tf_bundle(index: bytes, data: bytes) -> dict[str, np.ndarray]:
    """Decode a single-shard TensorFlow tensor bundle.

    Parameters
    ----------
    index : bytes
        The ``.index`` file: a LevelDB table of ``name -> BundleEntryProto``.
    data : bytes
        The ``.data-00000-of-00001`` file.

    Returns
    -------
    dict of str to np.ndarray
        Every tensor of a supported dtype (float32/64, int32/64), by variable name.

    Raises
    ------
    WeightsError
        If the index is not a LevelDB table or a tensor lies outside the data file.
    """
    out: dict[str, np.ndarray] = {}
    for key, value in _table_entries(index):
        if not key:  # the bundle header
            continue
        entry = _proto_fields(value)
        dtype = _DTYPES.get(entry.get(1, [0])[0])
        if dtype is None:
            continue
        shape = [_proto_fields(dim).get(1, [0])[0] for dim in _proto_fields(entry[2][0]).get(2, [])] if 2 in entry else []
        offset, size = entry.get(4, [0])[0], entry.get(5, [0])[0]
        if entry.get(3, [0])[0] != 0 or offset + size > len(data):
            raise WeightsError(f"tensor {key.decode(errors='replace')} lies outside the data file")
        array = np.frombuffer(data, dtype=np.dtype(dtype).newbyteorder("<"), count=size // np.dtype(dtype).itemsize,
                              offset=offset)
        out[key.decode()] = array.reshape(shape).astype(dtype)
    return out


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _table_entries(table: bytes):
    """Yield ``(key, value)`` of every entry of a LevelDB table (uncompressed blocks)."""
    if len(table) < 48 or struct.unpack("<Q", table[-8:])[0] != _MAGIC:
        raise WeightsError("not a TensorFlow checkpoint index (LevelDB magic number missing)")
    footer = table[-48:]
    _, pos = _varint(footer, 0)  # metaindex offset
    _, pos = _varint(footer, pos)  # metaindex size
    index_offset, pos = _varint(footer, pos)
    index_size, _ = _varint(footer, pos)
    for _, handle in _block_entries(table, index_offset, index_size):
        offset, pos = _varint(handle, 0)
        size, _ = _varint(handle, pos)
        yield from _block_entries(table, offset, size)


def _block_entries(table: bytes, offset: int, size: int):
    if table[offset + size] != 0:  # the trailer's compression byte
        raise WeightsError("compressed checkpoint index blocks are not supported")
    block = table[offset : offset + size]
    n_restarts = struct.unpack("<I", block[-4:])[0]
    end = len(block) - 4 * (n_restarts + 1)
    pos, key = 0, b""
    while pos < end:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        length, pos = _varint(block, pos)
        key = key[:shared] + block[pos : pos + unshared]
        pos += unshared
        yield key, block[pos : pos + length]
        pos += length


def _proto_fields(buf: bytes) -> dict[int, list]:
    """Decode a protobuf message into ``{field number: [values]}`` (varints, fixed, bytes)."""
    fields: dict[int, list] = {}
    pos = 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos : pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = buf[pos : pos + 4], pos + 4
        else:
            raise WeightsError(f"unexpected protobuf wire type {wire}")
        fields.setdefault(number, []).append(value)
    return fields
