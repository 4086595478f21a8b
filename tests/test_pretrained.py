"""musicnn in PyTorch: checkpoint reading, known answers from the authors' README and ../shared,
the fast CPU front-end against plain convolutions, tags and short clips."""

from __future__ import annotations

import json
import struct
import zipfile

import numpy as np
import pytest
import torch

from fixtures import JORAM, assert_float32_close
from genrekit.errors import AudioError
from genrekit.pretrained import musicnn as mn
from genrekit.pretrained.weights import MUSICNN_WHEEL, WeightsError, check_wheel, read_tf_bundle, read_wheel_checkpoint

# ---------------------------------------------------------------------- a tensor bundle written here


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, wire: int, payload: bytes) -> bytes:
    return _varint(number << 3 | wire) + (payload if wire != 2 else _varint(len(payload)) + payload)


def _block(entries: list[tuple[bytes, bytes]], restart_every: int = 2) -> bytes:
    """A LevelDB block with prefix-compressed keys and a restart array."""
    out, restarts, previous = bytearray(), [], b""
    for i, (key, value) in enumerate(entries):
        shared = 0
        if i % restart_every:
            while shared < min(len(key), len(previous)) and key[shared] == previous[shared]:
                shared += 1
        else:
            restarts.append(len(out))
        out += _varint(shared) + _varint(len(key) - shared) + _varint(len(value)) + key[shared:] + value
        previous = key
    for r in restarts:
        out += struct.pack("<I", r)
    return bytes(out + struct.pack("<I", len(restarts)))


def _bundle(tensors: dict[str, np.ndarray]) -> tuple[bytes, bytes]:
    data, entries = bytearray(), [(b"", _field(1, 0, _varint(1)))]  # header entry
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name], dtype="<f4")
        dims = b"".join(_field(2, 2, _field(1, 0, _varint(d))) for d in array.shape)
        proto = _field(1, 0, _varint(1)) + _field(2, 2, dims) + _field(4, 0, _varint(len(data))) + _field(5, 0, _varint(array.nbytes))
        entries.append((name.encode(), proto))
        data += array.tobytes()
    half = len(entries) // 2
    table = bytearray()
    handles = []
    for part in (entries[:half], entries[half:]):
        block = _block(part)
        handles.append((part[-1][0], _varint(len(table)) + _varint(len(block))))
        table += block + b"\x00" + b"\x00" * 4  # trailer: no compression, CRC (unchecked)
    index = _block(handles)
    index_handle = _varint(len(table)) + _varint(len(index))
    table += index + b"\x00" * 5
    footer = (_varint(0) + _varint(0) + index_handle).ljust(40, b"\x00") + struct.pack("<Q", 0xDB4775248B80FB57)
    return bytes(table + footer), bytes(data)


def test_tensor_bundle_reader_reads_names_shapes_and_values():
    rng = np.random.default_rng(0)
    tensors = {"conv2d/kernel": rng.standard_normal((7, 3, 1, 4)), "conv2d/bias": rng.standard_normal(4),
               "conv2d_1/kernel": rng.standard_normal((2, 5)), "dense/bias": np.array([1.5]),
               "dense/kernel/Adam": rng.standard_normal((2, 2))}
    index, data = _bundle(tensors)
    read = read_tf_bundle(index, data)
    assert set(read) == set(tensors)
    for name, array in tensors.items():
        assert read[name].shape == array.shape
        np.testing.assert_array_equal(read[name], array.astype(np.float32))


def test_bad_index_and_wrong_wheel_are_clear_errors(tmp_path):
    with pytest.raises(WeightsError, match="not a TensorFlow checkpoint index"):
        read_tf_bundle(b"\x00" * 64, b"")
    fake = tmp_path / MUSICNN_WHEEL["file"]
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("musicnn/__init__.py", "")
    with pytest.raises(WeightsError, match="sha256"):
        check_wheel(fake)
    with pytest.raises(WeightsError, match="no MSD_musicnn checkpoint"):
        read_wheel_checkpoint(fake, "MSD_musicnn")


def test_missing_weights_say_what_to_run(tmp_path, monkeypatch):
    from genrekit.pretrained.weights import load_weights

    monkeypatch.setenv("GENREKIT_PRETRAINED", str(tmp_path))
    with pytest.raises(WeightsError, match="genrekit pretrained fetch musicnn"):
        load_weights("MSD_musicnn")


def test_patch_count_and_short_signal():
    assert mn.patch_count(16000 * 30) == 10
    assert mn.patch_count(int(mn.MIN_SECONDS * 16000)) == 1
    assert mn.patch_count(int(mn.MIN_SECONDS * 16000) - 1) == 0


# ---------------------------------------------------------------------- the real network


@pytest.fixture(scope="module")
def extractor(musicnn_weights):
    return mn.MusicnnExtractor(device="cpu")


def test_checkpoint_has_the_published_parameter_count(musicnn_weights):
    for model in mn.MODELS:
        net = mn.load_musicnn(model)
        trainable = sum(p.numel() for p in net.parameters())
        bn = sum(b.numel() for name, b in net.named_buffers() if name.endswith(("gamma", "beta")))
        assert trainable + bn == 787_159


def test_readme_top10_for_the_joram_clip(extractor, real_audio):
    from genrekit.data.audio import load_audio

    y = load_audio(real_audio / JORAM, sr=mn.SAMPLE_RATE)
    taggram = extractor(y)["MTT_musicnn"]["taggram"]
    top = [mn.TAGS["MTT_musicnn"][i] for i in np.argsort(-taggram.mean(axis=0))[:10]]
    assert top == ["techno", "electronic", "synth", "fast", "beat", "drums", "no vocals", "no vocal", "dance", "ambient"]


#: Known answers checked by the default suite: five recordings (speech, a drum-bass loop, a solo
#: trumpet of one patch, an orchestra, the README's electronic clip) and the clip too short for
#: musicnn; the other six, 165 of the 201 patches, run with ``-m slow``.
QUICK_ANSWERS = (
    "198-209-0000.ogg",
    "456440__inspectorj__bird-whistling-robin-single-13.ogg",
    "admiralbob77_-_Choice_-_Drum-bass.ogg",
    "sorohanro_-_solo-trumpet-06.ogg",
    "Hungarian_Dance_number_5_-_Allegro_in_F_sharp_minor_(string_orchestra).ogg",
    "joram-moments_of_clarity-08-solipsism-59-88.mp3",
)


def _check_known_answers(extractor, real_audio, names=None) -> int:
    """Compare musicnn's taggrams with ../shared/known_answers/musicnn.json; returns files checked."""
    from genrekit.data.audio import load_audio

    path = real_audio.parent / "known_answers" / "musicnn.json"
    if not path.is_file():
        pytest.skip("../shared/known_answers/musicnn.json is not present")
    answers = json.loads(path.read_text())["files"]
    assert len(answers) >= 10
    chosen = {name: expected for name, expected in answers.items() if names is None or name in names}
    for name, expected in chosen.items():
        y = load_audio(real_audio / name, sr=mn.SAMPLE_RATE)
        if "error" in expected:
            with pytest.raises(AudioError, match="too short for musicnn"):
                extractor(y, name=name)
            continue
        out = extractor(y, name=name)
        for model in mn.MODELS:
            proba = out[model]["taggram"]
            assert len(proba) == expected["patches"], name
            np.testing.assert_allclose(proba.mean(axis=0), expected[model]["mean_probabilities"], atol=1e-3, err_msg=f"{name} {model}")
            top5 = [mn.TAGS[model][i] for i in np.argsort(-proba.mean(axis=0))[:5]]
            assert top5 == expected[model]["top5"], f"{name} {model}"
    return len(chosen)


def test_known_answers_of_six_recordings_within_1e3(extractor, real_audio):
    assert _check_known_answers(extractor, real_audio, QUICK_ANSWERS) == len(QUICK_ANSWERS)


@pytest.mark.slow
def test_every_known_answer_within_1e3(extractor, real_audio):
    assert _check_known_answers(extractor, real_audio) >= 11


# The longest float32 sum in musicnn: a mid-end convolution, 7 frames x 561 channels.
MUSICNN_TERMS = 7 * 561


def test_tiled_cpu_front_end_equals_plain_convolutions(musicnn_weights):
    net = mn.load_musicnn("MSD_musicnn")
    x = torch.randn(3, mn.PATCH_FRAMES, mn.N_MELS, generator=torch.Generator().manual_seed(0)).abs() * 2
    with torch.inference_mode():
        fast = net(x)
        net.tiled = False
        plain = net(x)
        exact = net.double()(x.double())  # plain convolutions in float64: the arithmetic's true answer
    for key, width in mn.OUTPUTS.items():
        assert fast[key].shape == (3, width)
        # tiling reorders the float32 sums: both orders stay within float32 rounding of the truth
        assert_float32_close(fast[key], exact[key], terms=MUSICNN_TERMS, err_msg=f"tiled {key}")
        assert_float32_close(plain[key], exact[key], terms=MUSICNN_TERMS, err_msg=f"plain {key}")


def test_outputs_are_per_patch_and_batching_does_not_change_them(musicnn_weights):
    y = np.random.default_rng(1).standard_normal(16000 * 10).astype(np.float32) * 0.1
    small = mn.MusicnnExtractor(["MTT_musicnn"], batch_size=1)(y)["MTT_musicnn"]
    large = mn.MusicnnExtractor(["MTT_musicnn"], batch_size=64)(y)["MTT_musicnn"]
    assert small["taggram"].shape == (3, 50) and small["mean_pool"].shape == (3, 753)
    for key in mn.OUTPUTS:  # two float32 computations whose kernels may order sums differently by batch size
        assert_float32_close(small[key], large[key], terms=MUSICNN_TERMS, paths=2, err_msg=key)


def test_patches_met_before_are_not_run_again(musicnn_weights, monkeypatch):
    rng = np.random.default_rng(2)
    y, z = (rng.standard_normal(16000 * 10).astype(np.float32) * 0.1 for _ in range(2))
    alone = mn.MusicnnExtractor(["MTT_musicnn"])(z)["MTT_musicnn"]
    extractor = mn.MusicnnExtractor(["MTT_musicnn"])
    calls = []
    forward = mn.Musicnn.forward
    monkeypatch.setattr(mn.Musicnn, "forward", lambda net, x: calls.append(len(x)) or forward(net, x))
    first = extractor(y)["MTT_musicnn"]
    again = extractor(y.copy())["MTT_musicnn"]  # equal samples, another array: nothing runs
    assert calls == [3]
    for key in mn.OUTPUTS:
        np.testing.assert_array_equal(again[key], first[key])
    # y's patches beside new ones: only the new ones run, and each row is what it was alone
    both = extractor.run_patches(torch.cat([extractor.patches(z), extractor.patches(y)]))["MTT_musicnn"]
    assert calls == [3, 3]
    for key in mn.OUTPUTS:
        np.testing.assert_array_equal(both[key][3:], first[key])
        assert_float32_close(both[key][:3], alone[key], terms=MUSICNN_TERMS, paths=2, err_msg=key)
    # it remembers the latest patches only
    monkeypatch.setattr(mn, "REMEMBERED_PATCHES", 3)
    extractor(z * 0.5)
    extractor(y)  # pushed out by z * 0.5's three patches
    assert calls == [3, 3, 3, 3]


def test_brahms_is_tagged_classical_strings_violin(extractor, real_audio):
    from genrekit.pretrained.tagging import tag_file

    result = tag_file(extractor, real_audio / "Hungarian_Dance_number_5_-_Allegro_in_F_sharp_minor_(string_orchestra).ogg",
                      window_seconds=15)
    top = [tag for tag, _ in result.top("MTT_musicnn", 5)]
    assert {"classical", "strings", "violin"} <= set(top)
    assert len(result.windows["MTT_musicnn"]) == 3  # 15 patches, 5 per window


def test_tags_cli(musicnn_weights, real_audio, capsys):
    from genrekit.cli import main

    bird = real_audio / "456440__inspectorj__bird-whistling-robin-single-13.ogg"
    status = main(["tags", str(real_audio / JORAM), str(bird), "--model", "mtt", "--top", "3", "--json"])
    assert status == 1  # the bird call is shorter than one patch
    out = json.loads(capsys.readouterr().out)
    first, second = out["files"]
    assert [t["tag"] for t in first["tags"]["MTT_musicnn"]] == ["techno", "electronic", "synth"]
    assert "too short for musicnn" in second["error"]
