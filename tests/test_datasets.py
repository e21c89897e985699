"""Loaders: scaling into the unit ball, the bundled digits, MNIST files it writes itself."""
import gzip
import struct

import numpy as np
import pytest

from fastntk import datasets


def write_idx(path, array, magic, gz=False):
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", s) for s in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(data)


def fake_mnist(folder, n=40, gz=False, rng=np.random.default_rng(0)):
    folder.mkdir(exist_ok=True)
    suffix = ".gz" if gz else ""
    for split, count in (("train", n), ("t10k", n // 2)):
        x = rng.integers(0, 256, (count, 28, 28))
        y = np.arange(count) % 3
        write_idx(folder / f"{split}-images-idx3-ubyte{suffix}", x, 2051, gz)
        write_idx(folder / f"{split}-labels-idx1-ubyte{suffix}", y, 2049, gz)
    return folder


def test_digits_default():
    ds = datasets.digits()
    assert ds.X.shape == (100, 64) and ds.X_test.shape == (100, 64)
    np.testing.assert_allclose(np.linalg.norm(ds.X, axis=1), 1)
    assert set(np.unique(ds.Y)) == {0.0, 1.0}
    again = datasets.digits()
    np.testing.assert_array_equal(ds.X, again.X)
    with pytest.raises(datasets.DatasetError, match="only 360"):
        datasets.digits(300, 100)


def test_more_classes_give_their_index_as_label():
    """classes=range(10): labels 0 … 9; two classes stay {0, 1} with 1 the second (as before)."""
    table = np.loadtxt(datasets._DIGITS, delimiter=",")
    ds = datasets.digits(300, 200, classes=range(10))
    assert set(np.unique(ds.Y)) == set(range(10)) and ds.name == "digits 10 classes"
    three = datasets.digits(50, 20, classes=(7, 3, 5), normalize=None, seed=2)
    rows = {tuple(r[:-1]): int(r[-1]) for r in table}
    assert all((7, 3, 5)[int(y)] == rows[tuple(x)] for x, y in zip(three.X, three.Y))
    pair = datasets.digits(40, 10, classes=(5, 3), normalize=None)
    assert all((y == 1.0) == (rows[tuple(x)] == 3) for x, y in zip(pair.X, pair.Y))
    with pytest.raises(ValueError, match="classes: expected two or more distinct"):
        datasets.digits(classes=(1, 1))
    with pytest.raises(TypeError, match="classes"):
        datasets.digits(classes="ab")


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_idx(tmp_path, gz):
    folder = fake_mnist(tmp_path / "m", gz=gz)
    ds = datasets.load(f"mnist:{folder}", 10, 5)
    assert ds.X.shape == (10, 784) and ds.X_test.shape == (5, 784)
    np.testing.assert_allclose(np.linalg.norm(ds.X, axis=1), 1)


def test_mnist_npz(tmp_path):
    rng = np.random.default_rng(1)
    p = tmp_path / "mnist.npz"
    np.savez(p, x_train=rng.integers(0, 255, (30, 28, 28)), y_train=np.arange(30) % 2,
             x_test=rng.integers(0, 255, (10, 28, 28)), y_test=np.arange(10) % 2)
    ds = datasets.load(f"fashion:{p}", 8, 4)
    assert ds.name.startswith("Fashion") and ds.X.shape == (8, 784)


def test_corrupt_files_rejected(tmp_path):
    folder = fake_mnist(tmp_path / "m")
    img = folder / "train-images-idx3-ubyte"
    raw = img.read_bytes()
    img.write_bytes(raw[:-100])
    with pytest.raises(datasets.DatasetError, match="expected .* data bytes"):
        datasets.load(f"mnist:{folder}", 5, 5)
    img.write_bytes(struct.pack(">I", 1234) + raw[4:])
    with pytest.raises(datasets.DatasetError, match="magic"):
        datasets.load(f"mnist:{folder}", 5, 5)
    img.write_bytes(raw[:3])
    with pytest.raises(datasets.DatasetError, match="truncated"):
        datasets.load(f"mnist:{folder}", 5, 5)
    img.unlink()
    with pytest.raises(datasets.DatasetError, match="no train-images"):
        datasets.load(f"mnist:{folder}", 5, 5)
    bad = tmp_path / "b"
    bad.mkdir()
    write_idx(bad / "train-images-idx3-ubyte", np.zeros((4, 10, 10)), 2051)
    for split in ("train", "t10k"):
        write_idx(bad / f"{split}-labels-idx1-ubyte", np.zeros(4), 2049)
    write_idx(bad / "t10k-images-idx3-ubyte", np.zeros((4, 10, 10)), 2051)
    with pytest.raises(datasets.DatasetError, match=r"expected \(n, 28, 28\)"):
        datasets.load(f"mnist:{bad}", 1, 1)
    gzbad = tmp_path / "g"
    fake_mnist(gzbad, gz=True)
    p = gzbad / "train-labels-idx1-ubyte.gz"
    p.write_bytes(p.read_bytes()[:20])
    with pytest.raises(datasets.DatasetError, match="cannot read|truncated"):
        datasets.load(f"mnist:{gzbad}", 1, 1)
    with pytest.raises(datasets.DatasetError, match="no such file"):
        datasets.load("mnist:/nonexistent/path")
    txt = tmp_path / "x.txt"
    txt.write_text("hi")
    with pytest.raises(datasets.DatasetError, match="expected a folder"):
        datasets.load(f"mnist:{txt}")


def test_synthetic_sets():
    b = datasets.gaussian_bump(10, 300)
    assert b.X.shape == (10, 2) and np.linalg.norm(b.X, axis=1).max() <= 1
    np.testing.assert_allclose(b.Y, np.exp(-2 * np.sum(b.X**2, axis=1)))
    s = datasets.load("sphere:5", 20, 10)
    np.testing.assert_allclose(np.linalg.norm(s.X, axis=1), 1)
    g = datasets.load("gaussian:30", 20, 10)
    assert g.X.shape == (20, 30)
    with pytest.raises(datasets.DatasetError, match="unknown dataset"):
        datasets.load("cifar")


def test_corrupt_compressed_files_are_named(tmp_path):
    """A .gz whose deflate stream is damaged (zlib.error, not OSError) and an .npz that is
    not a zip file end in a DatasetError naming the file, never a traceback."""
    X = np.zeros((3, 28, 28), np.uint8)
    raw = struct.pack(">IIII", 2051, 3, 28, 28) + X.tobytes()
    packed = bytearray(gzip.compress(raw))
    for i in range(12, len(packed) - 8):
        packed[i] ^= 0x5A
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(datasets.DatasetError, match="train-images-idx3-ubyte.gz: cannot read"):
        datasets.read_idx(str(path), 2051)
    npz = tmp_path / "mnist.npz"
    npz.write_bytes(b"PK\x03\x04" + b"garbage" * 20)
    with pytest.raises(datasets.DatasetError, match="not an MNIST .npz"):
        datasets.load_mnist_arrays(str(npz))


@pytest.mark.parametrize("X, match", [
    (np.ones((2, 3, 4)), "2-D array"),
    (np.array([[1, 2], [3, "a"]], dtype=object), "real numeric array"),
    (np.ones((2, 3), complex), "real numeric array"),
    (np.ones((2, 3), bool), "real numeric array"),
    (np.array([[1.0, np.nan]]), "NaN"),
])
def test_scale_inputs_names_bad_arrays(X, match):
    with pytest.raises((TypeError, ValueError), match=f"X: .*{match}"):
        datasets.scale_inputs(X)


def test_scale_inputs_takes_any_layout():
    X = np.arange(1.0, 7.0).reshape(3, 2)
    assert np.allclose(datasets.scale_inputs(X.T), datasets.scale_inputs(np.ascontiguousarray(X.T)))


def test_classification_is_scikit_learns_make_classification():
    """004 Sect. 4's data: make_classification's defaults at n = n_train + n_test, the inputs as drawn,
    labels {0, 1}, the first n_train for training; its seed range is scikit-learn's."""
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    c = datasets.load("classification", 95, 5, seed=3)
    X, y = sklearn_datasets.make_classification(n_samples=100, n_features=20, random_state=3)
    np.testing.assert_array_equal(np.vstack([c.X, c.X_test]), X)
    np.testing.assert_array_equal(np.concatenate([c.Y, c.Y_test]), y)
    assert c.X.shape == (95, 20) and set(np.unique(c.Y)) <= {0.0, 1.0} and c.Y.dtype == np.float64
    assert datasets.load("classification:8", 10, 2).X.shape == (10, 8)
    with pytest.raises(ValueError, match="seed"):
        datasets.classification(10, 2, seed=2**32)
    with pytest.raises(ValueError, match="d"):
        datasets.load("classification:4", 10, 2)
