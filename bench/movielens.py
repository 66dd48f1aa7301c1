"""MovieLens-100k for the benchmarks: read at run time from the recbole==1.2.1 wheel, which
``pip download --no-deps`` puts in a cache directory (never committed)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

CACHE = Path(os.environ.get("PERSONALIZE_MOCK_BENCH_CACHE", Path.home() / ".cache" / "personalize-mock-bench"))
WHEEL = "recbole-1.2.1-py3-none-any.whl"


def ml100k_rows() -> np.ndarray:
    """(user, item, rating, timestamp) rows as int64."""
    wheel = CACHE / WHEEL
    if not wheel.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(CACHE),
                        "recbole==1.2.1"], check=True)
    text = zipfile.ZipFile(wheel).read("recbole/dataset_example/ml-100k/ml-100k.inter")
    return np.loadtxt(io.BytesIO(text), skiprows=1).astype(np.int64)
