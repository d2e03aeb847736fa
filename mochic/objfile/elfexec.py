"""The ELF executable writer: a linked `Image` (objfile/link/) as an ELF64 file.

A position-independent image is a static PIE (`ET_DYN` with no interpreter):
the kernel loads it anywhere, and musl's start file (`rcrt1.o`) first adds
the load address to every word listed in `.rela.dyn` (`R_*_RELATIVE`), which
it finds through `_DYNAMIC`, the `.dynamic` table.  Otherwise it is an
`ET_EXEC` at the address it was linked at.

    ELF header, program headers          (in the read-only segment)
    .rodata .rela.dyn .dynstr .dynamic    R
    .text                                 R+X
    .tdata .init_array .fini_array
    .data.rel.ro .got .data (.bss)        R+W
    debug sections, .symtab, .strtab, .shstrtab, section headers

Program headers: `PT_PHDR`, a `PT_LOAD` per segment, `PT_DYNAMIC` (PIE),
`PT_TLS` when there is thread-local storage, and `PT_GNU_STACK` (read and
write: the stack is not executable).  `strip` leaves out the symbol table
and the debug sections.
"""

from __future__ import annotations

import struct

from mochic.objfile.elfkinds import E_FLAGS, KIND_NUMBERS, MACHINE_NUMBERS, RELATIVE
from mochic.objfile.elfwrite import (
    BINDINGS,
    SHF_ALLOC,
    SHF_EXECINSTR,
    SHF_TLS,
    SHF_WRITE,
    SHT_NOBITS,
    SHT_PROGBITS,
    SHT_STRTAB,
    SHT_SYMTAB,
    STT_FUNC,
    STT_NOTYPE,
    STT_OBJECT,
    StringTable,
)
from mochic.objfile.link.linker import Format, Image, Table
from mochic.objfile.model import Binding, SymbolKind

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_PHDR = struct.Struct("<IIQQQQQQ")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_SYM = struct.Struct("<IBBHQQ")
_RELA = struct.Struct("<QQq")
_DYN = struct.Struct("<qQ")

ET_EXEC, ET_DYN = 2, 3
PT_LOAD, PT_DYNAMIC, PT_PHDR, PT_TLS = 1, 2, 6, 7
PT_GNU_STACK = 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4
SHT_RELA, SHT_DYNAMIC = 4, 6
SHT_INIT_ARRAY, SHT_FINI_ARRAY, SHT_PREINIT_ARRAY = 14, 15, 16
DT_NULL, DT_STRTAB, DT_RELA, DT_RELASZ, DT_RELAENT, DT_STRSZ = 0, 5, 7, 8, 9, 10
DT_FLAGS_1, DT_RELACOUNT = 0x6FFFFFFB, 0x6FFFFFF9
DF_1_PIE = 0x08000000
FLAGS = {"r": PF_R, "rx": PF_R | PF_X, "rw": PF_R | PF_W}
SECTION_TYPES = {".init_array": SHT_INIT_ARRAY, ".fini_array": SHT_FINI_ARRAY,
                 ".preinit_array": SHT_PREINIT_ARRAY, ".rela.dyn": SHT_RELA,
                 ".dynamic": SHT_DYNAMIC, ".dynstr": SHT_STRTAB}
DYNAMIC_ENTRIES = 8


def _phdrs(pie: bool, tls: bool) -> int:
    return 1 + 3 + pie + tls + 1  # PHDR, 3 LOAD, DYNAMIC, TLS, GNU_STACK


def elf_format(pie: bool) -> Format:
    """How an ELF executable lays out its headers and loaded tables."""
    def tables(rebases: int) -> list[Table]:
        if not pie:
            return []
        return [Table(".rela.dyn", "r", _RELA.size * rebases, 8),
                Table(".dynstr", "r", 1, 1),  # names nothing: the table .dynamic links to
                Table(".dynamic", "r", _DYN.size * DYNAMIC_ENTRIES, 8)]
    return Format(lambda tls: _EHDR.size + _PHDR.size * _phdrs(pie, tls), tables)


def write_executable(image: Image, strip: bool) -> bytes:
    """The bytes of ``image`` as an ELF executable (``strip``: no symbols, no debug
    information)."""
    machine = MACHINE_NUMBERS[image.machine]
    secs = image.sections
    if image.pie:
        _fill_dynamic(image, machine)
    loaded = [o for seg in image.segments for o in seg.sections]
    debug = [] if strip else image.debug
    links = {".dynamic": 1 + [o.name for o in loaded].index(".dynstr")} if image.pie else {}

    # ---- section headers, reserved in file order
    shstr = StringTable()
    headers: list[tuple] = [(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)]
    for o in loaded:
        flags = SHF_ALLOC | (SHF_EXECINSTR if o.segment == "rx" else 0) | \
            (SHF_WRITE if o.segment == "rw" else 0) | (SHF_TLS if o.tls else 0)
        typ = SHT_NOBITS if o.nobits else SECTION_TYPES.get(o.name, SHT_PROGBITS)
        entsize = {".rela.dyn": _RELA.size, ".dynamic": _DYN.size}.get(o.name, 0)
        headers.append((shstr.add(o.name), typ, flags, o.addr, o.offset, o.size,
                        links.get(o.name, 0), 0, o.align, entsize))
    end = max((o.offset + (0 if o.nobits else o.size) for o in loaded), default=0)
    bodies: list[tuple[int, bytes]] = []
    offset = end
    for o in debug:
        headers.append((shstr.add(o.name), SHT_PROGBITS, 0, 0, o.offset, o.size, 0, 0,
                        o.align, 0))
        bodies.append((o.offset, bytes(o.data)))
        offset = o.offset + o.size
    if not strip:
        strtab = StringTable()
        index = {o.name: i + 1 for i, o in enumerate(loaded)}
        symbols = [_SYM.pack(0, 0, 0, 0, 0, 0)]
        ordered = sorted(image.symbols, key=lambda s: s[3] is not Binding.LOCAL)
        first_global = 1 + sum(1 for s in ordered if s[3] is Binding.LOCAL)
        for name, addr, size, binding, kind, section in ordered:
            typ = {SymbolKind.FUNC: STT_FUNC, SymbolKind.DATA: STT_OBJECT}.get(kind, STT_NOTYPE)
            if secs[section].tls:
                typ, addr = 6, addr - secs[section].addr  # STT_TLS: an offset in the block
            symbols.append(_SYM.pack(strtab.add(name), (BINDINGS[binding] << 4) | typ, 0,
                                     index[section], addr, size))
        symdata = b"".join(symbols)
        offset += -offset % 8
        symtab_index = len(headers)
        headers.append((shstr.add(".symtab"), SHT_SYMTAB, 0, 0, offset, len(symdata),
                        symtab_index + 1, first_global, 8, _SYM.size))
        bodies.append((offset, symdata))
        offset += len(symdata)
        headers.append((shstr.add(".strtab"), SHT_STRTAB, 0, 0, offset, len(strtab.data),
                        0, 0, 1, 0))
        bodies.append((offset, bytes(strtab.data)))
        offset += len(strtab.data)
    shstr_name = shstr.add(".shstrtab")
    headers.append((shstr_name, SHT_STRTAB, 0, 0, offset, len(shstr.data), 0, 0, 1, 0))
    bodies.append((offset, bytes(shstr.data)))
    offset += len(shstr.data)
    shoff = offset + -offset % 8

    # ---- program headers
    tls = image.tls
    count = _phdrs(image.pie, tls is not None)
    phdrs = [_PHDR.pack(PT_PHDR, PF_R, _EHDR.size, _EHDR.size, _EHDR.size,
                        _PHDR.size * count, _PHDR.size * count, 8)]
    for seg in image.segments:
        phdrs.append(_PHDR.pack(PT_LOAD, FLAGS[seg.permissions], seg.offset, seg.addr,
                                seg.addr, seg.filesz, seg.memsz, image.page))
    if image.pie:
        dyn = secs[".dynamic"]
        phdrs.append(_PHDR.pack(PT_DYNAMIC, PF_R, dyn.offset, dyn.addr, dyn.addr, dyn.size,
                                dyn.size, 8))
    if tls is not None:
        addr, filesz, memsz, align = tls
        tls_offset = secs[".tdata"].offset if secs[".tdata"].size else secs[".tbss"].offset
        phdrs.append(_PHDR.pack(PT_TLS, PF_R, tls_offset, addr, addr, filesz, memsz, align))
    phdrs.append(_PHDR.pack(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 0, 16))
    assert len(phdrs) == count

    # ---- write, in file order
    out = bytearray()
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    out += _EHDR.pack(ident, ET_DYN if image.pie else ET_EXEC, machine, 1, image.entry,
                      _EHDR.size, shoff, E_FLAGS[image.machine], _EHDR.size, _PHDR.size,
                      count, _SHDR.size, len(headers), len(headers) - 1)
    out += b"".join(phdrs)
    for o in loaded:
        if not o.nobits and o.size:
            out += bytes(o.offset - len(out))
            out += o.data
    for at, body in bodies:
        out += bytes(at - len(out))
        out += body
    out += bytes(shoff - len(out))
    for h in headers:
        out += _SHDR.pack(*h)
    return bytes(out)


def _fill_dynamic(image: Image, machine: int) -> None:
    """`.rela.dyn`: one R_*_RELATIVE per rebased word; `.dynamic`: where it is."""
    relative = KIND_NUMBERS[machine][RELATIVE[image.machine]]
    rela, dyn = image.sections[".rela.dyn"], image.sections[".dynamic"]
    strings = image.sections[".dynstr"]
    rela.data = bytearray(b"".join(_RELA.pack(addr, relative, value)
                                   for addr, value in image.rebases))
    entries = [(DT_RELA, rela.addr), (DT_RELASZ, rela.size), (DT_RELAENT, _RELA.size),
               (DT_RELACOUNT, len(image.rebases)), (DT_STRTAB, strings.addr),
               (DT_STRSZ, strings.size), (DT_FLAGS_1, DF_1_PIE), (DT_NULL, 0)]
    assert len(entries) == DYNAMIC_ENTRIES
    dyn.data = bytearray(b"".join(_DYN.pack(tag, value) for tag, value in entries))

