"""riscv64 without riscv64 hardware: every riscv64 stencil patched and decoded.

Each stencil of generated/riscv64.stencils is laid out at an address, every hole is
filled with a distinct known value through patch.patch, and capstone decodes
the result: each `lui` + `addiw` pair of a small hole holds its value, the
two halves of a K or K2 constant (`lui`/`addiw`, `slli 32`, `lui`/`addiw`,
`add`) rebuild the 64-bit value, each `auipc` + `jalr` call or tail call
reaches the address meant, and no bit outside a hole's field changed.  The
writers' range checks, the far-call veneer and the generator's inverted
branches are tested on hand-encoded instructions.
"""

from __future__ import annotations

import struct

import capstone
import pytest

from mochic.backends.copypatch.generate import _fall_through_riscv64
from mochic.backends.copypatch.model import Hole, Stencil
from mochic.backends.copypatch.patch import PatchError, patch, veneer
from mochic.backends.copypatch.stencilfile import load

BASE = 0x3F_1000_0000
MASK64 = (1 << 64) - 1
# small operand values, distinct, 8-aligned like frame offsets, with both halves
# of each lui/addiw pair non-zero (and some low parts >= 0x800, which round up)
SMALL = {name: 0x1000 * (i + 1) + 0x808 + 8 * i for i, name in
         enumerate(("D", "A", "B", "C", "FS", "FI", "LINE", "N", "KS"))}
CONSTANTS = {"K": 0xFEDC_BA98_F654_3210, "K2": 0x0123_4567_89AB_CDEF}
STENCILS = load("riscv64").stencils
SYMBOLS = sorted({h.value for st in STENCILS.values() for h in st.holes
                  if h.value.startswith("sym:")})

U_FIELD, I_FIELD = 0xFFFFF000, 0xFFF00000
FIELDS = {"R_RISCV_HI20": U_FIELD, "R_RISCV_LO12_I": I_FIELD,
          "MOCHI_RISCV_LO32_HI20": U_FIELD, "MOCHI_RISCV_LO32_LO12_I": I_FIELD,
          "MOCHI_RISCV_HI32_HI20": U_FIELD, "MOCHI_RISCV_HI32_LO12_I": I_FIELD}


def _decoder() -> capstone.Cs:
    md = capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV64 | capstone.CS_MODE_RISCVC)
    md.detail = True
    return md


def _word(code: bytes | bytearray, off: int) -> int:
    return int(struct.unpack_from("<I", code, off)[0])


def _sext(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def _pair(hi: int, lo: int) -> int:
    """What `lui` of ``hi`` then `addiw` of ``lo`` leave: 32 bits, sign-extended."""
    return _sext((hi << 12) + lo, 32)


def values(st: Stencil, base: int) -> dict[str, int]:
    return {**SMALL, **CONSTANTS,
            "CONTINUE": base + len(st.code),
            "TARGET": base - 0x7F0_0000,  # well inside a call's +-2 GiB
            "CALLEE": base + 0x7FF0_0000,
            **{s: base - 0x4000_0000 - 16 * i for i, s in enumerate(SYMBOLS)}}


def check_stencil(st: Stencil, base: int) -> None:
    vals = values(st, base)
    code = bytearray(st.code)
    for h in st.holes:
        patch(code, h.offset, h.kind, vals[h.value] + h.addend, base + h.offset)
    holes = {h.offset: h for h in st.holes}
    # outside the holes nothing changed; in a hole only the field's bits
    for h in st.holes:
        width = 8 if h.kind == "R_RISCV_CALL_PLT" else 4
        for off in range(h.offset, h.offset + width, 4):
            mask = FIELDS.get(h.kind, U_FIELD if off == h.offset else I_FIELD)
            diff = _word(st.code, off) ^ _word(code, off)
            assert diff & ~mask == 0, f"{st.name}+{off:#x}: bits outside {h} changed"
    covered = {o for h in st.holes
               for o in range(h.offset, h.offset + (8 if h.kind == "R_RISCV_CALL_PLT" else 4))}
    for off in range(len(code)):
        if off not in covered:
            assert code[off] == st.code[off], f"{st.name}+{off:#x}: a byte outside holes changed"
    insns = {i.address - base: i for i in _decoder().disasm(bytes(code), base)}
    assert sum(i.size for i in insns.values()) == len(code), f"{st.name}: not all decodes"
    lui: dict[int, tuple[int, Hole]] = {}  # register -> (upper immediate, its hole)
    halves: dict[tuple[str, int], int] = {}  # (value, addend) -> the high half's pair
    for off in sorted(holes):
        h, i = holes[off], insns[off]
        s = vals[h.value] + h.addend
        where = f"{st.name}+{off:#x} {i.mnemonic} {i.op_str} for {h}"
        w = _word(code, off)
        rd = (w >> 7) & 31
        if h.kind.endswith("HI20"):
            assert i.mnemonic == "lui", where
            lui[rd] = ((w >> 12) & 0xFFFFF, h)
        elif h.kind.endswith("LO12_I"):
            assert i.mnemonic in ("addiw", "sext.w"), where
            hi, first = lui.pop((w >> 15) & 31, (None, None))
            assert first is not None and (first.value, first.addend) == (h.value, h.addend), \
                f"{where}: no lui of the same hole before it"
            got = _pair(hi, _sext(w >> 20, 12))
            if h.kind == "R_RISCV_LO12_I":
                assert got == s, where
            elif h.kind == "MOCHI_RISCV_HI32_LO12_I":
                halves[(h.value, h.addend)] = got
            else:
                high = halves.pop((h.value, h.addend))
                assert ((high << 32) + got) & MASK64 == s & MASK64, where
        elif h.kind == "R_RISCV_CALL_PLT":
            jalr = insns[off + 4]
            assert i.mnemonic == "auipc" and jalr.mnemonic in ("jalr", "jr"), where
            target = base + off + (_sext(w >> 12, 20) << 12) + _sext(_word(code, off + 4) >> 20, 12)
            assert target == s, where
        else:
            raise AssertionError(f"{where}: no check for {h.kind}")
    assert not lui and not halves, f"{st.name}: unpaired halves {lui} {halves}"


def test_every_stencil_patches_and_decodes() -> None:
    assert len(STENCILS) > 300
    for k, st in enumerate(STENCILS.values()):
        check_stencil(st, BASE + 2 * k)


def test_the_kinds_are_the_ones_checked() -> None:
    kinds = {h.kind for st in STENCILS.values() for h in st.holes}
    assert kinds <= {*FIELDS, "R_RISCV_CALL_PLT"}


# ---------------------------------------------------------------- writers

LUI_A0, ADDIW_A0, AUIPC_T1, JR_T1 = 0x00000537, 0x0005051B, 0x00000317, 0x00030067


def _pair_value(kind_hi: str, kind_lo: str, value: int) -> int:
    code = bytearray(struct.pack("<II", LUI_A0, ADDIW_A0))
    patch(code, 0, kind_hi, value, BASE)
    patch(code, 4, kind_lo, value, BASE + 4)
    i = list(_decoder().disasm(bytes(code), BASE))
    assert [x.mnemonic for x in i] in (["lui", "addiw"], ["lui", "sext.w"])
    return _pair(_word(code, 0) >> 12, _sext(_word(code, 4) >> 20, 12))


def test_small_holes_hold_signed_32_bits() -> None:
    for v in (0, 8, 0x7FF, 0x800, 0xFFF, 0x12345, -1, -0x800, -(1 << 31), (1 << 31) - 0x801):
        assert _pair_value("R_RISCV_HI20", "R_RISCV_LO12_I", v) == v
    for v in ((1 << 31) - 0x800, 1 << 31, -(1 << 31) - 0x801, 1 << 40):
        with pytest.raises(PatchError, match="does not fit in 32 signed bits"):
            _pair_value("R_RISCV_HI20", "R_RISCV_LO12_I", v)


@pytest.mark.parametrize("value", [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 1 << 32,
                                   0x7FFF_FFFF_8000_0000, 0x8000_0000_0000_0000, MASK64,
                                   0xFEDC_BA98_7654_3210])
def test_wide_constants_rebuild(value: int) -> None:
    high = _pair_value("MOCHI_RISCV_HI32_HI20", "MOCHI_RISCV_HI32_LO12_I", value)
    low = _pair_value("MOCHI_RISCV_LO32_HI20", "MOCHI_RISCV_LO32_LO12_I", value)
    assert ((high << 32) + low) & MASK64 == value


def test_call_range() -> None:
    for d in (-(1 << 31), -2, 0, 0x7FF, 0x800, (1 << 31) - 0x801):
        code = bytearray(struct.pack("<II", AUIPC_T1, JR_T1))
        patch(code, 0, "R_RISCV_CALL_PLT", BASE + d, BASE)
        got = (_sext(_word(code, 0) >> 12, 20) << 12) + _sext(_word(code, 4) >> 20, 12)
        assert got == d
    for d in ((1 << 31) - 0x800, -(1 << 31) - 0x801):
        with pytest.raises(PatchError, match="does not fit in 32 signed bits"):
            patch(bytearray(8), 0, "R_RISCV_CALL_PLT", BASE + d, BASE)


def test_veneer_decodes() -> None:
    target = 0x3F_FFFF_1234_5678
    v = veneer("riscv64", target)
    assert len(v) == 24 and struct.unpack_from("<Q", v, 16)[0] == target
    auipc, ld, jr, nop = _decoder().disasm(v[:16], BASE)
    assert (auipc.mnemonic, auipc.op_str) == ("auipc", "t1, 0")
    assert (ld.mnemonic, ld.op_str) == ("ld", "t1, 0x10(t1)")
    assert (jr.mnemonic, jr.op_str) == ("jr", "t1")
    assert nop.mnemonic == "nop"


def test_a_two_way_stencil_falls_through() -> None:
    """`blt a1, a2, L; tail CONTINUE; L: tail TARGET` becomes `bge a1, a2, END;
    tail TARGET`, and a branch into the tails keeps both."""
    blt = 0x00C5C663  # blt a1, a2, +12
    code = bytearray(struct.pack("<IIIII", blt, AUIPC_T1, JR_T1, AUIPC_T1, JR_T1))
    holes = [Hole(4, "R_RISCV_CALL_PLT", "CONTINUE", 0), Hole(12, "R_RISCV_CALL_PLT", "TARGET", 0)]
    out, new = _fall_through_riscv64(code, holes)
    assert len(out) == 12 and new == [Hole(4, "R_RISCV_CALL_PLT", "TARGET", 0)]
    (b, *_) = _decoder().disasm(bytes(out), 0)
    assert (b.mnemonic, b.op_str) == ("bge", "a1, a2, 0xc")
    jumps_in = bytearray(struct.pack("<I", 0x0080006F)) + code  # j +8: into the first tail
    holes_in = [h._replace(offset=h.offset + 4) for h in holes]
    assert _fall_through_riscv64(jumps_in, holes_in)[1] == holes_in
