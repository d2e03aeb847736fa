"""Facts about one IR function that decide how its registers are spelt in C.

Reference counting (docs/RUNTIME.md) makes every ref register own one
reference.  These facts let the emitter skip counting work that cannot matter,
without changing what is released when:

- ``borrowed_params``: a ref parameter the function never assigns needs no
  retain on entry nor release on exit: the caller's register holds it alive
  for the whole call.
- ``fresh``: a register written once, in a block on no cycle, holds nothing
  before that write, so the write need not release an old value.
- ``movable``: a temporary read once, right after its single write in the same
  block, can hand its reference to the reader (`mov.ref`, a store into a
  global, field, cell or capture) instead of the reader retaining a copy.
- ``immortal``: a register only ever written by `const.str` or `const.none`
  holds an immortal string or none, which need no counting at all.
- ``borrowed_temps``: the list operand of `xs = append(xs, v)` loaded from a
  variable's home (a global, field, cell, capture, list element or map entry)
  just before the append is read without a reference of its own, so the list
  is seen unshared (rc 1) by the runtime and grows in place.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from mochic.ir import ir
from mochic.ir.ops import OPS

# Loads that read a ref from a variable's home; see ``borrowed_temps``.
_HOME_LOADS = ("global.get.ref", "struct.get.ref", "cell.get.ref", "closure.get.ref",
               "list.get.ref")


@dataclass
class Facts:
    uses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    defs: dict[int, list[tuple[str, int]]] = field(default_factory=lambda: defaultdict(list))
    targets: set[str] = field(default_factory=set)
    cyclic: set[str] = field(default_factory=set)
    borrowed_params: set[int] = field(default_factory=set)
    borrowed_temps: set[int] = field(default_factory=set)
    assigned_params: set[int] = field(default_factory=set)
    immortal: set[int] = field(default_factory=set)

    def fresh(self, r: ir.Reg) -> bool:
        d = self.defs.get(r.id, [])
        return len(d) == 1 and d[0][0] not in self.cyclic

    def owned(self, r: ir.Reg) -> bool:
        return r.ty == "ref" and r.id not in self.borrowed_params and \
            r.id not in self.borrowed_temps and r.id not in self.immortal


def analyse(fn: ir.Function) -> Facts:
    f = Facts()
    succ: dict[str, list[str]] = {}
    for b in fn.blocks:
        for k, ins in enumerate(b.instrs):
            for a in ins.args:
                f.uses[a.id] += 1
            if ins.dst is not None:
                f.defs[ins.dst.id].append((b.label, k))
        t = b.term
        if isinstance(t, ir.Jump):
            succ[b.label] = [t.target]
        elif isinstance(t, ir.Branch):
            succ[b.label] = [t.then, t.else_]
            f.uses[t.cond.id] += 1
        else:
            succ[b.label] = []
            if isinstance(t, ir.Ret) and t.value is not None:
                f.uses[t.value.id] += 1
        f.targets.update(succ[b.label])
    f.cyclic = _cyclic_blocks(succ)
    by_label = {b.label: b for b in fn.blocks}
    for r, d in f.defs.items():
        if all(by_label[b].instrs[k].op in ("const.str", "const.none") for b, k in d):
            f.immortal.add(r)
    params = {p.id for p in fn.params}
    f.assigned_params = {p for p in params if p in f.defs}
    f.borrowed_params = {p.id for p in fn.params if p.ty == "ref" and p.id not in f.defs}
    for b in fn.blocks:
        for k, ins in enumerate(b.instrs):
            if ins.op.startswith("list.append.") and ins.imm and ins.imm[0] == "reuse":
                r = ins.args[0]
                if _home_load(f, b, k, r):
                    f.borrowed_temps.add(r.id)
    return f


def movable(f: Facts, r: ir.Reg, blk: ir.Block, k: int) -> bool:
    """Can instruction ``k`` of ``blk`` take over ``r``'s reference (see module doc)?"""
    if r.hint or not f.owned(r) or f.uses.get(r.id) != 1:
        return False
    d = f.defs.get(r.id, [])
    return len(d) == 1 and d[0][0] == blk.label and d[0][1] < k


def _home_load(f: Facts, blk: ir.Block, k: int, r: ir.Reg) -> bool:
    if r.hint or f.uses.get(r.id) != 1:
        return False
    d = f.defs.get(r.id, [])
    if len(d) != 1 or d[0][0] != blk.label:
        return False
    j = d[0][1]
    load = blk.instrs[j].op
    if load not in _HOME_LOADS and not (load.startswith("map.get.") and load.endswith(".ref")):
        return False
    between = blk.instrs[j + 1:k]
    return all(OPS[i.op].kind == "pure" and not i.op.startswith("global.set")
               for i in between)


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
        # iterative DFS: (node, next successor position)
        work = [(root, 0)]
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
