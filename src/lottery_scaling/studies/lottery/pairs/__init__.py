"""Pair-and-disentangle stage (docs/lottery.md, Stages and outputs): symmetric neuron pairs (pairing), tickets
and their error functions (tickets), width-2 algorithms (width2), distillation (distill), its
claims rows (claims) and figures (figures); `settings` holds the stage's defaults once."""
