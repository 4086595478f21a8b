"""``genrekit space``: a deployable Hugging Face Space folder (the app, genrekit and the runs it serves)."""

from __future__ import annotations

import argparse
import sys

_EPILOG = """\
examples:
  genrekit space build dist/space --run models/runs/20250101-120000-xgboost-xgboost-gtzan
  genrekit space build dist/space --run RUN_A --run RUN_B --overwrite     # a soft-voting ensemble
  hf upload USER/SPACE dist/space . --type space                         # deploy (creates the Space)
  genrekit space requirements > space/requirements.txt                    # after editing pyproject.toml

The folder holds app.py, README.md (the Space header) and examples/ from space/, a copy of the
genrekit package, requirements.txt (genrekit's dependencies, CPU torch) and the runs under
models/ without their checkpoints or plots; the app serves those runs when it starts
(space.json), with no environment variables.
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "space",
        help="build a self-contained Hugging Face Space folder (app + genrekit + runs)",
        description="Build a Hugging Face Space folder that deploys as it stands, or print its requirements.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="space_command", metavar="ACTION", required=True)

    build = sub.add_parser(
        "build",
        help="write the Space folder",
        description="Write OUT, a Hugging Face Space that deploys as it stands: app.py, README.md and examples/\n"
        "from space/, a copy of the genrekit package, requirements.txt, and the --run folders under\n"
        "models/, which the app serves by default.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    build.add_argument("out", metavar="OUT", help="folder to write (new or empty; see --overwrite)")
    build.add_argument("--run", dest="runs", action="append", default=[], metavar="RUN",
                       help="run folder to serve (path, or name under the runs folder); repeat for a soft-voting "
                            "ensemble; 'hf:ORG/NAME' is downloaded by the Space instead of copied")
    build.add_argument("--runs-dir", "--runs", dest="runs_dir", metavar="DIR",
                       help="where run names are looked up (default: models/runs)")
    build.add_argument("--overwrite", action="store_true", help="replace OUT if it holds an earlier Space bundle")
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.set_defaults(func=run_build)

    requirements = sub.add_parser(
        "requirements",
        help="print the Space's requirements.txt (the committed space/requirements.txt)",
        description="Print the requirements.txt a Space bundle gets, derived from pyproject.toml and the torch "
        "pin of requirements.txt (the committed space/requirements.txt is this text).",
    )
    requirements.set_defaults(func=run_requirements)


def run_build(args: argparse.Namespace) -> int:
    from genrekit.inference import HUB_PREFIX
    from genrekit.runs import resolve_run
    from genrekit.space_bundle import build_space

    runs = [run if run.startswith(HUB_PREFIX) else resolve_run(run, args.runs_dir) for run in args.runs]
    out = build_space(args.out, runs=runs, overwrite=args.overwrite, progress=not args.quiet)
    print(f"Space written to {out}")
    print(f"deploy it with: hf upload USER/SPACE {out} . --type space")
    if not runs:
        print("it serves no model: set the Space variable GENREKIT_APP_TRAIN_IF_MISSING=1 (trains the small "
              "default model at start-up) or GENREKIT_APP_RUNS=hf:ORG/NAME", file=sys.stderr)
    return 0


def run_requirements(args: argparse.Namespace) -> int:
    from genrekit.space_bundle import space_requirements

    sys.stdout.write(space_requirements())
    return 0
