"""BLAS on one thread around the engine's products and factorizations.

threadpoolctl's ``threadpool_limits`` finds the BLAS libraries by scanning every shared
library the process has loaded, on each use: 1.5 ms here, a few percent of a training on
MovieLens-100k. One controller, made on first use (after numpy and scipy.linalg, whose BLAS
the engine calls, are loaded), sets the limit in microseconds. Libraries loaded later are not
limited; the engine calls none of them.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.lru_cache(maxsize=None)
def _controller() -> Any:
    import scipy.linalg  # noqa: F401  (its BLAS loaded first: the controller sees loaded ones)
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_thread() -> Any:
    """A context manager: the BLAS libraries numpy and scipy use limited to one thread inside
    (restored on exit, as ``threadpool_limits(1, "blas")`` does)."""
    return _controller().limit(limits=1, user_api="blas")
