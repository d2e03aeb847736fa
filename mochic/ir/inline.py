"""Inlining small leaf functions into their callers, for the JIT.

A JIT'd call costs a frame, two limit checks and the arguments copied
through memory, which dwarfs a function like `fun evalA(i, j) = 1.0 / ...`.
So before translation, a call of a *small leaf* (a function of at most
LEAF_INSTRS instructions that calls nothing and is not a closure body) is
replaced by a copy of its blocks: the arguments moved into fresh copies of
its parameters, each `ret v` a move into the call's destination and a jump
to the rest of the caller.  Lines stay the callee's, so a runtime error
inside reports the same line as before.  Reference counting needs nothing
special: the translator's analysis runs on the result, where the copied
parameters are ordinary registers written by `mov`.

The module's IR is not changed: the caller is copied first.
"""

from __future__ import annotations

from dataclasses import replace

from mochic.ir import ir

LEAF_INSTRS = 40
_CALLS = ("call", "call.closure")


def is_small_leaf(fn: ir.Function) -> bool:
    if fn.env:
        return False
    n = 0
    for b in fn.blocks:
        for ins in b.instrs:
            if ins.op in _CALLS:
                return False
            n += 1
    return n <= LEAF_INSTRS


def inline_calls(fn: ir.Function, module: ir.Module) -> ir.Function:
    """``fn`` with its calls of small leaves inlined (``fn`` itself if it has none)."""
    leaves = {name for name, g in module.functions.items()
              if name != fn.name and is_small_leaf(g)}
    if not any(ins.op == "call" and ins.imm[0] in leaves
               for b in fn.blocks for ins in b.instrs):
        return fn
    out = ir.Function(fn.name, fn.params, fn.ret, fn.ret_mty, [], list(fn.regs), fn.env, fn.line)
    count = 0
    work = [ir.Block(b.label, list(b.instrs), b.term) for b in fn.blocks]
    while work:
        blk = work.pop(0)
        k = next((i for i, ins in enumerate(blk.instrs)
                  if ins.op == "call" and ins.imm[0] in leaves), None)
        if k is None:
            out.blocks.append(blk)
            continue
        count += 1
        call = blk.instrs[k]
        rest = ir.Block(f"{blk.label}.ret{count}", blk.instrs[k + 1:], blk.term)
        body = _copy_callee(out, module.functions[call.imm[0]], call, rest.label, count)
        moves = [ir.Instr(f"mov.{p.ty}", p, [a], (), call.line)
                 for p, a in zip(body.params, call.args, strict=True)]
        out.blocks.append(ir.Block(blk.label, blk.instrs[:k] + moves,
                                   ir.Jump(body.blocks[0].label, call.line)))
        out.blocks.extend(body.blocks)
        work.insert(0, rest)  # it may hold more calls
    return out


def _copy_callee(out: ir.Function, g: ir.Function, call: ir.Instr, after: str,
                 count: int) -> ir.Function:
    """A copy of ``g`` in ``out``'s registers, returning into ``call.dst`` and then
    jumping to block ``after``."""
    regs = {r.id: out.new_reg(r.ty, r.mty, r.hint) for r in g.regs}
    prefix = f"inl{count}.{g.name}."

    def reg(r: ir.Reg) -> ir.Reg:
        return regs[r.id]

    blocks = []
    for b in g.blocks:
        instrs = [replace(ins, dst=reg(ins.dst) if ins.dst is not None else None,
                          args=[reg(a) for a in ins.args]) for ins in b.instrs]
        t = b.term
        term: ir.Terminator | None
        if isinstance(t, ir.Jump):
            term = ir.Jump(prefix + t.target, t.line)
        elif isinstance(t, ir.Branch):
            term = ir.Branch(reg(t.cond), prefix + t.then, prefix + t.else_, t.line)
        elif isinstance(t, ir.Ret):
            if t.value is not None and call.dst is not None:
                instrs.append(ir.Instr(f"mov.{call.dst.ty}", call.dst, [reg(t.value)], (),
                                       t.line))
            term = ir.Jump(after, t.line)
        else:
            term = t
        blocks.append(ir.Block(prefix + b.label, instrs, term))
    return ir.Function(g.name, [reg(p) for p in g.params], g.ret, g.ret_mty, blocks, [],
                       g.env, g.line)
