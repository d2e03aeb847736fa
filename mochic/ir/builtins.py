"""Lowering of built-in function calls to IR operations.

Each built-in picks the opcode for its argument types; generic ones (`len`,
`contains`, `min` ...) dispatch on the static type and fall back to the
dynamic `any` operations when the checker could not know it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mochic.frontend import ast as A
from mochic.frontend.numeric import BIG
from mochic.frontend.types import (
    ANY,
    BIGINT,
    BIGRAT,
    BOOL,
    FLOAT,
    INT,
    STRING,
    GroupT,
    ListT,
    MapT,
    ir_type,
)
from mochic.ir.ir import Reg
from mochic.ir.numeric import PREFIX

if TYPE_CHECKING:
    from mochic.ir.lower import FunctionLowerer

Lowering = Callable[["FunctionLowerer", A.Call, list[A.Expr]], Reg]
_TABLE: dict[str, Lowering] = {}


def builtin(*names: str) -> Callable[[Lowering], Lowering]:
    def register(f: Lowering) -> Lowering:
        for n in names:
            _TABLE[n] = f
        return f
    return register


def lower_builtin(fl: FunctionLowerer, e: A.Call, name: str, args: list[A.Expr]) -> Reg:
    return _TABLE[name](fl, e, args)


def _as_list(fl: FunctionLowerer, x: A.Expr) -> tuple[Reg, ListT]:
    """``x`` as a list register (groups give their items, `any` is unboxed)."""
    t = x.ty
    r = fl.expr(x)
    if isinstance(t, GroupT):
        return fl.b.value("group.items", [r], ListT(t.elem)), ListT(t.elem)
    if isinstance(t, ListT):
        return r, t
    if isinstance(t, MapT):
        return fl.b.value("map.keys", [r], ListT(t.key)), ListT(t.key)
    lt = ListT(ANY)
    return fl.b.value("any.iter", [fl.coerce(r, t, ANY)], lt), lt


@builtin("print")
def _print(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    fl.b.emit("print", [fl.box(a) for a in args])
    return fl.result(None)


@builtin("json")
def _json(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    fl.b.emit("json", [fl.box(args[0])])
    return fl.result(None)


@builtin("panic", "error")
def _panic(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    fl.b.emit("panic", [_str(fl, e, args)])  # the message of any value, as str() writes it
    return fl.result(None)


@builtin("len", "count")
def _len(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    t = args[0].ty
    r = fl.expr(args[0])
    b = fl.b
    if t == STRING:
        return b.value("str.len", [r], INT)
    if isinstance(t, MapT):
        return b.value("map.len", [r], INT)
    if isinstance(t, GroupT):
        r = b.value("group.items", [r], ListT(t.elem))
        t = ListT(t.elem)
    if isinstance(t, ListT):
        return b.value("list.len", [r], INT)
    return b.value("any.len", [fl.coerce(r, t, ANY)], INT)


@builtin("exists")
def _exists(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    n = _len(fl, e, args)
    return fl.b.value("gt.i64", [n, fl.const(INT, 0)], BOOL)


@builtin("append", "push")
def _append(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    et = e.ty.elem if isinstance(e.ty, ListT) else ANY
    if getattr(e, "reuse", False) and args[0].ty == e.ty:
        # `xs = append(xs, v)`: xs's home lets go of the list just before the append
        lst, drop_home = fl.load_home(args[0])
        v = fl.value_of(args[1], et)
        drop_home()
        return fl.b.value(f"list.append.{v.ty}", [lst, v], e.ty, ("reuse",))
    lst, lt = _as_list(fl, args[0])
    lst = fl.coerce(lst, lt, e.ty) if e.ty != lt else lst
    v = fl.value_of(args[1], et)
    return fl.b.value(f"list.append.{v.ty}", [lst, v], e.ty)


@builtin("sha256")
def _sha256(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    return fl.b.value("sha256", [fl.box(args[0])], ListT(INT))


@builtin("str", "string")
def _str(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    t = args[0].ty
    r = fl.expr(args[0])
    if t == STRING:
        return r
    if t in (INT, FLOAT, BOOL):
        return fl.b.value(f"str.from.{ir_type(t)}", [r], STRING)
    return fl.b.value("str.from.any", [fl.coerce(r, t, ANY)], STRING)


@builtin("substring", "substr")
def _substring(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    s, a, z = (fl.value_of(args[0], STRING), fl.value_of(args[1], INT),
               fl.value_of(args[2], INT))
    return fl.b.value("str.substring", [s, a, z], STRING)


@builtin("slice")
def _slice(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    t = e.ty
    kind = "str" if t == STRING else "list"
    obj = fl.value_of(args[0], t if t != ANY else ListT(ANY))
    a, z = fl.value_of(args[1], INT), fl.value_of(args[2], INT)
    return fl.b.value(f"{kind}.slice", [obj, a, z], t if t != ANY else ListT(ANY))


@builtin("parseIntStr")
def _parse_int_str(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    base = fl.value_of(args[1], INT) if len(args) > 1 else fl.const(INT, 10)
    return fl.b.value("str.parse_int", [fl.value_of(args[0], STRING), base], INT)


@builtin("contains")
def _contains(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    return fl.contains(args[0], args[1])


def _unary_str(op: str) -> Lowering:
    def lower(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
        return fl.b.value(op, [fl.value_of(args[0], STRING)], STRING)
    return lower


builtin("lower")(_unary_str("str.lower"))
builtin("upper")(_unary_str("str.upper"))
builtin("trim")(_unary_str("str.trim"))
builtin("chr")(lambda fl, e, args: fl.b.value("str.chr", [fl.value_of(args[0], INT)], STRING))
builtin("ord")(lambda fl, e, args: fl.b.value("str.ord", [fl.value_of(args[0], STRING)], INT))


def _math1(name: str) -> Lowering:
    def lower(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
        return fl.b.value("math.f64", [fl.value_of(args[0], FLOAT)], FLOAT, (name,))
    return lower


for _n in ("sqrt", "exp", "sin", "cos", "log", "floor", "ceil", "round"):
    builtin(_n)(_math1(_n))


@builtin("pow")
def _pow(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    if e.ty == INT:
        a, b = fl.value_of(args[0], INT), fl.value_of(args[1], INT)
        return fl.b.value("pow.i64", [a, b], INT)
    if e.ty == FLOAT:
        a, b = fl.value_of(args[0], FLOAT), fl.value_of(args[1], FLOAT)
        return fl.b.value("math2.f64", [a, b], FLOAT, ("pow",))
    if e.ty == BIGINT:
        a, b = fl.value_of(args[0], BIGINT), fl.value_of(args[1], INT)
        return fl.b.value("big.pow", [a, b], BIGINT)
    return fl.b.value("any.binop", [fl.box(args[0]), fl.box(args[1])], ANY, ("pow",))


@builtin("abs")
def _abs(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    t = args[0].ty
    if t == INT:
        return fl.b.value("abs.i64", [fl.expr(args[0])], INT)
    if t == FLOAT:
        return fl.b.value("math.f64", [fl.expr(args[0])], FLOAT, ("fabs",))
    if t in BIG:
        return fl.b.value(f"{PREFIX[t]}.abs", [fl.expr(args[0])], t)
    return fl.b.value("any.binop", [fl.box(args[0]), fl.coerce(fl.const(INT, 0), INT, ANY)],
                      ANY, ("abs",))


@builtin("int")
def _int(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    t = args[0].ty
    r = fl.expr(args[0])
    b = fl.b
    if t == INT:
        return r
    if t == FLOAT:
        return b.value("f2i", [r], INT)
    if t == STRING:
        return b.value("str.to_int", [r], INT)
    if t in BIG:
        return fl.coerce(r, t, INT)
    return b.value("any.to_int", [fl.coerce(r, t, ANY)], INT)


@builtin("float")
def _float(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    t = args[0].ty
    r = fl.expr(args[0])
    b = fl.b
    if t == FLOAT:
        return r
    if t == INT:
        return b.value("i2f", [r], FLOAT)
    if t == STRING:
        return b.value("str.to_float", [r], FLOAT)
    if t in BIG:
        return fl.coerce(r, t, FLOAT)
    return b.value("any.to_float", [fl.coerce(r, t, ANY)], FLOAT)


@builtin("num", "denom")
def _num_denom(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    """num(x) / denom(x): of the number as a bigrat (an int n is n/1)."""
    r = fl.value_of(args[0], BIGRAT)
    return fl.b.value("rat.num" if e.target[1] == "num" else "rat.denom", [r], BIGINT)


@builtin("bigint")
def _bigint(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    t = args[0].ty
    if t == ANY:
        return fl.b.value("unbox.ref", [fl.expr(args[0])], BIGINT, (BIGINT,))
    return fl.coerce(fl.expr(args[0]), t, BIGINT)


@builtin("bigrat")
def _bigrat(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    """bigrat(x), or bigrat(n, d) for n / d."""
    def rat(x: A.Expr) -> Reg:
        if x.ty == ANY:
            return fl.b.value("unbox.ref", [fl.expr(x)], BIGRAT, (BIGRAT,))
        return fl.coerce(fl.expr(x), x.ty, BIGRAT)
    r = rat(args[0])
    if len(args) == 2:
        r = fl.b.value("rat.div", [r, rat(args[1])], BIGRAT)
    return r


@builtin("concat")
def _concat(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    t = e.ty
    op = "str.concat" if t == STRING else "list.concat"
    acc = fl.value_of(args[0], t)
    for a in args[1:]:
        acc = fl.b.value(op, [acc, fl.value_of(a, t)], t)
    return acc


@builtin("split")
def _split(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    return fl.b.value("str.split", [fl.value_of(args[0], STRING), fl.value_of(args[1], STRING)],
                      ListT(STRING))


@builtin("join")
def _join(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    lst = fl.value_of(args[0], ListT(STRING))
    sep = fl.value_of(args[1], STRING) if len(args) > 1 else fl.const(STRING, "")
    return fl.b.value("str.join", [lst, sep], STRING)


@builtin("indexOf")
def _index_of(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    t = args[0].ty
    if isinstance(t, ListT):
        v = fl.value_of(args[1], t.elem)
        return fl.b.value(f"list.index_of.{v.ty}", [fl.expr(args[0]), v], INT)
    return fl.b.value("str.index_of", [fl.value_of(args[0], STRING),
                                       fl.value_of(args[1], STRING)], INT)


@builtin("min", "max")
def _min_max(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    name = e.target[1]
    b = fl.b
    if len(args) == 2:
        t = e.ty
        x, y = fl.value_of(args[0], t), fl.value_of(args[1], t)
        if t in (INT, FLOAT):
            cmp = "lt" if name == "min" else "gt"
            res = b.reg(t)
            take_y = b.value(f"{cmp}.{ir_type(t)}", [y, x], BOOL)
            yes, no, done = b.new_block("pick"), b.new_block("keep"), b.new_block("endpick")
            b.branch(take_y, yes, no)
            for blk, v in ((yes, y), (no, x)):
                b.start(blk)
                b.emit(f"mov.{res.ty}", [v], dst=res)
                b.jump(done)
            b.start(done)
            return res
        lst = b.value("list.new", [], ListT(ANY), (ANY,))
        for v in (x, y):
            b.emit("list.push.ref", [lst, fl.coerce(v, t, ANY)])
        return b.value(f"list.{name}", [lst], ANY)
    lst, lt = _as_list(fl, args[0])
    return fl.coerce(b.value(f"list.{name}", [lst], ANY), ANY, e.ty)


@builtin("input")
def _input(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    return fl.b.value("input", [], STRING)


@builtin("now")
def _now(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    return fl.b.value("now", [], INT)


@builtin("repeat")
def _repeat(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    return fl.b.value("str.repeat", [fl.value_of(args[0], STRING), fl.value_of(args[1], INT)],
                      STRING)


@builtin("keys", "values")
def _keys(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    t = args[0].ty
    m = fl.expr(args[0])
    op = "map.keys" if e.target[1] == "keys" else "map.values"
    if not isinstance(t, MapT):
        m = fl.b.value("unbox.ref", [fl.coerce(m, t, ANY)], MapT(ANY, ANY), (MapT(ANY, ANY),))
    return fl.b.value(op, [m], e.ty)


@builtin("get")
def _get(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    """`m.get(k)` / `m.get(k, default)`: the entry, or the default when k is absent."""
    t = args[0].ty
    b = fl.b
    if not isinstance(t, MapT):
        m = fl.box(args[0])
        return fl.coerce(b.value("any.index", [m, fl.box(args[1])], ANY), ANY, e.ty)
    m = fl.expr(args[0])
    k = fl.value_of(args[1], t.key)
    res = b.reg(e.ty)
    found, missing, done = b.new_block("found"), b.new_block("missing"), b.new_block("endget")
    b.branch(b.value(f"map.has.{k.ty}", [m, k], BOOL), found, missing)
    b.start(found)
    v = b.value(f"map.get.{k.ty}.{ir_type(t.value)}", [m, k], t.value, (None,))
    b.emit(f"mov.{res.ty}", [fl.coerce(v, t.value, e.ty)], dst=res)
    b.jump(done)
    b.start(missing)
    dflt = fl.value_of(args[2], e.ty) if len(args) > 2 else fl.zero(e.ty)
    b.emit(f"mov.{res.ty}", [dflt], dst=res)
    b.jump(done)
    b.start(done)
    return res


@builtin("reverse")
def _reverse(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    t = args[0].ty
    if t == STRING:
        return fl.b.value("str.reverse", [fl.expr(args[0])], STRING)
    lst, lt = _as_list(fl, args[0])
    return fl.coerce(fl.b.value("list.reverse", [lst], lt), lt, e.ty)


@builtin("distinct")
def _distinct(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    lst, lt = _as_list(fl, args[0])
    return fl.b.value("list.distinct", [lst], lt)


@builtin("sum")
def _sum(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    lst, lt = _as_list(fl, args[0])
    if lt.elem in (INT, FLOAT):
        return fl.b.value(f"list.sum.{ir_type(lt.elem)}", [lst], lt.elem)
    if lt.elem in BIG:  # boxed adds, which keep the big type
        return fl.coerce(fl.b.value("list.sum.any", [fl.coerce(lst, lt, ListT(ANY))], ANY), ANY,
                         lt.elem)
    return fl.coerce(fl.b.value("list.sum.any", [fl.coerce(lst, lt, ListT(ANY))], ANY), ANY,
                     e.ty)


@builtin("avg")
def _avg(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    lst, lt = _as_list(fl, args[0])
    return fl.b.value("list.avg", [lst], FLOAT)


@builtin("range")
def _range(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    vals = [fl.value_of(a, INT) for a in args]
    if len(vals) == 1:
        vals = [fl.const(INT, 0), vals[0]]
    if len(vals) == 2:
        vals.append(fl.const(INT, 1))
    return fl.b.value("list.range", vals, ListT(INT))


@builtin("first", "last")
def _first(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    lst, lt = _as_list(fl, args[0])
    i = fl.const(INT, 0 if e.target[1] == "first" else -1)
    v = fl.b.value(f"list.get.{ir_type(lt.elem)}", [lst, i], lt.elem)
    return fl.coerce(v, lt.elem, e.ty)


@builtin("padStart")
def _pad_start(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    s = fl.b.value("str.from.any", [fl.box(args[0])], STRING) if args[0].ty != STRING else \
        fl.expr(args[0])
    return fl.b.value("str.pad_start", [s, fl.value_of(args[1], INT),
                                        fl.value_of(args[2], STRING)], STRING)


@builtin("starts_with", "ends_with")
def _affix(fl: FunctionLowerer, e: A.Call, args: list[A.Expr]) -> Reg:
    op = "str.starts_with" if e.target[1] == "starts_with" else "str.ends_with"
    return fl.b.value(op, [fl.value_of(args[0], STRING), fl.value_of(args[1], STRING)], BOOL)
