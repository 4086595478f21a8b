"""Splits: reproducible, stratified, and never leaking a track (or an artist) across sides."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genrekit.data.gtzan import read_sturm_index
from genrekit.data.index import TrackIndex
from genrekit.data.splits import (
    SPLIT_KINDS,
    assign_splits,
    check_no_leak,
    leaky_chunk_split,
    split_summary,
)
from genrekit.errors import ConfigError, DatasetError, GenrekitError

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def make_index(genres, artists=None, *, split=None, name="toy") -> TrackIndex:
    """A TrackIndex without audio (splits only look at ids, genres and artists)."""
    n = len(genres)
    frame = pd.DataFrame(
        {
            "track_id": [f"t{i:04d}" for i in range(n)],
            "path": [f"/nowhere/t{i:04d}.wav" for i in range(n)],
            "genre": list(genres),
            "artist": list(artists) if artists is not None else [pd.NA] * n,
            "split": list(split) if split is not None else [pd.NA] * n,
        }
    )
    return TrackIndex(name, frame)


def gtzan_index_from_sturm(root) -> TrackIndex:
    """All 1,000 GTZAN clip ids with Sturm's artists (no audio needed to split)."""
    sturm = read_sturm_index(root / "annotations" / "GTZANindex_sturm2012.txt")
    sturm["genre"] = sturm["track_id"].str.split(".").str[0]
    sturm["path"] = sturm["track_id"] + ".wav"
    return TrackIndex("gtzan", sturm)


def test_split_kinds_are_documented():
    assert {"auto", "random", "artist", "filtered", "official", "leaky-chunks"} <= set(SPLIT_KINDS)
    assert "leak" in SPLIT_KINDS["leaky-chunks"].lower()
    assert all(isinstance(v, str) and v for v in SPLIT_KINDS.values())


def test_random_split_is_exactly_stratified_and_reproducible():
    index = make_index(["rock"] * 100 + ["jazz"] * 20)
    a = assign_splits(index, kind="random", seed=3)
    b = assign_splits(index, kind="random", seed=3)
    c = assign_splits(index, kind="random", seed=4)
    assert a.split_kind == "random"
    pd.testing.assert_series_equal(a.tracks["split"], b.tracks["split"])
    assert not a.tracks["split"].equals(c.tracks["split"])
    table = split_summary(a)
    assert table.loc["rock"].to_dict() == {"train": 70, "valid": 15, "test": 15}
    assert table.loc["jazz"].to_dict() == {"train": 14, "valid": 3, "test": 3}
    # the input is untouched
    assert index.tracks["split"].isna().all()


def test_random_split_puts_a_track_on_every_side_of_a_three_track_genre():
    table = split_summary(assign_splits(make_index(["pop"] * 3), kind="random"))
    assert table.loc["pop"].to_dict() == {"train": 1, "valid": 1, "test": 1}


def test_artist_split_keeps_artists_together_and_balances_genres():
    genres = ["rock"] * 60 + ["jazz"] * 60
    artists = [f"rock-{i // 3}" for i in range(60)] + [f"jazz-{i // 4}" for i in range(60)]
    out = assign_splits(make_index(genres, artists), kind="artist", seed=0)
    assert out.split_kind == "artist"
    check_no_leak(out.tracks, group_col="artist")
    shares = split_summary(out).div(60)
    assert np.allclose(shares["valid"], 0.15, atol=0.07)
    assert np.allclose(shares["test"], 0.15, atol=0.07)


def test_artist_names_are_matched_case_and_space_insensitively():
    genres = ["rock"] * 40
    artists = ["The Band" if i % 2 else "the  band " for i in range(20)] + [f"solo {i}" for i in range(20)]
    out = assign_splits(make_index(genres, artists), kind="artist").tracks
    assert out.loc[:19, "split"].nunique() == 1


def test_tracks_of_unknown_artist_are_separate_groups():
    # regression: pandas 3 turned the unknown-artist marker into NaN, merging all unknowns into one group
    index = make_index(["g"] * 4, [pd.NA, pd.NA, pd.NA, "artist 0"])
    out = assign_splits(index, kind="artist", seed=0)
    assert set(out.tracks["split"]) == {"train", "valid", "test"}


def test_artist_split_on_real_gtzan_artists(shared_gtzan):
    index = gtzan_index_from_sturm(shared_gtzan)
    out = assign_splits(index, kind="artist", seed=0)
    check_no_leak(out.tracks, group_col="artist")
    assert out.tracks["split"].isin(["train", "valid", "test"]).all()
    shares = split_summary(out).div(100)
    # GTZAN genres hold 7-30 artists of very unequal size; each side stays within 5 points of its target
    assert (shares["valid"] - 0.15).abs().max() <= 0.05
    assert (shares["test"] - 0.15).abs().max() <= 0.05
    assert (shares["train"] - 0.70).abs().max() <= 0.08


def test_auto_split_resolves_to_official_artist_or_random():
    official = make_index(["a", "b"] * 5, split=["train", "valid", "test", "train", "train"] * 2)
    assert assign_splits(official).split_kind == "official"
    with_artists = make_index(["a", "b"] * 10, [f"x{i % 6}" for i in range(20)])
    out = assign_splits(with_artists)
    assert out.split_kind == "artist"
    assert any("'auto' chose 'artist'" in n for n in out.notes)
    assert assign_splits(make_index(["a", "b"] * 10)).split_kind == "random"


def test_official_split_is_kept_and_required():
    index = make_index(["a"] * 4, split=["train", "valid", "test", None])
    out = assign_splits(index, kind="official")
    assert out.tracks["split"].tolist() == ["train", "valid", "test"]
    assert any("without an official split" in n for n in out.notes)
    with pytest.raises(ConfigError, match="no official split"):
        assign_splits(make_index(["a"] * 4), kind="official")


def test_filtered_split_reproduces_the_published_lists(shared_gtzan):
    out = assign_splits(gtzan_index_from_sturm(shared_gtzan), kind="filtered", split_dir=shared_gtzan / "splits")
    assert out.split_kind == "filtered"
    assert out.tracks["split"].value_counts().to_dict() == {"train": 443, "test": 290, "valid": 197}
    assert split_summary(out).sum(axis=1).to_dict() == {
        "blues": 100, "classical": 99, "country": 98, "disco": 93, "hiphop": 92,
        "jazz": 87, "metal": 91, "pop": 84, "reggae": 86, "rock": 100,
    }
    assert any("70 not in the lists dropped" in n for n in out.notes)
    assert out.tracks.set_index("track_id").loc["blues.00029", "split"] == "train"
    # the filtered split is artist-disjoint, as its authors state
    check_no_leak(out.tracks, group_col="artist")


def test_filtered_split_errors(tmp_path):
    index = make_index(["blues"] * 3)
    with pytest.raises(ConfigError, match="dnn-mgr"):
        assign_splits(index, kind="filtered")
    with pytest.raises(ConfigError, match="train_filtered.txt"):
        assign_splits(index, kind="filtered", split_dir=tmp_path)
    for side in ("train", "valid", "test"):
        (tmp_path / f"{side}_filtered.txt").write_text("blues/blues.00029.wav\n" if side == "train" else "")
    with pytest.raises(DatasetError, match="for GTZAN"):
        assign_splits(index, kind="filtered", split_dir=tmp_path)
    (tmp_path / "test_filtered.txt").write_text("blues/blues.00029.wav\n")
    with pytest.raises(DatasetError, match="both"):
        assign_splits(index, kind="filtered", split_dir=tmp_path)


def test_filtered_split_error_names_the_options_commands_really_take():
    from genrekit.cli import build_parser

    with pytest.raises(ConfigError) as error:
        assign_splits(make_index(["blues"] * 3), kind="filtered")
    message = str(error.value)
    assert "--set data.split_dir=DIR" in message and "(or --split-dir)" not in message
    parser = build_parser()
    for command in (["run"], ["train"], ["experiment", "mel-vs-log"]):
        assert parser.parse_args([*command, "--set", "data.split_dir=/x"]).overrides == ["data.split_dir=/x"]
    # the one command with a --split-dir flag
    assert parser.parse_args(["data", "info", "gtzan:/x", "--split-dir", "/x"]).split_dir == "/x"


def test_leaky_chunks_kind_fills_a_track_split_and_says_so():
    out = assign_splits(make_index(["a"] * 10 + ["b"] * 10), kind="leaky-chunks")
    assert out.split_kind == "leaky-chunks"
    assert out.tracks["split"].notna().all()
    assert any("leaky_chunk_split" in n for n in out.notes)


def test_bad_kind_and_fractions_are_config_errors():
    index = make_index(["a"] * 10)
    with pytest.raises(ConfigError, match="unknown split kind"):
        assign_splits(index, kind="stratified")
    with pytest.raises(ConfigError, match="fraction"):
        assign_splits(index, kind="random", valid_fraction=0.6, test_fraction=0.5)


def test_check_no_leak_names_the_offending_groups():
    frame = pd.DataFrame({"track_id": ["a", "a", "b", "c", "c"], "split": ["train", "test", "train", "valid", "valid"]})
    with pytest.raises(GenrekitError, match=r"1 track_id values.*a in test/train"):
        check_no_leak(frame)
    check_no_leak(frame[frame["track_id"] != "a"])
    with pytest.raises(DatasetError, match="no column 'artist'"):
        check_no_leak(frame, group_col="artist")


def chunk_frame(tracks: pd.DataFrame, chunks_per_track: int) -> pd.DataFrame:
    """What feature extraction produces: one row per chunk, carrying its track's id, genre and split."""
    rows = tracks.loc[tracks.index.repeat(chunks_per_track), ["track_id", "genre", "split"]]
    rows = rows.assign(chunk=np.tile(np.arange(chunks_per_track), len(tracks)))
    return rows.reset_index(drop=True)


def test_chunks_of_a_track_level_split_never_leak_but_a_chunk_level_split_does():
    index = assign_splits(make_index(["a"] * 30 + ["b"] * 30), kind="random", seed=1)
    chunks = chunk_frame(index.tracks, 10)
    check_no_leak(chunks)
    leaky = chunks.assign(split=leaky_chunk_split(chunks, seed=1))
    assert leaky["split"].index.equals(chunks.index)
    # stratified per chunk: 600 chunks -> 420/90/90
    assert leaky["split"].value_counts().to_dict() == {"train": 420, "valid": 90, "test": 90}
    with pytest.raises(GenrekitError, match="split leaks"):
        check_no_leak(leaky)


def test_split_summary_counts_unsplit_tracks():
    table = split_summary(make_index(["a", "a", "b"]))
    assert table.to_dict(orient="index") == {"a": {"none": 2}, "b": {"none": 1}}


# ---------------------------------------------------------------------------------------------
# properties

@st.composite
def grouped_indexes(draw):
    n_genres = draw(st.integers(1, 4))
    n_artists = draw(st.integers(1, 25))
    n = draw(st.integers(1, 120))
    genres = draw(st.lists(st.integers(0, n_genres - 1), min_size=n, max_size=n))
    # None = unknown artist (its own group)
    artists = draw(st.lists(st.one_of(st.none(), st.integers(0, n_artists - 1)), min_size=n, max_size=n))
    return make_index([f"g{g}" for g in genres], [pd.NA if a is None else f"artist {a}" for a in artists])


@FAST
@pytest.mark.filterwarnings("ignore:.*no track has a known artist")  # drawn indexes may know no artist
@given(index=grouped_indexes(), seed=st.integers(0, 2**16))
def test_property_artist_split_never_crosses_and_is_complete(index, seed):
    out = assign_splits(index, kind="artist", seed=seed)
    tracks = out.tracks
    assert len(tracks) == len(index)
    assert tracks["track_id"].tolist() == index.tracks["track_id"].tolist()
    assert tracks["split"].isin(["train", "valid", "test"]).all()
    check_no_leak(tracks, group_col="artist")
    n_groups = tracks["artist"].nunique() + int(tracks["artist"].isna().sum())
    if n_groups >= 3:
        assert set(tracks["split"]) == {"train", "valid", "test"}
    again = assign_splits(index, kind="artist", seed=seed)
    assert again.tracks["split"].tolist() == tracks["split"].tolist()


@FAST
@given(
    counts=st.lists(st.integers(1, 60), min_size=1, max_size=5),
    valid=st.floats(0.05, 0.3),
    test=st.floats(0.05, 0.3),
    seed=st.integers(0, 2**16),
)
def test_property_random_split_is_stratified(counts, valid, test, seed):
    genres = [f"g{i}" for i, c in enumerate(counts) for _ in range(c)]
    out = assign_splits(make_index(genres), kind="random", seed=seed, valid_fraction=valid, test_fraction=test)
    table = split_summary(out).reindex(columns=["train", "valid", "test"], fill_value=0)
    for genre, c in zip(table.index, [counts[int(g[1:])] for g in table.index]):
        # largest-remainder rounding, plus at most one track moved to fill an empty side
        assert abs(table.loc[genre, "valid"] - valid * c) <= 2
        assert abs(table.loc[genre, "test"] - test * c) <= 2
        assert table.loc[genre].sum() == c
        if c >= 3:
            assert (table.loc[genre] > 0).all()


def test_artist_split_gives_every_genre_training_tracks_with_few_artists():
    """Two artists per genre cannot fill three sides; no genre may be left out of training."""
    rows = []
    for genre in ("blues", "jazz", "rock", "pop", "metal"):
        for artist in range(2):
            for clip in range(5):
                rows.append({"track_id": f"{genre}.{artist}{clip}", "genre": genre, "artist": f"{genre}-{artist}",
                             "path": f"/x/{genre}.{artist}{clip}.wav"})
    index = TrackIndex("few-artists", pd.DataFrame(rows))
    for seed in range(6):
        out = assign_splits(index, kind="artist", seed=seed, valid_fraction=0.2, test_fraction=0.3)
        tracks = out.tracks
        assert set(tracks.loc[tracks["split"] == "train", "genre"]) == {"blues", "jazz", "rock", "pop", "metal"}
        assert (tracks["split"] == "test").any()
        check_no_leak(tracks, group_col="artist")
        assert any("too few to appear in train, valid and test" in note for note in out.notes)


# ---------------------------------------------------------------------------------------------
# the split kind recorded is the split made

@pytest.mark.parametrize("unknown", [pd.NA, None, "", "   "])
def test_artist_split_without_known_artists_is_recorded_as_random(unknown):
    index = make_index(["rock"] * 10 + ["jazz"] * 10, [unknown] * 20)
    with pytest.warns(UserWarning, match="no track has a known artist.*random split"):
        out = assign_splits(index, kind="artist", seed=2)
    assert out.split_kind == "random"
    assert any("artist split asked for" in note for note in out.notes)
    # exactly the random split: each track alone is all an artist split could do
    assert out.tracks["split"].tolist() == assign_splits(index, kind="random", seed=2).tracks["split"].tolist()
    assert assign_splits(index, kind="auto").split_kind == "random"


def test_partly_known_artists_still_make_an_artist_split():
    index = make_index(["rock"] * 10 + ["jazz"] * 10, [f"band {i % 4}" if i % 5 else "" for i in range(20)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = assign_splits(index, kind="artist")
    assert out.split_kind == "artist"
    # blank names are unknown: 16 of 20 known, and the 4 blank tracks are 4 groups, not one
    assert any("16 of 20 tracks have a known artist" in note for note in out.notes)
    check_no_leak(out.tracks[out.tracks["artist"] != ""], group_col="artist")


def _prepared(source: str, split: str, **data):
    from genrekit.config import ExperimentConfig, from_dict
    from genrekit.prepare import prepare_index

    return prepare_index(from_dict(ExperimentConfig, {"data": {"source": source, "split": split, **data}}), progress=False)


def test_folder_source_without_artists_records_a_random_split(tmp_path):
    from fixtures import tone
    from genrekit.data.audio import write_audio

    for g, genre in enumerate(("jazz", "rock", "pop")):
        for n in range(5):
            write_audio(tmp_path / genre / f"{genre}-{n}.wav", tone(0.3, 22050, 200.0 + 50 * g + n, seed=n), 22050)
    with pytest.warns(UserWarning, match="no track has a known artist"):
        out = _prepared(f"folder:{tmp_path}", "artist")
    assert out.split_kind == "random" and out.tracks["split"].notna().all()
    assert _prepared(f"folder:{tmp_path}", "auto").split_kind == "random"


def test_main_job_on_a_folder_without_artists_reports_a_random_split(tmp_path):
    """`genrekit run --data folder:DIR --split artist`: table, log and report say 'random', warned once."""
    from fixtures import tone
    from genrekit.data.audio import write_audio
    from genrekit.data.splits import SplitWarning
    from genrekit.pipeline import run_main_job

    for g, genre in enumerate(("jazz", "rock", "pop")):
        for n in range(6):
            write_audio(tmp_path / "music" / genre / f"{n}.wav", tone(1.0, 22050, 200.0 + 150 * g + 7 * n, seed=n), 22050)
    lines = []
    with pytest.warns(SplitWarning) as caught:
        result = run_main_job(
            data=f"folder:{tmp_path / 'music'}", split="artist", models="logreg,xgboost", features="handcrafted",
            runs_dir=tmp_path / "runs",
            overrides=["features.chroma_cqt=false", "features.tempo=false", "train.search=false"],
            progress=False, echo=lines.append,
        )
    assert len([w for w in caught if issubclass(w.category, SplitWarning)]) == 1
    assert result.table["split_kind"].tolist() == ["random", "random"]
    assert any(line.startswith("[2] logreg on handcrafted [random]") for line in lines)
    for run in result.runs:
        assert "split kind: random" in (run / "report.txt").read_text()


def test_synthetic_source_has_artists_and_records_an_artist_split():
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        out = _prepared("synthetic", "artist", synthetic_clips=6, synthetic_seconds=1.0)
    assert out.split_kind == "artist"
    assert any(f"{len(out):,} of {len(out):,} tracks have a known artist" in note for note in out.notes)
    check_no_leak(out.tracks, group_col="artist")
    assert _prepared("synthetic", "auto", synthetic_clips=6, synthetic_seconds=1.0).split_kind == "artist"


def test_gtzan_source_records_the_split_its_artist_index_allows(tmp_path):
    from fixtures import make_gtzan_tree, write_sturm_index

    genres = ("blues", "jazz", "rock")
    root = make_gtzan_tree(tmp_path / "gtzan", genres=genres, per_genre=6, seconds=0.3, corrupt=None)
    with pytest.warns(UserWarning, match="no track has a known artist"):
        bare = _prepared(f"gtzan:{root}", "artist")
    assert bare.split_kind == "random"
    # Sturm's index knows most artists (919 of 1000 on real GTZAN): still an artist split
    entries = [(f"{g}.{n:05d}", f"{g} artist {n // 2}" if n else "", "") for g in genres for n in range(6)]
    sturm = write_sturm_index(tmp_path / "GTZANindex.txt", entries)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        known = _prepared(f"gtzan:{root}", "artist", artist_index=str(sturm))
    assert known.split_kind == "artist"
    assert any("15 of 18 tracks have a known artist" in note for note in known.notes)
    check_no_leak(known.tracks.dropna(subset=["artist"]), group_col="artist")
    assert _prepared(f"gtzan:{root}", "auto", artist_index=str(sturm)).split_kind == "artist"
