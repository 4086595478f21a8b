"""Peak memory of a network run against the number of tracks: streaming keeps it flat.

    python bench/scale.py                       # cnn-spec and a tiny hf model on 200 and 1,600 tracks of 30 s
    python bench/scale.py --tracks 200,1600,6400 --seconds 30

Builds a folder dataset of N tracks (10 genres) from a few recordings, symlinked (the middle
``--seconds`` of each recording of ``--audio``, default ``../shared/real_audio``, decoded once to
22.05 kHz WAV; generated tones where that folder is absent), then runs ``genrekit train`` on it in
a fresh process per model and size (``cnn-spec``, and ``hf`` with a tiny random Whisper): every
track decoded into the store, two optimiser steps, validation and test scoring over every track
of their splits. Prints one row per run: peak resident memory of that process, wall time, and the
ratio to the model's smallest size; then how fast the store is read (3 s chunks per second, with
0 and 2 loader workers). Each run gets its own store (``GENREKIT_STORE``) and runs folder, so
every track is really decoded.

The CPU model, its SIMD flags and the torch thread count are printed above the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: The runs measured: a CNN on spectrograms, and a transformer (a tiny random Whisper: its 2 s
#: windows at 16 kHz, front-end and loop are Whisper's, its size is not).
MODELS = {"cnn-spec": "--model cnn-spec", "hf (tiny Whisper)": "--model hf --checkpoint tiny-random:whisper"}
GENRES = ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")

CHILD = """
import json, resource, sys, time
import torch
torch.set_num_threads(int(sys.argv[2]))
from genrekit.cli import main
began = time.perf_counter()
status = main(["train", *sys.argv[3].split(), "--data", "folder:" + sys.argv[1], "--quiet",
               "--set", "train.epochs=1", "--set", "train.max_steps=2", "--set", "train.batch_size=32",
               "--set", "data.split=random", "--set", "data.clip_seconds=none"])
print(json.dumps({"status": status, "seconds": time.perf_counter() - began,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def cpu_line() -> str:
    """The CPU model, the SIMD flags that matter, and the core count."""
    model, flags = platform.processor() or "unknown CPU", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and model in ("", "unknown CPU", platform.processor()):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    simd = ", ".join(f"{f} {'yes' if f in flags else 'no'}" for f in ("avx2", "avx512f", "amx_tile"))
    return f"CPU: {model} ({os.cpu_count()} cores; {simd})"


def recordings(folder: Path | None, out: Path, seconds: float) -> list[Path]:
    """A few WAV recordings of ``seconds`` at 22.05 kHz: real ones from ``folder`` where it exists."""
    import numpy as np

    from genrekit.data.audio import AUDIO_EXTENSIONS, load_audio, write_audio
    from genrekit.errors import AudioError

    out.mkdir(parents=True, exist_ok=True)
    made = []
    sources = sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_EXTENSIONS) if folder and folder.is_dir() else []
    for source in sources:
        try:
            y = load_audio(source, sr=22050, middle=seconds)
        except AudioError:
            continue
        if len(y) >= 0.9 * seconds * 22050:
            made.append(write_audio(out / f"{source.stem[:40]}.wav", y, 22050))
    for i in range(max(0, 4 - len(made))):  # no real audio here: tones
        t = np.arange(int(seconds * 22050)) / 22050
        made.append(write_audio(out / f"tone{i}.wav", (0.3 * np.sin(2 * np.pi * 110 * (i + 2) * t)).astype(np.float32), 22050))
    return made


def dataset(root: Path, sources: list[Path], n: int) -> Path:
    """``root`` with ``n`` tracks in 10 genre folders, each a symlink to one of ``sources``."""
    for i in range(n):
        genre = GENRES[i % len(GENRES)]
        link = root / genre / f"{genre}.{i:05d}.wav"
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to(sources[i % len(sources)])
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracks", default="200,1600", help="comma-separated dataset sizes (default: 200,1600)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each track (default: 30)")
    parser.add_argument("--audio", type=Path, default=HERE.parent.parent / "shared" / "real_audio",
                        help="recordings to symlink (default: ../shared/real_audio; tones where absent)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the run (default: 1)")
    parser.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, of: {', '.join(MODELS)} (default: both)")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.tracks.split(",")]

    print(cpu_line())
    print(f"torch threads: {args.threads}; tracks of {args.seconds:g} s; every track decoded into the store, "
          "2 optimiser steps, validation and test over every track of their splits\n")
    rows = []
    with tempfile.TemporaryDirectory(prefix="genrekit-scale-") as tmp:
        sources = recordings(args.audio, Path(tmp) / "sources", args.seconds)
        print(f"{len(sources)} recordings: {', '.join(p.stem for p in sources)}\n")
        for name in args.models.split(","):
            for n in sizes:
                root = dataset(Path(tmp) / f"tracks-{n}", sources, n)
                env = {**os.environ, "GENREKIT_HOME": str(Path(tmp) / f"home-{name}-{n}"),
                       "GENREKIT_STORE": str(Path(tmp) / f"store-{name}-{n}"), "OMP_NUM_THREADS": str(args.threads)}
                began = time.perf_counter()
                done = subprocess.run([sys.executable, "-c", CHILD, str(root), str(args.threads), MODELS[name]], env=env,
                                      capture_output=True, text=True)
                if done.returncode != 0:
                    print(done.stderr[-3000:], file=sys.stderr)
                    return 1
                result = json.loads(done.stdout.strip().splitlines()[-1])
                result["wall"] = time.perf_counter() - began
                rows.append((name, n, result))
                print(f"{name}, {n:,} tracks: {result['peak_rss_mb']:.0f} MB, {result['wall']:.0f} s", file=sys.stderr)
        reads = read_rates(dataset(Path(tmp) / f"tracks-{sizes[-1]}", sources, sizes[-1]), store=Path(tmp) / "store-reads")
    print("| model | tracks | audio (hours) | peak RSS (MB) | ratio to the smallest | wall (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, n, r in rows:
        base = next(b["peak_rss_mb"] for m, _, b in rows if m == name)
        print(f"| {name} | {n:,} | {n * args.seconds / 3600:.1f} | {r['peak_rss_mb']:.0f} | {r['peak_rss_mb'] / base:.2f} | "
              f"{r['wall']:.0f} |")
    print(f"\nWhat the loader delivers from the store (page cache), shuffled, per input kind, with 0 and 2 "
          f"workers (the first {min(sizes[-1], READ_TRACKS)} tracks):\n")
    print("| input | one item | loader workers | items/s | 30 s clips/s |")
    print("|---|---|---:|---:|---:|")
    for kind, item, seconds, workers, rate in reads:
        print(f"| {kind} | {item} | {workers} | {rate:,.0f} | {rate * seconds / 30:,.1f} |")
    mel_ms = whisper_front_end_ms()
    print(f"\nWhisper's log-mel of one 30 s window on one CPU thread: {mel_ms:.0f} ms (runs on the training device instead)")
    return 0


#: Tracks whose inputs the read-rate table stores and reads.
READ_TRACKS = 200


def read_rates(root: Path, *, store: Path, items: int = 2000) -> list[tuple[str, str, float, int, float]]:
    """(input kind, item, seconds per item, workers, items/s) that StoredChunks delivers through a DataLoader."""
    import pandas as pd
    import torch
    from torch.utils.data import DataLoader, Subset

    from genrekit.features.spectrogram import SpectrogramCache, SpectrogramFrontEnd
    from genrekit.network_runs import load_chunks

    os.environ["GENREKIT_STORE"] = str(store)
    paths = sorted(root.rglob("*.wav"))[:READ_TRACKS]
    tracks = pd.DataFrame({"track_id": [p.stem for p in paths], "path": [str(p) for p in paths],
                           "genre": [p.parent.name for p in paths]})
    options = dict(labels=list(GENRES), clip_seconds=None, progress=False)
    frontend = SpectrogramFrontEnd("mel", sr=22050).eval()  # cnn-spec's default images
    kinds = [
        ("waveform (cnn-spec, WaveNet)", "3 s at 22.05 kHz", 3.0, 32, load_chunks(tracks, sr=22050, chunk_seconds=3.0, **options)[0]),
        ("log-mel image (cnn-spec cache)", "224x224 of 3 s", 3.0, 32,
         load_chunks(tracks, sr=22050, chunk_seconds=3.0, frontend=frontend, **options,
                     cache=SpectrogramCache(frontend, audio={"sr": 22050, "clip_seconds": None, "chunk_seconds": 3.0,
                                                             "hop_seconds": None}))[0]),
        ("Whisper window", "30 s at 16 kHz", 30.0, 8, load_chunks(tracks, sr=16000, chunk_seconds=30.0, **options)[0]),
    ]
    rates = []
    for kind, item, seconds, batch, data in kinds:
        order = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))[:items].tolist()
        for workers in (0, 2):
            loader = DataLoader(Subset(data, order), batch_size=batch, num_workers=workers)
            began = time.perf_counter()
            seen = sum(len(x) for x, _ in loader)
            rates.append((kind, item, seconds, workers, seen / (time.perf_counter() - began)))
    return rates


def whisper_front_end_ms(repeats: int = 5) -> float:
    """Milliseconds of :func:`genrekit.models.hf.whisper_log_mel` per 30 s window on one CPU thread."""
    import torch
    from transformers import WhisperFeatureExtractor

    from genrekit.models.hf import whisper_log_mel

    torch.set_num_threads(1)
    fe = WhisperFeatureExtractor()
    x = 0.1 * torch.randn(repeats, fe.n_samples, generator=torch.Generator().manual_seed(0))
    whisper_log_mel(x[:1], fe)
    began = time.perf_counter()
    for row in x:  # a fresh window each time
        whisper_log_mel(row[None], fe)
    return (time.perf_counter() - began) / repeats * 1000


if __name__ == "__main__":
    sys.exit(main())
