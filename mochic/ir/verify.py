"""The IR verifier: checks a module against the rules every backend relies on.

- every instruction's opcode is in the table, its operand count and types
  match the table (calls: the callee's parameters), its result register has
  the table's result type;
- every block ends in exactly one terminator, whose targets exist and whose
  branch condition is a bool;
- returns match the function's result type;
- every instruction's immediates are what the table says (a known struct,
  function, global, field, a type ...);
- every register used belongs to the function, and every instruction has a
  source line.
"""

from __future__ import annotations

from mochic.frontend.types import Type
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


def verify_function(m: ir.Module, fn: ir.Function) -> list[str]:
    errors: list[str] = []
    labels = {b.label for b in fn.blocks}
    owned = set(map(id, fn.regs))

    def bad(where: str, msg: str) -> None:
        errors.append(f"{fn.name}: {where}: {msg}")

    if not fn.blocks:
        bad("body", "no blocks")
    if len(labels) != len(fn.blocks):
        bad("body", "duplicate block labels")
    for b in fn.blocks:
        for ins in b.instrs:
            where = f"{b.label}: {ins.op}"
            spec = OPS.get(ins.op)
            if spec is None:
                bad(where, "unknown opcode")
                continue
            if ins.line <= 0:
                bad(where, "no source line")
            msg = _check_imm(m, spec, ins)
            if msg:
                bad(where, msg)
            for r in [*ins.args, *([ins.dst] if ins.dst else [])]:
                if id(r) not in owned:
                    bad(where, f"register {r} is not of this function")
            if ins.op == "call":
                callee = m.functions.get(ins.imm[0]) if ins.imm else None
                if callee is None:
                    bad(where, f"unknown function {ins.imm[:1]}")
                    continue
                got = [a.ty for a in ins.args]
                want = [p.ty for p in callee.params]
                if got != want:
                    bad(where, f"arguments {got} do not match parameters {want}")
                if (ins.dst.ty if ins.dst else None) not in (callee.ret, None):
                    bad(where, f"result {ins.dst.ty} but {callee.name} returns {callee.ret}")
                continue
            if ins.op == "closure.new" and ins.imm and ins.imm[0] not in m.functions:
                bad(where, f"unknown function {ins.imm[0]}")
            if ins.op == "call.closure":
                if not ins.args or ins.args[0].ty != "ref":
                    bad(where, "the callee must be a ref")
                continue
            msg = _check_args(spec.args, ins.args)
            if msg:
                bad(where, msg)
            if spec.result is None and ins.dst is not None:
                bad(where, "has a result register but produces nothing")
            if spec.result is not None:
                if ins.dst is None:
                    bad(where, "result register missing")
                elif ins.dst.ty != spec.result:
                    bad(where, f"result is {ins.dst.ty}, expected {spec.result}")
            if ins.op.startswith(("global.get", "global.set")) and ins.imm[0] not in m.globals:
                bad(where, f"unknown global {ins.imm[0]}")
        t = b.term
        if t is None:
            bad(b.label, "block has no terminator")
        elif isinstance(t, ir.Jump):
            if t.target not in labels:
                bad(b.label, f"jump to unknown block {t.target}")
        elif isinstance(t, ir.Branch):
            if t.then not in labels or t.else_ not in labels:
                bad(b.label, "branch to an unknown block")
            if t.cond.ty != "bool":
                bad(b.label, f"branch condition is {t.cond.ty}")
        elif isinstance(t, ir.Ret):
            got = t.value.ty if t.value is not None else None
            if got != fn.ret:
                bad(b.label, f"returns {got}, function returns {fn.ret}")
    return errors


def verify(m: ir.Module) -> None:
    """Raise VerifyError listing every problem found in ``m``."""
    errors: list[str] = []
    if m.main not in m.functions:
        errors.append(f"no entry function {m.main}")
    for fn in m.functions.values():
        errors.extend(verify_function(m, fn))
    if errors:
        raise VerifyError("\n".join(errors))
