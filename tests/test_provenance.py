"""The trainer-core hash follows the code, not where the files live; run names ignore new defaults."""

import shutil
from pathlib import Path

import pytest

from lottery_scaling import provenance
from lottery_scaling.studies.lottery.runs import NAMED_ALWAYS, run_name
from lottery_scaling.studies.lottery.trainer import TrainSettings

PACKAGE = Path(provenance.__file__).parent
# training settings added after the run naming (docs/bridge.md); at their defaults they stay out of names
ADDED_LATER = {"init_scale", "snapshots"}


def _copy_core(dest: Path, flat: bool) -> Path:
    """The lottery core in a package tree: as laid out now, or flat (every module at the top,
    relative imports at depth one, as before the study layout)."""
    for logical, rel in provenance.CORE_MODULES["lottery"].items():
        text = (PACKAGE / rel).read_bytes()
        target = dest / (logical if flat else rel)
        if flat:
            text = provenance.normalised_source(text)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text)
    return dest


def test_moving_the_core_keeps_its_hash(tmp_path):
    flat = _copy_core(tmp_path / "flat", flat=True)
    nested = _copy_core(tmp_path / "nested", flat=False)
    here = provenance.core_hash("lottery")
    assert provenance.core_hash("lottery", root=nested) == here
    flat_map = {name: name for name in provenance.CORE_MODULES["lottery"]}
    old = dict(provenance.CORE_MODULES["lottery"])
    try:
        provenance.CORE_MODULES["lottery"] = flat_map
        assert provenance.core_hash("lottery", root=flat) == here
    finally:
        provenance.CORE_MODULES["lottery"] = old


def test_any_code_change_of_the_core_changes_its_hash(tmp_path):
    root = _copy_core(tmp_path / "core", flat=False)
    before = provenance.core_hash("lottery", root=root)
    kernels = root / provenance.CORE_MODULES["lottery"]["_kernels.py"]
    kernels.write_text(kernels.read_text().replace("LEAKY_SLOPE = 0.01", "LEAKY_SLOPE = 0.02"))
    assert provenance.core_hash("lottery", root=root) != before
    # an import of another module (not only its depth) is a change too
    trainer = root / provenance.CORE_MODULES["lottery"]["trainer.py"]
    shutil.copy(PACKAGE / provenance.CORE_MODULES["lottery"]["_kernels.py"], kernels)
    assert provenance.core_hash("lottery", root=root) == before
    trainer.write_text(trainer.read_text().replace("from ...errors import UserError", "from ...other import UserError"))
    assert provenance.core_hash("lottery", root=root) != before


def test_unknown_study_is_named():
    with pytest.raises(KeyError, match="nosuch"):
        provenance.core_hash("nosuch")


def _settings(**over):
    s = TrainSettings("x2", "silu", 1, **over).resolved().as_attrs()
    return s


def test_run_name_covers_every_original_setting():
    defaults = _settings()
    assert set(NAMED_ALWAYS) == set(defaults) - {"width"} - ADDED_LATER
    base = run_name(_settings(), defaults)
    assert base.startswith("x2-silu-") and len(base.split("-")[-1]) == 10
    assert run_name(_settings(steps=20000), defaults) != base
    assert run_name(_settings(steps=20000), defaults) == run_name(_settings(steps=20000), defaults)


def test_a_new_setting_at_its_default_keeps_the_run_name():
    defaults = _settings()
    base = run_name(_settings(), defaults)
    # a setting added later (here: a made-up init_scale) at its default leaves the name as it was,
    with_new = {**_settings(), "init_scale": 1.0}
    assert run_name(with_new, {**defaults, "init_scale": 1.0}) == base
    # and names a new run when set
    assert run_name({**with_new, "init_scale": 0.1}, {**defaults, "init_scale": 1.0}) != base


def test_the_default_run_names_of_the_previous_layout_are_kept():
    # names computed by the single-package layout (commit eb88757) for config.yaml's experiments:
    # a rename here would retrain every finished result
    import json
    import hashlib

    for over, act in (({"n_train": 200}, "silu"), ({"n_train": 200}, "leaky_relu")):
        settings = TrainSettings("x2", act, 1, **over).resolved().as_attrs()
        del settings["width"]
        for key in ADDED_LATER:  # settings added after that layout, at their defaults
            del settings[key]
        legacy = f"x2-{act}-" + hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]
        assert run_name(TrainSettings("x2", act, 1, **over).resolved().as_attrs(),
                        TrainSettings("x2", act, 1).resolved().as_attrs()) == legacy


def test_run_names_of_the_default_config_are_those_on_disk_before_the_layout_change():
    # the folders the default config.yaml trained into at eb88757 (docs/development.md, How reruns are tracked)
    for act, name in (("silu", "x2-silu-85c3d0c964"), ("leaky_relu", "x2-leaky_relu-4d01664386")):
        s = TrainSettings("x2", act, 1, n_train=200).resolved().as_attrs()
        assert run_name(s, TrainSettings("x2", act, 1).resolved().as_attrs()) == name
