"""The ELF64 relocatable-object writer: an `ObjectFile` (objfile/model.py) as
an `ET_REL` file any ELF linker takes (`mochic build --emit obj`).

As the Rust `object` crate's writer does, everything is reserved first
(section indices, symbol indices, string-table offsets, file offsets), then
written once, in file order: the header, each section's bytes, the
relocation tables, the symbol and string tables, the section headers.
Nothing is patched after it is written.

File layout:

    ELF header
    the model's sections' bytes, each at its alignment (BSS has none)
    .rela.NAME for each section with relocations
    .symtab  .strtab  .shstrtab
    section headers: null, the model's sections, .note.GNU-stack, .rela.*,
                     .symtab, .strtab, .shstrtab

The symbol table holds the null symbol, a file symbol naming the Mochi
source, a section symbol per section, the local symbols, then the global
ones (`sh_info` is the index of the first global, as ELF requires).
Undefined symbols are global.  `.note.GNU-stack` says the stack need not
be executable.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from mochic.objfile.elfkinds import E_FLAGS, KIND_NUMBERS, MACHINE_NUMBERS
from mochic.objfile.model import ABSOLUTE, Binding, ObjectError, ObjectFile, SectionKind, SymbolKind

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_SYM = struct.Struct("<IBBHQQ")
_RELA = struct.Struct("<QQq")

ET_REL = 1
SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_RELA, SHT_NOBITS = 1, 2, 3, 4, 8
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR, SHF_MERGE, SHF_STRINGS, SHF_INFO_LINK, SHF_TLS = \
    0x1, 0x2, 0x4, 0x10, 0x20, 0x40, 0x400
STB_LOCAL, STB_GLOBAL, STB_WEAK = 0, 1, 2
STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_SECTION, STT_FILE, STT_TLS = 0, 1, 2, 3, 4, 6
SHN_UNDEF, SHN_ABS = 0, 0xFFF1

# how each kind of section is stored and mapped
SECTION_FORMS = {
    SectionKind.TEXT: (SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR),
    SectionKind.RODATA: (SHT_PROGBITS, SHF_ALLOC),
    SectionKind.DATA: (SHT_PROGBITS, SHF_ALLOC | SHF_WRITE),
    SectionKind.BSS: (SHT_NOBITS, SHF_ALLOC | SHF_WRITE),
    SectionKind.DEBUG: (SHT_PROGBITS, 0),
    SectionKind.OTHER: (SHT_PROGBITS, 0),
}
BINDINGS = {Binding.LOCAL: STB_LOCAL, Binding.GLOBAL: STB_GLOBAL, Binding.WEAK: STB_WEAK}
SYMBOL_TYPES = {SymbolKind.FUNC: STT_FUNC, SymbolKind.DATA: STT_OBJECT,
                SymbolKind.NONE: STT_NOTYPE}


class StringTable:
    """An ELF string table: offsets reserved as names are added, one copy each."""

    def __init__(self) -> None:
        self.data = bytearray(b"\0")
        self.offsets: dict[str, int] = {"": 0}

    def add(self, name: str) -> int:
        off = self.offsets.get(name)
        if off is None:
            off = self.offsets[name] = len(self.data)
            self.data += name.encode("utf-8", "surrogatepass") + b"\0"
        return off


@dataclass
class _Header:
    name: int
    type: int
    flags: int
    offset: int
    size: int
    link: int
    info: int
    align: int
    entsize: int


def _align(n: int, a: int) -> int:
    return n + -n % a


def write_object(obj: ObjectFile) -> bytes:
    """The bytes of ``obj`` as an ELF64 little-endian relocatable object."""
    obj.check()
    machine = MACHINE_NUMBERS.get(obj.machine)
    if machine is None:
        raise ObjectError(f"no ELF machine for {obj.machine}")
    kinds = KIND_NUMBERS[machine]
    shstr, strtab = StringTable(), StringTable()

    # ---- reserve: section indices
    sections = list(obj.sections.values())
    index = {s.name: i + 1 for i, s in enumerate(sections)}
    note_index = len(sections) + 1
    with_relocations = {r.section for r in obj.relocations}
    relocated = [s for s in sections if s.name in with_relocations]
    symtab_index = note_index + 1 + len(relocated)
    strtab_index, shstrtab_index = symtab_index + 1, symtab_index + 2

    # ---- reserve: symbols (null, file, section symbols, locals, globals)
    symbols: list[bytes] = [_SYM.pack(0, 0, 0, 0, 0, 0)]
    source = os.path.basename(obj.source) if obj.source else ""
    if source:
        symbols.append(_SYM.pack(strtab.add(source), (STB_LOCAL << 4) | STT_FILE, 0, SHN_ABS,
                                 0, 0))
    for s in sections:
        symbols.append(_SYM.pack(0, (STB_LOCAL << 4) | STT_SECTION, 0, index[s.name], 0, 0))
    ordered = sorted(obj.symbols.values(),
                     key=lambda s: s.defined and s.binding is Binding.LOCAL, reverse=True)
    first_global = len(symbols) + sum(1 for s in ordered
                                      if s.defined and s.binding is Binding.LOCAL)
    symbol_index: dict[str, int] = {}
    for s in ordered:
        symbol_index[s.name] = len(symbols)
        if s.section == ABSOLUTE:
            bind, shndx = BINDINGS[s.binding], SHN_ABS
        elif s.defined:
            assert s.section is not None
            bind, shndx = BINDINGS[s.binding], index[s.section]
        else:
            bind = STB_WEAK if s.binding is Binding.WEAK else STB_GLOBAL
            shndx = SHN_UNDEF
        typ = SYMBOL_TYPES[s.kind]
        if shndx not in (SHN_UNDEF, SHN_ABS) and obj.sections[s.section].tls:  # type: ignore[index]
            typ = STT_TLS
        symbols.append(_SYM.pack(strtab.add(s.name), (bind << 4) | typ, 0, shndx,
                                 s.offset, s.size))

    # ---- reserve: relocation tables
    tables: dict[str, bytearray] = {s.name: bytearray() for s in relocated}
    for r in obj.relocations:
        number = kinds.get(r.kind)
        if number is None:
            raise ObjectError(f"relocation {r.kind} against {r.symbol} at {r.section}+"
                              f"{r.offset:#x}: not a relocation kind of {obj.machine} ELF")
        tables[r.section] += _RELA.pack(r.offset, (symbol_index[r.symbol] << 32) | number,
                                        r.addend)

    # ---- reserve: file offsets and headers
    headers = [_Header(0, 0, 0, 0, 0, 0, 0, 0, 0)]
    offset = _EHDR.size
    for s in sections:
        typ, flags = SECTION_FORMS[s.kind]
        if s.tls:
            flags |= SHF_TLS
        if s.strings:
            flags |= SHF_MERGE | SHF_STRINGS
        offset = _align(offset, s.align) if s.kind is not SectionKind.BSS else offset
        headers.append(_Header(shstr.add(s.name), typ, flags, offset, s.size, 0, 0, s.align,
                               1 if s.strings else 0))
        if s.kind is not SectionKind.BSS:
            offset += s.size
    headers.append(_Header(shstr.add(".note.GNU-stack"), SHT_PROGBITS, 0, offset, 0, 0, 0, 1, 0))
    for s in relocated:
        offset = _align(offset, 8)
        headers.append(_Header(shstr.add(".rela" + s.name), SHT_RELA, SHF_INFO_LINK, offset,
                               len(tables[s.name]), symtab_index, index[s.name], 8, _RELA.size))
        offset += len(tables[s.name])
    offset = _align(offset, 8)
    symbytes = b"".join(symbols)
    headers.append(_Header(shstr.add(".symtab"), SHT_SYMTAB, 0, offset, len(symbytes),
                           strtab_index, first_global, 8, _SYM.size))
    offset += len(symbytes)
    headers.append(_Header(shstr.add(".strtab"), SHT_STRTAB, 0, offset, len(strtab.data),
                           0, 0, 1, 0))
    offset += len(strtab.data)
    shstr_name = shstr.add(".shstrtab")
    headers.append(_Header(shstr_name, SHT_STRTAB, 0, offset, len(shstr.data), 0, 0, 1, 0))
    offset += len(shstr.data)
    shoff = _align(offset, 8)
    assert len(headers) == shstrtab_index + 1

    # ---- write, in file order
    out = bytearray()
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    out += _EHDR.pack(ident, ET_REL, machine, 1, 0, 0, shoff, E_FLAGS[obj.machine], _EHDR.size,
                      0, 0, _SHDR.size, len(headers), shstrtab_index)
    bodies = [bytes(s.data) if s.kind is not SectionKind.BSS else b"" for s in sections]
    bodies += [b""] + [bytes(tables[s.name]) for s in relocated]
    bodies += [symbytes, bytes(strtab.data), bytes(shstr.data)]
    for h, body in zip(headers[1:], bodies, strict=True):
        if body:
            out += bytes(h.offset - len(out))
            out += body
    out += bytes(shoff - len(out))
    for h in headers:
        out += _SHDR.pack(h.name, h.type, h.flags, 0, h.offset, h.size, h.link, h.info,
                          h.align, h.entsize)
    return bytes(out)
