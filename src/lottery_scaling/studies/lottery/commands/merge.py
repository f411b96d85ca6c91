"""`lottery-scaling merge`: merge chunk files of one (experiment, width) into one file."""

from __future__ import annotations

from ....commands._argtypes import h5_output

HELP = "merge trained-network chunk files of one experiment and width, sorted by seed"


def configure(p) -> None:
    p.add_argument("inputs", nargs="+", help="chunk files written by `lottery-scaling train`")
    p.add_argument("--out", required=True, type=h5_output, help="merged HDF5 file (written atomically)")


def run(args) -> int:
    from .. import networks as h5io

    result = h5io.merge(args.inputs, args.out)
    print(f"merged {len(args.inputs)} files, {result.seed.size} networks -> {args.out}")
    return 0
