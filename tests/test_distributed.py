"""Dask: extraction on a 2-worker LocalCluster gives the local path's rows and shares its cache; XGBoost
trained across the cluster learns the synthetic genres on held-out artists and saves an ordinary
XGBoost run; a worker that dies mid-run loses no finished track.

One cluster (two one-thread worker processes) serves the whole module: starting one takes seconds.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")

import dask  # noqa: E402

import genrekit.features.extract as extract  # noqa: E402
from genrekit.cli import main  # noqa: E402
from genrekit.config import DataConfig, ExperimentConfig, FeatureConfig, ModelConfig, TrainConfig  # noqa: E402
from genrekit.data.datasets import load_dataset  # noqa: E402
from genrekit.data.index import TrackIndex  # noqa: E402
from genrekit.errors import ConfigError  # noqa: E402
from genrekit.features.distributed import current_client, dask_client, parse_address  # noqa: E402
from genrekit.features.extract import ID_COLUMNS, extract_dataset  # noqa: E402
from genrekit.features.handcrafted import REFERENCE_RTOL  # noqa: E402
from genrekit.models import registry  # noqa: E402
from genrekit.rescore import rescore_run  # noqa: E402
from genrekit.runs import read_run  # noqa: E402

SCHEDULER = "local:2"
# 1 s chunks: six rows per 6 s clip, enough for XGBoost to generalise across artists.
DATA = DataConfig(chunk_seconds=1.0)
# STFT-derived features only: the same extraction machinery in half the time.
FEATURES = FeatureConfig(tempo=False, hpss=False, tonnetz=False)


@pytest.fixture(scope="module")
def client():
    with dask_client(SCHEDULER) as client:
        client.wait_for_workers(2)
        yield client


@pytest.fixture(scope="module")
def index(tiny_synth) -> TrackIndex:
    return load_dataset(str(tiny_synth), data=DATA, progress=False)


@pytest.fixture(scope="module")
def on_cluster(client, index, tmp_path_factory):
    """The tiny set extracted on the cluster: (FeatureSet, cache root, seconds)."""
    root = tmp_path_factory.mktemp("cluster-cache")
    started = time.perf_counter()
    features = extract_dataset(index, data=DATA, features=FEATURES, cache_root=root, scheduler=SCHEDULER, progress=False, part_size=8)
    seconds = time.perf_counter() - started
    print(f"\ncluster extraction: {features.computed} tracks in {seconds:.1f} s (2 workers, incl. their warm-up)")
    return features, root, seconds


def _subset(index: TrackIndex, every: int) -> TrackIndex:
    return TrackIndex(index.name, index.tracks.iloc[::every].reset_index(drop=True))


def test_addresses_are_parsed_and_checked():
    assert parse_address("local") == ("local", None)
    assert parse_address(" local:3 ") == ("local", 3)
    assert parse_address("tcp://10.0.0.5:8786") == ("remote", None)
    assert parse_address("localhost:8786") == ("remote", None)
    assert parse_address("/shared/scheduler.json") == ("file", None)
    for bad in ("", "local:0", "local:two", "local:8786"):
        with pytest.raises(ConfigError):
            parse_address(bad)


def test_unreachable_scheduler_and_missing_client_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="scheduler file not found"):
        with dask_client(str(tmp_path / "scheduler.json")):
            pass
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(ConfigError, match="no answer"):
            with dask_client("tcp://127.0.0.1:9"):
                pass
    with pytest.raises(ConfigError, match="no Dask cluster"):
        current_client()


def test_cluster_extraction_equals_the_local_path_and_shares_its_cache(on_cluster, index, tmp_path):
    cluster, cluster_root, _ = on_cluster
    assert cluster.computed == len(index.tracks) == 80 and not cluster.problems
    assert len(cluster.frame) == 80 * 6

    # the same tracks extracted locally, in this process
    some = _subset(index, 8)
    started = time.perf_counter()
    local = extract_dataset(some, data=DATA, features=FEATURES, cache_root=tmp_path, workers=1, progress=False)
    print(f"\nlocal extraction: {local.computed} tracks in {time.perf_counter() - started:.1f} s (1 process)")
    mine = cluster.frame[cluster.frame["track_id"].isin(some.tracks["track_id"])].reset_index(drop=True)
    assert local.feature_columns == cluster.feature_columns
    assert mine[ID_COLUMNS].equals(local.frame[ID_COLUMNS])
    # Dask's workers run BLAS single-threaded, which sums in another order: float32 rounding apart
    np.testing.assert_allclose(mine[local.feature_columns], local.frame[local.feature_columns], rtol=REFERENCE_RTOL, atol=1e-8)

    # same folder name and layout: the local path reads the cluster's cache ...
    assert cluster.cache_dir.name == local.cache_dir.name
    assert all(p.name.startswith("part-") and p.suffix == ".parquet" for p in (cluster.cache_dir / "parts").iterdir())
    again = extract_dataset(index, data=DATA, features=FEATURES, cache_root=cluster_root, workers=1, progress=False)
    assert (again.computed, again.cached) == (0, 80)
    assert again.frame.equals(cluster.frame)
    # ... and the cluster path reads the local one (without contacting the cluster)
    back = extract_dataset(some, data=DATA, features=FEATURES, cache_root=tmp_path, scheduler="tcp://127.0.0.1:9", progress=False)
    assert (back.computed, back.cached) == (0, len(some.tracks))


def test_cli_scheduler_option(client, tiny_synth, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GENREKIT_CACHE", str(tmp_path / "cache"))
    args = ["features", str(tiny_synth), "--scheduler", SCHEDULER, "--limit-per-genre", "1", "--chunk-seconds", "1",
            "--set", "features.tempo=false", "--set", "features.hpss=false", "--set", "features.tonnetz=false", "--no-progress"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "10 of 10 usable; 10 read now" in out and f"cluster:  {SCHEDULER}" in out
    assert main(args) == 0
    assert "0 read now, 10 answered from the cache" in capsys.readouterr().out


def test_xgboost_dask_learns_held_out_artists_and_saves_a_classic_run(client, on_cluster, tiny_synth, tmp_path, monkeypatch):
    _, cluster_root, _ = on_cluster
    monkeypatch.setenv("GENREKIT_CACHE", str(cluster_root))  # the features extracted above
    config = ExperimentConfig(
        name="dask",
        runs_dir=str(tmp_path),
        # three artists per genre: about half the tracks train, the rest are the test set (no validation split)
        data=DataConfig(
            source=str(tiny_synth), split="artist", artist_index=str(tiny_synth / "artists.txt"),
            valid_fraction=0.0, test_fraction=0.5, chunk_seconds=DATA.chunk_seconds,
        ),
        features=FEATURES,
        model=ModelConfig(name="xgboost-dask", params={"scheduler": SCHEDULER, "n_estimators": 50, "max_depth": 2, "learning_rate": 0.3}),
        train=TrainConfig(search=False),
    )
    from genrekit.train import train

    started = time.perf_counter()
    run_dir = train(config, progress=False)
    record = read_run(run_dir)
    accuracy = record.metrics["test"]["accuracy"]
    print(f"\nxgboost-dask: test accuracy {accuracy:.3f} on {record.metrics['test']['n']} held-out tracks "
          f"(chance 0.1) in {time.perf_counter() - started:.1f} s")
    assert record.metrics["test"]["n"] == 40 and accuracy >= 0.4

    # an ordinary XGBoost run folder, loaded by the classic family
    names = {p.name for p in run_dir.iterdir()}
    assert {"run.json", "config.toml", "labels.json", "metrics.json", "model.json", "model.ubj", "report.txt",
            "feature_importance.csv"} <= names
    assert (record.info.family, record.info.model, record.info.split_kind) == ("classic", "xgboost-dask", "artist")
    assert record.info.extra["scheduler"] == SCHEDULER and record.info.extra["dask_workers"] == 2
    assert "scheduler" not in record.config.model.params  # the cluster is not an XGBoost parameter
    predictor = registry.get_family(record.info.family).load(run_dir)
    assert predictor.params["n_rounds"] == 50
    assert json.loads((run_dir / "model.json").read_text())["files"] == ["model.ubj"]
    # re-scored on one machine, without the cluster: the same number
    assert rescore_run(run_dir, progress=False)["accuracy"] == accuracy


def test_xgboost_dask_early_stops_on_valid(client):
    """The classic fit on Dask arrays: valid rows scattered too, the booster cut where it stopped."""
    from genrekit.models.classic import fit_classic
    from genrekit.prepare import SplitData

    rng = np.random.default_rng(0)

    def blobs(n, prefix):
        y = np.arange(n) % 3
        X = rng.normal(size=(n, 4)) + 3.0 * np.eye(3, 4)[y]
        return SplitData(X, y, np.array([f"{prefix}{i}" for i in range(n)]))

    train, valid = blobs(300, "a"), blobs(90, "b")
    result = fit_classic("xgboost-dask", train=train, valid=valid, labels=["x", "y", "z"], feature_columns=list("abcd"),
                         params={"n_estimators": 200, "early_stopping_rounds": 5}, search=False, progress=False)
    params = result.predictor.params
    assert params["n_rounds"] < params["rounds_fitted"] <= 200  # stopped early, kept the best trees
    assert result.predictor.exported.files.keys() == {"model.ubj"}
    assert result.valid_metrics["accuracy"] >= 0.9


def _set_allowed_failures(n, dask_scheduler=None):
    old, dask_scheduler.allowed_failures = dask_scheduler.allowed_failures, n
    return old


VICTIM = "metal.00004"


def _killing_work(task):
    """Extract as usual, but the worker process dies on VICTIM (as on a decoder segfault)."""
    if task[0] == VICTIM:
        os._exit(1)
    return extract._work(task)


def test_killed_worker_loses_no_finished_track(client, on_cluster, index, tmp_path, monkeypatch):
    import cloudpickle

    cluster, _, _ = on_cluster
    some = _subset(index, 4)  # 20 tracks, the victim 14th of them
    assert VICTIM in set(some.tracks["track_id"]) and some.tracks["track_id"].tolist().index(VICTIM) == 13
    # the workers cannot import this test module: ship the function itself
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    # Dask retries a task whose worker died (3 times by default); no retry keeps this test short.
    # A task queued behind the victim on the dying worker then fails with it.
    old = client.run_on_scheduler(_set_allowed_failures, 0)
    try:
        with monkeypatch.context() as patch:
            patch.setattr(extract, "_work", _killing_work)
            first = extract_dataset(
                some, data=DATA, features=FEATURES, cache_root=tmp_path, scheduler=SCHEDULER, progress=False, part_size=4
            )
    finally:
        client.run_on_scheduler(_set_allowed_failures, old)
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])

    lost = {p.path: p.reason for p in first.problems}
    victim = str(Path(some.tracks.set_index("track_id").loc[VICTIM, "path"]).resolve())
    assert victim in lost and 1 <= len(lost) <= 2, lost
    assert all("worker died" in reason for reason in lost.values())
    finished = set(first.frame["track_id"])
    assert len(finished) == 20 - len(lost)
    parts_before = {p.name for p in (first.cache_dir / "parts").iterdir()}
    assert len(parts_before) >= 4  # a part every 4 finished tracks
    assert not (first.cache_dir / "problems.jsonl").exists()  # a dead worker is not the file's fault

    second = extract_dataset(some, data=DATA, features=FEATURES, cache_root=tmp_path, scheduler=SCHEDULER, progress=False, part_size=4)
    assert (second.computed, second.cached) == (len(lost), len(finished))  # finished tracks are not redone
    assert parts_before <= {p.name for p in (second.cache_dir / "parts").iterdir()}
    assert not second.problems and set(second.frame["track_id"]) == set(some.tracks["track_id"])
    expected = cluster.frame[cluster.frame["track_id"].isin(some.tracks["track_id"])].reset_index(drop=True)
    np.testing.assert_array_equal(second.frame[cluster.feature_columns], expected[cluster.feature_columns])
