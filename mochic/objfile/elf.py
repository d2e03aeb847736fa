"""A reader for 64-bit little-endian relocatable ELF objects (`ET_REL`).

The stencil generator reads the objects clang makes from the stencil sources:
the sections (code and constant data), the symbol table and the `SHT_RELA`
relocations, which become the stencils' holes.  Only what such objects use is
read; anything else (big-endian or 32-bit files, `SHT_REL` relocations) is
reported as an `ElfError`, never misread.  Field layouts follow the System V
gABI ("ELF-64 Object File Format") and each machine's psABI for the
relocation numbers.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field

EM_X86_64 = 62
EM_AARCH64 = 183
EM_RISCV = 243

SHT_SYMTAB = 2
SHT_STRTAB = 3
SHT_RELA = 4
SHT_NOBITS = 8
SHT_REL = 9

SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4

SHN_UNDEF = 0
SHN_LORESERVE = 0xFF00  # indices from here on are special (SHN_ABS ...)
SHN_ABS = 0xFFF1
SHN_COMMON = 0xFFF2

STT_SECTION = 3

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_SYM = struct.Struct("<IBBHQQ")
_RELA = struct.Struct("<QQq")


class ElfError(ValueError):
    """The file is not an ELF object this reader understands."""


@dataclass
class Section:
    index: int
    name: str
    type: int
    flags: int
    align: int
    data: bytes
    size: int
    relocations: list[Relocation] = field(default_factory=list)

    @property
    def is_code(self) -> bool:
        return bool(self.flags & SHF_EXECINSTR)


@dataclass(frozen=True)
class Symbol:
    name: str
    value: int
    size: int
    section: int  # section index, SHN_UNDEF for an external symbol
    type: int
    bind: int


@dataclass(frozen=True)
class Relocation:
    offset: int  # in the section the relocations apply to
    type: int  # the machine's relocation number (R_X86_64_*, R_AARCH64_*)
    symbol: Symbol
    addend: int
    symbol_index: int = 0  # the symbol's index in the symbol table


@dataclass
class ElfObject:
    machine: int
    sections: list[Section]
    symbols: list[Symbol]

    def section(self, name: str) -> Section | None:
        for s in self.sections:
            if s.name == name:
                return s
        return None

    def defined(self, name: str) -> Symbol | None:
        for s in self.symbols:
            if s.name == name and s.section != SHN_UNDEF:
                return s
        return None


def _cstr(table: bytes, offset: int) -> str:
    end = table.find(b"\0", offset)
    if end < 0:
        raise ElfError("a name runs past the end of its string table")
    return table[offset:end].decode("utf-8", "replace")


def read_elf(data: bytes, relocated: Callable[[Section], bool] | None = None) -> ElfObject:
    """Parse a relocatable ELF64 little-endian object; with ``relocated``, read the
    relocations only of the sections it accepts (a linker skips debug information's)."""
    if len(data) < _EHDR.size or data[:4] != b"\x7fELF":
        raise ElfError("not an ELF file")
    ident = data[:16]
    if ident[4] != 2 or ident[5] != 1:
        raise ElfError("only 64-bit little-endian ELF is supported")
    (_, e_type, machine, _, _, _, shoff, _, _, _, _, shentsize, shnum,
     shstrndx) = _EHDR.unpack_from(data)
    if e_type != 1:
        raise ElfError(f"not a relocatable object (e_type {e_type})")
    if shentsize != _SHDR.size:
        raise ElfError(f"unexpected section header size {shentsize}")
    if shoff + shnum * _SHDR.size > len(data):
        raise ElfError("the section headers run past the end of the file")
    headers = []
    for i in range(shnum):
        headers.append(_SHDR.unpack_from(data, shoff + i * _SHDR.size))
    if not 0 <= shstrndx < shnum:
        raise ElfError("bad section name table index")
    shstr = _section_bytes(data, headers[shstrndx])
    sections = []
    for i, (name, typ, flags, _, _, size, _, _, align, _) in enumerate(headers):
        body = b"" if typ == SHT_NOBITS else _section_bytes(data, headers[i])
        sections.append(Section(i, _cstr(shstr, name), typ, flags, max(align, 1), body, size))
    symbols: list[Symbol] = []
    for h, s in zip(headers, sections, strict=True):
        if s.type == SHT_SYMTAB:
            strtab = _section_bytes(data, headers[_linked(s, h[6], len(headers))])
            _whole_entries(s, _SYM)
            for k in range(0, len(s.data), _SYM.size):
                st_name, info, _, shndx, value, size = _SYM.unpack_from(s.data, k)
                name = _cstr(strtab, st_name)
                if shndx >= len(sections) and shndx < SHN_LORESERVE:
                    raise ElfError(f"symbol {name!r} is in section {shndx}, which does not exist")
                if info & 0xF == STT_SECTION and shndx < len(sections):
                    name = sections[shndx].name
                symbols.append(Symbol(name, value, size, shndx, info & 0xF, info >> 4))
    for h, s in zip(headers, sections, strict=True):
        if s.type == SHT_REL:
            raise ElfError(f"section {s.name}: SHT_REL relocations are not supported")
        if s.type == SHT_RELA:
            target = sections[_linked(s, h[7], len(sections))]
            if relocated is not None and not relocated(target):
                continue
            _whole_entries(s, _RELA)
            for k in range(0, len(s.data), _RELA.size):
                offset, info, addend = _RELA.unpack_from(s.data, k)
                sym = info >> 32
                if sym >= len(symbols):
                    raise ElfError(f"section {s.name}: relocation names symbol {sym}")
                target.relocations.append(Relocation(offset, info & 0xFFFFFFFF,
                                                     symbols[sym], addend, sym))
    return ElfObject(machine, sections, symbols)


def _section_bytes(data: bytes, header: tuple) -> bytes:
    off, size = header[4], header[5]
    if off + size > len(data):
        raise ElfError(f"a section at {off:#x} of {size} bytes runs past the end of the file")
    return data[off:off + size]


def _linked(s: Section, index: int, count: int) -> int:
    """A section index from a header's sh_link or sh_info, checked."""
    if not 0 <= index < count:
        raise ElfError(f"section {s.name}: links to section {index}, which does not exist")
    return index


def _whole_entries(s: Section, entry: struct.Struct) -> None:
    if len(s.data) % entry.size:
        raise ElfError(f"section {s.name}: {len(s.data)} bytes is not a whole number of "
                       f"{entry.size}-byte entries")
