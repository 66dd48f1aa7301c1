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
