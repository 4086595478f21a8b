"""Spectrogram front-end: shapes, known answers (a sine lands in the right row), librosa parity, cache."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fixtures import sine
from genrekit.errors import ConfigError
from genrekit.features.spectrogram import (
    LOG_FMIN,
    SpectrogramCache,
    SpectrogramFrontEnd,
    log_filterbank,
    plot_spectrograms,
    spectrogram_image,
)

SR = 22050


def peak_row(image: np.ndarray) -> int:
    return int(image.mean(axis=1).argmax())


@pytest.mark.parametrize("kind", ["mel", "log", "linear", "mfcc"])
def test_shapes_resized_and_native(kind):
    x = torch.randn(3, SR)  # 1 s
    resized = SpectrogramFrontEnd(kind, sr=SR, size=(32, 48))(x)
    assert resized.shape == (3, 1, 32, 48) and resized.dtype == torch.float32
    native = SpectrogramFrontEnd(kind, sr=SR, n_fft=1024, hop_length=256, size=None, n_mels=40, n_bins=50, n_mfcc=13)
    rows = {"mel": 40, "log": 50, "linear": 513, "mfcc": 13}[kind]
    assert native(x).shape == (3, 1, rows, 1 + SR // 256)
    assert native.output_shape(SR) == (1, rows, 1 + SR // 256)


@pytest.mark.parametrize("freq", [220.0, 1000.0, 4000.0])
def test_sine_lands_in_the_right_row(freq):
    import librosa

    y = sine(freq)
    rows = 128
    # linear: row ~ f / (sr/2) * H (1025 STFT bins squeezed into 128 rows)
    linear = spectrogram_image(y, sr=SR, kind="linear", size=(rows, 32))
    assert abs(peak_row(linear) - freq / (SR / 2) * rows) <= 1.0
    # mel: 128 Slaney bands between 0 Hz and sr/2; band i is centred on mel point i + 1 of n_mels + 2
    mel = spectrogram_image(y, sr=SR, kind="mel", size=(rows, 32), n_mels=rows)
    lo, hi = librosa.hz_to_mel(0.0), librosa.hz_to_mel(SR / 2)
    expected_mel = (librosa.hz_to_mel(freq) - lo) / (hi - lo) * (rows + 1) - 1
    assert abs(peak_row(mel) - expected_mel) <= 1.0
    # log: rows log-spaced from C1 to sr/2, so row ~ (H - 1) * log(f / fmin) / log(fmax / fmin)
    log = spectrogram_image(y, sr=SR, kind="log", size=(rows, 32), n_bins=rows)
    expected_log = (rows - 1) * np.log(freq / LOG_FMIN) / np.log((SR / 2) / LOG_FMIN)
    assert abs(peak_row(log) - expected_log) <= 1.0


def test_octaves_get_equal_rows_on_the_log_scale():
    octaves = (250.0, 500.0, 2000.0, 4000.0)  # a low and a high octave
    log_rows = [peak_row(spectrogram_image(sine(f), sr=SR, kind="log", size=None, n_bins=120)) for f in octaves]
    low, high = log_rows[1] - log_rows[0], log_rows[3] - log_rows[2]
    assert abs(low - high) <= 1 and high == pytest.approx(120 / np.log2(SR / 2 / LOG_FMIN), abs=1)
    # mel is linear below 1 kHz, so a low octave gets far fewer rows than a high one
    mel_rows = [peak_row(spectrogram_image(sine(f), sr=SR, kind="mel", size=None)) for f in octaves]
    assert mel_rows[1] - mel_rows[0] < 0.6 * (mel_rows[3] - mel_rows[2])


def test_mfcc_and_mel_match_librosa():
    import librosa

    rng = np.random.default_rng(0)
    y = (sine(440.0, 2.0) + 0.05 * rng.standard_normal(2 * SR)).astype(np.float32)
    mfcc = spectrogram_image(y, sr=SR, kind="mfcc", size=None, norm="none")
    expected = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=20, n_fft=2048, hop_length=512)
    assert mfcc.shape == expected.shape
    assert np.abs(mfcc - expected).max() < 1e-3 * np.abs(expected).max()
    mel = spectrogram_image(y, sr=SR, kind="mel", size=None, norm="none")
    expected = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=SR), top_db=80.0)
    assert np.abs(mel - expected).max() < 1e-2  # dB


def test_log_filterbank_rows_have_unit_area_and_log_centres():
    weights, centres = log_filterbank(sr=SR, n_fft=2048, n_bins=96, fmin=LOG_FMIN, fmax=SR / 2)
    assert weights.shape == (96, 1025)
    assert np.allclose(weights.sum(axis=1), 1.0, atol=1e-5)
    assert np.allclose(np.diff(np.log(centres)), np.log(centres[1] / centres[0]))
    assert centres[0] == pytest.approx(LOG_FMIN) and centres[-1] == pytest.approx(SR / 2)


def test_examples_are_normalised_independently_of_the_batch():
    frontend = SpectrogramFrontEnd("mel", sr=SR, size=(64, 64)).eval()
    x = torch.from_numpy(np.stack([sine(300.0), 0.01 * sine(3000.0)]))
    batch = frontend(x)
    alone = frontend(x[1:])
    assert torch.allclose(batch[1:], alone, atol=1e-5)
    assert torch.allclose(batch.mean(dim=(-2, -1)), torch.zeros(2, 1), atol=1e-4)
    assert torch.allclose(batch.std(dim=(-2, -1)), torch.ones(2, 1), atol=1e-3)


def test_front_end_stays_float32_under_mixed_precision():
    frontend = SpectrogramFrontEnd("mel", sr=SR, size=(32, 32)).eval()
    x = torch.randn(2, SR)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = frontend(x)
    assert mixed.dtype == torch.float32
    assert torch.allclose(mixed, frontend(x), atol=1e-5)


def test_spec_augment_masks_only_in_training():
    torch.manual_seed(0)
    frontend = SpectrogramFrontEnd("mel", sr=SR, size=(64, 64), spec_augment=True)
    x = torch.randn(4, SR)
    clean = frontend.compute(x)
    frontend.eval()
    assert torch.equal(frontend(x), clean)
    frontend.train()
    masked = frontend(x)
    zeroed = (masked == 0) & (clean != 0)
    assert zeroed.any()
    # masks are whole bands: some rows and columns are zero across the full image
    full_rows = zeroed.all(dim=-1).any() | zeroed.all(dim=-2).any()
    assert bool(full_rows)


def test_precomputed_images_pass_through_forward():
    frontend = SpectrogramFrontEnd("log", sr=SR, size=(32, 32)).eval()
    x = torch.randn(2, SR)
    assert torch.equal(frontend(frontend.compute(x)), frontend(x))
    with pytest.raises(ValueError, match="precomputed images"):
        frontend(torch.zeros(2, 1, 16, 32))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(kind="cqt"), "unknown spectrogram kind"),
        (dict(kind="mel", norm="max"), "unknown spectrogram norm"),
        (dict(kind="log", fmin=0.0), "fmin > 0"),
        (dict(kind="mel", fmax=20000.0), "fmax"),
        (dict(kind="mel", size=(0, 10)), "size"),
    ],
)
def test_bad_settings_raise_config_errors(kwargs, message):
    kind = kwargs.pop("kind")
    with pytest.raises(ConfigError, match=message):
        SpectrogramFrontEnd(kind, sr=SR, **kwargs)


def test_row_frequencies_follow_the_resize():
    frontend = SpectrogramFrontEnd("linear", sr=SR, n_fft=2048, size=(128, 16))
    freqs = frontend.row_frequencies()
    assert freqs.shape == (128,) and np.all(np.diff(freqs) > 0)
    row = peak_row(spectrogram_image(sine(2000.0), sr=SR, kind="linear", size=(128, 16)))
    assert abs(freqs[row] - 2000.0) < SR / 2 / 128
    assert SpectrogramFrontEnd("mfcc", sr=SR).row_frequencies() is None


def test_cache_round_trip_and_keys(tmp_path):
    audio = tmp_path / "clip.wav"
    audio.write_bytes(b"not really audio; only its stat() is hashed")
    frontend = SpectrogramFrontEnd("mel", sr=SR, size=(16, 16))
    cache = SpectrogramCache(frontend, audio={"chunk_seconds": 3.0}, root=tmp_path / "cache")
    assert cache.load("blues.00001", audio) is None
    images = np.random.default_rng(0).standard_normal((3, 1, 16, 16)).astype(np.float32)
    path = cache.save("blues.00001", audio, images)
    assert path.parent == cache.dir and (cache.dir / "key.json").is_file()
    assert np.array_equal(cache.load("blues.00001", audio), images)
    # another front-end or another chunking is another key; an edited file is another entry
    other = SpectrogramCache(SpectrogramFrontEnd("log", sr=SR, size=(16, 16)), audio={"chunk_seconds": 3.0}, root=tmp_path / "cache")
    assert other.key != cache.key
    assert SpectrogramCache(frontend, audio={"chunk_seconds": 2.0}, root=tmp_path / "cache").key != cache.key
    audio.write_bytes(b"edited, and longer than before")
    assert cache.load("blues.00001", audio) is None
    # a truncated file (interrupted write by another process) reads as a miss, not an error
    cache.path_for("blues.00001", audio).write_bytes(b"\x93NUMPY")
    assert cache.load("blues.00001", audio) is None


def test_plot_spectrograms_writes_an_image(tmp_path):
    out = plot_spectrograms(sine(440.0, 2.0), sr=SR, path=tmp_path / "three.png")
    assert out.is_file() and out.stat().st_size > 10_000
