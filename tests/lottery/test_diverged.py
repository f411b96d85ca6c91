"""An experiment in which every network diverged: every stage still writes its outputs, with the
reason, and the claims it would test are "not tested" (docs/lottery.md, Seeds and determinism)."""

import numpy as np
import pandas as pd
import pytest

from lottery_scaling import cli
from lottery_scaling.studies.lottery import claims

from ..conftest import write_losses_file


def run(*argv):
    return cli.main([str(a) for a in argv])


@pytest.fixture(scope="module")
def diverged(tmp_path_factory):
    d = tmp_path_factory.mktemp("diverged")
    return d, {w: write_losses_file(d / f"N{w}.h5", w, np.full(6, np.nan), "leaky_relu", diverged=np.ones(6, bool))
               for w in (2, 4)}


def test_width2_writes_empty_tables_and_says_why(diverged, capsys):
    d, files = diverged
    outs = [d / "w2_networks.csv", d / "w2_clusters.csv", d / "w2_bic.csv"]
    assert run("width2", files[2], "--out-networks", outs[0], "--out-clusters", outs[1], "--out-bic", outs[2]) == 0
    assert "every network diverged (6 of 6)" in capsys.readouterr().err
    for path in outs:
        table = pd.read_csv(path)
        assert len(table) == 0 and len(table.columns) >= 3
    assert "representative_seed" in pd.read_csv(outs[1]).columns


@pytest.mark.parametrize("kind", ["neurons", "tickets"])
def test_pair_figures_say_every_network_diverged(diverged, kind, capsys):
    d, files = diverged
    tickets = d / "N4_tickets.csv"
    assert run("pairs", files[4], "--out-tickets", tickets, "--out-networks", d / "N4_networks.csv") == 0
    png = d / f"{kind}.png"
    assert run("plot-pairs", kind, "--h5", files[4], "--tickets", tickets, "--out", png, d / f"{kind}.pdf", "--dpi", 30) == 0
    assert png.stat().st_size > 0 and "every network diverged" in capsys.readouterr().err


def test_width2_figures_and_ticket_claim_of_empty_tables(diverged, capsys):
    d, files = diverged
    nets, clusters = d / "e_networks.csv", d / "e_clusters.csv"
    assert run("width2", files[2], "--out-networks", nets, "--out-clusters", clusters, "--out-bic", d / "e_bic.csv") == 0
    outs = [d / f"f{i}.{ext}" for i in range(4) for ext in ("png", "pdf")]
    assert run("plot-pairs", "width2", "--h5", files[2], "--networks", nets, "--clusters", clusters, "--out", *outs[:2],
               "--out-activations-x", *outs[2:4], "--out-activations-z", *outs[4:6], "--out-lottery-ticket", *outs[6:],
               "--dpi", 30) == 0
    assert all(p.stat().st_size > 0 for p in outs)
    wide = d / "N4_wide_networks.csv"
    assert run("pairs", files[4], "--out-tickets", d / "N4_wide_tickets.csv", "--out-networks", wide) == 0
    out = d / "pair_claims.csv"
    assert run("pair-claims", "--experiment", "e", "--rows", "ticket", "wide", "--width2-clusters", clusters,
               "--width2-networks", nets, "--wide-networks", wide, "--wide-min-width", 4, "--out", out) == 0
    rows = pd.read_csv(out)
    assert len(rows) == 2 and (rows["verdict"] == "not tested").all()
    assert rows["detail"].str.contains("every network diverged").all(), rows["detail"].tolist()


def test_claims_of_an_experiment_whose_networks_all_diverged_say_so():
    hist = pd.DataFrame({"width": [1, 2, 4], "n_seeds": [6] * 3, "n_diverged": [6] * 3, "n_used": [0] * 3,
                         "n_modes": [0] * 3})
    empty = pd.DataFrame(columns=["width"])
    exponents = pd.DataFrame({"range": ["n1", "early", "late"], "range_low": [2, 1, 2], "range_high": [4, 2, 4],
                              "n_widths": [0] * 3, "alpha": [np.nan] * 3, "widths_used": [np.nan] * 3})
    e = claims.ExperimentTables("x2_leaky_relu", "x2", "leaky_relu", hist, empty, exponents)
    rows = [r for r in claims.evaluate({}, [e]) if r["experiment"] == "x2_leaky_relu"]
    assert rows and all(r["verdict"] == "not tested" for r in rows)
    assert all(r["detail"].startswith("every network diverged (18 of 18 networks") for r in rows), rows
