"""The reference interpreter: executes the typed IR.

Each IR function is translated once, instruction by instruction, into the
body of a Python function: registers become Python locals, each instruction
one statement (inline for arithmetic, list and map access; a call into
``runtime.py`` otherwise), and blocks the arms of a dispatch loop on the
current block number.  Python then runs it at the speed of its own bytecode,
while every operation keeps the meaning the opcode table gives it, so this
tier stays the semantic reference for all others.

Runtime errors carry no line while they propagate; when one reaches the top,
the innermost frame of generated code is mapped back (generated line ->
IR instruction -> Mochi source line).
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable
from types import TracebackType
from typing import Any

from mochic.interp import data
from mochic.interp import runtime as rt
from mochic.interp.runtime import MAX_I64, MIN_I64, Env, MochiError, wrap
from mochic.interp.values import Closure, StructInfo, StructVal
from mochic.ir import ir
from mochic.ir.ops import OPS
from mochic.stack import CALL_DEPTH

_FILE_PREFIX = "<mochi:"


class Interpreter:
    def __init__(self, module: ir.Module, env: Env | None = None) -> None:
        self.m = module
        self.env = env or Env()
        self.structs = {name: StructInfo(info.name, tuple(info.fields))
                        for name, info in module.structs.items()}
        self.ns: dict[str, Any] = dict(_BASE_NAMESPACE)
        self.ns["_env"] = self.env
        self.lines: dict[str, list[int]] = {}
        self.funcs: dict[str, Callable[..., Any]] = {}
        self._consts: dict[tuple, str] = {}
        for g in module.globals.values():
            self.ns[_global(g.name)] = {"i64": 0, "f64": 0.0, "bool": False}.get(g.ty)
        for fn in module.functions.values():
            self._define(fn)

    # ------------------------------------------------------------ run

    def call(self, name: str, *args: Any) -> Any:
        try:
            return self.funcs[name](0, *args)  # at depth 0, as main
        except MochiError as e:
            if not e.line:
                e.line = self._line_of(e.__traceback__)
            raise
        except RecursionError as e:
            raise MochiError("stack overflow", self._line_of(e.__traceback__)) from None
        except OSError:
            raise
        except Exception as e:
            msg = _describe(e)
            raise MochiError(msg, self._line_of(e.__traceback__)) from None

    def run_main(self) -> None:
        self.call(self.m.main)

    def _line_of(self, tb: TracebackType | None) -> int:
        """The Mochi line of the innermost generated frame in ``tb``."""
        line = 0
        while tb is not None:
            name = tb.tb_frame.f_code.co_filename
            if name.startswith(_FILE_PREFIX):
                table = self.lines.get(name)
                if table and 0 < tb.tb_lineno <= len(table):
                    line = table[tb.tb_lineno - 1]
            tb = tb.tb_next
        return line

    # ------------------------------------------------------------ translation

    def _define(self, fn: ir.Function) -> None:
        src, lines = _Translator(self, fn).translate()
        filename = f"{_FILE_PREFIX}{fn.name}>"
        self.lines[filename] = lines
        with warnings.catch_warnings():
            # A folded constant operand gives `'s' is None`: valid, but Python warns.
            warnings.simplefilter("ignore", SyntaxWarning)
            code = compile(src, filename, "exec")
        exec(code, self.ns)
        self.funcs[fn.name] = self.ns[_fname(fn.name)]

    def constant(self, value: Any) -> str:
        """A namespace name bound to ``value`` (for immediates that are not literals)."""
        key = (type(value).__name__, id(value) if not _hashable(value) else value)
        name = self._consts.get(key)
        if name is None:
            name = f"_k{len(self._consts)}"
            self._consts[key] = name
            self.ns[name] = value
        return name


def _hashable(v: Any) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True


def _fname(name: str) -> str:
    return "f_" + "".join(c if c.isalnum() else "_" for c in name) + f"_{abs(hash(name)):x}"


def _global(name: str) -> str:
    return "g_" + "".join(c if c.isalnum() else "_" for c in name) + f"_{abs(hash(name)):x}"


def _describe(e: Exception) -> str:
    if isinstance(e, MemoryError):
        return "out of memory"
    if isinstance(e, AttributeError) and "'NoneType'" in str(e):
        return "nil dereference"
    if isinstance(e, TypeError) and "NoneType" in str(e):  # 'x' + None says "NoneType"
        return "nil dereference"
    return f"internal error: {type(e).__name__}: {e}"


def _family(name: str) -> str:
    """`list.get.i64` -> `list.get`; `map.set.ref.f64` -> `map.set`."""
    parts = name.split(".")
    while parts and parts[-1] in ir.IR_TYPES:
        parts.pop()
    return ".".join(parts)


def _literal(v: Any) -> str | None:
    """Python source for a constant, or None if it has no literal form."""
    if v is None or isinstance(v, bool | int | str):
        return repr(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "_NAN"
        if math.isinf(v):
            return "_INF" if v > 0 else "(-_INF)"
        return repr(v)
    return None


class _Translator:
    def __init__(self, interp: Interpreter, fn: ir.Function) -> None:
        self.I = interp
        self.fn = fn
        self.out: list[str] = []
        self.lines: list[int] = []
        self.labels = {b.label: i for i, b in enumerate(fn.blocks)}
        self.uses: dict[int, int] = {}
        for b in fn.blocks:
            for ins in b.instrs:
                for x in ins.args:
                    self.uses[x.id] = self.uses.get(x.id, 0) + 1
            t = b.term
            used = t.cond if isinstance(t, ir.Branch) else \
                t.value if isinstance(t, ir.Ret) else None
            if used is not None:
                self.uses[used.id] = self.uses.get(used.id, 0) + 1
        self.pending: dict[int, str] = {}

    def emit(self, indent: int, text: str, line: int) -> None:
        for t in text.split("\n"):
            self.out.append("    " * indent + t)
            self.lines.append(line)

    def translate(self) -> tuple[str, list[int]]:
        fn = self.fn
        # `d`: the depth of Mochi calls this call runs at (see _call)
        params = ", ".join(["d", *(f"r{p.id}" for p in fn.params)])
        self.emit(0, f"def {_fname(fn.name)}({params}):", fn.line)
        globs = sorted({_global(i.imm[0]) for b in fn.blocks for i in b.instrs
                        if i.op.startswith("global.set")})
        if globs:
            self.emit(1, "global " + ", ".join(globs), fn.line)
        param_ids = {p.id for p in fn.params}
        others = [f"r{r.id}" for r in fn.regs if r.id not in param_ids]
        for i in range(0, len(others), 16):
            self.emit(1, " = ".join(others[i:i + 16]) + " = None", fn.line)
        if len(fn.blocks) == 1:
            self.block(fn.blocks[0], 1, single=True)
        else:
            self.emit(1, "b = 0", fn.line)
            self.emit(1, "while True:", fn.line)
            self.dispatch(list(range(len(fn.blocks))), 2)
        return "\n".join(self.out) + "\n", self.lines

    def dispatch(self, ids: list[int], indent: int) -> None:
        """A binary tree of tests on ``b`` selecting the block to run."""
        if len(ids) <= 4:
            for k, i in enumerate(ids):
                head = "if" if k == 0 else "elif"
                if k == len(ids) - 1 and k > 0:
                    self.emit(indent, "else:", 0)
                else:
                    self.emit(indent, f"{head} b == {i}:", 0)
                self.block(self.fn.blocks[i], indent + 1)
            return
        mid = len(ids) // 2
        self.emit(indent, f"if b < {ids[mid]}:", 0)
        self.dispatch(ids[:mid], indent + 1)
        self.emit(indent, "else:", 0)
        self.dispatch(ids[mid:], indent + 1)

    def foldable(self, blk: ir.Block, k: int) -> bool:
        """Is instruction k's result a temporary read once, by the very next instruction
        (or the terminator), so its expression can be written in place of the register?
        Besides saving a store and a load, that leaves no stale reference behind, which
        `_grow` relies on."""
        d = blk.instrs[k].dst
        if d is None or d.hint or self.uses.get(d.id) != 1:
            return False
        if k + 1 < len(blk.instrs):
            nxt = blk.instrs[k + 1]
            repeated = _REPEATS_OPERANDS.get(_family(nxt.op), 0)
            return any(x is d for x in nxt.args[repeated:]) and \
                not any(x is d for x in nxt.args[:repeated])
        t = blk.term
        return (isinstance(t, ir.Branch) and t.cond is d) or (isinstance(t, ir.Ret) and
                                                             t.value is d)

    def operand(self, r: ir.Reg) -> str:
        return self.pending.pop(r.id, None) or f"r{r.id}"

    def block(self, blk: ir.Block, indent: int, single: bool = False) -> None:
        for k, ins in enumerate(blk.instrs):
            text = self.instr(ins)
            head = f"r{ins.dst.id} = " if ins.dst is not None else ""
            if head and "\n" not in text and text.startswith(head) and self.foldable(blk, k):
                self.pending[ins.dst.id] = f"({text[len(head):]})"
                continue
            self.emit(indent, text, ins.line)
        t = blk.term
        line = t.line if t is not None else 0
        if isinstance(t, ir.Jump):
            self.emit(indent, f"b = {self.labels[t.target]}", line)
            if not single:
                self.emit(indent, "continue", line)
        elif isinstance(t, ir.Branch):
            yes, no = self.labels[t.then], self.labels[t.else_]
            self.emit(indent, f"b = {yes} if {self.operand(t.cond)} else {no}", line)
            self.emit(indent, "continue", line)
        elif isinstance(t, ir.Ret):
            self.emit(indent, "return" if t.value is None else f"return {self.operand(t.value)}",
                      line)
        else:
            self.emit(indent, "raise _MochiError('unreachable code reached')", line)

    def instr(self, ins: ir.Instr) -> str:
        handler = HANDLERS.get(ins.op)
        if handler is None:
            raise MochiError(f"the interpreter has no implementation of '{ins.op}'", ins.line)
        a = [self.operand(x) for x in ins.args]
        d = f"r{ins.dst.id}" if ins.dst is not None else None
        return handler(self, ins, d, a)


# ---------------------------------------------------------------- inline forms
# Each returns the Python statement(s) for one instruction.

Inline = Callable[[_Translator, ir.Instr, str | None, list[str]], str]


def _const(t: _Translator, ins: ir.Instr, d: str | None, a: list[str]) -> str:
    v = ins.imm[0] if ins.imm else None
    if ins.op == "const.f64":
        v = float(v)  # type: ignore[arg-type]
    lit = _literal(v)
    return f"{d} = {lit if lit is not None else t.I.constant(v)}"


def _checked(expr: str) -> Inline:
    """An int result that does not fit in 64 bits is the error 'integer overflow'."""
    def inline(t: _Translator, ins: ir.Instr, d: str | None, a: list[str]) -> str:
        e = expr.format(*a)
        return f"{d} = {e}\nif {d} > {MAX_I64} or {d} < {MIN_I64}: _overflow()"
    return inline


def _expr(expr: str) -> Inline:
    def inline(t: _Translator, ins: ir.Instr, d: str | None, a: list[str]) -> str:
        return f"{d} = {expr.format(*a)}"
    return inline


def _stmt(stmt: str) -> Inline:
    def inline(t: _Translator, ins: ir.Instr, d: str | None, a: list[str]) -> str:
        return stmt.format(*a, d=d)
    return inline


def _indexed(what: str) -> Inline:
    def inline(t: _Translator, ins: ir.Instr, d: str | None, a: list[str]) -> str:
        x, i = a
        return (f"try:\n    {d} = {x}[{i}]\n"
                f"except IndexError:\n    raise _index_error({i}, len({x}), '{what}') from None")
    return inline


def _list_set(t: _Translator, ins: ir.Instr, d: str | None, a: list[str]) -> str:
    x, i, v = a
    return (f"try:\n    {x}[{i}] = {v}\n"
            f"except IndexError:\n    raise _index_error({i}, len({x}), 'list') from None")


def _grow(xs: list, v: Any) -> list:
    """`xs = append(xs, v)` where the old value dies: extend in place when nothing else
    holds the list, that is when the only references are our parameter and
    getrefcount's argument (the register was cleared; a variable, element or field it
    was read from has let go of it, see ``FunctionLowerer.load_home``)."""
    if sys.getrefcount(xs) <= 2:
        xs.append(v)
        return xs
    return [*xs, v] if xs is not None else [v]


def _list_append(t: _Translator, ins: ir.Instr, d: str | None, a: list[str]) -> str:
    if ins.imm and ins.imm[0] == "reuse":
        xs = a[0]
        if xs.isidentifier():
            xs = f"({xs}, {xs} := None)[0]"  # the register dies here: drop it first
        return f"{d} = _grow({xs}, {a[1]})"
    return f"{d} = [*({a[0]} or ()), {a[1]}]"


def _field_get(t: _Translator, ins: ir.Instr, d: str | None, a: list[str]) -> str:
    return f"{d} = {a[0]}.fields[{ins.imm[1]}]"


def _field_set(t: _Translator, ins: ir.Instr, d: str | None, a: list[str]) -> str:
    return f"{a[0]}.fields[{ins.imm[1]}] = {a[1]}"


def _map_get(t: _Translator, ins: ir.Instr, d: str | None, a: list[str]) -> str:
    zero = ins.imm[0] if ins.imm else None
    return f"{d} = {a[0]}.get({a[1]}, {_literal(zero)})"


def _global_get(t: _Translator, ins: ir.Instr, d: str | None, a: list[str]) -> str:
    return f"{d} = {_global(ins.imm[0])}"


def _global_set(t: _Translator, ins: ir.Instr, d: str | None, a: list[str]) -> str:
    return f"{_global(ins.imm[0])} = {a[0]}"


# Calls are counted, as on every tier: each function takes the depth of Mochi
# calls it runs at, and a call deeper than CALL_DEPTH is 'stack overflow'.
_DEEPER = f"if d >= {CALL_DEPTH}: _stack_overflow()\n"


def _call(t: _Translator, ins: ir.Instr, d: str | None, a: list[str]) -> str:
    call = f"{_fname(ins.imm[0])}({', '.join(['d + 1', *a])})"
    return _DEEPER + (f"{d} = {call}" if d is not None else call)


def _call_closure(t: _Translator, ins: ir.Instr, d: str | None, a: list[str]) -> str:
    c = a[0]
    call = f"{c}.func({', '.join(['d + 1', c, *a[1:]])})"
    return (_DEEPER + f"if type({c}) is not _Closure: _not_callable({c})\n" +
            (f"{d} = {call}" if d is not None else call))


def _closure_new(t: _Translator, ins: ir.Instr, d: str | None, a: list[str]) -> str:
    env = "(" + "".join(f"{x}, " for x in a) + ")"
    return f"{d} = _Closure({_fname(ins.imm[0])}, {env})"


def _struct_new(t: _Translator, ins: ir.Instr, d: str | None, a: list[str]) -> str:
    info = t.I.constant(t.I.structs[ins.imm[0]])
    return f"{d} = _StructVal({info}, [{', '.join(a)}])"


def _struct_is(t: _Translator, ins: ir.Instr, d: str | None, a: list[str]) -> str:
    info = t.I.constant(t.I.structs[ins.imm[0]])
    return f"{d} = type({a[0]}) is _StructVal and {a[0]}.info is {info}"


def _expect(t: _Translator, ins: ir.Instr, d: str | None, a: list[str]) -> str:
    in_test = bool(ins.imm and ins.imm[0])
    if in_test:
        return f"_env.test_results.append(({ins.line}, bool({a[0]})))"
    return f"if not {a[0]}: raise _MochiError('expect failed')"


# Inline forms that write their first N operands more than once: a folded expression
# there would be evaluated twice.  (A closure call tests its callee before evaluating
# a folded argument, so none of its operands fold: errors keep the IR's order.)
_REPEATS_OPERANDS = {"list.get": 2, "list.set": 2, "str.index": 2, "struct.is": 1,
                     "call.closure": 1 << 16}

_INLINE: dict[str, Inline] = {
    "const.i64": _const, "const.f64": _const, "const.bool": _const, "const.str": _const,
    "const.none": _const,
    "mov": _expr("{0}"),
    "add.i64": _checked("{0} + {1}"), "sub.i64": _checked("{0} - {1}"),
    "mul.i64": _checked("{0} * {1}"), "neg.i64": _checked("-{0}"),
    "abs.i64": _checked("abs({0})"), "inc.i64": _expr("{0} + 1"),
    "div.i64": _expr("_div_i64({0}, {1})"), "rem.i64": _expr("_rem_i64({0}, {1})"),
    "add.f64": _expr("{0} + {1}"), "sub.f64": _expr("{0} - {1}"),
    "mul.f64": _expr("{0} * {1}"), "div.f64": _expr("_div_f64({0}, {1})"),
    "neg.f64": _expr("-{0}"),
    "eq.bool": _expr("{0} == {1}"), "ne.bool": _expr("{0} != {1}"),
    "not.bool": _expr("not {0}"), "i2f": _expr("float({0})"),
    "is.none": _expr("{0} is None"), "box": _expr("{0}"),
    "str.concat": _expr("{0} + {1}"), "str.len": _expr("len({0})"),
    "str.index": _indexed("string"),
    "list.len": _expr("len({0})"), "list.get": _indexed("list"), "list.set": _list_set,
    "list.push": _stmt("{0}.append({1})"), "list.append": _list_append,
    "list.new": _expr("[]"), "map.new": _expr("{{}}"),
    "map.len": _expr("len({0})"), "map.get": _map_get, "map.set": _stmt("{0}[{1}] = {2}"),
    "map.has": _expr("{1} in {0}"),
    "struct.get": _field_get, "struct.set": _field_set, "struct.new": _struct_new,
    "struct.is": _struct_is,
    "cell.new": _expr("[{0}]"), "cell.get": _expr("{0}[0]"), "cell.set": _stmt("{0}[0] = {1}"),
    "closure.get": lambda t, ins, d, a: f"{d} = {a[0]}.env[{ins.imm[0]}]",
    "closure.new": _closure_new,
    "global.get": _global_get, "global.set": _global_set,
    "call": _call, "call.closure": _call_closure, "expect": _expect,
}
for _c, _py in (("eq", "=="), ("ne", "!="), ("lt", "<"), ("le", "<="), ("gt", ">"),
                ("ge", ">=")):
    for _t in ("i64", "f64", "str"):
        _INLINE[f"{_c}.{_t}"] = _expr("{0} " + _py + " {1}")


def _not_callable(v: Any) -> None:
    raise MochiError(f"cannot call {rt.type_name(v)}")


def _stack_overflow() -> None:
    raise MochiError("stack overflow")


_BASE_NAMESPACE: dict[str, Any] = {
    "_overflow": rt.overflow, "_div_i64": rt.div_i64, "_rem_i64": rt.rem_i64, "_div_f64": rt.div_f64,
    "_index_error": rt.index_error, "_MochiError": MochiError, "_Closure": Closure,
    "_StructVal": StructVal, "_not_callable": _not_callable,
    "_stack_overflow": _stack_overflow, "_grow": _grow, "_NAN": math.nan,
    "_INF": math.inf, "__builtins__": {"len": len, "float": float, "type": type, "abs": abs,
                                       "bool": bool, "IndexError": IndexError},
}


# ---------------------------------------------------------------- runtime-call forms
# Operations without an inline form call a function of their operand values.

_PURE_FUNCS: dict[str, Callable[..., Any]] = {
    "and.i64": lambda a, b: a & b, "or.i64": lambda a, b: a | b,
    "xor.i64": lambda a, b: a ^ b,
    "shl.i64": lambda a, b: wrap(a << (b & 63)), "shr.i64": lambda a, b: a >> (b & 63),
    "rem.f64": rt.rem_f64, "f2i": rt.f2i, "pow.i64": rt.pow_i64,
    "eq.ref": rt.equal, "ne.ref": lambda a, b: not rt.equal(a, b),
    "any.neg": rt.any_neg, "any.truthy": rt.truthy,
    "any.index": rt.any_index, "any.set_index": rt.any_set_index, "any.len": rt.any_len,
    "any.contains": rt.any_contains, "any.iter": rt.any_iter,
    "any.to_int": rt.any_to_int, "any.to_float": rt.any_to_float,
    "list.concat": lambda a, b: a + b, "list.slice": rt.seq_slice,
    "list.reverse": lambda a: a[::-1], "list.union_all": lambda a, b: a + b,
    "list.union": lambda a, b: rt.distinct(a + b),
    "list.except": lambda a, b: rt.distinct([x for x in a if not rt.contains(b, x)]),
    "list.intersect": lambda a, b: rt.distinct([x for x in a if rt.contains(b, x)]),
    "list.distinct": rt.distinct, "list.sort": rt.sort_by_keys,
    "list.sum.i64": lambda xs: rt.checked(sum(xs)), "list.sum.f64": lambda xs: float(sum(xs)),
    "list.sum.any": rt.list_sum_any, "list.avg": rt.list_avg,
    "list.min": rt.list_min_max(-1), "list.max": rt.list_min_max(1),
    "list.range": rt.list_range,
    "map.keys": rt.sorted_keys, "map.values": lambda m: [m[k] for k in rt.sorted_keys(m)],
    "sha256": rt.sha256, "group.by": rt.group_by, "group.key": lambda g: g.key, "group.items": lambda g: g.items,
}
for _c in ("eq", "ne", "lt", "le", "gt", "ge"):
    _PURE_FUNCS[f"{_c}.any"] = rt.any_cmp(_c)
_PURE_FUNCS.update(rt.BIG_OPS)

Factory = Callable[[Interpreter, tuple], Callable[..., Any]]


def _unchanged(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    # Python containers hold any value: converting list<int> to list<any> keeps the list.
    return lambda v: v


def _map_del(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    def delete(m: dict, k: Any) -> None:
        m.pop(k, None)
    return delete


def _panic(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    def stop(msg: str) -> None:
        raise MochiError(msg)
    return stop


_FAMILIES: dict[str, Factory] = {
    "unbox": lambda i, imm: rt.unbox(imm[0], i.structs), "conv": _unchanged,
    "any.binop": lambda i, imm: rt.any_binop(imm[0]),
    "any.field": lambda i, imm: rt.any_field(imm[0]),
    "list.contains": lambda i, imm: rt.contains, "list.index_of": lambda i, imm: rt.index_of,
    "map.del": _map_del,
    "math": lambda i, imm: rt.MATH1[imm[0]], "math2": lambda i, imm: rt.MATH2[imm[0]],
    "print": lambda i, imm: i.env.print, "json": lambda i, imm: i.env.json,
    "input": lambda i, imm: i.env.input, "now": lambda i, imm: i.env.now,
    "panic": _panic,
    "load": lambda i, imm: data.loader(imm[0], i.structs), "save": lambda i, imm: data.saver(i.env),
}


def _calls(fn: Callable[..., Any]) -> Inline:
    """A call of ``fn`` on the operands."""
    def call(t: _Translator, ins: ir.Instr, d: str | None, a: list[str]) -> str:
        text = f"{t.I.constant(fn)}({', '.join(a)})"
        return f"{d} = {text}" if d is not None else text
    return call


def _made(factory: Factory) -> Inline:
    """A call of the function ``factory`` makes from the instruction's immediates."""
    def call(t: _Translator, ins: ir.Instr, d: str | None, a: list[str]) -> str:
        text = f"{t.I.constant(factory(t.I, ins.imm))}({', '.join(a)})"
        return f"{d} = {text}" if d is not None else text
    return call


def _handler(op: str) -> Inline | None:
    fam = _family(op)
    inline = _INLINE.get(op) or _INLINE.get(fam)
    if inline is not None:
        return inline
    fn = _PURE_FUNCS.get(op) or rt.STR_OPS.get(op)
    if fn is not None:
        return _calls(fn)
    factory = _FAMILIES.get(fam)
    return _made(factory) if factory is not None else None


# The Python each opcode becomes: an inline form, or a call of a runtime function.
HANDLERS: dict[str, Inline] = {op: h for op in OPS if (h := _handler(op)) is not None}
