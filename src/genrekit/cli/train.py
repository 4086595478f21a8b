"""``genrekit train``: train one registered model into a run folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from genrekit.cli import add_config_arguments

_EPILOG = """\
examples:
  genrekit train --model xgboost                          # synthetic set, artist-grouped split
  genrekit train --model logreg --data gtzan:~/data/gtzan --split filtered --set data.split_dir=~/splits
  genrekit train --model xgboost --chunk-seconds 3        # train on 3 s chunks, score per track
  genrekit train --model logreg --features musicnn-msd    # a linear probe of MSD_musicnn's embedding
  genrekit train --model musicnn-zeroshot --data gtzan:~/data/gtzan   # no training: scored on the test split
  genrekit train --model xgboost --chunk-seconds 3 --split leaky-chunks   # the LEAKY protocol, for comparison
  genrekit train --config configs/debug.toml --set model.params.C=[0.1,1.0]
  genrekit train --list-models
  torchrun --standalone --nproc_per_node 4 -m genrekit train --config configs/hf-whisper-small.toml
                                                          # data-parallel on 4 GPUs (torch and hf families)

Every run writes a folder (run.json, config.toml, the model, metrics.json, report.txt,
confusion.png); 'genrekit results' tabulates them all.
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a model (classic, CNN, LSTM, WaveNet, transformer) into a run folder",
        description="Train one model and write a self-describing run folder with its test and validation scores. "
        "Hyper-parameters are chosen on the validation split only.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", "-m", metavar="NAME", help="registered model (see --list-models); overrides model.name")
    parser.add_argument("--input", metavar="KIND", help="model input: mel, log, linear, mfcc, waveform or features (model.input)")
    parser.add_argument(
        "--checkpoint", metavar="NAME_OR_PATH", help="pretrained checkpoint for --model hf: hub name, short name or local folder (model.checkpoint)"
    )
    parser.add_argument("--resume", metavar="RUN", help="continue an interrupted network run (torch or hf family) from its last checkpoint")
    add_shortcut_arguments(parser)
    add_config_arguments(parser)
    parser.add_argument("--list-models", action="store_true", help="list the registered models and exit")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    parser.set_defaults(func=run_train)


def add_shortcut_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags that map onto config fields, shared with ``genrekit run``."""
    parser.add_argument("--data", "-d", metavar="SOURCE", help="dataset: synthetic, gtzan:PATH, fma-small:PATH, folder:PATH, hf:NAME or PATH (data.source)")
    parser.add_argument("--split", metavar="KIND", help="auto, random, artist, filtered, official or leaky-chunks (data.split)")
    parser.add_argument("--chunk-seconds", type=float, metavar="S", help="cut clips into chunks of S seconds (data.chunk_seconds)")
    parser.add_argument("--features", dest="feature_kind", metavar="KIND",
                        help="feature kind of feature models: handcrafted, musicnn-msd, musicnn-mtt, musicnn, clap or "
                        "hf-encoder (features.kind)")
    parser.add_argument("--runs", "--runs-dir", dest="runs", metavar="DIR",
                        help="where run folders go (runs_dir; default: models/runs)")


def config_from_args(args: argparse.Namespace):
    """The config file, then ``--set`` overrides, then the shortcut flags."""
    from genrekit.config import load_config

    config = load_config(args.config, args.overrides)
    if getattr(args, "model", None):
        config.model.name = args.model
    if getattr(args, "input", None):
        config.model.input = args.input
    if getattr(args, "checkpoint", None):
        config.model.checkpoint = args.checkpoint
    if getattr(args, "data", None):
        config.data.source = args.data
    if getattr(args, "split", None):
        config.data.split = args.split
    if getattr(args, "chunk_seconds", None) is not None:
        config.data.chunk_seconds = args.chunk_seconds
    if getattr(args, "feature_kind", None):
        config.features.kind = args.feature_kind
    if getattr(args, "runs", None):
        config.runs_dir = str(Path(args.runs).expanduser())
    return config


def list_models() -> str:
    """The registry as a table: name, family, inputs, description."""
    from genrekit.models import registry

    specs = registry.models()
    width = max(len(s.name) for s in specs)
    family = max(len(s.family) for s in specs)
    lines = [f"{'model':<{width}}  {'family':<{family}}  inputs (default first)  description"]
    for spec in specs:
        inputs = ",".join(spec.inputs)
        lines.append(f"{spec.name:<{width}}  {spec.family:<{family}}  {inputs:<22}  {spec.description}")
    return "\n".join(lines)


def run_train(args: argparse.Namespace) -> int:
    if args.list_models:
        print(list_models())
        return 0
    from genrekit import distributed
    from genrekit.evaluate import LEAKY_NOTE, is_leaky, split_label
    from genrekit.intervals import interval_line
    from genrekit.runs import read_run
    from genrekit.train import train

    try:
        if args.resume:
            from genrekit.network_runs import resume_run

            run_dir = resume_run(args.resume, overrides=args.overrides, progress=not args.quiet)
        else:
            run_dir = train(config_from_args(args), progress=not args.quiet)
        if not distributed.current().is_main:
            return 0  # under torchrun, rank 0 reports
    finally:
        distributed.teardown()
    record = read_run(run_dir)
    kind = record.metrics.get("split_kind", record.info.split_kind)
    unit = record.metrics.get("unit", record.info.unit)
    print(f"run folder: {run_dir}")
    for split in ("valid", "test"):
        scores = record.metrics.get(split)
        if scores:
            print(
                f"{split:>5}: accuracy {scores['accuracy']:.3f}  macro F1 {scores['macro_f1']:.3f}  "
                f"(n={scores['n']} {unit}s, {split_label(kind)} split, {record.info.dataset})"
            )
    test = record.metrics.get("test")
    if test and test.get("confusion"):
        print(f"       {interval_line({**test, 'unit': unit}, run_dir=run_dir)}")
    if is_leaky(kind):
        print(LEAKY_NOTE)
    if (run_dir / "report.txt").is_file():
        print(f"report: {run_dir / 'report.txt'}")
    return 0
