"""Label noise: out-of-fold probabilities respect their groups, injected label flips come out on top,
and the known multi-genre / faulty tracks of each dataset are found where they are."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from fixtures import make_fma_tree, make_gtzan_tree
from genrekit.data.datasets import load_dataset
from genrekit.data.gtzan import GTZAN_GENRES
from genrekit.errors import ConfigError, DatasetError
from genrekit.label_noise import (
    CROSSOVER,
    FAULT_FILTERED,
    ISSUE_COLUMNS,
    PRECISION_COLUMNS,
    SECOND_ROOT,
    SUSPECT_COLUMNS,
    find_suspects,
    fma_genre_spread,
    gtzan_fault_filtered_out,
    known_label_issues,
    out_of_fold_proba,
    suspect_precision,
)

GENRES = [f"g{i}" for i in range(10)]


def blobs(*, per_class: int = 40, artists_per_class: int = 4, seed: int = 0) -> pd.DataFrame:
    """Ten well-separated Gaussian classes in 8 dimensions, each played by a few 'artists' with a small offset."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 3.0, size=(len(GENRES), 8))
    rows = []
    for c, genre in enumerate(GENRES):
        offsets = rng.normal(0.0, 0.3, size=(artists_per_class, 8))
        for i in range(per_class):
            a = i * artists_per_class // per_class
            x = centres[c] + offsets[a] + rng.normal(0.0, 1.0, size=8)
            rows.append({"track_id": f"{genre}.{i:05d}", "genre": genre, "artist": f"{genre}-artist-{a}",
                         **{f"f{j}": v for j, v in enumerate(x)}})
    return pd.DataFrame(rows)


FEATURES = [f"f{j}" for j in range(8)]


def test_out_of_fold_probabilities_never_come_from_a_model_that_saw_the_group():
    """Features that identify the group (one-hot) and labels drawn at random per group: a model that saw
    the group memorises its label; one that did not can only guess, so it stays near chance."""
    rng = np.random.default_rng(0)
    n_groups, per_group, k = 40, 5, 4
    groups = np.repeat(np.arange(n_groups), per_group)
    X = np.eye(n_groups)[groups] + rng.normal(0.0, 0.01, size=(len(groups), n_groups))
    y = np.repeat(np.arange(n_groups) % k, per_group)  # every class in every fold
    rng.shuffle(y.reshape(n_groups, per_group))  # shuffles whole groups' labels
    rows = np.arange(len(y))

    grouped = out_of_fold_proba(X, y, groups=groups, n_splits=5, C=10.0)
    leaky = out_of_fold_proba(X, y, n_splits=5, C=10.0)  # each row its own group: the group's other rows train
    assert grouped.shape == (len(y), k) and np.allclose(grouped.sum(axis=1), 1.0)
    assert grouped[rows, y].mean() < 0.35  # chance is 0.25
    assert leaky[rows, y].mean() > 0.6
    assert (leaky.argmax(axis=1) == y).mean() > 0.9


def test_a_class_missing_from_a_fold_gets_probability_zero_there():
    X = np.r_[np.zeros((10, 2)), np.ones((10, 2)), [[5.0, 5.0]]] + np.random.default_rng(1).normal(0, 0.1, (21, 2))
    y = np.r_[np.zeros(10, int), np.ones(10, int), [2]]
    proba = out_of_fold_proba(X, y, n_splits=2, seed=0)
    # the only class-2 row is never in its own fold's training set
    assert proba[-1, 2] == 0.0 and np.isclose(proba[-1].sum(), 1.0)


def test_injected_label_flips_are_ranked_among_the_top_suspects():
    """Flip 5 % of the labels to another genre: the flipped tracks fill the top of the list, far above chance."""
    frame = blobs()
    rng = np.random.default_rng(1)
    flipped = rng.choice(len(frame), size=20, replace=False)
    for i in flipped:
        frame.loc[i, "genre"] = rng.choice([g for g in GENRES if g != frame.loc[i, "genre"]])
    flipped_ids = set(frame.loc[flipped, "track_id"])

    suspects = find_suspects(frame, feature_columns=FEATURES, seed=0)
    assert list(suspects.columns) == SUSPECT_COLUMNS
    assert len(suspects) == len(frame) and list(suspects["rank"]) == list(range(1, len(frame) + 1))
    assert suspects["given_proba"].is_monotonic_increasing
    top = set(suspects["track_id"].head(20))
    assert len(top & flipped_ids) >= 16  # a random list of 20 would hold 1 on average

    precision = suspect_precision(suspects, flipped_ids, ks=[20, 40])
    assert list(precision.columns) == PRECISION_COLUMNS
    assert precision["base_rate"].iloc[0] == pytest.approx(20 / 400)
    assert precision["lift"].iloc[0] >= 16
    assert precision["recall"].iloc[1] >= 0.9
    # a flipped track's own genre is what the model hears instead
    rows = suspects[suspects["track_id"].isin(flipped_ids)]
    assert (rows["alternative"] == rows["track_id"].str.split(".").str[0]).mean() >= 0.8


def test_chunks_are_averaged_per_track_and_kept_in_one_fold():
    """Three chunks per track: one row per track, whose probabilities are the mean of its chunks'."""
    tracks = blobs(per_class=12, artists_per_class=3)
    rng = np.random.default_rng(2)
    chunks = pd.concat([tracks.assign(chunk=c) for c in range(3)], ignore_index=True)
    chunks[FEATURES] += rng.normal(0.0, 0.5, size=(len(chunks), len(FEATURES)))
    suspects = find_suspects(chunks, feature_columns=FEATURES, seed=3)
    assert len(suspects) == len(tracks) and suspects["track_id"].is_unique

    labels = sorted(GENRES)
    y = chunks["genre"].map({g: i for i, g in enumerate(labels)}).to_numpy()
    proba = out_of_fold_proba(chunks[FEATURES].to_numpy(), y, groups=("group:" + chunks["artist"]).to_numpy(),
                              n_classes=10, seed=3)
    mean = pd.DataFrame(proba, columns=labels).groupby(chunks["track_id"].to_numpy()).mean()
    row = suspects.iloc[0]
    assert row["given_proba"] == pytest.approx(mean.loc[row["track_id"], row["genre"]])
    assert row["predicted"] == mean.loc[row["track_id"]].idxmax()


def test_suspect_precision_counts_by_hand():
    suspects = pd.DataFrame({"rank": [1, 2, 3, 4, 5], "track_id": ["a", "b", "c", "d", "e"]})
    table = suspect_precision(suspects, ["b", "e", "not-a-track"], ks=[1, 2, 5])
    assert table["hits"].tolist() == [0, 1, 2]
    assert table["precision"].tolist() == [0.0, 0.5, 0.4]
    assert table["recall"].tolist() == [0.0, 0.5, 1.0]
    assert table["base_rate"].iloc[0] == pytest.approx(0.4)
    assert suspect_precision(suspects, ["b", "e"])["k"].tolist() == [2]  # default: 10, 20, 50 are too long
    assert np.isnan(suspect_precision(suspects, [], ks=[3])["lift"].iloc[0])
    with pytest.raises(ConfigError, match="k must be between 1"):
        suspect_precision(suspects, ["a"], ks=[6])


def test_bad_input_is_refused_by_name():
    frame = blobs(per_class=4, artists_per_class=1)
    with pytest.raises(ConfigError, match="n_splits"):
        find_suspects(frame, feature_columns=FEATURES, n_splits=11)  # ten artists
    with pytest.raises(DatasetError, match="lacks the columns"):
        find_suspects(frame, feature_columns=["nope"])
    frame.loc[3, "f0"] = np.nan
    with pytest.raises(DatasetError, match="non-finite"):
        find_suspects(frame, feature_columns=FEATURES)
    with pytest.raises(DatasetError, match="not in the label map"):
        find_suspects(blobs(per_class=4), feature_columns=FEATURES, labels=GENRES[:9])
    with pytest.raises(ConfigError, match="class id"):
        out_of_fold_proba(np.zeros((4, 2)), np.array([0, 1, 2, 3]), n_classes=3)


# ---------------------------------------------------------------------- known issues per dataset


@pytest.fixture(scope="module")
def small_synth(tmp_path_factory):
    from genrekit.data.synth import generate_synthetic

    return generate_synthetic(tmp_path_factory.mktemp("crossovers"), clips_per_genre=6, seconds=1.0, seed=3, progress=False)


def test_synthetic_crossovers_are_the_clips_rendered_in_a_neighbours_arrangement(small_synth, monkeypatch):
    from genrekit.data import synth
    from genrekit.data.synth import render
    from genrekit.data.synth.dataset import _artist_for, _clip_seed

    crossovers = synth.synthetic_crossovers(small_synth)
    assert len(crossovers) == 60
    found = {t: g for t, g in crossovers.items() if g}
    assert found, "a share of every set's clips are crossovers"
    for track_id, other in found.items():
        assert other in synth.genre_style(track_id.split(".")[0]).neighbours

    # the draw render_clip made for each clip (audio rendering skipped) names the same neighbour
    drawn = {}
    monkeypatch.setattr(render, "_render", lambda clip, style, seconds, sr, rng: drawn.setdefault("clip", clip))
    for track_id, other in crossovers.items():
        genre, number = track_id.split(".")
        i = int(number)
        artist = _artist_for(3, genre, synth.clip_artist_index(i, 6))
        drawn.clear()
        synth.render_clip(genre, seconds=1.0, seed=_clip_seed(3, genre, i), artist=artist)
        assert drawn["clip"].crossover == other, track_id

    # found by the set's manifest, also when the set is loaded as a GTZAN-layout folder
    issues = known_label_issues(load_dataset(f"gtzan:{small_synth}", progress=False))
    assert list(issues.columns) == ISSUE_COLUMNS
    assert dict(zip(issues["track_id"], issues["other_genre"])) == found
    assert (issues["issue"] == CROSSOVER).all()
    assert (issues["genre"] == issues["track_id"].str.split(".").str[0]).all()


def test_synthetic_crossovers_refuse_a_stale_or_foreign_set(small_synth, tmp_path):
    from genrekit.data.synth import MANIFEST_NAME, synthetic_crossovers

    # the generator writes the manifest known_label_issues looks for
    assert (small_synth / MANIFEST_NAME).is_file()

    with pytest.raises(DatasetError, match="not found"):
        synthetic_crossovers(tmp_path)
    manifest = json.loads((small_synth / MANIFEST_NAME).read_text())
    (tmp_path / MANIFEST_NAME).write_text(json.dumps({**manifest, "version": manifest["version"] - 1}))
    with pytest.raises(DatasetError, match="regenerate"):
        synthetic_crossovers(tmp_path)


def test_fma_tracks_with_a_second_root_genre(tmp_path):
    root = make_fma_tree(tmp_path / "fma", subset="small")
    tracks_csv = root / "fma_metadata" / "tracks.csv"
    # give the Folk track 1041 a Hip-Hop genre too (genres and genres_all hold the same list in the fixture)
    lines = [line.replace('[17]', '"[17, 21]"') if line.startswith("1041,") else line for line in tracks_csv.read_text().splitlines()]
    tracks_csv.write_text("\n".join(lines) + "\n")

    spread = fma_genre_spread(root / "fma_metadata").set_index("track_id")
    assert spread.loc["001041", "roots"] == ("Folk", "Hip-Hop") and spread.loc["001041", "n_roots"] == 2
    assert spread.loc["001040", "genres"] == ("Pop", "Experimental Pop") and spread.loc["001040", "roots"] == ("Pop",)
    assert pd.isna(spread.loc["012345", "genre_top"])

    index = load_dataset(f"fma-small:{root}", progress=False)
    issues = known_label_issues(index)
    assert issues.to_dict("records") == [{"track_id": "001041", "genre": "Folk", "issue": SECOND_ROOT, "other_genre": "Hip-Hop"}]


def test_gtzan_clips_left_out_of_the_fault_filtered_split(tmp_path):
    split_dir = tmp_path / "splits"
    split_dir.mkdir()
    kept = {"train": [f"blues/blues.{i:05d}.wav" for i in range(100) if i not in (7, 8)],
            "valid": [f"pop/pop.{i:05d}.wav" for i in range(1, 100)], "test": []}
    for side, lines in kept.items():
        (split_dir / f"{side}_filtered.txt").write_text("\n".join(lines) + "\n")
    left_out = gtzan_fault_filtered_out(split_dir)
    assert left_out["track_id"].tolist() == ["blues.00007", "blues.00008", "pop.00000"]

    root = make_gtzan_tree(tmp_path / "gtzan", genres=("blues", "pop"), per_genre=9, seconds=0.2, corrupt=None)
    index = load_dataset(f"gtzan:{root}", progress=False)
    issues = known_label_issues(index, split_dir=split_dir)
    assert issues["track_id"].tolist() == ["blues.00007", "blues.00008", "pop.00000"]
    assert (issues["issue"] == FAULT_FILTERED).all()
    assert known_label_issues(index).empty  # without the lists nothing is known

    (split_dir / "test_filtered.txt").write_text("not a clip line\n")
    with pytest.raises(DatasetError, match="test_filtered.txt:1"):
        gtzan_fault_filtered_out(split_dir)


def test_the_published_filtered_split_leaves_out_seventy_clips(shared_gtzan):
    left_out = gtzan_fault_filtered_out(shared_gtzan / "splits")
    per_genre = left_out["genre"].value_counts().reindex(GTZAN_GENRES, fill_value=0)
    assert len(left_out) == 70
    assert per_genre.to_dict() == {"blues": 0, "classical": 1, "country": 2, "disco": 7, "hiphop": 8,
                                   "jazz": 13, "metal": 9, "pop": 16, "reggae": 14, "rock": 0}
