"""HDF5 layout, atomic writes, merging and clear errors for bad files."""

import h5py
import numpy as np
import pytest

from lottery_scaling.studies.lottery import networks as h5io
from lottery_scaling.errors import UserError
from lottery_scaling.studies.lottery.trainer import TrainSettings, train

SETTINGS = TrainSettings("x2", "silu", width=3, steps=50, n_train=20, n_test=11, curve_points=6)


@pytest.fixture(scope="module")
def trained(tiny_trained):
    return tiny_trained


def test_roundtrip_keeps_every_dataset_and_setting(tmp_path, trained):
    path = tmp_path / "a.h5"
    h5io.write_result(path, trained)
    back = h5io.read_result(path)
    assert back.settings == trained.settings.resolved()
    for name in h5io.DATASETS:
        assert np.array_equal(getattr(back, name), getattr(trained, name)), name
    with h5py.File(path) as h5:
        assert h5["w"].shape == (6, 3, 1) and h5["loss_curve"].shape == (6, 6)
        assert h5.attrs["steps"] == 50 and h5.attrs["activation"] == "silu"
        assert "numba_version" in h5.attrs and "lottery_scaling_version" in h5.attrs
        assert h5["test_loss"].attrs["units"] == "MSE"
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left


def test_merge_sorts_by_seed_and_rejects_mismatches(tmp_path, trained):
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    h5io.write_result(a, train(SETTINGS, np.arange(3, 6)))
    h5io.write_result(b, train(SETTINGS, np.arange(0, 3)))
    merged = h5io.merge([a, b], tmp_path / "m.h5")
    assert merged.seed.tolist() == list(range(6))
    assert np.array_equal(h5io.read_result(tmp_path / "m.h5").w, trained.w)
    with pytest.raises(UserError, match="seed 0"):
        h5io.merge([b, b], tmp_path / "dup.h5")
    other = tmp_path / "other.h5"
    h5io.write_result(other, train(TrainSettings("x2", "silu", width=3, steps=60, n_train=20, n_test=11, curve_points=6), [9]))
    with pytest.raises(UserError, match="settings differ"):
        h5io.merge([a, other], tmp_path / "bad.h5")
    assert not (tmp_path / "dup.h5").exists() and not (tmp_path / "bad.h5").exists()


def test_truncated_foreign_and_incomplete_files_name_the_file(tmp_path, trained):
    good = tmp_path / "good.h5"
    h5io.write_result(good, trained)
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(good.read_bytes()[:2000])
    with pytest.raises(UserError, match="truncated.h5"):
        h5io.read_result(truncated)
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as h5:
        h5["x"] = [1, 2]
    with pytest.raises(UserError, match="foreign.h5.*not a lottery-scaling"):
        h5io.read_result(foreign)
    incomplete = tmp_path / "incomplete.h5"
    incomplete.write_bytes(good.read_bytes())
    with h5py.File(incomplete, "a") as h5:
        del h5["test_loss"]
    with pytest.raises(UserError, match="incomplete.h5.*test_loss"):
        h5io.read_result(incomplete)
    with pytest.raises(UserError, match="missing.h5"):
        h5io.read_result(tmp_path / "missing.h5")


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "out.h5"
    with pytest.raises(RuntimeError):
        with h5io.atomic_path(target) as tmp:
            tmp.write_bytes(b"partial")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
