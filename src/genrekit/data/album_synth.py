"""A generated "album": a folder of synthetic tracks, as mixed as a real album folder.

:func:`make_synthetic_album` renders tracks of several genres (:func:`genrekit.data.synth.render_clip`)
with mixed lengths, channel counts, sample rates and formats, gives them title tags, adds one
truncated file, and writes a manifest of the true genres. ``genrekit album --synthetic DIR``,
``bench/album.py`` and the tests use it.

Folder layout::

    <out_dir>/
        01-<slug>.flac ... NN-<slug>.ogg   # the tracks, in track order
        MM-<slug>.flac                     # the broken one: a FLAC cut after its header
        album.csv                          # the manifest (see MANIFEST_COLUMNS)

Manifest columns (``album.csv``):

===============  ==============================================================================
``track``        track number, from 1 (the broken file too)
``file``         file name inside the folder
``title``        the title tag written into the file ('' for the broken file)
``genre``        the genre it was rendered as
``seconds``      duration in seconds
``sample_rate``  Hz
``channels``     1 or 2
``format``       file suffix without the dot: wav, flac, mp3, ogg
``broken``       True for the truncated file (no usable audio)
===============  ==============================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from genrekit.data.audio import write_audio
from genrekit.data.synth import GTZAN_GENRES, render_clip
from genrekit.errors import ConfigError

MANIFEST_NAME = "album.csv"
MANIFEST_COLUMNS = ["track", "file", "title", "genre", "seconds", "sample_rate", "channels", "format", "broken"]

#: Formats, sample rates and channel counts cycled through (in that order) over the tracks.
FORMATS = ("flac", "mp3", "ogg", "wav")
SAMPLE_RATES = (44100, 48000, 22050)
CHANNELS = (2, 1)

_FIRST = ("Blue", "Dusty", "Neon", "Quiet", "Golden", "Rusty", "Midnight", "Paper", "Silver", "Lonesome", "Electric", "Velvet")
_SECOND = ("Road", "Horizon", "Parade", "River", "Engine", "Lights", "Prayer", "Saloon", "Garden", "Static", "Hour", "Letter")


@dataclass(frozen=True)
class AlbumManifest:
    """What :func:`make_synthetic_album` wrote.

    Attributes
    ----------
    folder : Path
        The album folder.
    tracks : pd.DataFrame
        One row per file, columns :data:`MANIFEST_COLUMNS`.
    path : Path
        ``folder / album.csv``.
    """

    folder: Path
    tracks: pd.DataFrame
    path: Path

    @property
    def broken(self) -> list[str]:
        """File names of the broken files."""
        return self.tracks.loc[self.tracks["broken"], "file"].tolist()

    @property
    def playable(self) -> pd.DataFrame:
        """Rows of the readable tracks."""
        return self.tracks[~self.tracks["broken"]].reset_index(drop=True)


def make_synthetic_album(
    out_dir: str | Path,
    *,
    n_tracks: int = 8,
    seed: int = 0,
    min_seconds: float = 10.0,
    max_seconds: float = 240.0,
    genres=GTZAN_GENRES,
    broken: bool = True,
    progress: bool = True,
) -> AlbumManifest:
    """Write a folder of synthetic tracks of mixed genres and file properties.

    Parameters
    ----------
    out_dir : str or Path
        Album folder (created; existing files of the same names are replaced).
    n_tracks : int
        Readable tracks to render (>= 1); the broken file comes on top.
    seed : int
        All randomness: genres order, lengths, titles and the audio (rendered with seeds far from
        those of :func:`genrekit.data.synth.generate_synthetic`, so the tracks are new songs by new
        artists).
    min_seconds, max_seconds : float
        Track lengths are spread evenly over this range (seconds), in shuffled order.
    genres : sequence of str
        Genres to draw from; every genre is used once before any repeats.
    broken : bool
        Add one truncated FLAC file (header only), which no reader can decode.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    AlbumManifest

    Raises
    ------
    ConfigError
        For ``n_tracks < 1``, non-positive or inverted lengths, or unknown genres.
    """
    from tqdm.auto import tqdm

    if n_tracks < 1:
        raise ConfigError(f"n_tracks must be at least 1, got {n_tracks}")
    if not 0 < min_seconds <= max_seconds:
        raise ConfigError(f"need 0 < min_seconds <= max_seconds, got {min_seconds} and {max_seconds}")
    genres = list(genres)
    unknown = sorted(set(genres) - set(GTZAN_GENRES))
    if unknown or not genres:
        raise ConfigError(f"unknown genres {unknown}; choose from {', '.join(GTZAN_GENRES)}")
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))

    order: list[str] = []
    while len(order) < n_tracks:
        order += list(rng.permutation(genres))
    lengths = np.round(np.linspace(min_seconds, max_seconds, n_tracks), 1)[rng.permutation(n_tracks)]
    titles = _titles(rng, n_tracks + 1)
    broken_at = int(rng.integers(0, n_tracks + 1)) if broken else None

    rows = []
    track = 0
    for i in tqdm(range(n_tracks), desc="rendering album", unit="track", disable=not progress):
        track += 1
        if broken_at is not None and track == broken_at + 1:
            rows.append(_write_broken(folder, track, titles[-1]))
            track += 1
        fmt = FORMATS[i % len(FORMATS)]
        sr = SAMPLE_RATES[i % len(SAMPLE_RATES)]
        channels = CHANNELS[i % len(CHANNELS)]
        genre, seconds, title = str(order[i]), float(lengths[i]), titles[i]
        # spawn key 1_000 + i keeps album songs apart from the synthetic set's (0, genre, clip)
        y = render_clip(genre, seconds=seconds, sr=sr, seed=np.random.SeedSequence(seed, spawn_key=(1000 + i,)))
        if channels == 2:
            # a mild pan; renders peak near full scale, so the louder side keeps the original level
            y = np.stack([y, 0.8 * y])
        path = folder / f"{track:02d}-{_slug(title)}.{fmt}"
        write_audio(path, y, sr)
        write_title(path, title)
        rows.append(dict(track=track, file=path.name, title=title, genre=genre, seconds=seconds, sample_rate=sr,
                         channels=channels, format=fmt, broken=False))
    if broken_at is not None and broken_at == n_tracks:
        rows.append(_write_broken(folder, track + 1, titles[-1]))
    tracks = pd.DataFrame(rows, columns=MANIFEST_COLUMNS)
    path = folder / MANIFEST_NAME
    tracks.to_csv(path, index=False)
    return AlbumManifest(folder, tracks, path)


def _titles(rng: np.random.Generator, n: int) -> list[str]:
    pairs = [(a, b) for a in _FIRST for b in _SECOND]
    picked = rng.choice(len(pairs), size=min(n, len(pairs)), replace=False)
    titles = [f"{pairs[k][0]} {pairs[k][1]}" for k in picked]
    return titles + [f"Song {i + 1}" for i in range(len(titles), n)]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _write_broken(folder: Path, track: int, title: str) -> dict:
    """A FLAC whose stream is cut off after the header: it opens, but no audio decodes."""
    sr = 44100
    y = render_clip(GTZAN_GENRES[0], seconds=2.0, sr=sr, seed=0)
    path = folder / f"{track:02d}-{_slug(title)}.flac"
    write_audio(path, y, sr)
    path.write_bytes(path.read_bytes()[:2000])
    return dict(track=track, file=path.name, title="", genre="", seconds=0.0, sample_rate=sr, channels=1,
                format="flac", broken=True)


def write_title(path: str | Path, title: str) -> None:
    """Write a title tag: ID3 ``TIT2`` for MP3, a Vorbis comment for FLAC/OGG, RIFF ``INAM`` for WAV.

    :func:`genrekit.album.read_title` reads all of them back.
    """
    path = Path(path)
    if path.suffix.lower() == ".wav":
        import soundfile as sf

        # libsndfile writes RIFF INFO strings only when the file is created: rewrite it with the tag
        data, sr = sf.read(str(path), dtype="int16", always_2d=True)
        info = sf.info(str(path))
        with sf.SoundFile(str(path), "w", samplerate=sr, channels=data.shape[1], format=info.format, subtype=info.subtype) as f:
            f.title = title
            f.write(data)
        return
    import mutagen

    tagged = mutagen.File(str(path), easy=True)
    if tagged is None:
        raise ConfigError(f"{path}: cannot tag this format")
    if tagged.tags is None:
        tagged.add_tags()
    tagged["title"] = title
    tagged.save()
