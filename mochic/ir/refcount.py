"""Facts about one IR function that decide how its registers are spelt in C.

Reference counting (docs/RUNTIME.md) makes every ref register own one
reference.  These facts let the emitter release each value as soon as it is
dead and skip counting work that cannot matter:

- ``live_in`` / ``dies`` / ``entry_dead`` (liveness of ref registers): a
  value is released right after the instruction that last reads it (or that
  writes it, if nothing reads it), or on entry to a block where it is no
  longer live; a released register is set to NULL, so nothing is left to
  release when the function returns and a big temporary (a tree that was
  only checked) is freed at once, not when the function ends.  A store or
  copy that is the last reader of an owned register takes its reference over
  ("moves") instead of retaining a copy.
- ``borrowed_params``: a ref parameter the function never assigns needs no
  retain on entry nor release: the caller's register keeps it alive for the
  whole call.
- ``fresh``: a register written once, in a block on no cycle, holds nothing
  before that write, so the write need not release an old value.
- ``immortal``: a register only ever written by `const.str`, `const.none` or
  a `struct.new` without fields holds an immortal value (a string constant,
  none, the one static object of a variant like `Leaf`): no counting at all.
- ``borrowed``: registers that read a ref without owning it:
  * a capture read from the function's own closure, which is alive and
    never changes during the call;
  * a "peek": a list element, struct field or global read only by field
    and length reads within a few instructions that can release nothing,
    while what holds it stays alive (`bodies[i].x`, `m[i][j]`): no count
    changes at all on the hot paths of struct- and matrix-heavy code.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from mochic.frontend.types import FunT, ListT, MapT, Prim, StructT, SumT
from mochic.ir import ir
from mochic.ir.ops import OPS

# What may run while a peeked value is in use: nothing that stores into a heap object,
# a global or a cell, and no call of Mochi code (either could drop the holder's
# reference).  Releasing some other value is harmless: the holder keeps its own.
_READ_ONLY_FAMILIES = ("struct.get.", "struct.is", "list.len", "list.get.", "str.", "map.len",
                       "map.get.", "map.has.", "box.", "unbox.", "math", "eq.", "ne.", "lt.",
                       "le.", "gt.", "ge.", "is.none", "any.binop", "any.neg", "any.truthy",
                       "any.len", "any.contains", "any.field", "any.index", "any.to_")
_QUIET = frozenset(
    name for name, spec in OPS.items()
    if (spec.kind in ("pure", "trap") and name != "global.set.ref") or
    name.startswith(_READ_ONLY_FAMILIES) or
    name in ("struct.set.i64", "struct.set.f64", "struct.set.bool"))


def quiet(op: str) -> bool:
    """Does ``op`` leave every list, map, cell and global as it is, and run no Mochi
    code (what may run while a peeked value is in use)?"""
    return op in _QUIET


_PEEK_LOADS = ("list.get.ref", "struct.get.ref", "global.get.ref")


@dataclass
class Facts:
    uses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    defs: dict[int, list[tuple[str, int]]] = field(default_factory=lambda: defaultdict(list))
    targets: set[str] = field(default_factory=set)
    cyclic: set[str] = field(default_factory=set)
    borrowed_params: set[int] = field(default_factory=set)
    borrowed: set[int] = field(default_factory=set)
    captures: set[int] = field(default_factory=set)  # borrowed: read from the own closure
    peeks: set[int] = field(default_factory=set)  # borrowed: see _peekable
    assigned_params: set[int] = field(default_factory=set)
    immortal: set[int] = field(default_factory=set)
    live_in: dict[str, set[int]] = field(default_factory=dict)
    dies: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    entry_dead: dict[str, list[int]] = field(default_factory=dict)

    def fresh(self, r: ir.Reg) -> bool:
        d = self.defs.get(r.id, [])
        return len(d) == 1 and d[0][0] not in self.cyclic

    def owned(self, r: ir.Reg) -> bool:
        return r.ty == "ref" and r.id not in self.borrowed_params and \
            r.id not in self.borrowed and r.id not in self.immortal

    def dead_after(self, r: ir.Reg, blk: ir.Block, k: int) -> bool:
        return r.id in self.dies.get((blk.label, k), ())


def analyse(fn: ir.Function) -> Facts:
    f = Facts()
    succ: dict[str, list[str]] = {}
    for b in fn.blocks:
        for k, ins in enumerate(b.instrs):
            for a in ins.args:
                f.uses[a.id] += 1
            if ins.dst is not None:
                f.defs[ins.dst.id].append((b.label, k))
        succ[b.label] = _successors(b.term)
        t = b.term
        if isinstance(t, ir.Branch):
            f.uses[t.cond.id] += 1
        elif isinstance(t, ir.Ret) and t.value is not None:
            f.uses[t.value.id] += 1
        f.targets.update(succ[b.label])
    f.cyclic = _cyclic_blocks(succ)
    by_label = {b.label: b for b in fn.blocks}
    for r, d in f.defs.items():
        if all(_immortal_value(by_label[b].instrs[k]) for b, k in d):
            f.immortal.add(r)
    params = {p.id for p in fn.params}
    f.assigned_params = {p for p in params if p in f.defs}
    f.borrowed_params = {p.id for p in fn.params if p.ty == "ref" and p.id not in f.defs}
    _liveness(fn, f, succ)
    for b in fn.blocks:
        for ins in b.instrs:
            d = ins.dst
            if ins.op == "closure.get.ref" and d is not None and len(f.defs[d.id]) == 1 \
                    and ins.args[0].id in f.borrowed_params and d.id not in params:
                f.borrowed.add(d.id)
                f.captures.add(d.id)
    for b in fn.blocks:
        for k, ins in enumerate(b.instrs):
            d = ins.dst
            if ins.op in _PEEK_LOADS and d is not None and d.id not in f.borrowed and \
                    _peekable(f, b, k):
                f.borrowed.add(d.id)
                f.peeks.add(d.id)
    return f


def _immortal_value(ins: ir.Instr) -> bool:
    """Does the instruction make an immortal value: a string constant, none, or a
    struct without fields (one shared, static object per type)?"""
    return ins.op in ("const.str", "const.none") or (ins.op == "struct.new" and not ins.args)


def _successors(t: ir.Terminator | None) -> list[str]:
    if isinstance(t, ir.Jump):
        return [t.target]
    if isinstance(t, ir.Branch):
        return [t.then, t.else_]
    return []


def _refs(regs: list[ir.Reg]) -> set[int]:
    return {r.id for r in regs if r.ty == "ref"}


def _liveness(fn: ir.Function, f: Facts, succ: dict[str, list[str]]) -> None:
    """Backward liveness of ref registers: live_in per block, and the registers whose
    value dies at each instruction or on entry to each block."""
    use: dict[str, set[int]] = {}
    kill: dict[str, set[int]] = {}
    for b in fn.blocks:
        u: set[int] = set()
        d: set[int] = set()
        for ins in b.instrs:
            u |= _refs(ins.args) - d
            if ins.dst is not None and ins.dst.ty == "ref":
                d.add(ins.dst.id)
        t = b.term
        if isinstance(t, ir.Ret) and t.value is not None and t.value.ty == "ref":
            u |= {t.value.id} - d
        use[b.label], kill[b.label] = u, d
    live_in = {b.label: set(use[b.label]) for b in fn.blocks}
    live_out: dict[str, set[int]] = {b.label: set() for b in fn.blocks}
    changed = True
    while changed:
        changed = False
        for b in reversed(fn.blocks):
            out: set[int] = set()
            for s in succ[b.label]:
                out |= live_in[s]
            new_in = use[b.label] | (out - kill[b.label])
            if out != live_out[b.label] or new_in != live_in[b.label]:
                live_out[b.label], live_in[b.label] = out, new_in
                changed = True
    f.live_in = live_in
    preds_out: dict[str, set[int]] = defaultdict(set)
    for b in fn.blocks:
        for s in succ[b.label]:
            preds_out[s] |= live_out[b.label]
        live = set(live_out[b.label])
        t = b.term
        if isinstance(t, ir.Ret) and t.value is not None and t.value.ty == "ref":
            live.add(t.value.id)
        for k in range(len(b.instrs) - 1, -1, -1):
            ins = b.instrs[k]
            touched = _refs(ins.args)
            if ins.dst is not None and ins.dst.ty == "ref":
                touched.add(ins.dst.id)
            dead = touched - live
            if dead:
                f.dies[(b.label, k)] = sorted(dead)
            if ins.dst is not None:
                live.discard(ins.dst.id)
            live |= _refs(ins.args)
    for b in fn.blocks:
        dead = preds_out.get(b.label, set()) - live_in[b.label]
        if dead:
            f.entry_dead[b.label] = sorted(dead)


def _peekable(f: Facts, blk: ir.Block, k: int) -> bool:
    """Can the ref that instruction ``k`` loads be read without a reference of its own
    (see the module doc: a peek)?"""
    ins = blk.instrs[k]
    d = ins.dst
    assert d is not None
    if d.hint or len(f.defs[d.id]) != 1 or d.id in f.live_in.get(blk.label, ()):
        return False
    if ins.op == "list.get.ref" and not _ref_storage(d.mty):
        return False  # the runtime may box a scalar element: a new object
    readers = [j for j in range(k + 1, len(blk.instrs)) if any(a is d for a in blk.instrs[j].args)]
    if not readers or not f.dead_after(d, blk, readers[-1]):
        return False  # read by a terminator or in another block
    last = readers[-1]
    if any(blk.instrs[j].op not in _QUIET for j in range(k + 1, last + 1)):
        return False
    if ins.op == "global.get.ref":
        return True  # no global.set.ref is quiet: the global keeps it
    # the holder (the list or struct) stays in its register until the last reader
    home = ins.args[0]
    if home.id in f.borrowed_params or home.id in f.captures:
        return True
    if home.id in f.borrowed or not f.owned(home):
        return False
    return all(not f.dead_after(home, blk, j) and
               (blk.instrs[j].dst is not home or j == k) for j in range(k, last + 1))


def _ref_storage(t: object) -> bool:
    """Does a list whose elements have static type ``t`` store refs (not scalars that a
    ref read would box)?"""
    if isinstance(t, ListT | MapT | StructT | SumT | FunT):
        return True
    return isinstance(t, Prim) and t.name == "string"


def _cyclic_blocks(succ: dict[str, list[str]]) -> set[str]:
    """Labels of the blocks that lie on a cycle (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: set[str] = set()
    counter = 0
    for root in succ:
        if root in index:
            continue
        work = [(root, 0)]  # iterative DFS: (node, next successor position)
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, i = work[-1]
            nexts = succ.get(node, [])
            if i < len(nexts):
                work[-1] = (node, i + 1)
                w = nexts[i]
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, 0))
                elif w in on_stack:
                    low[node] = min(low[node], index[w])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1 or node in succ.get(node, []):
                    out.update(comp)
    return out
