"""Shared fixtures: tiny synthetic genre sets, tiny trained runs and the app's test server, each made
once per test session (once per xdist worker), and the per-module torch thread setting.

Plain helpers (signals, dataset trees, the training and serving code behind these fixtures) are in
``fixtures.py``.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest

# The default suite runs two xdist workers on two cores. With each worker's torch, BLAS and
# OpenMP using every core, their spinning threads fight (a musicnn run took 67 s instead of 10 s):
# one thread per worker, and per process it starts (notebook kernels, torchrun). Set before torch
# is imported; a test that needs more threads sets them itself.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(_variable, "1")

# Keep every test's outputs out of the checkout.
os.environ.setdefault("MPLBACKEND", "Agg")

SHARED = Path(__file__).resolve().parents[2] / "shared"
SHARED_DATA = SHARED / "data"


@pytest.fixture(scope="session", autouse=True)
def _isolated_paths(tmp_path_factory):
    """Point every genrekit default path at a temporary home, so tests never write into the checkout.

    Session-scoped: pytest sets up wider-scoped fixtures first, so a function-scoped version would
    come too late for module-scoped fixtures, which then read and wrote the checkout's ``data/``.
    """
    home = tmp_path_factory.getbasetemp() / "genrekit-home"
    with pytest.MonkeyPatch.context() as patch:
        for name in ("GENREKIT_DATA", "GENREKIT_CACHE", "GENREKIT_STORE", "GENREKIT_RUNS", "GENREKIT_OUTPUTS"):
            patch.delenv(name, raising=False)
        patch.setenv("GENREKIT_HOME", str(home))
        yield home


@pytest.fixture(scope="session", autouse=True)
def _librosa_compiled_once():
    """librosa's compiled modules loaded under genrekit's inter-process lock before this worker's
    first test: two workers compiling them at once can break numba's cache for good
    (:mod:`genrekit.features.numba_cache`)."""
    from genrekit.features.numba_cache import load_librosa

    load_librosa()


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same random state (Python, numpy's global generator, torch's), so
    unseeded draws and weight initialisations do not depend on what ran before on the worker."""
    random.seed(0)
    import numpy as np

    np.random.seed(0)
    if "torch" in sys.modules:  # tests that draw with torch have imported it; others need not pay for it
        sys.modules["torch"].manual_seed(0)


@pytest.fixture(scope="session")
def tiny_synth(tmp_path_factory) -> Path:
    """10 genres x 8 clips x 6 s of the synthetic set (GTZAN 'genres_original' layout), seed 0."""
    from genrekit.data.synth import generate_synthetic

    out = tmp_path_factory.mktemp("tiny-synth")
    generate_synthetic(out, clips_per_genre=8, seconds=6.0, sr=22050, seed=0, progress=False)
    return out


@pytest.fixture(scope="session")
def shared_gtzan() -> Path:
    """The reference GTZAN split lists and Sturm's index from ../shared (skip when absent)."""
    root = SHARED_DATA / "gtzan"
    if not root.is_dir():
        pytest.skip("../shared/data/gtzan is not present")
    return root


@pytest.fixture(scope="session")
def real_audio() -> Path:
    """../shared/real_audio: a dozen freely licensed real recordings (skip when absent)."""
    root = SHARED / "real_audio"
    if not root.is_dir():
        pytest.skip("../shared/real_audio is not present")
    return root


@pytest.fixture(scope="session")
def musicnn_weights() -> Path:
    """The musicnn weights, fetched through pip once per machine (skip when PyPI cannot be reached).

    They live in the user-level pretrained cache (not under the isolated GENREKIT_HOME), so the
    suite, its xdist workers and later runs on the same machine fetch them at most once.
    """
    from genrekit.pretrained.weights import WeightsError, fetch_musicnn

    try:
        paths = fetch_musicnn(progress=False)
    except WeightsError as exc:
        pytest.skip(f"musicnn weights unavailable: {exc}")
    return paths[0].parent


@pytest.fixture(scope="module")
def one_torch_thread():
    """One intra-op torch thread for a module's tests and its module-scoped fixtures; the count
    restored after. Use with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``: module
    scoped, so it is set up before the module's own module-scoped fixtures that train."""
    from fixtures import single_torch_thread

    with single_torch_thread():
        yield


@pytest.fixture(scope="session")
def warm_handcrafted() -> None:
    """librosa's numba paths compiled once per process, before the first timed or forked extraction."""
    from genrekit.features.handcrafted import warm_up

    warm_up()


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory) -> Path:
    """10 genres x 10 clips x 6 s of the synthetic set, seed 0 (the torch network tests' set)."""
    from genrekit.data.synth import generate_synthetic

    return generate_synthetic(tmp_path_factory.mktemp("torch-synth-10x6s"), clips_per_genre=10, seconds=6.0, seed=0,
                              progress=False)


@pytest.fixture(scope="session")
def synth_index(synth_root):
    """:func:`synth_root` loaded and split at random 50/20/30 tracks (seed 0): 30 test tracks."""
    from genrekit.data.datasets import load_dataset
    from genrekit.data.splits import assign_splits

    return assign_splits(load_dataset(str(synth_root), progress=False), kind="random", seed=0, valid_fraction=0.2,
                         test_fraction=0.3)


@pytest.fixture(scope="session")
def tiny_runs(tmp_path_factory) -> dict[str, Path]:
    """{model: run folder} of logreg, cnn-spec and cnn-mfcc trained on 4 genres x 20 clips x 4 s
    (:func:`fixtures.train_tiny_runs`): the inference and album tests' models. Read-only."""
    from fixtures import train_tiny_runs

    return train_tiny_runs(tmp_path_factory.mktemp("tiny-runs"))


@pytest.fixture(scope="session")
def app_run(tmp_path_factory, tiny_synth: Path) -> Path:
    """The app's tiny default model, trained by ``space/app.py --train-default`` on :func:`tiny_synth`
    (:func:`fixtures.train_app_run`). Read-only: tests that change a run copy it first."""
    from fixtures import train_app_run

    return train_app_run(tmp_path_factory.mktemp("app-runs"), tiny_synth)


@pytest.fixture(scope="session")
def app_url(app_run, tmp_path_factory) -> str:
    """One ``python space/app.py`` server of :func:`app_run` with the test limits, shared by the
    browser and load tests and stopped at the end of the session.

    Starting the app costs imports and numba compilation (10-20 s on two cores).
    """
    from fixtures import TEST_SERVER_ENV, serve_app

    log = tmp_path_factory.mktemp("app-server") / "app.log"
    with serve_app(app_run, log_path=log, env=TEST_SERVER_ENV) as url:
        yield url
