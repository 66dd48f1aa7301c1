"""engine/blas.py: BLAS limited to one thread inside, restored after, nested uses included."""

import scipy.linalg  # noqa: F401  (its BLAS loaded, as in training)
from threadpoolctl import threadpool_info

from personalize_mock.engine import blas


def _threads() -> list[int]:
    return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]


def test_one_thread_inside_and_restored_after():
    before = _threads()
    assert before
    with blas.one_thread():
        assert set(_threads()) == {1}
        with blas.one_thread():
            assert set(_threads()) == {1}
        assert set(_threads()) == {1}
    assert _threads() == before
