"""The race study's 1024-input photos task: tiles against a pixel-by-pixel reference, labels,
the balanced draw, the file checks, and the command's refusals."""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from lottery_scaling.errors import UserError
from lottery_scaling.studies.race import data, photos, task_files


def _reference_tile(rgb, row, col):
    """Tile (row, col) computed pixel by pixel, as the docstring states it."""
    out = np.empty(1024)
    for i in range(32):
        for j in range(32):
            r, g, b = (float(v) / 255.0 for v in rgb[32 * row + i, 32 * col + j])
            out[32 * i + j] = 2.0 * (0.299 * r + 0.587 * g + 0.114 * b) - 1.0
    return out


def test_tiles_match_a_pixel_by_pixel_reference_on_random_pixels():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (427, 640, 3), dtype=np.uint8)
    x = photos.tiles(rgb)
    assert x.shape == (260, 1024)
    for row, col in ((0, 0), (0, 19), (12, 0), (7, 11), (12, 19)):
        np.testing.assert_allclose(x[row * 20 + col], _reference_tile(rgb, row, col), rtol=0, atol=1e-15)


def test_labels_are_photo_and_half():
    labels = photos.tile_labels()
    assert labels.shape == (520,)
    idx = lambda p, row, col: p * 260 + row * 20 + col  # noqa: E731
    assert labels[idx(0, 0, 0)] == 0 and labels[idx(0, 5, 9)] == 0 and labels[idx(0, 5, 10)] == 3
    assert labels[idx(1, 0, 0)] == 1 and labels[idx(1, 12, 19)] == 2
    assert [int((labels == k).sum()) for k in range(4)] == [130] * 4
    # class 1 = {0, 3} is the first photo, class 2 = {1, 2} the second
    cls = np.isin(labels, data.GROUPS[1])
    assert not cls[:260].any() and cls[260:].all()


def test_task_is_balanced_disjoint_and_made_of_the_photos_tiles():
    t = photos.load_photos_task(40, data_seed=2)
    assert t.name == "photos" and t.x_train.shape == (40, 1024) and t.x_test.shape == (480, 1024)
    assert [int((t.label_train == k).sum()) for k in range(4)] == [10] * 4
    assert not set(t.index_train) & set(t.index_test)
    assert sorted(set(t.index_train) | set(t.index_test)) == list(range(520))
    assert np.array_equal(t.y_train, (t.index_train >= 260).astype(np.int8))
    assert t.x_train.min() >= -1 and t.x_train.max() <= 1
    # the tiles are the photo's own pixels: tile index 0 against the decoded JPEG
    from sklearn.datasets import load_sample_images

    china = load_sample_images().images[0]
    full = photos.load_photos_task(400, data_seed=2)
    where = np.flatnonzero(np.concatenate([full.index_train, full.index_test]) == 21)  # row 1, column 1
    x = np.concatenate([full.x_train, full.x_test])[where[0]]
    np.testing.assert_allclose(x, _reference_tile(china, 1, 1), atol=1e-15)
    assert np.array_equal(photos.load_photos_task(40, 2).index_train, t.index_train)
    assert not np.array_equal(photos.load_photos_task(40, 3).index_train, t.index_train)


def test_the_two_photos_differ_as_classes_should():
    """A sanity check of the task, not of the code: the class is learnable but not by brightness
    alone (a threshold on mean brightness is far from perfect)."""
    t = photos.load_photos_task(400, 0)
    m = t.x_train.mean(axis=1)
    best = max(np.mean((m > c) == t.y_train) for c in np.quantile(m, np.linspace(0.05, 0.95, 19)))
    best = max(best, 1 - min(np.mean((m > c) == t.y_train) for c in np.quantile(m, np.linspace(0.05, 0.95, 19))))
    assert 0.5 < best < 0.9


def test_too_large_n_and_bad_n_are_one_line():
    with pytest.raises(UserError, match="n = 404 is more than the photos task allows: at most 400"):
        photos.load_photos_task(404)
    with pytest.raises(UserError, match="multiple of 4"):
        photos.load_photos_task(42)


def test_prepared_file_passes_the_file_checks(tmp_path):
    t = task_files.load_task("photos", 40, 1)
    path = tmp_path / "photos.h5"
    data.write_dataset(path, t)
    back = task_files.read_dataset(path)
    assert back.name == "photos" and np.array_equal(back.x_train, t.x_train)
    assert set(back.sources) == {"sklearn/datasets/images/china.jpg", "sklearn/datasets/images/flower.jpg",
                                 "decoded:china.jpg", "decoded:flower.jpg"}


def test_an_unreadable_photo_is_one_line(tmp_path, monkeypatch):
    bad = tmp_path / "images"
    bad.mkdir()
    (bad / "china.jpg").write_bytes(b"not a jpeg")
    Image.fromarray(np.zeros((427, 640, 3), np.uint8)).save(bad / "flower.jpg")
    monkeypatch.setattr(photos, "_image_folder", lambda: bad)
    with pytest.raises(UserError, match="china.jpg: cannot decode"):
        photos.load_photos_task(40)
    Image.fromarray(np.zeros((100, 640, 3), np.uint8)).save(bad / "china.jpg", format="JPEG")
    with pytest.raises(UserError, match=r"china.jpg: sample photo is 640 x 100 pixels"):
        photos.load_photos_task(40)


def test_command_writes_photos_and_refuses_a_cifar_dir(tmp_path):
    out = tmp_path / "p.h5"
    ok = subprocess.run([sys.executable, "-m", "lottery_scaling", "race-prepare-data", "--dataset", "photos",
                         "--n", "8", "--out", str(out)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert task_files.read_dataset(out).x_test.shape == (512, 1024)
    bad = subprocess.run([sys.executable, "-m", "lottery_scaling", "race-prepare-data", "--dataset", "photos",
                          "--n", "8", "--cifar-dir", str(tmp_path), "--out", str(tmp_path / "q.h5")],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and bad.stderr.strip().count("\n") == 0
    assert "--cifar-dir is only used with --dataset cifar10" in bad.stderr
