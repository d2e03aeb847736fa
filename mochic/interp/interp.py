"""The reference interpreter: executes the typed IR directly.

Each IR function is compiled once into a list of blocks, each block a tuple
of Python closures (one per instruction, operands bound as register indexes)
and a terminator closure that returns the next block's index.  That keeps the
per-instruction cost to one call while the semantics stay those of the IR:
this tier is the reference every other tier is tested against.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

from mochic.frontend.types import StructInfo as MStructInfo
from mochic.interp import runtime as rt
from mochic.interp.runtime import MAX_I64, MIN_I64, Env, MochiError, wrap
from mochic.interp.values import Closure, StructInfo, StructVal
from mochic.ir import ir

Op = Callable[[list], None]
Term = Callable[[list], int]

_RETURN = -1


class Function:
    """A compiled IR function; ``run(*args)`` executes it."""

    def __init__(self, fn: ir.Function) -> None:
        self.ir = fn
        self.name = fn.name
        self.blocks: list[tuple[tuple[Op, ...], Term]] = []
        self.run: Callable[..., Any] = self._run_unlinked

    def _run_unlinked(self, *args: Any) -> Any:  # pragma: no cover - replaced by link()
        raise RuntimeError(f"function {self.name} was not linked")

    def link(self) -> None:
        blocks = self.blocks
        nregs = len(self.ir.regs) + 1
        ret_slot = nregs - 1
        nparams = len(self.ir.params)

        def run(*args: Any) -> Any:
            r = [None] * nregs
            r[:nparams] = args
            bi = 0
            while True:
                ops, term = blocks[bi]
                for op in ops:
                    op(r)
                bi = term(r)
                if bi < 0:
                    return r[ret_slot]
        self.run = run


class Interpreter:
    def __init__(self, module: ir.Module, env: Env | None = None) -> None:
        self.m = module
        self.env = env or Env()
        self.globals: dict[str, Any] = {}
        for g in module.globals.values():
            self.globals[g.name] = {"i64": 0, "f64": 0.0, "bool": False}.get(g.ty)
        self.structs = {name: _runtime_struct(info) for name, info in module.structs.items()}
        self.funcs = {name: Function(fn) for name, fn in module.functions.items()}
        for f in self.funcs.values():
            self._compile(f)
            f.link()

    # ------------------------------------------------------------ compile

    def _compile(self, f: Function) -> None:
        labels = {b.label: i for i, b in enumerate(f.ir.blocks)}
        ret_slot = len(f.ir.regs)
        for blk in f.ir.blocks:
            ops = tuple(self._op(ins) for ins in blk.instrs)
            f.blocks.append((ops, self._term(blk.term, labels, ret_slot)))

    def _term(self, t: ir.Terminator | None, labels: dict[str, int], ret_slot: int) -> Term:
        if isinstance(t, ir.Jump):
            target = labels[t.target]
            return lambda r: target
        if isinstance(t, ir.Branch):
            c, yes, no = t.cond.id, labels[t.then], labels[t.else_]
            return lambda r: yes if r[c] else no
        if isinstance(t, ir.Ret):
            if t.value is None:
                return lambda r: _RETURN
            v = t.value.id

            def ret(r: list) -> int:
                r[ret_slot] = r[v]
                return _RETURN
            return ret
        line = t.line if t is not None else 0

        def unreachable(r: list) -> int:
            raise MochiError("unreachable code reached", line)
        return unreachable

    def _op(self, ins: ir.Instr) -> Op:
        name = ins.op
        d = ins.dst.id if ins.dst is not None else None
        a = [x.id for x in ins.args]
        special = _SPECIAL.get(name)
        if special is not None:
            return special(self, ins, d, a)
        fn = self._impl(ins)
        return _bind(fn, d, a, ins.line)

    def _impl(self, ins: ir.Instr) -> Callable[..., Any]:
        """The Python function computing ``ins`` from its operand values."""
        name, imm = ins.op, ins.imm
        fam = _family(name)
        if name in _PURE:
            return _PURE[name]
        if name in rt.STR_OPS:
            return rt.STR_OPS[name]
        if fam in _FAMILIES:
            return _FAMILIES[fam](self, imm)
        raise MochiError(f"the interpreter has no implementation of '{name}'", ins.line)

    # ------------------------------------------------------------ run

    def call(self, name: str, *args: Any) -> Any:
        return self.funcs[name].run(*args)

    def run_main(self) -> None:
        self.call(self.m.main)


def _family(name: str) -> str:
    """`list.get.i64` -> `list.get`; `map.set.ref.f64` -> `map.set`."""
    parts = name.split(".")
    while parts and parts[-1] in ir.IR_TYPES:
        parts.pop()
    return ".".join(parts)


def _runtime_struct(info: MStructInfo) -> StructInfo:
    return StructInfo(info.name, tuple(info.fields))


def _bind(fn: Callable[..., Any], d: int | None, a: list[int], line: int) -> Op:
    """A closure applying ``fn`` to registers ``a``, storing into ``d``, with the
    source line attached to any runtime error."""
    n = len(a)

    def fail(e: Exception) -> MochiError:
        if isinstance(e, MochiError):
            if not e.line:
                e.line = line
            return e
        if isinstance(e, RecursionError):
            return MochiError("stack overflow", line)
        if isinstance(e, OSError):
            raise e  # output closed (a broken pipe): not the program's error
        return MochiError(f"internal error: {type(e).__name__}: {e}", line)

    if n == 0:
        def op(r: list) -> None:
            try:
                v = fn()
            except Exception as e:
                raise fail(e) from None
            if d is not None:
                r[d] = v
    elif n == 1:
        x = a[0]

        def op(r: list) -> None:
            try:
                v = fn(r[x])
            except Exception as e:
                raise fail(e) from None
            if d is not None:
                r[d] = v
    elif n == 2:
        x, y = a

        def op(r: list) -> None:
            try:
                v = fn(r[x], r[y])
            except Exception as e:
                raise fail(e) from None
            if d is not None:
                r[d] = v
    else:
        def op(r: list) -> None:
            try:
                v = fn(*[r[i] for i in a])
            except Exception as e:
                raise fail(e) from None
            if d is not None:
                r[d] = v
    return op


# ---------------------------------------------------------------- pure operations

def _add(a: int, b: int) -> int:
    x = a + b
    return x if MIN_I64 <= x <= MAX_I64 else wrap(x)


def _sub(a: int, b: int) -> int:
    x = a - b
    return x if MIN_I64 <= x <= MAX_I64 else wrap(x)


def _mul(a: int, b: int) -> int:
    x = a * b
    return x if MIN_I64 <= x <= MAX_I64 else wrap(x)


_PURE: dict[str, Callable[..., Any]] = {
    "add.i64": _add, "sub.i64": _sub, "mul.i64": _mul,
    "div.i64": rt.div_i64, "rem.i64": rt.rem_i64,
    "and.i64": lambda a, b: a & b, "or.i64": lambda a, b: a | b,
    "xor.i64": lambda a, b: a ^ b,
    "shl.i64": lambda a, b: wrap(a << (b & 63)), "shr.i64": lambda a, b: a >> (b & 63),
    "neg.i64": lambda a: wrap(-a), "abs.i64": lambda a: wrap(abs(a)),
    "add.f64": lambda a, b: a + b, "sub.f64": lambda a, b: a - b,
    "mul.f64": lambda a, b: a * b, "div.f64": rt.div_f64, "rem.f64": rt.rem_f64,
    "neg.f64": lambda a: -a,
    "eq.bool": lambda a, b: a == b, "ne.bool": lambda a, b: a != b,
    "not.bool": lambda a: not a,
    "i2f": float, "f2i": rt.f2i,
    "is.none": lambda a: a is None,
    "eq.ref": rt.equal, "ne.ref": lambda a, b: not rt.equal(a, b),
    "any.neg": rt.any_neg, "any.truthy": rt.truthy,
    "any.index": rt.any_index, "any.set_index": rt.any_set_index, "any.len": rt.any_len,
    "any.contains": rt.any_contains, "any.iter": rt.any_iter,
    "any.to_int": rt.any_to_int, "any.to_float": rt.any_to_float,
    "list.len": len, "list.concat": lambda a, b: a + b, "list.slice": rt.seq_slice,
    "list.reverse": lambda a: a[::-1], "list.union_all": lambda a, b: a + b,
    "list.union": lambda a, b: rt.distinct(a + b),
    "list.except": lambda a, b: rt.distinct([x for x in a if not rt.contains(b, x)]),
    "list.intersect": lambda a, b: rt.distinct([x for x in a if rt.contains(b, x)]),
    "list.distinct": rt.distinct, "list.sort": rt.sort_by_keys,
    "list.sum.i64": lambda xs: wrap(sum(xs)), "list.sum.f64": lambda xs: float(sum(xs)),
    "list.sum.any": rt.list_sum_any, "list.avg": rt.list_avg,
    "list.min": rt.list_min_max(-1), "list.max": rt.list_min_max(1),
    "list.range": rt.list_range,
    "map.len": len, "map.keys": rt.sorted_keys,
    "map.values": lambda m: [m[k] for k in rt.sorted_keys(m)],
    "group.by": rt.group_by, "group.key": lambda g: g.key, "group.items": lambda g: g.items,
}
for _c in ("eq", "ne", "lt", "le", "gt", "ge"):
    _test = rt.any_cmp(_c)
    _PURE[f"{_c}.any"] = _test
    _PURE[f"{_c}.str"] = _test
_PURE.update({
    "eq.i64": lambda a, b: a == b, "ne.i64": lambda a, b: a != b,
    "lt.i64": lambda a, b: a < b, "le.i64": lambda a, b: a <= b,
    "gt.i64": lambda a, b: a > b, "ge.i64": lambda a, b: a >= b,
})
for _c in ("eq", "ne", "lt", "le", "gt", "ge"):
    _PURE[f"{_c}.f64"] = _PURE[f"{_c}.i64"]


def _box(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    return lambda v: v


def _unbox(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    return rt.unbox(imm[0])


def _conv(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    # Python containers hold any value: converting list<int> to list<any> keeps the list.
    return lambda v: v


def _binop(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    return rt.any_binop(imm[0])


def _any_field(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    return rt.any_field(imm[0])


def _list_new(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    return lambda: []


def _map_new(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    return lambda: {}


def _struct_new(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    info = interp.structs[imm[0]]
    return lambda *fields: StructVal(info, list(fields))


def _struct_is(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    info = interp.structs[imm[0]]
    return lambda v: type(v) is StructVal and v.info is info


def _struct_get(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    i, fname = imm[1], interp.structs[imm[0]].field_names[imm[1]]

    def get(v: Any) -> Any:
        if v is None:
            raise MochiError(f"cannot read field '{fname}' of nil")
        return v.fields[i]
    return get


def _struct_set(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    i, fname = imm[1], interp.structs[imm[0]].field_names[imm[1]]

    def put(v: Any, x: Any) -> None:
        if v is None:
            raise MochiError(f"cannot set field '{fname}' of nil")
        v.fields[i] = x
    return put


def _map_get(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    zero = imm[0] if imm else None
    return lambda m, k: m.get(k, zero) if m is not None else zero


def _map_set(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    def put(m: dict, k: Any, v: Any) -> None:
        m[k] = v
    return put


def _map_has(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    return lambda m, k: k in m


def _map_del(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    return lambda m, k: m.pop(k, None) and None


def _list_push(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    return lambda xs, v: xs.append(v)


def _list_append(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    return lambda xs, v: [*xs, v]


def _closure_new(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    func = interp.funcs[imm[0]]
    return lambda *env: Closure(func, env)


def _closure_get(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    i = imm[0]
    return lambda c: c.env[i]


def _math(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    return rt.MATH1[imm[0]]


def _math2(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    return rt.MATH2[imm[0]]


def _print(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    return interp.env.print


def _json(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    return interp.env.json


def _input(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    return interp.env.input


def _now(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    return interp.env.now


def _panic(interp: Interpreter, imm: tuple) -> Callable[..., Any]:
    def stop(msg: str) -> None:
        raise MochiError(msg)
    return stop


_FAMILIES: dict[str, Callable[[Interpreter, tuple], Callable[..., Any]]] = {
    "box": _box, "unbox": _unbox, "conv": _conv, "any.binop": _binop,
    "any.field": _any_field,
    "list.new": _list_new, "list.get": lambda i, imm: rt.list_get,
    "list.set": lambda i, imm: rt.list_set, "list.push": _list_push,
    "list.append": _list_append, "list.contains": lambda i, imm: rt.contains,
    "list.index_of": lambda i, imm: rt.index_of,
    "map.new": _map_new, "map.get": _map_get, "map.set": _map_set, "map.has": _map_has,
    "map.del": _map_del,
    "struct.new": _struct_new, "struct.is": _struct_is, "struct.get": _struct_get,
    "struct.set": _struct_set,
    "closure.new": _closure_new, "closure.get": _closure_get,
    "cell.new": lambda i, imm: lambda v: [v], "cell.get": lambda i, imm: lambda c: c[0],
    "math": _math, "math2": _math2,
    "print": _print, "json": _json, "input": _input, "now": _now, "panic": _panic,
}


# ---------------------------------------------------------------- special forms
# Operations that touch registers, globals or calls directly rather than values.

def _const(interp: Interpreter, ins: ir.Instr, d: int | None, a: list[int]) -> Op:
    v = ins.imm[0] if ins.imm else None
    if ins.op == "const.f64":
        v = float(v)  # type: ignore[arg-type]

    def op(r: list) -> None:
        r[d] = v
    return op


def _mov(interp: Interpreter, ins: ir.Instr, d: int | None, a: list[int]) -> Op:
    x = a[0]

    def op(r: list) -> None:
        r[d] = r[x]
    return op


def _global_get(interp: Interpreter, ins: ir.Instr, d: int | None, a: list[int]) -> Op:
    g, name = interp.globals, ins.imm[0]

    def op(r: list) -> None:
        r[d] = g[name]
    return op


def _global_set(interp: Interpreter, ins: ir.Instr, d: int | None, a: list[int]) -> Op:
    g, name, x = interp.globals, ins.imm[0], a[0]

    def op(r: list) -> None:
        g[name] = r[x]
    return op


def _cell_set(interp: Interpreter, ins: ir.Instr, d: int | None, a: list[int]) -> Op:
    c, x = a

    def op(r: list) -> None:
        r[c][0] = r[x]
    return op


def _call(interp: Interpreter, ins: ir.Instr, d: int | None, a: list[int]) -> Op:
    f = interp.funcs[ins.imm[0]]
    line = ins.line

    def op(r: list) -> None:
        try:
            v = f.run(*[r[i] for i in a])
        except RecursionError:
            raise MochiError("stack overflow", line) from None
        if d is not None:
            r[d] = v
    return op


def _call_closure(interp: Interpreter, ins: ir.Instr, d: int | None, a: list[int]) -> Op:
    line = ins.line

    def op(r: list) -> None:
        c = r[a[0]]
        if type(c) is not Closure:
            raise MochiError(f"cannot call {rt.type_name(c)}", line)
        try:
            v = c.func.run(c, *[r[i] for i in a[1:]])
        except RecursionError:
            raise MochiError("stack overflow", line) from None
        if d is not None:
            r[d] = v
    return op


def _expect(interp: Interpreter, ins: ir.Instr, d: int | None, a: list[int]) -> Op:
    in_test = bool(ins.imm and ins.imm[0])
    x, line, results = a[0], ins.line, interp.env.test_results

    def op(r: list) -> None:
        ok = bool(r[x])
        if in_test:
            results.append((line, ok))
        elif not ok:
            raise MochiError("expect failed", line)
    return op


_SPECIAL: dict[str, Callable[[Interpreter, ir.Instr, int | None, list[int]], Op]] = {
    "const.i64": _const, "const.f64": _const, "const.bool": _const, "const.str": _const,
    "const.none": _const,
    "call": _call, "call.closure": _call_closure, "expect": _expect,
}
for _t in ir.IR_TYPES:
    _SPECIAL[f"mov.{_t}"] = _mov
    _SPECIAL[f"global.get.{_t}"] = _global_get
    _SPECIAL[f"global.set.{_t}"] = _global_set
    _SPECIAL[f"cell.set.{_t}"] = _cell_set


def run_in_big_stack(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` on a thread with a large stack, so deep Mochi recursion fits."""
    result: list[Any] = [None]
    error: list[BaseException | None] = [None]

    def target() -> None:
        try:
            result[0] = fn()
        except BaseException as e:  # re-raised on the calling thread
            error[0] = e

    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200_000)
    threading.stack_size(1 << 30)
    t = threading.Thread(target=target)
    t.start()
    t.join()
    threading.stack_size(0)
    sys.setrecursionlimit(old_limit)
    if error[0] is not None:
        raise error[0]
    return result[0]
