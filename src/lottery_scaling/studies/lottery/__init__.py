"""The lottery study: "A Neural Scaling Law from Lottery Ticket Ensembling" (SPEC sections 1-5).

Trainer core: tasks, model, init, _kernels, trainer (networks.py is its HDF5 file layout).
Stages: histogram, synergy, fit, claims, figures; the pair-and-disentangle stage in `pairs`.
"""
