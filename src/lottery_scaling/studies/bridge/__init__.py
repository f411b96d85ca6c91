"""Between the two papers (docs/bridge.md): are lottery tickets born aligned, and do they survive rewinding?

Liu & Tegmark call the best mirror pair of neurons of a trained network a "lottery ticket";
the race paper explains tickets by alignment at initialisation (for ReLU classifiers). This
study measures, for the regression networks of the lottery study:

- `alignment`: each neuron's alignment with its steepest-descent direction at init against its
  final contribution, and where the best ticket's neurons rank in alignment at init;
- `rewind`: Frankle & Carbin's test: the best ticket reset to its initial values and trained
  alone (width 2), against re-initialised and random-pair controls and magnitude pruning;
- `emergence`: when the final best pair becomes a mirror pair and reaches its final R^2, from
  parameter snapshots, and whether the early leaders win (the race);
- `claims`: the `bridge_*` rows of the claims table; `figures`: its figures.
"""
