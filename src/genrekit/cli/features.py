"""``genrekit features``: extract (or update) the feature cache of a dataset (hand-crafted or musicnn)."""

from __future__ import annotations

import argparse
import sys
import time

from genrekit.cli import add_config_arguments

_EPILOG = """\
The cache is keyed by dataset, audio window (sample rate, clip, chunk and hop seconds) and feature
settings: re-running is a cache hit, an interrupted run resumes, and bad files are listed, not fatal.
Truncated or damaged files are used as far as they decode and listed as such ('genrekit data info'
lists both kinds before any extraction). Exit status: 0 all files extracted, 1 some files were bad
(all good ones were extracted), 2 bad input.

examples:
  genrekit features                                  # the synthetic set, configured defaults
  genrekit features gtzan:~/data/gtzan --chunk-seconds 3 --workers 2
  genrekit features ~/data/fma --config configs/xgboost-fma.toml --set features.chroma_cqt=false
  genrekit features folder:~/music --limit-per-genre 5
  genrekit features gtzan:~/data/gtzan --kind musicnn-msd        # MSD_musicnn's 200-d embedding per clip
  genrekit features gtzan:~/data/gtzan --kind musicnn --set features.embedding=taggram --chunk-seconds 3
  genrekit features fma-large:/shared/fma --scheduler tcp://scheduler-host:8786   # on a Dask cluster
  genrekit features gtzan:~/data/gtzan --scheduler local:4                       # a local Dask cluster

With --scheduler (features.scheduler) each track is a task on the Dask cluster's workers, which must
have genrekit installed and see the audio at the same paths; results come back here and this machine
writes the same cache as a local run (either kind of run resumes the other).
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "features",
        help="extract hand-crafted features or musicnn embeddings of a dataset into the Parquet cache",
        description="Extract features of every track of a dataset into a resumable Parquet cache: hand-crafted "
        "ones (chroma, tonnetz, MFCC, spectral shape, RMS, ZCR, HPSS, tempo; means and variances per clip or "
        "chunk, in parallel processes), or the embedding of musicnn, a CNN trained on real music (--kind).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source", nargs="?", metavar="SOURCE", help="dataset (default: data.source of the config); see 'genrekit data info --help'")
    add_config_arguments(parser)
    parser.add_argument("--kind", metavar="KIND", help="handcrafted, musicnn-msd, musicnn-mtt or musicnn (sets features.kind)")
    parser.add_argument("--chunk-seconds", type=float, metavar="S", help="features per chunk of S seconds (sets data.chunk_seconds)")
    parser.add_argument("--workers", type=int, metavar="N", help="worker processes (sets features.workers; 0 = one per CPU core)")
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="extract on a Dask cluster: tcp://HOST:8786, a scheduler file PATH.json, 'local' or 'local:N' "
        "(sets features.scheduler; needs the 'dask' extra; --workers is then unused)",
    )
    parser.add_argument("--limit-per-genre", type=int, metavar="N", help="only N tracks per genre (sets data.limit_per_genre)")
    parser.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from genrekit.config import load_config
    from genrekit.data.datasets import load_dataset
    from genrekit.features.extract import extract_dataset

    cfg = load_config(args.config, args.overrides)
    if args.kind is not None:
        cfg.features.kind = args.kind
    if args.chunk_seconds is not None:
        cfg.data.chunk_seconds = args.chunk_seconds
    if args.workers is not None:
        cfg.features.workers = args.workers
    if args.scheduler is not None:
        cfg.features.scheduler = args.scheduler
    if args.limit_per_genre is not None:
        cfg.data.limit_per_genre = args.limit_per_genre
    source = args.source or cfg.data.source

    start = time.perf_counter()
    index = load_dataset(source, data=cfg.data, progress=args.progress)
    result = extract_dataset(index, data=cfg.data, features=cfg.features, progress=args.progress)
    seconds = time.perf_counter() - start

    usable = result.frame["track_id"].nunique()
    print(f"dataset:  {index.name} ({source})")
    print(f"cache:    {result.cache_dir}")
    if cfg.features.scheduler and result.computed:
        print(f"cluster:  {cfg.features.scheduler}")
    unusable = f", {len(result.problems):,} cannot be used (listed below)" if result.problems else ""
    print(f"tracks:   {usable:,} of {len(index):,} usable{unusable}; {result.computed:,} read now, "
          f"{result.cached:,} answered from the cache")
    print(f"rows:     {len(result.frame):,} ({'one per chunk' if cfg.data.chunk_seconds else 'one per track'})")
    print(f"columns:  {len(result.feature_columns)} features + {len(result.frame.columns) - len(result.feature_columns)} id/label columns")
    print(f"time:     {seconds:.1f} s")
    if result.notes:
        print(f"used only as far as they decode ({len(result.notes)}):", file=sys.stderr)
        for note in result.notes:
            print(f"  {note}", file=sys.stderr)
    problems = list(index.problems) + list(result.problems)
    if problems:
        print(f"bad files ({len(problems)}, skipped):", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    return 0
