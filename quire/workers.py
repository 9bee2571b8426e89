"""Forked worker processes that die with the process that started them."""

import contextlib
import ctypes
import gc
import multiprocessing
import os
import pickle
import signal
import threading
from concurrent.futures import ProcessPoolExecutor

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Ask the kernel to kill this worker when its parent dies (Linux); exit now if it already has.

    Used as a pool initializer: without it, killing a freeze leaves its workers writing for seconds.
    """
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the parent check below is all there is
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def _start_worker(parent: int) -> None:
    die_with_parent(parent)
    gc.enable()  # its parent may have paused the collector while it loads: a worker's own work makes cycles


def map_forked(func, *columns, min_items: int, chunksize: int = 4) -> list:
    """Map func over columns of arguments, in forked worker processes when there are many and no threads."""
    count = len(columns[0]) if columns else 0
    workers = min(os.cpu_count() or 1, 8)
    # Forking is only safe without other threads: a threaded dev server works in-process, one item at a time.
    if count < min_items or workers < 2 or threading.active_count() != 1:
        return [func(*args) for args in zip(*columns, strict=True)]
    gc.freeze()  # the workers then leave the parent's objects (and their memory pages) alone
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_start_worker, initargs=(os.getpid(),)) as pool:
            return list(pool.map(func, *columns, chunksize=chunksize))
    finally:
        gc.unfreeze()


class Aside:
    """Call func(*args) in a forked process, from now on, while this one goes on; result() waits for its value.

    Only where no other thread runs (a forked copy of a lock another thread holds would never be released).
    """

    def __init__(self, func, *args):
        read, write = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            try:
                die_with_parent(parent)
                try:
                    outcome = (True, func(*args))
                except Exception as exc:  # sent as text: an exception may not pickle
                    outcome = (False, f"{type(exc).__name__}: {exc}")
                with open(write, "wb") as f:
                    pickle.dump(outcome, f, protocol=pickle.HIGHEST_PROTOCOL)
            finally:
                os._exit(0)
        os.close(write)
        self.pid: int | None = pid
        self._read: int | None = read

    def result(self):
        """Return what the call returned; raise RuntimeError with what it raised, or if its process died first."""
        read, self._read = self._read, None
        try:
            with open(read, "rb") as f:
                ok, value = pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            raise RuntimeError("its process ended without an answer") from exc
        finally:
            self.close()
        if not ok:
            raise RuntimeError(value)
        return value

    def close(self) -> None:
        """Stop the process if it still runs, and reap it."""
        if self._read is not None:
            os.close(self._read)
            self._read = None
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = None
