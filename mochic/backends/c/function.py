"""One IR function as one static C function.

Registers become typed C locals (`int64_t`, `double`, `bool`, `mref`) named
`r<N>`, blocks become labels reached by `goto`, and each instruction one line
of C preceded by a `#line` directive naming its Mochi source line, so a
debugger and a crash backtrace show `prog.mochi:LINE`.  The C of each
instruction comes from `instrs.py`; an opcode without a handler there is a
runtime call (`mochi.h`: IR opcode `a.b.T` is `mochi_a_b_T(line,
operands..., immediates...)`).

Reference counting follows docs/RUNTIME.md: each ref register owns one
reference; writing one releases its old value; copies retain; parameters are
retained on entry; a returned value goes to the caller.  `ir/refcount.py` says
when each value dies (it is released and its register cleared right there,
so nothing is left to release at a return) and which counting work is
provably unnecessary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mochic.backends.c.names import C_TYPES, RELEASE, RETAIN, ZERO, Namer, c_type
from mochic.ir import ir
from mochic.ir.ops import OPS
from mochic.ir.refcount import Facts, analyse, quiet

if TYPE_CHECKING:
    from mochic.backends.c.emit import ModuleEmitter


def signature(name: str, fn: ir.Function) -> str:
    params = ", ".join(f"{C_TYPES[p.ty]} r{p.id}" for p in fn.params) or "void"
    return f"static {c_type(fn.result)} {name}({params})"


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
        # borrowed list elements read earlier in this block, by (list, index) register:
        # the same element read again (`bs[i].x ... bs[i].y`) is the same pointer
        self.peeks: dict[tuple[int, int], int] = {}
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
            self.peeks = {}
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
                self.forget_peeks(ins)
                text = self.instr(ins)
                dying = self.releases(r for r in f.dies.get((blk.label, k), ())
                                      if r not in self.moved)
                self.put(ins.line, text + (" " + dying if dying else ""))
            self.terminator(blk.term, nxt)
        self.out.append("}")
        # a label every jump to which fell through to it would be unused
        return [text for i, text in enumerate(self.out)
                if self.label_lines.get(i, None) in (None, *self.jumped)]

    def forget_peeks(self, ins: ir.Instr) -> None:
        """Drop the peeks that ``ins`` may invalidate: all of them if it may change a
        list or run Mochi code, else those of the register it writes."""
        if not quiet(ins.op):
            self.peeks = {}
        elif ins.dst is not None:
            d = ins.dst.id
            self.peeks = {k: v for k, v in self.peeks.items() if d not in (*k, v)}

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
                text = "return NULL;" if self.fn.result else "return;"
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
        from mochic.backends.c.instrs import HANDLERS
        return HANDLERS[ins.op](self, ins)

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
