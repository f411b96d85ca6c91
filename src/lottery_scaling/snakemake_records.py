"""Carry Snakemake's job records over the change that quoted every path in the rules' shell commands.

Snakemake reruns a job whose rule's shell text differs from the text recorded when the job ran
(its "code" rerun trigger, and `--list-changes code`). Quoting the paths (`{output}` became
`{output:q}`, docs/development.md "Shell quoting") changes no command a safe path produces, so
results made before it stay valid; without this step every finished training would rerun.

`upgrade_quoted_records` rewrites the recorded text of exactly those records whose recorded text is
the rule's current text with its `:q` markers removed (a rule renamed since is found by its old
name, `RENAMED_RULES`), and nothing else: a record of any other
change of a command (a new option, another tool) is left as it is and still triggers its rerun.
It reads Snakemake's default file backend (`.snakemake/metadata/`, one JSON record per output);
the database backend (`--persistence-backend db`) is not touched.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

_QUOTED_FIELD = re.compile(r"\{([^{}:]+):q\}")

# Rules renamed to the command they run (docs/development.md, "Names") since main 3fa611c: a record
# names the rule that made it, so the old name leads to the renamed rule's current text.
RENAMED_RULES = {
    "claims_analysis": "claims",
    "figure_scaling": "plot_scaling", "figure_slopes": "plot_scaling_slopes",
    "figure_histograms": "plot_histograms", "figure_modes": "plot_histograms_modes",
    "figure_synergy": "plot_synergy", "figure_appendix_histograms": "plot_appendix_histograms",
    "figure_appendix_scaling": "plot_appendix_scaling", "figure_pairs_neurons": "plot_pairs_neurons",
    "figure_pairs_tickets": "plot_pairs_tickets", "figure_pairs_width2": "plot_pairs_width2",
    "figure_pairs_distill": "plot_pairs_distill",
    "bridge_figure_alignment": "plot_bridge_alignment", "bridge_figure_rewind": "plot_bridge_rewind",
    "bridge_figure_emergence": "plot_bridge_emergence", "bridge_train": "train_bridge",
    "race_data": "race_prepare_data", "race_figure": "plot_race",
}


def without_quoting(shell_command: str) -> str:
    """The shell text with every `{field:q}` written as `{field}` (the text before quoting)."""
    return _QUOTED_FIELD.sub(r"{\1}", shell_command)


def _write_json_atomically(path: Path, record: dict) -> None:
    mode = path.stat().st_mode & 0o777
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upgrade-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(record, fh)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def upgrade_quoted_records(metadata_dir: str | Path, shell_commands: dict[str, str],
                           renamed: dict[str, str] = RENAMED_RULES) -> int:
    """Record the current shell text (and rule name) for records that differ from it only by quoting.

    `shell_commands` maps rule name -> current (unformatted) shell text; `renamed` maps a rule's
    old name to its new one. Returns the number of records rewritten. Unreadable or foreign files
    are skipped: Snakemake itself ignores them.
    """
    root = Path(metadata_dir)
    if not root.is_dir():
        return 0
    old_text = {rule: without_quoting(cmd) for rule, cmd in shell_commands.items() if without_quoting(cmd) != cmd}
    if not old_text:
        return 0
    changed = 0
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            path = Path(dirpath) / name
            if name.startswith(".upgrade-"):
                continue
            try:
                record = json.loads(path.read_text())
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                continue
            if not isinstance(record, dict):
                continue
            rule = record.get("rule")
            rule = renamed.get(rule, rule) if isinstance(rule, str) else rule
            if isinstance(rule, str) and rule in old_text and record.get("code") == old_text[rule]:
                record["code"] = shell_commands[rule]
                record["rule"] = rule
                try:
                    _write_json_atomically(path, record)
                except OSError:
                    continue  # a record we cannot write keeps its rerun; never fail the workflow here
                changed += 1
    return changed
