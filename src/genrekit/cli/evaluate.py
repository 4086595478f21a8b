"""``genrekit evaluate``: re-score saved runs on their recorded dataset and split, or score them on another."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

_EPILOG = """\
examples:
  genrekit evaluate models/runs/20250101-120000-experiment-xgboost-synthetic
  genrekit evaluate 20250101-120000-experiment-xgboost-synthetic --split valid   # name under the runs folder
  genrekit evaluate models/runs/*xgboost*
  genrekit evaluate --ensemble RUN_XGB RUN_CNN RUN_LSTM --weights 1 2 1   # soft vote, saved as a run
  genrekit evaluate RUN_SYNTH --data gtzan:~/data/gtzan                  # a synthetic-trained run on real clips
  genrekit evaluate RUN_GTZAN --data fma-small:~/data/fma --split test --genre-map fma-to-gtzan.toml
  genrekit evaluate RUN --data folder:~/music --set data.limit_per_genre=50

Each run's config.toml says which dataset, split kind and features it used; features come back
from the cache, so the scores reproduce those in its metrics.json.

With --data, each run is scored on another dataset, on the tracks of the genres the two share
(or that --genre-map maps onto the run's); tracks of other genres are left out and counted. Each
file is read as the run read its training clips. The scores are saved as a run folder of their
own (under --runs-dir, default models/runs) that 'genrekit results' lists as 'TRAIN -> EVAL'.
"""

#: The genre-map file format of ``--genre-map`` (read by :func:`genrekit.cross_dataset.read_genre_map`).
GENRE_MAP_FORMAT = """\
genre map (--genre-map FILE): the evaluation data's genre names on the left, the run's labels on
the right; genres it does not name are matched by name (up to case and punctuation) or left out.
  TOML (.toml), one line per genre:      CSV (.csv), two columns, header optional:
    Electronic = "disco"                   genre,label
    "Soul-RnB" = "blues"                   Electronic,disco
    "Old-Time / Historic" = "country"      Soul-RnB,blues
Several genres may map onto one label. A label the run does not know is an error; a genre the
data does not hold is ignored (one map can serve FMA's small and medium subsets).
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="re-score saved runs on their recorded dataset and split, or on another dataset (--data); print the report",
        description="Load saved runs and score them again on the dataset and split recorded in the run "
        "(per track; per chunk for the leaky protocol), printing accuracy, macro F1, per-class scores and "
        "the confusion matrix. With --data, score them on another dataset instead, each saved as its own run.",
        epilog=_EPILOG + "\n" + GENRE_MAP_FORMAT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("runs", nargs="+", metavar="RUN", help="run folder (path, or name under the runs folder)")
    parser.add_argument("--split", choices=("test", "valid", "all"), default=None,
                        help="split to score (default: test). With --data: 'all' (the default) scores every track of "
                        "the evaluation data; 'test' or 'valid' one side of that dataset's own split, of the kind "
                        "--set data.split=KIND names (default auto: FMA's official split, else by artist, else random)")
    parser.add_argument("--runs-dir", "--runs", dest="runs_dir", metavar="DIR",
                        help="where run names are looked up, and where --ensemble and --data write their run "
                        "folder (default: models/runs; --ensemble: next to its members)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    parser.add_argument("--ensemble", action="store_true",
                        help="score the runs together as one soft-voting ensemble on the tracks they share (same "
                        "dataset and split kind); writes its own run folder, listed by 'genrekit results'")
    parser.add_argument("--weights", nargs="+", type=float, metavar="W", help="with --ensemble: one weight per run")
    parser.add_argument("--data", metavar="SOURCE",
                        help="score each run on this dataset instead of its own (synthetic, gtzan:PATH, "
                        "fma-small:PATH, fma-medium:PATH, folder:PATH, hf:NAME or a PATH), on the genres the two "
                        "share; writes a run folder per run, listed by 'genrekit results' as 'TRAIN -> EVAL'")
    parser.add_argument("--genre-map", metavar="FILE",
                        help="with --data: a .toml or .csv file mapping the evaluation data's genre names onto the "
                        "run's labels, for genres whose names differ (format below)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="data.FIELD=VALUE",
                        help="with --data: a setting of the evaluation data (split, seed, valid_fraction, "
                        "test_fraction, split_dir, artist_index, limit_per_genre, synthetic_clips, "
                        "synthetic_seconds); repeatable. How files are read (sample rate, clip and chunk "
                        "seconds) is each run's own")
    parser.set_defaults(func=run_evaluate)


def run_evaluate(args: argparse.Namespace) -> int:
    from genrekit.errors import GenrekitError
    from genrekit.evaluate import LEAKY_NOTE, format_report, is_leaky, split_label
    from genrekit.rescore import rescore_run
    from genrekit.runs import read_run, resolve_run

    misplaced = [option for option, given in (("--genre-map", args.genre_map), ("--set", args.overrides),
                                              ("--split all", args.split == "all")) if given]
    if args.data is None and misplaced:
        print(f"genrekit evaluate: {misplaced[0]} needs --data SOURCE", file=sys.stderr)
        return 2
    if args.ensemble and args.data is not None:
        print("genrekit evaluate: --ensemble and --data do not combine: save the ensemble first "
              "(genrekit evaluate --ensemble RUN RUN ...), then score its run folder with --data", file=sys.stderr)
        return 2
    if args.ensemble:
        args.split = args.split or "test"
        return _run_ensemble(args)
    if args.weights:
        print("genrekit evaluate: --weights needs --ensemble", file=sys.stderr)
        return 2
    if args.data is not None:
        return _run_cross_dataset(args)
    args.split = args.split or "test"
    failed = 0
    for name in args.runs:
        run_dir = resolve_run(name, args.runs_dir)
        try:
            record = read_run(run_dir)
            scores = rescore_run(run_dir, split=args.split, progress=not args.quiet)
        except GenrekitError as exc:
            print(f"genrekit evaluate: {exc}", file=sys.stderr)
            failed += 1
            continue
        kind = scores.get("split_kind", record.info.split_kind)
        eval_dataset = (record.info.extra or {}).get("eval_dataset")  # a cross-dataset run's own data
        dataset = f"{record.info.dataset} -> {eval_dataset}" if eval_dataset else record.info.dataset
        title = (
            f"{run_dir.name}: {record.info.model} on {dataset}, {args.split} split "
            f"({split_label(kind)}, per {scores.get('unit', 'track')})"
        )
        print(format_report(scores, title=title, run_dir=run_dir))
        if is_leaky(kind):
            print(LEAKY_NOTE)
        stored = record.metrics.get(args.split)
        if stored and abs(stored["accuracy"] - scores["accuracy"]) > 1e-9:
            print(
                f"note: metrics.json recorded accuracy {stored['accuracy']:.4f}; the data or features changed since training"
            )
        print()
    return 1 if failed else 0


def _run_ensemble(args: argparse.Namespace) -> int:
    from genrekit.ensemble import evaluate_ensemble
    from genrekit.runs import resolve_run

    runs = [resolve_run(name, args.runs_dir) for name in args.runs]
    # next to its members, so 'genrekit results' over their folder lists it
    root = Path(args.runs_dir).expanduser() if args.runs_dir else runs[0].resolve().parent
    run_dir = evaluate_ensemble(runs, weights=args.weights, split=args.split, runs_root=root, progress=not args.quiet)
    print((run_dir / "report.txt").read_text())
    print(f"written: {run_dir}")
    return 0


def _run_cross_dataset(args: argparse.Namespace) -> int:
    from genrekit.cross_dataset import evaluate_cross_dataset, load_evaluation_data, read_genre_map
    from genrekit.errors import GenrekitError
    from genrekit.runs import resolve_run

    data = _evaluation_data_config(args.overrides)
    if args.genre_map:
        read_genre_map(args.genre_map)  # a bad map fails before any data is loaded
    evaluation = load_evaluation_data(args.data, data=data, split=args.split or "all", progress=not args.quiet)
    root = Path(args.runs_dir).expanduser() if args.runs_dir else None
    failed = 0
    for name in args.runs:
        try:
            run_dir = evaluate_cross_dataset(resolve_run(name, args.runs_dir), evaluation, runs_root=root,
                                             genre_map=args.genre_map, progress=not args.quiet)
        except GenrekitError as exc:
            print(f"genrekit evaluate: {exc}", file=sys.stderr)
            failed += 1
            continue
        print((run_dir / "report.txt").read_text())
        print(f"written: {run_dir}")
        print()
    return 1 if failed else 0


def _evaluation_data_config(overrides: list[str]):
    """The :class:`~genrekit.config.DataConfig` of the evaluation data from ``--set data.FIELD=VALUE`` items.

    Raises
    ------
    ConfigError
        For a field outside ``data``, or one that belongs to the run (source, sample rate, clip,
        chunk and hop seconds).
    """
    from genrekit.config import DataConfig, from_dict, set_dotted
    from genrekit.cross_dataset import RUN_DATA_FIELDS
    from genrekit.errors import ConfigError

    values: dict = {}
    for item in overrides:
        set_dotted(values, item)
    others = sorted(set(values) - {"data"})
    if others:
        raise ConfigError(f"with --data, --set takes data.FIELD=VALUE settings of the evaluation data only, not {others[0]}.*")
    data = values.get("data", {})
    if not isinstance(data, dict):
        raise ConfigError("--set data=... must name a field: data.FIELD=VALUE")
    for key in RUN_DATA_FIELDS:
        if key in data:
            where = "--data SOURCE" if key == "source" else "the run's own setting: each file is read as the run read its training clips"
            raise ConfigError(f"--set data.{key} does not apply to the evaluation data ({where})")
    return from_dict(DataConfig, data, where="data.")
