"""Batch extraction: bad files are skipped and listed, the Parquet cache is reused, an interrupted
run resumes without recomputing finished tracks, and the cache key follows the settings."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fixtures
import genrekit.features.extract as extract
from fixtures import write_damaged_mp3
from genrekit.cli import main
from genrekit.config import DataConfig, FeatureConfig
from genrekit.data.audio import write_audio
from genrekit.data.index import TrackIndex
from genrekit.features.extract import FeatureSet, cache_key, extract_dataset
from genrekit.features.handcrafted import FEATURE_VERSION, feature_names

SR = 22050
DATA = DataConfig(sample_rate=SR, clip_seconds=30.0, chunk_seconds=1.0)
FEATURES = FeatureConfig(chroma_cqt=False)
GENRES = ("blues", "metal")
N_PER_GENRE = 3
BAD = {"corrupt": "unreadable", "empty": "empty", "short": "too short"}

pytestmark = pytest.mark.usefixtures("warm_handcrafted")


def tone(seconds: float, freq: float, seed: int) -> np.ndarray:
    """:func:`fixtures.tone` at this module's rate and at the louder, noisier levels this module's
    clips have always had (its checks, e.g. the chroma bounds of the changed file, were set on them)."""
    return fixtures.tone(seconds, SR, freq, seed=seed, amp=0.4, noise_amp=0.05)


def make_folder(root: Path, *, n_per_genre: int = N_PER_GENRE, seconds: float = 2.0, bad: bool = True) -> TrackIndex:
    """``root/<genre>/<genre>.<i>.wav`` plus, in blues, a corrupt, an empty and a 0.5 s file."""
    rows = []
    for g, genre in enumerate(GENRES):
        for i in range(n_per_genre):
            path = write_audio(root / genre / f"{genre}.{i}.wav", tone(seconds, 200 + 100 * g + 10 * i, seed=i), SR)
            rows.append((f"{genre}.{i}", path, genre, f"artist-{genre}-{i % 2}", "train" if i else "test"))
    if bad:
        (root / "blues" / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 50)
        (root / "blues" / "empty.wav").write_bytes(b"")
        write_audio(root / "blues" / "short.wav", tone(0.5, 300, seed=9), SR)
        rows += [(name, root / "blues" / f"{name}.wav", "blues", "artist-x", "train") for name in BAD]
    tracks = pd.DataFrame(rows, columns=["track_id", "path", "genre", "artist", "split"])
    tracks["path"] = tracks["path"].astype(str)
    return TrackIndex("tiny", tracks)


def good_ids(n_per_genre: int = N_PER_GENRE) -> set[str]:
    return {f"{genre}.{i}" for genre in GENRES for i in range(n_per_genre)}


def count_calls(monkeypatch, *, fail_after: int | None = None) -> list[str]:
    """Record every path handed to the per-track extractor; optionally 'crash' after some calls."""
    calls: list[str] = []
    original = extract._extract_one

    def counted(path, **kwargs):
        if fail_after is not None and len(calls) >= fail_after:
            raise KeyboardInterrupt  # like Ctrl-C: not one of the errors a track is skipped for
        calls.append(Path(path).stem)
        return original(path, **kwargs)

    monkeypatch.setattr(extract, "_extract_one", counted)
    return calls


def test_bad_files_are_listed_and_every_good_track_is_cached(tmp_path):
    index = make_folder(tmp_path / "music")
    result = extract_dataset(index, data=DATA, features=FEATURES, cache_root=tmp_path / "cache", workers=1, progress=False)

    assert isinstance(result, FeatureSet)
    assert set(result.frame["track_id"]) == good_ids()
    assert len(result.frame) == 2 * len(good_ids())  # 2 s clips, 1 s chunks
    assert list(result.frame.columns) == ["track_id", "chunk", "start_s", "genre", "artist", "split", *feature_names(FEATURES)]
    assert result.feature_columns == feature_names(FEATURES)
    assert np.isfinite(result.frame[result.feature_columns].to_numpy()).all()
    reasons = {Path(p.path).stem: p.reason for p in result.problems}
    assert set(reasons) == set(BAD)
    for name, words in BAD.items():
        assert words in reasons[name]
    assert (result.computed, result.cached) == (len(good_ids()) + len(BAD), 0)

    # genre and split come from the index; matrix() selects a split
    blues = result.frame[result.frame["track_id"] == "blues.1"]
    assert set(blues["genre"]) == {"blues"} and set(blues["split"]) == {"train"}
    X, genres, ids = result.matrix("test")
    assert X.shape == (4, len(result.feature_columns))
    assert set(ids) == {"blues.0", "metal.0"} and sorted(set(genres)) == list(GENRES)
    assert result.matrix()[0].shape[0] == len(result.frame)

    spec = json.loads((result.cache_dir / "key.json").read_text())
    assert spec["feature_version"] == FEATURE_VERSION and spec["dataset"] == "tiny"
    assert result.cache_dir.name == f"tiny-{cache_key('tiny', data=DATA, features=FEATURES)}"


def test_rerun_is_a_cache_hit(tmp_path, monkeypatch):
    index = make_folder(tmp_path / "music")
    first = extract_dataset(index, data=DATA, features=FEATURES, cache_root=tmp_path / "cache", workers=1, progress=False)
    calls = count_calls(monkeypatch)
    again = extract_dataset(index, data=DATA, features=FEATURES, cache_root=tmp_path / "cache", workers=1, progress=False)
    assert calls == []  # bad files are remembered too, not retried
    assert (again.computed, again.cached) == (0, len(index))
    pd.testing.assert_frame_equal(again.frame, first.frame)
    assert sorted(map(str, again.problems)) == sorted(map(str, first.problems))

    # a subset of the index reads its rows from the same cache
    subset = index.limit_per_genre(2)
    part = extract_dataset(subset, data=DATA, features=FEATURES, cache_root=tmp_path / "cache", workers=1, progress=False)
    assert calls == [] and set(part.frame["track_id"]) <= good_ids()


def test_interrupted_run_resumes_without_recomputing(tmp_path, monkeypatch):
    index = make_folder(tmp_path / "music", n_per_genre=4, bad=False)
    original = extract._extract_one
    calls = count_calls(monkeypatch, fail_after=5)
    with pytest.raises(KeyboardInterrupt):
        extract_dataset(index, data=DATA, features=FEATURES, cache_root=tmp_path / "cache", workers=1, progress=False, part_size=2)
    finished = list(calls)
    assert len(finished) == 5

    monkeypatch.setattr(extract, "_extract_one", original)
    calls = count_calls(monkeypatch)
    result = extract_dataset(index, data=DATA, features=FEATURES, cache_root=tmp_path / "cache", workers=1, progress=False, part_size=2)
    # the five finished tracks were written (four in full parts, the fifth flushed on the way out)
    assert set(calls) == {Path(p).stem for p in index.tracks["path"]} - set(finished)
    assert set(result.frame["track_id"]) == good_ids(4)
    assert (result.computed, result.cached) == (3, 5)


def test_killed_process_resumes_from_written_parts(tmp_path):
    index = make_folder(tmp_path / "music", n_per_genre=6, seconds=1.5, bad=False)
    index.tracks.to_csv(tmp_path / "index.csv", index=False)
    cache_root = tmp_path / "cache"
    # the child slows each track down so it is surely killed half-way
    child = textwrap.dedent(
        f"""
        import time, pandas as pd
        import genrekit.features.extract as ex
        from genrekit.config import DataConfig, FeatureConfig
        from genrekit.data.index import TrackIndex
        original = ex._extract_one
        def slow(path, **kwargs):
            time.sleep(0.3)
            return original(path, **kwargs)
        ex._extract_one = slow
        index = TrackIndex("tiny", pd.read_csv({str(tmp_path / "index.csv")!r}))
        ex.extract_dataset(index, data=DataConfig(sample_rate={SR}, clip_seconds=30.0, chunk_seconds=1.0),
                           features=FeatureConfig(chroma_cqt=False), cache_root={str(cache_root)!r},
                           workers=1, progress=False, part_size=1)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", child])
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and len(list(cache_root.glob("*/parts/part-*.parquet"))) < 3:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the child finished before it could be killed"
    cache_dir = next(cache_root.iterdir())
    done = set(pd.concat(pd.read_parquet(p) for p in (cache_dir / "parts").glob("part-*.parquet"))["track_id"])
    assert 3 <= len(done) < len(index)

    before = {p: p.stat().st_mtime_ns for p in (cache_dir / "parts").glob("part-*.parquet")}
    result = extract_dataset(index, data=DATA, features=FEATURES, cache_root=cache_root, workers=1, progress=False)
    assert (result.computed, result.cached) == (len(index) - len(done), len(done))
    assert set(result.frame["track_id"]) == good_ids(6)
    assert all(p.stat().st_mtime_ns == t for p, t in before.items() if p.exists())  # finished parts untouched


def test_changed_file_is_recomputed(tmp_path, monkeypatch):
    index = make_folder(tmp_path / "music", bad=False)
    first = extract_dataset(index, data=DATA, features=FEATURES, cache_root=tmp_path / "cache", workers=1, progress=False)
    changed = Path(index.tracks.loc[index.tracks["track_id"] == "metal.1", "path"].item())
    write_audio(changed, tone(3.0, 880, seed=5), SR)
    calls = count_calls(monkeypatch)
    again = extract_dataset(index, data=DATA, features=FEATURES, cache_root=tmp_path / "cache", workers=1, progress=False)
    assert calls == ["metal.1"]
    rows = again.frame[again.frame["track_id"] == "metal.1"]
    assert len(rows) == 3  # now 3 s long
    before = first.frame[first.frame["track_id"] == "metal.1"]
    # 880 Hz is an A; 310 Hz is not
    assert rows["chroma_stft_A_mean"].min() > 0.9 and before["chroma_stft_A_mean"].max() < 0.5


def test_cache_key_follows_the_settings(tmp_path):
    key = cache_key("tiny", data=DATA, features=FEATURES)
    assert cache_key("tiny", data=DATA, features=FeatureConfig(chroma_cqt=False, n_mfcc=13)) != key
    assert cache_key("tiny", data=DataConfig(sample_rate=SR, clip_seconds=30.0, chunk_seconds=3.0), features=FEATURES) != key
    assert cache_key("tiny", data=DataConfig(sample_rate=16000, clip_seconds=30.0, chunk_seconds=1.0), features=FEATURES) != key
    assert cache_key("other", data=DATA, features=FEATURES) != key
    # settings that do not change values share the cache
    assert cache_key("tiny", data=DATA, features=FeatureConfig(chroma_cqt=False, workers=7)) == key
    assert cache_key("tiny", data=DataConfig(sample_rate=SR, clip_seconds=30, chunk_seconds=1.0, hop_seconds=1.0), features=FEATURES) == key

    index = make_folder(tmp_path / "music", n_per_genre=1, bad=False)
    a = extract_dataset(index, data=DATA, features=FEATURES, cache_root=tmp_path / "cache", workers=1, progress=False)
    b = extract_dataset(index, data=DATA, features=FeatureConfig(chroma_cqt=False, n_mfcc=13), cache_root=tmp_path / "cache", workers=1, progress=False)
    assert a.cache_dir != b.cache_dir and b.computed == len(index)
    assert "mfcc_13_mean" in b.feature_columns and "mfcc_14_mean" not in b.feature_columns


def test_two_processes_give_the_same_rows(tmp_path):
    index = make_folder(tmp_path / "music")
    serial = extract_dataset(index, data=DATA, features=FEATURES, cache_root=tmp_path / "one", workers=1, progress=False)
    parallel = extract_dataset(index, data=DATA, features=FEATURES, cache_root=tmp_path / "two", workers=2, progress=False)
    pd.testing.assert_frame_equal(parallel.frame, serial.frame)
    assert sorted(map(str, parallel.problems)) == sorted(map(str, serial.problems))


def test_a_damaged_file_an_earlier_reader_gave_up_on_is_read_again(tmp_path):
    # earlier readers remembered a damaged MP3 as "could not decode audio": now it is used as far as
    # it decodes, so such a verdict in problems.jsonl is not trusted but the file read again
    path = write_damaged_mp3(tmp_path / "music" / "blues" / "damaged.mp3").resolve()
    index = TrackIndex("tiny", pd.DataFrame({"track_id": ["damaged"], "path": [str(path)], "genre": ["blues"]}))
    cache = extract.cache_dir_for("tiny", data=DATA, features=FEATURES, cache_root=tmp_path / "cache")
    cache.mkdir(parents=True)
    st = path.stat()
    old = {"track_id": "damaged", "path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
           "reason": "could not decode audio (Unspecified internal error.)"}
    (cache / extract.PROBLEMS_FILE).write_text(json.dumps(old) + "\n")
    result = extract_dataset(index, data=DATA, features=FEATURES, cache_root=tmp_path / "cache", workers=1, progress=False)
    assert result.problems == [] and result.computed == 1 and set(result.frame["track_id"]) == {"damaged"}
    [note] = result.notes
    assert note.reason.startswith("damaged: decodes 3.0 s of the 10.0 s its header declares (Illegal Audio-MPEG-Header")


def test_cli_extracts_and_exits_1_on_bad_files(tmp_path, monkeypatch, capsys):
    make_folder(tmp_path / "music")
    monkeypatch.setenv("GENREKIT_CACHE", str(tmp_path / "cache"))
    argv = ["features", f"folder:{tmp_path / 'music'}", "--chunk-seconds", "1", "--workers", "1", "--no-progress", "--set", "features.chroma_cqt=false"]
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert str(tmp_path / "cache") in out and "rows:" in out
    for name in BAD:
        assert f"{name}.wav" in err

    for name in BAD:
        os.remove(tmp_path / "music" / "blues" / f"{name}.wav")
    assert main(argv) == 0
    out, _ = capsys.readouterr()
    assert "0 read now" in out and "answered from the cache" in out
