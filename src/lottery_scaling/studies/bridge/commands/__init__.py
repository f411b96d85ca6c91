"""Subcommands of the bridge study (bridge-alignment, bridge-rewind, bridge-emergence, bridge-claims, plot-bridge)."""
