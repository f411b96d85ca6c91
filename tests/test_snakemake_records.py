"""The upgrade of Snakemake's job records over the quoting of the rules' paths: it rewrites exactly
the records whose text differs from the rule's current one by `:q` markers alone."""

import json

from lottery_scaling.snakemake_records import upgrade_quoted_records, without_quoting

NEW = "lottery-scaling merge {input:q} --out {output.h5:q} > {log:q} 2>&1"
OLD = "lottery-scaling merge {input} --out {output.h5} > {log} 2>&1"


def test_without_quoting_removes_only_q_markers():
    assert without_quoting(NEW) == OLD
    assert without_quoting("echo {params.x} {wildcards.run:q}") == "echo {params.x} {wildcards.run}"
    assert without_quoting("awk '{print $1}' {input:q}") == "awk '{print $1}' {input}"


def _write(folder, name, record):
    path = folder / name
    path.write_text(json.dumps(record) if not isinstance(record, str) else record)
    return path


def test_only_records_that_differ_by_quoting_alone_are_rewritten(tmp_path):
    meta = tmp_path / "metadata"
    (meta / "@deep").mkdir(parents=True)
    old = _write(meta / "@deep", "a", {"rule": "merge", "code": OLD, "params": ["x"]})
    other = _write(meta, "b", {"rule": "merge", "code": OLD + " --extra"})
    current = _write(meta, "c", {"rule": "merge", "code": NEW})
    unknown_rule = _write(meta, "d", {"rule": "gone", "code": OLD})
    broken = _write(meta, "e", "{not json")
    listed = _write(meta, "f", "[1, 2]")
    assert upgrade_quoted_records(meta, {"merge": NEW, "unquoted": "echo hi > {output}"}) == 1
    assert json.loads(old.read_text()) == {"rule": "merge", "code": NEW, "params": ["x"]}
    assert json.loads(other.read_text())["code"] == OLD + " --extra"
    assert json.loads(current.read_text())["code"] == NEW
    assert json.loads(unknown_rule.read_text())["code"] == OLD
    assert broken.read_text() == "{not json" and listed.read_text() == "[1, 2]"
    assert sorted(p.name for p in meta.rglob("*") if p.is_file()) == list("abcdef")  # no temporary left
    assert upgrade_quoted_records(meta, {"merge": NEW}) == 0  # idempotent


def test_a_missing_metadata_folder_is_nothing_to_do(tmp_path):
    assert upgrade_quoted_records(tmp_path / "none", {"merge": NEW}) == 0


def test_a_record_of_a_renamed_rule_finds_the_rule_by_its_old_name(tmp_path):
    meta = tmp_path / "metadata"
    meta.mkdir()
    old = _write(meta, "a", {"rule": "figure_merge", "code": OLD})
    assert upgrade_quoted_records(meta, {"plot_merge": NEW}, renamed={"figure_merge": "plot_merge"}) == 1
    assert json.loads(old.read_text()) == {"rule": "plot_merge", "code": NEW}
