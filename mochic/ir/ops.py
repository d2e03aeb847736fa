"""The opcode table: every IR operation, defined once.

Each entry fixes the operand types, the result type, the kind, the layout of
the immediates and the effects:

- ``kind``: ``pure`` (inline machine arithmetic; never fails), ``trap``
  (inline, but may stop the program with a runtime error: int division),
  ``rt`` (a call into the runtime library: heap objects, strings, printing)
  or ``call`` (a call of Mochi code, operands checked against the callee).
- ``args``: an IR type per operand, ``*T`` for any number of further operands
  of type T, or ``*`` for any number of any type.
- ``imm``: what each compile-time operand is, in order (`IMM_KINDS`); a name
  ending in ``?`` may be left out.
- ``effects``: what running it may do besides computing its result
  (`EFFECTS`).

Opcodes that exist per value type are generated from one template with the
type as suffix (``list.get.i64`` ...).  Every tier keeps a handler table keyed
by these names; tests/unit/test_ops.py checks that each covers every row.
"""

from __future__ import annotations

from dataclasses import dataclass

from mochic.ir.ir import IR_TYPES

# What an immediate is.
IMM_KINDS = {
    "value": "a constant of the result type (none for const.str/const.none: None)",
    "zero": "the value an absent map key gives (the value type's zero, or None)",
    "type": "a Mochi type (frontend.types.Type)",
    "struct": "the name of a struct or sum-type variant of the module",
    "field": "the index of a field of that struct",
    "function": "the name of a function of the module",
    "global": "the name of a global of the module",
    "capture": "the index of a captured value of the running closure",
    "math": "the name of a libm function (sqrt, sin, pow ...)",
    "binop": "an arithmetic operator: + - * / %, or abs or pow",
    "name": "a field or string-map key name",
    "reuse": "the string 'reuse': the first operand's old value dies here",
    "in_test": "true when the expectation is inside a `test` block",
}

# What an operation may do besides computing its result.
EFFECTS = {
    "alloc": "allocates heap memory",
    "fail": "may stop the program with a runtime error (at its line)",
    "read": "reads memory other than its operands (heap objects, globals)",
    "write": "writes memory: heap objects, globals, cells",
    "io": "reads or writes the program's environment (streams, clock)",
}
_BY_KIND = {
    "pure": frozenset(),
    "trap": frozenset({"fail"}),
    "rt": frozenset({"alloc", "fail", "read"}),
    "call": frozenset(EFFECTS),
}


@dataclass(frozen=True)
class OpSpec:
    name: str
    args: tuple[str, ...]
    result: str | None
    kind: str
    doc: str
    imm: tuple[str, ...] = ()
    effects: frozenset[str] = frozenset()


OPS: dict[str, OpSpec] = {}


def _op(name: str, args: str, result: str | None, kind: str, doc: str, imm: str = "",
        effects: str | None = None) -> None:
    """Define one row; ``effects`` (space separated) defaults to what the kind implies."""
    eff = _BY_KIND[kind] if effects is None else frozenset(effects.split())
    assert eff <= EFFECTS.keys() and all(i.rstrip("?") in IMM_KINDS for i in imm.split())
    OPS[name] = OpSpec(name, tuple(args.split()), result, kind, doc, tuple(imm.split()), eff)


def _per_type(template: str, args: str, result: str | None, kind: str, doc: str,
              imm: str = "", effects: str | None = None) -> None:
    """Define ``template`` once per IR type T, substituting T in names and types."""
    for t in IR_TYPES:
        res = t if result == "T" else result
        _op(template.replace("T", t), args.replace("T", t), res, kind, doc, imm, effects)


# -- constants and moves: imm = (value,)
_op("const.i64", "", "i64", "pure", "integer constant imm[0]", imm="value")
_op("const.f64", "", "f64", "pure", "float constant imm[0]", imm="value")
_op("const.bool", "", "bool", "pure", "boolean constant imm[0]", imm="value")
_op("const.str", "", "ref", "pure", "string constant imm[0] (interned, never freed)", imm="value")
_op("const.none", "", "ref", "pure", "the none value (a null ref)", imm="value?")
_per_type("mov.T", "T", "T", "pure", "copy a register")

# -- integer arithmetic: 64-bit two's complement; a result that does not fit is
#    the runtime error 'integer overflow'
for _name, _doc in [("add", "a + b"), ("sub", "a - b"), ("mul", "a * b")]:
    _op(f"{_name}.i64", "i64 i64", "i64", "trap", f"{_doc}; 'integer overflow'")
for _name, _doc in [("and", "bitwise and"), ("or", "bitwise or"), ("xor", "bitwise xor"),
                    ("shl", "a << (b & 63), wrapping"), ("shr", "arithmetic a >> (b & 63)")]:
    _op(f"{_name}.i64", "i64 i64", "i64", "pure", _doc)
_op("inc.i64", "i64", "i64", "pure",
    "a + 1 where the lowering knows it fits (a counted loop's index, below its bound)")
_op("div.i64", "i64 i64", "i64", "trap",
    "a / b truncated toward zero; 'division by zero', 'integer overflow' (INT64_MIN / -1)")
_op("rem.i64", "i64 i64", "i64", "trap", "a % b with the sign of a; 'division by zero'")
_op("neg.i64", "i64", "i64", "trap", "-a; 'integer overflow'")
_op("abs.i64", "i64", "i64", "trap", "|a|; 'integer overflow'")
_op("pow.i64", "i64 i64", "i64", "rt", "a ** b (1 when b <= 0); 'integer overflow'",
    effects="fail")

# -- float arithmetic: IEEE-754 double
for _name in ("add", "sub", "mul", "div"):
    _op(f"{_name}.f64", "f64 f64", "f64", "pure", f"IEEE {_name}")
_op("rem.f64", "f64 f64", "f64", "pure", "fmod(a, b)")
_op("neg.f64", "f64", "f64", "pure", "-a")

# -- comparisons
for _cmp in ("eq", "ne", "lt", "le", "gt", "ge"):
    _op(f"{_cmp}.i64", "i64 i64", "bool", "pure", f"signed {_cmp}")
    _op(f"{_cmp}.f64", "f64 f64", "bool", "pure", f"ordered IEEE {_cmp}")
    _op(f"{_cmp}.str", "ref ref", "bool", "rt", f"string {_cmp} by code points", effects="read")
    _op(f"{_cmp}.any", "ref ref", "bool", "rt", f"dynamic {_cmp} of two boxed values",
        effects="read fail")
_op("eq.bool", "bool bool", "bool", "pure", "a == b")
_op("ne.bool", "bool bool", "bool", "pure", "a != b")
_op("not.bool", "bool", "bool", "pure", "!a")
_op("eq.ref", "ref ref", "bool", "rt", "structural equality of lists, maps, structs, strings", effects="read")
_op("ne.ref", "ref ref", "bool", "rt", "structural inequality", effects="read")

# -- conversions
_op("i2f", "i64", "f64", "pure", "int to float")
_op("f2i", "f64", "i64", "trap",
    "float to int, truncating toward zero; 'integer overflow' (NaN, infinite, out of range)")
_per_type("box.T", "T", "ref", "rt", "box a value as `any`; imm = (Mochi type,)", imm="type", effects="alloc")
_per_type("unbox.T", "ref", "T", "rt",
          "unbox an `any` to imm[0] (Mochi type); 'cannot cast X to Y' on mismatch", imm="type", effects="read fail")
_op("any.binop", "ref ref", "ref", "rt", "dynamic arithmetic imm[0] in + - * / % on boxed values", imm="binop")
_op("any.neg", "ref", "ref", "rt", "dynamic unary minus")
_op("any.truthy", "ref", "bool", "rt", "a condition's boxed value by the reference's truthiness (none, 0, \"\" and empty containers are false)", effects="read")
_op("is.none", "ref", "bool", "pure", "is the ref null (none)?")
_op("conv", "ref", "ref", "rt", "convert a container from Mochi type imm[0] to imm[1]", imm="type type")
_op("any.field", "ref", "ref", "rt", "field (or string map entry) imm[0] of a boxed value", imm="name")
_op("any.index", "ref ref", "ref", "rt", "dynamic xs[i] / m[k] / s[i] on boxed values")
_op("any.set_index", "ref ref ref", None, "rt", "dynamic xs[i] = v / m[k] = v", effects="alloc fail read write")
_op("any.len", "ref", "i64", "rt", "len of a boxed string, list, map or group", effects="read fail")
_op("any.contains", "ref ref", "bool", "rt", "dynamic `a in b` (b boxed)", effects="read fail")
_op("any.iter", "ref", "ref", "rt", "what `for x in v` visits, as a list of boxed values")
_op("any.to_int", "ref", "i64", "rt", "int(v) of a boxed value", effects="read fail")
_op("any.to_float", "ref", "f64", "rt", "float(v) of a boxed value", effects="read fail")

# -- bigint and bigrat (immutable heap numbers; a none operand reads as zero)
for _name, _doc in [("add", "a + b"), ("sub", "a - b"), ("mul", "a * b"),
                    ("div", "a / b; 'division by zero'")]:
    _op(f"big.{_name}", "ref ref", "ref", "rt",
        f"bigint {_doc}" + (", truncated toward zero" if _name == "div" else ""))
    _op(f"rat.{_name}", "ref ref", "ref", "rt", f"bigrat {_doc}, in lowest terms")
_op("big.rem", "ref ref", "ref", "rt", "bigint a % b with the sign of a; 'division by zero'")
for _name, _doc in [("neg", "-a"), ("abs", "|a|")]:
    _op(f"big.{_name}", "ref", "ref", "rt", f"bigint {_doc}")
    _op(f"rat.{_name}", "ref", "ref", "rt", f"bigrat {_doc}")
_op("big.pow", "ref i64", "ref", "rt", "bigint a ** b (1 when b <= 0)")
for _cmp in ("eq", "ne", "lt", "le", "gt", "ge"):
    _op(f"{_cmp}.big", "ref ref", "bool", "rt", f"bigint {_cmp}")
    _op(f"{_cmp}.rat", "ref ref", "bool", "rt", f"bigrat {_cmp}")
_op("big.from.i64", "i64", "ref", "rt", "int to bigint")
_op("big.from.f64", "f64", "ref", "rt", "float to bigint, truncated; 'cannot cast NaN to bigint'")
_op("big.from.str", "ref", "ref", "rt", "decimal string to bigint; 'cannot parse ...'")
_op("big.to.i64", "ref", "i64", "rt", "bigint to int; 'integer overflow'")
_op("big.to.f64", "ref", "f64", "rt", "bigint to the nearest float")
_op("rat.from.i64", "i64", "ref", "rt", "int to bigrat")
_op("rat.from.big", "ref", "ref", "rt", "bigint to bigrat")
_op("rat.from.f64", "f64", "ref", "rt", "float to the bigrat of exactly its value")
_op("rat.from.str", "ref", "ref", "rt", "\"a/b\", \"1.25\" or \"1e-3\" to bigrat")
_op("rat.to.big", "ref", "ref", "rt", "bigrat to bigint, truncated toward zero")
_op("rat.to.f64", "ref", "f64", "rt", "bigrat to the nearest float")
_op("rat.num", "ref", "ref", "rt", "num(r): the numerator, a bigint")
_op("rat.denom", "ref", "ref", "rt", "denom(r): the denominator, a positive bigint")

# -- strings (UTF-8; indexes count code points; negative indexes count from the end)
_op("str.concat", "ref ref", "ref", "rt",
    "a + b; with imm ('reuse',) a's old value dies here (`s = s + b`), so an unshared "
    "string may be extended in place", imm="reuse?")
_op("str.len", "ref", "i64", "rt", "length in code points", effects="read")
_op("str.index", "ref i64", "ref", "rt", "one-code-point string; 'index I out of range ...'")
_op("str.slice", "ref i64 i64", "ref", "rt", "s[a:b], bounds clamped after negatives")
_op("str.contains", "ref ref", "bool", "rt", "is b a substring of a", effects="read")
_op("str.from.i64", "i64", "ref", "rt", "str(int)")
_op("str.from.f64", "f64", "ref", "rt", "str(float), Go 'g' shortest")
_op("str.from.bool", "bool", "ref", "rt", "str(bool)")
_op("str.from.any", "ref", "ref", "rt", "str(v) of a boxed value")
_op("str.to_int", "ref", "i64", "rt", "int(s); 'cannot parse \"s\" as int', 'integer overflow'")
_op("str.parse_int", "ref i64", "i64", "rt",
    "parseIntStr(s, base); 0 when s is not a number; 'integer overflow'")
_op("str.to_float", "ref", "f64", "rt", "float(s); 'cannot parse \"s\" as float'")
_op("str.substring", "ref i64 i64", "ref", "rt", "substring(s, a, b)")
_op("str.lower", "ref", "ref", "rt", "lower(s)")
_op("str.upper", "ref", "ref", "rt", "upper(s)")
_op("str.trim", "ref", "ref", "rt", "trim(s): strip white space at both ends")
_op("str.split", "ref ref", "ref", "rt", "split(s, sep) -> list<string>")
_op("str.join", "ref ref", "ref", "rt", "join(list<string>, sep)")
_op("str.index_of", "ref ref", "i64", "rt", "indexOf(s, t) in code points, -1 if absent", effects="read")
_op("str.repeat", "ref i64", "ref", "rt", "repeat(s, n)")
_op("str.pad_start", "ref i64 ref", "ref", "rt", "padStart(s, width, pad)")
_op("str.starts_with", "ref ref", "bool", "rt", "s starts with t", effects="read")
_op("str.ends_with", "ref ref", "bool", "rt", "s ends with t", effects="read")
_op("str.reverse", "ref", "ref", "rt", "reverse(s) by code points")
_op("str.ord", "ref", "i64", "rt", "code point of a one-character string")
_op("sha256", "ref", "ref", "rt",
    "the SHA-256 digest of a boxed string (its UTF-8) or list of ints (bytes) as list<int>")
_op("str.chr", "i64", "ref", "rt", "one-character string of a code point")

# -- lists: imm = (element Mochi type,) where a list is created
_op("list.new", "", "ref", "rt", "an empty list; imm = (element type,)", imm="type", effects="alloc")
_op("list.len", "ref", "i64", "rt", "len(xs)", effects="read fail")
_per_type("list.get.T", "ref i64", "T", "rt", "xs[i]; 'index I out of range for list ...'", effects="read fail")
_per_type("list.set.T", "ref i64 T", None, "rt", "xs[i] = v", effects="read write fail")
_per_type("list.push.T", "ref T", None, "rt", "append v in place (building lists)", effects="alloc read write")
_per_type("list.append.T", "ref T", "ref", "rt",
          "xs with v appended, a new list; with imm ('reuse',) the operand's old value "
          "dies here, so an unshared list may be extended in place", imm="reuse?", effects="alloc read write")
_per_type("list.contains.T", "ref T", "bool", "rt", "v in xs (structural equality)", effects="read")
_per_type("list.index_of.T", "ref T", "i64", "rt", "indexOf(xs, v), -1 if absent", effects="read")
_op("list.concat", "ref ref", "ref", "rt", "xs + ys, a new list")
_op("list.slice", "ref i64 i64", "ref", "rt", "xs[a:b], a new list")
_op("list.reverse", "ref", "ref", "rt", "reverse(xs), a new list")
_op("list.union", "ref ref", "ref", "rt", "xs union ys: distinct elements, first-seen order")
_op("list.union_all", "ref ref", "ref", "rt", "xs union all ys: concatenation")
_op("list.except", "ref ref", "ref", "rt", "elements of xs not in ys, distinct")
_op("list.intersect", "ref ref", "ref", "rt", "elements of xs also in ys, distinct")
_op("list.distinct", "ref", "ref", "rt", "distinct elements, first-seen order")
_op("list.sort", "ref ref", "ref", "rt",
    "items sorted by the parallel list of boxed keys (stable, ascending)")
_op("list.sum.i64", "ref", "i64", "rt", "sum of a list<int>")
_op("list.sum.f64", "ref", "f64", "rt", "sum of a list<float>")
_op("list.sum.any", "ref", "ref", "rt", "sum of a list of boxed numbers, boxed")
_op("list.avg", "ref", "f64", "rt", "average of a list of numbers (boxed-aware)")
_op("list.min", "ref", "ref", "rt", "min of a list, boxed")
_op("list.max", "ref", "ref", "rt", "max of a list, boxed")
_op("list.range", "i64 i64 i64", "ref", "rt", "range(a, b, step) as list<int>")

# -- maps: keys ordered by their string form when iterated; imm at creation =
#    (key type, value type); map.get's imm = (zero value for an absent key,)
_op("map.new", "", "ref", "rt", "an empty map; imm = (key type, value type)", imm="type type", effects="alloc")
_op("map.len", "ref", "i64", "rt", "len(m)", effects="read fail")
_op("map.keys", "ref", "ref", "rt", "keys(m) as a list, ordered")
_op("map.values", "ref", "ref", "rt", "values(m) as a list, in key order")
for _k in IR_TYPES:
    _op(f"map.has.{_k}", f"ref {_k}", "bool", "rt", "k in m", effects="read")
    _op(f"map.del.{_k}", f"ref {_k}", None, "rt", "remove k from m", effects="read write")
    for _v in IR_TYPES:
        _op(f"map.get.{_k}.{_v}", f"ref {_k}", _v, "rt",
            "m[k]; an absent key gives imm[0] (the value type's zero, or none)",
            imm="zero", effects="read fail")
        _op(f"map.set.{_k}.{_v}", f"ref {_k} {_v}", None, "rt", "m[k] = v",
            effects="alloc read write fail")

# -- structs and sum-type variants: imm[0] is the struct (or variant) name
_op("struct.new", "*", "ref", "rt", "a struct from its field values in order", imm="struct")
_per_type("struct.get.T", "ref", "T", "rt", "field imm[1] of struct imm[0]", imm="struct field", effects="read fail")
_per_type("struct.set.T", "ref T", None, "rt", "set field imm[1] of struct imm[0]", imm="struct field", effects="write fail")
_op("struct.is", "ref", "bool", "rt", "is the value a struct/variant named imm[0]", imm="struct", effects="read")

# -- groups (`group by`): imm = (key type, element type)
_op("group.by", "ref ref", "ref", "rt",
    "groups of items by the parallel list of boxed keys, in first-seen key order", imm="type type")
_op("group.key", "ref", "ref", "rt", "a group's key, boxed")
_op("group.items", "ref", "ref", "rt", "a group's items as a list")

# -- closures and cells (captured variables live in cells, shared by reference)
_op("closure.new", "*", "ref", "rt", "closure of function imm[0] capturing the operands", imm="function", effects="alloc")
_per_type("closure.get.T", "ref", "T", "rt", "captured value imm[0] of a closure", imm="capture", effects="read")
_per_type("cell.new.T", "T", "ref", "rt", "a new cell holding a value", effects="alloc")
_per_type("cell.get.T", "ref", "T", "rt", "a cell's value", effects="read")
_per_type("cell.set.T", "ref T", None, "rt", "store into a cell", effects="write")

# -- globals: imm = (name,)
_per_type("global.get.T", "", "T", "pure", "read global imm[0]", imm="global", effects="read")
_per_type("global.set.T", "T", None, "pure", "write global imm[0]", imm="global", effects="write")

# -- calls
_op("call", "*", None, "call", "call function imm[0] with the operands", imm="function")
_op("call.closure", "ref *", None, "call", "call a closure value with the operands")

# -- math (libm): imm = (function name,)
_op("math.f64", "f64", "f64", "rt", "unary libm function imm[0] (sqrt, sin, exp, ...)", imm="math", effects="")
_op("math2.f64", "f64 f64", "f64", "rt", "binary libm function imm[0] (pow, atan2, ...)", imm="math", effects="")

# -- input, output and the program's environment
_op("print", "*ref", None, "rt", "print boxed values separated by spaces, then a newline", effects="io read fail")
_op("json", "ref", None, "rt", "print a boxed value as indented JSON", effects="io read fail alloc")
_op("input", "", "ref", "rt", "read a line from stdin, without its newline", effects="io alloc fail")
_op("now", "", "i64", "rt", "nanoseconds, or the next MOCHI_NOW_SEED value", effects="io")
_op("load", "ref ref", "ref", "rt",
    "the rows of data file (path, boxed options map or none) as a list of imm[0]", imm="type",
    effects="io read fail alloc")
_op("save", "ref ref ref", None, "rt",
    "write rows (a boxed list of structs or maps) to path with the boxed options",
    effects="io read fail alloc")
_op("panic", "ref", None, "rt", "stop with runtime error imm-less message operand", effects="fail")
_op("expect", "bool", None, "rt", "stop with 'expect failed' when false", imm="in_test?", effects="fail io")

# ops with no result listed above whose result depends on the callee
CALL_OPS = ("call", "call.closure")
