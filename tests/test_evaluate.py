"""Metrics with known answers, per-track aggregation, reports and confusion plots."""

from __future__ import annotations

import json

import numpy as np
import pytest

from genrekit.errors import ConfigError
from genrekit.evaluate import (
    LEAKY_NOTE,
    aggregate_by_track,
    classification_metrics,
    format_report,
    is_leaky,
    split_label,
    track_metrics,
    write_evaluation,
)
from genrekit.plots import plot_confusion, plot_importances

LABELS = ["blues", "jazz", "rock"]


def test_perfect_predictions_score_one():
    y = [0, 1, 2, 2, 1, 0]
    m = classification_metrics(y, y, LABELS)
    assert m["accuracy"] == 1.0 and m["macro_f1"] == 1.0 and m["n"] == 6
    assert m["confusion"] == [[2, 0, 0], [0, 2, 0], [0, 0, 2]]
    assert all(row["f1"] == 1.0 for row in m["per_class"].values())


def test_metrics_known_answer():
    # blues: P=1, R=1/2, F1=2/3; jazz: P=2/3, R=1, F1=4/5; rock absent from truth and predictions: F1 0
    m = classification_metrics([0, 0, 1, 1], [0, 1, 1, 1], LABELS)
    assert m["accuracy"] == pytest.approx(0.75)
    assert m["per_class"]["blues"]["f1"] == pytest.approx(2 / 3)
    assert m["per_class"]["jazz"]["f1"] == pytest.approx(0.8)
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.8 + 0.0) / 3)
    assert m["confusion"] == [[1, 1, 0], [0, 2, 0], [0, 0, 0]]


def test_macro_f1_over_the_genres_the_data_holds():
    # rock has no true track: over all labels its F1 of 0 drags the mean down; over blues and jazz it
    # is left out, but a track predicted as rock is still a miss for its own genre
    y_true, y_pred = [0, 0, 1, 1], [0, 2, 1, 1]
    everything = classification_metrics(y_true, y_pred, LABELS)
    held = classification_metrics(y_true, y_pred, LABELS, average_over=["blues", "jazz"])
    assert everything["macro_f1"] == pytest.approx((2 / 3 + 1.0 + 0.0) / 3) and "macro_f1_labels" not in everything
    assert held["macro_f1"] == pytest.approx((2 / 3 + 1.0) / 2) and held["macro_f1_labels"] == ["blues", "jazz"]
    assert held["accuracy"] == everything["accuracy"] == 0.75 and held["confusion"] == everything["confusion"]


def test_aggregate_by_track_is_the_mean_in_order_of_appearance():
    ids = ["b", "a", "b", "a", "b"]
    proba = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [0.3, 0.3, 0.4], [0.4, 0.6, 0.0], [0.0, 0.2, 0.8]])
    tracks, mean = aggregate_by_track(ids, proba)
    assert tracks.tolist() == ["b", "a"]
    np.testing.assert_allclose(mean, [[0.4, 0.2, 0.4], [0.3, 0.7, 0.0]])


def test_track_metrics_average_probabilities_not_votes():
    # two chunks lean slightly to blues, one is sure of jazz: the mean says jazz, a vote would say blues
    ids = ["t1", "t1", "t1", "t2"]
    proba = np.array([[0.55, 0.45, 0.0], [0.55, 0.45, 0.0], [0.0, 1.0, 0.0], [0.1, 0.1, 0.8]])
    m = track_metrics(ids, proba, {"t1": 1, "t2": 2}, LABELS)
    assert m["n"] == 2 and m["accuracy"] == 1.0
    wrong = track_metrics(ids, proba, {"t1": 0, "t2": 2}, LABELS)
    assert wrong["accuracy"] == 0.5


def test_leaky_labels():
    assert is_leaky("leaky-chunks") and not is_leaky("artist") and not is_leaky(None)
    assert split_label("leaky-chunks") == "leaky-chunks (LEAKY)"
    assert split_label("filtered") == "filtered"


def test_format_report_lists_every_class_and_the_confusion():
    m = classification_metrics([0, 0, 1, 2], [0, 1, 1, 2], LABELS)
    text = format_report({**m, "unit": "track"}, title="test")
    assert text.startswith("test\naccuracy 0.7500")
    for label in LABELS:
        assert label in text
    assert "confusion (rows = true, columns = predicted)" in text
    assert "n = 4 tracks" in text


def test_write_evaluation_writes_metrics_report_and_plots(tmp_path):
    test = classification_metrics([0, 1, 2, 2], [0, 1, 2, 1], LABELS)
    valid = classification_metrics([0, 1, 2], [0, 1, 2], LABELS)
    written = write_evaluation(
        tmp_path, {"split_kind": "leaky-chunks", "unit": "chunk", "test": test, "valid": valid}, header=["model x"], title="x"
    )
    assert written["leaky"] is True
    stored = json.loads((tmp_path / "metrics.json").read_text())
    assert stored["test"]["accuracy"] == 0.75 and stored["valid"]["accuracy"] == 1.0 and stored["leaky"] is True
    report = (tmp_path / "report.txt").read_text()
    assert report.startswith("model x\nsplit kind: leaky-chunks (LEAKY); scored per chunk")
    assert LEAKY_NOTE in report and "== test ==" in report and "== valid ==" in report
    for name in ("confusion.png", "confusion-valid.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_confusion_checks_the_shape(tmp_path):
    path = plot_confusion([[3, 1], [0, 4]], ["a", "b"], title="t", path=tmp_path / "sub" / "c.png")
    assert path.is_file() and path.stat().st_size > 1000
    with pytest.raises(ConfigError, match="shape"):
        plot_confusion([[1, 2, 3]], ["a", "b"], path=tmp_path / "bad.png")


def test_plot_importances(tmp_path):
    import pandas as pd

    table = pd.DataFrame({"feature": [f"f{i}" for i in range(30)], "gain": np.linspace(1, 0, 30)})
    assert plot_importances(table, path=tmp_path / "imp.png", top=20).is_file()
    with pytest.raises(ConfigError, match="cover"):
        plot_importances(table, path=tmp_path / "x.png", column="cover")
