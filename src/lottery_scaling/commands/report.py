"""`lottery-scaling report`: `snakemake --report`, written atomically.

Snakemake writes the report file in place, so a run killed while writing leaves a truncated
report.html that looks like a report. This command lets Snakemake write a hidden file beside the
target and renames it onto the target only when Snakemake succeeded and the file is complete
(an HTML report ends with `</html>`; a .zip report must open as a zip archive), so the target is
either the previous report or the new one, never half of one.
"""

from __future__ import annotations

HELP = "write the HTML (or .zip) report with snakemake --report, atomically; snakemake options follow --"


def configure(p) -> None:
    p.add_argument("--out", default="report.html", help="report file, .html or .zip (default: report.html)")
    p.add_argument("snakemake_args", nargs="*", metavar="SNAKEMAKE_OPTION",
                   help="options passed to snakemake after --, e.g. -- --configfile config/paper.yaml")


def report_is_complete(path) -> bool:
    """A finished report: an HTML file that ends with its closing tag, or a readable zip archive."""
    import zipfile
    from pathlib import Path

    path = Path(path)
    if path.suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                return archive.testzip() is None
        except (OSError, zipfile.BadZipFile):
            return False
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - 64))
            return fh.read().rstrip().lower().endswith(b"</html>")
    except OSError:
        return False


def run(args) -> int:
    import os
    import subprocess
    import sys
    from pathlib import Path

    from ..errors import UserError

    out = Path(args.out)
    if out.suffix not in (".html", ".zip"):
        raise UserError(f"--out: {args.out!r} must end in .html or .zip (the two formats snakemake --report writes)")
    partial = out.with_name(f".{out.stem}.partial-{os.getpid()}{out.suffix}")
    command = [sys.executable, "-m", "snakemake", "--report", str(partial), *args.snakemake_args]
    try:
        code = subprocess.call(command)
        if code == 0 and not report_is_complete(partial):
            sys.stderr.write(f"lottery-scaling report: snakemake exited 0 but {partial} is not a complete report; "
                             f"{out} left as it was\n")
            code = 1
        if code == 0:
            os.replace(partial, out)
            print(f"report -> {out}")
        else:
            sys.stderr.write(f"lottery-scaling report: snakemake --report failed (status {code}); {out} left as it was\n")
        return code
    except KeyboardInterrupt:
        sys.stderr.write(f"lottery-scaling report: interrupted; {out} left as it was\n")
        return 130
    finally:
        partial.unlink(missing_ok=True)
