"""DWARF call frame information: reading it from a compiler's `.eh_frame`,
writing it as `.debug_frame` instructions.

A function's CFI says, for each of its instructions, how to find the
caller's frame: the canonical frame address (CFA, a register plus an offset)
and where registers the function saved are (an offset from the CFA).  The
stencil generator reads clang's `.eh_frame` for every stencil and keeps, per
stencil, the rows where that state changes (`Row`); the native backend
writes each Mochi function's frame description as its stencils' rows, one
after another (`encode`), so a debugger unwinds through stitched code.

Only what compilers emit for ordinary functions is read: the CFA as a
register plus an offset, registers saved at CFA offsets, remember/restore
state.  Anything else (CFA expressions, pointer authentication state) is
a `CfiError`.  DWARF 5, section 6.4; the `.eh_frame` form is the LSB's.
"""

from __future__ import annotations

import struct
from typing import NamedTuple


class CfiError(ValueError):
    """Call frame information this module does not read."""


class Row(NamedTuple):
    """From ``offset`` on: CFA = ``reg`` + ``cfa``; ``saved`` (register, offset
    from the CFA) pairs, sorted."""

    offset: int
    reg: int
    cfa: int
    saved: tuple[tuple[int, int], ...] = ()

    def state(self) -> tuple[int, int, tuple[tuple[int, int], ...]]:
        return self.reg, self.cfa, self.saved


class Cie(NamedTuple):
    code_align: int
    data_align: int
    ra: int
    initial: Row


class Frame(NamedTuple):
    """An ISA's conventions for frame descriptions: the state on entry to a function
    (the return address just pushed, or in its register), the factors offsets
    are stored divided by, and the column of the return address."""

    initial: Row
    code_align: int
    data_align: int
    ra: int


# DWARF register numbers: x86_64 rsp 7, return address 16; aarch64 sp 31, x30;
# riscv64 sp 2, ra 1
FRAMES = {
    "x86_64": Frame(Row(0, 7, 8, ((16, -8),)), 1, -8, 16),
    "aarch64": Frame(Row(0, 31, 0), 4, -8, 30),
    "riscv64": Frame(Row(0, 2, 0), 1, -8, 1),
}


# DW_EH_PE_* value formats: absptr, udata4, udata8, sdata4, sdata8
POINTER_SIZES = {0x00: 8, 0x03: 4, 0x04: 8, 0x0B: 4, 0x0C: 8}

# DW_CFA_* opcodes
ADVANCE_LOC, OFFSET, RESTORE = 0x40, 0x80, 0xC0
NOP, SET_LOC, ADVANCE_LOC1, ADVANCE_LOC2, ADVANCE_LOC4 = 0x00, 0x01, 0x02, 0x03, 0x04
OFFSET_EXTENDED, RESTORE_EXTENDED, UNDEFINED, SAME_VALUE = 0x05, 0x06, 0x07, 0x08
REMEMBER_STATE, RESTORE_STATE, DEF_CFA, DEF_CFA_REGISTER, DEF_CFA_OFFSET = \
    0x0A, 0x0B, 0x0C, 0x0D, 0x0E
OFFSET_EXTENDED_SF, DEF_CFA_SF, DEF_CFA_OFFSET_SF = 0x11, 0x12, 0x13


def uleb(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def sleb(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        done = (v == 0 and not b & 0x40) or (v == -1 and b & 0x40)
        out.append(b | (0 if done else 0x80))
        if done:
            return bytes(out)


class _Reader:
    def __init__(self, data: bytes, at: int, end: int) -> None:
        self.data, self.at, self.end = data, at, end

    def u8(self) -> int:
        if self.at >= self.end:
            raise CfiError("call frame information runs past its entry")
        self.at += 1
        return self.data[self.at - 1]

    def fixed(self, fmt: str) -> int:
        v = struct.unpack_from(fmt, self.data, self.at)[0]
        self.at += struct.calcsize(fmt)
        return int(v)

    def uleb(self) -> int:
        v = shift = 0
        while True:
            b = self.u8()
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return v

    def sleb(self) -> int:
        v = shift = 0
        while True:
            b = self.u8()
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return v - (1 << shift) if b & 0x40 else v

    def cstr(self) -> bytes:
        end = self.data.index(b"\0", self.at)
        s = self.data[self.at:end]
        self.at = end + 1
        return s


def _run(r: _Reader, cie: Cie, start: Row) -> list[Row]:
    """Interpret a CFA program from ``start``; the rows where the state changes."""
    loc, reg, cfa = start.offset, start.reg, start.cfa
    saved = dict(start.saved)
    initial = dict(cie.initial.saved)
    stack: list[tuple[int, int, dict[int, int]]] = []
    rows: list[Row] = []

    def emit() -> None:
        row = Row(loc, reg, cfa, tuple(sorted(saved.items())))
        if rows and rows[-1].offset == loc:
            rows[-1] = row
        elif not rows or rows[-1].state() != row.state():
            rows.append(row)

    emit()
    while r.at < r.end:
        op = r.u8()
        high, low = op & 0xC0, op & 0x3F
        if high == ADVANCE_LOC:
            loc += low * cie.code_align
        elif high == OFFSET:
            saved[low] = r.uleb() * cie.data_align
        elif high == RESTORE:
            _restore(saved, initial, low)
        elif op == NOP:
            continue
        elif op == ADVANCE_LOC1:
            loc += r.u8() * cie.code_align
        elif op == ADVANCE_LOC2:
            loc += r.fixed("<H") * cie.code_align
        elif op == ADVANCE_LOC4:
            loc += r.fixed("<I") * cie.code_align
        elif op == OFFSET_EXTENDED:
            n = r.uleb()
            saved[n] = r.uleb() * cie.data_align
        elif op == OFFSET_EXTENDED_SF:
            n = r.uleb()
            saved[n] = r.sleb() * cie.data_align
        elif op in (RESTORE_EXTENDED, SAME_VALUE, UNDEFINED):
            _restore(saved, initial, r.uleb())
        elif op == DEF_CFA:
            reg, cfa = r.uleb(), r.uleb()
        elif op == DEF_CFA_SF:
            reg, cfa = r.uleb(), r.sleb() * cie.data_align
        elif op == DEF_CFA_REGISTER:
            reg = r.uleb()
        elif op == DEF_CFA_OFFSET:
            cfa = r.uleb()
        elif op == DEF_CFA_OFFSET_SF:
            cfa = r.sleb() * cie.data_align
        elif op == REMEMBER_STATE:
            stack.append((reg, cfa, dict(saved)))
            continue
        elif op == RESTORE_STATE:
            if not stack:
                raise CfiError("DW_CFA_restore_state without a remembered state")
            reg, cfa, saved = stack.pop()
        else:
            raise CfiError(f"call frame instruction {op:#x} is not supported")
        emit()
    return rows


def _restore(saved: dict[int, int], initial: dict[int, int], reg: int) -> None:
    if reg in initial:
        saved[reg] = initial[reg]
    else:
        saved.pop(reg, None)


def _cie(data: bytes, at: int, end: int) -> tuple[Cie, int]:
    """A CIE's fields and its pointer encoding (`R` augmentation)."""
    r = _Reader(data, at, end)
    version = r.u8()
    aug = r.cstr()
    if aug not in (b"", b"zR"):
        raise CfiError(f"CIE augmentation {aug.decode()!r} is not supported")
    code_align, data_align = r.uleb(), r.sleb()
    ra = r.u8() if version == 1 else r.uleb()
    encoding = 0
    if aug == b"zR":
        r.uleb()
        encoding = r.u8()
    base = Cie(code_align, data_align, ra, Row(0, 0, 0))
    rows = _run(r, base, Row(0, 0, 0))
    return Cie(code_align, data_align, ra, rows[-1]._replace(offset=0)), encoding


def read_eh_frame(data: bytes, targets: dict[int, str]) -> dict[str, tuple[Cie, list[Row]]]:
    """The rows of each function an `.eh_frame` describes, by the name ``targets``
    gives the relocation at each FDE's start address (offset in `.eh_frame` -> the
    section it points into; each function is alone in its section)."""
    out: dict[str, tuple[Cie, list[Row]]] = {}
    cies: dict[int, tuple[Cie, int]] = {}
    at = 0
    while at + 4 <= len(data):
        (length,) = struct.unpack_from("<I", data, at)
        if length == 0:
            break
        if length == 0xFFFFFFFF:
            raise CfiError("64-bit .eh_frame entries are not supported")
        body, end = at + 4, at + 4 + length
        (cie_id,) = struct.unpack_from("<I", data, body)
        if cie_id == 0:
            cies[at] = _cie(data, body + 4, end)
        else:
            cie_at = body - cie_id
            if cie_at not in cies:
                raise CfiError(f"FDE at {at:#x} names no CIE")
            cie, encoding = cies[cie_at]
            size = POINTER_SIZES.get(encoding & 0x0F)
            if size is None or encoding & 0xF0 not in (0x00, 0x10):  # absolute, pc-relative
                raise CfiError(f"FDE pointer encoding {encoding:#x} is not supported")
            name = targets.get(body + 4)
            r = _Reader(data, body + 4 + 2 * size, end)
            if encoding:
                r.at += r.uleb()  # augmentation data (none with 'zR' alone)
            rows = _run(r, cie, cie.initial)
            if name is not None:
                out[name] = (cie, rows)
        at = end
    return out


def encode(rows: list[Row], start: Row, code_align: int, data_align: int) -> bytes:
    """`.debug_frame` instructions that take the state from ``start`` through
    ``rows`` (offsets from the FDE's start address, ascending)."""
    out = bytearray()
    loc, reg, cfa, saved = 0, start.reg, start.cfa, dict(start.saved)
    for row in rows:
        new = dict(row.saved)
        if (row.reg, row.cfa, new) == (reg, cfa, saved):
            continue
        delta = (row.offset - loc) // code_align
        if delta < 0:
            raise CfiError("call frame rows out of order")
        if delta:
            if delta < 0x40:
                out.append(ADVANCE_LOC | delta)
            elif delta < 0x100:
                out += bytes([ADVANCE_LOC1, delta])
            elif delta < 0x10000:
                out += bytes([ADVANCE_LOC2]) + struct.pack("<H", delta)
            else:
                out += bytes([ADVANCE_LOC4]) + struct.pack("<I", delta)
            loc = row.offset
        if row.reg != reg:
            out += bytes([DEF_CFA]) + uleb(row.reg) + uleb(row.cfa)
        elif row.cfa != cfa:
            out += bytes([DEF_CFA_OFFSET]) + uleb(row.cfa)
        reg, cfa = row.reg, row.cfa
        for r, off in sorted(new.items()):
            if saved.get(r) != off:
                factored = off // data_align
                if r < 0x40 and factored >= 0:
                    out += bytes([OFFSET | r]) + uleb(factored)
                else:
                    out += bytes([OFFSET_EXTENDED_SF]) + uleb(r) + sleb(factored)
        for r in sorted(saved):
            if r not in new:
                out += bytes([RESTORE | r]) if r < 0x40 else bytes([RESTORE_EXTENDED]) + uleb(r)
        saved = new
    return bytes(out)
