"""Metrics with known answers, per-track aggregation, reports and confusion plots."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
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
from genrekit.intervals import macro_f1_of_confusion, score_intervals, unit_groups
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
    assert "95% intervals: accuracy 0.301-0.954 (Wilson), macro F1 " in text  # 3 of 4 right


def test_macro_f1_of_a_confusion_matrix_is_scikit_learns():
    rng = np.random.default_rng(3)
    for _ in range(20):
        y_true, y_pred = rng.integers(0, 3, 40), rng.integers(0, 3, 40)
        y_pred[:5] = 0  # some classes are never predicted in some draws, others never true
        m = classification_metrics(y_true, y_pred, LABELS)
        assert macro_f1_of_confusion(m["confusion"]) == pytest.approx(m["macro_f1"])
        partial = classification_metrics(y_true, y_pred, LABELS, average_over=["blues", "rock"])
        assert macro_f1_of_confusion(partial["confusion"], [0, 2]) == pytest.approx(partial["macro_f1"])


def test_intervals_hold_the_score_and_shrink_with_more_test_units():
    m = classification_metrics([0, 0, 1, 1, 2, 2, 0, 1], [0, 1, 1, 1, 2, 0, 0, 1], LABELS)
    small = score_intervals(m)
    big = score_intervals({**m, "confusion": (np.asarray(m["confusion"]) * 25).tolist()})  # same rates, 200 units
    for name in ("accuracy", "macro_f1"):
        for interval in (small[name], big[name]):
            assert interval[0] <= m[name] <= interval[1]
        assert big[name][1] - big[name][0] < 0.5 * (small[name][1] - small[name][0])
    assert score_intervals(m) == small  # seeded: a run's interval reads the same every time
    # one test track per genre (a tiny run in CI): resamples lose genres; scoring those 0 put this
    # 0.767 above its own interval (0.30-0.70)
    ten = [str(i) for i in range(10)]
    tiny = classification_metrics(np.arange(10), [0, 1, 2, 9, 4, 5, 6, 7, 8, 7], ten)
    low, high = score_intervals(tiny)["macro_f1"]
    assert tiny["macro_f1"] == pytest.approx(0.7667, abs=1e-4) and low < tiny["macro_f1"] <= high
    # a genre the test set lacks but the model predicts counts 0 in the score and in every resample
    lacking = classification_metrics([0, 0, 0, 1, 1, 1], [0, 0, 2, 1, 1, 1], LABELS)
    low, high = score_intervals(lacking)["macro_f1"]
    assert lacking["macro_f1"] == pytest.approx(0.6) and low < 0.6 < high < 0.7
    # every one of 150 right: Wilson's lower bound n / (n + z^2), not a width of zero
    perfect = classification_metrics([0, 1, 2] * 50, [0, 1, 2] * 50, LABELS)
    assert score_intervals(perfect)["accuracy"][0] == pytest.approx(150 / (150 + 1.959964**2), abs=1e-6)
    assert np.isnan(score_intervals({"confusion": [[0, 0], [0, 0]]})["accuracy"][0])


def test_macro_f1_interval_covers_the_true_value_about_95_times_in_100():
    # a classifier whose (true, predicted) pairs have known probabilities: its population macro F1 is
    # exact; test sets of 300 drawn from it should put that value inside the interval ~95 % of the time
    joint = np.array([[0.25, 0.05, 0.03], [0.04, 0.22, 0.06], [0.02, 0.08, 0.25]])
    truth = macro_f1_of_confusion(joint)
    rng = np.random.default_rng(7)
    trials, covered = 200, 0
    for _ in range(trials):
        confusion = rng.multinomial(300, joint.ravel()).reshape(3, 3)
        low, high = score_intervals({"confusion": confusion.tolist(), "labels": LABELS}, resamples=1000)["macro_f1"]
        covered += low <= truth <= high
    assert 0.89 <= covered / trials <= 0.99


def test_intervals_resample_whole_artists_when_the_run_knows_them(tmp_path):
    # 120 tracks by 12 artists; the model gets every track of 9 artists right and none of 3 others'
    truth = np.tile([0, 1, 2], 40)
    artists = np.repeat(np.arange(12), 10)
    predicted = np.where(artists < 9, truth, (truth + 1) % 3)
    units = [f"t{i:03d}" for i in range(120)]
    m = classification_metrics(truth, predicted, LABELS, units=units)
    independent = score_intervals(m)
    clustered = score_intervals(m, groups=[f"a{a}" for a in artists])
    assert independent["groups"] is None and clustered["groups"] == 12
    for name in ("accuracy", "macro_f1"):
        assert clustered[name][0] <= m[name] <= clustered[name][1]
        width = [i[name][1] - i[name][0] for i in (independent, clustered)]
        assert width[1] > 2 * width[0]  # 12 independent draws, not 120
    # four artists per genre, every track right: a resample that lost a genre averages over the
    # genres it holds, so macro F1 stays 1 (counted as 0, a lost genre pulled the interval below it)
    nested = classification_metrics(np.repeat([0, 1, 2], 40), np.repeat([0, 1, 2], 40), LABELS, units=units)
    by_artist = score_intervals(nested, groups=[f"a{i // 10}" for i in range(120)])
    assert by_artist["groups"] == 12 and by_artist["macro_f1"] == (1.0, 1.0)
    # one group per unit is the plain bootstrap: close to Wilson's interval
    singletons = score_intervals(m, groups=units)
    assert singletons["accuracy"] == pytest.approx(independent["accuracy"], abs=0.03)

    # the groups come from the run's tracks.csv: artists where known, else the track
    pd.DataFrame({"track_id": units, "artist": [f"a{a}" if a else None for a in artists]}).to_csv(
        tmp_path / "tracks.csv", index=False)
    groups, kind = unit_groups(tmp_path, m)
    assert kind == "artist" and groups[10] == "artist:a1" and groups[0] == "track:t000"
    # chunks "track#n" of a run without artists group by track; whole tracks without artists do not group
    chunks = classification_metrics([0, 0, 1, 1], [0, 1, 1, 1], LABELS, units=["x#0", "x#1", "y#0", "y#1"])
    assert unit_groups(tmp_path / "none", chunks) == (["x", "x", "y", "y"], "track")
    assert unit_groups(tmp_path / "none", classification_metrics([0, 1], [0, 1], LABELS, units=["x", "y"])) == (None, None)
    assert unit_groups(tmp_path, classification_metrics([0, 1], [0, 1], LABELS)) == (None, None)  # no units kept


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
