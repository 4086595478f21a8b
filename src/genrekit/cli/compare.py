"""``genrekit compare A B``: two runs on the same test tracks, track by track."""

from __future__ import annotations

import argparse
import json


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="compare two runs on the tracks both scored: McNemar's test, paired intervals",
        description="Compare two runs scored on the same tracks (e.g. two models trained on one split): how "
        "many tracks each gets right that the other gets wrong, McNemar's test of 'equally accurate' (exact; "
        "for clustered data where the runs know their tracks' artists), and the differences in accuracy and macro F1 with paired bootstrap intervals. Overlapping "
        "intervals in the results table do not mean two runs are alike; this test looks at where they "
        "disagree.",
        epilog="examples:\n"
        "  genrekit compare models/runs/RUN_A models/runs/RUN_B\n"
        "  genrekit compare RUN_A RUN_B --runs-dir models/runs --split valid --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_a", metavar="A", help="run folder, or its name under the runs folder")
    parser.add_argument("run_b", metavar="B", help="the other run")
    parser.add_argument("--runs-dir", "--runs", dest="runs_dir", metavar="DIR",
                        help="where run names are looked up (default: models/runs)")
    parser.add_argument("--split", choices=("test", "valid"), default="test", help="the split compared (default: test)")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress bars (shown only when a run older than per-track predictions is re-scored)")
    parser.set_defaults(func=run_compare)


def run_compare(args: argparse.Namespace) -> int:
    from genrekit.compare import compare_runs
    from genrekit.runs import resolve_run

    comparison = compare_runs(resolve_run(args.run_a, args.runs_dir), resolve_run(args.run_b, args.runs_dir),
                              split=args.split, progress=not args.quiet)
    print(json.dumps(comparison.to_dict(), indent=2) if args.json else comparison.to_text(), end="\n" if args.json else "")
    return 0
