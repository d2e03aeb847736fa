"""DWARF for a linked module: which `.mochi` line each stretch of code comes from.

Dev builds carry three custom sections, as LLVM writes them for wasm:
`.debug_abbrev`, `.debug_info` (one compile unit for the program, one
subprogram per Mochi function, with its Mochi name and code range) and
`.debug_line` (a DWARF 4 line table).  Code addresses in DWARF for
WebAssembly are offsets into the code section's payload (the WebAssembly
DWARF convention), which the linker reports for each function body; the
encoder records, for each body, the offset at which each Mochi line's code
begins.  wasmtime and `llvm-dwarfdump` read them; the tests run
`llvm-dwarfdump --verify`.
"""

from __future__ import annotations

import struct

from mochic.backends.wasm.leb128 import sleb, uleb
from mochic.objfile.wasm_link import Linked
from mochic.objfile.wasm_model import SymKind, WasmObject

PRODUCER = "mochic"
DW_LANG_MOCHI = 0x8D5C  # in DWARF's range for languages it does not list (lo_user..hi_user)

# abbreviations: (code, tag, children, [(attribute, form)])
_CU, _SUBPROGRAM = 1, 2
_ABBREVS = (
    (_CU, 0x11, True, ((0x25, 0x08), (0x13, 0x05), (0x03, 0x08), (0x1B, 0x08), (0x10, 0x17),
                       (0x11, 0x01), (0x12, 0x06))),
    (_SUBPROGRAM, 0x2E, False, ((0x03, 0x08), (0x11, 0x01), (0x12, 0x06))),
)
# DWARF 4 line program: the standard opcodes' operand counts, and the special-opcode
# parameters (unused: rows are written with the standard opcodes)
_OPCODE_LENGTHS = bytes([0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1])
_LINE_BASE, _LINE_RANGE = -5, 14
_DW_LNS_COPY, _DW_LNS_ADVANCE_PC, _DW_LNS_ADVANCE_LINE = 0x01, 0x02, 0x03
_DW_LNE_END_SEQUENCE, _DW_LNE_SET_ADDRESS = 0x01, 0x02


def _cstr(s: str) -> bytes:
    return s.encode("utf-8") + b"\0"


def _abbrev() -> bytes:
    out = bytearray()
    for code, tag, children, attrs in _ABBREVS:
        out += uleb(code) + uleb(tag) + bytes([1 if children else 0])
        for at, form in attrs:
            out += uleb(at) + uleb(form)
        out += b"\0\0"
    return bytes(out + b"\0")


def _line_program(file: str, functions: list[tuple[int, int, list[tuple[int, int]]]]) -> bytes:
    """A DWARF 4 `.debug_line` unit: one sequence per function (start, end, rows)."""
    header = bytearray([1, 1, 1, _LINE_BASE & 0xFF, _LINE_RANGE, len(_OPCODE_LENGTHS) + 1])
    header += _OPCODE_LENGTHS
    header += b"\0"  # no include directories: the file is named as the build was given it
    header += _cstr(file) + b"\0\0\0" + b"\0"
    program = bytearray()
    for start, end, rows in functions:
        program += b"\0" + uleb(5) + bytes([_DW_LNE_SET_ADDRESS]) + struct.pack("<I", start)
        addr, line = start, 1
        for offset, row_line in rows:
            if start + offset > addr:
                program += bytes([_DW_LNS_ADVANCE_PC]) + uleb(start + offset - addr)
                addr = start + offset
            if row_line != line:
                program += bytes([_DW_LNS_ADVANCE_LINE]) + sleb(row_line - line)
                line = row_line
            program += bytes([_DW_LNS_COPY])
        if end > addr:
            program += bytes([_DW_LNS_ADVANCE_PC]) + uleb(end - addr)
        program += b"\0" + uleb(1) + bytes([_DW_LNE_END_SEQUENCE])
    body = struct.pack("<H", 4) + struct.pack("<I", len(header)) + header + program
    return struct.pack("<I", len(body)) + body


def _info(file: str, functions: list[tuple[str, int, int]]) -> bytes:
    low = min(s for _, s, _ in functions)
    high = max(e for _, _, e in functions)
    dies = bytearray(uleb(_CU) + _cstr(PRODUCER) + struct.pack("<H", DW_LANG_MOCHI) +
                     _cstr(file) + _cstr(".") + struct.pack("<I", 0) +
                     struct.pack("<I", low) + struct.pack("<I", high - low))
    for name, start, end in functions:
        dies += uleb(_SUBPROGRAM) + _cstr(name) + struct.pack("<I", start) + \
            struct.pack("<I", end - start)
    dies += b"\0"
    body = struct.pack("<H", 4) + struct.pack("<I", 0) + bytes([4]) + dies
    return struct.pack("<I", len(body)) + body


def add_line_table(linked: Linked, obj: WasmObject, file: str) -> None:
    """Add the debug sections for the functions of ``obj`` (the program) to the module."""
    names = {}
    imported = sum(1 for i in obj.imports if i.kind == 0)
    for sym in obj.symbols:
        if sym.kind == SymKind.FUNCTION and not sym.undefined:
            names[sym.index - imported] = sym.name
    spans = []
    for k, fn in enumerate(obj.functions):
        if id(fn) not in linked.code_offsets or not fn.lines:
            continue
        start = linked.address(fn, 0)
        rows = [(linked.address(fn, off) - start, line) for off, line in fn.lines]
        spans.append((names.get(k, f"f{k}"), start, linked.address(fn, len(fn.body)), rows))
    if not spans:
        return
    spans.sort(key=lambda s: s[1])
    linked.module.custom(".debug_abbrev", _abbrev())
    linked.module.custom(".debug_info", _info(file, [(n, s, e) for n, s, e, _ in spans]))
    linked.module.custom(".debug_line", _line_program(file, [(s, e, rows)
                                                             for _, s, e, rows in spans]))
