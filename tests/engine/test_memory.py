"""engine/memory.py: numpy's huge-page hint is off while a model trains and comes back after."""

from __future__ import annotations

import threading

from personalize_mock.engine import memory


def _setting():
    switch = memory._switch()
    assert switch is not None  # numpy 1.24+ and 2.x both have it
    current = switch(True)
    switch(current)
    return current


def test_hint_is_off_inside_and_restored_after_nested_and_concurrent_use():
    before = _setting()
    try:
        memory._switch()(True)
        with memory.without_huge_page_hints():
            assert _setting() is False
            with memory.without_huge_page_hints():
                assert _setting() is False
            assert _setting() is False  # the outer training still runs
        assert _setting() is True
        inside = threading.Event()
        release = threading.Event()

        def other():
            with memory.without_huge_page_hints():
                inside.set()
                release.wait(5)

        worker = threading.Thread(target=other)
        worker.start()
        inside.wait(5)
        with memory.without_huge_page_hints():
            pass
        assert _setting() is False  # the other thread's training has not ended
        release.set()
        worker.join(5)
        assert _setting() is True
    finally:
        memory._switch()(before)


def test_training_runs_with_the_hint_off(monkeypatch):
    import numpy as np

    from personalize_mock.engine import training

    seen = []
    real = training._train_factors

    def spy(*args):
        seen.append(_setting())
        return real(*args)

    monkeypatch.setattr(training, "_train_factors", spy)
    rng = np.random.default_rng(0)
    users = rng.integers(0, 60, 2000).astype(np.int32)
    items = rng.integers(0, 80, 2000).astype(np.int32)
    data = training.TrainingData(users, items, np.arange(2000, dtype=np.int64) + 1_700_000_000)
    training.train("user_personalization", data, seed=1)
    assert seen == [False]


def test_scratch_buffers_are_reused_per_thread_and_large_ones_are_not_kept():
    import numpy as np

    first = memory.scratch("test-buffer", (10, 20))
    again = memory.scratch("test-buffer", (5, 8))  # smaller: a view of the same memory
    assert again.base is first.base and again.shape == (5, 8) and again.dtype == np.float32
    grown = memory.scratch("test-buffer", (30, 30))
    assert grown.base is not first.base and grown.flags.c_contiguous
    other = memory.scratch("test-buffer", (4,), np.float64)  # per dtype
    assert other.base is not grown.base and other.dtype == np.float64
    seen = []
    worker = threading.Thread(target=lambda: seen.append(memory.scratch("test-buffer", (30, 30))))
    worker.start()
    worker.join(5)
    assert seen[0].base is not grown.base  # each thread its own
    huge = memory.scratch("test-huge", (memory.SCRATCH_MAX // 4 + 1,))
    assert huge.base is None  # not kept between trainings


def test_training_twice_gives_the_same_model_with_reused_buffers():
    import numpy as np

    from personalize_mock.engine import personalization

    rng = np.random.default_rng(1)
    users = rng.integers(0, 300, 20_000).astype(np.int32)
    items = (rng.zipf(1.3, 20_000) % 900).astype(np.int32)  # rare items beside frequent ones
    stamps = np.arange(20_000, dtype=np.int64) + 1_700_000_000
    for n_items in (900, 300):  # with rare items (weights assembled) and without (the block alone)
        first = personalization.train(users, items % n_items, stamps, 3, None, n_items)
        kept = first[0].item_factors.copy()
        personalization.train(users[::-1].copy(), items[::-1] % n_items, stamps, 5, None, n_items)  # other data
        assert np.array_equal(first[0].item_factors, kept)  # no model array lives in a scratch buffer
        second = personalization.train(users, items % n_items, stamps, 3, None, n_items)
        assert np.array_equal(second[0].item_factors, kept)
        assert first[2] == second[2] and first[0].temperature == second[0].temperature
