"""The results table, rebuilt from real run folders written through genrekit.runs."""

from __future__ import annotations

import pandas as pd
import pytest

from genrekit.cli import main
from genrekit.config import ExperimentConfig
from genrekit.evaluate import classification_metrics, write_evaluation
from genrekit.results import RESULT_COLUMNS, collect_results, to_markdown, write_results
from genrekit.runs import RunInfo, new_run_dir, write_run_record

LABELS = ["a", "b"]


def _run(root, *, model, split_kind, unit, y_pred, dataset="synthetic", seconds=1.5, **data):
    config = ExperimentConfig(runs_dir=str(root))
    config.model.name = model
    for key, value in data.items():  # DataConfig fields, e.g. source="folder:/music/mine"
        setattr(config.data, key, value)
    run_dir = new_run_dir(config, dataset=dataset)
    y_true = [0, 0, 1, 1]
    info = RunInfo(
        family="classic", model=model, input="features", dataset=dataset, split_kind=split_kind,
        train_seconds=seconds, n_train=10, n_valid=4, n_test=4, unit=unit,
    )
    write_run_record(run_dir, info=info, config=config, labels=LABELS)
    write_evaluation(run_dir, {"split_kind": split_kind, "unit": unit, "test": classification_metrics(y_true, y_pred, LABELS)})
    return run_dir


@pytest.fixture
def runs(tmp_path):
    root = tmp_path / "runs"
    folders = [
        _run(root, model="logreg", split_kind="artist", unit="track", y_pred=[0, 1, 1, 1]),
        _run(root, model="xgboost", split_kind="artist", unit="track", y_pred=[0, 0, 1, 1]),
        _run(root, model="xgboost", split_kind="leaky-chunks", unit="chunk", y_pred=[0, 0, 1, 1]),
    ]
    (root / "not-a-run").mkdir()
    unfinished = root / "unfinished"  # crashed before metrics were written
    unfinished.mkdir()
    write_run_record(unfinished, info=RunInfo("classic", "knn", "features", "synthetic", "artist"),
                     config=ExperimentConfig(), labels=LABELS)
    return root, folders


def test_collect_results_reads_every_finished_run(runs):
    root, folders = runs
    table = collect_results(root)
    assert list(table.columns) == RESULT_COLUMNS
    assert len(table) == 3
    assert table.attrs["skipped"] and "unfinished" in table.attrs["skipped"][0]
    # track-level rows first (best first), the leaky row last
    assert table["model"].tolist() == ["xgboost", "logreg", "xgboost"]
    assert table["split_kind"].tolist() == ["artist", "artist", "leaky-chunks (LEAKY)"]
    assert table["unit"].tolist() == ["track", "track", "chunk"]
    assert table["leaky"].tolist() == [False, False, True]
    assert table.loc[1, "accuracy"] == pytest.approx(0.75)
    assert table.loc[1, "macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)
    assert set(table["run"]) == {f.name for f in folders}
    assert table.loc[1, "accuracy_low"] < 0.75 < table.loc[1, "accuracy_high"]
    assert table.loc[1, "macro_f1_low"] <= table.loc[1, "macro_f1"] <= table.loc[1, "macro_f1_high"]
    assert (table["n_test"] == 4).all() and (table["train_seconds"] == 1.5).all()


def test_markdown_labels_and_footnotes_leaky_rows(runs):
    root, _ = runs
    text = to_markdown(collect_results(root))
    lines = text.splitlines()
    assert lines[0].startswith("| dataset | split kind | model | input | unit | chunk s | accuracy | macro F1 |")
    leaky_rows = [line for line in lines if "leaky-chunks (LEAKY)" in line]
    assert len(leaky_rows) == 1 and "| chunk |" in leaky_rows[0]
    assert any(line.startswith("(LEAKY)") for line in lines)
    clean = to_markdown(collect_results(root).query("not leaky"))
    assert "LEAKY" not in clean


def test_datasets_are_told_apart_by_source_and_size(tmp_path):
    root = tmp_path / "runs"
    common = {"model": "logreg", "split_kind": "random", "unit": "track", "y_pred": [0, 1, 1, 1]}
    _run(root, **common, synthetic_clips=40, synthetic_seconds=5.0)  # the quick set, 2 genres
    _run(root, **common, synthetic_clips=40, synthetic_seconds=5.0, limit_per_genre=10)
    _run(root, **common)  # the default 100 x 30 s set
    _run(root, **common, dataset="gtzan", source="gtzan:/data/gtzan")  # 10 + 4 + 4 tracks recorded
    _run(root, **common, dataset="gtzan", source="/data/gtzan-copy")  # a bare path, GTZAN layout detected
    _run(root, **common, dataset="my_music", source="folder:/music/my_music")
    _run(root, **common, dataset="mixes", source="/music/mixes")  # a bare path holding genre folders
    _run(root, **{**common, "unit": "chunk", "split_kind": "leaky-chunks"}, dataset="gtzan", source="gtzan:/data/gtzan")
    labels = collect_results(root)["dataset"].tolist()
    # sorted by name, leaky rows (no track count recorded: chunks) after their dataset's track-level ones
    assert labels == ["gtzan (18)", "gtzan (18)", "gtzan", "folder:mixes (18)", "folder:my_music (18)",
                      "synthetic (20 x 5 s)", "synthetic (200 x 30 s)", "synthetic (80 x 5 s)"]


def test_empty_runs_folder(tmp_path):
    table = collect_results(tmp_path / "nothing")
    assert len(table) == 0 and list(table.columns) == RESULT_COLUMNS
    assert to_markdown(table).startswith("| dataset |")


def test_write_results_round_trips_the_csv(runs, tmp_path):
    root, _ = runs
    table = collect_results(root)
    files = write_results(table, tmp_path / "out")
    back = pd.read_csv(files["csv"])
    assert back["split_kind"].tolist() == table["split_kind"].tolist()
    assert "(LEAKY)" in files["markdown"].read_text()
    # the scores with their intervals drawn, one row per run
    from PIL import Image

    with Image.open(files["figure"]) as image:
        assert image.height > 200 and image.width > 1000
    assert "figure" not in write_results(table.iloc[:0], tmp_path / "empty")


def test_results_command_prints_the_table(runs, tmp_path, capsys):
    root, _ = runs
    assert main(["results", "--runs", str(root), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    # the generated set by its size: 100 clips (the default) x 2 genres x 30 s, leaky rows too
    # each score with its 95 % interval (Wilson for accuracy: 4 of 4 right is 0.51-1.00)
    assert "| synthetic (200 x 30 s) | leaky-chunks (LEAKY) | xgboost | features | chunk | - | 1.000 (0.51-1.00) |" in out
    assert "| synthetic (200 x 30 s) | artist | logreg | features | track | - | 0.750 (0.30-0.95) | 0.733 (" in out
    assert "95% intervals" in out
    assert (tmp_path / "out" / "results.md").is_file() and (tmp_path / "out" / "results.csv").is_file()
