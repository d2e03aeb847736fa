"""Signatures of Mochi's built-in functions and of the `math` module.

``builtin_result`` types one call from its argument types; it returns None
when the arguments do not fit, so the checker can report the call.  Built-ins
are generic over element types, which is why they are typed here by hand
rather than declared as ordinary function types.
"""

from __future__ import annotations

from mochic.frontend.numeric import BIG, is_numeric
from mochic.frontend.types import (
    ANY,
    BIGINT,
    BIGRAT,
    BOOL,
    FLOAT,
    INT,
    STRING,
    UNKNOWN,
    VOID,
    GroupT,
    ListT,
    MapT,
    Type,
)

# name -> (min args, max args)
ARITY: dict[str, tuple[int, int]] = {
    "len": (1, 1), "append": (2, 2), "push": (2, 2), "str": (1, 1), "substring": (3, 3),
    "substr": (3, 3), "contains": (2, 2), "sqrt": (1, 1), "int": (1, 1), "float": (1, 1),
    "floor": (1, 1), "ceil": (1, 1), "concat": (2, 99), "abs": (1, 1), "lower": (1, 1),
    "upper": (1, 1), "split": (2, 2), "exp": (1, 1), "join": (1, 2), "round": (1, 1),
    "sin": (1, 1), "cos": (1, 1), "log": (1, 1), "pow": (2, 2), "json": (1, 1),
    "indexOf": (2, 2), "min": (1, 2), "max": (1, 2), "input": (0, 0), "now": (0, 0),
    "repeat": (2, 2), "keys": (1, 1), "values": (1, 1), "reverse": (1, 1), "sum": (1, 1),
    "exists": (1, 1), "range": (1, 3), "trim": (1, 1), "first": (1, 1), "count": (1, 1),
    "avg": (1, 1), "padStart": (3, 3), "print": (0, 999), "panic": (1, 1),
    "starts_with": (2, 2), "ends_with": (2, 2), "ord": (1, 1), "chr": (1, 1),
    "last": (1, 1), "distinct": (1, 1), "slice": (3, 3), "parseIntStr": (1, 2),
    "get": (2, 3), "error": (1, 1), "string": (1, 1), "sha256": (1, 1),
    "num": (1, 1), "denom": (1, 1), "bigint": (1, 1), "bigrat": (1, 2),
}

# Functions of `import go "strings"`, Go's names for built-ins: name -> built-in.
GO_STRINGS: dict[str, str] = {
    "ToUpper": "upper", "ToLower": "lower", "TrimSpace": "trim", "Contains": "contains",
    "HasPrefix": "starts_with", "HasSuffix": "ends_with", "Split": "split", "Join": "join",
    "Repeat": "repeat", "Index": "indexOf",
}

# Functions of `import python "math"`: name -> arity.  Each takes and gives floats.
MATH_FUNS: dict[str, int] = {
    "sqrt": 1, "sin": 1, "cos": 1, "tan": 1, "asin": 1, "acos": 1, "atan": 1, "exp": 1,
    "log": 1, "log2": 1, "log10": 1, "floor": 1, "ceil": 1, "fabs": 1, "trunc": 1,
    "sinh": 1, "cosh": 1, "tanh": 1, "pow": 2, "atan2": 2, "fmod": 2, "hypot": 2,
}
MATH_CONSTS: dict[str, float] = {
    "pi": 3.141592653589793, "e": 2.718281828459045, "tau": 6.283185307179586,
    "inf": float("inf"),
}


def elem_type(t: Type) -> Type | None:
    """What iterating ``t`` yields, or None if it is not iterable."""
    if isinstance(t, ListT):
        return t.elem
    if isinstance(t, GroupT):
        return t.elem
    if isinstance(t, MapT):
        return t.key
    if t == STRING:
        return STRING
    if t in (ANY, UNKNOWN):
        return t
    return None


def _join_default(value: Type, default: Type) -> Type:
    """The type of `m.get(k, d)`: the value type when the default fits it."""
    if default == value or (value == FLOAT and default == INT):
        return value
    return ANY


def _num(t: Type) -> bool:
    return is_numeric(t) or t == ANY


def _int(t: Type) -> bool:
    return t in (INT, ANY)


def _str(t: Type) -> bool:
    return t in (STRING, ANY)


# How the built-ins whose arguments are checked beyond the first are called,
# for the hint of a call that does not fit.
SIGNATURES: dict[str, str] = {
    "substring": "substring(s: string, start: int, end: int)",
    "split": "split(s: string, sep: string)",
    "join": "join(parts: list<string>[, sep: string])",
    "padStart": "padStart(s: string, width: int, pad: string)",
    "repeat": "repeat(s: string, count: int)",
    "starts_with": "starts_with(s: string, prefix: string)",
    "ends_with": "ends_with(s: string, suffix: string)",
    "contains": "contains(s: string, part: string), or a list or map and a value",
    "indexOf": "indexOf(s: string, part: string), or a list and a value",
    "avg": "avg(xs: list<int> or list<float>)",
    "sum": "sum(xs: list<int> or list<float>)",
    "chr": "chr(code: int)",
    "ord": "ord(ch: string)",
    "range": "range(end: int), range(start: int, end: int[, step: int])",
    "slice": "slice(xs: list or string, start: int, end: int)",
    "sha256": "sha256(data: string or list<int>) -> list<int>, the 32 bytes of the digest",
    "parseIntStr": "parseIntStr(s: string[, base: int])",
    "pow": "pow(x, y) of two numbers; a bigint to an int power",
    "bigint": "bigint(x) of a number or a decimal string",
    "bigrat": "bigrat(x) of a number or a string like \"3/4\", or bigrat(num, denom)",
}


def builtin_result(name: str, args: list[Type]) -> Type | None:
    """The result type of built-in ``name`` applied to ``args``; None if ill-typed."""
    a = args[0] if args else VOID
    if name == "len":
        ok = isinstance(a, ListT | MapT | GroupT) or a in (STRING, ANY)
        return INT if ok else None
    if name in ("append", "push"):
        if isinstance(a, ListT):
            return a
        return ListT(ANY) if a == ANY else None
    if name in ("str", "string"):
        return STRING
    if name == "sha256":
        ok = isinstance(a, ListT) and a.elem in (INT, ANY) or a in (STRING, ANY)
        return ListT(INT) if ok else None
    if name in ("substring", "substr"):
        return STRING if _str(a) and _int(args[1]) and _int(args[2]) else None
    if name == "slice":
        ok = isinstance(a, ListT) or a in (STRING, ANY)
        return a if ok and _int(args[1]) and _int(args[2]) else None
    if name == "parseIntStr":
        return INT if _str(a) and (len(args) == 1 or _int(args[1])) else None
    if name == "get":
        if isinstance(a, MapT):
            return a.value if len(args) == 2 else _join_default(a.value, args[2])
        return ANY if a == ANY else None
    if name == "contains":
        if a == STRING:
            return BOOL if _str(args[1]) else None
        return BOOL if isinstance(a, ListT | MapT) or a == ANY else None
    if name in ("sqrt", "exp", "sin", "cos", "log"):
        return FLOAT if _num(a) else None
    if name == "pow":
        # as the reference: an int for two ints, a float when either is a float
        b = args[1]
        if not (_num(a) and _num(b)):
            return None
        if FLOAT in (a, b):
            return FLOAT
        if a == BIGINT and b in (INT, BIGINT, ANY):
            return BIGINT
        if BIGRAT in (a, b) or b == BIGINT:
            return None
        return INT if a == b == INT else ANY
    if name in ("floor", "ceil", "round"):
        return FLOAT if _num(a) else None
    if name == "abs":
        return a if _num(a) else None
    if name == "int":
        return INT
    if name == "float":
        return FLOAT
    if name in ("num", "denom"):
        return BIGINT if _num(a) and a != FLOAT else None
    if name == "bigint":
        return BIGINT if _num(a) or a == STRING else None
    if name == "bigrat":
        return BIGRAT if (_num(a) or a == STRING) and \
            (len(args) == 1 or _num(args[1]) and a != STRING) else None
    if name == "concat":
        return a if isinstance(a, ListT) or a == STRING else (ANY if a == ANY else None)
    if name in ("lower", "upper", "trim"):
        return STRING if a in (STRING, ANY) else None
    if name == "split":
        return ListT(STRING) if _str(a) and _str(args[1]) else None
    if name == "join":
        ok = isinstance(a, ListT) or a == ANY
        return STRING if ok and (len(args) == 1 or _str(args[1])) else None
    if name == "json":
        return VOID
    if name == "indexOf":
        if a == STRING:
            return INT if _str(args[1]) else None
        return INT if isinstance(a, ListT) or a == ANY else None
    if name in ("min", "max"):
        if len(args) == 2:
            return FLOAT if FLOAT in args else (INT if args[0] == INT == args[1] else ANY)
        if isinstance(a, ListT | GroupT):
            return a.elem
        return ANY if a == ANY else None
    if name == "input":
        return STRING
    if name == "now":
        return INT
    if name == "repeat":
        if not _int(args[1]):
            return None
        return STRING if a in (STRING, ANY) else (a if isinstance(a, ListT) else None)
    if name == "keys":
        return ListT(a.key) if isinstance(a, MapT) else (ListT(ANY) if a == ANY else None)
    if name == "values":
        return ListT(a.value) if isinstance(a, MapT) else (ListT(ANY) if a == ANY else None)
    if name == "reverse":
        return a if isinstance(a, ListT) or a in (STRING, ANY) else None
    if name == "sum":
        e = elem_type(a)
        if e in (INT, FLOAT) or e in BIG:
            return e
        return ANY if e == ANY else None
    if name in ("avg",):
        return FLOAT if elem_type(a) in (INT, FLOAT, ANY) else None
    if name in ("exists",):
        return BOOL
    if name == "count":
        return INT if elem_type(a) is not None else None
    if name == "range":
        return ListT(INT) if all(_int(t) for t in args) else None
    if name in ("first", "last"):
        e = elem_type(a)
        return e if e is not None and a != STRING else (ANY if a == ANY else None)
    if name == "distinct":
        return a if isinstance(a, ListT) else None
    if name == "padStart":
        return STRING if _str(a) and _int(args[1]) and _str(args[2]) else None
    if name in ("print", "panic", "error"):
        return VOID
    if name in ("starts_with", "ends_with"):
        return BOOL if _str(a) and _str(args[1]) else None
    if name == "ord":
        return INT if _str(a) else None
    if name == "chr":
        return STRING if _int(a) else None
    return None

