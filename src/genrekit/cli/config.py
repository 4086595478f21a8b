"""``genrekit config``: show a resolved experiment config, or every field with its help."""

from __future__ import annotations

import argparse
import textwrap

from genrekit.cli import add_config_arguments


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "config",
        help="print a resolved experiment config as TOML, or list every config field",
        description="Print the experiment config that a command would use (file, then --set overrides) as TOML, "
        "or with --help-fields list every field with its default and help.",
        epilog="examples:\n  genrekit config\n  genrekit config configs/xgboost.toml --set data.chunk_seconds=3\n"
        "  genrekit config --help-fields",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", nargs="?", metavar="FILE", help="experiment config (TOML); same as --config")
    add_config_arguments(parser)
    parser.add_argument("--help-fields", action="store_true", help="list every field, its default and its help")
    parser.set_defaults(func=run_config)


def run_config(args: argparse.Namespace) -> int:
    from genrekit.config import describe_fields, load_config, to_toml

    if args.help_fields:
        for name, default, help_text in describe_fields():
            print(f"{name} = {default}")
            print(textwrap.fill(help_text, width=96, initial_indent="    ", subsequent_indent="    ", break_on_hyphens=False))
        return 0
    config = load_config(args.file or args.config, args.overrides)
    print(to_toml(config.to_dict()), end="")
    return 0
