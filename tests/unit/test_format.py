"""Tests of mochic.interp.format.

Expected texts are LANGUAGE.md's examples, and otherwise outputs of Go's
strconv / fmt / encoding/json (the reference VM's formatting primitives)
checked against a Go toolchain.
"""

from __future__ import annotations

import math
import struct

import pytest

from mochic.interp.format import (
    format_float_container,
    format_float_json,
    format_float_str,
    format_print_arg,
    format_print_line,
    format_str,
    go_quote,
    json_quote,
    sort_key_str,
    sorted_keys,
    to_json,
)
from mochic.interp.values import Closure, StructInfo, StructVal

NAN = float("nan")
INF = float("inf")

NODE = StructInfo("Node", ("name", "next"))
POINT = StructInfo("Point", ("y", "x", "Label"))
LEAF = StructInfo("Leaf", ())
RECORD = StructInfo("", ("name", "age"), anonymous=True)


def node(name, nxt=None):
    return StructVal(NODE, [name, nxt])


# ---------------------------------------------------------------------------
# format_float_str: strconv.FormatFloat(f, 'g', -1, 64)


@pytest.mark.parametrize(
    "f, want",
    [
        # LANGUAGE.md's examples
        (1.0, "1"),
        (30.0, "30"),
        (11.828, "11.828"),
        (123456.0, "123456"),
        (1000000.0, "1e+06"),
        (1234567.0, "1.234567e+06"),
        (31557600.0, "3.15576e+07"),
        (0.0001, "0.0001"),
        (0.000001, "1e-06"),
        (1e21, "1e+21"),
        (NAN, "NaN"),
        (INF, "+Inf"),
        (-INF, "-Inf"),
        (-0.0, "-0"),
        # edge cases
        (0.0, "0"),
        (1e20, "1e+20"),
        (0.1 + 0.2, "0.30000000000000004"),
        (100.0, "100"),
        (1e-7, "1e-07"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (2.2250738585072014e-308, "2.2250738585072014e-308"),
        (999999.0, "999999"),
        (999999.9999999999, "999999.9999999999"),
        (0.00012, "0.00012"),
        (0.000099, "9.9e-05"),
        (-2.5, "-2.5"),
        (-1234567.0, "-1.234567e+06"),
        (1e100, "1e+100"),
        (1.5e-300, "1.5e-300"),
        (7.07, "7.07"),
        (-44.76, "-44.76"),
        (3.0e15, "3e+15"),
        (123456789012345678.0, "1.2345678901234568e+17"),
        (0.1, "0.1"),
        (1 / 3, "0.3333333333333333"),
    ],
)
def test_format_float_str(f, want):
    assert format_float_str(f) == want


# ---------------------------------------------------------------------------
# format_float_container: FormatFloat(f, 'f', -1, 64) + ".0" when no "."


@pytest.mark.parametrize(
    "f, want",
    [
        (2.0, "2.0"),
        (0.575, "0.575"),
        (1e21, "1000000000000000000000.0"),
        (1e20, "100000000000000000000.0"),
        (1e-7, "0.0000001"),
        (0.000001, "0.000001"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (100.0, "100.0"),
        (1000000.0, "1000000.0"),
        (1234567.0, "1234567.0"),
        (0.1 + 0.2, "0.30000000000000004"),
        (-1.5, "-1.5"),
        (1e16, "10000000000000000.0"),
        (123456789012345678.0, "123456789012345680.0"),
        (1.5e-10, "0.00000000015"),
        (5e-324, "0." + "0" * 323 + "5"),
        (1.7976931348623157e308, "17976931348623157" + "0" * 292 + ".0"),
        # the reference VM appends ".0" to Go's NaN / Inf texts
        (NAN, "NaN"),
        (INF, "+Inf"),
        (-INF, "-Inf"),
    ],
)
def test_format_float_container(f, want):
    assert format_float_container(f) == want


# ---------------------------------------------------------------------------
# format_float_json: encoding/json


@pytest.mark.parametrize(
    "f, want",
    [
        (2.0, "2"),
        (0.5, "0.5"),
        (-0.0, "-0"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1234567.0, "1234567"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (1.5e-10, "1.5e-10"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (0.1 + 0.2, "0.30000000000000004"),
        (-3.0, "-3"),
    ],
)
def test_format_float_json(f, want):
    assert format_float_json(f) == want


@pytest.mark.parametrize("f", [NAN, INF, -INF])
def test_format_float_json_rejects_nonfinite(f):
    with pytest.raises(ValueError):
        format_float_json(f)


def _shortest_roundtrips(text: str, f: float) -> bool:
    return float(text.replace("+Inf", "inf")) == f


def test_float_formats_round_trip_on_many_values():
    # Deterministic pseudo-random doubles over the whole range.
    x = 0x9E3779B97F4A7C15
    for _ in range(3000):
        x = (x * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)
        f = struct.unpack("<d", struct.pack("<Q", x))[0]
        if math.isnan(f) or math.isinf(f):
            continue
        g = format_float_str(f)
        c = format_float_container(f)
        j = format_float_json(f)
        assert float(g) == f and float(c) == f and float(j) == f
        assert "e" not in c and "." in c
        mant = g.split("e")[0].lstrip("-").replace(".", "").lstrip("0")
        assert mant.rstrip("0") == repr(abs(f)).split("e")[0].replace(".", "").strip("0")


# ---------------------------------------------------------------------------
# go_quote: strconv.Quote


@pytest.mark.parametrize(
    "s, want",
    [
        ("", '""'),
        ("I ", '"I "'),
        ("abc", '"abc"'),
        ('tab\there "q" back\\slash\r\n', '"tab\\there \\"q\\" back\\\\slash\\r\\n"'),
        ("\x07\x08\x0c\x0b\x00\x1f\x7f", '"\\a\\b\\f\\v\\x00\\x1f\\x7f"'),
        ("héllo 世界", '"héllo 世界"'),
        (
            "\xad\xa0\u2028\U0001f600\ufeff\U0010ffff\x85",
            '"\\u00ad\\u00a0\\u2028😀\\ufeff\\U0010ffff\\u0085"',
        ),
        ("\u200b\ue000\ufffd\ufffe", '"\\u200b\\ue000\ufffd\\ufffe"'),
        ("\ud800", '"\\xed\\xa0\\x80"'),
        ("'", '"\'"'),
    ],
)
def test_go_quote(s, want):
    assert go_quote(s) == want


@pytest.mark.parametrize(
    "s, want",
    [
        ("abc", '"abc"'),
        ("<&>\b\f", '"\\u003c\\u0026\\u003e\\b\\f"'),
        ("\x07\x00\x1f\x7f", '"\\u0007\\u0000\\u001f\x7f"'),
        ('q"\\\n\r\t', '"q\\"\\\\\\n\\r\\t"'),
        ("\u2028\u2029é😀", '"\\u2028\\u2029é😀"'),
        ("\ud800", '"\\ufffd\\ufffd\\ufffd"'),
    ],
)
def test_json_quote(s, want):
    assert json_quote(s) == want


# ---------------------------------------------------------------------------
# format_str: fmt.Sprint


@pytest.mark.parametrize(
    "v, want",
    [
        (0, "0"),
        (-42, "-42"),
        (9223372036854775807, "9223372036854775807"),
        (-9223372036854775808, "-9223372036854775808"),
        (True, "true"),
        (False, "false"),
        ('as is "x"\n', 'as is "x"\n'),
        ("", ""),
        (None, "<nil>"),
        (1.0, "1"),
        (1000000.0, "1e+06"),
        ([], "[]"),
        ({}, "map[]"),
        ([7.07, -44.76], "[7.07 -44.76]"),
        ([0.0, 44.76], "[0 44.76]"),
        ([1, "a b", 2.0, 0.5, None, True, [], {}], "[1 a b 2 0.5 <nil> true [] map[]]"),
        ([[1, 2], [3]], "[[1 2] [3]]"),
        ({"b": 1, "a": [1.5, "x"]}, "map[a:[1.5 x] b:1]"),
        ({10: 1, 9: 2, 1: 3}, "map[1:3 10:1 9:2]"),
        ({10: 1, 9: 2, "b": [1e21, 1e-7, 1234567.0]}, "map[10:1 9:2 b:[1e+21 1e-07 1.234567e+06]]"),
        ({"x": {"y": ['q"\n']}}, 'map[x:map[y:[q"\n]]]'),
        ({"é": "ü", "a\tb": 0.0}, "map[a\tb:0 é:ü]"),
        ([-0.0, 5e-324, 1.7976931348623157e308, 100.0], "[-0 5e-324 1.7976931348623157e+308 100]"),
        ([-INF, NAN], "[-Inf NaN]"),
        ({True: 1, False: 0}, "map[false:0 true:1]"),
    ],
)
def test_format_str(v, want):
    assert format_str(v) == want


def test_format_str_structs():
    # A struct is a map holding "__name": like the reference VM's struct maps.
    assert format_str(node("A")) == "map[__name:Node name:A next:<nil>]"
    assert format_str(node("A", node("B"))) == (
        "map[__name:Node name:A next:map[__name:Node name:B next:<nil>]]"
    )
    # Keys sort bytewise: "Label" < "__name" < "x" < "y".
    p = StructVal(POINT, [2.5, 1, "p"])
    assert format_str(p) == "map[Label:p __name:Point x:1 y:2.5]"
    assert format_str(StructVal(LEAF, [])) == "map[__name:Leaf]"
    assert format_str([StructVal(LEAF, []), node("A")]) == (
        "[map[__name:Leaf] map[__name:Node name:A next:<nil>]]"
    )
    assert format_str(StructVal(RECORD, ["a", 3])) == "map[age:3 name:a]"


def test_format_str_closure():
    f = Closure(None, None)
    assert format_str(f) == "<fun>"
    assert format_str([f]) == "[<fun>]"


# ---------------------------------------------------------------------------
# format_print_arg / format_print_line


@pytest.mark.parametrize(
    "v, want",
    [
        (3, "3"),
        (True, "true"),
        ("plain text", "plain text"),
        (None, "nil"),
        (2.0, "2"),
        (31557600.0, "3.15576e+07"),
        (-0.0, "-0"),
        (NAN, "NaN"),
        ([], "[]"),
        ({}, "{}"),
        (["I ", " a"], '["I ", " a"]'),
        ([2.0, 0.575, 1e21], "[2.0, 0.575, 1000000000000000000000.0]"),
        ({0: [2, 3]}, '{"0": [2, 3]}'),
        ({10: "x", 9: "y", 100: "z"}, '{"10": "x", "100": "z", "9": "y"}'),
        ({"b": None, "a": True}, '{"a": true, "b": nil}'),
        ([1, None, False, "s\n"], '[1, nil, false, "s\\n"]'),
        ([[1, 2], {"k": [1.5]}], '[[1, 2], {"k": [1.5]}]'),
        ({"m": {"n": {}}}, '{"m": {"n": {}}}'),
        ([1e20, 1e-7, 100.0, -0.0], "[100000000000000000000.0, 0.0000001, 100.0, -0.0]"),
        ([float(2**53), float(10**18)], "[9007199254740992.0, 1000000000000000000.0]"),
        ([0.1 + 0.2], "[0.30000000000000004]"),
        (["tab\t", 'q"', "\\", "é世😀", "\x00"], '["tab\\t", "q\\"", "\\\\", "é世😀", "\\x00"]'),
        ({'k"ey': 1}, '{"k\\"ey": 1}'),
        ({True: 1}, '{"true": 1}'),
        ({2.5: 1, 2.0: 0}, '{"2.0": 0, "2.5": 1}'),
    ],
)
def test_format_print_arg(v, want):
    assert format_print_arg(v) == want


def test_format_print_arg_structs():
    assert format_print_arg(node("A")) == '{"__name": "Node", "name": "A", "next": nil}'
    assert format_print_arg(node("A", node("B"))) == (
        '{"__name": "Node", "name": "A", "next": {"__name": "Node", "name": "B", "next": nil}}'
    )
    p = StructVal(POINT, [2.5, 1, "p"])
    assert format_print_arg(p) == '{"Label": "p", "__name": "Point", "x": 1, "y": 2.5}'
    assert format_print_arg([p, StructVal(LEAF, [])]) == (
        '[{"Label": "p", "__name": "Point", "x": 1, "y": 2.5}, {"__name": "Leaf"}]'
    )
    assert format_print_arg({"n": node("A")}) == (
        '{"n": {"__name": "Node", "name": "A", "next": nil}}'
    )
    assert format_print_arg(StructVal(RECORD, ["a", 3])) == '{"age": 3, "name": "a"}'
    inner_list = StructVal(StructInfo("Bag", ("items",)), [[1.0, "x"]])
    assert format_print_arg(inner_list) == '{"__name": "Bag", "items": [1.0, "x"]}'


def test_format_print_arg_closure():
    f = Closure(None, None)
    assert format_print_arg(f) == "<fun>"
    # The reference VM's container formatter writes a function as nil.
    assert format_print_arg([f, 1]) == "[nil, 1]"


def test_format_print_line():
    assert format_print_line([]) == ""
    assert format_print_line(["a"]) == "a"
    assert format_print_line(["a", 1, 2.0, None, True]) == "a 1 2 nil true"
    assert format_print_line(["xs:", [1, 2], {"k": "v"}]) == 'xs: [1, 2] {"k": "v"}'
    assert format_print_line(["", ""]) == " "
    assert format_print_line([node("A"), "x"]) == '{"__name": "Node", "name": "A", "next": nil} x'


# ---------------------------------------------------------------------------
# Map key order


def test_sort_key_str_and_sorted_keys():
    assert sort_key_str("b") == "b"
    assert sort_key_str(10) == "10"
    assert sort_key_str(-3) == "-3"
    assert sort_key_str(True) == "true"
    assert sort_key_str(2.0) == "2.0"
    assert sort_key_str(None) == "nil"
    assert sorted_keys({}) == []
    assert sorted_keys({9: 0, 10: 0, 1: 0, -1: 0}) == [-1, 1, 10, 9]
    assert sorted_keys({"b": 0, "a": 0, "B": 0, "_": 0}) == ["B", "_", "a", "b"]
    assert sorted_keys({"é": 0, "z": 0, "世": 0}) == ["z", "é", "世"]


# ---------------------------------------------------------------------------
# to_json: json.MarshalIndent(v, "", "  ")


def test_to_json_scalars():
    assert to_json(None) == "null"
    assert to_json(1) == "1"
    assert to_json(-7) == "-7"
    assert to_json(True) == "true"
    assert to_json(2.0) == "2"
    assert to_json(0.25) == "0.25"
    assert to_json("a<b") == '"a\\u003cb"'
    assert to_json([]) == "[]"
    assert to_json({}) == "{}"


def test_to_json_nested():
    assert to_json({"a": 1, "b": 2}) == '{\n  "a": 1,\n  "b": 2\n}'
    assert to_json([[3, 4, 2], [4, 5]]) == (
        "[\n  [\n    3,\n    4,\n    2\n  ],\n  [\n    4,\n    5\n  ]\n]"
    )
    assert to_json([1, "a b", 2.0, 0.5, None, True, [], {}]) == (
        '[\n  1,\n  "a b",\n  2,\n  0.5,\n  null,\n  true,\n  [],\n  {}\n]'
    )
    assert to_json({10: 1, 9: 2, "b": [1e21, 1e-7, 1234567.0]}) == (
        '{\n  "10": 1,\n  "9": 2,\n  "b": [\n    1e+21,\n    1e-7,\n    1234567\n  ]\n}'
    )
    assert to_json({"é": "ü", "a\tb": -0.0}) == '{\n  "a\\tb": -0,\n  "é": "ü"\n}'
    assert to_json([-0.0, 5e-324, 1.7976931348623157e308, 100.0]) == (
        "[\n  -0,\n  5e-324,\n  1.7976931348623157e+308,\n  100\n]"
    )


def test_to_json_structs():
    # Structs are objects of their fields plus "__name", as in the reference.
    n = StructVal(StructInfo("Node", ("name", "next", "Zed", "kids")), ["A", None, 1.5, []])
    want_n = (
        '{\n  "Zed": 1.5,\n  "__name": "Node",\n  "kids": [],\n  "name": "A",\n  "next": null\n}'
    )
    assert to_json(n) == want_n
    assert to_json([n, {"x": {"y": ['q"\n']}}]) == (
        '[\n  {\n    "Zed": 1.5,\n    "__name": "Node",\n    "kids": [],\n    "name": "A",\n'
        '    "next": null\n  },\n  {\n    "x": {\n      "y": [\n        "q\\"\\n"\n'
        "      ]\n    }\n  }\n]"
    )
    assert to_json([StructVal(RECORD, ["Paris", 4])]) == (
        '[\n  {\n    "age": 4,\n    "name": "Paris"\n  }\n]'
    )


def test_to_json_failures_are_empty():
    # Go's encoder fails on these and the reference prints an empty line.
    assert to_json(NAN) == ""
    assert to_json([1.0, INF]) == ""
    assert to_json({"f": Closure(None, None)}) == ""
    cyc: list = [1]
    cyc.append(cyc)
    assert to_json(cyc) == ""


# ---------------------------------------------------------------------------
# Cycles and deep nesting


def test_cycles():
    xs: list = [1]
    xs.append(xs)
    assert format_print_arg(xs) == "[1, [...]]"
    assert format_str(xs) == "[1 [...]]"
    m: dict = {"a": 1}
    m["self"] = m
    assert format_print_arg(m) == '{"a": 1, "self": {...}}'
    assert format_str(m) == "map[a:1 self:map[...]]"
    n = node("A")
    n.fields[1] = n
    assert format_print_arg(n) == '{"__name": "Node", "name": "A", "next": {...}}'
    assert format_str(n) == "map[__name:Node name:A next:map[...]]"


def test_deep_nesting_without_cycle():
    deep: list = []
    for _ in range(300):
        deep = [deep]
    assert format_print_arg(deep) == "[" * 301 + "]" * 301
    assert format_str(deep) == "[" * 301 + "]" * 301
    assert to_json(deep).count("[") == 301
    shared = [1]
    assert format_print_arg([shared, shared]) == "[[1], [1]]"
