"""One IR function as one static C function.

Registers become typed C locals (`int64_t`, `double`, `bool`, `mref`) named
`r<N>`, blocks become labels reached by `goto`, and each instruction one line
of C preceded by a `#line` directive naming its Mochi source line, so a
debugger and a crash backtrace show `prog.mochi:LINE`.  Int and float
arithmetic, comparisons, struct fields, cells, captures and globals are
written inline; everything else that touches the heap calls the runtime
(`mochi.h`, where IR opcode `a.b.T` is `mochi_a_b_T(line, operands...,
immediates...)`).

Reference counting follows docs/RUNTIME.md: each ref register owns one
reference; writing one releases its old value; copies retain; parameters are
retained on entry and every ref register is released on the way out, the
result having been taken over first.  ``analysis.py`` explains the counting
work that is provably unnecessary and therefore skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mochic.backends.c.analysis import Facts, analyse
from mochic.backends.c.names import Namer, c_bool, c_double, c_int, c_string
from mochic.ir import ir
from mochic.ir.ops import OPS

if TYPE_CHECKING:
    from mochic.backends.c.emit import ModuleEmitter

RETAIN, RELEASE = "mochi_retain_inline", "mochi_release_inline"  # mochi.h's fast paths
PEEK = "mochi_list_peek_"
# A list element read without a reference of its own (analysis.py: a peek), for lists
# that store refs: mochi.h's checked fast path of mochi_list_get_ref without the count;
# any other case (a negative index, an error) goes through the runtime.
PEEK_HELPER = f"""\
static inline mref {PEEK}(int32_t line, mref l, int64_t i) {{
    MList *x = (MList *)l;
    mref r;
    if (x != NULL && (uint64_t)i < (uint64_t)x->len && x->elem->kind > MT_BOOL)
        return x->items[i].r;
    r = mochi_list_get_ref(line, l, i);
    {RELEASE}(r); /* the list keeps its own reference */
    return r;
}}"""
C_TYPES = {"i64": "int64_t", "f64": "double", "bool": "bool", "ref": "mref"}
ZERO = {"i64": "0", "f64": "0.0", "bool": "false", "ref": "NULL"}
SLOT = {"i64": "i", "f64": "f", "bool": "b", "ref": "r"}

_LIBM1 = {"sqrt": "sqrt", "sin": "sin", "cos": "cos", "tan": "tan", "asin": "asin",
          "acos": "acos", "atan": "atan", "exp": "exp", "log": "log", "log2": "log2",
          "log10": "log10", "floor": "floor", "ceil": "ceil", "fabs": "fabs", "trunc": "trunc",
          "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "round": "mochi_round"}
_LIBM2 = {"pow": "pow", "atan2": "atan2", "fmod": "fmod", "hypot": "hypot"}

_INT_BINOPS = {"add": "+", "sub": "-", "mul": "*"}
_BIT_BINOPS = {"and": "&", "or": "|", "xor": "^"}
_CMPS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def c_type(ty: str | None) -> str:
    return "void" if ty is None else C_TYPES[ty]


def c_result(fn: ir.Function) -> str | None:
    """The IR type of the C function's result.  A closure body without a result
    returns none: a call through a function value of a type that promises a
    value (a `fun()` called for its `none`) then reads a defined null."""
    return fn.ret if fn.ret is not None or not fn.env else "ref"


def signature(name: str, fn: ir.Function) -> str:
    params = ", ".join(f"{C_TYPES[p.ty]} r{p.id}" for p in fn.params) or "void"
    return f"static {c_type(c_result(fn))} {name}({params})"


def _family(op: str) -> str:
    parts = op.split(".")
    while parts and parts[-1] in ir.IR_TYPES:
        parts.pop()
    return ".".join(parts)


class FunctionEmitter:
    def __init__(self, mod: ModuleEmitter, fn: ir.Function) -> None:
        self.mod = mod
        self.fn = fn
        self.facts: Facts = analyse(fn)
        self.labels = Namer("L_")
        self.out: list[str] = []
        self.block: ir.Block = fn.blocks[0]
        self.k = 0  # index of the instruction being emitted in self.block
        self.line = fn.line or 1
        self.label_lines: dict[int, str] = {}
        self.moved: set[int] = set()  # registers the current instruction took over
        self.jumped: set[str] = set()

    # ------------------------------------------------------------ output

    def put(self, line: int, text: str) -> None:
        """One line of C attributed to Mochi line ``line``."""
        self.out.append(f'#line {max(line, 1)} {self.mod.file_literal}')
        self.out.append(text)

    def emit(self) -> list[str]:
        fn, f = self.fn, self.facts
        name = self.mod.function_name(fn.name)
        params = {p.id for p in fn.params}
        decls = []
        for r in fn.regs:
            if r.id in params or not self.declared(r):
                continue
            decls.append(f"{C_TYPES[r.ty]} r{r.id} = {ZERO[r.ty]};")
        entry_live = f.live_in.get(fn.blocks[0].label, set())
        for p in fn.params:
            if f.owned(p):
                # an owned parameter holds its own reference while its value is live
                decls.append(f"{RETAIN}(r{p.id});" if p.id in entry_live else f"r{p.id} = NULL;")
            elif not f.uses.get(p.id):
                decls.append(f"(void)r{p.id};")
        self.put(fn.line, signature(name, fn) + " {")
        self.put(fn.line, " ".join(decls))
        for i, blk in enumerate(fn.blocks):
            self.block = blk
            nxt = fn.blocks[i + 1].label if i + 1 < len(fn.blocks) else None
            if blk.label in f.targets:
                self.label_lines[len(self.out)] = self.labels(blk.label)
                self.out.append(f"{self.labels(blk.label)}:;")
            dead = self.releases(f.entry_dead.get(blk.label, ()))
            if dead:
                first = blk.instrs[0].line if blk.instrs else (blk.term.line if blk.term else 0)
                self.put(first or self.line, dead)
            for k, ins in enumerate(blk.instrs):
                self.k = k
                self.line = ins.line
                self.moved = set()
                text = self.instr(ins)
                dying = self.releases(r for r in f.dies.get((blk.label, k), ())
                                      if r not in self.moved)
                self.put(ins.line, text + (" " + dying if dying else ""))
            self.terminator(blk.term, nxt)
        self.out.append("}")
        # a label every jump to which fell through to it would be unused
        return [text for i, text in enumerate(self.out)
                if self.label_lines.get(i, None) in (None, *self.jumped)]

    def releases(self, regs: object) -> str:
        """Release (and clear) the owned registers among ``regs`` (ids), whose values died."""
        out = []
        for rid in regs:  # type: ignore[attr-defined]
            if self.facts.owned(self.fn.regs[rid]):
                out.append(f"{RELEASE}(r{rid}); r{rid} = NULL;")
        return " ".join(out)

    def declared(self, r: ir.Reg) -> bool:
        """Is the register spelt as a C local (written and read, or a ref written)?"""
        f = self.facts
        if r.ty == "ref":
            return r.id in f.defs or r.id in f.uses
        return bool(f.uses.get(r.id))

    def terminator(self, t: ir.Terminator | None, nxt: str | None) -> None:
        line = (t.line if t is not None else 0) or self.line
        if isinstance(t, ir.Jump):
            if t.target != nxt:
                self.put(line, self.goto(t.target))
        elif isinstance(t, ir.Branch):
            c = f"r{t.cond.id}"
            if t.else_ == nxt:
                self.put(line, f"if ({c}) {self.goto(t.then)}")
            elif t.then == nxt:
                self.put(line, f"if (!{c}) {self.goto(t.else_)}")
            else:
                self.put(line, f"if ({c}) {self.goto(t.then)} else {self.goto(t.else_)}")
        elif isinstance(t, ir.Ret):
            # every other register is dead here, so already released
            if t.value is None:
                text = "return NULL;" if c_result(self.fn) else "return;"
            else:
                v = f"r{t.value.id}"
                if t.value.ty == "ref" and not self.facts.owned(t.value):
                    text = f"{RETAIN}({v}); return {v};"
                else:
                    text = f"return {v};"
            self.put(line, text)
        else:
            self.put(line, f'mochi_error({max(line, 1)}, "unreachable code reached");')

    # ------------------------------------------------------------ helpers

    def goto(self, label: str) -> str:
        name = self.labels(label)
        self.jumped.add(name)
        return f"goto {name};"

    def r(self, reg: ir.Reg) -> str:
        return f"r{reg.id}"

    def set_scalar(self, d: ir.Reg | None, expr: str) -> str:
        if d is None or not self.facts.uses.get(d.id):
            return f"(void)({expr});"
        return f"r{d.id} = {expr};"

    def set_new(self, d: ir.Reg | None, expr: str, args: list[ir.Reg] | None = None,
                after: str = "") -> str:
        """Store a new reference (a runtime result) into ref register ``d``."""
        if d is None:
            if after:
                return f"{{ mref t_ = {expr};{after} {RELEASE}(t_); }}"
            return f"{RELEASE}({expr});"
        r = f"r{d.id}"
        if d.id in self.facts.borrowed:
            return f"{r} = {expr}; {RELEASE}({r});{after}"
        if not after and not any(a is d for a in (args or [])):
            if self.facts.fresh(d):
                return f"{r} = {expr};"
            return f"{RELEASE}({r}); {r} = {expr};"
        return f"{{ mref t_ = {expr};{after} {RELEASE}({r}); {r} = t_; }}"

    def set_borrowed(self, d: ir.Reg | None, expr: str) -> str:
        """Store a borrowed ref (read from a field, global, cell, capture) into ``d``."""
        if d is None:
            return ""
        r = f"r{d.id}"
        if d.id in self.facts.borrowed:
            return f"{r} = {expr};"
        if self.facts.fresh(d):
            return f"{r} = {expr}; {RETAIN}({r});"
        return f"{{ mref t_ = {expr}; {RETAIN}(t_); {RELEASE}({r}); {r} = t_; }}"

    def movable(self, v: ir.Reg) -> bool:
        """Can the instruction being emitted take over ``v``'s reference (its last reader
        stores or copies it)?  Then ``v`` is cleared instead of released afterwards."""
        ins = self.block.instrs[self.k]
        if not self.facts.owned(v) or not self.facts.dead_after(v, self.block, self.k):
            return False
        if ins.dst is v or sum(a is v for a in ins.args) != 1:
            return False
        self.moved.add(v.id)
        return True

    def store(self, place: str, v: ir.Reg, old: bool = True) -> str:
        """Store ref register ``v`` into a heap or global ``place`` that keeps a reference,
        releasing what ``place`` held unless ``old`` is false (a fresh slot)."""
        r = f"r{v.id}"
        if self.movable(v):
            take = f"{place} = {r}; {r} = NULL;"
        else:
            take = f"{RETAIN}({r}); {place} = {r};"
        if not old:
            return take
        return f"{{ mref o_ = {place}; {take} {RELEASE}(o_); }}"

    def rt(self, name: str, ins: ir.Instr, *extra: str) -> str:
        args = [str(ins.line)] + [self.r(a) for a in ins.args] + list(extra)
        return f"mochi_{name}({', '.join(args)})"

    def mtype(self, t: object) -> str:
        return self.mod.types.mtype(t)  # type: ignore[arg-type]

    # ------------------------------------------------------------ instructions

    def instr(self, ins: ir.Instr) -> str:
        op = ins.op
        handler = _HANDLERS.get(op) or _HANDLERS.get(_family(op))
        if handler is not None:
            return handler(self, ins)
        name = op.replace(".", "_")
        if op == "list.get.ref" and ins.dst is not None and ins.dst.id in self.facts.borrowed:
            self.mod.need_peek = True  # a borrowed element: no count change at all
            return f"r{ins.dst.id} = {PEEK}({ins.line}, {self.r(ins.args[0])}, " \
                   f"{self.r(ins.args[1])});"
        if op.startswith(("list.get.", "list.set.")):
            name += "_inline"  # mochi.h's inline fast path, same effect
        return self.runtime_call(ins, name)

    def runtime_call(self, ins: ir.Instr, name: str, *extra: str) -> str:
        """A runtime function of the operands; its ref result is a new reference."""
        call = self.rt(name, ins, *extra)
        spec = OPS[ins.op]
        d = ins.dst
        if spec.result == "ref":
            return self.set_new(d, call, ins.args)
        if spec.result is None:
            return f"{call};"
        return self.set_scalar(d, call)


Handler = Callable[[FunctionEmitter, ir.Instr], str]
_HANDLERS: dict[str, Handler] = {}


def handles(*ops: str) -> Callable[[Handler], Handler]:
    def register(f: Handler) -> Handler:
        for op in ops:
            _HANDLERS[op] = f
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

def _wrapping(e: FunctionEmitter, ins: ir.Instr) -> str:
    a, b = (e.r(x) for x in ins.args)
    op = _INT_BINOPS[ins.op.split(".")[0]]
    return e.set_scalar(ins.dst, f"(int64_t)((uint64_t){a} {op} (uint64_t){b})")


for _n in _INT_BINOPS:
    _HANDLERS[f"{_n}.i64"] = _wrapping


def _bitwise(e: FunctionEmitter, ins: ir.Instr) -> str:
    a, b = (e.r(x) for x in ins.args)
    return e.set_scalar(ins.dst, f"({a} {_BIT_BINOPS[ins.op.split('.')[0]]} {b})")


for _n in _BIT_BINOPS:
    _HANDLERS[f"{_n}.i64"] = _bitwise


@handles("shl.i64")
def _shl(e: FunctionEmitter, ins: ir.Instr) -> str:
    a, b = (e.r(x) for x in ins.args)
    return e.set_scalar(ins.dst, f"(int64_t)((uint64_t){a} << ({b} & 63))")


@handles("shr.i64")
def _shr(e: FunctionEmitter, ins: ir.Instr) -> str:
    a, b = (e.r(x) for x in ins.args)
    return e.set_scalar(ins.dst, f"({a} >> ({b} & 63))")


@handles("div.i64", "rem.i64")
def _div(e: FunctionEmitter, ins: ir.Instr) -> str:
    a, b = (e.r(x) for x in ins.args)
    name = ins.op.split(".")[0]
    # b == 0 reports the error through the runtime; INT64_MIN / -1 wraps
    minus1 = f"(int64_t)(0 - (uint64_t){a})" if name == "div" else "0"
    cop = "/" if name == "div" else "%"
    return e.set_scalar(ins.dst, f"({b} == -1 ? {minus1} : {b} == 0 ? "
                                 f"mochi_{name}_i64({ins.line}, {a}, {b}) : {a} {cop} {b})")


@handles("neg.i64")
def _neg_i64(e: FunctionEmitter, ins: ir.Instr) -> str:
    return e.set_scalar(ins.dst, f"(int64_t)(0 - (uint64_t){e.r(ins.args[0])})")


@handles("abs.i64")
def _abs_i64(e: FunctionEmitter, ins: ir.Instr) -> str:
    a = e.r(ins.args[0])
    return e.set_scalar(ins.dst, f"({a} < 0 ? (int64_t)(0 - (uint64_t){a}) : {a})")


def _float_binop(e: FunctionEmitter, ins: ir.Instr) -> str:
    a, b = (e.r(x) for x in ins.args)
    op = {"add": "+", "sub": "-", "mul": "*", "div": "/"}[ins.op.split(".")[0]]
    return e.set_scalar(ins.dst, f"({a} {op} {b})")


for _n in ("add", "sub", "mul", "div"):
    _HANDLERS[f"{_n}.f64"] = _float_binop


@handles("rem.f64")
def _rem_f64(e: FunctionEmitter, ins: ir.Instr) -> str:
    a, b = (e.r(x) for x in ins.args)
    return e.set_scalar(ins.dst, f"fmod({a}, {b})")


@handles("neg.f64")
def _neg_f64(e: FunctionEmitter, ins: ir.Instr) -> str:
    return e.set_scalar(ins.dst, f"(-{e.r(ins.args[0])})")


def _compare(e: FunctionEmitter, ins: ir.Instr) -> str:
    a, b = (e.r(x) for x in ins.args)
    return e.set_scalar(ins.dst, f"({a} {_CMPS[ins.op.split('.')[0]]} {b})")


for _c in _CMPS:
    _HANDLERS[f"{_c}.i64"] = _compare
    _HANDLERS[f"{_c}.f64"] = _compare
_HANDLERS["eq.bool"] = _HANDLERS["ne.bool"] = _compare


@handles("not.bool")
def _not(e: FunctionEmitter, ins: ir.Instr) -> str:
    return e.set_scalar(ins.dst, f"(!{e.r(ins.args[0])})")


@handles("i2f")
def _i2f(e: FunctionEmitter, ins: ir.Instr) -> str:
    return e.set_scalar(ins.dst, f"(double){e.r(ins.args[0])}")


@handles("f2i")
def _f2i(e: FunctionEmitter, ins: ir.Instr) -> str:
    a = e.r(ins.args[0])
    # in range: the C conversion; NaN, infinities and overflow: the runtime's defined value
    return e.set_scalar(ins.dst, f"({a} >= -9223372036854775808.0 && {a} < 9223372036854775808.0"
                                 f" ? (int64_t){a} : mochi_f2i({a}))")


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
    return e.set_scalar(ins.dst, f"mochi_struct_is({ins.line}, {e.r(ins.args[0])}, "
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


@handles("call")
def _call(e: FunctionEmitter, ins: ir.Instr) -> str:
    callee = e.mod.function_name(ins.imm[0])
    fn = e.mod.module.functions[ins.imm[0]]
    call = f"{callee}({', '.join(e.r(a) for a in ins.args)})"
    if ins.dst is None and c_result(fn) == "ref":
        return f"{RELEASE}({call});"
    return _call_result(e, ins, call)


@handles("call.closure")
def _call_closure(e: FunctionEmitter, ins: ir.Instr) -> str:
    c = e.r(ins.args[0])
    ptypes = ", ".join(["mref"] + [C_TYPES[a.ty] for a in ins.args[1:]])
    # a closure body without a result returns none (see c_result)
    ret = c_type(ins.dst.ty if ins.dst is not None else "ref")
    fn = f"(({ret} (*)({ptypes}))((MClosure *){c})->fn)"
    call = f"{fn}({', '.join(e.r(a) for a in ins.args)})"
    check = f"if (!{c} || {c}->kind != MK_CLOSURE) mochi_not_callable({ins.line}, {c}); "
    if ins.dst is None:
        return check + f"{RELEASE}({call});"
    return check + _call_result(e, ins, call)


# ---------------------------------------------------------------- runtime calls with immediates

@handles("list.new")
def _list_new(e: FunctionEmitter, ins: ir.Instr) -> str:
    return e.runtime_call(ins, "list_new", e.mtype(ins.imm[0]))


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
    call = e.rt(ins.op.replace(".", "_"), ins, "1" if reuse else "0")
    if not reuse:
        return e.set_new(ins.dst, call, ins.args)
    # The operand's old value dies here: drop its reference once the runtime is done.
    a = ins.args[0]
    if a.id in e.facts.borrowed:
        drop = ""
    elif e.facts.owned(a):
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
