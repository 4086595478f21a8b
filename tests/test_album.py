"""The album study end to end: a generated album, an ensemble of three tiny models of different
families (hand-crafted features + logistic regression, a spectrogram CNN, an MFCC CNN), the CSVs,
the figure, the summary; and ensembles scored as runs (``genrekit evaluate --ensemble``).
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from fixtures import TINY_GENRES, Fixed, copy_run, tone, write_truncated
from genrekit.album import (
    LOGIT_KEYS,
    PROBABILITY_KEYS,
    TIMELINE_KEYS,
    TRACK_KEYS,
    analyse_album,
    read_title,
)
from genrekit.data.album_synth import MANIFEST_COLUMNS, make_synthetic_album
from genrekit.errors import AudioError, ConfigError, DatasetError

N_TRACKS = 6


# one worker runs the modules that share the session's tiny runs, so they are trained once
pytestmark = [pytest.mark.usefixtures("one_torch_thread"), pytest.mark.xdist_group("tiny-runs")]


@pytest.fixture(scope="module")
def album(tmp_path_factory):
    return make_synthetic_album(tmp_path_factory.mktemp("album") / "Synthetic Album", n_tracks=N_TRACKS, seed=0,
                                min_seconds=10, max_seconds=30, genres=TINY_GENRES, progress=False)


@pytest.fixture(scope="module")
def report(one_torch_thread, tiny_runs, album, tmp_path_factory):
    return analyse_album(album.folder, list(tiny_runs.values()), out_dir=tmp_path_factory.mktemp("out"),
                         genre="country", progress=False)


def test_synthetic_album_has_mixed_files_and_one_broken(album):
    from genrekit.data.audio import audio_info

    tracks = album.tracks
    assert list(tracks.columns) == MANIFEST_COLUMNS
    assert len(tracks) == N_TRACKS + 1 and album.broken == tracks.loc[tracks["broken"], "file"].tolist()
    assert len(album.broken) == 1
    playable = album.playable
    assert set(playable["genre"]) == set(TINY_GENRES)  # every genre once before repeats
    assert set(playable["format"]) == {"wav", "flac", "mp3", "ogg"}
    assert set(playable["sample_rate"]) == {22050, 44100, 48000} and set(playable["channels"]) == {1, 2}
    assert playable["seconds"].min() == 10 and playable["seconds"].max() == 30
    for row in playable.itertuples():
        info = audio_info(album.folder / row.file)
        assert (info.samplerate, info.channels) == (row.sample_rate, row.channels)
        assert abs(info.duration - row.seconds) < 0.1
        assert read_title(album.folder / row.file) == row.title
    with pytest.raises(AudioError):
        from genrekit.data.audio import load_audio

        load_audio(album.folder / album.broken[0])
    assert pd.read_csv(album.path)["file"].tolist() == tracks["file"].tolist()


def test_ensemble_majority_genre_matches_the_generator(report, album):
    truth = album.playable.set_index("file")["genre"]
    tracks = report.tracks.set_index("file")
    middle = int((tracks["genre"] == truth[tracks.index]).sum())
    timeline = int((tracks["timeline_genre"] == truth[tracks.index]).sum())
    # measured: 5 of 6 for this album, middle and timeline (each model alone 4 of 6); with this
    # recipe 4, 6, 5, 6, 5 of 6 over album seeds 0-4. The misses are the tiny models' (about 50 s
    # of training audio per genre): the same songs rendered straight into arrays get the same votes.
    assert middle >= 4, tracks[["genre", "timeline_genre"]].assign(truth=truth)
    assert timeline >= 4
    members = report.probabilities.groupby("model")["genre"].apply(list)
    assert len(members) == 3


def test_broken_file_is_reported_and_every_other_track_is_in_the_csvs(report, album):
    assert report.problems["file"].tolist() == album.broken
    assert report.problems["reason"].str.contains("decode").all()
    playable = album.playable["file"].tolist()
    assert report.tracks["file"].tolist() == playable  # sorted by file name, the broken one left out
    assert report.tracks["track"].tolist() == album.playable["track"].tolist()
    assert report.tracks["title"].tolist() == album.playable["title"].tolist()
    assert len(report.probabilities) == len(report.logits) == 3 * len(playable)
    assert set(report.timeline["file"]) == set(playable)
    for frame in (report.tracks, report.probabilities, report.timeline):
        np.testing.assert_allclose(frame[list(TINY_GENRES)].sum(axis=1), 1.0, atol=1e-6)
    assert set(report.probabilities["family"]) == {"classic", "torch"}
    np.testing.assert_allclose(report.probabilities.groupby("file")["weight"].sum(), 1.0)
    kinds = report.logits.set_index("model")["kind"].to_dict()
    assert kinds == {"logreg (features)": "log-probability", "cnn-spec (mel)": "logit", "cnn-mfcc (mfcc)": "logit"}
    # the ensemble is the mean of its members (equal weights)
    members = report.probabilities.groupby("file")[list(TINY_GENRES)].mean()
    np.testing.assert_allclose(members.loc[playable].to_numpy(), report.tracks[list(TINY_GENRES)].to_numpy(), atol=1e-9)
    # a 30 s track has one 30 s window; no track here is longer
    long = report.tracks.loc[report.tracks["duration_s"].idxmax(), "file"]
    assert report.timeline.loc[report.timeline["file"] == long, ["start_s", "end_s"]].to_numpy().tolist() == [[0.0, 30.0]]


def test_a_truncated_track_is_analysed_as_far_as_it_decodes_with_a_note(tmp_path):
    from genrekit.data.audio import write_audio

    folder = tmp_path / "album"
    write_audio(folder / "01-whole.wav", tone(6.0, 22050, 330.0), 22050)
    write_truncated(folder / "02-cut.mp3", seconds=10.0)  # decodes about 4.9 s
    models = [Fixed(TINY_GENRES, [0.1, 0.2, 0.3, 0.4]), Fixed(TINY_GENRES, [0.4, 0.3, 0.2, 0.1], name="other")]
    report = analyse_album(folder, models, out_dir=tmp_path / "out", window_seconds=2.0, hop_seconds=2.0,
                           middle_seconds=2.0, progress=False)
    assert report.problems.empty and report.tracks["file"].tolist() == ["01-whole.wav", "02-cut.mp3"]
    whole, cut = report.tracks.to_dict("records")
    assert whole["note"] == "" and cut["note"].startswith("truncated: decodes 4.")
    assert cut["duration_s"] < 5.0  # what decodes, not the 10 s the header declares
    assert "1 track was analysed only as far as it decodes: 02-cut.mp3 (truncated: decodes 4." in report.summary
    assert pd.read_csv(report.files["tracks.csv"])["note"].fillna("").tolist() == ["", cut["note"]]


def test_csv_columns_are_stable(report):
    genres = list(TINY_GENRES)
    written = {name: pd.read_csv(report.out_dir / name) for name in
               ("tracks.csv", "probabilities.csv", "logits.csv", "timeline.csv", "problems.csv")}
    assert TRACK_KEYS == ["track", "file", "title", "duration_s", "genre", "probability", "timeline_genre", "timeline_share", "note"]
    assert list(written["tracks.csv"].columns) == TRACK_KEYS + genres
    assert list(written["probabilities.csv"].columns) == [
        "track", "file", "title", "model", "run", "family", "weight", "genre", *genres]
    assert list(written["logits.csv"].columns) == ["track", "file", "title", "model", "run", "family", "kind", *genres]
    assert list(written["timeline.csv"].columns) == ["track", "file", "title", "window", "start_s", "end_s", "genre", *genres]
    assert list(written["problems.csv"].columns) == ["file", "reason"]
    assert PROBABILITY_KEYS + genres == list(written["probabilities.csv"].columns)
    assert LOGIT_KEYS + genres == list(written["logits.csv"].columns)
    assert TIMELINE_KEYS + genres == list(written["timeline.csv"].columns)
    readme = (report.out_dir / "README.md").read_text()
    for column in TRACK_KEYS + PROBABILITY_KEYS + LOGIT_KEYS + TIMELINE_KEYS:
        assert f"``{column}``" in readme, column
    for member in ("logreg (features)", "cnn-spec (mel)", "cnn-mfcc (mfcc)"):
        assert member in readme


def test_figure_is_written(report):
    from matplotlib.image import imread

    image = imread(report.figure)
    assert report.figure.name == "album.png" and report.figure.parent == report.out_dir
    assert image.shape[0] > 300 and image.shape[1] > 1000
    assert image[..., :3].std() > 0.05  # not a blank canvas


def test_figure_draws_a_timeline_only_for_tracks_of_several_windows(tmp_path):
    from matplotlib.image import imread

    from genrekit.album_plots import plot_album

    labels = ["rock", "jazz"]
    tracks = pd.DataFrame({"track": [1, 2], "title": ["a", "b"], "genre": ["rock", "jazz"],
                           "rock": [0.7, 0.2], "jazz": [0.3, 0.8]})

    def timeline(spans_per_track):
        rows = [{"track": t, "start_s": s, "end_s": e, "rock": 0.6, "jazz": 0.4}
                for t, spans in spans_per_track.items() for s, e in spans]
        return pd.DataFrame(rows)

    def grey_share(path):
        # the timeline panels' background is #f2f2f2; nothing else in the figure is
        rgb = np.round(imread(path)[..., :3] * 255)
        return float((np.abs(rgb - 242) <= 1).all(axis=-1).mean())

    single = plot_album(tracks, timeline({1: [(0.0, 30.013)], 2: [(0.0, 20.0)]}), labels, path=tmp_path / "single.png")
    several = plot_album(tracks, timeline({1: [(0.0, 30.0), (15.0, 45.0), (30.0, 60.0)], 2: [(0.0, 20.0)]}), labels,
                         path=tmp_path / "several.png")
    assert grey_share(single) < 0.01
    assert grey_share(several) > 0.1


def test_figure_fits_long_labels_and_draws_every_timeline_across_its_panel(tmp_path):
    from genrekit.album_plots import LABEL_CHARS, album_figure

    labels = ["rock", "jazz"]
    long_title = "442789__lena-orsa__happy-music-pistachio-ice-cream-ragtime-extended-mix-(live)"
    tracks = pd.DataFrame({"track": [1, 2, 3], "title": [long_title, "short", "an hour"], "genre": ["rock"] * 3,
                           "duration_s": [600.0, 30.0, 3600.0], "rock": [0.7, 0.6, 0.9], "jazz": [0.3, 0.4, 0.1]})

    def windows(track, seconds, step):
        return [{"track": track, "start_s": s, "end_s": s + step, "rock": 0.6, "jazz": 0.4}
                for s in np.arange(0.0, seconds, step)]

    # a ten-minute track, a 30 s one and an hour-long file of which the first ten minutes were analysed
    timeline = pd.DataFrame(windows(1, 600, 30) + windows(2, 30, 10) + windows(3, 600, 30))
    fig = album_figure(tracks, timeline, labels)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    bars, line, heat = fig.axes[:3]

    names = [t.get_text() for t in bars.get_yticklabels()]
    assert names[0].startswith("01 442789__lena") and names[0].endswith("(live)") and "\u2026" in names[0]
    assert len(names[0]) == 3 + LABEL_CHARS and names[1] == "02 short"
    for text in bars.get_yticklabels():
        extent = text.get_window_extent(renderer)
        assert extent.x0 >= 0 and extent.x1 <= bars.get_window_extent(renderer).x0  # inside, left of the bars
    assert bars.get_window_extent(renderer).x0 < 0.3 * fig.bbox.width  # the margin fits, it does not balloon

    # each row of (b) and (c) spans its panel, whatever the track's length
    for ax in (line, heat):
        covered = np.zeros(len(tracks))
        for patch in ax.patches:
            covered[round(patch.get_y() + patch.get_height() / 2)] += patch.get_width()
        assert (covered / np.diff(ax.get_xlim())[0] > 0.95).all()
    assert [t.get_text() for t in line.texts] == ["10:00", "0:30", "10:00\nof 60:00"]
    assert "its own length" in line.get_xlabel() and not heat.texts


def test_summary_names_the_tracks(report, album):
    country = report.tracks[report.tracks["genre"] == "country"]
    first = report.summary.splitlines()[0]
    assert first.startswith(f"{len(country)} of {N_TRACKS} tracks are classified country")
    for title in country["title"]:
        assert title in first
    assert album.broken[0] in report.summary
    assert (report.out_dir / "summary.txt").read_text().strip() == report.summary


def test_cli_album_writes_a_fresh_folder_each_run(tiny_runs, album, report, tmp_path, capsys):
    from genrekit.cli import main
    from genrekit.data.audio import load_audio, write_audio

    small = tmp_path / "small"
    shortest = album.playable.sort_values("seconds").iloc[0]
    # an untagged copy of the shortest track (its title falls back to the file name) and the broken file
    write_audio(small / "b-untagged.wav", load_audio(album.folder / shortest["file"], sr=22050), 22050)
    shutil.copy(album.folder / album.broken[0], small / "a-broken.flac")
    args = ["album", str(small), *(x for run in tiny_runs.values() for x in ("--run", str(run))), "--weights", "2", "1", "1",
            "--out", str(report.out_dir.parent), "--quiet"]
    assert main(args) == 1  # one file skipped
    out = capsys.readouterr().out
    folders = sorted(p for p in report.out_dir.parent.iterdir() if p.is_dir())
    assert len(folders) == 2 and report.out_dir in folders
    fresh = next(p for p in folders if p != report.out_dir)
    assert str(fresh) in out and "a-broken.flac" in out
    tracks = pd.read_csv(fresh / "tracks.csv")
    assert tracks["title"].tolist()[-1] == "b-untagged"
    weights = pd.read_csv(fresh / "probabilities.csv").groupby("model")["weight"].first()
    assert weights["logreg (features)"] == pytest.approx(0.5)


def test_album_of_a_synthetic_run_says_what_it_knows(tiny_runs, album, tmp_path, capsys):
    from genrekit.cli import main
    from genrekit.data.audio import load_audio, write_audio

    small = tmp_path / "small"
    shortest = album.playable.sort_values("seconds").iloc[0]
    write_audio(small / "track.wav", load_audio(album.folder / shortest["file"], sr=22050), 22050)
    logreg = tiny_runs["logreg"]
    synthetic = copy_run(logreg, tmp_path / f"{logreg.name}-synthetic", dataset="synthetic")
    assert main(["album", str(small), "--run", str(synthetic), "--run", str(tiny_runs["cnn-mfcc"]),
                 "--out", str(tmp_path / "out"), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "genrekit album: note: 1 of the ensemble's 2 models (logreg (features)) were trained on genrekit's synthetic" in err
    [summary] = (tmp_path / "out").rglob("summary.txt")
    last = summary.read_text().strip().splitlines()[-1]
    assert last.startswith("Note: 1 of the ensemble's 2 models") and "real recordings mean little" in last


def test_analyse_album_rejects_bad_input(tiny_runs, album, tmp_path):
    with pytest.raises(DatasetError, match="not a folder"):
        analyse_album(tmp_path / "missing", list(tiny_runs.values()))
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no audio here")
    with pytest.raises(DatasetError, match="no audio files"):
        analyse_album(tmp_path / "empty", list(tiny_runs.values()))
    with pytest.raises(ConfigError, match="polka"):
        analyse_album(album.folder, list(tiny_runs.values()), genre="polka")
    with pytest.raises(ConfigError, match="weights"):
        analyse_album(album.folder, list(tiny_runs.values()), weights=[1.0, 2.0])


# ---------------------------------------------------------------------- ensembles as runs


def test_evaluate_ensemble_writes_a_run_the_results_table_lists(tiny_runs, tmp_path, capsys):
    from genrekit.cli import main
    from genrekit.inference import Ensemble, load_predictor
    from genrekit.rescore import rescore_run
    from genrekit.results import collect_results
    from genrekit.runs import read_run

    root = next(iter(tiny_runs.values())).parent
    args = ["evaluate", "--ensemble", *map(str, tiny_runs.values()), "--weights", "1", "1", "2", "--quiet"]
    assert main(args) == 0
    out = capsys.readouterr().out
    (run_dir,) = [p for p in root.iterdir() if read_run(p).info.family == "ensemble"]
    assert str(run_dir) in out and "accuracy" in out
    record = read_run(run_dir)
    assert record.info.model == "ensemble(logreg+cnn-spec+cnn-mfcc)" and record.info.split_kind == "random"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test"]["n"] == record.info.n_test == read_run(tiny_runs["logreg"]).info.n_test
    # the tracks it scored, recorded (their artists group the intervals), one per scored unit
    scored = pd.read_csv(run_dir / "tracks.csv", dtype=str)
    assert sorted(scored["track_id"]) == sorted(metrics["test"]["units"]) and (scored["split"] == "test").all()
    for member in metrics["members"]:  # every member, re-read through the inference API, scores what it recorded
        assert member["accuracy"] == pytest.approx(member["recorded_accuracy"])
    table = collect_results(root)
    assert "ensemble(logreg+cnn-spec+cnn-mfcc)" in table["model"].tolist() and len(table) == 4

    loaded = load_predictor(run_dir)
    assert isinstance(loaded, Ensemble) and loaded.family == "ensemble"
    np.testing.assert_allclose(loaded.weights, [0.25, 0.25, 0.5])
    again = rescore_run(run_dir, progress=False)  # `genrekit evaluate RUN` on the ensemble's own folder
    assert again["accuracy"] == pytest.approx(metrics["test"]["accuracy"])


def test_evaluate_ensemble_refuses_runs_of_other_splits(tiny_runs, tmp_path):
    from genrekit.ensemble import evaluate_ensemble

    other = tmp_path / "other-split"
    shutil.copytree(tiny_runs["cnn-mfcc"], other)
    info = json.loads((other / "run.json").read_text())
    info["split_kind"] = "artist"
    (other / "run.json").write_text(json.dumps(info))
    metrics = json.loads((other / "metrics.json").read_text())
    metrics["split_kind"] = "artist"
    (other / "metrics.json").write_text(json.dumps(metrics))
    with pytest.raises(ConfigError, match="split kinds"):
        evaluate_ensemble([tiny_runs["logreg"], other], runs_root=tmp_path)
    with pytest.raises(ConfigError, match="at least two"):
        evaluate_ensemble([tiny_runs["logreg"]], runs_root=tmp_path)
