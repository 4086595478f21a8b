"""Dataset downloads against a local HTTP server: resume, verification, safe unpacking, the offline route.

The fixture archives hold tiny trees in the real FMA and GTZAN layouts; the registry entries are
pointed at the local server (through the mirror variables) and given the fixtures' checksums.
"""

from __future__ import annotations

import hashlib
import io
import json
import socket
import tarfile
import threading
import zipfile
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from fixtures import fma_fixture_expected, make_fma_tree, make_gtzan_tree
from genrekit import paths
from genrekit.cli import main
from genrekit.data import download
from genrekit.data.datasets import SOURCE_PREFIXES, load_dataset
from genrekit.errors import DatasetError

FMA_README_SHA1 = {
    "fma_metadata.zip": "f0df49ffe5f2a6008d7dc83c6915b31835dfe733",
    "fma_small.zip": "ade154f733639d52e35e32f5593efe5be76c6d70",
    "fma_medium.zip": "c67b69ea232021025fca9231fc1c7c1a063ab50b",
    "fma_large.zip": "497109f4dd721066b5ce5e5f250ec604dc78939e",
}


# Fixture archives -------------------------------------------------------------------------------

def _zip_folder(root: Path, folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted((root / folder).rglob("*")):
            zf.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()


def _tar_gz(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> dict[str, bytes]:
    """fma_metadata.zip, fma_small.zip (FMA layout) and genres.tar.gz (GTZAN layout, with jazz.00054 corrupt)."""
    base = tmp_path_factory.mktemp("download-fixtures")
    fma = make_fma_tree(base / "fma", subset="small", seconds=0.3)
    gtzan = make_gtzan_tree(base / "gtzan", genres=("blues", "jazz", "rock"), per_genre=2, seconds=0.3)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(gtzan / "genres", arcname="genres")
    return {
        "fma_metadata.zip": _zip_folder(fma, "fma_metadata"),
        "fma_small.zip": _zip_folder(fma, "fma_small"),
        "genres.tar.gz": buffer.getvalue(),
    }


# Local server -----------------------------------------------------------------------------------

class _Server:
    """Serves ``files`` ({url path: bytes}) on 127.0.0.1 and logs every request.

    ``mode``: 'range' honours Range; 'ignore-range' always answers 200 with the whole file;
    'drop-once' sends half of the first response to each path, then closes the connection.
    """

    def __init__(self, files: dict[str, bytes], mode: str = "range"):
        self.files, self.mode = files, mode
        self.requests: list[tuple[str, str | None, str | None]] = []
        self.dropped: set[str] = set()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append((self.path, self.headers.get("Range"), self.headers.get("User-Agent")))
                data = server.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                wanted = self.headers.get("Range")
                if wanted and server.mode != "ignore-range":
                    start = int(wanted.removeprefix("bytes=").split("-")[0])
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.mode == "drop-once" and self.path not in server.dropped:
                    server.dropped.add(self.path)
                    self.wfile.write(body[: len(body) // 2])
                    return  # HTTP/1.0: the connection closes here, short of Content-Length
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(archives, monkeypatch):
    monkeypatch.setenv("no_proxy", "*")  # never route 127.0.0.1 through a configured proxy
    files = {"/fma/fma_metadata.zip": archives["fma_metadata.zip"], "/fma/fma_small.zip": archives["fma_small.zip"],
             "/gtzan/genres.tar.gz": archives["genres.tar.gz"]}
    srv = _Server(files)
    monkeypatch.setenv("GENREKIT_FMA_MIRROR", f"{srv.url}/fma")
    monkeypatch.setenv("GENREKIT_GTZAN_MIRROR", f"{srv.url}/gtzan")
    yield srv
    srv.close()


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _checksum(data: bytes, algorithm: str = "sha1") -> str:
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def use_fixture_checksums(monkeypatch, name: str, archives: dict[str, bytes], **changes) -> download.RemoteDataset:
    """Give ``name``'s registry entry the fixtures' checksums and sizes (plus any ``changes`` to every archive)."""
    dataset = download.DATASETS[name]
    patched = tuple(
        replace(a, **{"checksums": (_checksum(archives[a.filename]),), "size": len(archives[a.filename]), **changes})
        for a in dataset.archives
    )
    dataset = replace(dataset, archives=patched)
    monkeypatch.setitem(download.DATASETS, name, dataset)
    return dataset


def _loaded_fma(root: Path) -> dict[str, str]:
    index = load_dataset(f"fma-small:{root}", progress=False)
    return dict(zip(index.tracks["track_id"], index.tracks["genre"]))


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.endswith((".part", download._TMP_SUFFIX)))


# The registry ------------------------------------------------------------------------------------

def test_registry_holds_the_published_urls_and_checksums():
    fma = {a.filename: a for name in ("fma-small", "fma-medium", "fma-large") for a in download.DATASETS[name].archives}
    assert {f: a.checksums for f, a in fma.items()} == {f: (f"sha1:{s}",) for f, s in FMA_README_SHA1.items()}
    assert all(a.urls == (f"https://os.unil.cloud.switch.ch/fma/{f}",) for f, a in fma.items())
    gtzan = download.DATASETS["gtzan"]
    assert gtzan.archives[0].urls == ("https://huggingface.co/datasets/marsyas/gtzan/resolve/main/data/genres.tar.gz",)
    assert gtzan.archives[0].extracts_to == "genres" and any("jazz.00054" in n for n in gtzan.notes)
    for d in download.DATASETS.values():
        assert d.source is None or d.source in SOURCE_PREFIXES
        assert d.terms and all(a.kind in ("zip", "tar.gz") for a in d.archives)


def test_mirror_variable_replaces_the_builtin_urls(monkeypatch):
    archive = download.DATASETS["fma-small"].archives[1]
    monkeypatch.delenv("GENREKIT_FMA_MIRROR", raising=False)
    assert archive.download_urls() == archive.urls
    monkeypatch.setenv("GENREKIT_FMA_MIRROR", "http://proxy.example/fma/")
    assert archive.download_urls() == ("http://proxy.example/fma/fma_small.zip",)


# Downloads ---------------------------------------------------------------------------------------

def test_fetch_fma_downloads_verifies_unpacks_and_the_loader_reads_it(server, archives, monkeypatch):
    use_fixture_checksums(monkeypatch, "fma-small", archives)
    root = download.fetch("fma-small", progress=False)

    assert root == paths.raw_dir() / "fma"
    assert _loaded_fma(root) == fma_fixture_expected("small")
    marker = json.loads((root / "fma_small" / download.MARKER).read_text())
    assert marker["verified"] and marker["checksum"] == _checksum(archives["fma_small.zip"])
    assert marker["url"] == f"{server.url}/fma/fma_small.zip"
    assert not (root / "fma_small.zip").exists() and _leftovers(root) == []  # archives deleted by default
    assert all(agent.startswith("genrekit/") for _, _, agent in server.requests)
    assert download.data_source("fma-small", root) == f"fma-small:{root}"

    server.requests.clear()
    assert download.fetch("fma-small", progress=False) == root  # the markers make it a no-op
    assert server.requests == []
    assert download.is_fetched("fma-small")


def test_fetch_gtzan_tarball_loads_and_reports_the_corrupt_clip(server, archives, monkeypatch, tmp_path):
    use_fixture_checksums(monkeypatch, "gtzan", archives)
    root = download.fetch("gtzan", dest=tmp_path / "gtzan", progress=False)

    assert (root / "genres" / download.MARKER).is_file()
    index = load_dataset(download.data_source("gtzan", root), progress=False)
    assert sorted(index.tracks["track_id"]) == sorted(f"{g}.{n:05d}" for g in ("blues", "jazz", "rock") for n in range(2))
    assert [Path(p.path).name for p in index.problems] == ["jazz.00054.au"]


def test_a_dropped_connection_is_resumed_with_range(server, archives, monkeypatch, tmp_path):
    use_fixture_checksums(monkeypatch, "fma-small", archives)
    server.mode = "drop-once"
    root = download.fetch("fma-small", dest=tmp_path, progress=False)

    small = [r for p, r, _ in server.requests if p.endswith("fma_small.zip")]
    half = len(archives["fma_small.zip"]) // 2
    assert small == [None, f"bytes={half}-"]
    assert json.loads((root / "fma_small" / download.MARKER).read_text())["verified"]
    assert _loaded_fma(root) == fma_fixture_expected("small")


def test_a_partial_file_from_an_earlier_run_is_resumed(server, archives, monkeypatch, tmp_path):
    use_fixture_checksums(monkeypatch, "fma-small", archives)
    data = archives["fma_small.zip"]
    (tmp_path / "fma_small.zip.part").write_bytes(data[:1000])
    download.fetch("fma-small", dest=tmp_path, progress=False)

    assert [r for p, r, _ in server.requests if p.endswith("fma_small.zip")] == ["bytes=1000-"]
    assert _loaded_fma(tmp_path) == fma_fixture_expected("small")


def test_a_server_ignoring_range_gives_a_clean_restart(server, archives, monkeypatch, tmp_path):
    use_fixture_checksums(monkeypatch, "fma-small", archives)
    server.mode = "ignore-range"
    # garbage that appending to would corrupt, and that a restart must discard
    (tmp_path / "fma_small.zip.part").write_bytes(b"\0" * 5000)
    download.fetch("fma-small", dest=tmp_path, progress=False)

    assert [r for p, r, _ in server.requests if p.endswith("fma_small.zip")] == ["bytes=5000-"]
    assert _loaded_fma(tmp_path) == fma_fixture_expected("small")


def test_later_mirrors_are_tried_in_order(server, archives, monkeypatch, tmp_path):
    monkeypatch.delenv("GENREKIT_GTZAN_MIRROR")
    use_fixture_checksums(monkeypatch, "gtzan", archives,
                          urls=(f"{server.url}/missing/genres.tar.gz", f"{server.url}/gtzan/genres.tar.gz"))
    download.fetch("gtzan", dest=tmp_path, progress=False)
    assert [p for p, _, _ in server.requests] == ["/missing/genres.tar.gz", "/gtzan/genres.tar.gz"]
    assert (tmp_path / "genres" / download.MARKER).is_file()


# Failures ----------------------------------------------------------------------------------------

def test_checksum_mismatch_raises_and_unpacks_nothing(server, archives, monkeypatch, tmp_path):
    use_fixture_checksums(monkeypatch, "fma-small", archives)
    bad = replace(download.DATASETS["fma-small"].archives[1], checksums=("sha1:" + "0" * 40,))
    monkeypatch.setitem(download.DATASETS, "fma-small",
                        replace(download.DATASETS["fma-small"], archives=(download.DATASETS["fma-small"].archives[0], bad)))

    with pytest.raises(DatasetError, match="checksum mismatch") as err:
        download.fetch("fma-small", dest=tmp_path, progress=False)
    message = str(err.value)
    assert "fma-small" in message and f"{server.url}/fma/fma_small.zip" in message
    assert str(tmp_path / "fma_small.zip") in message  # the offline route is named
    assert not (tmp_path / "fma_small").exists() and not (tmp_path / "fma_small.zip").exists()
    assert _leftovers(tmp_path) == []
    assert (tmp_path / "fma_metadata" / download.MARKER).is_file()  # the good archive before it stays done


def test_http_404_and_connection_refused_name_the_url_and_the_way_out(server, archives, monkeypatch, tmp_path):
    use_fixture_checksums(monkeypatch, "gtzan", archives)
    monkeypatch.setenv("GENREKIT_GTZAN_MIRROR", f"{server.url}/nowhere")
    with pytest.raises(DatasetError, match="HTTP 404") as err:
        download.fetch("gtzan", dest=tmp_path, progress=False)
    assert f"{server.url}/nowhere/genres.tar.gz" in str(err.value) and "gtzan" in str(err.value)

    refused = _closed_port_url()
    monkeypatch.setenv("GENREKIT_GTZAN_MIRROR", refused)
    with pytest.raises(DatasetError, match="refused") as err:
        download.fetch("gtzan", dest=tmp_path, progress=False)
    assert f"{refused}/genres.tar.gz" in str(err.value)
    assert f"by hand to {tmp_path / 'genres.tar.gz'}" in str(err.value)
    assert not (tmp_path / "genres").exists()


def test_not_enough_disk_space_is_refused_before_any_request(server, archives, monkeypatch, tmp_path):
    use_fixture_checksums(monkeypatch, "fma-small", archives)
    monkeypatch.setattr(download.shutil, "disk_usage", lambda path: type("Usage", (), {"free": 100})())
    with pytest.raises(DatasetError, match="only 100 B free"):
        download.fetch("fma-small", dest=tmp_path, progress=False)
    assert server.requests == []


def _fetch_unsafe(monkeypatch, tmp_path, name: str, data: bytes, archives: dict[str, bytes]) -> None:
    filename = download.DATASETS[name].archives[-1].filename
    use_fixture_checksums(monkeypatch, name, {**archives, filename: data})
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / filename).write_bytes(data)
    with pytest.raises(DatasetError, match="refused to unpack"):
        download.fetch(name, dest=tmp_path / "data", progress=False)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "data" / "evil.txt").exists()
    assert not (tmp_path / "data" / download.DATASETS[name].archives[-1].extracts_to).exists()
    assert _leftovers(tmp_path / "data") == []


@pytest.mark.parametrize("member", ["fma_small/../../evil.txt", "/tmp/evil.txt"])
def test_zip_members_leaving_the_folder_are_refused(member, archives, monkeypatch, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("fma_small/000/000002.mp3", b"fine")
        zf.writestr(zipfile.ZipInfo(member), b"escaped")
    _fetch_unsafe(monkeypatch, tmp_path, "fma-metadata", buffer.getvalue(), archives)


def _tar_info(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


@pytest.mark.parametrize(
    "member",
    [
        (_tar_info("genres/../../evil.txt"), b"escaped"),
        (_tar_info("/evil.txt"), b"escaped"),
        (_tar_info("genres/jazz/evil", tarfile.SYMTYPE, "../../../evil.txt"), None),
        (_tar_info("genres/jazz/evil", tarfile.SYMTYPE, "/etc/passwd"), None),
    ],
    ids=["dotdot", "absolute", "symlink-outside", "symlink-absolute"],
)
def test_tar_members_leaving_the_folder_are_refused(member, archives, monkeypatch, tmp_path):
    data = _tar_gz([(_tar_info("genres/jazz/jazz.00000.au"), b"fine"), member])
    _fetch_unsafe(monkeypatch, tmp_path, "gtzan", data, archives)


def test_a_corrupt_archive_with_a_matching_checksum_is_reported(archives, monkeypatch, tmp_path):
    truncated = archives["fma_metadata.zip"][:-200]
    use_fixture_checksums(monkeypatch, "fma-metadata", {"fma_metadata.zip": truncated})
    (tmp_path / "fma_metadata.zip").write_bytes(truncated)
    with pytest.raises(DatasetError, match="corrupt or truncated"):
        download.fetch("fma-metadata", dest=tmp_path, progress=False)
    assert not (tmp_path / "fma_metadata").exists()


def test_an_interrupted_unpack_never_looks_complete(archives, monkeypatch, tmp_path):
    use_fixture_checksums(monkeypatch, "fma-small", archives)
    for name in ("fma_metadata.zip", "fma_small.zip"):
        (tmp_path / name).write_bytes(archives[name])
    calls = []
    real_extract = zipfile.ZipFile.extract

    def interrupted(self, member, path=None, pwd=None):
        calls.append(member)
        if len(calls) == 5:  # the two metadata files are done, fma_small is under way
            raise KeyboardInterrupt
        return real_extract(self, member, path, pwd)

    monkeypatch.setattr(zipfile.ZipFile, "extract", interrupted)
    with pytest.raises(KeyboardInterrupt):
        download.fetch("fma-small", dest=tmp_path, progress=False)
    assert (tmp_path / "fma_metadata" / download.MARKER).is_file()
    assert not (tmp_path / "fma_small").exists() and not download.is_fetched("fma-small", dest=tmp_path)
    assert _leftovers(tmp_path) == []
    # what a killed process (no finally) would leave behind: the next run clears it
    (tmp_path / f".fma_small.x1y2{download._TMP_SUFFIX}" / "fma_small").mkdir(parents=True)

    monkeypatch.setattr(zipfile.ZipFile, "extract", real_extract)
    download.fetch("fma-small", dest=tmp_path, progress=False)
    assert _loaded_fma(tmp_path) == fma_fixture_expected("small") and _leftovers(tmp_path) == []


# The offline route, force, keep ------------------------------------------------------------------

def test_archives_placed_by_hand_are_used_without_network(archives, monkeypatch, tmp_path):
    use_fixture_checksums(monkeypatch, "fma-small", archives)
    monkeypatch.setenv("GENREKIT_FMA_MIRROR", _closed_port_url())  # any request would fail
    for name in ("fma_metadata.zip", "fma_small.zip"):
        (tmp_path / name).write_bytes(archives[name])

    root = download.fetch("fma-small", dest=tmp_path, progress=False)
    assert _loaded_fma(root) == fma_fixture_expected("small")
    marker = json.loads((root / "fma_small" / download.MARKER).read_text())
    assert marker["url"] is None and marker["verified"]
    assert (tmp_path / "fma_small.zip").is_file()  # not ours to delete


def test_an_archive_placed_by_hand_that_does_not_verify_is_kept_and_reported(archives, monkeypatch, tmp_path):
    use_fixture_checksums(monkeypatch, "fma-metadata", archives)
    (tmp_path / "fma_metadata.zip").write_bytes(b"not the archive")
    with pytest.raises(DatasetError, match="checksum mismatch") as err:
        download.fetch("fma-metadata", dest=tmp_path, progress=False)
    assert "delete it" in str(err.value)
    assert (tmp_path / "fma_metadata.zip").read_bytes() == b"not the archive"


def test_keep_archive_then_force_unpacks_again_without_network(server, archives, monkeypatch, tmp_path):
    use_fixture_checksums(monkeypatch, "fma-small", archives)
    download.fetch("fma-small", dest=tmp_path, progress=False, keep_archive=True)
    assert (tmp_path / "fma_small.zip").is_file()
    (tmp_path / "fma_small" / "stray.txt").write_text("added later")

    server.requests.clear()
    download.fetch("fma-small", dest=tmp_path, progress=False, force=True)
    assert server.requests == []
    assert not (tmp_path / "fma_small" / "stray.txt").exists()  # replaced by a fresh copy
    assert _loaded_fma(tmp_path) == fma_fixture_expected("small")


def test_an_archive_without_a_published_checksum_is_used_with_a_note(server, archives, monkeypatch, tmp_path, capsys):
    use_fixture_checksums(monkeypatch, "gtzan", archives, checksums=())
    download.fetch("gtzan", dest=tmp_path, progress=False)
    assert "NOT verified" in capsys.readouterr().err
    marker = json.loads((tmp_path / "genres" / download.MARKER).read_text())
    assert marker["verified"] is False
    assert marker["checksum"] == _checksum(archives["genres.tar.gz"], "sha256")


# CLI ---------------------------------------------------------------------------------------------

def test_cli_fetch_prints_the_next_command(server, archives, monkeypatch, tmp_path, capsys):
    use_fixture_checksums(monkeypatch, "fma-small", archives)
    assert main(["data", "fetch", "fma-small", "--dest", str(tmp_path / "fma"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert f"genrekit run --data fma-small:{tmp_path / 'fma'}" in out

    assert main(["data", "fetch", "--list"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in download.DATASETS) and "CC BY 4.0" in listing

    assert main(["data", "fetch", "no-such-set"]) == 2
    assert "unknown dataset" in capsys.readouterr().err
