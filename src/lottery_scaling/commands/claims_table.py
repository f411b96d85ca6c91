"""`lottery-scaling claims-table`: concatenate claim-row CSV files into the claims table."""

from __future__ import annotations

HELP = "concatenate CSV files of claim rows (every stage that judges claims writes one) into the claims table"


def configure(p) -> None:
    p.add_argument("inputs", nargs="+", help="CSV files of claim rows with the columns of lottery_scaling.claims.COLUMNS")
    p.add_argument("--expect", nargs="+", default=[], metavar="CLAIM",
                   help="claims the table must list: one absent from every input gets a 'not tested' row")
    p.add_argument("--out", required=True, help="claims table CSV (written atomically)")


def run(args) -> int:
    from ..claims import COLUMNS, VERDICTS
    from ..errors import UserError
    import pandas as pd

    from ..tables import read_csv, write_csv

    frames = []
    for path in args.inputs:
        df = read_csv(path, COLUMNS)
        extra = [c for c in df.columns if c not in COLUMNS]
        if extra:
            raise UserError(f"{path}: unexpected column(s) {', '.join(extra)}; claim rows have {', '.join(COLUMNS)}")
        bad = sorted(set(df["verdict"]) - set(VERDICTS))
        if bad:
            raise UserError(f"{path}: verdict(s) {', '.join(map(str, bad))} not one of {', '.join(VERDICTS)}")
        frames.append(df[list(COLUMNS)])
    from ..claims import row

    table = pd.concat(frames, ignore_index=True)
    judged = set(table["claim"])
    # a claim judged per width has rows named CLAIM_N{width} (synergy_close_N20, ...)
    missing = [c for c in dict.fromkeys(args.expect)
               if c not in judged and not any(str(j).startswith(f"{c}_N") for j in judged)]
    if missing:
        detail = "no experiment of the claim's task and activation is configured (config section claims)"
        table = pd.concat([table, pd.DataFrame([row(c, detail=detail) for c in missing])], ignore_index=True)
    write_csv(table, args.out, COLUMNS)
    print(f"{len(table)} claim rows from {len(args.inputs)} file(s) -> {args.out}")
    return 0
