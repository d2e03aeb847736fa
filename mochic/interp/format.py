"""Value formatting of the reference interpreter: ``str``, ``print``, ``json``.

The rules are LANGUAGE.md's "Printing"; where it is silent they follow the
reference Go VM (``runtime/vm`` of mochilang/mochi), where:

- a struct is a Go map holding its fields plus ``"__name": TypeName``, so it
  formats exactly like that map everywhere (``str``, ``print``, ``json``);
- ``str(v)`` is ``fmt.Sprint`` of the value: ``map[__name:Node name:A]``;
- ``print`` of a list/map/struct uses the VM's own container formatter
  (``valueToString``); a float there is ``FormatFloat(f, 'f', -1, 64)`` with
  ``.0`` appended when the text has no ``.`` (LANGUAGE.md: but not to NaN and
  the infinities, ``NaN``, ``+Inf``, ``-Inf``); a function value there is ``nil``
  and a container met again inside itself is ``[...]`` / ``{...}``;
- map keys are stored as strings: a string key as is, an int in decimal,
  anything else in the container style (a float key 2.0 is ``"2.0"``). That
  string is the key's "string form" used for ordering (:func:`sort_key_str`);
- ``json(v)`` is ``json.MarshalIndent(v, "", "  ")``: Go's float and string
  encoding, and an empty output when Go's encoder fails (NaN, infinities,
  function values, cycles).

Choices where neither decides: a function value is ``<fun>`` under ``str``
and as a top-level ``print`` argument (the VM prints a Go pointer there), and
``str`` of a container met again inside itself is ``[...]`` / ``map[...]``
(the VM overflows its stack).

All functions are pure. Scalars dispatch on ``type(v) is ...`` (exact types,
so a bool never takes the int branch). The recursive formatters carry a depth
and, past ``_FAST_DEPTH`` levels, restart with cycle tracking, so ordinary
values pay nothing for cycle detection.
"""

from __future__ import annotations

from fractions import Fraction
from operator import itemgetter
from typing import Any

from mochic.interp.values import Closure, StructInfo, StructVal

__all__ = [
    "format_float_str",
    "format_float_container",
    "format_float_json",
    "format_str",
    "format_print_arg",
    "format_print_line",
    "to_json",
    "sort_key_str",
    "sorted_keys",
    "go_quote",
    "json_quote",
]

_FAST_DEPTH = 200
_first = itemgetter(0)


class _TooDeep(Exception):
    """Raised by the untracked formatters past ``_FAST_DEPTH`` levels."""


class _JsonError(Exception):
    """A value Go's JSON encoder rejects: the json output is empty."""


# ---------------------------------------------------------------------------
# Floats


def _digits(a: float) -> tuple[str, int]:
    """Shortest round-trip digits of the finite ``a > 0`` and the position of
    the decimal point: ``a == 0.DIGITS * 10**dp`` (Go's ``decimal`` layout).
    Python's ``repr`` gives the shortest digits, as Go's shortest mode."""
    r = repr(a)
    i = r.find("e")
    if i >= 0:
        m = r[:i]
        digits = m[0] + m[2:] if len(m) > 1 else m
        return digits, int(r[i + 1 :]) + 1
    p = r.index(".")
    ip = r[:p]
    fp = r[p + 1 :]
    if ip != "0":
        return (ip + fp).rstrip("0"), len(ip)
    s = fp.lstrip("0")
    return s.rstrip("0"), len(s) - len(fp)


def _layout_f(digits: str, dp: int) -> str:
    """Go's ``%f`` layout of the shortest digits (no forced ``.0``)."""
    nd = len(digits)
    if dp <= 0:
        return "0." + "0" * -dp + digits
    if dp >= nd:
        return digits + "0" * (dp - nd)
    return digits[:dp] + "." + digits[dp:]


def _layout_e(digits: str, dp: int) -> str:
    """Go's ``%e`` layout of the shortest digits: ``d.ddde±XX``."""
    exp = dp - 1
    head = digits[0] + "." + digits[1:] if len(digits) > 1 else digits
    if exp < 0:
        return f"{head}e-{-exp:02d}"
    return f"{head}e+{exp:02d}"


def _nonfinite(f: float) -> str:
    if f != f:
        return "NaN"
    return "+Inf" if f > 0 else "-Inf"


def format_float_str(f: float) -> str:
    """``strconv.FormatFloat(f, 'g', -1, 64)``: the float under ``str`` and as
    a top-level ``print`` argument (``1000000.0`` -> ``1e+06``)."""
    if 1e-4 <= f < 1e6 or -1e6 < f <= -1e-4 or f == 0.0:
        # Decimal exponent in [-4, 6): plain layout, which repr already has.
        r = repr(f)
        return r[:-2] if r.endswith(".0") else r
    if f - f != 0.0:  # NaN or an infinity
        return _nonfinite(f)
    if f < 0:
        digits, dp = _digits(-f)
        sign = "-"
    else:
        digits, dp = _digits(f)
        sign = ""
    # Go switches to the exponent form when exp < -4 or exp >= 6 (the
    # precision 6 it uses for the shortest mode); the fast path above
    # covers exactly the other values, but keep the rule whole here.
    if -4 <= dp - 1 < 6:
        return sign + _layout_f(digits, dp)
    return sign + _layout_e(digits, dp)


def format_float_container(f: float) -> str:
    """A float inside a container under ``print``: the shortest round-trip
    decimal without exponent, ``.0`` added when it has no fractional part
    (``2.0``, ``0.575``, ``1e21`` -> ``1000000000000000000000.0``).
    NaN and the infinities are ``NaN``, ``+Inf``, ``-Inf`` (LANGUAGE.md)."""
    r = repr(f)
    # repr is already right unless it uses an exponent or is inf/nan.
    if "e" not in r and "n" not in r:
        return r
    if f - f != 0.0:
        return _nonfinite(f)
    if f < 0:
        digits, dp = _digits(-f)
        s = "-" + _layout_f(digits, dp)
    else:
        digits, dp = _digits(f)
        s = _layout_f(digits, dp)
    return s if "." in s else s + ".0"


def format_float_json(f: float) -> str:
    """A float as Go's encoding/json writes it (``2.0`` -> ``2``, exponent
    form only below 1e-6 or from 1e21 on, ``1e-07`` -> ``1e-7``). Raises
    ``ValueError`` for NaN and infinities, which Go's encoder rejects."""
    if 1e-4 <= f < 1e6 or -1e6 < f <= -1e-4 or f == 0.0:
        r = repr(f)
        return r[:-2] if r.endswith(".0") else r
    if f - f != 0.0:
        raise ValueError(f"json: unsupported value: {_nonfinite(f)}")
    a = -f if f < 0 else f
    sign = "-" if f < 0 else ""
    digits, dp = _digits(a)
    if a < 1e-6 or a >= 1e21:
        exp = dp - 1
        head = digits[0] + "." + digits[1:] if len(digits) > 1 else digits
        return f"{sign}{head}e{'-' if exp < 0 else '+'}{abs(exp)}"
    return sign + _layout_f(digits, dp)


# ---------------------------------------------------------------------------
# String quoting

_QUOTE_ESC = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    '"': '\\"',
    "\\": "\\\\",
}


def _quote_char(c: str) -> str:
    e = _QUOTE_ESC.get(c)
    if e is not None:
        return e
    if c.isprintable():
        return c
    o = ord(c)
    if o < 0x20 or o == 0x7F:
        return f"\\x{o:02x}"
    if 0xD800 <= o <= 0xDFFF:
        # Not valid UTF-8: Go sees the bytes one by one and writes each as \x.
        return "".join(f"\\x{b:02x}" for b in c.encode("utf-8", "surrogatepass"))
    if o < 0x10000:
        return f"\\u{o:04x}"
    return f"\\U{o:08x}"


def go_quote(s: str) -> str:
    """Go's ``strconv.Quote`` (and ``%q``): double-quoted, with ``\\" \\\\``
    and ``\\a \\b \\f \\n \\r \\t \\v`` escapes, other control characters as
    ``\\xHH``, other non-printable characters as ``\\uHHHH`` / ``\\UHHHHHHHH``;
    printable Unicode (Go's IsPrint: letters, marks, numbers, punctuation,
    symbols and ASCII space, the same classes as ``str.isprintable``) is kept."""
    if s.isprintable() and '"' not in s and "\\" not in s:
        return '"' + s + '"'
    return '"' + "".join([_quote_char(c) for c in s]) + '"'


_JSON_ESC: dict[int, str] = {i: f"\\u{i:04x}" for i in range(0x20)}
_JSON_ESC.update(
    {
        ord("\b"): "\\b",
        ord("\f"): "\\f",
        ord("\n"): "\\n",
        ord("\r"): "\\r",
        ord("\t"): "\\t",
        ord('"'): '\\"',
        ord("\\"): "\\\\",
        ord("<"): "\\u003c",
        ord(">"): "\\u003e",
        ord("&"): "\\u0026",
        0x2028: "\\u2028",
        0x2029: "\\u2029",
    }
)
# A lone surrogate is 3 invalid UTF-8 bytes to Go: each becomes U+FFFD.
_JSON_ESC.update({i: "\\ufffd" * 3 for i in range(0xD800, 0xE000)})


def json_quote(s: str) -> str:
    """A JSON string as Go's encoding/json writes it (HTML-safe: ``<``, ``>``
    and ``&`` as ``\\u003c`` etc., U+2028/U+2029 escaped, ``\\b`` and ``\\f``
    as in Go 1.22 and later)."""
    return '"' + s.translate(_JSON_ESC) + '"'


# ---------------------------------------------------------------------------
# Map keys


def sort_key_str(k: Any) -> str:
    """The string form of a map key, by which maps are printed and iterated
    in ascending order: the reference VM stores keys as these strings.
    A string is itself, an int its decimal form, a bool ``true``/``false``;
    other keys (rare) use the container style (float ``2.0``, none ``nil``)."""
    t = type(k)
    if t is str:
        return k
    if t is int:
        return str(k)
    return _pc(k, 0)


def sorted_keys(m: dict) -> list:
    """The keys of ``m`` in ascending order of their string form (the order
    of ``for k in m``, ``keys(m)`` and ``values(m)``)."""
    if not m:
        return []
    pairs = [(k if type(k) is str else sort_key_str(k), k) for k in m]
    pairs.sort(key=_first)
    return [p[1] for p in pairs]


def _sorted_items(m: dict) -> list[tuple[str, Any]]:
    """``(key string form, value)`` pairs of ``m`` in output order."""
    items = [(k if type(k) is str else sort_key_str(k), v) for k, v in m.items()]
    items.sort(key=_first)
    return items


# Per struct type: its entries in output order as (key, field index, key as
# written by print, key as written by str), the index being -1 for
# "__name", whose texts hold the whole entry. Filled lazily; StructInfo
# hashes by identity.
_LAYOUTS: dict[StructInfo, tuple[tuple[str, int, str, str], ...]] = {}


def _struct_layout(info: StructInfo) -> tuple[tuple[str, int, str, str], ...]:
    lay = _LAYOUTS.get(info)
    if lay is None:
        entries = [(n, i) for i, n in enumerate(info.field_names)]
        if not info.anonymous:
            entries.append(("__name", -1))
        entries.sort(key=_first)
        # The "__name" entry's texts already end with the type name.
        lay = tuple(
            (k, i, go_quote(k) + ": ", k + ":")
            if i >= 0
            else (k, i, '"__name": ' + go_quote(info.name), "__name:" + info.name)
            for k, i in entries
        )
        _LAYOUTS[info] = lay
    return lay


def _struct_items(v: StructVal) -> list[tuple[str, Any]]:
    fields = v.fields
    name = v.info.name
    return [(k, fields[i] if i >= 0 else name) for k, i, _, _ in _struct_layout(v.info)]


# ---------------------------------------------------------------------------
# str: Go's fmt.Sprint


def _sv(v: Any, d: int) -> str:
    t = type(v)
    if t is str:
        return v
    if t is int:
        return str(v)
    if t is float:
        return format_float_str(v)
    if t is bool:
        return "true" if v else "false"
    if v is None:
        return "<nil>"
    if d > _FAST_DEPTH:
        raise _TooDeep
    d += 1
    if t is list:
        return "[" + " ".join([_sv(x, d) for x in v]) + "]"
    if t is dict:
        return "map[" + " ".join([k + ":" + _sv(x, d) for k, x in _sorted_items(v)]) + "]"
    if t is StructVal:
        f = v.fields
        parts = [sk + _sv(f[i], d) if i >= 0 else sk for _, i, _, sk in _struct_layout(v.info)]
        return "map[" + " ".join(parts) + "]"
    return _other_str(v)


def _sv_checked(v: Any, path: set[int]) -> str:
    t = type(v)
    if t is list or t is dict or t is StructVal:
        i = id(v)
        if i in path:
            return "[...]" if t is list else "map[...]"
        path.add(i)
        # Plain loops: one frame per level, as this path serves deep values.
        parts = []
        if t is list:
            for x in v:
                parts.append(_sv_checked(x, path))
            s = "[" + " ".join(parts) + "]"
        else:
            for k, x in _sorted_items(v) if t is dict else _struct_items(v):
                parts.append(k + ":" + _sv_checked(x, path))
            s = "map[" + " ".join(parts) + "]"
        path.discard(i)
        return s
    return _sv(v, 0)


def _rat_text(v: Fraction) -> str:
    """A bigrat as Go's big.Rat writes it: "num/denom", even for a whole number."""
    return f"{v.numerator}/{v.denominator}"


def _other_str(v: Any) -> str:
    if type(v) is Closure:
        return "<fun>"
    if type(v) is Fraction:
        return _rat_text(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):
        return format_float_str(float(v))
    if isinstance(v, str):
        return str.__str__(v)
    return str(v)


def format_str(v: Any) -> str:
    """Mochi ``str(v)``, as Go's ``fmt.Sprint``: ``[1 a 2.5]``,
    ``map[a:1 b:<nil>]``, a struct as ``map[__name:Node name:A]``, none as
    ``<nil>``, a float via :func:`format_float_str`, a function ``<fun>``."""
    t = type(v)
    if t is str:
        return v
    if t is int:
        return str(v)
    if t is float:
        return format_float_str(v)
    try:
        return _sv(v, 0)
    except _TooDeep:
        return _sv_checked(v, set())


# ---------------------------------------------------------------------------
# print: container style


def _pc(v: Any, d: int) -> str:
    t = type(v)
    if t is str:
        return go_quote(v)
    if t is int:
        return str(v)
    if t is float:
        return format_float_container(v)
    if t is bool:
        return "true" if v else "false"
    if v is None:
        return "nil"
    if d > _FAST_DEPTH:
        raise _TooDeep
    d += 1
    if t is list:
        return "[" + ", ".join([_pc(x, d) for x in v]) + "]"
    if t is dict:
        return "{" + ", ".join([go_quote(k) + ": " + _pc(x, d) for k, x in _sorted_items(v)]) + "}"
    if t is StructVal:
        f = v.fields
        parts = [pk + _pc(f[i], d) if i >= 0 else pk for _, i, pk, _ in _struct_layout(v.info)]
        return "{" + ", ".join(parts) + "}"
    return _other_container(v)


def _pc_checked(v: Any, path: set[int]) -> str:
    t = type(v)
    if t is list or t is dict or t is StructVal:
        i = id(v)
        if i in path:
            return "[...]" if t is list else "{...}"
        path.add(i)
        parts = []
        if t is list:
            for x in v:
                parts.append(_pc_checked(x, path))
            s = "[" + ", ".join(parts) + "]"
        else:
            for k, x in _sorted_items(v) if t is dict else _struct_items(v):
                parts.append(go_quote(k) + ": " + _pc_checked(x, path))
            s = "{" + ", ".join(parts) + "}"
        path.discard(i)
        return s
    return _pc(v, 0)


def _other_container(v: Any) -> str:
    if type(v) is Closure:
        return "nil"  # the reference VM's container formatter writes nil
    if type(v) is Fraction:
        return _rat_text(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):
        return format_float_container(float(v))
    if isinstance(v, str):
        return go_quote(str.__str__(v))
    return str(v)


def format_print_arg(v: Any) -> str:
    """One top-level ``print`` argument: a scalar as :func:`format_str`
    except none, which is ``nil``; a list, map or struct in the container
    style (``[1, "a", 2.0]``, ``{"k": nil}``, ``{"__name": "P", "x": 1}``)."""
    t = type(v)
    if t is str:
        return v
    if t is int:
        return str(v)
    if t is float:
        return format_float_str(v)
    if t is bool:
        return "true" if v else "false"
    if v is None:
        return "nil"
    if t is list or t is dict or t is StructVal:
        try:
            return _pc(v, 0)
        except _TooDeep:
            return _pc_checked(v, set())
    if t is Closure:
        return "<fun>"
    return _sv(v, 0)


def format_print_line(args: list) -> str:
    """The line ``print(*args)`` writes, without its newline: the arguments
    by :func:`format_print_arg`, separated by one space."""
    if len(args) == 1:
        return format_print_arg(args[0])
    return " ".join([format_print_arg(a) for a in args])


# ---------------------------------------------------------------------------
# json: Go's json.MarshalIndent(v, "", "  ")


def _js(v: Any, ind: str, path: set[int] | None) -> str:
    t = type(v)
    if t is str:
        return json_quote(v)
    if t is int:
        return str(v)
    if t is float:
        if v - v != 0.0:
            raise _JsonError
        return format_float_json(v)
    if t is bool:
        return "true" if v else "false"
    if v is None:
        return "null"
    if t is list or t is dict or t is StructVal:
        if path is not None:
            i = id(v)
            if i in path:
                raise _JsonError  # Go: "encountered a cycle"
            path.add(i)
        elif len(ind) > 2 * _FAST_DEPTH:
            raise _TooDeep
        inner = ind + "  "
        parts = []
        if t is list:
            for x in v:
                parts.append(_js(x, inner, path))
            s = "[\n" + inner + (",\n" + inner).join(parts) + "\n" + ind + "]" if parts else "[]"
        else:
            for k, x in _sorted_items(v) if t is dict else _struct_items(v):
                parts.append(json_quote(k) + ": " + _js(x, inner, path))
            s = "{\n" + inner + (",\n" + inner).join(parts) + "\n" + ind + "}" if parts else "{}"
        if path is not None:
            path.discard(id(v))
        return s
    if isinstance(v, (int, float, str)):  # subclasses of the scalar types
        return _js(_plain(v), ind, path)
    if t is Fraction:
        return json_quote(_rat_text(v))  # Go's encoder writes a big.Rat as its text
    raise _JsonError  # function values and unknown objects


def _plain(v: Any) -> Any:
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v)
    return str.__str__(v)


def to_json(v: Any) -> str:
    """The text ``json(v)`` prints (without its newline): ``v`` as JSON
    indented by two spaces, object keys sorted, a struct as an object of its
    fields plus ``"__name"`` (as the reference VM, whose structs are maps),
    ``[]`` / ``{}`` when empty. Empty when Go's encoder fails: NaN or an
    infinity, a function value, or a cycle."""
    try:
        try:
            return _js(v, "", None)
        except _TooDeep:
            return _js(v, "", set())
    except _JsonError:
        return ""
