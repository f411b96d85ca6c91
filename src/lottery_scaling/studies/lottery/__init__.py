"""The lottery study: "A Neural Scaling Law from Lottery Ticket Ensembling" (docs/lottery.md).

Trainer core: tasks, model, init, _kernels, trainer (networks.py is its HDF5 file layout).
Stages: histogram, synergy, fit, claims, figures; the pair-and-disentangle stage in `pairs`.
"""
