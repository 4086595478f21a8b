"""A generated genre set in GTZAN's layout: ten genres of synthetic music whose styles overlap.

The project's default dataset, so that the pipeline, the notebooks and the tests run without a
download. Each genre is a set of distributions (tempo, drum pattern, swing, instrument timbres,
harmony, bass line, melody, dynamics, recording noise); every clip draws its own parameters from
those of one of the genre's "artists", who in turn draw theirs from the genre's. Neighbouring
genres share patterns and sounds (rock/metal, disco/pop, blues/jazz/country, hiphop/reggae), and
a share of each genre's clips are crossovers played in a neighbour's arrangement (listed by
:func:`synthetic_crossovers`), so a good model scores high but not perfectly, and artist-grouped
splits matter as they do on GTZAN.

Synthesis is vectorised numpy: band-limited wavetables built with an inverse FFT per instrument and
pitch, notes rendered once per (pitch, length) and placed by slicing, drum one-shots built once per
clip. A 30 s clip takes about 0.14 s of CPU, a 4-minute track about 1 s.

Layout written by :func:`generate_synthetic` (read by the GTZAN loader)::

    <root>/genres_original/<genre>/<genre>.000NN.wav   mono 16-bit PCM at 22,050 Hz
    <root>/artists.txt                                 Sturm's GTZAN index format
    <root>/synthetic.json                              manifest: the request that made it

Modules, each importing only those above it: ``vocabulary`` (chords, scales, progressions) and
``dsp`` (filters); ``instruments`` (timbres and the wavetable renderer); ``styles`` (pattern
tables, drum kits and the genre styles, as data); ``artists`` (artists and per-clip draws);
``timeline`` (step times and chords); ``drums`` and ``arrangement`` (the parts); ``render``
(:func:`render_clip`: one clip, mixed and recorded); ``dataset`` (the set on disk).
"""

from genrekit.data.synth.artists import ArtistStyle, artist_name, draw_artist
from genrekit.data.synth.dataset import (
    ARTIST_INDEX_NAME,
    GENERATOR_VERSION,
    MANIFEST_NAME,
    artists_per_genre,
    clip_artist_index,
    clip_path,
    default_synthetic_root,
    ensure_synthetic,
    generate_synthetic,
    synthetic_crossovers,
)
from genrekit.data.synth.instruments import Timbre
from genrekit.data.synth.render import render_clip
from genrekit.data.synth.styles import GTZAN_GENRES, GenreStyle, genre_style

__all__ = [
    "ARTIST_INDEX_NAME",
    "GENERATOR_VERSION",
    "GTZAN_GENRES",
    "MANIFEST_NAME",
    "ArtistStyle",
    "GenreStyle",
    "Timbre",
    "artist_name",
    "artists_per_genre",
    "clip_artist_index",
    "clip_path",
    "default_synthetic_root",
    "draw_artist",
    "ensure_synthetic",
    "generate_synthetic",
    "genre_style",
    "render_clip",
    "synthetic_crossovers",
]
