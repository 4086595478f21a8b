"""Spectrogram front-end throughput, and what the on-disk spectrogram cache saves per epoch.

    python bench/spectrograms.py
    python bench/spectrograms.py --size 128 --batch 64 --devices cpu,cuda
    python bench/spectrograms.py --skip-epochs              # throughput table only

Table 1: images per second of :class:`genrekit.features.spectrogram.SpectrogramFrontEnd.compute`
(STFT, filterbank, dB, resize, normalisation) for each kind, on 3 s chunks at 22,050 Hz, per device
(CUDA timings are synchronised).

Table 2: the compact CNN (``cnn-spec``, mel) trained for a few epochs on a small synthetic set,
once computing spectrograms inside the network every batch ("uncached"), once building the cache
("cache cold": the images are computed once while loading) and once reading it ("cache warm").
"epoch s" is the mean wall time of one epoch (training and validation); "outside s" is the rest of
the run: loading audio (or computing / reading cached images), the final scoring and writing the
run folder. The synthetic set is generated once into the data
folder and reused; runs and the cache go to a temporary folder that is deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

KINDS = ("mel", "log", "linear", "mfcc")


def frontend_throughput(kind: str, *, device: str, size: int, batch: int, seconds: float, repeats: int) -> float:
    """Images per second of ``SpectrogramFrontEnd(kind).compute`` on ``batch`` random chunks."""
    import torch

    from genrekit.features.spectrogram import SpectrogramFrontEnd

    dev = torch.device(device)
    frontend = SpectrogramFrontEnd(kind, sr=22050, size=(size, size)).to(dev).eval()
    x = (0.1 * torch.randn(batch, int(seconds * 22050))).to(dev)

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)

    with torch.no_grad():
        frontend.compute(x)  # warm-up: kernels, allocator, librosa's filterbank
        sync()
        began = time.perf_counter()
        for _ in range(repeats):
            frontend.compute(x)
        sync()
    return batch * repeats / (time.perf_counter() - began)


def epoch_times(*, clips: int, clip_seconds: float, size: int, width: int, epochs: int, device: str) -> list[dict]:
    """Train cnn-spec uncached, with a cold cache and with a warm cache; one row each."""
    import json

    from genrekit.config import load_config
    from genrekit.data.datasets import load_dataset
    from genrekit.data.splits import assign_splits
    from genrekit.data.synth import ensure_synthetic
    from genrekit.models.torch_family import train_torch

    root = ensure_synthetic(clips_per_genre=clips, seconds=clip_seconds, progress=True)
    index = assign_splits(load_dataset(str(root), progress=False), kind="random", seed=0)
    rows = []
    with tempfile.TemporaryDirectory(prefix="genrekit-bench-") as tmp:
        # the cache lives under the data folder: point it at the temporary folder (the audio is already indexed)
        os.environ["GENREKIT_DATA"] = tmp
        for label, cache in (("uncached", False), ("cache cold", True), ("cache warm", True)):
            config = load_config(overrides=[
                "model.name=cnn-spec", "model.input=mel", f"model.params={{size=[{size},{size}], width={width}, cache={str(cache).lower()}}}",
                f"data.clip_seconds={clip_seconds}", "data.chunk_seconds=3.0", f"train.epochs={epochs}", f"train.patience={epochs}",
                f"train.device={device}", "train.batch_size=32",
            ])
            config.runs_dir = os.path.join(tmp, "runs")
            began = time.perf_counter()
            run = train_torch(config, index=index, progress=False)
            total = time.perf_counter() - began
            metrics = json.loads((run / "metrics.json").read_text())
            seconds = [float(line.split(",")[-1]) for line in (run / "history.csv").read_text().splitlines()[1:]]
            rows.append({
                "mode": label,
                "epoch s": sum(seconds) / len(seconds),
                "outside s": total - sum(seconds),
                "total s": total,
                "test acc": metrics["test"]["accuracy"],
                "chunks": json.loads((run / "run.json").read_text())["extra"]["train_chunks"],
            })
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Spectrogram front-end throughput and spectrogram-cache epoch times.")
    parser.add_argument("--devices", default=None, help="comma-separated devices (default: cpu, plus cuda when available)")
    parser.add_argument("--size", type=int, default=224, help="image size for the throughput table (default: %(default)s)")
    parser.add_argument("--batch", type=int, default=32, help="chunks per batch (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=3.0, help="chunk length in seconds (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=5, help="timed batches per measurement (default: %(default)s)")
    parser.add_argument("--skip-epochs", action="store_true", help="only the throughput table")
    parser.add_argument("--clips", type=int, default=10, help="synthetic clips per genre for the epoch table (default: %(default)s)")
    parser.add_argument("--clip-seconds", type=float, default=15.0, help="synthetic clip length (default: %(default)s)")
    parser.add_argument("--train-size", type=int, default=128, help="image size of the CNN in the epoch table (default: %(default)s)")
    parser.add_argument("--width", type=int, default=16, help="CNN width in the epoch table (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per mode in the epoch table (default: %(default)s)")
    args = parser.parse_args(argv)

    import torch

    devices = args.devices.split(",") if args.devices else ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads"
          + (f", {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ", no CUDA device"))
    print(f"\nfront-end throughput: images/s, {args.batch} chunks of {args.seconds:g} s at 22050 Hz -> {args.size}x{args.size}")
    print(f"{'kind':<8}" + "".join(f"{d:>12}" for d in devices))
    for kind in KINDS:
        cells = [frontend_throughput(kind, device=d, size=args.size, batch=args.batch, seconds=args.seconds, repeats=args.repeats) for d in devices]
        print(f"{kind:<8}" + "".join(f"{c:12.0f}" for c in cells))

    if not args.skip_epochs:
        device = "cuda" if "cuda" in devices else "cpu"
        print(f"\ncnn-spec (mel, {args.train_size}x{args.train_size}, width {args.width}) on {args.clips} clips x "
              f"{args.clip_seconds:g} s per genre, 3 s chunks, {args.epochs} epochs on {device}")
        rows = epoch_times(clips=args.clips, clip_seconds=args.clip_seconds, size=args.train_size, width=args.width,
                           epochs=args.epochs, device=device)
        print(f"{'mode':<12}{'epoch s':>9}{'outside s':>11}{'total s':>9}{'train chunks':>14}{'test acc':>10}")
        for row in rows:
            print(f"{row['mode']:<12}{row['epoch s']:9.2f}{row['outside s']:11.2f}{row['total s']:9.2f}{row['chunks']:14d}{row['test acc']:10.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
