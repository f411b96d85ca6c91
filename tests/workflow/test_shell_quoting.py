"""Every path that reaches a rule's shell command is quoted: a results folder with a space, a `$(...)`
or a quote must never split, run or truncate anything (test_pipeline runs with such a folder)."""

import re
from pathlib import Path

RULES = Path(__file__).resolve().parents[2] / "workflow" / "rules"
FIELD = re.compile(r"(?<!\{)\{([A-Za-z_][\w.]*)(:[^{}]*)?\}(?!\})")
# Params that hold several options, or text for its place in the command; each value in them is
# quoted where the string is built (shlex.quote in workflow/rules/**/common.smk and the rule files).
PREPARED_PARAMS = {
    "settings", "options", "opts", "experiments", "rows", "panels", "files", "width2", "thresholds",
    "style", "title", "task", "expect", "prune", "ranges", "range", "sparsities", "main",
}


def shell_strings():
    for path in sorted(RULES.rglob("*.smk")):
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if line.strip() != "shell:":
                continue
            indent = len(line) - len(line.lstrip())
            for j in range(i + 1, len(lines)):
                s = lines[j].strip()
                if not s or len(lines[j]) - len(lines[j].lstrip()) <= indent:
                    break
                yield f"{path.relative_to(RULES)}:{j + 1}", s


def test_the_rules_have_shell_commands():
    assert len(list(shell_strings())) > 40


def test_every_file_and_wildcard_in_a_shell_command_is_quoted():
    unquoted = []
    for where, text in shell_strings():
        for name, spec in FIELD.findall(text):
            head = name.split(".")[0]
            if head in ("input", "output", "log", "wildcards") and spec != ":q":
                unquoted.append(f"{where}: {{{name}{spec}}}")
            if head == "params" and spec != ":q" and name.split(".")[1] not in PREPARED_PARAMS:
                unquoted.append(f"{where}: {{{name}{spec}}} (quote it, or build it with shlex.quote and list it here)")
    assert not unquoted, "\n".join(unquoted)
