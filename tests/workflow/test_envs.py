"""envs/lottery-scaling.yaml (for --sdm conda) lists the same packages and lower bounds as pyproject.toml."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-")


def test_conda_env_matches_pyproject_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pyproject = {}
    for dep in project["dependencies"]:
        name, bound = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(.*)", dep).groups()
        pyproject[_normalise(name)] = bound.replace(" ", "")
    env = yaml.safe_load((ROOT / "envs" / "lottery-scaling.yaml").read_text())
    conda = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and not dep.startswith(("python", "pip")):
            name, _, bound = dep.partition(" ")
            conda[_normalise(name)] = bound.replace(" ", "")
    assert conda == pyproject
    # the environment installs this package itself
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e .." in pip


def test_every_rule_runs_in_that_environment():
    # `snakemake --sdm conda` deploys it only for rules that name it
    common = (ROOT / "workflow" / "rules" / "common.smk").read_text()
    assert 'CONDA_ENV = str(Path(workflow.basedir) / "envs" / "lottery-scaling.yaml")' in common
    rule_files = list((ROOT / "workflow" / "rules").rglob("*.smk"))
    for path in rule_files:
        text = path.read_text()
        rules = re.findall(r"^rule (\w+):\n    conda:\n        CONDA_ENV\n", text, re.M)
        assert len(rules) == len(re.findall(r"^rule \w+:", text, re.M)), path
