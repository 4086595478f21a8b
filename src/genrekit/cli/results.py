"""``genrekit results``: one table of every run's test scores (Markdown and CSV)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "results",
        help="tabulate every run folder: dataset, split kind, model, accuracy, macro F1",
        description="Rebuild the results table from all run folders and print it as Markdown, every score with "
        "its 95% interval; also write results.md, results.csv and results.png (the scores and intervals drawn). "
        "Leaky-protocol rows are labelled '(LEAKY)' and footnoted.",
        epilog="examples:\n  genrekit results\n  genrekit results --runs models/runs --out outputs/results",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--runs", "--runs-dir", dest="runs", metavar="DIR", help="folder of run folders (default: models/runs)")
    parser.add_argument("--out", metavar="DIR", help="where results.md and results.csv go (default: the runs folder)")
    parser.add_argument("--no-write", dest="write", action="store_false", help="only print the table")
    parser.set_defaults(func=run_results)


def run_results(args: argparse.Namespace) -> int:
    from genrekit import paths
    from genrekit.results import collect_results, to_markdown, write_results

    runs = Path(args.runs).expanduser() if args.runs else paths.runs_dir()
    table = collect_results(runs)
    if not len(table):
        print(f"no finished runs under {runs}; train one with 'genrekit train' or 'genrekit run'")
    else:
        print(to_markdown(table), end="")
    for problem in table.attrs.get("skipped", []):
        print(f"skipped {problem}")
    if args.write and len(table):
        written = write_results(table, Path(args.out).expanduser() if args.out else runs)
        print(f"\nwritten: {', '.join(str(path) for path in written.values())}")
    return 0
