"""Position-independent forms of the stencils' absolute address holes.

The JIT's stencils are compiled for a fixed address (`-fno-pic`): a hole
that holds an address is an absolute 64-bit immediate, which is right for
the JIT, whose code is patched where it runs.  A static PIE is loaded at an
address chosen at run time, and its code pages are never written, so every
address in code must be relative to the code itself.  When the native
backend stitches a program, each hole that takes an address (a descriptor,
a string, the limits, a function's code) is rewritten into the ISA's
pc-relative form, which reaches anything in the executable:

- x86_64: `movabs $S, %r` (10 bytes) becomes `lea S(%rip), %r` (7 bytes)
  and a 3-byte `nop`, with an `R_X86_64_PC32`.
- aarch64: the `movz`/`movk` sequence of the large code model becomes
  `adrp Xd, S` + `add Xd, Xd, :lo12:S` + two `nop`s.
- riscv64: of the two `lui`+`addiw` halves of a 64-bit constant
  (stencils/jit.h), the low one becomes `auipc` + `addi` (`%pcrel_hi` and
  `%pcrel_lo` of a label at the `auipc`) and the high one stays 0.

Other holes (numbers, and branches, already relative) are left alone, so a
stencil runs as fast as in the JIT.  A hole of any other shape stops the
build: it would be a stencil the rewrite was not written for.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from mochic.objfile.model import ObjectFile

NOP3 = b"\x0f\x1f\x00"
A64_NOP = 0xD503201F
A64_ADRP = 0x90000000
A64_ADD_IMM = 0x91000000  # add Xd, Xn, #imm (64-bit)
A64_MOVZ, A64_MOVK, A64_WIDE_MASK = 0xD2800000, 0xF2800000, 0xFF800000


class PicError(ValueError):
    """An address hole of a shape the rewrite does not know."""


# (the object, its .text, the hole's offset, its kind, the symbol, the addend)
Rewrite = Callable[[ObjectFile, bytearray, int, str, str, int], None]


def _x86_64(obj: ObjectFile, text: bytearray, at: int, kind: str, symbol: str,
            addend: int) -> None:
    if kind != "R_X86_64_64" or at < 2 or text[at - 2] not in (0x48, 0x49) \
            or not 0xB8 <= text[at - 1] <= 0xBF:
        raise PicError(f"{kind} at .text+{at:#x} is not a movabs of an address")
    reg = text[at - 1] - 0xB8 + ((text[at - 2] & 1) << 3)
    rex = 0x48 | ((reg >> 3) << 2)  # the register moves from REX.B to REX.R
    text[at - 2:at + 8] = bytes([rex, 0x8D, 0x05 | ((reg & 7) << 3)]) + bytes(4) + NOP3
    obj.relocate(".text", at + 1, "R_X86_64_PC32", symbol, addend - 4)


def _word(text: bytearray, at: int) -> int:
    return int(struct.unpack_from("<I", text, at)[0])


def _aarch64(obj: ObjectFile, text: bytearray, at: int, kind: str, symbol: str,
             addend: int) -> None:
    w = _word(text, at)
    rd = w & 31
    if kind == "R_AARCH64_MOVW_UABS_G0_NC" and w & A64_WIDE_MASK == A64_MOVZ:
        struct.pack_into("<I", text, at, A64_ADRP | rd)
        obj.relocate(".text", at, "R_AARCH64_ADR_PREL_PG_HI21", symbol, addend)
    elif kind == "R_AARCH64_MOVW_UABS_G1_NC" and w & A64_WIDE_MASK == A64_MOVK:
        struct.pack_into("<I", text, at, A64_ADD_IMM | (rd << 5) | rd)
        obj.relocate(".text", at, "R_AARCH64_ADD_ABS_LO12_NC", symbol, addend)
    elif kind in ("R_AARCH64_MOVW_UABS_G2_NC", "R_AARCH64_MOVW_UABS_G3") \
            and w & A64_WIDE_MASK == A64_MOVK:
        struct.pack_into("<I", text, at, A64_NOP)
    else:
        raise PicError(f"{kind} at .text+{at:#x} is not part of a movz/movk address")


RV_OPCODE = 0x7F
RV_LUI, RV_AUIPC, RV_ADDI, RV_ADDIW = 0x37, 0x17, 0x13, 0x1B


def _riscv64(obj: ObjectFile, text: bytearray, at: int, kind: str, symbol: str,
             addend: int) -> None:
    w = _word(text, at)
    rd, rs1 = (w >> 7) & 31, (w >> 15) & 31
    if kind == "MOCHI_RISCV_LO32_HI20" and w & RV_OPCODE == RV_LUI:
        struct.pack_into("<I", text, at, (w & ~RV_OPCODE) | RV_AUIPC)
        label = f"mochi.pcrel.{at}"
        obj.define(label, ".text", at)
        obj.relocate(".text", at, "R_RISCV_PCREL_HI20", symbol, addend)
    elif kind == "MOCHI_RISCV_LO32_LO12_I" and w & RV_OPCODE == RV_ADDIW and at >= 4 \
            and _word(text, at - 4) & RV_OPCODE == RV_AUIPC \
            and (_word(text, at - 4) >> 7) & 31 == rs1 == rd:
        struct.pack_into("<I", text, at, (w & ~RV_OPCODE) | RV_ADDI)
        obj.relocate(".text", at, "R_RISCV_PCREL_LO12_I", f"mochi.pcrel.{at - 4}")
    elif kind not in ("MOCHI_RISCV_HI32_HI20", "MOCHI_RISCV_HI32_LO12_I"):
        raise PicError(f"{kind} at .text+{at:#x} is not part of a lui/addiw address")
    # the high half of an address in the image is 0: its lui/addiw keep their zero


REWRITES: dict[str, Rewrite] = {"x86_64": _x86_64, "aarch64": _aarch64, "riscv64": _riscv64}
