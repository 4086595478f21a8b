"""CLAP through transformers, offline: a tiny random checkpoint written here stands in for the hub.

Its embeddings mean nothing about music; the tests check the mechanics: shapes, windowing of long
audio, the zero-shot rule, the run round trip and the offline message. The code path is the one a
hub name takes (``ClapModel.from_pretrained`` on a folder instead of a name).
"""

from __future__ import annotations

import numpy as np
import pytest

from fixtures import tone
from genrekit.config import FeatureConfig, load_config
from genrekit.errors import ConfigError
from genrekit.features import kinds
from genrekit.pretrained import clap as clap_mod


@pytest.fixture(scope="module")
def tiny_clap(tmp_path_factory):
    return clap_mod.make_random_clap(tmp_path_factory.mktemp("tiny-clap"), tiny=True)


def test_long_audio_is_windowed_at_the_input_length_and_averaged(tiny_clap):
    model = clap_mod.Clap(str(tiny_clap), device="cpu")
    assert model.window_seconds == 10.0 and model.dim == 16
    assert model.processor.feature_extractor.truncation == "rand_trunc"  # unfused
    y = tone(25.0, clap_mod.SAMPLE_RATE, 330.0, noise_amp=0.05)
    size = 10 * clap_mod.SAMPLE_RATE
    windows = model.audio_embeddings([y[:size], y[size : 2 * size], y[2 * size :]])
    np.testing.assert_allclose(np.linalg.norm(windows, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(model.embed_signal(y), windows.mean(axis=0), atol=1e-6)
    assert not np.allclose(model.embed_signal(y), model.embed_signal(y[:size]))  # not cut to the first 10 s


def test_clap_feature_kind_rows(tiny_clap):
    cfg = FeatureConfig(kind="clap", checkpoint=str(tiny_clap))
    assert kinds.sample_rate(cfg, load_config().data) == 48000
    assert kinds.feature_names(cfg) == [f"clap_{i:03d}" for i in range(16)]
    frame = kinds.extract_chunked(tone(12.0, 48000, 330.0, noise_amp=0.05), sr=48000, cfg=cfg, chunk_seconds=4.0)
    assert list(frame["chunk"]) == [0, 1, 2] and frame.shape == (3, 2 + 16)
    with pytest.raises(ConfigError, match="not one of CLAP's"):
        kinds.check(FeatureConfig(kind="clap", embedding="taggram"))
    with pytest.raises(ConfigError, match="not a CLAP save_pretrained folder"):
        kinds.check(FeatureConfig(kind="clap", checkpoint="/nonexistent/clap"))


def test_zero_shot_follows_the_text_and_round_trips(tiny_clap, tiny_synth, tmp_path):
    from genrekit.data.audio import load_audio
    from genrekit.inference import load_predictor
    from genrekit.results import collect_results
    from genrekit.runs import read_run
    from genrekit.train import train

    config = load_config(None, [f"data.source=gtzan:{tiny_synth}", "data.split=random", "data.clip_seconds=6.0",
                                "model.name=clap-zeroshot", f"model.checkpoint={tiny_clap}", f"runs_dir={tmp_path}"])
    run = train(config, progress=False)
    record = read_run(run)
    assert record.config.features.kind == "clap" and record.config.features.checkpoint == str(tiny_clap)
    assert list(collect_results(tmp_path)["model"]) == ["clap-zeroshot"]
    predictor = load_predictor(run)
    clip = sorted(tiny_synth.rglob("*.wav"))[0]
    prediction = predictor.predict_file(clip)
    assert prediction.probabilities.sum() == pytest.approx(1.0)
    # the rule by hand: softmax of CLAP's logit scale x cosine(audio, prompt-averaged genre text)
    model = clap_mod.Clap(str(tiny_clap), device="cpu")
    audio = model.embed_signal(load_audio(clip, sr=48000, middle=6.0))
    text = model.genre_embeddings(record.labels)
    z = model.logit_scale * (audio / np.linalg.norm(audio)) @ text.T
    expected = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    np.testing.assert_allclose(prediction.probabilities, expected, atol=1e-5)


def test_hub_names_resolve_and_offline_says_what_to_do(monkeypatch, tmp_path):
    assert clap_mod.resolve(None) == clap_mod.DEFAULT_CHECKPOINT
    assert clap_mod.resolve("clap-htsat-unfused") == "laion/clap-htsat-unfused"
    assert clap_mod.prompt_name("hiphop") == "hip hop"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ConfigError, match="HF_HOME"):
        clap_mod.Clap("genrekit-tests/no-such-clap", device="cpu")


def test_a_probe_on_a_tiny_clap_goes_through_evaluate_results_and_album(tiny_clap, tiny_synth, tmp_path):
    from genrekit.cli import main
    from genrekit.rescore import rescore_run
    from genrekit.results import collect_results
    from genrekit.runs import read_run
    from genrekit.train import train

    config = load_config(None, [f"data.source=gtzan:{tiny_synth}", "data.split=random", "data.clip_seconds=6.0",
                                "model.name=logreg", "features.kind=clap", f"features.checkpoint={tiny_clap}",
                                "train.search=false", f"runs_dir={tmp_path / 'runs'}"])
    run = train(config, progress=False)
    again = rescore_run(run, progress=False)
    assert again["accuracy"] == pytest.approx(read_run(run).metrics["test"]["accuracy"])
    row = collect_results(tmp_path / "runs").iloc[0]
    assert row["input"] == f"clap {tiny_clap.name} embedding"
    album = tmp_path / "album"
    album.mkdir()
    for clip in sorted(tiny_synth.rglob("*.wav"))[:2]:
        (album / clip.name).write_bytes(clip.read_bytes())
    assert main(["album", str(album), "--run", str(run), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert len(list((tmp_path / "out").rglob("tracks.csv"))) == 1
