"""The relocation field writers (objfile/fields.py) that the stencils do not
exercise, on hand-encoded instructions decoded by capstone: RISC-V branches,
jumps, compressed forms and store offsets; aarch64 loads, `adr`, test
branches and thread-pointer `add`s; data words and their range checks."""

from __future__ import annotations

import struct

import capstone
import pytest

from mochic.objfile.fields import FieldError, write

P = 0x10_0000


def _riscv(code: bytes, addr: int = P) -> list[capstone.CsInsn]:
    md = capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV64 | capstone.CS_MODE_RISCVC)
    md.detail = True
    return list(md.disasm(code, addr))


def _arm(code: bytes, addr: int = P) -> list[capstone.CsInsn]:
    md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    md.detail = True
    return list(md.disasm(code, addr))


def _put(kind: str, word: bytes, value: int, place: int = P) -> bytes:
    code = bytearray(word)
    write(code, 0, kind, value, place)
    return bytes(code)


BEQ = struct.pack("<I", 0x00B50063)  # beq a0, a1, 0
JAL = struct.pack("<I", 0x0000006F)  # j 0
C_BEQZ = struct.pack("<H", 0xC001)  # c.beqz s0, 0
C_J = struct.pack("<H", 0xA001)  # c.j 0


@pytest.mark.parametrize("kind,word,bits", [("R_RISCV_BRANCH", BEQ, 13), ("R_RISCV_JAL", JAL, 21),
                                            ("R_RISCV_RVC_BRANCH", C_BEQZ, 9),
                                            ("R_RISCV_RVC_JUMP", C_J, 12)])
def test_riscv_branches(kind: str, word: bytes, bits: int) -> None:
    for d in (-(1 << (bits - 1)), -2, 2, 0x56, (1 << (bits - 1)) - 2):
        (i,) = _riscv(_put(kind, word, P + d))
        assert i.operands[-1].imm == d, (kind, d, i.op_str)
        assert bytes(_put(kind, word, P + d)) != word or d == 0
    with pytest.raises(FieldError, match=f"does not fit in {bits} signed bits"):
        _put(kind, word, P + (1 << (bits - 1)))
    with pytest.raises(FieldError, match="not 2-byte aligned"):
        _put(kind, word, P + 3)


def test_riscv_store_and_load_offsets() -> None:
    sd = struct.pack("<I", 0x00B53023)  # sd a1, 0(a0)
    for v in (0, 8, 0x7F8, 0x800, 0xFF8, 0x12345678):
        (i,) = _riscv(_put("R_RISCV_LO12_S", sd, v))
        low = v & 0xFFF
        assert i.operands[1].mem.disp == (low - 0x1000 if low & 0x800 else low)
    ld = struct.pack("<I", 0x00053583)  # ld a1, 0(a0)
    (i,) = _riscv(_put("R_RISCV_PCREL_LO12_I", ld, P + 0x7F0))  # relative to its auipc at P
    assert i.operands[1].mem.disp == 0x7F0


def test_riscv_pcrel_pair_reaches_its_target() -> None:
    for d in (-0x8000_0000, -0x801, 0x800, 0x7FFF_F7FF):
        hi = _put("R_RISCV_PCREL_HI20", struct.pack("<I", 0x00000517), P + d)  # auipc a0
        lo = _put("R_RISCV_PCREL_LO12_I", struct.pack("<I", 0x00050513), P + d)  # addi a0
        auipc, addi = _riscv(hi + lo)
        assert auipc.mnemonic == "auipc" and addi.mnemonic in ("addi", "mv")
        upper, lower = struct.unpack("<ii", hi + lo)  # signed: the immediates' top bits
        assert ((upper >> 12) << 12) + (lower >> 20) == d


def test_riscv_data_and_adds() -> None:
    assert _put("R_RISCV_64", bytes(8), -2) == struct.pack("<q", -2)
    assert _put("R_RISCV_32_PCREL", bytes(4), P - 8) == struct.pack("<i", -8)
    assert _put("R_RISCV_ADD32", struct.pack("<I", 5), 7) == struct.pack("<I", 12)
    assert _put("R_RISCV_SUB32", struct.pack("<I", 5), 7) == struct.pack("<I", (5 - 7) & 0xFFFFFFFF)
    assert _put("R_RISCV_SET6", b"\xc1", 0x3F) == b"\xff"
    assert _put("R_RISCV_RELAX", b"\x13\0\0\0", 99) == b"\x13\0\0\0"  # changes nothing


def test_aarch64_adr_and_test_branch() -> None:
    adr = struct.pack("<I", 0x10000000)  # adr x0, 0
    for d in (-(1 << 20), 5, (1 << 20) - 1):
        (i,) = _arm(_put("R_AARCH64_ADR_PREL_LO21", adr, P + d))
        assert i.operands[1].imm == P + d
    tbz = struct.pack("<I", 0x36000000)  # tbz w0, #0, 0
    (i,) = _arm(_put("R_AARCH64_TSTBR14", tbz, P - 0x100))
    assert i.operands[-1].imm == P - 0x100
    with pytest.raises(FieldError, match="does not fit in 16 signed bits"):
        _put("R_AARCH64_TSTBR14", tbz, P + (1 << 15))


def test_aarch64_thread_pointer_adds() -> None:
    add_hi = struct.pack("<I", 0x91400000)  # add x0, x0, #0, lsl #12
    add_lo = struct.pack("<I", 0x91000000)  # add x0, x0, #0
    (hi,) = _arm(_put("R_AARCH64_TLSLE_ADD_TPREL_HI12", add_hi, 0x123456))
    (lo,) = _arm(_put("R_AARCH64_TLSLE_ADD_TPREL_LO12_NC", add_lo, 0x123456))
    assert (hi.operands[2].imm << 12) + lo.operands[2].imm == 0x123456
    with pytest.raises(FieldError, match="does not fit in 24 bits"):
        _put("R_AARCH64_TLSLE_ADD_TPREL_HI12", add_hi, 1 << 24)


@pytest.mark.parametrize("kind,size,lo,hi", [("R_X86_64_32", 4, 0, 1 << 32),
                                             ("R_X86_64_32S", 4, -(1 << 31), 1 << 31),
                                             ("R_X86_64_16", 2, -(1 << 15), 1 << 16),
                                             ("R_AARCH64_ABS32", 4, -(1 << 31), 1 << 32)])
def test_data_ranges(kind: str, size: int, lo: int, hi: int) -> None:
    for v in (lo, hi - 1):
        code = _put(kind, bytes(size), v)
        assert int.from_bytes(code, "little") == v & ((1 << 8 * size) - 1)
    for v in (lo - 1, hi):
        with pytest.raises(FieldError, match="does not fit"):
            _put(kind, bytes(size), v)
