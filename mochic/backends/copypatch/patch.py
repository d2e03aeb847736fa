"""Filling holes: how each relocation kind encodes a value into machine code.

``RELOCATIONS`` maps an ELF relocation number per machine to its name and the
function that writes a value there.  A stencil whose object has a relocation
missing from this table is rejected by the generator, so the JIT never meets a
kind it cannot patch.  Every writer checks that the value fits the field.

x86_64 (System V psABI): `S + A` absolute in 64 or 32 bits, `S + A - P`
pc-relative in 32 bits.  aarch64 (ELF for the Arm 64-bit Architecture):
16-bit `movz`/`movk` immediates, 26-bit branch and call offsets, 19-bit
conditional branches, 21-bit `adrp` page offsets and the 12-bit low parts
that pair with them.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from mochic.objfile.elf import EM_AARCH64, EM_X86_64


class PatchError(ValueError):
    """A value does not fit the field of its hole."""


Writer = Callable[[bytearray, int, int, int], None]  # (code, offset, S + A, P)


def _fits_signed(v: int, bits: int, what: str) -> None:
    if not -(1 << (bits - 1)) <= v < (1 << (bits - 1)):
        raise PatchError(f"{what}: {v:#x} does not fit in {bits} signed bits")


def _abs64(code: bytearray, off: int, v: int, p: int) -> None:
    struct.pack_into("<Q", code, off, v & 0xFFFFFFFFFFFFFFFF)


def _abs32(code: bytearray, off: int, v: int, p: int) -> None:
    if not 0 <= v < 1 << 32:
        raise PatchError(f"R_X86_64_32: {v:#x} does not fit in 32 unsigned bits")
    struct.pack_into("<I", code, off, v)


def _abs32s(code: bytearray, off: int, v: int, p: int) -> None:
    _fits_signed(v, 32, "R_X86_64_32S")
    struct.pack_into("<i", code, off, v)


def _pc32(code: bytearray, off: int, v: int, p: int) -> None:
    d = v - p
    _fits_signed(d, 32, "R_X86_64_PC32")
    struct.pack_into("<i", code, off, d)


def _insn(code: bytearray, off: int) -> int:
    return int(struct.unpack_from("<I", code, off)[0])


def _put(code: bytearray, off: int, word: int) -> None:
    struct.pack_into("<I", code, off, word & 0xFFFFFFFF)


def _movw(shift: int) -> Writer:
    def write(code: bytearray, off: int, v: int, p: int) -> None:
        imm = (v >> shift) & 0xFFFF
        _put(code, off, (_insn(code, off) & ~(0xFFFF << 5)) | (imm << 5))
    return write


def _branch26(code: bytearray, off: int, v: int, p: int) -> None:
    d = v - p
    if d & 3:
        raise PatchError(f"R_AARCH64_JUMP26/CALL26: target {v:#x} is not 4-byte aligned")
    _fits_signed(d, 28, "R_AARCH64_JUMP26/CALL26")
    _put(code, off, (_insn(code, off) & ~0x3FFFFFF) | ((d >> 2) & 0x3FFFFFF))


def _condbr19(code: bytearray, off: int, v: int, p: int) -> None:
    d = v - p
    if d & 3:
        raise PatchError(f"R_AARCH64_CONDBR19: target {v:#x} is not 4-byte aligned")
    _fits_signed(d, 21, "R_AARCH64_CONDBR19")
    _put(code, off, (_insn(code, off) & ~(0x7FFFF << 5)) | (((d >> 2) & 0x7FFFF) << 5))


def _adrp(code: bytearray, off: int, v: int, p: int) -> None:
    d = (v >> 12) - (p >> 12)
    _fits_signed(d, 21, "R_AARCH64_ADR_PREL_PG_HI21")
    lo, hi = d & 3, (d >> 2) & 0x7FFFF
    _put(code, off, (_insn(code, off) & ~((3 << 29) | (0x7FFFF << 5))) | (lo << 29) | (hi << 5))


def _lo12(scale: int) -> Writer:
    def write(code: bytearray, off: int, v: int, p: int) -> None:
        lo = v & 0xFFF
        if lo % (1 << scale):
            raise PatchError(f"low 12 bits {lo:#x} not aligned to {1 << scale} bytes")
        imm = lo >> scale
        _put(code, off, (_insn(code, off) & ~(0xFFF << 10)) | (imm << 10))
    return write


RELOCATIONS: dict[int, dict[int, tuple[str, Writer]]] = {
    EM_X86_64: {
        1: ("R_X86_64_64", _abs64),
        2: ("R_X86_64_PC32", _pc32),
        4: ("R_X86_64_PLT32", _pc32),
        10: ("R_X86_64_32", _abs32),
        11: ("R_X86_64_32S", _abs32s),
    },
    EM_AARCH64: {
        257: ("R_AARCH64_ABS64", _abs64),
        264: ("R_AARCH64_MOVW_UABS_G0_NC", _movw(0)),
        266: ("R_AARCH64_MOVW_UABS_G1_NC", _movw(16)),
        268: ("R_AARCH64_MOVW_UABS_G2_NC", _movw(32)),
        269: ("R_AARCH64_MOVW_UABS_G3", _movw(48)),
        275: ("R_AARCH64_ADR_PREL_PG_HI21", _adrp),
        277: ("R_AARCH64_ADD_ABS_LO12_NC", _lo12(0)),
        278: ("R_AARCH64_LDST8_ABS_LO12_NC", _lo12(0)),
        280: ("R_AARCH64_CONDBR19", _condbr19),
        282: ("R_AARCH64_JUMP26", _branch26),
        283: ("R_AARCH64_CALL26", _branch26),
        284: ("R_AARCH64_LDST16_ABS_LO12_NC", _lo12(1)),
        285: ("R_AARCH64_LDST32_ABS_LO12_NC", _lo12(2)),
        286: ("R_AARCH64_LDST64_ABS_LO12_NC", _lo12(3)),
        299: ("R_AARCH64_LDST128_ABS_LO12_NC", _lo12(4)),
    },
}

WRITERS: dict[str, Writer] = {name: w for table in RELOCATIONS.values()
                              for name, w in table.values()}

# Kinds whose value is relative to the patched place: a call or jump from a
# stencil to code out of their range goes through a veneer.
PC_RELATIVE = frozenset({"R_X86_64_PC32", "R_X86_64_PLT32", "R_AARCH64_JUMP26",
                         "R_AARCH64_CALL26", "R_AARCH64_CONDBR19", "R_AARCH64_ADR_PREL_PG_HI21"})
# Kinds whose field holds S - P: between two places of one section, the same
# wherever the section is placed (not `adrp`'s page difference).
SECTION_RELATIVE = frozenset({"R_X86_64_PC32", "R_X86_64_PLT32", "R_AARCH64_JUMP26",
                              "R_AARCH64_CALL26", "R_AARCH64_CONDBR19"})
BRANCH_RANGE = {"R_X86_64_PC32": 1 << 31, "R_X86_64_PLT32": 1 << 31,
                "R_AARCH64_JUMP26": 1 << 27, "R_AARCH64_CALL26": 1 << 27}


def patch(code: bytearray, offset: int, kind: str, value: int, place: int) -> None:
    """Write ``value`` (S + A) into the hole at ``offset`` of ``code`` placed at ``place``
    (the address of the code's first byte plus ``offset``)."""
    WRITERS[kind](code, offset, value, place)


def veneer(machine: str, target: int) -> bytes:
    """A jump to absolute ``target`` that any branch in range of it can reach:
    x86_64 `jmp *0(%rip)` + the address; aarch64 `ldr x16, 8; br x16` + the
    address (x16 is the intra-procedure-call scratch register the ABI gives
    veneers)."""
    if machine == "x86_64":
        return b"\xff\x25\x00\x00\x00\x00" + struct.pack("<Q", target)
    return struct.pack("<II", 0x58000050, 0xD61F0200) + struct.pack("<Q", target)
