"""The synthetic genre set: GTZAN's layout, determinism, and genres a simple classifier can learn."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from genrekit.data.audio import audio_info, load_audio
from genrekit.data.synth import (
    ARTIST_INDEX_NAME,
    GTZAN_GENRES,
    MANIFEST_NAME,
    default_synthetic_root,
    draw_artist,
    ensure_synthetic,
    generate_synthetic,
    render_clip,
)
from genrekit.errors import ConfigError, DatasetError

SR = 22050
CLIPS = 16
SECONDS = 6.0


@pytest.fixture(scope="session")
def synth_set(tmp_path_factory):
    """10 genres x 16 clips x 6 s (three artists per genre), seed 0."""
    root = tmp_path_factory.mktemp("synth-set")
    generate_synthetic(root, clips_per_genre=CLIPS, seconds=SECONDS, seed=0, progress=False)
    return root


def parse_artist_index(path) -> list[tuple[str, str, str]]:
    """(file, artist, title) per line of a Sturm-format GTZAN index, as the GTZAN loader reads it."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("##"):
            continue
        parts = [p.strip() for p in line.split(":::")]
        assert len(parts) == 3, line
        rows.append(tuple(parts))
    return rows


STATS = ["centroid", "centroid_sd", "rms", "rms_sd", "zcr", "onset", "onset_sd", "tempo"]
FEATURES = [f"mfcc{i}" for i in range(13)] + [f"mfcc{i}_sd" for i in range(13)] + STATS


@pytest.fixture(scope="session")
def features(synth_set):
    """Cheap per-clip features (columns FEATURES: MFCC, spectral, loudness, onset, tempo), genre, artist, title."""
    import librosa

    index = {name: (artist, title) for name, artist, title in parse_artist_index(synth_set / ARTIST_INDEX_NAME)}
    rows, genres, artists, titles = [], [], [], []
    for path in sorted((synth_set / "genres_original").glob("*/*.wav")):
        y = load_audio(path, sr=SR)
        S = np.abs(librosa.stft(y, n_fft=2048, hop_length=512))
        mel = librosa.power_to_db(librosa.feature.melspectrogram(S=S**2, sr=SR))
        mfcc = librosa.feature.mfcc(S=mel, n_mfcc=13)
        centroid = librosa.feature.spectral_centroid(S=S, sr=SR)[0]
        rms = librosa.feature.rms(S=S)[0]
        zcr = librosa.feature.zero_crossing_rate(y)[0]
        onset = librosa.onset.onset_strength(S=librosa.amplitude_to_db(S), sr=SR)
        tempo = float(librosa.feature.tempo(onset_envelope=onset, sr=SR)[0])
        stats = [centroid.mean(), centroid.std(), rms.mean(), rms.std(), zcr.mean(), onset.mean(), onset.std(), tempo]
        rows.append(np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1), stats]))
        genres.append(path.parent.name)
        artists.append(index[path.name][0])
        titles.append(index[path.name][1])
    return np.array(rows), np.array(genres), np.array(artists), titles


def test_layout_is_gtzans(synth_set):
    audio = synth_set / "genres_original"
    assert sorted(p.name for p in audio.iterdir()) == list(GTZAN_GENRES)
    for genre in GTZAN_GENRES:
        names = sorted(p.name for p in (audio / genre).iterdir())
        assert names == [f"{genre}.{i:05d}.wav" for i in range(CLIPS)]
    for path in [audio / "blues" / "blues.00000.wav", audio / "rock" / "rock.00015.wav"]:
        info = audio_info(path)
        assert (info.samplerate, info.channels, info.subtype, info.format) == (SR, 1, "PCM_16", "WAV")
        assert info.frames == int(SECONDS * SR)
        y = load_audio(path, sr=SR)
        assert y.dtype == np.float32 and y.shape == (int(SECONDS * SR),)
        assert 0.01 < np.abs(y).max() <= 1.0


def test_artist_index_lists_every_clip_with_genre_specific_artists(synth_set, shared_gtzan):
    rows = parse_artist_index(synth_set / ARTIST_INDEX_NAME)
    assert (synth_set / ARTIST_INDEX_NAME).read_text().startswith("##")
    assert [r[0] for r in rows] == [f"{g}.{i:05d}.wav" for g in GTZAN_GENRES for i in range(CLIPS)]
    by_genre: dict[str, set[str]] = {}
    for name, artist, title in rows:
        by_genre.setdefault(name.split(".")[0], set()).add(artist)
        assert re.fullmatch(r"Synth [A-Z][a-z]+ Artist \d\d", artist)
        assert re.fullmatch(r"[A-Z][a-z]+ in [A-G][b#]? (major|minor), \d+ bpm", title), title
    assert all(len(artists) == 3 for artists in by_genre.values())
    everyone = [a for artists in by_genre.values() for a in artists]
    assert len(everyone) == len(set(everyone)), "an artist appears in two genres"
    # the same reader accepts Bob Sturm's real index
    sturm = parse_artist_index(shared_gtzan / "annotations" / "GTZANindex_sturm2012.txt")
    assert len(sturm) == 1000 and sturm[0][:2] == ("blues.00000.wav", "John Lee Hooker")


def test_manifest_and_second_call_is_a_no_op(synth_set):
    manifest = json.loads((synth_set / MANIFEST_NAME).read_text())
    assert manifest["genres"] == list(GTZAN_GENRES)
    assert (manifest["clips_per_genre"], manifest["seconds"], manifest["sr"], manifest["seed"]) == (CLIPS, SECONDS, SR, 0)
    assert manifest["complete"] is True and isinstance(manifest["version"], int)
    assert manifest["artists"]["jazz"] == ["Synth Jazz Artist 01", "Synth Jazz Artist 02", "Synth Jazz Artist 03"]
    clip = synth_set / "genres_original" / "jazz" / "jazz.00003.wav"
    before = clip.stat().st_mtime_ns
    generate_synthetic(synth_set, clips_per_genre=CLIPS, seconds=SECONDS, seed=0, progress=False)
    assert clip.stat().st_mtime_ns == before


def _read_all(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_whatever_the_workers(tmp_path):
    kwargs = {"clips_per_genre": 3, "seconds": 2.0, "genres": ("disco", "jazz"), "progress": False}
    one = _read_all(generate_synthetic(tmp_path / "one", seed=7, workers=1, **kwargs))
    two = _read_all(generate_synthetic(tmp_path / "two", seed=7, workers=2, **kwargs))
    assert one.keys() == two.keys() and len(one) == 2 * 3 + 2
    assert one == two
    other = _read_all(generate_synthetic(tmp_path / "other", seed=8, workers=2, **kwargs))
    wavs = [k for k in one if k.endswith(".wav")]
    assert all(one[k] != other[k] for k in wavs)
    # a genre's clips do not depend on which other genres are generated
    alone = _read_all(generate_synthetic(tmp_path / "alone", seed=7, workers=1, **{**kwargs, "genres": ("jazz",)}))
    assert alone["genres_original/jazz/jazz.00001.wav"] == one["genres_original/jazz/jazz.00001.wav"]


def test_changed_request_replaces_the_old_clips(tmp_path):
    generate_synthetic(tmp_path, clips_per_genre=3, seconds=1.0, genres=("pop",), seed=1, workers=1, progress=False)
    generate_synthetic(tmp_path, clips_per_genre=2, seconds=1.5, genres=("pop",), seed=1, workers=1, progress=False)
    assert sorted(p.name for p in (tmp_path / "genres_original" / "pop").iterdir()) == ["pop.00000.wav", "pop.00001.wav"]
    assert audio_info(tmp_path / "genres_original" / "pop" / "pop.00001.wav").duration == pytest.approx(1.5)
    assert json.loads((tmp_path / MANIFEST_NAME).read_text())["clips_per_genre"] == 2


def test_refuses_to_overwrite_audio_it_did_not_write(tmp_path):
    foreign = tmp_path / "genres_original" / "blues" / "blues.00000.wav"
    foreign.parent.mkdir(parents=True)
    foreign.write_bytes(b"RIFF")
    with pytest.raises(DatasetError, match="did not write"):
        generate_synthetic(tmp_path, clips_per_genre=1, seconds=1.0, progress=False)
    assert foreign.read_bytes() == b"RIFF"


def test_ensure_synthetic_uses_the_default_root(tmp_path):
    root = ensure_synthetic(clips_per_genre=1, seconds=1.0, seed=3, workers=1, progress=False)
    assert root == default_synthetic_root(clips_per_genre=1, seconds=1.0, seed=3)
    assert root.name == "seed3-1x1s" and root.parent.name == "synthetic"
    assert len(list(root.glob("genres_original/*/*.wav"))) == 10
    assert ensure_synthetic(clips_per_genre=1, seconds=1.0, seed=3, workers=1, progress=False) == root


def test_bad_requests_raise_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown synthetic genre"):
        render_clip("polka", seconds=1.0, seed=0)
    with pytest.raises(ConfigError, match="seconds"):
        render_clip("pop", seconds=0, seed=0)
    with pytest.raises(ConfigError, match="seed"):
        render_clip("pop", seconds=1.0, seed=-1)
    with pytest.raises(ConfigError, match="plays jazz"):
        render_clip("pop", seconds=1.0, seed=0, artist=draw_artist("jazz", seed=0))
    with pytest.raises(ConfigError, match="genres"):
        generate_synthetic(tmp_path, clips_per_genre=1, genres=("blues", "polka"), progress=False)
    with pytest.raises(ConfigError, match="clips_per_genre"):
        generate_synthetic(tmp_path, clips_per_genre=0, progress=False)


def test_render_clip_any_length_deterministic():
    y = render_clip("rock", seconds=60.0, seed=0)
    assert y.shape == (60 * SR,) and y.dtype == np.float32
    assert np.all(np.isfinite(y)) and np.abs(y).max() <= 1.0
    # music throughout: no silent 5 s stretch
    blocks = np.sqrt(np.mean(y[: 60 * SR].reshape(12, -1) ** 2, axis=1))
    assert blocks.min() > 0.01
    short = render_clip("classical", seconds=0.25, seed=np.random.SeedSequence(5))
    assert short.shape == (int(0.25 * SR),)
    artist = draw_artist("hiphop", seed=1, index=4)
    assert artist.name == "Synth Hiphop Artist 05"
    a = render_clip("hiphop", seconds=3.0, seed=11, artist=artist)
    b = render_clip("hiphop", seconds=3.0, seed=np.random.default_rng(11), artist=artist)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, render_clip("hiphop", seconds=3.0, seed=12, artist=artist))


def test_genres_sound_as_designed(features):
    X, genres, _, titles = features

    def median(name):
        return {g: float(np.median(X[genres == g, FEATURES.index(name)])) for g in GTZAN_GENRES}

    rms, onset_sd = median("rms"), median("onset_sd")
    # mastered loud and compressed versus quiet with wide dynamics
    assert rms["metal"] > 2 * rms["classical"]
    # classical has no drums: the weakest, steadiest onsets
    assert min(onset_sd, key=onset_sd.get) == "classical"
    # the tempo in a clip's title is the tempo a beat tracker hears (up to an octave) on steady beats
    for genre in ("disco", "rock"):
        rows = np.flatnonzero(genres == genre)
        titled = np.array([float(re.search(r"(\d+) bpm", titles[i]).group(1)) for i in rows])
        octaves = np.log2(X[rows, FEATURES.index("tempo")] / titled)
        assert np.mean(np.abs(octaves - np.round(octaves)) < 0.05) >= 0.8, (genre, titled, octaves)


def test_cheap_classifier_separates_genres_across_artists(features):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, genres, artists, _ = features
    # Two folds by artist: train on one artist per genre, test on the other, never both sides.
    fold = np.array([int(a[-2:]) % 2 for a in artists])
    accuracies = []
    for held_out in (0, 1):
        train, test = fold != held_out, fold == held_out
        assert not set(artists[train]) & set(artists[test])
        model = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=3000))
        model.fit(X[train], genres[train])
        accuracies.append(float(np.mean(model.predict(X[test]) == genres[test])))
    assert np.mean(accuracies) >= 0.5, accuracies  # chance is 0.1
