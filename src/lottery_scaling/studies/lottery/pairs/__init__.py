"""Pair-and-disentangle stage (SPEC section 2 item 3): symmetric neuron pairs (pairing), tickets
and their error functions (tickets), width-2 algorithms (width2), distillation (distill), its
claims rows (claims) and figures (figures); `settings` holds the stage's defaults once."""
