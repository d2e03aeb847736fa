"""C spellings: identifiers made from IR names, and literals made from constants.

IR names may hold any Unicode letter and the separators the lowering adds
(`Point.norm`, `outer$lambda1`, `f$value`); C identifiers hold only ASCII
letters, digits and `_`.  ``Namer`` gives each IR name one distinct C name.
Literals are written so that any C compiler reads back exactly the constant:
strings byte by byte in octal escapes where needed, floats in their shortest
round-trip decimal form, the most negative int without overflowing.
"""

from __future__ import annotations

import math


class Namer:
    """Distinct C identifiers ``prefix + readable part`` for distinct IR names."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.names: dict[str, str] = {}
        self.taken: set[str] = set()

    def __call__(self, name: str) -> str:
        got = self.names.get(name)
        if got is not None:
            return got
        base = self.prefix + ident_part(name)
        c, n = base, 1
        while c in self.taken:
            n += 1
            c = f"{base}_{n}"
        self.taken.add(c)
        self.names[name] = c
        return c


def ident_part(name: str) -> str:
    """``name`` with every character outside [A-Za-z0-9] spelt as ASCII."""
    out = []
    for ch in name:
        if ch.isascii() and ch.isalnum():
            out.append(ch)
        elif ch in "_.$":
            out.append("_")
        else:
            out.append(f"_u{ord(ch):x}_")
    return "".join(out)


def c_string(data: bytes) -> str:
    """A C string literal holding exactly ``data`` (no trigraphs, no hex-escape runs)."""
    out = ['"']
    for b in data:
        ch = chr(b)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "?":
            out.append("\\?")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif 0x20 <= b < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\{b:03o}")
    out.append('"')
    return "".join(out)


def c_comment(text: str) -> str:
    """``text`` made safe inside a /* */ comment (ASCII, no comment delimiters)."""
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    return text.replace("*/", "* /").replace("/*", "/ *")


def c_int(v: int) -> str:
    v = int(v)
    if v == -(1 << 63):
        return "INT64_MIN"
    if -(1 << 31) < v < (1 << 31):
        return str(v)
    return f"INT64_C({v})"


def c_double(v: float) -> str:
    v = float(v)
    if math.isnan(v):
        return "NAN"
    if math.isinf(v):
        return "INFINITY" if v > 0 else "(-INFINITY)"
    text = repr(v)  # the shortest decimal that reads back to the same double
    if "e" not in text and "." not in text:
        text += ".0"
    return f"({text})" if text.startswith("-") else text


def c_bool(v: object) -> str:
    return "true" if v else "false"


# ---------------------------------------------------------------- the runtime's C

RETAIN, RELEASE = "mochi_retain_inline", "mochi_release_inline"  # mochi.h's fast paths
# A list element read without a reference of its own (ir/refcount.py: a peek):
# mochi_c.h's fast path of mochi_list_get_ref without the count.
PEEK = "mochi_c_list_peek"
# Below this address a Mochi call is the runtime error 'stack overflow' (set by the
# emitted main from the stack it runs on: emit.STACK_PRELUDE).
STACK_LIMIT = "mochi_stack_limit_"
# How many more Mochi calls may nest (stack.CALL_DEPTH at main).
CALLS_LEFT = "mochi_calls_left_"
C_TYPES = {"i64": "int64_t", "f64": "double", "bool": "bool", "ref": "mref"}
ZERO = {"i64": "0", "f64": "0.0", "bool": "false", "ref": "NULL"}
SLOT = {"i64": "i", "f64": "f", "bool": "b", "ref": "r"}


def c_type(ty: str | None) -> str:
    return "void" if ty is None else C_TYPES[ty]
