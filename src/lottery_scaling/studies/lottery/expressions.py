"""User-defined targets: a formula in x (d = 1) or x1..xd (d > 1), parsed safely, never `eval`ed.

An experiment gives `task: {expr: "sin(3*x) + x**2"}` (d = 1, variable `x`) or
`task: {expr: "x1*x2 + x3", dim: 3}` (variables x1..x3); the command line takes the same as one
text, `--task 'expr:sin(3*x) + x**2'` or `--task 'expr3:x1*x2 + x3'` (the number after `expr` is
d; `expr:` means d = 1).

The text is parsed with Python's `ast` and checked against an allow-list: numbers, the
variables, the constants `pi` and `e`, the operators + - * / ** (and unary + -), and calls of
the numpy functions in FUNCTIONS. Anything else (other names, attribute access, subscripts,
keyword arguments, lambdas, comprehensions, strings, ...) is refused with one line naming the
offending part, and so is a tree nested deeper than MAX_DEPTH. The accepted tree is turned into a
list of steps over numpy functions (no eval or compile of the text, no recursion), so the text can do
nothing but compute a number per input point.

Numbers are float64 throughout (never Python's exact integers, whose `**` can run without bound).
A literal float64 cannot hold (1e400, 1e-400), and a constant part that is not a finite real number
(1/0, 0**-1, 10**309, (-8)**(1/3)), is refused when the formula is read; on the data, every part
must be a finite real number at every point (the first bad point is named), so nothing is silently
infinite, nan, or complex cast to real.

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
MAX_LENGTH = 500  # a formula as a person writes it (config, schema)
# A task text (expr:FORMULA) as it is passed on and read back (command line, files): canonical form
# spells `1e15` out and spaces every operator, so a 500-character formula can take about 4.5 times
# as many; this bound keeps every canonical form readable.
MAX_TASK_LENGTH = 2500
MAX_DIM = 64
# Levels of the tree (`-x` is 2). ast.unparse (the canonical form) takes about 3 stack frames a level:
# 100 levels keep it far below Python's recursion limit; a sum of n terms is n levels.
MAX_DEPTH = 100

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
        raise UserError(f"not an expression task: {_short(task)} (expected expr:FORMULA or exprD:FORMULA)")
    digits = m.group(1)
    # the digit count first: int() of thousands of digits is slow, and refused by Python itself
    if len(digits) > 3 or (digits and not 1 <= int(digits) <= MAX_DIM):
        raise UserError(f"expression {_short(task)}: dimension must be in 1..{MAX_DIM}, got {_short(digits, 10)}")
    return (int(digits) if digits else 1), m.group(2)


def _short(text, limit: int = 80) -> str:
    """repr of a text, cut after `limit` characters (a hostile file may hold megabytes)."""
    text = str(text)
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} characters)"


def _part(node, text: str) -> str:
    """The source text of a node, for error messages."""
    seg = ast.get_source_segment(text, node)
    return repr(seg) if seg else type(node).__name__


def _depth(tree: ast.Expression) -> int:
    """Levels of the formula's tree (`x` 1, `-x` 2, `sin(x) + 1` 3), counted without recursion."""
    deepest, todo = 0, [(tree.body, 1)]
    while todo:
        node, level = todo.pop()
        deepest = max(deepest, level)
        todo.extend((c, level + 1) for c in ast.iter_child_nodes(node) if not isinstance(c, ast.expr_context))
    return deepest


def _number(node: ast.Constant, src: str) -> np.float64:
    """A literal as float64; refused where float64 cannot hold it (1e400, a 400-digit integer, 1e-400)."""
    try:
        value = float(node.value)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise UserError(f"expression {src!r}: number {_part(node, src)} is too large for float64 (at most about 1.8e308)")
    seg = ast.get_source_segment(src, node) or ""
    if value == 0.0 and isinstance(node.value, float) and re.search(r"[1-9]", re.split(r"[eE]", seg)[0]):
        raise UserError(f"expression {src!r}: number {_part(node, src)} is too small for float64 (it would be 0)")
    return np.float64(value)


def _checked_tree(text: str, dim: int, max_length: int) -> tuple[ast.Expression, str]:
    """The parsed formula and its stripped text; UserError (one line, naming the offending part) if refused."""
    if not isinstance(text, str) or not text.strip():
        raise UserError("expression: must be a non-empty text, e.g. 'sin(3*x) + x**2'")
    if len(text) > max_length:
        raise UserError(f"expression {_short(text.strip())}: at most {max_length} characters, got {len(text)}")
    src = text.strip()
    if "\n" in src:
        raise UserError(f"expression {_short(src)}: must be one line")
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as exc:
        raise UserError(f"expression {src!r}: not a formula ({exc.msg} at column {exc.offset})") from None
    except (RecursionError, MemoryError):  # the parser's own nesting limit
        raise UserError(f"expression {src!r}: nested too deeply (at most {MAX_DEPTH} levels)") from None
    except ValueError as exc:  # e.g. a NUL character
        raise UserError(f"expression {src!r}: not a formula ({exc})") from None
    depth = _depth(tree)
    if depth > MAX_DEPTH:
        raise UserError(f"expression {src!r}: nested {depth} levels deep, at most {MAX_DEPTH} "
                        "(every operator, sign and call adds a level; a sum of n terms takes n)")
    names = variables(dim)
    called = set()
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
            _number(node, src)
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
            called.add(id(node.func))
        else:
            raise UserError(f"expression {src!r}: {_part(node, src)} is not allowed "
                            f"({type(node).__name__}; a formula may use numbers, {', '.join(names)}, "
                            f"{', '.join(CONSTANTS)}, + - * / ** and calls of {', '.join(FUNCTIONS)})")
    # a function name used as a value is refused here (a variable or constant called is refused above)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in FUNCTIONS and id(node) not in called:
            raise UserError(f"expression {src!r}: function {node.id!r} used without a call")
    return tree, src


# Steps of a compiled formula, run in order on a stack: push a float64 constant, push variable j,
# or apply a function to the top n values.
_CONST, _VAR, _APPLY = range(3)
# numpy's name of a floating-point error -> what it means in a constant part of a formula
_FLOAT_ERRORS = {
    "divide": "is undefined (a division by zero, or a pole such as log(0))",
    "overflow": "overflows float64 (its value is beyond about 1.8e308)",
    "invalid": "has no real value (e.g. a negative number to a fractional power, 0/0, sqrt or log of a negative number)",
}


def _operands(node) -> list:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _function(node):
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)]
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)]
    return FUNCTIONS[node.func.id][0]


def _fold(fn, args, node, src: str) -> np.float64:
    """The value of a constant part (no variable in it), in float64; refused if not a finite real number.
    Every number is a float64 here, so `**` never runs Python's exact (unbounded) integer power."""
    try:
        with np.errstate(divide="raise", over="raise", invalid="raise", under="ignore"):
            value = np.asarray(fn(*args))
    except ArithmeticError as exc:  # FloatingPointError from the errstate, or any other arithmetic refusal
        why = next((w for k, w in _FLOAT_ERRORS.items() if k in str(exc)), f"cannot be computed ({exc})")
        raise UserError(f"expression {src!r}: {_part(node, src)} {why}") from None
    if value.dtype.kind != "f" or value.shape != () or not np.isfinite(value):
        raise UserError(f"expression {src!r}: {_part(node, src)} is not a finite real number (it is {value})")
    return np.float64(value)


def _program(tree: ast.Expression, names: list[str], src: str) -> list[tuple]:
    """A checked formula as steps (kind, payload, number of arguments, node) for _run, built without
    recursion; its constant parts are computed here, once, so that a bad one is refused on reading."""
    done = []  # per finished node: its float64 value if constant, else its list of steps
    todo = [(tree.body, False)]
    while todo:
        node, expanded = todo.pop()
        kids = _operands(node)
        if kids and not expanded:
            todo.append((node, True))
            todo.extend((k, False) for k in reversed(kids))
            continue
        if isinstance(node, ast.Constant):
            done.append(_number(node, src))
        elif isinstance(node, ast.Name):
            done.append(np.float64(CONSTANTS[node.id]) if node.id in CONSTANTS else [(_VAR, names.index(node.id), 0, node)])
        else:
            args = done[len(done) - len(kids):]
            del done[len(done) - len(kids):]
            fn = _function(node)
            if not any(isinstance(a, list) for a in args):
                done.append(_fold(fn, args, node, src))
            else:
                steps = []
                for a in args:
                    steps.extend(a if isinstance(a, list) else [(_CONST, a, 0, None)])
                steps.append((_APPLY, fn, len(args), node))
                done.append(steps)
    (result,) = done
    return result if isinstance(result, list) else [(_CONST, result, 0, tree.body)]


def _run(program: list[tuple], x: np.ndarray):
    """(value of the formula at the points x (M, d), per point the index of the first step that is not a
    finite real number there (-1: none), and that step's value there). Numbers are float64 throughout."""
    stack = []
    first_bad = np.full(x.shape[0], -1)
    bad_value = np.zeros(x.shape[0])
    for k, (kind, payload, n, _) in enumerate(program):
        if kind == _CONST:
            value = payload
        elif kind == _VAR:
            value = x[:, payload]
        else:
            value = payload(*stack[len(stack) - n:])
            del stack[len(stack) - n:]
        if np.iscomplexobj(value):  # not expected from float64 inputs; refused, never cast to real
            value = np.full(x.shape[0], np.nan)
        new = np.broadcast_to(~np.isfinite(value), first_bad.shape) & (first_bad < 0)
        if new.any():
            first_bad[new] = k
            bad_value[new] = np.broadcast_to(value, first_bad.shape)[new]
        stack.append(value)
    (value,) = stack
    return value, first_bad, bad_value


def parse(text: str, dim: int = 1, max_length: int = MAX_LENGTH) -> ast.Expression:
    """The checked AST of a formula; UserError (one line, naming the offending part) if refused:
    outside the allow-list, nested too deeply, a number float64 cannot hold, or a constant part
    that is not a finite real number (1/0, 10**309, (-8)**(1/3))."""
    return _parse(text, dim, max_length)[0]


def _parse(text: str, dim: int, max_length: int):
    tree, src = _checked_tree(text, dim, max_length)
    return tree, _program(tree, variables(dim), src)


def canonical(text: str, dim: int = 1, max_length: int = MAX_LENGTH) -> str:
    """The task text of a formula: 'expr:' (d = 1) or 'exprD:' + its normalised form (which
    canonical_task and parse_task read back: at most MAX_TASK_LENGTH characters)."""
    if not isinstance(dim, int) or isinstance(dim, bool) or not 1 <= dim <= MAX_DIM:
        raise UserError(f"expression: dim must be an integer in 1..{MAX_DIM}, got {dim!r}")
    tree = parse(text, dim, max_length)
    try:
        body = ast.unparse(tree)
    except RecursionError:  # not reached within MAX_DEPTH; a last guard for a caller deep in its own stack
        raise UserError(f"expression {text.strip()!r}: nested too deeply") from None
    if len(body) > MAX_TASK_LENGTH:  # not reached from MAX_LENGTH characters; every task text must read back
        raise UserError(f"expression {_short(text.strip())}: its canonical form has {len(body)} characters, "
                        f"at most {MAX_TASK_LENGTH}")
    return f"{PREFIX}{'' if dim == 1 else dim}:{body}"


def canonical_task(task: str) -> str:
    """A task text (built-in name or expr[D]:FORMULA) in canonical form; built-in names unchanged."""
    if not is_expression(task):
        return task
    dim, text = _split(task)
    return canonical(text, dim, MAX_TASK_LENGTH)


def parse_task(task: str):
    """(d, target function of x (M, d) -> (M,)) of an expression task; its values must be finite
    real numbers at every point, and so must every part of the formula on the way (arctan(1/x) at
    x = 0 is refused: 1/x is infinite there)."""
    dim, text = _split(task)
    program = _parse(text, dim, MAX_TASK_LENGTH)[1]
    shown = canonical(text, dim, MAX_TASK_LENGTH)

    def target(x):
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(all="ignore"):
            value, first_bad, bad_value = _run(program, x)
        y = np.broadcast_to(np.asarray(value, dtype=np.float64), (x.shape[0],)).copy()
        bad = first_bad >= 0
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            part = ast.unparse(program[first_bad[i]][3])
            raise UserError(f"task {shown!r} is not finite at x = {x[i].tolist()} ({int(bad.sum())} of {y.size} points; "
                            f"there {part} = {bad_value[i]}); choose a formula defined on the whole input range "
                            "(training.x_range)")
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
