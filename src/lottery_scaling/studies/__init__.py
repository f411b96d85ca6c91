"""The studies of the pipeline, one subpackage each, over the shared core of `lottery_scaling`.

- `lottery`: "A Neural Scaling Law from Lottery Ticket Ensembling" (Liu & Tegmark): the
  trainer, the analysis stages and the pair-and-disentangle stage.
- `race`: "It's Not a Lottery, It's a Race".
- `bridge`: between the two papers (docs/bridge.md): tickets born aligned? do they survive rewinding?
- `survey`: the lottery-ticket survey's questions (docs/survey.md): supermasks, strong tickets, IMP
  against supermask, the tangent space and the wide networks' attractor manifold.

A study's command-line subcommands are the modules of its `commands` subpackage (see cli.py);
its trainer core (the modules whose code decides its numbers) is listed in provenance.py.
"""

STUDIES = ("lottery", "race", "bridge", "survey")
