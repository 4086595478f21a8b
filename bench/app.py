"""The app's answer time on CPU: one upload, decoded, classified and tagged, as a request does it.

    python bench/app.py                                  # the zero-shot default, ../shared/real_audio
    python bench/app.py --audio song.ogg --threads 1 --repeats 5
    python bench/app.py --run models/runs/RUN            # a trained run instead of the default

What is timed is :func:`genrekit.app.classify_upload` (decode, resample, genres with a timeline for
long uploads, musicnn's tags of the middle 30 s), after the app's own warm-up. Each repeat uploads
a slightly different file (the samples scaled by a different factor), so nothing is answered from
the previous request's work. Rows: the recording cut to 10 s and 30 s, and the whole of it, then
the stages of the 30 s upload alone: reading it, the genres, the tags. Wall and CPU seconds (this
process, all threads) side by side, with the load average; torch runs ``--threads`` threads (the
app gives each of its two concurrent requests one thread on two cores).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_AUDIO = Path(__file__).resolve().parents[1].parent / "shared" / "real_audio" / "Kevin_MacLeod_-_Vibe_Ace.ogg"
LENGTHS = (10.0, 30.0, None)  # None: the whole recording


def timed(function, repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``function(i)`` for ``i`` in ``range(repeats)``."""
    wall, cpu = [], []
    for i in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        function(i)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, default=DEFAULT_AUDIO,
                        help="a recording to cut the uploads from (default: Vibe Ace from ../shared/real_audio)")
    parser.add_argument("--run", action="append", default=None, metavar="RUN",
                        help="run folder to serve (repeat for an ensemble); default: the zero-shot musicnn model")
    parser.add_argument("--repeats", type=int, default=3, help="timed uploads per row (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: %(default)s, as the app)")
    parser.add_argument("--no-tags", action="store_true", help="time the genres alone")
    args = parser.parse_args(argv)
    if not args.audio.is_file():
        print(f"bench/app.py: {args.audio}: no such file (pass --audio FILE)", file=sys.stderr)
        return 2

    import torch

    from genrekit import app as core
    from genrekit.app.uploads import read_upload
    from genrekit.data.audio import load_audio, write_audio

    torch.set_num_threads(args.threads)
    model = core.load_app_model(",".join(args.run) if args.run else None, tags=not args.no_tags)
    warm = core.warm_up(model)
    sr = 22050
    y = load_audio(args.audio, sr=sr)
    rows = []
    with tempfile.TemporaryDirectory() as work:
        def upload(seconds: float, i: int) -> Path:
            want = min(len(y), int(seconds * sr))
            start = (len(y) - want) // 2
            return write_audio(Path(work) / f"upload-{seconds:g}-{i}.wav", y[start : start + want] * (1 - 0.001 * (i + 1)), sr)

        for seconds in LENGTHS:
            seconds = len(y) / sr if seconds is None else seconds
            if seconds > len(y) / sr + 0.5 or (seconds > 30 and len(y) / sr <= 30.5):
                continue
            paths = [upload(seconds, i) for i in range(args.repeats)]
            wall, cpu = timed(lambda i: core.classify_upload(model, paths[i]), args.repeats)
            rows.append((f"upload of {seconds:.0f} s: the whole answer", wall, cpu))

        paths = [upload(30.0, 100 + i) for i in range(args.repeats)]
        uploads = [read_upload(p, sr=model.sample_rate) for p in paths]
        rows.append(("30 s: reading the upload", *timed(lambda i: read_upload(paths[i], sr=model.sample_rate),
                                                         args.repeats)))
        rows.append(("30 s: genres", *timed(lambda i: model.predictor.predict_array(uploads[i].y, uploads[i].sr),
                                            args.repeats)))
        if model.tagger is not None:
            rows.append(("30 s: tags alone (a request shares the genres' musicnn pass)",
                         *timed(lambda i: model.tagger.tag(uploads[i].y * 0.5, uploads[i].sr), args.repeats)))

    print(f"model: {'; '.join(c.model for c in model.cards)}; audio: {args.audio.name}; torch threads "
          f"{args.threads}; warm-up {warm:.1f} s; load average {os.getloadavg()[0]:.1f}; median of {args.repeats}\n")
    width = max(len(r[0]) for r in rows)
    print(f"| {'what':<{width}} | wall s | CPU s |")
    print(f"|{'-' * (width + 2)}|-------:|------:|")
    for name, wall, cpu in rows:
        print(f"| {name:<{width}} | {wall:6.2f} | {cpu:5.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
