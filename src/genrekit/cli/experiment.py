"""``genrekit experiment``: named comparisons that train several runs on one shared split."""

from __future__ import annotations

import argparse
from pathlib import Path

from genrekit.cli import add_config_arguments

#: Experiments: name -> (inputs compared, default config file name, one-line description).
EXPERIMENTS = {
    "mel-vs-log": (("mel", "log"), "mel-vs-log.toml", "the same CNN on mel and on log-frequency spectrograms"),
}

_EPILOG = """\
experiments:
  mel-vs-log     the same CNN on mel and on log-frequency spectrograms, same split, same seed

examples:
  genrekit experiment mel-vs-log                                  # synthetic set, configs/mel-vs-log.toml
  genrekit experiment mel-vs-log --data gtzan:~/data/gtzan --split filtered --set data.split_dir=~/splits
  genrekit experiment mel-vs-log -c configs/debug-torch.toml --set train.epochs=3

Each input gets its own run folder, tagged {"experiment": "mel-vs-log"} in run.json, so
'genrekit results' lists them side by side.
"""


def register(subparsers) -> None:
    from genrekit.cli.train import add_shortcut_arguments

    parser = subparsers.add_parser(
        "experiment",
        help="run a named comparison (mel-vs-log) on one shared split",
        description="Train the same model on several inputs on one split and print their scores side by side.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("name", choices=sorted(EXPERIMENTS), metavar="NAME", help="experiment: " + ", ".join(sorted(EXPERIMENTS)))
    add_shortcut_arguments(parser)
    add_config_arguments(parser)
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    parser.set_defaults(func=run_experiment)


def run_experiment(args: argparse.Namespace) -> int:
    from genrekit import paths
    from genrekit.cli.train import config_from_args
    from genrekit.models.torch_family import compare_inputs
    from genrekit.runs import read_run

    inputs, config_name, _ = EXPERIMENTS[args.name]
    if args.config is None:
        shipped = paths.configs_dir() / config_name
        args.config = str(shipped) if shipped.is_file() else None
    config = config_from_args(args)
    if args.config is None:
        config.model.name = "cnn-spec"  # no shipped config (installed package): the experiment's model
    config.name = args.name if config.name in ("experiment", "") else config.name
    runs = compare_inputs(config, inputs=inputs, tag=args.name, progress=not args.quiet)
    print(format_table([read_run(r) for r in runs]))
    return 0


def format_table(records) -> str:
    """One line per run: input, test and validation scores, best epoch, run folder."""
    lines = [f"{'input':<8} {'test acc':>8} {'test F1':>8} {'valid F1':>8} {'n test':>6}  {'best epoch':>10}  run folder"]
    for record in records:
        test, valid = record.metrics.get("test", {}), record.metrics.get("valid", {})
        best = record.metrics.get("training", {}).get("best_epoch", "")
        lines.append(
            f"{record.info.input:<8} {test.get('accuracy', float('nan')):8.3f} {test.get('macro_f1', float('nan')):8.3f} "
            f"{valid.get('macro_f1', float('nan')):8.3f} {test.get('n', 0):6d}  {best!s:>10}  {Path(record.path)}"
        )
    first = records[0] if records else None
    if first is not None:
        lines.append(f"dataset {first.info.dataset}, split {first.info.split_kind}, scored per {first.info.unit}")
    return "\n".join(lines)
