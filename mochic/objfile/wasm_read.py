"""Reading relocatable WebAssembly objects and `ar` archives of them.

`read_object` parses what clang (the pinned zig's) writes for wasm32-wasi:
the standard sections the linker needs (types, imports, functions, globals,
code, data), the `linking` section (symbol table, segment info,
initialisation functions) and the `reloc.*` sections, into a `WasmObject`
whose relocations are relative to their function body or data segment.
Debug and other custom sections are not kept: the linker writes its own.

`Archive` reads a GNU-format archive's symbol index, so the linker pulls in
only the members that define a symbol it still needs, parsing no other.
"""

from __future__ import annotations

import bisect
import struct
from dataclasses import dataclass, field
from pathlib import Path

from mochic.backends.wasm.leb128 import read_sleb, read_uleb
from mochic.backends.wasm.opcodes import VALTYPE_NAMES
from mochic.objfile.wasm_model import (
    EXPLICIT_NAME,
    UNDEFINED,
    WITH_ADDEND,
    Function,
    Global,
    Import,
    ImportKind,
    Reloc,
    RelocType,
    Segment,
    Symbol,
    SymKind,
    WasmObject,
)

MAGIC = b"\0asm\1\0\0\0"


class WasmReadError(ValueError):
    """Bytes that are not a relocatable WebAssembly object this reader understands."""


class _Reader:
    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def u8(self) -> int:
        b = self.data[self.pos]
        self.pos += 1
        return b

    def u32(self) -> int:
        v, self.pos = read_uleb(self.data, self.pos)
        return v

    def s64(self) -> int:
        v, self.pos = read_sleb(self.data, self.pos)
        return v

    def name(self) -> str:
        n = self.u32()
        s = self.data[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s

    def valtype(self) -> str:
        code = self.u8()
        if code not in VALTYPE_NAMES:
            raise WasmReadError(f"unknown value type {code:#x}")
        return VALTYPE_NAMES[code]

    def limits(self) -> None:
        flags = self.u32()
        self.u32()
        if flags & 1:
            self.u32()

    def const_expr(self) -> bytes:
        """A constant expression up to and including its `end`."""
        start = self.pos
        while True:
            op = self.u8()
            if op == 0x0B:
                return bytes(self.data[start:self.pos])
            if op in (0x41, 0x42):  # i32.const, i64.const
                self.s64()
            elif op == 0x43:
                self.pos += 4
            elif op == 0x44:
                self.pos += 8
            elif op in (0x23, 0xD2):  # global.get, ref.func
                self.u32()
            elif op == 0xD0:  # ref.null
                self.u8()
            else:
                raise WasmReadError(f"unsupported constant expression opcode {op:#x}")


@dataclass
class _Sections:
    """Where each section's payload lies, for the relocation sections that name them."""

    payload: dict[int, tuple[int, int]] = field(default_factory=dict)  # index -> (start, id)
    code_bodies: list[int] = field(default_factory=list)  # payload-relative body starts
    data_starts: list[int] = field(default_factory=list)  # payload-relative data starts


def read_object(data: bytes, name: str) -> WasmObject:
    if data[:8] != MAGIC:
        raise WasmReadError(f"{name}: not a WebAssembly module")
    obj = WasmObject(name)
    r = _Reader(data, 8)
    where = _Sections()
    func_types: list[int] = []
    relocs: list[tuple[int, _Reader]] = []
    index = 0
    linking: _Reader | None = None
    while r.pos < len(data):
        sid = r.u8()
        size = r.u32()
        start, end = r.pos, r.pos + size
        where.payload[index] = (start, sid)
        s = _Reader(data, start, end)
        if sid == 0:
            cname = s.name()
            if cname == "linking":
                linking = s
            elif cname.startswith("reloc."):
                relocs.append((index, s))
        elif sid == 1:
            for _ in range(s.u32()):
                if s.u8() != 0x60:
                    raise WasmReadError(f"{name}: a type that is not a function type")
                params = tuple(s.valtype() for _ in range(s.u32()))
                results = tuple(s.valtype() for _ in range(s.u32()))
                obj.types.append((params, results))
        elif sid == 2:
            for _ in range(s.u32()):
                module, fld, kind = s.name(), s.name(), ImportKind(s.u8())
                imp = Import(module, fld, kind)
                if kind == ImportKind.FUNCTION:
                    imp.type = s.u32()
                elif kind == ImportKind.TABLE:
                    s.u8()
                    s.limits()
                elif kind == ImportKind.MEMORY:
                    s.limits()
                elif kind == ImportKind.GLOBAL:
                    imp.valtype = s.valtype()
                    imp.mutable = bool(s.u8())
                else:
                    raise WasmReadError(f"{name}: imports a tag")
                obj.imports.append(imp)
        elif sid == 3:
            func_types = [s.u32() for _ in range(s.u32())]
        elif sid == 6:
            for _ in range(s.u32()):
                vt = s.valtype()
                mut = bool(s.u8())
                obj.globals.append(Global(vt, mut, s.const_expr()))
        elif sid == 10:
            for ftype in func_types[:s.u32()]:
                n = s.u32()
                where.code_bodies.append(s.pos - start)
                obj.functions.append(Function(ftype, bytes(data[s.pos:s.pos + n])))
                s.pos += n
        elif sid == 11:
            for _ in range(s.u32()):
                flags = s.u32()
                if flags != 0:
                    raise WasmReadError(f"{name}: a data segment that is not active")
                s.const_expr()
                n = s.u32()
                where.data_starts.append(s.pos - start)
                obj.segments.append(Segment("", 0, bytes(data[s.pos:s.pos + n])))
                s.pos += n
        elif sid in (4, 5):
            raise WasmReadError(f"{name}: defines a table or a memory")
        r.pos = end
        index += 1
    if linking is not None:
        _read_linking(obj, linking)
    for _, s in relocs:
        _read_relocs(obj, s, where)
    return obj


def _read_linking(obj: WasmObject, s: _Reader) -> None:
    version = s.u32()
    if version != 2:
        raise WasmReadError(f"{obj.name}: linking section version {version}")
    while s.pos < s.end:
        kind = s.u8()
        size = s.u32()
        end = s.pos + size
        if kind == 5:  # WASM_SEGMENT_INFO
            for seg in obj.segments[:s.u32()]:
                seg.name = s.name()
                seg.align = s.u32()
                seg.flags = s.u32()
        elif kind == 6:  # WASM_INIT_FUNCS
            obj.init_funcs = [(s.u32(), s.u32()) for _ in range(s.u32())]
        elif kind == 8:  # WASM_SYMBOL_TABLE
            for _ in range(s.u32()):
                obj.symbols.append(_read_symbol(obj, s))
        s.pos = end


def _read_symbol(obj: WasmObject, s: _Reader) -> Symbol:
    kind = SymKind(s.u8())
    flags = s.u32()
    if kind == SymKind.DATA:
        sym = Symbol(kind, flags, s.name())
        if not flags & UNDEFINED:
            sym.segment, sym.offset, sym.size = s.u32(), s.u32(), s.u32()
        return sym
    if kind == SymKind.SECTION:
        return Symbol(kind, flags, "", s.u32())
    index = s.u32()
    if not flags & UNDEFINED or flags & EXPLICIT_NAME:
        return Symbol(kind, flags, s.name(), index)
    imp_kind = {SymKind.FUNCTION: ImportKind.FUNCTION, SymKind.GLOBAL: ImportKind.GLOBAL,
                SymKind.TABLE: ImportKind.TABLE, SymKind.TAG: ImportKind.TAG}[kind]
    imports = [i for i in obj.imports if i.kind == imp_kind]
    return Symbol(kind, flags, imports[index].field, index)


def _read_relocs(obj: WasmObject, s: _Reader, where: _Sections) -> None:
    target = s.u32()
    start, sid = where.payload[target]
    entries = []
    for _ in range(s.u32()):
        rtype = RelocType(s.u8())
        offset = s.u32()
        idx = s.u32()
        addend = s.s64() if rtype in WITH_ADDEND else 0
        entries.append(Reloc(rtype, offset, idx, addend))
    if sid == 10:
        _distribute(entries, where.code_bodies, [f.relocs for f in obj.functions])
    elif sid == 11:
        _distribute(entries, where.data_starts, [g.relocs for g in obj.segments])
    # relocations of custom (debug) sections are not kept


def _distribute(entries: list[Reloc], starts: list[int], into: list[list[Reloc]]) -> None:
    """Give each relocation to the body or segment it lies in, relative to its start."""
    for e in entries:
        i = bisect.bisect_right(starts, e.offset) - 1
        into[i].append(e._replace(offset=e.offset - starts[i]))


# ---------------------------------------------------------------- archives

class Archive:
    """A GNU `ar` archive of objects, read through its symbol index."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = path.read_bytes()
        if self.data[:8] != b"!<arch>\n":
            raise WasmReadError(f"{path}: not an archive")
        self.index: dict[str, int] = {}  # symbol -> member header offset
        self.long_names = b""
        pos = 8
        while pos + 60 <= len(self.data):
            name, size, body = self._header(pos)
            if name == b"/":
                count = struct.unpack_from(">I", self.data, body)[0]
                offsets = struct.unpack_from(f">{count}I", self.data, body + 4)
                names = self.data[body + 4 + 4 * count:body + size].split(b"\0")
                for sym, off in zip(names, offsets, strict=False):
                    self.index.setdefault(sym.decode(), off)
            elif name == b"//":
                self.long_names = self.data[body:body + size]
            pos = body + size + (size & 1)
        self.loaded: dict[int, WasmObject] = {}

    def _header(self, pos: int) -> tuple[bytes, int, int]:
        h = self.data[pos:pos + 60]
        return h[:16].rstrip(b" "), int(h[48:58]), pos + 60

    def member(self, offset: int) -> WasmObject | None:
        """The object at header ``offset``, the first time it is asked for (else None)."""
        if offset in self.loaded:
            return None
        name, size, body = self._header(offset)
        if name.startswith(b"/") and name[1:].isdigit():
            start = int(name[1:])
            name = self.long_names[start:self.long_names.index(b"\n", start)]
        label = f"{self.path.name}({name.decode(errors='replace').rstrip('/')})"
        obj = read_object(self.data[body:body + size], label)
        self.loaded[offset] = obj
        return obj
