"""h5checks.H5Reader: datasets are read only when plain, of the right kind and shape, within the budget."""

import h5py
import numpy as np
import pytest

from lottery_scaling.errors import UserError
from lottery_scaling.h5checks import H5Reader


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "f.h5"
    with h5py.File(p, "w") as h5:
        h5["a"] = np.arange(10, dtype=np.int64)
        h5["pair"] = np.zeros(3, dtype=[("x", "f8"), ("y", "f8")])
        layout = h5py.VirtualLayout(shape=(10,), dtype="i8")
        layout[:] = h5py.VirtualSource(p, "a", shape=(10,))
        h5.create_virtual_dataset("virtual", layout)
        h5.attrs["flag"] = True
        h5.attrs["name"] = np.frombuffer(b"\xff\xfe", dtype="S2")[0]
    return p


def _fails(path, words, read, budget=1 << 20):
    with pytest.raises(UserError) as e:
        with H5Reader(path, budget) as f:
            read(f)
    assert str(e.value) == f"{path}: {words}"


def test_reads_within_kind_shape_and_budget(path):
    with H5Reader(path) as f:
        assert f.array("a", "iu", (None,)).tolist() == list(range(10))
    _fails(path, "dataset a declares 80 bytes, past the 79 bytes any file of lottery-scaling needs (absurd shape?)",
           lambda f: f.array("a", "iu"), budget=79)
    _fails(path, "dataset a has shape (10,), expected (any, 2)", lambda f: f.array("a", "iu", (None, 2)))
    _fails(path, "dataset a must hold floats, found int64", lambda f: f.array("a", "f"))
    _fails(path, "dataset pair must hold numbers, found a compound type", lambda f: f.array("pair", "iuf"))
    _fails(path, "dataset virtual keeps its data outside the file (virtual or external storage)",
           lambda f: f.array("virtual", "iu"))


def test_attributes_and_files(path, tmp_path):
    _fails(path, "attribute flag must be an integer, found True", lambda f: f.int_attr("flag"))
    _fails(path, "attribute name must be text, found bytes that are not UTF-8", lambda f: f.text_attr("name"))
    _fails(path, "attribute nope missing", lambda f: f.attr("nope"))
    _fails(tmp_path / "none.h5", "no such file", lambda f: None)
    (tmp_path / "text.h5").write_text("not HDF5")
    with pytest.raises(UserError, match=r"text.h5: cannot read as HDF5"):
        with H5Reader(tmp_path / "text.h5"):
            pass
