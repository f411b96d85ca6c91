"""Width-2 algorithm clustering: known cluster centres with shuffled neuron order and reflections."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from lottery_scaling.studies.lottery.pairs import width2 as alg
from lottery_scaling.studies.lottery.tasks import target

# (w1, w2, b1, b2, v1, v2, c): a symmetric lottery ticket and two asymmetric algorithms
CENTRES = np.array([
    [0.830, -0.830, -1.168, -1.168, 5.686, 5.686, 3.154],
    [0.680, -1.402, -0.852, -5.411, 7.873, -23.809, 1.436],
    [0.525, 2.323, -0.103, 6.782, 15.086, -1.532, 11.095],
])
LOSSES = np.array([7e-6, 1.4e-5, 4e-4])


def sample(rng, n_per, sd, reflect):
    p = np.concatenate([c + sd * rng.normal(size=(n_per, 7)) * np.maximum(np.abs(c), 0.1) for c in CENTRES])
    truth = np.repeat(np.arange(3), n_per)
    loss = np.repeat(LOSSES, n_per) * np.exp(0.1 * rng.normal(size=truth.size))
    sw = rng.random(truth.size) < 0.5
    p[sw] = alg.swap(p[sw])
    if reflect:
        rf = rng.random(truth.size) < 0.5
        p[rf] = alg.reflect(p[rf])
    return p, truth, loss


@pytest.mark.parametrize("reflect", [True, False])
def test_clusters_recovered_modulo_symmetry(reflect):
    rng = np.random.default_rng(0)
    p, truth, loss = sample(rng, 40, 0.01, reflect)
    cl = alg.cluster_width2(p, loss, with_reflection=reflect, max_clusters=4, align_iterations=4, n_init=1)
    assert cl.n_clusters == 3
    assert adjusted_rand_score(truth, cl.labels) == 1.0
    # clusters are numbered by median loss: cluster 1 is the lottery-ticket centre
    assert set(cl.labels[truth == 0]) == {1}
    # canonical forms of one cluster agree: swapped / reflected copies were aligned
    for k in range(3):
        q = cl.canonical[truth == k]
        assert np.max(np.std(q, axis=0) / np.maximum(np.abs(q.mean(axis=0)), 0.1)) < 0.05


def test_swapped_copy_gets_the_same_canonical_form():
    rng = np.random.default_rng(1)
    p, truth, loss = sample(rng, 20, 0.01, True)
    both = np.concatenate([p, alg.reflect(alg.swap(p))])
    cl = alg.cluster_width2(both, np.concatenate([loss, loss]), True, max_clusters=3, align_iterations=4, n_init=1)
    n = p.shape[0]
    np.testing.assert_allclose(cl.canonical[:n], cl.canonical[n:], atol=1e-12)
    assert np.array_equal(cl.labels[:n], cl.labels[n:])


def test_orbit_and_canonical_start():
    p = CENTRES[1:2]
    imgs = alg.orbit(p, True)
    assert len(imgs) == 4 and len(alg.orbit(p, False)) == 2
    starts = np.concatenate([alg.initial_canonical(im, True) for im in imgs])
    np.testing.assert_allclose(starts, np.repeat(starts[:1], 4, axis=0))


def test_even_target_detection():
    x = np.linspace(-2, 2, 101)[:, None]
    assert alg.is_even_target(lambda xx: target("x2", xx), x)
    assert alg.is_even_target(lambda xx: target("cos", xx), x)
    assert not alg.is_even_target(lambda xx: target("x3", xx), x)


def test_representative_is_median_loss_member():
    labels = np.array([1, 1, 1, 2, 2])
    loss = np.array([3.0, 1.0, 2.0, 5.0, 4.0])
    assert alg.representative(labels, loss, 1) == 2
    assert alg.representative(labels, loss, 2) == 4
