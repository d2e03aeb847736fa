"""Every x86_64 stencil patched and decoded, and the x86_64 writers' range checks.

Each stencil of generated/x86_64.stencils is laid out at an address, every hole is
filled with a distinct known value through patch.patch, and capstone decodes
the result: each hole is exactly the rel32, disp32, imm32 or imm64 field of
one instruction; jumps and calls go to the address meant; displacements and
immediates hold the operand values; rip-relative loads land in the stencil's
constant data; and no byte outside a hole changed.
"""

from __future__ import annotations

import struct

import capstone
import pytest
from capstone import x86

from mochic.backends.copypatch.model import Hole, Stencil
from mochic.backends.copypatch.patch import PatchError, patch, veneer
from mochic.backends.copypatch.stencilfile import load

BASE = 0x1000_0000
MASK64 = (1 << 64) - 1
# distinct and 8-aligned like frame offsets, small enough for the 32-bit
# fields but wider than 16 bits, so that a field read back whole proves it is
# all four bytes of a displacement or immediate
OPERANDS = {name: 0x10_0000 * (i + 1) + 8 * (i + 3) for i, name in
            enumerate(("D", "A", "B", "C", "FS", "FI", "LINE", "N", "KS"))}
CONSTANTS = {"K": 0xFEDC_BA98_7654_3210, "K2": 0x0123_4567_89AB_CDEF}
STENCILS = load("x86_64").stencils
SYMBOLS = sorted({h.value for st in STENCILS.values() for h in st.holes
                  if h.value.startswith("sym:")})
WIDTH = {"R_X86_64_64": 8}  # the other kinds fill 4 bytes


def _decoder() -> capstone.Cs:
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    md.detail = True
    return md


def _values(base: int, st: Stencil) -> dict[str, int]:
    align = st.data_align
    return {
        **OPERANDS, **CONSTANTS,
        "CONTINUE": base + len(st.code),
        "TARGET": base - 0x1_0000,
        "CALLEE": base + 0x100_0000,
        "data": (base + len(st.code) + align - 1) // align * align,
        # a GiB ahead, within rel32 reach, 16 bytes apart
        **{s: BASE + 0x4000_0000 - 16 * i for i, s in enumerate(SYMBOLS)},
    }


def _field(i: capstone.CsInsn, rel: int) -> str:
    """Which field of ``i`` starts at byte ``rel`` of it: 'disp' or 'imm'."""
    # capstone 5 says disp_size 2 for some 0x66-prefixed SSE instructions with
    # a disp32, so the size is not trusted: the value read back is checked
    if i.disp_size and i.disp_offset == rel:
        return "disp"
    if i.imm_size in (4, 8) and i.imm_offset == rel:
        return "imm"
    raise AssertionError(f"byte {rel} of {i.mnemonic} {i.op_str} is no 32/64-bit field")


def _operand(i: capstone.CsInsn, kind: int) -> x86.X86Op:
    (op,) = [o for o in i.operands if o.type == kind]
    return op


def check_stencil(base: int, st: Stencil) -> None:
    values = _values(base, st)
    code = bytearray(st.code)
    for h in st.holes:
        patch(code, h.offset, h.kind, values[h.value] + h.addend, base + h.offset)
    covered = set()
    for h in st.holes:
        covered.update(range(h.offset, h.offset + WIDTH.get(h.kind, 4)))
    assert all(code[k] == st.code[k] for k in range(len(code)) if k not in covered), \
        f"{st.name}: bytes outside the holes changed"
    insns = list(_decoder().disasm(bytes(code), base))
    assert sum(i.size for i in insns) == len(code), f"{st.name}: not all of the code decodes"
    for h in st.holes:
        at = base + h.offset
        (i,) = [i for i in insns if i.address <= at < i.address + i.size]
        where = f"{st.name}+{h.offset:#x} {i.mnemonic} {i.op_str} for {h}"
        field = _field(i, at - i.address)
        assert at + WIDTH.get(h.kind, 4) <= i.address + i.size, where
        _check_hole(i, h, field, values[h.value], st, values["data"], where)


def _check_hole(i: capstone.CsInsn, h: Hole, field: str, value: int, st: Stencil,
                data: int, where: str) -> None:
    if h.kind in ("R_X86_64_PLT32", "R_X86_64_PC32") and h.value != "data":
        # a rel32 branch: it goes to the value itself (the -4 addend is the
        # distance from the field to the end of the instruction)
        assert field == "imm", where
        assert i.group(capstone.CS_GRP_JUMP) or i.group(capstone.CS_GRP_CALL), where
        assert _operand(i, x86.X86_OP_IMM).imm == value, where
    elif h.kind == "R_X86_64_PC32":
        # a rip-relative read of the stencil's constant data, copied at `data`
        mem = _operand(i, x86.X86_OP_MEM).mem
        assert field == "disp" and mem.base == x86.X86_REG_RIP, where
        ea = i.address + i.size + mem.disp
        assert data <= ea and ea + 8 <= data + len(st.data), where
    elif h.kind in ("R_X86_64_32S", "R_X86_64_32"):
        want = value + h.addend
        if field == "disp":
            assert _operand(i, x86.X86_OP_MEM).mem.disp == want, where
        else:
            # capstone sign- or zero-extends by the operation's size
            assert _operand(i, x86.X86_OP_IMM).imm & 0xFFFF_FFFF == want, where
    elif h.kind == "R_X86_64_64":
        assert field == "imm" and i.imm_size == 8, where
        assert _operand(i, x86.X86_OP_IMM).imm & MASK64 == (value + h.addend) & MASK64, where
    else:
        raise AssertionError(f"{where}: no check for {h.kind}")


def test_every_stencil_patches_and_decodes() -> None:
    assert len(STENCILS) > 300
    for k, st in enumerate(STENCILS.values()):
        check_stencil(BASE + 16 * k, st)


# ---------------------------------------------------------------- writers


def _one(code: bytes, offset: int, kind: str, value: int,
         place: int = BASE) -> capstone.CsInsn:
    buf = bytearray(code)
    patch(buf, offset, kind, value, place + offset)
    (i,) = _decoder().disasm(bytes(buf), place)
    return i


MOV_DISP = bytes.fromhex("498b842400000000")  # mov rax, [r12 + disp32]
MOV_IMM = bytes.fromhex("bf00000000")  # mov edi, imm32
MOVABS = bytes.fromhex("48b80000000000000000")  # movabs rax, imm64
CALL = bytes.fromhex("e800000000")  # call rel32
JNE = bytes.fromhex("0f8500000000")  # jne rel32


def test_abs32s_range() -> None:
    for v in (-(1 << 31), -8, 0, (1 << 31) - 1):
        assert _one(MOV_DISP, 4, "R_X86_64_32S", v).operands[1].mem.disp == v
    for v in (-(1 << 31) - 1, 1 << 31, 1 << 40):
        with pytest.raises(PatchError, match="R_X86_64_32S: .* does not fit in 32 signed bits"):
            _one(MOV_DISP, 4, "R_X86_64_32S", v)


def test_abs32_range() -> None:
    for v in (0, 77, (1 << 32) - 1):
        assert _one(MOV_IMM, 1, "R_X86_64_32", v).operands[1].imm & 0xFFFF_FFFF == v
    for v in (-1, 1 << 32):
        with pytest.raises(PatchError, match="R_X86_64_32: .* does not fit in 32 unsigned bits"):
            _one(MOV_IMM, 1, "R_X86_64_32", v)


@pytest.mark.parametrize("kind", ["R_X86_64_PC32", "R_X86_64_PLT32"])
@pytest.mark.parametrize("insn", [CALL, JNE], ids=["call", "jne"])
def test_pc32_range(kind: str, insn: bytes) -> None:
    rel = len(insn) - 4
    # the field is 4 bytes before the instruction's end: the addend -4
    for d in (-(1 << 31), -0x1000, 0, (1 << 31) - 1):
        target = BASE + len(insn) + d
        assert _one(insn, rel, kind, target - 4).operands[0].imm == target
    for d in (-(1 << 31) - 1, 1 << 31):
        with pytest.raises(PatchError, match="does not fit in 32 signed bits"):
            _one(insn, rel, kind, BASE + len(insn) + d - 4)


def test_abs64() -> None:
    for v in (0, 0xFEDC_BA98_7654_3210, -1):
        assert _one(MOVABS, 2, "R_X86_64_64", v).operands[1].imm & MASK64 == v & MASK64


def test_veneer_decodes() -> None:
    target = 0x7FFF_1234_5678
    v = veneer("x86_64", target)
    (jmp,) = _decoder().disasm(v[:6], BASE)
    assert (jmp.mnemonic, jmp.op_str) == ("jmp", "qword ptr [rip]")
    assert v[6:] == struct.pack("<Q", target)  # what [rip] reads: the bytes after the jmp
