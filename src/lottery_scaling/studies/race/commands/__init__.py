"""Command modules of the race study (`lottery-scaling race-...`), same convention as
`lottery_scaling.commands`: HELP, configure(parser), run(args) -> int."""
