"""Plain helpers the test modules share: builders of tiny dataset trees in the real layouts, test
signals, tiny trained runs, and the app's test server.

Plain functions (not pytest fixtures) so tests can choose sizes; import with
``from fixtures import make_gtzan_tree`` (pytest puts ``tests/`` on ``sys.path``). The fixtures built
on them (one trained run per session, one app server per session) are in ``conftest.py``.
Each tree builder writes real, decodable audio (a genre-dependent tone) plus, where asked, a corrupt file.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from genrekit.data.audio import write_audio
from genrekit.inference import Predictor

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
#: The tiny torch config (configs/debug-torch.toml): a spectrogram CNN on the synthetic set, on CPU.
DEBUG_TORCH_CONFIG = CONFIGS / "debug-torch.toml"

GTZAN_GENRES = ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")

# Deterministic garbage: what a truncated download or a disk error leaves behind.
CORRUPT_BYTES = bytes(range(256)) * 16

#: A real recording of ../shared/real_audio (the ``real_audio`` fixture) that musicnn's README tags.
JORAM = "joram-moments_of_clarity-08-solipsism-59-88.mp3"


# Signals ----------------------------------------------------------------------------------------

def tone(seconds: float, sr: int, freq: float, *, seed: int = 0, amp: float = 0.3, noise_amp: float = 0.01) -> np.ndarray:
    """A sine at ``freq`` Hz plus a little noise: decodable, non-silent, distinct per clip."""
    t = np.arange(int(round(seconds * sr))) / sr
    hiss = np.random.default_rng(seed).standard_normal(t.size)
    return (amp * np.sin(2 * np.pi * freq * t) + noise_amp * hiss).astype(np.float32)


def sine(freq: float = 440.0, seconds: float = 1.0, *, sr: int = 22050, amp: float = 0.5) -> np.ndarray:
    """A pure sine, float32: the signal whose spectrum, pitch and features have known answers."""
    t = np.arange(int(round(seconds * sr))) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def noise(seconds: float, sr: int = 22050, *, seed: int = 0) -> np.ndarray:
    """White noise at 0.1 standard deviation, float32, ``int(seconds * sr)`` samples."""
    return (0.1 * np.random.default_rng(seed).standard_normal(int(seconds * sr))).astype(np.float32)


# GTZAN ------------------------------------------------------------------------------------------

def make_gtzan_tree(
    root: str | Path,
    *,
    layout: str = "original",
    genres: tuple[str, ...] = GTZAN_GENRES,
    per_genre: int = 3,
    seconds: float = 1.0,
    sr: int = 22050,
    corrupt: tuple[str, int] | None = ("jazz", 54),
) -> Path:
    """Write a GTZAN tree and return the dataset root.

    ``layout='original'``: ``root/genres/<g>/<g>.000NN.au``; ``layout='kaggle'``:
    ``root/Data/genres_original/<g>/<g>.000NN.wav``. Clips are numbered 0..per_genre-1; ``corrupt``
    = (genre, number) adds one extra file of garbage bytes with a valid clip name (skipped when
    that genre is not written).
    """
    root = Path(root)
    if layout == "original":
        genres_dir, ext = root / "genres", ".au"
    elif layout == "kaggle":
        genres_dir, ext = root / "Data" / "genres_original", ".wav"
    else:
        raise ValueError(f"layout must be 'original' or 'kaggle', got {layout!r}")
    for g, genre in enumerate(genres):
        for n in range(per_genre):
            y = tone(seconds, sr, 110.0 * (g + 1) + 5.0 * n, seed=g * 1000 + n)
            write_audio(genres_dir / genre / f"{genre}.{n:05d}{ext}", y, sr)
    if corrupt is not None and corrupt[0] in genres:
        genre, n = corrupt
        (genres_dir / genre / f"{genre}.{n:05d}{ext}").write_bytes(CORRUPT_BYTES)
    return root


def write_sturm_index(path: str | Path, entries: list[tuple[str, str, str]], *, ext: str = ".wav") -> Path:
    """Write ``(track_id, artist, title)`` rows in Sturm's GTZANindex format ('' = unknown)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["## Test index in the format of B. L. Sturm's GTZANindex.txt", "##"]
    lines += [f"{tid}{ext} ::: {artist} ::: {title}".rstrip() for tid, artist, title in entries]
    path.write_text("\n".join(lines) + "\n")
    return path


# FMA --------------------------------------------------------------------------------------------

#: The real tracks.csv columns (52 of them), as (top-level, sub-name), in the real order.
FMA_TRACK_COLUMNS = (
    [("album", c) for c in (
        "comments", "date_created", "date_released", "engineer", "favorites", "id", "information",
        "listens", "producer", "tags", "title", "tracks", "type")]
    + [("artist", c) for c in (
        "active_year_begin", "active_year_end", "associated_labels", "bio", "comments", "date_created",
        "favorites", "id", "latitude", "location", "longitude", "members", "name", "related_projects",
        "tags", "website", "wikipedia_page")]
    + [("set", "split"), ("set", "subset")]
    + [("track", c) for c in (
        "bit_rate", "comments", "composer", "date_created", "date_recorded", "duration", "favorites",
        "genre_top", "genres", "genres_all", "information", "interest", "language_code", "license",
        "listens", "lyricist", "number", "publisher", "tags", "title")]
)

#: Fixture tracks: (track_id, subset, split, genre_top or None, genre ids, artist, title).
FMA_FIXTURE_TRACKS = [
    (2, "small", "training", "Hip-Hop", [21], "Artist A", "Food"),
    (3, "small", "training", "Hip-Hop", [21], "Artist A", "Electric Ave"),
    (5, "small", "test", "Hip-Hop", [21], "Artist B", "This World"),
    (10, "small", "validation", "Pop", [10], "Artist C", "Freeway"),
    (1040, "small", "training", "Pop", [10, 76], "Artist D", "Song, with a comma"),
    (1041, "small", "test", "Folk", [17], "Artist E", "Queen"),
    (1402, "small", "training", "Folk", [17], "Artist F", "Ballad"),
    (1403, "small", "validation", "Folk", [17], "Artist F", "Ballad II"),
    (12345, "small", "training", None, [1, 38], "Artist G", "No top genre"),
    (12346, "small", "test", "Rock", [12], "Artist H", "Mp3 missing"),
    (24000, "medium", "training", "Rock", [12], "Artist I", "Medium one"),
    (24001, "medium", "validation", "Rock", [12, 25], "Artist J", "Medium two"),
    (130000, "large", "training", None, [38], "Artist K", "Large without genre"),
    (130001, "large", "test", "Electronic", [15], "Artist L", "Large one"),
]

#: Track ids whose mp3 the fixture never writes.
FMA_MISSING_AUDIO = (12346,)

FMA_GENRES_CSV = [
    (1, 0, 38, "Avant-Garde", 38),
    (10, 0, 0, "Pop", 10),
    (12, 0, 0, "Rock", 12),
    (15, 0, 0, "Electronic", 15),
    (17, 0, 0, "Folk", 17),
    (21, 0, 0, "Hip-Hop", 21),
    (25, 0, 12, "Punk", 12),
    (38, 0, 0, "Experimental", 38),
    (76, 0, 10, "Experimental Pop", 10),
]


def fma_fixture_expected(subset: str) -> dict[str, str]:
    """{6-digit track id: genre} that ``load_fma`` should return for the fixture's ``subset``."""
    order = ("small", "medium", "large")
    return {
        f"{tid:06d}": genre
        for tid, sub, _split, genre, *_ in FMA_FIXTURE_TRACKS
        if order.index(sub) <= order.index(subset) and genre is not None and tid not in FMA_MISSING_AUDIO
    }


def make_fma_tree(
    root: str | Path,
    *,
    subset: str = "small",
    seconds: float = 0.5,
    sr: int = 22050,
    corrupt: int | None = None,
) -> Path:
    """Write ``root/fma_metadata/{tracks,genres}.csv`` and ``root/fma_<subset>/<ddd>/<dddddd>.mp3``.

    tracks.csv has the real structure: a row of top-level names, a row of sub-names, a row
    ``track_id,,,...``, then data; list columns as Python literals (``"[10, 76]"``). Audio is
    written for every track in ``subset`` (and the smaller ones) except :data:`FMA_MISSING_AUDIO`;
    ``corrupt`` names a track id whose mp3 is garbage. Returns ``root``.
    """
    root = Path(root)
    meta = root / "fma_metadata"
    meta.mkdir(parents=True, exist_ok=True)
    with open(meta / "tracks.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([""] + [top for top, _ in FMA_TRACK_COLUMNS])
        writer.writerow([""] + [sub for _, sub in FMA_TRACK_COLUMNS])
        writer.writerow(["track_id"] + [""] * len(FMA_TRACK_COLUMNS))
        for tid, sub, split, genre, genre_ids, artist, title in FMA_FIXTURE_TRACKS:
            values = {
                ("album", "tags"): "[]",
                ("album", "title"): f"Album of {artist}",
                ("album", "type"): "Album",
                ("artist", "name"): artist,
                ("artist", "tags"): "['test']",
                ("set", "split"): split,
                ("set", "subset"): sub,
                ("track", "bit_rate"): "256000",
                ("track", "duration"): "30",
                ("track", "genre_top"): genre or "",
                ("track", "genres"): str(genre_ids),
                ("track", "genres_all"): str(genre_ids),
                ("track", "tags"): "[]",
                ("track", "title"): title,
                ("track", "license"): "Attribution-NonCommercial-ShareAlike 3.0 International",
            }
            writer.writerow([tid] + [values.get(column, "") for column in FMA_TRACK_COLUMNS])
    with open(meta / "genres.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["genre_id", "#tracks", "parent", "title", "top_level"])
        writer.writerows(FMA_GENRES_CSV)

    order = ("small", "medium", "large")
    audio = root / f"fma_{subset}"
    audio.mkdir(parents=True, exist_ok=True)
    for i, (tid, sub, *_rest) in enumerate(FMA_FIXTURE_TRACKS):
        if order.index(sub) > order.index(subset) or tid in FMA_MISSING_AUDIO:
            continue
        tid6 = f"{tid:06d}"
        path = audio / tid6[:3] / f"{tid6}.mp3"
        if tid == corrupt:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(CORRUPT_BYTES)
        else:
            write_audio(path, tone(seconds, sr, 200.0 + 20 * i, seed=tid), sr)
    return root


# Plain folders ----------------------------------------------------------------------------------

def make_folder_tree(root: str | Path, *, seconds: float = 0.5, sr: int = 22050) -> Path:
    """Write a genre-folder collection in several formats and return ``root``::

        root/rock/anthem.mp3   root/rock/live/encore.flac (nested)   root/jazz/blue.ogg
        root/jazz/take.wav     root/jazz/broken.wav (corrupt)         root/jazz/notes.txt
        root/loose.wav (no genre folder)                              root/.hidden/x.wav

    Readable tracks: ``rock/anthem``, ``rock/live/encore``, ``jazz/blue``, ``jazz/take``.
    """
    root = Path(root)
    write_audio(root / "rock" / "anthem.mp3", tone(seconds, sr, 220.0, seed=1), sr)
    write_audio(root / "rock" / "live" / "encore.flac", tone(seconds, sr, 330.0, seed=2), sr)
    write_audio(root / "jazz" / "blue.ogg", tone(seconds, sr, 440.0, seed=3), sr)
    write_audio(root / "jazz" / "take.wav", tone(seconds, sr, 550.0, seed=4), sr)
    (root / "jazz" / "broken.wav").write_bytes(CORRUPT_BYTES)
    (root / "jazz" / "notes.txt").write_text("liner notes, not audio\n")
    write_audio(root / "loose.wav", tone(seconds, sr, 660.0, seed=5), sr)
    write_audio(root / ".hidden" / "x.wav", tone(seconds, sr, 770.0, seed=6), sr)
    return root


# Damaged files ----------------------------------------------------------------------------------

def write_truncated(path: str | Path, *, seconds: float = 10.0, sr: int = 22050, keep: float = 0.5) -> Path:
    """``seconds`` of tone in the format of the suffix, its bytes cut to ``keep`` of their length.

    What an interrupted download leaves: the header still declares the full length (an MP3 written
    by libsndfile carries a Xing header with the frame count; FLAC its STREAMINFO; WAV its data
    chunk size), the audio after the cut is gone.
    """
    path = write_audio(path, tone(seconds, sr, 440.0), sr)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def write_damaged_mp3(path: str | Path, *, seconds: float = 10.0, sr: int = 22050) -> Path:
    """An MP3 with 2,000 bytes of garbage a third of the way in (mpg123 prints "Illegal
    Audio-MPEG-Header" and gives up resyncing there)."""
    path = write_audio(path, tone(seconds, sr, 440.0), sr)
    data = bytearray(path.read_bytes())
    at = len(data) // 3
    data[at : at + 2000] = CORRUPT_BYTES[:2000]
    path.write_bytes(bytes(data))
    return path


def chunk_proba(network, y: np.ndarray, sr: int) -> np.ndarray:
    """Softmax of every input chunk a loaded network (``LoadedNetwork``) cuts ``y`` into, computed
    with the training code's own forward pass: ``(n_chunks, n_classes)``."""
    import torch

    from genrekit.trainer import predict_proba

    chunks = torch.from_numpy(np.ascontiguousarray(network.chunks(y, sr), dtype=np.float32))
    return predict_proba(network.model, chunks, batch_size=network.batch_size, device=network.device)


def own_track_proba(network, path) -> np.ndarray:
    """A file's track probabilities as the network's run scored tracks: the middle
    ``clip_seconds`` at its sample rate, cut into its chunks, the mean of their softmax."""
    from genrekit.data.audio import load_audio

    y = load_audio(path, sr=network.sample_rate, middle=network.clip_seconds)
    return chunk_proba(network, y, network.sample_rate).mean(axis=0)


# Equivalence ------------------------------------------------------------------------------------

def assert_float32_close(actual, reference, *, terms: int, paths: int = 1, err_msg: str = "") -> None:
    """Assert ``actual`` (float32 arithmetic) is within float32 rounding of ``reference``.

    Rounding errors of a float32 sum of ``terms`` products spread like a random walk: about
    ``sqrt(terms)`` units of float32's eps (1.2e-7) times the magnitudes summed, for which the
    reference's largest magnitude stands; the largest error over thousands of outputs stays within
    4 such deviations. ``paths`` float32 computations between the two add their errors. A bound of
    the arithmetic, not of one CPU's SIMD kernels (which order the sums differently).
    """
    actual = np.asarray(actual.detach().cpu() if hasattr(actual, "detach") else actual, dtype=np.float64)
    reference = np.asarray(reference.detach().cpu() if hasattr(reference, "detach") else reference, dtype=np.float64)
    assert actual.shape == reference.shape, f"{err_msg} shapes {actual.shape} and {reference.shape}"
    tolerance = 4 * paths * np.sqrt(terms) * np.finfo(np.float32).eps * np.abs(reference).max()
    worst = float(np.abs(actual - reference).max()) if actual.size else 0.0
    assert worst <= tolerance, f"{err_msg} greatest difference {worst:.3g} exceeds float32 rounding {tolerance:.3g}"


# Torch ------------------------------------------------------------------------------------------

@contextmanager
def single_torch_thread():
    """One intra-op torch thread inside the block, the process's count restored after.

    Networks this small gain nothing from intra-op threads, and on a busy 2-core machine OpenMP's
    spinning threads make a training step many times slower.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def debug_config(runs_dir: str | Path, *overrides: str):
    """configs/debug-torch.toml with ``overrides`` (``section.key=value``), writing runs into ``runs_dir``."""
    from genrekit.config import load_config

    config = load_config(DEBUG_TORCH_CONFIG, list(overrides))
    config.runs_dir = str(runs_dir)
    return config


# Runs -------------------------------------------------------------------------------------------

def copy_run(run: Path, folder: Path, *, dataset: str) -> Path:
    """A copy of ``run`` at ``folder`` whose ``run.json`` records ``dataset`` as its training set."""
    shutil.copytree(run, folder)
    info = json.loads((folder / "run.json").read_text())
    (folder / "run.json").write_text(json.dumps({**info, "dataset": dataset}))
    return folder


class Fixed(Predictor):
    """Returns the same probabilities for any audio (NaN for segments shorter than ``min_seconds``)."""

    def __init__(self, labels, proba, *, name="fixed", min_seconds=0.0, sample_rate=22050):
        self.labels = list(labels)
        self.proba = np.asarray(proba, dtype=np.float64)
        self.name = self.model = name
        self.family = "test"
        self.sample_rate = sample_rate
        self.window_seconds = 1.0
        self.min_seconds = min_seconds
        self.calls = 0

    def _segment_scores(self, segments):
        self.calls += len(segments)
        proba = np.tile(self.proba, (len(segments), 1))
        errors = [None] * len(segments)
        for i, s in enumerate(segments):
            if len(s) < self.min_seconds * self.sample_rate:
                proba[i] = np.nan
                errors[i] = "too short"
        return proba, None, errors


#: Genres of the tiny runs' training set and of the test album: four that the synthetic set keeps apart.
TINY_GENRES = ("classical", "country", "hiphop", "metal")
TINY_CLIPS, TINY_SECONDS = 20, 4.0

_TORCH = {"train": {"epochs": 8, "batch_size": 8, "lr": 1e-2, "weight_decay": 1e-4, "patience": 8, "device": "cpu"}}
TINY_RUN_CONFIGS = {
    # hand-crafted features of whole 4 s clips; cheap features (no CQT chroma, no tempo)
    "logreg": {"features": {"chroma_cqt": False, "tempo": False}, "model": {"name": "logreg"}, "train": {"search": False}},
    "cnn-spec": {"data": {"chunk_seconds": 3.0, "hop_seconds": 1.5},
                 "model": {"name": "cnn-spec", "input": "mel", "params": {
                     "size": [64, 64], "n_fft": 1024, "hop_length": 512, "n_mels": 64, "width": 16, "blocks": 3, "dropout": 0.1}},
                 **_TORCH},
    "cnn-mfcc": {"data": {"chunk_seconds": 3.0, "hop_seconds": 1.5},
                 "model": {"name": "cnn-mfcc", "input": "mfcc", "params": {"n_fft": 1024, "n_mels": 40}}, **_TORCH},
}


def train_tiny_runs(base: Path) -> dict[str, Path]:
    """{model: run folder} of logreg, cnn-spec and cnn-mfcc trained on 4 genres x 20 clips x 4 s (random
    split) under ``base``; the set itself is ``base/synth``. Behind the ``tiny_runs`` fixture."""
    from genrekit.config import ExperimentConfig, from_dict
    from genrekit.data.synth import generate_synthetic
    from genrekit.train import train

    data = base / "synth"
    generate_synthetic(data, clips_per_genre=TINY_CLIPS, seconds=TINY_SECONDS, sr=22050, seed=0, genres=TINY_GENRES,
                       workers=1, progress=False)
    common = {"source": str(data), "split": "random", "clip_seconds": TINY_SECONDS, "valid_fraction": 0.2,
              "test_fraction": 0.2, "seed": 0}
    runs = {}
    with single_torch_thread():
        for name, settings in TINY_RUN_CONFIGS.items():
            values = {**settings, "name": "tiny", "runs_dir": str(base / "runs"), "data": {**common, **settings.get("data", {})}}
            runs[name] = train(from_dict(ExperimentConfig, values), progress=False)
    return runs


# The app ----------------------------------------------------------------------------------------

APP = ROOT / "space" / "app.py"
EXAMPLES_DIR = APP.parent / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.mp3"))
#: Limits of the test server: small enough that the over-limit and hour-long files are cheap.
TEST_SERVER_ENV = {"GENREKIT_APP_MAX_MB": "20", "GENREKIT_APP_MAX_MINUTES": "0.5"}


def load_app_module():
    """space/app.py as a module (it is a script, not part of the package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("genrekit_space_app", APP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def train_app_run(runs: Path, data: Path) -> Path:
    """A tiny default model (logreg on 3 s chunks of the clips under ``data``), trained into
    ``runs/app-default/`` by ``space/app.py --train-default --no-serve`` (the documented one-command
    path). Behind the ``app_run`` fixture."""
    import pytest

    from genrekit import app as core

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENREKIT_RUNS", str(runs))
        code = load_app_module().main(["--train-default", "--no-serve", "--quiet", "--data", str(data), "--seconds", "6"])
    assert code == 0
    found = core.find_default_run(runs / core.DEFAULT_MODEL_FOLDER)
    assert found is not None, "--train-default did not write a run under app-default/"
    return found


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_app(run_dir: Path, *, log_path: Path, env: dict | None = None, timeout: float = 180.0):
    """Run ``python space/app.py`` on a free local port serving ``run_dir``; yield its URL."""
    from genrekit import app as core

    port = free_port()
    environ = dict(os.environ)
    environ.update({
        core.ENV_RUNS: str(run_dir),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "PYTHONUNBUFFERED": "1",
    })
    environ.update(env or {})
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, str(APP), "--host", "127.0.0.1", "--port", str(port), "--quiet"],
                                stdout=log, stderr=subprocess.STDOUT, env=environ)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while "Running on local URL" not in log_path.read_text():
            if proc.poll() is not None:
                raise RuntimeError(f"the app exited with code {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start within {timeout:.0f} s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def expected_answers(run_dir: Path, paths) -> dict[str, dict[str, float]]:
    """What the app must answer for each file: the same logic run in this process."""
    from genrekit import app as core
    from genrekit.inference import load_predictor

    model = core.AppModel(predictor=load_predictor(run_dir), cards=[core.ModelCard.from_run(run_dir)])
    return {str(p): core.classify_upload(model, p).scores for p in paths}
