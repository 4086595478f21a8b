"""The ``genrekit`` command line: a thin layer over the package.

Each sub-command lives in its own module under ``genrekit.cli`` with a ``register(subparsers)``
function; heavy libraries are imported inside the command, so ``genrekit --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import sys

from genrekit import __version__
from genrekit.errors import GenrekitError

# genrekit.data.audio.ENV_VERBOSE, named here so that --help does not import the audio stack
VERBOSE_ENV = "GENREKIT_VERBOSE"

# Order is the order shown in --help.
COMMAND_MODULES = [
    "genrekit.cli.data",
    "genrekit.cli.features",
    "genrekit.cli.run", "genrekit.cli.train", "genrekit.cli.evaluate", "genrekit.cli.results",
    "genrekit.cli.compare", "genrekit.cli.config",
    "genrekit.cli.experiment",
    "genrekit.cli.predict", "genrekit.cli.album", "genrekit.cli.pretrained",
    "genrekit.cli.space", "genrekit.cli.doctor",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="genrekit",
        description="Music genre classification: datasets, features, models and leak-free evaluation.",
        epilog="Run 'genrekit COMMAND --help' for a command's options. Default data is the generated "
        "synthetic genre set; pass a GTZAN/FMA path to use real data.",
    )
    parser.add_argument("--version", action="version", version=f"genrekit {__version__}")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="also show what the audio decoders print about each file (as GENREKIT_VERBOSE=1 does)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 partial failure, 2 bad input)."""
    import warnings

    warnings.formatwarning = _format_warning
    parser = build_parser()
    args = parser.parse_args(argv)
    before = os.environ.get(VERBOSE_ENV)
    if args.verbose:
        os.environ[VERBOSE_ENV] = "1"  # in the environment, so worker processes see it too
    try:
        status = args.func(args)
    except GenrekitError as exc:
        print(f"genrekit {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"genrekit {args.command}: interrupted; finished work is kept and the next run resumes it", file=sys.stderr)
        return 130
    finally:
        if args.verbose and before is None:
            os.environ.pop(VERBOSE_ENV, None)
    return int(status or 0)


_DEFAULT_FORMAT = __import__("warnings").formatwarning


def _format_warning(message, category, filename, lineno, line=None) -> str:
    """genrekit's own warnings as one line for a person (no source line); others as Python shows them."""
    if "genrekit" in str(filename) or getattr(category, "__module__", "").startswith("genrekit"):
        return f"genrekit: warning: {message}\n"
    return _DEFAULT_FORMAT(message, category, filename, lineno, line)


def positive_seconds(text: str) -> float:
    """argparse type: a finite number of seconds above 0 (``--window``, ``--hop``)."""
    value = _number(text, float)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, not {text!r}")
    return value


def seconds_or_zero(text: str) -> float:
    """argparse type: a finite number of seconds, 0 or more (``--middle 0`` means the whole file)."""
    value = _number(text, float)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 (whole file) or a number of seconds above 0, not {text!r}")
    return value


def positive_int(text: str) -> int:
    """argparse type: a whole number of 1 or more (``--top``)."""
    value = _number(text, int)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {text!r}")
    return value


def _number(text: str, kind):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a {'whole number' if kind is int else 'number'}: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, not {text!r}")
    return value


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
