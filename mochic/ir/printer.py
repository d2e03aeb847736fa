"""The IR's text form, as `mochic ir prog.mochi` prints it.

    fun fib(%0.n: i64) -> i64 {
    entry:
      %1 = const.i64 2                        ; line 2
      %2 = lt.i64 %0.n, %1                    ; line 2
      br %2, then1, endif2
    ...
"""

from __future__ import annotations

from typing import Any

from mochic.frontend.types import Type
from mochic.ir import ir


def _imm(v: Any) -> str:
    if isinstance(v, str):
        return '"' + v.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
    if isinstance(v, Type):
        return f"<{v}>"
    return repr(v)


def format_instr(ins: ir.Instr) -> str:
    text = f"{ins.op}"
    operands = [str(a) for a in ins.args] + [_imm(v) for v in ins.imm]
    if operands:
        text += " " + ", ".join(operands)
    if ins.dst is not None:
        text = f"{ins.dst} = {text}"
    return text


def format_term(t: ir.Terminator | None) -> str:
    if isinstance(t, ir.Jump):
        return f"jmp {t.target}"
    if isinstance(t, ir.Branch):
        return f"br {t.cond}, {t.then}, {t.else_}"
    if isinstance(t, ir.Ret):
        return "ret" if t.value is None else f"ret {t.value}"
    return "unreachable"


def format_function(fn: ir.Function) -> str:
    params = ", ".join(f"{p}: {p.ty}" for p in fn.params)
    head = f"fun {fn.name}({params})" + (f" -> {fn.ret}" if fn.ret else "")
    if fn.env:
        head += " closure"
    lines = [head + " {"]
    for b in fn.blocks:
        lines.append(f"{b.label}:")
        for ins in b.instrs:
            lines.append(f"  {format_instr(ins):<44} ; line {ins.line}")
        lines.append(f"  {format_term(b.term)}")
    lines.append("}")
    return "\n".join(lines)


def format_module(m: ir.Module) -> str:
    out = [f"; module {m.file}"]
    for s in m.structs.values():
        fields = ", ".join(f"{n}: {t}" for n, t in s.fields.items())
        parent = f" variant of {s.parent.name}" if s.parent else ""
        out.append(f"struct {s.name}{parent} {{{fields}}}")
    for g in m.globals.values():
        out.append(f"global {g.name}: {g.ty}  ; {g.mty}")
    for fn in m.functions.values():
        out.append("")
        out.append(format_function(fn))
    return "\n".join(out) + "\n"
