"""``genrekit data``: generate the synthetic set, download FMA/GTZAN, and inspect any dataset before training on it."""

from __future__ import annotations

import argparse
import textwrap

from genrekit.cli import add_config_arguments
from genrekit.config import DataConfig
from genrekit.errors import ConfigError

_DATA_EPILOG = """\
examples:
  genrekit data synth                             # the default synthetic set (10 genres x 100 clips x 30 s)
  genrekit data synth --clips 8 --seconds 6 --out /tmp/tiny
  genrekit data info synthetic
  genrekit data info gtzan:~/data/gtzan --split artist --artist-index GTZANindex.txt
  genrekit data info ~/data/fma --no-durations    # FMA: the official split is shown
  genrekit data fetch --list                      # datasets that can be downloaded
  genrekit data fetch fma-small                   # download, verify, unpack; prints the next command
"""

_FETCH_EPILOG = """\
The archive goes to the data folder (raw/fma or raw/gtzan) unless --dest is given, is checked
against its published checksum while it downloads, and is unpacked safely; an interrupted download
resumes on the next run, and a finished dataset is not fetched twice. No network? Put the archive
at the path named in the error message (e.g. <data>/raw/fma/fma_small.zip) and run again: it is
verified and unpacked offline. GENREKIT_FMA_MIRROR / GENREKIT_GTZAN_MIRROR set a base URL to
download from instead (a proxy or a local mirror).

examples:
  genrekit data fetch --list
  genrekit data fetch fma-small                   # fma_metadata.zip + fma_small.zip (~7.5 GiB)
  genrekit data fetch gtzan --dest ~/data/gtzan
  genrekit data fetch fma-medium --keep-archive   # keep the zip files after unpacking
  GENREKIT_FMA_MIRROR=http://mirror.local/fma genrekit data fetch fma-small
"""

_INFO_EPILOG = """\
SOURCE is one of:
  synthetic            the generated genre set (made on first use)
  gtzan:PATH           GTZAN: PATH holds genres/ (original .au) or genres_original/ (Kaggle .wav)
  fma-small:PATH       FMA (also fma-medium, fma-large): PATH holds fma_metadata/ and fma_small/
  folder:PATH          any folder whose sub-folders are genres
  hf:NAME              a Hugging Face dataset (needs internet, or a save_to_disk folder)
  PATH                 layout detected (FMA, GTZAN, else folder)

Every track is decoded as 'genrekit features' reads it (the sample rate, clip and chunk of the
config: --config, --set) and checked as extraction checks it, so the files listed as unusable are
the ones extraction skips: unreadable, empty, silent, NaN samples, too short. Truncated or damaged
files, which are used as far as they decode, are listed apart. --no-decode reads headers only.

examples:
  genrekit data info gtzan:~/data/gtzan
  genrekit data info gtzan:~/data/gtzan --split filtered --split-dir ~/data/gtzan-splits
  genrekit data info ~/music --set data.chunk_seconds=3     # the checks of 3 s chunks
  genrekit data info ~/music --no-decode                    # headers only: faster
  genrekit data info ~/music --no-durations                 # counts only: reads no file
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "data",
        help="generate the synthetic set; download FMA/GTZAN; inspect a dataset (genres, splits, durations, bad files)",
        description="Dataset tools: generate the synthetic genre set, download FMA or GTZAN, or summarise any dataset.",
        epilog=_DATA_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    defaults = DataConfig()
    synth = sub.add_parser(
        "synth",
        help="generate the synthetic genre set",
        description="Generate the synthetic genre set in GTZAN's genres_original layout, with an artist index. "
        "Interrupted runs resume: finished clips are kept.",
        epilog="example:\n  genrekit data synth --clips 20 --seconds 10 --seed 1",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    synth.add_argument("--out", metavar="DIR", help="output folder (default: under the data folder, named by size and seed)")
    synth.add_argument("--clips", type=int, default=defaults.synthetic_clips, metavar="N", help="clips per genre (default: %(default)s)")
    synth.add_argument("--seconds", type=float, default=defaults.synthetic_seconds, metavar="S", help="clip length in seconds (default: %(default)s)")
    synth.add_argument("--seed", type=int, default=defaults.seed, metavar="N", help="random seed (default: %(default)s)")
    synth.add_argument("--workers", type=int, default=0, metavar="N", help="parallel processes (default: 0 = one per CPU core)")
    synth.set_defaults(func=run_synth)

    info = sub.add_parser(
        "info",
        help="summarise a dataset: tracks per genre and split, durations, sample rates, bad files",
        description="Load a dataset and print tracks per genre (and per split), durations, sample rates, "
        "channel counts, artists, and the files feature extraction cannot use, with the reason.",
        epilog=_INFO_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    info.add_argument("source", metavar="SOURCE", help="dataset (see below)")
    info.add_argument("--split", metavar="KIND", help="also assign a split of this kind: auto, random, artist, filtered, official, leaky-chunks")
    info.add_argument("--split-dir", metavar="DIR", help="folder with train/valid/test_filtered.txt (for --split filtered)")
    info.add_argument("--artist-index", metavar="FILE", help="Sturm's GTZANindex.txt, giving GTZAN's artists")
    info.add_argument("--seed", type=int, metavar="N", help="seed for random/artist splits (default: data.seed, 0)")
    add_config_arguments(info)
    info.add_argument("--no-decode", dest="decode", action="store_false",
                      help="read file headers only, not the audio (faster; silent, too-short and truncated files are then "
                      "not found)")
    info.add_argument("--no-durations", dest="durations", action="store_false",
                      help="read no file at all: counts only (fastest; unusable files are then not found)")
    info.add_argument("--workers", type=int, metavar="N", help="processes that decode (default: features.workers; 0 = one per "
                      "CPU core)")
    info.set_defaults(func=run_info)

    fetch = sub.add_parser(
        "fetch",
        help="download, verify and unpack FMA or GTZAN",
        description="Download a public dataset, verify its checksum, unpack it and print the command to use it.",
        epilog=_FETCH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fetch.add_argument("name", nargs="?", metavar="NAME", help="dataset: fma-small, fma-medium, fma-large, fma-metadata or gtzan")
    fetch.add_argument("--list", action="store_true", help="list the datasets, their sizes, checksums and terms, and exit")
    fetch.add_argument("--dest", metavar="DIR", help="dataset folder (default: <data folder>/raw/fma or raw/gtzan)")
    fetch.add_argument("--force", action="store_true", help="unpack again over a complete folder (an archive on disk is re-used if it verifies)")
    fetch.add_argument("--keep-archive", action="store_true", help="keep the downloaded archives after unpacking")
    fetch.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars or status lines")
    fetch.set_defaults(func=run_fetch)


def run_synth(args: argparse.Namespace) -> int:
    from genrekit.data import synth

    out = args.out or synth.default_synthetic_root(clips_per_genre=args.clips, seconds=args.seconds, seed=args.seed)
    root = synth.generate_synthetic(
        out, clips_per_genre=args.clips, seconds=args.seconds, seed=args.seed, workers=args.workers, progress=True
    )
    print(f"synthetic set ready: {root or out}")
    return 0


def run_info(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from genrekit.config import load_config
    from genrekit.data.datasets import load_dataset
    from genrekit.data.splits import SPLIT_KINDS, assign_splits
    from genrekit.features.inspection import describe

    cfg = load_config(args.config, args.overrides)
    given = {"split_dir": args.split_dir, "artist_index": args.artist_index, "seed": args.seed}
    data = replace(cfg.data, source=args.source, **{k: v for k, v in given.items() if v is not None})
    if args.split is not None and args.split not in SPLIT_KINDS:
        raise ConfigError(f"unknown split kind {args.split!r}; choose one of: {', '.join(SPLIT_KINDS)}")
    index = load_dataset(args.source, data=data, progress=True)
    if args.split is not None:
        index = assign_splits(
            index,
            kind=args.split,
            seed=data.seed,
            valid_fraction=data.valid_fraction,
            test_fraction=data.test_fraction,
            split_dir=data.split_dir,
        )
    workers = cfg.features.workers if args.workers is None else args.workers
    summary = describe(index, durations=args.durations, check=args.decode, data=data, features=cfg.features,
                       workers=workers, progress=True)
    print(format_summary(summary))
    return 0


def run_fetch(args: argparse.Namespace) -> int:
    import shlex

    from genrekit.data import download

    if args.list:
        print(format_fetch_list())
        return 0
    if args.name is None:
        raise ConfigError(f"name a dataset to fetch ({', '.join(download.DATASETS)}), or pass --list")
    dataset = download.get_dataset(args.name)
    folder = download.fetch(args.name, dest=args.dest, progress=args.progress, force=args.force, keep_archive=args.keep_archive)
    print(f"{args.name} is in {folder}")
    source = download.data_source(args.name, folder)
    if source is None:
        print(f"metadata only: read {folder / 'fma_metadata' / 'tracks.csv'} with genrekit.data.fma.read_tracks_csv")
    else:
        print("next:")
        print(f"  genrekit data info {shlex.quote(source)}")
        print(f"  genrekit run --data {shlex.quote(source)}")
    for note in dataset.notes[1:]:
        print(f"note: {note}")
    print(f"terms: {dataset.terms}")
    return 0


def format_fetch_list() -> str:
    """The table ``genrekit data fetch --list`` prints."""
    from genrekit.data import download

    rows = []
    for d in download.DATASETS.values():
        checksum = " + ".join(sorted({c.split(":", 1)[0] for a in d.archives for c in a.checksums[:1]})) if d.verified else "unknown"
        size = "unknown" if d.size is None else f"~{d.size / 2**30:.1f} GiB" if d.size >= 2**30 else f"~{d.size / 2**20:.0f} MiB"
        rows.append((d.name, size, checksum, " + ".join(a.filename for a in d.archives)))
    header = ("name", "size", "checksum", "archives")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    for row, d in zip(rows, download.DATASETS.values()):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        for text in (*d.notes[:1], f"terms: {d.terms}"):
            lines.append(textwrap.fill(text, 100, initial_indent="    ", subsequent_indent="      "))
    lines += ["", "sizes are the publishers' rounded figures; unpacking needs about as much again."]
    return "\n".join(lines)


def format_summary(summary: dict) -> str:
    """The text ``genrekit data info`` prints for a :func:`~genrekit.features.inspection.describe` dict."""
    from genrekit.data.splits import SPLIT_KINDS

    lines = [f"{summary['name']}: {summary['tracks']:,} tracks, {len(summary['genres'])} genres"]
    splits = summary["splits"]
    sides = [s for s in ("train", "valid", "test") if splits and any(splits[s].values())]
    width = max([len("genre"), len("total")] + [len(g) for g in summary["genres"]])
    header = f"  {'genre':<{width}}  {'tracks':>7}" + "".join(f"  {s:>6}" for s in sides)
    lines += ["", header, "  " + "-" * (len(header) - 2)]
    for genre, count in summary["genres"].items():
        row = f"  {genre:<{width}}  {count:>7,}"
        row += "".join(f"  {splits[s].get(genre, 0):>6,}" for s in sides)
        lines.append(row)
    total = f"  {'total':<{width}}  {summary['tracks']:>7,}" + "".join(f"  {sum(splits[s].values()):>6,}" for s in sides)
    lines += ["  " + "-" * (len(header) - 2), total, ""]

    if summary["split_kind"]:
        description = SPLIT_KINDS.get(summary["split_kind"], "")
        lines.append(f"split:        {summary['split_kind']}" + (f" - {description}" if description else ""))
    else:
        lines.append("split:        none yet (training assigns one; try --split auto)")
    d = summary["durations"]
    if d:
        lines.append(
            f"durations:    min {d['min']:.2f} s, median {d['median']:.2f} s, max {d['max']:.2f} s "
            f"(total {_hours_or_minutes(d['total'])})"
        )
        lines.append("sample rates: " + ", ".join(f"{sr:,} Hz ({n:,})" for sr, n in summary["sample_rates"].items()))
        names = {1: "mono", 2: "stereo"}
        lines.append("channels:     " + ", ".join(f"{names.get(c, c)} ({n:,})" for c, n in summary["channels"].items()))
        lines.append("formats:      " + ", ".join(f"{f} ({n:,})" for f, n in summary["formats"].items()))
    if summary["artists_known"]:
        lines.append(f"artists:      {summary['artists']:,} distinct, known for {summary['artists_known']:,} of {summary['tracks']:,} tracks")
    else:
        lines.append("artists:      unknown (artist splits fall back to one group per track)")
    if summary["notes"]:
        lines += ["", "notes:"] + [textwrap.fill(n, 100, initial_indent="  - ", subsequent_indent="    ") for n in summary["notes"]]
    lines += ["", _checked_line(summary)]
    problems = summary["problems"]
    skipped = summary.get("skipped_on_load", 0)
    failing = len(problems) - skipped
    if not problems:
        lines.append("problems:     none" + (": every track can be used" if summary.get("checked") == "decoded" else ""))
    else:
        parts = []
        if failing:
            parts.append(f"{failing:,} of {summary['tracks']:,} tracks cannot be used (feature extraction skips them)")
        if skipped:
            parts.append(f"{_count(skipped, 'file')} skipped when the dataset was loaded")
        lines.append("problems:     " + "; ".join(parts) + ":")
        lines += _listed(problems)
    partial = summary.get("partial") or []
    if partial:
        lines.append(f"partly used:  {_count(len(partial), 'track')} used only as far as {'it decodes' if len(partial) == 1 else 'they decode'}:")
        lines += _listed(partial)
    return "\n".join(lines)


def _checked_line(summary: dict) -> str:
    checked, settings = summary.get("checked"), summary.get("check_settings")
    if checked == "decoded" and settings:
        window = "whole tracks" if settings["clip_seconds"] is None else f"the middle {settings['clip_seconds']:g} s"
        chunks = f", {settings['chunk_seconds']:g} s chunks" if settings["chunk_seconds"] else ""
        return (f"checked:      every track decoded as feature extraction reads it ({settings['sample_rate']:,} Hz, "
                f"{window}{chunks}, at least {settings['min_seconds']:g} s)")
    if checked == "headers":
        return "checked:      headers only (--no-decode): silent, too-short and truncated files are not found"
    if not summary["tracks"]:
        return "checked:      no track to read"
    return "checked:      no file read (counts only): unusable files are not found"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _listed(items: list[str], limit: int = 50) -> list[str]:
    lines = [f"  - {p}" for p in items[:limit]]
    if len(items) > limit:
        lines.append(f"  ... and {len(items) - limit:,} more")
    return lines


def _hours_or_minutes(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"
