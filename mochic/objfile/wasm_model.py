"""A relocatable WebAssembly object, as the tool conventions define it
(WebAssembly/tool-conventions, `Linking.md`): the module's sections plus a
`linking` custom section (the symbol table, data segment names and
alignments, initialisation functions) and `reloc.*` sections (where the
linker must write an index or an address).

This is what the Wasm encoder makes for a program and what the object reader
(`wasm_read.py`) yields for the runtime's objects and wasi-libc's; the Wasm
linker (`wasm_link.py`) links a list of them into one module.  Offsets of
relocations are relative to the start of their function's body (for code)
or their segment's bytes (for data), not to a section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import NamedTuple

FuncType = tuple[tuple[str, ...], tuple[str, ...]]  # (parameter types, result types)


class RelocType(IntEnum):
    FUNCTION_INDEX_LEB = 0
    TABLE_INDEX_SLEB = 1
    TABLE_INDEX_I32 = 2
    MEMORY_ADDR_LEB = 3
    MEMORY_ADDR_SLEB = 4
    MEMORY_ADDR_I32 = 5
    TYPE_INDEX_LEB = 6
    GLOBAL_INDEX_LEB = 7
    FUNCTION_OFFSET_I32 = 8
    SECTION_OFFSET_I32 = 9
    TAG_INDEX_LEB = 10
    MEMORY_ADDR_REL_SLEB = 11
    TABLE_INDEX_REL_SLEB = 12
    GLOBAL_INDEX_I32 = 13
    MEMORY_ADDR_LEB64 = 14
    MEMORY_ADDR_SLEB64 = 15
    MEMORY_ADDR_I64 = 16
    MEMORY_ADDR_REL_SLEB64 = 17
    TABLE_INDEX_SLEB64 = 18
    TABLE_INDEX_I64 = 19
    TABLE_NUMBER_LEB = 20
    MEMORY_ADDR_TLS_SLEB = 21
    FUNCTION_OFFSET_I64 = 22
    MEMORY_ADDR_LOCREL_I32 = 23
    TABLE_INDEX_REL_SLEB64 = 24
    MEMORY_ADDR_TLS_SLEB64 = 25
    FUNCTION_INDEX_I32 = 26


# the relocations that carry an addend
WITH_ADDEND = frozenset({
    RelocType.MEMORY_ADDR_LEB, RelocType.MEMORY_ADDR_SLEB, RelocType.MEMORY_ADDR_I32,
    RelocType.FUNCTION_OFFSET_I32, RelocType.SECTION_OFFSET_I32,
    RelocType.MEMORY_ADDR_REL_SLEB, RelocType.MEMORY_ADDR_LEB64,
    RelocType.MEMORY_ADDR_SLEB64, RelocType.MEMORY_ADDR_I64, RelocType.MEMORY_ADDR_REL_SLEB64,
    RelocType.MEMORY_ADDR_TLS_SLEB, RelocType.FUNCTION_OFFSET_I64,
    RelocType.MEMORY_ADDR_LOCREL_I32, RelocType.MEMORY_ADDR_TLS_SLEB64})


class Reloc(NamedTuple):
    type: RelocType
    offset: int  # in the function body or segment
    index: int  # a symbol's index in the object's symbol table (a type's, for TYPE_INDEX_LEB)
    addend: int = 0


class SymKind(IntEnum):
    FUNCTION = 0
    DATA = 1
    GLOBAL = 2
    SECTION = 3
    TAG = 4
    TABLE = 5


# symbol flags
WEAK = 0x1
LOCAL = 0x2
HIDDEN = 0x4
UNDEFINED = 0x10
EXPORTED = 0x20
EXPLICIT_NAME = 0x40
NO_STRIP = 0x80
TLS = 0x100
ABSOLUTE = 0x200


@dataclass
class Symbol:
    kind: SymKind
    flags: int
    name: str
    index: int = 0  # function, global, table or tag index in the object's index space
    segment: int = 0  # a defined data symbol: its segment, offset and size
    offset: int = 0
    size: int = 0

    @property
    def undefined(self) -> bool:
        return bool(self.flags & UNDEFINED)

    @property
    def local(self) -> bool:
        return bool(self.flags & LOCAL)

    @property
    def weak(self) -> bool:
        return bool(self.flags & WEAK)


class ImportKind(IntEnum):
    FUNCTION = 0
    TABLE = 1
    MEMORY = 2
    GLOBAL = 3
    TAG = 4


@dataclass
class Import:
    module: str
    field: str
    kind: ImportKind
    type: int = 0  # a function's type index
    valtype: str = "i32"  # a global's value type
    mutable: bool = False


@dataclass
class Function:
    type: int  # index into WasmObject.types
    body: bytes  # locals and instructions, as in the code section (without its size)
    relocs: list[Reloc] = field(default_factory=list)
    lines: list[tuple[int, int]] = field(default_factory=list)  # (body offset, Mochi line)


@dataclass
class Global:
    valtype: str
    mutable: bool
    init: bytes  # the constant expression, with its `end`
    relocs: list[Reloc] = field(default_factory=list)


@dataclass
class Segment:
    name: str  # `.rodata.x`, `.data.y`, `.bss.z`: the kind of memory it goes into
    align: int  # log2 of its alignment
    data: bytes
    flags: int = 0
    relocs: list[Reloc] = field(default_factory=list)

    @property
    def bss(self) -> bool:
        return self.name.startswith(".bss")


@dataclass
class WasmObject:
    name: str  # where it came from, for messages
    types: list[FuncType] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)  # defined, after the imported
    globals: list[Global] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    symbols: list[Symbol] = field(default_factory=list)
    init_funcs: list[tuple[int, int]] = field(default_factory=list)  # (priority, symbol)

    def imported(self, kind: ImportKind) -> int:
        """How many of the index space of ``kind`` are imports (they come first)."""
        return sum(1 for i in self.imports if i.kind == kind)

    def type_index(self, ftype: FuncType) -> int:
        """The index of ``ftype`` in the type section, added the first time."""
        try:
            return self.types.index(ftype)
        except ValueError:
            self.types.append(ftype)
            return len(self.types) - 1
