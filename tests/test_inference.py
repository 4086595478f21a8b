"""The inference API: predictors of saved runs, soft-voting ensembles, ``genrekit predict``.

Known answers: soft voting of fixed predictors, window boundaries, a loaded run predicting exactly
what its own family's code predicts, stereo 48 kHz files predicting what mono 22.05 kHz arrays do.

The ``tiny_runs`` fixture (conftest.py, shared with test_album.py) trains three tiny models of
different families on one small synthetic set, once per test session.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from fixtures import (
    CONFIGS,
    TINY_GENRES,
    TINY_SECONDS,
    Fixed,
    copy_run,
    noise,
    own_track_proba,
    single_torch_thread,
    write_truncated,
)
from genrekit.data.audio import collect_audio_warnings
from genrekit.errors import AudioError, AudioWarning, ConfigError
from genrekit.inference import Ensemble, load_predictor, timeline_spans

# one worker runs the modules that share the session's tiny runs, so they are trained once
pytestmark = [pytest.mark.usefixtures("one_torch_thread"), pytest.mark.xdist_group("tiny-runs")]


@pytest.fixture(scope="session")
def predictors(tiny_runs):
    return {name: load_predictor(path) for name, path in tiny_runs.items()}


# ---------------------------------------------------------------------- fixed predictors


def test_soft_voting_is_the_weighted_mean_of_probabilities():
    a = Fixed(["x", "y", "z"], [0.6, 0.3, 0.1], name="a")
    b = Fixed(["x", "y", "z"], [0.2, 0.5, 0.3], name="b")
    prediction = Ensemble([a, b], weights=[3, 1]).predict_array(noise(2.0), 22050)
    np.testing.assert_allclose(prediction.probabilities, [0.5, 0.35, 0.15])
    assert prediction.genre == "x" and prediction.top(2) == [("x", pytest.approx(0.5)), ("y", pytest.approx(0.35))]
    assert prediction.logits is None
    np.testing.assert_allclose(prediction.log_scores, np.log([0.5, 0.35, 0.15]))
    assert [m.model for m in prediction.members] == ["a", "b"]
    equal = Ensemble([a, b]).predict_array(noise(2.0), 22050)
    np.testing.assert_allclose(equal.probabilities, [0.4, 0.4, 0.2])


def test_ensemble_aligns_labels_by_name():
    a = Fixed(["x", "y", "z"], [0.6, 0.3, 0.1])
    b = Fixed(["z", "x", "w"], [0.5, 0.5, 0.0])  # knows w, lacks y
    ensemble = Ensemble([a, b])
    assert ensemble.labels == ["x", "y", "z", "w"]
    np.testing.assert_allclose(ensemble.predict_array(noise(1.0), 22050).probabilities, [0.55, 0.15, 0.3, 0.0])


def test_ensemble_refuses_disjoint_labels_and_bad_weights():
    a = Fixed(["x", "y"], [0.5, 0.5])
    with pytest.raises(ConfigError, match="shares no genre"):
        Ensemble([a, Fixed(["u", "v"], [0.5, 0.5], name="b")])
    for weights in ([1.0], [1.0, -1.0], [0.0, 0.0], [1.0, float("nan")]):
        with pytest.raises(ConfigError):
            Ensemble([a, Fixed(["x", "y"], [0.1, 0.9])], weights=weights)
    with pytest.raises(ConfigError):
        Ensemble([])


def test_a_window_one_member_cannot_score_is_voted_by_the_others():
    a = Fixed(["x", "y"], [1.0, 0.0], min_seconds=5.0)  # cannot score short windows
    b = Fixed(["x", "y"], [0.0, 1.0])
    prediction = Ensemble([a, b]).predict_array(noise(12.0), 22050, timeline=True, window_seconds=4.0, hop_seconds=4.0)
    assert prediction.windows is not None and len(prediction.windows) == 3
    np.testing.assert_allclose(prediction.windows[["x", "y"]].to_numpy(), [[0.0, 1.0]] * 3)
    np.testing.assert_allclose(prediction.probabilities, [0.5, 0.5])  # the 12 s clip: both vote


def test_a_truncated_file_is_predicted_from_what_decodes_with_a_note(tmp_path):
    path = write_truncated(tmp_path / "cut.mp3", seconds=10.0)  # decodes about 4.9 s
    fixed = Fixed(TINY_GENRES, [0.1, 0.2, 0.3, 0.4])
    with collect_audio_warnings() as found:
        prediction = fixed.predict_file(path, timeline=True, window_seconds=2.0)
    [warning] = found
    assert warning.path == str(path) and warning.reason.startswith("truncated: decodes 4.")
    assert prediction.notes == (warning.reason,) and prediction.to_dict()["notes"] == [warning.reason]
    assert prediction.seconds < 5.0 and prediction.windows["end_s"].max() < 5.0
    # without a collector, the warning is issued, once, naming the file
    with pytest.warns(AudioWarning, match=r"cut\.mp3: truncated: decodes 4\.") as caught:
        both = Ensemble([fixed, Fixed(TINY_GENRES, [0.4, 0.3, 0.2, 0.1], name="other")]).predict_file(path)
    assert len(caught) == 1 and both.notes == prediction.notes


def test_cli_predict_warns_in_one_line_about_a_truncated_file(tmp_path, capfd, monkeypatch):
    from genrekit.cli import main
    from genrekit.cli import predict as predict_cli

    monkeypatch.setattr(predict_cli, "load_model", lambda args: Fixed(TINY_GENRES, [0.1, 0.2, 0.3, 0.4]))
    path = write_truncated(tmp_path / "cut.mp3", seconds=10.0)
    capfd.readouterr()
    assert main(["predict", str(path)]) == 0
    out, err = capfd.readouterr()
    assert err.startswith(f"genrekit predict: warning: {path}: truncated: decodes 4.") and err.count("\n") == 1
    assert str(path) in out
    assert main(["predict", str(path), "--json"]) == 0
    [entry] = json.loads(capfd.readouterr().out)["files"]
    assert entry["notes"][0].startswith("truncated: decodes 4.")


def test_timeline_spans_cover_the_signal():
    assert timeline_spans(100.0, window_seconds=30.0, hop_seconds=15.0) == [
        (0.0, 30.0), (15.0, 45.0), (30.0, 60.0), (45.0, 75.0), (60.0, 90.0), (70.0, 100.0)]
    assert timeline_spans(20.0, window_seconds=30.0, hop_seconds=15.0) == [(0.0, 20.0)]
    assert timeline_spans(60.0, window_seconds=30.0) == [(0.0, 30.0), (15.0, 45.0), (30.0, 60.0)]
    with pytest.raises(ConfigError):
        timeline_spans(10.0, window_seconds=0.0)


def test_a_signal_barely_longer_than_a_window_is_one_window():
    # a 30.013 s clip used to give (0, 30) and (0.013, 30.013): one window scored twice
    assert timeline_spans(30.013, window_seconds=30.0) == [(0.0, 30.013)]
    assert timeline_spans(32.9, window_seconds=30.0, hop_seconds=30.0) == [(0.0, 32.9)]
    assert timeline_spans(33.0, window_seconds=30.0, hop_seconds=30.0) == [(0.0, 30.0), (3.0, 33.0)]
    # a tail under 10 % of a window stretches the last full window instead of adding one
    assert timeline_spans(92.0, window_seconds=30.0, hop_seconds=15.0) == [
        (0.0, 30.0), (15.0, 45.0), (30.0, 60.0), (45.0, 75.0), (60.0, 92.0)]
    assert timeline_spans(94.0, window_seconds=30.0, hop_seconds=15.0)[-2:] == [(60.0, 90.0), (64.0, 94.0)]
    for duration in np.linspace(0.5, 200.0, 797):
        spans = timeline_spans(float(duration), window_seconds=30.0, hop_seconds=15.0)
        assert spans[0][0] == 0.0 and spans[-1][1] == pytest.approx(duration)  # covers the whole signal
        lengths = [end - start for start, end in spans]
        assert max(lengths) <= 33.0 + 1e-6
        # every window after the first brings at least 3 s that no earlier window holds
        assert all(b[1] - a[1] >= 3.0 - 1e-6 for a, b in zip(spans, spans[1:]))
    prediction = Fixed(["x", "y"], [0.5, 0.5]).predict_array(noise(30.013), 22050, timeline=True)
    assert len(prediction.windows) == 1 and prediction.windows["end_s"].iloc[0] == pytest.approx(30.013, abs=1e-4)


def test_timeline_frame_and_scoring_each_distinct_segment_once():
    fixed = Fixed(["x", "y"], [0.25, 0.75])
    prediction = fixed.predict_array(noise(20.0), 22050, timeline=True, window_seconds=30.0)
    assert list(prediction.windows.columns) == ["start_s", "end_s", "x", "y"]
    assert prediction.windows[["start_s", "end_s"]].to_numpy().tolist() == [[0.0, 20.0]]
    assert fixed.calls == 1  # the whole signal is both the clip and the only window
    document = prediction.to_dict(top=1)
    assert document["top"] == [{"genre": "y", "probability": 0.75}] and len(document["windows"]) == 1


# ---------------------------------------------------------------------- saved runs


def test_load_predictor_reads_preprocessing_from_the_run(predictors):
    logreg, spec, mfcc = predictors["logreg"], predictors["cnn-spec"], predictors["cnn-mfcc"]
    assert (logreg.family, spec.family, mfcc.family) == ("classic", "torch", "torch")
    assert logreg.name == "logreg (features)" and spec.name == "cnn-spec (mel)" and mfcc.name == "cnn-mfcc (mfcc)"
    assert logreg.labels == spec.labels == mfcc.labels == list(TINY_GENRES)
    assert logreg.sample_rate == spec.sample_rate == 22050
    assert logreg.window_seconds == TINY_SECONDS and logreg.clip_seconds == TINY_SECONDS  # whole clips, no chunks
    assert spec.window_seconds == 3.0 and spec.clip_seconds == TINY_SECONDS
    assert logreg.run == Path(logreg.run_dir).name


def test_predictions_equal_the_families_own_code(tiny_runs, predictors):
    """A file predicted through the API scores what the run's own loader and feature code score."""
    from genrekit.checkpoint import load_torch_run
    from genrekit.data.audio import load_audio
    from genrekit.features.handcrafted import extract_chunked
    from genrekit.models.classic import load_classic
    from genrekit.runs import read_run

    path = sorted((tiny_runs["logreg"].parent.parent / "synth" / "genres_original" / "metal").glob("*.wav"))[0]
    torch_own = own_track_proba(load_torch_run(tiny_runs["cnn-spec"]), path)
    ours = predictors["cnn-spec"].predict_file(path, middle_seconds=TINY_SECONDS)
    np.testing.assert_allclose(ours.probabilities, torch_own, atol=1e-6)
    assert ours.logits is not None and ours.score_kind == "logit"

    record = read_run(tiny_runs["logreg"])
    y = load_audio(path, sr=record.config.data.sample_rate, middle=record.config.data.clip_seconds)
    classic = load_classic(tiny_runs["logreg"])
    rows = extract_chunked(y, sr=22050, cfg=record.config.features, chunk_seconds=None)[classic.feature_columns]
    expected = classic.predict_proba(rows.to_numpy()).mean(axis=0)
    got = predictors["logreg"].predict_file(path, middle_seconds=TINY_SECONDS)
    np.testing.assert_allclose(got.probabilities, expected, atol=1e-9)
    assert got.logits is None and got.score_kind == "log-probability"


def test_stereo_48k_files_predict_like_mono_22k_arrays(predictors, tmp_path):
    from genrekit.data.audio import prepare_array, write_audio
    from genrekit.data.synth import render_clip

    y48 = render_clip("country", seconds=8.0, sr=48000, seed=5)
    mono22 = prepare_array(y48, 48000, sr=22050)
    ensemble = Ensemble(list(predictors.values()))
    reference = ensemble.predict_array(mono22, 22050)
    # Float WAV is lossless: every model agrees to rounding; FLAC quantises to 16 bits. MP3 is lossy:
    # the networks stay within a few hundredths, the hand-crafted spectral features move more
    # (measured up to 0.21 in a probability), so the vote is compared loosely and the genre not at all.
    cases = {".wav": ("FLOAT", 1e-4, 1e-4, 1e-4), ".flac": (None, 0.02, 0.02, 0.02), ".mp3": (None, 0.3, 0.05, 0.12)}
    for suffix, (subtype, features_atol, network_atol, vote_atol) in cases.items():
        path = write_audio(tmp_path / f"stereo48{suffix}", np.stack([y48, y48]), 48000, subtype=subtype)
        got = ensemble.predict_file(path, middle_seconds=None)
        np.testing.assert_allclose(got.probabilities, reference.probabilities, atol=vote_atol, err_msg=suffix)
        if suffix != ".mp3":
            assert got.genre == reference.genre, suffix
        for member, ref in zip(got.members, reference.members):
            atol = network_atol if ref.logits is not None else features_atol
            np.testing.assert_allclose(member.probabilities, ref.probabilities, atol=atol, err_msg=f"{suffix} {member.model}")


def test_any_length_and_bad_input(predictors, tmp_path):
    spec = predictors["cnn-spec"]
    short = spec.predict_array(noise(2.0), 22050)  # shorter than one 3 s chunk: one padded chunk
    assert short.probabilities.shape == (4,) and math.isclose(short.probabilities.sum(), 1.0)
    long = spec.predict_array(noise(70.0, 16000), 16000, timeline=True, window_seconds=30.0, hop_seconds=15.0)
    assert long.windows["start_s"].tolist() == [0.0, 15.0, 30.0, 40.0]
    assert np.allclose(long.windows[list(TINY_GENRES)].sum(axis=1), 1.0)

    broken = tmp_path / "broken.ogg"
    broken.write_bytes(bytes(range(256)) * 8)
    for predictor in (spec, predictors["logreg"], Ensemble(list(predictors.values()))):
        with pytest.raises(AudioError, match="broken.ogg"):
            predictor.predict_file(broken)
    with pytest.raises(AudioError, match="silent"):
        spec.predict_array(np.zeros(44100, np.float32), 22050)
    with pytest.raises(AudioError, match="too short"):
        predictors["logreg"].predict_array(noise(0.5), 22050)
    with pytest.raises(AudioError, match="missing.wav"):
        spec.predict_file(tmp_path / "missing.wav")


def test_cli_predict_reports_bad_files_and_predicts_the_rest(tiny_runs, tmp_path, capsys):
    from genrekit.cli import main
    from genrekit.data.audio import write_audio
    from genrekit.data.synth import render_clip

    good = write_audio(tmp_path / "good.flac", render_clip("metal", seconds=5.0, sr=44100, seed=9), 44100)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF" + bytes(100))
    args = ["predict", str(good), str(bad), "--run", str(tiny_runs["logreg"]), "--run", str(tiny_runs["cnn-spec"]), "--top", "2"]
    assert main([*args, "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["model"] == "ensemble(logreg+cnn-spec)"
    first, second = document["files"]
    assert first["file"] == str(good) and len(first["top"]) == 2 and set(first["probabilities"]) == set(TINY_GENRES)
    assert second["file"] == str(bad) and "error" in second
    assert main([*args[:2], "--run", str(tiny_runs["cnn-mfcc"]), "--timeline", "--window", "2", "--hop", "2"]) == 0
    out = capsys.readouterr().out
    assert "good.flac" in out and "timeline:" in out and out.count(" s  ") == 3


def test_cli_predict_takes_folders(tiny_runs, tmp_path, capsys):
    from genrekit.cli import main
    from genrekit.cli.predict import audio_inputs
    from genrekit.data.audio import write_audio
    from genrekit.data.synth import render_clip

    album = tmp_path / "album"
    for name, genre in (("b.wav", "metal"), ("A.flac", "classical"), ("disc 2/c.ogg", "country")):
        write_audio(album / name, render_clip(genre, seconds=4.0, sr=22050, seed=3), 22050)
    (album / "cover.jpg").write_bytes(b"not audio")
    (tmp_path / "empty").mkdir()
    expected = [str(album / "A.flac"), str(album / "b.wav"), str(album / "disc 2" / "c.ogg")]
    assert audio_inputs([str(album)]) == [(path, None) for path in expected]
    assert audio_inputs(["x.wav", str(tmp_path / "empty")]) == [
        ("x.wav", None), (str(tmp_path / "empty"), "a folder without audio files")]

    assert main(["predict", str(album), "--run", str(tiny_runs["logreg"]), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [entry["file"] for entry in document["files"]] == expected
    assert all(set(entry["probabilities"]) == set(TINY_GENRES) for entry in document["files"])
    assert main(["predict", str(tmp_path / "empty"), "--run", str(tiny_runs["logreg"])]) == 1
    assert "empty: a folder without audio files" in capsys.readouterr().err


def test_a_model_trained_on_the_synthetic_set_says_so(tiny_runs, tmp_path, capsys):
    from genrekit.cli import main
    from genrekit.data.audio import write_audio
    from genrekit.data.synth import render_clip
    from genrekit.inference import synthetic_members, synthetic_note

    logreg = tiny_runs["logreg"]
    synthetic = copy_run(logreg, tmp_path / f"{logreg.name}-synthetic", dataset="synthetic")
    real = load_predictor(tiny_runs["cnn-spec"])
    assert real.dataset != "synthetic" and synthetic_note(real) is None
    alone = load_predictor(synthetic)
    assert alone.dataset == "synthetic" and synthetic_members(alone) == [alone]
    assert synthetic_note(alone).startswith("this model was trained on genrekit's synthetic genre set only: it knows")
    mixed = Ensemble([real, alone])  # one synthetic member is enough to say so
    assert synthetic_members(mixed) == [alone]
    assert synthetic_note(mixed).startswith(f"1 of the ensemble's 2 models ({alone.name}) were trained")
    assert synthetic_note(Ensemble([real, real])) is None

    song = write_audio(tmp_path / "song.wav", render_clip("metal", seconds=4.0, sr=22050, seed=1), 22050)
    assert main(["predict", str(song), "--run", str(synthetic), "--json"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["synthetic_note"] == synthetic_note(alone)
    [line] = [line for line in captured.err.splitlines() if "synthetic" in line]
    assert line.startswith("genrekit predict: note: ") and "without --run" in line and "GTZAN or FMA" in line
    assert main(["predict", str(song), "--run", str(tiny_runs["logreg"]), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["synthetic_note"] is None and "synthetic" not in captured.err


RUNS_FOLDER_OPTIONS = {
    # command line -> where that command keeps the runs folder
    ("run",): "runs", ("train",): "runs", ("results",): "runs", ("experiment", "mel-vs-log"): "runs",
    ("evaluate", "RUN"): "runs_dir", ("predict", "x.wav", "--run", "RUN"): "runs_dir",
    ("album", "DIR", "--run", "RUN"): "runs_dir", ("space", "build", "OUT"): "runs_dir",
}


@pytest.mark.parametrize("command", list(RUNS_FOLDER_OPTIONS), ids=" ".join)
def test_every_command_takes_both_spellings_of_the_runs_folder(command, capsys):
    from genrekit.cli import build_parser

    dest = RUNS_FOLDER_OPTIONS[command]
    parser = build_parser()
    for flag in ("--runs", "--runs-dir"):
        args = parser.parse_args([*command, flag, "/some/runs"])
        assert getattr(args, dest) == "/some/runs", flag
    if "--run" in command:
        assert args.runs == ["RUN"]  # --run still names the runs themselves
    with pytest.raises(SystemExit):
        parser.parse_args([*command, "--help"])
    help_text = capsys.readouterr().out
    assert "--runs DIR" in help_text and "--runs-dir DIR" in help_text


@pytest.mark.parametrize("argv, option", [
    (["predict", "x.wav", "--run", "R", "--window", "0"], "--window"),
    (["predict", "x.wav", "--run", "R", "--hop", "-2"], "--hop"),
    (["predict", "x.wav", "--run", "R", "--middle", "-1"], "--middle"),
    (["predict", "x.wav", "--run", "R", "--top", "0"], "--top"),
    (["predict", "x.wav", "--run", "R", "--top", "2.5"], "--top"),
    (["predict", "x.wav", "--run", "R", "--window", "nan"], "--window"),
    (["album", "DIR", "--run", "R", "--window", "0"], "--window"),
    (["album", "DIR", "--run", "R", "--middle", "-1"], "--middle"),
])
def test_predict_and_album_reject_impossible_numbers(argv, option, capsys):
    from genrekit.cli import build_parser

    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(argv)
    assert exit_.value.code == 2
    assert f"argument {option}" in capsys.readouterr().err


def test_predict_middle_zero_still_means_the_whole_file():
    from genrekit.cli import build_parser

    args = build_parser().parse_args(["predict", "x.wav", "--run", "R", "--middle", "0", "--top", "1", "--window", "2.5"])
    assert (args.middle, args.top, args.window) == (0.0, 1, 2.5)


@pytest.fixture(scope="session")
def hf_run(tiny_runs, tmp_path_factory):
    """A tiny randomly initialised DistilHuBERT-shaped model (configs/debug-hf.toml), one epoch on the same set."""
    pytest.importorskip("transformers")
    from genrekit.config import load_config
    from genrekit.train import train

    data = tiny_runs["logreg"].parent.parent / "synth"
    config = load_config(CONFIGS / "debug-hf.toml", [
        f"data.source={data}", "data.split=random", f"data.clip_seconds={TINY_SECONDS}", "data.valid_fraction=0.2",
        "data.test_fraction=0.2", "train.epochs=1", f"runs_dir={tmp_path_factory.mktemp('hf-runs')}"])
    with single_torch_thread():  # session-scoped: set up before any module's one_torch_thread
        return train(config, progress=False)


def test_hf_runs_and_ensembles_of_models_at_different_rates(hf_run, predictors, tmp_path):
    from genrekit.data.audio import write_audio
    from genrekit.data.synth import render_clip
    from genrekit.models.hf import load_hf_run

    hf = load_predictor(hf_run)
    assert hf.family == "hf" and hf.sample_rate == 16000 and hf.window_seconds == 2.0 and hf.labels == list(TINY_GENRES)
    y = render_clip("hiphop", seconds=9.0, sr=48000, seed=11)
    path = write_audio(tmp_path / "stereo.flac", np.stack([y, 0.8 * y]), 48000)
    own = own_track_proba(load_hf_run(hf_run), path)  # the family's own reading: middle clip_seconds at 16 kHz
    np.testing.assert_allclose(hf.predict_file(path, middle_seconds=TINY_SECONDS).probabilities, own, atol=1e-5)

    ensemble = Ensemble([predictors["logreg"], hf], weights=[1, 3])
    assert ensemble._rates() == [16000, 22050]
    prediction = ensemble.predict_file(path, timeline=True, window_seconds=4.0, hop_seconds=2.0)
    assert prediction.windows["start_s"].tolist() == [0.0, 2.0, 4.0, 5.0]
    logreg_part, hf_part = prediction.members
    assert hf_part.logits is not None and logreg_part.logits is None
    np.testing.assert_allclose(prediction.probabilities, 0.25 * logreg_part.probabilities + 0.75 * hf_part.probabilities)
    expected = 0.25 * logreg_part.windows[list(TINY_GENRES)].to_numpy() + 0.75 * hf_part.windows[list(TINY_GENRES)].to_numpy()
    np.testing.assert_allclose(prediction.windows[list(TINY_GENRES)].to_numpy(), expected)


def test_many_tracks_through_the_loader_score_as_each_track_alone(tiny_runs, predictors, tmp_path):
    """A network predictor scores a list of tracks through its store and loader (batches across tracks)
    and gives each the probabilities of predict_track; unreadable and too-short files are reported."""
    import pandas as pd

    from genrekit.data.audio import write_audio

    folder = tiny_runs["cnn-spec"].parent.parent / "synth" / "genres_original"
    paths = [str(p) for genre in TINY_GENRES for p in sorted((folder / genre).glob("*.wav"))[:2]]
    (tmp_path / "broken.wav").write_bytes(b"RIFF not audio")
    write_audio(tmp_path / "short.wav", noise(0.5), 22050)
    tracks = pd.DataFrame({"track_id": [f"t{i}" for i in range(len(paths) + 2)],
                           "path": paths + [str(tmp_path / "broken.wav"), str(tmp_path / "short.wav")]})
    predictor = predictors["cnn-spec"]
    kept, proba, problems = predictor.predict_tracks(tracks, progress=False)
    assert kept["path"].tolist() == paths
    for path, row in zip(paths, proba):
        np.testing.assert_allclose(row, predictor.predict_track(path), rtol=0, atol=1e-5)
    assert [p["path"] for p in problems] == [str(tmp_path / "broken.wav"), str(tmp_path / "short.wav")]
    assert "too short" in problems[1]["reason"]
