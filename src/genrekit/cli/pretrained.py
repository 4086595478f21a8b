"""``genrekit pretrained`` (fetch and inspect pretrained weights) and ``genrekit tags`` (musicnn's tags)."""

from __future__ import annotations

import argparse
import json
import sys

_FETCH_EPILOG = """\
examples:
  genrekit pretrained fetch musicnn                     # pip download musicnn==0.1.0 --no-deps, convert once
  genrekit pretrained fetch musicnn --from-wheel ~/Downloads/musicnn-0.1.0-py3-none-any.whl   # offline
  genrekit pretrained info

The musicnn wheel (ISC licence, Music Technology Group, Universitat Pompeu Fabra) carries the
weights of two CNNs trained on real music. genrekit reads its TensorFlow checkpoints straight
from the zip (no TensorFlow, no import of the musicnn package), checks the wheel's sha256 and
stores the weights as safetensors under the pretrained folder (GENREKIT_PRETRAINED overrides).
"""

_TAGS_EPILOG = """\
examples:
  genrekit tags song.mp3                      # top 10 tags of both models
  genrekit tags *.ogg --model mtt --top 5
  genrekit tags long-mix.flac --timeline --window 15
  genrekit tags song.wav --json > tags.json

MSD_musicnn was trained on the Million Song Dataset's 50 most common Last.fm tags (genres, eras,
moods); MTT_musicnn on MagnaTagATune's 50 (instruments, voice, a few genres). Probabilities are
the mean over 3 s patches of the whole file; a file shorter than one patch (2.98 s) is reported.
The weights are fetched on first use (see 'genrekit pretrained fetch --help').
"""

_MODEL_CHOICES = {"msd": ("MSD_musicnn",), "mtt": ("MTT_musicnn",), "both": ("MSD_musicnn", "MTT_musicnn")}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "pretrained", help="fetch the weights of networks pretrained on real music (musicnn)",
        description="Fetch and inspect pretrained weights that ship inside PyPI packages.",
        epilog=_FETCH_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    fetch = sub.add_parser("fetch", help="download (or read a given wheel), verify and convert the weights",
                           epilog=_FETCH_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    fetch.add_argument("name", choices=["musicnn"], help="what to fetch")
    fetch.add_argument("--from-wheel", metavar="PATH", help="use this musicnn-0.1.0 wheel instead of downloading it")
    fetch.add_argument("--force", action="store_true", help="convert again even if the weights are cached")
    fetch.set_defaults(func=run_fetch)
    info = sub.add_parser("info", help="where the weights are and whether they are there")
    info.set_defaults(func=run_info)

    tags = subparsers.add_parser(
        "tags", help="musicnn's top tags of audio files (genres, moods, instruments), per file or over time",
        description="Tag audio files with the musicnn models (CNNs trained on real music), like musicnn's own tagger.",
        epilog=_TAGS_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tags.add_argument("files", nargs="+", metavar="FILE", help="audio files (wav, flac, mp3, ogg, ...)")
    tags.add_argument("--model", choices=sorted(_MODEL_CHOICES), default="both",
                      help="MSD_musicnn, MTT_musicnn or both (default: %(default)s)")
    tags.add_argument("--top", type=_positive_int, default=10, metavar="K", help="tags shown per model (default: %(default)s)")
    tags.add_argument("--timeline", action="store_true", help="also show the top tags of each window")
    tags.add_argument("--window", type=_positive_float, default=3.0, metavar="S",
                      help="timeline window in seconds, rounded to whole 3 s patches (default: %(default)s)")
    tags.add_argument("--device", default="auto", help="'auto' (CUDA when present), 'cpu', 'cuda' or 'cuda:N'")
    tags.add_argument("--batch-size", type=_positive_int, default=64, metavar="N", help="patches per forward pass")
    tags.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    tags.set_defaults(func=run_tags)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def run_fetch(args: argparse.Namespace) -> int:
    from genrekit.pretrained.weights import fetch_musicnn

    for path in fetch_musicnn(wheel=args.from_wheel, force=args.force):
        print(path)
    return 0


def run_info(args: argparse.Namespace) -> int:
    from genrekit.pretrained.weights import MUSICNN_MODELS, MUSICNN_WHEEL, weights_path

    print(f"musicnn ({MUSICNN_WHEEL['requirement']}, ISC licence, Pons & Serra 2019)")
    for model in MUSICNN_MODELS:
        path = weights_path(model)
        print(f"  {model:<12} {'present' if path.is_file() else 'missing'}  {path}")
    return 0


def run_tags(args: argparse.Namespace) -> int:
    from genrekit.errors import AudioError
    from genrekit.pretrained.musicnn import MusicnnExtractor
    from genrekit.pretrained.tagging import tag_file

    extractor = MusicnnExtractor(_MODEL_CHOICES[args.model], device=args.device, batch_size=args.batch_size, fetch=True)
    window = args.window if args.timeline else None
    results, failed = [], 0
    for name in args.files:
        try:
            result = tag_file(extractor, name, window_seconds=window)
        except AudioError as exc:
            failed += 1
            results.append({"file": name, "error": exc.reason})
            if not args.json:
                print(f"genrekit tags: {exc}", file=sys.stderr)
            continue
        results.append(result.to_dict(top=args.top))
        if not args.json:
            print(_text(result, top=args.top))
    if args.json:
        print(json.dumps({"models": list(_MODEL_CHOICES[args.model]), "files": results}, indent=2))
    elif failed:
        print(f"{failed} of {len(args.files)} files could not be tagged", file=sys.stderr)
    return 1 if failed else 0


def _text(result, *, top: int) -> str:
    lines = [f"{result.source}  ({result.seconds:.1f} s, {result.patches} patches)"]
    for model in result.probabilities:
        tags = ", ".join(f"{tag} {p:.2f}" for tag, p in result.top(model, top))
        lines.append(f"  {model}: {tags}")
        if result.windows is not None:
            for _, row in result.windows[model].iterrows():
                proba = row.iloc[2:].to_numpy(dtype=float)
                best = proba.argsort()[::-1][:3]
                shown = ", ".join(f"{row.index[2 + i]} {proba[i]:.2f}" for i in best)
                lines.append(f"    {row['start_s']:7.1f}-{row['end_s']:7.1f} s  {shown}")
    return "\n".join(lines)
