"""Fourth study: the survey's questions (docs/survey.md), numerical core only.

- `supermask`: Zhou et al.'s (2019) "large final, same sign" masks applied to the untrained
  network (kept weights at init or signed constants) against random masks of the same size;
  masked losses, generic over named weight arrays.
- `edgepopup` (over `_kernels`): strong tickets (Ramanujan et al. 2019): weights frozen at
  init, a trained score per weight, the top-k% in the forward pass, straight-through gradients.
- `linearised` (over `_kernels`): the tangent-space model f(x; theta0) + J(theta0) dtheta
  trained with the lottery study's Adam, and the relative parameter movement of a trained network.

Not yet wired into the workflow or the command line (no `commands` subpackage).
"""
