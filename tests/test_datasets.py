"""Dataset loaders on tiny trees in the real layouts, the source dispatcher, describe() and the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fixtures import (
    CORRUPT_BYTES,
    FMA_FIXTURE_TRACKS,
    GTZAN_GENRES,
    fma_fixture_expected,
    make_fma_tree,
    make_folder_tree,
    make_gtzan_tree,
    tone,
    write_sturm_index,
    write_truncated,
)
from genrekit.cli import main
from genrekit.config import DataConfig, FeatureConfig
from genrekit.data.audio import write_audio
from genrekit.data.datasets import detect_layout, load_dataset
from genrekit.data.fma import fma_audio_path, load_fma, read_genres_csv, read_tracks_csv
from genrekit.data.folder import load_folder
from genrekit.data.gtzan import find_gtzan_genres_dir, load_gtzan, read_sturm_index
from genrekit.data.index import INDEX_COLUMNS
from genrekit.errors import ConfigError, DatasetError
from genrekit.features.inspection import describe


@pytest.fixture(scope="module")
def trees(tmp_path_factory) -> dict[str, Path]:
    """One of each tree, built once for the module (they are only read)."""
    base = tmp_path_factory.mktemp("trees")
    return {
        "gtzan": make_gtzan_tree(base / "gtzan"),
        "kaggle": make_gtzan_tree(base / "kaggle", layout="kaggle", genres=("blues", "jazz", "rock"), per_genre=2),
        "fma": make_fma_tree(base / "fma"),
        "folder": make_folder_tree(base / "music"),
    }


# GTZAN ---------------------------------------------------------------------------------------

def test_find_gtzan_genres_dir_accepts_every_layout(trees, tmp_path):
    original, kaggle = trees["gtzan"], trees["kaggle"]
    assert find_gtzan_genres_dir(original) == original / "genres"
    assert find_gtzan_genres_dir(original / "genres") == original / "genres"
    assert find_gtzan_genres_dir(kaggle) == kaggle / "Data" / "genres_original"
    assert find_gtzan_genres_dir(kaggle / "Data") == kaggle / "Data" / "genres_original"
    assert find_gtzan_genres_dir(kaggle / "Data" / "genres_original") == kaggle / "Data" / "genres_original"
    with pytest.raises(DatasetError, match="not a GTZAN folder"):
        find_gtzan_genres_dir(trees["folder"])
    with pytest.raises(DatasetError, match="not found"):
        find_gtzan_genres_dir(tmp_path / "missing")


def test_load_gtzan_original_layout_skips_the_corrupt_clip(trees):
    index = load_gtzan(trees["gtzan"])
    tracks = index.tracks
    assert index.name == "gtzan" and list(tracks.columns[: len(INDEX_COLUMNS)]) == INDEX_COLUMNS
    assert len(index) == 30 and index.genres == sorted(GTZAN_GENRES)
    assert tracks.groupby("genre").size().eq(3).all()
    assert tracks["track_id"].iloc[0] == "blues.00000"
    assert set(tracks.loc[tracks["genre"] == "jazz", "track_id"]) == {"jazz.00000", "jazz.00001", "jazz.00002"}
    assert all(Path(p).is_file() and Path(p).is_absolute() for p in tracks["path"])
    assert tracks["artist"].isna().all() and tracks["split"].isna().all()
    [problem] = index.problems
    assert problem.path.endswith("genres/jazz/jazz.00054.au") and "unreadable" in problem.reason
    assert any("1 file skipped" in n for n in index.notes)


def test_load_gtzan_kaggle_layout_and_unchecked_mode(trees):
    checked = load_gtzan(trees["kaggle"])
    assert len(checked) == 6 and [Path(p).suffix for p in checked.tracks["path"]] == [".wav"] * 6
    assert checked.problems[0].path.endswith("jazz.00054.wav")
    unchecked = load_gtzan(trees["kaggle"], check_audio=False, name="raw")
    assert len(unchecked) == 7 and unchecked.problems == [] and unchecked.name == "raw"


def test_gtzan_stray_files_are_reported(tmp_path):
    root = make_gtzan_tree(tmp_path / "g", genres=("rock",), per_genre=2, corrupt=None)
    write_audio(root / "genres" / "rock" / "rock.00000.wav", tone(0.2, 8000, 300), 8000)  # same clip twice
    write_audio(root / "genres" / "rock" / "cover art.wav", tone(0.2, 8000, 300), 8000)
    (root / "genres" / "rock" / "readme.txt").write_text("x")
    index = load_gtzan(root)
    assert index.tracks["track_id"].tolist() == ["rock.00000", "rock.00001"]
    reasons = {Path(p.path).name: p.reason for p in index.problems}
    assert "not a GTZAN clip name" in reasons["cover art.wav"]
    assert "same clip id" in reasons["rock.00000.wav"]
    assert any("1 non-audio file ignored" in n for n in index.notes)


def test_read_sturm_index_parses_unknowns_as_na(tmp_path):
    path = tmp_path / "GTZANindex.txt"
    path.write_text(
        "## header\n##\n"
        "blues.00000.wav ::: John Lee Hooker ::: One Bourbon, One Scotch And One Beer\n"
        "blues.00082.wav ::: Buckwheat Zydeco :::\n"
        "classical.00059.wav ::: :::\n"
        "country.00002.wav ::: ::: I Wish I Had A Nickel\n"
    )
    index = read_sturm_index(path)
    assert index.columns.tolist() == ["track_id", "artist", "title"]
    assert index["track_id"].tolist() == ["blues.00000", "blues.00082", "classical.00059", "country.00002"]
    assert index["artist"].tolist()[:2] == ["John Lee Hooker", "Buckwheat Zydeco"]
    assert index["artist"].isna().tolist() == [False, False, True, True]
    assert index["title"].isna().tolist() == [False, True, True, False]
    (tmp_path / "bad.txt").write_text("blues.00000.wav, John Lee Hooker\n")
    with pytest.raises(DatasetError, match="line 1"):
        read_sturm_index(tmp_path / "bad.txt")


def test_real_sturm_index_joins_on_real_clip_ids(shared_gtzan, trees):
    sturm_file = shared_gtzan / "annotations" / "GTZANindex_sturm2012.txt"
    sturm = read_sturm_index(sturm_file)
    assert len(sturm) == 1000 and sturm["track_id"].is_unique
    assert sturm["track_id"].str.fullmatch(r"[a-z]+\.\d{5}").all()
    assert sturm["artist"].notna().sum() == 919
    index = load_gtzan(trees["gtzan"], artist_index=sturm_file)
    artists = index.tracks.set_index("track_id")["artist"]
    assert artists["blues.00000"] == "John Lee Hooker"
    assert index.tracks.set_index("track_id").loc["blues.00000", "title"] == "One Bourbon, One Scotch And One Beer"
    assert artists.notna().sum() == 30 - sturm.set_index("track_id").loc[artists.index, "artist"].isna().sum()
    assert any("artist known for" in n for n in index.notes)


# FMA -----------------------------------------------------------------------------------------

def test_read_tracks_csv_matches_the_real_structure(trees):
    tracks = read_tracks_csv(trees["fma"] / "fma_metadata" / "tracks.csv")
    assert tracks.index.name == "track_id" and tracks.index.dtype.kind == "i"
    assert len(tracks) == len(FMA_FIXTURE_TRACKS) and tracks.shape[1] == 52
    assert tracks.columns.nlevels == 2 and ("set", "subset") in tracks.columns
    assert tracks.loc[1040, ("track", "genres")] == [10, 76]
    assert tracks.loc[2, ("artist", "tags")] == ["test"]
    subset = tracks[("set", "subset")]
    assert subset.dtype.ordered and list(subset.cat.categories) == ["small", "medium", "large"]
    assert (subset <= "medium").sum() == 12
    assert tracks.loc[1040, ("track", "title")] == "Song, with a comma"
    genres = read_genres_csv(trees["fma"] / "fma_metadata" / "genres.csv")
    assert genres.loc[21, "title"] == "Hip-Hop" and genres.loc[76, "parent"] == 10


def test_fma_audio_path():
    assert fma_audio_path("/a", 2) == Path("/a/000/000002.mp3")
    assert fma_audio_path(Path("/a"), 155066) == Path("/a/155/155066.mp3")


@pytest.mark.parametrize("subset", ["small", "medium"])
def test_load_fma_selects_nested_subsets_and_keeps_the_official_split(tmp_path, subset):
    root = make_fma_tree(tmp_path, subset=subset)
    index = load_fma(root, subset=subset)
    assert index.name == f"fma-{subset}" and index.split_kind == "official"
    assert dict(zip(index.tracks["track_id"], index.tracks["genre"])) == fma_fixture_expected(subset)
    row = index.tracks.set_index("track_id").loc["001403"]
    assert (row["split"], row["artist"], row["title"]) == ("valid", "Artist F", "Ballad II")
    assert set(index.tracks["split"]) == {"train", "valid", "test"}
    assert Path(row["path"]) == (root / f"fma_{subset}" / "001" / "001403.mp3").resolve()
    reasons = {Path(p.path).stem: p.reason for p in index.problems}
    assert reasons == {"012345": "no top genre in tracks.csv; skipped", "012346": "audio file missing; skipped"}
    assert any("1 track without a top genre dropped" in n for n in index.notes)
    assert any("1 track without an audio file dropped" in n for n in index.notes)


def test_load_fma_check_audio_and_errors(tmp_path):
    root = make_fma_tree(tmp_path, corrupt=1402)
    assert "001402" in set(load_fma(root).tracks["track_id"])  # not checked by default
    index = load_fma(root, check_audio=True)
    assert "001402" not in set(index.tracks["track_id"])
    assert any(p.path.endswith("001402.mp3") and "unreadable" in p.reason for p in index.problems)
    with pytest.raises(ConfigError, match="subset"):
        load_fma(root, subset="tiny")
    with pytest.raises(DatasetError, match="fma_medium"):
        load_fma(root, subset="medium")
    with pytest.raises(DatasetError, match="tracks.csv"):
        load_fma(tmp_path / "nowhere")


def test_read_tracks_csv_rejects_a_one_row_header(tmp_path):
    path = tmp_path / "tracks.csv"
    pd.DataFrame({"track_id": [1], "genre_top": ["Rock"]}).to_csv(path, index=False)
    with pytest.raises(DatasetError, match="tracks.csv"):
        read_tracks_csv(path)


# Folders -------------------------------------------------------------------------------------

def test_load_folder_reads_nested_files_and_reports_bad_ones(trees):
    index = load_folder(trees["folder"])
    assert index.name == "music"
    assert sorted(index.tracks["track_id"]) == ["jazz/blue", "jazz/take", "rock/anthem", "rock/live/encore"]
    assert index.tracks.set_index("track_id").loc["rock/live/encore", "genre"] == "rock"
    [problem] = index.problems
    assert problem.path.endswith("jazz/broken.wav")
    notes = " | ".join(index.notes)
    assert "1 audio file directly under" in notes and "1 non-audio file ignored" in notes
    assert len(load_folder(trees["folder"], check_audio=False, name="x")) == 5


def test_load_folder_without_genre_folders_is_an_error(tmp_path):
    write_audio(tmp_path / "a.wav", tone(0.2, 8000, 300), 8000)
    with pytest.raises(DatasetError, match="genre sub-folders"):
        load_folder(tmp_path)


# Hugging Face ----------------------------------------------------------------------------------

def _hf_dataset(tmp_path: Path, *, with_bytes: bool):
    """A local datasets.Dataset with an Audio column and a ClassLabel, as the hub would give.

    Built from a {bytes, path} struct and then cast, because encoding audio through `datasets`
    needs torchcodec.
    """
    datasets = pytest.importorskip("datasets")
    files = []
    for i, (genre, freq) in enumerate([("blues", 200), ("rock", 400), ("blues", 300)]):
        path = write_audio(tmp_path / "src" / f"{genre}.{i:05d}.flac", tone(0.3, 16000, freq), 16000)
        files.append(path)
    audio = [{"bytes": p.read_bytes() if with_bytes else None, "path": p.name if with_bytes else str(p)} for p in files]
    ds = datasets.Dataset.from_dict({"audio": audio, "genre": [0, 1, 0]})
    ds = ds.cast_column("audio", datasets.Audio()).cast_column("genre", datasets.ClassLabel(names=["blues", "rock"]))
    return ds, files


@pytest.mark.parametrize("with_bytes", [True, False])
def test_load_hf_materialises_wavs(tmp_path, with_bytes):
    from genrekit.data.hf import load_hf

    ds, files = _hf_dataset(tmp_path, with_bytes=with_bytes)
    index = load_hf(ds, name="toy", out_dir=tmp_path / "out", progress=False)
    assert index.tracks["track_id"].tolist() == ["blues.00000", "rock.00001", "blues.00002"]
    assert index.tracks["genre"].tolist() == ["blues", "rock", "blues"]
    for path, source in zip(index.tracks["path"], files):
        assert Path(path).parent.parent == tmp_path / "out" and path.endswith(".wav")
        written, sr = __import__("soundfile").read(path, dtype="float32")
        original, _ = __import__("soundfile").read(source, dtype="float32")
        assert sr == 16000
        np.testing.assert_allclose(written, original, atol=1e-4)
    # a second call reuses the files
    mtime = Path(index.tracks["path"][0]).stat().st_mtime_ns
    load_hf(ds, name="toy", out_dir=tmp_path / "out", progress=False)
    assert Path(index.tracks["path"][0]).stat().st_mtime_ns == mtime


def test_load_hf_dataset_dict_keeps_official_splits_and_reports_bad_audio(tmp_path):
    datasets = pytest.importorskip("datasets")
    from genrekit.data.hf import load_hf

    ds, _ = _hf_dataset(tmp_path, with_bytes=True)
    broken = datasets.Dataset.from_dict(
        {"audio": [{"bytes": b"garbage" * 10, "path": "x.00009.wav"}], "genre": [1]}
    ).cast_column("audio", datasets.Audio()).cast_column("genre", datasets.ClassLabel(names=["blues", "rock"]))
    index = load_hf(datasets.DatasetDict({"train": ds, "test": broken, "validation": ds}), name="dd",
                    out_dir=tmp_path / "out", progress=False)
    assert index.split_kind == "official"
    assert index.tracks["split"].value_counts().to_dict() == {"train": 3, "valid": 3}
    assert index.tracks["track_id"].str.startswith(("train-", "validation-")).all()  # stems repeat across splits
    [problem] = index.problems
    assert "dd[test][0]" == problem.path and "decode" in problem.reason
    only = load_hf(datasets.DatasetDict({"train": ds, "test": ds}), split="test", name="dd2",
                   out_dir=tmp_path / "out2", progress=False)
    assert only.split_kind is None and only.tracks["split"].isna().all() and len(only) == 3
    with pytest.raises(ConfigError, match="split 'dev'"):
        load_hf(datasets.DatasetDict({"train": ds}), split="dev", out_dir=tmp_path / "o3", progress=False)


def test_load_hf_offline_hub_name_is_a_clear_dataset_error(monkeypatch):
    datasets = pytest.importorskip("datasets")
    from genrekit.data.hf import load_hf

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    with pytest.raises(DatasetError, match="marsyas/gtzan.*internet"):
        load_hf("marsyas/gtzan", progress=False)


def test_load_hf_from_a_save_to_disk_folder(tmp_path):
    from genrekit.data.hf import load_hf

    ds, _ = _hf_dataset(tmp_path, with_bytes=True)
    ds.save_to_disk(str(tmp_path / "saved"))
    index = load_dataset(f"hf:{tmp_path / 'saved'}", progress=False)
    assert len(index) == 3 and index.name.startswith("hf-")
    assert load_hf(str(tmp_path / "saved"), name="named", progress=False).name == "named"


# load_dataset / describe ---------------------------------------------------------------------

def test_load_dataset_prefixes_and_detection(trees, tmp_path):
    assert len(load_dataset(f"gtzan:{trees['gtzan']}", progress=False)) == 30
    assert load_dataset(f"fma-small:{trees['fma']}", progress=False).name == "fma-small"
    assert load_dataset(f"fma:{trees['fma']}", progress=False).name == "fma-small"
    assert len(load_dataset(f"folder:{trees['folder']}", progress=False)) == 4
    assert detect_layout(trees["fma"]) == "fma"
    assert detect_layout(trees["kaggle"]) == "gtzan"
    assert detect_layout(trees["folder"]) == "folder"
    assert load_dataset(str(trees["kaggle"]), progress=False).name == "gtzan"
    assert load_dataset(str(trees["fma"]), progress=False).name == "fma-small"
    assert load_dataset(str(trees["folder"]), progress=False).name == "music"
    with pytest.raises(ConfigError, match="unknown data source prefix 'gtzn'"):
        load_dataset("gtzn:/data")
    with pytest.raises(ConfigError, match="no path"):
        load_dataset("gtzan:")
    with pytest.raises(DatasetError, match="not found"):
        load_dataset(f"gtzan:{tmp_path / 'missing'}")
    with pytest.raises(DatasetError, match="not found"):
        load_dataset(str(tmp_path / "missing"))


def test_load_dataset_applies_artist_index_and_limit(trees, tmp_path):
    index_file = write_sturm_index(
        tmp_path / "artists.txt", [(f"{g}.{n:05d}", f"{g} band", "") for g in GTZAN_GENRES for n in range(3)]
    )
    data = DataConfig(artist_index=str(index_file), limit_per_genre=2, seed=1)
    index = load_dataset(f"gtzan:{trees['gtzan']}", data=data, progress=False)
    assert len(index) == 20 and index.tracks.groupby("genre").size().eq(2).all()
    assert index.tracks["artist"].notna().all()
    again = load_dataset(f"gtzan:{trees['gtzan']}", data=data, progress=False)
    assert again.tracks["track_id"].tolist() == index.tracks["track_id"].tolist()


def test_load_dataset_synthetic(tiny_synth, monkeypatch):
    synth = pytest.importorskip("genrekit.data.synth")
    calls = {}

    def fake_ensure(**kwargs):
        calls.update(kwargs)
        return tiny_synth  # already generated by the session fixture: no second generation

    monkeypatch.setattr(synth, "ensure_synthetic", fake_ensure)
    data = DataConfig(synthetic_clips=8, synthetic_seconds=6.0, seed=0)
    index = load_dataset("synthetic", data=data, progress=False)
    assert calls == {"clips_per_genre": 8, "seconds": 6.0, "seed": 0, "progress": False}
    assert index.name == "synthetic" and len(index) == 80 and len(index.genres) == 10
    assert index.tracks["artist"].notna().mean() > 0.5  # artists.txt was joined
    assert index.problems == []


def test_describe_counts_durations_and_problems(trees):
    index = load_gtzan(trees["gtzan"])
    summary = describe(index)
    assert summary["tracks"] == 30 and summary["genres"]["rock"] == 3
    assert summary["splits"] is None and summary["artists_known"] == 0
    assert summary["durations"]["median"] == pytest.approx(1.0, abs=1e-3)
    assert summary["durations"]["total"] == pytest.approx(30.0, abs=0.01)
    assert summary["sample_rates"] == {22050: 30} and summary["channels"] == {1: 30}
    assert summary["formats"] == {"AU": 30}
    assert len(summary["problems"]) == 1 and "jazz.00054" in summary["problems"][0]
    fma = describe(load_fma(trees["fma"]), durations=False)
    assert fma["durations"] is None and fma["sample_rates"] == {}
    assert fma["splits"]["train"] == {"Folk": 1, "Hip-Hop": 2, "Pop": 1}
    assert fma["artists"] == 6


def test_describe_reports_files_that_vanished(tmp_path):
    root = make_gtzan_tree(tmp_path / "g", genres=("rock",), per_genre=2, corrupt=None)
    index = load_gtzan(root)
    Path(index.tracks["path"][0]).unlink()
    summary = describe(index)
    assert summary["sample_rates"] == {22050: 1}
    assert any("file not found" in p for p in summary["problems"])


def make_troubled_folder(root: Path) -> Path:
    """root/<genre>/: 4 s tracks, and one of each kind of bad file feature extraction meets."""
    sr = 22050
    for g, genre in enumerate(("jazz", "rock")):
        for i in range(2):
            write_audio(root / genre / f"{genre}{i}.wav", tone(4.0, sr, 220.0 + 110 * g + 20 * i, seed=i), sr)
    write_audio(root / "rock" / "silent.wav", np.zeros(4 * sr, dtype=np.float32), sr)
    write_audio(root / "rock" / "blip.wav", tone(0.5, sr, 300.0), sr)  # under the 1 s features need
    write_audio(root / "rock" / "brief.wav", tone(2.0, sr, 300.0), sr)  # under one 3 s chunk
    nan = tone(4.0, sr, 500.0)
    nan[100] = np.nan
    write_audio(root / "jazz" / "nan.wav", nan, sr, subtype="FLOAT")
    (root / "jazz" / "corrupt.wav").write_bytes(CORRUPT_BYTES)
    write_truncated(root / "jazz" / "cut.mp3", seconds=10.0, sr=sr)  # decodes about 4.9 s: used, with a note
    return root


UNUSABLE = {"silent.wav": "silent", "blip.wav": "too short: 0.50 s, at least 1.00 s", "corrupt.wav": "unreadable",
            "brief.wav": "too short: 2.00 s is less than one 3 s chunk", "nan.wav": "NaN"}


def test_data_info_reports_the_files_feature_extraction_skips(tmp_path):
    from genrekit.features.extract import extract_dataset

    root = make_troubled_folder(tmp_path / "music")
    data = DataConfig(chunk_seconds=3.0)
    features = FeatureConfig(tempo=False, hpss=False, tonnetz=False)
    index = load_dataset(f"folder:{root}", data=data, progress=False)

    summary = describe(index, check=True, data=data, features=features)
    extracted = extract_dataset(index, data=data, features=features, cache_root=tmp_path / "cache", workers=1, progress=False)

    def named(items):
        return {Path(path).name: reason for path, reason in (str(item).split(": ", 1) for item in items)}

    described = named(summary["problems"])
    assert described == named([*index.problems, *extracted.problems])  # the same files, the same words
    assert set(described) == set(UNUSABLE)
    for name, words in UNUSABLE.items():
        assert words in described[name], (name, described[name])
    assert summary["skipped_on_load"] == 1 and summary["tracks"] == 9
    partial = named(summary["partial"])
    assert partial == named(extracted.notes) and list(partial) == ["cut.mp3"]
    assert partial["cut.mp3"].startswith("truncated: decodes 4.")
    assert "cut" in set(extracted.frame["track_id"].str.rsplit("/", n=1).str[-1])  # used, not dropped
    # the note survives a cache hit
    again = extract_dataset(index, data=data, features=features, cache_root=tmp_path / "cache", workers=1, progress=False)
    assert again.cached == 9 and named(again.notes) == partial


def test_cli_data_info_and_features_name_the_same_files(tmp_path, monkeypatch, capsys):
    root = make_troubled_folder(tmp_path / "music")
    monkeypatch.setenv("GENREKIT_CACHE", str(tmp_path / "cache"))
    settings = ["--set", "data.chunk_seconds=3", "--set", "features.tempo=false", "--set", "features.hpss=false",
                "--set", "features.tonnetz=false"]
    assert main(["data", "info", f"folder:{root}", *settings]) == 0
    out = capsys.readouterr().out
    assert "music: 9 tracks, 2 genres" in out
    assert ("problems:     4 of 9 tracks cannot be used (feature extraction skips them); "
            "1 file skipped when the dataset was loaded:") in out
    assert "partly used:  1 track used only as far as it decodes:" in out
    assert "(22,050 Hz, the middle 30 s, 3 s chunks, at least 1 s)" in out
    info_lines = {line[4:].split(": ", 1)[0] for line in out.splitlines() if line.startswith(f"  - {root}")}

    assert main(["features", f"folder:{root}", "--workers", "1", "--no-progress", *settings]) == 1
    out, err = capsys.readouterr()
    assert "tracks:   5 of 9 usable, 4 cannot be used (listed below); 9 read now, 0 answered from the cache" in out
    assert "rows:" in out and "one per chunk" in out
    feature_lines = {line.strip().split(": ", 1)[0] for line in err.splitlines() if line.startswith("  ")}
    assert {Path(p).name for p in info_lines} == {Path(p).name for p in feature_lines} == {*UNUSABLE, "cut.mp3"}


# CLI ---------------------------------------------------------------------------------------------

def test_cli_data_info_prints_a_table(trees, shared_gtzan, capsys):
    assert main(["data", "info", f"gtzan:{trees['gtzan']}", "--split", "artist",
                 "--artist-index", str(shared_gtzan / "annotations" / "GTZANindex_sturm2012.txt")]) == 0
    out = capsys.readouterr().out
    assert "gtzan: 30 tracks, 10 genres" in out
    header = next(line for line in out.splitlines() if line.strip().startswith("genre"))
    assert header.split() == ["genre", "tracks", "train", "valid", "test"]
    assert any(line.split()[:2] == ["jazz", "3"] for line in out.splitlines() if line.strip())
    assert "split:        artist" in out and "22,050 Hz (30)" in out and "mono (30)" in out
    assert "jazz.00054.au" in out and "problems:     1 file skipped when the dataset was loaded:" in out
    assert "checked:      every track decoded as feature extraction reads it" in out


def test_cli_data_info_fma_and_no_durations(trees, capsys):
    assert main(["data", "info", str(trees["fma"]), "--no-durations"]) == 0
    out = capsys.readouterr().out
    assert "fma-small: 8 tracks, 3 genres" in out and "official" in out
    assert "durations" not in out and "012346.mp3: audio file missing" in out


def test_cli_data_info_errors_exit_2(capsys, tmp_path):
    assert main(["data", "info", "gtzn:/x"]) == 2
    assert "unknown data source prefix" in capsys.readouterr().err
    assert main(["data", "info", str(tmp_path / "missing")]) == 2
    assert main(["data", "info", "synthetic", "--split", "bogus"]) == 2
    assert "unknown split kind" in capsys.readouterr().err


def test_cli_help_has_examples(capsys):
    for argv in (["data", "--help"], ["data", "info", "--help"], ["data", "synth", "--help"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 0
        assert "example" in capsys.readouterr().out


def test_cli_data_synth_writes_the_set(tmp_path, capsys):
    synth = pytest.importorskip("genrekit.data.synth")
    out = tmp_path / "synth"
    assert main(["data", "synth", "--out", str(out), "--clips", "1", "--seconds", "1", "--workers", "1"]) == 0
    assert str(out) in capsys.readouterr().out
    index = load_gtzan(out, artist_index=out / "artists.txt", name="synthetic")
    assert len(index) == len(index.genres) >= 2
    assert synth  # module found
