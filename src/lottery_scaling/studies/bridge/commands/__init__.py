"""Subcommands of the bridge study (bridge-alignment, bridge-rewind, bridge-ticket-basin, bridge-emergence, bridge-claims,
plot-bridge)."""
