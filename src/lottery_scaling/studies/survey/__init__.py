"""Fourth study: the survey's questions (docs/survey.md), numerical core only.

- `supermask`: Zhou et al.'s (2019) "large final, same sign" masks applied to the untrained
  network (kept weights at init or signed constants) against random masks of the same size;
  masked losses, generic over named weight arrays.
- `edgepopup` (over `_kernels`): strong tickets (Ramanujan et al. 2019): weights frozen at
  init, a trained score per weight, the top-k% in the forward pass, straight-through gradients.
- `linearised` (over `_kernels`): the tangent-space model f(x; theta0) + J(theta0) dtheta
  trained with the lottery study's Adam, and the relative parameter movement of a trained network.

Analyses over the core: `zhou` (item 1's table for both papers' networks), `strong` (item 2:
edge-popup at several keeps as a masks file, `masks`), `imp` (IMP with rewinding on the lottery
networks), `overlap` (item 3: Jaccard against random masks, the best mirror pair), `manifold`
(item 4: the attractor-manifold ratio), `claims` (the survey_* rows), `figures`; defaults in
`settings`. Commands: `commands/` (survey-supermask, survey-edgepopup, survey-imp, survey-overlap,
survey-linearised, survey-manifold, survey-claims, plot-survey). Not yet wired into the workflow.
"""
