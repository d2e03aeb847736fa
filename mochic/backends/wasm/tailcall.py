"""Self-recursive calls in tail position, turned into a loop.

Cranelift makes no loop of recursion, and a C compiler does (LLVM's
tail-recursion elimination), so `return n + sum(n - 1)` or the second call of
`fib(n - 1) + fib(n - 2)` would cost a Wasm frame each where the C backend's
code loops.  A call of the function itself whose result the function
returns, either as is or as one operand of an `add.i64` (or `mul.i64`) that
is returned, is a *tail site*: the encoder wraps the function's body in a
`loop`, and at a tail site adds the other operand into an accumulator
local, moves the arguments into the parameters and branches back; every
other `ret v` returns the accumulator combined with `v`.  Ints wrap (the IR's
rule), so the sum or product comes out the same in any order.

The call is still a call for the depth limit: the site checks the depth as a
call would and the loop goes on one level deeper (local 0), so a recursion
too deep is 'stack overflow' at the same call and line as before.  Only
functions whose parameters are scalars qualify (no reference changes hands);
at a tail site no reference is live, so every ref register is released and
cleared as at a `ret`, and the next round finds them as on entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from mochic.ir import ir

# accumulating op -> (the Wasm instruction, its identity)
ACCUMULATE = {"add.i64": ("i64.add", 0), "mul.i64": ("i64.mul", 1)}
_SCALARS = ("i64", "f64", "bool")


@dataclass(frozen=True)
class Site:
    k: int  # the index of the call in its block
    other: ir.Reg | None  # the accumulated operand, or None: the call's value is returned


@dataclass(frozen=True)
class TailLoop:
    sites: dict[str, Site]  # by block label
    accumulate: str | None  # the op of ACCUMULATE, or None when no site accumulates


def find(fn: ir.Function) -> TailLoop | None:
    """The tail sites of ``fn``, or None if it has none or does not qualify."""
    if fn.env or any(p.ty not in _SCALARS for p in fn.params):
        return None
    uses: dict[int, int] = {}
    for b in fn.blocks:
        for ins in b.instrs:
            for a in ins.args:
                uses[a.id] = uses.get(a.id, 0) + 1
        t = b.term
        for r in (getattr(t, "value", None), getattr(t, "cond", None)):
            if r is not None:
                uses[r.id] = uses.get(r.id, 0) + 1
    sites: dict[str, Site] = {}
    ops: set[str] = set()
    for b in fn.blocks:
        found = _site(fn, b, uses)
        if found is not None:
            site, op = found
            sites[b.label] = site
            if op is not None:
                ops.add(op)
    if not sites or len(ops) > 1:
        return None
    return TailLoop(sites, next(iter(ops), None))


def _site(fn: ir.Function, b: ir.Block, uses: dict[int, int]) -> tuple[Site, str | None] | None:
    t = b.term
    if not isinstance(t, ir.Ret) or not b.instrs:
        return None
    last = b.instrs[-1]
    if _self_call(fn, last) and (t.value is last.dst if last.dst is not None
                                 else t.value is None and fn.result is None):
        return Site(len(b.instrs) - 1, None), None
    if len(b.instrs) < 2 or last.op not in ACCUMULATE or t.value is not last.dst:
        return None
    call = b.instrs[-2]
    y = call.dst
    if not _self_call(fn, call) or y is None or uses.get(y.id) != 1:
        return None
    x, z = last.args
    other = z if x is y else x if z is y else None
    if other is None or other is y:
        return None
    return Site(len(b.instrs) - 2, other), last.op


def _self_call(fn: ir.Function, ins: ir.Instr) -> bool:
    return ins.op == "call" and ins.imm[0] == fn.name
