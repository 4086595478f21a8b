"""Builders of tiny dataset trees in the real layouts, for tests of any module.

Plain functions (not pytest fixtures) so tests can choose sizes; import with
``from fixtures import make_gtzan_tree`` (pytest puts ``tests/`` on ``sys.path``).
Each writes real, decodable audio (a genre-dependent tone) plus, where asked, a corrupt file.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from genrekit.data.audio import write_audio

GTZAN_GENRES = ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")

# Deterministic garbage: what a truncated download or a disk error leaves behind.
CORRUPT_BYTES = bytes(range(256)) * 16


def tone(seconds: float, sr: int, freq: float, *, seed: int = 0) -> np.ndarray:
    """A quiet sine at ``freq`` Hz plus a little noise: decodable, non-silent, distinct per clip."""
    t = np.arange(int(round(seconds * sr))) / sr
    noise = np.random.default_rng(seed).standard_normal(t.size)
    return (0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * noise).astype(np.float32)


def make_gtzan_tree(
    root: str | Path,
    *,
    layout: str = "original",
    genres: tuple[str, ...] = GTZAN_GENRES,
    per_genre: int = 3,
    seconds: float = 1.0,
    sr: int = 22050,
    corrupt: tuple[str, int] | None = ("jazz", 54),
) -> Path:
    """Write a GTZAN tree and return the dataset root.

    ``layout='original'``: ``root/genres/<g>/<g>.000NN.au``; ``layout='kaggle'``:
    ``root/Data/genres_original/<g>/<g>.000NN.wav``. Clips are numbered 0..per_genre-1; ``corrupt``
    = (genre, number) adds one extra file of garbage bytes with a valid clip name (skipped when
    that genre is not written).
    """
    root = Path(root)
    if layout == "original":
        genres_dir, ext = root / "genres", ".au"
    elif layout == "kaggle":
        genres_dir, ext = root / "Data" / "genres_original", ".wav"
    else:
        raise ValueError(f"layout must be 'original' or 'kaggle', got {layout!r}")
    for g, genre in enumerate(genres):
        for n in range(per_genre):
            y = tone(seconds, sr, 110.0 * (g + 1) + 5.0 * n, seed=g * 1000 + n)
            write_audio(genres_dir / genre / f"{genre}.{n:05d}{ext}", y, sr)
    if corrupt is not None and corrupt[0] in genres:
        genre, n = corrupt
        (genres_dir / genre / f"{genre}.{n:05d}{ext}").write_bytes(CORRUPT_BYTES)
    return root


def write_sturm_index(path: str | Path, entries: list[tuple[str, str, str]], *, ext: str = ".wav") -> Path:
    """Write ``(track_id, artist, title)`` rows in Sturm's GTZANindex format ('' = unknown)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["## Test index in the format of B. L. Sturm's GTZANindex.txt", "##"]
    lines += [f"{tid}{ext} ::: {artist} ::: {title}".rstrip() for tid, artist, title in entries]
    path.write_text("\n".join(lines) + "\n")
    return path


# FMA --------------------------------------------------------------------------------------------

#: The real tracks.csv columns (52 of them), as (top-level, sub-name), in the real order.
FMA_TRACK_COLUMNS = (
    [("album", c) for c in (
        "comments", "date_created", "date_released", "engineer", "favorites", "id", "information",
        "listens", "producer", "tags", "title", "tracks", "type")]
    + [("artist", c) for c in (
        "active_year_begin", "active_year_end", "associated_labels", "bio", "comments", "date_created",
        "favorites", "id", "latitude", "location", "longitude", "members", "name", "related_projects",
        "tags", "website", "wikipedia_page")]
    + [("set", "split"), ("set", "subset")]
    + [("track", c) for c in (
        "bit_rate", "comments", "composer", "date_created", "date_recorded", "duration", "favorites",
        "genre_top", "genres", "genres_all", "information", "interest", "language_code", "license",
        "listens", "lyricist", "number", "publisher", "tags", "title")]
)

#: Fixture tracks: (track_id, subset, split, genre_top or None, genre ids, artist, title).
FMA_FIXTURE_TRACKS = [
    (2, "small", "training", "Hip-Hop", [21], "Artist A", "Food"),
    (3, "small", "training", "Hip-Hop", [21], "Artist A", "Electric Ave"),
    (5, "small", "test", "Hip-Hop", [21], "Artist B", "This World"),
    (10, "small", "validation", "Pop", [10], "Artist C", "Freeway"),
    (1040, "small", "training", "Pop", [10, 76], "Artist D", "Song, with a comma"),
    (1041, "small", "test", "Folk", [17], "Artist E", "Queen"),
    (1402, "small", "training", "Folk", [17], "Artist F", "Ballad"),
    (1403, "small", "validation", "Folk", [17], "Artist F", "Ballad II"),
    (12345, "small", "training", None, [1, 38], "Artist G", "No top genre"),
    (12346, "small", "test", "Rock", [12], "Artist H", "Mp3 missing"),
    (24000, "medium", "training", "Rock", [12], "Artist I", "Medium one"),
    (24001, "medium", "validation", "Rock", [12, 25], "Artist J", "Medium two"),
    (130000, "large", "training", None, [38], "Artist K", "Large without genre"),
    (130001, "large", "test", "Electronic", [15], "Artist L", "Large one"),
]

#: Track ids whose mp3 the fixture never writes.
FMA_MISSING_AUDIO = (12346,)

FMA_GENRES_CSV = [
    (1, 0, 38, "Avant-Garde", 38),
    (10, 0, 0, "Pop", 10),
    (12, 0, 0, "Rock", 12),
    (15, 0, 0, "Electronic", 15),
    (17, 0, 0, "Folk", 17),
    (21, 0, 0, "Hip-Hop", 21),
    (25, 0, 12, "Punk", 12),
    (38, 0, 0, "Experimental", 38),
    (76, 0, 10, "Experimental Pop", 10),
]


def fma_fixture_expected(subset: str) -> dict[str, str]:
    """{6-digit track id: genre} that ``load_fma`` should return for the fixture's ``subset``."""
    order = ("small", "medium", "large")
    return {
        f"{tid:06d}": genre
        for tid, sub, _split, genre, *_ in FMA_FIXTURE_TRACKS
        if order.index(sub) <= order.index(subset) and genre is not None and tid not in FMA_MISSING_AUDIO
    }


def make_fma_tree(
    root: str | Path,
    *,
    subset: str = "small",
    seconds: float = 0.5,
    sr: int = 22050,
    corrupt: int | None = None,
) -> Path:
    """Write ``root/fma_metadata/{tracks,genres}.csv`` and ``root/fma_<subset>/<ddd>/<dddddd>.mp3``.

    tracks.csv has the real structure: a row of top-level names, a row of sub-names, a row
    ``track_id,,,...``, then data; list columns as Python literals (``"[10, 76]"``). Audio is
    written for every track in ``subset`` (and the smaller ones) except :data:`FMA_MISSING_AUDIO`;
    ``corrupt`` names a track id whose mp3 is garbage. Returns ``root``.
    """
    root = Path(root)
    meta = root / "fma_metadata"
    meta.mkdir(parents=True, exist_ok=True)
    with open(meta / "tracks.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([""] + [top for top, _ in FMA_TRACK_COLUMNS])
        writer.writerow([""] + [sub for _, sub in FMA_TRACK_COLUMNS])
        writer.writerow(["track_id"] + [""] * len(FMA_TRACK_COLUMNS))
        for tid, sub, split, genre, genre_ids, artist, title in FMA_FIXTURE_TRACKS:
            values = {
                ("album", "tags"): "[]",
                ("album", "title"): f"Album of {artist}",
                ("album", "type"): "Album",
                ("artist", "name"): artist,
                ("artist", "tags"): "['test']",
                ("set", "split"): split,
                ("set", "subset"): sub,
                ("track", "bit_rate"): "256000",
                ("track", "duration"): "30",
                ("track", "genre_top"): genre or "",
                ("track", "genres"): str(genre_ids),
                ("track", "genres_all"): str(genre_ids),
                ("track", "tags"): "[]",
                ("track", "title"): title,
                ("track", "license"): "Attribution-NonCommercial-ShareAlike 3.0 International",
            }
            writer.writerow([tid] + [values.get(column, "") for column in FMA_TRACK_COLUMNS])
    with open(meta / "genres.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["genre_id", "#tracks", "parent", "title", "top_level"])
        writer.writerows(FMA_GENRES_CSV)

    order = ("small", "medium", "large")
    audio = root / f"fma_{subset}"
    audio.mkdir(parents=True, exist_ok=True)
    for i, (tid, sub, *_rest) in enumerate(FMA_FIXTURE_TRACKS):
        if order.index(sub) > order.index(subset) or tid in FMA_MISSING_AUDIO:
            continue
        tid6 = f"{tid:06d}"
        path = audio / tid6[:3] / f"{tid6}.mp3"
        if tid == corrupt:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(CORRUPT_BYTES)
        else:
            write_audio(path, tone(seconds, sr, 200.0 + 20 * i, seed=tid), sr)
    return root


# Plain folders ----------------------------------------------------------------------------------

def make_folder_tree(root: str | Path, *, seconds: float = 0.5, sr: int = 22050) -> Path:
    """Write a genre-folder collection in several formats and return ``root``::

        root/rock/anthem.mp3   root/rock/live/encore.flac (nested)   root/jazz/blue.ogg
        root/jazz/take.wav     root/jazz/broken.wav (corrupt)         root/jazz/notes.txt
        root/loose.wav (no genre folder)                              root/.hidden/x.wav

    Readable tracks: ``rock/anthem``, ``rock/live/encore``, ``jazz/blue``, ``jazz/take``.
    """
    root = Path(root)
    write_audio(root / "rock" / "anthem.mp3", tone(seconds, sr, 220.0, seed=1), sr)
    write_audio(root / "rock" / "live" / "encore.flac", tone(seconds, sr, 330.0, seed=2), sr)
    write_audio(root / "jazz" / "blue.ogg", tone(seconds, sr, 440.0, seed=3), sr)
    write_audio(root / "jazz" / "take.wav", tone(seconds, sr, 550.0, seed=4), sr)
    (root / "jazz" / "broken.wav").write_bytes(CORRUPT_BYTES)
    (root / "jazz" / "notes.txt").write_text("liner notes, not audio\n")
    write_audio(root / "loose.wav", tone(seconds, sr, 660.0, seed=5), sr)
    write_audio(root / ".hidden" / "x.wav", tone(seconds, sr, 770.0, seed=6), sr)
    return root


# Damaged files ----------------------------------------------------------------------------------

def write_truncated(path: str | Path, *, seconds: float = 10.0, sr: int = 22050, keep: float = 0.5) -> Path:
    """``seconds`` of tone in the format of the suffix, its bytes cut to ``keep`` of their length.

    What an interrupted download leaves: the header still declares the full length (an MP3 written
    by libsndfile carries a Xing header with the frame count; FLAC its STREAMINFO; WAV its data
    chunk size), the audio after the cut is gone.
    """
    path = write_audio(path, tone(seconds, sr, 440.0), sr)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def write_damaged_mp3(path: str | Path, *, seconds: float = 10.0, sr: int = 22050) -> Path:
    """An MP3 with 2,000 bytes of garbage a third of the way in (mpg123 prints "Illegal
    Audio-MPEG-Header" and gives up resyncing there)."""
    path = write_audio(path, tone(seconds, sr, 440.0), sr)
    data = bytearray(path.read_bytes())
    at = len(data) // 3
    data[at : at + 2000] = CORRUPT_BYTES[:2000]
    path.write_bytes(bytes(data))
    return path


def chunk_proba(network, y: np.ndarray, sr: int) -> np.ndarray:
    """Softmax of every input chunk a loaded network (``LoadedNetwork``) cuts ``y`` into, computed
    with the training code's own forward pass: ``(n_chunks, n_classes)``."""
    import torch

    from genrekit.trainer import predict_proba

    chunks = torch.from_numpy(np.ascontiguousarray(network.chunks(y, sr), dtype=np.float32))
    return predict_proba(network.model, chunks, batch_size=network.batch_size, device=network.device)


def own_track_proba(network, path) -> np.ndarray:
    """A file's track probabilities as the network's run scored tracks: the middle
    ``clip_seconds`` at its sample rate, cut into its chunks, the mean of their softmax."""
    from genrekit.data.audio import load_audio

    y = load_audio(path, sr=network.sample_rate, middle=network.clip_seconds)
    return chunk_proba(network, y, network.sample_rate).mean(axis=0)
