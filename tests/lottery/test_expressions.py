"""User-defined targets: parsed against an allow-list (never eval'ed), canonical, named by slug + digest."""

import re

import numpy as np
import pytest

from lottery_scaling.errors import UserError
from lottery_scaling.studies.lottery import expressions, tasks
from lottery_scaling.studies.lottery.runs import RUN_NAME_PATTERN, run_name
from lottery_scaling.studies.lottery.trainer import TrainSettings, train


def test_formula_values_and_dimension():
    t = expressions.canonical("sin(3*x)+x**2")
    assert t == "expr:sin(3 * x) + x ** 2"
    x = np.linspace(-2, 2, 7)[:, None]
    assert tasks.input_dim(t) == 1
    np.testing.assert_allclose(tasks.target(t, x), np.sin(3 * x[:, 0]) + x[:, 0] ** 2, rtol=0, atol=0)
    t3 = expressions.canonical("x1*x2 + x3 - pi*abs(x1)", dim=3)
    assert t3.startswith("expr3:") and tasks.input_dim(t3) == 3
    x3 = np.random.default_rng(0).uniform(-1, 1, (5, 3))
    np.testing.assert_allclose(tasks.target(t3, x3), x3[:, 0] * x3[:, 1] + x3[:, 2] - np.pi * abs(x3[:, 0]))
    assert tasks.target("expr:2", x).shape == (7,)  # a constant is broadcast


@pytest.mark.parametrize("text, part", [
    ("__import__('os').system('true')", "__import__"),
    ("x.real", "x.real"),
    ("x[0]", "x[0]"),
    ("(lambda: 1)()", "lambda"),
    ("[x for x in (1, 2)]", "[x for x in (1, 2)]"),
    ("open(x)", "open(x)"),
    ("y + 1", "'y'"),
    ("sin(x, 2)", "sin(x, 2)"),
    ("sin", "'sin'"),
    ("'a'", "'a'"),
    ("x @ x", "x @ x"),
    ("x if x > 0 else 1", "x if x > 0 else 1"),
    ("x1 + 1", "'x1'"),
    ("import os", "not a formula"),
])
def test_anything_outside_the_allow_list_is_refused_naming_it(text, part):
    with pytest.raises(UserError) as exc:
        expressions.canonical(text)
    msg = str(exc.value)
    assert part in msg and "\n" not in msg


def test_non_finite_target_is_refused():
    with pytest.raises(UserError, match="not finite at x"):
        tasks.target("expr:log(x)", np.linspace(-2, 2, 5)[:, None])


def test_slug_names_runs_and_differs_where_slugs_coincide():
    a, b = expressions.task_slug("expr:x**2"), expressions.task_slug("expr:x*2")
    assert a != b and a.startswith("expr_x_2_") and b.startswith("expr_x_2_")
    assert re.fullmatch(expressions.SLUG_PATTERN, a) and re.fullmatch(expressions.SLUG_PATTERN, "x2")
    assert expressions.task_slug("x2") == "x2"
    s = TrainSettings(expressions.canonical("sin(3*x)"), "silu", 1).resolved().as_attrs()
    d = TrainSettings("x2", "silu", 1).resolved().as_attrs()
    name = run_name(s, d)
    assert re.fullmatch(RUN_NAME_PATTERN, name) and name.startswith("expr_sin_3_x_")
    # spacing does not make another task
    assert expressions.canonical_task("expr:sin( 3*x )") == expressions.canonical_task("expr:sin(3 * x)")


def test_a_formula_trains_like_a_built_in_task():
    """x**2 as a formula trains the same networks as the built-in x2 (same data, same init)."""
    kw = dict(steps=30, n_train=20, n_test=11, curve_points=2)
    a = train(TrainSettings("x2", "silu", 2, **kw), np.arange(3))
    b = train(TrainSettings(expressions.canonical("x**2"), "silu", 2, **kw), np.arange(3))
    np.testing.assert_array_equal(a.w, b.w)
    np.testing.assert_array_equal(a.test_loss, b.test_loss)


def test_cli_train_takes_a_formula(tmp_path):
    from lottery_scaling.cli import main
    from lottery_scaling.studies.lottery import networks

    out = tmp_path / "e.h5"
    assert main(["train", "--task", "expr2:x1*x2 + sin(x2)", "--activation", "silu", "--width", "2", "--seeds", "0:2",
                 "--steps", "5", "--n-train", "10", "--n-test", "7", "--out", str(out)]) == 0
    r = networks.read_result(out)
    assert r.settings.task == "expr2:x1 * x2 + sin(x2)" and r.w.shape == (2, 2, 2)


def test_cli_train_refuses_a_bad_formula_in_one_line(tmp_path, capsys):
    from lottery_scaling.cli import main

    out = tmp_path / "e.h5"
    with pytest.raises(SystemExit) as exc:
        main(["train", "--task", "expr:x.__class__", "--activation", "silu", "--width", "2", "--seeds", "0:2", "--out", str(out)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "x.__class__" in err and not out.exists()
