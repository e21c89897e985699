"""`fastntk data fetch` against a local HTTP server: good files, a wrong checksum, a
truncated download, an absent cache, and the cache read by --data mnist."""
import functools
import hashlib
import http.server
import os
import threading

import numpy as np
import pytest
from test_datasets import fake_mnist

from fastntk import cli, datasets, fetch

FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz"]


class _Handler(http.server.SimpleHTTPRequestHandler):
    truncate: set = set()

    def log_message(self, *args):
        pass

    def do_GET(self):
        name = self.path.strip("/")
        path = os.path.join(self.directory, name)
        if not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            data = f.read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        # A truncated transfer: the promised length, then the connection closes early.
        self.wfile.write(data[: len(data) // 2] if name in self.truncate else data)


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "served"
    fake_mnist(root, gz=True)
    handler = functools.partial(_Handler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Handler.truncate = set()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def published(server, monkeypatch):
    """The served files' checksums stand in for the published ones (no network here)."""
    root, _ = server
    table = {f: hashlib.sha256((root / f).read_bytes()).hexdigest() for f in FILES}
    monkeypatch.setitem(fetch.DATASETS, "mnist", dict(mirrors=("http://127.0.0.1:9/",), files=table))
    return table


def test_fetch_then_load_from_the_cache(server, published, tmp_path, monkeypatch, capsys):
    _, url = server
    cache = tmp_path / "cache"
    monkeypatch.setenv("FASTNTK_DATA", str(cache))
    with pytest.raises(datasets.DatasetError, match="fastntk data fetch mnist"):
        datasets.load("mnist", 2, 2)
    assert cli.main(["data", "fetch", "mnist", "--mirror", url]) == 0
    assert "--data mnist" in capsys.readouterr().out
    assert sorted(os.listdir(cache / "mnist")) == sorted(FILES)
    ds = datasets.load("mnist", 3, 2)
    assert ds.X.shape == (3, 784)
    again = datasets.load(f"mnist:{cache / 'mnist'}", 3, 2)
    np.testing.assert_array_equal(ds.X, again.X)
    # A second fetch keeps the verified files and downloads nothing.
    assert cli.main(["data", "fetch", "mnist", "--mirror", "http://127.0.0.1:9/"]) == 0
    assert "already in" in capsys.readouterr().out


def test_fetch_into_dir_and_default_cache(server, published, tmp_path, monkeypatch):
    _, url = server
    monkeypatch.delenv("FASTNTK_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert datasets.cache_dir() == str(tmp_path / "xdg" / "fastntk")
    assert fetch.fetch("mnist", str(tmp_path / "d"), url, log=lambda *_: None) == str(tmp_path / "d" / "mnist")
    assert datasets.cached_folder("mnist", str(tmp_path / "d")) == str(tmp_path / "d" / "mnist")


def test_wrong_checksum_is_rejected_and_nothing_left(server, published, tmp_path, monkeypatch, capsys):
    _, url = server
    monkeypatch.setitem(published, "t10k-labels-idx1-ubyte.gz", "0" * 64)
    assert cli.main(["data", "fetch", "mnist", "--dir", str(tmp_path / "c"), "--mirror", url]) == 1
    err = capsys.readouterr().err
    assert "checksum mismatch" in err and "t10k-labels" in err
    folder = tmp_path / "c" / "mnist"
    assert "t10k-labels-idx1-ubyte.gz" not in os.listdir(folder)
    assert not [f for f in os.listdir(folder) if f.startswith(".part-")]
    with pytest.raises(datasets.DatasetError, match="fastntk data fetch mnist"):
        datasets.cached_folder("mnist", str(tmp_path / "c"))


def test_truncated_download_is_rejected(server, published, tmp_path, capsys):
    _, url = server
    _Handler.truncate = {"train-images-idx3-ubyte.gz"}
    assert cli.main(["data", "fetch", "mnist", "--dir", str(tmp_path / "c"), "--mirror", url]) == 1
    err = capsys.readouterr().err
    assert "train-images" in err and ("truncated" in err or "cut short" in err)
    assert not any(f.startswith(".part-") or f == "train-images-idx3-ubyte.gz"
                   for f in os.listdir(tmp_path / "c" / "mnist"))


def test_unreachable_mirror_and_missing_file(server, published, tmp_path, capsys):
    assert cli.main(["data", "fetch", "mnist", "--dir", str(tmp_path / "c"),
                     "--mirror", server[1] + "nothing-here/"]) == 1
    assert "HTTP 404" in capsys.readouterr().err
    assert cli.main(["data", "fetch", "mnist", "--dir", str(tmp_path / "c"),
                     "--mirror", "http://127.0.0.1:9/"]) == 1
    assert "127.0.0.1:9" in capsys.readouterr().err


def test_published_checksums_are_well_formed():
    for spec in fetch.DATASETS.values():
        assert sorted(spec["files"]) == sorted(FILES)
        assert all(len(h) == 64 and int(h, 16) >= 0 for h in spec["files"].values())
