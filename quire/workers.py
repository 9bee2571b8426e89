"""Forked worker processes that die with the process that started them."""

import contextlib
import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Ask the kernel to kill this worker when its parent dies (Linux); exit now if it already has.

    Used as a pool initializer: without it, killing a freeze leaves its workers writing for seconds.
    """
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the parent check below is all there is
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)
