"""Subcommands of the `lottery-scaling` command line, one module each (see cli.py)."""
