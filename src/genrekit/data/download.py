"""Download, verify and unpack the public datasets genrekit reads (FMA, GTZAN).

``fetch('fma-small')`` downloads ``fma_metadata.zip`` and ``fma_small.zip`` into
``paths.raw_dir()/'fma'``, checks their published SHA-1, unpacks them and returns the folder that
``fma-small:PATH`` takes. It is safe to interrupt and to run again:

* a download goes to ``<archive>.part`` and the next run resumes it with an HTTP ``Range`` request
  (a server that ignores ``Range`` gets a clean restart); a dropped connection is resumed at once;
* the checksum is computed while the bytes stream in (the resumed part is read once), never by
  re-reading the whole archive afterwards;
* an archive is unpacked into a hidden temporary folder, then moved into place with one rename,
  together with a marker ``.genrekit-fetch.json``; a folder holding that marker is complete, and a
  second ``fetch`` returns at once without touching the network;
* members with absolute paths, ``..`` components, links leading outside the folder or device files
  are refused.

Offline route: put the archive at ``<folder>/<archive name>`` (for example
``data/raw/fma/fma_small.zip``) and run ``fetch`` again: it is verified and unpacked, no network
needed. To download from elsewhere (a proxy, a local copy, a test server), set the dataset's
mirror variable (``GENREKIT_FMA_MIRROR``, ``GENREKIT_GTZAN_MIRROR``) to a base URL: the archive is
then fetched from ``<base>/<archive name>`` instead of the built-in URLs.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import http.client
import json
import os
import shutil
import sys
import tarfile
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from tqdm.auto import tqdm

from genrekit import __version__, paths
from genrekit.errors import ConfigError, DatasetError

#: Written into each unpacked folder, last: its presence means the folder is complete.
MARKER = ".genrekit-fetch.json"

_USER_AGENT = f"genrekit/{__version__} (dataset download; Python urllib)"
_TIMEOUT_S = 60.0
_CHUNK = 1 << 20
# resumes after a dropped connection, allowed only while each attempt brings new bytes
_MAX_RESUMES = 20
_TMP_SUFFIX = ".genrekit-tmp"
_ALGORITHMS = ("md5", "sha1", "sha256")

_GIB = 2**30


@dataclass(frozen=True)
class Archive:
    """One downloadable archive.

    Attributes
    ----------
    filename : str
        Name of the archive file, also its name under a mirror base URL and the name it must
        have when placed by hand.
    urls : tuple of str
        Where to download it, tried in order (mirrors serving the same bytes).
    checksums : tuple of str
        ``'<algorithm>:<hex>'`` (md5, sha1 or sha256) of known-good copies; a file matching any of
        them is accepted. Empty when no checksum is published: the archive is then used
        unverified, and ``fetch`` says so.
    size : int or None
        Approximate size in bytes as published (the publishers round), for the disk-space check.
    kind : {'zip', 'tar.gz'}
        Archive format.
    extracts_to : str
        The single top-level folder the archive unpacks to.
    mirror_env : str
        Environment variable naming a base URL that replaces ``urls``.
    """

    filename: str
    urls: tuple[str, ...]
    checksums: tuple[str, ...]
    size: int | None
    kind: str
    extracts_to: str
    mirror_env: str

    def download_urls(self) -> tuple[str, ...]:
        """``urls``, or ``<$mirror_env>/<filename>`` alone when the mirror variable is set."""
        base = os.environ.get(self.mirror_env, "").strip()
        if base:
            return (f"{base.rstrip('/')}/{self.filename}",)
        return self.urls


@dataclass(frozen=True)
class RemoteDataset:
    """A dataset ``fetch`` knows: its archives, where they go and how to load the result.

    Attributes
    ----------
    name : str
        Name passed to :func:`fetch` (``'fma-small'``).
    archives : tuple of Archive
        Downloaded and unpacked side by side into one folder.
    folder : str
        Default folder under ``paths.raw_dir()``.
    source : str or None
        Loader prefix: the data source is ``f'{source}:{folder}'``. None when the download is not
        a loadable dataset by itself (FMA's metadata alone).
    terms : str
        Licence and terms of use, in one line.
    notes : tuple of str
        What else a user should know before using it.
    """

    name: str
    archives: tuple[Archive, ...]
    folder: str
    source: str | None
    terms: str
    notes: tuple[str, ...] = ()

    @property
    def size(self) -> int | None:
        """Total approximate download size in bytes, None if any archive's size is unknown."""
        sizes = [a.size for a in self.archives]
        return None if None in sizes else sum(sizes)

    @property
    def verified(self) -> bool:
        """True if every archive has a published checksum."""
        return all(a.checksums for a in self.archives)


# FMA: URLs, SHA-1 and sizes from the README of github.com/mdeff/fma (rc1 release, 2017-05-09).
_FMA_BASE = "https://os.unil.cloud.switch.ch/fma"
_FMA_TERMS = (
    "metadata: CC BY 4.0; audio: each track under the Creative Commons licence its artist chose "
    "(see tracks.csv 'license'); meant for research; cite Defferrard et al., ISMIR 2017"
)


def _fma(subset: str, sha1: str, size: int) -> Archive:
    return Archive(
        filename=f"fma_{subset}.zip",
        urls=(f"{_FMA_BASE}/fma_{subset}.zip",),
        checksums=(f"sha1:{sha1}",),
        size=size,
        kind="zip",
        extracts_to=f"fma_{subset}",
        mirror_env="GENREKIT_FMA_MIRROR",
    )


_FMA_METADATA = _fma("metadata", "f0df49ffe5f2a6008d7dc83c6915b31835dfe733", 342 * 2**20)
_FMA_SMALL = _fma("small", "ade154f733639d52e35e32f5593efe5be76c6d70", int(7.2 * _GIB))
_FMA_MEDIUM = _fma("medium", "c67b69ea232021025fca9231fc1c7c1a063ab50b", 22 * _GIB)
_FMA_LARGE = _fma("large", "497109f4dd721066b5ce5e5f250ec604dc78939e", 93 * _GIB)

# GTZAN: the original host (opihi.cs.uvic.ca) no longer answers in practice. The Hugging Face
# dataset marsyas/gtzan holds the same tarball as data/genres.tar.gz (1.23 GB, genres/<g>/*.wav);
# its SHA-256 is the Git LFS object id shown on the file's Hugging Face page. The MD5 is the one
# mirdata and torchaudio publish for the original opihi tarball; whether the two copies are
# byte-identical is not known, so either is accepted (a hand-placed original copy verifies too).
_GTZAN = Archive(
    filename="genres.tar.gz",
    urls=("https://huggingface.co/datasets/marsyas/gtzan/resolve/main/data/genres.tar.gz",),
    checksums=(
        "sha256:b28cc067ff6199bd826f5d1a6931458586d64acae7f44b2e882b7a97af057531",
        "md5:5b3d6dddb579ab49814ab86dba69e7c7",
    ),
    size=1_230_000_000,
    kind="tar.gz",
    extracts_to="genres",
    mirror_env="GENREKIT_GTZAN_MIRROR",
)

def _fma_dataset(name: str, archives: tuple[Archive, ...], source: str | None, contents: str) -> RemoteDataset:
    return RemoteDataset(name=name, archives=archives, folder="fma", source=source, terms=_FMA_TERMS, notes=(contents,))


#: Every dataset :func:`fetch` knows, by name.
DATASETS: dict[str, RemoteDataset] = {
    d.name: d
    for d in (
        _fma_dataset("fma-metadata", (_FMA_METADATA,), None,
                     "tracks.csv, genres.csv, features.csv, echonest.csv for all 106,574 tracks"),
        _fma_dataset("fma-small", (_FMA_METADATA, _FMA_SMALL), "fma-small", "8,000 30-s clips, 8 balanced genres"),
        _fma_dataset("fma-medium", (_FMA_METADATA, _FMA_MEDIUM), "fma-medium", "25,000 30-s clips, 16 unbalanced genres"),
        _fma_dataset("fma-large", (_FMA_METADATA, _FMA_LARGE), "fma-large", "106,574 30-s clips, 161 unbalanced genres"),
        RemoteDataset(
            name="gtzan",
            archives=(_GTZAN,),
            folder="gtzan",
            source="gtzan",
            terms="no licence: copyrighted recordings collected in 2000-2001 without permission; "
            "research use only, at your own responsibility; cite Tzanetakis & Cook, 2002",
            notes=(
                "1,000 30-s clips (22,050 Hz mono wav in genres/<genre>/), 10 genres",
                "jazz.00054 is corrupt in common copies: the loader reports it and skips it",
                (
                    "the clips have known faults (repeats, mislabelings, distortions; Sturm 2013): "
                    "prefer the fault-filtered or an artist-aware split"
                ),
                (
                    "original URL http://opihi.cs.uvic.ca/sound/genres.tar.gz is offline in practice; "
                    "the Kaggle copy needs a login: unzip it yourself and use gtzan:PATH"
                ),
            ),
        ),
    )
}


def get_dataset(name: str) -> RemoteDataset:
    """The registry entry for ``name``.

    Raises
    ------
    ConfigError
        For an unknown name.
    """
    try:
        return DATASETS[name]
    except KeyError:
        raise ConfigError(f"unknown dataset {name!r} to fetch; choose one of: {', '.join(DATASETS)}") from None


def data_source(name: str, folder: str | Path) -> str | None:
    """The ``--data`` source for a fetched dataset, e.g. ``'fma-small:/data/raw/fma'`` (None for fma-metadata)."""
    dataset = get_dataset(name)
    return None if dataset.source is None else f"{dataset.source}:{folder}"


def default_folder(name: str) -> Path:
    """Where :func:`fetch` puts ``name`` without ``dest``: ``paths.raw_dir()/<folder>``."""
    return paths.raw_dir() / get_dataset(name).folder


def is_fetched(name: str, *, dest: str | Path | None = None) -> bool:
    """True if every archive of ``name`` was unpacked completely by :func:`fetch` (markers present)."""
    dataset = get_dataset(name)
    root = Path(dest).expanduser() if dest is not None else default_folder(name)
    return all((root / a.extracts_to / MARKER).is_file() for a in dataset.archives)


def fetch(
    name: str,
    *,
    dest: str | Path | None = None,
    progress: bool = True,
    force: bool = False,
    keep_archive: bool = False,
) -> Path:
    """Download, verify and unpack a dataset; return the folder its loader takes.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS`: ``'fma-small'``, ``'fma-medium'``, ``'fma-large'``,
        ``'fma-metadata'`` or ``'gtzan'``.
    dest : str or Path or None
        The dataset folder (it will hold ``fma_metadata/`` and ``fma_small/``, or ``genres/``).
        Default: ``paths.raw_dir()/'fma'`` or ``paths.raw_dir()/'gtzan'``.
    progress : bool
        Show progress bars (bytes downloaded, bytes verified, files unpacked) and status lines.
    force : bool
        Unpack again even where a complete folder exists, replacing it. An archive already on disk
        is re-used when it verifies and downloaded again when it does not.
    keep_archive : bool
        Keep downloaded archives after unpacking (default: delete them). Archives that were
        already there before the call (placed by hand) are never deleted.

    Returns
    -------
    Path
        The dataset folder; load it with ``load_dataset(data_source(name, folder))``.

    Raises
    ------
    ConfigError
        For an unknown ``name``.
    DatasetError
        When no URL gives a verified archive (HTTP error, connection refused, checksum mismatch),
        the disk is too small, the archive is corrupt or unsafe, or a file cannot be written. The
        message names the dataset, the URL or file and what to do.

    Notes
    -----
    An archive whose dataset publishes no checksum is used unverified, with a note on stderr;
    the marker records ``"verified": false`` and the SHA-256 computed.
    """
    dataset = get_dataset(name)
    root = Path(dest).expanduser().absolute() if dest is not None else default_folder(name)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetError(f"{name}: cannot create {root}: {exc}") from None

    pending = [a for a in dataset.archives if force or not _already_unpacked(dataset, a, root)]
    if not pending:
        _say(progress, f"{name}: already fetched in {root}")
        return root
    _check_disk_space(dataset, pending, root)
    for archive in pending:
        _fetch_archive(dataset, archive, root, progress=progress, force=force, keep_archive=keep_archive)
    _say(progress, f"{name}: ready in {root}")
    return root


def _say(progress: bool, message: str) -> None:
    if progress:
        print(message, file=sys.stderr)


def _note(message: str) -> None:
    """Always shown: things a user must know even with progress off."""
    print(f"note: {message}", file=sys.stderr)


def _already_unpacked(dataset: RemoteDataset, archive: Archive, root: Path) -> bool:
    target = root / archive.extracts_to
    if (target / MARKER).is_file():
        return True
    if target.is_dir():
        # unpacked by hand (fetch never leaves a folder without its marker): use it, don't clobber it
        _note(f"{dataset.name}: using {target}, which was not unpacked by genrekit and was not verified; "
              f"pass force=True (--force) to replace it with a verified copy")
        return True
    return False


def _check_disk_space(dataset: RemoteDataset, archives: list[Archive], root: Path) -> None:
    """Refuse to start when the known sizes cannot fit: the download plus as much again unpacked."""
    need = 0
    for archive in archives:
        if archive.size is None:
            continue
        on_disk = _size_on_disk(root / archive.filename) or _size_on_disk(_part_path(root, archive))
        # audio archives barely compress, so unpacking takes about the archive's size again
        need += max(archive.size - on_disk, 0) + archive.size
    _require_space(root, need, f"{dataset.name} ({', '.join(a.filename for a in archives)})")


def _require_space(root: Path, need: int, what: str) -> None:
    free = shutil.disk_usage(root).free
    if need > free:
        raise DatasetError(
            f"{what}: about {_human(need)} needed in {root} (download and unpacked files), "
            f"only {_human(free)} free; free some space or pass another folder (--dest)"
        )


def _size_on_disk(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def _part_path(root: Path, archive: Archive) -> Path:
    return root / f"{archive.filename}.part"


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


# One archive ------------------------------------------------------------------------------------

def _fetch_archive(dataset: RemoteDataset, archive: Archive, root: Path, *, progress: bool, force: bool, keep_archive: bool) -> None:
    path = root / archive.filename
    placed = path.is_file()
    url: str | None = None
    if placed:
        _say(progress, f"{dataset.name}: verifying {path}")
        digests = _file_digests(path, archive, progress=progress)
        problem = _checksum_problem(archive, digests)
        if problem is not None and not force:
            raise DatasetError(
                f"{dataset.name}: {path}: {problem}. It is not the published archive (or is damaged): "
                f"delete it and run again to download it, or run with --force to replace it"
            )
        if problem is not None:
            _say(progress, f"{dataset.name}: {path}: {problem}; downloading it again")
            path.unlink()
            placed = False
    if not placed:
        url, digests = _download(dataset, archive, path, progress=progress)

    verified = bool(archive.checksums)
    if not verified:
        _note(f"{dataset.name}: {archive.filename} was NOT verified: no checksum is published for it "
              f"(its sha256 is {digests['sha256']}, recorded in {archive.extracts_to}/{MARKER})")
    record = {
        "dataset": dataset.name,
        "archive": archive.filename,
        "url": url,
        "from": "download" if url else "file already present",
        "checksum": _matched_checksum(archive, digests) or f"sha256:{digests['sha256']}",
        "verified": verified,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "genrekit": __version__,
    }
    _unpack(dataset, archive, path, root, record, progress=progress)
    if url is not None and not keep_archive:
        path.unlink()


def _hashers(archive: Archive) -> dict:
    """One hasher per algorithm the checksums use, plus sha256 for the marker."""
    names = {c.split(":", 1)[0] for c in archive.checksums} | {"sha256"}
    return {n: hashlib.new(n) for n in _ALGORITHMS if n in names}


def _checksum_problem(archive: Archive, digests: dict[str, str]) -> str | None:
    """None if the digests match a published checksum (or none is published), else what is wrong."""
    if not archive.checksums or _matched_checksum(archive, digests):
        return None
    expected = " or ".join(archive.checksums)
    got = ", ".join(f"{a}:{d}" for a, d in digests.items())
    return f"checksum mismatch (expected {expected}; got {got})"


def _matched_checksum(archive: Archive, digests: dict[str, str]) -> str | None:
    for checksum in archive.checksums:
        algorithm, _, value = checksum.partition(":")
        if digests.get(algorithm) == value.lower():
            return checksum
    return None


def _file_digests(path: Path, archive: Archive, *, progress: bool) -> dict[str, str]:
    hashers = _hashers(archive)
    _hash_file(path, hashers, progress=progress, desc=f"verifying {path.name}")
    return {n: h.hexdigest() for n, h in hashers.items()}


def _hash_file(path: Path, hashers: dict, *, progress: bool, desc: str) -> None:
    size = path.stat().st_size
    with open(path, "rb") as f, _bytes_bar(size, desc, progress) as bar:
        while chunk := f.read(_CHUNK):
            for h in hashers.values():
                h.update(chunk)
            bar.update(len(chunk))


def _bytes_bar(total: int | None, desc: str, progress: bool, initial: int = 0) -> tqdm:
    return tqdm(total=total, initial=initial, desc=desc, unit="B", unit_scale=True, unit_divisor=1024,
                disable=not progress, leave=False)


# Download ---------------------------------------------------------------------------------------

class _UrlFailed(Exception):
    """This URL did not give the archive; the next mirror may."""


def _download(dataset: RemoteDataset, archive: Archive, path: Path, *, progress: bool) -> tuple[str, dict[str, str]]:
    """Download ``archive`` to ``path`` from the first URL that gives a verified file."""
    part = _part_path(path.parent, archive)
    failures = []
    for url in archive.download_urls():
        _say(progress, f"{dataset.name}: downloading {url}")
        try:
            digests = _download_from(url, part, archive, label=dataset.name, progress=progress)
        except _UrlFailed as exc:
            failures.append(f"{url}: {exc}")
            continue
        except OSError as exc:  # writing the .part file, not the network
            raise DatasetError(f"{dataset.name}: cannot write {part}: {exc}") from None
        problem = _checksum_problem(archive, digests)
        if problem is not None:
            # a complete file with the wrong bytes cannot be resumed: start over next time
            part.unlink()
            failures.append(f"{url}: {problem}; the download was deleted")
            continue
        os.replace(part, path)
        return url, digests

    kept = f" The partial download {part} is kept; the next run resumes it." if part.is_file() else ""
    hint = f" {archive.mirror_env} is set and replaces the built-in URLs." if os.environ.get(archive.mirror_env, "").strip() else ""
    raise DatasetError(
        f"{dataset.name}: could not download {archive.filename}:\n  " + "\n  ".join(failures) + "\n"
        f"What to do: run again later; or download it by hand to {path} and run again (it is "
        f"verified and unpacked without network); or set {archive.mirror_env} to a mirror's base URL."
        f"{kept}{hint}"
    )


def _download_from(url: str, part: Path, archive: Archive, *, label: str, progress: bool) -> dict[str, str]:
    """Download ``url`` into ``part``, resuming what is there; return the digests of the whole file.

    Raises _UrlFailed for anything the server or the network did, OSError for local write errors.
    """
    hashers = _hashers(archive)
    have = _size_on_disk(part)
    if have:
        # hash what an earlier run left, once, so the checksum is ready when the last byte lands
        _hash_file(part, hashers, progress=progress, desc=f"checking partial {archive.filename}")
    resumes = 0
    restarted_after_416 = False
    bar = None  # made at the first answer, so a failed connection prints no empty bar
    try:
        while True:
            headers = {"User-Agent": _USER_AGENT}
            if have:
                headers["Range"] = f"bytes={have}-"
            try:
                response = urlopen(Request(url, headers=headers), timeout=_TIMEOUT_S)
            except HTTPError as exc:
                if exc.code == 416 and have and not restarted_after_416:
                    # the .part is not a prefix of this file (complete or from another version)
                    restarted_after_416 = True
                    part.unlink()
                    have, hashers = 0, _hashers(archive)
                    continue
                raise _UrlFailed(f"HTTP {exc.code} {exc.reason}") from None
            except (URLError, OSError, http.client.HTTPException) as exc:
                raise _UrlFailed(_reason(exc)) from None
            except ValueError as exc:  # 'unknown url type': a mirror variable without a scheme
                raise _UrlFailed(f"not a usable URL ({exc})") from None

            with response:
                status = getattr(response, "status", None)
                length = response.headers.get("Content-Length")
                length = int(length) if length and length.isdigit() else None
                if have and status == 206:
                    start = _content_range_start(response.headers.get("Content-Range"))
                    if start != have:
                        raise _UrlFailed(f"asked for bytes from {have}, the server sent from {start}")
                    mode = "ab"
                else:
                    # no Range asked, or the server ignored it: start from zero
                    if have:
                        _say(progress, f"{archive.filename}: the server does not resume downloads; starting again")
                    have, hashers, mode = 0, _hashers(archive), "wb"
                total = have + length if length is not None else None
                if resumes == 0 and total is not None:
                    _require_space(part.parent, (total - have) + total, f"{label}: {archive.filename}")
                if bar is None:
                    bar = _bytes_bar(total, archive.filename, progress)
                bar.reset(total=total)
                bar.update(have)

                got, lost = 0, None
                with open(part, mode) as f:
                    while True:
                        try:
                            chunk = response.read(_CHUNK)
                        except (OSError, http.client.HTTPException) as exc:
                            lost = exc
                            break
                        if not chunk:
                            break
                        f.write(chunk)
                        for h in hashers.values():
                            h.update(chunk)
                        got += len(chunk)
                        bar.update(len(chunk))
                have += got
                # http.client returns b'' when the peer closes early; only Content-Length tells
                if lost is None and length is not None and got < length:
                    lost = ConnectionError(f"connection closed after {got:,} of {length:,} bytes")
            if lost is None:
                return {n: h.hexdigest() for n, h in hashers.items()}
            if got == 0 or resumes >= _MAX_RESUMES:
                raise _UrlFailed(f"connection lost after {have:,} bytes ({_reason(lost)})")
            resumes += 1
            _say(progress, f"{archive.filename}: connection lost after {have:,} bytes; resuming")
    finally:
        if bar is not None:
            bar.close()


def _content_range_start(value: str | None) -> int | None:
    """'bytes 100-199/200' -> 100."""
    if not value or not value.startswith("bytes "):
        return None
    first = value[len("bytes "):].split("-", 1)[0]
    return int(first) if first.isdigit() else None


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason if reason is not None else exc) or type(exc).__name__


# Unpack -----------------------------------------------------------------------------------------

def _unpack(dataset: RemoteDataset, archive: Archive, path: Path, root: Path, record: dict, *, progress: bool) -> None:
    """Unpack into a hidden temporary folder, add the marker, then rename into place."""
    target = root / archive.extracts_to
    for stale in root.glob(f".{archive.extracts_to}.*{_TMP_SUFFIX}"):
        shutil.rmtree(stale, ignore_errors=True)  # left by an interrupted run
    tmp = Path(tempfile.mkdtemp(prefix=f".{archive.extracts_to}.", suffix=_TMP_SUFFIX, dir=root))
    try:
        _say(progress, f"{dataset.name}: unpacking {path.name}")
        try:
            if archive.kind == "zip":
                _extract_zip(path, tmp, progress=progress)
            elif archive.kind == "tar.gz":
                _extract_tar(path, tmp, progress=progress)
            else:
                raise ConfigError(f"{archive.filename}: unknown archive kind {archive.kind!r}")
        except _UnsafeMember as exc:
            raise DatasetError(f"{dataset.name}: {path}: refused to unpack: {exc}; nothing was unpacked") from None
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise DatasetError(
                f"{dataset.name}: {path} is corrupt or truncated ({exc}); delete it and run again"
            ) from None
        except OSError as exc:
            raise DatasetError(f"{dataset.name}: unpacking {path} into {root} failed: {exc}") from None

        unpacked = tmp / archive.extracts_to
        if not unpacked.is_dir():
            found = sorted(p.name for p in tmp.iterdir())[:5]
            raise DatasetError(
                f"{dataset.name}: {path} does not unpack to {archive.extracts_to}/ (found {found}); "
                f"is it the right archive?"
            )
        (unpacked / MARKER).write_text(json.dumps(record, indent=2) + "\n")
        if target.exists() or target.is_symlink():
            old = tmp / f"old-{archive.extracts_to}"
            os.replace(target, old)  # removed with tmp below
        os.replace(unpacked, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class _UnsafeMember(Exception):
    """An archive member that would land outside the folder, or is not a file/folder/link."""


def _member_path(name: str) -> PurePosixPath:
    """The member's relative path, or _UnsafeMember for absolute paths and '..' components."""
    posix = name.replace("\\", "/")
    if posix.startswith("/") or (len(posix) >= 2 and posix[1] == ":"):
        raise _UnsafeMember(f"member {name!r} has an absolute path")
    parts = [p for p in posix.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise _UnsafeMember(f"member {name!r} has a '..' component (path traversal)")
    return PurePosixPath(*parts)


def _check_link(name: str, target: str, *, hard: bool) -> None:
    """A link must stay inside the folder: relative to its own folder (symlink) or the root (hard link)."""
    posix = target.replace("\\", "/")
    if posix.startswith("/") or (len(posix) >= 2 and posix[1] == ":"):
        raise _UnsafeMember(f"link {name!r} points to an absolute path {target!r}")
    base = [] if hard else list(_member_path(name).parent.parts)
    depth = len(base)
    for part in posix.split("/"):
        if part in ("", "."):
            continue
        depth = depth - 1 if part == ".." else depth + 1
        if depth < 0:
            raise _UnsafeMember(f"link {name!r} points outside the folder ({target!r})")


def _extract_zip(path: Path, out: Path, *, progress: bool) -> None:
    with zipfile.ZipFile(path) as zf:
        members = zf.infolist()
        for info in members:  # check all before writing anything
            _member_path(info.filename)
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                # zipfile would write the link target as a file; no dataset archive uses links
                raise _UnsafeMember(f"member {info.filename!r} is a symbolic link")
        for info in tqdm(members, desc=f"unpacking {path.name}", unit="file", disable=not progress, leave=False):
            zf.extract(info, out)


def _extract_tar(path: Path, out: Path, *, progress: bool) -> None:
    # Python's 'data' filter re-checks each member against the real folder (links through links)
    extract_filter = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
    with tarfile.open(path, "r:gz") as tar, tqdm(desc=f"unpacking {path.name}", unit="file", disable=not progress, leave=False) as bar:
        # one streaming pass: a bad member found late only spoils the temporary folder
        for member in tar:
            _member_path(member.name)
            if member.issym():
                _check_link(member.name, member.linkname, hard=False)
            elif member.islnk():
                _member_path(member.linkname)
                _check_link(member.name, member.linkname, hard=True)
            elif not (member.isfile() or member.isdir()):
                raise _UnsafeMember(f"member {member.name!r} is a device or pipe")
            try:
                tar.extract(member, out, **extract_filter)
            except tarfile.FilterError as exc:
                raise _UnsafeMember(str(exc)) from None
            bar.update()
