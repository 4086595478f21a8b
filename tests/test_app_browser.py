"""The app in a real browser: headless Chromium (Debian's ``chromium`` package) driven by Playwright.

No browser download: Playwright launches ``/usr/bin/chromium``, with the network features that
would try to reach the internet switched off and Chromium's fake microphone switched on.
Skipped, with the reason, when either is missing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fixtures import EXAMPLES
from genrekit.data.audio import load_audio, write_audio
from genrekit.inference import load_predictor

# one worker runs the modules that share the trained app run, so it is trained once
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("app-run")]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # a synthetic microphone (a beep) that needs no permission prompt
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
]
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium chromium-driver)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def wait_for_status(page, text: str) -> str:
    page.wait_for_function(
        "text => (document.querySelector('#status')?.innerText || '').includes(text)", arg=text, timeout=TIMEOUT_MS
    )
    return page.inner_text("#status")


def test_upload_shows_genres_chart_and_timeline(browser, app_url, app_run, tmp_path):
    # the answer the page must show: the model's own top genre for the clip, computed here
    predictor = load_predictor(app_run)
    example = next(p for p in EXAMPLES if p.stem == "classical")
    expected = predictor.predict_array(load_audio(example, sr=predictor.sample_rate), predictor.sample_rate).genre

    page = browser.new_page(viewport={"width": 1280, "height": 1100})
    page.goto(app_url, wait_until="domcontentloaded", timeout=TIMEOUT_MS)
    assert "logreg" in page.inner_text("#model-card", timeout=TIMEOUT_MS)
    upload = "#track input[type=file]"
    page.wait_for_selector(upload, state="attached", timeout=TIMEOUT_MS)

    # a text file first: a clear message, and the page keeps working
    junk = tmp_path / "notes.wav"
    junk.write_bytes(b"this is not audio\n" * 200)
    page.set_input_files(upload, str(junk))
    assert "unreadable" in wait_for_status(page, "Cannot use notes.wav")
    assert "Cannot use notes.wav" in page.inner_text(".toast-body", timeout=TIMEOUT_MS)  # the gr.Warning pop-up
    page.click(".toast-close")
    page.click("#track button[aria-label=Clear]")
    page.wait_for_selector(upload, state="attached", timeout=TIMEOUT_MS)

    page.set_input_files(upload, str(example))
    status = wait_for_status(page, "most likely")
    assert f"most likely {expected}" in status
    label = page.inner_text("#top-genres")
    assert expected in label and "%" in label
    # musicnn's tags beside the genres (or, without its weights, a note saying what to run)
    tags = page.inner_text("#tags")
    assert "musicnn tags" in tags and ("genre & mood (MSD)" in tags or "genrekit pretrained fetch musicnn" in tags)
    page.wait_for_selector("#genre-bars canvas, #genre-bars svg", timeout=TIMEOUT_MS)
    page.wait_for_selector("#timeline canvas, #timeline svg", timeout=TIMEOUT_MS)
    page.wait_for_timeout(1000)  # let the charts finish drawing
    shot = tmp_path / "app-screenshot.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"\nscreenshot: {shot}")
    print(f"the page shows {expected}, as predicted in-process; the clip was rendered as {example.stem}")
    if expected == example.stem:
        assert example.stem in label
    page.close()
    assert shot.stat().st_size > 10_000


def test_player_is_the_browsers_own_and_shows_the_true_length(browser, app_url, tmp_path):
    """Gradio's waveform player read "1:00" for a 119.9 s file; the browser's own player is used,
    and its media element holds the file's true length (its controls read "1:59")."""
    sr = 8000
    t = np.arange(int(119.9 * sr)) / sr
    path = tmp_path / "two-minutes.wav"
    write_audio(path, (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), sr)

    page = browser.new_page(viewport={"width": 1280, "height": 1100})
    page.goto(app_url, wait_until="domcontentloaded", timeout=TIMEOUT_MS)
    page.wait_for_selector("#track input[type=file]", state="attached", timeout=TIMEOUT_MS)
    page.set_input_files("#track input[type=file]", str(path))
    status = wait_for_status(page, "most likely")
    assert "The track is 1:59 long" in status  # the page counts as the player does (this server reads 30 s)
    page.wait_for_function("() => document.querySelector('#track audio')?.duration > 0", timeout=TIMEOUT_MS)
    player = page.evaluate("""() => {
        const audio = document.querySelector('#track audio');
        return {controls: audio.controls, shown: audio.offsetParent !== null, duration: audio.duration,
                waveform_label: document.querySelector('#track #duration') !== null};
    }""")
    assert player["controls"] and player["shown"] and not player["waveform_label"]
    assert player["duration"] == pytest.approx(119.9, abs=0.01)
    page.close()


def test_microphone_recording_is_classified(browser, app_url):
    page = browser.new_page(viewport={"width": 1280, "height": 1100})
    page.goto(app_url, wait_until="domcontentloaded", timeout=TIMEOUT_MS)
    page.wait_for_selector("#track input[type=file]", state="attached", timeout=TIMEOUT_MS)
    page.click("#track button[aria-label='Record audio']")
    page.click("#track button.record-button", timeout=TIMEOUT_MS)
    page.wait_for_timeout(4000)
    page.click("#track button.stop-button")
    status = wait_for_status(page, "most likely")  # stopping the recording classifies it
    seconds = int(status.split("Analysed 0:")[1][:2])
    assert seconds >= 1, status  # something was recorded; how long depends on a loaded machine's timing
    top = status.split("most likely ")[1].split(" (")[0]
    assert top in page.inner_text("#top-genres")
    page.close()
