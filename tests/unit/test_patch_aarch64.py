"""aarch64 without aarch64 hardware: every aarch64 stencil patched and decoded.

Each stencil of generated/aarch64.stencils is laid out at an address, every hole is
filled with a distinct known value through patch.patch, and capstone decodes
the result: each `movz`/`movk` carries its 16-bit chunk at its shift and the
sequences on a register reassemble the value, each `b`/`bl` goes to the
address meant, conditional branches and `adrp` + `add`/`ldr` pairs compute
their targets, and no bit outside a hole's field changed.  The writers' range
checks and the veneer are tested on hand-encoded instructions.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import capstone
import pytest
from capstone import arm64

from mochic.backends.copypatch.model import Hole, Stencil
from mochic.backends.copypatch.patch import PatchError, patch, veneer
from mochic.backends.copypatch.stencilfile import load

BASE = 0x1000_0000
MASK64 = (1 << 64) - 1
# two sets of operand values: small ones as the JIT uses them, and ones with
# every 16-bit chunk non-zero so that a movk which kept its zero immediate is
# caught too; both distinct per operand, 8-aligned like frame offsets
SMALL = {name: 8 * (i + 3) for i, name in
         enumerate(("D", "A", "B", "C", "FS", "FI", "LINE", "N", "KS"))}
WIDE = {name: (0x1111 * (i + 1) << 48) | (0x0101 * (i + 1) << 32) | (0x10 * (i + 1) << 16)
        | 8 * (i + 1) for i, name in enumerate(SMALL)}
# K and K2: all four chunks different from each other and from the other's
CONSTANTS = {"K": 0xFEDC_BA98_7654_3210, "K2": 0x0123_4567_89AB_CDEF}
STENCILS = load("aarch64").stencils
SYMBOLS = sorted({h.value for st in STENCILS.values() for h in st.holes
                  if h.value.startswith("sym:")})

# the bits of its instruction that each kind may change
FIELDS = {
    "R_AARCH64_MOVW_UABS_G0_NC": 0xFFFF << 5, "R_AARCH64_MOVW_UABS_G1_NC": 0xFFFF << 5,
    "R_AARCH64_MOVW_UABS_G2_NC": 0xFFFF << 5, "R_AARCH64_MOVW_UABS_G3": 0xFFFF << 5,
    "R_AARCH64_JUMP26": 0x3FF_FFFF, "R_AARCH64_CALL26": 0x3FF_FFFF,
    "R_AARCH64_CONDBR19": 0x7FFFF << 5,
    "R_AARCH64_ADR_PREL_PG_HI21": (3 << 29) | (0x7FFFF << 5),
    "R_AARCH64_ADD_ABS_LO12_NC": 0xFFF << 10, "R_AARCH64_LDST8_ABS_LO12_NC": 0xFFF << 10,
    "R_AARCH64_LDST16_ABS_LO12_NC": 0xFFF << 10, "R_AARCH64_LDST32_ABS_LO12_NC": 0xFFF << 10,
    "R_AARCH64_LDST64_ABS_LO12_NC": 0xFFF << 10, "R_AARCH64_LDST128_ABS_LO12_NC": 0xFFF << 10,
}
MOVW_CHUNK = {"R_AARCH64_MOVW_UABS_G0_NC": 0, "R_AARCH64_MOVW_UABS_G1_NC": 1,
              "R_AARCH64_MOVW_UABS_G2_NC": 2, "R_AARCH64_MOVW_UABS_G3": 3}
# opcode bits of the wide-immediate moves (sf and hw ignored): the writers keep
# them, so a hole's instruction must already be one of these
MOVE_WIDE_MASK, MOVZ, MOVK = 0x7F80_0000, 0x5280_0000, 0x7280_0000


def _decoder() -> capstone.Cs:
    md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    md.detail = True
    return md


def _word(code: bytes | bytearray, off: int) -> int:
    return int(struct.unpack_from("<I", code, off)[0])


@dataclass
class Layout:
    """Where a stencil is placed and what each hole value stands for there."""

    base: int
    stencil: Stencil
    operands: dict[str, int]
    values: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        st = self.stencil
        align = st.data_align
        self.values = {
            **self.operands, **CONSTANTS,
            "CONTINUE": self.base + len(st.code),
            # backwards within a conditional branch's ±1 MiB
            "TARGET": self.base - 0x8_0000,
            # forwards near the end of a bl's ±128 MiB
            "CALLEE": self.base + 0x7F0_0000,
            "data": (self.base + len(st.code) + align - 1) // align * align,
            # 64 MiB back, 16 bytes apart
            **{s: BASE - 0x400_0000 - 16 * i for i, s in enumerate(SYMBOLS)},
        }

    def expected(self, h: Hole) -> int:
        """S + A: the value the hole's field encodes."""
        return self.values[h.value] + h.addend

    def patched(self) -> bytearray:
        code = bytearray(self.stencil.code)
        for h in self.stencil.holes:
            patch(code, h.offset, h.kind, self.expected(h), self.base + h.offset)
        return code


def _imm(op: capstone.arm64.Arm64Op) -> tuple[int, int]:
    """An immediate operand as (value, left shift)."""
    shift = op.shift.value if op.shift.type == arm64.ARM64_SFT_LSL else 0
    return op.imm, shift


def check_stencil(lay: Layout) -> None:
    """Decode the patched stencil and check every hole's field (assertions name
    the stencil and the hole)."""
    st = lay.stencil
    orig, code = st.code, lay.patched()
    holes = {h.offset: h for h in st.holes}
    # outside the holes nothing changed; in a hole only the field's bits
    for off in range(0, len(orig), 4):
        diff = _word(orig, off) ^ _word(code, off)
        mask = FIELDS[holes[off].kind] if off in holes else 0
        assert diff & ~mask == 0, f"{st.name}+{off:#x}: bits outside the hole changed"
    insns = {i.address - lay.base: i for i in _decoder().disasm(bytes(code), lay.base)}
    assert len(insns) * 4 == len(code), f"{st.name}: not all of the code decodes"
    movw: dict[int, tuple[int, set[int], Hole]] = {}  # reg -> (value so far, chunks, hole)
    pages: dict[int, tuple[int, Hole]] = {}  # reg -> (page from adrp, its hole)
    for off in sorted(insns):
        h = holes.get(off)
        if h is None:
            continue
        i, s = insns[off], lay.expected(h)
        where = f"{st.name}+{off:#x} {i.mnemonic} {i.op_str} for {h}"
        if h.kind in MOVW_CHUNK:
            _check_movw(i, h, s, _word(code, off), movw, where)
        elif h.kind == "R_AARCH64_JUMP26":
            assert i.mnemonic == "b" and i.operands[0].imm == s, where
        elif h.kind == "R_AARCH64_CALL26":
            assert i.mnemonic == "bl" and i.operands[0].imm == s, where
        elif h.kind == "R_AARCH64_CONDBR19":
            assert i.mnemonic.startswith("b.") or i.mnemonic in ("cbz", "cbnz"), where
            assert i.operands[-1].imm == s, where
        elif h.kind == "R_AARCH64_ADR_PREL_PG_HI21":
            assert i.mnemonic == "adrp" and i.operands[1].imm == s & ~0xFFF, where
            pages[i.operands[0].reg] = (s & ~0xFFF, h)
        elif h.kind == "R_AARCH64_ADD_ABS_LO12_NC":
            assert i.mnemonic == "add", where
            _check_pair(pages, i.operands[1].reg, i.operands[2].imm, h, s, where)
        elif h.kind.startswith("R_AARCH64_LDST"):
            mem = i.operands[1].mem
            _check_pair(pages, mem.base, mem.disp, h, s, where)
        else:
            raise AssertionError(f"{where}: no check for {h.kind}")
    assert not movw, f"{st.name}: incomplete movz/movk sequences for {list(movw.values())}"


def _check_movw(i: capstone.CsInsn, h: Hole, s: int, word: int,
                movw: dict[int, tuple[int, set[int], Hole]], where: str) -> None:
    """One movz/movk: its chunk at its shift; and the register's sequence,
    once all four chunks are in, holds the whole value."""
    n = MOVW_CHUNK[h.kind]
    chunk = (s >> 16 * n) & 0xFFFF
    reg = i.operands[0].reg
    imm, shift = _imm(i.operands[1])
    if word & MOVE_WIDE_MASK == MOVZ:
        # capstone shows most movz as `mov` with the shifted value
        assert imm << shift == chunk << 16 * n, where
        assert reg not in movw, f"{where}: movz in the middle of a sequence"
        movw[reg] = (chunk << 16 * n, {n}, h)
    else:
        assert word & MOVE_WIDE_MASK == MOVK and i.mnemonic == "movk", where
        assert (imm, shift) == (chunk, 16 * n), where
        assert reg in movw, f"{where}: movk before its movz"
        value, chunks, first = movw[reg]
        assert (first.value, first.addend) == (h.value, h.addend), \
            f"{where}: in a sequence for {first}"
        movw[reg] = (value & ~(0xFFFF << 16 * n) | chunk << 16 * n, chunks | {n}, first)
    value, chunks, _ = movw[reg]
    if chunks == {0, 1, 2, 3}:
        assert value == s & MASK64, where
        del movw[reg]


def _check_pair(pages: dict[int, tuple[int, Hole]], reg: int, low: int, h: Hole, s: int,
                where: str) -> None:
    """The low 12 bits of an adrp pair: with the page in ``reg``, the target."""
    assert reg in pages, f"{where}: no adrp for its base register"
    page, hi = pages[reg]
    assert (hi.value, hi.addend) == (h.value, h.addend), f"{where}: paired with {hi}"
    assert page + low == s, where


@pytest.mark.parametrize("operands", [SMALL, WIDE], ids=["small", "wide"])
def test_every_stencil_patches_and_decodes(operands: dict[str, int]) -> None:
    assert len(STENCILS) > 300
    for k, st in enumerate(STENCILS.values()):
        check_stencil(Layout(BASE + 4 * k, st, operands))


def test_the_checker_knows_page_pairs_and_conditional_branches() -> None:
    """No stencil uses adrp pairs or conditional-branch holes today; a stencil
    that does is checked too (this one is hand-encoded)."""
    words = (0x9000_0000,  # adrp x0, 0
             0x9100_0000,  # add x0, x0, #0
             0x9000_0001,  # adrp x1, 0
             0xF940_0021,  # ldr x1, [x1]
             0x5400_0000,  # b.eq 0
             0xB400_0002)  # cbz x2, 0
    holes = (Hole(0, "R_AARCH64_ADR_PREL_PG_HI21", "CALLEE", 0x7A4),
             Hole(4, "R_AARCH64_ADD_ABS_LO12_NC", "CALLEE", 0x7A4),
             Hole(8, "R_AARCH64_ADR_PREL_PG_HI21", "data", 8),
             Hole(12, "R_AARCH64_LDST64_ABS_LO12_NC", "data", 8),
             Hole(16, "R_AARCH64_CONDBR19", "TARGET", 0),
             Hole(20, "R_AARCH64_CONDBR19", "CONTINUE", 0))
    st = Stencil("pairs", struct.pack("<6I", *words), holes, bytes(16), 8)
    check_stencil(Layout(BASE, st, SMALL))
    # and a pair whose low half names another value than its adrp fails the check
    bad = Stencil("bad", st.code[:8], (holes[0], Hole(4, "R_AARCH64_ADD_ABS_LO12_NC", "data", 0)))
    with pytest.raises(AssertionError, match="paired with"):
        check_stencil(Layout(BASE, bad, SMALL))


# ---------------------------------------------------------------- writers


def _one(word: int, kind: str, value: int, place: int = BASE) -> capstone.CsInsn:
    code = bytearray(struct.pack("<I", word))
    patch(code, 0, kind, value, place)
    (i,) = _decoder().disasm(bytes(code), place)
    return i


B, BL, BEQ, CBZ = 0x1400_0000, 0x9400_0000, 0x5400_0000, 0xB400_0000


@pytest.mark.parametrize("kind,word", [("R_AARCH64_CALL26", BL), ("R_AARCH64_JUMP26", B)])
def test_branch26_range(kind: str, word: int) -> None:
    for d in (-(1 << 27), -4, 0, 4, (1 << 27) - 4):
        assert _one(word, kind, BASE + d).operands[0].imm == BASE + d
    for d in (-(1 << 27) - 4, 1 << 27, 1 << 30):
        with pytest.raises(PatchError, match="does not fit in 28 signed bits"):
            _one(word, kind, BASE + d)
    with pytest.raises(PatchError, match="not 4-byte aligned"):
        _one(word, kind, BASE + 6)


@pytest.mark.parametrize("word", [BEQ, CBZ], ids=["b.eq", "cbz"])
def test_condbr19_range(word: int) -> None:
    for d in (-(1 << 20), -4, 0, (1 << 20) - 4):
        assert _one(word, "R_AARCH64_CONDBR19", BASE + d).operands[-1].imm == BASE + d
    for d in (-(1 << 20) - 4, 1 << 20):
        with pytest.raises(PatchError, match="does not fit in 21 signed bits"):
            _one(word, "R_AARCH64_CONDBR19", BASE + d)
    with pytest.raises(PatchError, match="not 4-byte aligned"):
        _one(word, "R_AARCH64_CONDBR19", BASE + 2)


def test_adrp_range() -> None:
    adrp = 0x9000_0000
    for d in (-(1 << 32), 0x1234_5678, (1 << 32) - 1):
        t = BASE + d
        assert _one(adrp, "R_AARCH64_ADR_PREL_PG_HI21", t).operands[1].imm == t & ~0xFFF
    for d in (-(1 << 32) - 0x1000, 1 << 32):
        with pytest.raises(PatchError, match="does not fit in 21 signed bits"):
            _one(adrp, "R_AARCH64_ADR_PREL_PG_HI21", BASE + d)


# (kind, a load of that size from [x0, #0], its access size)
LOADS = [("R_AARCH64_LDST8_ABS_LO12_NC", 0x3940_0000, 1),  # ldrb w0
         ("R_AARCH64_LDST16_ABS_LO12_NC", 0x7940_0000, 2),  # ldrh w0
         ("R_AARCH64_LDST32_ABS_LO12_NC", 0xB940_0000, 4),  # ldr w0
         ("R_AARCH64_LDST64_ABS_LO12_NC", 0xF940_0000, 8),  # ldr x0
         ("R_AARCH64_LDST128_ABS_LO12_NC", 0x3DC0_0000, 16)]  # ldr q0


@pytest.mark.parametrize("kind,word,size", LOADS, ids=[k for k, _, _ in LOADS])
def test_load_low12(kind: str, word: int, size: int) -> None:
    target = 0x7654_3000 + 0xFF0  # the low 12 bits are what is written
    assert _one(word, kind, target).operands[1].mem.disp == 0xFF0
    if size > 1:
        with pytest.raises(PatchError, match=f"not aligned to {size} bytes"):
            _one(word, kind, target + size // 2)


def test_add_low12() -> None:
    assert _one(0x9100_0000, "R_AARCH64_ADD_ABS_LO12_NC", 0x7654_3ABC).operands[2].imm == 0xABC


def test_movw_chunks() -> None:
    v = 0x8765_4321_0FED_CBA9
    for n, kind in enumerate(MOVW_CHUNK):
        i = _one(0xF280_0000 | n << 21, kind, v)  # movk x0, #0, lsl #16n
        assert _imm(i.operands[1]) == ((v >> 16 * n) & 0xFFFF, 16 * n)


def test_abs64() -> None:
    code = bytearray(8)
    patch(code, 0, "R_AARCH64_ABS64", -2, BASE)
    assert code == struct.pack("<q", -2)


def test_veneer_decodes() -> None:
    target = 0x7FFF_1234_5678
    v = veneer("aarch64", target)
    ldr, br = _decoder().disasm(v[:8], BASE)
    assert (ldr.mnemonic, ldr.reg_name(ldr.operands[0].reg)) == ("ldr", "x16")
    assert ldr.operands[1].imm == BASE + 8  # the literal: the address after `br`
    assert (br.mnemonic, br.op_str) == ("br", "x16")
    assert v[8:] == struct.pack("<Q", target)
