"""How fast the pretrained musicnn taggers are on a 30 s clip, against the plain PyTorch port, the hand-crafted features
and (``--encoders``) the frozen transformer encoders.

    python bench/pretrained.py                       # about 1.5 minutes on 2 cores
    python bench/pretrained.py --quick               # one thread, one timed call per row
    python bench/pretrained.py --encoders            # also the frozen transformer encoders (about 3 minutes more)
    python bench/pretrained.py --encoders-only       # only those (no musicnn weights needed)
    python bench/pretrained.py --audio song.ogg --repeats 9 --json musicnn.json

The clip: the middle 30 s of a real recording from ``../shared/real_audio`` (looped if shorter),
or with that folder absent a synthetic one (``genrekit.data.synth.render_clip``, else tones and
noise), at 22,050 Hz, and the same resampled to 16 kHz for musicnn (30 s = 10 patches of 3 s).

Rows, all per 30 s clip, median of ``--repeats`` calls (fewer once a row has spent 8 s) after one
untimed warm-up call:

1. musicnn, ``MusicnnExtractor(models=...)`` called on the 16 kHz signal (log-mel once, shared,
   then every model, every output copied to NumPy) for ``MSD_musicnn``, ``MTT_musicnn`` and both,
   with 1 and 2 torch threads, the front-end computed as cache-tiled GEMMs that max-pool as they
   go (``Musicnn.tiled = True``, the default) and as plain ``conv2d``/``conv1d``
   (``tiled = False``, what a GPU runs); a tiled row's note gives its speed-up (plain time over tiled);
2. the log-mel front-end alone (``MusicnnExtractor.patches``);
3. on CUDA (when present): one clip per call, and ``--gpu-clips`` clips' patches run
   ``--gpu-batch`` patches per forward pass (``run_patches``, log-mel excluded), clocks stopped
   after ``torch.cuda.synchronize``; otherwise a "no CUDA device" row;
4. genrekit's hand-crafted features (``extract_features`` at 22,050 Hz, default settings, after
   ``warm_up``), one thread;
5. the target of the musicnn issue, at most 0.5 s per 30 s clip on one idle core, against the
   1-thread rows of the default (tiled) front-end, judged on wall and on CPU time;
6. with ``--encoders``: the ``hf-encoder`` feature kind (``genrekit.pretrained.hf_encoder.embed``
   on the 16 kHz clip, every hidden state pooled, as the default ``features.layer = None``) for
   DistilHuBERT, wav2vec 2.0 base and Whisper small's encoder at their published sizes, with
   **random weights** written by ``make_random_pretrained(..., tiny=False)``: speed and memory
   only, nothing about what the embeddings are worth. DistilHuBERT and wav2vec 2.0 see the clip
   as a 20 s and a 10 s window, Whisper as one 30 s window.

Every configuration runs in a fresh subprocess (thread count fixed before torch starts), so its
memory is its own: "peak MiB" is the process's peak resident set size (``VmHWM``; Linux keeps
``ru_maxrss`` across ``exec``, so that would include the parent's) and "+MiB" its rise over the
same once torch, librosa (mel filters included) and the clip are loaded: weights, activations,
scratch and the code pages of the kernels used; on CUDA both are
``torch.cuda.max_memory_allocated``. For the encoders the baseline is taken once
``transformers`` is imported too, so "+MiB" is the model's load and its forward passes. Wall and
CPU time (this process, all threads) are shown side by side: on a busy machine the CPU time of a
1-thread row is the better guide to an idle core. Weights come from the cache (``genrekit pretrained fetch musicnn``); they are fetched
through pip first when missing.

Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SR = 22050
MUSICNN_SR = 16_000
TARGET_MS = 500.0
#: Seconds of timed calls per row at most: on an oversubscribed machine a 2-thread call can take
#: 10 s instead of 0.3 s (OpenMP threads spinning on each other), and the run should still end.
BUDGET_S = 8.0
MODEL_SETS = (("MSD_musicnn",), ("MTT_musicnn",), ("MSD_musicnn", "MTT_musicnn"))
#: Frozen encoders of the --encoders rows (``genrekit.hub.ARCHITECTURES``), at published size.
ENCODERS = ("distilhubert", "wav2vec2-base", "whisper-small")
REAL_AUDIO = Path(__file__).resolve().parents[2] / "shared" / "real_audio"
# full-band music, 30 s or longer, in order of preference
REAL_CLIPS = ("Kevin_MacLeod_-_Vibe_Ace.ogg", "Karissa_Hobbs_-_Lets_Go_Fishin.ogg",
              "Hungarian_Dance_number_5_-_Allegro_in_F_sharp_minor_(string_orchestra).ogg")


# ---------------------------------------------------------------------- the clip


def make_clip(seconds: float, audio: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    """(clip at 22,050 Hz, the same at 16 kHz, what it is): a real recording when one is at hand."""
    from genrekit.data.audio import load_audio, prepare_array

    path = Path(audio) if audio else next((REAL_AUDIO / n for n in REAL_CLIPS if (REAL_AUDIO / n).is_file()), None)
    n = int(round(seconds * SR))
    if path is not None:
        y = load_audio(path, sr=SR, middle=seconds)
        looped = len(y) < n
        y = np.tile(y, -(-n // len(y)))[:n]
        what = f"{path.name}, middle {seconds:g} s{' (looped)' if looped else ''}"
    else:
        try:
            from genrekit.data.synth import render_clip

            y, what = render_clip("rock", seconds=seconds, sr=SR, seed=0), "synthetic rock clip (render_clip)"
        except ImportError:
            rng = np.random.default_rng(0)
            t = np.arange(n) / SR
            y = sum(0.2 * np.sin(2 * np.pi * f * t) for f in rng.uniform(100, 1000, 3)) + 0.05 * rng.standard_normal(n)
            y, what = 0.9 * y / np.abs(y).max(), "tones and noise"
    y = np.ascontiguousarray(y, dtype=np.float32)
    y16 = prepare_array(y, SR, sr=MUSICNN_SR)
    m = int(round(seconds * MUSICNN_SR))
    y16 = np.pad(y16, (0, max(0, m - len(y16))))[:m]  # exactly 10 patches for 30 s, whatever soxr rounds to
    return y, np.ascontiguousarray(y16, dtype=np.float32), what


# ---------------------------------------------------------------------- child processes


def _rss_mib() -> float:
    import resource

    # Linux keeps ru_maxrss across execve, so a child would report the parent's peak (1.5 GiB once it
    # has written a real-size Whisper checkpoint); VmHWM belongs to the new address space
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _median_ms(function, repeats: int, sync=lambda: None, budget_s: float = BUDGET_S) -> tuple[float, float, int]:
    """Median wall and CPU milliseconds (this process, all threads) of ``repeats`` calls, or of
    fewer once ``budget_s`` seconds are spent (at least one); and the number of calls."""
    wall, cpu = [], []
    while len(wall) < repeats and (not wall or sum(wall) < budget_s):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        sync()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return 1000 * statistics.median(wall), 1000 * statistics.median(cpu), len(wall)


def measure_musicnn(spec: dict) -> dict:
    """Time one MusicnnExtractor configuration on the clip (runs in the child process)."""
    import librosa
    import safetensors.numpy  # noqa: F401
    import torch

    from genrekit.pretrained.musicnn import MusicnnExtractor, patch_count

    if spec["threads"]:
        torch.set_num_threads(spec["threads"])
    y = np.load(spec["clip"])["y16"]
    dev = torch.device(spec["device"])
    cuda = dev.type == "cuda"

    def sync():
        if cuda:
            torch.cuda.synchronize(dev)

    # librosa loads its submodules (numba, scipy) lazily: without this, 130 MiB of imports
    # would count as the model's memory
    librosa.filters.mel(sr=16000, n_fft=512, n_mels=96)
    baseline = _rss_mib()
    extractor = MusicnnExtractor(models=spec["models"], device=spec["device"])
    for net in extractor.models.values():
        net.tiled = spec["tiled"]
    if cuda:
        torch.cuda.reset_peak_memory_stats(dev)

    extractor(y)  # warm-up: kernels, allocator, oneDNN/cuDNN primitives
    sync()
    wall, cpu, calls = _median_ms(lambda: extractor(y), spec["repeats"], sync)
    logmel_wall, logmel_cpu, _ = _median_ms(lambda: extractor.patches(y), spec["repeats"], sync)
    row = {"patches": patch_count(len(y)), "wall_ms": wall, "cpu_ms": cpu, "calls": calls, "logmel_wall_ms": logmel_wall,
           "logmel_cpu_ms": logmel_cpu, "threads": torch.get_num_threads()}
    if not cuda:
        peak = _rss_mib()
        return {**row, "peak_mib": peak, "rise_mib": peak - baseline}
    row["peak_mib"] = row["rise_mib"] = torch.cuda.max_memory_allocated(dev) / 2**20

    torch.cuda.reset_peak_memory_stats(dev)
    batch = batch_ms(extractor, y, clips=spec["gpu_clips"], batch_size=spec["gpu_batch"], repeats=spec["repeats"], sync=sync)
    batch_peak = torch.cuda.max_memory_allocated(dev) / 2**20
    return {**row, **batch, "batch_peak_mib": batch_peak, "gpu": torch.cuda.get_device_name(dev)}


def batch_ms(extractor, y: np.ndarray, *, clips: int, batch_size: int, repeats: int, sync) -> dict:
    """Wall and CPU ms per clip of ``run_patches`` on ``clips`` copies of the clip's patches,
    ``batch_size`` patches per forward pass (the log-mel is not part of it)."""
    patches = extractor.patches(y).repeat(clips, 1, 1)
    extractor.batch_size = batch_size
    extractor.run_patches(patches)  # warm-up at this batch size
    sync()
    wall, cpu, _ = _median_ms(lambda: extractor.run_patches(patches), repeats, sync)
    return {"batch_clips": clips, "batch_patches": batch_size, "batch_wall_ms": wall / clips, "batch_cpu_ms": cpu / clips}


def measure_features(spec: dict) -> dict:
    """Time extract_features on the clip at 22,050 Hz (runs in the child process)."""
    from genrekit.features.handcrafted import extract_features, warm_up

    y = np.load(spec["clip"])["y22"]
    started = time.perf_counter()
    warm_up()
    warm_s = time.perf_counter() - started
    baseline = _rss_mib()
    features = extract_features(y, sr=SR)
    wall, cpu, calls = _median_ms(lambda: extract_features(y, sr=SR), spec["repeats"])
    peak = _rss_mib()
    return {"wall_ms": wall, "cpu_ms": cpu, "calls": calls, "peak_mib": peak, "rise_mib": peak - baseline, "warm_up_s": warm_s,
            "n_features": len(features), "threads": spec["threads"]}


def measure_encoder(spec: dict) -> dict:
    """Time the hf-encoder feature kind on the clip with a random real-size checkpoint (runs in the child process)."""
    import torch
    import transformers  # noqa: F401  (in the baseline: the import is not the model's memory)

    from genrekit.config import FeatureConfig
    from genrekit.pretrained import hf_encoder

    if spec["threads"]:
        torch.set_num_threads(spec["threads"])
    y = np.load(spec["clip"])["y16"]
    baseline = _rss_mib()
    cfg = FeatureConfig(kind="hf-encoder", checkpoint=spec["checkpoint"], device="cpu", layer=None)
    started = time.perf_counter()
    encoder = hf_encoder.load(cfg)
    load_s = time.perf_counter() - started
    hf_encoder.embed(y, [(0, len(y))], cfg)  # warm-up: oneDNN primitives, allocator
    wall, cpu, calls = _median_ms(lambda: hf_encoder.embed(y, [(0, len(y))], cfg), spec["repeats"])
    peak = _rss_mib()
    windows = [len(w) / encoder.spec.sample_rate for w in encoder.windows(y)]
    return {"wall_ms": wall, "cpu_ms": cpu, "calls": calls, "peak_mib": peak, "rise_mib": peak - baseline, "load_s": load_s,
            "windows_s": windows, "dim": encoder.dim, "hidden_states": encoder.spec.num_layers + 1,
            "params_m": sum(p.numel() for p in encoder.model.parameters()) / 1e6, "threads": torch.get_num_threads()}


def measure_clap(spec: dict) -> dict:
    """Time the clap feature kind on the clip (resampled to 48 kHz) with a random real-size CLAP (child process)."""
    import soxr
    import torch
    import transformers  # noqa: F401  (in the baseline: the import is not the model's memory)

    from genrekit.config import FeatureConfig
    from genrekit.pretrained import clap

    if spec["threads"]:
        torch.set_num_threads(spec["threads"])
    y = soxr.resample(np.load(spec["clip"])["y16"], 16000, clap.SAMPLE_RATE).astype(np.float32)
    baseline = _rss_mib()
    cfg = FeatureConfig(kind="clap", checkpoint=spec["checkpoint"], device="cpu")
    started = time.perf_counter()
    model = clap.load(cfg)
    load_s = time.perf_counter() - started
    clap.embed(y, [(0, len(y))], cfg)  # warm-up
    wall, cpu, calls = _median_ms(lambda: clap.embed(y, [(0, len(y))], cfg), spec["repeats"])
    peak = _rss_mib()
    return {"wall_ms": wall, "cpu_ms": cpu, "calls": calls, "peak_mib": peak, "rise_mib": peak - baseline, "load_s": load_s,
            "dim": model.dim, "windows": int(np.ceil(len(y) / (model.window_seconds * clap.SAMPLE_RATE))),
            "params_m": sum(p.numel() for p in model.model.audio_model.parameters()) / 1e6, "threads": torch.get_num_threads()}


def run_child(spec: dict) -> dict:
    """Run one configuration in a fresh interpreter; its row, or ``{"error": ...}``."""
    env = dict(os.environ)
    if spec.get("threads"):
        # BLAS, OpenMP and numba pools are sized when first loaded: fix them before the child imports anything
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
            env[name] = str(spec["threads"])
    command = [sys.executable, os.path.abspath(__file__), "--child", json.dumps(spec)]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no output)"]
        return {**spec, "error": tail[0][:160]}
    return {**spec, **json.loads(done.stdout.strip().splitlines()[-1])}


# ---------------------------------------------------------------------- the table


def _label(models) -> str:
    return " + ".join(models)


def table(rows: list[dict], *, cuda: bool, musicnn: bool = True) -> list[str]:
    head = ["measurement", "models", "device", "threads", "front-end", "wall ms", "CPU ms", "peak MiB", "+MiB", "note"]
    out = ["| " + " | ".join(head) + " |", "|---|---|---|---:|---|---:|---:|---:|---:|---|"]

    def line(*cells):
        out.append("| " + " | ".join(str(c) for c in cells) + " |")

    def failed(r):
        line(r["kind"], _label(r.get("models", ["-"])), r["device"], r.get("threads") or "-", "-", "-", "-", "-", "-",
             f"failed: {r['error']}")

    cpu_rows = {(tuple(r["models"]), r["threads"], r["tiled"]): r for r in rows if r["kind"] == "musicnn" and r["device"] == "cpu"}
    for (models, threads, tiled), r in cpu_rows.items():
        if "error" in r:
            failed(r)
            continue
        notes = []
        plain = cpu_rows.get((models, threads, False))
        if tiled and plain and "error" not in plain:
            notes.append(f"{plain['wall_ms'] / r['wall_ms']:.1f}x wall, {plain['cpu_ms'] / r['cpu_ms']:.1f}x CPU vs plain")
        if r["calls"] < r["repeats"]:
            notes.append(f"{r['calls']} of {r['repeats']} calls ({BUDGET_S:g} s budget)")
        note = "; ".join(notes)
        line("musicnn forward, one clip", _label(models), "cpu", threads, "tiled GEMM" if tiled else "plain conv",
             f"{r['wall_ms']:.0f}", f"{r['cpu_ms']:.0f}", f"{r['peak_mib']:.0f}", f"{r['rise_mib']:.0f}", note)
    for (models, threads, tiled), r in cpu_rows.items():
        if len(models) == 2 and tiled and "error" not in r:
            line("log-mel alone (shared)", "-", "cpu", threads, "-", f"{r['logmel_wall_ms']:.1f}",
                 f"{r['logmel_cpu_ms']:.1f}", "-", "-", "")

    gpu_rows = [r for r in rows if r["kind"] == "musicnn" and r["device"] != "cpu"]
    if musicnn and not cuda:
        line("musicnn forward on CUDA", "-", "cuda", "-", "-", "-", "-", "-", "-", "no CUDA device")
    for r in gpu_rows:
        if "error" in r:
            failed(r)
            continue
        line("musicnn forward, one clip", _label(r["models"]), r["device"], "-", "plain conv (cuDNN)", f"{r['wall_ms']:.1f}",
             f"{r['cpu_ms']:.1f}", f"{r['peak_mib']:.0f}", f"{r['rise_mib']:.0f}", f"{r['gpu']}; max_memory_allocated")
        line(f"musicnn, {r['batch_clips']} clips' patches ({r['batch_clips'] * r['patches']}), per clip",
             _label(r["models"]), r["device"], "-", "plain conv (cuDNN)", f"{r['batch_wall_ms']:.2f}", f"{r['batch_cpu_ms']:.2f}",
             f"{r['batch_peak_mib']:.0f}", f"{r['batch_peak_mib']:.0f}",
             f"{r['batch_patches']} patches per forward pass; log-mel not included")

    for r in (r for r in rows if r["kind"] == "features"):
        if "error" in r:
            failed(r)
            continue
        line("hand-crafted features (extract_features, 22,050 Hz)", "-", "cpu", r["threads"], "-", f"{r['wall_ms']:.0f}",
             f"{r['cpu_ms']:.0f}", f"{r['peak_mib']:.0f}", f"{r['rise_mib']:.0f}",
             f"{r['n_features']} features; warm_up {r['warm_up_s']:.0f} s once per process")

    for r in (r for r in rows if r["kind"] == "encoder"):
        if "error" in r:
            line("frozen encoder (hf-encoder), one clip", r["arch"], "cpu", r.get("threads") or "-", "-", "-", "-", "-", "-",
                 f"failed: {r['error']}")
            continue
        windows = " + ".join(f"{w:g} s" for w in r["windows_s"])
        front = "log-mel" if r["arch"].startswith("whisper") else "waveform"
        notes = [f"**random weights: speed and memory only**; {r['params_m']:.1f}M parameters, {r['dim']} values "
                 f"(mean of {r['hidden_states']} hidden states); load {r['load_s']:.1f} s"]
        if r["calls"] < r["repeats"]:
            notes.append(f"{r['calls']} of {r['repeats']} calls ({BUDGET_S:g} s budget)")
        line("frozen encoder (hf-encoder), one clip", r["arch"], "cpu", r["threads"], f"{front}, windows {windows}",
             f"{r['wall_ms']:.0f}", f"{r['cpu_ms']:.0f}", f"{r['peak_mib']:.0f}", f"{r['rise_mib']:.0f}", "; ".join(notes))

    for r in (r for r in rows if r["kind"] == "clap"):
        if "error" in r:
            line("CLAP audio embedding (clap), one clip", "clap-htsat-unfused size", "cpu", r.get("threads") or "-", "-", "-",
                 "-", "-", "-", f"failed: {r['error']}")
            continue
        notes = [f"**random weights: speed and memory only**; audio tower {r['params_m']:.1f}M parameters, {r['dim']} values, "
                 f"mean of {r['windows']} windows of 10 s at 48 kHz; load {r['load_s']:.1f} s"]
        if r["calls"] < r["repeats"]:
            notes.append(f"{r['calls']} of {r['repeats']} calls ({BUDGET_S:g} s budget)")
        line("CLAP audio embedding (clap), one clip", "clap-htsat-unfused size", "cpu", r["threads"], "log-mel (HTSAT)",
             f"{r['wall_ms']:.0f}", f"{r['cpu_ms']:.0f}", f"{r['peak_mib']:.0f}", f"{r['rise_mib']:.0f}", "; ".join(notes))

    for (models, threads, tiled), r in cpu_rows.items():
        if threads != 1 or not tiled or "error" in r:
            continue
        line(f"target: at most {TARGET_MS:.0f} ms per 30 s clip on one idle core", _label(models), "cpu", 1,
             "tiled GEMM", f"{r['wall_ms']:.0f}", f"{r['cpu_ms']:.0f}", "-", "-",
             f"**{verdict(r['wall_ms'])}** on wall time, **{verdict(r['cpu_ms'])}** on CPU time")
    return out


def verdict(ms: float) -> str:
    return "met" if ms <= TARGET_MS else "missed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--audio", metavar="FILE", help="recording to cut the clip from (default: one of ../shared/real_audio, "
                        "else a synthetic clip)")
    parser.add_argument("--seconds", type=float, default=30.0, metavar="S", help="clip length (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=5, metavar="N", help="timed calls per row, median reported (default: %(default)s)")
    parser.add_argument("--threads", default="1,2", help="torch thread counts for the CPU rows (default: %(default)s)")
    parser.add_argument("--gpu-clips", type=int, default=64, metavar="N", help="clips in the CUDA batch row (default: %(default)s)")
    parser.add_argument("--gpu-batch", type=int, default=256, metavar="N",
                        help="patches per forward pass in the CUDA batch row (default: %(default)s)")
    parser.add_argument("--no-cuda", action="store_true", help="skip the CUDA rows even when a GPU is present")
    parser.add_argument("--quick", action="store_true", help="one thread and one timed call per row (about 25 s)")
    parser.add_argument("--encoders", action="store_true",
                        help="also time the frozen transformer encoders (hf-encoder kind) and CLAP (clap kind) at published size, random weights")
    parser.add_argument("--encoders-only", action="store_true", help="only the --encoders rows")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        spec = json.loads(args.child)
        measure = {"features": measure_features, "encoder": measure_encoder, "clap": measure_clap}.get(spec["kind"], measure_musicnn)
        print(json.dumps(measure(spec)))
        return 0

    if args.quick:
        args.repeats, args.threads = 1, "1"
    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    if args.repeats < 1 or not threads or min(threads) < 1:
        parser.error("--repeats and every --threads value must be at least 1")
    musicnn = not args.encoders_only
    encoders = args.encoders or args.encoders_only

    import torch

    from genrekit.pretrained.weights import WeightsError, fetch_musicnn, have_weights

    if musicnn and not have_weights():
        print("musicnn weights not cached: fetching them with pip (musicnn==0.1.0, 29 MB, no dependencies)", file=sys.stderr)
        try:
            fetch_musicnn()
        except WeightsError as exc:
            print(f"error: cannot benchmark musicnn without its weights: {exc}", file=sys.stderr)
            return 1

    load_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    started = time.perf_counter()
    y22, y16, what = make_clip(args.seconds, args.audio)
    cuda = torch.cuda.is_available() and not args.no_cuda and musicnn
    rows = []
    with tempfile.TemporaryDirectory(prefix="genrekit-bench-pretrained-") as tmp:
        clip = str(Path(tmp) / "clip.npz")
        np.savez(clip, y22=y22, y16=y16)
        common = {"clip": clip, "repeats": args.repeats}
        specs = []
        if musicnn:
            specs += [{**common, "kind": "musicnn", "models": list(m), "device": "cpu", "threads": t, "tiled": tiled}
                      for m in MODEL_SETS for t in threads for tiled in (False, True)]  # plain then tiled: close in time
            if cuda:
                specs += [{**common, "kind": "musicnn", "models": list(m), "device": "cuda", "threads": 0, "tiled": False,
                           "gpu_clips": args.gpu_clips, "gpu_batch": args.gpu_batch} for m in MODEL_SETS]
            specs.append({**common, "kind": "features", "device": "cpu", "threads": 1})
        if encoders:
            from genrekit.hub import make_random_pretrained

            for arch in ENCODERS:
                print(f"writing a random {arch} checkpoint at published size ...", file=sys.stderr, flush=True)
                folder = make_random_pretrained(arch, Path(tmp) / arch, tiny=False)
                specs += [{**common, "kind": "encoder", "arch": arch, "checkpoint": str(folder), "device": "cpu", "threads": t}
                          for t in threads]
            from genrekit.pretrained.clap import make_random_clap

            print("writing a random CLAP checkpoint at clap-htsat-unfused size ...", file=sys.stderr, flush=True)
            folder = make_random_clap(Path(tmp) / "clap", tiny=False)
            specs += [{**common, "kind": "clap", "arch": "clap", "checkpoint": str(folder), "device": "cpu", "threads": t}
                      for t in threads]
        for spec in specs:
            label = spec.get("arch") or _label(spec.get("models", ["hand-crafted features"]))
            print(f"measuring {label} on {spec['device']}, {spec['threads'] or 'default'} thread(s)"
                  f"{', tiled' if spec.get('tiled') else ''} ...", file=sys.stderr, flush=True)
            rows.append(run_child(spec))
    load_end = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    title = "Pretrained musicnn vs plain port vs hand-crafted features" if musicnn else "Frozen transformer encoders"
    if musicnn and encoders:
        title += " vs frozen transformer encoders"
    print(f"# {title}: one {args.seconds:g} s clip")
    print(f"\nclip: {what} ({len(y16) / MUSICNN_SR:g} s at 16 kHz for musicnn, {SR} Hz for the features); "
          f"median of {args.repeats} timed call(s) after one warm-up")
    print(f"{os.cpu_count()} CPU cores, load average {load_start:.2f} at the start and {load_end:.2f} at the end; "
          f"torch {torch.__version__}; python {sys.version.split()[0]}; {time.perf_counter() - started:.0f} s in all")
    if max(load_start, load_end) + max(threads) > (os.cpu_count() or 1) + 0.5:
        print("the machine is busy: rows with as many threads as cores share them with other work (noisy wall "
              "times; OpenMP threads spin while they wait, inflating CPU times)")
    print()
    print("\n".join(table(rows, cuda=cuda, musicnn=musicnn)))
    print("\nwall and CPU ms per 30 s clip; peak MiB: process peak RSS on CPU (torch.cuda.max_memory_allocated on CUDA), "
          "+MiB: its rise once torch, librosa and the clip are loaded "
          "(the features: once warm_up has run; the encoders: once transformers is imported).")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=2)
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
