"""The generated data set: :func:`generate_synthetic` writes clips in GTZAN's layout with an
artist index and a manifest, resumably and in parallel; :func:`ensure_synthetic` keeps one set per
request under the data folder; :func:`synthetic_crossovers` recovers which clips are crossovers."""

from __future__ import annotations

import json
import math
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from genrekit import paths
from genrekit.data.audio import DEFAULT_SR, write_audio
from genrekit.data.synth.artists import ArtistStyle, _draw_clip, draw_artist
from genrekit.data.synth.render import render_clip
from genrekit.data.synth.styles import GTZAN_GENRES
from genrekit.errors import ConfigError, DatasetError

ARTIST_INDEX_NAME = "artists.txt"
MANIFEST_NAME = "synthetic.json"
#: Bumped whenever the audio a seed produces changes, so stale sets are regenerated.
GENERATOR_VERSION = 3  # 3: at least three artists per genre

_AUDIO_FOLDER = "genres_original"
# Seed-sequence stream tags: clips and artists of the same genre must never share a stream.
_CLIP_STREAM, _ARTIST_STREAM = 0, 1


def default_synthetic_root(*, clips_per_genre: int, seconds: float, seed: int) -> Path:
    """Where :func:`ensure_synthetic` keeps a set: ``synthetic_dir()/seed{seed}-{clips}x{seconds:g}s``."""
    return paths.synthetic_dir() / f"seed{seed}-{clips_per_genre}x{seconds:g}s"


def clip_path(root: str | Path, genre: str, index: int) -> Path:
    """``<root>/genres_original/<genre>/<genre>.000NN.wav``, GTZAN's own naming."""
    return Path(root) / _AUDIO_FOLDER / genre / f"{genre}.{index:05d}.wav"


def artists_per_genre(clips_per_genre: int) -> int:
    """How many artists share a genre's clips: one per ten clips, at least three (never more than clips).

    Three is the least that lets an artist-grouped split put every genre in train, validation
    and test (version 2 had two below 30 clips per genre, and small sets lost a side per genre).
    """
    return max(1, min(clips_per_genre, max(3, clips_per_genre // 10)))


def clip_artist_index(clip_index: int, clips_per_genre: int) -> int:
    """The artist of a clip: artists own contiguous runs of clips, as in GTZAN."""
    return clip_index * artists_per_genre(clips_per_genre) // clips_per_genre


def _artist_for(seed: int, genre: str, index: int) -> ArtistStyle:
    g = GTZAN_GENRES.index(genre)
    return draw_artist(genre, seed=np.random.SeedSequence(seed, spawn_key=(_ARTIST_STREAM, g, index)), index=index)


def _clip_seed(seed: int, genre: str, index: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=(_CLIP_STREAM, GTZAN_GENRES.index(genre), index))


def _clip_title(seed: int, genre: str, index: int, artist: ArtistStyle) -> str:
    return _draw_clip(genre, artist, np.random.default_rng(_clip_seed(seed, genre, index))).title


def _render_job(job: tuple) -> str:
    root, genre, index, seconds, sr, seed, artist = job
    y = render_clip(genre, seconds=seconds, sr=sr, seed=_clip_seed(seed, genre, index), artist=artist)
    path = clip_path(root, genre, index)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
    # write then rename: an interrupted run (or a concurrent one) never leaves a truncated clip behind
    write_audio(tmp, y, sr, format="WAV", subtype="PCM_16")
    os.replace(tmp, path)
    return str(path)


def generate_synthetic(
    out_dir: str | Path,
    *,
    clips_per_genre: int = 100,
    seconds: float = 30.0,
    sr: int = DEFAULT_SR,
    seed: int = 0,
    genres=GTZAN_GENRES,
    workers: int = 0,
    progress: bool = True,
) -> Path:
    """Generate the synthetic genre set in GTZAN's ``genres_original`` layout.

    Each clip's randomness comes from ``SeedSequence(seed, spawn_key=(0, genre index, clip index))``,
    so the files are byte-identical for a seed whatever the worker count. Re-running with the same
    request returns at once; an interrupted run resumes where it stopped.

    Parameters
    ----------
    out_dir : str or Path
        Dataset root; receives ``genres_original/<genre>/<genre>.000NN.wav`` (mono 16-bit PCM),
        ``artists.txt`` (Sturm's GTZAN index format) and ``synthetic.json`` (the manifest).
    clips_per_genre : int
        Clips per genre (GTZAN has 100).
    seconds : float
        Length of every clip in seconds (GTZAN's are about 30).
    sr : int
        Sample rate in Hz.
    seed : int
        Non-negative; different seeds give different sets.
    genres : sequence of str
        A subset of :data:`GTZAN_GENRES`; a genre's clips do not depend on which others are made.
    workers : int
        Processes to render with; 0 uses every CPU, 1 renders in this process.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    ConfigError
        Bad counts, lengths, rate, seed or genre names.
    DatasetError
        If ``out_dir`` already holds a ``genres_original`` folder that this generator did not write.
    """
    request = _request(clips_per_genre=clips_per_genre, seconds=seconds, sr=sr, seed=seed, genres=genres)
    if not isinstance(workers, int) or workers < 0:
        raise ConfigError(f"workers must be a non-negative integer, got {workers!r}")
    root = Path(out_dir)
    manifest_path = root / MANIFEST_NAME
    genres = request["genres"]
    old = _read_manifest(manifest_path)
    complete = old is not None and _same_request(old, request) and old.get("complete")
    if complete and (root / ARTIST_INDEX_NAME).is_file() and all(
        clip_path(root, g, i).is_file() for g in genres for i in range(clips_per_genre)
    ):
        return root
    if old is not None and not _same_request(old, request):
        _remove_clips(root, old)
    elif old is None and (root / _AUDIO_FOLDER).is_dir() and any((root / _AUDIO_FOLDER).rglob("*.wav")):
        raise DatasetError(
            f"{root / _AUDIO_FOLDER}: holds audio that the synthetic generator did not write "
            f"(no {MANIFEST_NAME}); refusing to overwrite it, choose another out_dir"
        )

    n_artists = artists_per_genre(clips_per_genre)
    artists = {g: [_artist_for(seed, g, a) for a in range(n_artists)] for g in genres}
    manifest = dict(request, artists={g: [a.name for a in artists[g]] for g in genres}, complete=False)
    root.mkdir(parents=True, exist_ok=True)
    for g in genres:
        (root / _AUDIO_FOLDER / g).mkdir(parents=True, exist_ok=True)
    _write_json(manifest_path, manifest)

    jobs = [
        (str(root), g, i, float(seconds), int(sr), int(seed), artists[g][clip_artist_index(i, clips_per_genre)])
        for g in genres
        for i in range(clips_per_genre)
        if not clip_path(root, g, i).is_file()
    ]
    _run_jobs(jobs, workers=workers or os.cpu_count() or 1, progress=progress)

    lines = [
        "## Synthetic genre set generated by genrekit.data.synth",
        f"## generator version {GENERATOR_VERSION}, seed {seed}, {clips_per_genre} clips x {seconds:g} s per genre",
        "## filename ::: artist ::: title (the format of Sturm's GTZAN index, 2012)",
        "##",
    ]
    for g in genres:
        for i in range(clips_per_genre):
            artist = artists[g][clip_artist_index(i, clips_per_genre)]
            lines.append(f"{g}.{i:05d}.wav ::: {artist.name} ::: {_clip_title(seed, g, i, artist)}")
    (root / ARTIST_INDEX_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    manifest["complete"] = True
    _write_json(manifest_path, manifest)
    return root


def _run_jobs(jobs: list[tuple], *, workers: int, progress: bool) -> None:
    with tqdm(total=len(jobs), desc="synthetic genre set", unit="clip", disable=not progress) as bar:
        if workers <= 1 or len(jobs) <= 1:
            for job in jobs:
                _render_job(job)
                bar.update()
            return
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
            futures = [pool.submit(_render_job, job) for job in jobs]
            for future in as_completed(futures):
                future.result()
                bar.update()


def ensure_synthetic(
    *,
    clips_per_genre: int = 100,
    seconds: float = 30.0,
    seed: int = 0,
    sr: int = DEFAULT_SR,
    workers: int = 0,
    progress: bool = True,
) -> Path:
    """Generate the set at :func:`default_synthetic_root` unless it is already there; return its root."""
    root = default_synthetic_root(clips_per_genre=clips_per_genre, seconds=seconds, seed=seed)
    return generate_synthetic(root, clips_per_genre=clips_per_genre, seconds=seconds, sr=sr, seed=seed,
                              workers=workers, progress=progress)


def synthetic_crossovers(root: str | Path) -> dict[str, str | None]:
    """Which clips of a generated set are crossovers, and of which neighbouring genre.

    A crossover clip keeps its genre's (and artist's) instruments, tempo and production but plays a
    neighbouring genre's arrangement (drums, bass line, comping, melody, progression): the known
    "multi-genre" clips of the set. Nothing is stored for this: each clip's draw is repeated from
    the seed in the manifest (no audio is rendered), so it holds for sets made before it existed.

    Parameters
    ----------
    root : str or Path
        A folder written by :func:`generate_synthetic` (holds ``synthetic.json``).

    Returns
    -------
    dict of str -> str or None
        ``{track_id: neighbour genre or None}`` for every clip, ``track_id`` as the GTZAN loader
        names it (``'rock.00012'``).

    Raises
    ------
    DatasetError
        If the manifest is missing or unreadable, or was written by another generator version
        (the draws would not be the clips' own).
    """
    root = Path(root)
    manifest = _read_manifest(root / MANIFEST_NAME)
    if manifest is None:
        raise DatasetError(f"{root / MANIFEST_NAME}: not found; {root} is not a set made by generate_synthetic")
    if manifest.get("version") != GENERATOR_VERSION:
        raise DatasetError(
            f"{root / MANIFEST_NAME}: written by generator version {manifest.get('version')}, this is version "
            f"{GENERATOR_VERSION}; regenerate the set to know its crossovers"
        )
    seed, clips = int(manifest["seed"]), int(manifest["clips_per_genre"])
    out: dict[str, str | None] = {}
    for genre in manifest["genres"]:
        artists = [_artist_for(seed, genre, a) for a in range(artists_per_genre(clips))]
        for i in range(clips):
            clip = _draw_clip(genre, artists[clip_artist_index(i, clips)], np.random.default_rng(_clip_seed(seed, genre, i)))
            out[f"{genre}.{i:05d}"] = clip.crossover
    return out


def _request(*, clips_per_genre, seconds, sr, seed, genres) -> dict:
    if not isinstance(clips_per_genre, int) or isinstance(clips_per_genre, bool) or clips_per_genre < 1:
        raise ConfigError(f"clips_per_genre must be a positive integer, got {clips_per_genre!r}")
    if clips_per_genre > 99999:
        raise ConfigError(f"clips_per_genre must be below 100000 (5-digit file names), got {clips_per_genre}")
    if not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(f"seconds must be a positive number, got {seconds!r}")
    if not isinstance(sr, int) or sr < 8000:
        raise ConfigError(f"sr must be an integer of at least 8000 Hz, got {sr!r}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(genres, str):
        genres = [genres]
    genres = list(genres)
    unknown = [g for g in genres if g not in GTZAN_GENRES]
    if unknown or not genres or len(set(genres)) != len(genres):
        raise ConfigError(f"genres must be distinct names from {', '.join(GTZAN_GENRES)}; got {genres}")
    return {
        "generator": "genrekit.data.synth",
        "version": GENERATOR_VERSION,
        "genres": genres,
        "clips_per_genre": clips_per_genre,
        "seconds": float(seconds),
        "sr": sr,
        "seed": seed,
    }


_REQUEST_KEYS = ("generator", "version", "genres", "clips_per_genre", "seconds", "sr", "seed")


def _same_request(old: dict, new: dict) -> bool:
    return all(old.get(k) == new[k] for k in _REQUEST_KEYS)


def _read_manifest(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: unreadable synthetic-set manifest ({exc})") from None
    if not isinstance(data, dict) or data.get("generator") != "genrekit.data.synth":
        raise DatasetError(f"{path}: not a manifest written by genrekit.data.synth")
    return data


def _remove_clips(root: Path, old: dict) -> None:
    """Delete the clips an earlier, different request wrote (only files named as this generator names them)."""
    for genre in old.get("genres", []):
        if genre not in GTZAN_GENRES:
            continue
        for path in (root / _AUDIO_FOLDER / genre).glob(f"{genre}.[0-9][0-9][0-9][0-9][0-9].wav*"):
            path.unlink()
    (root / ARTIST_INDEX_NAME).unlink(missing_ok=True)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
