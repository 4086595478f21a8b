"""One results table rebuilt from every run folder (``genrekit results``).

Each row is one run: where the number comes from (dataset, split kind, unit scored), what was
trained (model, input) and the test scores. Scores of the leaky comparison protocol are labelled
``leaky-chunks (LEAKY)`` and footnoted, so they are never read as generalisation to new tracks.
A run scored on other data than it was trained on (``genrekit evaluate RUN --data SOURCE``, whose
``run.json`` records ``extra.eval_dataset``) shows as ``TRAIN -> EVAL`` with the part scored
marked ``(cross-dataset)``, e.g. ``synthetic (400 x 5 s) -> gtzan (1000)`` / ``all (cross-dataset)``.

The dataset column tells datasets apart by source and size, from what each run recorded (see
:func:`dataset_label`): ``synthetic (400 x 5 s)`` (clips x seconds of the generated set),
``gtzan (1000)``, ``fma-small (8000)``, ``folder:my_music (120)`` (tracks in the dataset).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from genrekit import paths
from genrekit.data.datasets import SOURCE_PREFIXES
from genrekit.errors import RunError
from genrekit.evaluate import LEAKY_NOTE, is_leaky, split_label
from genrekit.intervals import INTERVAL_LEVEL, format_interval, score_intervals, unit_groups
from genrekit.runs import find_runs, read_run

#: Columns of :func:`collect_results`, in order.
RESULT_COLUMNS = [
    "dataset",
    "split_kind",
    "model",
    "input",
    "unit",
    "accuracy",
    "macro_f1",
    "accuracy_low",
    "accuracy_high",
    "macro_f1_low",
    "macro_f1_high",
    "valid_macro_f1",
    "n_test",
    "interval_over",
    "train_seconds",
    "run",
    "leaky",
    "chunk_seconds",
    "created",
    "path",
    "train_dataset",
    "eval_dataset",
]

#: What the split column adds for a run scored on other data than it was trained on.
CROSS_DATASET = "(cross-dataset)"

# Headers of the Markdown table (column -> header); the rest stay in the CSV only.
_SHOWN = {
    "dataset": "dataset",
    "split_kind": "split kind",
    "model": "model",
    "input": "input",
    "unit": "unit",
    "chunk_seconds": "chunk s",
    "accuracy": "accuracy",
    "macro_f1": "macro F1",
    "valid_macro_f1": "valid F1",
    "n_test": "n test",
    "train_seconds": "train s",
    "run": "run folder",
}


def collect_results(runs_root: str | Path | None = None) -> pd.DataFrame:
    """Read ``run.json`` and ``metrics.json`` of every run folder under ``runs_root``.

    Parameters
    ----------
    runs_root : str or Path, optional
        Folder searched recursively for run folders (default :func:`genrekit.paths.runs_dir`).

    Returns
    -------
    pd.DataFrame
        One row per run with test scores, columns :data:`RESULT_COLUMNS`; ``split_kind`` is the
        shown label (``'leaky-chunks (LEAKY)'`` for the leaky protocol, ``'all (cross-dataset)'``
        for a run scored on another dataset, whose ``dataset`` is ``'TRAIN -> EVAL'``;
        ``dataset`` is :func:`dataset_label`, source and size; ``train_dataset`` and
        ``eval_dataset`` hold the bare names, equal for the other runs). Sorted by the training
        dataset's name, then track-level splits before leaky ones, then dataset label, split
        kind and macro F1 (best first). Runs without test
        metrics are left out; unreadable folders are listed in ``table.attrs["skipped"]``.
    """
    root = Path(runs_root) if runs_root is not None else paths.runs_dir()
    rows, skipped = [], []
    for folder in find_runs(root):
        try:
            record = read_run(folder)
        except RunError as exc:
            skipped.append(str(exc))
            continue
        test, valid = record.metrics.get("test"), record.metrics.get("valid")
        if not isinstance(test, dict) or "accuracy" not in test:
            skipped.append(f"{folder}: no test metrics")
            continue
        info = record.info
        kind = record.metrics.get("split_kind") or info.split_kind
        leaky = is_leaky(kind)
        seconds = info.train_seconds
        eval_dataset = (info.extra or {}).get("eval_dataset")
        groups, group_kind = unit_groups(folder, test)
        intervals = score_intervals(test, groups=groups)
        rows.append(
            {
                "dataset": dataset_label(record),
                "split_kind": f"{split_label(kind)} {CROSS_DATASET}" if eval_dataset else split_label(kind),
                "model": info.model,
                "input": _input_label(record),
                "unit": record.metrics.get("unit") or info.unit,
                "accuracy": float(test["accuracy"]),
                "macro_f1": float(test.get("macro_f1", math.nan)),
                "accuracy_low": intervals["accuracy"][0],
                "accuracy_high": intervals["accuracy"][1],
                "macro_f1_low": intervals["macro_f1"][0],
                "macro_f1_high": intervals["macro_f1"][1],
                "valid_macro_f1": float(valid.get("macro_f1", math.nan)) if isinstance(valid, dict) else math.nan,
                "n_test": int(test.get("n", info.n_test or 0)),
                "interval_over": _interval_over(intervals["groups"], group_kind),
                "train_seconds": float(seconds) if seconds is not None else math.nan,
                "run": folder.name,
                "leaky": leaky,
                "chunk_seconds": (info.extra or {}).get("chunk_seconds", record.config.data.chunk_seconds),
                "created": info.created,
                "path": str(folder),
                "train_dataset": info.dataset,
                "eval_dataset": eval_dataset or info.dataset,
            }
        )
    table = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    if len(table):
        # by name first: a leaky row (whose track count is not recorded) stays beside its dataset's rows
        table = table.sort_values(
            ["train_dataset", "leaky", "dataset", "split_kind", "macro_f1", "created"],
            ascending=[True, True, True, True, False, True], kind="stable",
        ).reset_index(drop=True)
    table.attrs["skipped"] = skipped
    return table


def _interval_over(groups: int | None, kind: str | None) -> str:
    """What a row's intervals resample, shown after its test count: '31 artists' ('' for tracks)."""
    return "" if groups is None else f"{groups} {kind}s"


def dataset_label(record) -> str:
    """The dataset column of a run: source and size, e.g. ``'synthetic (400 x 5 s)'``, ``'gtzan (1000)'``.

    Parameters
    ----------
    record : genrekit.runs.RunRecord
        A run folder read back. Its ``info.dataset`` names the data; ``config.data.source`` tells
        a ``folder:`` collection (shown ``folder:NAME``) from a GTZAN or FMA tree; the size is the
        tracks the run split (``n_train + n_valid + n_test`` of a track-level run), or for the
        generated set, ``data.synthetic_clips`` (at most ``data.limit_per_genre``) x the run's
        genres, x ``data.synthetic_seconds``. A run scored on other data reads ``TRAIN -> EVAL``, the
        evaluation side sized by the tracks its report counted. No size is shown where none was
        recorded (the track count of a leaky run on real data).
    """
    extra = record.info.extra or {}
    if extra.get("eval_dataset"):  # a cross-dataset folder: its config is the evaluated run's
        train = _trained_on(record, extra)
        cross = record.metrics.get("cross_dataset") if isinstance(record.metrics.get("cross_dataset"), dict) else {}
        tracks = (cross.get("eval_data") or {}).get("tracks_in_dataset")
        return f"{train} -> {_sized(_source_name(extra['eval_dataset'], extra.get('eval_source')), tracks)}"
    return _own_label(record)


def _own_label(record) -> str:
    info, data = record.info, record.config.data
    if info.dataset == "synthetic":
        per_genre = data.synthetic_clips if data.limit_per_genre is None else min(data.synthetic_clips, data.limit_per_genre)
        tracks = per_genre * len(record.labels)  # the same for a leaky run, whose counts are chunks
        return f"synthetic ({tracks} x {data.synthetic_seconds:g} s)"
    return _sized(_source_name(info.dataset, data.source), _recorded_tracks(info))


def _trained_on(record, extra: dict) -> str:
    """The label of the run a cross-dataset folder scored (read back if it is still there)."""
    path = extra.get("evaluated_path")
    try:
        return _own_label(read_run(path)) if path else extra.get("train_dataset", record.info.dataset)
    except RunError:
        return extra.get("train_dataset", record.info.dataset)


def _recorded_tracks(info) -> int | None:
    counts = (info.n_train, info.n_valid, info.n_test)
    if info.unit != "track" or any(n is None for n in counts):
        return None  # a chunk-level run records chunks, not tracks, for some splits
    return int(sum(counts))


def _source_name(name: str, source: str | None) -> str:
    """``'folder:NAME'`` for a ``folder:`` source (or a bare path whose layout was a plain folder)."""
    source = str(source or "")
    prefix = source.partition(":")[0]
    bare_path = bool(source) and source != "synthetic" and prefix not in SOURCE_PREFIXES
    if prefix == "folder" or (bare_path and name != "gtzan" and not name.startswith("fma-")):
        return f"folder:{name}"
    return name


def _sized(name: str, tracks: int | None) -> str:
    return f"{name} ({tracks})" if tracks else name


def _input_label(record) -> str:
    """'features' for hand-crafted ones; the kind for embeddings ('musicnn-msd embedding', 'musicnn tags')."""
    features = record.config.features
    if record.info.input != "features" or features.kind == "handcrafted":
        return record.info.input
    network = features.kind
    if features.checkpoint:  # clap, hf-encoder: which checkpoint (and layer) is what a reader compares
        network += f" {Path(str(features.checkpoint)).name}"
        if features.layer is not None:
            network += f" layer {features.layer}"
    return f"{network} {'tags' if features.embedding == 'taggram' else 'embedding'}"


def to_markdown(table: pd.DataFrame) -> str:
    """The table as GitHub Markdown, with a footnote under it when it holds leaky rows."""
    shown = table[list(_SHOWN)].rename(columns=_SHOWN) if len(table) else pd.DataFrame(columns=list(_SHOWN.values()))
    header = list(shown.columns)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if _numeric(c) else "---" for c in header) + "|"]
    for (_, row), (_, full) in zip(shown.iterrows(), table.iterrows()):
        cells = [_cell(column, row[column]) for column in header]
        for i, column in enumerate(header):
            if column in _INTERVALS:  # the score, then its interval
                low, high = (full[name] for name in _INTERVALS[column])
                cells[i] += f" ({format_interval((low, high), digits=2)})" if pd.notna(low) and pd.notna(high) else ""
            elif column == "n test" and full["interval_over"]:  # what the intervals resample
                cells[i] += f" ({full['interval_over']})"
        lines.append("| " + " | ".join(cells) + " |")
    if len(table) and table["leaky"].any():
        lines.append("")
        lines.append(f"(LEAKY) {LEAKY_NOTE.removeprefix('LEAKY: ')} Compare with the track-level rows of the same dataset.")
    if len(table):
        lines.append("")
        lines.append("Scores are on the test split of the split kind shown; 'valid F1' is the validation macro F1, "
                     "on which a best run is chosen (the test split only reports). Unit 'track': one prediction per "
                     "track (for models trained on chunks of 'chunk s' seconds, the mean of the chunk probabilities).")
        lines.append("")
        lines.append(f"In brackets, {INTERVAL_LEVEL:.0%} intervals. Tracks of one artist rise and fall together, as do "
                     "chunks of one track: where a run knows its test tracks' artists (or scores chunks), the intervals "
                     "resample whole artists (or tracks), counted after 'n test'; else they take the tracks as "
                     "independent (Wilson for accuracy, a bootstrap over tracks for macro F1). Two runs scored on "
                     "the same tracks are compared track by track with 'genrekit compare A B'.")
    if len(table) and table["split_kind"].str.endswith(CROSS_DATASET).any():
        lines.append("")
        lines.append(f"Rows 'A -> B' {CROSS_DATASET}: a run trained on A scored on dataset B ('all': every track of B; "
                     "else one side of B's own split), on the genres the two share or a genre map maps; tracks of "
                     "other genres are left out. Each run's report.txt gives the counts.")
    return "\n".join(lines) + "\n"


# Markdown header -> the columns of its interval.
_INTERVALS = {"accuracy": ("accuracy_low", "accuracy_high"), "macro F1": ("macro_f1_low", "macro_f1_high")}


def _numeric(header: str) -> bool:
    return header in {"accuracy", "macro F1", "valid F1", "n test", "train s", "chunk s"}


def _cell(column: str, value) -> str:
    if column in {"accuracy", "macro F1"}:
        return f"{value:.3f}"
    if column == "valid F1":  # none for zero-shot runs, ensembles and cross-dataset scores
        return "-" if value is None or pd.isna(value) else f"{value:.3f}"
    if column in {"train s", "chunk s"}:
        return "-" if value is None or pd.isna(value) else f"{value:g}" if column == "chunk s" else f"{value:.1f}"
    return str(value).replace("|", "\\|")


def write_results(table: pd.DataFrame, out_dir: str | Path) -> dict[str, Path]:
    """Write ``results.md``, ``results.csv`` and (for a table with rows) ``results.png``, every
    score with its interval (:func:`genrekit.plots.plot_results`), into ``out_dir``; returns their
    paths by kind (``markdown``, ``csv``, ``figure``)."""
    from genrekit.plots import plot_results  # matplotlib: imported when a table is written

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown = out_dir / "results.md"
    csv = out_dir / "results.csv"
    markdown.write_text("# genrekit results\n\n" + to_markdown(table))
    table.to_csv(csv, index=False, float_format="%.4f")
    written = {"markdown": markdown, "csv": csv}
    if len(table):
        written["figure"] = plot_results(table, path=out_dir / "results.png")
    return written
