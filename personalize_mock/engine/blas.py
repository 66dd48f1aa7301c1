"""BLAS on one thread around the engine's products and factorizations.

threadpoolctl's ``threadpool_limits`` finds the BLAS libraries by scanning every shared
library the process has loaded, on each use: 1.5 ms here, a few percent of a training on
MovieLens-100k. One controller, made on first use (after numpy and scipy.linalg, whose BLAS
the engine calls, are loaded), sets the limit in microseconds. Libraries loaded later are not
limited; the engine calls none of them.
"""

from __future__ import annotations

import threading
from typing import Any

_LOCK = threading.Lock()
_CONTROLLER: list[Any] = []


def one_thread() -> Any:
    """A context manager: the BLAS libraries numpy and scipy use limited to one thread inside
    (restored on exit, as ``threadpool_limits(1, "blas")`` does)."""
    if not _CONTROLLER:
        import scipy.linalg  # noqa: F401  (its BLAS loaded first: the controller sees loaded ones)
        from threadpoolctl import ThreadpoolController

        with _LOCK:
            if not _CONTROLLER:
                _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")
