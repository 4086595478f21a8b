"""Default paths: outputs follow GENREKIT_HOME, the shipped configs stay with the checkout."""

from pathlib import Path

from genrekit import paths

CHECKOUT = Path(__file__).resolve().parents[1]


def test_outputs_follow_home_and_their_own_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("GENREKIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GENREKIT_RUNS", str(tmp_path / "elsewhere"))
    assert paths.synthetic_dir() == tmp_path / "home" / "data" / "raw" / "synthetic"
    assert paths.runs_dir() == tmp_path / "elsewhere"


def test_shipped_configs_are_found_whatever_the_home(tmp_path, monkeypatch):
    monkeypatch.setenv("GENREKIT_HOME", str(tmp_path))
    assert paths.configs_dir() == CHECKOUT / "configs"
    assert (paths.configs_dir() / "hf-whisper-small.toml").is_file()
    monkeypatch.setenv("GENREKIT_CONFIGS", str(tmp_path / "mine"))
    assert paths.configs_dir() == tmp_path / "mine"
