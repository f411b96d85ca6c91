"""The same seed gives bitwise the same network (docs/lottery.md) whether numba compiled the kernels
in this process or loaded them from its cache.

One subprocess starts from an empty NUMBA_CACHE_DIR (every kernel compiled fresh) and
trains; a second one, with the cache the first left behind, trains the same again. Both
write HDF5 files through the CLI; every dataset must be bitwise equal. Configurations:
float64 and float32, a narrow network and a wide one (N x M activations above
trainer.STORE_LIMIT_BYTES: the fused wide SiLU step, _step_wide_silu).
"""

import os
import subprocess
import sys

import h5py
import numpy as np

from lottery_scaling.studies.lottery import trainer

COMMON = ["train", "--task", "x2", "--activation", "silu", "--n-test", "101", "--lr-decay-every", "500",
          "--threads", "1"]
CONFIGS = {  # name: (width, n_train, steps, seeds, dtype)
    "narrow64": (2, 50, 1000, "0:8", "float64"),
    "narrow32": (2, 50, 1000, "0:8", "float32"),
    "wide64": (300, 1000, 25, "0:2", "float64"),
    "wide32": (600, 1000, 25, "0:2", "float32"),
}
DATASETS = ("w", "b", "v", "c", "train_loss", "test_loss", "diverged", "loss_curve")

_SCRIPT = """
import sys
from lottery_scaling.cli import main
for argv in {argvs!r}:
    status = main(argv)
    if status:
        sys.exit(status)
"""


def _train_all(out_dir, cache_dir):
    argvs = []
    for name, (width, n_train, steps, seeds, dtype) in CONFIGS.items():
        argvs.append(COMMON + ["--width", str(width), "--n-train", str(n_train), "--steps", str(steps), "--seeds", seeds,
                               "--dtype", dtype, "--out", str(out_dir / f"{name}.h5")])
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    done = subprocess.run([sys.executable, "-c", _SCRIPT.format(argvs=argvs)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_fresh_and_cached_compilation_give_bitwise_the_same_networks(tmp_path):
    for name, (width, n_train, _, _, dtype) in CONFIGS.items():
        assert trainer.keeps_activations(width, n_train, dtype) == name.startswith("narrow")
    cache = tmp_path / "numba-cache"
    fresh, cached = tmp_path / "fresh", tmp_path / "cached"
    fresh.mkdir()
    cached.mkdir()
    _train_all(fresh, cache)  # empty cache: compiled in that process
    assert any(cache.rglob("*.nbi")), "the first run should have filled the cache"
    _train_all(cached, cache)  # warm cache: loaded from it
    for name in CONFIGS:
        with h5py.File(fresh / f"{name}.h5") as a, h5py.File(cached / f"{name}.h5") as b:
            for key in DATASETS:
                x, y = a[key][()], b[key][()]
                assert x.dtype == y.dtype and x.shape == y.shape, (name, key)
                assert x.tobytes() == y.tobytes(), f"{name}/{key}: max difference {np.max(np.abs(x.astype(float) - y))}"
