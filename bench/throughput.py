"""Training and inference throughput of the waveform models at their real sizes (random weights).

    python bench/throughput.py
    python bench/throughput.py --families wavenet,distilhubert --clips 4 --seconds 10
    python bench/throughput.py --devices cuda --clips 16 --grad-checkpointing

One row per (model, device): clips per second for inference (forward only, eval mode) and for
training (forward, backward and an AdamW step, train mode, feature encoder frozen as in the
configs), parameter counts and peak memory. Nothing is downloaded: the transformers are built from
the published architectures (:func:`genrekit.hub.pretrained_config`) with random weights,
which cost exactly what pretrained ones cost. On CUDA the step runs under bf16 autocast (fp16 where
bf16 is missing), as the training loop does.

Every model runs in a fresh subprocess so its peak memory is its own. Peak memory is
``torch.cuda.max_memory_allocated`` on CUDA and the peak resident set size of that process on CPU
(it includes Python, torch and transformers, about 0.5-0.7 GB).

Whisper encoders always process 30 s windows (their feature extractor pads shorter clips), so a
Whisper "clip" costs a 30 s window whatever ``--seconds`` says; the others process ``--seconds``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

FAMILIES = ("wavenet", "distilhubert", "wav2vec2-base", "whisper-small", "whisper-medium")


def build(family: str):
    """(module waveform->logits, sample rate, seconds one clip really costs) for ``family``."""
    if family == "wavenet":
        from genrekit.models.wavenet import WAVENET_SR, build_wavenet

        return build_wavenet(num_classes=10), WAVENET_SR, None
    from transformers import AutoModelForAudioClassification

    from genrekit.hub import pretrained_config
    from genrekit.models.hf import (
        HFAudioClassifier,
        configure_training,
        fixed_window_seconds,
    )

    config, extractor = pretrained_config(family)
    config.num_labels = 10
    model = AutoModelForAudioClassification.from_config(config)
    configure_training(model, freeze_feature_encoder=True, freeze_encoder=False, gradient_checkpointing=False)
    return HFAudioClassifier(model, extractor), extractor.sampling_rate, fixed_window_seconds(extractor)


def measure(family: str, *, device: str, clips: int, seconds: float, repeats: int, warmup: int, grad_checkpointing: bool,
            threads: int = 0) -> dict:
    """Time inference and training of one model on one device (runs in the child process)."""
    import resource

    import torch

    from genrekit.trainer import precision_for

    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    dev = torch.device(device)
    module, sr, fixed = build(family)
    if grad_checkpointing and family != "wavenet":
        from genrekit.models.hf import configure_training

        configure_training(module.model, freeze_feature_encoder=False, freeze_encoder=False, gradient_checkpointing=True)
    module.to(dev)
    precision = precision_for(dev)
    autocast = (
        torch.autocast(device_type=dev.type, enabled=False)
        if precision == "fp32"
        else torch.autocast(device_type=dev.type, dtype=torch.bfloat16 if precision == "bf16" else torch.float16)
    )
    x = (0.1 * torch.randn(clips, int(seconds * sr))).to(dev)
    y = torch.randint(0, 10, (clips,), device=dev)

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)

    # inference
    module.eval()
    with torch.inference_mode():
        for _ in range(warmup):
            with autocast:
                module(x)
        sync()
        began = time.perf_counter()
        for _ in range(repeats):
            with autocast:
                module(x)
        sync()
        infer_s = (time.perf_counter() - began) / repeats

    # training: forward, backward, AdamW step
    module.train()
    trainable = [p for p in module.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-5)
    scaler = torch.amp.GradScaler(dev.type, enabled=precision == "fp16")
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        with autocast:
            loss = loss_fn(module(x).float(), y)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)

    for _ in range(warmup):
        step()
    sync()
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
    began = time.perf_counter()
    for _ in range(repeats):
        step()
    sync()
    train_s = (time.perf_counter() - began) / repeats

    if dev.type == "cuda":
        peak_gb = torch.cuda.max_memory_allocated(dev) / 2**30
        memory = "cuda max allocated"
    else:
        peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux
        memory = "process peak RSS"
    return {
        "model": family,
        "device": str(dev),
        "precision": precision,
        "params_m": sum(p.numel() for p in module.parameters()) / 1e6,
        "trainable_m": sum(p.numel() for p in trainable) / 1e6,
        "clip_s": fixed or seconds,
        "batch": clips,
        "infer_clips_per_s": clips / infer_s,
        "train_clips_per_s": clips / train_s,
        "peak_gb": peak_gb,
        "memory": memory,
        "threads": torch.get_num_threads(),
    }


def run_child(family: str, device: str, args) -> dict:
    command = [
        sys.executable, os.path.abspath(__file__), "--child", family, "--devices", device,
        "--clips", str(args.gpu_clips if device.startswith("cuda") else args.clips),
        "--seconds", str(args.seconds), "--repeats", str(args.repeats), "--warmup", str(args.warmup),
        "--threads", str(args.threads),
    ] + (["--grad-checkpointing"] if args.grad_checkpointing else [])
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no output)"]
        return {"model": family, "device": device, "error": tail[0][:120]}
    row = json.loads(done.stdout.strip().splitlines()[-1])
    row["wall_s"] = time.perf_counter() - began
    return row


def format_table(rows: list[dict]) -> str:
    head = ["model", "device", "prec", "threads", "params M", "trainable M", "clip s", "batch", "infer clips/s", "train clips/s", "peak GB", "wall s"]
    lines = []
    for r in rows:
        if "error" in r:
            lines.append([r["model"], r["device"], "-", "-", "-", "-", "-", "-", "-", "-", "-", f"failed: {r['error']}"])
            continue
        lines.append([
            r["model"], r["device"], r["precision"], str(r["threads"]), f"{r['params_m']:.1f}", f"{r['trainable_m']:.1f}", f"{r['clip_s']:g}",
            str(r["batch"]), f"{r['infer_clips_per_s']:.3g}", f"{r['train_clips_per_s']:.3g}", f"{r['peak_gb']:.2f}",
            f"{r['wall_s']:.0f}",
        ])
    widths = [max(len(h), *(len(row[i]) for row in lines)) if lines else len(h) for i, h in enumerate(head)]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths)), "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in lines]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", default=",".join(FAMILIES), help=f"comma-separated subset of {', '.join(FAMILIES)}")
    parser.add_argument("--devices", default="auto", help="'auto' (CPU, plus CUDA when present), 'cpu', 'cuda' or a list")
    parser.add_argument("--clips", type=int, default=2, help="clips per batch on CPU")
    parser.add_argument("--gpu-clips", type=int, default=8, help="clips per batch on CUDA")
    parser.add_argument("--seconds", type=float, default=10.0, help="clip length in seconds (Whisper always costs 30 s)")
    parser.add_argument("--repeats", type=int, default=1, help="timed batches per measurement")
    parser.add_argument("--warmup", type=int, default=1, help="untimed batches before timing")
    parser.add_argument("--grad-checkpointing", action="store_true", help="transformers: recompute activations in backward")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default, one per core)")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        row = measure(args.child, device=args.devices, clips=args.clips, seconds=args.seconds, repeats=args.repeats,
                      warmup=args.warmup, grad_checkpointing=args.grad_checkpointing, threads=args.threads)
        print(json.dumps(row))
        return 0

    families = [f.strip() for f in args.families.split(",") if f.strip()]
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        parser.error(f"unknown families {unknown}; choose from {', '.join(FAMILIES)}")
    if args.devices == "auto":
        import torch

        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    else:
        devices = [d.strip() for d in args.devices.split(",") if d.strip()]
    rows = []
    for device in devices:
        for family in families:
            print(f"measuring {family} on {device} ...", file=sys.stderr, flush=True)
            rows.append(run_child(family, device, args))
    print(format_table(rows))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=2)
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
