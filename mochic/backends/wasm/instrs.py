"""The WebAssembly code of each IR operation: the lowering table, keyed by op.

Every op of `ir/ops.py` has an entry in ``LOWER`` (a unit test checks it).
Arithmetic, comparisons, conversions, globals (Wasm globals), struct fields,
cells, closure captures and calls are inline code; the heap operations are
calls of the runtime function named after the op (`a.b.T` is `mochi_a_b_T`,
taking the Mochi line, the operands and the values of the immediates), as in
the C backend (backends/c/instrs.py), whose effects these mirror one for one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mochic.backends.wasm.function import SLOT_LOAD, SLOT_STORE, GlobalPlace, MemPlace
from mochic.backends.wasm.opcodes import IR_VALTYPE
from mochic.ir import ir
from mochic.ir.ops import OPS
from mochic.runtime.layout import MK_KINDS, MT_KINDS, WASM32
from mochic.stack import CALL_DEPTH

if TYPE_CHECKING:
    from mochic.backends.wasm.function import Emit, FunctionEncoder

Handler = Callable[["FunctionEncoder", ir.Instr], None]
LOWER: dict[str, Handler] = {}


def lowers(*ops: str) -> Callable[[Handler], Handler]:
    def register(f: Handler) -> Handler:
        for op in ops:
            if op not in OPS:
                raise KeyError(f"no op {op}")
            LOWER[op] = f
        return f
    return register


def _typed(family: str, types: tuple[str, ...] = ir.IR_TYPES) -> list[str]:
    return [f"{family}.{t}" for t in types]


# ---------------------------------------------------------------- constants and moves

@lowers("const.i64")
def _const_i64(e: FunctionEncoder, ins: ir.Instr) -> None:
    e.set_scalar(ins.dst, lambda: e.code.op("i64.const", _wrap(int(ins.imm[0]))))


@lowers("const.f64")
def _const_f64(e: FunctionEncoder, ins: ir.Instr) -> None:
    e.set_scalar(ins.dst, lambda: e.code.op("f64.const", float(ins.imm[0])))


@lowers("const.bool")
def _const_bool(e: FunctionEncoder, ins: ir.Instr) -> None:
    e.set_scalar(ins.dst, lambda: e.code.op("i32.const", 1 if ins.imm[0] else 0))


@lowers("const.str", "const.none")
def _const_ref(e: FunctionEncoder, ins: ir.Instr) -> None:
    v = ins.imm[0] if ins.imm else None

    def value() -> None:
        if v is None:
            e.code.op("i32.const", 0)
        else:
            e.code.address(e.mod.data_symbol(e.mod.statics.string(v).symbol))
    d = ins.dst
    if d is not None and d.id in e.facts.immortal:
        value()  # string constants are immortal: no counting
        e.put(d)
    else:
        e.set_new(d, value)


@lowers(*_typed("mov", ("i64", "f64", "bool")))
def _mov(e: FunctionEncoder, ins: ir.Instr) -> None:
    if ins.dst is not ins.args[0]:
        e.set_scalar(ins.dst, lambda: e.get(ins.args[0]))


@lowers("mov.ref")
def _mov_ref(e: FunctionEncoder, ins: ir.Instr) -> None:
    d, s = ins.dst, ins.args[0]
    assert d is not None
    if d is s:
        return
    if e.movable(s):
        if not e.facts.fresh(d):
            e.release_local(e.loc(d))
        e.get(s)
        e.put(d)
        e.clear(s)
    elif e.facts.fresh(d):
        e.get(s)
        e.put(d)
        e.retain_local(e.loc(d))
    else:
        e.retain_local(e.loc(s))
        e.release_local(e.loc(d))
        e.get(s)
        e.put(d)


# ---------------------------------------------------------------- arithmetic

_INT = {"add": "i64.add", "sub": "i64.sub", "mul": "i64.mul", "and": "i64.and",
        "or": "i64.or", "xor": "i64.xor", "shl": "i64.shl", "shr": "i64.shr_s"}
_CMP = ("eq", "ne", "lt", "le", "gt", "ge")
# two-operand operations that are one Wasm instruction (shifts count modulo 64, as
# the IR defines; ints wrap)
_BINARY = {
    **{f"{n}.i64": op for n, op in _INT.items()},
    **{f"{n}.f64": f"f64.{n}" for n in ("add", "sub", "mul", "div")},
    **{f"{c}.i64": f"i64.{c}" + ("_s" if c not in ("eq", "ne") else "") for c in _CMP},
    **{f"{c}.f64": f"f64.{c}" for c in _CMP},
    "eq.bool": "i32.eq",
    "ne.bool": "i32.ne",
}


def _binary(e: FunctionEncoder, ins: ir.Instr) -> None:
    def value() -> None:
        e.get(ins.args[0])
        e.get(ins.args[1])
        e.code.op(_BINARY[ins.op])
    e.set_scalar(ins.dst, value)


for _op in _BINARY:
    LOWER[_op] = _binary


@lowers("div.i64", "rem.i64")
def _div(e: FunctionEncoder, ins: ir.Instr) -> None:
    a, b = ins.args
    name = ins.op.split(".")[0]
    c = e.code

    def value() -> None:
        # b == -1: INT64_MIN / -1 wraps (Wasm would trap); b == 0: the runtime reports it
        e.get(b)
        c.op("i64.const", -1)
        c.op("i64.eq")
        c.op("if", "i64")
        if name == "div":
            c.op("i64.const", 0)
            e.get(a)
            c.op("i64.sub")
        else:
            c.op("i64.const", 0)
        c.op("else")
        e.get(b)
        c.op("i64.eqz")
        c.op("if", "i64")
        c.op("i32.const", ins.line)
        e.get(a)
        e.get(b)
        e.call_runtime(f"mochi_{name}_i64", ("i32", "i64", "i64"), ("i64",))
        c.op("else")
        e.get(a)
        e.get(b)
        c.op(f"i64.{name}_s")
        c.op("end")
        c.op("end")
    e.set_scalar(ins.dst, value)


@lowers("neg.i64")
def _neg_i64(e: FunctionEncoder, ins: ir.Instr) -> None:
    def value() -> None:
        e.code.op("i64.const", 0)
        e.get(ins.args[0])
        e.code.op("i64.sub")
    e.set_scalar(ins.dst, value)


@lowers("inc.i64")
def _inc_i64(e: FunctionEncoder, ins: ir.Instr) -> None:
    def value() -> None:
        e.get(ins.args[0])
        e.code.op("i64.const", 1)
        e.code.op("i64.add")
    e.set_scalar(ins.dst, value)


@lowers("abs.i64")
def _abs_i64(e: FunctionEncoder, ins: ir.Instr) -> None:
    a = ins.args[0]

    def value() -> None:
        e.code.op("i64.const", 0)
        e.get(a)
        e.code.op("i64.sub")
        e.get(a)
        e.get(a)
        e.code.op("i64.const", 0)
        e.code.op("i64.lt_s")
        e.code.op("select")
    e.set_scalar(ins.dst, value)


@lowers("rem.f64")
def _rem_f64(e: FunctionEncoder, ins: ir.Instr) -> None:
    _libm(e, ins, "fmod")


@lowers("neg.f64", "not.bool", "i2f", "is.none")
def _unary(e: FunctionEncoder, ins: ir.Instr) -> None:
    op = {"neg.f64": "f64.neg", "not.bool": "i32.eqz", "i2f": "f64.convert_i64_s",
          "is.none": "i32.eqz"}[ins.op]

    def value() -> None:
        e.get(ins.args[0])
        e.code.op(op)
    e.set_scalar(ins.dst, value)


@lowers("f2i")
def _f2i(e: FunctionEncoder, ins: ir.Instr) -> None:
    a = ins.args[0]
    c = e.code

    def value() -> None:
        # in range: the truncation; NaN, infinities and overflow: the runtime's value
        e.get(a)
        c.op("f64.const", -9223372036854775808.0)
        c.op("f64.ge")
        e.get(a)
        c.op("f64.const", 9223372036854775808.0)
        c.op("f64.lt")
        c.op("i32.and")
        c.op("if", "i64")
        e.get(a)
        c.op("i64.trunc_f64_s")
        c.op("else")
        e.get(a)
        e.call_runtime("mochi_f2i", ("f64",), ("i64",))
        c.op("end")
    e.set_scalar(ins.dst, value)


# The C library's math functions, as the C backend calls them (exp and round are
# the runtime's own: backends/c/instrs.py says why); the exact ones are instructions.
_MATH_INSTR = {"sqrt": "f64.sqrt", "floor": "f64.floor", "ceil": "f64.ceil",
               "fabs": "f64.abs", "trunc": "f64.trunc"}
LIBM1 = {"sin": "sin", "cos": "cos", "tan": "tan", "asin": "asin", "acos": "acos",
         "atan": "atan", "exp": "mochi_exp", "log": "log", "log2": "log2", "log10": "log10",
         "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "round": "mochi_round"}
LIBM2 = {"pow": "pow", "atan2": "atan2", "fmod": "fmod", "hypot": "hypot"}


def _libm(e: FunctionEncoder, ins: ir.Instr, fname: str) -> None:
    def value() -> None:
        for a in ins.args:
            e.get(a)
        e.call_runtime(fname, tuple("f64" for _ in ins.args), ("f64",))
    e.set_scalar(ins.dst, value)


@lowers("math.f64", "math2.f64")
def _math(e: FunctionEncoder, ins: ir.Instr) -> None:
    name = ins.imm[0]
    if ins.op == "math.f64" and name in _MATH_INSTR:
        def value() -> None:
            e.get(ins.args[0])
            e.code.op(_MATH_INSTR[name])
        e.set_scalar(ins.dst, value)
        return
    known = LIBM1 if ins.op == "math.f64" else LIBM2
    if name in known:
        _libm(e, ins, known[name])
        return
    fallback = "mochi_math_f64" if ins.op == "math.f64" else "mochi_math2_f64"

    def by_name() -> None:
        e.code.address(e.mod.data_symbol(e.mod.statics.cstring(name).symbol))
        for a in ins.args:
            e.get(a)
        e.call_runtime(fallback, ("i32", *("f64" for _ in ins.args)), ("f64",))
    e.set_scalar(ins.dst, by_name)


# ---------------------------------------------------------------- globals

@lowers(*_typed("global.get"))
def _global_get(e: FunctionEncoder, ins: ir.Instr) -> None:
    d = ins.dst
    p = GlobalPlace(e.mod.global_symbol(ins.imm[0]), ins.op.split(".")[-1])
    if d is not None and d.ty == "ref":
        e.set_borrowed(d, lambda: e.load(p))
    elif d is not None:
        e.set_scalar(d, lambda: e.load(p))


@lowers(*_typed("global.set"))
def _global_set(e: FunctionEncoder, ins: ir.Instr) -> None:
    v = ins.args[0]
    e.store(GlobalPlace(e.mod.global_symbol(ins.imm[0]), v.ty), v)


# ---------------------------------------------------------------- structs

_FIELDS = WASM32.slots("MStruct")


def _field(e: FunctionEncoder, ins: ir.Instr, obj: ir.Reg, ty: str) -> MemPlace:
    return MemPlace(e.loc(obj), _FIELDS + 8 * int(ins.imm[1]), ty)


def _nil_check(e: FunctionEncoder, ins: ir.Instr, obj: ir.Reg) -> None:
    info = e.mod.module.structs[ins.imm[0]]
    field = list(info.fields)[int(ins.imm[1])]
    c = e.code
    e.get(obj)
    c.op("i32.eqz")
    c.op("if", "")
    c.op("i32.const", ins.line)
    c.address(e.mod.data_symbol(e.mod.statics.cstring(field).symbol))
    e.call_runtime("mochi_nil_field", ("i32", "i32"), ())
    c.op("unreachable")
    c.op("end")


@lowers("struct.new")
def _struct_new(e: FunctionEncoder, ins: ir.Instr) -> None:
    name = ins.imm[0]
    d = ins.dst
    if not ins.args:
        # a struct without fields has no state: one static immortal object per type
        def singleton() -> None:
            e.code.address(e.mod.data_symbol(e.mod.statics.singleton(name).symbol))
        if d is not None and d.id in e.facts.immortal:
            singleton()
            e.put(d)
        else:
            e.set_new(d, singleton)
        return

    def value() -> None:
        e.code.op("i32.const", ins.line)
        e.code.address(e.mod.data_symbol(e.mod.statics.desc(name).symbol))
        e.call_runtime("mochi_struct_new", ("i32", "i32"), ("i32",))

    def fields(t: int) -> None:
        for i, a in enumerate(ins.args):
            e.store(MemPlace(t, _FIELDS + 8 * i, a.ty), a, old=False)
    e.set_new(d, value, ins.args, fields)


@lowers(*_typed("struct.get"))
def _struct_get(e: FunctionEncoder, ins: ir.Instr) -> None:
    o = ins.args[0]
    d = ins.dst
    ty = ins.op.split(".")[-1]
    _nil_check(e, ins, o)
    place = _field(e, ins, o, ty)
    if d is not None and d.ty == "ref":
        e.set_borrowed(d, lambda: e.load(place))
    elif d is not None:
        e.set_scalar(d, lambda: e.load(place))


@lowers(*_typed("struct.set"))
def _struct_set(e: FunctionEncoder, ins: ir.Instr) -> None:
    o, v = ins.args
    _nil_check(e, ins, o)
    e.store(_field(e, ins, o, v.ty), v)


@lowers("struct.is")
def _struct_is(e: FunctionEncoder, ins: ir.Instr) -> None:
    desc = e.mod.statics.desc(ins.imm[0]).symbol
    e.set_scalar(ins.dst, e.rt("mochi_struct_is", ins,
                               [("i32", lambda: e.code.address(e.mod.data_symbol(desc)))],
                               "bool"))


# ---------------------------------------------------------------- cells and closures

_CELL = WASM32.offset("MCell", "v")
_CAPS = WASM32.slots("MClosure")
_FN = WASM32.offset("MClosure", "fn")


@lowers(*_typed("cell.new"))
def _cell_new(e: FunctionEncoder, ins: ir.Instr) -> None:
    v = ins.args[0]

    def value() -> None:
        e.code.op("i32.const", ins.line)
        e.code.address(e.mod.mtype(v.mty))
        e.call_runtime("mochi_cell_new", ("i32", "i32"), ("i32",))
    e.set_new(ins.dst, value, ins.args, lambda t: e.store(MemPlace(t, _CELL, v.ty), v, old=False))


@lowers(*_typed("cell.get"))
def _cell_get(e: FunctionEncoder, ins: ir.Instr) -> None:
    d = ins.dst
    assert d is not None
    p = MemPlace(e.loc(ins.args[0]), _CELL, d.ty)
    if d.ty == "ref":
        e.set_borrowed(d, lambda: e.load(p))
    else:
        e.set_scalar(d, lambda: e.load(p))


@lowers(*_typed("cell.set"))
def _cell_set(e: FunctionEncoder, ins: ir.Instr) -> None:
    c, v = ins.args
    e.store(MemPlace(e.loc(c), _CELL, v.ty), v)


@lowers("closure.new")
def _closure_new(e: FunctionEncoder, ins: ir.Instr) -> None:
    n = len(ins.args)

    def value() -> None:
        c = e.code
        c.op("i32.const", ins.line)
        c.table_index(e.mod.function_symbol(ins.imm[0]))
        c.op("i32.const", n)
        if n:
            c.address(e.mod.data_symbol(
                e.mod.statics.capture_types([a.mty for a in ins.args]).symbol))
        else:
            c.op("i32.const", 0)
        e.call_runtime("mochi_closure_new", ("i32", "i32", "i32", "i32"), ("i32",))

    def captures(t: int) -> None:
        for i, a in enumerate(ins.args):
            e.store(MemPlace(t, _CAPS + 8 * i, a.ty), a, old=False)
    e.set_new(ins.dst, value, ins.args, captures if n else None)


@lowers(*_typed("closure.get"))
def _closure_get(e: FunctionEncoder, ins: ir.Instr) -> None:
    d = ins.dst
    assert d is not None
    p = MemPlace(e.loc(ins.args[0]), _CAPS + 8 * int(ins.imm[0]), d.ty)
    if d.ty == "ref":
        e.set_borrowed(d, lambda: e.load(p))
    else:
        e.set_scalar(d, lambda: e.load(p))


# ---------------------------------------------------------------- calls

def _nested(e: FunctionEncoder, ins: ir.Instr, call: Emit) -> Emit:
    """A call of Mochi code, counted: every Mochi function takes the depth of Mochi
    calls it runs at as its first parameter, and a call deeper than CALL_DEPTH is the
    runtime error 'stack overflow' at the calling line, as on every tier, never a
    trap of the engine.  (A parameter, not a global: it stays in a register.)"""
    def emit() -> None:
        c = e.code
        c.op("local.get", 0)
        c.op("i32.const", CALL_DEPTH)
        c.op("i32.ge_u")
        c.op("if", "")
        c.op("i32.const", ins.line)
        e.call_runtime("mochi_stack_overflow", ("i32",), ())
        c.op("unreachable")
        c.op("end")
        call()
    return emit


def _depth(e: FunctionEncoder) -> None:
    """The callee's depth: one more than this call's."""
    e.code.op("local.get", 0)
    e.code.op("i32.const", 1)
    e.code.op("i32.add")


def _call_result(e: FunctionEncoder, ins: ir.Instr, call: Emit, result: str | None) -> None:
    d = ins.dst
    if d is None:
        call()
        if result == "ref":
            e.call_runtime("mochi_release", ("i32",), ())
        elif result is not None:
            e.code.op("drop")
    elif d.ty == "ref":
        e.set_new(d, call, ins.args)
    else:
        e.set_scalar(d, call)


@lowers("call")
def _call(e: FunctionEncoder, ins: ir.Instr) -> None:
    fn = e.mod.module.functions[ins.imm[0]]

    def call() -> None:
        _depth(e)
        for a in ins.args:
            e.get(a)
        e.code.call(e.mod.function_symbol(fn.name))
    _call_result(e, ins, _nested(e, ins, call), fn.result)


@lowers("call.closure")
def _call_closure(e: FunctionEncoder, ins: ir.Instr) -> None:
    clo = ins.args[0]
    c = e.code
    # a closure body without a result returns none (see ir.Function.result)
    result = ins.dst.ty if ins.dst is not None else "ref"
    ftype = (("i32", *(IR_VALTYPE[a.ty] for a in ins.args)), (IR_VALTYPE[result],))
    e.get(clo)
    c.op("i32.eqz")
    c.op("if", "i32")
    c.op("i32.const", 1)
    c.op("else")
    e.get(clo)
    c.mem("i32.load16_u", 4)  # MHeader.kind
    c.op("i32.const", MK_KINDS["MK_CLOSURE"])
    c.op("i32.ne")
    c.op("end")
    c.op("if", "")
    c.op("i32.const", ins.line)
    e.get(clo)
    e.call_runtime("mochi_not_callable", ("i32", "i32"), ())
    c.op("unreachable")
    c.op("end")

    def call() -> None:
        _depth(e)
        for a in ins.args:
            e.get(a)
        e.get(clo)
        c.mem("i32.load", _FN)
        c.call_indirect(e.mod.obj.type_index(ftype), e.mod.table_symbol())
    _call_result(e, ins, _nested(e, ins, call), result)


# ---------------------------------------------------------------- runtime calls

def runtime_call(e: FunctionEncoder, ins: ir.Instr, name: str | None = None,
                 extra: list[tuple[str, Emit]] | None = None) -> None:
    """The runtime function named after the op, of the operands (and ``extra``); its
    ref result is a new reference."""
    spec = OPS[ins.op]
    fname = name or "mochi_" + ins.op.replace(".", "_")
    result = spec.result if spec.result is not None else None
    call = e.rt(fname, ins, extra, result)
    if result == "ref":
        e.set_new(ins.dst, call, ins.args)
    elif result is None:
        call()
    else:
        e.set_scalar(ins.dst, call)


def _mtype(e: FunctionEncoder, t: object) -> tuple[str, Emit]:
    return "i32", lambda: e.code.address(e.mod.mtype(t))


def _cstring(e: FunctionEncoder, text: str) -> tuple[str, Emit]:
    return "i32", lambda: e.code.address(e.mod.data_symbol(e.mod.statics.cstring(text).symbol))


@lowers("list.new")
def _list_new(e: FunctionEncoder, ins: ir.Instr) -> None:
    runtime_call(e, ins, extra=[_mtype(e, ins.imm[0])])


@lowers("map.new", "conv", "group.by")
def _two_types(e: FunctionEncoder, ins: ir.Instr) -> None:
    runtime_call(e, ins, extra=[_mtype(e, ins.imm[0]), _mtype(e, ins.imm[1])])


@lowers(*_typed("box"), *_typed("unbox"))
def _box(e: FunctionEncoder, ins: ir.Instr) -> None:
    runtime_call(e, ins, extra=[_mtype(e, ins.imm[0])])


@lowers("any.binop", "any.field")
def _any_named(e: FunctionEncoder, ins: ir.Instr) -> None:
    runtime_call(e, ins, extra=[_cstring(e, str(ins.imm[0]))])


@lowers(*[f"map.get.{k}.{v}" for k in ir.IR_TYPES for v in ir.IR_TYPES])
def _map_get(e: FunctionEncoder, ins: ir.Instr) -> None:
    d = ins.dst
    assert d is not None
    zero = ins.imm[0] if ins.imm else None
    c = e.code

    def push_zero() -> None:
        if d.ty == "ref":
            if zero is None:
                c.op("i32.const", 0)
            else:
                c.address(e.mod.data_symbol(e.mod.statics.string(zero).symbol))
        elif d.ty == "i64":
            c.op("i64.const", _wrap(int(zero or 0)))
        elif d.ty == "f64":
            c.op("f64.const", float(zero or 0))
        else:
            c.op("i32.const", 1 if zero else 0)
    runtime_call(e, ins, extra=[(IR_VALTYPE[d.ty], push_zero)])


@lowers(*_typed("list.append"))
def _list_append(e: FunctionEncoder, ins: ir.Instr) -> None:
    reuse = bool(ins.imm and ins.imm[0] == "reuse")
    flag: tuple[str, Emit] = ("i32", lambda: e.code.op("i32.const", 1 if reuse else 0))
    call = e.rt("mochi_" + ins.op.replace(".", "_"), ins, [flag], "ref")
    if not reuse:
        e.set_new(ins.dst, call, ins.args)
    else:
        _reusing(e, ins, call)


@lowers("str.concat")
def _str_concat(e: FunctionEncoder, ins: ir.Instr) -> None:
    if not (ins.imm and ins.imm[0] == "reuse"):
        runtime_call(e, ins)
    else:
        _reusing(e, ins, e.rt("mochi_str_append", ins, None, "ref"))


def _reusing(e: FunctionEncoder, ins: ir.Instr, call: Emit) -> None:
    """A runtime call that may extend its first operand in place and return it: the
    operand's old value dies here, so its reference is dropped once the runtime is
    done (a borrowed one, loaded from its home just before, has none)."""
    a = ins.args[0]
    after = None
    if a.id not in e.facts.borrowed and e.facts.owned(a):
        def drop(_t: int) -> None:
            e.release_local(e.loc(a))
            e.clear(a)
        after = drop
        e.moved.add(a.id)
    e.set_new(ins.dst, call, ins.args, after)


@lowers("print")
def _print(e: FunctionEncoder, ins: ir.Instr) -> None:
    c = e.code
    n = len(ins.args)
    scratch = e.mod.print_buffer(n)
    for i, a in enumerate(ins.args):
        c.address(scratch)
        e.get(a)
        c.mem("i32.store", 4 * i)
    c.op("i32.const", ins.line)
    c.op("i32.const", n)
    if n:
        c.address(scratch)
    else:
        c.op("i32.const", 0)
    e.call_runtime("mochi_print", ("i32", "i32", "i32"), ())


@lowers("expect")
def _expect(e: FunctionEncoder, ins: ir.Instr) -> None:
    in_test = bool(ins.imm and ins.imm[0])
    runtime_call(e, ins, extra=[("i32", lambda: e.code.op("i32.const", 1 if in_test else 0))])


# ---------------------------------------------------------------- list elements inline

_LIST_LEN = WASM32.offset("MList", "len")
_LIST_ELEM = WASM32.offset("MList", "elem")
_LIST_ITEMS = WASM32.offset("MList", "items")
_ELEM_KIND = {"i64": MT_KINDS["MT_INT"], "f64": MT_KINDS["MT_FLOAT"], "bool": MT_KINDS["MT_BOOL"]}


def _in_place(e: FunctionEncoder, lst: ir.Reg, idx: ir.Reg, ty: str) -> None:
    """mochi.h's fast-path test of a list element: branch out of the enclosing block
    unless the list is there, the index in range and the storage ``ty``'s (a list's
    storage may change kind, so the runtime decides every other case); then leave
    the element's address."""
    c = e.code
    e.get(lst)
    c.op("i32.eqz")
    c.op("br_if", 0)
    e.get(idx)
    e.get(lst)
    c.mem("i64.load", _LIST_LEN)
    c.op("i64.ge_u")
    c.op("br_if", 0)
    e.get(lst)
    c.mem("i32.load", _LIST_ELEM)
    c.mem("i32.load", WASM32.offset("MType", "kind"))
    if ty == "ref":
        c.op("i32.const", MT_KINDS["MT_BOOL"])
        c.op("i32.le_s")
    else:
        c.op("i32.const", _ELEM_KIND[ty])
        c.op("i32.ne")
    c.op("br_if", 0)
    e.get(lst)
    c.mem("i32.load", _LIST_ITEMS)
    e.get(idx)
    c.op("i32.wrap_i64")
    c.op("i32.const", 3)
    c.op("i32.shl")
    c.op("i32.add")


@lowers(*_typed("list.get"))
def _list_get(e: FunctionEncoder, ins: ir.Instr) -> None:
    d = ins.dst
    ty = ins.op.split(".")[-1]
    lst, idx = ins.args
    c = e.code
    if d is not None and d.id in e.facts.borrowed:
        # a peek: the element without a reference of its own (ir/refcount.py)
        e.set_scalar(d, e.mod.peek(e, ins))
        return
    slow = e.rt("mochi_" + ins.op.replace(".", "_"), ins, None, ty)

    def value() -> None:
        c.op("block", IR_VALTYPE[ty])
        c.op("block", "")
        _in_place(e, lst, idx, ty)
        c.mem(SLOT_LOAD[ty], 0)
        if ty == "ref":  # a new reference, as the runtime's
            elem = e.temp("elem")
            c.op("local.set", elem)
            e.retain_local(elem)
            c.op("local.get", elem)
        c.op("br", 1)
        c.op("end")
        slow()
        c.op("end")
    if ty == "ref":
        e.set_new(d, value, ins.args)
    else:
        e.set_scalar(d, value)


@lowers(*_typed("list.set", ("i64", "f64", "bool")))
def _list_set(e: FunctionEncoder, ins: ir.Instr) -> None:
    lst, idx, v = ins.args
    c = e.code
    c.op("block", "")
    c.op("block", "")
    _in_place(e, lst, idx, v.ty)
    e.get(v)
    c.mem(SLOT_STORE[v.ty], 0)
    c.op("br", 1)
    c.op("end")
    e.rt("mochi_" + ins.op.replace(".", "_"), ins)()
    c.op("end")


def _wrap(v: int) -> int:
    """An int constant as the signed 64-bit value it is."""
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >= 1 << 63 else v


# every other op is a runtime call named after it
for _name, _spec in OPS.items():
    if _name not in LOWER:
        if _spec.kind != "rt":
            raise AssertionError(f"no Wasm lowering of {_name}")
        LOWER[_name] = runtime_call
