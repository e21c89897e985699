"""Datasets, with inputs scaled into the unit ball as the theory assumes (docs/design.md §5).

Every loader returns ``Dataset(X, Y, X_test, Y_test, name)``: X (N, d) and
X_test (N_T, d) in float64 with ‖x‖ = 1 (``normalize="sphere"``, the default) or
‖x‖ ≤ 1 (``"ball"``: all divided by the largest norm), or unscaled (``None``);
Y, Y_test (N,) float64. Binary tasks use labels {0, 1} like the papers. Nothing
is downloaded here: MNIST and Fashion-MNIST load from files the user names, or from
the cache that ``fastntk data fetch`` (fastntk.fetch) fills.
"""
from __future__ import annotations

import gzip
import math
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

from ._validate import UsageError, integer, to_host_matrix


class DatasetError(ValueError):
    """A data file or request that cannot be served (missing, corrupt, wrong shape)."""


class DataSpecError(DatasetError, UsageError):
    """A data spec wrong as written (an unknown name, an argument where none is taken)."""


@dataclass
class Dataset:
    X: np.ndarray
    Y: np.ndarray
    X_test: np.ndarray
    Y_test: np.ndarray
    name: str

    @property
    def d(self) -> int:
        return self.X.shape[1]


def scale_inputs(X, normalize="sphere", reference=None):
    """X (N, d) real and finite, as float64, scaled onto the unit sphere (each row to norm
    1), into the unit ball (by the largest row norm of ``reference``, default X) or not
    at all (None)."""
    X = to_host_matrix(X, "X", np.float64)
    if reference is not None:
        reference = to_host_matrix(reference, "reference", np.float64, X.shape[1])
    if normalize is None:
        return X
    if normalize == "sphere":
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        if np.any(norms == 0):
            raise DatasetError("X: an all-zero input cannot be scaled to the unit sphere; use normalize='ball'")
        return X / norms
    if normalize == "ball":
        ref = np.linalg.norm(X if reference is None else reference, axis=1).max()
        return X / ref if ref > 0 else X
    raise ValueError(f"normalize: expected 'sphere', 'ball' or None, got {normalize!r}")


def _classes(classes) -> tuple:
    """Two or more distinct class labels (integers)."""
    try:
        out = tuple(int(c) for c in classes)
    except (TypeError, ValueError):
        raise TypeError(f"classes: expected two or more class labels (integers), got {classes!r}") from None
    if len(out) < 2 or len(set(out)) != len(out):
        raise ValueError(f"classes: expected two or more distinct class labels, got {classes!r}")
    return out


def _class_index(y, classes):
    """Which of ``classes`` each kept label is, as 0 … c − 1 (float64): {0, 1} for two."""
    out = np.zeros(y.shape, np.float64)
    for i, c in enumerate(classes):
        out[y == c] = i
    return out


def _describe_classes(name, classes):
    return f"{name} {classes[0]} vs {classes[1]}" if len(classes) == 2 else f"{name} {len(classes)} classes"


def _split_binary(X, y, classes, n_train, n_test, seed, normalize, name):
    keep = np.isin(y, classes)
    X, y = X[keep], _class_index(y[keep], classes)
    total = n_train + n_test
    if total > X.shape[0]:
        raise DatasetError(f"{name}: asked for {n_train} + {n_test} samples of classes {classes}, "
                           f"only {X.shape[0]} exist")
    idx = np.random.default_rng(seed).permutation(X.shape[0])[:total]
    X = X[idx].astype(np.float64)
    both = scale_inputs(X, normalize)
    return Dataset(both[:n_train], y[idx][:n_train], both[n_train:], y[idx][n_train:], name)


def _sizes(n_train, n_test, seed):
    """The sizes and seed every dataset takes, checked before anything is drawn."""
    return (integer(n_train, "n_train", 1, 10**9), integer(n_test, "n_test", 1, 10**9),
            integer(seed, "seed", 0, 2**64 - 1))


_DIGITS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "digits.csv.gz")


def digits(n_train: int = 100, n_test: int = 100, *, classes=(0, 1), seed: int = 0,
           normalize="sphere") -> Dataset:
    """The 8×8 handwritten digits (d = 64; UCI, shipped in fastntk/data as scikit-learn
    ships them), two classes, labels {0, 1}; a seeded random split (0 vs 1 has 360 images).
    More classes (``classes=range(10)``: all 1,797 images) give labels 0 … c − 1, the
    index of each image's class in ``classes``."""
    n_train, n_test, seed = _sizes(n_train, n_test, seed)
    classes = _classes(classes)
    table = np.loadtxt(_DIGITS, delimiter=",")  # the file scikit-learn's load_digits reads
    return _split_binary(table[:, :-1], table[:, -1].astype(int), classes, n_train, n_test, seed, normalize,
                         _describe_classes("digits", classes))


_IDX_FILES = {
    "train_images": ("train-images-idx3-ubyte", 2051),
    "train_labels": ("train-labels-idx1-ubyte", 2049),
    "test_images": ("t10k-images-idx3-ubyte", 2051),
    "test_labels": ("t10k-labels-idx1-ubyte", 2049),
}


def read_idx(path: str, magic: int) -> np.ndarray:
    """An IDX file (gzipped or not): checks the magic number and that the sizes fit."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as e:  # zlib.error: a corrupt deflate stream inside the .gz
        raise DatasetError(f"{path}: cannot read ({e})") from None
    if len(raw) < 8:
        raise DatasetError(f"{path}: truncated IDX file ({len(raw)} bytes)")
    got = struct.unpack(">I", raw[:4])[0]
    if got != magic:
        raise DatasetError(f"{path}: not an IDX file of the expected kind (magic {got}, expected {magic})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(f"{path}: truncated IDX header")
    shape = struct.unpack(">" + "I" * ndim, raw[4:header])
    size = math.prod(shape)  # Python integers: a corrupt header cannot overflow
    if len(raw) - header != size:
        raise DatasetError(f"{path}: expected {size} data bytes for shape {shape}, found {len(raw) - header}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


# --data NAME (without a path) → the cache folder ``fastntk data fetch`` fills.
CACHED = {"mnist": "mnist", "fashion": "fashion-mnist"}


def cache_dir(directory: str | None = None) -> str:
    """Where fetched datasets live: ``directory``, else $FASTNTK_DATA, else the user's
    cache directory ($XDG_CACHE_HOME or ~/.cache, then fastntk/)."""
    if directory:
        return directory
    if os.environ.get("FASTNTK_DATA"):
        return os.environ["FASTNTK_DATA"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "fastntk")


def cached_folder(name: str, directory: str | None = None) -> str:
    """The cache folder of a fetched dataset ("mnist" or "fashion"), or a DatasetError
    naming the fetch command when any of its four files is absent."""
    full = CACHED[name]
    folder = os.path.join(cache_dir(directory), full)
    missing = [stem + ".gz" for stem, _ in _IDX_FILES.values()
               if not os.path.isfile(os.path.join(folder, stem + ".gz"))]
    if missing:
        raise DatasetError(f"--data {name}: {full} is not in the cache {folder} (missing {', '.join(missing)}); "
                           f"run `fastntk data fetch {full}` first, or name a folder: --data {name}:PATH")
    return folder


def _find(folder, stem):
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        p = os.path.join(folder, name)
        if os.path.exists(p):
            return p
    raise DatasetError(f"{folder}: no {stem}[.gz] found (expected the four standard MNIST IDX files or mnist.npz)")


def load_mnist_arrays(path: str):
    """(x_train, y_train, x_test, y_test) from a folder of IDX files or an ``.npz``."""
    if not os.path.exists(path):
        raise DatasetError(f"{path}: no such file or directory")
    if os.path.isfile(path):
        if not path.endswith(".npz"):
            raise DatasetError(f"{path}: expected a folder of IDX files or an .npz file")
        try:
            # NumPy leaves its own handle open when the zip is damaged: we own the file instead.
            with open(path, "rb") as f, np.load(f) as z:
                arrays = [z[k] for k in ("x_train", "y_train", "x_test", "y_test")]
        except (KeyError, OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
            raise DatasetError(f"{path}: not an MNIST .npz with x_train, y_train, x_test, y_test ({e})") from None
    else:
        arrays = [read_idx(_find(path, stem), magic) for stem, magic in _IDX_FILES.values()]
    xtr, ytr, xte, yte = arrays
    for x, y, what in ((xtr, ytr, "train"), (xte, yte, "test")):
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise DatasetError(f"{path}: {what} images have shape {x.shape}, expected (n, 28, 28)")
        if y.ndim != 1 or y.shape[0] != x.shape[0]:
            raise DatasetError(f"{path}: {what} labels have shape {y.shape}, expected ({x.shape[0]},)")
    return xtr.reshape(len(xtr), -1), ytr, xte.reshape(len(xte), -1), yte


def mnist(path: str, n_train: int = 100, n_test: int = 100, *, classes=(0, 1), seed: int = 0,
          normalize="sphere", name: str = "MNIST") -> Dataset:
    """MNIST (or Fashion-MNIST: same format) two classes from the user's files: training
    samples from the training set, test samples from the test set, seeded. More classes
    (``classes=range(10)``) give labels 0 … c − 1, as :func:`digits`."""
    n_train, n_test, seed = _sizes(n_train, n_test, seed)
    classes = _classes(classes)
    xtr, ytr, xte, yte = load_mnist_arrays(path)
    rng = np.random.default_rng(seed)

    def pick(x, y, n, what):
        keep = np.flatnonzero(np.isin(y, classes))
        if n > keep.size:
            raise DatasetError(f"{path}: asked for {n} {what} samples of classes {classes}, only {keep.size} exist")
        idx = rng.choice(keep, size=n, replace=False)
        return x[idx].astype(np.float64), _class_index(y[idx], classes)

    X, Y = pick(xtr, ytr, n_train, "training")
    Xt, Yt = pick(xte, yte, n_test, "test")
    return Dataset(scale_inputs(X, normalize), Y, scale_inputs(Xt, normalize, reference=X), Yt,
                   _describe_classes(name, classes))


def gaussian_bump(n_train: int = 10, n_test: int = 300, *, seed: int = 0) -> Dataset:
    """Paper 002: f(x) = exp(−‖x‖²) on x ~ U([−1, 1]²); inputs divided by √2 into the unit ball
    (the target is of the unscaled x)."""
    n_train, n_test, seed = _sizes(n_train, n_test, seed)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n_train + n_test, 2))
    y = np.exp(-np.sum(X**2, axis=1))
    X = X / np.sqrt(2.0)
    return Dataset(X[:n_train], y[:n_train], X[n_train:], y[n_train:], "2-D Gaussian bump")


def sphere(n_train: int = 100, n_test: int = 100, *, d: int = 10, seed: int = 0) -> Dataset:
    """Points uniform on the unit sphere S^{d−1}, target sin(π⟨w, x⟩) for a seeded unit w."""
    n_train, n_test, seed = _sizes(n_train, n_test, seed)
    d = integer(d, "d", 1, 10**7)
    rng = np.random.default_rng(seed)
    X = scale_inputs(rng.standard_normal((n_train + n_test, d)))
    w = scale_inputs(rng.standard_normal((1, d)))[0]
    y = np.sin(np.pi * X @ w)
    return Dataset(X[:n_train], y[:n_train], X[n_train:], y[n_train:], f"sphere d={d}")


def gaussian_regression(n_train: int = 1000, n_test: int = 100, *, d: int = 1000, seed: int = 0,
                        normalize="sphere") -> Dataset:
    """Paper 004: x ~ U(−1, 1)^d, y ~ N(0, 1) independent of x (pure memorization)."""
    n_train, n_test, seed = _sizes(n_train, n_test, seed)
    d = integer(d, "d", 1, 10**7)
    rng = np.random.default_rng(seed)
    X = scale_inputs(rng.uniform(-1, 1, (n_train + n_test, d)), normalize)
    y = rng.standard_normal(n_train + n_test)
    return Dataset(X[:n_train], y[:n_train], X[n_train:], y[n_train:], f"Gaussian regression d={d}")


def classification(n_train: int = 9500, n_test: int = 500, *, d: int = 20, seed: int = 0) -> Dataset:
    """Paper 004 Sect. 4: scikit-learn's ``make_classification`` with its defaults (2 informative,
    2 redundant and d − 4 noise features, two classes of two clusters each, 1 % of the labels
    flipped), n_train + n_test samples drawn by ``seed``, labels {0, 1}; the inputs as drawn
    (not scaled: 004 states no scaling), the first n_train for training."""
    n_train, n_test, _ = _sizes(n_train, n_test, 0)
    seed = integer(seed, "seed", 0, 2**32 - 1)  # scikit-learn's random_state
    d = integer(d, "d", 5, 10**5)
    from ._optional import require
    make = require("sklearn.datasets", "the classification dataset (004 Sect. 4)").make_classification
    X, y = make(n_samples=n_train + n_test, n_features=d, random_state=seed)
    X, y = X.astype(np.float64), y.astype(np.float64)
    return Dataset(X[:n_train], y[:n_train], X[n_train:], y[n_train:], f"scikit-learn classification d={d}")


def _dimension(arg, default, spec):
    if not arg:
        return default
    if not arg.isdigit() or int(arg) < 1:
        raise DataSpecError(f"data spec {spec!r}: expected a dimension d >= 1 after ':', got {arg!r}")
    return int(arg)


def source_files(spec: str) -> dict[str, str]:
    """The files a data spec reads, {file name: path} ({} for generated data: bump,
    sphere, gaussian, classification, whose draws the seed fixes) — what a run's provenance hashes."""
    name, _, arg = spec.partition(":")
    if name == "digits":
        return {os.path.basename(_DIGITS): _DIGITS}
    if name in ("mnist", "fashion"):
        folder = arg or cached_folder(name)
        if not os.path.exists(folder):
            raise DatasetError(f"data spec {spec!r}: {folder}: no such file or directory")
        if os.path.isfile(folder):
            return {os.path.basename(folder): folder}
        files = [_find(folder, stem) for stem, _ in _IDX_FILES.values()]
        return {os.path.basename(f): f for f in files}
    return {}


def spec_name(spec: str) -> str:
    """A data spec without its path ("mnist:/data/mnist" → "mnist"): what results record,
    so that they name no folder of the machine that made them."""
    name, _, arg = spec.partition(":")
    return name if name in ("mnist", "fashion") else spec


def load(spec: str, n_train: int = 100, n_test: int = 100, *, seed: int = 0, classes=(0, 1)) -> Dataset:
    """A dataset by name: "digits" (default, bundled), "mnist:PATH", "fashion:PATH",
    "mnist" and "fashion" (from the cache ``fastntk data fetch`` fills), "bump",
    "sphere[:d]", "gaussian[:d]", "classification[:d]" (scikit-learn's, d ≥ 5)."""
    if not isinstance(spec, str):
        raise TypeError(f"data spec: expected a dataset name such as 'digits' or 'mnist:PATH', got {spec!r}")
    name, _, arg = spec.partition(":")
    if name in ("digits", "bump") and arg:
        raise DataSpecError(f"data spec {spec!r}: {name} takes no argument (no ':…')")
    if name == "digits":
        return digits(n_train, n_test, classes=classes, seed=seed)
    if name in ("mnist", "fashion"):
        try:
            return mnist(arg or cached_folder(name), n_train, n_test, classes=classes, seed=seed,
                         name="MNIST" if name == "mnist" else "Fashion-MNIST")
        except DatasetError as e:
            raise DatasetError(f"data spec {spec!r}: {e}") from None
    if name == "bump":
        return gaussian_bump(n_train, n_test, seed=seed)
    if name == "sphere":
        return sphere(n_train, n_test, d=_dimension(arg, 10, spec), seed=seed)
    if name == "gaussian":
        return gaussian_regression(n_train, n_test, d=_dimension(arg, 1000, spec), seed=seed)
    if name == "classification":
        return classification(n_train, n_test, d=_dimension(arg, 20, spec), seed=seed)
    raise DataSpecError(f"data spec {spec!r}: unknown dataset; expected digits, mnist[:PATH], fashion[:PATH], "
                       "bump, sphere[:d], gaussian[:d] or classification[:d]")
