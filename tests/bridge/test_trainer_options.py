"""Trainer options of the bridge study (docs/bridge.md): init_scale, snapshots and train_from (rewinding)."""

import numpy as np

from lottery_scaling.studies.lottery import init, networks
from lottery_scaling.studies.lottery.runs import run_name
from lottery_scaling.studies.lottery.trainer import TrainSettings, train, train_from

SMALL = dict(steps=120, lr_decay_every=50, n_train=40, n_test=81, curve_points=7)
SEEDS = np.arange(3, 7)


def _same(a, b):
    for name in ("w", "b", "v", "c", "train_loss", "test_loss", "loss_curve", "diverged"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_init_scale_one_is_todays_training_and_run_name():
    base = TrainSettings("x2", "silu", 3, **SMALL)
    scaled = TrainSettings("x2", "silu", 3, init_scale=1.0, **SMALL)
    _same(train(base, SEEDS), train(scaled, SEEDS))
    # the initial parameters of init_scale 1 are initial_parameters' bitwise
    for a, b in zip(init.scaled_initial_parameters(1, 3, SEEDS, 0, 1.0), init.initial_parameters(1, 3, SEEDS, 0)):
        np.testing.assert_array_equal(a, b)
    defaults = TrainSettings("x2", "silu", 1).resolved().as_attrs()
    name = run_name(TrainSettings("x2", "silu", 1, n_train=200).resolved().as_attrs(), defaults)
    assert name == "x2-silu-85c3d0c964"  # the default config's folder before the option existed
    assert run_name(TrainSettings("x2", "silu", 1, n_train=200, init_scale=1.0, snapshots=False).resolved().as_attrs(),
                    defaults) == name
    assert run_name(TrainSettings("x2", "silu", 1, n_train=200, init_scale=0.1).resolved().as_attrs(), defaults) != name
    assert run_name(TrainSettings("x2", "silu", 1, n_train=200, snapshots=True).resolved().as_attrs(), defaults) != name


def test_init_scale_scales_the_first_layer_only():
    w, b, v, c = init.initial_parameters(1, 4, SEEDS)
    ws, bs, vs, cs = init.scaled_initial_parameters(1, 4, SEEDS, 0, 0.01)
    np.testing.assert_allclose(ws, 0.01 * w)
    np.testing.assert_allclose(bs, 0.01 * b)
    np.testing.assert_array_equal(vs, v)
    np.testing.assert_array_equal(cs, c)
    result = train(TrainSettings("x2", "silu", 4, init_scale=0.01, snapshots=True, **SMALL), SEEDS)
    np.testing.assert_array_equal(result.snapshots[:, 0, :4], ws[:, :, 0])


def test_snapshots_do_not_change_training_and_end_at_the_final_parameters(tmp_path):
    settings = TrainSettings("x2", "silu", 3, **SMALL)
    plain = train(settings, SEEDS)
    snap = train(TrainSettings("x2", "silu", 3, snapshots=True, **SMALL), SEEDS)
    _same(plain, snap)
    assert plain.snapshots is None
    K = snap.curve_step.size
    assert snap.snapshots.shape == (SEEDS.size, K, 3 * 3 + 1)
    w, b, v, c = networks.split_snapshots(snap.snapshots, 3)
    np.testing.assert_array_equal(w[:, -1], snap.w)
    np.testing.assert_array_equal(b[:, -1], snap.b)
    np.testing.assert_array_equal(v[:, -1], snap.v)
    np.testing.assert_array_equal(c[:, -1], snap.c)
    w0, b0, v0, c0 = init.initial_parameters(1, 3, SEEDS)
    np.testing.assert_array_equal(w[:, 0], w0)
    # an intermediate snapshot is the network after that many steps: training for it alone gives the same
    k = 3
    part = train(TrainSettings("x2", "silu", 3, **{**SMALL, "steps": int(snap.curve_step[k])}), SEEDS)
    np.testing.assert_array_equal(w[:, k], part.w)
    np.testing.assert_array_equal(v[:, k], part.v)
    # stored with a description, read back, and kept by merge
    path = tmp_path / "a.h5"
    networks.write_result(path, snap)
    back = networks.read_result(path)
    np.testing.assert_array_equal(back.snapshots, snap.snapshots)
    assert back.settings.snapshots is True
    import h5py

    with h5py.File(path) as h5:
        assert "parameters" in h5["snapshots"].attrs["description"]
    half = train(TrainSettings("x2", "silu", 3, snapshots=True, **SMALL), SEEDS[:2])
    other = train(TrainSettings("x2", "silu", 3, snapshots=True, **SMALL), SEEDS[2:])
    networks.write_result(tmp_path / "p1.h5", other)
    networks.write_result(tmp_path / "p2.h5", half)
    merged = networks.merge([tmp_path / "p1.h5", tmp_path / "p2.h5"], tmp_path / "m.h5")
    np.testing.assert_array_equal(merged.snapshots, snap.snapshots)
    assert networks.read_result(tmp_path / "m.h5").snapshots is not None


def test_train_from_the_default_init_equals_train():
    settings = TrainSettings("x2", "silu", 3, **SMALL)
    w0, b0, v0, c0 = init.initial_parameters(1, 3, SEEDS)
    _same(train(settings, SEEDS), train_from(settings, SEEDS, w0, b0, v0, c0))
    # and from other parameters (a rewound width-2 ticket), a different network
    other = train_from(TrainSettings("x2", "silu", 2, **SMALL), SEEDS, w0[:, :2], b0[:, :2], v0[:, :2], c0)
    assert other.w.shape == (SEEDS.size, 2, 1)


def test_train_command_takes_the_new_options(tmp_path):
    from lottery_scaling.cli import main

    out = tmp_path / "n.h5"
    assert main(["train", "--task", "x2", "--activation", "silu", "--width", "2", "--seeds", "0:2", "--steps", "20",
                 "--n-train", "20", "--n-test", "21", "--init-scale", "0.1", "--snapshots", "True", "--out", str(out)]) == 0
    r = networks.read_result(out)
    assert r.settings.init_scale == 0.1 and r.snapshots.shape[0] == 2
