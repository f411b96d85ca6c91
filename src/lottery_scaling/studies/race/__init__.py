"""Second study: "It's Not a Lottery, It's a Race" (docs/race.md).

Modules: `data` (digits / CIFAR-10 two-class tasks), `trainer` over `_kernels` (numba SGD
with momentum, per-neuron trajectories), `trajectories` (HDF5 file of a training setting),
analyses (`alignment`, `clusters`, `dynamics`, `imp`, `cells`), `claims` (rules with their nulls,
docs/race-claims.md) and CLI commands in `commands/`.
"""
