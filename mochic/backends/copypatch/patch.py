"""Filling holes: the relocation kinds the JIT patches, and veneers.

``RELOCATIONS`` maps an ELF relocation number per machine to its name and the
function that writes a value there (`objfile/fields.py`, shared with the
linker).  A stencil whose object has a relocation
missing from this table is rejected by the generator, so the JIT never meets a
kind it cannot patch.  Every writer checks that the value fits the field.

x86_64 (System V psABI): `S + A` absolute in 64 or 32 bits, `S + A - P`
pc-relative in 32 bits.  aarch64 (ELF for the Arm 64-bit Architecture):
16-bit `movz`/`movk` immediates, 26-bit branch and call offsets, 19-bit
conditional branches, 21-bit `adrp` page offsets and the 12-bit low parts
that pair with them.  riscv64 (RISC-V ELF psABI): `lui`/`addiw` halves of
numbers, `auipc`+`jalr` calls and tail calls, conditional branches and
jumps, and the two halves of a 64-bit constant (`WIDE_KINDS`).
"""

from __future__ import annotations

import struct

from mochic.objfile.elf import EM_AARCH64, EM_RISCV, EM_X86_64
from mochic.objfile.fields import WRITERS as FIELD_WRITERS
from mochic.objfile.fields import FieldError as PatchError
from mochic.objfile.fields import Writer

__all__ = ["PatchError", "RELOCATIONS", "WRITERS", "patch", "veneer"]


def _kinds(table: dict[int, str]) -> dict[int, tuple[str, Writer]]:
    return {number: (name, FIELD_WRITERS[name]) for number, name in table.items()}


RELOCATIONS: dict[int, dict[int, tuple[str, Writer]]] = {
    EM_X86_64: _kinds({
        1: "R_X86_64_64",
        2: "R_X86_64_PC32",
        4: "R_X86_64_PLT32",
        10: "R_X86_64_32",
        11: "R_X86_64_32S",
    }),
    EM_AARCH64: _kinds({
        257: "R_AARCH64_ABS64",
        264: "R_AARCH64_MOVW_UABS_G0_NC",
        266: "R_AARCH64_MOVW_UABS_G1_NC",
        268: "R_AARCH64_MOVW_UABS_G2_NC",
        269: "R_AARCH64_MOVW_UABS_G3",
        275: "R_AARCH64_ADR_PREL_PG_HI21",
        277: "R_AARCH64_ADD_ABS_LO12_NC",
        278: "R_AARCH64_LDST8_ABS_LO12_NC",
        280: "R_AARCH64_CONDBR19",
        282: "R_AARCH64_JUMP26",
        283: "R_AARCH64_CALL26",
        284: "R_AARCH64_LDST16_ABS_LO12_NC",
        285: "R_AARCH64_LDST32_ABS_LO12_NC",
        286: "R_AARCH64_LDST64_ABS_LO12_NC",
        299: "R_AARCH64_LDST128_ABS_LO12_NC",
    }),
    EM_RISCV: _kinds({
        2: "R_RISCV_64",
        16: "R_RISCV_BRANCH",
        17: "R_RISCV_JAL",
        19: "R_RISCV_CALL_PLT",
        23: "R_RISCV_PCREL_HI20",
        24: "R_RISCV_PCREL_LO12_I",
        25: "R_RISCV_PCREL_LO12_S",
        26: "R_RISCV_HI20",
        27: "R_RISCV_LO12_I",
        28: "R_RISCV_LO12_S",
        44: "R_RISCV_RVC_BRANCH",
        45: "R_RISCV_RVC_JUMP",
    }),
}


def _sext32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def _uhi20(code: bytearray, off: int, v: int, p: int) -> None:
    """The `lui` of a `lui` + `addiw` pair: `addiw` wraps, so any 32-bit word fits."""
    w = int(struct.unpack_from("<I", code, off)[0])
    struct.pack_into("<I", code, off, (w & 0xFFF) | ((((v + 0x800) >> 12) & 0xFFFFF) << 12))


def _wide(high: bool, write: Writer) -> Writer:
    """One half of a 64-bit RISC-V constant built as (hi << 32) + lo, each half a
    `lui`+`addiw` pair (sign-extended 32 bits): lo is the low word, hi what is left."""
    def half(code: bytearray, off: int, v: int, p: int) -> None:
        lo = _sext32(v)
        write(code, off, _sext32((v - lo) >> 32) if high else lo, p)
    return half


# Not ELF kinds: the halves of a RISC-V K or K2 hole (stencils/jit.h), which the
# generator names by the hole symbol (_JIT_K_HI: the high half).  Only the JIT
# patches them; the native backend rewrites them into pc-relative addresses.
WIDE_KINDS = {
    ("R_RISCV_HI20", False): "MOCHI_RISCV_LO32_HI20",
    ("R_RISCV_LO12_I", False): "MOCHI_RISCV_LO32_LO12_I",
    ("R_RISCV_HI20", True): "MOCHI_RISCV_HI32_HI20",
    ("R_RISCV_LO12_I", True): "MOCHI_RISCV_HI32_LO12_I",
}
_WIDE_FIELDS = {"R_RISCV_HI20": _uhi20, "R_RISCV_LO12_I": FIELD_WRITERS["R_RISCV_LO12_I"]}

WRITERS: dict[str, Writer] = {name: w for table in RELOCATIONS.values()
                              for name, w in table.values()}
WRITERS.update({kind: _wide(high, _WIDE_FIELDS[field])
                for (field, high), kind in WIDE_KINDS.items()})

# Kinds whose value is relative to the patched place: a call or jump from a
# stencil to code out of their range goes through a veneer.
PC_RELATIVE = frozenset({"R_X86_64_PC32", "R_X86_64_PLT32", "R_AARCH64_JUMP26",
                         "R_AARCH64_CALL26", "R_AARCH64_CONDBR19", "R_AARCH64_ADR_PREL_PG_HI21",
                         "R_RISCV_CALL_PLT", "R_RISCV_BRANCH", "R_RISCV_JAL",
                         "R_RISCV_RVC_BRANCH", "R_RISCV_RVC_JUMP", "R_RISCV_PCREL_HI20",
                         "R_RISCV_PCREL_LO12_I", "R_RISCV_PCREL_LO12_S"})
# Kinds whose field holds S - P: between two places of one section, the same
# wherever the section is placed (not `adrp`'s page difference).
SECTION_RELATIVE = frozenset({"R_X86_64_PC32", "R_X86_64_PLT32", "R_AARCH64_JUMP26",
                              "R_AARCH64_CALL26", "R_AARCH64_CONDBR19", "R_RISCV_CALL_PLT",
                              "R_RISCV_BRANCH", "R_RISCV_JAL", "R_RISCV_RVC_BRANCH",
                              "R_RISCV_RVC_JUMP"})
BRANCH_RANGE = {"R_X86_64_PC32": 1 << 31, "R_X86_64_PLT32": 1 << 31,
                "R_AARCH64_JUMP26": 1 << 27, "R_AARCH64_CALL26": 1 << 27,
                "R_RISCV_CALL_PLT": 1 << 31}


def patch(code: bytearray, offset: int, kind: str, value: int, place: int) -> None:
    """Write ``value`` (S + A) into the hole at ``offset`` of ``code`` placed at ``place``
    (the address of the code's first byte plus ``offset``)."""
    WRITERS[kind](code, offset, value, place)


def veneer(machine: str, target: int) -> bytes:
    """A jump to absolute ``target`` that any branch in range of it can reach:
    x86_64 `jmp *0(%rip)` + the address; aarch64 `ldr x16, 8; br x16` + the
    address (x16 is the intra-procedure-call scratch register the ABI gives
    veneers); riscv64 `auipc t1, 0; ld t1, 16(t1); jr t1; nop` + the address
    (t1 is the scratch register of the psABI's call and tail sequences; the
    address is 8-aligned when the veneer is)."""
    if machine == "x86_64":
        return b"\xff\x25\x00\x00\x00\x00" + struct.pack("<Q", target)
    if machine == "riscv64":
        return struct.pack("<IIIIQ", 0x00000317, 0x01033303, 0x00030067, 0x00000013, target)
    return struct.pack("<II", 0x58000050, 0xD61F0200) + struct.pack("<Q", target)
