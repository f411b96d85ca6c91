"""CIFAR-10 batches are checked before the core loader unpickles them (studies/race/cifar_files.py):
genuine layouts (every protocol the core reads, and Python 2's cPickle layout of the real files)
load as before; hostile ones are one line naming the file, refused before anything is allocated."""

import _codecs
import pickle
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

from lottery_scaling.errors import UserError
from lottery_scaling.studies.race import cifar_files, data, task_files


class Reduce:
    """Pickles as fn(*args) (with `state` set afterwards): how a hostile file is written."""

    def __init__(self, fn, args, state=None):
        self.fn, self.args, self.state = fn, args, state

    def __reduce__(self):
        return (self.fn, self.args) if self.state is None else (self.fn, self.args, self.state)


def _batch(n, rng, labels=None):
    return {
        b"batch_label": b"fake batch",
        b"labels": [int(v) for v in (rng.integers(0, 10, n) if labels is None else labels)],
        b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
        b"filenames": [b"f%d.png" % i for i in range(n)],
    }


def _dump(path, obj, protocol=2):
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=protocol)


@pytest.fixture
def folder(tmp_path):
    rng = np.random.default_rng(5)
    for name in (*data.CIFAR_TRAIN_FILES, data.CIFAR_TEST_FILE):
        _dump(tmp_path / name, _batch(20, rng, [k % 10 for k in range(20)]))
    return tmp_path


def _refused(folder, message, name="data_batch_2"):
    t0 = time.perf_counter()
    with pytest.raises(UserError) as e:
        task_files.load_task("cifar10", 4, 0, folder)
    assert time.perf_counter() - t0 < 2.0
    text = str(e.value)
    assert "\n" not in text and text.startswith(str(folder / name)), text
    assert message in text, text
    return text


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4])
def test_every_protocol_the_core_reads_passes_the_check(folder, protocol):
    rng = np.random.default_rng(protocol)
    b = _batch(20, rng, [k % 10 for k in range(20)])
    _dump(folder / "data_batch_2", b, protocol)
    t = task_files.load_task("cifar10", 8, 1, folder)
    assert t.sources == {name: cifar_files.check_batch(folder / name) for name in t.sources}
    got, labels = data.read_cifar_batch(folder / "data_batch_2")
    assert np.array_equal(got, b[b"data"]) and labels.tolist() == b[b"labels"]


def _py2_batch(rows, labels):
    """A batch laid out as Python 2's cPickle (protocol 2) wrote CIFAR-10's real files: str as
    BINSTRING / SHORT_BINSTRING, numpy.core.multiarray._reconstruct, lists in batches of 1000."""
    def s(text):
        text = text if isinstance(text, bytes) else text.encode()
        return (b"U" + bytes([len(text)]) if len(text) < 256 else b"T" + struct.pack("<I", len(text))) + text

    pixels = np.arange(rows * 3072, dtype=np.uint64).astype(np.uint8).tobytes()
    out = [b"\x80\x02}q\x01(", s("data"), b"q\x02cnumpy.core.multiarray\n_reconstruct\nq\x03cnumpy\nndarray\nq\x04",
           b"K\x00\x85", s("b"), b"\x87Rq\x05(K\x01M", struct.pack("<H", rows), b"M\x00\x0c\x86cnumpy\ndtype\nq\x06",
           s("u1"), b"K\x00K\x01\x87Rq\x07(K\x03", s("|"), b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89",
           s(pixels), b"tb", s("labels"), b"q\x08]q\x09"]
    for start in range(0, rows, 1000):
        out += [b"("] + [b"K" + bytes([v]) for v in labels[start:start + 1000]] + [b"e"]
    out += [s("batch_label"), s("training batch 1 of 5"), s("filenames"), b"]q\x0a"]
    for start in range(0, rows, 1000):
        out += [b"("] + [s(f"img_{i:06d}.png") for i in range(start, min(rows, start + 1000))] + [b"e"]
    out.append(b"u.")
    return b"".join(out), pixels


def test_python2_layout_of_the_real_files_passes_and_loads(folder):
    labels = [k % 10 for k in range(2500)]
    raw, pixels = _py2_batch(2500, labels)
    (folder / "data_batch_2").write_bytes(raw)
    cifar_files.check_batch(folder / "data_batch_2")
    got, lab = data.read_cifar_batch(folder / "data_batch_2")
    assert got.tobytes() == pixels and lab.tolist() == labels
    assert task_files.load_task("cifar10", 8, 0, folder).n == 8


def test_a_full_size_batch_is_checked_in_about_a_second(tmp_path):
    raw, _ = _py2_batch(10000, [k % 10 for k in range(10000)])
    (tmp_path / "b").write_bytes(raw)
    t0 = time.perf_counter()
    cifar_files.check_batch(tmp_path / "b")
    assert time.perf_counter() - t0 < 5.0  # measured 0.2 s alone; the machine is shared


def test_stride_zero_array_of_a_trillion_rows(folder):
    # the core allows numpy.ndarray, whose constructor makes a view of 3072 bytes with 10^12 rows
    rows = Reduce(np.ndarray, ((10**12, 3072), np.dtype("u1"), b"\0" * 3072, 0, (0, 1)))
    labels = Reduce(np.ndarray, ((10**12,), np.dtype("<i8"), b"\0" * 8, 0, (0,)))
    _dump(folder / "data_batch_2", {b"data": rows, b"labels": labels})
    _refused(folder, "direct call of numpy.ndarray")


def test_memo_shared_label_lists(folder):
    # under 10 KB that the core expands to 2 x 10^9 elements (numpy's conversion follows every shared reference)
    inner = [1] * 100
    for _ in range(3):
        inner = [inner] * 100
    b = _batch(20, np.random.default_rng(0))
    b[b"labels"] = [inner] * 20
    _dump(folder / "data_batch_2", b)
    assert len(pickle.dumps(b[b"labels"], protocol=2)) < 10_000
    _refused(folder, "labels[0] is a list")
    b[b"labels"] = [k % 10 for k in range(20)]
    b[b"filenames"] = [inner] * 20  # shared lists in another entry
    _dump(folder / "data_batch_2", b)
    _refused(folder, "the entry 'filenames' is a list of 20")


def test_strange_codec(folder):
    b = _batch(20, np.random.default_rng(0))
    b[b"batch_label"] = Reduce(_codecs.encode, ("abc", "rot13"))
    _dump(folder / "data_batch_2", b)
    _refused(folder, "_codecs.encode with codec 'rot13', expected 'latin1'")


@pytest.mark.parametrize("label, words", [
    (2**70, "labels[3] is an integer of 71 bits"),
    (7.0, "labels[3] is the float 7.0"),
    ("7", "labels[3] is the text '7'"),
    (b"7", "labels[3] is bytes '7'"),
    (True, "labels[3] is the bool True"),
    (-1, "labels[3] is the integer -1"),
    (10, "labels[3] is the integer 10"),
    (None, "labels[3] is None"),
    (np.int64(3), "numpy._core.multiarray.scalar"),
])
def test_labels_that_are_not_ints_0_to_9(folder, label, words):
    labels = [k % 10 for k in range(20)]
    labels[3] = label
    b = _batch(20, np.random.default_rng(0))
    b[b"labels"] = labels
    _dump(folder / "data_batch_2", b)
    _refused(folder, words)


def test_zero_rows_and_other_shapes(folder):
    b = _batch(20, np.random.default_rng(0))
    _dump(folder / "data_batch_2", {**b, b"data": np.zeros((0, 3072), np.uint8), b"labels": []})
    _refused(folder, "holds no images ('data' has 0 rows)")
    _dump(folder / "data_batch_2", {**b, b"labels": b[b"labels"][:-1]})
    _refused(folder, "'labels' has 19 entries for 20 images")
    _dump(folder / "data_batch_2", {**b, b"data": np.zeros((20, 3072), np.int64)})
    _refused(folder, "an array of dtype 'i8', expected 'u1' (uint8)")
    _dump(folder / "data_batch_2", {**b, b"data": np.zeros((20, 32, 96), np.uint8)})
    _refused(folder, "'data' has shape (20, 32, 96), expected (N, 3072)")
    _dump(folder / "data_batch_2", {**b, b"data": np.zeros((10001, 3072), np.uint8), b"labels": [0] * 10001})
    _refused(folder, "a list of more than 10000 items")
    _dump(folder / "data_batch_2", [b])
    _refused(folder, "holds a list of 1, expected a dict")
    _dump(folder / "data_batch_2", {**b, "data": b[b"data"]})
    _refused(folder, "the key 'data' appears twice")


def test_protocol_5_and_foreign_objects(folder):
    b = _batch(20, np.random.default_rng(0))
    _dump(folder / "data_batch_2", b, protocol=5)  # numpy's out-of-band buffers: the core refuses them too
    _refused(folder, "numpy._core.numeric._frombuffer")
    _dump(folder / "data_batch_2", {**b, b"batch_label": Reduce(print, ("pwned",))})
    _refused(folder, "refers to '__builtin__.print'")
    _dump(folder / "data_batch_2", {**b, b"batch_label": {1, 2}}, protocol=4)
    _refused(folder, "the pickle operation EMPTY_SET")


def test_sizes_are_bounded_before_reading(folder):
    with open(folder / "data_batch_2", "wb") as f:  # sparse: takes no disk
        f.truncate(cifar_files.MAX_FILE_BYTES + 1)
    _refused(folder, f"more than the {cifar_files.MAX_FILE_BYTES} a batch of 10000 images can take")
    (folder / "data_batch_2").write_bytes(b"\x80\x02]q\x00(" + b"N" * (cifar_files.MAX_OPERATIONS + 10) + b"e.")
    _refused(folder, f"more than {cifar_files.MAX_OPERATIONS} pickle operations")


def test_truncated_and_text_files(folder):
    raw = (folder / "data_batch_2").read_bytes()
    (folder / "data_batch_2").write_bytes(raw[: len(raw) // 2])
    _refused(folder, "truncated or not a pickle")
    (folder / "data_batch_2").write_bytes(b"just some text, not a pickle")
    _refused(folder, "not a CIFAR-10 python batch")


def test_a_file_changed_between_check_and_load_is_refused(folder, monkeypatch):
    checked = cifar_files.check_folder(folder)
    monkeypatch.setattr(cifar_files, "check_folder", lambda f: {**checked, "test_batch": "0" * 64})
    with pytest.raises(UserError, match="test_batch: changed while it was being read"):
        task_files.load_task("cifar10", 4, 0, folder)


def test_prepare_data_command_refuses_float_labels_in_one_line(folder, tmp_path):
    b = _batch(20, np.random.default_rng(0))
    b[b"labels"] = [float(k % 10) for k in range(20)]
    _dump(folder / "test_batch", b)
    out = tmp_path / "task.h5"
    proc = subprocess.run([sys.executable, "-m", "lottery_scaling", "race-prepare-data", "--dataset", "cifar10",
                           "--n", "4", "--cifar-dir", str(folder), "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert f"{folder / 'test_batch'}: not a CIFAR-10 python batch: labels[0] is the float 0.0" in proc.stderr
    assert not out.exists()
