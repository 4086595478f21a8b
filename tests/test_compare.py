"""Two runs compared track by track: counts, McNemar's exact test, paired intervals."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest, chi2

from genrekit.cli import main
from genrekit.compare import compare_runs
from genrekit.config import ExperimentConfig
from genrekit.errors import RunError
from genrekit.evaluate import classification_metrics, write_evaluation
from genrekit.runs import RunInfo, new_run_dir, read_run, write_run_record, write_tracks

LABELS = ["blues", "jazz", "rock"]

# 30 tracks, 10 per genre; A gets 24 right, B 18: A alone is right on 9 tracks, B alone on 3
TRUTH = np.repeat([0, 1, 2], 10)
RIGHT_A = np.array([1] * 24 + [0] * 6, dtype=bool)
RIGHT_B = np.array([1] * 15 + [0] * 9 + [1] * 3 + [0] * 3, dtype=bool)


def _wrong(truth):
    return (truth + 1) % 3


def _run(root, model, right, *, truth=TRUTH, units=None, split_kind="artist", unit="track",
         labels=LABELS, valid_right=None):
    config = ExperimentConfig(runs_dir=str(root))
    config.model.name = model
    run_dir = new_run_dir(config, dataset="synthetic")
    info = RunInfo(family="classic", model=model, input="features", dataset="synthetic", split_kind=split_kind,
                   n_test=len(truth), unit=unit)
    write_run_record(run_dir, info=info, config=config, labels=labels)
    truth = np.array([labels.index(LABELS[t]) for t in truth])
    predicted = np.where(right, truth, _wrong(truth))
    units = units if units is not None else [f"track{i:02d}" for i in range(len(truth))]
    test = classification_metrics(truth, predicted, labels, units=units)
    metrics = {"split_kind": split_kind, "unit": unit, "test": test}
    if valid_right is not None:  # a validation split of the same size, scored as the runs' own selection did
        metrics["valid"] = classification_metrics(truth, np.where(valid_right, truth, _wrong(truth)), labels,
                                                  units=[f"valid{i:02d}" for i in range(len(truth))])
    write_evaluation(run_dir, metrics)
    return run_dir


def test_counts_mcnemar_and_paired_intervals(tmp_path):
    a, b = _run(tmp_path, "logreg", RIGHT_A), _run(tmp_path, "xgboost", RIGHT_B)
    c = compare_runs(a, b)
    assert (c.n, c.both_right, c.only_a, c.only_b, c.both_wrong) == (30, 15, 9, 3, 3)
    assert c.p_value == pytest.approx(binomtest(9, 12).pvalue)  # 0.146: 9 of 12 disagreements is not enough
    assert c.accuracy_a == pytest.approx(0.8) and c.accuracy_b == pytest.approx(0.6)
    assert c.accuracy_a == read_run(a).metrics["test"]["accuracy"]
    assert c.macro_f1_a == pytest.approx(read_run(a).metrics["test"]["macro_f1"])
    assert c.accuracy_diff[0] < 0.2 < c.accuracy_diff[1]
    assert c.macro_f1_diff[0] < c.macro_f1_a - c.macro_f1_b < c.macro_f1_diff[1]
    assert c.notes == []
    # the other way round: the same test, the differences change sign
    back = compare_runs(b, a)
    assert back.p_value == pytest.approx(c.p_value) and (back.only_a, back.only_b) == (3, 9)
    assert back.accuracy_diff == pytest.approx((-c.accuracy_diff[1], -c.accuracy_diff[0]), abs=0.04)
    assert "no evidence that A and B differ (p = 0.146)" in c.to_text()


def test_a_clear_difference_is_found(tmp_path):
    # three times the tracks at the same rates: 27 against 9 disagreements
    truth = np.tile(TRUTH, 3)
    a = _run(tmp_path, "logreg", np.tile(RIGHT_A, 3), truth=truth)
    b = _run(tmp_path, "xgboost", np.tile(RIGHT_B, 3), truth=truth)
    c = compare_runs(a, b)
    assert (c.only_a, c.only_b) == (27, 9) and c.p_value == pytest.approx(binomtest(27, 36).pvalue)
    assert c.p_value < 0.05 and c.accuracy_diff[0] > 0
    assert "A and B differ (p = 0.00" in c.to_text()


def test_only_shared_tracks_are_paired_and_label_orders_may_differ(tmp_path):
    a = _run(tmp_path, "logreg", RIGHT_A)
    units = [f"track{i:02d}" for i in range(len(TRUTH))]
    units[0] = "elsewhere"  # B scored one track A did not
    b = _run(tmp_path, "xgboost", RIGHT_B, units=units, labels=["rock", "blues", "jazz"])
    c = compare_runs(a, b)
    assert c.n == 29 and c.both_right == 14  # track00 (both right) is not shared
    assert any("30 tracks; 1 of them are not in the other run's test split" in note for note in c.notes)


def test_runs_that_cannot_be_paired_are_refused(tmp_path):
    a = _run(tmp_path, "logreg", RIGHT_A)
    chunks = _run(tmp_path, "xgboost", RIGHT_B, split_kind="leaky-chunks", unit="chunk")
    with pytest.raises(RunError, match="per track and .* per chunk"):
        compare_runs(a, chunks)
    other = _run(tmp_path, "xgboost", RIGHT_B, units=[f"other{i}" for i in range(len(TRUTH))])
    with pytest.raises(RunError, match="no track in common"):
        compare_runs(a, other)
    with pytest.raises(RunError, match="split must be one of"):
        compare_runs(a, other, split="train")


def test_tracks_of_one_artist_are_tested_and_resampled_together(tmp_path):
    """60 tracks by 12 artists; B fails every track of two artists, A none. Ten tracks against none
    is overwhelming if tracks are independent (exact p = 0.002), but it is two artists' worth:
    Durkalski's clustered statistic is (5 + 5)^2 / (5^2 + 5^2) = 2, p = 0.157."""
    truth = np.tile([0, 1, 2], 20)
    artists = np.repeat([f"artist {i}" for i in range(12)], 5)
    right_b = np.array([i >= 10 for i in range(60)])
    a = _run(tmp_path, "logreg", np.ones(60, dtype=bool), truth=truth)
    b = _run(tmp_path, "xgboost", right_b, truth=truth)
    plain = compare_runs(a, b)
    assert plain.groups is None and plain.p_value == pytest.approx(2 * 0.5**10)
    for run in (a, b):
        write_tracks(run, pd.DataFrame({"track_id": [f"track{i:02d}" for i in range(60)], "artist": artists,
                                        "split": "test"}))
    clustered = compare_runs(a, b)
    assert (clustered.groups, clustered.group_kind) == (12, "artist")
    assert clustered.p_value == pytest.approx(chi2.sf(2.0, df=1))
    assert (clustered.only_a, clustered.only_b) == (plain.only_a, plain.only_b) == (10, 0)
    # resampling artists: the accuracy gain's interval is wider than resampling tracks makes it
    width = [c.accuracy_diff[1] - c.accuracy_diff[0] for c in (plain, clustered)]
    assert width[1] > 1.3 * width[0]
    assert "McNemar's test for clustered data over 12 artists: no evidence that A and B differ" in clustered.to_text()


def test_cli_prints_text_and_json(tmp_path, capsys):
    a, b = _run(tmp_path, "logreg", RIGHT_A), _run(tmp_path, "xgboost", RIGHT_B)
    assert main(["compare", a.name, b.name, "--runs-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"A: {a.name}\nB: {b.name}\ntest split (artist), the 30 tracks both scored")
    assert "both right 15, only A right 9, only B right 3, both wrong 3" in out
    assert main(["compare", str(a), str(b), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["only_a"] == 9 and data["p_value"] == pytest.approx(binomtest(9, 12).pvalue)
    assert main(["compare", str(a), str(tmp_path / "missing")]) == 2
    assert "missing" in capsys.readouterr().err


@pytest.mark.xdist_group("tiny-runs")
def test_real_runs_of_two_families_on_one_split(tiny_runs, tmp_path):
    """A classic run and a CNN trained on one split pair on every test track, and their scores on
    those tracks are the ones their metrics.json record; a run written before metrics.json kept
    per-track predictions is re-scored."""
    logreg, cnn = tiny_runs["logreg"], tiny_runs["cnn-mfcc"]
    c = compare_runs(logreg, cnn)
    stored = {run: read_run(run).metrics["test"] for run in (logreg, cnn)}
    assert c.n == stored[logreg]["n"] == stored[cnn]["n"]
    assert c.both_right + c.only_a + c.only_b + c.both_wrong == c.n
    assert c.accuracy_a == pytest.approx(stored[logreg]["accuracy"])
    assert c.accuracy_b == pytest.approx(stored[cnn]["accuracy"])

    old = tmp_path / logreg.name  # the run as genrekit wrote it before: no per-track predictions
    shutil.copytree(logreg, old)
    metrics = json.loads((old / "metrics.json").read_text())
    for key in ("units", "truth", "predicted"):
        del metrics["test"][key]
    (old / "metrics.json").write_text(json.dumps(metrics))
    again = compare_runs(old, cnn)
    assert (again.n, again.only_a, again.only_b, again.p_value) == (c.n, c.only_a, c.only_b, c.p_value)
    assert any("was re-scored" in note for note in again.notes)


def test_holm_adjustment_matches_a_hand_computation():
    from genrekit.compare import holm

    # sorted 0.01, 0.03, 0.04 over m = 3: 3 x 0.01 = 0.03; 2 x 0.03 = 0.06; 1 x 0.04 = 0.04, raised to 0.06
    assert holm([0.04, 0.01, 0.03]) == pytest.approx([0.06, 0.03, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1
    assert holm([0.2]) == [0.2] and holm([]) == []


def test_the_best_run_is_chosen_on_validation_and_its_p_values_are_adjusted(tmp_path):
    """A is the best on test, B on validation: B is carried forward and compared with A and C on test."""
    from genrekit.compare import compare_with_best, format_against_best, holm
    from genrekit.results import collect_results, to_markdown

    _run(tmp_path, "logreg", RIGHT_A, valid_right=RIGHT_B)
    _run(tmp_path, "xgboost", RIGHT_B, valid_right=RIGHT_A)
    _run(tmp_path, "knn", np.roll(RIGHT_B, 5), valid_right=np.roll(RIGHT_B, 5))
    _run(tmp_path, "musicnn-zeroshot", np.ones(30, dtype=bool))  # the best on test, no validation score: no candidate
    table = collect_results(tmp_path)
    assert table.set_index("model")["valid_macro_f1"].isna().to_dict() == {
        "logreg": False, "xgboost": False, "knn": False, "musicnn-zeroshot": True}
    assert table.loc[table["macro_f1"].idxmax(), "model"] == "musicnn-zeroshot"
    pairs = compare_with_best(table)
    assert {best for best, _, _ in pairs} == {"xgboost (features)"}
    assert sorted(other for _, other, _ in pairs) == ["knn (features)", "logreg (features)", "musicnn-zeroshot (features)"]
    raw = [c.p_value for _, _, c in pairs]
    assert [c.p_holm for _, _, c in pairs] == pytest.approx(holm(raw))
    assert all(c.p_holm >= c.p_value for _, _, c in pairs)
    text = format_against_best(pairs)
    assert text.startswith("The best run on validation macro F1, xgboost (features)") and "Holm-adjusted over these 3" in text
    assert "| valid F1 |" in to_markdown(table)
