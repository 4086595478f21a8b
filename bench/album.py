"""Album analysis speed on CPU: one 3-minute track, and the generated album.

    python bench/album.py                                  # trains two quick models first
    python bench/album.py --run RUN_CLASSIC --run RUN_CNN  # saved runs instead
    python bench/album.py --threads 1 --tracks 8 --repeats 3

Without ``--run`` it generates a small synthetic set (10 genres x 10 clips x 6 s) and trains a
classic model (logistic regression on hand-crafted features, no search, cheap features: no CQT
chroma, no tempo) and a spectrogram CNN (``configs/debug-torch.toml``'s network), so the timings are
those of a classic + CNN ensemble of small models. Models are loaded and warmed (librosa's numba
code compiled, one forward pass) before anything is timed.

Rows: decoding the 3-minute track (44.1 kHz stereo FLAC) to 22.05 kHz mono; each model alone; the
ensemble on the track (its middle 30 s plus a timeline of 30 s windows every 15 s, as
``genrekit album`` does; median of ``--repeats``); and ``analyse_album`` over the generated album
(``--tracks`` tracks of 10 s to 4 min, mixed formats, one broken file), CSVs and figure included.
Wall and CPU seconds (of this process, all threads) are shown side by side, with the load
average: on a busy shared machine the wall time is several times the CPU time, and the CPU time
is the better guide to an idle machine's wall time (the work is mostly single-threaded).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def quick_runs(work: Path) -> list[Path]:
    """Train the two quick models of the module docstring under ``work``; returns their run folders."""
    from genrekit.config import ExperimentConfig, from_dict
    from genrekit.data.synth import generate_synthetic
    from genrekit.train import train

    data = work / "synth"
    generate_synthetic(data, clips_per_genre=10, seconds=6.0, sr=22050, seed=0, progress=True)
    common = {"source": str(data), "split": "random", "clip_seconds": 6.0, "seed": 0}
    configs = [
        {"name": "bench", "data": common, "features": {"chroma_cqt": False, "tempo": False},
         "model": {"name": "logreg"}, "train": {"search": False}},
        {"name": "bench", "data": {**common, "chunk_seconds": 3.0, "hop_seconds": 1.5},
         "model": {"name": "cnn-spec", "input": "mel", "params": {"size": [64, 64], "n_fft": 1024, "hop_length": 512,
                                                                  "n_mels": 64, "n_bins": 64, "width": 16, "blocks": 3,
                                                                  "dropout": 0.1}},
         "train": {"epochs": 10, "batch_size": 16, "lr": 1e-2, "weight_decay": 1e-4, "device": "cpu"}},
    ]
    return [train(from_dict(ExperimentConfig, {**c, "runs_dir": str(work / "runs")}), progress=True) for c in configs]


def median_seconds(function, repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds (this process, all threads) of ``repeats`` calls."""
    wall, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", dest="runs", action="append", metavar="RUN", help="saved run (repeat); default: train two quick ones")
    parser.add_argument("--work", metavar="DIR", help="keep the generated data, runs and outputs here (default: a temp folder)")
    parser.add_argument("--tracks", type=int, default=8, help="tracks of the generated album (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats of the 3-minute track (default: %(default)s)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's own choice)")
    args = parser.parse_args(argv)

    import torch

    from genrekit.album import analyse_album
    from genrekit.data.album_synth import make_synthetic_album
    from genrekit.data.audio import load_audio, write_audio
    from genrekit.data.synth import render_clip
    from genrekit.features.handcrafted import warm_up
    from genrekit.inference import Ensemble, load_predictor

    if args.threads:
        torch.set_num_threads(args.threads)
    temp = None if args.work else tempfile.TemporaryDirectory(prefix="genrekit-bench-album-")
    work = Path(args.work or temp.name)
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("GENREKIT_HOME", str(work / "home"))  # feature cache and outputs stay in the work folder
    runs = [Path(r) for r in args.runs] if args.runs else quick_runs(work)
    members = [load_predictor(r) for r in runs]
    ensemble = Ensemble(members)

    track = work / "three-minutes.flac"
    y = render_clip("rock", seconds=180.0, sr=44100, seed=123)
    write_audio(track, np.stack([y, 0.9 * y]), 44100)
    warm_up()
    for member in members:  # first calls: numba, torch kernels
        member.predict_array(y[: 44100 * 5], 44100)

    settings = dict(timeline=True, middle_seconds=30.0, window_seconds=30.0, hop_seconds=15.0)
    rows = [("decode + resample 3-min FLAC (44.1 kHz stereo -> 22.05 kHz mono)",
             median_seconds(lambda: load_audio(track, sr=22050), args.repeats))]
    for member in members:
        rows.append((f"3-min track, {member.name} alone", median_seconds(lambda m=member: m.predict_file(track, **settings), args.repeats)))
    ensemble_seconds = median_seconds(lambda: ensemble.predict_file(track, **settings), args.repeats)
    windows = len(ensemble.predict_file(track, **settings).windows)
    rows.append((f"3-min track, {ensemble.name} (middle 30 s + {windows} windows)", ensemble_seconds))
    ensemble_seconds = ensemble_seconds[0]

    album = make_synthetic_album(work / "album", n_tracks=args.tracks, seed=0, progress=True)
    minutes = album.playable["seconds"].sum() / 60
    started_cpu = time.process_time()
    report = analyse_album(album.folder, ensemble, out_dir=work / "outputs", progress=True)
    rows.append((f"album: {len(report.tracks)} tracks, {minutes:.1f} min of audio, {len(report.problems)} broken "
                 "(analyse_album, CSVs + figure)", (report.seconds, time.process_time() - started_cpu)))

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nCPU: {os.cpu_count()} cores, load average {load:.1f}; torch threads {torch.get_num_threads()}")
    width = max(len(name) for name, _ in rows)
    print(f"{'what':<{width}}  {'wall s':>8}  {'CPU s':>8}")
    print(f"{'-' * width}  {'-' * 8}  {'-' * 8}")
    for name, (wall, cpu) in rows:
        print(f"{name:<{width}}  {wall:8.2f}  {cpu:8.2f}")
    target = "met" if ensemble_seconds < 2.0 else "missed"
    print(f"\ntarget: 3-min track under 2 s with the classic + CNN ensemble: {target} ({ensemble_seconds:.2f} s)")
    print(f"album: {report.seconds / max(minutes, 1e-9):.2f} s per minute of audio; summary: {report.summary.splitlines()[0]}")
    if temp is not None:
        temp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
