"""Audio reading, resampling, windowing and chunking: tests that know the answer."""

from __future__ import annotations

import os
import shutil
import threading
import warnings

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from fixtures import JORAM, sine, write_damaged_mp3, write_truncated
from genrekit.data import audio
from genrekit.data.audio import (
    AudioInfo,
    audio_info,
    chunk_signal,
    collect_audio_warnings,
    is_audio_file,
    load_audio,
    n_chunks,
    prepare_array,
    write_audio,
)
from genrekit.errors import AudioError, AudioWarning

SR = 22050


def peak_hz(y, sr):
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return np.fft.rfftfreq(len(y), 1 / sr)[int(np.argmax(spectrum))]


@pytest.mark.parametrize("ext", [".wav", ".flac", ".ogg", ".mp3", ".au", ".aiff"])
def test_every_format_round_trips_a_440_hz_sine(tmp_path, ext):
    path = write_audio(tmp_path / f"a{ext}", sine(seconds=1.0), SR)
    info = audio_info(path)
    assert isinstance(info, AudioInfo)
    assert info.samplerate == SR and info.channels == 1
    assert info.duration == pytest.approx(1.0, abs=0.06)  # mp3 pads a frame
    y = load_audio(path)
    assert y.dtype == np.float32 and y.ndim == 1
    assert abs(peak_hz(y, SR) - 440.0) < 3.0
    assert 0.3 < np.abs(y).max() <= 1.0


def test_resampling_keeps_pitch_and_length(tmp_path):
    path = write_audio(tmp_path / "hi.wav", sine(1000.0, seconds=2.0, sr=44100), 44100)
    y = load_audio(path, sr=16000)
    assert y.shape == (32000,)
    assert abs(peak_hz(y, 16000) - 1000.0) < 2.0
    assert load_audio(path, sr=None).shape == (88200,)


def test_stereo_is_averaged_or_kept(tmp_path):
    left, right = sine(440.0), sine(440.0) * 0.0 + 0.25
    path = write_audio(tmp_path / "st.wav", np.stack([left, right]), SR)
    both = load_audio(path, mono=False)
    assert both.shape == (2, SR)
    mono = load_audio(path)
    np.testing.assert_allclose(mono, both.mean(axis=0), atol=1e-6)


def test_windows_read_the_right_seconds(tmp_path):
    # a ramp stored as float: sample value = time in seconds / 10
    ramp = (np.arange(3 * SR) / SR / 10).astype(np.float32)
    path = write_audio(tmp_path / "ramp.wav", ramp, SR, subtype="FLOAT")
    middle = load_audio(path, sr=None, middle=1.0)
    assert middle.shape == (SR,)
    assert middle[0] == pytest.approx(0.1, abs=1e-4)  # starts at 1.0 s
    window = load_audio(path, sr=None, offset=2.0, duration=0.5)
    assert window.shape == (SR // 2,)
    assert window[0] == pytest.approx(0.2, abs=1e-4)
    assert load_audio(path, sr=None, middle=10.0).shape == (3 * SR,)  # shorter file: all of it
    with pytest.raises(AudioError, match="past the end"):
        load_audio(path, offset=5.0)
    with pytest.raises(ValueError):
        load_audio(path, middle=1.0, offset=0.5)


def test_unusable_files_raise_audio_error_naming_the_file(tmp_path):
    with pytest.raises(AudioError, match="file not found") as missing:
        audio_info(tmp_path / "nope.wav")
    assert missing.value.path.endswith("nope.wav")
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AudioError, match="0 bytes"):
        load_audio(tmp_path / "empty.wav")
    (tmp_path / "junk.wav").write_bytes(b"not audio at all\n" * 100)
    with pytest.raises(AudioError, match="unreadable") as junk:
        load_audio(tmp_path / "junk.wav")
    assert "junk.wav" in str(junk.value)
    assert "does not exist" not in str(junk.value)  # libsndfile's misleading wording is dropped


def test_garbage_with_au_suffix_is_not_decoded_as_raw_mu_law(tmp_path):
    # regression: libsndfile opens any headerless .au as 8 kHz mu-law, so garbage "decoded" to noise
    path = tmp_path / "jazz.00054.au"
    path.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(AudioError, match="no valid audio header"):
        audio_info(path)
    real = write_audio(tmp_path / "ok.au", sine(), SR)
    assert audio_info(real).format == "AU"


def test_unknown_stream_length_is_refused(tmp_path, monkeypatch):
    # libsndfile reports SF_COUNT_MAX frames for a stream of unknown length; reading "to the end"
    # would allocate exabytes
    path = write_audio(tmp_path / "x.wav", sine(), SR)
    real_info = sf.info

    class Huge:
        def __init__(self, p):
            i = real_info(p)
            self.samplerate, self.channels, self.format, self.subtype = i.samplerate, i.channels, i.format, i.subtype
            self.frames = 2**63 - 1

    monkeypatch.setattr(audio.sf, "info", Huge)
    with pytest.raises(AudioError, match="length"):
        audio_info(path)


def test_silence_shortness_and_nan_are_caught(tmp_path):
    quiet = write_audio(tmp_path / "quiet.wav", np.zeros(SR, dtype=np.float32), SR)
    with pytest.raises(AudioError, match="silent"):
        load_audio(quiet)
    assert load_audio(quiet, allow_silent=True).shape == (SR,)
    short = write_audio(tmp_path / "short.wav", sine(seconds=0.5), SR)
    with pytest.raises(AudioError, match="too short"):
        load_audio(short, min_duration=1.0)
    bad = sine()
    bad[100] = np.nan
    nan_path = write_audio(tmp_path / "nan.wav", bad, SR, subtype="FLOAT")
    with pytest.raises(AudioError, match="NaN"):
        load_audio(nan_path)


def test_prepare_array_scales_integer_pcm_into_minus_one_one():
    y = prepare_array(np.array([-32768, 0, 32767], dtype=np.int16), 8000, sr=None)
    assert y.min() == -1.0 and y.max() <= 1.0
    # regression: unsigned 8-bit PCM is centred on 128, not 0
    u8 = prepare_array(np.array([0, 128, 255], dtype=np.uint8), 8000, sr=None)
    np.testing.assert_allclose(u8, [-1.0, 0.0, 127 / 128], atol=1e-6)


def test_prepare_array_accepts_both_channel_orders():
    stereo = np.stack([sine(), sine() * 0.5])
    a = prepare_array(stereo, SR, sr=None, mono=False)
    b = prepare_array(stereo.T, SR, sr=None, mono=False)
    assert a.shape == b.shape == (2, SR)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(AudioError, match="1-D or 2-D"):
        prepare_array(np.zeros((2, 2, 2)), SR)


def test_write_audio_refuses_an_impossible_format_with_audio_error(tmp_path):
    # regression: Opus only allows 8/12/16/24/48 kHz; libsndfile's own exception used to escape
    with pytest.raises(AudioError, match="cannot write"):
        write_audio(tmp_path / "x.opus", sine(), SR)
    assert audio_info(write_audio(tmp_path / "y.opus", sine(sr=48000), 48000)).samplerate == 48000


def test_is_audio_file():
    assert is_audio_file("a/B.WAV") and is_audio_file("x.mp3") and is_audio_file("x.au")
    assert not is_audio_file("notes.txt") and not is_audio_file(".hidden.wav")


def test_chunk_signal_counts_hops_and_padding():
    y = np.arange(10 * 100, dtype=np.float32)  # 10 s at 100 Hz
    chunks = chunk_signal(y, sr=100, chunk_seconds=3.0)
    assert chunks.shape == (3, 300)
    np.testing.assert_array_equal(chunks[1], y[300:600])
    assert chunk_signal(y, sr=100, chunk_seconds=3.0, hop_seconds=1.0).shape == (8, 300)
    padded = chunk_signal(y, sr=100, chunk_seconds=3.0, pad_last=True, min_last=0.3)
    assert padded.shape == (4, 300)
    np.testing.assert_array_equal(padded[3, :100], y[900:])
    assert not padded[3, 100:].any()
    assert chunk_signal(y[:150], sr=100, chunk_seconds=3.0, pad_last=True).shape == (1, 300)
    with pytest.raises(AudioError, match="too short"):
        chunk_signal(y[:150], sr=100, chunk_seconds=3.0)
    with pytest.raises(ValueError):
        chunk_signal(np.zeros((2, 10)), sr=100, chunk_seconds=0.05)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 5000), chunk=st.floats(0.01, 2.0), hop=st.one_of(st.none(), st.floats(0.01, 2.0)))
def test_n_chunks_agrees_with_chunk_signal(n, chunk, hop):
    sr = 1000
    expected = n_chunks(n, sr=sr, chunk_seconds=chunk, hop_seconds=hop)
    if expected == 0:
        with pytest.raises(AudioError):
            chunk_signal(np.ones(n, dtype=np.float32), sr=sr, chunk_seconds=chunk, hop_seconds=hop)
    else:
        out = chunk_signal(np.ones(n, dtype=np.float32), sr=sr, chunk_seconds=chunk, hop_seconds=hop)
        assert out.shape == (expected, int(round(chunk * sr)))


# truncated and damaged files -------------------------------------------------------------------

def test_half_an_mp3_is_read_as_far_as_it_decodes_and_named(tmp_path):
    # libsndfile writes a Xing header: the cut file still declares its full 10 s
    path = write_truncated(tmp_path / "cut.mp3", seconds=10.0)
    assert audio_info(path).duration == pytest.approx(10.0, abs=0.06)
    with pytest.warns(AudioWarning, match=r"truncated: decodes 4\.\d s of the 10\.0 s its header declares") as caught:
        y = load_audio(path, sr=None)
    assert caught[0].message.path == str(path)
    assert 4.5 * SR < len(y) < 5.0 * SR and np.abs(y).max() > 0.2
    # the middle of what decodes, not a window past its end
    with pytest.warns(AudioWarning, match="truncated"):
        middle = load_audio(path, sr=None, middle=3.0)
    assert len(middle) == 3 * SR and np.abs(middle).max() > 0.2
    with pytest.raises(AudioError, match=r"offset 8\.00 s is past the end of what decodes \(truncated: decodes 4"):
        load_audio(path, offset=8.0)


@pytest.mark.parametrize("ext, word", [(".flac", "damaged"), (".wav", "truncated"), (".au", "truncated"),
                                       (".aiff", "truncated"), (".ogg", "truncated")])
def test_other_cut_files_are_named_too(tmp_path, ext, word):
    path = write_truncated(tmp_path / f"cut{ext}", seconds=10.0)
    with pytest.warns(AudioWarning, match=word) as caught:
        y = load_audio(path, sr=None)
    assert str(path) in str(caught[0].message)
    assert 3.5 * SR < len(y) < 5.1 * SR  # what decodes of the first half is used
    # cut inside the header's first pages, an Ogg file decodes to nothing at all: an error, named
    tiny = write_truncated(tmp_path / f"stub{ext}", seconds=10.0, keep=0.02)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AudioWarning)
        try:
            load_audio(tiny, sr=None)
        except AudioError as exc:
            assert exc.path == str(tiny)


def test_a_cut_copy_of_a_real_mp3_is_named_by_its_id3_length(real_audio, tmp_path):
    # no Xing header here: libsndfile estimates the length of the cut copy from its size, and only
    # the ID3 tag's TLEN (29,000 ms) still says how long the song was
    data = (real_audio / JORAM).read_bytes()
    path = tmp_path / "cut.mp3"
    path.write_bytes(data[: len(data) // 2])
    info = audio_info(path)
    assert info.duration == pytest.approx(14.65, abs=0.1) and info.declared_duration == pytest.approx(29.0)
    with pytest.warns(AudioWarning, match=r"truncated: decodes 14\.\d s of the 29\.0 s its ID3 tag \(TLEN\) declares"):
        y = load_audio(path, sr=None)
    assert len(y) == pytest.approx(14.5 * 16000, rel=0.01)


def test_whole_real_recordings_give_no_warning(real_audio):
    read = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", AudioWarning)
        for path in sorted(real_audio.iterdir()):
            if audio.is_audio_file(path):
                load_audio(path, middle=30.0)
                load_audio(path, sr=None)
                read.append(path.name)
    # the MP3 and the Ogg Vorbis recordings were read, not skipped
    assert JORAM in read and any(name.endswith(".ogg") for name in read)


def test_decoder_notes_stay_off_stderr_unless_asked_for(tmp_path, capfd, monkeypatch):
    path = write_damaged_mp3(tmp_path / "damaged.mp3")
    capfd.readouterr()
    with collect_audio_warnings() as found:
        y = load_audio(path, sr=None)
    out, err = capfd.readouterr()
    assert err == "" and out == ""  # mpg123's "Illegal Audio-MPEG-Header" / "Trying to resync" are kept back
    [warning] = found  # ... and become the warning, which names the file
    assert warning.path == str(path)
    assert warning.reason.startswith("damaged: decodes 3.0 s of the 10.0 s its header declares (Illegal Audio-MPEG-Header")
    assert len(y) == pytest.approx(3.0 * SR, abs=0.4 * SR)

    monkeypatch.setenv(audio.ENV_VERBOSE, "1")
    with collect_audio_warnings():
        load_audio(path, sr=None)
    err = capfd.readouterr().err
    assert f"genrekit: the decoder's notes on {path}:" in err and "Illegal Audio-MPEG-Header" in err


def test_collected_warnings_are_not_issued_and_listed_once_per_file(tmp_path):
    path = write_truncated(tmp_path / "cut.wav")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an issued warning would raise
        with collect_audio_warnings() as outer:
            load_audio(path)
            with collect_audio_warnings() as inner:
                load_audio(path, middle=1.0)
            load_audio(path, middle=2.0)
    assert [w.path for w in outer] == [str(path)] and [w.path for w in inner] == [str(path)]


def test_threads_reading_damaged_files_keep_their_notes_apart(tmp_path, capfd):
    files = [write_damaged_mp3(tmp_path / f"d{i}.mp3") for i in range(3)] + [write_truncated(tmp_path / "cut.mp3")]
    shutil.copy(files[0], tmp_path / "copy.mp3")
    files.append(tmp_path / "copy.mp3")
    results: dict = {}

    def read(path):
        with collect_audio_warnings() as found:
            results[path] = (len(load_audio(path, sr=None)), [w.path for w in found])

    def chatter():  # another thread writing to fd 2 meanwhile: its lines must all come through
        for _ in range(20):
            os.write(2, b"other thread\n")

    capfd.readouterr()
    threads = [threading.Thread(target=read, args=(p,)) for p in files] + [threading.Thread(target=chatter)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    err = capfd.readouterr().err
    assert err.count("other thread") == 20 and "MPEG" not in err and "resync" not in err
    assert all(results[p][1] == [str(p)] for p in files)
    assert results[files[0]][0] == results[tmp_path / "copy.mp3"][0]
