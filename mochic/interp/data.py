"""Datasets in and out for the interpreter: `load` and `save` (the C runtime's
mochi_data.c is the same design, byte for byte in what it prints).

Reading goes in two steps.  A format's reader turns the text into plain
values: ``str`` cells for CSV (a header row names the columns, or they are
``c0``, ``c1`` ...), and for JSON, JSON lines and YAML the values the text
writes (int, float, str, bool, None, lists, objects), each object
remembering the line of each of its values.  Then every row is converted to
the type `load ... as T` names: a CSV cell is parsed as its field's type,
another value must fit it (an int field takes an int, a float it truncates,
or a string of digits, as the reference does).  Anything that does not fit
is a runtime error naming the file, the line and the field.

Writing follows the reference, whose rows are Go maps: keys sorted, a struct
as its fields plus ``"__name"``; CSV (no header unless asked, columns from
the first row, Go's quoting), JSON (one row as an object, else an array,
compact, HTML-safe), JSON lines, and YAML as gopkg.in/yaml.v3 writes it
(four-space indentation, a sequence's mapping two spaces in, its quoting
rules for strings).
"""

from __future__ import annotations

import functools
import math
import re
import sys
from collections.abc import Callable
from typing import Any

from mochic.frontend.types import (
    ANY,
    BOOL,
    FLOAT,
    INT,
    STRING,
    ListT,
    MapT,
    OptionT,
    StructT,
    Type,
)
from mochic.interp.format import (
    _digits,
    _layout_f,
    format_float_json,
    format_float_str,
    json_quote,
    sort_key_str,
)
from mochic.interp.runtime import MochiError, type_name
from mochic.interp.values import Closure, StructInfo, StructVal

MIN_I64 = -(1 << 63)
MAX_I64 = (1 << 63) - 1
FORMATS = ("csv", "tsv", "json", "jsonl", "yaml")


class DataError(Exception):
    """A problem at a line of the input; ``load`` adds the file's name."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


# ---------------------------------------------------------------- options


def options(opts: Any, saving: bool) -> tuple[str, bool, str]:
    """The format, header flag and delimiter of `with { ... }` (the reference's
    defaults: CSV, a header row when loading but not when saving, commas)."""
    fmt, header, delim = "csv", not saving, ","
    if isinstance(opts, dict):
        if isinstance(opts.get("format"), str):
            fmt = opts["format"]
        if isinstance(opts.get("header"), bool):
            header = opts["header"]
        d = opts.get("delimiter")
        if isinstance(d, str) and d:
            delim = d[0]
    if fmt not in FORMATS:
        raise MochiError(f'unknown format "{fmt}" (csv, tsv, json, jsonl or yaml)')
    if fmt == "tsv":
        fmt, delim = "csv", "\t"
    return fmt, header, delim


def _shown(path: str) -> str:
    return "stdin" if path in ("", "-") else path


def _open_error(path: str, e: OSError) -> MochiError:
    reason = {2: "no such file or directory", 13: "permission denied",
              21: "is a directory"}.get(e.errno or 0, "cannot read it")
    return MochiError(f"cannot open {path}: {reason}")


# ---------------------------------------------------------------- load


def loader(t: Type, structs: dict[str, StructInfo]) -> Callable[[str, Any], list]:
    """The implementation of `load` for rows of type ``t``: (path, options) -> rows."""

    def load(path: str, opts: Any) -> list:
        fmt, header, delim = options(opts, saving=False)
        if path in ("", "-"):
            text = sys.stdin.read()
        else:
            try:
                with open(path, "rb") as f:
                    text = f.read().decode("utf-8", errors="replace")
            except OSError as e:
                raise _open_error(path, e) from None
        try:
            if fmt == "csv":
                return _csv_rows(text, header, delim, t, structs)
            if fmt == "jsonl":
                rows = _jsonl_rows(text)
            else:
                top = _Json(text).document() if fmt == "json" else _Yaml(text).document()
                rows = _top_rows(top)
            return [_convert(r, t, structs, r.line, None) for r in rows]
        except DataError as e:
            raise MochiError(f"{_shown(path)}:{e.line}: {e.message}") from None

    return load


class _Obj(dict):
    """A JSON or YAML object: the line it starts at and the line of each value."""

    __slots__ = ("line", "lines")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: dict[str, int] = {}


def _top_rows(top: tuple[Any, int] | None) -> list[_Obj]:
    if top is None:
        return []
    v, line = top
    if isinstance(v, _Obj):
        return [v]
    if isinstance(v, list):
        for x, xl in zip(v, v.lines, strict=True):  # type: ignore[attr-defined]
            if not isinstance(x, _Obj):
                raise DataError(xl, f"a row must be an object, not {_kind(x)}")
        return v
    raise DataError(line, f"expected an object or a list of objects, not {_kind(v)}")


class _List(list):
    """A JSON or YAML list and the line of each element."""

    __slots__ = ("lines",)

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[int] = []


def _kind(v: Any) -> str:
    """A read value's type as errors name it."""
    if isinstance(v, _Obj):
        return "an object"
    if isinstance(v, list):
        return "a list"
    if v is None:
        return "null"
    return type_name(v)


def _field_msg(name: str | None, msg: str) -> str:
    return f'field "{name}": {msg}' if name is not None else msg


def _convert(v: Any, t: Type, structs: dict[str, StructInfo], line: int,
             name: str | None) -> Any:
    """A read value as a value of Mochi type ``t`` (the reference's conversions).  An
    option type is `any` at run time (the C runtime's descriptor): it takes the value
    as it is."""
    if t == ANY or isinstance(t, OptionT):
        return _plain(v)
    if isinstance(t, StructT):
        if not isinstance(v, _Obj):
            raise DataError(line, _field_msg(name, f"expected {t}, not {_kind(v)}"))
        info = structs[t.name]
        fields = []
        for fname, ft in t.info.fields.items():
            if fname in v:
                fields.append(_convert(v[fname], ft, structs, v.lines[fname], fname))
            elif isinstance(ft, OptionT) or ft == ANY:
                fields.append(None)
            else:
                raise DataError(v.line, f'missing field "{fname}" for {t}')
        return StructVal(info, fields)
    if isinstance(t, ListT):
        if not isinstance(v, list):
            raise DataError(line, _field_msg(name, f"expected {t}, not {_kind(v)}"))
        return [_convert(x, t.elem, structs, xl, name) for x, xl in zip(v, v.lines, strict=True)]
    if isinstance(t, MapT):
        if not isinstance(v, _Obj):
            raise DataError(line, _field_msg(name, f"expected {t}, not {_kind(v)}"))
        out = {}
        for k, x in v.items():
            key = _scalar(k, t.key, v.lines[k], name) if t.key != STRING else k
            out[key] = _convert(x, t.value, structs, v.lines[k], name)
        return out
    return _scalar(v, t, line, name)


def _scalar(v: Any, t: Type, line: int, name: str | None) -> Any:
    tv = type(v)
    if t == INT:
        if tv is int:
            return v
        if tv is float and math.isfinite(v) and MIN_I64 <= v < 2.0 ** 63:
            return int(v)
        if v is None:
            return 0
        if tv is str:
            n = go_atoi(v)
            if n is not None:
                return n
            raise DataError(line, _field_msg(name, f'cannot parse "{v}" as int'))
    elif t == FLOAT:
        if tv is float or tv is int:
            return float(v)
        if v is None:
            return 0.0
    elif t == STRING:
        if tv is str:
            return v
    elif t == BOOL:
        if tv is bool:
            return v
    raise DataError(line, _field_msg(name, f"expected {t}, not {_kind(v)}"))


def _plain(v: Any) -> Any:
    """A read value as a Mochi `any` value: objects are maps."""
    if isinstance(v, _Obj):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


# ---------------------------------------------------------------- Go's number syntax

_ATOI = re.compile(r"[+-]?[0-9]+\Z")
_GO_FLOAT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\Z")
_JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_GO_SPECIAL = re.compile(r"[+-]?(inf|infinity|nan)\Z", re.IGNORECASE)


def go_atoi(s: str) -> int | None:
    """strconv.Atoi: an optional sign and decimal digits that fit 64 bits."""
    if not _ATOI.match(s):
        return None
    n = int(s)
    return n if MIN_I64 <= n <= MAX_I64 else None


def go_parse_float(s: str) -> float | None:
    """strconv.ParseFloat of decimal text (and inf, infinity, nan); None if it is
    not one or is out of range."""
    if _GO_SPECIAL.match(s):
        return float(s.lower().replace("infinity", "inf"))
    if not _GO_FLOAT.match(s):
        return None
    f = float(s)
    return f if math.isfinite(f) else None


_GO_BOOL = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
            "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}


def _infer_cell(s: str) -> Any:
    """A CSV cell loaded as `any`: an int, else a float, else the text (the reference)."""
    n = go_atoi(s)
    if n is not None:
        return n
    f = go_parse_float(s)
    return f if f is not None else s


def _cell(s: str, t: Type, line: int, name: str) -> Any:
    """A CSV cell as a value of the field's type ``t`` (an option type as `any`)."""
    if t == STRING:
        return s
    if t == ANY or isinstance(t, OptionT):
        return _infer_cell(s)
    if t == INT:
        n = go_atoi(s)
        if n is None:
            raise DataError(line, _field_msg(name, f'cannot parse "{s}" as int'))
        return n
    if t == FLOAT:
        f = go_parse_float(s)
        if f is None:
            raise DataError(line, _field_msg(name, f'cannot parse "{s}" as float'))
        return f
    if t == BOOL and s in _GO_BOOL:
        return _GO_BOOL[s]
    raise DataError(line, _field_msg(name, f'cannot parse "{s}" as {t}'))


# ---------------------------------------------------------------- CSV


class _CsvLines:
    """Go's csv line reader: up to and with the next \n, \r\n read as \n, a \r
    just before the end dropped."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.no = 0  # lines read

    def next(self) -> str | None:
        t, i = self.text, self.i
        if i >= len(t):
            return None
        j = t.find("\n", i)
        line = t[i:] if j < 0 else t[i:j + 1]
        self.i = len(t) if j < 0 else j + 1
        self.no += 1
        if j < 0 and line.endswith("\r"):
            line = line[:-1]
        if line.endswith("\r\n"):
            line = line[:-2] + "\n"
        return line


def csv_records(text: str, delim: str) -> list[tuple[int, list[str]]]:
    """Go's encoding/csv reader: records with the line each starts at.  Empty lines
    are skipped, a field may be quoted (`""` is a quote; newlines may appear),
    a quote elsewhere is an error, and every record has the first one's length."""
    src = _CsvLines(text)
    out: list[tuple[int, list[str]]] = []
    while True:
        line = src.next()
        while line is not None and line in ("", "\n"):
            line = src.next()
        if line is None:
            return out
        start = src.no
        fields: list[str] = []
        while True:
            if not line.startswith('"'):
                k = line.find(delim)
                field = line[:k] if k >= 0 else line.removesuffix("\n")
                if '"' in field:
                    raise DataError(start, 'bare " in a field that is not quoted')
                fields.append(field)
                if k >= 0:
                    line = line[k + 1:]
                    continue
                break
            line = line[1:]
            buf: list[str] = []
            while True:
                k = line.find('"')
                if k >= 0:
                    buf.append(line[:k])
                    line = line[k + 1:]
                    if line.startswith('"'):
                        buf.append('"')
                        line = line[1:]
                        continue
                    if line.startswith(delim):
                        line = line[1:]
                        fields.append("".join(buf))
                        break
                    if line in ("", "\n"):
                        fields.append("".join(buf))
                        line = None
                        break
                    raise DataError(start, 'extraneous or missing " in a quoted field')
                if line:
                    buf.append(line)
                    nxt = src.next()
                    line = nxt if nxt is not None else ""
                    continue
                raise DataError(start, 'extraneous or missing " in a quoted field')
            if line is None:
                break
        if out and len(fields) != len(out[0][1]):
            raise DataError(start, f"wrong number of fields ({len(fields)}, not "
                                   f"{len(out[0][1])})")
        out.append((start, fields))


def _csv_rows(text: str, header: bool, delim: str, t: Type,
              structs: dict[str, StructInfo]) -> list:
    records = csv_records(text, delim)
    if not records:
        return []
    if header:
        cols, records = records[0][1], records[1:]
        head_line = 1
    else:
        cols = [f"c{i}" for i in range(len(records[0][1]))]
        head_line = records[0][0]
    index = {c: i for i, c in reversed(list(enumerate(cols)))}
    rows = []
    if isinstance(t, StructT):
        fields = list(t.info.fields.items())
        for fname, ft in fields:
            if fname not in index and not (isinstance(ft, OptionT) or ft == ANY):
                raise DataError(head_line, f'missing field "{fname}" for {t}')
        info = structs[t.name]
        for line, rec in records:
            rows.append(StructVal(info, [_cell(rec[index[f]], ft, line, f) if f in index
                                         else None for f, ft in fields]))
        return rows
    value = t.value if isinstance(t, MapT) else ANY
    for line, rec in records:
        rows.append({c: _cell(rec[index[c]], value, line, c) for c in cols})
    return rows


# ---------------------------------------------------------------- JSON


def _char(c: str) -> str:
    return f"'{c}'" if "!" <= c <= "~" else f"U+{ord(c):04X}"


class _Json:
    """A strict JSON reader that keeps the line of every value."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.line = 1

    def fail(self, msg: str) -> DataError:
        return DataError(self.line, f"invalid JSON: {msg}")

    def ws(self) -> None:
        s, i = self.s, self.i
        while i < len(s) and s[i] in " \t\r\n":
            if s[i] == "\n":
                self.line += 1
            i += 1
        self.i = i

    def document(self) -> tuple[Any, int]:
        self.ws()
        line = self.line
        v = self.value()
        self.ws()
        if self.i < len(self.s):
            raise self.fail(f"unexpected {_char(self.s[self.i])} after the value")
        return v, line

    def value(self) -> Any:
        self.ws()
        s = self.s
        if self.i >= len(s):
            raise self.fail("unexpected end of input")
        c = s[self.i]
        if c == "{":
            return self.obj()
        if c == "[":
            return self.arr()
        if c == '"':
            return self.string()
        for word, v in (("true", True), ("false", False), ("null", None)):
            if s.startswith(word, self.i):
                self.i += len(word)
                return v
        if c == "-" or "0" <= c <= "9":
            return self.number()
        raise self.fail(f"unexpected {_char(c)}")

    def obj(self) -> _Obj:
        o = _Obj(self.line)
        self.i += 1
        self.ws()
        if self.s.startswith("}", self.i):
            self.i += 1
            return o
        while True:
            self.ws()
            if not self.s.startswith('"', self.i):
                raise self.fail("expected a string key" if self.i < len(self.s)
                                else "unexpected end of input")
            k = self.string()
            self.ws()
            if not self.s.startswith(":", self.i):
                raise self.fail("expected ':' after an object key")
            self.i += 1
            self.ws()
            o.lines[k] = self.line
            o[k] = self.value()
            if self.closed("}", "an object"):
                return o

    def arr(self) -> _List:
        a = _List()
        self.i += 1
        self.ws()
        if self.s.startswith("]", self.i):
            self.i += 1
            return a
        while True:
            self.ws()
            a.lines.append(self.line)
            a.append(self.value())
            if self.closed("]", "a list"):
                return a

    def closed(self, close: str, what: str) -> bool:
        """After a member of ``what``: past a ',' (False) or its ``close`` (True)."""
        self.ws()
        for sep, done in ((",", False), (close, True)):
            if self.s.startswith(sep, self.i):
                self.i += 1
                return done
        raise self.fail(f"expected ',' or '{close}' in {what}")

    def number(self) -> int | float:
        m = _JSON_NUMBER.match(self.s, self.i)
        if m is None:
            raise self.fail("malformed number")
        self.i = m.end()
        text = m.group(0)
        if m.group(2) is None and m.group(3) is None:
            n = int(text)
            if MIN_I64 <= n <= MAX_I64:
                return n
        f = float(text)
        if not math.isfinite(f):
            raise self.fail(f"number {text} is out of range")
        return f

    def string(self) -> str:
        s = self.s
        i = self.i + 1
        out: list[str] = []
        while True:
            if i >= len(s):
                raise self.fail("unexpected end of input in a string")
            c = s[i]
            if c == '"':
                self.i = i + 1
                return "".join(out)
            if c < " ":
                raise self.fail(f"unexpected {_char(c)} in a string")
            if c != "\\":
                out.append(c)
                i += 1
                continue
            e = s[i + 1] if i + 1 < len(s) else ""
            simple = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n",
                      "r": "\r", "t": "\t"}
            if e in simple:
                out.append(simple[e])
                i += 2
                continue
            if e != "u":
                raise self.fail("invalid escape in a string")
            cp = self._hex4(i + 2)
            i += 6
            if 0xD800 <= cp < 0xDC00 and s.startswith("\\u", i):
                lo = self._hex4(i + 2)
                if 0xDC00 <= lo < 0xE000:
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                    i += 6
            out.append(chr(cp) if not 0xD800 <= cp < 0xE000 else "\ufffd")

    def _hex4(self, i: int) -> int:
        h = self.s[i:i + 4]
        if len(h) != 4 or any(c not in "0123456789abcdefABCDEF" for c in h):
            raise self.fail("invalid \\u escape in a string")
        return int(h, 16)


def _jsonl_rows(text: str) -> list[_Obj]:
    rows = []
    for n, raw in enumerate(text.split("\n"), 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if not line:
            continue
        p = _Json(line)
        p.line = n
        v, _ = p.document()
        if not isinstance(v, _Obj):
            raise DataError(n, f"a row must be an object, not {_kind(v)}")
        rows.append(v)
    return rows


# ---------------------------------------------------------------- YAML (reading)

_YAML_SPECIAL: dict[str, Any] = {
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?\Z")
_INT_DIGITS = {16: "0123456789abcdefABCDEF", 8: "01234567", 2: "01", 10: "0123456789"}
_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
                   r"(?:[Tt]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.[0-9]+)?"
                   r"(?:Z|[+-][0-9]{2}:[0-9]{2})"
                   r"| ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.[0-9]+)?)?\Z")
_OLD_BOOL = frozenset("y Y yes Yes YES on On ON n N no No NO off Off OFF".split())
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\Z")


def go_parse_int(s: str) -> int | None:
    """strconv.ParseInt(s, 0, 64): a sign, then 0x/0o/0b or a leading 0 (octal)."""
    body = s[1:] if s[:1] in "+-" else s
    base = 10
    if body[:2] in ("0x", "0X"):
        base, body = 16, body[2:]
    elif body[:2] in ("0o", "0O"):
        base, body = 8, body[2:]
    elif body[:2] in ("0b", "0B"):
        base, body = 2, body[2:]
    elif len(body) > 1 and body[0] == "0":
        base, body = 8, body[1:]
    if not body or any(c not in _INT_DIGITS[base] for c in body):
        return None
    n = int(body, base) * (-1 if s[:1] == "-" else 1)
    return n if MIN_I64 <= n <= MAX_I64 else None


def _is_timestamp(s: str) -> bool:
    m = _DATE.match(s)
    if m is None:
        return False
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    if not (1 <= mo <= 12 and 1 <= d <= days[mo - 1]):
        return False
    h, mi, sec = m.group(4) or m.group(7), m.group(5) or m.group(8), m.group(6) or m.group(9)
    return h is None or (int(h) < 24 and int(mi) < 60 and int(sec) < 60)


def yaml_resolve(s: str) -> tuple[str, Any]:
    """What a plain YAML scalar means, as yaml.v3 resolves it: ("str" | "int" |
    "float" | "bool" | "null" | "timestamp", value).  Timestamps stay text."""
    hint = s[:1]
    if hint == "" or hint in "+-0123456789yYnNtTfFoO~.":
        if s in _YAML_SPECIAL:
            v = _YAML_SPECIAL[s]
            return ("null" if v is None else "bool" if isinstance(v, bool) else "float"), v
        if hint == ".":
            if _DOT_FLOAT.match(s):
                return "float", float(s)
        elif hint in "+-0123456789":
            if _is_timestamp(s):
                return "timestamp", s
            plain = s.replace("_", "")
            n = go_parse_int(plain)
            if n is not None:
                return "int", n
            if _YAML_FLOAT.match(plain):
                f = float(plain)
                if math.isfinite(f):
                    return "float", f
    return "str", s


class _Line:
    __slots__ = ("no", "indent", "text")

    def __init__(self, no: int, indent: int, text: str) -> None:
        self.no, self.indent, self.text = no, indent, text


def _strip_comment(text: str) -> str:
    """``text`` without a trailing `# comment` (a # after white space, outside quotes)."""
    i = 0
    while i < len(text):
        c = text[i]
        if c in "\"'" and (i == 0 or text[i - 1] in " \t[{,:-?"):
            end = _quoted_end(text, i)
            if end < 0:
                break
            i = end
            continue
        if c == "#" and (i == 0 or text[i - 1] in " \t"):
            return text[:i].rstrip(" \t")
        i += 1
    return text.rstrip(" \t")


class _Yaml:
    """The block YAML real data files use: mappings, sequences (`- ` items, a
    mapping in an item), flow `[...]` and `{...}`, plain, quoted and block (`|`,
    `>`) scalars, comments, a first document (`---`).  Anchors, aliases and tags
    are reported as not supported."""

    def __init__(self, text: str) -> None:
        self.raw = text.split("\n")
        if self.raw[-1] == "":
            self.raw.pop()  # what follows the last line break is no line
        self.lines: list[_Line] = []
        for no, raw in enumerate(self.raw, 1):
            raw = raw.rstrip("\r")
            body = raw.lstrip(" ")
            text_ = _strip_comment(body)
            if not text_:
                continue
            if raw == "---" or raw.startswith("--- ") or raw == "...":
                if self.lines or raw == "...":
                    break
                rest = raw[3:].strip(" \t")
                if rest:
                    self.lines.append(_Line(no, 4, _strip_comment(rest)))
                continue
            self.lines.append(_Line(no, len(raw) - len(body), text_))
        self.k = 0

    def fail(self, line: int, msg: str) -> DataError:
        return DataError(line, f"invalid YAML: {msg}")

    @property
    def cur(self) -> _Line | None:
        """The line to parse next (a tab may not indent it; in a block scalar, which
        is read from the raw lines, it may)."""
        if self.k >= len(self.lines):
            return None
        ln = self.lines[self.k]
        if ln.text.startswith("\t"):
            raise self.fail(ln.no, "a tab in the indentation")
        return ln

    def document(self) -> tuple[Any, int] | None:
        first = self.cur
        if first is None:
            return None
        v = self.node(-1)
        if self.cur is not None:
            raise self.fail(self.cur.no, "unexpected indentation")
        return v, first.no

    def node(self, parent: int) -> Any:
        """The node at the current line, inside a collection indented ``parent``."""
        ln = self.cur
        assert ln is not None
        if _is_item(ln.text):
            return self.sequence(ln.indent)
        if _is_explicit(ln.text, "?") or self.mapping_key(ln.text) is not None:
            return self.mapping(ln.indent)
        self.k += 1
        return self.inline(ln.text, ln, parent)

    def indicated(self, indent: int) -> Any:
        """The node after a `-`, `?` or `:` indicator at the current line, in a
        collection indented ``indent``: on the same line (read as a line of its own at
        its column) or, if none, on the next lines."""
        ln = self.cur
        assert ln is not None
        rest = ln.text[1:].lstrip(" ")
        if not rest:
            self.k += 1
            nxt = self.cur
            return self.node(indent) if nxt is not None and nxt.indent > indent else None
        col = ln.indent + len(ln.text) - len(rest)
        self.lines[self.k] = _Line(ln.no, col, rest)
        return self.node(indent)

    def sequence(self, indent: int) -> _List:
        out = _List()
        while (ln := self.cur) is not None and ln.indent == indent and _is_item(ln.text):
            out.lines.append(ln.no)
            out.append(self.indicated(indent))
        return out

    def mapping_key(self, text: str) -> tuple[str, str] | None:
        """(key, the text after `key:`) if the line is a mapping entry."""
        if text[:1] in "\"'":
            end = _quoted_end(text, 0)
            if end < 0:
                return None
            rest = text[end:].lstrip(" ")
            if not rest.startswith(":") or not (len(rest) == 1 or rest[1] == " "):
                return None
            return _unquote(text[:end], 0), rest[1:].strip(" \t")
        if text[:1] in "[{&*!|>%@`#,":
            if text[:1] in "&*!":
                raise self.fail(self.lines[self.k].no, "anchors, aliases and tags are not "
                                                       "supported")
            return None
        i = 0
        while True:
            i = text.find(":", i)
            if i < 0:
                return None
            if i + 1 == len(text) or text[i + 1] == " ":
                key = text[:i].rstrip(" \t")
                return (key, text[i + 1:].strip(" \t")) if key else None
            i += 1

    def mapping(self, indent: int) -> _Obj:
        first = self.cur
        assert first is not None
        out = _Obj(first.no)
        while (ln := self.cur) is not None and ln.indent == indent:
            if _is_explicit(ln.text, "?"):
                k = self.indicated(indent)
                key = k if isinstance(k, str) else sort_key_str(_plain(k))
                if key in out:
                    raise self.fail(ln.no, f'the key "{key}" is given twice')
                out.lines[key] = ln.no
                vl = self.cur
                out[key] = self.indicated(indent) if vl is not None and \
                    vl.indent == indent and _is_explicit(vl.text, ":") else None
                continue
            kv = self.mapping_key(ln.text)
            if kv is None:
                raise self.fail(ln.no, "expected a 'key: value' entry")
            key, after = kv
            if key in out:
                raise self.fail(ln.no, f'the key "{key}" is given twice')
            out.lines[key] = ln.no
            self.k += 1
            if not after:
                nxt = self.cur
                if nxt is not None and (nxt.indent > indent or
                                        nxt.indent == indent and _is_item(nxt.text)):
                    out[key] = self.node(indent)
                else:
                    out[key] = None
            else:
                out[key] = self.inline(after, ln, indent)
        return out

    def inline(self, text: str, ln: _Line, parent: int) -> Any:
        """The value written after `key:` or `- ` (and on the lines it continues on)."""
        c = text[:1]
        if c in "|>":
            return self.block_scalar(text, ln, parent)
        if c in "[{":
            while True:
                p = _Flow(text, ln.no)
                v = p.parse()
                if v is not _Flow.OPEN:
                    return v
                nxt = self.cur
                if nxt is None:
                    raise self.fail(ln.no, f"'{c}' is not closed")
                text += " " + nxt.text
                self.k += 1
        if c in "\"'":
            end = _quoted_end(text, 0)
            if end < 0:
                raise self.fail(ln.no, "a quoted string is not closed on its line")
            if text[end:].strip(" \t"):
                raise self.fail(ln.no, "unexpected text after a quoted string")
            return _unquote(text[:end], ln.no)
        if c in "&*!":
            raise self.fail(ln.no, "anchors, aliases and tags are not supported")
        if c in "%@`":
            raise self.fail(ln.no, f"a plain value cannot start with '{c}'")
        parts = [text]
        while (nxt := self.cur) is not None and nxt.indent > parent and \
                not any(_is_explicit(nxt.text, c) for c in "-?:") and \
                self.mapping_key(nxt.text) is None:
            parts.append(nxt.text)  # a plain scalar continued on the next lines
            self.k += 1
        kind, v = yaml_resolve(" ".join(parts))
        return v

    def block_scalar(self, head: str, ln: _Line, parent: int) -> str:
        """A `|` (literal) or `>` (folded) scalar: the lines after the header that are
        indented more than ``parent`` (blank ones included), chomped as the header
        says (`-` no final line break, `+` all of them, else one)."""
        m = re.match(r"([|>])([1-9]?)([+-]?)([1-9]?)\Z", head)
        if m is None:
            raise self.fail(ln.no, f"malformed block scalar header '{head}'")
        style, chomp = m.group(1), m.group(3)
        explicit = m.group(2) or m.group(4)
        ind = max(parent, 0) + int(explicit) if explicit else -1  # relative to the collection
        # blank lines and lines starting with '#' belong to the scalar: read it raw
        body: list[str] = []
        r = ln.no  # index in self.raw of the line after the header
        while r < len(self.raw):
            raw = self.raw[r].rstrip("\r")
            content = raw.lstrip(" ")
            lead = len(raw) - len(content)
            if content:
                if ind < 0:
                    if lead <= parent:
                        break
                    ind = lead
                if lead < ind:
                    break
            body.append(raw)
            r += 1
        while self.k < len(self.lines) and self.lines[self.k].no <= r:
            self.k += 1
        lines = [b[ind:] if ind >= 0 else "" for b in body]
        trail = 0
        while lines and lines[-1] == "":
            lines.pop()
            trail += 1
        if not lines:
            return "\n" * trail if chomp == "+" else ""
        text = "\n".join(lines) if style == "|" else _fold(lines)
        if chomp == "-":
            return text
        return text + "\n" * (trail + 1 if chomp == "+" else 1)


def _fold(lines: list[str]) -> str:
    """A folded (`>`) block's lines: the line break between two text lines becomes a
    space, one followed by empty lines their line breaks; around more-indented lines
    the breaks stay."""
    out = lines[0]
    i = 0
    while True:
        j = i + 1
        while j < len(lines) and lines[j] == "":
            j += 1
        if j >= len(lines):
            return out
        empties = j - i - 1
        if lines[i].startswith(" ") or lines[j].startswith(" ") or lines[i] == "":
            out += "\n" * (empties + 1)
        else:
            out += "\n" * empties if empties else " "
        out += lines[j]
        i = j


def _is_item(text: str) -> bool:
    return _is_explicit(text, "-")


def _is_explicit(text: str, indicator: str) -> bool:
    """Does the line start with indicator `-`, `?` or `:` (alone or before a space)?"""
    return text == indicator or text.startswith(indicator + " ")


def _quoted_end(text: str, i: int) -> int:
    """The index just past the quoted scalar starting at text[i], or -1."""
    q = text[i]
    j = i + 1
    while j < len(text):
        c = text[j]
        if q == "'" and c == "'":
            if j + 1 < len(text) and text[j + 1] == "'":
                j += 2
                continue
            return j + 1
        if q == '"':
            if c == "\\":
                j += 2
                continue
            if c == '"':
                return j + 1
        j += 1
    return -1


_YAML_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n",
                 "v": "\v", "f": "\f", "r": "\r", "e": "\x1b", " ": " ", '"': '"',
                 "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0", "L": "\u2028",
                 "P": "\u2029"}


_LS_FOLD = re.compile("[ \t]*([\u2028\u2029][ \t\u2028\u2029]*)")


def _unquote(token: str, line: int) -> str:
    """A quoted scalar's text.  A line or paragraph separator in it is a line break
    to libyaml: the white space around it goes."""
    body = _LS_FOLD.sub(lambda m: m.group(1).replace(" ", "").replace("\t", ""), token[1:-1])
    if token[0] == "'":
        return body.replace("''", "'")
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = body[i + 1] if i + 1 < len(body) else ""
        if e in _YAML_ESCAPES:
            out.append(_YAML_ESCAPES[e])
            i += 2
            continue
        width = {"x": 2, "u": 4, "U": 8}.get(e)
        h = body[i + 2:i + 2 + width] if width else ""
        if not width or len(h) != width or any(x not in "0123456789abcdefABCDEF" for x in h):
            raise DataError(line, "invalid YAML: invalid escape in a quoted string")
        cp = int(h, 16)
        out.append(chr(cp) if cp < 0x110000 and not 0xD800 <= cp < 0xE000 else "\ufffd")
        i += 2 + width
    return "".join(out)


class _Flow:
    """A flow collection, `[a, b]` or `{k: v}`, nested, on one (joined) line."""

    OPEN = object()  # the collection goes on past the end of the text

    def __init__(self, text: str, line: int) -> None:
        self.s = text
        self.i = 0
        self.line = line

    def fail(self, msg: str) -> DataError:
        return DataError(self.line, f"invalid YAML: {msg}")

    def parse(self) -> Any:
        try:
            v = self.value()
        except _FlowEnd:
            return _Flow.OPEN
        self.skip()
        if self.i < len(self.s):
            raise self.fail("unexpected text after a flow collection")
        return v

    def skip(self) -> None:
        while self.i < len(self.s) and self.s[self.i] == " ":
            self.i += 1

    def value(self) -> Any:
        self.skip()
        if self.i >= len(self.s):
            raise _FlowEnd
        c = self.s[self.i]
        if c == "[":
            self.i += 1
            out = _List()
            while True:
                self.skip()
                if self.i >= len(self.s):
                    raise _FlowEnd
                if self.s[self.i] == "]":
                    self.i += 1
                    return out
                out.lines.append(self.line)
                out.append(self.value())
                self.skip()
                if self.i >= len(self.s):
                    raise _FlowEnd
                if self.s[self.i] == ",":
                    self.i += 1
                elif self.s[self.i] != "]":
                    raise self.fail("expected ',' or ']' in a flow sequence")
        if c == "{":
            self.i += 1
            obj = _Obj(self.line)
            while True:
                self.skip()
                if self.i >= len(self.s):
                    raise _FlowEnd
                if self.s[self.i] == "}":
                    self.i += 1
                    return obj
                k = self.value()
                self.skip()
                v = None
                if self.s.startswith(":", self.i):
                    self.i += 1
                    v = self.value()
                key = k if isinstance(k, str) else sort_key_str(k)
                obj[key] = v
                obj.lines[key] = self.line
                self.skip()
                if self.i >= len(self.s):
                    raise _FlowEnd
                if self.s[self.i] == ",":
                    self.i += 1
                elif self.s[self.i] != "}":
                    raise self.fail("expected ',' or '}' in a flow mapping")
        if c in "\"'":
            end = _quoted_end(self.s, self.i)
            if end < 0:
                raise _FlowEnd
            v = _unquote(self.s[self.i:end], self.line)
            self.i = end
            return v
        if c in "&*!":
            raise self.fail("anchors, aliases and tags are not supported")
        j = self.i
        while j < len(self.s) and self.s[j] not in ",[]{}" and \
                not (self.s[j] == ":" and (j + 1 == len(self.s) or self.s[j + 1] in " ,]}")):
            j += 1
        text = self.s[self.i:j].strip(" \t")
        self.i = j
        return yaml_resolve(text)[1]


class _FlowEnd(Exception):
    """The text ended inside a flow collection."""


# ---------------------------------------------------------------- save


def saver(env: Any) -> Callable[[Any, str, Any], None]:
    """The implementation of `save`: (rows, path, options); "-" is ``env.out``."""

    def save(rows: Any, path: str, opts: Any) -> None:
        fmt, header, delim = options(opts, saving=True)
        if not isinstance(rows, list):
            raise MochiError(f"save needs a list of rows, not {type_name(rows)}")
        maps = [_row_map(r) for r in rows]
        if fmt == "csv":
            text = csv_text(maps, header, delim)
        elif fmt == "jsonl":
            text = "".join(json_compact(m) + "\n" for m in maps)
        elif fmt == "json":
            text = json_compact(maps[0] if len(maps) == 1 else maps) + "\n"
        else:
            text = yaml_text(maps[0] if len(maps) == 1 else maps)
        if path in ("", "-"):
            env.out.write(text)
            return
        try:
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        except OSError as e:
            reason = {2: "no such file or directory", 13: "permission denied",
                      21: "is a directory"}.get(e.errno or 0, "cannot write it")
            raise MochiError(f"cannot create {path}: {reason}") from None

    return save


def _row_map(v: Any) -> dict:
    """A row as the reference sees it: a map of string keys (a struct's fields plus
    its "__name")."""
    if type(v) is StructVal:
        return _as_map(v)
    if type(v) is dict:
        return {sort_key_str(k): x for k, x in v.items()}
    raise MochiError(f"save needs rows that are structs or maps, not {type_name(v)}")


def _as_map(s: StructVal) -> dict:
    m = dict(zip(s.info.field_names, s.fields, strict=True))
    m["__name"] = s.info.name
    return m


def _sorted(m: dict) -> list[tuple[str, Any]]:
    return sorted(((sort_key_str(k), x) for k, x in m.items()), key=lambda kv: kv[0])


_UNSAVABLE = "cannot save a value JSON cannot hold (NaN, an infinity, a function or a cycle)"


def json_compact(v: Any, path: frozenset[int] = frozenset()) -> str:
    """Go's json.Marshal of the reference's value: compact, keys sorted.  ``path``
    holds the containers being written, so a cycle is found."""
    t = type(v)
    if t is str:
        return json_quote(v)
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if t is float:
        try:
            return format_float_json(v)
        except ValueError:
            raise MochiError(_UNSAVABLE) from None
    if v is None:
        return "null"
    if t in (list, dict, StructVal):
        if id(v) in path:
            raise MochiError(_UNSAVABLE)
        inner = path | {id(v)}
        if t is list:
            return "[" + ",".join(json_compact(x, inner) for x in v) + "]"
        m = _as_map(v) if t is StructVal else v
        return "{" + ",".join(json_quote(k) + ":" + json_compact(x, inner)
                              for k, x in _sorted(m)) + "}"
    raise MochiError(_UNSAVABLE)


def _csv_cell(v: Any) -> str:
    t = type(v)
    if v is None:
        return ""
    if t is str:
        return v
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if t is float:
        if not math.isfinite(v):
            return "NaN" if v != v else ("+Inf" if v > 0 else "-Inf")
        if v == 0:
            return "-0" if math.copysign(1.0, v) < 0 else "0"
        digits, dp = _digits(abs(v))
        return ("-" if v < 0 else "") + _layout_f(digits, dp)
    return json_compact(v)


def _csv_field(s: str, delim: str) -> str:
    """A field as Go's csv.Writer writes it: quoted when it holds the delimiter, a
    quote, a line break or is `\\.`, or starts with white space."""
    if s == "":
        return s
    if s == "\\." or delim in s or any(c in s for c in '"\r\n') or s[0] in _GO_SPACE:
        return '"' + s.replace('"', '""') + '"'
    return s


# unicode.IsSpace
_GO_SPACE = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" +
                      "".join(chr(c) for c in range(0x2000, 0x200B)))


def csv_text(rows: list[dict], header: bool, delim: str) -> str:
    if not rows:
        return "\n" if header else ""
    cols = sorted(rows[0])
    lines = []
    if header:
        lines.append(delim.join(_csv_field(c, delim) for c in cols))
    for r in rows:
        lines.append(delim.join(_csv_field(_csv_cell(r.get(c)), delim) for c in cols))
    return "".join(x + "\n" for x in lines)


# ---------------------------------------------------------------- YAML (writing)


def _printable(cp: int) -> bool:
    """libyaml's printable characters (what a plain or quoted scalar may hold)."""
    return cp == 0x0A or 0x20 <= cp <= 0x7E or 0xA0 <= cp <= 0xD7FF or \
        (0xE000 <= cp <= 0xFFFD and cp != 0xFEFF)


_BREAKS = "\r\n\x85\u2028\u2029"


class _Scalar:
    """What libyaml's analyzer finds out about a scalar."""

    def __init__(self, s: str) -> None:
        self.multiline = False
        self.block_plain = True
        self.single_ok = True
        self.block_ok = True
        if not s:
            return
        block_ind = s.startswith(("---", "..."))
        lead_space = lead_break = trail_space = trail_break = False
        break_space = space_break = tabs = special = breaks = False
        prev_space = prev_break = False
        preceded_ws = True
        n = len(s)
        for i, c in enumerate(s):
            followed_ws = i + 1 >= n or s[i + 1] in " \t"
            if i == 0:
                if c in "#,[]{}&*!|>'\"%@`":
                    block_ind = True
                elif c in "?:" and followed_ws:
                    block_ind = True
                elif c == "-" and followed_ws:
                    block_ind = True
            elif (c == ":" and followed_ws) or (c == "#" and preceded_ws):
                block_ind = True
            if c == "\t":
                tabs = True
            elif not _printable(ord(c)):
                special = True
            if c == " ":
                lead_space |= i == 0
                trail_space |= i == n - 1
                break_space |= prev_break
                prev_space, prev_break = True, False
            elif c in _BREAKS:
                breaks = True
                lead_break |= i == 0
                trail_break |= i == n - 1
                space_break |= prev_space
                prev_space, prev_break = False, True
            else:
                prev_space = prev_break = False
            preceded_ws = c in " \t" or c in _BREAKS
        self.multiline = breaks
        if lead_space or lead_break or trail_space or trail_break:
            self.block_plain = False
        if trail_space:
            self.block_ok = False
        if break_space:
            self.block_plain = self.single_ok = False
        if space_break or tabs or special:
            self.block_plain = self.single_ok = False
        if space_break or special:
            self.block_ok = False
        if breaks or block_ind:
            self.block_plain = False


class _YamlWriter:
    """yaml.v3's emitter for the block documents rows make (libyaml's state: the
    column, the indentation stack, whether the last thing written was white space
    or indentation)."""

    BEST_INDENT = 4

    def __init__(self) -> None:
        self.out: list[str] = []
        self.column = 0
        self.indent = -1
        self.indents: list[int] = []
        self.whitespace = True
        self.indention = True
        self.path: set[int] = set()  # the containers being written

    def put(self, s: str) -> None:
        self.out.append(s)
        self.column += len(s)

    def put_break(self) -> None:
        self.out.append("\n")
        self.column = 0
        self.indention = True

    def write_indent(self) -> None:
        indent = max(self.indent, 0)
        if not self.indention or self.column > indent or \
                (self.column == indent and not self.whitespace):
            self.put_break()
        if self.column < indent:
            self.put(" " * (indent - self.column))
        self.whitespace = True

    def indicator(self, text: str, need_ws: bool, is_ws: bool, is_indention: bool) -> None:
        if need_ws and not self.whitespace:
            self.put(" ")
        self.put(text)
        self.whitespace = is_ws
        self.indention = self.indention and is_indention

    def increase_indent(self, flow: bool, in_item: bool) -> None:
        self.indents.append(self.indent)
        if self.indent < 0:
            self.indent = self.BEST_INDENT if flow else 0
        elif in_item:
            self.indent += 2  # the first indentation in a sequence skips the "- "
        else:
            b = self.BEST_INDENT
            self.indent = b * ((self.indent + b) // b)

    def document(self, v: Any) -> str:
        self.node(v, "root")
        self.write_indent()
        return "".join(self.out)

    def node(self, v: Any, ctx: str) -> None:
        """ctx: "root", "item" (of a sequence), "key" or "value" (of a mapping)."""
        if type(v) in (list, dict, StructVal):
            if id(v) in self.path:
                raise MochiError("cannot save a value that contains itself")
            self.path.add(id(v))
            self.container(_as_map(v) if type(v) is StructVal else v, ctx)
            self.path.discard(id(v))
        else:
            self.scalar(*_scalar_text(v), ctx)

    def container(self, v: Any, ctx: str) -> None:
        if type(v) is list and v:
            self.increase_indent(False, ctx == "item")
            for x in v:
                self.write_indent()
                self.indicator("-", True, False, True)
                self.node(x, "item")
            self.indent = self.indents.pop()
        elif type(v) is dict and v:
            self.increase_indent(False, ctx == "item")
            for k, x in sorted(((sort_key_str(k), x) for k, x in v.items()),
                               key=_YAML_KEY):
                self.write_indent()
                if not any(c in _BREAKS for c in k) and len(k.encode("utf-8")) <= 128:
                    self.scalar(*_string_style(k), "key")
                    self.indicator(":", False, False, False)
                else:
                    self.indicator("?", True, False, True)
                    self.scalar(*_string_style(k), "complex-key")
                    self.write_indent()
                    self.indicator(":", True, False, True)
                self.node(x, "value")
            self.indent = self.indents.pop()
        else:
            self.indicator("[" if type(v) is list else "{", True, True, False)
            self.indicator("]" if type(v) is list else "}", False, False, False)

    def scalar(self, text: str, style: str, ctx: str) -> None:
        info = _Scalar(text)
        simple_key = ctx == "key"
        if simple_key and info.multiline:
            style = "double"
        if style == "plain":
            if not info.block_plain or (not text and simple_key):
                style = "single"
        if style == "single" and not info.single_ok:
            style = "double"
        if style == "literal" and (not info.block_ok or simple_key):
            style = "double"
        self.increase_indent(True, ctx == "item")
        if style == "plain":
            if text and not self.whitespace:
                self.put(" ")
            self.put(text)
            if text:
                self.whitespace = False
            self.indention = False
        elif style == "single":
            self.single_quoted(text)
        elif style == "double":
            self.indicator('"', True, False, False)
            bom = text.startswith("\ufeff")  # libyaml then escapes every character
            self.put("".join(_double_char(c, bom) for c in text))
            self.indicator('"', False, False, False)
            self.whitespace = self.indention = False
        else:
            self.literal(text)
        self.indent = self.indents.pop()

    def single_quoted(self, text: str) -> None:
        """'...' (a quote doubled); a line break (U+2028, U+2029: the others are
        quoted otherwise) is written as it is and the next text indented."""
        self.indicator("'", True, False, False)
        breaks = False
        for c in text:
            if c == " ":
                self.put(c)
            elif c in _BREAKS:
                self.out.append(c)
                self.column = 0
                self.indention = True
                breaks = True
            else:
                if breaks:
                    self.write_indent()
                self.put("''" if c == "'" else c)
                self.indention = False
                breaks = False
        self.indicator("'", False, False, False)
        self.whitespace = self.indention = False

    def literal(self, text: str) -> None:
        self.indicator("|", True, False, False)
        if text[0] == " " or text[0] in _BREAKS:
            self.indicator(str(self.BEST_INDENT), False, False, False)
        if text[-1] not in _BREAKS:
            self.indicator("-", False, False, False)
        elif len(text) == 1 or text[-2] in _BREAKS:
            self.indicator("+", False, False, False)
        self.whitespace = True
        breaks = True
        for c in text:
            if c in _BREAKS:
                if c == "\n":
                    self.put_break()
                else:
                    self.out.append(c)
                    self.column = 0
                    self.indention = True
                breaks = True
            else:
                if breaks:
                    self.write_indent()
                self.put(c)
                self.indention = False
                breaks = False


def _yaml_key_cmp(a: str, b: str) -> int:
    """yaml.v3's order of map keys: letters by code point and before other
    characters (after them following a digit), runs of digits by their value."""
    digits = False
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            digits = ca.isdecimal()
            continue
        al, bl = ca.isalpha(), cb.isalpha()
        if al and bl:
            return -1 if ca < cb else 1
        if al or bl:
            return -1 if (al if digits else bl) else 1
        an = bn = 0
        if ca == "0" or cb == "0":
            for j in range(i - 1, -1, -1):
                if not a[j].isdecimal():
                    break
                if a[j] != "0":
                    an = bn = 1
                    break
        ai, an = _digit_run(a, i, an)
        bi, bn = _digit_run(b, i, bn)
        if an != bn:
            return -1 if an < bn else 1
        if ai != bi:
            return -1 if ai < bi else 1
        return -1 if ca < cb else 1
    return (len(a) > len(b)) - (len(a) < len(b))


def _digit_run(s: str, i: int, n: int) -> tuple[int, int]:
    """The end of the run of decimal digits at s[i] and n accumulated over it, in
    Go's int64 (each digit counted as its code point minus '0')."""
    while i < len(s) and s[i].isdecimal():
        n = (n * 10 + ord(s[i]) - 48 + (1 << 63)) % (1 << 64) - (1 << 63)
        i += 1
    return i, n


_YAML_KEY = functools.cmp_to_key(lambda x, y: _yaml_key_cmp(x[0], y[0]))


def _double_char(c: str, escape_all: bool) -> str:
    cp = ord(c)
    if _printable(cp) and not escape_all and c not in _BREAKS and c not in '"\\':
        return c
    named = {0: "0", 7: "a", 8: "b", 9: "t", 0x0A: "n", 0x0B: "v", 0x0C: "f", 0x0D: "r",
             0x1B: "e", 0x22: '"', 0x5C: "\\", 0x85: "N", 0xA0: "_", 0x2028: "L",
             0x2029: "P"}
    if cp in named:
        return "\\" + named[cp]
    if cp <= 0xFF:
        return f"\\x{cp:02X}"
    if cp <= 0xFFFF:
        return f"\\u{cp:04X}"
    return f"\\U{cp:08X}"


def _string_style(s: str) -> tuple[str, str]:
    """A string's text and the style yaml.v3 asks for: literal when it has a line
    break, plain when it would read back as the same string, else double quotes."""
    if "\n" in s:
        return s, "literal"
    kind, _ = yaml_resolve(s)
    plain = kind == "str" and not (_BASE60.match(s) and s[:1] in "+-0123456789") and \
        s not in _OLD_BOOL
    return s, "plain" if plain else "double"


def _scalar_text(v: Any) -> tuple[str, str]:
    t = type(v)
    if t is str:
        return _string_style(v)
    if v is None:
        return "null", "plain"
    if t is bool:
        return ("true" if v else "false"), "plain"
    if t is int:
        return str(v), "plain"
    if t is float:
        s = format_float_str(v)
        return {"+Inf": ".inf", "-Inf": "-.inf", "NaN": ".nan"}.get(s, s), "plain"
    if t is Closure:
        raise MochiError("yaml: cannot save a function")
    return str(v), "plain"


def yaml_text(v: Any) -> str:
    return _YamlWriter().document(v)
