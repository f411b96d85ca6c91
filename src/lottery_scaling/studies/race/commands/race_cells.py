"""`lottery-scaling race-cells`: stable cells by App. D's probe iteration against the number of cells."""

from __future__ import annotations

import sys

from ....commands._argtypes import int_at_least
from ....commands._limits import add_options as add_limit_options
from ..settings import CellSettings

HELP = "estimate the number of stable cells (App. D probe iteration) of prepared race tasks (CSV)"
_D = CellSettings()


def configure(p) -> None:
    p.add_argument("--data", nargs="+", required=True, help="task files of race-prepare-data (one row pair per file)")
    p.add_argument("--probes", type=int_at_least(1), default=_D.probes, help="probe vectors (default %(default)s)")
    p.add_argument("--patience", type=int_at_least(1), default=_D.patience,
                   help="stop when the pattern count has not decreased for this many iterations (default %(default)s)")
    p.add_argument("--max-iter", type=int_at_least(1), default=_D.max_iter, help="iteration cap (default %(default)s)")
    p.add_argument("--seed", type=int_at_least(0), default=_D.seed, help="seed of the probes (default %(default)s)")
    p.add_argument("--out", required=True, help="CSV: one row per task and output alignment")
    add_limit_options(p, "race")


def run(args) -> int:
    from lottery_scaling.tables import write_csv

    from ..task_files import read_dataset
    from ..stable_cells import CELL_COLUMNS, cell_rows

    from ....commands._limits import check
    from ....limits import race_cells_estimate

    tasks = [read_dataset(path) for path in args.data]
    work, memory, detail = race_cells_estimate([(t.n, t.inputs) for t in tasks], args.probes, args.max_iter)
    check(args, "race", work, detail, memory, detail)
    rows = []
    for task in tasks:
        rows += cell_rows(task, args.probes, args.patience, args.max_iter, args.seed)
        print(f"{task.name} n={task.n}: stable cells {rows[-2]['stable_cells']} + {rows[-1]['stable_cells']} "
              f"(probes started in {rows[-2]['initial_patterns']} + {rows[-1]['initial_patterns']} cells)", file=sys.stderr)
    write_csv(rows, args.out, CELL_COLUMNS)
    return 0
