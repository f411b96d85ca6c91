"""The race study's offline 1024-input natural-image task: 32x32 grayscale tiles of the two photos
scikit-learn bundles (`sklearn/datasets/images/china.jpg` and `flower.jpg`, 427 x 640 RGB).

Why these and not the digits upsampled to 32x32: the first layer's gradient lies in the span of
the training inputs. Upsampled digits are 1024 numbers in a 64-dimensional subspace (any
interpolation is a linear map of the 64 pixels), so that span has at most 64 dimensions whatever
n is; for photo tiles, as for CIFAR-10, it has min(n, 1024), and the inputs have natural-image
statistics (a full-rank covariance with a falling spectrum). What the task is not: CIFAR-10. The
class is which photo a tile comes from, test tiles neighbour training tiles of the same two images,
and n <= 400 < 1024 (no n > D).

Task (same shape as the other race data sets, `data.TaskData`): the photo is the class. Tiles are
the non-overlapping 32x32 squares of a 13 x 20 grid from the top-left corner (the last 11 rows of
pixels are not used), 260 per photo. The four "original labels" that the balanced draw
(`data.balanced_indices`) needs are (photo, half): 0 = china, left half (grid columns 0..9),
3 = china, right half, 1 = flower, left half, 2 = flower, right half; so class 1 = {0, 3} = china
and class 2 = {1, 2} = flower, by the study's grouping. 130 tiles per label. The index of a tile
is photo * 260 + grid_row * 20 + grid_column.

Training set: n tiles, n/4 per label, drawn as for digits (`data.balanced_indices` with the data
seed); test set: every other tile. n is at most MAX_N = 400 (100 per label) so that the test set
keeps at least 30 tiles per label. Non-overlapping tiles keep test pixels out of the training
set; neighbouring tiles are still correlated, as crops of one photo are.

Pixels: the JPEGs decoded by Pillow (what `sklearn.datasets.load_sample_images` uses), luma
Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, as for CIFAR-10) on pixels / 255 in float64,
each tile flattened row-major, x = 2 Y - 1 in [-1, 1]. JPEG decoding can differ in the last
bit between libjpeg versions, so the provenance holds the SHA-256 of each JPEG and of the decoded
uint8 pixels.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from lottery_scaling.errors import UserError

from . import data

PHOTOS = ("china.jpg", "flower.jpg")  # class 1, class 2
TILE = 32
GRID = (13, 20)  # rows, columns of tiles per photo
TILES_PER_PHOTO = GRID[0] * GRID[1]
INPUTS = TILE * TILE
POOL = len(PHOTOS) * TILES_PER_PHOTO  # 520
PER_LABEL = TILES_PER_PHOTO // 2  # 130
MAX_N = 400  # 100 per label: at least 30 test tiles per label
_LABEL = {(0, 0): 0, (0, 1): 3, (1, 0): 1, (1, 1): 2}  # (photo, half) -> original label


def _image_folder() -> Path:
    from importlib import resources

    return Path(str(resources.files("sklearn.datasets") / "images"))


def _decode(path: Path) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(path) as im:
            rgb = np.asarray(im.convert("RGB"), dtype=np.uint8)
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: cannot decode scikit-learn's sample photo ({exc})") from None
    if rgb.shape[0] < GRID[0] * TILE or rgb.shape[1] < GRID[1] * TILE:
        raise UserError(f"{path}: sample photo is {rgb.shape[1]} x {rgb.shape[0]} pixels, "
                        f"expected at least {GRID[1] * TILE} x {GRID[0] * TILE}")
    return rgb


def tiles(rgb: np.ndarray) -> np.ndarray:
    """uint8 H x W x 3 -> float64 TILES_PER_PHOTO x 1024 in [-1, 1] (BT.601 luma, row-major tiles)."""
    y = rgb.astype(np.float64) / 255.0
    luma = data.LUMA[0] * y[..., 0] + data.LUMA[1] * y[..., 1] + data.LUMA[2] * y[..., 2]
    rows, cols = GRID
    crop = luma[: rows * TILE, : cols * TILE]
    out = crop.reshape(rows, TILE, cols, TILE).transpose(0, 2, 1, 3).reshape(rows * cols, TILE * TILE)
    return 2.0 * out - 1.0


def tile_labels() -> np.ndarray:
    """Original label (0..3) of every tile index photo * 260 + row * 20 + column."""
    col = np.tile(np.arange(GRID[1]), GRID[0])
    half = (col >= GRID[1] // 2).astype(int)
    return np.array([_LABEL[(p, h)] for p in range(len(PHOTOS)) for h in half], dtype=np.int64)


def load_photos_task(n: int, data_seed: int = 0) -> data.TaskData:
    """32x32 grayscale tiles of china.jpg (class 1) and flower.jpg (class 2); see the module docstring."""
    if isinstance(n, (int, np.integer)) and n > MAX_N:
        raise UserError(f"n = {n} is more than the photos task allows: at most {MAX_N} "
                        f"({MAX_N // 4} of the {PER_LABEL} tiles per label, the rest is the test set)")
    folder = _image_folder()
    xs, sources = [], {}
    for name in PHOTOS:
        path = folder / name
        if not path.is_file():
            raise UserError(f"{path}: scikit-learn's sample photo is missing (reinstall scikit-learn)")
        raw = path.read_bytes()
        rgb = _decode(path)
        sources[f"sklearn/datasets/images/{name}"] = hashlib.sha256(raw).hexdigest()
        sources[f"decoded:{name}"] = hashlib.sha256(np.ascontiguousarray(rgb).tobytes()).hexdigest()
        xs.append(tiles(rgb))
    x = np.concatenate(xs)
    labels = tile_labels()
    train = data.balanced_indices(labels, n, data_seed, "the photos task")
    test = np.setdiff1d(np.arange(POOL), train)
    return data.TaskData(
        name="photos", x_train=x[train], y_train=data._class_of(labels[train]),
        label_train=labels[train].astype(np.int8), index_train=train, x_test=x[test],
        y_test=data._class_of(labels[test]), label_test=labels[test].astype(np.int8), index_test=test,
        data_seed=int(data_seed),
        normalisation=("x = 2 (0.299 R + 0.587 G + 0.114 B) / 255 - 1 (ITU-R BT.601 luma), non-overlapping "
                       "32x32 tiles of a 13 x 20 grid, flattened row-major; class = photo (china, flower)"),
        sources=sources,
    )
