"""CSV tables of the analysis stages: written atomically, read back with clear errors."""

from __future__ import annotations

from pathlib import Path

from .errors import UserError


def write_csv(rows, path, columns, float_format: str | None = "%.10g") -> None:
    """Write rows (list of dicts or a DataFrame) with exactly `columns`, atomically.

    Numbers get 10 significant digits; float_format=None keeps every digit (for per-network
    tables that later stages resample, so their statistics do not depend on the rounding).
    """
    import pandas as pd

    from .h5io import atomic_path

    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows), columns=list(columns))
    df = df.reindex(columns=list(columns))
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, float_format=float_format)


def read_csv(path, required=()):
    """Read a CSV table; a missing file or missing columns raise UserError naming the file."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    try:
        df = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise UserError(f"{path}: empty file (not a table written by lottery-scaling)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read as CSV: {exc}") from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(missing)}")
    return df


def concat_csv(paths, out, required=()) -> int:
    """Concatenate CSV tables with the same columns into `out`; returns the number of rows."""
    import pandas as pd

    frames = [read_csv(p, required) for p in paths]
    if not frames:
        raise UserError("no input tables")
    columns = list(frames[0].columns)
    for p, f in zip(paths, frames):
        if list(f.columns) != columns:
            raise UserError(f"{p}: columns differ from {paths[0]}")
    df = pd.concat(frames, ignore_index=True)
    write_csv(df, out, columns)
    return len(df)
