"""The main job: dataset -> split -> features -> models -> results table (``genrekit run``).

By default it runs on the generated synthetic genre set, so it works with no download; pass a
GTZAN or FMA path to run on real data. :func:`run_main_job` takes the same options as the
command, for notebooks and tests.
"""

from __future__ import annotations

import copy
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from genrekit import paths
from genrekit.config import ExperimentConfig, load_config
from genrekit.data.splits import LEAKY_SPLIT, SplitWarning
from genrekit.errors import ConfigError
from genrekit.models import registry
from genrekit.prepare import prepare_features

#: Models trained when none are named.
DEFAULT_MODELS = ("logreg", "xgboost")

#: Feature kinds the feature-based models are trained on, side by side: the hand-crafted set and
#: the embedding of MSD_musicnn, a CNN trained on real music (a probe of it).
DEFAULT_FEATURES = ("handcrafted", "musicnn-msd")

#: Size of the synthetic set under ``quick`` (clips per genre, seconds per clip). Forty clips
#: give four artists per genre (one per ten clips), enough to hold out whole artists.
QUICK_SYNTHETIC = (40, 5.0)

#: Validation and test shares under ``quick`` on the synthetic set: with four artists per genre,
#: 25 % each puts one held-out artist of every genre in validation and one in test.
QUICK_FRACTIONS = (0.25, 0.25)

#: Tracks per genre kept from a real dataset under ``quick``.
QUICK_LIMIT_PER_GENRE = 20

#: Chunk length used for the leaky comparison when no chunk length is given.
DEFAULT_LEAKY_CHUNK_SECONDS = 3.0


@dataclass
class JobResult:
    """What :func:`run_main_job` did.

    Attributes
    ----------
    table : pd.DataFrame
        This job's rows of :func:`genrekit.results.collect_results`.
    markdown : str
        The same table as Markdown (with the leaky footnote when needed).
    runs : list of Path
        The run folders written, in training order.
    files : dict
        Paths of the written ``results.md`` / ``results.csv``.
    seconds : float
        Wall time of the whole job.
    comparisons : list of genrekit.compare.Comparison
        The best track-level run, chosen on validation, against each other one on the same test
        tracks, with Holm-adjusted p-values (:func:`genrekit.compare.compare_with_best`).
    """

    table: pd.DataFrame
    markdown: str
    runs: list[Path] = field(default_factory=list)
    files: dict = field(default_factory=dict)
    seconds: float = 0.0
    comparisons: list = field(default_factory=list)


def job_config(
    *,
    data: str | None = None,
    quick: bool = False,
    split: str | None = None,
    chunk_seconds: float | None = None,
    with_leaky: bool = False,
    config: str | Path | ExperimentConfig | None = None,
    overrides: Sequence[str] = (),
    runs_dir: str | Path | None = None,
) -> ExperimentConfig:
    """The base config of a job: file or object, ``overrides``, then the explicit arguments."""
    if isinstance(config, ExperimentConfig):
        base = copy.deepcopy(config)
        if overrides:
            raise ConfigError("pass overrides with a config file, or edit the ExperimentConfig object directly")
    else:
        base = load_config(config, list(overrides))
    if base.name == "experiment":
        base.name = "job"
    if data is not None:
        base.data.source = data
    if split is not None:
        base.data.split = split
    if chunk_seconds is not None:
        base.data.chunk_seconds = chunk_seconds
    if runs_dir is not None:
        base.runs_dir = str(runs_dir)
    if quick:
        if base.data.source == "synthetic":
            base.data.synthetic_clips, base.data.synthetic_seconds = QUICK_SYNTHETIC
            base.data.valid_fraction, base.data.test_fraction = QUICK_FRACTIONS
        else:
            base.data.limit_per_genre = base.data.limit_per_genre or QUICK_LIMIT_PER_GENRE
    if with_leaky and not base.data.chunk_seconds:
        # The leaky row is only comparable with track-level rows trained on the same chunks, and
        # only leaks if a track has several chunks: short (quick) clips get shorter chunks.
        clip = base.data.clip_seconds or float("inf")
        if base.data.source == "synthetic":
            clip = min(clip, base.data.synthetic_seconds)
        base.data.chunk_seconds = min(DEFAULT_LEAKY_CHUNK_SECONDS, clip / 5)
    if base.data.split == LEAKY_SPLIT:
        raise ConfigError(
            "the main job scores track-level splits; ask for the leaky comparison with --with-leaky "
            "(or train it alone: genrekit train --split leaky-chunks --chunk-seconds 3)"
        )
    return base


def run_main_job(
    *,
    data: str | None = None,
    quick: bool = False,
    models: Sequence[str] | str = DEFAULT_MODELS,
    features: Sequence[str] | str = DEFAULT_FEATURES,
    split: str | None = None,
    chunk_seconds: float | None = None,
    with_leaky: bool = False,
    config: str | Path | ExperimentConfig | None = None,
    overrides: Sequence[str] = (),
    runs_dir: str | Path | None = None,
    out_dir: str | Path | None = None,
    progress: bool = True,
    echo: Callable[[str], None] | None = print,
) -> JobResult:
    """Load a dataset, split it, extract features, train ``models`` and tabulate the results.

    Parameters
    ----------
    data : str, optional
        Dataset source (default: the config's, i.e. ``'synthetic'``); e.g. ``'gtzan:~/data/gtzan'``.
    quick : bool
        A small run: the synthetic set at 40 clips/genre x 5 s with a 50/25/25 split (see
        :data:`QUICK_SYNTHETIC`), or 20 tracks per genre of a real dataset.
    models : sequence of str or str
        Registered model names, or one comma-separated string.
    features : sequence of str or str
        Feature kinds (``features.kind``) every feature-based model is trained on, one run each
        (default: hand-crafted features and the MSD_musicnn embedding); networks on spectrograms
        or waveforms, and models that fix their own features (``musicnn-zeroshot``), run once.
    split : str, optional
        Split kind (default: the config's, 'auto': artist-grouped when artists are known).
    chunk_seconds : float, optional
        Train on chunks of this length; predictions are averaged per track before scoring.
    with_leaky : bool
        Also train every model under the leaky protocol and add those rows, labelled LEAKY, for
        comparison. Without ``chunk_seconds`` every run uses 3 s chunks (a fifth of the clip for
        clips under 15 s), so the track-level rows see the same chunks.
    config : str or Path or ExperimentConfig, optional
        Base experiment config (file or object); the arguments above override it.
    overrides : sequence of str
        ``section.field=value`` overrides applied to a config file. ``model.params`` apply to
        the model named by ``model.name`` only; other models use their default grids.
    runs_dir : str or Path, optional
        Where run folders go (default: the config's, else :func:`genrekit.paths.runs_dir`).
    out_dir : str or Path, optional
        Also write this job's table there (``results.md``, ``results.csv``). The table of all
        runs under the runs folder is refreshed either way.
    progress : bool
        Show progress bars.
    echo : callable or None
        Receives progress lines (``print`` by default; None for silence).

    Returns
    -------
    JobResult
    """
    # imports scikit-learn only when needed
    from genrekit.compare import compare_with_best, format_against_best
    from genrekit.results import collect_results, to_markdown, write_results

    # imports torch only when needed
    from genrekit.train import train

    say = echo or (lambda line: None)
    started = time.perf_counter()
    names = [m.strip() for m in models.split(",")] if isinstance(models, str) else [str(m).strip() for m in models]
    names = [n for n in names if n]
    if not names:
        raise ConfigError("no models to train; e.g. --models logreg,xgboost")
    specs = [registry.get_model(n) for n in names]  # fails early on a typo
    feature_kinds = _names(features) or [None]
    base = job_config(
        data=data,
        quick=quick,
        split=split,
        chunk_seconds=chunk_seconds,
        with_leaky=with_leaky,
        config=config,
        overrides=overrides,
        runs_dir=runs_dir,
    )
    runs_root = Path(base.runs_dir) if base.runs_dir else paths.runs_dir()
    plan = []  # (model, split kind, feature kind or None)
    for split_kind in [base.data.split] + ([LEAKY_SPLIT] if with_leaky else []):
        for spec in specs:
            per_kind = _uses_feature_kinds(spec, base)
            plan += [(spec.name, split_kind, kind) for kind in (feature_kinds if per_kind else [None])]
    chunks = f", chunks of {base.data.chunk_seconds:g} s" if base.data.chunk_seconds else ""
    say(f"genrekit run: {base.data.source}{' (quick)' if quick else ''}, split {base.data.split}{chunks}; "
        f"{len(plan)} runs: {', '.join(_describe(m, s, k) for m, s, k in plan)}")

    prepared = None
    kinds_needed = list(dict.fromkeys(k for _, _, k in plan if k is not None))
    for kind in kinds_needed:
        say(f"[1] dataset, split and {kind} features (cached after the first run)")
        t0 = time.perf_counter()
        cfg = copy.deepcopy(base)
        cfg.features.kind = kind
        prepared = prepare_features(cfg, progress=progress)
        counts = prepared.counts()
        say(
            f"    {prepared.dataset}: {len(prepared.labels)} genres, {len(prepared.feature_columns)} {kind} features, "
            f"tracks train/valid/test {counts['train']}/{counts['valid']}/{counts['test']} "
            f"({prepared.split_kind} split), {len(prepared.frame)} rows, {len(prepared.problems)} files skipped "
            f"[{time.perf_counter() - t0:.1f} s]"
        )

    run_dirs = []
    for step, (name, kind, feature_kind) in enumerate(plan, start=2):
        cfg = copy.deepcopy(base)
        # Hyper-parameters in the config belong to the model it names; the others keep their defaults.
        if name != base.model.name:
            cfg.model.params = {}
        cfg.model.name = name
        cfg.data.split = kind
        if feature_kind is not None:
            cfg.features.kind = feature_kind
        if kind == LEAKY_SPLIT:
            cfg.name = f"{base.name}-leaky"
        # the split actually made ('artist' without known artists is 'random')
        shown = prepared.split_kind if prepared is not None and kind == base.data.split else kind
        say(f"[{step}] {_describe(name, shown, feature_kind)}{' (LEAKY comparison)' if kind == LEAKY_SPLIT else ''}")
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            if prepared is not None:
                # step [1] warned already; each model prepares the same split again
                warnings.simplefilter("ignore", SplitWarning)
            run_dir = train(cfg, progress=progress)
        run_dirs.append(run_dir)
        say(f"    {run_dir.name} [{time.perf_counter() - t0:.1f} s]")

    everything = collect_results(runs_root)
    mine = {str(p) for p in run_dirs}
    table = everything[everything["path"].isin(mine)].reset_index(drop=True)
    markdown = to_markdown(table)
    files = write_results(table, out_dir) if out_dir is not None else {}
    write_results(everything, runs_root)
    seconds = time.perf_counter() - started
    pairs = compare_with_best(table)
    say("")
    say(markdown.rstrip("\n"))
    if pairs:
        say("")
        say(format_against_best(pairs).rstrip("\n"))
    say(f"\n{len(run_dirs)} runs in {seconds:.0f} s; all runs: {runs_root / 'results.md'}")
    return JobResult(table=table, markdown=markdown, runs=run_dirs, files=files, seconds=seconds,
                     comparisons=[c for _, _, c in pairs])


def _names(value: Sequence[str] | str) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(v).strip() for v in items if str(v).strip()]


def _uses_feature_kinds(spec, base: ExperimentConfig) -> bool:
    """Whether a model is trained once per feature kind: feature models that do not fix their own."""
    # imports scikit-learn only when needed
    from genrekit.models.classic import CLASSIC_MODELS

    if (base.model.input or spec.default_input) != "features" or "features" not in spec.inputs:
        return False
    fixed = CLASSIC_MODELS.get(spec.name)
    return not (fixed is not None and fixed.features)


def _describe(model: str, split_kind: str, feature_kind: str | None) -> str:
    on = f" on {feature_kind}" if feature_kind else ""
    return f"{model}{on} [{split_kind}]"
