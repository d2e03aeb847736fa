"""The IR verifier: checks a module against the rules every backend relies on.

The backends trust the IR: the C emitter casts a closure's code pointer to
the type its call site names, and the JIT patches operands at the offsets its
stencils expect, so any mismatch below would be a crash or a wrong value, not
an error.  The verifier runs on every lowered program and checks:

- every instruction's opcode is in the table, its operand count and types
  match the table and its result register has the table's result type;
- every instruction's immediates are what the table says (a known struct,
  function, global, field, a type ...);
- calls: a direct call's arguments and result against the callee's
  parameters and result; a closure call's against the function type of the
  closure it calls (a closure whose Mochi type is not a function type, an
  `any`, takes and gives boxed values); every ``closure.new`` against its
  function's signature and the captures that function reads;
- runtime calls on typed data: list, map and struct operations whose
  operand's Mochi type is known use the element, key, value or field type it
  has, ``struct.new`` gets one value of the right type per field, globals are
  read and written at their type;
- every register is defined on every path before it is used (parameters at
  entry), every register belongs to the function and its type is the IR type
  of its Mochi type;
- every block ends in exactly one terminator, whose targets exist and whose
  branch condition is a bool; returns match the function's result type;
  every instruction has a source line.
"""

from __future__ import annotations

from collections.abc import Callable

from mochic.frontend.types import VOID, FunT, ListT, MapT, Type, ir_type
from mochic.ir import ir
from mochic.ir.ops import OPS, OpSpec


class VerifyError(Exception):
    pass


def _check_args(spec_args: tuple[str, ...], args: list[ir.Reg]) -> str | None:
    i = 0
    for pat in spec_args:
        if pat.startswith("*"):
            want = pat[1:]
            if want and any(a.ty != want for a in args[i:]):
                return f"variadic operands must be {want}"
            return None
        if i >= len(args):
            return f"expected {len(spec_args)} operand(s), got {len(args)}"
        if args[i].ty != pat:
            return f"operand {i + 1} is {args[i].ty}, expected {pat}"
        i += 1
    if i != len(args):
        return f"expected {len(spec_args)} operand(s), got {len(args)}"
    return None


def _imm_error(m: ir.Module, kind: str, value: object, prev: object) -> str | None:
    """What is wrong with an immediate of ``kind`` (ops.IMM_KINDS), if anything;
    ``prev`` is the immediate before it (a field's struct)."""
    named = {"struct": m.structs, "function": m.functions, "global": m.globals}
    if kind in named:
        return None if value in named[kind] else f"unknown {kind} {value!r}"
    if kind == "field":
        info = m.structs.get(prev)  # type: ignore[call-overload]
        ok = isinstance(value, int) and info is not None and 0 <= value < len(info.fields)
        return None if ok else f"no field {value!r} in {prev!r}"
    if kind == "type":
        return None if isinstance(value, Type) else f"{value!r} is not a type"
    if kind == "reuse":
        return None if value == "reuse" else f"{value!r} is not 'reuse'"
    if kind in ("math", "binop", "name"):
        return None if isinstance(value, str) else f"{value!r} is not a name"
    if kind == "capture":
        return None if isinstance(value, int) and value >= 0 else f"bad capture {value!r}"
    return None  # value, zero, in_test: any constant


def _check_imm(m: ir.Module, spec: OpSpec, ins: ir.Instr) -> str | None:
    kinds = spec.imm
    required = sum(1 for k in kinds if not k.endswith("?"))
    if not required <= len(ins.imm) <= len(kinds):
        return f"expected {len(kinds)} immediate(s) ({' '.join(kinds)}), got {len(ins.imm)}"
    prev = None
    for kind, value in zip(kinds, ins.imm, strict=False):
        msg = _imm_error(m, kind.rstrip("?"), value, prev)
        if msg:
            return msg
        prev = value
    return None


def _signature(params: list[str], ret: str | None) -> str:
    return f"({', '.join(params)}) -> {ret or 'nothing'}"


def _fun_signature(t: FunT) -> tuple[list[str], str | None]:
    """The IR signature of a closure of Mochi type ``t`` (without the closure)."""
    return [ir_type(p) for p in t.params], (None if t.ret == VOID else ir_type(t.ret))


class _FunctionVerifier:
    def __init__(self, m: ir.Module, fn: ir.Function, captures: dict[str, dict[int, str]]):
        self.m = m
        self.fn = fn
        self.captures = captures
        self.errors: list[str] = []

    def bad(self, where: str, msg: str) -> None:
        self.errors.append(f"{self.fn.name}: {where}: {msg}")

    # ------------------------------------------------------------ the function

    def run(self) -> list[str]:
        fn = self.fn
        labels = {b.label for b in fn.blocks}
        owned = set(map(id, fn.regs))
        if not fn.blocks:
            self.bad("body", "no blocks")
            return self.errors
        if len(labels) != len(fn.blocks):
            self.bad("body", "duplicate block labels")
        for r in fn.regs:
            if r.ty != ir_type(r.mty):
                self.bad("registers", f"{r} is {r.ty} but holds a {r.mty}")
        for b in fn.blocks:
            for ins in b.instrs:
                where = f"{b.label}: {ins.op}"
                for r in [*ins.args, *([ins.dst] if ins.dst else [])]:
                    if id(r) not in owned:
                        self.bad(where, f"register {r} is not of this function")
                if ins.line <= 0:
                    self.bad(where, "no source line")
                self.instr(where, ins)
            self.terminator(b, labels)
        self.defined_before_use()
        return self.errors

    def terminator(self, b: ir.Block, labels: set[str]) -> None:
        t = b.term
        if t is None:
            self.bad(b.label, "block has no terminator")
        elif isinstance(t, ir.Jump):
            if t.target not in labels:
                self.bad(b.label, f"jump to unknown block {t.target}")
        elif isinstance(t, ir.Branch):
            if t.then not in labels or t.else_ not in labels:
                self.bad(b.label, "branch to an unknown block")
            if t.cond.ty != "bool":
                self.bad(b.label, f"branch condition is {t.cond.ty}")
        elif isinstance(t, ir.Ret):
            got = t.value.ty if t.value is not None else None
            if got != self.fn.ret:
                self.bad(b.label, f"returns {got}, function returns {self.fn.ret}")

    # ------------------------------------------------------------ instructions

    def instr(self, where: str, ins: ir.Instr) -> None:
        spec = OPS.get(ins.op)
        if spec is None:
            self.bad(where, "unknown opcode")
            return
        msg = _check_imm(self.m, spec, ins)
        if msg:
            self.bad(where, msg)
        special = _SPECIAL.get(ins.op)
        if special is not None:
            special(self, where, ins)
            return
        msg = _check_args(spec.args, ins.args)
        if msg:
            self.bad(where, msg)
        if spec.result is None and ins.dst is not None:
            self.bad(where, "has a result register but produces nothing")
        if spec.result is not None:
            if ins.dst is None:
                self.bad(where, "result register missing")
            elif ins.dst.ty != spec.result:
                self.bad(where, f"result is {ins.dst.ty}, expected {spec.result}")
        family = _typed_family(ins.op)
        if family is not None:
            family(self, where, ins)

    def call(self, where: str, ins: ir.Instr) -> None:
        callee = self.m.functions.get(ins.imm[0]) if ins.imm else None
        if callee is None:
            self.bad(where, f"unknown function {ins.imm[:1]}")
            return
        got = [a.ty for a in ins.args]
        want = [p.ty for p in callee.params]
        if got != want:
            self.bad(where, f"arguments {got} do not match {callee.name}'s parameters {want}")
        if ins.dst is not None and ins.dst.ty != callee.ret:
            self.bad(where, f"result {ins.dst.ty} but {callee.name} returns {callee.ret}")

    def call_closure(self, where: str, ins: ir.Instr) -> None:
        if not ins.args or ins.args[0].ty != "ref":
            self.bad(where, "the callee must be a ref")
            return
        clo = ins.args[0]
        got = [a.ty for a in ins.args[1:]]
        if isinstance(clo.mty, FunT):
            params, ret = _fun_signature(clo.mty)
        else:  # a dynamic call: boxed arguments, a boxed result
            params, ret = ["ref"] * len(got), "ref"
        if got != params:
            self.bad(where, f"arguments {got} do not match the closure's parameters {params} "
                            f"(it is a {clo.mty})")
        if ins.dst is not None and ins.dst.ty != (ret or "ref"):
            self.bad(where, f"result {ins.dst.ty} but the closure ({clo.mty}) returns {ret}")

    def closure_new(self, where: str, ins: ir.Instr) -> None:
        fn = self.m.functions.get(ins.imm[0]) if ins.imm else None
        if fn is None:
            self.bad(where, f"unknown function {ins.imm[:1]}")
            return
        if not fn.env:
            self.bad(where, f"{fn.name} is not a closure body")
            return
        if ins.dst is None or ins.dst.ty != "ref":
            self.bad(where, "result must be a ref")
            return
        if isinstance(ins.dst.mty, FunT):
            params, ret = _fun_signature(ins.dst.mty)
            has = [p.ty for p in fn.params[1:]]
            if has != params or fn.ret != ret:
                self.bad(where, f"a {ins.dst.mty} must be a closure of {_signature(params, ret)}"
                                f", but {fn.name} is {_signature(has, fn.ret)}")
        for slot, ty in self.captures.get(fn.name, {}).items():
            if slot >= len(ins.args):
                self.bad(where, f"{fn.name} reads capture {slot}, only {len(ins.args)} given")
            elif ins.args[slot].ty != ty:
                self.bad(where, f"capture {slot} is {ins.args[slot].ty}, {fn.name} reads {ty}")

    def closure_get(self, where: str, ins: ir.Instr) -> None:
        if not self.fn.env or not self.fn.params or ins.args[:1] != self.fn.params[:1]:
            self.bad(where, "reads a capture of something other than its own closure")
        elif self.captures[self.fn.name].get(ins.imm[0]) != ins.op.rsplit(".", 1)[1]:
            self.bad(where, f"capture {ins.imm[0]} is read as two different types")

    def struct_new(self, where: str, ins: ir.Instr) -> None:
        info = self.m.structs.get(ins.imm[0]) if ins.imm else None
        if info is None:
            self.bad(where, f"unknown struct {ins.imm[:1]}")
            return
        want = [ir_type(t) for t in info.fields.values()]
        got = [a.ty for a in ins.args]
        if got != want:
            self.bad(where, f"fields {got} do not match {info.name}'s {want}")
        if ins.dst is None or ins.dst.ty != "ref":
            self.bad(where, "result must be a ref")

    def struct_field(self, where: str, ins: ir.Instr) -> None:
        info = self.m.structs.get(ins.imm[0]) if ins.imm else None
        if info is None:
            self.bad(where, f"unknown struct {ins.imm[:1]}")
            return
        index = ins.imm[1] if len(ins.imm) > 1 else -1
        fields = list(info.fields.values())
        if not 0 <= index < len(fields):
            self.bad(where, f"{info.name} has no field {index}")
        elif ir_type(fields[index]) != ins.op.rsplit(".", 1)[1]:
            self.bad(where, f"field {index} of {info.name} is a {fields[index]}")

    def struct_is(self, where: str, ins: ir.Instr) -> None:
        if not ins.imm or ins.imm[0] not in self.m.structs:
            self.bad(where, f"unknown struct {ins.imm[:1]}")

    def element(self, where: str, ins: ir.Instr) -> None:
        """A list operation typed by element: the list's element type."""
        t = ins.args[0].mty if ins.args else None
        if isinstance(t, ListT) and ir_type(t.elem) != ins.op.rsplit(".", 1)[1]:
            self.bad(where, f"the list is a {t}")

    def entry(self, where: str, ins: ir.Instr) -> None:
        """A map operation typed by key (and value): the map's key and value types."""
        t = ins.args[0].mty if ins.args else None
        if not isinstance(t, MapT):
            return
        parts = ins.op.split(".")[2:]
        want = [ir_type(t.key), ir_type(t.value)][:len(parts)]
        if parts != want:
            self.bad(where, f"the map is a {t}")

    def global_access(self, where: str, ins: ir.Instr) -> None:
        g = self.m.globals.get(ins.imm[0]) if ins.imm else None
        if g is None:
            self.bad(where, f"unknown global {ins.imm[:1]}")
        elif g.ty != ins.op.rsplit(".", 1)[1]:
            self.bad(where, f"global {g.name} is {g.ty}")

    # ------------------------------------------------------------ definitions

    def defined_before_use(self) -> None:
        """A register read must be written on every path from the entry before the
        read (a parameter is written at the entry).  A register written once (most
        of them) is, exactly when its writer's block dominates the reader's; the
        few written more than once (variables) get a must-be-written data flow."""
        fn = self.fn
        cfg = _Cfg(fn)
        writes: dict[int, list[tuple[int, int]]] = {p.id: [(0, -1)] for p in fn.params}
        for bi, b in enumerate(cfg.blocks):
            for ii, ins in enumerate(b.instrs):
                if ins.dst is not None:
                    writes.setdefault(ins.dst.id, []).append((bi, ii))
        many = {r: i for i, r in enumerate(r for r, w in writes.items() if len(w) > 1)}
        written_at_entry = _must_write(cfg, many, writes)
        for bi, b in enumerate(cfg.blocks):
            here = written_at_entry[bi]
            uses = [(ii, ins.args, f"{b.label}: {ins.op}") for ii, ins in enumerate(b.instrs)]
            t = b.term
            last = [t.cond] if isinstance(t, ir.Branch) else \
                [t.value] if isinstance(t, ir.Ret) and t.value is not None else []
            uses.append((len(b.instrs), last, b.label))
            for ii, args, where in uses:
                for a in args:
                    w = writes.get(a.id)
                    if a.id in many:
                        ok = here >> many[a.id] & 1 or any(wb == bi and wi < ii for wb, wi in w)
                    elif w:
                        (wb, wi), = w
                        ok = wi < ii if wb == bi else cfg.dominates(wb, bi)
                    else:
                        ok = False
                    if not ok:
                        self.bad(where, f"{a} may be used before it is set")


class _Cfg:
    """The blocks reachable from the entry, in reverse postorder, with their
    predecessors and dominator tree (Cooper, Harvey and Kennedy's algorithm)."""

    def __init__(self, fn: ir.Function) -> None:
        by_label = {b.label: b for b in fn.blocks}
        order: list[ir.Block] = []
        seen = {fn.blocks[0].label}
        stack = [(fn.blocks[0], iter(_successors(fn.blocks[0].term)))]
        while stack:  # iterative depth-first search for the postorder
            block, succs = stack[-1]
            nxt = next((s for s in succs if s in by_label and s not in seen), None)
            if nxt is None:
                order.append(block)
                stack.pop()
            else:
                seen.add(nxt)
                stack.append((by_label[nxt], iter(_successors(by_label[nxt].term))))
        self.blocks = order[::-1]
        index = {b.label: i for i, b in enumerate(self.blocks)}
        self.preds: list[list[int]] = [[] for _ in self.blocks]
        for i, b in enumerate(self.blocks):
            for s in _successors(b.term):
                if s in index:
                    self.preds[index[s]].append(i)
        idom = [-1] * len(self.blocks)
        idom[0] = 0
        changed = True
        while changed:
            changed = False
            for i in range(1, len(self.blocks)):
                new = -1
                for p in self.preds[i]:
                    if idom[p] == -1:
                        continue
                    new = p if new == -1 else self._meet(idom, p, new)
                if new != idom[i]:
                    idom[i] = new
                    changed = True
        # pre and post numbers of the dominator tree answer dominance in O(1)
        children: list[list[int]] = [[] for _ in self.blocks]
        for i in range(1, len(self.blocks)):
            children[idom[i]].append(i)
        self.pre = [0] * len(self.blocks)
        self.post = [0] * len(self.blocks)
        clock = 0
        walk = [(0, False)]
        while walk:
            node, done = walk.pop()
            clock += 1
            if done:
                self.post[node] = clock
                continue
            self.pre[node] = clock
            walk.append((node, True))
            walk.extend((c, False) for c in children[node])

    @staticmethod
    def _meet(idom: list[int], a: int, b: int) -> int:
        while a != b:
            while a > b:
                a = idom[a]
            while b > a:
                b = idom[b]
        return a

    def dominates(self, a: int, b: int) -> bool:
        return self.pre[a] <= self.pre[b] and self.post[b] <= self.post[a]


def _must_write(cfg: _Cfg, many: dict[int, int],
                writes: dict[int, list[tuple[int, int]]]) -> list[int]:
    """For each block, the registers of ``many`` (as bits) written on every path
    from the entry to it."""
    n = len(cfg.blocks)
    gen = [0] * n
    for r, bit in many.items():
        for wb, wi in writes[r]:
            if wi >= 0:
                gen[wb] |= 1 << bit
    entry = 0
    for r, bit in many.items():
        if (0, -1) in writes[r]:
            entry |= 1 << bit
    full = (1 << len(many)) - 1
    into = [full] * n
    into[0] = entry
    changed = bool(many)
    while changed:
        changed = False
        for i in range(1, n):
            new = full
            for p in cfg.preds[i]:
                new &= into[p] | gen[p]
            if new != into[i]:
                into[i] = new
                changed = True
    return into


def _successors(t: ir.Terminator | None) -> list[str]:
    if isinstance(t, ir.Jump):
        return [t.target]
    if isinstance(t, ir.Branch):
        return [t.then, t.else_]
    return []


_SPECIAL: dict[str, Callable[[_FunctionVerifier, str, ir.Instr], None]] = {
    "call": _FunctionVerifier.call,
    "call.closure": _FunctionVerifier.call_closure,
    "closure.new": _FunctionVerifier.closure_new,
    "struct.new": _FunctionVerifier.struct_new,
}

# Checks beyond the table, by opcode family (the opcode up to its type suffix).
_FAMILIES: dict[str, Callable[[_FunctionVerifier, str, ir.Instr], None]] = {
    "closure.get": _FunctionVerifier.closure_get,
    "struct.get": _FunctionVerifier.struct_field,
    "struct.set": _FunctionVerifier.struct_field,
    "struct.is": _FunctionVerifier.struct_is,
    "list.get": _FunctionVerifier.element,
    "list.set": _FunctionVerifier.element,
    "list.push": _FunctionVerifier.element,
    "list.append": _FunctionVerifier.element,
    "list.contains": _FunctionVerifier.element,
    "list.index_of": _FunctionVerifier.element,
    "map.get": _FunctionVerifier.entry,
    "map.set": _FunctionVerifier.entry,
    "map.has": _FunctionVerifier.entry,
    "map.del": _FunctionVerifier.entry,
    "global.get": _FunctionVerifier.global_access,
    "global.set": _FunctionVerifier.global_access,
}


def _typed_family(op: str) -> Callable[[_FunctionVerifier, str, ir.Instr], None] | None:
    head = op.split(".")
    return _FAMILIES.get(".".join(head[:2])) if len(head) >= 2 else None


def _capture_types(m: ir.Module) -> dict[str, dict[int, str]]:
    """For each closure body, the IR type it reads each capture slot as."""
    out: dict[str, dict[int, str]] = {}
    for fn in m.functions.values():
        slots: dict[int, str] = {}
        for b in fn.blocks:
            for ins in b.instrs:
                if ins.op.startswith("closure.get.") and ins.imm:
                    slots.setdefault(ins.imm[0], ins.op.rsplit(".", 1)[1])
        if slots:
            out[fn.name] = slots
    return out


def verify_function(m: ir.Module, fn: ir.Function,
                    captures: dict[str, dict[int, str]] | None = None) -> list[str]:
    return _FunctionVerifier(m, fn, captures if captures is not None else
                             _capture_types(m)).run()


def verify(m: ir.Module) -> None:
    """Raise VerifyError listing every problem found in ``m``."""
    errors: list[str] = []
    if m.main not in m.functions:
        errors.append(f"no entry function {m.main}")
    captures = _capture_types(m)
    for fn in m.functions.values():
        errors.extend(verify_function(m, fn, captures))
    if errors:
        raise VerifyError("\n".join(errors))
