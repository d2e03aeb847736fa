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
that pair with them.
"""

from __future__ import annotations

import struct

from mochic.objfile.elf import EM_AARCH64, EM_X86_64
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
