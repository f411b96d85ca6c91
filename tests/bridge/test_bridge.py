"""The bridge study: alignment formula, rewinding and the commands end to end at toy size."""

import numpy as np
import pandas as pd
import pytest

from lottery_scaling.cli import main
from lottery_scaling.studies.bridge import alignment, claims, rewind
from lottery_scaling.studies.lottery import model, networks
from lottery_scaling.studies.lottery.trainer import TrainSettings, train


@pytest.mark.parametrize("act", ["silu", "tanh", "leaky_relu"])
def test_descent_direction_is_minus_the_mse_gradient(act):
    rng = np.random.default_rng(3)
    N, M = 5, 40
    w, b, v, c = rng.normal(size=(N, 1)), rng.normal(size=N), rng.normal(size=N), 0.3
    x = np.linspace(-2, 2, M)[:, None]
    y = x[:, 0] ** 2
    gw, gb = alignment.descent_directions(w, b, v, c, x, y, act)
    h = 1e-6
    for i in range(N):
        for which, g in (("w", gw[i, 0]), ("b", gb[i])):
            p, m = [a.copy() for a in (w, b)], [a.copy() for a in (w, b)]
            k = 0 if which == "w" else 1
            idx = (i, 0) if which == "w" else i
            p[k][idx] += h
            m[k][idx] -= h
            fd = (model.mse(p[0], p[1], v, c, x, y, act) - model.mse(m[0], m[1], v, c, x, y, act)) / (2 * h)
            np.testing.assert_allclose(-fd, g, rtol=1e-6, atol=1e-9)
    a = alignment.init_alignment(w, b, v, c, x, y, act)
    p = np.concatenate([w, b[:, None]], axis=1)
    g = np.concatenate([gw, gb[:, None]], axis=1)
    np.testing.assert_allclose(a, np.sum(p * g, 1) / np.linalg.norm(p, axis=1) / np.linalg.norm(g, axis=1))


def test_pair_p_value_and_null():
    q = alignment.percentiles([0.1, 0.5, 0.9, 0.3])
    np.testing.assert_allclose(q, [0, 2 / 3, 1, 1 / 3])
    assert alignment.pair_p_value(q, 1, 2) == pytest.approx(1 / 6)  # the top pair: 1 of 6 pairs
    null = alignment.null_mean_percentiles([10] * 50, 2000, np.random.default_rng(0))
    assert abs(null.mean() - 0.5) < 0.01


def test_newcombe_interval_contains_the_difference():
    d, lo, hi = claims.newcombe_difference(30, 50, 10, 50)
    assert d == pytest.approx(0.4) and 0 < lo < d < hi
    assert rewind.prune_sizes(10, [2, 4, "half", 20]) == [2, 4, 5]


SMALL = dict(steps=200, lr_decay_every=80, n_train=40, n_test=81, curve_points=6, snapshots=True)


def test_commands_end_to_end(tmp_path):
    paths = {}
    for N, seeds in ((2, np.arange(12)), (5, np.arange(6))):
        r = train(TrainSettings("x2", "silu", N, **SMALL), seeds)
        paths[N] = tmp_path / f"N{N}.h5"
        networks.write_result(paths[N], r)
    t = lambda name: str(tmp_path / name)  # noqa: E731
    assert main(["bridge-alignment", str(paths[5]), "--out-neurons", t("neu.csv"), "--out-networks", t("net.csv")]) == 0
    assert main(["bridge-emergence", str(paths[5]), "--out", t("em.csv")]) == 0
    assert main(["bridge-rewind", "--networks", str(paths[5]), "--width2", str(paths[2]), "--prune-k", "2", "half",
                 "--out", t("rw.csv")]) == 0
    assert main(["bridge-ticket-basin", "--width2", str(paths[2]), "--mode-bootstrap", "10", "--out", t("basin.csv")]) == 0
    assert main(["bridge-claims", "--alignment", t("net.csv"), "--rewind", t("rw.csv"), "--basin", t("basin.csv"),
                 "--out", t("claims.csv")]) == 0
    for kind, table in (("alignment", "neu.csv"), ("rewind", "rw.csv"), ("emergence", "em.csv")):
        extra = ["--basin", t("basin.csv")] if kind == "rewind" else []
        assert main(["plot-bridge", kind, t(table), *extra, "--dpi", "40", "--out", t(f"{kind}.png")]) == 0
    basin = pd.read_csv(t("basin.csv"))
    assert len(basin) == 1 and basin["reference_init_scale"].iloc[0] == 1.0 and basin["networks"].iloc[0] == 12
    rw = pd.read_csv(t("rw.csv"))
    assert set(rw["arm"]) == {"ticket", "reinit", "random_pair", "prune_k2", "trained_width2"}
    # the ticket arm starts from the width-N network's initial parameters of its two neurons
    net = pd.read_csv(t("net.csv"))
    net = net[net["ticket_i"] >= 0]
    assert (rw[rw["arm"] == "ticket"]["neurons"].values == [f"{i} {j}" for i, j in zip(net["ticket_i"], net["ticket_j"])]).all()
    cl = pd.read_csv(t("claims.csv"))
    assert set(cl["claim"]) == set(claims.CLAIM_IDS) and cl["claim"].str.startswith("bridge_").all()
    em = pd.read_csv(t("em.csv"))
    assert len(em) == len(net) and (em["r2_step"].dropna() <= 200).all()


def _rewind_rows(scale, arm, losses, width=2, diverged=False):
    return [{"init_scale": scale, "source_width": 10, "seed": k, "arm": arm, "width": width, "test_loss": l,
             "diverged": diverged, "kept_best_pair": ""} for k, l in enumerate(losses)]


def test_lottery_labels_come_from_the_one_reference_basin():
    # scale 0.01: its own width-2 histogram would merge 1e-6 with 1e-3; the reference basin (<= 1e-4.3) does not
    rows = (_rewind_rows(0.01, "ticket", [1e-6] * 8 + [1e-3] * 2) + _rewind_rows(0.01, "trained_width2", [1e-6] * 2 + [1e-3] * 8)
            + _rewind_rows(0.01, "prune_k4", [1e-7] * 3, width=4) + _rewind_rows(0.01, "reinit", [1e-6], diverged=True))
    rew = pd.DataFrame(rows)
    lab = rewind.label_lottery(rew, -4.3)
    assert list(lab[rew["arm"] == "ticket"]) == [True] * 8 + [False] * 2
    assert (lab[rew["arm"].isin(["prune_k4", "reinit"])] == "").all()  # wider arm, diverged network: no label
    assert (rewind.label_lottery(rew, float("nan")) == "").all()
    basin = {"reference_init_scale": 1.0, "basin_high": -4.3}
    (r,) = claims.rewound_win(rew, basin, claims.BridgeClaimSettings())
    assert r["value"] == pytest.approx(0.8 - 0.2) and r["verdict"] == "supported"
    assert "8/10 vs trained width 2 2/10" in r["detail"] and "init scale 1" in r["detail"]
    (r,) = claims.rewound_win(rew, {**basin, "basin_high": float("nan")}, claims.BridgeClaimSettings())
    assert r["verdict"] not in ("supported", "not supported") and "one robust mode" in r["detail"]


def test_rewound_ticket_is_trained_from_its_initial_values():
    from lottery_scaling.studies.bridge.data import initial_of
    from lottery_scaling.studies.lottery.trainer import train_from

    r = train(TrainSettings("x2", "silu", 4, **SMALL), np.arange(3))
    w0, b0, v0, c0 = initial_of(r)
    np.testing.assert_array_equal(r.snapshots[:, 0, :4], w0[:, :, 0])
    sel = np.array([[0, 3]] * 3)
    k = np.arange(3)[:, None]
    a = train_from(TrainSettings("x2", "silu", 2, **SMALL), np.arange(3), w0[k, sel], b0[k, sel], v0[k, sel], c0)
    np.testing.assert_array_equal(a.snapshots[:, 0, :2], w0[k, sel, 0])


def test_commands_name_bad_inputs(tmp_path, capsys):
    assert main(["bridge-alignment", str(tmp_path / "nope.h5"), "--out-neurons", str(tmp_path / "a.csv"),
                 "--out-networks", str(tmp_path / "b.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such file" in err[0]
    r = train(TrainSettings("x2", "silu", 3, **{**SMALL, "snapshots": False}), np.arange(2))
    networks.write_result(tmp_path / "n.h5", r)
    assert main(["bridge-emergence", str(tmp_path / "n.h5"), "--out", str(tmp_path / "e.csv")]) == 2
    assert "snapshots" in capsys.readouterr().err


@pytest.fixture(scope="module")
def small_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bridge_limits")
    paths = {}
    for N, seeds in ((2, np.arange(6)), (4, np.arange(4))):
        paths[N] = d / f"N{N}.h5"
        networks.write_result(paths[N], train(TrainSettings("x2", "silu", N, **SMALL), seeds))
    return paths


def _tables(tmp_path):
    """Minimal alignment, rewind and basin tables for bridge-claims."""
    t = {name: tmp_path / f"{name}.csv" for name in ("net", "rw", "basin")}
    pd.DataFrame({"init_scale": [1.0] * 3, "width": [4] * 3, "spearman": [0.1] * 3, "ticket_percentile": [0.6] * 3,
                  "p_value": [0.5] * 3}).to_csv(t["net"], index=False)
    pd.DataFrame({"init_scale": [1.0], "arm": ["ticket"], "width": [2], "diverged": [False], "test_loss": [1e-3]}).to_csv(
        t["rw"], index=False)
    pd.DataFrame({"reference_init_scale": [1.0], "basin_high": [-3.0]}).to_csv(t["basin"], index=False)
    return t


@pytest.mark.parametrize("args, message", [
    # a pruning width past N used to be dropped without a word
    (lambda p, o: ["bridge-rewind", "--networks", p[4], "--width2", p[2], "--prune-k", "2", "99", "--out", o / "r.csv"],
     "--prune-k 99: pruning keeps fewer neurons than the networks have, and these have width 4 (allowed: 1..3, or half)"),
    (lambda p, o: ["bridge-rewind", "--networks", p[4], "--width2", p[2], "--prune-k", "4", "--out", o / "r.csv"],
     "--prune-k 4: pruning keeps fewer neurons"),
    (lambda p, o: ["bridge-rewind", "--networks", p[4], "--width2", p[2], "--max-work", "10", "--out", o / "r.csv"],
     "4 networks x 200 steps x n_train 40 x (3 width-2 arms + kept widths [2]) = 2.56e+05 neuron-sample-steps, more than 10"),
    (lambda p, o: ["bridge-ticket-basin", "--width2", p[2], "--mode-bootstrap", str(10**12), "--out", o / "b.csv"],
     "1000000000000 mode resamples x (6 seeds"),
    (lambda p, o: ["bridge-emergence", p[4], "--max-work", "10", "--out", o / "e.csv"],
     "ticket searches and snapshot fits of networks 4 x width 4"),
    (lambda p, o: ["bridge-alignment", p[4], "--max-work", "10", "--out-neurons", o / "a.csv", "--out-networks", o / "b.csv"],
     "ticket searches of networks 4 x width 4"),
])
def test_sizes_past_the_bounds_are_one_line(small_files, tmp_path, capsys, args, message):
    out = tmp_path / "out"
    assert main([str(a) for a in args(small_files, out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not out.exists() or not any(out.iterdir())


def test_claims_resampling_past_the_bound_is_one_line(tmp_path, capsys):
    t = _tables(tmp_path)
    out = tmp_path / "claims.csv"
    assert main(["bridge-claims", "--alignment", str(t["net"]), "--rewind", str(t["rw"]), "--basin", str(t["basin"]),
                 "--settings", '{"null_draws": 1000000000000}', "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "(3 x 1000 resamples + 1000000000000 null draws) x 3 networks" in err[0], err
    assert not out.exists()
