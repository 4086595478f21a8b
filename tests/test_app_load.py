"""The app under load and under bad input, through gradio_client against a real local server.

The server runs ``python space/app.py`` (queue: two requests at a time, 64 waiting) with the tiny
default model and musicnn's tags, a 20 MB upload limit and a 30 s analysis limit (so the hour-long
file is cheap); it is shared with test_app_browser.py.
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest

from fixtures import EXAMPLES, expected_answers
from genrekit.data.audio import write_audio

# one worker runs the modules that share the trained app run, so it is trained once
pytestmark = pytest.mark.xdist_group("app-run")

gradio_client = pytest.importorskip("gradio_client")

REQUESTS = 20


@pytest.fixture(scope="module")
def client(app_url):
    return gradio_client.Client(app_url, verbose=False, download_files=False)


def classify(client, path):
    return client.predict(gradio_client.handle_file(str(path)), api_name="/classify")


def confidences(label_output: dict) -> dict[str, float]:
    return {c["label"]: c["confidence"] for c in label_output["confidences"]}


def test_twenty_concurrent_requests_all_get_the_in_process_answer(client, app_url, app_run):
    expected = expected_answers(app_run, EXAMPLES)
    files = [EXAMPLES[i % len(EXAMPLES)] for i in range(REQUESTS)]

    def one(path):
        # one client per thread: each request is a separate user with its own session
        user = gradio_client.Client(app_url, verbose=False, download_files=False)
        started = time.perf_counter()
        result = classify(user, path)
        return path, result, time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        answers = list(pool.map(one, files))
    wall = time.perf_counter() - started

    for path, (label, bars, timeline, status, tags), _ in answers:
        want = expected[str(path)]
        top = max(want, key=want.get)
        assert label["label"] == top, f"{path.name}: the app said {label['label']}, in-process {top}"
        got = confidences(label)
        assert got == pytest.approx({g: want[g] for g in got}, abs=1e-6)
        assert len(bars["data"]) == len(want) and bars["data"][0][0] == top
        assert f"most likely **{top}**" in status
        # musicnn's tags of the 10 s clip, or (without its weights) a note saying what to run
        assert tags.startswith("**musicnn tags** (of 0:10)") or "genrekit pretrained fetch musicnn" in tags
    latencies = sorted(seconds for *_, seconds in answers)
    print(f"\n{REQUESTS} concurrent requests: wall {wall:.1f} s; latency per request median "
          f"{statistics.median(latencies):.2f} s, p90 {latencies[int(0.9 * REQUESTS) - 1]:.2f} s, "
          f"max {latencies[-1]:.2f} s, min {latencies[0]:.2f} s")


def test_bad_inputs_get_clear_messages_and_the_app_keeps_serving(client, app_url, tmp_path):
    text = tmp_path / "notes.wav"
    text.write_bytes(b"this is not audio\n" * 200)
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    for path, reason in ((text, "unreadable"), (empty, "empty file")):
        label, bars, _, status, tags = classify(client, path)
        assert not label and not bars and not tags  # outputs are cleared, not left from the previous file
        assert status.startswith(f"**Cannot use {path.name}") and reason in status

    # an hour-long file: only the first 30 s (this server's limit) are decoded, and the app says so
    sr, minute = 8000, (0.2 * np.sin(2 * np.pi * 220 * np.arange(8000 * 60) / 8000)).astype(np.float32)
    hour = write_audio(tmp_path / "hour.flac", np.tile(minute, 60), sr)
    assert hour.stat().st_size < 20e6
    label, _, _, status, _ = classify(client, hour)
    assert label["label"] and "Analysed 0:30 of audio" in status
    assert "The track is 1:00:00 long; only the first 0:30 were analysed." in status

    # over the size limit: Gradio refuses the upload itself (launch(max_file_size=...))
    big = tmp_path / "big.wav"
    big.write_bytes(b"\0" * 21_000_000)
    with pytest.raises(Exception, match="(?i)size|large|413") as info:
        classify(client, big)
    print(f"\nover-limit upload refused: {type(info.value).__name__}: {str(info.value)[:200]}")
    # ... and so does the server, for clients that do not check first
    with big.open("rb") as f:
        response = httpx.post(app_url + "gradio_api/upload", files={"files": ("big.wav", f)}, timeout=60)
    assert response.status_code == 413 and "maximum allowed size" in response.text

    label, *_ = classify(client, EXAMPLES[0])
    assert label["label"] in confidences(label)
