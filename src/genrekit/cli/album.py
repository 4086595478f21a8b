"""``genrekit album``: the album study (is this a country album?) over a folder of tracks."""

from __future__ import annotations

import argparse
import sys

_EPILOG = """\
examples:
  genrekit album ~/Music/cowboy-carter --run RUN_XGB --run RUN_CNN --run RUN_LSTM --genre country
  genrekit album ALBUM --run A --run B --run C --weights 1 2 1 --window 30 --hop 15 --out outputs/album
  genrekit album --synthetic data/interim/synthetic-album --run A --run B --run C

Every audio file of the folder (sorted; --recursive for sub-folders) is classified twice by the
soft-voting ensemble: its middle 30 s (--middle), and windows over the whole track (--window,
--hop). Each call writes a fresh folder (outputs/album/<time>-<album>/, or under --out) holding
tracks.csv, probabilities.csv, logits.csv, timeline.csv, problems.csv, album.png, summary.txt and
a README.md that documents the columns. Unreadable files are skipped and listed; the exit status
is then 1. A truncated or damaged file is analysed as far as it decodes, and says so in the summary
and in tracks.csv. The study calls for at least three runs of different families. A run trained on
genrekit's synthetic set knows generated music only: stderr and the summary say so.
"""


def register(subparsers) -> None:
    from genrekit.cli import positive_seconds
    from genrekit.cli.predict import add_model_arguments

    parser = subparsers.add_parser(
        "album",
        help="classify every track of a folder with an ensemble; CSVs, a figure and a summary",
        description="Album study: per-track genre probabilities (middle of each track) and a timeline of "
        "windows over each track, from a soft-voting ensemble of saved runs.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("folder", metavar="DIR", help="folder of audio files")
    add_model_arguments(parser)
    parser.add_argument("--out", metavar="DIR", help="parent of the fresh output folder (default: outputs/album)")
    parser.add_argument("--window", type=positive_seconds, default=30.0, metavar="S",
                        help="timeline window in seconds (default: %(default)s)")
    parser.add_argument("--hop", type=positive_seconds, default=15.0, metavar="S",
                        help="timeline hop in seconds (default: %(default)s)")
    parser.add_argument("--middle", type=positive_seconds, default=30.0, metavar="S",
                        help="a track's genre comes from its middle S seconds (default: %(default)s)")
    parser.add_argument("--genre", metavar="GENRE", help="the genre the summary asks about (default: the most frequent)")
    parser.add_argument("--recursive", action="store_true", help="include audio files in sub-folders")
    parser.add_argument("--synthetic", action="store_true",
                        help="first write a generated album (8 tracks, mixed genres and formats, one broken file) into DIR")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    parser.set_defaults(func=run_album)


def run_album(args: argparse.Namespace) -> int:
    from genrekit.album import analyse_album
    from genrekit.cli.predict import load_model

    predictor = load_model(args)
    if args.synthetic:
        from genrekit.data.album_synth import make_synthetic_album

        manifest = make_synthetic_album(args.folder, progress=not args.quiet)
        print(f"generated {len(manifest.tracks)} files in {manifest.folder} (true genres in {manifest.path.name})")
    report = analyse_album(
        args.folder, predictor, out_dir=args.out, window_seconds=args.window, hop_seconds=args.hop,
        middle_seconds=args.middle, recursive=args.recursive, genre=args.genre, progress=not args.quiet,
    )
    print(report.summary)
    print(f"\n{len(report.tracks)} tracks analysed in {report.seconds:.1f} s; written to {report.out_dir}")
    if len(report.problems):
        count = len(report.problems)
        print(f"{count} file{'s' if count != 1 else ''} skipped (see {report.out_dir / 'problems.csv'})", file=sys.stderr)
        return 1
    return 0
