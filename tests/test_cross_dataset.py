"""Cross-dataset scoring: ``genrekit evaluate RUN --data SOURCE`` saves a run that the results table lists.

Known answers: a logistic regression trained on GTZAN-layout tones (each genre a band of
frequencies) is scored on a genre-folder collection of tones in the same bands, with one genre
named differently ('Classical', shared by name), one under another name ('dance', mapped onto
'disco' by a genre map), one genre the run does not know ('polka', left out and counted), a corrupt
file (skipped by the loader) and a digitally silent one (cannot be scored).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from fixtures import CORRUPT_BYTES, make_gtzan_tree, tone
from genrekit.cli import main
from genrekit.errors import ConfigError

#: Genres of the training tree; make_gtzan_tree plays genre g at 110 * (g + 1) Hz (+ 5 Hz per clip).
TRAIN_GENRES = ("blues", "classical", "country", "disco")
SR = 22050


def _band(genre: str, offset: float = 7.0) -> float:
    return 110.0 * (TRAIN_GENRES.index(genre) + 1) + offset


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A logreg run on 4 genres x 6 clips x 1 s (GTZAN 'kaggle' layout), cheap features, random split."""
    from genrekit.config import ExperimentConfig, from_dict
    from genrekit.train import train

    base = tmp_path_factory.mktemp("cross-train")
    root = make_gtzan_tree(base / "gtzan", layout="kaggle", genres=TRAIN_GENRES, per_genre=6, seconds=1.0, corrupt=None)
    config = from_dict(ExperimentConfig, {
        "name": "tiny", "runs_dir": str(base / "runs"),
        "data": {"source": f"gtzan:{root}", "split": "random", "clip_seconds": 1.0, "valid_fraction": 0.2,
                 "test_fraction": 0.2, "seed": 0},
        "features": {"chroma_cqt": False, "tempo": False},
        "model": {"name": "logreg"}, "train": {"search": False},
    })
    return train(config, progress=False)


@pytest.fixture(scope="module")
def other(tmp_path_factory):
    """A 'folder:' collection: 2 readable blues + 1 silent + 1 corrupt, 1 Classical, 1 dance, 2 polka."""
    from genrekit.data.audio import write_audio

    root = tmp_path_factory.mktemp("cross-eval") / "other"
    write_audio(root / "blues" / "a.wav", tone(1.0, SR, _band("blues", 3), seed=11), SR)
    write_audio(root / "blues" / "b.flac", tone(1.0, SR, _band("blues", 17), seed=12), SR)
    write_audio(root / "blues" / "silence.wav", np.zeros(SR, dtype=np.float32), SR)  # a header, no signal
    (root / "blues" / "broken.wav").write_bytes(CORRUPT_BYTES)
    write_audio(root / "Classical" / "c.wav", tone(1.0, SR, _band("classical"), seed=13), SR)
    write_audio(root / "dance" / "d.wav", tone(1.0, SR, _band("disco"), seed=14), SR)
    write_audio(root / "polka" / "e.wav", tone(1.0, SR, 900.0, seed=15), SR)
    write_audio(root / "polka" / "f.wav", tone(1.0, SR, 950.0, seed=16), SR)
    return root


def test_scores_shared_genres_and_lists_a_cross_dataset_row(run, other, tmp_path, capsys):
    from genrekit.results import collect_results, to_markdown
    from genrekit.runs import read_run

    out = tmp_path / "runs"
    assert main(["evaluate", str(run), "--data", f"folder:{other}", "--runs-dir", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    assert f"written: {folder}" in printed and "dropped genres: dance (1), polka (2)" in printed

    record = read_run(folder)
    extra = record.info.extra
    assert record.info.family == "cross-dataset" and record.info.model == "logreg" and record.info.dataset == "gtzan"
    assert extra["evaluated_run"] == run.name and extra["evaluated_path"] == str(run.resolve())
    assert (extra["train_dataset"], extra["train_split_kind"]) == ("gtzan", "random")
    assert (extra["eval_dataset"], extra["eval_source"], extra["scored_split"]) == ("other", f"folder:{other}", "all")

    metrics = json.loads((folder / "metrics.json").read_text())
    summary = metrics["cross_dataset"]
    assert summary["shared_genres"] == ["Classical", "blues"] and summary["mapped_genres"] == []
    assert summary["dropped_genres"] == ["dance", "polka"]
    assert {g["genre"]: g["label"] for g in summary["genres"]} == {
        "Classical": "classical", "blues": "blues", "dance": None, "polka": None}
    # 7 indexed (the corrupt file never is): 4 kept, 3 left out; the silent one cannot be scored
    assert summary["tracks"] == {"evaluation": 7, "kept": 4, "shared": 4, "mapped": 0, "dropped": 3,
                                 "unreadable": 1, "scored": 3, "skipped_by_loader": 1}
    assert summary["eval_data"]["tracks_in_dataset"] == 7 and summary["run"]["name"] == run.name
    assert summary["uncovered_labels"] == ["country", "disco"]
    problems = {p["path"].rsplit("/", 1)[-1]: p["stage"] for p in metrics["problems"]}
    assert problems == {"broken.wav": "loading", "silence.wav": "scoring"}
    test = metrics["test"]
    assert test["n"] == 3 and test["accuracy"] == pytest.approx(1.0)
    assert test["macro_f1_labels"] == ["blues", "classical"] and test["macro_f1"] == pytest.approx(1.0)
    predictions = pd.read_csv(folder / "predictions.csv")
    assert sorted(predictions["label"]) == ["blues", "blues", "classical"]
    scored = pd.read_csv(folder / "tracks.csv", dtype=str)  # the tracks scored, as the data's index has them
    assert sorted(scored["track_id"]) == sorted(test["units"]) == sorted(predictions["track_id"].astype(str))
    assert (predictions["predicted"] == predictions["label"]).all()

    table = collect_results(out)
    assert len(table) == 1
    row = table.iloc[0]
    # each side by source and size: the 24 tracks the run split, the 7 the folder holds
    label = "gtzan (24) -> folder:other (7)"
    assert (row["dataset"], row["split_kind"], row["model"]) == (label, "all (cross-dataset)", "logreg")
    assert (row["train_dataset"], row["eval_dataset"], row["n_test"]) == ("gtzan", "other", 3)
    assert f"| {label} | all (cross-dataset) | logreg |" in to_markdown(table)


def test_a_genre_map_maps_a_differently_named_genre(run, other, tmp_path):
    from genrekit.cross_dataset import evaluate_cross_dataset

    genre_map = tmp_path / "map.csv"
    genre_map.write_text("genre,label\ndance,disco\nska,disco\n")  # no ska in the data: ignored, recorded
    folder = evaluate_cross_dataset(run, f"folder:{other}", genre_map=genre_map, runs_root=tmp_path / "runs",
                                    progress=False)
    summary = json.loads((folder / "metrics.json").read_text())["cross_dataset"]
    assert summary["mapped_genres"] == ["dance"] and summary["dropped_genres"] == ["polka"]
    assert summary["tracks"]["mapped"] == 1 and summary["tracks"]["scored"] == 4
    assert summary["unused_map_entries"] == ["ska"]
    assert summary["genre_map"] == {"file": str(genre_map.resolve()), "entries": {"dance": "disco", "ska": "disco"}}
    predictions = pd.read_csv(folder / "predictions.csv").set_index("genre")
    assert predictions.loc["dance", "label"] == "disco" and predictions.loc["dance", "predicted"] == "disco"
    assert "mapped genres: dance -> disco (1)" in (folder / "report.txt").read_text()


def test_one_side_of_the_evaluation_datas_own_split(run, other, tmp_path, capsys):
    args = ["evaluate", str(run), "--data", f"folder:{other}", "--split", "test", "--runs-dir", str(tmp_path), "-q",
            "--set", "data.split=random", "--set", "data.test_fraction=0.5", "--set", "data.valid_fraction=0.2"]
    assert main(args) == 0
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["split_kind"] == "random test"
    assert metrics["cross_dataset"]["eval_data"]["split_kind"] == "random"
    assert 0 < metrics["cross_dataset"]["tracks"]["evaluation"] < 7
    from genrekit.results import collect_results

    assert collect_results(tmp_path).iloc[0]["split_kind"] == "random test (cross-dataset)"


def test_scoring_on_the_training_data_itself_is_flagged(run, tmp_path):
    from genrekit.config import DataConfig
    from genrekit.cross_dataset import evaluate_cross_dataset
    from genrekit.runs import read_run

    source = read_run(run).config.data.source
    with pytest.warns(UserWarning, match=r"same name \(gtzan\): if it is this data, every track scored includes"):
        folder = evaluate_cross_dataset(run, source, data=DataConfig(limit_per_genre=1), runs_root=tmp_path,
                                        progress=False)
    assert json.loads((folder / "metrics.json").read_text())["test"]["n"] == len(TRAIN_GENRES)
    assert "note: the run was trained on a dataset of the same name" in (folder / "report.txt").read_text()


def test_the_folder_loads_as_the_evaluated_model_and_rescores_itself(run, other, tmp_path):
    from genrekit.cross_dataset import CrossDatasetRun, evaluate_cross_dataset
    from genrekit.inference import load_predictor
    from genrekit.rescore import rescore_run

    folder = evaluate_cross_dataset(run, f"folder:{other}", runs_root=tmp_path, progress=False)
    loaded = load_predictor(folder)
    assert isinstance(loaded, CrossDatasetRun) and loaded.run_dir == folder
    path = other / "Classical" / "c.wav"
    np.testing.assert_allclose(loaded.predict_file(path).probabilities, load_predictor(run).predict_file(path).probabilities)
    again = rescore_run(folder, progress=False)  # `genrekit evaluate FOLDER`: the recorded data, again
    recorded = json.loads((folder / "metrics.json").read_text())["test"]
    assert again["n"] == recorded["n"] and again["accuracy"] == pytest.approx(recorded["accuracy"])


def test_re_scoring_a_run_on_its_own_data_is_unchanged(run, capsys):
    assert main(["evaluate", str(run), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "on gtzan, test split (random, per track)" in out and "note:" not in out


@pytest.fixture
def folder_of(tmp_path):
    from genrekit.data.audio import write_audio

    def make(*genres, corrupt_only=False):
        root = tmp_path / "-".join(genres) / "elsewhere"
        for i, genre in enumerate(genres):
            if corrupt_only:
                (root / genre).mkdir(parents=True)
                (root / genre / "x.wav").write_bytes(CORRUPT_BYTES)
            else:
                write_audio(root / genre / "x.wav", tone(1.0, SR, 300.0 + 50 * i, seed=i), SR)
        return f"folder:{root}"

    return make


def test_errors_are_one_clear_line(run, other, tmp_path, folder_of, capsys):
    from genrekit.cross_dataset import evaluate_cross_dataset, read_genre_map

    with pytest.raises(ConfigError, match=rf"run {run.name} and elsewhere share no genre \(run: blues, classical, "
                                          r"country, disco; elsewhere: polka, ska\); map them onto the run's with "
                                          "--genre-map FILE"):
        evaluate_cross_dataset(run, folder_of("polka", "ska"), runs_root=tmp_path / "runs", progress=False)
    with pytest.raises(ConfigError, match="evaluation data elsewhere .* is empty"):
        evaluate_cross_dataset(run, folder_of("blues", corrupt_only=True), runs_root=tmp_path / "runs", progress=False)
    bad_label = tmp_path / "bad-label.toml"
    bad_label.write_text('dance = "disko"\n')
    with pytest.raises(ConfigError, match=r"bad-label.toml: unknown genre 'disko' \(for 'dance'\): the run's genres are "
                                          "blues, classical, country, disco"):
        evaluate_cross_dataset(run, f"folder:{other}", genre_map=bad_label, runs_root=tmp_path / "runs", progress=False)
    assert not (tmp_path / "runs").exists()  # nothing written for a refused evaluation

    for name, text, why in [
        ("broken.toml", "dance = disco\n", r"\(TOML: "),
        ("table.toml", "[genres]\ndance = 'disco'\n", "not a genre name in quotes"),
        ("three.csv", "dance,disco,extra\n", "line 1 has 3 fields"),
        ("empty.csv", "genre,label\n", "maps no genre"),
        ("twice.csv", "dance,disco\ndance,blues\n", "'dance' is mapped twice"),
        ("map.json", "{}", "expected a .toml or .csv file"),
    ]:
        (tmp_path / name).write_text(text)
        with pytest.raises(ConfigError, match=f"{name}: not a valid genre map.*{why}"):
            read_genre_map(tmp_path / name)

    for args, message in [
        (["--split", "all"], "--split all needs --data SOURCE"),
        (["--genre-map", str(bad_label)], "--genre-map needs --data SOURCE"),
        (["--data", "synthetic", "--ensemble"], "--ensemble and --data do not combine"),
        (["--data", f"folder:{other}", "--set", "data.clip_seconds=3"], "does not apply to the evaluation data"),
        (["--data", f"folder:{other}", "--genre-map", str(tmp_path / "three.csv")], "line 1 has 3 fields"),
    ]:
        assert main(["evaluate", str(run), "-q", *args]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
