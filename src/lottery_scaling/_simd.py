"""Let numba use 512-bit vectors where the processor has them.

LLVM's tuning for recent Intel cores prefers 256-bit vectors; for the trainer's sample
loops (one exp per element) 512-bit vectors are about 1.6x faster on AVX-512 machines
(measured with benchmarks/trainer_throughput.py). numba reads NUMBA_CPU_FEATURES once,
when it is first imported, so this runs before any numba import of the package. A user
who sets NUMBA_CPU_FEATURES keeps their value. The features in effect are recorded in
every trained file (attribute numba_cpu_features).
"""

from __future__ import annotations

import os
import sys


def prefer_wide_vectors() -> None:
    if "numba" in sys.modules or "NUMBA_CPU_FEATURES" in os.environ or os.environ.get("LOTTERY_SCALING_NO_AVX512"):
        return
    try:
        import llvmlite.binding as llvm

        features = llvm.get_host_cpu_features().flatten()
    except Exception:  # no llvmlite or an unusual platform: keep numba's defaults
        return
    if "+avx512f" in features.split(","):
        os.environ["NUMBA_CPU_FEATURES"] = features + ",-prefer-256-bit"
