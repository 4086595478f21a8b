"""Scoring a saved run on another dataset (``genrekit evaluate RUN --data SOURCE``), saved as a run.

A model trained on one dataset is scored on the tracks of another whose genres it knows: a
synthetic-trained run on real GTZAN clips, a GTZAN run on FMA. :func:`evaluate_cross_dataset`
writes the result as a run folder of its own, so ``genrekit results`` lists it as a row
``TRAIN -> EVAL`` whose split column says what was scored (``all (cross-dataset)``)::

    <runs>/<YYYYmmdd-HHMMSS>-<train>-on-<eval>-<model>-cross-dataset/
        run.json         # family 'cross-dataset'; model, input and dataset are the evaluated run's;
                         # extra: the run evaluated, both datasets, the part scored, the genre map
        config.toml      # the evaluated run's config (how it reads audio), name '<train>-on-<eval>'
        labels.json      # the evaluated run's labels
        metrics.json     # scores under 'test' (the results table's column) whatever part was scored,
                         # 'cross_dataset' (runs, datasets, genres, track counts) and 'problems'
        report.txt, confusion.png
        predictions.csv  # track_id, path, genre (the data's), label (the run's), predicted, a column per label
        tracks.csv       # the evaluation tracks scored, as the data's index has them (artists included)

What is scored
    ``split='all'`` scores every track of the evaluation data (meant for data the run never saw:
    when both datasets have one name a warning says so); ``'test'`` or ``'valid'`` one side of
    the data's own split, made as training would make it
    (``data.split``, seed and fractions of the :class:`~genrekit.config.DataConfig` given; 'auto'
    picks FMA's official split, else artist-grouped, else random).

Genres
    A genre of the evaluation data is *shared* when a label of the run has the same name up to
    case and punctuation (GTZAN's ``hiphop`` is FMA's ``Hip-Hop``), *mapped* when the genre map
    names a label for it (the map wins over a shared name), else *dropped*: its tracks are left
    out and counted. Macro F1 averages over the run's labels that have evaluation tracks, so a
    genre the data lacks does not count as an F1 of 0; predictions of such a genre are errors.

Genre maps (``--genre-map FILE``)
    ``{evaluation genre: run label}`` from a small TOML (``"Soul-RnB" = "blues"``) or two-column
    CSV file (``Soul-RnB,blues``), read by :func:`read_genre_map`; the format is spelled out in
    ``genrekit evaluate --help`` (:data:`genrekit.cli.evaluate.GENRE_MAP_FORMAT`).

Each file is read as the run read its training clips: its middle ``data.clip_seconds`` at the
run's sample rate (each member of an ensemble run with its own), features or chunks as in
training. Files the loader skips and files that cannot be scored are listed in ``problems``.

Registering the family ``cross-dataset`` (loader :func:`load_cross_dataset_run`) lets
:func:`genrekit.inference.load_predictor` open such a folder as the model it scored, and
``genrekit evaluate`` on the folder re-score it on the recorded evaluation data.
"""

from __future__ import annotations

import copy
import csv
import json
import re
import tomllib
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from genrekit import paths
from genrekit.config import DataConfig, from_dict
from genrekit.data.datasets import load_dataset
from genrekit.data.splits import assign_splits
from genrekit.errors import ConfigError, RunError
from genrekit.evaluate import classification_metrics, is_leaky, write_run
from genrekit.inference import Ensemble, Predictor, load_predictor
from genrekit.models.registry import Family, register_family
from genrekit.runs import RunInfo, new_run_dir, read_run, write_tracks

FAMILY = "cross-dataset"
PREDICTIONS_FILE = "predictions.csv"

#: What a cross-dataset evaluation can score: every track, or one side of the data's own split.
SCORED_PARTS = ("all", "test", "valid")

#: ``data.*`` fields that belong to the evaluated run (how it reads audio), not to the evaluation data.
RUN_DATA_FIELDS = ("source", "sample_rate", "clip_seconds", "chunk_seconds", "hop_seconds")

# ---------------------------------------------------------------------- the evaluation data


@dataclass
class EvaluationData:
    """The tracks of the evaluation data chosen for scoring.

    Attributes
    ----------
    source : str
        The data source, as :func:`genrekit.data.datasets.load_dataset` reads it.
    name : str
        The dataset's name ('gtzan', 'fma-small', a folder's name, ...).
    split : {'all', 'test', 'valid'}
        The part scored.
    split_kind : str or None
        Kind of the data's own split when one side is scored ('artist', 'official', ...).
    tracks : pd.DataFrame
        ``track_id``, ``path``, ``genre`` of the part scored.
    n_indexed : int
        Tracks the loader found in the whole dataset.
    problems : list of dict
        ``{"path", "reason", "stage": "loading"}``: files the loader skipped (whole dataset).
    data : DataConfig
        The settings the data was loaded and split with.
    """

    source: str
    name: str
    split: str
    split_kind: str | None
    tracks: pd.DataFrame
    n_indexed: int
    problems: list[dict] = field(default_factory=list)
    data: DataConfig = field(default_factory=DataConfig)

    @property
    def scored(self) -> str:
        """``'all'``, or the split kind and side, e.g. ``'artist test'``."""
        return "all" if self.split == "all" else f"{self.split_kind} {self.split}"


def load_evaluation_data(
    source: str, *, data: DataConfig | None = None, split: str = "all", progress: bool = True
) -> EvaluationData:
    """Load a dataset and choose the tracks a cross-dataset evaluation scores.

    Parameters
    ----------
    source : str
        Any data source (``'synthetic'``, ``'gtzan:PATH'``, ``'fma-small:PATH'``, ``'folder:PATH'``,
        ``'hf:NAME'``, a bare PATH); ``data.source`` is not read.
    data : DataConfig, optional
        Split kind, seed and fractions, ``split_dir``, ``artist_index``, ``limit_per_genre`` and
        the synthetic set's size (defaults if None).
    split : {'all', 'test', 'valid'}
        Every track, or one side of the data's own split of kind ``data.split``.
    progress : bool
        Show progress bars while loading.

    Raises
    ------
    ConfigError
        An unknown ``split``, the leaky chunk split, or an empty selection.
    DatasetError
        If the data cannot be loaded.
    """
    if split not in SCORED_PARTS:
        raise ConfigError(f"split must be one of {', '.join(SCORED_PARTS)}, got {split!r}")
    data = copy.deepcopy(data) if data is not None else DataConfig()
    data.source = str(source)
    index = load_dataset(source, data=data, progress=progress)
    problems = [{"path": p.path, "reason": p.reason, "stage": "loading"} for p in index.problems]
    kind = None
    tracks = index.tracks
    if split != "all" and len(tracks):
        if is_leaky(data.split):
            raise ConfigError(f"data.split = {data.split!r} splits chunks, not tracks; score --split all, or one side "
                              "of a track-level split (--set data.split=artist, random, official, ...)")
        index_split = assign_splits(index, kind=data.split, seed=data.seed, valid_fraction=data.valid_fraction,
                                    test_fraction=data.test_fraction, split_dir=data.split_dir)
        kind = index_split.split_kind
        tracks = index_split.subset(split)
    chosen = EvaluationData(str(source), index.name, split, kind, tracks[["track_id", "path", "genre"]].astype(str)
                            .reset_index(drop=True), len(index), problems, data)
    if chosen.tracks.empty:
        where = "" if split == "all" else f"the {split} side of its {kind} split, "
        raise ConfigError(f"the evaluation data {index.name} ({source}) is empty: {where}no readable track to score")
    return chosen


# ---------------------------------------------------------------------- genres


def read_genre_map(path: str | Path) -> dict[str, str]:
    """Read a genre map: ``{evaluation genre: run label}`` (format: :data:`genrekit.cli.evaluate.GENRE_MAP_FORMAT`).

    Raises
    ------
    ConfigError
        If the file is missing, not ``.toml`` or ``.csv``, not valid, empty, or maps one genre
        onto two labels.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(f"{path}: genre map not found")
    invalid = f"{path}: not a valid genre map"
    suffix = path.suffix.lower()
    if suffix == ".toml":
        try:
            table = tomllib.loads(path.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{invalid} (TOML: {exc})") from None
        pairs = list(table.items())
        for genre, label in pairs:
            if not isinstance(label, str):
                raise ConfigError(f"{invalid}: {genre!r} maps to {label!r}, not a genre name in quotes "
                                  "(one 'genre = \"label\"' line per genre, no tables)")
    elif suffix == ".csv":
        try:
            rows = list(csv.reader(path.read_text().splitlines()))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ConfigError(f"{invalid} (CSV: {exc})") from None
        pairs = []
        for number, row in enumerate(rows, start=1):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != 2:
                raise ConfigError(f"{invalid}: line {number} has {len(row)} fields, expected two: genre,label")
            pairs.append((row[0].strip(), row[1].strip()))
        if pairs and [p.lower() for p in pairs[0]] == ["genre", "label"]:
            pairs = pairs[1:]
    else:
        raise ConfigError(f"{invalid}: expected a .toml or .csv file")
    mapping: dict[str, str] = {}
    for genre, label in pairs:
        genre, label = str(genre).strip(), label.strip()
        if not genre or not label:
            raise ConfigError(f"{invalid}: an empty genre name ({genre!r} = {label!r})")
        if mapping.get(genre, label) != label:
            raise ConfigError(f"{invalid}: {genre!r} is mapped twice ({mapping[genre]!r} and {label!r})")
        mapping[genre] = label
    if not mapping:
        raise ConfigError(f"{invalid}: it maps no genre")
    return mapping


def genre_key(name: str) -> str:
    """The name genres are matched by: case-folded letters and digits (``'Hip-Hop'`` -> ``'hiphop'``)."""
    return re.sub(r"[^0-9a-z]+", "", str(name).casefold())


def match_genres(
    counts: Mapping[str, int], labels: list[str], *, genre_map: Mapping[str, str] | None = None, where: str = "the genre map"
) -> list[dict]:
    """Which label of a run each genre of the evaluation data counts as.

    Parameters
    ----------
    counts : mapping of str to int
        Tracks per genre of the evaluation data.
    labels : list of str
        The run's labels.
    genre_map : mapping of str to str, optional
        Evaluation genre -> run label; wins over a shared name.
    where : str
        How the map is named in errors (its file).

    Returns
    -------
    list of dict
        One ``{"genre", "label", "how", "tracks"}`` per genre, sorted by genre; ``how`` is
        'shared', 'mapped' or 'dropped' (``label`` None).

    Raises
    ------
    ConfigError
        If the map names a label the run does not know.
    """
    genre_map = dict(genre_map or {})
    for genre, label in genre_map.items():
        if label not in labels:
            raise ConfigError(f"{where}: unknown genre {label!r} (for {genre!r}): the run's genres are {_names(labels)}")
    by_key = {genre_key(label): label for label in labels}
    rows = []
    for genre in sorted(counts):
        if genre in genre_map:
            label, how = genre_map[genre], "mapped"
        elif genre_key(genre) in by_key:
            label, how = by_key[genre_key(genre)], "shared"
        else:
            label, how = None, "dropped"
        rows.append({"genre": genre, "label": label, "how": how, "tracks": int(counts[genre])})
    return rows


def _names(names, limit: int = 16) -> str:
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


# ---------------------------------------------------------------------- scoring


def score_predictor(
    predictor: Predictor,
    evaluation: EvaluationData,
    *,
    genre_map: Mapping[str, str] | None = None,
    where: str = "the genre map",
    progress: bool = True,
) -> tuple[dict, dict, pd.DataFrame, list[dict]]:
    """Score a predictor on the evaluation tracks of the genres it shares with them (or is mapped onto).

    Returns
    -------
    scores : dict
        :func:`genrekit.evaluate.classification_metrics` over ``predictor.labels``, macro F1
        over the labels that have evaluation tracks.
    description : dict
        ``genres`` (:func:`match_genres`), ``uncovered_labels``, ``unused_map_entries`` and
        ``tracks`` counts (``evaluation``, ``kept``, ``shared``, ``mapped``, ``dropped``,
        ``unreadable``, ``scored``, and ``skipped_by_loader``: files of the whole dataset the
        loader could not read).
    predictions : pd.DataFrame
        One row per scored track (see the module docstring).
    problems : list of dict
        ``{"path", "reason", "stage": "scoring"}`` for the tracks that could not be scored.

    Raises
    ------
    ConfigError
        No genre shared or mapped, an unknown label in the map, or no track readable.
    """
    labels = list(predictor.labels)
    tracks = evaluation.tracks
    counts = tracks["genre"].value_counts().to_dict()
    genres = match_genres(counts, labels, genre_map=genre_map, where=where)
    label_of = {g["genre"]: g["label"] for g in genres if g["label"] is not None}
    if not label_of:
        hint = ("; map them onto the run's with --genre-map FILE" if not genre_map
                else f" and {where} maps none of the data's genres")
        raise ConfigError(f"run {predictor.run or predictor.name} and {evaluation.name} share no genre "
                          f"(run: {_names(labels)}; {evaluation.name}: {_names(sorted(counts))}){hint}")
    kept = tracks[tracks["genre"].isin(list(label_of))]
    rows, proba, problems = predictor.predict_tracks(kept, desc=f"scoring on {evaluation.name}", progress=progress)
    problems = [{**p, "stage": "scoring"} for p in problems]
    if rows.empty:
        raise ConfigError(f"none of the {len(kept)} tracks of {evaluation.name} to score could be read: "
                          + "; ".join(f"{p['path']}: {p['reason']}" for p in problems[:3]))
    proba = np.asarray(proba, dtype=np.float64)
    predictions = rows[["track_id", "path", "genre"]].copy()
    predictions["label"] = [label_of[g] for g in predictions["genre"]]
    truth = np.array([labels.index(label) for label in predictions["label"]])
    covered = [label for label in labels if label in set(predictions["label"])]
    scores = classification_metrics(truth, proba.argmax(axis=1), labels, average_over=covered,
                                    units=predictions["track_id"])
    predictions["predicted"] = [labels[i] for i in proba.argmax(axis=1)]
    for i, label in enumerate(labels):
        predictions[label] = proba[:, i]

    def tracks_of(how):
        return sum(g["tracks"] for g in genres if g["how"] == how)

    description = {
        "genres": genres,
        "shared_genres": [g["genre"] for g in genres if g["how"] == "shared"],
        "mapped_genres": [g["genre"] for g in genres if g["how"] == "mapped"],
        "dropped_genres": [g["genre"] for g in genres if g["how"] == "dropped"],
        "uncovered_labels": [label for label in labels if label not in set(label_of.values())],
        "unused_map_entries": sorted(set(genre_map or {}) - set(counts)),
        "tracks": {"evaluation": len(tracks), "kept": len(kept), "shared": tracks_of("shared"),
                   "mapped": tracks_of("mapped"), "dropped": tracks_of("dropped"), "unreadable": len(problems),
                   "scored": len(predictions), "skipped_by_loader": len(evaluation.problems)},
    }
    return scores, description, predictions, problems


# ---------------------------------------------------------------------- cross-dataset runs


def evaluate_cross_dataset(
    run_dir: str | Path,
    evaluation: EvaluationData | str,
    *,
    data: DataConfig | None = None,
    split: str = "all",
    genre_map: str | Path | Mapping[str, str] | None = None,
    runs_root: str | Path | None = None,
    progress: bool = True,
) -> Path:
    """Score a saved run on another dataset and save the result as a run folder.

    Parameters
    ----------
    run_dir : str or Path
        Any run folder (classic, torch, hf, zero-shot, an ensemble run, or a cross-dataset run,
        which stands for the run it scored).
    evaluation : EvaluationData or str
        The evaluation data (:func:`load_evaluation_data`), or its source to load it with
        ``data`` and ``split``.
    data : DataConfig, optional
        With a source: how the evaluation data is loaded and split.
    split : {'all', 'test', 'valid'}
        With a source: the part of the evaluation data scored.
    genre_map : str, Path or mapping, optional
        A genre-map file (:func:`read_genre_map`) or ``{evaluation genre: run label}``.
    runs_root : str or Path, optional
        Where the new run folder goes (default :func:`genrekit.paths.runs_dir`, where
        ``genrekit results`` looks; not next to the evaluated run by default, since that folder
        may be the app's ``app-default``, whose newest run the app serves).
    progress : bool
        Show progress bars (loading, and over the tracks scored).

    Returns
    -------
    Path
        The new run folder (see the module docstring).

    Raises
    ------
    ConfigError
        No shared or mapped genre, a bad genre map, an empty evaluation set.
    RunError
        A folder that is not a complete run.
    """
    predictor = load_predictor(run_dir)
    if isinstance(predictor, CrossDatasetRun):
        predictor = predictor.inner
    evaluated = read_run(predictor.run_dir if predictor.run_dir is not None else run_dir)
    map_file = None
    if isinstance(genre_map, (str, Path)):
        map_file = str(Path(genre_map).expanduser().resolve())
        genre_map = read_genre_map(genre_map)
    genre_map = dict(genre_map) if genre_map else None
    if isinstance(evaluation, str):
        evaluation = load_evaluation_data(evaluation, data=data, split=split, progress=progress)
    where = map_file or "the genre map"
    scores, description, predictions, scoring_problems = score_predictor(
        predictor, evaluation, genre_map=genre_map, where=where, progress=progress)
    problems = evaluation.problems + scoring_problems

    train_kind = evaluated.metrics.get("split_kind") or evaluated.info.split_kind
    notes = []
    if evaluated.info.dataset == evaluation.name:
        notes.append(f"the run was trained on a dataset of the same name ({evaluation.name}): if it is this data, "
                     + ("every track scored includes those it was trained on" if evaluation.split == "all"
                        else "the side scored is held out only if the split settings are the run's"))
        warnings.warn(notes[-1], stacklevel=2)
    root = Path(runs_root).expanduser() if runs_root is not None else paths.runs_dir()
    train_name, eval_name = evaluated.info.dataset, evaluation.name
    config = copy.deepcopy(evaluated.config)
    config.name = f"{train_name}-on-{eval_name}"  # the datasets first: folder names are cut at 60 characters
    config.runs_dir = str(root)
    out = new_run_dir(config, dataset=FAMILY, model=evaluated.info.model, root=root)
    evaluated_path = str(Path(evaluated.path).resolve())
    chunk_seconds = (evaluated.info.extra or {}).get("chunk_seconds", evaluated.config.data.chunk_seconds)
    extra = {
        "evaluated_run": evaluated.path.name, "evaluated_path": evaluated_path, "evaluated_family": evaluated.info.family,
        "train_dataset": train_name, "train_split_kind": train_kind,
        "eval_dataset": eval_name, "eval_source": evaluation.source, "eval_tracks": scores["n"],
        "eval_split": evaluation.split, "eval_split_kind": evaluation.split_kind, "scored_split": evaluation.scored,
        "eval_data": asdict(evaluation.data), "genre_map": genre_map, "genre_map_file": map_file,
        "chunk_seconds": chunk_seconds,
    }
    info = RunInfo(family=FAMILY, model=evaluated.info.model, input=evaluated.info.input, dataset=train_name,
                   split_kind=train_kind, n_test=scores["n"], unit="track", extra=extra)
    predictions.to_csv(out / PREDICTIONS_FILE, index=False, float_format="%.6g")
    scored = evaluation.tracks["track_id"].astype(str).isin(predictions["track_id"].astype(str))
    write_tracks(out, evaluation.tracks[scored])  # the tracks scored, with their artists for the intervals
    recorded = evaluated.metrics.get("test") if isinstance(evaluated.metrics.get("test"), dict) else {}
    summary = {
        "run": {"name": evaluated.path.name, "path": evaluated_path, "model": evaluated.info.model,
                "family": evaluated.info.family, "dataset": train_name, "split_kind": train_kind,
                "recorded_test": {k: recorded.get(k) for k in ("accuracy", "macro_f1", "n")}},
        "eval_data": {"source": evaluation.source, "name": eval_name, "tracks_in_dataset": evaluation.n_indexed,
                      "split": evaluation.split, "split_kind": evaluation.split_kind, "scored": evaluation.scored,
                      "tracks_scored": scores["n"]},
        "genre_map": {"file": map_file, "entries": genre_map} if genre_map else None,
        **description,
        "notes": notes,
    }
    metrics = {"split_kind": evaluation.scored, "unit": "track", "test": scores, "cross_dataset": summary,
               "problems": problems}
    header = [f"run {out.name}", *report_lines(summary, scores, problems)]
    write_run(out, info=info, config=config, labels=list(predictor.labels), metrics=metrics, header=header,
              title=f"{evaluated.info.model}: {train_name} -> {eval_name}")
    return out


def report_lines(summary: dict, scores: dict, problems: list[dict]) -> list[str]:
    """The lines at the top of a cross-dataset run's ``report.txt``."""
    run, data, counts = summary["run"], summary["eval_data"], summary["tracks"]
    part = "every track" if data["split"] == "all" else f"the {data['split']} side of its {data['split_kind']} split"
    skipped = counts["skipped_by_loader"]
    lines = [
        f"{run['model']} ({run['family']}, {run['name']}), trained on {run['dataset']} ({run['split_kind']} split), "
        f"scored on {data['name']} ({data['source']}): {part}",
        f"tracks: {counts['evaluation']} in the evaluation set: {counts['shared']} of shared genres, {counts['mapped']} "
        f"mapped, {counts['dropped']} of other genres left out; {counts['unreadable']} unreadable, {scores['n']} scored"
        + (f" ({skipped} file{'s' if skipped != 1 else ''} of the dataset skipped by the loader)" if skipped else ""),
    ]
    by_how = {how: [g for g in summary["genres"] if g["how"] == how] for how in ("shared", "mapped", "dropped")}
    for how, rows in by_how.items():
        if rows:
            shown = ", ".join(f"{g['genre']}" + (f" -> {g['label']}" if g["label"] not in (None, g["genre"]) else "")
                              + f" ({g['tracks']})" for g in rows)
            lines.append(f"{how} genres: {shown}")
    if summary["uncovered_labels"]:
        lines.append(f"labels without evaluation tracks (macro F1 leaves them out): {', '.join(summary['uncovered_labels'])}")
    lines += [f"note: {note}" for note in summary.get("notes", [])]
    if summary["unused_map_entries"]:
        lines.append(f"genre map entries the data does not hold: {', '.join(summary['unused_map_entries'])}")
    if problems:
        lines.append(f"{len(problems)} files could not be used: "
                     + "; ".join(f"{p['path']}: {p['reason']}" for p in problems[:5])
                     + ("; ..." if len(problems) > 5 else ""))
    return lines


class CrossDatasetRun(Predictor):
    """The run a cross-dataset folder scored, opened through that folder.

    It predicts exactly as the evaluated run (so the folder can be served, ensembled or scored
    again like it) and re-scores itself on the recorded evaluation data (what ``genrekit
    evaluate`` on the folder does). :attr:`run_dir` is the cross-dataset folder; :attr:`inner`
    the evaluated run's predictor.
    """

    def __init__(self, inner: Predictor, *, run_dir: str | Path):
        self.inner = inner
        self.labels = list(inner.labels)
        self.name = inner.name
        self.model = inner.model
        self.family = inner.family
        self.run_dir = Path(run_dir)
        self.sample_rate = inner.sample_rate
        self.window_seconds = inner.window_seconds
        self.clip_seconds = inner.clip_seconds

    def _rates(self) -> list[int]:
        return self.inner._rates()

    def _predict_signals(self, signals, clips, *, timeline, window, hop, source):
        return self.inner._predict_signals(signals, clips, timeline=timeline, window=window, hop=hop, source=source)

    def _predict_prepared(self, y, clip, *, spans, source):
        if isinstance(self.inner, Ensemble):
            raise ConfigError("an ensemble cannot contain another ensemble; list its members instead")
        return self.inner._predict_prepared(y, clip, spans=spans, source=source)

    def _segment_scores(self, segments):
        return self.inner._segment_scores(segments)

    def predict_track(self, path) -> np.ndarray:
        return self.inner.predict_track(path)

    def rescore(self, *, split: str = "test", progress: bool = True) -> dict:
        """Score the evaluated run again on the recorded evaluation data, part and genre map."""
        extra = read_run(self.run_dir).info.extra or {}
        scored = extra.get("scored_split", "?")
        if split != "test":
            raise ConfigError(f"{self.run_dir}: a cross-dataset run holds one score ({scored} of "
                              f"{extra.get('eval_dataset')}, under 'test'); re-score it with --split test")
        data = from_dict(DataConfig, extra.get("eval_data") or {}, where="data.")
        evaluation = load_evaluation_data(extra["eval_source"], data=data, split=extra.get("eval_split", "all"),
                                          progress=progress)
        scores, _, _, _ = score_predictor(self.inner, evaluation, genre_map=extra.get("genre_map"),
                                          where=extra.get("genre_map_file") or "the genre map", progress=progress)
        return {**scores, "unit": "track", "split": split, "split_kind": evaluation.scored}


def load_cross_dataset_run(run_dir: str | Path) -> CrossDatasetRun:
    """Load a cross-dataset run folder (the ``cross-dataset`` family's loader).

    The evaluated run is found at its recorded path, else next to the folder by name.

    Raises
    ------
    RunError
        If the folder does not name its evaluated run, or that run cannot be found.
    """
    run_dir = Path(run_dir)
    try:
        extra = json.loads((run_dir / "run.json").read_text()).get("extra") or {}
        name, path = extra["evaluated_run"], extra["evaluated_path"]
    except (OSError, ValueError, KeyError, AttributeError) as exc:
        raise RunError(f"{run_dir}: not a cross-dataset run folder (its run.json names no evaluated run: {exc})") from None
    candidates = [Path(path), run_dir.parent / name]
    found = next((c for c in candidates if (c / "run.json").is_file()), None)
    if found is None:
        raise RunError(f"{run_dir}: evaluated run {name} not found (looked in {', '.join(map(str, candidates))})")
    return CrossDatasetRun(load_predictor(found), run_dir=run_dir)


def _no_training(config, *, progress: bool = True) -> Path:
    raise ConfigError("cross-dataset runs are not trained: score a saved run on other data with "
                      "'genrekit evaluate RUN --data SOURCE' (genrekit.cross_dataset.evaluate_cross_dataset)")


register_family(Family(FAMILY, train=_no_training, load=load_cross_dataset_run))
