"""How each relocation kind encodes a value into the bytes it lands on.

One writer per field shape, shared by everything that places code: the
JIT's patcher (`backends/copypatch/patch.py`) and the linker
(`objfile/link/`).  A writer takes the bytes, the offset of the field, the
value the psABI's formula starts from (`S + A`: a symbol's address plus the
addend) and the place `P` (the address of the field), computes what the
kind says (`S + A`, `S + A - P`, a page difference ...), checks that it fits
and writes it, changing no bit outside the field.  Kinds are named as each
ISA's ELF psABI names them; how the linker finds `S` (the symbol itself, a
GOT entry, a thread-pointer offset) is the linker's business, not this
module's.

- x86_64 (System V psABI): 8, 16, 32 and 64-bit data, pc-relative or not.
- aarch64 (ELF for the Arm 64-bit Architecture): `movz`/`movk` 16-bit
  chunks, 26-bit branches, 19- and 14-bit conditional branches, `adr` /
  `adrp` and the 12-bit low parts that pair with them (scaled by the access
  size), 12-bit `add` immediates of thread-pointer offsets.
- riscv64 (RISC-V ELF psABI): U-type (`lui`/`auipc`) high 20 bits, I- and
  S-type low 12 bits, B-type and J-type branches, the `auipc`+`jalr` call
  pair, the compressed branch and jump, data words.
"""

from __future__ import annotations

import struct
from collections.abc import Callable


class FieldError(ValueError):
    """A value does not fit the field of its relocation."""


Writer = Callable[[bytearray, int, int, int], None]  # (bytes, offset, S + A, P)
MASK64 = (1 << 64) - 1


def fits_signed(v: int, bits: int, what: str) -> None:
    if not -(1 << (bits - 1)) <= v < (1 << (bits - 1)):
        raise FieldError(f"{what}: {v:#x} does not fit in {bits} signed bits")


def _aligned(v: int, align: int, what: str) -> None:
    if v % align:
        raise FieldError(f"{what}: {v:#x} is not {align}-byte aligned")


def _word(code: bytearray, off: int) -> int:
    return int(struct.unpack_from("<I", code, off)[0])


def _put(code: bytearray, off: int, word: int) -> None:
    struct.pack_into("<I", code, off, word & 0xFFFFFFFF)


# ------------------------------------------------------------------ data

def _data(size: int, signed: bool | None, pcrel: bool, what: str) -> Writer:
    """A ``size``-byte little-endian word: signed, unsigned, or (None) either,
    of ``S + A`` or (``pcrel``) ``S + A - P``."""
    bits = size * 8
    fmt = {1: "<B", 2: "<H", 4: "<I", 8: "<Q"}[size]
    how = {True: " signed", False: " unsigned", None: ""}[signed]

    def write(code: bytearray, off: int, v: int, p: int) -> None:
        if pcrel:
            v -= p
        if bits < 64:
            lo = -(1 << (bits - 1)) if signed is not False else 0
            hi = (1 << bits) if signed is not True else (1 << (bits - 1))
            if not lo <= v < hi:
                raise FieldError(f"{what}: {v:#x} does not fit in {bits}{how} bits")
        struct.pack_into(fmt, code, off, v & ((1 << bits) - 1))
    return write


def _add_sub(size: int, sign: int) -> Writer:
    """RISC-V R_RISCV_ADD*/SUB*: add or subtract S + A to the word already there."""
    fmt = {1: "<B", 2: "<H", 4: "<I", 8: "<Q"}[size]
    mask = (1 << (size * 8)) - 1

    def write(code: bytearray, off: int, v: int, p: int) -> None:
        old = struct.unpack_from(fmt, code, off)[0]
        struct.pack_into(fmt, code, off, (old + sign * v) & mask)
    return write


def _set6(code: bytearray, off: int, v: int, p: int) -> None:
    code[off] = (code[off] & 0xC0) | (v & 0x3F)


def _sub6(code: bytearray, off: int, v: int, p: int) -> None:
    code[off] = (code[off] & 0xC0) | ((code[off] - v) & 0x3F)


# ------------------------------------------------------------------ aarch64

def _movw(shift: int, check: bool = False) -> Writer:
    def write(code: bytearray, off: int, v: int, p: int) -> None:
        if check and not 0 <= v >> shift < 1 << 16 and shift < 48:
            raise FieldError(f"MOVW_UABS_G{shift // 16}: {v:#x} does not fit")
        imm = (v >> shift) & 0xFFFF
        _put(code, off, (_word(code, off) & ~(0xFFFF << 5)) | (imm << 5))
    return write


def _branch(bits: int, lsb: int, what: str, pcrel: bool = True) -> Writer:
    """A pc-relative branch offset of ``bits`` bits (in instructions) at bit ``lsb``."""
    mask = (1 << bits) - 1

    def write(code: bytearray, off: int, v: int, p: int) -> None:
        d = v - p if pcrel else v
        _aligned(d, 4, what)
        fits_signed(d, bits + 2, what)
        _put(code, off, (_word(code, off) & ~(mask << lsb)) | (((d >> 2) & mask) << lsb))
    return write


def _adr(page: bool, check: bool = True) -> Writer:
    """`adr` (byte offset) or `adrp` (4 KiB page offset): a 21-bit immediate split in
    immlo (bits 29-30) and immhi (bits 5-23)."""
    def write(code: bytearray, off: int, v: int, p: int) -> None:
        d = (v >> 12) - (p >> 12) if page else v - p
        if check:
            fits_signed(d, 21, "R_AARCH64_ADR_PREL_PG_HI21" if page else "R_AARCH64_ADR_PREL_LO21")
        lo, hi = d & 3, (d >> 2) & 0x7FFFF
        _put(code, off, (_word(code, off) & ~((3 << 29) | (0x7FFFF << 5))) | (lo << 29) | (hi << 5))
    return write


def _lo12(scale: int) -> Writer:
    """The low 12 bits of an address, scaled by the access size, at bit 10."""
    def write(code: bytearray, off: int, v: int, p: int) -> None:
        lo = v & 0xFFF
        if lo % (1 << scale):
            raise FieldError(f"low 12 bits {lo:#x} not aligned to {1 << scale} bytes")
        _put(code, off, (_word(code, off) & ~(0xFFF << 10)) | ((lo >> scale) << 10))
    return write


def _add_imm12(shift: int, check: bool) -> Writer:
    """An `add` immediate: bits ``shift``..``shift+11`` of the value (HI12 sets the
    instruction's lsl #12 flag already)."""
    def write(code: bytearray, off: int, v: int, p: int) -> None:
        if check and not 0 <= v < 1 << (shift + 12):
            raise FieldError(f"thread-pointer offset {v:#x} does not fit in {shift + 12} bits")
        imm = (v >> shift) & 0xFFF
        _put(code, off, (_word(code, off) & ~(0xFFF << 10)) | (imm << 10))
    return write


# ------------------------------------------------------------------ riscv64

def _hi20(v: int) -> int:
    return ((v + 0x800) >> 12) & 0xFFFFF


def _u_type(pcrel: bool, what: str) -> Writer:
    def write(code: bytearray, off: int, v: int, p: int) -> None:
        d = v - p if pcrel else v
        fits_signed(d + 0x800, 32, what)
        _put(code, off, (_word(code, off) & 0xFFF) | (_hi20(d) << 12))
    return write


def _i_type(pcrel: bool) -> Writer:
    def write(code: bytearray, off: int, v: int, p: int) -> None:
        d = v - p if pcrel else v
        _put(code, off, (_word(code, off) & 0xFFFFF) | ((d & 0xFFF) << 20))
    return write


def _s_type(pcrel: bool) -> Writer:
    def write(code: bytearray, off: int, v: int, p: int) -> None:
        d = (v - p if pcrel else v) & 0xFFF
        w = _word(code, off) & ~((0x7F << 25) | (0x1F << 7))
        _put(code, off, w | ((d >> 5) << 25) | ((d & 0x1F) << 7))
    return write


def _b_type(code: bytearray, off: int, v: int, p: int) -> None:
    d = v - p
    _aligned(d, 2, "R_RISCV_BRANCH")
    fits_signed(d, 13, "R_RISCV_BRANCH")
    imm = (((d >> 12) & 1) << 31) | (((d >> 5) & 0x3F) << 25) | (((d >> 1) & 0xF) << 8) \
        | (((d >> 11) & 1) << 7)
    _put(code, off, (_word(code, off) & 0x01FFF07F) | imm)


def _j_type(code: bytearray, off: int, v: int, p: int) -> None:
    d = v - p
    _aligned(d, 2, "R_RISCV_JAL")
    fits_signed(d, 21, "R_RISCV_JAL")
    imm = (((d >> 20) & 1) << 31) | (((d >> 1) & 0x3FF) << 21) | (((d >> 11) & 1) << 20) \
        | (((d >> 12) & 0xFF) << 12)
    _put(code, off, (_word(code, off) & 0xFFF) | imm)


def _call(code: bytearray, off: int, v: int, p: int) -> None:
    """`auipc` + `jalr`: the pair reaches +-2 GiB."""
    d = v - p
    fits_signed(d + 0x800, 32, "R_RISCV_CALL")
    _put(code, off, (_word(code, off) & 0xFFF) | (_hi20(d) << 12))
    _put(code, off + 4, (_word(code, off + 4) & 0xFFFFF) | ((d & 0xFFF) << 20))


def _half(code: bytearray, off: int) -> int:
    return int(struct.unpack_from("<H", code, off)[0])


def _rvc_branch(code: bytearray, off: int, v: int, p: int) -> None:
    """`c.beqz`/`c.bnez`: offset[8|4:3] in bits 12, 11:10 and offset[7:6|2:1|5] in
    bits 6:5, 4:3, 2."""
    d = v - p
    _aligned(d, 2, "R_RISCV_RVC_BRANCH")
    fits_signed(d, 9, "R_RISCV_RVC_BRANCH")
    imm = (((d >> 8) & 1) << 12) | (((d >> 3) & 3) << 10) | (((d >> 6) & 3) << 5) \
        | (((d >> 1) & 3) << 3) | (((d >> 5) & 1) << 2)
    struct.pack_into("<H", code, off, (_half(code, off) & 0xE383) | imm)


def _rvc_jump(code: bytearray, off: int, v: int, p: int) -> None:
    """`c.j`: offset[11|4|9:8|10|6|7|3:1|5] in bits 12..2."""
    d = v - p
    _aligned(d, 2, "R_RISCV_RVC_JUMP")
    fits_signed(d, 12, "R_RISCV_RVC_JUMP")
    imm = (((d >> 11) & 1) << 12) | (((d >> 4) & 1) << 11) | (((d >> 8) & 3) << 9) \
        | (((d >> 10) & 1) << 8) | (((d >> 6) & 1) << 7) | (((d >> 7) & 1) << 6) \
        | (((d >> 1) & 7) << 3) | (((d >> 5) & 1) << 2)
    struct.pack_into("<H", code, off, (_half(code, off) & 0xE003) | imm)


def _nothing(code: bytearray, off: int, v: int, p: int) -> None:
    """A marker that changes no byte (R_RISCV_RELAX, R_RISCV_ALIGN without relaxing)."""


WRITERS: dict[str, Writer] = {
    # x86_64
    "R_X86_64_NONE": _nothing,
    "R_X86_64_64": _data(8, None, False, "R_X86_64_64"),
    "R_X86_64_PC64": _data(8, None, True, "R_X86_64_PC64"),
    "R_X86_64_PC32": _data(4, True, True, "R_X86_64_PC32"),
    "R_X86_64_PLT32": _data(4, True, True, "R_X86_64_PLT32"),
    "R_X86_64_32": _data(4, False, False, "R_X86_64_32"),
    "R_X86_64_32S": _data(4, True, False, "R_X86_64_32S"),
    "R_X86_64_16": _data(2, None, False, "R_X86_64_16"),
    "R_X86_64_PC16": _data(2, True, True, "R_X86_64_PC16"),
    "R_X86_64_8": _data(1, None, False, "R_X86_64_8"),
    "R_X86_64_PC8": _data(1, True, True, "R_X86_64_PC8"),
    "R_X86_64_SIZE32": _data(4, False, False, "R_X86_64_SIZE32"),
    "R_X86_64_SIZE64": _data(8, None, False, "R_X86_64_SIZE64"),
    # aarch64
    "R_AARCH64_NONE": _nothing,
    "R_AARCH64_ABS64": _data(8, None, False, "R_AARCH64_ABS64"),
    "R_AARCH64_ABS32": _data(4, None, False, "R_AARCH64_ABS32"),
    "R_AARCH64_ABS16": _data(2, None, False, "R_AARCH64_ABS16"),
    "R_AARCH64_PREL64": _data(8, None, True, "R_AARCH64_PREL64"),
    "R_AARCH64_PREL32": _data(4, None, True, "R_AARCH64_PREL32"),
    "R_AARCH64_PREL16": _data(2, None, True, "R_AARCH64_PREL16"),
    "R_AARCH64_MOVW_UABS_G0": _movw(0, True),
    "R_AARCH64_MOVW_UABS_G0_NC": _movw(0),
    "R_AARCH64_MOVW_UABS_G1": _movw(16, True),
    "R_AARCH64_MOVW_UABS_G1_NC": _movw(16),
    "R_AARCH64_MOVW_UABS_G2": _movw(32, True),
    "R_AARCH64_MOVW_UABS_G2_NC": _movw(32),
    "R_AARCH64_MOVW_UABS_G3": _movw(48),
    "R_AARCH64_ADR_PREL_LO21": _adr(False),
    "R_AARCH64_ADR_PREL_PG_HI21": _adr(True),
    "R_AARCH64_ADR_PREL_PG_HI21_NC": _adr(True, check=False),
    "R_AARCH64_ADD_ABS_LO12_NC": _lo12(0),
    "R_AARCH64_LDST8_ABS_LO12_NC": _lo12(0),
    "R_AARCH64_LDST16_ABS_LO12_NC": _lo12(1),
    "R_AARCH64_LDST32_ABS_LO12_NC": _lo12(2),
    "R_AARCH64_LDST64_ABS_LO12_NC": _lo12(3),
    "R_AARCH64_LDST128_ABS_LO12_NC": _lo12(4),
    "R_AARCH64_LD_PREL_LO19": _branch(19, 5, "R_AARCH64_LD_PREL_LO19"),
    "R_AARCH64_TSTBR14": _branch(14, 5, "R_AARCH64_TSTBR14"),
    "R_AARCH64_CONDBR19": _branch(19, 5, "R_AARCH64_CONDBR19"),
    "R_AARCH64_JUMP26": _branch(26, 0, "R_AARCH64_JUMP26/CALL26"),
    "R_AARCH64_CALL26": _branch(26, 0, "R_AARCH64_JUMP26/CALL26"),
    "R_AARCH64_ADR_GOT_PAGE": _adr(True),
    "R_AARCH64_LD64_GOT_LO12_NC": _lo12(3),
    "R_AARCH64_TLSLE_ADD_TPREL_HI12": _add_imm12(12, True),
    "R_AARCH64_TLSLE_ADD_TPREL_LO12": _add_imm12(0, True),
    "R_AARCH64_TLSLE_ADD_TPREL_LO12_NC": _add_imm12(0, False),
    "R_AARCH64_TLSIE_ADR_GOTTPREL_PAGE21": _adr(True),
    "R_AARCH64_TLSIE_LD64_GOTTPREL_LO12_NC": _lo12(3),
    # riscv64
    "R_RISCV_NONE": _nothing,
    "R_RISCV_64": _data(8, None, False, "R_RISCV_64"),
    "R_RISCV_32": _data(4, None, False, "R_RISCV_32"),
    "R_RISCV_32_PCREL": _data(4, True, True, "R_RISCV_32_PCREL"),
    "R_RISCV_PLT32": _data(4, True, True, "R_RISCV_PLT32"),
    "R_RISCV_HI20": _u_type(False, "R_RISCV_HI20"),
    "R_RISCV_LO12_I": _i_type(False),
    "R_RISCV_LO12_S": _s_type(False),
    "R_RISCV_PCREL_HI20": _u_type(True, "R_RISCV_PCREL_HI20"),
    "R_RISCV_PCREL_LO12_I": _i_type(True),
    "R_RISCV_PCREL_LO12_S": _s_type(True),
    "R_RISCV_GOT_HI20": _u_type(True, "R_RISCV_GOT_HI20"),
    "R_RISCV_TLS_GOT_HI20": _u_type(True, "R_RISCV_TLS_GOT_HI20"),
    "R_RISCV_TPREL_HI20": _u_type(False, "R_RISCV_TPREL_HI20"),
    "R_RISCV_TPREL_LO12_I": _i_type(False),
    "R_RISCV_TPREL_LO12_S": _s_type(False),
    "R_RISCV_TPREL_ADD": _nothing,
    "R_RISCV_BRANCH": _b_type,
    "R_RISCV_JAL": _j_type,
    "R_RISCV_CALL": _call,
    "R_RISCV_CALL_PLT": _call,
    "R_RISCV_RVC_BRANCH": _rvc_branch,
    "R_RISCV_RVC_JUMP": _rvc_jump,
    "R_RISCV_ADD8": _add_sub(1, 1), "R_RISCV_ADD16": _add_sub(2, 1),
    "R_RISCV_ADD32": _add_sub(4, 1), "R_RISCV_ADD64": _add_sub(8, 1),
    "R_RISCV_SUB8": _add_sub(1, -1), "R_RISCV_SUB16": _add_sub(2, -1),
    "R_RISCV_SUB32": _add_sub(4, -1), "R_RISCV_SUB64": _add_sub(8, -1),
    "R_RISCV_SET6": _set6, "R_RISCV_SUB6": _sub6,
    "R_RISCV_SET8": _data(1, None, False, "R_RISCV_SET8"),
    "R_RISCV_SET16": _data(2, None, False, "R_RISCV_SET16"),
    "R_RISCV_SET32": _data(4, None, False, "R_RISCV_SET32"),
    "R_RISCV_RELAX": _nothing,
    "R_RISCV_ALIGN": _nothing,
}


def write(code: bytearray, offset: int, kind: str, value: int, place: int) -> None:
    """Encode ``value`` (S + A) into the field of ``kind`` at ``offset`` of ``code``,
    which is placed at ``place``; raise FieldError if it does not fit."""
    WRITERS[kind](code, offset, value, place)
