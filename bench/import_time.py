"""How much does ``import personalize_mock`` cost on top of ``import moto``?

Each measurement runs in a fresh interpreter (``python -X importtime`` would distort
timings, so wall time around the import statement is measured instead). Target: at most
150 ms more than ``import moto``. Also reports whether numpy/scipy/scikit-learn got loaded.

    python bench/import_time.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

PROBE = """
import sys, time, json
t = time.perf_counter()
import {module}
elapsed = time.perf_counter() - t
heavy = sorted(m for m in ("numpy", "scipy", "sklearn", "pyarrow") if m in sys.modules)
print(json.dumps({{"seconds": elapsed, "heavy": heavy}}))
"""

TARGET_MS = 150.0


def measure(module: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    measure("moto")  # warm the OS file cache once
    moto, ours, heavy = [], [], set()
    for _ in range(args.runs):  # interleave so machine noise hits both alike
        moto.append(measure("moto")["seconds"])
        sample = measure("personalize_mock")
        ours.append(sample["seconds"])
        heavy.update(sample["heavy"])
    moto_ms = statistics.median(moto) * 1000
    ours_ms = statistics.median(ours) * 1000
    extra = ours_ms - moto_ms
    print(f"import moto              median {moto_ms:7.1f} ms  (min {min(moto) * 1000:.1f})")
    print(f"import personalize_mock  median {ours_ms:7.1f} ms  (min {min(ours) * 1000:.1f})")
    print(f"extra cost               median {extra:7.1f} ms  target <= {TARGET_MS:.0f} ms")
    print(f"heavy modules loaded by import personalize_mock: {sorted(heavy) or 'none'}")
    return 0 if extra <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
