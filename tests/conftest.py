"""Shared fixtures: a tiny synthetic genre set generated once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
        for name in ("GENREKIT_DATA", "GENREKIT_CACHE", "GENREKIT_RUNS", "GENREKIT_OUTPUTS"):
            patch.delenv(name, raising=False)
        patch.setenv("GENREKIT_HOME", str(home))
        yield home


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
