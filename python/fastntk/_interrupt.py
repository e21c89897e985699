"""Ctrl-C during a long call that runs with the GIL released (a large Gram, an
eigendecomposition): Python sees a signal only between bytecodes of the main thread,
so the call runs on a worker thread while the main thread waits in short slices.
"""
from __future__ import annotations

import atexit
import threading
from typing import Callable

# Below this many flops a call runs directly: 5–30 ms at the 66–460 GFLOP/s seen on
# machines of this kind, so Ctrl-C waits at most that long. Above it, a worker thread;
# its start and GIL hand-offs (0.1–0.3 ms) cost 3–8% of a few-millisecond kernel call,
# which at the former 2e8 (about 1 ms of BLAS, not the 0.1 s it was taken for) every
# N = 100 Gram paid.
LONG_FLOPS = 2e9


def lapack_is_long(n) -> bool:
    """Whether a dense N × N LAPACK call (eigh with vectors ≈ 9N³ flops; eigvalsh and the
    factorizations fewer, counted alike) should run on a worker thread."""
    return 10.0 * float(n) ** 3 >= LONG_FLOPS

_running: set = set()  # workers whose caller was interrupted, still finishing


def interruptible(fn: Callable, *, cancel: Callable | None = None, clear: Callable | None = None):
    """fn() on a worker thread; Ctrl-C is then seen within 0.05 s: ``cancel()`` asks the
    work to stop (the core stops at its next tile or chunk; NumPy's LAPACK cannot and
    finishes unseen) and the KeyboardInterrupt goes on within a second. From a thread
    other than the main one (signals arrive in the main thread) fn runs directly."""
    if threading.current_thread() is not threading.main_thread():
        return fn()
    if clear is not None:
        clear()
    box: dict = {}
    done = threading.Event()
    # The main thread waits on a plain lock the worker releases: an interrupted acquire just
    # fails. Not Event.wait or Thread.join: a KeyboardInterrupt landing inside
    # threading.Condition.wait can leave its lock half-released ("release unlocked lock"),
    # and an interrupted join may mark the thread as stopped while it still runs.
    finished = threading.Lock()
    finished.acquire()

    def work():
        try:
            box["value"] = fn()
        except BaseException as e:  # handed to the waiting thread
            box["error"] = e
        finally:
            done.set()
            finished.release()

    worker = threading.Thread(target=work, name="fastntk-long-call", daemon=True)
    worker.start()
    try:
        while not finished.acquire(timeout=0.05):
            pass
    except KeyboardInterrupt:
        if cancel is not None:
            cancel()
            finished.acquire(timeout=1.0)  # the core stops at its next tile: usually well within this
        if not done.is_set():
            _running.add(done)
        raise
    if "error" in box:
        raise box["error"]
    return box["value"]


@atexit.register
def _finish_interrupted_workers():
    # A worker still inside the compiled core when the interpreter finalizes would be
    # killed mid-call (an abort), and one inside NumPy's LAPACK can deadlock OpenBLAS's
    # own shutdown: the exit waits for them (the cancelled core stops at its next check;
    # a factorization runs to its end).
    for done in list(_running):
        done.wait(600.0)
