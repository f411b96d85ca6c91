"""Command line `lottery-scaling SUBCOMMAND ...`; each subcommand is a module in `commands/` (shared)
or in a study's `studies/NAME/commands/` (module `plot_scaling` is subcommand `plot-scaling`).

A command module defines HELP, configure(parser) and run(args) -> int. User mistakes
(UserError, bad arguments) end with one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys

from . import __version__, commands
from .errors import UserError


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line: 'PROG: error: MESSAGE'."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # argparse takes '-1e-05' (and a seed range '-3:5') for an option; accept negative numbers in
        # any float notation, and ranges, as values so that their own checks name the problem
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?(:-?\d+)?$")

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _command_packages():
    import importlib

    from .studies import STUDIES

    yield commands
    for study in STUDIES:
        try:
            yield importlib.import_module(f"{__package__}.studies.{study}.commands")
        except ModuleNotFoundError as exc:  # a study without commands yet
            if exc.name != f"{__package__}.studies.{study}.commands":
                raise


def _command_modules():
    """(subcommand name, module) of every command; a name defined twice is a programming error."""
    seen = {}
    for package in _command_packages():
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            if info.name.startswith("_"):
                continue
            name = info.name.replace("_", "-")
            if name in seen:
                raise RuntimeError(f"subcommand {name} defined in {seen[name]} and {package.__name__}")
            seen[name] = package.__name__
            yield name, importlib.import_module(f"{package.__name__}.{info.name}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lottery-scaling", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"lottery-scaling {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    for name, module in _command_modules():
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.configure(p)
        p.set_defaults(_run=module.run, _prog=p.prog)
    return parser


def _is_output(dest: str) -> bool:
    return dest in ("out", "png", "pdf") or dest.startswith("out_") or dest.endswith("_out")


def _paths(value):
    import os

    if isinstance(value, (str, os.PathLike)):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, (str, os.PathLike)) for v in value):
        return list(value)
    return []


def check_outputs(args) -> None:
    """Before any work: every output's folder can be created and written, and no output is
    also an input, so a command either writes all its outputs or none (no half-written set).

    Inputs are every other argument naming an existing path (positional files, --networks,
    --clusters, --width2-*, --histogram-dir, ...), so a new command is covered without a list.
    """
    import os
    from pathlib import Path

    outputs = {dest: value for dest, value in vars(args).items() if _is_output(dest) and value is not None}
    inputs = set()
    for dest, value in vars(args).items():
        if dest in outputs or dest.startswith("_"):
            continue
        for v in _paths(value):
            p = Path(v)
            try:
                exists = p.exists()
            except OSError:  # e.g. a long JSON value is no file name (ENAMETOOLONG)
                exists = False
            if exists:
                inputs.add(p.resolve())
                if p.is_dir():  # a folder of inputs: its files are inputs too
                    inputs.update(q.resolve() for q in p.iterdir())
    for dest, value in outputs.items():
        option = "--" + dest.replace("_", "-")
        for path in _paths(value):
            path = Path(path)
            if path.resolve() in inputs:
                raise UserError(f"{option}: {path} is also an input; write the result to a new file")
            if path.is_dir():
                raise UserError(f"{option}: {path} is a folder, expected a file name")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UserError(f"{option}: cannot create the folder of {path} ({exc.strerror or exc})") from None
            if not os.access(path.parent, os.W_OK | os.X_OK):
                raise UserError(f"{option}: cannot write into {path.parent}")


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_outputs(args)
        return int(args._run(args) or 0)
    except UserError as exc:
        print(f"{args._prog}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. an output folder that cannot be created or written
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"{args._prog}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except MemoryError as exc:  # e.g. past a memory check that --max-memory overrode
        print(f"{args._prog}: error: out of memory ({exc or 'allocation failed'})", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{args._prog}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
