"""`lottery-scaling race-cells`: stable cells by App. D's probe iteration against the number of
cells, for the task's labels and for shuffled labels (the null)."""

from __future__ import annotations

import sys

from ....commands._argtypes import int_at_least
from ....commands._limits import add_options as add_limit_options
from ..settings import CellSettings

HELP = "estimate the number of stable cells (App. D probe iteration) of prepared race tasks, with a shuffled-label null (CSV)"
_D = CellSettings()


def configure(p) -> None:
    p.add_argument("--data", nargs="+", required=True, help="task files of race-prepare-data")
    p.add_argument("--probes", type=int_at_least(1), default=_D.probes, help="probe vectors (default %(default)s)")
    p.add_argument("--patience", type=int_at_least(1), default=_D.patience,
                   help="stop when the pattern count has not decreased for this many iterations (default %(default)s)")
    p.add_argument("--max-iter", type=int_at_least(1), default=_D.max_iter, help="iteration cap (default %(default)s)")
    p.add_argument("--seed", type=int_at_least(0), default=_D.seed, help="seed of the probes and the shuffles (default %(default)s)")
    p.add_argument("--null-shuffles", type=int_at_least(0), default=_D.null_shuffles,
                   help="label permutations run as the null (default %(default)s)")
    p.add_argument("--out", required=True, help="CSV: one row per task, labels (task or shuffle) and output alignment")
    add_limit_options(p, "race")


def run(args) -> int:
    from lottery_scaling.tables import write_csv

    from ..task_files import read_dataset
    from ..cells import CELL_COLUMNS, cell_rows

    from ....commands._limits import check
    from ....limits import race_cells_estimate

    tasks = [read_dataset(path) for path in args.data]
    work, memory, detail = race_cells_estimate([(t.n, t.inputs) for t in tasks], args.probes, args.max_iter,
                                               args.null_shuffles)
    check(args, "race", work, detail, memory, detail)
    rows = []
    for task in tasks:
        mine = cell_rows(task, args.probes, args.patience, args.max_iter, args.seed, args.null_shuffles)
        rows += mine
        for labels in ("task", "shuffled"):
            sel = [r for r in mine if r["labels"] == labels]
            if sel:
                print(f"{task.name} n={task.n} {labels} labels: {sum(r['fixed_points'] for r in sel)} fixed points, "
                      f"{sum(r['cycles'] for r in sel)} 2-cycles over {len(sel) // 2} labelling(s) "
                      f"(probes started in {sel[0]['initial_patterns']} + {sel[1]['initial_patterns']} cells)", file=sys.stderr)
    write_csv(rows, args.out, CELL_COLUMNS)
    return 0
