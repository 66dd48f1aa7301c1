"""Training's working memory: numpy's huge-page hint off while a model trains, and scratch
buffers a thread's trainings reuse.

numpy asks the kernel for transparent huge pages (``madvise(MADV_HUGEPAGE)``) for every array
of 4 MB or more. Where the kernel then compacts memory to find a free huge page (Linux's
common ``defrag=madvise`` setting), the first write to such an array stalls, and training
allocates and frees tens of MB of them per model (MovieLens-100k: about 30 MB in the fit):
measured here, 10-25 ms of system time per training, a third of the whole. Arrays without the
hint still get huge pages when the kernel has them free; they only no longer wait for one.
The switch is numpy's own (what ``NUMPY_MADVISE_HUGEPAGE=0`` sets at import), restored on exit.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Callable, Iterator

import numpy as np

_LOCK = threading.Lock()
_DEPTH = [0, True]  # trainings running, and the setting before the first of them


def _switch() -> Callable[[bool], bool] | None:
    for name in ("numpy._core.multiarray", "numpy.core.multiarray"):  # numpy 2, numpy 1
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        switch = getattr(module, "_set_madvise_hugepage", None)
        if callable(switch):
            return switch
    return None


@contextlib.contextmanager
def without_huge_page_hints() -> Iterator[None]:
    """numpy's huge-page hint off inside (nested and concurrent trainings share one switch:
    the setting comes back when the last of them ends)."""
    switch = _switch()
    if switch is None:
        yield
        return
    with _LOCK:
        if not _DEPTH[0]:
            _DEPTH[1] = bool(switch(False))
        _DEPTH[0] += 1
    try:
        yield
    finally:
        with _LOCK:
            _DEPTH[0] -= 1
            if not _DEPTH[0]:
                switch(_DEPTH[1])


SCRATCH_MAX = 64 << 20  # bytes: larger scratch arrays are not kept between trainings
_SCRATCH = threading.local()


def scratch(name: str, shape: tuple[int, ...], dtype: type = np.float32) -> np.ndarray:
    """An uninitialised array for a training's temporary ``name``, kept for the calling
    thread's next training. Memory the kernel maps afresh costs a page fault per 4 KB page, a
    few microseconds each on a virtual machine: the EASE fit's temporaries (the interaction
    matrix as a dense array, its Gram matrix and the copy the Cholesky factor overwrites) and
    the held-out requests' raw scores are about 20 MB on MovieLens-100k, which later trainings
    in the process (a test suite trains many models) then find mapped. The caller must not
    keep the array past its training, nor use one name twice at once."""
    buffers = getattr(_SCRATCH, "buffers", None)
    if buffers is None:
        buffers = _SCRATCH.buffers = {}
    dtype = np.dtype(dtype)
    size = int(np.prod(shape))
    if size * dtype.itemsize > SCRATCH_MAX:
        return np.empty(shape, dtype)
    held = buffers.get((name, dtype.str))
    if held is None or held.size < size:
        held = buffers[(name, dtype.str)] = np.empty(size, dtype)
    return held[:size].reshape(shape)
