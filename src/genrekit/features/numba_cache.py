"""librosa's compiled code, loaded once per process under an inter-process lock.

librosa defines ``@guvectorize(cache=True)`` functions that numba compiles when their module is
first imported, and writes to its on-disk cache. Two processes doing that at once (pool or Dask
workers, test workers, two jobs started together on a fresh install) can write a kernel and its
wrapper with different ABI tags; every later process that loads them then crashes with a
segmentation fault in any librosa call (numba issue #10128). So genrekit never lets librosa's
compiled modules load, nor its own warm-up compile, outside :func:`compile_lock`: the first
process compiles and writes the cache, the others wait and then read it.

:func:`load_librosa` is the only way genrekit reaches librosa's compiled modules;
``genrekit doctor`` finds and clears a cache broken before this lock existed (:func:`check_librosa`,
:func:`clear_cache`).
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

from genrekit.errors import GenrekitError

#: Name of the lock file, kept beside numba's cache of librosa.
LOCK_NAME = "genrekit-compile.lock"

#: How long a process waits for another one's compilation before giving up (seconds).
LOCK_TIMEOUT = 1800.0

#: librosa's packages whose import compiles cached gufuncs (``librosa.util.utils``,
#: ``librosa.core.audio``, ``librosa.core.pitch``) and everything genrekit calls.
LIBROSA_MODULES = ("librosa.core", "librosa.util", "librosa.feature", "librosa.onset", "librosa.filters")

#: What :func:`check_librosa` runs in a fresh process: the calls a broken cache crashes.
CHECK_SCRIPT = (
    "import numpy as np, librosa\n"
    "y = np.random.default_rng(0).standard_normal(22050).astype(np.float32)\n"
    "librosa.feature.chroma_stft(y=y, sr=22050)\n"
    "librosa.onset.onset_detect(y=y, sr=22050)\n"
)

_LOADED = False
_THREAD_LOCK = threading.RLock()
_FILE_LOCKS: dict = {}


def _librosa_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("librosa")
    if spec is None or spec.origin is None:
        raise GenrekitError("librosa is not installed (pip install librosa)")
    return Path(spec.origin).parent


def _user_cache_dir() -> Path:
    try:
        from numba.misc.appdirs import AppDirs

        return Path(AppDirs(appname="numba", appauthor=False).user_cache_dir)
    except ImportError:  # numba moved its copy of appdirs: the same default on Linux
        return Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "numba"


def _subpath(folder: Path) -> str:
    # numba's name for a source folder inside a cache directory (_CacheLocator.get_suitable_cache_subpath)
    folder = os.path.abspath(folder)
    return f"{os.path.basename(folder)}_{hashlib.sha1(folder.encode()).hexdigest()}"


def cache_root() -> Path:
    """Where numba caches librosa's compiled code in this environment, and so where the lock lives.

    In numba's own order: ``NUMBA_CACHE_DIR`` when set, else librosa's ``__pycache__`` when it is
    writable, else numba's user-wide cache directory.
    """
    import numba

    if numba.config.CACHE_DIR:
        return Path(numba.config.CACHE_DIR)
    in_tree = _librosa_dir() / "__pycache__"
    try:
        in_tree.mkdir(exist_ok=True)
        if os.access(in_tree, os.W_OK):
            return in_tree
    except OSError:
        pass
    return _user_cache_dir()


@contextmanager
def compile_lock():
    """Hold the inter-process lock on librosa's numba cache (re-entrant within a process).

    Raises
    ------
    GenrekitError
        If another process held it for :data:`LOCK_TIMEOUT` seconds.
    """
    from filelock import FileLock, Timeout

    with _THREAD_LOCK:
        root = cache_root()
        root.mkdir(parents=True, exist_ok=True)
        # one FileLock per file: a second object on the same file would wait for the first (flock)
        lock = _FILE_LOCKS.setdefault(root / LOCK_NAME, FileLock(root / LOCK_NAME, thread_local=False))
        try:
            lock.acquire(timeout=LOCK_TIMEOUT)
        except Timeout:
            raise GenrekitError(f"{root / LOCK_NAME}: another process has been compiling librosa for "
                                f"{LOCK_TIMEOUT / 60:.0f} minutes; is it stuck?") from None
        try:
            yield
        finally:
            lock.release()


def load_librosa():
    """librosa with its compiled modules imported; the first call in a process takes :func:`compile_lock`.

    Returns
    -------
    module
        ``librosa``.
    """
    global _LOADED
    import importlib

    if not _LOADED:
        with compile_lock():
            for name in LIBROSA_MODULES:
                importlib.import_module(name)
            _LOADED = True
    import librosa

    return librosa


def check_librosa(*, timeout: float = 600.0) -> str | None:
    """Run :data:`CHECK_SCRIPT` (chroma, onsets) in a fresh Python process.

    Returns
    -------
    str or None
        None when it exits cleanly, else what went wrong ("crashed with SIGSEGV", ...).
    """
    try:
        done = subprocess.run([sys.executable, "-c", CHECK_SCRIPT], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"did not finish in {timeout:.0f} s"
    if done.returncode == 0:
        return None
    if done.returncode < 0:
        return f"crashed with {signal.Signals(-done.returncode).name}"
    last = (done.stderr.strip().splitlines() or ["no message"])[-1]
    return f"failed with exit status {done.returncode}: {last}"


def cache_files() -> list[Path]:
    """numba's cache files (``*.nbi``, ``*.nbc``) of librosa's and genrekit's code that this environment
    reads: under ``NUMBA_CACHE_DIR`` when set, else in the package trees and the user-wide cache."""
    import numba

    import genrekit

    provided = numba.config.CACHE_DIR
    found = []
    for package in (_librosa_dir(), Path(genrekit.__file__).parent):
        for folder, _, files in os.walk(package):
            if not any(f.endswith(".py") for f in files):
                continue
            if provided:
                places = [Path(provided) / _subpath(Path(folder))]
            else:
                places = [Path(folder) / "__pycache__", _user_cache_dir() / _subpath(Path(folder))]
            for place in places:
                if place.is_dir():
                    found += [p for p in place.iterdir() if p.suffix in (".nbi", ".nbc")]
    return sorted(set(found))


def clear_cache() -> list[Path]:
    """Delete :func:`cache_files` (under :func:`compile_lock`); the next process compiles afresh.

    Returns
    -------
    list of Path
        The files deleted.
    """
    with compile_lock():
        files = cache_files()
        for path in files:
            path.unlink(missing_ok=True)
    return files
