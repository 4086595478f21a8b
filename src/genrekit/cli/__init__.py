"""The ``genrekit`` command line: a thin layer over the package.

Each sub-command lives in its own module under ``genrekit.cli`` with a ``register(subparsers)``
function; heavy libraries are imported inside the command, so ``genrekit --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from genrekit import __version__
from genrekit.errors import GenrekitError

# Order is the order shown in --help.
COMMAND_MODULES = [
    "genrekit.cli.data",
    "genrekit.cli.features",
    "genrekit.cli.run", "genrekit.cli.train", "genrekit.cli.evaluate", "genrekit.cli.results", "genrekit.cli.config",
    "genrekit.cli.experiment",
    "genrekit.cli.predict", "genrekit.cli.album", "genrekit.cli.pretrained",
    "genrekit.cli.space",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="genrekit",
        description="Music genre classification: datasets, features, models and leak-free evaluation.",
        epilog="Run 'genrekit COMMAND --help' for a command's options. Default data is the generated "
        "synthetic genre set; pass a GTZAN/FMA path to use real data.",
    )
    parser.add_argument("--version", action="version", version=f"genrekit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 partial failure, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = args.func(args)
    except GenrekitError as exc:
        print(f"genrekit {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"genrekit {args.command}: interrupted; finished work is kept and the next run resumes it", file=sys.stderr)
        return 130
    return int(status or 0)


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every experiment command shares: a config file and dotted overrides."""
    parser.add_argument("--config", "-c", metavar="FILE", help="Experiment config (TOML), e.g. configs/debug.toml.")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.FIELD=VALUE",
        help="Override one config field, e.g. --set train.epochs=5 (repeatable; see 'genrekit config').",
    )
