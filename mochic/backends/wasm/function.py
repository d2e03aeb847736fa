"""One IR function as one WebAssembly function.

Registers are the function's locals: parameters first, then the other
registers grouped by value type (`i64`, `f64`, and `i32` for bools and refs,
which are addresses in linear memory), then a few scratch locals.  The
blocks become structured control flow (`control.py`); the code of each
instruction comes from the lowering table of `instrs.py`.

Reference counting follows docs/RUNTIME.md and `ir/refcount.py` exactly as
the C backend does (backends/c/function.py): each ref register owns one
reference, released (and cleared) right after the instruction that last
reads it; copies retain; a store that is a value's last use takes its
reference over; parameters the function never assigns are borrowed; string
constants, none and field-less structs are immortal and never counted.
The helpers below are the C emitter's, spelt as stack code: ``value`` is a
function that pushes the value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mochic.backends.wasm import control
from mochic.backends.wasm.code import Code
from mochic.backends.wasm.leb128 import uleb
from mochic.backends.wasm.opcodes import IR_VALTYPE, VALTYPES
from mochic.ir import ir
from mochic.ir.refcount import Facts, analyse

if TYPE_CHECKING:
    from mochic.backends.wasm.encode import ModuleEncoder

Emit = Callable[[], None]

# how each IR type is read from and written to an 8-byte slot of the heap (a bool
# is one byte, as C's)
SLOT_LOAD = {"i64": "i64.load", "f64": "f64.load", "bool": "i32.load8_u", "ref": "i32.load"}
SLOT_STORE = {"i64": "i64.store", "f64": "f64.store", "bool": "i32.store8", "ref": "i32.store"}
ZERO_CONST = {"i64": ("i64.const", 0), "f64": ("f64.const", 0.0), "i32": ("i32.const", 0)}


@dataclass(frozen=True)
class MemPlace:
    """An 8-byte slot at ``offset`` from the address held in local ``base``."""

    base: int
    offset: int
    ty: str  # the IR type of what it holds


@dataclass(frozen=True)
class GlobalPlace:
    symbol: int
    ty: str


Place = MemPlace | GlobalPlace


class FunctionEncoder:
    def __init__(self, mod: ModuleEncoder, fn: ir.Function) -> None:
        self.mod = mod
        self.fn = fn
        self.facts: Facts = analyse(fn)
        self.code = Code()
        self.block: ir.Block = fn.blocks[0]
        self.k = 0
        self.moved: set[int] = set()
        self.blocks = {b.label: b for b in fn.blocks}
        # local 0 is the depth of Mochi calls this call runs at (see instrs._nested)
        self.locals: dict[int, int] = {p.id: 1 + i for i, p in enumerate(fn.params)}
        self.nparams = 1 + len(fn.params)
        self.local_types: list[str] = []
        params = {p.id for p in fn.params}
        for vt in ("i64", "f64", "i32"):
            for r in fn.regs:
                if r.id not in params and IR_VALTYPE[r.ty] == vt and self._declared(r):
                    self.locals[r.id] = self.nparams + len(self.local_types)
                    self.local_types.append(vt)
        self.scratch: dict[str, int] = {}

    def _declared(self, r: ir.Reg) -> bool:
        return r.id in self.facts.defs or bool(self.facts.uses.get(r.id))

    def temp(self, name: str, vt: str = "i32") -> int:
        """A scratch local (``t``: a new object; ``o``: an old value; ``rc``: a count
        being changed; ``label``: the dispatch loop's)."""
        got = self.scratch.get(name)
        if got is None:
            got = self.scratch[name] = self.nparams + len(self.local_types)
            self.local_types.append(vt)
        return got

    # ------------------------------------------------------------ output

    def encode(self) -> tuple[bytes, Code]:
        """The body (locals and code) and the code's relocations and lines, relative
        to the start of the body."""
        fn, f, c = self.fn, self.facts, self.code
        c.line(fn.line or 1)
        entry_live = f.live_in.get(fn.blocks[0].label, set())
        for p in fn.params:
            if f.owned(p):
                # an owned parameter holds its own reference while its value is live
                if p.id in entry_live:
                    self.retain_local(self.loc(p))
                else:
                    self.clear(p)
        self.nodes(control.structure(fn), 0)
        c.op("unreachable")  # every path has returned; the validator cannot know
        c.op("end")
        groups: list[tuple[int, str]] = []
        for vt in self.local_types:
            if groups and groups[-1][1] == vt:
                groups[-1] = (groups[-1][0] + 1, vt)
            else:
                groups.append((1, vt))
        prefix = uleb(len(groups)) + b"".join(uleb(n) + bytes([VALTYPES[vt]]) for n, vt in groups)
        shift = len(prefix)
        c.relocs = [r._replace(offset=r.offset + shift) for r in c.relocs]
        c.lines = [(off + shift, line) for off, line in c.lines]
        return prefix + bytes(c.data), c

    def nodes(self, nodes: list[control.Node], depth: int) -> None:
        c = self.code
        for n in nodes:
            if isinstance(n, control.Code):
                self.block_code(self.blocks[n.label])
            elif isinstance(n, control.Block):
                c.op("block", "")
                self.nodes(n.body, depth + 1)
                c.op("end")
            elif isinstance(n, control.Loop):
                c.op("loop", "")
                self.nodes(n.body, depth + 1)
                c.op("end")
            elif isinstance(n, control.If):
                t = self.blocks[n.label].term
                assert isinstance(t, ir.Branch)
                c.line(t.line or 1)
                self.get(t.cond)
                c.op("if", "")
                self.nodes(n.then, depth + 1)
                if n.else_:
                    c.op("else")
                    self.nodes(n.else_, depth + 1)
                c.op("end")
            elif isinstance(n, control.Br):
                c.op("br", n.depth)
            elif isinstance(n, control.Exit):
                self.exit(self.blocks[n.label].term)
            elif isinstance(n, control.SetLabel):
                c.op("i32.const", n.index)
                c.op("local.set", self.temp("label"))
            elif isinstance(n, control.Dispatch):
                c.op("local.get", self.temp("label"))
                c.op("br_table", list(range(n.count)))

    def block_code(self, blk: ir.Block) -> None:
        from mochic.backends.wasm.instrs import LOWER
        f, c = self.facts, self.code
        self.block = blk
        dead = f.entry_dead.get(blk.label, ())
        if dead:
            first = blk.instrs[0].line if blk.instrs else (blk.term.line if blk.term else 0)
            c.line(first or 1)
            self.releases(dead)
        for k, ins in enumerate(blk.instrs):
            self.k = k
            self.moved = set()
            c.line(ins.line)
            LOWER[ins.op](self, ins)
            self.releases(r for r in f.dies.get((blk.label, k), ()) if r not in self.moved)

    def exit(self, t: ir.Terminator | None) -> None:
        c = self.code
        line = (t.line if t is not None else 0) or 1
        c.line(line)
        if isinstance(t, ir.Ret):
            # every other register is dead here, so already released
            if t.value is None:
                if self.fn.result is not None:
                    c.op(*ZERO_CONST[IR_VALTYPE[self.fn.result]])
            else:
                if t.value.ty == "ref" and not self.facts.owned(t.value):
                    self.retain_local(self.loc(t.value))
                self.get(t.value)
            c.op("return")
        else:
            c.op("i32.const", line)
            self.call_runtime("mochi_unreachable", ("i32",), ())
            c.op("unreachable")

    # ------------------------------------------------------------ registers

    def loc(self, r: ir.Reg) -> int:
        return self.locals[r.id]

    def get(self, r: ir.Reg) -> None:
        self.code.op("local.get", self.loc(r))

    def put(self, r: ir.Reg) -> None:
        self.code.op("local.set", self.loc(r))

    def clear(self, r: ir.Reg) -> None:
        self.code.op("i32.const", 0)
        self.put(r)

    def retain_local(self, local: int) -> None:
        """mochi_retain_inline: count one more reference unless null or immortal."""
        c, rc = self.code, self.temp("rc")
        c.op("local.get", local)
        c.op("if", "")
        c.op("local.get", local)
        c.mem("i32.load", 0)
        c.op("local.tee", rc)
        c.op("i32.const", 0)
        c.op("i32.ge_s")
        c.op("if", "")
        c.op("local.get", local)
        c.op("local.get", rc)
        c.op("i32.const", 1)
        c.op("i32.add")
        c.mem("i32.store", 0)
        c.op("end")
        c.op("end")

    def release_local(self, local: int) -> None:
        """mochi_release_inline: count one reference less; the runtime frees the last."""
        c, rc = self.code, self.temp("rc")
        c.op("local.get", local)
        c.op("if", "")
        c.op("local.get", local)
        c.mem("i32.load", 0)
        c.op("local.tee", rc)
        c.op("i32.const", 1)
        c.op("i32.gt_s")
        c.op("if", "")
        c.op("local.get", local)
        c.op("local.get", rc)
        c.op("i32.const", 1)
        c.op("i32.sub")
        c.mem("i32.store", 0)
        c.op("else")
        c.op("local.get", rc)
        c.op("i32.const", 1)
        c.op("i32.eq")
        c.op("if", "")
        c.op("local.get", local)
        self.call_runtime("mochi_release", ("i32",), ())
        c.op("end")
        c.op("end")
        c.op("end")

    def releases(self, regs: object) -> None:
        """Release (and clear) the owned registers among ``regs`` (ids), whose values died."""
        for rid in regs:  # type: ignore[attr-defined]
            r = self.fn.regs[rid]
            if self.facts.owned(r):
                self.release_local(self.loc(r))
                self.clear(r)

    def set_scalar(self, d: ir.Reg | None, value: Emit) -> None:
        value()
        if d is None or not self.facts.uses.get(d.id):
            self.code.op("drop")
        else:
            self.put(d)

    def set_new(self, d: ir.Reg | None, value: Emit, args: list[ir.Reg] | None = None,
                after: Callable[[int], None] | None = None) -> None:
        """Store a new reference (a runtime result) into ref register ``d``; ``after``
        runs with the local that holds the new object, before it is stored."""
        c = self.code
        if d is None:
            value()
            if after is not None:
                t = self.temp("t")
                c.op("local.set", t)
                after(t)
                c.op("local.get", t)
            self.call_runtime("mochi_release", ("i32",), ())
            return
        if d.id in self.facts.borrowed:
            value()
            self.put(d)
            self.release_local(self.loc(d))
            if after is not None:
                after(self.loc(d))
            return
        if after is None and not any(a is d for a in (args or [])):
            if not self.facts.fresh(d):
                self.release_local(self.loc(d))
            value()
            self.put(d)
            return
        t = self.temp("t")
        value()
        c.op("local.set", t)
        if after is not None:
            after(t)
        self.release_local(self.loc(d))
        c.op("local.get", t)
        self.put(d)

    def set_borrowed(self, d: ir.Reg | None, value: Emit) -> None:
        """Store a borrowed ref (read from a field, global, cell, capture) into ``d``."""
        if d is None:
            return
        if d.id in self.facts.borrowed:
            value()
            self.put(d)
        elif self.facts.fresh(d):
            value()
            self.put(d)
            self.retain_local(self.loc(d))
        else:
            t = self.temp("t")
            value()
            self.code.op("local.set", t)
            self.retain_local(t)
            self.release_local(self.loc(d))
            self.code.op("local.get", t)
            self.put(d)

    def movable(self, v: ir.Reg) -> bool:
        """Can the instruction being encoded take over ``v``'s reference (its last reader
        stores or copies it)?  Then ``v`` is cleared instead of released afterwards."""
        ins = self.block.instrs[self.k]
        if not self.facts.owned(v) or not self.facts.dead_after(v, self.block, self.k):
            return False
        if ins.dst is v or sum(a is v for a in ins.args) != 1:
            return False
        self.moved.add(v.id)
        return True

    # ------------------------------------------------------------ places

    def load(self, p: Place) -> None:
        if isinstance(p, GlobalPlace):
            self.code.global_op("global.get", p.symbol)
        else:
            self.code.op("local.get", p.base)
            self.code.mem(SLOT_LOAD[p.ty], p.offset)

    def store_value(self, p: Place, value: Emit) -> None:
        if isinstance(p, GlobalPlace):
            value()
            self.code.global_op("global.set", p.symbol)
        else:
            self.code.op("local.get", p.base)
            value()
            self.code.mem(SLOT_STORE[p.ty], p.offset)

    def store(self, p: Place, v: ir.Reg, old: bool = True) -> None:
        """Store register ``v`` into ``p``; a ref keeps a reference there, and what ``p``
        held is released unless ``old`` is false (a fresh slot)."""
        if v.ty != "ref":
            self.store_value(p, lambda: self.get(v))
            return
        c = self.code
        o = self.temp("o")
        if old:
            self.load(p)
            c.op("local.set", o)
        if self.movable(v):
            self.store_value(p, lambda: self.get(v))
            self.clear(v)
        else:
            self.retain_local(self.loc(v))
            self.store_value(p, lambda: self.get(v))
        if old:
            self.release_local(o)

    # ------------------------------------------------------------ calls

    def call_runtime(self, name: str, params: tuple[str, ...], results: tuple[str, ...]) -> None:
        self.code.call(self.mod.import_function(name, (params, results)))

    def rt(self, name: str, ins: ir.Instr, extra: list[tuple[str, Emit]] | None = None,
           result: str | None = None) -> Emit:
        """A call of runtime function ``name`` (line, operands, then ``extra``
        values of the given value types), as a value."""
        def emit() -> None:
            self.code.op("i32.const", ins.line)
            for a in ins.args:
                self.get(a)
            for _, push in extra or []:
                push()
            params = ("i32", *(IR_VALTYPE[a.ty] for a in ins.args),
                      *(vt for vt, _ in extra or []))
            results = (IR_VALTYPE[result],) if result is not None else ()
            self.call_runtime(name, params, results)
        return emit
