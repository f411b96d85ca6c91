"""Race analyses: exact merge of parallel neurons, greedy clusters, exponential fit, IMP masks, probes."""

import dataclasses

import numpy as np
import pytest

from lottery_scaling.studies.race import alignment, cells, clusters, data, imp, trainer


@pytest.fixture(scope="module")
def task():
    return data.load_digits_task(40, data_seed=0)


def test_merge_of_parallel_neurons_is_exact(task):
    rng = np.random.default_rng(0)
    base_w, base_b = rng.standard_normal((3, 64)), rng.standard_normal(3)
    owner = np.array([0, 1, 2, 0, 0, 1, 2, 2])
    scale = rng.uniform(0.1, 3.0, owner.size)
    W, b = base_w[owner] * scale[:, None], base_b[owner] * scale
    V, c = rng.standard_normal((2, 8)), rng.standard_normal(2)
    label = clusters.greedy_clusters(W, b, V, 0.99)
    assert label.max() + 1 == 3
    assert all(len(set(owner[label == k])) == 1 for k in range(3))
    Wm, bm, Vm, cm = clusters.merge_clusters(W, b, V, c, label)
    X = task.x_test
    f = np.maximum(X @ W.T + b, 0) @ V.T + c
    fm = np.maximum(X @ Wm.T + bm, 0) @ Vm.T + cm
    np.testing.assert_allclose(fm, f, rtol=1e-12, atol=1e-12)
    # a threshold below the mutual cosines puts everything in fewer clusters; 1.0+ keeps singletons apart
    assert clusters.greedy_clusters(W, b, V, -1.0).max() == 0


def test_exponential_fit_and_spearman_recover_a_planted_law():
    rng = np.random.default_rng(1)
    d = 50
    angle = rng.uniform(0, 60, d)
    neuron = {"angle": np.full((1, 3, d), np.nan), "w_norm": np.ones((1, 3, d)), "v_norm": np.ones((1, 3, d))}
    neuron["angle"][0, 1] = angle
    neuron["w_norm"][0, 2] = np.exp(2.0 - 0.1 * angle)
    ckpt = np.array([[0, 10, 20]])
    snap = np.array([[0, 10, 10, 20]])
    out = alignment.norm_vs_alignment(neuron, ckpt, snap, 0, times=("early",))["early"]
    assert out["spearman"] == pytest.approx(-1.0)
    assert out["slope_per_degree"] == pytest.approx(-0.1) and out["intercept"] == pytest.approx(2.0)
    assert out["r2"] == pytest.approx(1.0)


def test_imp_prunes_global_magnitude_never_biases(task):
    s = trainer.RaceSettings(width=10, sigma=0.05, lr=0.01, max_epochs=5, loss_threshold=0.0, checkpoints=3)
    out = imp.imp(task, 0, s, sparsity=0.5, rounds=3, threads=1)
    total = 10 * 64 + 20
    assert (out["mask_w"] == 0).sum() + (out["mask_v"] == 0).sum() == round(0.5 * total)
    assert [h["sparsity_after"] for h in out["history"]][-1] == pytest.approx(round(0.5 * total) / total)
    assert out["pruned_per_neuron"].sum() == round(0.5 * total)
    # round 1 prunes the smallest |weights| of the unmasked network trained from init
    res = trainer.train_runs(task, [0], dataclasses.replace(s, form="direct"), threads=1)
    mw, mv = imp._prune(res.W[0], res.V[0], np.ones((10, 64)), np.ones((2, 10)), 100)
    mags = np.concatenate([np.abs(res.W[0]).ravel(), np.abs(res.V[0]).ravel()])
    kept = np.concatenate([mw.ravel(), mv.ravel()]) > 0
    assert mags[~kept].max() <= mags[kept].min()


def test_stable_cell_probes_end_in_few_patterns(task):
    out = cells.stable_cells(task, probes=300, patience=3, max_iter=50)
    for key in ("class_1", "class_2"):
        r = out[key]
        assert r["stable_cells"] <= r["initial_patterns"] and r["stable_cells"] >= 1
        assert min(r["history"]) == r["stable_cells"]
    assert out["log10_cells_cover"] > 10
