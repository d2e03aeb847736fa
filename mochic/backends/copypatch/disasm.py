"""`mochic disasm`: the machine code the JIT made for each IR instruction, as a
compiler explorer shows it: the instruction, then its stencils' bytes decoded
by capstone at the addresses they run at."""

from __future__ import annotations

from mochic.backends.copypatch.jit import Program


def _decoder(machine: str):  # noqa: ANN202 - capstone has no type hints
    import capstone
    if machine == "x86_64":
        md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
        md.syntax = capstone.CS_OPT_SYNTAX_ATT
    else:
        md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    return md


def disassemble(prog: Program, only: str | None = None) -> str:
    import ctypes
    md = _decoder(prog.machine)
    out: list[str] = []
    for name, placed in prog.functions.items():
        if only is not None and name != only:
            continue
        t = placed.translation
        out.append(f"fun {name}  ; {placed.end - placed.start} bytes at "
                   f"{prog.address(placed.start):#x}, frame {t.frame} bytes")
        for step, row in zip(t.steps, placed.offsets, strict=True):
            out.append(f"  ; line {step.line}: {step.text}")
            for piece, off in zip(step.pieces, row, strict=True):
                size = len(prog.stencils[piece.stencil].code)
                code = ctypes.string_at(prog.address(off), size)
                out.append(f"    ; {piece.stencil}")
                for ins in md.disasm(code, prog.address(off)):
                    out.append(f"    {ins.address:x}:  {ins.mnemonic} {ins.op_str}".rstrip())
        out.append("")
    return "\n".join(out)
