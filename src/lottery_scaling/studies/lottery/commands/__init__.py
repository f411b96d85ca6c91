"""Subcommands of the lottery study, one module each (see lottery_scaling.cli)."""
