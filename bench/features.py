"""How fast genrekit's hand-crafted features are, against the naive librosa calls they replace.

    python bench/features.py              # 10 synthetic clips of 30 s (about two minutes)
    python bench/features.py --clips 4    # a quick look

On the same N clips (``genrekit.data.synth.render_clip``, one genre after another), in one run:

1. milliseconds per clip (median, wall clock and CPU time) and peak traced memory (tracemalloc) of
   ``extract_features`` against ``reference_features`` (every librosa function on the raw signal,
   each computing its own spectrum, HPSS once per component), first for the feature set without the
   constant-Q chroma and then with it: both sides always compute the same set. The two run
   interleaved clip by clip, so a busy machine slows both alike;
2. per feature family, the largest relative difference between the two over all clips
   (``relative_difference``; the tolerance is ``REFERENCE_RTOL``);
3. clips per second of ``extract_dataset`` (decode, features, Parquet cache) with 1 and 2
   processes, on the clips written as WAV files, default feature settings.

Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from genrekit.config import DataConfig, FeatureConfig
from genrekit.data.audio import write_audio
from genrekit.data.index import TrackIndex
from genrekit.features.extract import extract_dataset
from genrekit.features.handcrafted import (
    PITCH_CLASSES,
    REFERENCE_RTOL,
    TONNETZ_AXES,
    extract_features,
    reference_features,
    relative_difference,
    warm_up,
)

SR = 22050


def make_clips(n: int, seconds: float) -> tuple[list[np.ndarray], list[str]]:
    """N clips of the synthetic genre set (tones, noise and clicks if that module is missing)."""
    try:
        from genrekit.data.synth import GTZAN_GENRES, render_clip
    except ImportError:
        GTZAN_GENRES, render_clip = None, None
    clips, genres = [], []
    for i in range(n):
        if render_clip is not None:
            genre = GTZAN_GENRES[i % len(GTZAN_GENRES)]
            y = render_clip(genre, seconds=seconds, sr=SR, seed=i)
        else:
            genre = "synthetic"
            rng = np.random.default_rng(i)
            t = np.arange(int(seconds * SR)) / SR
            y = sum(0.2 * np.sin(2 * np.pi * f * t) for f in rng.uniform(100, 1000, 3)) + 0.05 * rng.standard_normal(t.size)
            y[:: int(SR * rng.uniform(0.3, 0.7))] += 0.8
            y = (0.9 * y / np.abs(y).max()).astype(np.float32)
        clips.append(y)
        genres.append(genre)
    return clips, genres


def timed(fn, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def peak_mib(fn, *args, **kwargs) -> float:
    tracemalloc.start()
    try:
        fn(*args, **kwargs)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def family(name: str) -> str:
    """'chroma_stft_A_mean' -> 'chroma_stft', 'mfcc_04_var' -> 'mfcc', 'tempo' -> 'tempo'."""
    parts = name.split("_")
    if parts[-1] in ("mean", "var"):
        parts = parts[:-1]
    if parts and (parts[-1] in PITCH_CLASSES or parts[-1].isdigit()):
        parts = parts[:-1]
    base = "_".join(parts)
    for axis in TONNETZ_AXES:
        base = base.removesuffix("_" + axis)
    return base


def compare(clips: list[np.ndarray], cfg: FeatureConfig) -> tuple[dict, dict[str, float]]:
    """Interleaved timings and the worst relative difference per feature over all clips."""
    times = {"genrekit": ([], []), "naive": ([], [])}
    worst: dict[str, float] = {}
    for y in clips:
        fast, wall, cpu = timed(extract_features, y, sr=SR, cfg=cfg)
        times["genrekit"][0].append(wall), times["genrekit"][1].append(cpu)
        naive, wall, cpu = timed(reference_features, y, sr=SR, cfg=cfg)
        times["naive"][0].append(wall), times["naive"][1].append(cpu)
        for name, diff in relative_difference(fast, naive).items():
            worst[name] = max(worst.get(name, 0.0), diff)
    memory = {
        "genrekit": peak_mib(extract_features, clips[0], sr=SR, cfg=cfg),
        "naive": peak_mib(reference_features, clips[0], sr=SR, cfg=cfg),
    }
    summary = {
        side: {
            "wall_ms": 1000 * statistics.median(wall),
            "cpu_ms": 1000 * statistics.median(cpu),
            "peak_mib": memory[side],
        }
        for side, (wall, cpu) in times.items()
    }
    return summary, worst


def batch_rate(clips: list[np.ndarray], genres: list[str], workers: int, root: Path) -> float:
    """Clips per second of extract_dataset, fresh cache, default feature settings."""
    rows = []
    for i, (y, genre) in enumerate(zip(clips, genres)):
        path = write_audio(root / "audio" / genre / f"{genre}.{i:05d}.wav", y, SR)
        rows.append((f"{genre}.{i:05d}", str(path), genre))
    index = TrackIndex("bench", pd.DataFrame(rows, columns=["track_id", "path", "genre"]))
    start = time.perf_counter()
    result = extract_dataset(
        index, data=DataConfig(sample_rate=SR), features=FeatureConfig(), cache_root=root / f"cache-{workers}", workers=workers, progress=False
    )
    seconds = time.perf_counter() - start
    assert result.computed == len(clips) and not result.problems, result.problems
    return len(clips) / seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=10, metavar="N", help="clips to time (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=30.0, metavar="S", help="clip length in seconds (default: %(default)s)")
    args = parser.parse_args(argv)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# Hand-crafted features: {args.clips} clips of {args.seconds:g} s at {SR} Hz")
    print(f"\n{os.cpu_count()} CPU cores, load average {load:.2f} at the start; python {sys.version.split()[0]}")
    start = time.perf_counter()
    warm_up()
    print(f"warm_up (numba compilation, once per process): {time.perf_counter() - start:.1f} s")
    clips, genres = make_clips(args.clips, args.seconds)

    results = {}
    for label, cfg in (("without CQT chroma (default)", FeatureConfig()), ("with CQT chroma", FeatureConfig(chroma_cqt=True))):
        results[label] = compare(clips, cfg)

    print("\n## Per clip (median over clips)\n")
    print("| feature set | extractor | wall ms | CPU ms | peak traced MiB | speed-up (wall) | speed-up (CPU) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for label, (summary, _) in results.items():
        for side in ("naive", "genrekit"):
            s = summary[side]
            up_wall = summary["naive"]["wall_ms"] / s["wall_ms"]
            up_cpu = summary["naive"]["cpu_ms"] / s["cpu_ms"]
            print(f"| {label} | {side} | {s['wall_ms']:.0f} | {s['cpu_ms']:.0f} | {s['peak_mib']:.0f} | {up_wall:.1f}x | {up_cpu:.1f}x |")

    worst = results["with CQT chroma"][1]
    print(f"\n## Largest relative difference, genrekit vs naive (tolerance {REFERENCE_RTOL:g})\n")
    print("| family | columns | exactly equal | max relative difference | worst column |")
    print("|---|---:|---:|---:|---|")
    by_family: dict[str, list[str]] = {}
    for name in worst:
        by_family.setdefault(family(name), []).append(name)
    for fam, names in by_family.items():
        top = max(names, key=lambda n: worst[n])
        equal = sum(worst[n] == 0 for n in names)
        print(f"| {fam} | {len(names)} | {equal} | {worst[top]:.2e} | {top} |")
    overall = max(worst.values())
    print(f"\nAll {len(worst)} columns within tolerance: {'yes' if overall <= REFERENCE_RTOL else 'NO'} (max {overall:.2e}).")

    print("\n## Batch extraction (decode + features + Parquet cache, default settings)\n")
    print("| processes | clips/s |")
    print("|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            print(f"| {workers} | {batch_rate(clips, genres, workers, Path(tmp)):.2f} |")
    return 0 if overall <= REFERENCE_RTOL else 1


if __name__ == "__main__":
    sys.exit(main())
