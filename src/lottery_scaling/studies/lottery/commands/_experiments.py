"""The `--experiment NAME TASK ACTIVATION FOLDER` inputs of the claims commands (claims, appendix-claims)."""

from __future__ import annotations

from pathlib import Path


def checked_experiments(specs):
    """(name, task, activation, folder Path) per --experiment, with task and activation checked."""
    from ....errors import UserError
    from ..expressions import is_expression
    from ..model import ACTIVATIONS
    from ..tasks import TASKS

    for name, task, activation, folder in specs:
        if task not in TASKS and not is_expression(task):
            raise UserError(f"--experiment {name}: unknown task {task!r}; allowed: {', '.join(TASKS)}, or expr:FORMULA")
        if activation not in ACTIVATIONS:
            raise UserError(f"--experiment {name}: unknown activation {activation!r}; allowed: {', '.join(ACTIVATIONS)}")
        yield name, task, activation, Path(folder)


def print_rows(rows) -> None:
    """One line per claims row for the job log."""
    for r in rows:
        print(f"{r['claim']} [{r['experiment'] or '-'}]: {r['verdict']} (value {r['value']:.4g})")
