"""librosa's numba cache: processes started together never break it, and ``genrekit doctor`` mends a broken one.

Each test points numba (in fresh processes, through ``NUMBA_CACHE_DIR``) and genrekit's lock (in
this process, through ``numba.config.CACHE_DIR``) at an empty folder, so nothing here touches the
cache the rest of the suite uses.
"""

from __future__ import annotations

import subprocess
import sys
import time

import numba
import pytest

from genrekit.cli import main
from genrekit.features import numba_cache
from genrekit.features.numba_cache import check_librosa, compile_lock

WARM_UP = "from genrekit.features.handcrafted import warm_up; warm_up()"


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    """An empty numba cache folder for this process's lock and for every process it starts."""
    folder = tmp_path / "numba-cache"
    folder.mkdir()
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(folder))
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(folder))
    return folder


def _python(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("round_", [1, 2])
def test_processes_warming_up_together_leave_a_cache_that_works(empty_cache, round_):
    # three fresh processes compile librosa and genrekit at once against an empty cache, as pool
    # or Dask workers on a fresh install do; without the lock this broke the cache now and then
    started = [_python(WARM_UP) for _ in range(3)]
    for process in started:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err[-2000:]
    assert any(empty_cache.rglob("*.nbc"))
    assert check_librosa() is None  # chroma_stft and onset_detect in a new process


def test_a_process_waits_while_another_holds_the_compile_lock(empty_cache):
    code = ("from genrekit.features.numba_cache import compile_lock\n"
            "print('waiting', flush=True)\n"
            "with compile_lock():\n"
            "    print('compiling')\n")
    with compile_lock():
        process = _python(code)
        assert process.stdout.readline().strip() == "waiting"
        time.sleep(3.0)
        assert process.poll() is None, "librosa loaded while another process held the lock"
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0 and out.strip() == "compiling", err[-2000:]


def _break_cache(folder) -> None:
    """Leave the cache as numba issue #10128 does: librosa's localmax wrapper (guf-*) written by one
    process, its kernel by another whose compilation counter stood elsewhere, so their ABI tags differ."""
    subprocess.run([sys.executable, "-c", "import librosa.util.utils"], check=True, timeout=600)
    kernels = [p for p in folder.rglob("utils._localmax-*") if not p.name.startswith("guf-")]
    assert kernels
    for path in kernels:
        path.unlink()
    bump = "import numba\nfor i in range(7): numba.njit(lambda x: x + i)(1)\nimport librosa.util.utils\n"
    subprocess.run([sys.executable, "-c", bump], capture_output=True, timeout=600)


def test_doctor_finds_a_broken_cache_and_fix_mends_it(empty_cache, capsys):
    _break_cache(empty_cache)
    if check_librosa() is None:
        pytest.skip(f"numba {numba.__version__} no longer breaks this way (issue #10128 fixed)")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "crashed with SIGSEGV" in out and "genrekit doctor --fix" in out
    assert main(["doctor", "--fix"]) == 0
    out = capsys.readouterr().out
    assert "deleted" in out and out.rstrip().endswith("ok")  # checked again in a fresh process


def test_doctor_reports_a_process_that_fails(monkeypatch):
    monkeypatch.setattr(numba_cache, "CHECK_SCRIPT", "raise SystemExit('librosa is broken')")
    assert check_librosa() == "failed with exit status 1: librosa is broken"
    monkeypatch.setattr(numba_cache, "CHECK_SCRIPT", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    assert check_librosa() == "crashed with SIGSEGV"
