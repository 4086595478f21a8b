"""Regenerate the example clips in space/examples/ (deterministic: same bytes on every run).

    python space/make_examples.py

Four genres of the synthetic set, 10 s each, rendered by genrekit.data.synth.render_clip with
fixed seeds and new artists (so the clips are outside any synthetic training set), written as
mono 22.05 kHz MP3: LAME's output is byte-identical run to run, Vorbis's is not (random stream
serial numbers), and every browser plays MP3.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from genrekit.data.audio import DEFAULT_SR, write_audio
from genrekit.data.synth import render_clip

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
#: genre -> render seed; the seeds are arbitrary but fixed.
EXAMPLES = {"classical": 101, "metal": 102, "disco": 103, "reggae": 104}
SECONDS = 10.0
#: Committed examples must stay small.
MAX_BYTES = 200_000


def make_examples(out_dir: str | Path = EXAMPLES_DIR, *, seconds: float = SECONDS) -> list[Path]:
    """Render and write every example clip to ``out_dir/<genre>.mp3``; return the paths."""
    out_dir = Path(out_dir)
    written = []
    for genre, seed in EXAMPLES.items():
        y = render_clip(genre, seconds=seconds, sr=DEFAULT_SR, seed=seed)
        path = write_audio(out_dir / f"{genre}.mp3", y, DEFAULT_SR)
        if path.stat().st_size > MAX_BYTES:
            raise SystemExit(f"{path}: {path.stat().st_size} bytes, over the {MAX_BYTES}-byte limit for examples")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(EXAMPLES_DIR), help="output folder (default: space/examples)")
    args = parser.parse_args(argv)
    for path in make_examples(args.out):
        print(f"{path}  {path.stat().st_size / 1000:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
