"""``genrekit run``: the main job, from a dataset to a results table in one command."""

from __future__ import annotations

import argparse

from genrekit.cli import add_config_arguments

_EPILOG = """\
examples:
  genrekit run --quick                          # about a minute: small synthetic set, logreg + xgboost
  genrekit run                                  # the full synthetic set (10 genres x 100 clips x 30 s)
  genrekit run --quick --with-leaky             # add LEAKY chunk-split rows to see the inflation
  genrekit run --data gtzan:~/data/gtzan --split artist --set data.artist_index=~/GTZANindex.txt
  genrekit run --models logreg,knn,svm,rf,xgboost
  genrekit run --data gtzan:~/data/gtzan --models logreg,musicnn-zeroshot --features musicnn-msd

Steps: load (or generate) the dataset, split it by track (artist-grouped when artists are known),
extract hand-crafted features and the embedding of MSD_musicnn, a CNN trained on real music
(cached), train each model on each with a validation-split search (a model on the embedding is a
probe of the network), score it on the test split per track, and print the results table. Run
folders go to models/runs.
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "run",
        help="the main job: dataset -> split -> features (hand-crafted, musicnn) -> logreg + XGBoost -> results table",
        description="Run the whole pipeline on the synthetic set (default) or a GTZAN/FMA path and print a "
        "results table in which every score states its split kind and its 95% interval, then the best run "
        "(chosen on validation macro F1) against each other one on the same test tracks (McNemar's test with "
        "Holm-adjusted p-values, paired intervals).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data", "-d", metavar="SOURCE", help="dataset (default: synthetic); gtzan:PATH, fma-small:PATH, folder:PATH or PATH")
    parser.add_argument("--quick", action="store_true", help="small synthetic set (40 clips/genre x 5 s, 50/25/25 split), or 20 tracks/genre of real data")
    parser.add_argument("--models", default="logreg,xgboost", metavar="A,B", help="comma-separated models (default: %(default)s)")
    parser.add_argument("--features", default="handcrafted,musicnn-msd", metavar="A,B",
                        help="feature kinds every feature model is trained on, one run each: handcrafted, musicnn-msd, "
                        "musicnn-mtt, musicnn (default: %(default)s; the musicnn weights are fetched with pip on first use)")
    parser.add_argument("--split", metavar="KIND", help="auto, random, artist, filtered or official (default: auto)")
    parser.add_argument("--chunk-seconds", type=float, metavar="S", help="train on S-second chunks, score per track")
    parser.add_argument("--with-leaky", action="store_true", help="also train under the LEAKY chunk split for comparison (all runs then use 3 s chunks, 1 s with --quick)")
    parser.add_argument("--runs", "--runs-dir", dest="runs", metavar="DIR", help="where run folders go (default: models/runs)")
    parser.add_argument("--out", metavar="DIR", help="also write this job's results.md / results.csv here")
    add_config_arguments(parser)
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    parser.set_defaults(func=run_job)


def run_job(args: argparse.Namespace) -> int:
    from genrekit.pipeline import run_main_job

    run_main_job(
        data=args.data,
        quick=args.quick,
        models=args.models,
        features=args.features,
        split=args.split,
        chunk_seconds=args.chunk_seconds,
        with_leaky=args.with_leaky,
        config=args.config,
        overrides=args.overrides,
        runs_dir=args.runs,
        out_dir=args.out,
        progress=not args.quiet,
    )
    return 0
