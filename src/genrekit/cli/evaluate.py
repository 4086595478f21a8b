"""``genrekit evaluate``: re-score saved runs on their recorded dataset and split."""

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

Each run's config.toml says which dataset, split kind and features it used; features come back
from the cache, so the scores reproduce those in its metrics.json.
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="re-score saved runs on their recorded dataset and split; print the report",
        description="Load saved runs and score them again on the dataset and split recorded in the run "
        "(per track; per chunk for the leaky protocol), printing accuracy, macro F1, per-class scores and "
        "the confusion matrix.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("runs", nargs="+", metavar="RUN", help="run folder (path, or name under the runs folder)")
    parser.add_argument("--split", choices=("test", "valid"), default="test", help="split to score (default: %(default)s)")
    parser.add_argument("--runs-dir", "--runs", dest="runs_dir", metavar="DIR",
                        help="where run names are looked up (default: models/runs)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    parser.add_argument("--ensemble", action="store_true",
                        help="score the runs together as one soft-voting ensemble on the tracks they share (same "
                        "dataset and split kind); writes its own run folder, listed by 'genrekit results'")
    parser.add_argument("--weights", nargs="+", type=float, metavar="W", help="with --ensemble: one weight per run")
    parser.set_defaults(func=run_evaluate)


def resolve_run(name: str, runs_dir: str | None = None) -> Path:
    """A run given as a path, or as a folder name under the runs folder."""
    from genrekit import paths

    path = Path(name).expanduser()
    if path.is_dir():
        return path
    candidate = Path(runs_dir).expanduser() / name if runs_dir else paths.runs_dir() / name
    return candidate if candidate.is_dir() else path


def run_evaluate(args: argparse.Namespace) -> int:
    from genrekit.errors import GenrekitError
    from genrekit.evaluate import LEAKY_NOTE, evaluate_run, format_report, is_leaky, split_label
    from genrekit.runs import read_run

    if args.ensemble:
        return _run_ensemble(args)
    if args.weights:
        print("genrekit evaluate: --weights needs --ensemble", file=sys.stderr)
        return 2
    failed = 0
    for name in args.runs:
        run_dir = resolve_run(name, args.runs_dir)
        try:
            record = read_run(run_dir)
            scores = evaluate_run(run_dir, split=args.split, progress=not args.quiet)
        except GenrekitError as exc:
            print(f"genrekit evaluate: {exc}", file=sys.stderr)
            failed += 1
            continue
        kind = scores.get("split_kind", record.info.split_kind)
        title = (
            f"{run_dir.name}: {record.info.model} on {record.info.dataset}, {args.split} split "
            f"({split_label(kind)}, per {scores.get('unit', 'track')})"
        )
        print(format_report(scores, title=title))
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

    runs = [resolve_run(name, args.runs_dir) for name in args.runs]
    # next to its members, so 'genrekit results' over their folder lists it
    root = Path(args.runs_dir).expanduser() if args.runs_dir else runs[0].resolve().parent
    run_dir = evaluate_ensemble(runs, weights=args.weights, split=args.split, runs_root=root, progress=not args.quiet)
    print((run_dir / "report.txt").read_text())
    print(f"written: {run_dir}")
    return 0
