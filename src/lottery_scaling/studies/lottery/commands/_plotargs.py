"""Arguments shared by the plot-* commands: style (JSON of the config's `figures` section) and outputs."""

from __future__ import annotations

import argparse
import json


def _style(text: str):
    from ....errors import UserError
    from ..figures import FigureStyle

    try:
        values = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"must be a JSON object: {exc}") from None
    if not isinstance(values, dict):
        raise argparse.ArgumentTypeError(f"must be a JSON object, got {text!r}")
    try:
        return FigureStyle.from_dict(values)
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _figure_path(text: str) -> str:
    if not text.endswith((".png", ".pdf", ".svg")):
        raise argparse.ArgumentTypeError(f"must end in .png, .pdf or .svg, got {text!r}")
    return text


def add(p) -> None:
    p.add_argument("--style", type=_style, default=None, help="figure settings as JSON (config section `figures`)")
    p.add_argument("--out", nargs="+", required=True, type=_figure_path, help="figure files (.png/.pdf/.svg), written atomically")


def style(args):
    from ..figures import FigureStyle

    return args.style or FigureStyle()
