"""Network runs stream their tracks from the on-disk store: decoded once, read one chunk at a time,
and trained on exactly as the in-memory chunks were."""

from __future__ import annotations

import functools
import os
import shutil

import numpy as np
import pandas as pd
import pytest
import torch

from fixtures import CORRUPT_BYTES, single_torch_thread, tone
from genrekit.config import TrainConfig
from genrekit.data import store as store_module
from genrekit.data.audio import chunk_clip, load_audio, write_audio
from genrekit.data.store import TrackStore, decode_clip, decode_workers
from genrekit.errors import AudioError, DatasetError
from genrekit.features.spectrogram import SpectrogramCache, SpectrogramFrontEnd
from genrekit.models.cnn import SpectrogramCNN
from genrekit.network_runs import audio_store, load_chunks
from genrekit.trainer import ChunkSet, StoredChunks, fit, loader_workers

SR = 8000
GENRES = ["low", "high"]


@pytest.fixture
def tracks(tmp_path) -> pd.DataFrame:
    """Eight 2.5-4 s tracks of two genres (low and high tones) and one corrupt file."""
    rows = []
    for i in range(8):
        genre = GENRES[i % 2]
        path = tmp_path / "audio" / genre / f"t{i}.wav"
        write_audio(path, tone(2.5 + 0.25 * i, SR, 200.0 if genre == "low" else 1200.0, seed=i), SR)
        rows.append((f"t{i}", str(path), genre))
    broken = tmp_path / "audio" / "low" / "broken.wav"
    broken.write_bytes(CORRUPT_BYTES)
    rows.append(("broken", str(broken), "low"))
    return pd.DataFrame(rows, columns=["track_id", "path", "genre"])


def test_stored_chunks_are_the_chunks_cut_in_memory(tracks, tmp_path, monkeypatch):
    monkeypatch.setenv("GENREKIT_STORE", str(tmp_path / "store"))
    data, position, problems = load_chunks(tracks, labels=GENRES, sr=SR, clip_seconds=None, chunk_seconds=1.0,
                                           hop_seconds=0.75, progress=False)
    assert [p.path for p in problems] == [tracks["path"].iloc[-1]]
    expected = [chunk_clip(load_audio(p, sr=SR), sr=SR, chunk_seconds=1.0, hop_seconds=0.75) for p in tracks["path"][:-1]]
    assert len(data) == sum(len(e) for e in expected) and data.n_tracks == 8
    got = torch.stack([data[i][0] for i in range(len(data))]).numpy()
    np.testing.assert_array_equal(got, np.concatenate(expected))  # the padded last chunks too
    assert position.tolist() == [i for e in expected for i in range(len(e))]
    assert data.labels.tolist() == [i % 2 for i, e in enumerate(expected) for _ in e]
    # the dataset holds indexes, not audio: a few numbers per chunk
    held = data.file_of.nbytes + data.start.nbytes + data.labels.numpy().nbytes + data.track_ids.nbytes
    assert held < 64 * len(data) < got.nbytes / 100


def test_a_track_is_decoded_once_and_a_bad_file_is_remembered(tracks, tmp_path):
    store = TrackStore({"test": 1}, root=tmp_path / "store")
    calls = []

    def decode(path):
        calls.append(path)
        return load_audio(path, sr=SR)

    first, problems = store.fill(tracks, decode, progress=False)
    assert len(calls) == 9 and len(first) == 8 and problems[0].path.endswith("broken.wav")
    again, problems_again = store.fill(tracks, decode, progress=False)
    assert len(calls) == 9  # nothing decoded again, the broken file not retried
    assert again.equals(first) and [str(p) for p in problems_again] == [str(p) for p in problems]
    # an edited file is decoded again; a file cut short by a kill is made again
    os.utime(tracks["path"][0], ns=(1, 1))
    Path = type(store.dir)
    truncated = Path(first["file"][1])
    truncated.write_bytes(truncated.read_bytes()[:100])
    store.fill(tracks, decode, progress=False)
    assert calls[9:] == [tracks["path"][0], tracks["path"][1]]
    assert (store.dir / "key.json").is_file()


def test_processes_decoding_at_once_store_what_one_process_stores(tracks, tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "POOL_MIN_TRACKS_PER_WORKER", 1)  # a pool even for these few tracks
    make = functools.partial(decode_clip, sr=SR, clip_seconds=2.0)
    alone, problems = TrackStore({"test": 3}, root=tmp_path / "one").fill(tracks, make, progress=False)
    together, problems_together = TrackStore({"test": 3}, root=tmp_path / "two").fill(tracks, make, workers=2, progress=False)
    assert [str(p) for p in problems_together] == [str(p) for p in problems] and len(problems) == 1
    assert together.drop(columns="file").equals(alone.drop(columns="file"))
    for a, b in zip(alone["file"], together["file"]):
        np.testing.assert_array_equal(np.load(a), np.load(b))
    assert decode_workers(3) == 3 and 1 <= decode_workers(None) <= 8


def test_a_store_that_would_not_fit_is_refused_with_the_numbers(tracks, tmp_path, monkeypatch):
    store = TrackStore({"test": 2}, root=tmp_path / "store")
    many = pd.concat([tracks.iloc[:8]] * 2, ignore_index=True).assign(track_id=[f"x{i}" for i in range(16)])
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**6, 10**6 - 1000, 1000))
    with pytest.raises(DatasetError, match=r"would not fit: about .* GB more for 8 tracks .* GENREKIT_STORE"):
        store.fill(many, lambda path: load_audio(path, sr=SR), progress=False)


def test_audio_store_is_shared_by_settings_not_by_chunking(tmp_path):
    a = audio_store(sr=SR, clip_seconds=30.0, root=tmp_path)
    assert a.key == audio_store(sr=SR, clip_seconds=30.0, root=tmp_path).key
    assert a.key != audio_store(sr=16000, clip_seconds=30.0, root=tmp_path).key != audio_store(sr=SR, clip_seconds=None, root=tmp_path).key


def test_images_are_stored_per_track_and_streamed(tracks, tmp_path):
    frontend = SpectrogramFrontEnd("mel", sr=SR, size=(16, 16), n_fft=256, hop_length=64, n_mels=32).eval()
    cache = SpectrogramCache(frontend, audio={"chunk_seconds": 1.0}, root=tmp_path / "images")
    data, _, problems = load_chunks(tracks, labels=GENRES, sr=SR, clip_seconds=None, chunk_seconds=1.0,
                                    frontend=frontend, cache=cache, progress=False)
    assert len(problems) == 1 and data.size is None
    first = load_audio(tracks["path"][0], sr=SR)
    with torch.no_grad():
        expected = frontend.compute(torch.from_numpy(chunk_clip(first, sr=SR, chunk_seconds=1.0)))
    n = len(expected)
    torch.testing.assert_close(torch.stack([data[i][0] for i in range(n)]), expected, rtol=0, atol=0)


def test_training_on_streamed_chunks_equals_training_in_memory(tracks, tmp_path, monkeypatch):
    """Same seed, same chunks in the same order: the streamed run is the in-memory run, weight for weight."""
    monkeypatch.setenv("GENREKIT_STORE", str(tmp_path / "store"))
    options = dict(labels=GENRES, sr=SR, clip_seconds=None, chunk_seconds=1.0, progress=False)
    train, _, _ = load_chunks(tracks.iloc[:6], **options)
    valid, _, _ = load_chunks(tracks.iloc[6:8], **options)

    def in_memory(data: StoredChunks) -> ChunkSet:
        return ChunkSet(torch.stack([data[i][0] for i in range(len(data))]), data.labels, data.track_ids)

    config = TrainConfig(epochs=3, batch_size=4, lr=3e-3, patience=5, seed=1, device="cpu", mixup=0.4)
    results = {}
    with single_torch_thread():
        for name, (a, b) in {"streamed": (train, valid), "memory": (in_memory(train), in_memory(valid))}.items():
            torch.manual_seed(0)
            frontend = SpectrogramFrontEnd("mel", sr=SR, size=(16, 16), n_fft=256, hop_length=64, n_mels=32)
            model = SpectrogramCNN(frontend, num_classes=2, width=4, blocks=2)
            result = fit(model, a, b, config=config, labels=GENRES, checkpoint_dir=tmp_path / name, progress=False)
            results[name] = (result.history, model.state_dict())
    (history_a, weights_a), (history_b, weights_b) = results["streamed"], results["memory"]
    assert [{k: v for k, v in row.items() if k != "seconds"} for row in history_a] == \
        [{k: v for k, v in row.items() if k != "seconds"} for row in history_b]
    assert all(torch.equal(weights_a[k], weights_b[k]) for k in weights_a)


def test_loader_workers_default_to_none_on_a_cpu_and_to_the_cores_on_a_gpu(monkeypatch):
    assert loader_workers(None, torch.device("cpu")) == 0
    assert loader_workers(3, torch.device("cpu")) == 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    assert loader_workers(None, torch.device("cuda")) == 8
    assert loader_workers(None, torch.device("cuda"), world_size=4) == 3


def test_a_track_too_short_for_a_runs_chunks_is_reported_and_serves_runs_with_shorter_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("GENREKIT_STORE", str(tmp_path / "store"))
    short = tmp_path / "a" / "short.wav"
    write_audio(short, tone(0.3, SR, 300.0), SR)
    frame = pd.DataFrame({"track_id": ["s"], "path": [str(short)], "genre": ["low"]})
    data, _, problems = load_chunks(frame, labels=GENRES, sr=SR, clip_seconds=None, chunk_seconds=1.0, progress=False)
    assert len(data) == 0 and "too short" in problems[0].reason
    with pytest.raises(AudioError):
        chunk_clip(load_audio(short, sr=SR), sr=SR, chunk_seconds=1.0)
    # the store is shared by chunk lengths: a run on 0.25 s chunks finds the track there
    data, _, problems = load_chunks(frame, labels=GENRES, sr=SR, clip_seconds=None, chunk_seconds=0.25, progress=False)
    assert len(data) == 1 and not problems
