"""The C of each IR instruction: `HANDLERS`, one handler per opcode.

A handler returns one line of C for an instruction, using the register and
reference-counting helpers of ``function.FunctionEmitter`` (`set_new` for a
new reference, `set_borrowed` for a read that must be retained, `store` for a
write into the heap that keeps a reference).  Int and float arithmetic,
comparisons, globals, struct fields, cells and captures are inline C; the
other opcodes call the runtime function named after them (`runtime`).
Handlers are written per opcode or per family (`list.get` for every element
type); the table at the end gives each opcode of `ops.OPS` its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mochic.backends.c.names import (
    C_TYPES,
    CALLS_LEFT,
    PEEK,
    RELEASE,
    RETAIN,
    SLOT,
    STACK_LIMIT,
    c_bool,
    c_double,
    c_int,
    c_string,
    c_type,
)
from mochic.ir import ir
from mochic.ir.ops import OPS

if TYPE_CHECKING:
    from mochic.backends.c.function import FunctionEmitter

# The C library's math functions give the reference interpreter's results (which
# follow Go's math package: signed zeros, -Inf for log(0), NaN for a domain error);
# exp is the runtime's, as some targets' C library rounds it wrongly (mochi_math.c).
_LIBM1 = {"sqrt": "sqrt", "sin": "sin", "cos": "cos", "tan": "tan", "asin": "asin",
          "acos": "acos", "atan": "atan", "exp": "mochi_exp", "log": "log", "log2": "log2",
          "log10": "log10", "floor": "floor", "ceil": "ceil", "fabs": "fabs", "trunc": "trunc",
          "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "round": "mochi_round"}
_LIBM2 = {"pow": "pow", "atan2": "atan2", "fmod": "fmod", "hypot": "hypot"}

_BIT_BINOPS = {"and": "&", "or": "|", "xor": "^"}
_CMPS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def family(op: str) -> str:
    parts = op.split(".")
    while parts and parts[-1] in ir.IR_TYPES:
        parts.pop()
    return ".".join(parts)


Handler = Callable[["FunctionEmitter", ir.Instr], str]
HANDLERS: dict[str, Handler] = {}


def handles(*ops: str) -> Callable[[Handler], Handler]:
    def register(f: Handler) -> Handler:
        for op in ops:
            HANDLERS[op] = f
        return f
    return register


# ---------------------------------------------------------------- constants and moves

@handles("const.i64")
def _const_i64(e: FunctionEmitter, ins: ir.Instr) -> str:
    return e.set_scalar(ins.dst, c_int(ins.imm[0]))


@handles("const.f64")
def _const_f64(e: FunctionEmitter, ins: ir.Instr) -> str:
    return e.set_scalar(ins.dst, c_double(ins.imm[0]))


@handles("const.bool")
def _const_bool(e: FunctionEmitter, ins: ir.Instr) -> str:
    return e.set_scalar(ins.dst, c_bool(ins.imm[0]))


@handles("const.str", "const.none")
def _const_ref(e: FunctionEmitter, ins: ir.Instr) -> str:
    v = ins.imm[0] if ins.imm else None
    value = "NULL" if v is None else e.mod.string(v)
    if ins.dst is not None and ins.dst.id in e.facts.immortal:
        return f"{e.r(ins.dst)} = {value};"  # string constants are immortal: no counting
    return e.set_new(ins.dst, value)


@handles("mov.i64", "mov.f64", "mov.bool")
def _mov(e: FunctionEmitter, ins: ir.Instr) -> str:
    assert ins.dst is not None
    if ins.dst is ins.args[0]:
        return ";"
    return e.set_scalar(ins.dst, e.r(ins.args[0]))


@handles("mov.ref")
def _mov_ref(e: FunctionEmitter, ins: ir.Instr) -> str:
    d, s = ins.dst, ins.args[0]
    assert d is not None
    if d is s:
        return ";"
    rd, rs = e.r(d), e.r(s)
    if e.movable(s):
        if e.facts.fresh(d):
            return f"{rd} = {rs}; {rs} = NULL;"
        return f"{RELEASE}({rd}); {rd} = {rs}; {rs} = NULL;"
    if e.facts.fresh(d):
        return f"{rd} = {rs}; {RETAIN}({rd});"
    return f"{RETAIN}({rs}); {RELEASE}({rd}); {rd} = {rs};"


# ---------------------------------------------------------------- arithmetic

# Two-operand operations as C expressions of {a} and {b} ({line}: the Mochi
# line): int + - * are mochi.h's checked forms ('integer overflow'), shifts
# take the count modulo 64 and wrap, floats are IEEE.
_BINARY = {
    **{f"{n}.i64": f"mochi_{n}_i64({{line}}, {{a}}, {{b}})" for n in ("add", "sub", "mul")},
    **{f"{n}.i64": f"({{a}} {op} {{b}})" for n, op in _BIT_BINOPS.items()},
    "shl.i64": "(int64_t)((uint64_t){a} << ({b} & 63))",
    "shr.i64": "({a} >> ({b} & 63))",
    **{f"{n}.f64": f"({{a}} {op} {{b}})"
       for n, op in (("add", "+"), ("sub", "-"), ("mul", "*"), ("div", "/"))},
    "rem.f64": "fmod({a}, {b})",
    **{f"{c}.{ty}": f"({{a}} {op} {{b}})" for c, op in _CMPS.items() for ty in ("i64", "f64")},
    "eq.bool": "({a} == {b})",
    "ne.bool": "({a} != {b})",
}


def _binary(e: FunctionEmitter, ins: ir.Instr) -> str:
    a, b = (e.r(x) for x in ins.args)
    return e.set_scalar(ins.dst, _BINARY[ins.op].format(a=a, b=b, line=ins.line))


for _op in _BINARY:
    HANDLERS[_op] = _binary


@handles("div.i64", "rem.i64")
def _div(e: FunctionEmitter, ins: ir.Instr) -> str:
    a, b = (e.r(x) for x in ins.args)
    name = ins.op.split(".")[0]
    # b == 0 and INT64_MIN / -1 report their errors through the runtime
    minus1 = f"mochi_neg_i64({ins.line}, {a})" if name == "div" else "0"
    cop = "/" if name == "div" else "%"
    return e.set_scalar(ins.dst, f"({b} == -1 ? {minus1} : {b} == 0 ? "
                                 f"mochi_{name}_i64({ins.line}, {a}, {b}) : {a} {cop} {b})")


@handles("neg.i64", "abs.i64")
def _neg_abs_i64(e: FunctionEmitter, ins: ir.Instr) -> str:
    name = ins.op.split(".")[0]
    return e.set_scalar(ins.dst, f"mochi_{name}_i64({ins.line}, {e.r(ins.args[0])})")


@handles("inc.i64")
def _inc_i64(e: FunctionEmitter, ins: ir.Instr) -> str:
    return e.set_scalar(ins.dst, f"({e.r(ins.args[0])} + 1)")


@handles("neg.f64")
def _neg_f64(e: FunctionEmitter, ins: ir.Instr) -> str:
    return e.set_scalar(ins.dst, f"(-{e.r(ins.args[0])})")


@handles("not.bool")
def _not(e: FunctionEmitter, ins: ir.Instr) -> str:
    return e.set_scalar(ins.dst, f"(!{e.r(ins.args[0])})")


@handles("i2f")
def _i2f(e: FunctionEmitter, ins: ir.Instr) -> str:
    return e.set_scalar(ins.dst, f"(double){e.r(ins.args[0])}")


@handles("f2i")
def _f2i(e: FunctionEmitter, ins: ir.Instr) -> str:
    a = e.r(ins.args[0])
    # in range: the C conversion; NaN, infinities and overflow: the runtime's error
    return e.set_scalar(ins.dst, f"({a} >= -9223372036854775808.0 && {a} < 9223372036854775808.0"
                                 f" ? (int64_t){a} : mochi_f2i({ins.line}, {a}))")


@handles("is.none")
def _is_none(e: FunctionEmitter, ins: ir.Instr) -> str:
    return e.set_scalar(ins.dst, f"({e.r(ins.args[0])} == NULL)")


@handles("math.f64")
def _math1(e: FunctionEmitter, ins: ir.Instr) -> str:
    name, x = ins.imm[0], e.r(ins.args[0])
    f = _LIBM1.get(name)
    call = f"{f}({x})" if f else f"mochi_math_f64({c_string(name.encode())}, {x})"
    return e.set_scalar(ins.dst, call)


@handles("math2.f64")
def _math2(e: FunctionEmitter, ins: ir.Instr) -> str:
    name = ins.imm[0]
    x, y = (e.r(a) for a in ins.args)
    f = _LIBM2.get(name)
    call = f"{f}({x}, {y})" if f else f"mochi_math2_f64({c_string(name.encode())}, {x}, {y})"
    return e.set_scalar(ins.dst, call)


# ---------------------------------------------------------------- globals

@handles("global.get")
def _global_get(e: FunctionEmitter, ins: ir.Instr) -> str:
    g = e.mod.global_name(ins.imm[0])
    if ins.dst is not None and ins.dst.ty == "ref":
        return e.set_borrowed(ins.dst, g)
    return e.set_scalar(ins.dst, g)


@handles("global.set")
def _global_set(e: FunctionEmitter, ins: ir.Instr) -> str:
    g, v = e.mod.global_name(ins.imm[0]), ins.args[0]
    if v.ty == "ref":
        return e.store(g, v)
    return f"{g} = {e.r(v)};"


# ---------------------------------------------------------------- structs

def _struct_slot(e: FunctionEmitter, ins: ir.Instr, obj: str) -> str:
    return f"(({e.mod.types.struct_type(ins.imm[0])} *){obj})->f[{ins.imm[1]}]"


def _nil_check(e: FunctionEmitter, ins: ir.Instr, obj: str) -> str:
    field = e.mod.types.field_name(ins.imm[0], ins.imm[1])
    return f"if (!{obj}) mochi_nil_field({ins.line}, {c_string(field.encode())}); "


@handles("struct.new")
def _struct_new(e: FunctionEmitter, ins: ir.Instr) -> str:
    name = ins.imm[0]
    st = e.mod.types.struct_type(name)
    stores = []
    for i, a in enumerate(ins.args):
        slot = f"(({st} *)t_)->f[{i}].{SLOT[a.ty]}"
        stores.append(e.store(slot, a, old=False) if a.ty == "ref" else f"{slot} = {e.r(a)};")
    if not ins.args:
        # a struct without fields has no state: one static immortal object per type
        obj = e.mod.types.singleton(name)
        if ins.dst is not None and ins.dst.id in e.facts.immortal:
            return f"{e.r(ins.dst)} = {obj};"
        return e.set_new(ins.dst, obj)
    call = f"mochi_struct_new({ins.line}, {e.mod.types.desc(name)})"
    return e.set_new(ins.dst, call, ins.args, " " + " ".join(stores))


@handles("struct.get")
def _struct_get(e: FunctionEmitter, ins: ir.Instr) -> str:
    o = e.r(ins.args[0])
    d = ins.dst
    slot = _struct_slot(e, ins, o)
    check = _nil_check(e, ins, o)
    if d is not None and d.ty == "ref":
        return check + e.set_borrowed(d, slot + ".r")
    return check + e.set_scalar(d, f"{slot}.{SLOT[d.ty] if d else 'i'}")


@handles("struct.set")
def _struct_set(e: FunctionEmitter, ins: ir.Instr) -> str:
    o, v = ins.args
    slot = _struct_slot(e, ins, e.r(o)) + "." + SLOT[v.ty]
    check = _nil_check(e, ins, e.r(o))
    if v.ty == "ref":
        return check + e.store(slot, v)
    return check + f"{slot} = {e.r(v)};"


@handles("struct.is")
def _struct_is(e: FunctionEmitter, ins: ir.Instr) -> str:
    return e.set_scalar(ins.dst, f"mochi_c_struct_is({ins.line}, {e.r(ins.args[0])}, "
                                 f"{e.mod.types.desc(ins.imm[0])})")


# ---------------------------------------------------------------- cells and closures

@handles("cell.new")
def _cell_new(e: FunctionEmitter, ins: ir.Instr) -> str:
    v = ins.args[0]
    slot = f"((MCell *)t_)->v.{SLOT[v.ty]}"
    store = e.store(slot, v, old=False) if v.ty == "ref" else f"{slot} = {e.r(v)};"
    call = f"mochi_cell_new({ins.line}, {e.mtype(v.mty)})"
    return e.set_new(ins.dst, call, ins.args, " " + store)


@handles("cell.get")
def _cell_get(e: FunctionEmitter, ins: ir.Instr) -> str:
    d = ins.dst
    assert d is not None
    slot = f"((MCell *){e.r(ins.args[0])})->v.{SLOT[d.ty]}"
    return e.set_borrowed(d, slot) if d.ty == "ref" else e.set_scalar(d, slot)


@handles("cell.set")
def _cell_set(e: FunctionEmitter, ins: ir.Instr) -> str:
    c, v = ins.args
    slot = f"((MCell *){e.r(c)})->v.{SLOT[v.ty]}"
    return e.store(slot, v) if v.ty == "ref" else f"{slot} = {e.r(v)};"


@handles("closure.new")
def _closure_new(e: FunctionEmitter, ins: ir.Instr) -> str:
    fn = e.mod.function_name(ins.imm[0])
    n = len(ins.args)
    caps = e.mod.capture_types([a.mty for a in ins.args]) if n else "NULL"
    stores = []
    for i, a in enumerate(ins.args):
        slot = f"((MClosure *)t_)->caps[{i}].{SLOT[a.ty]}"
        stores.append(e.store(slot, a, old=False) if a.ty == "ref" else f"{slot} = {e.r(a)};")
    call = f"mochi_closure_new({ins.line}, (void *){fn}, {n}, {caps})"
    return e.set_new(ins.dst, call, ins.args, (" " + " ".join(stores)) if stores else "")


@handles("closure.get")
def _closure_get(e: FunctionEmitter, ins: ir.Instr) -> str:
    d = ins.dst
    assert d is not None
    slot = f"((MClosure *){e.r(ins.args[0])})->caps[{ins.imm[0]}].{SLOT[d.ty]}"
    return e.set_borrowed(d, slot) if d.ty == "ref" else e.set_scalar(d, slot)


# ---------------------------------------------------------------- calls

def _call_result(e: FunctionEmitter, ins: ir.Instr, call: str) -> str:
    d = ins.dst
    if d is None:
        return f"{call};"
    if d.ty == "ref":
        return e.set_new(d, call, ins.args)
    return e.set_scalar(d, call)


def _nested(e: FunctionEmitter, ins: ir.Instr, stmt: str) -> str:
    """A call of Mochi code, counted and after a check that the stack has room: a
    call made CALL_DEPTH calls deep (or with the stack nearly full) is the runtime
    error 'stack overflow' at the calling line, as on every tier, never a crash."""
    return (f"if (--{CALLS_LEFT} < 0 || (char *)__builtin_frame_address(0) < {STACK_LIMIT}) "
            f"mochi_error({ins.line}, \"stack overflow\"); {stmt} {CALLS_LEFT}++;")


@handles("call")
def _call(e: FunctionEmitter, ins: ir.Instr) -> str:
    callee = e.mod.function_name(ins.imm[0])
    fn = e.mod.module.functions[ins.imm[0]]
    call = f"{callee}({', '.join(e.r(a) for a in ins.args)})"
    if ins.dst is None and fn.result == "ref":
        return _nested(e, ins, f"{RELEASE}({call});")
    return _nested(e, ins, _call_result(e, ins, call))


@handles("call.closure")
def _call_closure(e: FunctionEmitter, ins: ir.Instr) -> str:
    c = e.r(ins.args[0])
    ptypes = ", ".join(["mref"] + [C_TYPES[a.ty] for a in ins.args[1:]])
    # a closure body without a result returns none (see ir.Function.result)
    ret = c_type(ins.dst.ty if ins.dst is not None else "ref")
    fn = f"(({ret} (*)({ptypes}))((MClosure *){c})->fn)"
    call = f"{fn}({', '.join(e.r(a) for a in ins.args)})"
    check = f"if (!{c} || {c}->kind != MK_CLOSURE) mochi_not_callable({ins.line}, {c}); "
    if ins.dst is None:
        return check + _nested(e, ins, f"{RELEASE}({call});")
    return check + _nested(e, ins, _call_result(e, ins, call))


# ---------------------------------------------------------------- runtime calls with immediates

@handles("list.new", "load")
def _typed(e: FunctionEmitter, ins: ir.Instr) -> str:
    return e.runtime_call(ins, ins.op.replace(".", "_"), e.mtype(ins.imm[0]))


@handles("map.new")
def _map_new(e: FunctionEmitter, ins: ir.Instr) -> str:
    return e.runtime_call(ins, "map_new", e.mtype(ins.imm[0]), e.mtype(ins.imm[1]))


@handles("box", "unbox")
def _box(e: FunctionEmitter, ins: ir.Instr) -> str:
    return e.runtime_call(ins, ins.op.replace(".", "_"), e.mtype(ins.imm[0]))


@handles("conv")
def _conv(e: FunctionEmitter, ins: ir.Instr) -> str:
    return e.runtime_call(ins, "conv", e.mtype(ins.imm[0]), e.mtype(ins.imm[1]))


@handles("group.by")
def _group_by(e: FunctionEmitter, ins: ir.Instr) -> str:
    return e.runtime_call(ins, "group_by", e.mtype(ins.imm[0]), e.mtype(ins.imm[1]))


@handles("any.binop", "any.field")
def _any_named(e: FunctionEmitter, ins: ir.Instr) -> str:
    return e.runtime_call(ins, ins.op.replace(".", "_"), c_string(str(ins.imm[0]).encode()))


@handles("map.get")
def _map_get(e: FunctionEmitter, ins: ir.Instr) -> str:
    d = ins.dst
    assert d is not None
    zero = ins.imm[0] if ins.imm else None
    if d.ty == "ref":
        z = "NULL" if zero is None else e.mod.string(zero)
    else:
        z = {"i64": c_int, "f64": c_double, "bool": c_bool}[d.ty](zero or 0)
    return e.runtime_call(ins, ins.op.replace(".", "_"), z)


@handles("list.append")
def _list_append(e: FunctionEmitter, ins: ir.Instr) -> str:
    reuse = bool(ins.imm and ins.imm[0] == "reuse")
    # mochi_c.h's fast path (in place when the list is unshared and has room)
    call = e.rt("c_" + ins.op.replace(".", "_"), ins, "1" if reuse else "0")
    if not reuse:
        return e.set_new(ins.dst, call, ins.args)
    return _reusing(e, ins, call)


@handles("str.concat")
def _str_concat(e: FunctionEmitter, ins: ir.Instr) -> str:
    if not (ins.imm and ins.imm[0] == "reuse"):
        return e.runtime_call(ins, "str_concat")
    return _reusing(e, ins, e.rt("str_append", ins))


def _reusing(e: FunctionEmitter, ins: ir.Instr, call: str) -> str:
    """A runtime call that may extend its first operand in place and return it: the
    operand's old value dies here, so its reference is dropped once the runtime is
    done."""
    a = ins.args[0]
    if e.facts.owned(a):
        drop = f" {RELEASE}({e.r(a)}); {e.r(a)} = NULL;"
        e.moved.add(a.id)
    else:
        drop = ""
    return e.set_new(ins.dst, call, ins.args, drop)


@handles("print")
def _print(e: FunctionEmitter, ins: ir.Instr) -> str:
    n = len(ins.args)
    if not n:
        return f"mochi_print({ins.line}, 0, NULL);"
    args = ", ".join(e.r(a) for a in ins.args)
    return f"{{ mref a_[{n}] = {{{args}}}; mochi_print({ins.line}, {n}, a_); }}"


@handles("expect")
def _expect(e: FunctionEmitter, ins: ir.Instr) -> str:
    in_test = bool(ins.imm and ins.imm[0])
    return f"mochi_expect({ins.line}, {e.r(ins.args[0])}, {c_bool(in_test)});"


# ---------------------------------------------------------------- runtime calls

def _list_access(e: FunctionEmitter, ins: ir.Instr) -> str:
    if ins.op == "list.get.ref" and ins.dst is not None and ins.dst.id in e.facts.borrowed:
        # a borrowed element: no count change at all
        key = (ins.args[0].id, ins.args[1].id)
        seen = e.peeks.get(key)
        if seen is not None:
            return f"r{ins.dst.id} = r{seen};"
        e.peeks[key] = ins.dst.id
        return f"r{ins.dst.id} = {PEEK}({ins.line}, {e.r(ins.args[0])}, {e.r(ins.args[1])});"
    return fast_path(e, ins)


def fast_path(e: FunctionEmitter, ins: ir.Instr) -> str:
    """mochi_c.h's inline fast path of the runtime function named after the opcode."""
    return e.runtime_call(ins, "c_" + ins.op.replace(".", "_"))


def runtime(e: FunctionEmitter, ins: ir.Instr) -> str:
    """The runtime function named after the opcode (`a.b.T` is `mochi_a_b_T`)."""
    return e.runtime_call(ins, ins.op.replace(".", "_"))


HANDLERS.update({f"list.{what}.{t}": _list_access for what in ("get", "set") for t in ir.IR_TYPES})
HANDLERS.update({"list.len": fast_path, "str.len": fast_path})
# Every opcode's handler: its own, its family's, or the runtime call named after it.
HANDLERS = {op: HANDLERS.get(op) or HANDLERS.get(family(op)) or runtime for op in OPS}
