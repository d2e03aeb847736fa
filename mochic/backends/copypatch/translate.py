"""IR functions as sequences of stencils.

Each IR instruction becomes a few stencils (a `Step`); each stencil use is a
`Piece` naming the stencil and the values of its operand holes.  Registers
live in the frame: register N in slot N, 8 bytes each (params are the first
registers, so the caller writes the arguments into the callee's first
slots).  Past the registers, from byte FS on, is the outgoing area: a
callee's frame, or scratch for `print`'s arguments and a struct or closure
being built.

Reference counting follows the C backend (docs/RUNTIME.md) and uses its
analysis (`ir/refcount.py`): every ref register owns its value,
except parameters the function never assigns (the caller keeps them alive)
and the borrowed reads the analysis proves safe, which use the `__raw`
stencils; a value is released right after the instruction it dies at, or on
entry to a block where it is no longer live.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from mochic.backends.copypatch.divide import magic
from mochic.backends.copypatch.model import Stencil, function_symbol
from mochic.frontend.types import BOOL, INT, STRING
from mochic.ir import ir
from mochic.ir.ops import CALL_OPS, OPS
from mochic.ir.printer import format_instr, format_term
from mochic.ir.refcount import Facts, analyse
from mochic.runtime.layout import Ref
from mochic.runtime.statics import StaticData

SLOT = 8
# Small constants fold into the instruction that uses them (hole KS: a 32-bit
# immediate the stencils read as an address, so it must be non-negative).
KS_LIMIT = 1 << 31
PLAIN_TYPES = (INT, BOOL, STRING)  # printed by mochi_print_plain
_INT_BINOPS = ("add", "sub", "mul", "and", "or", "xor", "shl", "shr", "div", "rem")
_COMPARES = ("eq", "ne", "lt", "le", "gt", "ge")
_SCALAR_KIND = {"i64": "s", "f64": "s", "bool": "b", "ref": "ref"}


class NoStencil(Exception):
    """An instruction the stencil set cannot express; the program runs on interp."""


def global_symbol(name: str) -> str:
    return f"mochi.global.{name}"


@dataclass
class Piece:
    stencil: str
    values: dict[str, int | Ref] = field(default_factory=dict)  # Ref: an address to relocate
    target: str | None = None  # a block label, for TARGET
    callee: str | None = None  # a function name, for CALLEE
    # runtime functions this use calls in place of the stencil's own (`sym:` holes), with
    # the same signature: a cheaper variant the static types allow
    calls: dict[str, str] = field(default_factory=dict)


@dataclass
class Step:
    what: ir.Instr | ir.Terminator | str | None  # the IR it comes from, or a note
    line: int
    pieces: list[Piece]

    @property
    def text(self) -> str:
        """What the step does, in IR text (made only when asked: `mochic disasm`)."""
        if isinstance(self.what, ir.Instr):
            return format_instr(self.what)
        if isinstance(self.what, str):
            return self.what
        return format_term(self.what)


@dataclass
class Translation:
    fn: ir.Function
    steps: list[Step]
    labels: dict[str, int]  # block label -> index of its first step
    frame: int  # bytes of registers: FS
    outgoing: int  # bytes the function writes past FS


class FunctionTranslator:
    def __init__(self, fn: ir.Function, module: ir.Module, data: StaticData,
                 stencils: Mapping[str, Stencil], limits: Ref) -> None:
        self.fn = fn
        self.module = module
        self.data = data
        self.stencils = stencils
        self.limits = limits
        self.facts: Facts = analyse(fn)
        self.fs = SLOT * max(len(fn.regs), 1)
        self.outgoing = SLOT
        self.steps: list[Step] = []
        self.pieces: list[Piece] = []
        self.blocks = {b.label: b for b in fn.blocks}
        self.into: dict[int, ir.Reg] = {}
        self.traps: dict[str, int] = {}  # label of an overflow stub -> its line
        self.consts = self._small_constants()
        self.unfolded = self._unfolded_uses()
        self.borrowed = {r for r in self.facts.borrowed if self._raw_writes(r)}

    def _ref_retarget(self, ins: ir.Instr, d: ir.Reg, v: ir.Reg) -> bool:
        """May `%d = OP; %v = mov.ref %d` become OP writing %v?  When %v owns its value
        and %d is a temporary written only here: OP's owned form then keeps the one
        reference the copy would have (retaining a borrowed read, releasing %v's old
        value), and %d, never written, stays none."""
        defs = self.facts.defs.get(d.id, [])
        return (self.owned(v) and len(defs) == 1 and d.id not in self.facts.borrowed_params
                and ins.op not in ("struct.new", "closure.new", "const.str", "const.none"))

    # ------------------------------------------------------------ facts

    def _writes(self, rid: int) -> list[ir.Instr]:
        """The instructions that write register ``rid`` (from the analysis)."""
        return [self.blocks[label].instrs[k] for label, k in self.facts.defs.get(rid, [])]

    def _small_constants(self) -> dict[int, int]:
        """Registers that always hold one small int constant."""
        params = {p.id for p in self.fn.params}
        out = {}
        for rid in self.facts.defs:
            ws = self._writes(rid)
            if len(ws) == 1 and ws[0].op == "const.i64" and rid not in params:
                v = int(ws[0].imm[0])
                if 0 <= v < KS_LIMIT:
                    out[rid] = v
        return out

    def _raw_writes(self, rid: int) -> bool:
        """Can every write of a register the analysis calls borrowed be a borrowed read?"""
        return all(self._name(ins) + "__raw" in self.stencils for ins in self._writes(rid))

    def owned(self, r: ir.Reg) -> bool:
        return r.ty == "ref" and r.id not in self.facts.borrowed_params and \
            r.id not in self.borrowed

    # ------------------------------------------------------------ output

    def emit(self, stencil: str, **values: int | Ref) -> Piece:
        if stencil not in self.stencils:
            raise NoStencil(f"no stencil {stencil} (in function {self.fn.name})")
        p = Piece(stencil, values)
        self.pieces.append(p)
        return p

    def step(self, what: ir.Instr | ir.Terminator | str | None, line: int) -> None:
        self.steps.append(Step(what, line, self.pieces))
        self.pieces = []

    def translate(self) -> Translation:
        fn, f = self.fn, self.facts
        labels: dict[str, int] = {}
        self._prologue()
        self.step(f"entry of {fn.name}", fn.line)
        fused = self._fused_compares()
        copies = self._retargets()
        order = self._order()
        for i, label in enumerate(order):
            blk = self.blocks[label]
            labels[blk.label] = len(self.steps)
            nxt = order[i + 1] if i + 1 < len(order) else None
            dead = [r for r in f.entry_dead.get(blk.label, ()) if self.owned(fn.regs[r])]
            for rid in dead:
                self.emit("release", A=rid * SLOT)
            if dead:
                self.step(f"{blk.label}: release dead registers", fn.line)
            for k, ins in enumerate(blk.instrs):
                if id(ins) in fused:
                    continue
                into = self.into.get(id(ins))
                if into is not None:
                    self.instr(replace(ins, dst=into))
                elif id(ins) not in copies:
                    self.instr(ins)
                for rid in f.dies.get((blk.label, k), ()):
                    # a value that died here was replaced by the result written into it
                    if self.owned(fn.regs[rid]) and (into is None or rid != into.id):
                        self.emit("release", A=rid * SLOT)
                self.step(ins, ins.line)
            self.terminator(blk, nxt)
        for label, line in self.traps.items():  # after every block: nothing falls in
            labels[label] = len(self.steps)
            self.emit("overflow", LINE=line)
            self.step("integer overflow", line)
        return Translation(fn, self.steps, labels, self.fs, self.outgoing)

    def _trap(self, piece: Piece, line: int) -> None:
        """Send a checked operation's TARGET (taken when its result does not fit) to
        the stub reporting 'integer overflow' at ``line``, one per line, after the
        function's blocks."""
        if any(h.value == "TARGET" for h in self.stencils[piece.stencil].holes):
            piece.target = f"$overflow{line}"
            self.traps[piece.target] = line

    # ------------------------------------------------------------ block layout

    def _thread(self, label: str) -> str:
        """Where a jump to ``label`` ends up: through blocks that only jump on."""
        seen = set()
        while label not in seen:
            seen.add(label)
            blk = self.blocks[label]
            if blk.instrs or not isinstance(blk.term, ir.Jump) or \
                    any(self.owned(self.fn.regs[r])
                        for r in self.facts.entry_dead.get(label, ())):
                return label
            label = blk.term.target
        return label

    def _order(self) -> list[str]:
        """Blocks in an order where most jumps fall through: each block followed by
        its first successor (a jump's target, a branch's `then`) if not placed yet;
        the entry first.  Blocks every jump goes around are left out."""
        order: list[str] = []
        placed: set[str] = set()
        pending = [self.fn.blocks[0].label]
        while pending:
            label = pending.pop()
            while label not in placed:
                placed.add(label)
                order.append(label)
                succ = [s for s in self._successors(label) if s not in placed]
                if not succ:
                    break
                pending.extend(reversed(succ[1:]))
                label = succ[0]
        return order

    def _retargets(self) -> set[int]:
        """`%t = OP ...; %v = mov %t` with %t read only there: OP writes %v itself
        (scalars only: a ref's ownership makes the copy count).  Returns the movs
        to skip; ``self.into`` maps each OP to its new destination."""
        skip: set[int] = set()
        producer: dict[int, ir.Instr] = {}  # a skipped mov -> the OP that now writes for it
        for b in self.fn.blocks:
            for ins, nxt in zip(b.instrs, b.instrs[1:], strict=False):
                d = ins.dst
                if d is None or id(ins) in self.fused or \
                        not nxt.op.startswith("mov.") or nxt.args[0] is not d or \
                        nxt.dst is None or nxt.dst is d or self.facts.uses.get(d.id) != 1 or \
                        ins.op in CALL_OPS:
                    continue
                if d.ty == "ref" and not self._ref_retarget(ins, d, nxt.dst):
                    continue
                op = producer.get(id(ins), ins)  # `%a = OP; %b = mov %a; %c = mov %b`
                self.into[id(op)] = nxt.dst
                producer[id(nxt)] = op
                skip.add(id(nxt))
        return skip

    def _prologue(self) -> None:
        fn, f = self.fn, self.facts
        params = {p.id for p in fn.params}
        refs = [r.id for r in fn.regs if r.ty == "ref" and r.id not in params]
        start = 0
        for i in range(1, len(refs) + 1):  # one zero_slots per run of consecutive slots
            if i == len(refs) or refs[i] != refs[i - 1] + 1:
                self.emit("zero_slots", D=refs[start] * SLOT, N=i - start)
                start = i
        entry_live = f.live_in.get(fn.blocks[0].label, set())
        for p in fn.params:
            if self.owned(p):
                if p.id in entry_live:
                    self.emit("retain", A=p.id * SLOT)
                else:  # its value is the caller's: a later write must not release it
                    self.emit("const_small", D=p.id * SLOT, KS=0)

    def _fused_compares(self) -> set[int]:
        """Comparisons read only by the branch that ends their block: the branch
        stencil does the comparison itself."""
        out = set()
        for blk in self.fn.blocks:
            t = blk.term
            if not isinstance(t, ir.Branch) or not blk.instrs:
                continue
            last = blk.instrs[-1]
            if last.dst is t.cond and self.facts.uses.get(t.cond.id) == 1 and \
                    self._compare_name(last) is not None and \
                    not self.facts.dies.get((blk.label, len(blk.instrs) - 1)):
                out.add(id(last))
        self.fused = out
        return out

    # ------------------------------------------------------------ instructions

    def _name(self, ins: ir.Instr) -> str:
        return ins.op.replace(".", "_")

    def _compare_name(self, ins: ir.Instr) -> str | None:
        """The stencil name of a comparison, with `_k` when B is a small constant."""
        parts = ins.op.split(".")
        if ins.op in ("is.none", "struct.is"):
            return ins.op.replace(".", "_")
        if len(parts) != 2 or parts[0] not in _COMPARES or parts[1] not in ("i64", "f64", "bool"):
            return None
        if parts[1] == "i64" and ins.args[1].id in self.consts:
            return f"{parts[0]}_i64_k"
        return f"{parts[0]}_{parts[1]}"

    def _operands(self, name: str, ins: ir.Instr) -> dict[str, int | Ref]:
        v: dict[str, int | Ref] = {}
        for hole, a in zip("ABC", ins.args, strict=False):
            v[hole] = a.id * SLOT
        if name.endswith("_k"):
            del v["B"]
            v["KS"] = self.consts[ins.args[1].id]
        elif name == "struct_is":
            v["K"] = self.data.desc(ins.imm[0])
        return v

    def dest(self, d: ir.Reg | None) -> int:
        return (d.id if d is not None else 0) * SLOT

    def value_op(self, name: str, ins: ir.Instr, **extra: int | Ref) -> None:
        """An instruction whose result goes to its destination register by the
        stencil's result kind: a scalar as it is; a ref into an owned register
        (releasing the old value) or a borrowed one (`__raw`); an unused ref
        result made in the scratch slot and released."""
        d = ins.dst
        vals = {**self._operands(name, ins), **extra, "LINE": ins.line}
        if d is None:
            spec = OPS.get(ins.op)
            if spec is not None and spec.result == "ref":
                self.emit("const_small", D=self.fs, KS=0)
                self.emit(name, D=self.fs, **vals)
                self.emit("release", A=self.fs)
            else:
                self._trap(self.emit(name, D=self.fs, **vals), ins.line)
            return
        if d.ty == "ref" and not self.owned(d) and name + "__raw" in self.stencils:
            name += "__raw"
        self._trap(self.emit(name, D=d.id * SLOT, **vals), ins.line)

    def instr(self, ins: ir.Instr) -> None:
        handler = HANDLERS[ins.op]
        if handler is not None and getattr(self, handler)(ins) is not False:
            return
        name = self._name(ins)
        if ins.op == "str.concat" and ins.imm and ins.imm[0] == "reuse":
            name = "str_append"
        self.value_op(name, ins, **self._immediates(ins))

    def _immediates(self, ins: ir.Instr) -> dict[str, int | Ref]:
        """The holes a runtime-call stencil takes for the instruction's immediates, by
        their kind in the opcode table: types and names as addresses in K then K2,
        flags as N (0 when left out)."""
        out: dict[str, int | Ref] = {}
        wide = iter(("K", "K2"))
        for i, kind in enumerate(OPS[ins.op].imm):
            v = ins.imm[i] if i < len(ins.imm) else None
            kind = kind.rstrip("?")
            if kind == "type":
                out[next(wide)] = self.data.mtype(v)
            elif kind in ("binop", "name"):
                out[next(wide)] = self.data.cstring(str(v))
            elif kind == "zero":
                out[next(wide)] = self._zero(ins)
            elif kind in ("reuse", "in_test"):
                out["N"] = 1 if v else 0
        return out

    def _zero(self, ins: ir.Instr) -> int | Ref:
        d = ins.dst
        zero = ins.imm[0] if ins.imm else None
        ty = d.ty if d is not None else ins.op.split(".")[-1]
        if ty == "ref":
            return 0 if zero is None else self.data.string(zero)
        if ty == "f64":
            return int(struct.unpack("<Q", struct.pack("<d", float(zero or 0)))[0])
        return int(zero or 0) & 0xFFFFFFFFFFFFFFFF

    # constants and moves

    def op_const(self, ins: ir.Instr) -> None:
        d = ins.dst
        if d is None or (d.id in self.consts and d.id not in self.unfolded):
            return
        kind = ins.op.split(".")[1]
        v = ins.imm[0] if ins.imm else None
        if kind in ("str", "none"):
            self.emit("const_ref", D=d.id * SLOT, K=0 if v is None else self.data.string(v))
            return
        if kind == "f64":
            bits = int(struct.unpack("<Q", struct.pack("<d", float(v)))[0])
        else:
            bits = int(v) & 0xFFFFFFFFFFFFFFFF
        if bits < KS_LIMIT:
            self.emit("const_small", D=d.id * SLOT, KS=bits)
        else:
            self.emit("const_i64", D=d.id * SLOT, K=bits)

    def _unfolded_uses(self) -> set[int]:
        """Registers read somewhere other than as an operand B that folds into a `_k` stencil."""
        out: set[int] = set()
        for b in self.fn.blocks:
            for ins in b.instrs:
                for i, a in enumerate(ins.args):
                    if not (i == 1 and self._folds(ins)):
                        out.add(a.id)
            t = b.term
            if isinstance(t, ir.Branch):
                out.add(t.cond.id)
            elif isinstance(t, ir.Ret) and t.value is not None:
                out.add(t.value.id)
        return out

    def _folds(self, ins: ir.Instr) -> bool:
        parts = ins.op.split(".")
        if parts == [parts[0], "i64"] and (parts[0] in _INT_BINOPS or parts[0] in _COMPARES):
            return ins.args[0] is not ins.args[1]
        return False

    def op_mov(self, ins: ir.Instr) -> None:
        d, a = ins.dst, ins.args[0]
        if d is None or d is a:
            return
        if d.ty == "ref":
            self.emit("mov_ref" if self.owned(d) else "mov", D=d.id * SLOT, A=a.id * SLOT)
        else:
            self.emit("mov", D=d.id * SLOT, A=a.id * SLOT)

    # arithmetic and comparisons

    def _arith(self, ins: ir.Instr) -> bool:
        parts = ins.op.split(".")
        if len(parts) != 2:
            return False
        name = f"{parts[0]}_{parts[1]}"
        if parts[1] == "i64" and len(ins.args) == 2 and ins.args[1].id in self.consts \
                and parts[0] in _INT_BINOPS:
            name += "_k"
        if ins.dst is None and OPS[ins.op].kind == "pure":
            return True
        vals = self._operands(name, ins)
        if name in ("div_i64_k", "rem_i64_k") and vals["KS"] >= 2:
            name = name[:3] + "_i64_magic"
            vals["K"], vals["N"] = magic(vals["KS"])
        # a result nobody reads still traps on overflow: it goes to the scratch slot
        p = self.emit(name, D=self.dest(ins.dst) if ins.dst is not None else self.fs,
                      LINE=ins.line, **vals)
        self._trap(p, ins.line)
        return True


    def _compare(self, ins: ir.Instr) -> bool:
        name = self._compare_name(ins)
        if name is None:
            return False  # a runtime comparison (strings, any, refs)
        if ins.dst is not None:
            self.emit(name, D=ins.dst.id * SLOT, **self._operands(name, ins))
        return True


    def op_i2f(self, ins: ir.Instr) -> None:
        if ins.dst is not None:
            self.emit("i2f", D=ins.dst.id * SLOT, A=ins.args[0].id * SLOT)

    def op_f2i(self, ins: ir.Instr) -> None:
        d = self.dest(ins.dst) if ins.dst is not None else self.fs
        self._trap(self.emit("f2i", D=d, A=ins.args[0].id * SLOT), ins.line)

    def op_math(self, ins: ir.Instr) -> None:
        fam = "math" if ins.op == "math.f64" else "math2"
        name = f"{fam}_{ins.imm[0]}"
        if name in self.stencils:
            self.value_op(name, ins)
        else:
            self.value_op(f"{fam}_f64", ins, K=self.data.cstring(str(ins.imm[0])))


    # globals, structs, cells, closures

    def op_global(self, ins: ir.Instr) -> None:
        _, what, ty = ins.op.split(".")
        addr = self.data.zeroed(global_symbol(ins.imm[0]), SLOT)
        kind = _SCALAR_KIND[ty]
        if what == "get":
            name = f"global_get_{kind}"
            d = ins.dst
            if d is None:
                return
            if kind == "ref" and not self.owned(d):
                name += "__raw"
            self.emit(name, D=d.id * SLOT, K=addr)
        else:
            self.emit(f"global_set_{kind}", A=ins.args[0].id * SLOT, K=addr)

    def op_struct(self, ins: ir.Instr) -> None:
        parts = ins.op.split(".")
        if parts[1] == "new":
            name = ins.imm[0]
            if not ins.args:
                if ins.dst is not None:
                    self.emit("const_ref", D=ins.dst.id * SLOT, K=self.data.singleton(name))
                return
            self.emit("struct_new", D=self.fs, K=self.data.desc(name), LINE=ins.line)
            for i, a in enumerate(ins.args):
                self.emit(f"struct_init_{_SCALAR_KIND[a.ty]}", D=self.fs, FI=i * SLOT,
                          A=a.id * SLOT)
            self._take_scratch(ins.dst)
            return
        if parts[1] == "is":
            self.value_op("struct_is", ins)
            return
        struct_name, index = ins.imm[0], ins.imm[1]
        field_name = list(self.module.structs[struct_name].fields)[index]
        extra = {"K": self.data.cstring(field_name), "FI": index * SLOT, "LINE": ins.line}
        kind = _SCALAR_KIND[parts[2]]
        if parts[1] == "get":
            self.value_op(f"struct_get_{kind}", ins, **extra)
        else:
            self.emit(f"struct_set_{kind}", A=ins.args[0].id * SLOT, B=ins.args[1].id * SLOT,
                      **extra)

    def _take_scratch(self, d: ir.Reg | None) -> None:
        """Move the new object in the scratch slot to ``d`` (or drop it)."""
        if d is None:
            self.emit("release", A=self.fs)
        else:
            self.emit("take_ref", D=d.id * SLOT, A=self.fs)
        self.outgoing = max(self.outgoing, SLOT)

    def op_cell(self, ins: ir.Instr) -> None:
        _, what, ty = ins.op.split(".")
        kind = _SCALAR_KIND[ty]
        if what == "new":
            self.value_op(f"cell_new_{kind}", ins, K=self.data.mtype(ins.args[0].mty))
        elif what == "get":
            self.value_op(f"cell_get_{kind}", ins)
        else:
            self.emit(f"cell_set_{kind}", A=ins.args[0].id * SLOT, B=ins.args[1].id * SLOT)

    def op_closure(self, ins: ir.Instr) -> None:
        parts = ins.op.split(".")
        if parts[1] == "get":
            self.value_op(f"closure_get_{_SCALAR_KIND[parts[2]]}", ins, FI=ins.imm[0] * SLOT)
            return
        caps = self.data.capture_types([a.mty for a in ins.args]) if ins.args else 0
        self.emit("closure_new", D=self.fs, N=len(ins.args), K=Ref(function_symbol(ins.imm[0])),
                  K2=caps, LINE=ins.line)
        for i, a in enumerate(ins.args):
            self.emit(f"closure_init_{_SCALAR_KIND[a.ty]}", D=self.fs, FI=i * SLOT,
                      A=a.id * SLOT)
        self._take_scratch(ins.dst)

    # calls

    def _args_out(self, args: list[ir.Reg]) -> None:
        for i, a in enumerate(args):
            self.emit("mov", D=self.fs + i * SLOT, A=a.id * SLOT)
        self.outgoing = max(self.outgoing, SLOT * max(len(args), 1))

    def op_call(self, ins: ir.Instr) -> None:
        self._args_out(ins.args)
        d = ins.dst
        base = "call" if ins.op == "call" else "call_closure"
        if d is None:
            if ins.op == "call":
                callee = self.module.functions[ins.imm[0]]
                name = base + ("_drop" if callee.result == "ref" else "")
            else:
                name = base + "_drop"
        else:
            name = base + ("_ref" if d.ty == "ref" else "_s")
        p = self.emit(name, D=self.dest(d), FS=self.fs, K=self.limits, LINE=ins.line)
        if ins.op == "call":
            p.callee = ins.imm[0]

    def op_print(self, ins: ir.Instr) -> None:
        self._args_out(ins.args)
        p = self.emit("print", D=self.fs, N=len(ins.args), LINE=ins.line)
        if all(self._boxed_plain(a) for a in ins.args):
            p.calls = {"mochi_print": "mochi_print_plain"}

    def _boxed_plain(self, r: ir.Reg) -> bool:
        """Is ``r`` only ever a boxed int, bool or string (whose text needs no generic
        formatter)?"""
        writes = self._writes(r.id)
        return r.id not in {p.id for p in self.fn.params} and len(writes) == 1 and \
            writes[0].op.startswith("box.") and writes[0].imm[0] in PLAIN_TYPES

    # ------------------------------------------------------------ terminators

    def terminator(self, blk: ir.Block, nxt: str | None) -> None:
        t = blk.term
        line = (t.line if t is not None else 0) or self.fn.line
        if isinstance(t, ir.Jump):
            target = self._thread(t.target)
            tail = self._branch_only(target)
            if target != nxt and tail is not None:
                self._branch(blk, tail, nxt)  # `a && b` / `a || b`: test here, not there
            elif target != nxt:
                self.emit("jump").target = target
        elif isinstance(t, ir.Branch):
            self._branch(blk, t, nxt)
        elif isinstance(t, ir.Ret):
            v = t.value
            if v is None:
                self.emit("ret_none")
            elif v.ty != "ref":
                self.emit("ret_s", A=v.id * SLOT)
            else:
                self.emit("ret_ref" if self.owned(v) else "ret_retained", A=v.id * SLOT)
        else:
            self.emit("unreachable", LINE=line)
        self.step(t, line)

    def _branch_only(self, label: str) -> ir.Branch | None:
        """The branch of a block that does nothing else (nothing to release either)."""
        b = self.blocks[label]
        if b.instrs or not isinstance(b.term, ir.Branch) or \
                any(self.owned(self.fn.regs[r]) for r in self.facts.entry_dead.get(label, ())):
            return None
        return b.term

    def _edge(self, blk: ir.Block, cond: ir.Reg, value: bool, label: str) -> str:
        """Where a branch of ``blk`` on ``cond`` goes when ``cond`` is ``value``: on
        through blocks that only test ``cond`` again (or the copy of it ``blk`` just
        made), as short-circuit `&&` and `||` produce."""
        copy = blk.instrs[-1] if blk.instrs and blk.instrs[-1].op == "mov.bool" and \
            blk.instrs[-1].args[0] is cond else None
        seen: set[str] = set()
        label = self._thread(label)
        while label not in seen:
            seen.add(label)
            t = self._branch_only(label)
            if t is None or not (t.cond is cond or (copy is not None and t.cond is copy.dst)):
                break
            label = self._thread(t.then if value else t.else_)
        return label

    def _successors(self, label: str) -> list[str]:
        """Where a block's terminator goes, as the translation emits it: the
        preferred fall-through first."""
        blk = self.blocks[label]
        t = blk.term
        if isinstance(t, ir.Jump):
            target = self._thread(t.target)
            tail = self._branch_only(target)
            return [target] if tail is None else self._successors(target) + [target]
        if isinstance(t, ir.Branch):
            return [self._edge(blk, t.cond, True, t.then),
                    self._edge(blk, t.cond, False, t.else_)]
        return []

    def _branch(self, blk: ir.Block, t: ir.Branch, nxt: str | None) -> None:
        last = blk.instrs[-1] if blk.instrs else None
        if last is not None and id(last) in self.fused and t is blk.term:
            name = self._compare_name(last)
            assert name is not None
            vals = self._operands(name, last)
            yes, no = f"br_{name}", f"brf_{name}"
        else:
            vals = {"A": t.cond.id * SLOT}
            yes, no = "br_true", "br_false"
        then = self._edge(blk, t.cond, True, t.then)
        else_ = self._edge(blk, t.cond, False, t.else_)
        if else_ == nxt:
            self.emit(yes, **vals).target = then
        elif then == nxt:
            self.emit(no, **vals).target = else_
        else:
            self.emit(yes, **vals).target = then
            self.emit("jump").target = else_


# The method that translates each opcode, by family (the name's first part); None:
# a runtime call through the stencil named after the opcode (`value_op`).  A method
# returning False leaves the instruction to that default (a comparison of strings).
_FAMILY_HANDLERS = {
    "const": "op_const", "mov": "op_mov", "i2f": "op_i2f", "f2i": "op_f2i",
    **{f: "_arith" for f in (*_INT_BINOPS, "neg", "abs", "not")},
    **{f: "_compare" for f in (*_COMPARES, "is")},
    "math": "op_math", "math2": "op_math", "global": "op_global", "struct": "op_struct",
    "cell": "op_cell", "closure": "op_closure", "call": "op_call", "print": "op_print",
}
HANDLERS: dict[str, str | None] = {op: _FAMILY_HANDLERS.get(op.split(".")[0]) for op in OPS}


def translate(fn: ir.Function, module: ir.Module, data: StaticData,
              stencils: Mapping[str, Stencil], limits: Ref) -> Translation:
    return FunctionTranslator(fn, module, data, stencils, limits).translate()
