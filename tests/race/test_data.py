"""Race data sets: digits default, CIFAR-10 batches in the exact python format, bad files."""

import pickle

import numpy as np
import pytest

from lottery_scaling.errors import UserError
from lottery_scaling.studies.race import data


def _write_batch(path, rng, n, labels=None, protocol=2):
    labels = list(rng.integers(0, 10, n)) if labels is None else labels
    d = {
        b"batch_label": b"fake batch",
        b"labels": [int(v) for v in labels],
        b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
        b"filenames": [b"f%d.png" % i for i in range(n)],
    }
    with open(path, "wb") as f:
        pickle.dump(d, f, protocol=protocol)
    return d


@pytest.fixture
def cifar_dir(tmp_path):
    rng = np.random.default_rng(5)
    batches = []
    for i in range(1, 6):
        # every label 0..3 appears at least 3 times per batch
        labels = [k % 10 for k in range(30)]
        batches.append(_write_batch(tmp_path / f"data_batch_{i}", rng, 30, labels, protocol=2 if i < 5 else 4))
    test = _write_batch(tmp_path / "test_batch", rng, 20, [k % 10 for k in range(20)])
    return tmp_path, batches, test


def test_digits_balanced_scaled_and_disjoint():
    t = data.load_digits_task(40, data_seed=3)
    assert t.x_train.shape == (40, 64)
    assert t.x_train.min() >= -1 and t.x_train.max() <= 1 and t.x_train.max() > 0.9
    for lab in (0, 1, 2, 3):
        assert (t.label_train == lab).sum() == 10
    assert set(np.unique(t.label_test)) == {0, 1, 2, 3}
    assert not set(t.index_train) & set(t.index_test)
    assert np.array_equal(t.y_train, np.isin(t.label_train, (1, 2)).astype(np.int8))
    # same seed, same draw; other seed, other draw
    assert np.array_equal(data.load_digits_task(40, 3).index_train, t.index_train)
    assert not np.array_equal(data.load_digits_task(40, 4).index_train, t.index_train)
    total = sum(int((data.load_digits_task(4, 0).label_test == k).sum()) for k in range(4))
    assert total + 4 == 178 + 182 + 177 + 183


@pytest.mark.parametrize("n", [6, 0, -4, 712])
def test_digits_bad_n(n):
    with pytest.raises(UserError, match="n"):
        data.load_digits_task(n)


def test_cifar_reads_exact_format_and_grays(cifar_dir):
    folder, batches, test = cifar_dir
    t = data.load_cifar_task(folder, 8, data_seed=1)
    assert t.x_train.shape == (8, 1024) and t.x_test.shape == (8, 1024)  # test: labels 0..3 of 20 -> 8
    allb = np.concatenate([b[b"data"] for b in batches])
    alll = np.concatenate([b[b"labels"] for b in batches])
    i = int(t.index_train[0])
    raw = allb[i].astype(np.float64) / 255
    luma = 0.299 * raw[:1024] + 0.587 * raw[1024:2048] + 0.114 * raw[2048:]
    np.testing.assert_allclose(t.x_train[0], 2 * luma - 1, rtol=0, atol=1e-15)
    assert t.label_train[0] == alll[i]
    assert sorted(t.label_train.tolist()) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert set(t.sources) == {*data.CIFAR_TRAIN_FILES, "test_batch"}
    with pytest.raises(UserError, match="at most"):
        data.load_cifar_task(folder, 4 * 16, 0)  # 15 of each label in 5 batches


def test_cifar_truncated_foreign_missing(cifar_dir, tmp_path):
    folder = cifar_dir[0]
    b3 = folder / "data_batch_3"
    raw = b3.read_bytes()
    b3.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(UserError, match="data_batch_3") as e:
        data.load_cifar_task(folder, 4)
    assert "\n" not in str(e.value)
    # a foreign pickle that would run code if loaded unsafely
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))
    with open(b3, "wb") as f:
        pickle.dump({b"data": Evil()}, f)
    with pytest.raises(UserError, match="data_batch_3.*refusing"):
        data.load_cifar_task(folder, 4)
    b3.write_bytes(b"just some text, not a pickle")
    with pytest.raises(UserError, match="data_batch_3"):
        data.load_cifar_task(folder, 4)
    with open(b3, "wb") as f:
        pickle.dump({b"data": np.zeros((3, 10), np.uint8), b"labels": [0, 1, 2]}, f)
    with pytest.raises(UserError, match="data_batch_3.*3072"):
        data.load_cifar_task(folder, 4)
    b3.unlink()
    with pytest.raises(UserError, match="data_batch_3.*missing"):
        data.load_cifar_task(folder, 4)


def test_dataset_roundtrip(tmp_path):
    import h5py

    t = data.load_digits_task(20 * 4, 2)
    p = tmp_path / "d.h5"
    data.write_dataset(p, t)
    back = data.read_dataset(p)
    for name in ("x_train", "y_train", "index_train", "x_test", "label_test"):
        assert np.array_equal(getattr(back, name), getattr(t, name))
    with h5py.File(p) as h5:
        assert h5.attrs["data_seed"] == 2
        assert len(next(iter(data.json.loads(h5.attrs["source_sha256"]).values()))) == 64
        assert h5["x_train"].attrs["description"]
    (tmp_path / "junk.h5").write_bytes(b"nope")
    with pytest.raises(UserError, match="junk.h5"):
        data.read_dataset(tmp_path / "junk.h5")
