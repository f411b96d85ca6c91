"""User-defined targets: parsed against an allow-list (never eval'ed), canonical, named by slug + digest."""

import re
import time

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


def _refused(call, *args):
    """The one-line UserError of call(*args), which must come at once (no unbounded arithmetic)."""
    start = time.perf_counter()
    with pytest.raises(UserError) as exc:
        call(*args)
    assert time.perf_counter() - start < 2.0
    msg = str(exc.value)
    assert "\n" not in msg and len(msg) < 1500, msg
    return msg


# formulas that used to end in ZeroDivisionError/OverflowError/RecursionError, or trained on a complex
# value cast to real; now refused when read (so by the config check too), naming the bad part
@pytest.mark.parametrize("text, problem", [
    ("1/0 + x", "'1/0' is undefined (a division by zero"),
    ("0**-1 + x", "'0**-1' is undefined"),
    ("9**9**9**9", "'9**9**9' overflows float64"),
    ("x**10**10**10", "'10**10**10' overflows float64"),
    ("10**309", "'10**309' overflows float64"),
    ("1" * 400 + " + x", "too large for float64"),
    ("x + (-8)**(1/3)", "'(-8)**(1/3)' has no real value"),
    ("(-1)**0.5*x", "'(-1)**0.5' has no real value"),
    ("-" * 495 + "x", "nested 496 levels deep, at most 100"),
    # the same classes, other spellings
    ("x*2**2**2**2**2**2", "'2**2**2**2**2' overflows float64"),
    ("1e400*x", "number '1e400' is too large for float64"),
    ("x + 1e-400", "number '1e-400' is too small for float64"),
    ("x + 1/(1 - 1)", "'1/(1 - 1)' is undefined"),
    ("x + 0/0", "'0/0' is undefined"),
    ("log(0) + x", "'log(0)' is undefined"),
    ("sqrt(-1)*x", "'sqrt(-1)' has no real value"),
    ("arcsin(2) + x", "'arcsin(2)' has no real value"),
    ("exp(710)*x", "'exp(710)' overflows float64"),
    ("x**(0.5**-2000)", "'0.5**-2000' overflows float64"),
    ("maximum(x, 10**400)", "'10**400' overflows float64"),
    ("sin(x)*(2**1023*2)", "'2**1023*2' overflows float64"),
    ("x+" * 120 + "x", "nested 121 levels deep"),
    ("sin(" * 60 + "-" * 60 + "x" + ")" * 60, "nested 121 levels deep"),
    ("(" * 220 + "x" + ")" * 220, "too many nested parentheses"),
    ("x\x00", "not a formula"),
])
def test_a_constant_part_that_is_not_a_finite_real_is_refused_on_reading(text, problem):
    msg = _refused(expressions.canonical, text)
    assert problem in msg and ("expression " + repr(text.strip())[:60]) in msg, msg
    # the same text as a task (the path of `train --task` and of a task read back from a file)
    assert problem in _refused(tasks.input_dim, "expr:" + text)


def test_a_dimension_of_thousands_of_digits_or_a_huge_text_is_refused_short():
    msg = _refused(expressions.canonical_task, "expr" + "7" * 5000 + ":x")
    assert "dimension must be in 1..64" in msg and len(msg) < 300
    msg = _refused(tasks.input_dim, "expr:" + "x+" * 500_000 + "x")
    assert "at most 2500 characters" in msg and len(msg) < 300


@pytest.mark.parametrize("task, x, problem", [
    ("expr:arctan(1/x)", [1.0, 0.0], "at x = [0.0] (1 of 2 points; there 1 / x = inf)"),
    ("expr:relu(log(x))", [1.0, 0.0], "at x = [0.0] (1 of 2 points; there log(x) = -inf)"),
    ("expr:tanh(exp(1000*x))", [-1.0, 1.0], "at x = [1.0] (1 of 2 points; there exp(1000 * x) = inf)"),
    ("expr:x**0.5", [-1.0, 1.0, -2.0], "at x = [-1.0] (2 of 3 points; there x ** 0.5 = nan)"),
    ("expr:(-x)**(1/3)", [-1.0, 1.0], "at x = [1.0] (1 of 2 points; there (-x) ** (1 / 3) = nan)"),
    ("expr:1e308*x*10 - 1e308*x*10", [0.0, 1.0], "at x = [1.0] (1 of 2 points; there 1e+308 * x * 10 = inf)"),
    ("expr:minimum(1/x, 1)", [0.5, 0.0], "at x = [0.0] (1 of 2 points; there 1 / x = inf)"),
])
def test_every_part_must_be_finite_on_the_data_the_first_bad_point_named(task, x, problem):
    """Also where the final value would look finite (an overflow or a pole hidden inside tanh, relu, minimum)."""
    msg = _refused(tasks.target, task, np.array(x)[:, None])
    assert problem in msg and "is not finite" in msg, msg


@pytest.mark.parametrize("text, expected", [
    ("(-8)**3 + x", lambda x: -512.0 + x),  # a negative number to an integer power is real
    ("0**0 + x", lambda x: 1.0 + x),
    ("10**308*x", lambda x: 1e308 * x),
    ("2**1023*x", lambda x: 2.0 ** 1023 * x),
    ("exp(-1000) + x", lambda x: 0.0 + x),  # an underflow to 0 is no error
    ("x*2**0.5 + exp(-x**2/2)/sqrt(2*pi)", lambda x: x * 2.0 ** 0.5 + np.exp(-x ** 2 / 2) / np.sqrt(2 * np.pi)),
    ("abs(x)**(1/3)*sign(x) - e**x", lambda x: np.abs(x) ** (1 / 3) * np.sign(x) - np.e ** x),
    ("-" * 99 + "x", lambda x: -x),  # exactly MAX_DEPTH levels
    ("x+" * 99 + "x", lambda x: sum([x] * 100)),
])
def test_formulas_at_the_edges_are_accepted_with_the_exact_numpy_value(text, expected):
    t = expressions.canonical(text)
    x = np.linspace(-1, 1, 9)[:, None]
    y = tasks.target(t, x)
    assert y.dtype == np.float64 and y.shape == (9,)
    np.testing.assert_array_equal(y, np.broadcast_to(expected(x[:, 0]), (9,)))


def test_the_deepest_formula_is_read_from_a_deep_stack():
    """canonical (ast.unparse) of a MAX_DEPTH formula does not need most of Python's recursion limit."""
    def nest(k):
        return expressions.canonical("-" * (expressions.MAX_DEPTH - 1) + "x") if k == 0 else nest(k - 1)

    assert nest(400).endswith("x")


def test_variables_constants_and_functions_never_share_a_name():
    names = set(expressions.variables(1)) | {v for d in range(2, expressions.MAX_DIM + 1) for v in expressions.variables(d)}
    assert not names & set(expressions.CONSTANTS) and not names & set(expressions.FUNCTIONS)
    assert not set(expressions.CONSTANTS) & set(expressions.FUNCTIONS)


LONG = "+".join(f"{k}*sin({k}*x)" for k in range(1, 40))  # 488 characters; 725 in canonical form


@pytest.mark.parametrize("text", [LONG, "+".join(["x*9e15"] * 71), "x**-1*0+1e5", "(-8)**3 + x", "-(-x)", "x1*x2/(1 + x3**2)"])
def test_the_canonical_form_of_any_accepted_formula_reads_back_as_itself(text):
    """A formula the config accepts (up to 500 characters) is passed to `train --task` and stored in
    files in canonical form, which may be longer; it must read back, to the same task and values."""
    dim = 3 if "x3" in text else 1
    assert len(text) <= expressions.MAX_LENGTH
    t = expressions.canonical(text, dim)
    assert expressions.canonical_task(t) == t
    x = np.linspace(0.5, 1, 4)[:, None].repeat(dim, axis=1)
    np.testing.assert_array_equal(tasks.target(t, x), expressions.parse_task(t)[1](x))


def test_cli_train_takes_the_canonical_form_of_a_long_formula(tmp_path):
    from lottery_scaling.cli import main

    t = expressions.canonical(LONG)
    assert len(t) > expressions.MAX_LENGTH
    assert main(["train", "--task", t, "--activation", "silu", "--width", "1", "--seeds", "0:1", "--steps", "2",
                 "--n-train", "10", "--n-test", "7", "--out", str(tmp_path / "long.h5")]) == 0
