"""The survey's masks file: which weights a method keeps in each network, at several keep fractions.

One format for every method that selects a subnetwork of the lottery study's networks
(`edgepopup`: strong tickets; `imp`: IMP with rewinding), so the overlap stage reads them alike.

Layout (HDF5, written atomically): root attributes format = "lottery-scaling/survey-masks",
format_version, method, settings_json (the training settings of the networks the masks belong to:
their initialisation is what makes two files comparable), method_json (the method's own settings),
software versions. Datasets, S networks, K keep fractions, N neurons, d inputs:

- seed (S,): the networks' seeds; keep (K,): fraction of the prunable parameters kept (edge-popup's
  keep; IMP: 1 - sparsity);
- mask_w (S, K, N, d), mask_b (S, K, N), mask_v (S, K, N): uint8, 1 = kept (IMP never prunes b);
- train_loss, test_loss (S, K): MSE of the method's final network (edge-popup: the masked untrained
  network; IMP: the rewound ticket after training); start_test_loss (S, K): edge-popup's masked
  network at step 0 (random scores: a random mask of the same size), NaN for IMP;
- diverged (S, K): uint8.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from ...errors import UserError
from ..lottery.trainer import TrainSettings

FORMAT = "lottery-scaling/survey-masks"
FORMAT_VERSION = 1
METHODS = ("edgepopup", "imp")
DATASETS = {
    "seed": "seed of each network (its initial parameters: the lottery trainer's for that seed)",
    "keep": "fraction of the prunable parameters kept",
    "mask_w": "1 where the first-layer weight is kept, shape (seed, keep, neuron, input)",
    "mask_b": "1 where the first-layer bias is kept, shape (seed, keep, neuron)",
    "mask_v": "1 where the output weight is kept, shape (seed, keep, neuron)",
    "train_loss": "MSE of the method's final network on the training set (seed, keep)",
    "test_loss": "MSE of the method's final network on the test set (seed, keep)",
    "start_test_loss": "test MSE of the starting (random) mask, NaN where the method has none (seed, keep)",
    "diverged": "1 where the method's training produced a non-finite loss (seed, keep)",
}


@dataclass
class Masks:
    method: str
    settings: TrainSettings  # of the networks
    method_settings: dict
    seed: np.ndarray  # (S,)
    keep: np.ndarray  # (K,)
    mask_w: np.ndarray  # (S, K, N, d) bool
    mask_b: np.ndarray  # (S, K, N) bool
    mask_v: np.ndarray  # (S, K, N) bool
    train_loss: np.ndarray
    test_loss: np.ndarray
    start_test_loss: np.ndarray
    diverged: np.ndarray  # (S, K) bool

    def at(self, keep: float) -> int | None:
        """Index of a keep fraction (to 1e-9), None if absent."""
        hit = np.flatnonzero(np.abs(self.keep - keep) <= 1e-9)
        return int(hit[0]) if hit.size else None


def write_masks(path, masks: Masks) -> None:
    import h5py

    from ...h5io import atomic_path, software_versions

    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as h5:
            h5.attrs["format"] = FORMAT
            h5.attrs["format_version"] = FORMAT_VERSION
            h5.attrs["method"] = masks.method
            h5.attrs["settings_json"] = json.dumps(masks.settings.as_attrs(), sort_keys=True)
            h5.attrs["method_json"] = json.dumps(masks.method_settings, sort_keys=True)
            for key, value in software_versions().items():
                h5.attrs[key] = value
            for name, doc in DATASETS.items():
                value = np.asarray(getattr(masks, name))
                if value.dtype == bool:
                    value = value.astype(np.uint8)
                ds = h5.create_dataset(name, data=value)
                ds.attrs["description"] = doc


def read_masks(path) -> Masks:
    """A masks file with every dataset checked; any problem is one UserError naming the file."""
    from ...h5checks import H5Reader
    from ..lottery.networks import _settings_of_file
    from ..lottery.tasks import input_dim

    with H5Reader(path) as f:
        if f.format_attr() != FORMAT:
            f.fail(f"not a survey masks file (format {f.format_attr()!r}, expected {FORMAT!r})")
        version = f.int_attr("format_version")
        if version != FORMAT_VERSION:
            f.fail(f"format_version {version} is not {FORMAT_VERSION}")
        method = f.text_attr("method")
        if method not in METHODS:
            f.fail(f"attribute method is {method!r}, expected one of {', '.join(METHODS)}")
        settings = _settings_of_file(path, f.text_attr("settings_json"))
        method_settings = f.json_attr("method_json")
        if not isinstance(method_settings, dict):
            f.fail("attribute method_json must be a JSON object")
        N, d = settings.width, input_dim(settings.task)
        S = f.shape("seed", 1)[0]
        K = f.shape("keep", 1)[0]
        if S < 1 or K < 1:
            f.fail(f"datasets seed and keep must not be empty (found {S} seeds, {K} keep fractions)")
        seed = f.array("seed", "iu", (S,))
        f.require("seed", seed, seed >= 0, "a seed >= 0")
        if np.unique(seed).size != S:
            f.fail("dataset seed holds a seed twice, expected one network per seed")
        keep = f.array("keep", "f", (K,))
        f.require("keep", keep, (keep > 0) & (keep <= 1), "a fraction in (0, 1]")
        if np.unique(keep).size != K:
            f.fail("dataset keep holds a keep fraction twice")
        out = {}
        for name, shape in (("mask_w", (S, K, N, d)), ("mask_b", (S, K, N)), ("mask_v", (S, K, N)),
                            ("diverged", (S, K))):
            a = f.array(name, "biu", shape)
            f.require(name, a, (a == 0) | (a == 1), "0 or 1")
            out[name] = a.astype(bool)
        for name in ("train_loss", "test_loss", "start_test_loss"):
            out[name] = f.array(name, "f", (S, K)).astype(np.float64)
        alive = ~out["diverged"]
        for name in ("train_loss", "test_loss"):
            a = out[name]
            f.require(name, a, ~alive | (np.isfinite(a) & (a >= 0)), "a finite loss >= 0 (a network that did not diverge)")
        a = out["start_test_loss"]
        f.require("start_test_loss", a, np.isnan(a) | (a >= 0), "a loss >= 0 or NaN")
    return Masks(method, settings, method_settings, seed.astype(np.int64), keep.astype(np.float64), **out)


INIT_FIELDS = ("task", "activation", "width", "init_seed", "init_scale", "n_train", "x_range", "data_seed")


def check_same_networks(path_a, a: TrainSettings, path_b, b: TrainSettings) -> None:
    """Masks compare only on the same initial networks (and data, for the best pair): a UserError
    naming both files and the differing settings otherwise."""
    da, db = a.resolved().as_attrs(), b.resolved().as_attrs()
    diff = [f"{k} {da[k]!r} vs {db[k]!r}" for k in INIT_FIELDS if da[k] != db[k]]
    if diff:
        raise UserError(f"{path_a} and {path_b} are not on the same initial networks ({', '.join(diff)})")
