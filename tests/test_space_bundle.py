"""The deployable Space folder (genrekit.space_bundle, ``genrekit space build``).

The central test builds a bundle from a tiny trained run and runs the bundle's own app module in a
fresh interpreter whose working directory is the bundle, the way a Space starts ``python app.py``:
the bundle's copy of genrekit must be the one imported (not the editable install of this
checkout), and it must classify an example clip as the run does here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from fixtures import APP, EXAMPLES_DIR, ROOT, expected_answers
from genrekit import app as core
from genrekit.cli import main as cli_main
from genrekit.ensemble import DESCRIPTOR_KIND as ENSEMBLE_KIND
from genrekit.ensemble import ENSEMBLE_FILE
from genrekit.errors import ConfigError, RunError
from genrekit.runs import descriptor_format
from genrekit.space_bundle import CPU_VARIANTS, TORCH_INDEX, build_space, space_requirements

# one worker runs the modules that share the trained app run, so it is trained once
pytestmark = pytest.mark.xdist_group("app-run")

#: An example clip the tiny test model gets right (it calls some others wrong: 8 clips per genre).
CLIP = EXAMPLES_DIR / "metal.mp3"


@pytest.fixture(scope="module")
def bundle(app_run, tmp_path_factory) -> Path:
    return build_space(tmp_path_factory.mktemp("space") / "bundle", runs=[app_run], progress=False)


def _bundle_python(bundle: Path, code: str, home: Path) -> dict:
    """Run ``code`` in a fresh interpreter inside the bundle, as a Space runs app.py; return its JSON."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", core.ENV_RUNS, "GENREKIT_RUNS")}
    env.update(GENREKIT_HOME=str(home), GRADIO_ANALYTICS_ENABLED="False", PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run([sys.executable, "-c", code], cwd=bundle, env=env, capture_output=True, text=True, timeout=180,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


SERVE_CLIP = """
import importlib.machinery, json, os, sys
import app                                  # the bundle's app.py: sys.path[0] is the bundle
import genrekit
from genrekit import app as core
model = core.load_app_model(app_dir=app.APP_DIR)    # what app.main() loads, with no --run and no env
result = core.classify_upload(model, app.EXAMPLES_DIR / "{clip}")
demo = app.build_demo(model, limits=core.UploadLimits())
# the genrekit this interpreter would import without the bundle: the checkout's install
elsewhere = importlib.machinery.PathFinder.find_spec("genrekit", [p for p in sys.path if p not in ("", os.getcwd())])
print(json.dumps({{"genrekit": genrekit.__file__, "core": core.__file__,
                  "elsewhere": elsewhere and elsewhere.origin,
                  "sources": [c.source for c in model.cards], "top": result.top, "scores": result.scores,
                  "apis": [d.get("api_name") for d in demo.get_config_file()["dependencies"]]}}))
"""


def test_bundle_serves_its_run_with_its_own_copy_of_genrekit(bundle, app_run, tmp_path):
    # the layout a Space needs, and nothing the app does not
    assert (bundle / "app.py").read_bytes() == APP.read_bytes()
    readme = (bundle / "README.md").read_text()
    header = re.match(r"---\n(.*?)\n---\n", readme, flags=re.DOTALL).group(1)
    assert "sdk: gradio" in header and "app_file: app.py" in header
    assert f"models/{app_run.name}" in readme  # the note under the header names what it serves
    assert sorted(p.name for p in (bundle / "examples").iterdir()) == sorted(p.name for p in EXAMPLES_DIR.glob("*.mp3"))
    package = Path(core.__file__).parent  # the app's logic, genrekit/app/, copied module for module
    for module in package.glob("*.py"):
        assert (bundle / "genrekit" / "app" / module.name).read_bytes() == module.read_bytes()
    assert not list(bundle.rglob("__pycache__")) and not list(bundle.rglob("*.pyc"))
    assert (bundle / "requirements.txt").read_text() == space_requirements()
    assert json.loads((bundle / core.SPACE_FILE).read_text())["runs"] == [f"models/{app_run.name}"]
    copied = {p.name for p in (bundle / "models" / app_run.name).iterdir()}
    assert {"run.json", "config.toml", "labels.json", "metrics.json", "model.json", "model.safetensors"} <= copied
    assert not any(name.endswith(".png") or name in ("checkpoints", "tracks.csv") for name in copied)

    answer = _bundle_python(bundle, SERVE_CLIP.format(clip=CLIP.name), home=tmp_path / "empty-home")
    # the bundle's copy wins over this checkout's editable install (sys.path[0] is the bundle)
    assert Path(answer["genrekit"]).resolve() == bundle / "genrekit" / "__init__.py"
    assert Path(answer["core"]).resolve().parent == bundle / "genrekit" / "app"
    if answer["elsewhere"] is not None:  # an editable (.pth) or regular install was on sys.path too
        assert bundle not in Path(answer["elsewhere"]).resolve().parents
    assert answer["sources"] == [str(bundle / "models" / app_run.name)]
    assert "classify" in answer["apis"]
    assert answer["top"] == CLIP.stem
    assert answer["scores"] == pytest.approx(expected_answers(app_run, [CLIP])[str(CLIP)], abs=1e-6)


def test_requirements_parse_pin_torch_and_match_the_committed_file():
    text = space_requirements()
    committed = (ROOT / "space" / "requirements.txt").read_text()
    assert committed == text, "space/requirements.txt is stale: run 'genrekit space requirements > space/requirements.txt'"
    assert "YOUR-ORG" not in text and "git+" not in text
    options = [line for line in text.splitlines() if line.startswith("-")]
    assert options == [f"--extra-index-url {TORCH_INDEX}"]
    requirements = [Requirement(line) for line in text.splitlines() if line.strip() and not line.startswith(("#", "-"))]
    assert all(r.url is None for r in requirements)
    names = [r.name for r in requirements]
    assert len(names) == len(set(names)) and "gradio" not in names

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {Requirement(r).name for r in project["dependencies"] + project["optional-dependencies"]["hf"]}
    # the same import packages, CPU-only builds where one exists (xgboost-cpu installs 'xgboost')
    assert set(names) == {CPU_VARIANTS.get(name, name) for name in wanted - {"gradio"}}
    assert "xgboost" not in names
    pinned = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines() if line.startswith("torch")]
    assert [str(r) for r in requirements if r.name == "torch"] == pinned


def test_out_dir_must_be_new_empty_or_an_earlier_bundle(tmp_path):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("keep me")
    with pytest.raises(ConfigError, match=r"busy: folder is not empty.*--overwrite"):
        build_space(busy, progress=False)
    with pytest.raises(ConfigError, match=r"busy: not empty and not an earlier Space bundle"):
        build_space(busy, overwrite=True, progress=False)
    assert (busy / "notes.txt").read_text() == "keep me"
    with pytest.raises(ConfigError, match="not a folder"):
        build_space(busy / "notes.txt", progress=False)

    # an empty folder is fine, and an earlier bundle is replaced with --overwrite only
    out = tmp_path / "empty"
    out.mkdir()
    assert build_space(out, progress=False) == out.resolve()
    assert json.loads((out / core.SPACE_FILE).read_text())["runs"] == []
    (out / "stale.txt").write_text("from an older build")
    with pytest.raises(ConfigError, match="folder is not empty"):
        build_space(out, progress=False)
    build_space(out, overwrite=True, progress=False)
    assert not (out / "stale.txt").exists() and (out / "app.py").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging folder left behind


def test_a_folder_that_is_not_a_run_is_refused_by_name(tmp_path, capsys):
    stray = tmp_path / "holiday-photos"
    stray.mkdir()
    (stray / "beach.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(RunError, match=re.escape(f"{stray}: not a complete run folder (run.json is missing)")):
        build_space(tmp_path / "out", runs=[stray], progress=False)
    assert not (tmp_path / "out").exists()
    # the command line says the same and exits 2
    assert cli_main(["space", "build", str(tmp_path / "out"), "--run", str(tmp_path / "no-such-run"), "--quiet"]) == 2
    assert f"{tmp_path / 'no-such-run'}: not a run folder (does not exist)" in capsys.readouterr().err


def test_an_ensemble_run_brings_its_members(app_run, tmp_path, capsys):
    # an ensemble run of one member that sits beside it; the recorded absolute path is gone, as on a Space
    runs = tmp_path / "runs"
    shutil.copytree(app_run, runs / app_run.name)
    ensemble = runs / "my-ensemble"
    ensemble.mkdir()
    for name in ("config.toml", "labels.json", "metrics.json"):
        shutil.copy(app_run / name, ensemble / name)
    info = json.loads((app_run / "run.json").read_text()) | {"family": "ensemble", "model": "ensemble(logreg)"}
    (ensemble / "run.json").write_text(json.dumps(info))
    (ensemble / ENSEMBLE_FILE).write_text(json.dumps({
        "format": descriptor_format(ENSEMBLE_KIND), "weights": [1.0],
        "members": [{"run": app_run.name, "path": str(tmp_path / "gone"), "model": "logreg", "family": "classic"}],
    }))
    out = tmp_path / "space"
    assert cli_main(["space", "build", str(out), "--run", str(ensemble), "--quiet"]) == 0
    assert "hf upload USER/SPACE" in capsys.readouterr().out
    assert sorted(p.name for p in (out / "models").iterdir()) == sorted([app_run.name, "my-ensemble"])
    assert json.loads((out / core.SPACE_FILE).read_text())["runs"] == ["models/my-ensemble"]

    shutil.rmtree(runs)  # the bundle alone must serve it
    model = core.load_app_model(environ={}, app_dir=out)
    assert [card.source for card in model.cards] == [str(out / "models" / "my-ensemble")]
    assert core.classify_upload(model, CLIP).scores == pytest.approx(expected_answers(app_run, [CLIP])[str(CLIP)])


def test_bundled_runs_come_after_run_and_env_and_before_the_default(tmp_path, monkeypatch):
    monkeypatch.setenv("GENREKIT_RUNS", str(tmp_path / "no-runs"))
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    assert core.bundled_sources(app_dir) == []
    with pytest.raises(core.NoModelError):
        core.model_sources(environ={}, app_dir=app_dir)
    (app_dir / core.SPACE_FILE).write_text(json.dumps(
        {"format": core.SPACE_FORMAT, "runs": ["models/a", "hf:org/b"]}))
    bundled = [str((app_dir / "models" / "a").resolve()), "hf:org/b"]
    assert core.model_sources(environ={}, app_dir=app_dir) == bundled
    assert core.model_sources(environ={core.ENV_RUNS: "/env/run"}, app_dir=app_dir) == ["/env/run"]
    assert core.model_sources("/arg/run", environ={}, app_dir=app_dir) == ["/arg/run"]
    (app_dir / core.SPACE_FILE).write_text('{"runs": "models/a"}')
    with pytest.raises(ConfigError, match=re.escape(f"{app_dir / core.SPACE_FILE}: not a genrekit-space/1")):
        core.model_sources(environ={}, app_dir=app_dir)


def test_space_help_shows_how_to_deploy(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli_main(["space", "build", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "--run RUN" in text and "--overwrite" in text and "hf upload USER/SPACE" in text
