"""fastntk.distributed on a dask.distributed LocalCluster of worker processes: the same
Gram, a worker killed mid-Gram, and the `fastntk gram` command interrupted and resumed."""
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from conftest import assert_close, unit_rows

import fastntk

pytest.importorskip("zarr", reason="zarr not installed: the Gram store is not tested")
dd = pytest.importorskip("distributed", reason="dask.distributed not installed: cluster tests skipped")
from fastntk import distributed  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = dd.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with dd.Client(cluster) as c:
        yield c
    cluster.close()


def test_cluster_gram_equals_ntk(client, tmp_path):
    net = fastntk.MLP.uniform(6, 32, 3, bias="normal", dtype=np.float32)
    theta, X = net.init(0), unit_rows(30, 6, 0)
    want = fastntk.ntk(net, theta, X.astype(np.float32))
    assert_close(distributed.ntk(net, theta, X, chunks=7).compute(), want, np.float32)
    np.save(tmp_path / "x.npy", X)
    info = distributed.gram_to_zarr(net, theta, str(tmp_path / "x.npy"), tmp_path / "k.zarr", chunks=7)
    assert info.computed == 15
    assert_close(distributed.open_gram(tmp_path / "k.zarr").compute(), want, np.float32)
    # inside a worker process a tile runs with one BLAS and one OpenMP thread, set by fastntk
    # (not only by the nanny's environment: its settings are raised first)
    assert set(client.gather(client.map(_threads_in_a_tile, range(4)))) == {(1, 1)}


def _threads_in_a_tile(_):
    from fastntk._blas import blas_info
    from fastntk.distributed.tiles import _one_thread_per_tile
    fastntk.set_num_threads(2)
    with _one_thread_per_tile():
        return fastntk._core.openmp_threads(), (blas_info() or {}).get("num_threads")


def test_a_killed_worker_loses_no_tile(client, tmp_path):
    """SIGKILL one worker process while the Gram is being stored: Dask reruns its tiles on
    the surviving worker (and the restarted one); the store equals the undisturbed Gram."""
    net = fastntk.MLP.uniform(8, 256, 3)
    theta, X = net.init(0), unit_rows(480, 8, 1)
    path = tmp_path / "k.zarr"
    client.run(_slow_tiles)  # 20 ms a tile in these workers, so that the kill lands mid-Gram on any machine
    pids = list(client.run(os.getpid).values())
    killed = {}

    def kill_when_started():
        while True:
            try:
                done, total = distributed.tiles_done(path)
            except Exception:  # noqa: BLE001 - the store does not exist yet
                done, total = 0, 1
            if done >= 3:
                killed["at"] = (done, total)
                os.kill(pids[0], signal.SIGKILL)
                return
            time.sleep(0.01)

    killer = threading.Thread(target=kill_when_started, daemon=True)
    killer.start()
    info = distributed.gram_to_zarr(net, theta, X, path, chunks=24)  # 20 row blocks: 210 tiles
    killer.join(timeout=5)
    assert "at" in killed and killed["at"][0] < killed["at"][1], "the worker was killed after the Gram finished"
    assert info.computed == 210 and distributed.tiles_done(path) == (210, 210)
    assert_close(distributed.open_gram(path).compute(), fastntk.ntk(net, theta, X), np.float64)


def _slow_tiles():
    """In a worker: each stored tile sleeps 20 ms first (tasks refer to the function by name)."""
    from fastntk.distributed import store
    real = store._store_tile
    if not getattr(real, "slowed", False):
        def slow(*args):
            time.sleep(0.02)
            return real(*args)
        slow.slowed = True
        store._store_tile = slow


def test_gram_command_resumes_after_ctrl_c(tmp_path):
    """`fastntk gram` stopped by SIGINT keeps its finished tiles and the same command
    finishes the Gram. The interrupted child's tiles are slowed by 0.1 s each (a patched task)
    and it marks a file once 3 are stored, so that the signal lands mid-run on any machine
    (the parent no longer polls the store while it is written). The same command then resumes
    without the patch."""
    X = unit_rows(200, 10, 2).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    path, mark = tmp_path / "k.zarr", tmp_path / "three-stored"
    # SIGINT's default handler restored in the child: started from a background job of a non-interactive shell
    # (as a CI script may be) it would inherit SIGINT ignored, and Python installs no handler for an ignored signal.
    slow = ("import itertools, pathlib, signal, sys, time\n"
            "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
            "from fastntk.distributed import store\n"
            "real, count = store._store_tile, itertools.count(1)\n"
            "def slow(*a):\n"
            "    time.sleep(0.1)\n"
            "    out = real(*a)\n"
            f"    if next(count) == 3: pathlib.Path({str(mark)!r}).touch()\n"
            "    return out\n"
            "store._store_tile = slow\n"
            "from fastntk.cli import main\n"
            "sys.exit(main())\n")
    args = ["gram", str(tmp_path / "x.npy"), str(path), "--width", "64", "--depth", "3", "--chunks", "10",
            "--no-progress"]
    cmd = [sys.executable, "-c", "import sys\nfrom fastntk.cli import main\nsys.exit(main())\n"] + args
    proc = subprocess.Popen([sys.executable, "-c", slow] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.time() + 120
    while not mark.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    assert mark.exists() and proc.poll() is None, "the child ended before 3 tiles were stored"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "run the same command again to resume" in err
    done, total = distributed.tiles_done(path)
    assert 3 <= done < total == 210
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"{total - done} tiles computed, {done} already there" in again.stdout
    net = fastntk.MLP.uniform(10, 64, 3, dtype=np.float32)
    assert_close(distributed.open_gram(path).compute(), fastntk.ntk(net, net.init(0), X), np.float32)
    bad = subprocess.run(cmd[:4] + [str(tmp_path / "x.npy"), str(path), "--chunks", "0"], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and "--chunks: expected an integer >= 1" in bad.stderr
    other = subprocess.run(cmd + ["--seed", "5"], capture_output=True, text=True, timeout=60)
    assert other.returncode == 1 and "another problem" in other.stderr  # a failure, not a usage error
