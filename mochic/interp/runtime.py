"""The interpreter's runtime library: one Python implementation per IR opcode
family, over the value model of ``values.py``.

``implement(op, imm, env)`` returns a function of the operand values.  Opcodes
that exist per IR type (``list.get.i64``, ``map.set.ref.f64`` ...) share one
implementation: in Python every value already knows its type.  Errors are
raised as ``MochiError``; the interpreter adds the source line.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import re
import sys
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from mochic.frontend.types import (
    ANY,
    BIGINT,
    BIGRAT,
    BOOL,
    FLOAT,
    INT,
    NONE,
    STRING,
    FunT,
    ListT,
    MapT,
    OptionT,
    StructT,
    SumT,
    Type,
)
from mochic.interp.format import (
    format_float_str,
    format_print_line,
    format_str,
    sorted_keys,
    to_json,
)
from mochic.interp.values import BigInt, Closure, StructInfo, StructVal

MIN_I64 = -(1 << 63)
MAX_I64 = (1 << 63) - 1


class MochiError(Exception):
    """A Mochi runtime error; ``line`` is filled in by the interpreter."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def wrap(x: int) -> int:
    """Reduce to signed 64-bit two's complement (the bit operations)."""
    if MIN_I64 <= x <= MAX_I64:
        return x
    return ((x - MIN_I64) & 0xFFFFFFFFFFFFFFFF) + MIN_I64


def overflow() -> None:
    raise MochiError("integer overflow")


def checked(x: int) -> int:
    """An int result: 'integer overflow' when it does not fit in 64 bits."""
    if MIN_I64 <= x <= MAX_I64:
        return x
    raise MochiError("integer overflow")


def div_i64(a: int, b: int) -> int:
    if b == 0:
        raise MochiError("division by zero")
    q = abs(a) // abs(b)
    return checked(q if (a < 0) == (b < 0) else -q)


def rem_i64(a: int, b: int) -> int:
    if b == 0:
        raise MochiError("division by zero")
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def div_f64(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def rem_f64(a: float, b: float) -> float:
    try:
        return math.fmod(a, b)
    except ValueError:
        return math.nan


def f2i(f: float) -> int:
    if f != f or f in (math.inf, -math.inf) or not MIN_I64 <= f < 2.0 ** 63:
        raise MochiError("integer overflow")  # no int holds it
    return int(f)


def pow_i64(a: int, b: int) -> int:
    """pow(int, int) as the reference's big.Int.Exp: 1 for a negative exponent."""
    if b <= 0:
        return 1
    if a in (0, 1):
        return a
    if a == -1:
        return 1 if b % 2 == 0 else -1
    if b >= 64:
        raise MochiError("integer overflow")  # |a| >= 2
    return checked(a ** b)


def type_name(v: Any) -> str:
    """The Mochi name of a runtime value's type, for error messages."""
    if v is None:
        return "nil"
    t = type(v)
    if t is bool:
        return "bool"
    if t is int:
        return "int"
    if t is float:
        return "float"
    if t is str:
        return "string"
    if t is list:
        return "list"
    if t is dict:
        return "map"
    if t is StructVal:
        return v.info.name
    if t is Closure:
        return "func"
    if t is BigInt:
        return "bigint"
    if t is Fraction:
        return "bigrat"
    return "value"


def conforms(v: Any, t: Type) -> bool:
    """Does runtime value ``v`` belong to Mochi type ``t`` (for casts out of `any`)?"""
    if t == ANY or isinstance(t, OptionT):
        return True
    tv = type(v)
    if t == INT:
        return tv is int or tv is BigInt
    if t == FLOAT:
        return tv in (float, int, BigInt, Fraction)
    if t == BIGINT:
        return tv in (BigInt, int) or v is None
    if t == BIGRAT:
        return tv in (Fraction, BigInt, int, float) or v is None
    if t == BOOL:
        return tv is bool
    if t == STRING:
        return tv is str
    if v is None:
        return True  # none is a valid value of every reference type
    if isinstance(t, ListT):
        return tv is list
    if isinstance(t, MapT):
        return tv is dict
    if isinstance(t, StructT):
        return tv is StructVal and v.info.name == t.name or tv is dict
    if isinstance(t, SumT):
        return tv is StructVal and v.info.name in t.info.variants
    if isinstance(t, FunT):
        return tv is Closure
    return True


def unbox(t: Type, structs: dict[str, StructInfo] | None = None) -> Callable[[Any], Any]:
    """The checked conversion of an `any` value to type ``t``.  A map becomes a
    struct of type ``t`` field by field (``structs``: the run-time struct infos)."""
    zero = {INT: 0, FLOAT: 0.0, BOOL: False, STRING: ""}.get(t)

    def run(v: Any) -> Any:
        if v is None and zero is not None:
            return zero  # a missing value reads as the type's zero value
        if not conforms(v, t):
            raise MochiError(f"cannot cast {type_name(v)} to {t}")
        if v is not None and t in _NUMBER_OF:
            return _NUMBER_OF[t](v)
        if type(v) is dict and isinstance(t, StructT):
            if structs is None or t.name not in structs:
                raise MochiError(f"cannot cast map to {t}")
            return StructVal(structs[t.name], [unbox(ft, structs)(v.get(name))
                                               for name, ft in t.info.fields.items()])
        return v
    return run


# -------------------------------------------------------------- bigint and bigrat
# A none operand reads as zero, as in the runtime.

_BIG = (BigInt, Fraction)
_NUMBERS = (int, float, bool, BigInt, Fraction)
_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_RAT_TEXT = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")
_BLANKS = " \t\n\r\v\f"


def _bi(v: Any) -> int:
    return 0 if v is None else v


def _br(v: Any) -> Fraction:
    return Fraction(0) if v is None else v


def _nonfinite_name(f: float) -> str:
    return "NaN" if f != f else "+Inf" if f > 0 else "-Inf"


def big_from_f64(f: float) -> BigInt:
    if not math.isfinite(f):
        raise MochiError(f"cannot cast {_nonfinite_name(f)} to bigint")
    return BigInt(int(f))


def big_from_str(s: str) -> BigInt:
    text = s.strip(_BLANKS)
    if not _INT_TEXT.fullmatch(text):
        raise MochiError(f'cannot parse "{s}" as bigint')
    return BigInt(int(text))


def to_float_exact(v: Any) -> float:
    """The nearest float to an int, bigint or bigrat (infinite beyond the range)."""
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def big_div(a: Any, b: Any) -> BigInt:
    a, b = _bi(a), _bi(b)
    if b == 0:
        raise MochiError("division by zero")
    q = abs(a) // abs(b)
    return BigInt(q if (a < 0) == (b < 0) else -q)


def big_rem(a: Any, b: Any) -> BigInt:
    a, b = _bi(a), _bi(b)
    if b == 0:
        raise MochiError("division by zero")
    r = abs(a) % abs(b)
    return BigInt(-r if a < 0 else r)


def big_pow(a: Any, e: int) -> BigInt:
    return BigInt(1 if e <= 0 else _bi(a) ** e)


def rat_from_f64(f: float) -> Fraction:
    if not math.isfinite(f):
        raise MochiError(f"cannot cast {_nonfinite_name(f)} to bigrat")
    return Fraction(f)


def rat_from_str(s: str) -> Fraction:
    """Go's Rat.SetString: "a/b", or a decimal number with an optional exponent."""
    text = s.strip(_BLANKS)
    num, slash, den = text.partition("/")
    if slash:
        if _INT_TEXT.fullmatch(num) and den.isascii() and den.isdigit() and int(den) != 0:
            return Fraction(int(num), int(den))
        raise MochiError(f'cannot parse "{s}" as bigrat')
    m = _RAT_TEXT.fullmatch(text)
    if m is None or not (m.group(2) or m.group(3)):
        raise MochiError(f'cannot parse "{s}" as bigrat')
    sign, whole, frac, exp = m.group(1), m.group(2), m.group(3) or "", m.group(4)
    scale = int(exp or 0) - len(frac)
    v = Fraction(int(whole + frac)) * Fraction(10) ** scale
    return -v if sign == "-" else v


def rat_div(a: Any, b: Any) -> Fraction:
    if _br(b) == 0:
        raise MochiError("division by zero")
    return _br(a) / _br(b)


def _as_big(v: Any) -> Any:
    """A number of any kind as the bigint or bigrat the runtime makes of it."""
    return v if type(v) in _BIG else BigInt(v)


def big_binop(op: str, a: Any, b: Any) -> Any:
    """a op b where either is a bigint or bigrat: a float if either is a float, a
    bigrat if either is a bigrat, a bigint otherwise."""
    ta, tb = type(a), type(b)
    if ta is float or tb is float:
        x, y = to_float_exact(a), to_float_exact(b)
        if op == "pow":
            return MATH2["pow"](x, y)
        if op == "/":
            return div_f64(x, y)
        if op == "%":
            return rem_f64(x, y)
        return x + y if op == "+" else x - y if op == "-" else x * y
    if ta is Fraction or tb is Fraction:
        if op in ("%", "pow"):
            raise MochiError(f"cannot apply '{op}' to {type_name(a)} and {type_name(b)}")
        x, y = Fraction(a), Fraction(b)
        if op == "/":
            return rat_div(x, y)
        return x + y if op == "+" else x - y if op == "-" else x * y
    if op == "pow":
        return big_pow(a, checked(int(b)))
    if op == "/":
        return big_div(a, b)
    if op == "%":
        return big_rem(a, b)
    return BigInt(a + b if op == "+" else a - b if op == "-" else a * b)


BIG_OPS: dict[str, Callable[..., Any]] = {
    "big.add": lambda a, b: BigInt(_bi(a) + _bi(b)),
    "big.sub": lambda a, b: BigInt(_bi(a) - _bi(b)),
    "big.mul": lambda a, b: BigInt(_bi(a) * _bi(b)),
    "big.div": big_div, "big.rem": big_rem,
    "big.neg": lambda a: BigInt(-_bi(a)), "big.abs": lambda a: BigInt(abs(_bi(a))),
    "big.pow": big_pow,
    "big.from.i64": BigInt, "big.from.f64": big_from_f64, "big.from.str": big_from_str,
    "big.to.i64": lambda a: checked(int(_bi(a))), "big.to.f64": lambda a: to_float_exact(_bi(a)),
    "rat.add": lambda a, b: _br(a) + _br(b), "rat.sub": lambda a, b: _br(a) - _br(b),
    "rat.mul": lambda a, b: _br(a) * _br(b), "rat.div": rat_div,
    "rat.neg": lambda a: -_br(a), "rat.abs": lambda a: abs(_br(a)),
    "rat.from.i64": Fraction, "rat.from.big": lambda a: Fraction(_bi(a)),
    "rat.from.f64": rat_from_f64, "rat.from.str": rat_from_str,
    "rat.to.big": lambda a: BigInt(int(_br(a))),
    "rat.to.f64": lambda a: to_float_exact(_br(a)),
    "rat.num": lambda a: BigInt(_br(a).numerator),
    "rat.denom": lambda a: BigInt(_br(a).denominator),
}
for _c, _test in (("eq", lambda x, y: x == y), ("ne", lambda x, y: x != y),
                  ("lt", lambda x, y: x < y), ("le", lambda x, y: x <= y),
                  ("gt", lambda x, y: x > y), ("ge", lambda x, y: x >= y)):
    BIG_OPS[f"{_c}.big"] = lambda a, b, t=_test: t(_bi(a), _bi(b))
    BIG_OPS[f"{_c}.rat"] = lambda a, b, t=_test: t(_br(a), _br(b))

# what unboxing to a numeric type makes of a number of another kind
_NUMBER_OF: dict[Type, Callable[[Any], Any]] = {
    INT: lambda v: checked(int(v)) if type(v) is BigInt else v,
    FLOAT: lambda v: v if type(v) is float else to_float_exact(v),
    BIGINT: lambda v: v if type(v) is BigInt else BigInt(v),
    BIGRAT: lambda v: v if type(v) is Fraction else Fraction(v),
}


def _num_cmp(a: Any, b: Any) -> int:
    """Two numbers compared: a bigint or bigrat with a float as floats, as the runtime."""
    if (type(a) in _BIG or type(b) in _BIG) and float in (type(a), type(b)):
        a, b = to_float_exact(a), to_float_exact(b)
    return (a > b) - (a < b)


# -------------------------------------------------------------- comparisons


def compare(a: Any, b: Any) -> int:
    """Total order used by `sort by`, `min`, `max` and dynamic `<`: numbers by value,
    strings by code points, lists element-wise, none first."""
    if a is None or b is None:
        return (a is not None) - (b is not None)
    ta, tb = type(a), type(b)
    if ta in _NUMBERS and tb in _NUMBERS:
        return _num_cmp(a, b)
    if ta is str and tb is str:
        return (a > b) - (a < b)
    if ta is list and tb is list:
        for x, y in zip(a, b, strict=False):
            c = compare(x, y)
            if c:
                return c
        return (len(a) > len(b)) - (len(a) < len(b))
    if ta is dict and tb is dict:
        return compare(format_str(a), format_str(b))
    if ta is StructVal and tb is StructVal:
        return compare(a.fields, b.fields)
    raise MochiError(f"cannot compare {type_name(a)} with {type_name(b)}")


def equal(a: Any, b: Any) -> bool:
    ta, tb = type(a), type(b)
    if (ta is bool) != (tb is bool):
        return False
    if (ta in _BIG or tb in _BIG) and ta in _NUMBERS and tb in _NUMBERS:
        return _num_cmp(a, b) == 0
    return bool(a == b)


_CMP = {
    "eq": lambda c: c == 0, "ne": lambda c: c != 0, "lt": lambda c: c < 0,
    "le": lambda c: c <= 0, "gt": lambda c: c > 0, "ge": lambda c: c >= 0,
}


def any_cmp(name: str) -> Callable[[Any, Any], bool]:
    if name == "eq":
        return equal
    if name == "ne":
        return lambda a, b: not equal(a, b)
    test = _CMP[name]
    return lambda a, b: test(compare(a, b))


def any_binop(op: str) -> Callable[[Any, Any], Any]:
    def run(a: Any, b: Any) -> Any:
        ta, tb = type(a), type(b)
        if op == "abs":
            if ta in (int, float):
                return checked(abs(a)) if ta is int else abs(a)
            if ta in _BIG:
                return BigInt(abs(a)) if ta is BigInt else abs(a)
            raise MochiError(f"cannot take abs of {type_name(a)}")
        if (ta in _BIG or tb in _BIG) and ta in _NUMBERS and tb in _NUMBERS:
            return big_binop(op, a, b)
        if op == "pow":
            if ta is int and tb is int:
                return pow_i64(a, b)
            if ta in (int, float) and tb in (int, float):
                return MATH2["pow"](float(a), float(b))
            raise MochiError(f"cannot apply 'pow' to {type_name(a)} and {type_name(b)}")
        if ta is int and tb is int:
            if op == "/":
                return div_i64(a, b)
            if op == "%":
                return rem_i64(a, b)
            return checked(a + b if op == "+" else a - b if op == "-" else a * b)
        if ta in (int, float) and tb in (int, float):
            a, b = float(a), float(b)
            if op == "/":
                return div_f64(a, b)
            if op == "%":
                return rem_f64(a, b)
            return a + b if op == "+" else a - b if op == "-" else a * b
        if op == "+" and ta is str and tb is str:
            return a + b
        if op == "+" and ta is list and tb is list:
            return a + b
        if op == "+" and (ta is str or tb is str) and a is not None and b is not None:
            return (a if ta is str else format_str(a)) + (b if tb is str else format_str(b))
        raise MochiError(f"cannot apply '{op}' to {type_name(a)} and {type_name(b)}")
    return run


def any_neg(a: Any) -> Any:
    if type(a) is int:
        return checked(-a)
    if type(a) is float:
        return -a
    if type(a) is BigInt:
        return BigInt(-a)
    if type(a) is Fraction:
        return -a
    raise MochiError(f"cannot negate {type_name(a)}")


def truthy(v: Any) -> bool:
    """The reference's truthiness: false for none, false, 0, 0.0, "", an empty list or
    map (or group) and a function; true otherwise."""
    t = type(v)
    if t is bool:
        return v
    if t in (int, float, str, list, dict):
        return bool(v)
    if t is StructVal:
        return True
    if t is Group:
        return bool(v.items)
    return False


# -------------------------------------------------------------- strings


def index_error(i: int, n: int, what: str) -> MochiError:
    return MochiError(f"index {i} out of range for {what} of length {n}")


def str_index(s: str, i: int) -> str:
    n = len(s)
    if -n <= i < n:
        return s[i]
    raise index_error(i, n, "string")


def _bounds(a: int, b: int, n: int) -> tuple[int, int]:
    if a < 0:
        a += n
    if b < 0:
        b += n
    a = min(max(a, 0), n)
    b = min(max(b, a), n)
    return a, b


def seq_slice(s: Any, a: int, b: int) -> Any:
    a, b = _bounds(a, b, len(s))
    return s[a:b]


def to_int(s: str) -> int:
    text = s.strip()
    try:
        v = int(text, 10)
    except ValueError:
        raise MochiError(f'cannot parse "{s}" as int') from None
    return checked(v)


def parse_int(s: str, base: int) -> int:
    try:
        v = int(s.strip(), base)
    except ValueError:
        return 0
    return checked(v)


def to_float(s: str) -> float:
    try:
        return float(s.strip())
    except ValueError:
        raise MochiError(f'cannot parse "{s}" as float') from None


def any_to_int(v: Any) -> int:
    t = type(v)
    if t is int:
        return v
    if t is bool:
        return int(v)
    if t is float:
        return f2i(v)
    if t is str:
        return to_int(v)
    if t in _BIG:
        return checked(int(v))
    raise MochiError(f"cannot cast {type_name(v)} to int")


def sha256(data: Any) -> list[int]:
    """The SHA-256 digest of a string's UTF-8 or of a list of ints taken as bytes."""
    if type(data) is str:
        raw = data.encode("utf-8", "surrogatepass")
    elif type(data) is list:
        out = bytearray()
        for x in data:
            if type(x) not in (int, bool, float):
                raise MochiError("sha256 needs a string or a list of ints, not a list holding "
                                 + type_name(x))
            out.append((f2i(x) if type(x) is float else int(x)) & 0xFF)
        raw = bytes(out)
    else:
        raise MochiError(f"sha256 needs a string or a list of ints, not {type_name(data)}")
    return list(hashlib.sha256(raw).digest())


def any_to_float(v: Any) -> float:
    t = type(v)
    if t in (int, float, bool):
        return float(v)
    if t is str:
        return to_float(v)
    if t in _BIG:
        return to_float_exact(v)
    raise MochiError(f"cannot cast {type_name(v)} to float")


def pad_start(s: str, width: int, pad: str) -> str:
    if not pad or len(s) >= width:
        return s
    need = width - len(s)
    return (pad * (need // len(pad) + 1))[:need] + s


def split(s: str, sep: str) -> list[str]:
    if sep == "":
        return list(s)
    return s.split(sep)


def str_join(xs: list, sep: str) -> str:
    return sep.join(x if type(x) is str else format_str(x) for x in xs)


def str_ord(s: str) -> int:
    if len(s) != 1:
        raise MochiError(f"ord expects a one-character string, got {len(s)} characters")
    return ord(s)


def str_chr(i: int) -> str:
    try:
        return chr(i)
    except (ValueError, OverflowError):
        raise MochiError(f"{i} is not a valid code point") from None


# -------------------------------------------------------------- lists


def list_get(xs: list, i: int) -> Any:
    n = len(xs)
    if -n <= i < n:
        return xs[i]
    raise index_error(i, n, "list")


def list_set(xs: list, i: int, v: Any) -> None:
    n = len(xs)
    if not -n <= i < n:
        raise index_error(i, n, "list")
    xs[i] = v


def contains(xs: list, v: Any) -> bool:
    return any(equal(x, v) for x in xs)


def index_of(xs: list, v: Any) -> int:
    for i, x in enumerate(xs):
        if equal(x, v):
            return i
    return -1


def distinct(xs: list) -> list:
    out: list = []
    for x in xs:
        if not contains(out, x):
            out.append(x)
    return out


def sort_by_keys(items: list, keys: list) -> list:
    order = sorted(range(len(items)),
                   key=functools.cmp_to_key(lambda i, j: compare(keys[i], keys[j])))
    return [items[i] for i in order]


def list_min_max(want: int) -> Callable[[list], Any]:
    def run(xs: list) -> Any:
        if not xs:
            return None
        best = xs[0]
        for x in xs[1:]:
            if compare(x, best) == want:
                best = x
        return best
    return run


def list_sum_any(xs: list) -> Any:
    total: Any = 0
    add = any_binop("+")
    for x in xs:
        total = add(total, x)
    return total


def list_avg(xs: list) -> float:
    if not xs:
        return 0.0
    return float(sum(float(x) for x in xs)) / len(xs)


def list_range(a: int, b: int, step: int) -> list[int]:
    if step == 0:
        raise MochiError("range step cannot be zero")
    return list(range(a, b, step))


# -------------------------------------------------------------- maps and groups


def freeze(v: Any) -> Any:
    """A hashable stand-in for a value used as a map key or group key."""
    t = type(v)
    if t is list:
        return ("list", tuple(freeze(x) for x in v))
    if t is dict:
        return ("map", tuple(sorted((format_str(k), freeze(x)) for k, x in v.items())))
    if t is StructVal:
        return ("struct", v.info.name, tuple(freeze(x) for x in v.fields))
    if t is bool:
        return ("bool", v)
    return v


class Group:
    """The group variable of `group by`: its key and its items."""

    __slots__ = ("key", "items")

    def __init__(self, key: Any, items: list) -> None:
        self.key = key
        self.items = items


def group_by(keys: list, rows: list) -> list[Group]:
    groups: dict[Any, Group] = {}
    for k, row in zip(keys, rows, strict=True):
        fk = freeze(k)
        g = groups.get(fk)
        if g is None:
            g = groups[fk] = Group(k, [])
        g.items.append(row)
    return list(groups.values())


def any_field(name: str) -> Callable[[Any], Any]:
    def run(v: Any) -> Any:
        t = type(v)
        if t is StructVal:
            i = v.info.field_index.get(name)
            if i is None:
                raise MochiError(f"{v.info.name} has no field '{name}'")
            return v.fields[i]
        if t is dict:
            return v.get(name)
        if t is Group:
            return v.key if name == "key" else v.items
        raise MochiError(f"cannot read field '{name}' of {type_name(v)}")
    return run


def any_index(v: Any, k: Any) -> Any:
    t = type(v)
    if t is list:
        return list_get(v, any_to_int(k))
    if t is str:
        return str_index(v, any_to_int(k))
    if t is dict:
        return v.get(k)
    if t is Group:
        return list_get(v.items, any_to_int(k))
    raise MochiError(f"cannot index {type_name(v)}")


def any_set_index(v: Any, k: Any, x: Any) -> None:
    t = type(v)
    if t is list:
        list_set(v, any_to_int(k), x)
    elif t is dict:
        v[k] = x
    elif t is StructVal and type(k) is str and k in v.info.field_index:
        v.fields[v.info.field_index[k]] = x
    else:
        raise MochiError(f"cannot assign into {type_name(v)}")


def any_len(v: Any) -> int:
    t = type(v)
    if t in (list, str, dict):
        return len(v)
    if t is Group:
        return len(v.items)
    raise MochiError(f"len of {type_name(v)} is not defined")


def any_contains(coll: Any, x: Any) -> bool:
    t = type(coll)
    if t is str:
        return type(x) is str and x in coll
    if t is list:
        return contains(coll, x)
    if t is dict:
        return x in coll
    if t is Group:
        return contains(coll.items, x)
    raise MochiError(f"cannot test membership in {type_name(coll)}")


def any_iter(v: Any) -> list:
    t = type(v)
    if t is list:
        return v
    if t is dict:
        return sorted_keys(v)
    if t is str:
        return list(v)
    if t is Group:
        return v.items
    if v is None:
        return []
    raise MochiError(f"cannot iterate over {type_name(v)}")


# -------------------------------------------------------------- math


def go_round(x: float) -> float:
    if not math.isfinite(x):
        return x
    return math.copysign(math.floor(abs(x) + 0.5), x)


def _safe(f: Callable[..., float]) -> Callable[..., float]:
    def run(*args: float) -> float:
        try:
            return float(f(*args))
        except (ValueError, ZeroDivisionError):
            return math.nan
        except OverflowError:
            return math.inf
    return run


def _integral(f: Callable[[float], int]) -> Callable[[float], float]:
    """floor/ceil/trunc as Go's math package: ±0, ±Inf and NaN stay themselves and a
    zero result keeps the argument's sign (Python's return ints and lose -0)."""
    def run(x: float) -> float:
        if not math.isfinite(x) or x == 0:
            return x
        r = float(f(x))
        return math.copysign(r, x) if r == 0 else r
    return run


def _logarithm(f: Callable[[float], float]) -> Callable[[float], float]:
    """Go's logarithms: log(0) is -Inf and a negative argument gives NaN."""
    def run(x: float) -> float:
        if x == 0:
            return -math.inf
        if x < 0 or x != x:
            return math.nan
        return f(x)
    return run


def _sinh(x: float) -> float:
    try:
        return math.sinh(x)
    except OverflowError:
        return math.copysign(math.inf, x)


def _pow(a: float, b: float) -> float:
    """Go's math.Pow: Python raises where Go gives an infinity or NaN."""
    try:
        return math.pow(a, b)
    except ZeroDivisionError:
        return math.inf
    except ValueError:
        if a == 0:  # zero to a negative power: ±Inf, signed for an odd integer power
            odd = float(b).is_integer() and b % 2 == 1
            return math.copysign(math.inf, a) if odd else math.inf
        return math.nan  # a negative number to a non-integer power
    except OverflowError:
        return math.inf if a > 0 or b % 2 == 0 else -math.inf


MATH1: dict[str, Callable[[float], float]] = {
    name: _safe(f) for name, f in {
        "sqrt": math.sqrt, "sin": math.sin, "cos": math.cos, "tan": math.tan,
        "asin": math.asin, "acos": math.acos, "atan": math.atan, "exp": math.exp,
        "log": _logarithm(math.log), "log2": _logarithm(math.log2),
        "log10": _logarithm(math.log10), "floor": _integral(math.floor),
        "ceil": _integral(math.ceil), "fabs": math.fabs, "trunc": _integral(math.trunc),
        "sinh": _sinh,
        "cosh": math.cosh, "tanh": math.tanh, "round": go_round,
    }.items()
}
MATH2: dict[str, Callable[[float, float], float]] = {
    "pow": _pow, "atan2": _safe(math.atan2), "fmod": rem_f64, "hypot": _safe(math.hypot),
}


# -------------------------------------------------------------- environment


class Env:
    """What the running program sees of the outside: output, input, the clock."""

    def __init__(self) -> None:
        seed = os.environ.get("MOCHI_NOW_SEED", "").strip()
        self.seed: int | None = int(seed) if seed.lstrip("-").isdigit() else None
        self.out = sys.stdout
        self.test_results: list[tuple[int, bool]] = []
        sys.set_int_max_str_digits(0)  # a bigint prints all its digits

    def now(self) -> int:
        if self.seed is not None:
            self.seed = (self.seed * 1664525 + 1013904223) % 2147483647
            return self.seed
        import time
        return time.time_ns()

    def print(self, *args: Any) -> None:
        self.out.write(format_print_line(list(args)) + "\n")

    def json(self, v: Any) -> None:
        self.out.write(to_json(v) + "\n")

    def input(self) -> str:
        """A line up to its \\n, without the \\r and \\n at its end (the reference
        reads to the \\n and trims them all)."""
        return sys.stdin.readline().rstrip("\r\n")


def zero_of(t: Type) -> Any:
    return {INT: 0, FLOAT: 0.0, BOOL: False, STRING: "", NONE: None}.get(t)


STR_OPS: dict[str, Callable[..., Any]] = {
    "str.concat": lambda a, b: a + b,
    "str.len": len,
    "str.index": str_index,
    "str.slice": seq_slice,
    "str.contains": lambda a, b: b in a,
    "str.from.i64": str,
    "str.from.f64": format_float_str,
    "str.from.bool": lambda b: "true" if b else "false",
    "str.from.any": format_str,
    "str.to_int": to_int,
    "str.to_float": to_float,
    "str.parse_int": parse_int,
    "str.substring": seq_slice,
    "str.lower": str.lower,
    "str.upper": str.upper,
    "str.trim": str.strip,
    "str.split": split,
    "str.join": str_join,
    "str.index_of": lambda s, t: s.find(t),
    "str.repeat": lambda s, n: s * max(n, 0),
    "str.pad_start": pad_start,
    "str.starts_with": str.startswith,
    "str.ends_with": str.endswith,
    "str.reverse": lambda s: s[::-1],
    "str.ord": str_ord,
    "str.chr": str_chr,
}
