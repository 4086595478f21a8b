"""musicnn everywhere a run goes: the embedding feature kinds (probes) and the zero-shot model."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from genrekit.config import DataConfig, FeatureConfig, load_config
from genrekit.errors import ConfigError
from genrekit.features import kinds

# one worker runs the module: its runs share the musicnn embeddings of the tiny set through the
# feature cache, and the network is loaded once
pytestmark = pytest.mark.xdist_group("musicnn-runs")

BRAHMS = "Hungarian_Dance_number_5_-_Allegro_in_F_sharp_minor_(string_orchestra).ogg"
KARISSA = "Karissa_Hobbs_-_Lets_Go_Fishin.ogg"
TRUMPET = "sorohanro_-_solo-trumpet-06.ogg"
BIRD = "456440__inspectorj__bird-whistling-robin-single-13.ogg"


def test_feature_kinds_name_their_columns_and_reject_bad_settings():
    assert len(kinds.feature_names(FeatureConfig())) == 107
    assert len(kinds.feature_names(FeatureConfig(kind="musicnn-msd"))) == 200
    names = kinds.feature_names(FeatureConfig(kind="musicnn", embedding="taggram"))
    assert len(names) == 100 and names[33] == "msd_tag_hip_hop" and names[50] == "mtt_tag_guitar"
    assert len(kinds.feature_names(FeatureConfig(kind="musicnn-mtt", embedding="pools"))) == 1506
    with pytest.raises(ConfigError, match="unknown features.kind"):
        kinds.feature_names(FeatureConfig(kind="vggish"))
    with pytest.raises(ConfigError, match="unknown features.embedding"):
        kinds.feature_names(FeatureConfig(kind="musicnn-msd", embedding="logits"))
    with pytest.raises(ConfigError, match="at least 2.98 s"):
        kinds.check_chunking(FeatureConfig(kind="musicnn-msd"), 2.0, None)
    assert kinds.sample_rate(FeatureConfig(kind="musicnn-mtt"), DataConfig()) == 16000
    assert kinds.sample_rate(FeatureConfig(), DataConfig()) == 22050


def test_handcrafted_cache_key_is_unchanged_by_the_new_fields():
    from genrekit.features.extract import cache_spec

    spec = cache_spec("x", data=DataConfig(), features=FeatureConfig())
    assert "kind" not in spec["features"] and "device" not in spec["features"]
    embedding = cache_spec("x", data=DataConfig(), features=FeatureConfig(kind="musicnn-msd"))
    assert embedding["features"] == {"kind": "musicnn-msd", "embedding": "penultimate"}
    assert embedding["sample_rate"] == 16000


@pytest.fixture(scope="module")
def real_folder(real_audio, tmp_path_factory):
    """A folder: dataset of real recordings, one sub-folder per (listener's) genre, plus a too-short file."""
    root = tmp_path_factory.mktemp("real-folder")
    for genre, names in {"classical": [BRAHMS], "country": [KARISSA], "jazz": [TRUMPET, BIRD]}.items():
        (root / genre).mkdir()
        for name in names:
            shutil.copy(real_audio / name, root / genre / name)
    return root


def test_embedding_rows_are_cached_per_chunk_and_match_the_network(musicnn_weights, real_folder, tmp_path):
    from genrekit.data.audio import load_audio
    from genrekit.data.datasets import load_dataset
    from genrekit.features.extract import extract_dataset
    from genrekit.pretrained.musicnn import MusicnnExtractor

    data = DataConfig(source=f"folder:{real_folder}", chunk_seconds=3.0, clip_seconds=30.0)
    features = FeatureConfig(kind="musicnn-msd")
    index = load_dataset(data.source, data=data, progress=False)
    first = extract_dataset(index, data=data, features=features, cache_root=tmp_path, progress=False)
    assert [p.path.endswith(BIRD) for p in first.problems] == [True]
    assert "too short" in first.problems[0].reason
    rows = first.frame[first.frame["track_id"].str.contains("sorohanro")]
    assert len(rows) == 1 and len(first.feature_columns) == 200  # 5.3 s: one full 3 s chunk
    again = extract_dataset(index, data=data, features=features, cache_root=tmp_path, progress=False)
    assert again.computed == 0 and again.cached == 4
    np.testing.assert_array_equal(again.frame[again.feature_columns].to_numpy(), first.frame[first.feature_columns].to_numpy())
    # a chunk's row is the network's penultimate layer on that chunk
    y = load_audio(real_folder / "jazz" / TRUMPET, sr=16000, middle=30.0)
    direct = MusicnnExtractor(["MSD_musicnn"])(y[:48000])["MSD_musicnn"]["penultimate"].mean(axis=0)
    np.testing.assert_allclose(rows[first.feature_columns].to_numpy()[0], direct, atol=1e-4)


def test_a_probe_on_musicnn_embeddings_learns_the_synthetic_genres(musicnn_weights, tiny_synth, tmp_path):
    from genrekit.inference import load_predictor
    from genrekit.runs import read_run
    from genrekit.train import train

    config = load_config(None, [f"data.source=gtzan:{tiny_synth}", "data.split=random", "data.clip_seconds=6.0",
                                "features.kind=musicnn-msd", "model.name=logreg", f"runs_dir={tmp_path}"])
    run = train(config, progress=False)
    record = read_run(run)
    assert record.config.features.kind == "musicnn-msd"
    assert record.metrics["test"]["accuracy"] >= 0.4  # chance 0.1; 20 test clips
    predictor = load_predictor(run)
    assert predictor.sample_rate == 16000 and "musicnn-msd" in predictor.name


def test_zero_shot_run_is_scored_on_the_test_split_and_used_like_any_run(musicnn_weights, tiny_synth, tmp_path, real_audio):
    from genrekit.inference import load_predictor
    from genrekit.results import collect_results
    from genrekit.runs import read_run
    from genrekit.train import train

    config = load_config(None, [f"data.source=gtzan:{tiny_synth}", "data.split=random", "data.clip_seconds=6.0",
                                "model.name=musicnn-zeroshot", f"runs_dir={tmp_path}"])
    run = train(config, progress=False)
    record = read_run(run)
    assert (record.config.features.kind, record.config.features.embedding) == ("musicnn", "taggram")
    assert record.metrics["split_kind"] == "random" and record.metrics["test"]["n"] >= 10
    table = collect_results(tmp_path)
    assert list(table["model"]) == ["musicnn-zeroshot"]
    predictor = load_predictor(run)
    prediction = predictor.predict_file(real_audio / BRAHMS)
    assert prediction.genre == "classical"
    assert prediction.probabilities.sum() == pytest.approx(1.0)


def test_zero_shot_mapping_knows_gtzan_and_fma_genres():
    from genrekit.pretrained.genre_map import normalise, supported, weight_matrix

    fma = ["Electronic", "Experimental", "Folk", "Hip-Hop", "Instrumental", "International", "Pop", "Rock", "Blues",
           "Classical", "Country", "Easy Listening", "Jazz", "Old-Time / Historic", "Soul-RnB", "Spoken"]
    assert all(supported(g) for g in fma)
    assert normalise("Hip-Hop") == "hiphop" and normalise("R&B") == "soulrnb"
    columns = kinds.feature_names(FeatureConfig(kind="musicnn", embedding="taggram"))
    W = weight_matrix(["hiphop", "classical"], columns)
    assert W[columns.index("msd_tag_hip_hop"), 0] > 0 and W[columns.index("mtt_tag_classical"), 1] > 0
    with pytest.raises(ConfigError, match="no tag mapping for genre.*polka"):
        weight_matrix(["rock", "polka"], columns)


def test_default_zero_shot_answers_real_recordings_sensibly(musicnn_weights, real_audio):
    """The issue's checks on real music: strings classical, the folk song country, the trumpet jazz."""
    from genrekit.inference import load_predictor
    from genrekit.models.zeroshot import default_run

    predictor = load_predictor(default_run())
    assert predictor.predict_file(real_audio / BRAHMS).genre == "classical"
    assert predictor.predict_file(real_audio / KARISSA).genre == "country"
    assert predictor.predict_file(real_audio / TRUMPET).genre in ("jazz", "blues")


def test_predict_without_a_run_uses_the_zero_shot_model(musicnn_weights, real_audio, capsys):
    from genrekit.cli import main

    status = main(["predict", str(real_audio / BRAHMS), str(real_audio / BIRD), "--json", "--top", "1"])
    captured = capsys.readouterr()
    assert status == 1 and "zero-shot musicnn" in captured.err
    out = json.loads(captured.out)
    assert out["model"].startswith("musicnn-zeroshot")
    assert out["files"][0]["top"][0]["genre"] == "classical"
    assert "too short for musicnn" in out["files"][1]["error"]


def test_main_job_puts_probe_rows_next_to_handcrafted_ones(musicnn_weights, tiny_synth, tmp_path):
    from genrekit.pipeline import run_main_job

    result = run_main_job(data=f"gtzan:{tiny_synth}", models="logreg", features="handcrafted,musicnn-msd",
                          split="random", runs_dir=tmp_path, progress=False, echo=None,
                          # the slow features (constant-Q chroma, tempo) and the search add nothing to what is checked
                          overrides=["data.clip_seconds=6.0", "features.chroma_cqt=false", "features.tempo=false",
                                     "train.search=false"])
    assert sorted(result.table["input"]) == ["features", "musicnn-msd embedding"]
    assert set(result.table["model"]) == {"logreg"} and set(result.table["split_kind"]) == {"random"}
    assert "musicnn-msd embedding" in result.markdown
