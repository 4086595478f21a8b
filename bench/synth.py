"""How fast the synthetic genre set is generated, and how separable it is.

    python bench/synth.py                          # 10 x 100 x 30 s with 1 and 2 workers (several minutes)
    python bench/synth.py --clips 20 --seconds 10  # a quick look
    python bench/synth.py --workers 2 --clips 40 --seconds 10   # one timing, then the confusion matrix

For each worker count the set is generated from scratch into a temporary folder and timed. The last
set generated is then classified with cheap features (MFCC, spectral and loudness statistics, onset
strength and tempo) by a standardised logistic regression, in 5 folds grouped by artist so that no
artist is on both sides. The set should be clearly above chance (0.1) but not perfectly separable.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np


def clip_features(path: str) -> np.ndarray:
    """Cheap per-clip features: 13 MFCC means/stds, spectral shape, loudness, zcr, onset and tempo stats."""
    import librosa

    from genrekit.data.audio import load_audio

    y = load_audio(path, sr=22050)
    sr = 22050
    S = np.abs(librosa.stft(y, n_fft=2048, hop_length=512))
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(librosa.feature.melspectrogram(S=S ** 2, sr=sr)), n_mfcc=13)
    centroid = librosa.feature.spectral_centroid(S=S, sr=sr)[0]
    rolloff = librosa.feature.spectral_rolloff(S=S, sr=sr)[0]
    flatness = librosa.feature.spectral_flatness(S=S)[0]
    rms = librosa.feature.rms(S=S)[0]
    zcr = librosa.feature.zero_crossing_rate(y)[0]
    onset = librosa.onset.onset_strength(S=librosa.amplitude_to_db(S), sr=sr)
    tempo = float(np.atleast_1d(librosa.feature.tempo(onset_envelope=onset, sr=sr))[0])
    stats = [np.mean(v) for v in (centroid, rolloff, flatness, rms, zcr, onset)]
    stats += [np.std(v) for v in (centroid, rolloff, rms, zcr, onset)]
    return np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1), stats, [tempo]]).astype(np.float64)


def read_artists(root: Path) -> dict[str, str]:
    """file name -> artist, from the Sturm-format artists.txt."""
    out = {}
    for line in (root / "artists.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("##") or ":::" not in line:
            continue
        name, artist, _ = (part.strip() for part in line.split(":::"))
        out[name] = artist
    return out


def evaluate(root: Path, *, workers: int) -> tuple[float, np.ndarray, list[str]]:
    """Artist-grouped 5-fold accuracy and confusion matrix of a logistic regression on clip_features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import confusion_matrix
    from sklearn.model_selection import GroupKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    files = sorted((root / "genres_original").glob("*/*.wav"))
    artists = read_artists(root)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        X = np.stack(list(pool.map(clip_features, [str(f) for f in files], chunksize=8)))
    labels = [f.parent.name for f in files]
    genres = sorted(set(labels))
    y = np.array([genres.index(g) for g in labels])
    groups = np.array([artists[f.name] for f in files])
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=5000))
    pred = cross_val_predict(model, X, y, groups=groups, cv=GroupKFold(n_splits=5))
    return float(np.mean(pred == y)), confusion_matrix(y, pred, labels=range(len(genres))), genres


def _cpu_seconds() -> float:
    """User+system CPU of this process and its finished children (the worker pool)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=100, help="clips per genre (default 100)")
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds per clip (default 30)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to time (default 1 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-eval", action="store_true", help="only time the generation")
    args = parser.parse_args(argv)

    from genrekit.data.synth import generate_synthetic

    rows = []
    with tempfile.TemporaryDirectory(prefix="genrekit-synth-bench-") as tmp:
        root = None
        for workers in args.workers:
            root = Path(tmp) / f"w{workers}"
            cpu_before = _cpu_seconds()
            start = time.perf_counter()
            generate_synthetic(root, clips_per_genre=args.clips, seconds=args.seconds, seed=args.seed,
                               workers=workers, progress=False)
            elapsed = time.perf_counter() - start
            rows.append((workers, elapsed, _cpu_seconds() - cpu_before))
            print(f"  generated with {workers} worker(s) in {elapsed:.1f} s", file=sys.stderr, flush=True)
        n = 10 * args.clips
        print(f"\nsynthetic set: 10 genres x {args.clips} clips x {args.seconds:g} s, seed {args.seed}, "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
        print(f"{'workers':>8} {'wall s':>8} {'clips/s':>8} {'audio x realtime':>17} {'CPU s/clip':>11}")
        for workers, elapsed, cpu in rows:
            print(f"{workers:>8} {elapsed:>8.1f} {n / elapsed:>8.2f} {n * args.seconds / elapsed:>17.0f} {cpu / n:>11.3f}")
        print("(wall times depend on other load on the machine; CPU s/clip does not)")
        if args.no_eval or root is None:
            return 0
        start = time.perf_counter()
        accuracy, cm, genres = evaluate(root, workers=max(args.workers))
        print(f"\ncheap-feature logistic regression, 5 artist-grouped folds: accuracy {accuracy:.3f} "
              f"(chance 0.100; features+CV {time.perf_counter() - start:.0f} s)")
        print("confusion (rows: true, columns: predicted)")
        print(f"{'':>10}" + "".join(f"{g[:5]:>6}" for g in genres) + f"{'recall':>8}")
        for i, g in enumerate(genres):
            print(f"{g:>10}" + "".join(f"{v:>6d}" for v in cm[i]) + f"{cm[i, i] / max(cm[i].sum(), 1):>8.2f}")
        off = [(cm[i, j] + cm[j, i], genres[i], genres[j]) for i in range(len(genres)) for j in range(i + 1, len(genres))]
        top = ", ".join(f"{a}/{b} {c}" for c, a, b in sorted(off, reverse=True)[:6])
        print(f"most confused pairs (both directions): {top}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
