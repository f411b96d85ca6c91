"""Subcommands shared by every study (claims table, table concatenation); each study adds its own
in `studies/NAME/commands` (see cli.py)."""
