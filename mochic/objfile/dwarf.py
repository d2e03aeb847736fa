"""DWARF 5 debug information for generated code, as sections of an object.

From a description of the code (`Unit`: the source file, the functions with
their code ranges, a line row per first byte of code that comes from a
line, the call frame rows of each function), `add_dwarf` adds to an
`ObjectFile`:

- `.debug_abbrev`: two abbreviations, the compile unit and a subprogram;
- `.debug_info`: one compile unit (DWARF 5 unit header) with one
  `DW_TAG_subprogram` per function: its name, line and code range;
- `.debug_line`: a DWARF 5 line table: the directory and the source file
  (file 0 is the unit's primary file and file 1 the same, which the line
  program's `file` register starts at), then one sequence over the code;
- `.debug_str`, `.debug_line_str`: the strings those refer to;
- `.debug_frame`: one CIE with the ISA's entry state (`cfi.FRAMES`) and an
  FDE per function whose instructions replay the function's rows.

Every reference to code or to another debug section is a relocation (an
absolute 64-bit address, a 32-bit section offset), so the object links
with anyone's: a linker that merges debug sections keeps the offsets right.
DWARF 5 (dwarfstd.org), chapters 6.2 (line tables), 6.4 (call frames) and
7 (encodings).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from mochic.objfile.cfi import Frame, Row, encode, sleb, uleb
from mochic.objfile.model import ABS64, Binding, LineRow, ObjectFile, SectionKind

ABS32 = {"x86_64": "R_X86_64_32", "aarch64": "R_AARCH64_ABS32", "riscv64": "R_RISCV_32"}

# DW_TAG, DW_AT, DW_FORM, DW_LNS, DW_LNE, DW_LNCT, DW_UT, DW_OP
TAG_COMPILE_UNIT, TAG_SUBPROGRAM = 0x11, 0x2E
AT_NAME, AT_STMT_LIST, AT_LOW_PC, AT_HIGH_PC, AT_LANGUAGE = 0x03, 0x10, 0x11, 0x12, 0x13
AT_COMP_DIR, AT_PRODUCER, AT_DECL_FILE, AT_DECL_LINE, AT_FRAME_BASE = \
    0x1B, 0x25, 0x3A, 0x3B, 0x40
FORM_ADDR, FORM_DATA2, FORM_DATA8, FORM_DATA1, FORM_STRP, FORM_UDATA = \
    0x01, 0x05, 0x07, 0x0B, 0x0E, 0x0F
FORM_SEC_OFFSET, FORM_EXPRLOC, FORM_LINE_STRP = 0x17, 0x18, 0x1F
LNS_COPY, LNS_ADVANCE_PC, LNS_ADVANCE_LINE = 0x01, 0x02, 0x03
LNE_END_SEQUENCE, LNE_SET_ADDRESS = 0x01, 0x02
LNCT_PATH, LNCT_DIRECTORY_INDEX = 0x1, 0x2
UT_COMPILE = 0x01
OP_CALL_FRAME_CFA = 0x9C
# no DW_LANG for Mochi: a code of the user range (debuggers treat it as a minimal
# language: lines, functions and frames work)
LANG_MOCHI = 0x8D1C

LINE_BASE, LINE_RANGE, OPCODE_BASE = -5, 14, 13
STANDARD_LENGTHS = bytes([0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1])
CIE_ID = 0xFFFFFFFF
CIE_VERSION = 4  # .debug_frame's version in DWARF 5

ABBREVS = bytes([
    1, TAG_COMPILE_UNIT, 1,
    AT_PRODUCER, FORM_STRP, AT_LANGUAGE, FORM_DATA2, AT_NAME, FORM_LINE_STRP,
    AT_COMP_DIR, FORM_LINE_STRP, AT_LOW_PC, FORM_ADDR, AT_HIGH_PC, FORM_DATA8,
    AT_STMT_LIST, FORM_SEC_OFFSET, 0, 0,
    2, TAG_SUBPROGRAM, 0,
    AT_NAME, FORM_STRP, AT_DECL_FILE, FORM_DATA1, AT_DECL_LINE, FORM_UDATA,
    AT_LOW_PC, FORM_ADDR, AT_HIGH_PC, FORM_DATA8, AT_FRAME_BASE, FORM_EXPRLOC, 0, 0,
    0,
])


@dataclass
class Function:
    name: str
    line: int
    start: int  # offset in the code section
    end: int
    frame: list[Row] = field(default_factory=list)  # offsets from ``start``
    described: bool = True  # a DW_TAG_subprogram (else only its frame)


@dataclass
class Unit:
    file: str  # as the line table names the source
    comp_dir: str
    producer: str
    code: str  # the code's section
    code_size: int
    functions: list[Function]
    lines: list[LineRow]


class _Writer:
    """One debug section's bytes, with relocations added as it grows."""

    def __init__(self, obj: ObjectFile, name: str) -> None:
        self.obj = obj
        self.name = name
        self.sec = obj.section(name, SectionKind.DEBUG)
        self.buf = self.sec.data
        self.abs32 = ABS32[obj.machine]
        self.abs64 = ABS64[obj.machine]

    def u8(self, *vs: int) -> None:
        self.buf += bytes(vs)

    def raw(self, b: bytes) -> None:
        self.buf += b

    def fixed(self, fmt: str, v: int) -> None:
        self.buf += struct.pack(fmt, v)

    def ref32(self, symbol: str, addend: int) -> None:
        """A 4-byte offset into another section (relocated)."""
        self.obj.relocate(self.name, len(self.buf), self.abs32, symbol, addend)
        self.buf += bytes(4)

    def addr(self, symbol: str, addend: int) -> None:
        self.obj.relocate(self.name, len(self.buf), self.abs64, symbol, addend)
        self.buf += bytes(8)

    def length_here(self) -> int:
        """Reserve a 4-byte unit length; returns where it is, for `close`."""
        at = len(self.buf)
        self.buf += bytes(4)
        return at

    def close(self, at: int) -> None:
        struct.pack_into("<I", self.buf, at, len(self.buf) - at - 4)


class _Strings:
    """A string section, each string once."""

    def __init__(self, obj: ObjectFile, name: str) -> None:
        self.sec = obj.section(name, SectionKind.DEBUG)
        self.sec.strings = True
        self.offsets: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        off = self.offsets.get(text)
        if off is None:
            off = self.offsets[text] = len(self.sec.data)
            self.sec.data += text.encode("utf-8", "surrogatepass") + b"\0"
        return off


def add_dwarf(obj: ObjectFile, unit: Unit, frame: Frame) -> None:
    """Add the debug sections describing ``unit`` to ``obj``."""
    code_sym = f"mochi.debug.{unit.code}"
    obj.define(code_sym, unit.code, 0)
    syms = {}
    for name in (".debug_abbrev", ".debug_info", ".debug_str", ".debug_line_str",
                 ".debug_line", ".debug_frame"):
        obj.section(name, SectionKind.DEBUG)
        syms[name] = f"mochi.debug{name.replace('.debug', '')}"
        obj.define(syms[name], name, 0, binding=Binding.LOCAL)
    obj.sections[".debug_abbrev"].data += ABBREVS
    strs = _Strings(obj, ".debug_str")
    line_strs = _Strings(obj, ".debug_line_str")
    _line_table(obj, unit, code_sym, syms, line_strs)
    _info(obj, unit, code_sym, syms, strs, line_strs)
    _frames(obj, unit, code_sym, syms, frame)


def _info(obj: ObjectFile, unit: Unit, code_sym: str, syms: dict[str, str],
          strs: _Strings, line_strs: _Strings) -> None:
    w = _Writer(obj, ".debug_info")
    length = w.length_here()
    w.fixed("<H", 5)
    w.u8(UT_COMPILE, 8)
    w.ref32(syms[".debug_abbrev"], 0)
    w.raw(uleb(1))
    w.ref32(syms[".debug_str"], strs(unit.producer))
    w.fixed("<H", LANG_MOCHI)
    w.ref32(syms[".debug_line_str"], line_strs(unit.file))
    w.ref32(syms[".debug_line_str"], line_strs(unit.comp_dir))
    w.addr(code_sym, 0)
    w.fixed("<Q", unit.code_size)
    w.ref32(syms[".debug_line"], 0)
    for fn in unit.functions:
        if not fn.described:
            continue
        w.raw(uleb(2))
        w.ref32(syms[".debug_str"], strs(fn.name))
        w.u8(1)
        w.raw(uleb(fn.line))
        w.addr(code_sym, fn.start)
        w.fixed("<Q", fn.end - fn.start)
        w.u8(1, OP_CALL_FRAME_CFA)
    w.u8(0)
    w.close(length)


def _line_table(obj: ObjectFile, unit: Unit, code_sym: str, syms: dict[str, str],
                line_strs: _Strings) -> None:
    w = _Writer(obj, ".debug_line")
    length = w.length_here()
    w.fixed("<H", 5)
    w.u8(8, 0)  # address size, segment selector size
    header = w.length_here()
    w.u8(1, 1, 1)  # minimum instruction length, operations per instruction, is_stmt
    w.u8(LINE_BASE & 0xFF, LINE_RANGE, OPCODE_BASE)
    w.raw(STANDARD_LENGTHS)
    w.u8(1, LNCT_PATH, FORM_LINE_STRP)
    w.raw(uleb(1))
    w.ref32(syms[".debug_line_str"], line_strs(unit.comp_dir))
    w.u8(2, LNCT_PATH, FORM_LINE_STRP, LNCT_DIRECTORY_INDEX, FORM_UDATA)
    w.raw(uleb(2))
    for _ in range(2):  # file 0 (the unit's) and file 1 (where `file` starts)
        w.ref32(syms[".debug_line_str"], line_strs(unit.file))
        w.raw(uleb(0))
    w.close(header)
    rows = sorted((r for r in unit.lines if r.section == unit.code), key=lambda r: r.offset)
    if rows:
        w.u8(0, 9, LNE_SET_ADDRESS)
        w.addr(code_sym, rows[0].offset)
        addr, line = rows[0].offset, 1
        for r in rows:
            w.raw(_advance(r.offset - addr, r.line - line))
            addr, line = r.offset, r.line
        w.u8(LNS_ADVANCE_PC)
        w.raw(uleb(unit.code_size - addr))
        w.u8(0, 1, LNE_END_SEQUENCE)
    w.close(length)


def _advance(dpc: int, dline: int) -> bytes:
    """A row ``dpc`` bytes and ``dline`` lines on: one special opcode if it fits."""
    if LINE_BASE <= dline < LINE_BASE + LINE_RANGE:
        op = (dline - LINE_BASE) + LINE_RANGE * dpc + OPCODE_BASE
        if op <= 255:
            return bytes([op])
    out = bytearray()
    if dline:
        out += bytes([LNS_ADVANCE_LINE]) + sleb(dline)
    if dpc:
        out += bytes([LNS_ADVANCE_PC]) + uleb(dpc)
    return bytes(out + bytes([LNS_COPY]))


def _frames(obj: ObjectFile, unit: Unit, code_sym: str, syms: dict[str, str],
            frame: Frame) -> None:
    w = _Writer(obj, ".debug_frame")
    cie = w.length_here()
    w.fixed("<I", CIE_ID)
    w.u8(CIE_VERSION, 0, 8, 0)  # version, "", address size, segment selector size
    w.raw(uleb(frame.code_align) + sleb(frame.data_align) + uleb(frame.ra))
    w.raw(encode([frame.initial], _EMPTY, frame.code_align, frame.data_align))
    _pad(w)
    w.close(cie)
    for fn in unit.functions:
        fde = w.length_here()
        w.ref32(syms[".debug_frame"], cie)
        w.addr(code_sym, fn.start)
        w.fixed("<Q", fn.end - fn.start)
        w.raw(encode(fn.frame, frame.initial, frame.code_align, frame.data_align))
        _pad(w)
        w.close(fde)


_EMPTY = Row(0, -1, -1)


def _pad(w: _Writer) -> None:
    """DW_CFA_nop up to a multiple of the address size (an entry's length included)."""
    w.raw(bytes(-len(w.buf) % 8))
