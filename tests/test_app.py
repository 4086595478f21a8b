"""The Gradio app's logic (genrekit.app).

Unit tests use a fake predictor (and a fake musicnn) whose answer is known; the tests at the end
use a tiny real model trained once per session through the app's own one-command path
(``space/app.py --train-default``, the ``app_run`` fixture of conftest.py), and the zero-shot
musicnn default on real recordings (skipped when the recordings or the weights are absent).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fixtures import EXAMPLES, copy_run, expected_answers, load_app_module, sine, write_truncated
from genrekit import app as core
from genrekit.app import uploads
from genrekit.config import ExperimentConfig
from genrekit.data.audio import load_audio, write_audio
from genrekit.errors import AudioError, ConfigError, RunError
from genrekit.inference import Prediction, load_predictor, synthetic_note, timeline_spans
from genrekit.pretrained import weights
from genrekit.pretrained.musicnn import MIN_SECONDS, TAGS
from genrekit.runs import RunInfo, write_run_record

# one worker runs the modules that share the trained app run, so it is trained once
pytestmark = pytest.mark.xdist_group("app-run")

# ----------------------------------------------------------------------------------------------
# a fake model whose answer is known


class FakePredictor:
    """'classical' for quiet audio, 'metal' for loud; records what it was asked."""

    labels = ("blues", "classical", "metal")
    name = "fake"
    family = "fake"
    sample_rate = 8000
    window_seconds = 2.0

    def __init__(self, *, error: AudioError | None = None, dataset: str = "synthetic"):
        self.calls = []
        self.error = error
        self.dataset = dataset  # what synthetic_note reads (RunInfo.dataset of a loaded run)

    def _proba(self, y):
        rms = float(np.sqrt(np.mean(np.square(y))))
        loud = rms > 0.1
        return np.array([0.1, 0.2, 0.7]) if loud else np.array([0.1, 0.7, 0.2])

    def predict_array(self, y, sr, *, timeline=False, hop_seconds=None, window_seconds=None):
        self.calls.append({"n": len(y), "sr": sr, "timeline": timeline, "window": window_seconds, "hop": hop_seconds})
        if self.error is not None:
            raise self.error
        windows = None
        if timeline:
            spans = timeline_spans(len(y) / sr, window_seconds=window_seconds, hop_seconds=hop_seconds)
            rows = [self._proba(y[int(s * sr): int(e * sr)]) for s, e in spans]
            windows = pd.DataFrame({"start_s": [s for s, _ in spans], "end_s": [e for _, e in spans]})
            for i, label in enumerate(self.labels):
                windows[label] = [r[i] for r in rows]
        return Prediction(labels=list(self.labels), probabilities=self._proba(y), windows=windows, model=self.name)


def fake_model(**kwargs) -> core.AppModel:
    card = core.ModelCard(source="fake", name="fake", family="fake", model="fake", dataset="synthetic")
    return core.AppModel(predictor=FakePredictor(**kwargs), cards=[card])


def write_tone(path: Path, seconds: float, *, sr: int = 8000, amplitude: float = 0.05) -> Path:
    return write_audio(path, sine(220.0, seconds, sr=sr, amp=amplitude), sr)


def fake_run(folder: Path, *, split_kind="artist", accuracy=0.8125, name="xgb-gtzan") -> Path:
    folder.mkdir(parents=True)
    config = ExperimentConfig(name=name)
    info = RunInfo(family="classic", model="xgboost", input="features", dataset="gtzan", split_kind=split_kind)
    metrics = {"split_kind": split_kind, "test": {"accuracy": accuracy, "macro_f1": 0.8, "n": 16}}
    write_run_record(folder, info=info, config=config, labels=["blues", "rock"], metrics=metrics)
    return folder


class FakeExtractor:
    """Stands in for MusicnnExtractor: 'jazz' (MSD) and 'piano' (MTT) for every patch; records lengths."""

    models = {"MSD_musicnn": None, "MTT_musicnn": None}

    def __init__(self):
        self.lengths = []

    def __call__(self, y, *, name=None):
        from genrekit.pretrained.musicnn import patch_count

        self.lengths.append(len(y))
        n = patch_count(len(y))
        if n == 0:
            raise AudioError(name, f"too short for musicnn: {len(y) / 16000:.2f} s")
        out = {}
        for model, top in (("MSD_musicnn", "jazz"), ("MTT_musicnn", "piano")):
            taggram = np.full((n, 50), 0.01, np.float32)
            taggram[:, TAGS[model].index(top)] = 0.9
            out[model] = {"taggram": taggram}
        return out


def offline(monkeypatch, tmp_path) -> list:
    """No musicnn weights cached, and pip cannot reach PyPI; returns the list of fetch attempts."""
    monkeypatch.setenv("GENREKIT_PRETRAINED", str(tmp_path / "no-weights"))
    attempts = []

    def fail(**kwargs):
        attempts.append(kwargs)
        raise weights.WeightsError("pip could not download musicnn==0.1.0 (network unreachable)")

    monkeypatch.setattr(weights, "fetch_musicnn", fail)
    return attempts


# ----------------------------------------------------------------------------------------------
# which model answers


def test_model_sources_argument_then_env_then_nothing_configured(tmp_path, monkeypatch):
    monkeypatch.setenv("GENREKIT_RUNS", str(tmp_path / "runs"))
    env = {core.ENV_RUNS: " /a/run1 , /a/run2 ,"}
    assert core.model_sources("/x/run", environ=env) == ["/x/run"]
    assert core.model_sources(["/x/run", "hf:org/name"], environ=env) == ["/x/run", "hf:org/name"]
    assert core.model_sources(None, environ=env) == ["/a/run1", "/a/run2"]
    assert core.is_configured(None, environ=env) and not core.is_configured(None, environ={})
    # a trained default run is not "configured": the zero-shot model comes first (default_sources)
    fake_run(core.default_model_root() / "20260101-000000-app-default-logreg-synthetic")
    with pytest.raises(core.NotConfiguredError):
        core.model_sources(None, environ={})


def test_default_is_zero_shot_and_a_trained_default_only_offline(tmp_path, monkeypatch, caplog):
    import genrekit.models.zeroshot as zeroshot

    monkeypatch.setenv("GENREKIT_RUNS", str(tmp_path / "runs"))
    asked = []
    monkeypatch.setattr(zeroshot, "default_run", lambda fetch=True: asked.append(fetch) or tmp_path / "zero-shot-run")
    fake_run(core.default_model_root() / "20260101-000000-app-default-logreg-synthetic")
    assert core.default_sources() == [str(tmp_path / "zero-shot-run")] and asked == [True]
    monkeypatch.undo()

    # offline, no weights: the newest trained default run, with a warning that says what to run
    monkeypatch.setenv("GENREKIT_RUNS", str(tmp_path / "runs"))
    offline(monkeypatch, tmp_path)
    older = fake_run(core.default_model_root() / "20250101-000000-app-default-logreg-synthetic")
    newer = core.default_model_root() / "20260101-000000-app-default-logreg-synthetic"
    (newer.parent / "20270101-000000-unfinished").mkdir()  # no run.json: not a run
    scoreless = fake_run(newer.parent / "20280101-000000-app-default-logreg-synthetic")
    (scoreless / "metrics.json").unlink()  # a run record without scores: not a finished run
    # the older run was written last; touched later still, it is the newest on disk: the choice
    # must go by the timestamp its name starts with, not by the folder's modification time
    later = newer.stat().st_mtime_ns + 3600 * 10**9
    os.utime(older, ns=(later, later))
    with caplog.at_level(logging.WARNING, logger="genrekit.app"):
        sources = core.default_sources()
    assert sources == [str(newer)]
    assert core.FETCH_COMMAND in caplog.text and f"synthetic default model {newer} meanwhile" in caplog.text
    assert core.can_serve(environ={})


def test_offline_without_any_model_says_what_to_run_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("GENREKIT_RUNS", str(tmp_path / "empty"))
    offline(monkeypatch, tmp_path)
    with pytest.raises(core.NoModelError) as info:
        core.load_app_model(environ={})
    summary = info.value.summary
    assert "\n" not in summary and f"run '{core.FETCH_COMMAND}'" in summary and core.TRAIN_COMMAND in summary
    page = str(info.value)  # Markdown for the page: both commands, and why
    assert core.FETCH_COMMAND in page and core.TRAIN_COMMAND in page and "network unreachable" in page
    assert not core.can_serve(environ={})
    with pytest.raises(RunError, match="does not exist"):
        core.load_app_model(str(tmp_path / "missing-run"), environ={})


def test_model_card_reads_run_and_metrics(tmp_path):
    card = core.ModelCard.from_run(fake_run(tmp_path / "run"))
    assert (card.name, card.family, card.model, card.dataset, card.split_kind) == (
        "xgb-gtzan", "classic", "xgboost", "gtzan", "artist")
    assert card.test_accuracy == pytest.approx(0.8125) and card.n_test == 16 and not card.leaky
    text = card.markdown()
    for part in ("**xgb-gtzan**", "model `xgboost`", "classic", "run `run`", "trained on *gtzan*",
                 "test set: 16 tracks, *artist* split", "test accuracy **0.812**"):
        assert part in text
    # the test set's size from run.json when metrics.json does not give it
    info = RunInfo(family="classic", model="logreg", input="features", dataset="fma", split_kind="official", n_test=40)
    (tmp_path / "older").mkdir()
    write_run_record(tmp_path / "older", info=info, config=ExperimentConfig(name="older"), labels=["blues", "rock"],
                     metrics={"split_kind": "official", "test": {"accuracy": 0.5}})
    assert "test set: 40 tracks, *official* split" in core.ModelCard.from_run(tmp_path / "older").markdown()

    leaky = core.ModelCard.from_run(fake_run(tmp_path / "leaky", split_kind="leaky-chunks"))
    assert leaky.leaky and "LEAKY" in leaky.markdown()
    bare = core.ModelCard(source="hf:x/y", name="x/y", family="hf", model="x/y")
    assert "no test score recorded" in bare.markdown() and "size not recorded" in bare.markdown()
    assert not card.zero_shot and "zero-shot" not in text


def test_zero_shot_card_says_so_instead_of_test_scores(tmp_path):
    folder = tmp_path / "zero-shot"
    folder.mkdir()
    info = RunInfo(family="classic", model="musicnn-zeroshot", input="features", dataset="none (zero-shot, not scored)",
                   split_kind="none", extra={"zero_shot": True})
    write_run_record(folder, info=info, config=ExperimentConfig(name="musicnn-zeroshot"), labels=["blues", "rock"])
    card = core.ModelCard.from_run(folder)  # no metrics.json
    assert card.zero_shot and card.test_accuracy is None
    text = card.markdown()
    assert "**zero-shot**: no training" in text and "musicnn" in text and "no test accuracy" in text
    for absent in ("trained on *", "none split", "test accuracy **"):
        assert absent not in text
    model = core.AppModel(predictor=FakePredictor(dataset="none (zero-shot, not scored)"), cards=[card])
    assert model.synthetic_note is None


def test_synthetic_note_is_the_project_rule_with_the_apps_advice():
    note = fake_model().synthetic_note  # the predictor says what it was trained on, not the card
    assert note == f"T{synthetic_note(fake_model().predictor, advice=core.SYNTHETIC_ADVICE)[1:]}."
    assert note.startswith("This model was trained on genrekit's synthetic genre set only")
    assert "--run FOLDER" in note and "genrekit predict" not in note
    real = FakePredictor(dataset="gtzan")
    assert core.AppModel(predictor=real, cards=[]).synthetic_note is None


# ----------------------------------------------------------------------------------------------
# checking uploads


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda d: None, "no audio"),
        (lambda d: d / "gone.wav", "file not found"),
        (lambda d: _write(d / "empty.mp3", b""), "empty file"),
        (lambda d: _write(d / "notes.wav", b"not audio\n" * 100), "unreadable"),
        (lambda d: _write(d / "notes.txt", b"not audio\n" * 100), "unreadable"),
        (lambda d: write_audio(d / "silence.wav", np.zeros(8000, np.float32), 8000), "silent"),
    ],
    ids=["nothing", "missing", "empty", "text-as-wav", "text", "silent"],
)
def test_bad_uploads_raise_audio_error_naming_file_and_reason(tmp_path, make, reason):
    path = make(tmp_path)
    with pytest.raises(AudioError) as info:
        core.read_upload(path, sr=8000)
    assert reason in info.value.reason
    if path is not None:
        assert info.value.path == str(path)
    message = core.user_message(info.value)
    assert reason in message and (path is None or path.name in message)


def test_oversized_upload_is_refused_before_any_decoding(tmp_path, monkeypatch):
    path = write_tone(tmp_path / "big.wav", 2.0)  # 32 kB
    def no_decoding(*args, **kwargs):
        raise AssertionError("the file was opened although it is over the size limit")
    monkeypatch.setattr(uploads, "audio_info", no_decoding)
    monkeypatch.setattr(uploads, "load_audio", no_decoding)
    with pytest.raises(AudioError, match=r"too large: 0\.0 MB, the limit is 0 MB"):
        core.read_upload(path, sr=8000, limits=core.UploadLimits(max_bytes=10_000))


def test_hour_long_upload_decodes_only_the_first_minutes(tmp_path, monkeypatch):
    # one hour of 8 kHz mono: 57.6 MB, under the 100 MB limit; only the first 10 minutes are read
    sr, minute = 8000, np.sin(2 * np.pi * 220 * np.arange(8000 * 60) / 8000).astype(np.float32) * 0.2
    path = write_audio(tmp_path / "hour.wav", np.tile(minute, 60), sr)
    seen = []
    real_load = uploads.load_audio
    monkeypatch.setattr(uploads, "load_audio", lambda p, **kw: seen.append(kw) or real_load(p, **kw))

    upload = core.read_upload(path, sr=sr)
    assert seen == [{"sr": sr, "duration": 600.0}]
    assert upload.truncated and upload.total_seconds == pytest.approx(3600.0)
    assert upload.y.shape == (600 * sr,) and upload.seconds == pytest.approx(600.0)
    assert upload.notes == ["The track is 1:00:00 long; only the first 10:00 were analysed."]


def test_a_truncated_upload_is_classified_from_what_decodes_with_a_short_note(tmp_path):
    path = write_truncated(tmp_path / "cut.mp3", seconds=10.0)  # decodes about 4.9 s
    upload = core.read_upload(path, sr=8000)
    assert upload.damage.startswith("truncated: decodes 4.") and upload.seconds < 5.0
    assert upload.notes == [f"The file looks truncated: it {upload.damage.split(': ', 1)[1]}. "
                            "The genres describe the part that decodes."]
    result = core.classify_upload(fake_model(), path)
    assert "⚠️ The file looks truncated: it decodes 4." in result.status_markdown()


def test_upload_limits_from_env():
    assert core.UploadLimits.from_env({}) == core.UploadLimits(max_bytes=100_000_000, max_seconds=600.0)
    limits = core.UploadLimits.from_env({core.ENV_MAX_MB: "20", core.ENV_MAX_MINUTES: "0.5"})
    assert limits == core.UploadLimits(max_bytes=20_000_000, max_seconds=30.0)
    assert limits.describe() == "Only the first 30 seconds of a track are analysed; files over 20 MB are refused."
    assert "first 10 minutes" in core.UploadLimits().describe()
    for bad in ("0", "-1", "lots"):
        with pytest.raises(ConfigError, match=core.ENV_MAX_MB):
            core.UploadLimits.from_env({core.ENV_MAX_MB: bad})


# ----------------------------------------------------------------------------------------------
# results


def test_timeline_window_grows_to_keep_at_most_max_windows():
    assert core.timeline_window(10.0, model_window=3.0) == 3.0
    assert core.timeline_window(300.0, model_window=3.0) == 3.0  # exactly 100 windows
    assert core.timeline_window(600.0, model_window=3.0) == 6.0
    assert core.timeline_window(3600.0, model_window=None) == 60.0  # 30 s fallback, doubled
    assert core.timeline_window(50.0, model_window=3.0, max_windows=5) == 12.0


def test_short_quiet_track_is_classical_without_timeline(tmp_path):
    model = fake_model()
    result = core.classify_upload(model, write_tone(tmp_path / "quiet.wav", 1.5, amplitude=0.05))
    assert result.top == "classical" and result.timeline is None
    assert result.scores == pytest.approx({"blues": 0.1, "classical": 0.7, "metal": 0.2})
    assert list(result.bars["genre"]) == ["classical", "metal", "blues"]
    assert model.predictor.calls[0]["timeline"] is False and model.predictor.calls[0]["n"] == 12000
    assert "most likely **classical** (70%)" in result.status_markdown()


def test_page_durations_are_cut_to_whole_seconds_as_players_show_them(tmp_path):
    """The page's lengths agree with the browser's player, which shows 119.9 s as "1:59"."""
    assert [uploads.clock(s) for s in (119.9, 29.99995, 30.013, 3599.6, 3600.0)] == [
        "1:59", "0:30", "0:30", "59:59", "1:00:00"]
    result = core.classify_upload(fake_model(), write_tone(tmp_path / "two-minutes.wav", 119.9))
    assert result.status_markdown().startswith("Analysed 1:59 of audio")


def test_long_track_gets_a_timeline_that_follows_the_audio(tmp_path):
    # 4 s quiet then 4 s loud: the timeline's 2 s windows turn from classical to metal
    sr = 8000
    t = np.arange(4 * sr) / sr
    y = np.concatenate([0.05 * np.sin(2 * np.pi * 220 * t), 0.8 * np.sin(2 * np.pi * 220 * t)]).astype(np.float32)
    model = fake_model()
    result = core.classify_upload(model, write_audio(tmp_path / "two-parts.flac", y, sr))
    call = model.predictor.calls[0]
    assert call["timeline"] is True and call["window"] == call["hop"] == 2.0
    timeline = result.timeline
    assert list(timeline.columns) == ["time_s", "genre", "probability"]
    assert sorted(timeline["time_s"].unique()) == [1.0, 3.0, 5.0, 7.0]
    top_per_window = timeline.loc[timeline.groupby("time_s")["probability"].idxmax()]
    assert list(top_per_window.sort_values("time_s")["genre"]) == ["classical", "classical", "metal", "metal"]
    assert "4 windows" in result.status_markdown()


def test_predictor_audio_error_is_reported_with_the_file_name(tmp_path):
    model = fake_model(error=AudioError(None, "too short: 0.10 s"))
    path = write_tone(tmp_path / "blip.wav", 1.0)
    with pytest.raises(AudioError) as info:
        core.classify_upload(model, path)
    assert info.value.path == str(path)
    assert core.user_message(info.value) == "Cannot use blip.wav: too short: 0.10 s"


def test_score_bar_and_timeline_frames():
    scores = core.score_dict(["a", "b", "c"], np.array([0.2, 0.5, 0.3]))
    assert scores == {"a": 0.2, "b": 0.5, "c": 0.3}
    with pytest.raises(ValueError):
        core.score_dict(["a", "b"], np.array([1.0]))
    assert core.bar_frame(scores).to_dict("list") == {"genre": ["b", "c", "a"], "probability": [0.5, 0.3, 0.2]}
    windows = pd.DataFrame({"start_s": [0.0, 3.0], "end_s": [3.0, 6.0], "a": [0.1, 0.1], "b": [0.6, 0.2], "c": [0.3, 0.7]})
    frame = core.timeline_frame(windows, ["a", "b", "c"], top=2)
    assert list(frame["genre"]) == ["c", "c", "b", "b"] and list(frame["time_s"]) == [1.5, 4.5, 1.5, 4.5]
    assert core.user_message(RuntimeError("boom")).startswith("Unexpected error (RuntimeError)")


# ----------------------------------------------------------------------------------------------
# musicnn's tags beside the genres


def test_tags_are_of_the_middle_at_16_khz_and_sit_beside_the_genres(tmp_path):
    model = fake_model()
    model.tagger = core.Tagger(FakeExtractor(), top=2, seconds=4.0)
    result = core.classify_upload(model, write_tone(tmp_path / "ten.wav", 10.0))
    assert result.top == "classical" and model.tagger.extractor.lengths == [4 * 16000]  # the middle 4 s, resampled
    panel = result.tags
    assert panel.middle and panel.seconds == pytest.approx(4.0) and panel.note is None
    assert [t for t, _ in panel.tags["MSD_musicnn"]][0] == "jazz" and len(panel.tags["MTT_musicnn"]) == 2
    assert panel.tags["MTT_musicnn"][0] == ("piano", pytest.approx(0.9))
    text = result.tags_markdown()
    assert text.startswith("**musicnn tags** (of the middle 0:04)")
    assert "| genre & mood (MSD) | instruments & voice (MTT) |" in text and "| jazz 90% | piano 90% |" in text

    # a short track is tagged whole; shorter than one musicnn patch, a note replaces the tags
    whole = core.classify_upload(model, write_tone(tmp_path / "three.wav", 3.4)).tags
    assert not whole.middle and "(of 0:03)" in whole.markdown()
    short = core.classify_upload(model, write_tone(tmp_path / "blip.wav", 1.5))
    assert short.top == "classical" and short.scores  # the genres are still there
    assert short.tags.tags == {} and "too short for musicnn" in short.tags.note
    assert short.tags_markdown().startswith("**musicnn tags**: none for this audio: too short for musicnn")

    # tags off: no panel text; tags asked for but unavailable: the note says what to run
    assert core.classify_upload(fake_model(), tmp_path / "ten.wav").tags_markdown() == ""
    unavailable = fake_model()
    unavailable.tag_note = "unavailable: run it"
    assert core.classify_upload(unavailable, tmp_path / "ten.wav").tags_markdown() == "**musicnn tags**: unavailable: run it"


def test_tagger_that_cannot_load_leaves_a_note_not_a_crash(tmp_path, monkeypatch, caplog):
    offline(monkeypatch, tmp_path)
    with caplog.at_level(logging.WARNING, logger="genrekit.app"):
        tagger, note = core.load_tagger()
    assert tagger is None and core.FETCH_COMMAND in note and core.FETCH_COMMAND in caplog.text
    with pytest.raises(ConfigError):
        core.Tagger(FakeExtractor(), top=0)


def test_warm_up_runs_the_tagger_too():
    model = fake_model()
    model.tagger = core.Tagger(FakeExtractor())
    assert core.warm_up(model) > 0
    assert model.predictor.calls[0]["n"] == 2 * 8000  # one model window
    assert model.tagger.extractor.lengths == [30 * 16000]  # what a request's middle is tagged on


def test_page_has_a_tag_panel_beside_the_genres():
    app = load_app_module()
    demo = app.build_demo(fake_model(), limits=core.UploadLimits())
    config = demo.get_config_file()
    ids = {c.get("props", {}).get("elem_id") for c in config["components"]}
    assert {"top-genres", "tags", "genre-bars", "status"} <= ids
    assert "run-picker" not in ids  # only with a picker (no run configured)
    # a synthetic-trained model still gets its warning: synthetic_note's text
    [note] = [c["props"] for c in config["components"] if c.get("props", {}).get("elem_id") == "synthetic-note"]
    assert note["visible"] and fake_model().synthetic_note in note["value"]


def test_every_genre_keeps_one_colour_across_uploads():
    colours = core.genre_colour_map(["blues", "classical", "rock"])
    assert list(colours) == ["blues", "classical", "rock"] and len(set(colours.values())) == 3
    assert all(c.startswith("#") and len(c) == 7 for c in colours.values())
    assert core.genre_colour_map(["blues", "classical", "rock"]) == colours  # label order, not answer order

    app = load_app_module()
    model = fake_model()
    config = app.build_demo(model, limits=core.UploadLimits()).get_config_file()
    plots = {c["props"].get("elem_id"): c["props"] for c in config["components"]
             if c.get("props", {}).get("elem_id") in ("genre-bars", "timeline")}
    assert set(plots) == {"genre-bars", "timeline"}
    for props in plots.values():
        assert props["color"] == "genre" and props["color_map"] == model.colours
        assert set(props["color_map"]) == set(model.labels)


def test_help_shows_the_host_and_port_defaults(capsys, monkeypatch):
    app = load_app_module()
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    monkeypatch.delenv("GRADIO_SERVER_PORT", raising=False)
    with pytest.raises(SystemExit):
        app.parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 127.0.0.1" in text and "(default: 7860" in text
    assert "--runs-dir DIR" in text and "env GENREKIT_RUNS" in text


def test_page_without_a_model_shows_what_to_run(tmp_path, capsys):
    app = load_app_module()
    demo = app.build_demo(None, limits=core.UploadLimits(), problem=core.no_model_message())
    text = json.dumps(demo.get_config_file())
    assert "python space/app.py --train-default" in text and "genrekit pretrained fetch musicnn" in text
    assert "classify" not in {d.get("api_name") for d in demo.get_config_file()["dependencies"]}
    # a model that is configured but missing stops the app at once, saying why
    assert app.main(["--run", str(tmp_path / "no-such-run"), "--port", "1"]) == 2
    assert "no-such-run: not a run folder" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------
# a real tiny model, trained by the app's one-command path


def test_examples_are_small_mp3_clips():
    assert [p.stem for p in EXAMPLES] == ["classical", "disco", "metal", "reggae"]
    for path in EXAMPLES:
        assert path.stat().st_size < 200_000
        assert load_audio(path, sr=None).shape[0] == pytest.approx(10 * 22050, abs=2000)


def test_trained_default_model_is_found_offline_and_serves_the_examples(app_run, tmp_path, monkeypatch):
    monkeypatch.setenv("GENREKIT_RUNS", str(app_run.parents[1]))
    attempts = offline(monkeypatch, tmp_path)
    model = core.load_app_model(environ={}, tags=True)  # nothing configured, no musicnn: the trained default run
    assert len(attempts) == 1  # pip is not asked again for the tags
    assert model.tagger is None and core.FETCH_COMMAND in model.tag_note
    card = model.cards[0]
    assert (card.source, card.family, card.model) == (str(app_run), "classic", "logreg")
    recorded = json.loads((app_run / "metrics.json").read_text())["test"]
    assert card.test_accuracy == pytest.approx(recorded["accuracy"]) and card.n_test == recorded["n"]
    assert f"test accuracy **{recorded['accuracy']:.3f}** (95% interval " in model.markdown()
    low, high = card.accuracy_interval
    assert low <= recorded["accuracy"] <= high
    assert model.window_seconds == 3.0
    assert core.warm_up(model) > 0

    predictor = load_predictor(app_run)
    for path in EXAMPLES:
        result = core.classify_upload(model, path)
        y = load_audio(path, sr=predictor.sample_rate)
        assert result.top == predictor.predict_array(y, predictor.sample_rate).genre
        assert sum(result.scores.values()) == pytest.approx(1.0)
        assert result.timeline is not None and result.timeline["time_s"].nunique() == 4  # 10 s in 3 s windows
        assert result.tags_markdown().startswith("**musicnn tags**: unavailable")

    # the same run twice is an ensemble that votes exactly like the run alone
    pair = core.load_app_model(f"{app_run},{app_run}")
    assert len(pair.cards) == 2 and "ensemble of 2 runs" in pair.markdown()
    alone = core.classify_upload(model, EXAMPLES[0]).scores
    assert core.classify_upload(pair, EXAMPLES[0]).scores == pytest.approx(alone)


def test_hub_model_is_a_run_folder_from_the_hub(app_run, tmp_path, monkeypatch):
    import huggingface_hub

    asked = []
    monkeypatch.setattr(huggingface_hub, "snapshot_download", lambda repo_id, **kw: asked.append(repo_id) or str(app_run))
    model = core.load_app_model("hf:someone/genre-run")
    assert asked == ["someone/genre-run"]
    assert model.cards[0].source == "hf:someone/genre-run" and model.cards[0].model == "logreg"

    monkeypatch.setattr(huggingface_hub, "snapshot_download", lambda repo_id, **kw: str(tmp_path))
    with pytest.raises(RunError, match="hf:someone/not-a-run: not a genrekit run folder"):
        core.load_app_model("hf:someone/not-a-run")

    def offline(repo_id, **kw):
        raise OSError("We couldn't connect to 'https://huggingface.co'")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", offline)
    with pytest.raises(ConfigError, match="could not load the model of 'someone/genre-run'"):
        core.load_app_model("hf:someone/genre-run")


# ----------------------------------------------------------------------------------------------
# the run picker (no run configured: the default model, and the runs under the runs folder)


def test_picker_lists_the_runs_folder_newest_first_with_readable_labels(tmp_path):
    root = tmp_path / "runs"
    older = fake_run(root / "20250101-000000-xgb-gtzan-xgboost-gtzan")
    nested = fake_run(root / "app-default" / "20260101-000000-app-default-logreg-synthetic", split_kind="leaky-chunks")
    (root / "20270101-000000-unfinished").mkdir()  # no run.json: not a run
    broken = root / "20240101-000000-broken"
    broken.mkdir()
    (broken / "run.json").write_text("{}")  # a run.json, but no config or labels
    runs = core.list_runs(root)
    assert [Path(r.key) for r in runs] == [nested.resolve(), older.resolve(), broken.resolve()]
    assert [r.label for r in runs] == [
        "app-default/20260101-000000-app-default-logreg-synthetic · xgboost on gtzan · test accuracy 0.812 (leaky split)",
        "20250101-000000-xgb-gtzan-xgboost-gtzan · xgboost on gtzan · test accuracy 0.812",
        "20240101-000000-broken · unreadable run record",
    ]
    assert core.list_runs(tmp_path / "none") == []

    zero = tmp_path / "zero-shot"
    zero.mkdir()
    info = RunInfo(family="classic", model="musicnn-zeroshot", input="features", dataset="none", split_kind="none",
                   extra={"zero_shot": True})
    write_run_record(zero, info=info, config=ExperimentConfig(name="musicnn-zeroshot"), labels=["blues", "rock"])
    assert core.run_label(zero) == "zero-shot · musicnn-zeroshot, zero-shot · no test score"


def test_picker_keeps_the_model_when_a_run_cannot_be_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("GENREKIT_RUNS", str(tmp_path / "runs"))
    listed = fake_run(tmp_path / "runs" / "20250101-000000-xgb-gtzan")  # a record, but no model inside
    start = fake_model()
    picker = core.ModelPicker(start)  # the runs folder of genrekit.paths
    key = str(listed.resolve())
    assert picker.root == tmp_path / "runs" and [run.key for run in picker.runs] == [key]
    assert picker.choices[0] == ("fake · fake (default)", picker.start_key)
    assert picker.choices[1] == (core.run_label(listed, root=picker.root), key)
    assert picker.model(None) is start and picker.model(picker.start_key) is start

    failed = picker.select(key)
    assert failed.key == picker.start_key and failed.model is start
    assert failed.error.startswith("Could not load 20250101-000000-xgb-gtzan (") and "\n" not in failed.error
    assert failed.error.endswith("still serving fake · fake (default).")
    # only listed runs load: the key comes from the browser
    outside = fake_run(tmp_path / "elsewhere")
    refused = picker.select(str(outside.resolve()))
    assert refused.model is start and "is not a run under" in refused.error
    # runs trained since start-up appear when the list is read again
    later = fake_run(tmp_path / "runs" / "20260101-000000-xgb-gtzan")
    assert [k for _, k in picker.refresh()][1:] == [str(later.resolve()), key]


def test_picker_loads_a_run_on_demand_and_switches_back_at_once(app_run, tmp_path):
    from genrekit.app import picker as picker_module

    root = tmp_path / "runs"
    synthetic = copy_run(app_run, root / "20250101-000000-tiny-logreg-synthetic", dataset="synthetic")
    real = copy_run(app_run, root / "app-default" / "20260101-000000-tiny-logreg-gtzan", dataset="gtzan")
    broken = copy_run(app_run, root / "20240101-000000-tiny-logreg-broken", dataset="gtzan")
    (broken / "model.safetensors").write_bytes(b"not weights")
    start = fake_model()
    start.tagger = core.Tagger(FakeExtractor())
    picker = core.ModelPicker(start, root=root)
    labels = dict((k, label) for label, k in picker.choices)
    assert labels[str(real.resolve())].startswith("app-default/20260101-000000-tiny-logreg-gtzan · logreg on gtzan · "
                                                  "test accuracy ")

    loads = []
    real_load = picker_module.load_predictor
    picker_module.load_predictor = lambda folder: loads.append(Path(folder).name) or real_load(folder)
    try:
        first = picker.select(str(synthetic.resolve()), current=picker.start_key)
        second = picker.select(str(real.resolve()), current=first.key)
        again = picker.select(str(synthetic.resolve()), current=second.key)
        failed = picker.select(str(broken.resolve()), current=again.key)
    finally:
        picker_module.load_predictor = real_load
    assert loads == [synthetic.name, real.name, broken.name]  # each run loaded once, when first chosen
    assert first.error is None and again.model is first.model and picker.model(second.key) is second.model
    # the chosen run's card, colours and synthetic note, and the start model's tagger
    for selection, folder in ((first, synthetic), (second, real)):
        model = selection.model
        assert model.cards[0].source == str(folder) and model.cards[0].model == "logreg"
        assert model.colours == core.genre_colour_map(model.labels) and set(model.colours) != set(start.colours)
        assert model.tagger is start.tagger
    assert first.model.synthetic_note.startswith("This model was trained on genrekit's synthetic genre set only")
    assert second.model.synthetic_note is None
    # a run that fails to load keeps the model that was serving, with one line saying why
    assert failed.key == again.key and failed.model is first.model
    assert failed.error.startswith(f"Could not load {broken.name} (") and "\n" not in failed.error
    assert failed.error.endswith(f"still serving {labels[str(synthetic.resolve())]}.")

    clip = EXAMPLES[0]
    assert core.classify_upload(second.model, clip).scores == pytest.approx(expected_answers(real, [clip])[str(clip)])

    # started on one of the runs (--train-default): listed once, as the default, already loaded
    own = core.load_app_model(str(real))
    started = core.ModelPicker(own, root=root)
    assert [key for _, key in started.choices] == [run.key for run in started.runs]
    assert dict((key, label) for label, key in started.choices)[str(real.resolve())].endswith(" (default)")
    assert started.select(str(real.resolve())).model is own


def test_page_offers_the_runs_and_the_choice_follows(app_run, tmp_path):
    root = tmp_path / "runs"
    run = copy_run(app_run, root / "20250101-000000-tiny-logreg-gtzan", dataset="gtzan")
    key = str(run.resolve())
    app = load_app_module()
    start = fake_model()
    picker = core.ModelPicker(start, root=root)
    demo = app.build_demo(start, limits=core.UploadLimits(), picker=picker)
    config = demo.get_config_file()
    [dropdown] = [c["props"] for c in config["components"] if c.get("props", {}).get("elem_id") == "run-picker"]
    assert dropdown["visible"] and dropdown["value"] == picker.start_key
    assert [list(choice) for choice in dropdown["choices"]] == [list(choice) for choice in picker.choices]

    choose = next(f.fn for f in demo.fns.values() if f.api_name == "choose_model")
    serving, _, card, note, _, bars, timeline, status, _ = choose(key, picker.start_key)
    chosen = picker.model(key)
    assert serving == key and card == chosen.markdown() and "Now serving" in status
    assert not note.visible  # trained on gtzan: no synthetic note
    assert bars.color_map == timeline.color_map == chosen.colours != start.colours
    serving, *_ = choose(picker.start_key, key)
    assert serving == picker.start_key  # back to the default, already loaded

    classify = next(f.fn for f in demo.fns.values() if f.api_name == "classify")
    scores, *_ = classify(str(EXAMPLES[0]), key)
    assert scores == pytest.approx(expected_answers(run, [EXAMPLES[0]])[str(EXAMPLES[0])])
    assert set(classify(str(EXAMPLES[0]), picker.start_key)[0]) == set(start.labels)


# ----------------------------------------------------------------------------------------------
# the zero-shot default on real recordings

@pytest.fixture(scope="module")
def zero_shot_app(musicnn_weights) -> core.AppModel:
    """What ``python space/app.py`` serves with nothing configured: the zero-shot model with tags,
    warmed up, with torch's threads shared out as the app shares them (two requests at a time)."""
    import torch

    before = torch.get_num_threads()
    core.share_cores(load_app_module().CONCURRENCY_LIMIT)
    model = core.load_app_model(environ={}, tags=True)
    core.warm_up(model)
    yield model
    torch.set_num_threads(before)


def test_share_cores_gives_each_request_its_cores():
    import torch

    before = torch.get_num_threads()
    try:
        assert core.share_cores(2, cores=2, environ={}) == 1
        assert core.share_cores(4, cores=2, environ={}) == 1
        assert core.share_cores(1, cores=2, environ={}) == 2
        assert core.share_cores(1, cores=2, environ={"OMP_NUM_THREADS": "1"}) == 2  # left alone
    finally:
        torch.set_num_threads(before)


def test_zero_shot_default_answers_a_real_recording_with_tags(zero_shot_app, real_audio, tmp_path, monkeypatch):
    # how fast it answers is measured (see the app's README), not asserted: the machine is shared
    card = zero_shot_app.cards[0]
    assert card.zero_shot and card.model == "musicnn-zeroshot" and zero_shot_app.synthetic_note is None
    assert "zero-shot" in zero_shot_app.markdown() and zero_shot_app.tagger is not None
    # 30 s from the middle of Vibe Ace (jazz/lounge), re-encoded as Ogg Vorbis like an upload
    sr = 22050
    y = load_audio(real_audio / "Kevin_MacLeod_-_Vibe_Ace.ogg", sr=sr)
    start = (len(y) - 30 * sr) // 2
    clip = write_audio(tmp_path / "vibe-ace-30s.ogg", y[start : start + 30 * sr], sr)

    from genrekit.pretrained import musicnn

    forward = musicnn.Musicnn.forward
    calls = []
    monkeypatch.setattr(musicnn.Musicnn, "forward", lambda net, x: calls.append(len(x)) or forward(net, x))
    result = core.classify_upload(zero_shot_app, clip)
    assert result.top == "jazz" and result.timeline is None and result.seconds == pytest.approx(30.0, abs=0.05)
    assert calls == [10, 10]  # genres and tags read the same ten patches: each model ran once
    # a minute: genres of its two 30 s pieces, the timeline's two 30 s windows (the same patches) and
    # the tags of the middle 30 s: twenty patches, then ten, per model
    calls.clear()
    start = (len(y) - 60 * sr) // 2
    minute = core.classify_upload(zero_shot_app, write_audio(tmp_path / "vibe-ace-60s.ogg", y[start : start + 60 * sr], sr))
    assert minute.timeline["time_s"].nunique() == 2 and minute.tags.middle
    assert calls == [20, 20, 10, 10]
    msd = [tag for tag, _ in result.tags.tags["MSD_musicnn"]]
    assert len(msd) == core.TAG_COUNT and "jazz" in msd
    assert len(result.tags.tags["MTT_musicnn"]) == core.TAG_COUNT
    assert not result.tags.middle and "| genre & mood (MSD) |" in result.tags_markdown()


def test_real_recordings_too_short_for_musicnn(zero_shot_app, real_audio, app_run):
    robin = real_audio / "456440__inspectorj__bird-whistling-robin-single-13.ogg"  # 2.7 s
    assert load_audio(robin, sr=None).shape[0] / 22050 < MIN_SECONDS
    # the zero-shot model cannot score it either: the user is told why, naming the file
    with pytest.raises(AudioError) as info:
        core.classify_upload(zero_shot_app, robin)
    assert "too short for musicnn" in core.user_message(info.value) and robin.name in core.user_message(info.value)
    # a model that can score it still shows its genres, with a note instead of the tags
    small = core.AppModel(predictor=load_predictor(app_run), cards=[core.ModelCard.from_run(app_run)],
                             tagger=zero_shot_app.tagger)
    result = core.classify_upload(small, robin)
    assert sum(result.scores.values()) == pytest.approx(1.0)
    assert "too short for musicnn: 2.7" in result.tags_markdown()
    # 5.3 s of trumpet: one musicnn patch is enough for both
    trumpet = core.classify_upload(zero_shot_app, real_audio / "sorohanro_-_solo-trumpet-06.ogg")
    assert trumpet.top == "jazz" and trumpet.tags.note is None and trumpet.tags.tags["MSD_musicnn"]
