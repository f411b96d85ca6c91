"""CIFAR-10 python batches checked before the core loader (`data.read_cifar_batch`) unpickles them.

The core's restricted unpickler runs no foreign code, but its allowed constructors build what
they are told: a stride-0 `numpy.ndarray` of 10^12 rows, a label list whose items share
memoised lists (numpy's conversion then expands them exponentially), float, text or bool
labels, a codec the caller never meant. So the file is first read here with
`pickletools.genops`, which parses the operations without executing any, and replayed on a
symbolic stack that holds only sizes, short texts, ints and references, never the objects
themselves. A batch passes only if it builds exactly what CIFAR-10's batches hold:

- a dict with distinct text keys (bytes or str);
- `data`: a uint8 array of N x 3072 (1 <= N <= 10000), rebuilt the way numpy pickles arrays
  (`_reconstruct(ndarray, (0,), b'b')` then its state, the raw bytes of exactly N x 3072),
  bytes written as such or as `_codecs.encode(text, 'latin1')` (Python 3, protocol <= 2);
- `labels`: a list of N Python ints in 0..9;
- any other entry (batch_label, filenames): text, an int, or a list of texts or ints.

Sizes are bounded before anything is allocated: the file (a real batch is ~31 MB; a batch
re-pickled by Python 3 with protocol 2 holds its pixels as UTF-8 text, up to twice that),
the number of operations, and the length of every list, tuple and dict. Each refusal is one
UserError naming the file and the problem.
"""

from __future__ import annotations

import hashlib
import io
import math
import pickletools
from pathlib import Path

from lottery_scaling.errors import UserError

from . import data

MAX_ROWS = 10000  # images in one CIFAR-10 batch
COLUMNS = 3072  # 32 x 32 x 3 uint8
MAX_FILE_BYTES = 2 * MAX_ROWS * COLUMNS + (4 << 20)  # pixels as UTF-8 text at worst, plus labels and names
MAX_OPERATIONS = 250_000  # a real batch takes ~40 000 (labels and file names); Python 3 protocol 2 ~90 000
MAX_TUPLE = 16  # the longest tuple of a batch is a dtype's state (8)
MAX_DICT = 64  # a batch has 4 entries
MAX_TEXT_IN_MESSAGE = 40

_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): "_reconstruct",
    ("numpy._core.multiarray", "_reconstruct"): "_reconstruct",
    ("numpy", "ndarray"): "ndarray",
    ("numpy", "dtype"): "dtype",
    ("_codecs", "encode"): "encode",
    ("__builtin__", "bytes"): "bytes",  # how protocol <= 2 writes b"" (the data of a zero-row array)
    ("builtins", "bytes"): "bytes",
}
_LATIN1 = ("latin1", "latin-1")
_BYTES_OPS = {"STRING", "BINSTRING", "SHORT_BINSTRING", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8"}
_TEXT_OPS = {"UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8"}
_INT_OPS = {"INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4"}


class _Refused(Exception):
    pass


class _Text:
    """bytes (kind 'bytes'; under encoding='bytes' Python 2 str too) or str; `value` as genops parsed it."""

    __slots__ = ("kind", "value")

    def __init__(self, kind, value):
        self.kind, self.value = kind, value

    @property
    def text(self) -> str:
        return self.value.decode("latin-1") if isinstance(self.value, (bytes, bytearray)) else self.value


class _List:
    __slots__ = ("items",)

    def __init__(self):
        self.items = []

    def add(self, item):
        if len(self.items) >= MAX_ROWS:
            raise _Refused(f"a list of more than {MAX_ROWS} items (a batch holds {MAX_ROWS} images)")
        self.items.append(item)


class _Dict:
    __slots__ = ("items",)

    def __init__(self):
        self.items = {}  # key text -> value

    def set(self, key, value):
        if not isinstance(key, _Text):
            raise _Refused(f"a dict key that is {_describe(key)}, expected text")
        name = key.text
        if name in self.items:
            raise _Refused(f"the key {_short(name)} appears twice")
        if len(self.items) >= MAX_DICT:
            raise _Refused(f"a dict of more than {MAX_DICT} entries")
        self.items[name] = value


class _Global:
    __slots__ = ("role",)

    def __init__(self, role):
        self.role = role


class _Dtype:
    __slots__ = ("built",)

    def __init__(self):
        self.built = False


class _Array:
    __slots__ = ("shape",)  # None until its state is set

    def __init__(self):
        self.shape = None


_MARK = object()


def _short(text) -> str:
    text = str(text)
    return repr(text if len(text) <= MAX_TEXT_IN_MESSAGE else text[:MAX_TEXT_IN_MESSAGE] + "...")


def _describe(obj) -> str:
    if obj is None:
        return "None"
    if isinstance(obj, bool):
        return f"the bool {obj}"
    if isinstance(obj, int):
        return f"the integer {obj}" if abs(obj) < 10**12 else f"an integer of {obj.bit_length()} bits"
    if isinstance(obj, float):
        return f"the float {obj!r}"
    if isinstance(obj, _Text):
        return f"{'bytes' if obj.kind == 'bytes' else 'the text'} {_short(obj.text)}"
    if isinstance(obj, tuple):
        return f"a tuple of {len(obj)}"
    if isinstance(obj, _List):
        return f"a list of {len(obj.items)}"
    if isinstance(obj, _Dict):
        return "a dict"
    if isinstance(obj, _Array):
        return "a numpy array"
    if isinstance(obj, _Dtype):
        return "a numpy dtype"
    if isinstance(obj, _Global):
        return f"the function {obj.role}"
    return "something else"


def _is_int(v, value=None) -> bool:
    return type(v) is int and (value is None or v == value)


def _is_bytes(v, value) -> bool:
    return isinstance(v, _Text) and v.kind == "bytes" and v.text == value


def _call(fn, args):
    if not isinstance(fn, _Global) or not isinstance(args, tuple):
        raise _Refused(f"a call of {_describe(fn)}")
    if fn.role == "encode":
        if not (len(args) == 2 and isinstance(args[0], _Text) and args[0].kind == "str" and isinstance(args[1], _Text)):
            raise _Refused("_codecs.encode called with other arguments than (text, 'latin1')")
        if args[1].text not in _LATIN1:
            raise _Refused(f"_codecs.encode with codec {_short(args[1].text)}, expected 'latin1'")
        text = args[0].value
        if not text.isascii():
            try:
                text.encode("latin-1")
            except UnicodeEncodeError:
                raise _Refused("_codecs.encode of text that is not latin-1") from None
        return _Text("bytes", text)
    if fn.role == "bytes":
        if args != ():
            raise _Refused("bytes called with arguments (protocol 2 writes only b'' as bytes())")
        return _Text("bytes", b"")
    if fn.role == "_reconstruct":
        if not (len(args) == 3 and isinstance(args[0], _Global) and args[0].role == "ndarray"
                and isinstance(args[1], tuple) and len(args[1]) == 1 and _is_int(args[1][0], 0)
                and _is_bytes(args[2], "b")):
            raise _Refused("numpy's _reconstruct called with other arguments than (ndarray, (0,), b'b')")
        return _Array()
    if fn.role == "dtype":
        if not (len(args) == 3 and isinstance(args[0], _Text)):
            raise _Refused("numpy.dtype called with other arguments than ('u1', False, True)")
        if args[0].text != "u1":
            raise _Refused(f"an array of dtype {_short(args[0].text)}, expected 'u1' (uint8)")
        if args[1] not in (False, 0) or args[2] not in (True, 1) or type(args[1]) not in (bool, int) \
                or type(args[2]) not in (bool, int):
            raise _Refused("numpy.dtype called with other arguments than ('u1', False, True)")
        return _Dtype()
    raise _Refused("a direct call of numpy.ndarray (a pickled array is rebuilt by _reconstruct)")


def _build(obj, state):
    if isinstance(obj, _Dtype) and not obj.built:
        if not (isinstance(state, tuple) and len(state) == 8 and _is_int(state[0], 3)
                and isinstance(state[1], _Text) and state[1].text == "|" and state[2:5] == (None, None, None)
                and _is_int(state[5], -1) and _is_int(state[6], -1) and _is_int(state[7], 0)):
            raise _Refused("a uint8 dtype with an unexpected state")
        obj.built = True
        return
    if isinstance(obj, _Array) and obj.shape is None:
        if not (isinstance(state, tuple) and len(state) == 5 and _is_int(state[0], 1)):
            raise _Refused("a numpy array with an unexpected state")
        shape, dtype, fortran, raw = state[1:]
        if not (isinstance(shape, tuple) and all(_is_int(s) and 0 <= s <= MAX_ROWS * COLUMNS for s in shape)):
            raise _Refused(f"a numpy array of shape {_describe(shape)}, expected (N, {COLUMNS})")
        if not (isinstance(dtype, _Dtype) and dtype.built):
            raise _Refused("a numpy array without its uint8 dtype")
        if type(fortran) not in (bool, int) or fortran not in (0, 1):
            raise _Refused("a numpy array with an unexpected order flag")
        if not (isinstance(raw, _Text) and raw.kind == "bytes"):
            raise _Refused(f"a numpy array whose data is {_describe(raw)}, expected bytes")
        if len(raw.value) != math.prod(shape):
            raise _Refused(f"a numpy array of shape {shape} with {len(raw.value)} bytes of data")
        obj.shape = shape
        return
    raise _Refused(f"state set on {_describe(obj)}")


def _replay(raw: bytes):
    """The object the pickle in `raw` would build, symbolically (module docstring); _Refused otherwise."""
    stack, memo = [], {}

    def pop():
        if not stack or stack[-1] is _MARK:
            raise _Refused("a malformed pickle (stack underflow)")
        return stack.pop()

    def pop_mark():
        for i in range(len(stack) - 1, -1, -1):
            if stack[i] is _MARK:
                items = stack[i + 1:]
                del stack[i:]
                return items
        raise _Refused("a malformed pickle (no MARK)")

    def top():
        if not stack or stack[-1] is _MARK:
            raise _Refused("a malformed pickle (stack underflow)")
        return stack[-1]

    def tuple_of(items):
        if len(items) > MAX_TUPLE:
            raise _Refused(f"a tuple of {len(items)} items (at most {MAX_TUPLE})")
        return tuple(items)

    def list_of(target, items):
        if not isinstance(target, _List):
            raise _Refused(f"items appended to {_describe(target)}")
        for item in items:
            target.add(item)

    def dict_of(target, items):
        if not isinstance(target, _Dict):
            raise _Refused(f"entries set on {_describe(target)}")
        if len(items) % 2:
            raise _Refused("a malformed pickle (odd SETITEMS)")
        for k in range(0, len(items), 2):
            target.set(items[k], items[k + 1])

    operations = 0
    try:
        for op, arg, pos in pickletools.genops(io.BytesIO(raw)):
            operations += 1
            if operations > MAX_OPERATIONS:
                raise _Refused(f"more than {MAX_OPERATIONS} pickle operations (a batch needs far fewer)")
            name = op.name
            if name in _INT_OPS or name in ("BINFLOAT", "FLOAT"):
                stack.append(arg)
            elif name in _BYTES_OPS:
                stack.append(_Text("bytes", arg))
            elif name in _TEXT_OPS:
                stack.append(_Text("str", arg))
            elif name in ("BINPUT", "LONG_BINPUT", "PUT"):
                memo[arg] = top()
            elif name == "MEMOIZE":
                memo[len(memo)] = top()
            elif name in ("BINGET", "LONG_BINGET", "GET"):
                if arg not in memo:
                    raise _Refused(f"a malformed pickle (memo entry {arg} read before it was written)")
                stack.append(memo[arg])
            elif name == "MARK":
                stack.append(_MARK)
            elif name == "EMPTY_DICT":
                stack.append(_Dict())
            elif name == "EMPTY_LIST":
                stack.append(_List())
            elif name == "EMPTY_TUPLE":
                stack.append(())
            elif name == "TUPLE":
                stack.append(tuple_of(pop_mark()))
            elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
                items = [pop() for _ in range(int(name[-1]))][::-1]
                stack.append(tuple(items))
            elif name == "LIST":
                target = _List()
                list_of(target, pop_mark())
                stack.append(target)
            elif name == "DICT":
                target = _Dict()
                dict_of(target, pop_mark())
                stack.append(target)
            elif name == "APPEND":
                item = pop()
                list_of(top(), [item])
            elif name == "APPENDS":
                items = pop_mark()
                list_of(top(), items)
            elif name == "SETITEM":
                value, key = pop(), pop()
                dict_of(top(), [key, value])
            elif name == "SETITEMS":
                items = pop_mark()
                dict_of(top(), items)
            elif name == "NONE":
                stack.append(None)
            elif name in ("NEWTRUE", "NEWFALSE"):
                stack.append(name == "NEWTRUE")
            elif name in ("GLOBAL", "STACK_GLOBAL"):
                if name == "GLOBAL":
                    module, _, attr = arg.partition(" ")
                else:
                    attr, module = pop(), pop()
                    if not (isinstance(module, _Text) and isinstance(attr, _Text)):
                        raise _Refused("a malformed pickle (STACK_GLOBAL of non-text)")
                    module, attr = module.text, attr.text
                role = _GLOBALS.get((module, attr))
                if role is None:
                    raise _Refused(f"it refers to {_short(module + '.' + attr)}, which a CIFAR-10 batch does not use")
                stack.append(_Global(role))
            elif name == "REDUCE":
                args, fn = pop(), pop()
                stack.append(_call(fn, args))
            elif name == "BUILD":
                state = pop()
                _build(top(), state)
            elif name == "PROTO":
                if arg > 5:
                    raise _Refused(f"pickle protocol {arg}")
            elif name == "FRAME":
                pass
            elif name == "STOP":
                break
            else:
                raise _Refused(f"the pickle operation {name} at byte {pos}, which a CIFAR-10 batch does not use")
    except (ValueError, OverflowError, EOFError) as exc:  # genops: truncated data, unknown opcode, bad text
        raise _Refused(f"truncated or not a pickle ({_short(exc)})") from None
    if len(stack) != 1 or stack[0] is _MARK:
        raise _Refused("a malformed pickle (it leaves other than one object)")
    return stack[0]


def _check_batch(obj) -> None:
    if not isinstance(obj, _Dict):
        raise _Refused(f"it holds {_describe(obj)}, expected a dict")
    items = obj.items
    for key in ("data", "labels"):
        if key not in items:
            raise _Refused(f"no {key!r} entry")
    array = items["data"]
    if not isinstance(array, _Array) or array.shape is None:
        raise _Refused(f"'data' is {_describe(array)}, expected a uint8 array N x {COLUMNS}")
    if len(array.shape) != 2 or array.shape[1] != COLUMNS:
        raise _Refused(f"'data' has shape {array.shape}, expected (N, {COLUMNS})")
    rows = array.shape[0]
    if rows == 0:
        raise _Refused("it holds no images ('data' has 0 rows)")
    if rows > MAX_ROWS:
        raise _Refused(f"'data' has {rows} rows, more than the {MAX_ROWS} of a CIFAR-10 batch")
    labels = items["labels"]
    if not isinstance(labels, _List):
        raise _Refused(f"'labels' is {_describe(labels)}, expected a list of integers 0..9")
    if len(labels.items) != rows:
        raise _Refused(f"'labels' has {len(labels.items)} entries for {rows} images")
    for i, label in enumerate(labels.items):
        if not (_is_int(label) and 0 <= label <= 9):
            raise _Refused(f"labels[{i}] is {_describe(label)}, expected an integer 0..9")
    for key, value in items.items():
        if key in ("data", "labels"):
            continue
        plain = value is None or _is_int(value) or isinstance(value, _Text)
        if isinstance(value, _List):
            plain = all(_is_int(v) or isinstance(v, _Text) for v in value.items)
        if not plain:
            raise _Refused(f"the entry {_short(key)} is {_describe(value)}, expected text, an integer or a list of those")


def check_batch(path) -> str:
    """Check one batch file (module docstring); returns the SHA-256 of the bytes checked."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: missing CIFAR-10 batch file (expected the python version: data_batch_1..5, test_batch)")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UserError(f"{path}: not a CIFAR-10 python batch ({size} bytes, more than the {MAX_FILE_BYTES} "
                            f"a batch of {MAX_ROWS} images can take)")
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise UserError(f"{path}: not a CIFAR-10 python batch (it grew past {MAX_FILE_BYTES} bytes while being read)")
    try:
        _check_batch(_replay(raw))
    except _Refused as exc:
        raise UserError(f"{path}: not a CIFAR-10 python batch: {exc}") from None
    return hashlib.sha256(raw).hexdigest()


def check_folder(folder) -> dict:
    """check_batch of data_batch_1..5 and test_batch; {file name: SHA-256}."""
    folder = Path(folder)
    return {name: check_batch(folder / name) for name in (*data.CIFAR_TRAIN_FILES, data.CIFAR_TEST_FILE)}
