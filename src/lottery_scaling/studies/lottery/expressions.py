"""User-defined targets: a formula in x (d = 1) or x1..xd (d > 1), parsed safely, never `eval`ed.

An experiment gives `task: {expr: "sin(3*x) + x**2"}` (d = 1, variable `x`) or
`task: {expr: "x1*x2 + x3", dim: 3}` (variables x1..x3); the command line takes the same as one
text, `--task 'expr:sin(3*x) + x**2'` or `--task 'expr3:x1*x2 + x3'` (the number after `expr` is
d; `expr:` means d = 1).

The text is parsed with Python's `ast` and checked against an allow-list: numbers, the
variables, the constants `pi` and `e`, the operators + - * / ** (and unary + -), and calls of
the numpy functions in FUNCTIONS. Anything else (other names, attribute access, subscripts,
keyword arguments, lambdas, comprehensions, strings, ...) is refused with one line naming the
offending part. The accepted tree is turned into a closure over numpy functions (no eval or
compile of the text), so the text can do nothing but compute a number per input point.

Canonical form: `expr:` or `exprD:` followed by `ast.unparse` of the parsed formula, so that
"sin(3*x)+x**2" and "sin(3 * x) + x ** 2" are one task (one run folder, one set of results).
A run folder and the figures use `task_slug`: `expr_` + a readable slug of the formula + 6 hex
digits of its digest (slugs of different formulas can coincide, digests do not).
"""

from __future__ import annotations

import ast
import hashlib
import math
import operator
import re

import numpy as np

from ...errors import UserError

PREFIX = "expr"
_TASK_RE = re.compile(r"^expr([0-9]*):(.*)$", re.S)
MAX_LENGTH = 500
MAX_DIM = 64

# name -> (numpy function, number of arguments)
FUNCTIONS = {
    "sin": (np.sin, 1), "cos": (np.cos, 1), "tan": (np.tan, 1),
    "arcsin": (np.arcsin, 1), "arccos": (np.arccos, 1), "arctan": (np.arctan, 1),
    "sinh": (np.sinh, 1), "cosh": (np.cosh, 1), "tanh": (np.tanh, 1),
    "exp": (np.exp, 1), "log": (np.log, 1), "log2": (np.log2, 1), "log10": (np.log10, 1),
    "sqrt": (np.sqrt, 1), "abs": (np.abs, 1), "sign": (np.sign, 1),
    "floor": (np.floor, 1), "ceil": (np.ceil, 1),
    "relu": (lambda a: np.maximum(a, 0.0), 1),
    "maximum": (np.maximum, 2), "minimum": (np.minimum, 2),
}
CONSTANTS = {"pi": math.pi, "e": math.e}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.Pow: operator.pow}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}


def is_expression(task) -> bool:
    return isinstance(task, str) and _TASK_RE.match(task) is not None


def variables(dim: int) -> list[str]:
    return ["x"] if dim == 1 else [f"x{i}" for i in range(1, dim + 1)]


def _split(task: str) -> tuple[int, str]:
    m = _TASK_RE.match(task)
    if m is None:
        raise UserError(f"not an expression task: {task!r} (expected expr:FORMULA or exprD:FORMULA)")
    dim = int(m.group(1)) if m.group(1) else 1
    if not 1 <= dim <= MAX_DIM:
        raise UserError(f"expression {task!r}: dimension must be in 1..{MAX_DIM}, got {dim}")
    return dim, m.group(2)


def _part(node, text: str) -> str:
    """The source text of a node, for error messages."""
    seg = ast.get_source_segment(text, node)
    return repr(seg) if seg else type(node).__name__


def parse(text: str, dim: int = 1) -> ast.Expression:
    """The checked AST of a formula; UserError (one line, naming the offending part) if refused."""
    if not isinstance(text, str) or not text.strip():
        raise UserError("expression: must be a non-empty text, e.g. 'sin(3*x) + x**2'")
    if len(text) > MAX_LENGTH:
        raise UserError(f"expression: at most {MAX_LENGTH} characters, got {len(text)}")
    if "\n" in text.strip():
        raise UserError("expression: must be one line")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise UserError(f"expression {text.strip()!r}: not a formula ({exc.msg} at column {exc.offset})") from None
    names = variables(dim)
    src = text.strip()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Expression, ast.Load)) or type(node) in _BINARY or type(node) in _UNARY:
            continue
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise UserError(f"expression {src!r}: operator in {_part(node, src)} is not allowed (allowed: + - * / **)")
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                raise UserError(f"expression {src!r}: operator in {_part(node, src)} is not allowed (allowed: + - * / **)")
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise UserError(f"expression {src!r}: constant {_part(node, src)} is not a real number")
        elif isinstance(node, ast.Name):
            if node.id not in names and node.id not in CONSTANTS and node.id not in FUNCTIONS:
                hint = "x" if dim == 1 else f"x1..x{dim}"
                raise UserError(f"expression {src!r}: unknown name {node.id!r} (variables: {hint}; constants: "
                                f"{', '.join(CONSTANTS)}; functions: {', '.join(FUNCTIONS)})")
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise UserError(f"expression {src!r}: call {_part(node, src)} is not allowed "
                                f"(functions: {', '.join(FUNCTIONS)})")
            if node.keywords:
                raise UserError(f"expression {src!r}: keyword arguments in {_part(node, src)} are not allowed")
            want = FUNCTIONS[node.func.id][1]
            if len(node.args) != want or any(isinstance(a, ast.Starred) for a in node.args):
                raise UserError(f"expression {src!r}: {node.func.id} takes {want} argument(s), in {_part(node, src)}")
        else:
            raise UserError(f"expression {src!r}: {_part(node, src)} is not allowed "
                            f"({type(node).__name__}; a formula may use numbers, {', '.join(names)}, "
                            f"{', '.join(CONSTANTS)}, + - * / ** and calls of {', '.join(FUNCTIONS)})")
    # a function name used as a value, or a variable/constant called, is refused here
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in FUNCTIONS:
            parents = [p for p in ast.walk(tree) if isinstance(p, ast.Call) and p.func is node]
            if not parents:
                raise UserError(f"expression {src!r}: function {node.id!r} used without a call")
    return tree


def canonical(text: str, dim: int = 1) -> str:
    """The task text of a formula: 'expr:' (d = 1) or 'exprD:' + its normalised form."""
    if not isinstance(dim, int) or isinstance(dim, bool) or not 1 <= dim <= MAX_DIM:
        raise UserError(f"expression: dim must be an integer in 1..{MAX_DIM}, got {dim!r}")
    body = ast.unparse(parse(text, dim))
    return f"{PREFIX}{'' if dim == 1 else dim}:{body}"


def canonical_task(task: str) -> str:
    """A task text (built-in name or expr[D]:FORMULA) in canonical form; built-in names unchanged."""
    if not is_expression(task):
        return task
    dim, text = _split(task)
    return canonical(text, dim)


def _compile(node, names):
    """A function of x (M, d) for a checked AST node (its value an (M,) array or a scalar)."""
    if isinstance(node, ast.Expression):
        return _compile(node.body, names)
    # numbers stay scalars, so that x ** 2 takes numpy's exact fast path, as the built-in x2 does
    if isinstance(node, ast.Constant):
        value = float(node.value)
        return lambda x: value
    if isinstance(node, ast.Name):
        if node.id in CONSTANTS:
            value = CONSTANTS[node.id]
            return lambda x: value
        j = names.index(node.id)
        return lambda x: x[:, j]
    if isinstance(node, ast.BinOp):
        op, a, b = _BINARY[type(node.op)], _compile(node.left, names), _compile(node.right, names)
        return lambda x: op(a(x), b(x))
    if isinstance(node, ast.UnaryOp):
        op, a = _UNARY[type(node.op)], _compile(node.operand, names)
        return lambda x: op(a(x))
    if isinstance(node, ast.Call):
        fn = FUNCTIONS[node.func.id][0]
        args = [_compile(a, names) for a in node.args]
        return lambda x: fn(*(a(x) for a in args))
    raise AssertionError(f"unchecked node {type(node).__name__}")  # parse() refuses everything else


def parse_task(task: str):
    """(d, target function of x (M, d) -> (M,)) of an expression task; values must be finite."""
    dim, text = _split(task)
    body = _compile(parse(text, dim), variables(dim))
    shown = canonical(text, dim)

    def target(x):
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(all="ignore"):
            y = np.broadcast_to(np.asarray(body(x), dtype=np.float64), (x.shape[0],)).copy()
        bad = ~np.isfinite(y)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise UserError(f"task {shown!r} is not finite at x = {x[i].tolist()} ({int(bad.sum())} of {y.size} points); "
                            "choose a formula defined on the whole input range (training.x_range)")
        return y

    return dim, target


def task_slug(task: str) -> str:
    """A file-name-safe name of a task: built-in names as they are; expressions
    'expr_' + slug of the formula (at most 24 characters) + '_' + 6 hex digits of its digest."""
    if not is_expression(task):
        return task
    task = canonical_task(task)
    body = task.split(":", 1)[1]
    slug = re.sub(r"[^a-z0-9]+", "_", body.lower()).strip("_")[:24].strip("_") or "f"
    dim = _split(task)[0]
    digest = hashlib.sha256(task.encode()).hexdigest()[:6]
    return f"{PREFIX}{'' if dim == 1 else dim}_{slug}_{digest}"


# Wildcard pattern of a task slug (built-in names, or task_slug of an expression).
SLUG_PATTERN = r"[a-z0-9]+|expr[0-9]*_[a-z0-9_]+_[0-9a-f]{6}"


def label(task: str) -> str:
    """Short display text of an expression task: the formula (with its d when d > 1)."""
    dim, text = _split(canonical_task(task))
    return text if dim == 1 else f"{text} (d = {dim})"
