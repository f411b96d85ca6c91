"""`lottery-scaling report`: the report file is the old one or a complete new one, never half of one
(a successful run is checked in tests/workflow/test_pipeline.py)."""

import subprocess
import sys
import zipfile

from lottery_scaling.commands.report import report_is_complete


def test_a_truncated_html_report_is_not_complete(tmp_path):
    full = tmp_path / "r.html"
    full.write_text("<!DOCTYPE html><html><body>" + "x" * 1000 + "</body></html>\n")
    cut = tmp_path / "cut.html"
    cut.write_bytes(full.read_bytes()[:500])
    assert report_is_complete(full) and not report_is_complete(cut)
    assert not report_is_complete(tmp_path / "missing.html")


def test_a_zip_report_must_be_a_readable_archive(tmp_path):
    good = tmp_path / "r.zip"
    with zipfile.ZipFile(good, "w") as z:
        z.writestr("report/index.html", "<html></html>")
    cut = tmp_path / "cut.zip"
    cut.write_bytes(good.read_bytes()[:-30])
    assert report_is_complete(good) and not report_is_complete(cut)


def _report(tmp_path, *args):
    return subprocess.run([sys.executable, "-m", "lottery_scaling", "report", *args],
                          cwd=tmp_path, capture_output=True, text=True)


def test_a_failed_snakemake_leaves_the_previous_report_and_no_partial_file(tmp_path):
    (tmp_path / "report.html").write_text("previous\n")
    proc = _report(tmp_path, "--out", "report.html", "--", "--no-such-snakemake-option")
    assert proc.returncode != 0 and "report.html left as it was" in proc.stderr
    assert (tmp_path / "report.html").read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_a_report_name_of_another_format_is_refused_in_one_line(tmp_path):
    proc = _report(tmp_path, "--out", "report.pdf")
    assert proc.returncode == 2 and "'report.pdf' must end in .html or .zip" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
