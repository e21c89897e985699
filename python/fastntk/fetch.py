"""Download MNIST and Fashion-MNIST once into a cache folder, verified by SHA-256.

``fastntk data fetch mnist|fashion [--dir DIR] [--mirror URL]`` fetches the
four standard IDX files (gzipped) and stores them under ``<cache>/<name>/``, where
``--data mnist`` and ``--data fashion`` then find them (datasets.cache_dir: ``--dir``,
else ``$FASTNTK_DATA``, else ``$XDG_CACHE_HOME/fastntk``, ``~/.cache/fastntk``). A file
is written under a temporary name, checked (length against the server's
Content-Length, then SHA-256) and only then renamed, so nothing half-written is
ever left where the loader looks.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request

from .datasets import CACHED, DatasetError, cache_dir

# The published SHA-256 of each file (the same bytes on every mirror).
DATASETS = {
    "mnist": dict(
        mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        files={
            "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        }),
    "fashion": dict(
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                 "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
        files={
            "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        }),
}


class FetchError(DatasetError):
    """A download failed, was cut short, or did not match its checksum."""


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _download(url: str, dest: str, expected_sha: str, timeout: float) -> None:
    folder = os.path.dirname(dest)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-", suffix=os.path.basename(dest))
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp:
                    length = resp.headers.get("Content-Length")
                    got = 0
                    while True:
                        try:
                            block = resp.read(1 << 20)
                        except Exception as e:  # http.client.IncompleteRead and socket errors
                            raise FetchError(f"{url}: download cut short after {got} bytes ({e})") from None
                        if not block:
                            break
                        out.write(block)
                        got += len(block)
            except urllib.error.HTTPError as e:
                raise FetchError(f"{url}: HTTP {e.code} {e.reason}") from None
            except urllib.error.URLError as e:
                raise FetchError(f"{url}: {getattr(e, 'reason', e)}") from None
            except OSError as e:
                raise FetchError(f"{url}: {e}") from None
        if length is not None and got != int(length):
            raise FetchError(f"{url}: truncated download, {got} of {length} bytes; nothing was stored")
        actual = sha256(tmp)
        if actual != expected_sha:
            raise FetchError(f"{url}: checksum mismatch (SHA-256 {actual}, expected {expected_sha}); "
                             "the file is corrupt or not the published one; nothing was stored")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def fetch(name: str, directory: str | None = None, mirror: str | None = None, *, timeout: float = 60.0,
          log=print) -> str:
    """Fetch dataset ``name`` ("mnist" or "fashion", the names ``--data`` takes) into the
    cache (folders mnist/ and fashion-mnist/); returns its
    folder. Files already there with the right checksum are kept; each mirror is
    tried in turn (``mirror``: a base URL holding the files under their standard names)."""
    if name not in DATASETS:
        raise FetchError(f"name: expected one of {sorted(DATASETS)}, got {name!r}")
    spec = DATASETS[name]
    folder = os.path.join(cache_dir(directory), CACHED[name])
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise FetchError(f"--dir {folder}: cannot create ({e.strerror})") from None
    mirrors = [mirror] if mirror else list(spec["mirrors"])
    for fname, expected in spec["files"].items():
        dest = os.path.join(folder, fname)
        if os.path.isfile(dest) and sha256(dest) == expected:
            log(f"{fname}: already in {folder}, checksum ok")
            continue
        errors = []
        for base in mirrors:
            url = base.rstrip("/") + "/" + fname
            try:
                _download(url, dest, expected, timeout)
            except FetchError as e:
                errors.append(str(e))
                continue
            log(f"{fname}: fetched from {url}, SHA-256 ok")
            break
        else:
            raise FetchError("; ".join(errors))
    return folder
