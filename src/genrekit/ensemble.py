"""Scoring soft-voting ensembles of saved runs, and the ``ensemble`` family that loads them back.

:func:`evaluate_ensemble` scores an :class:`~genrekit.inference.Ensemble` of saved runs on the test
tracks the runs share, and writes a run folder of its own, so ``genrekit results`` lists it next
to its members::

    <runs>/<YYYYmmdd-HHMMSS>-ensemble-ensemble-a+b+c-<dataset>/
        run.json          # family 'ensemble', model 'ensemble(a+b+c)'
        config.toml       # the first member's config, model.name = 'ensemble', members and weights
        labels.json
        ensemble.json     # the members (run folder names and paths) and weights
        metrics.json      # the ensemble's scores, and each member's on the same tracks
        report.txt, confusion.png
        predictions.csv   # track_id, path, genre, predicted, one probability column per genre
        tracks.csv        # the tracks scored, with their split (and artist, where the members recorded one)

The runs must come from one dataset and one split kind (refused otherwise): a track is scored only
if it is in the scored split of every member, so no member has seen it in training. Each member
reads a track as its run did (the middle ``data.clip_seconds`` at its sample rate, its own
features or chunks), so the member scores reproduce their ``metrics.json``.

Registering the family ``ensemble`` (loader :func:`load_ensemble_run`) lets
:func:`genrekit.inference.load_predictor` and ``genrekit evaluate`` open such folders like any run.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from genrekit.config import ModelConfig
from genrekit.errors import ConfigError, RunError
from genrekit.evaluate import SCORED_SPLITS, classification_metrics, is_leaky, predict_tracks, split_label, write_run
from genrekit.inference import Ensemble, Predictor, load_predictor
from genrekit.models.registry import Family, register_family
from genrekit.prepare import prepare_index
from genrekit.runs import TRACKS_FILE, RunInfo, new_run_dir, read_descriptor, read_run, write_descriptor, write_tracks

ENSEMBLE_FILE = "ensemble.json"
PREDICTIONS_FILE = "predictions.csv"
#: Descriptor kind of ``ensemble.json`` (format ``genrekit-ensemble/<version>``).
DESCRIPTOR_KIND = "ensemble"


class SavedEnsemble(Ensemble):
    """An :class:`~genrekit.inference.Ensemble` loaded from (or written to) a run folder; it can re-score itself."""

    def __init__(self, predictors: Sequence[Predictor], weights: Sequence[float] | None = None, *, run_dir: Path | None = None):
        super().__init__(predictors, weights)
        self.run_dir = None if run_dir is None else Path(run_dir)

    def rescore(self, *, split: str = "test", progress: bool = True) -> dict:
        """Score again on the members' shared tracks of ``split`` (what ``genrekit evaluate`` calls)."""
        records = [read_run(m.run_dir) for m in self.members]
        tracks, split_kind = shared_tracks(records, split=split, progress=progress)
        scores, _, _, _ = _score(self, tracks, progress=progress)
        return {**scores, "unit": "track", "split": split, "split_kind": split_kind}


def run_tracks(record, *, progress: bool = True) -> pd.DataFrame:
    """The tracks of a run with their split: ``track_id``, ``path``, ``genre``, ``split`` (and
    ``artist`` when the run recorded one).

    From the run's ``tracks.csv`` (every family records one), else, for a run saved before classic
    runs recorded theirs, by splitting the run's dataset as its config says (the split is
    deterministic given the config).
    """
    recorded = Path(record.path) / TRACKS_FILE
    if recorded.is_file():
        tracks = pd.read_csv(recorded, dtype={"track_id": str})
    else:
        tracks = prepare_index(record.config, progress=progress).tracks
    missing = {"track_id", "path", "genre", "split"} - set(tracks.columns)
    if missing:
        raise RunError(f"{record.path}: its track list lacks columns {sorted(missing)}")
    columns = ["track_id", "path", "genre", "split"] + (["artist"] if "artist" in tracks.columns else [])
    return tracks[columns].astype({"track_id": str, "path": str, "genre": str})


def shared_tracks(records, *, split: str = "test", progress: bool = True) -> tuple[pd.DataFrame, str]:
    """Tracks in split ``split`` of every run: ``(tracks, split_kind)``.

    Raises
    ------
    ConfigError
        If the runs differ in dataset or split kind, use the leaky chunk protocol, disagree on a
        track's genre, or share no track of ``split``.
    """
    datasets = {r.info.dataset for r in records}
    kinds = {(r.metrics.get("split_kind") or r.info.split_kind) for r in records}
    names = ", ".join(Path(r.path).name for r in records)
    if len(datasets) > 1:
        raise ConfigError(f"the runs use different datasets ({', '.join(sorted(datasets))}): {names}")
    if len(kinds) > 1:
        raise ConfigError(f"the runs use different split kinds ({', '.join(sorted(map(str, kinds)))}): {names}")
    (kind,) = kinds
    if is_leaky(kind):
        raise ConfigError(f"the runs use the leaky chunk split ({kind}); an ensemble is only scored per track")
    shared = None
    for record in records:
        tracks = run_tracks(record, progress=progress)
        part = tracks[tracks["split"] == split].copy()
        part["key"] = [str(Path(p).resolve()) for p in part["path"]]
        part = part.drop_duplicates("key").set_index("key")
        if shared is None:
            shared = part
            continue
        common = shared.index.intersection(part.index)
        clash = common[shared.loc[common, "genre"].to_numpy() != part.loc[common, "genre"].to_numpy()]
        if len(clash):
            raise ConfigError(f"the runs disagree on the genre of {len(clash)} tracks, e.g. {clash[0]}")
        shared = shared.loc[common]
    if shared is None or shared.empty:
        raise ConfigError(f"the runs share no {split} track ({names}); were they trained with the same split settings?")
    return shared.reset_index(drop=True), str(kind)


def _score(ensemble: Ensemble, tracks: pd.DataFrame, *, progress: bool):
    """Each member predicts each track as its run did; returns (scores, member scores, predictions, problems)."""
    kept, found, problems = predict_tracks(ensemble.member_tracks, tracks, desc="ensemble", progress=progress)
    if kept.empty:
        raise ConfigError("no shared track could be read: " + "; ".join(p["reason"] for p in problems[:3]))
    member_proba = [[row[i] for row in found] for i in range(len(ensemble.members))]
    unknown = sorted(set(kept["genre"]) - set(ensemble.labels))
    if unknown:
        raise ConfigError(f"genres {unknown} of the tracks are not in the ensemble's labels {ensemble.labels}")
    truth = np.array([ensemble.labels.index(g) for g in kept["genre"]])
    stacked = [np.asarray(p) for p in member_proba]
    proba = ensemble.combine(stacked)
    scores = classification_metrics(truth, proba.argmax(axis=1), ensemble.labels, units=kept["track_id"])
    members = []
    for i, (member, p) in enumerate(zip(ensemble.members, stacked)):
        # on the ensemble's label map, so tracks of a genre the member lacks count as its errors
        own = classification_metrics(truth, ensemble.align(i, p).argmax(axis=1), ensemble.labels)
        members.append({"run": member.run, "model": member.name, "family": member.family,
                        "accuracy": own["accuracy"], "macro_f1": own["macro_f1"], "n": own["n"]})
    predictions = kept[["track_id", "path", "genre"]].copy()
    predictions["predicted"] = [ensemble.labels[i] for i in proba.argmax(axis=1)]
    for i, label in enumerate(ensemble.labels):
        predictions[label] = proba[:, i]
    return scores, members, predictions, problems


def evaluate_ensemble(
    run_dirs,
    *,
    weights: Sequence[float] | None = None,
    split: str = "test",
    runs_root: str | Path | None = None,
    progress: bool = True,
) -> Path:
    """Score a soft-voting ensemble of saved runs on their shared tracks and save it as a run.

    Parameters
    ----------
    run_dirs : sequence of str or Path
        Run folders (at least two), from one dataset and split kind.
    weights : sequence of float, optional
        One non-negative weight per run; equal if None.
    split : {'test', 'valid'}
        The split scored (results tables show test scores).
    runs_root : str or Path, optional
        Where the ensemble's run folder goes (default :func:`genrekit.paths.runs_dir`).
    progress : bool
        Show a progress bar over tracks.

    Returns
    -------
    Path
        The new run folder (see the module docstring).

    Raises
    ------
    ConfigError
        Fewer than two runs, bad weights, or runs that do not share dataset, split kind or tracks.
    RunError
        A folder that is not a complete run.
    """
    if split not in SCORED_SPLITS:
        raise ConfigError(f"split must be one of {', '.join(SCORED_SPLITS)}, got {split!r}")
    run_dirs = [Path(r) for r in run_dirs]
    if len(run_dirs) < 2:
        raise ConfigError("an ensemble needs at least two runs")
    records = [read_run(r) for r in run_dirs]
    for record in records:
        if record.info.family == "ensemble":
            raise ConfigError(f"{record.path} is itself an ensemble; list its member runs instead")
    tracks, split_kind = shared_tracks(records, split=split, progress=progress)
    ensemble = SavedEnsemble([load_predictor(r) for r in run_dirs], weights)
    scores, members, predictions, problems = _score(ensemble, tracks, progress=progress)
    for entry, record in zip(members, records):
        recorded = record.metrics.get(split)
        entry["recorded_accuracy"] = recorded.get("accuracy") if isinstance(recorded, dict) else None
        entry["recorded_n"] = recorded.get("n") if isinstance(recorded, dict) else None

    config = copy.deepcopy(records[0].config)
    config.name = "ensemble"
    if runs_root is not None:
        config.runs_dir = str(runs_root)
    inputs = "+".join(dict.fromkeys(r.info.input for r in records))
    config.model = ModelConfig(name="ensemble", input=inputs,
                               params={"members": [r.path.name for r in records], "weights": ensemble.weights.tolist()})
    dataset = records[0].info.dataset
    run_dir = new_run_dir(config, dataset=dataset, model="+".join(m.model for m in ensemble.members), root=runs_root)
    ensemble.run_dir = run_dir
    info = RunInfo(
        family="ensemble", model=ensemble.model, input=inputs, dataset=dataset, split_kind=split_kind,
        n_test=scores["n"] if split == "test" else None, n_valid=scores["n"] if split == "valid" else None,
        unit="track",
        extra={"members": [r.path.name for r in records], "weights": ensemble.weights.tolist(), "scored_split": split,
               "chunk_seconds": None, "shared_tracks": len(tracks), "skipped_files": len(problems)},
    )
    write_descriptor(run_dir / ENSEMBLE_FILE, DESCRIPTOR_KIND, {
        "members": [{"run": r.path.name, "path": str(Path(r.path).resolve()), "model": r.info.model,
                     "family": r.info.family} for r in records],
        "weights": ensemble.weights.tolist(),
    })
    predictions.to_csv(run_dir / PREDICTIONS_FILE, index=False, float_format="%.6g")
    write_tracks(run_dir, tracks)  # the tracks scored, with their artists for the intervals
    metrics = {"split_kind": split_kind, "unit": "track", split: scores, "members": members, "problems": problems}
    header = [
        f"run {run_dir.name}",
        f"soft-voting ensemble of {len(records)} runs on {dataset}, {split} split ({split_label(split_kind)}), "
        f"{scores['n']} tracks in the {split} split of every member",
    ]
    header += [f"  {m['model']} ({m['family']}, {m['run']}): weight {w:.3f}, accuracy {m['accuracy']:.4f}, "
               f"macro F1 {m['macro_f1']:.4f} on these tracks" for m, w in zip(members, ensemble.weights)]
    if problems:
        header.append(f"{len(problems)} tracks could not be read and were left out")
    write_run(run_dir, info=info, config=config, labels=ensemble.labels, metrics=metrics, header=header,
              title=ensemble.model)
    return run_dir


def load_ensemble_run(run_dir: str | Path) -> SavedEnsemble:
    """Load an ensemble run folder (the ``ensemble`` family's loader).

    Members are found at their recorded paths, else next to the ensemble's folder by name.

    Raises
    ------
    RunError
        If ``ensemble.json`` is missing or unreadable, or a member run cannot be found.
    """
    run_dir = Path(run_dir)
    description = read_descriptor(run_dir / ENSEMBLE_FILE, DESCRIPTOR_KIND)
    members = []
    for member in description["members"]:
        candidates = [Path(member["path"]), run_dir.parent / member["run"]]
        found = next((c for c in candidates if (c / "run.json").is_file()), None)
        if found is None:
            raise RunError(f"{run_dir}: member run {member['run']} not found (looked in {', '.join(map(str, candidates))})")
        members.append(load_predictor(found))
    return SavedEnsemble(members, description.get("weights"), run_dir=run_dir)


def _no_training(config, *, progress: bool = True) -> Path:
    raise ConfigError("ensembles are not trained: score saved runs together with "
                      "'genrekit evaluate --ensemble RUN RUN RUN' (genrekit.ensemble.evaluate_ensemble)")


register_family(Family("ensemble", train=_no_training, load=load_ensemble_run))
