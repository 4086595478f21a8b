"""``genrekit predict``: the top genres of audio files, from one saved run or a soft-voting ensemble."""

from __future__ import annotations

import argparse
import json
import sys

_EPILOG = """\
examples:
  genrekit predict song.mp3                      # zero-shot musicnn model: no training needed
  genrekit predict song.mp3 --run models/runs/20250101-120000-xgboost-xgboost-gtzan
  genrekit predict *.flac --run RUN_A --run RUN_B --run RUN_C --top 5
  genrekit predict long-mix.ogg --run RUN --timeline --window 30 --hop 15
  genrekit predict song.wav --run RUN --json > song.json
  genrekit predict ~/Music/album --run RUN                 # every audio file inside, sub-folders too

Each model reads the audio as its run recorded (sample rate, features or chunks), so any format,
length, channel count or sample rate works. Several --run options vote softly (mean probability,
or --weights). A file that cannot be read is reported and the others are still predicted; the exit
status is then 1. A truncated or damaged file is predicted from the part that decodes, with a
warning saying so (in --json: its "notes"). A model trained on genrekit's synthetic set (or an
ensemble with such a member) is named on stderr (in --json: "synthetic_note"): it knows generated
music only.
"""


def register(subparsers) -> None:
    from genrekit.cli import positive_int, positive_seconds, seconds_or_zero

    parser = subparsers.add_parser(
        "predict",
        help="top genres of audio files from saved runs (several runs: soft-voting ensemble)",
        description="Predict the genre of audio files with one saved run, or several (soft voting). By "
        "default the middle 30 s of each file is classified; --timeline adds windows over the whole file.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="audio files (wav, flac, mp3, ogg, ...), or folders: every audio file inside, sorted, "
                        "sub-folders included")
    add_model_arguments(parser)
    parser.add_argument("--top", type=positive_int, default=3, metavar="K", help="genres shown per file (default: %(default)s)")
    parser.add_argument("--middle", type=seconds_or_zero, default=30.0, metavar="S",
                        help="classify the middle S seconds of each file; 0 for the whole file (default: %(default)s)")
    parser.add_argument("--timeline", action="store_true", help="also classify windows over the whole file")
    parser.add_argument("--window", type=positive_seconds, default=30.0, metavar="S",
                        help="timeline window in seconds (default: %(default)s)")
    parser.add_argument("--hop", type=positive_seconds, default=None, metavar="S",
                        help="timeline hop in seconds (default: half a window)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    parser.set_defaults(func=run_predict)


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """--run (repeatable), --weights and --runs-dir, shared with ``genrekit album``."""
    parser.add_argument("--run", dest="runs", action="append", metavar="RUN",
                        help="run folder (path, or name under the runs folder); repeat for an ensemble. Without "
                        "--run: the zero-shot musicnn model (networks trained on real music, their tags mapped to "
                        "GTZAN's ten genres; weights fetched with pip on first use)")
    parser.add_argument("--weights", nargs="+", type=float, metavar="W",
                        help="one weight per --run for the soft vote (default: equal)")
    parser.add_argument("--runs-dir", "--runs", dest="runs_dir", metavar="DIR",
                        help="where run names are looked up (default: models/runs)")


def load_model(args: argparse.Namespace):
    """The predictor the --run/--weights options name."""
    from genrekit.errors import ConfigError
    from genrekit.inference import load_predictor, synthetic_note

    if not args.runs:
        from genrekit.models.zeroshot import default_run

        print(f"genrekit {args.command}: no --run given: using the zero-shot musicnn model (tags of CNNs trained on "
              "real music, mapped to GTZAN's ten genres; see 'genrekit pretrained --help')", file=sys.stderr)
        args.runs = [str(default_run())]
    if args.weights is not None and len(args.weights) != len(args.runs):
        raise ConfigError(f"{len(args.runs)} --run options but {len(args.weights)} --weights")
    predictor = load_predictor(args.runs, weights=args.weights, runs_dir=args.runs_dir)
    note = synthetic_note(predictor)
    if note:
        print(f"genrekit {args.command}: note: {note}", file=sys.stderr)
    return predictor


def run_predict(args: argparse.Namespace) -> int:
    from genrekit.data.audio import collect_audio_warnings
    from genrekit.errors import AudioError
    from genrekit.inference import synthetic_note

    predictor = load_model(args)
    middle = args.middle if args.middle and args.middle > 0 else None
    inputs = audio_inputs(args.files)
    results, failed = [], 0
    with collect_audio_warnings() as found:  # reported here, one line per file, and in the JSON
        for name, problem in inputs:
            seen = len(found)
            try:
                if problem is not None:
                    raise AudioError(name, problem)
                prediction = predictor.predict_file(name, timeline=args.timeline, middle_seconds=middle,
                                                    window_seconds=args.window, hop_seconds=args.hop)
            except AudioError as exc:
                failed += 1
                results.append({"file": name, "error": exc.reason, "notes": [w.reason for w in found[seen:]]})
                if not args.json:
                    print(f"genrekit predict: {exc}", file=sys.stderr)
                    _warn(found[seen:])
                continue
            results.append({"file": name, **prediction.to_dict(top=args.top)})
            if not args.json:
                _warn(found[seen:])  # the prediction describes the part of the file that decodes
                print(_text(name, prediction, top=args.top, timeline=args.timeline))
    if args.json:
        print(json.dumps({"model": predictor.name, "synthetic_note": synthetic_note(predictor), "files": results}, indent=2))
    elif failed:
        print(f"{failed} of {len(inputs)} files could not be predicted", file=sys.stderr)
    return 1 if failed else 0


def _warn(found) -> None:
    for warning in found:
        print(f"genrekit predict: warning: {warning}", file=sys.stderr)


def audio_inputs(names) -> list[tuple[str, str | None]]:
    """Expand the FILE arguments: a folder stands for every audio file inside it, sub-folders included.

    Returns
    -------
    list of (name, problem)
        In argument order, a folder's files sorted by their path below it, each with ``problem``
        None; a folder without audio files is kept, with the reason it cannot be predicted.
        Anything that is not a folder is kept as given (a missing file is reported when read).
    """
    from pathlib import Path

    from genrekit.album import list_audio_files

    inputs = []
    for name in names:
        folder = Path(name).expanduser()
        if not folder.is_dir():
            inputs.append((name, None))
            continue
        found = list_audio_files(folder, recursive=True)
        inputs += [(str(path), None) for path in found]
        if not found:
            inputs.append((name, "a folder without audio files"))
    return inputs


def _text(name: str, prediction, *, top: int, timeline: bool) -> str:
    lines = [f"{name}  ({prediction.model}, {prediction.seconds:.1f} s)"]
    width = max(len(g) for g in prediction.labels)
    for genre, probability in prediction.top(top):
        lines.append(f"  {genre:<{width}}  {probability:6.3f}")
    if timeline and prediction.windows is not None:
        lines.append("  timeline:")
        for row in prediction.windows.itertuples(index=False):
            values = dict(zip(prediction.labels, row[2:]))
            scored = {g: p for g, p in values.items() if p == p}  # NaN: the window could not be scored
            best = max(scored, key=scored.get) if scored else "-"
            shown = f"{best} {scored[best]:.2f}" if scored else "not scored"
            lines.append(f"    {row.start_s:7.1f}-{row.end_s:7.1f} s  {shown}")
    return "\n".join(lines)
