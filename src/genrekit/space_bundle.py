"""A deployable Hugging Face Space: the Gradio app, genrekit itself and the runs it serves, in one folder.

A Space is a git repository of its own holding only the app's folder, and genrekit is neither on
PyPI nor at a public git URL, so the Space has to carry genrekit with it. :func:`build_space`
writes such a folder::

    OUT/
        README.md          # space/README.md: the Space's YAML header (sdk, sdk_version, app_file)
        app.py             # space/app.py, unchanged
        examples/          # space/examples/*.mp3
        requirements.txt   # genrekit's third-party dependencies (space_requirements())
        genrekit/          # a copy of the package source; beside app.py it is what `import genrekit` finds
        space.json         # the runs to serve, relative to OUT (read by genrekit.app.bundled_sources)
        models/<run>/      # each run folder, without its checkpoints/, plots and training tables

Upload it with ``hf upload USER/SPACE OUT . --type space``. The app, its examples and the Space
README are read from the ``space/`` folder of the genrekit checkout this module is imported from
(an editable install or ``src/`` on the path), since they are not package data; the package
copied is the one imported, so the bundle runs exactly the code that built it.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import genrekit
from genrekit.app.sources import SPACE_FILE, SPACE_FORMAT
from genrekit.errors import ConfigError, RunError
from genrekit.inference import HUB_PREFIX, load_predictor
from genrekit.runs import read_run

#: Where a Space installs torch from: CPU wheels, since the free hardware has no GPU and the CUDA
#: wheels are about 2 GB larger.
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
#: Optional dependency groups of pyproject.toml the app needs: 'hf' serves fine-tuned transformers.
SPACE_EXTRAS = ("hf",)
#: Installed by the Space builder itself, at the README's ``sdk_version``; listing it would clash.
NOT_LISTED = ("gradio",)
#: CPU-only builds of the same import package: xgboost's Linux wheel pulls in CUDA's NCCL (~200 MB),
#: useless on a Space without a GPU. ``xgboost-cpu`` installs the same ``xgboost`` module.
CPU_VARIANTS = {"xgboost": "xgboost-cpu"}
#: Copied from ``space/`` into the bundle.
APP_FILES = ("app.py", "README.md")
EXAMPLES_FOLDER = "examples"
MODELS_FOLDER = "models"
PACKAGE_FOLDER = "genrekit"
#: Parts of a run folder that inference never reads: resumable training state, plots, and the
#: training tables (``tracks.csv`` also holds the paths of the training audio on the build machine).
RUN_SKIPPED = ("checkpoints", "*.png", "tracks.csv", "history.csv", "search.csv", "feature_importance.csv",
               "predictions.csv")
_PACKAGE_SKIPPED = ("__pycache__", "*.pyc", "*.pyo")
_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def checkout_root() -> Path:
    """The genrekit checkout this package was imported from (the folder holding ``space/`` and ``src/``).

    Raises
    ------
    ConfigError
        If genrekit is not imported from a checkout (e.g. a wheel install), where ``space/`` is missing.
    """
    package = Path(genrekit.__file__).resolve().parent
    root = package.parent.parent  # src/genrekit -> src -> checkout
    missing = [str(root / p) for p in ("pyproject.toml", "requirements.txt", "space/app.py", "space/README.md")
               if not (root / p).is_file()]
    if package.parent.name != "src" or missing:
        raise ConfigError(
            f"building a Space needs a genrekit source checkout (space/ and pyproject.toml beside src/); "
            f"genrekit is imported from {package}, and {', '.join(missing) or 'it is not under src/'} is missing. "
            "Install the checkout with 'pip install -e .' and build from there."
        )
    return root


def space_requirements(root: str | Path | None = None) -> str:
    """The ``requirements.txt`` of a Space bundle, derived from the checkout's packaging files.

    genrekit's runtime dependencies and those of :data:`SPACE_EXTRAS`, as ``pyproject.toml``
    lists them, except gradio (:data:`NOT_LISTED`); torch is pinned as in the top-level
    ``requirements.txt`` and installed from the CPU wheel index (:data:`TORCH_INDEX`). The
    repository's ``space/requirements.txt`` is this text (a test keeps it so).

    Parameters
    ----------
    root : str or Path, optional
        The checkout (default :func:`checkout_root`).

    Returns
    -------
    str
        The file's text, newline-terminated.

    Raises
    ------
    ConfigError
        If ``pyproject.toml`` lacks a dependency list or ``requirements.txt`` lacks a torch pin.
    """
    import tomllib

    root = Path(root) if root is not None else checkout_root()
    pyproject = root / "pyproject.toml"
    try:
        project = tomllib.loads(pyproject.read_text())["project"]
        groups = [("", project["dependencies"])]
        groups += [(extra, project["optional-dependencies"][extra]) for extra in SPACE_EXTRAS]
    except (tomllib.TOMLDecodeError, KeyError) as exc:
        raise ConfigError(f"{pyproject}: cannot read the dependencies ({type(exc).__name__}: {exc})") from None
    torch_pin = _torch_pin(root / "requirements.txt")
    lines = [
        "# Generated by `genrekit space requirements` from pyproject.toml and requirements.txt; do not edit.",
        "# What a Space built by `genrekit space build` installs: genrekit's third-party dependencies",
        "# (genrekit itself is copied beside app.py). gradio is not listed: the Space builder installs",
        "# it at README.md's sdk_version. See README.md, \"Deploying as a Space\".",
        "# CPU wheels of torch: the free Space hardware has no GPU, and the CUDA wheels are 2 GB larger.",
        f"--extra-index-url {TORCH_INDEX}",
    ]
    seen = set()
    for extra, requirements in groups:
        if extra:
            lines.append(f"# extra '{extra}'")
        for requirement in requirements:
            name = _requirement_name(requirement)
            if name in NOT_LISTED or name in seen:
                continue
            seen.add(name)
            if name == "torch":
                lines.append(torch_pin)
            elif name in CPU_VARIANTS:
                lines.append(CPU_VARIANTS[name] + requirement.strip()[len(name):])
            else:
                lines.append(requirement.strip())
    return "\n".join(lines) + "\n"


def _requirement_name(requirement: str) -> str:
    """The normalised distribution name of a PEP 508 requirement ('scikit-learn>=1.3' -> 'scikit-learn')."""
    match = _NAME.match(requirement.strip())
    return re.sub(r"[-_.]+", "-", match.group(0)).lower() if match else ""


def _torch_pin(requirements_txt: Path) -> str:
    for line in requirements_txt.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if _requirement_name(line) == "torch":
            return line
    raise ConfigError(f"{requirements_txt}: no torch requirement to pin the Space's torch to")


def build_space(
    out_dir: str | Path,
    *,
    runs: Sequence[str | Path] = (),
    overwrite: bool = False,
    progress: bool = True,
    verify: bool = True,
) -> Path:
    """Write a self-contained Hugging Face Space folder: app, examples, genrekit and the runs to serve.

    Parameters
    ----------
    out_dir : str or Path
        The folder to write; it must not exist or be empty, unless ``overwrite``.
    runs : sequence of str or Path
        Run folders (``genrekit train`` / ``genrekit evaluate --ensemble`` output) to copy under
        ``models/`` and serve by default; several make a soft-voting ensemble. The members of an
        ensemble run are copied beside it. An entry ``hf:ORG/NAME`` is not copied: the Space
        downloads that hub run at start-up. With no runs the Space serves nothing until the
        Space variable ``GENREKIT_APP_RUNS`` or ``GENREKIT_APP_TRAIN_IF_MISSING=1`` says otherwise.
    overwrite : bool
        Replace ``out_dir`` if it holds an earlier bundle (a folder with ``space.json``). Any other
        non-empty folder is refused even then, so a typo cannot delete unrelated files.
    progress : bool
        Show a progress bar.
    verify : bool
        Load each copied run folder once, so a run that the trimmed copy cannot serve fails here
        and not on the Space.

    Returns
    -------
    Path
        ``out_dir``, resolved.

    Raises
    ------
    RunError
        A run folder does not exist or is not a complete run (the message names it), or an
        ensemble member cannot be found.
    ConfigError
        ``out_dir`` is a file, is not empty (without ``overwrite``), is not an earlier bundle
        (with it), or lies inside a folder the bundle copies; two runs share a folder name; or
        genrekit is not imported from a checkout (:func:`checkout_root`).
    """
    from tqdm.auto import tqdm

    root = checkout_root()
    space = root / "space"
    package = Path(genrekit.__file__).resolve().parent
    out = Path(out_dir).expanduser().resolve()
    served, copies = _plan_runs(runs)
    for source in [space, package, *copies.values()]:
        if out == source or source in out.parents:
            raise ConfigError(f"{out}: cannot build a Space inside {source}, which the Space copies")
    _check_out_dir(out, overwrite=overwrite)
    requirements = space_requirements(root)

    out.parent.mkdir(parents=True, exist_ok=True)
    # build beside the target and move it into place at the end: a failed build leaves no half Space
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    steps = tqdm(total=4 + len(copies), desc="space bundle", unit="step", disable=not progress)
    try:
        for name in APP_FILES:
            shutil.copy2(space / name, staging / name)
        _note_in_readme(staging / "README.md", served)
        examples = staging / EXAMPLES_FOLDER
        examples.mkdir()
        for clip in sorted((space / EXAMPLES_FOLDER).glob("*.mp3")):
            shutil.copy2(clip, examples / clip.name)
        steps.update()
        shutil.copytree(package, staging / PACKAGE_FOLDER, ignore=shutil.ignore_patterns(*_PACKAGE_SKIPPED))
        steps.update()
        (staging / "requirements.txt").write_text(requirements)
        steps.update()
        for name, source in copies.items():
            steps.set_postfix_str(name)
            shutil.copytree(source, staging / MODELS_FOLDER / name, ignore=shutil.ignore_patterns(*RUN_SKIPPED))
            steps.update()
        description = {"format": SPACE_FORMAT, "genrekit": genrekit.__version__, "runs": served}
        (staging / SPACE_FILE).write_text(json.dumps(description, indent=2) + "\n")
        if verify:
            _verify(staging, copies)
        steps.update()
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        steps.close()
    return out


def _plan_runs(runs: Sequence[str | Path]) -> tuple[list[str], dict[str, Path]]:
    """What ``space.json`` lists (``models/<name>`` or ``hf:`` ids) and which folders to copy, by name."""
    if isinstance(runs, (str, Path)):
        runs = [runs]
    served: list[str] = []
    copies: dict[str, Path] = {}

    def add(folder: Path) -> str:
        name = folder.name
        if name in copies and copies[name] != folder:
            raise ConfigError(f"two runs to bundle are both named {name!r} ({copies[name]} and {folder}); rename one")
        copies[name] = folder
        return name

    for run in runs:
        text = str(run).strip()
        if text.startswith(HUB_PREFIX):
            served.append(text)
            continue
        folder = Path(text).expanduser().resolve()
        try:
            record = read_run(folder)
        except RunError as exc:
            raise RunError(f"{exc}; pass run folders written by 'genrekit train' (they hold run.json)") from None
        entry = f"{MODELS_FOLDER}/{add(folder)}"
        if entry not in served:
            served.append(entry)
        if record.info.family == "ensemble":
            for member in _ensemble_members(folder):
                add(member)
    return served, copies


def _ensemble_members(run_dir: Path) -> list[Path]:
    """The member run folders of an ensemble run, found as its loader finds them.

    They are copied beside the ensemble under ``models/``, where the loader looks when the
    recorded absolute path (on the build machine) does not exist.
    """
    # imports scikit-learn only when needed
    from genrekit.ensemble import ENSEMBLE_FILE

    path = run_dir / ENSEMBLE_FILE
    try:
        members = json.loads(path.read_text())["members"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RunError(f"{path}: cannot read the ensemble's members ({exc})") from None
    found = []
    for member in members:
        candidates = [Path(member["path"]), run_dir.parent / member["run"]]
        folder = next((c for c in candidates if (c / "run.json").is_file()), None)
        if folder is None:
            raise RunError(f"{run_dir}: member run {member['run']} not found (looked in {', '.join(map(str, candidates))})")
        found.append(folder.resolve())
    return found


def _check_out_dir(out: Path, *, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: exists and is not a folder")
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not overwrite:
        raise ConfigError(f"{out}: folder is not empty; choose a new folder or pass --overwrite (overwrite=True) "
                          "to replace an earlier Space bundle")
    if not (out / SPACE_FILE).is_file():
        raise ConfigError(f"{out}: not empty and not an earlier Space bundle (no {SPACE_FILE}); "
                          "refusing to delete it, choose a new folder")


def _note_in_readme(readme: Path, served: list[str]) -> None:
    """Say, below the Space's YAML header, what the bundle is and which runs it serves."""
    text = readme.read_text()
    match = re.match(r"---\n.*?\n---\n", text, flags=re.DOTALL)
    if match is None:
        raise ConfigError(f"{readme}: no Space YAML header (a block between '---' lines) at the top")
    runs = (", ".join(f"`{r}`" for r in served) if served
            else "none, so set a Space variable (see \"Deploying as a Space\")")
    note = (
        f"\n> This folder was built by `genrekit space build`: `genrekit/` is a copy of genrekit "
        f"{genrekit.__version__}, `requirements.txt` its dependencies, and `{SPACE_FILE}` names the runs "
        f"it serves: {runs}. Here, run the app with `pip install gradio -r requirements.txt` and `python app.py`.\n"
    )
    readme.write_text(text[: match.end()] + note + text[match.end():])


def _verify(bundle: Path, copies: dict[str, Path]) -> None:
    for name, source in copies.items():
        try:
            load_predictor(bundle / MODELS_FOLDER / name)
        except RunError as exc:
            raise RunError(f"{source}: its copy in the Space cannot be loaded ({exc})") from None
