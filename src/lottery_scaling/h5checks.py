"""Reading HDF5 files of unknown origin: every problem is one UserError naming the file, the dataset and the fault.

`H5Reader` hands out a dataset only when it is plain: reached by hard links (no soft or
external link) and stored in the file itself (no virtual or external storage, which would
read other files). Its dtype kind and shape are checked from the metadata before anything
is read, and the bytes read from one file stay within a budget, so a file that declares
10^12 elements (HDF5 stores unwritten chunks as nothing) is refused before any allocation.
`require` names the first offending value and its index.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .errors import UserError

# Far above any file of this project (a paper-scale race runs file is ~50 MB, a merged
# lottery file with snapshots a few hundred MB), far below what would hurt a machine.
READ_BUDGET_BYTES = 4 << 30

KIND_WORDS = {"iu": "integers", "f": "floats", "iuf": "numbers", "biu": "booleans (or 0/1)"}


def dtype_word(dt: np.dtype) -> str:
    """How a dtype reads in a message: 'bytes (|S1)', 'text', 'a compound type', 'float64'."""
    if dt.fields:
        return "a compound type"
    if dt.kind == "S":
        return f"bytes ({dt.str})"
    if dt.kind in "OU":
        return "text or objects"
    return str(dt)


def value_text(value) -> str:
    """A value for a message, short and on one line."""
    if isinstance(value, (np.floating, float)):
        text = repr(float(value))
    elif isinstance(value, (np.integer, int)) and not isinstance(value, (bool, np.bool_)):
        value = int(value)
        text = str(value) if abs(value) < 10**40 else f"an integer of {value.bit_length()} bits"
    else:
        text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= 60 else text[:57] + "..."


def first_index(mask: np.ndarray) -> tuple:
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(mask)), mask.shape))


def require(path, name: str, values: np.ndarray, ok: np.ndarray, expected: str) -> None:
    """UserError naming the first element of `values` where `ok` is false (NaN fails any comparison)."""
    ok = np.broadcast_to(ok, values.shape)
    if not ok.all():
        bad = ~ok
        index = first_index(bad)
        raise UserError(f"{path}: dataset {name} holds {value_text(values[index])} at {list(index)}, expected {expected}"
                        f" ({int(bad.sum())} such value{'s' if bad.sum() > 1 else ''})")


def shape_text(shape) -> str:
    return "(" + ", ".join("any" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


class H5Reader:
    """`with H5Reader(path) as f:` ... f.array(name, kinds, shape) ... (see the module docstring)."""

    def __init__(self, path, budget: int = READ_BUDGET_BYTES):
        self.path = Path(path)
        self.budget = int(budget)
        self.spent = 0
        self.h5 = None

    def __enter__(self) -> "H5Reader":
        import h5py

        if not self.path.is_file():
            self.fail("no such file")
        try:
            self.h5 = h5py.File(self.path, "r")
        except OSError as exc:
            raise UserError(f"{self.path}: cannot read as HDF5 ({exc})") from None
        return self

    def __exit__(self, *exc_info) -> None:
        if self.h5 is not None:
            self.h5.close()

    def fail(self, message: str):
        raise UserError(f"{self.path}: {message}")

    def require(self, name, values, ok, expected) -> None:
        require(self.path, name, values, ok, expected)

    # ---- nodes ----
    def has(self, name: str) -> bool:
        try:
            return self.h5.get(name, getlink=True) is not None
        except (KeyError, ValueError, OSError, TypeError):
            return False

    def node(self, name: str, kind: str = "dataset"):
        """The group or dataset `name` (a/b/c), reached by hard links only."""
        import h5py

        obj = self.h5
        parts = name.split("/")
        for i, part in enumerate(parts):
            where = "/".join(parts[: i + 1])
            what = kind if i == len(parts) - 1 else "group"
            try:
                link = obj.get(part, getlink=True)
            except (KeyError, ValueError, OSError, TypeError) as exc:
                self.fail(f"cannot read {what} {where} ({exc})")
            if link is None:
                self.fail(f"missing {what} {where}")
            if not isinstance(link, h5py.HardLink):
                sort = "an external" if isinstance(link, h5py.ExternalLink) else "a soft"
                self.fail(f"{where} is {sort} link, expected a {what} stored in the file")
            try:
                obj = obj[part]
            except (KeyError, ValueError, OSError, TypeError) as exc:
                self.fail(f"cannot read {what} {where} ({exc})")
            wanted = h5py.Dataset if what == "dataset" else h5py.Group
            if not isinstance(obj, wanted):
                self.fail(f"{where} must be a {what}, found a {'group' if isinstance(obj, h5py.Group) else 'dataset'}")
        if kind == "dataset":
            if obj.is_virtual or obj.external:
                self.fail(f"dataset {name} keeps its data outside the file (virtual or external storage)")
        return obj

    def shape(self, name: str, ndim: int) -> tuple:
        """The shape of dataset `name` from its metadata (nothing is read); it must have `ndim` axes."""
        shape = self.node(name).shape
        if shape is None or len(shape) != ndim:
            self.fail(f"dataset {name} has shape {shape}, expected {ndim} ax{'is' if ndim == 1 else 'es'}")
        return tuple(int(s) for s in shape)

    def array(self, name: str, kinds: str, shape=None) -> np.ndarray:
        """Dataset `name` read into memory after its dtype kind (numpy kinds, e.g. 'iu') and shape
        (a tuple; None = any length on that axis) are checked and its size is charged to the budget."""
        ds = self.node(name)
        dt = ds.dtype
        if dt.kind not in kinds or dt.fields or dt.subdtype is not None:
            self.fail(f"dataset {name} must hold {KIND_WORDS.get(kinds, kinds)}, found {dtype_word(dt)}")
        got = ds.shape
        if got is None:
            self.fail(f"dataset {name} holds no data (empty dataspace)")
        if shape is not None and (len(got) != len(shape) or any(e is not None and g != e for g, e in zip(got, shape))):
            self.fail(f"dataset {name} has shape {tuple(got)}, expected {shape_text(shape)}")
        self.charge(name, math.prod(int(s) for s in got) * dt.itemsize)
        try:
            value = ds[()]
        except (OSError, ValueError, TypeError) as exc:
            self.fail(f"dataset {name} cannot be read ({exc})")
        return np.asarray(value)

    def charge(self, name: str, nbytes: int) -> None:
        if self.spent + nbytes > self.budget:
            self.fail(f"dataset {name} declares {nbytes} bytes, past the {self.budget} bytes any file of "
                      f"lottery-scaling needs (absurd shape?)")
        self.spent += nbytes

    def declare(self, name: str) -> None:
        """Check a dataset another reader will load (links, storage) and charge its size, without reading it."""
        ds = self.node(name)
        if ds.shape is not None:
            self.charge(name, math.prod(int(s) for s in ds.shape) * ds.dtype.itemsize)

    # ---- attributes ----
    def attr(self, name: str, where: str = "", default=KeyError):
        obj = self.node(where, "group") if where else self.h5
        label = f"{where}/{name}" if where else name
        try:
            if name not in obj.attrs:
                if default is KeyError:
                    self.fail(f"attribute {label} missing")
                return default
            return obj.attrs[name]
        except (OSError, TypeError, ValueError) as exc:
            self.fail(f"attribute {label} cannot be read ({exc})")

    def text_attr(self, name: str, where: str = "", default=KeyError):
        value = self.attr(name, where, default)
        if value is default and default is not KeyError:
            return value
        label = f"{where}/{name}" if where else name
        if isinstance(value, (bytes, np.bytes_)):
            try:
                value = bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                self.fail(f"attribute {label} must be text, found bytes that are not UTF-8")
        if not isinstance(value, str):
            self.fail(f"attribute {label} must be text, found {value_text(value)}")
        return value

    def int_attr(self, name: str, where: str = "", low: int | None = None) -> int:
        value = self.attr(name, where)
        label = f"{where}/{name}" if where else name
        if isinstance(value, np.ndarray) and value.shape == ():
            value = value[()]
        if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
            self.fail(f"attribute {label} must be an integer, found {value_text(value)}")
        if low is not None and value < low:
            self.fail(f"attribute {label} must be an integer >= {low}, found {int(value)}")
        return int(value)

    def json_attr(self, name: str, where: str = ""):
        text = self.text_attr(name, where)
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested past Python's stack
            self.fail(f"attribute {f'{where}/{name}' if where else name} is not JSON ({value_text(str(exc))})")

    def format_attr(self) -> str | None:
        """The root attribute `format` as text, or None (missing or not text): for the caller's own message."""
        value = self.attr("format", default=None)
        if isinstance(value, (bytes, np.bytes_)):
            value = bytes(value).decode("utf-8", "replace")
        return value if isinstance(value, str) else None

    def all_attrs(self, where: str = "") -> dict:
        obj = self.node(where, "group") if where else self.h5
        try:
            return dict(obj.attrs)
        except (OSError, TypeError, ValueError) as exc:
            self.fail(f"attributes of {where or 'the root'} cannot be read ({exc})")
