"""ELF relocatable objects read into the format-neutral object model, for the
linker: what `elfwrite.py` writes, read back, and what clang and zig make
(the runtime library, musl).

`elf.py` parses the file; this module says what each part is in the model:

- Sections: code, read-only data, data, zero-filled data, thread-local
  (`SHF_TLS`), debug information, or other (notes, `.comment`, unwind
  tables: not loaded).  Constructor and destructor arrays are kept by the
  linker whatever refers to them.  Sections the model cannot tell apart by
  name (two `.text` in one file) get a `#INDEX` suffix.
- Symbols: section symbols are named after their section; a local symbol
  whose name is taken gets a `#INDEX` suffix; common symbols get a
  zero-filled section of their own; absolute ones the section `ABSOLUTE`.
- Relocations keep their psABI names (`elfkinds.py`); a number the table
  does not know keeps a name that says so, for the linker to report.

Bytes and relocations of debug and other unloaded sections are skipped
unless asked for: the linker never reads them.
"""

from __future__ import annotations

from mochic.objfile.elf import (
    SHF_ALLOC,
    SHF_EXECINSTR,
    SHN_ABS,
    SHN_COMMON,
    SHN_LORESERVE,
    SHN_UNDEF,
    SHT_NOBITS,
    SHT_RELA,
    SHT_STRTAB,
    SHT_SYMTAB,
    STT_SECTION,
    ElfError,
    read_elf,
)
from mochic.objfile.elf import Section as ElfSection
from mochic.objfile.elfkinds import MACHINE_NAMES, kind_name
from mochic.objfile.model import (
    ABSOLUTE,
    Binding,
    ObjectFile,
    Relocation,
    Section,
    SectionKind,
    Symbol,
    SymbolKind,
)

SHF_WRITE, SHF_MERGE, SHF_STRINGS, SHF_TLS = 0x1, 0x10, 0x20, 0x400
SHF_GNU_RETAIN = 0x200000
SHT_NOTE, SHT_GROUP = 7, 17
SHT_INIT_ARRAY, SHT_FINI_ARRAY, SHT_PREINIT_ARRAY = 14, 15, 16
STT_FUNC, STT_OBJECT, STT_FILE, STT_TLS = 2, 1, 4, 6
STB_LOCAL, STB_GLOBAL, STB_WEAK = 0, 1, 2
UNWIND_TABLES = (".eh_frame", ".ARM.exidx")

_BINDINGS = {STB_LOCAL: Binding.LOCAL, STB_GLOBAL: Binding.GLOBAL, STB_WEAK: Binding.WEAK}
_KINDS = {STT_FUNC: SymbolKind.FUNC, STT_OBJECT: SymbolKind.DATA, STT_TLS: SymbolKind.DATA}
_SKIPPED_TYPES = (0, SHT_SYMTAB, SHT_STRTAB, SHT_RELA, SHT_GROUP)


def _kind(s: ElfSection) -> SectionKind:
    if s.flags & SHF_ALLOC and s.type != SHT_NOTE and s.name not in UNWIND_TABLES:
        if s.flags & SHF_EXECINSTR:
            return SectionKind.TEXT
        if s.type == SHT_NOBITS:
            return SectionKind.BSS
        return SectionKind.DATA if s.flags & SHF_WRITE else SectionKind.RODATA
    return SectionKind.DEBUG if s.name.startswith(".debug") else SectionKind.OTHER


def read_object(data: bytes, name: str, debug: bool = False) -> ObjectFile:
    """The ELF relocatable object ``data`` (called ``name`` in messages) as an
    ObjectFile; with ``debug``, with the bytes and relocations of its debug sections."""
    def wanted(s: ElfSection) -> bool:
        k = _kind(s)
        return k.loaded or (debug and k is SectionKind.DEBUG)

    elf = read_elf(data, wanted)
    machine = MACHINE_NAMES.get(elf.machine)
    if machine is None:
        raise ElfError(f"{name}: ELF machine {elf.machine} is not one mochic links")
    obj = ObjectFile(machine, name=name)
    names: dict[int, str] = {}  # section index -> its name in the model
    for s in elf.sections:
        if s.type in _SKIPPED_TYPES or (s.type >= 0x60000000 and s.type != 0x70000001):
            continue  # tables, groups, and OS-specific sections but x86-64's unwind type
        kind = _kind(s)
        model_name = s.name if s.name not in obj.sections else f"{s.name}#{s.index}"
        keep_bytes = kind.loaded or (debug and kind is SectionKind.DEBUG)
        sec = Section(model_name, kind, s.align,
                      bytearray(s.data) if keep_bytes and kind is not SectionKind.BSS
                      else bytearray(),
                      s.size if kind is SectionKind.BSS else 0,
                      tls=bool(s.flags & SHF_TLS),
                      strings=bool(s.flags & SHF_STRINGS),
                      retain=s.type in (SHT_INIT_ARRAY, SHT_FINI_ARRAY, SHT_PREINIT_ARRAY)
                      or bool(s.flags & SHF_GNU_RETAIN))
        obj.sections[model_name] = sec
        names[s.index] = model_name
    symbol_names: list[str | None] = []
    for i, sym in enumerate(elf.symbols):
        symbol_names.append(_symbol(obj, i, sym, names, name))
    for s in elf.sections:
        target = names.get(s.index)
        if target is None:
            continue
        machine_number = elf.machine
        for r in s.relocations:
            sym_name = symbol_names[r.symbol_index]
            if sym_name is None:
                raise ElfError(f"{name}: a relocation in {s.name} at {r.offset:#x} refers to "
                               f"symbol {r.symbol.name or r.symbol_index}, which is in no "
                               f"section mochic links")
            obj.relocations.append(Relocation(target, r.offset, kind_name(machine_number, r.type),
                                              sym_name, r.addend))
    return obj


def _symbol(obj: ObjectFile, i: int, sym, names: dict[int, str], name: str) -> str | None:  # noqa: ANN001
    """Add ELF symbol ``i`` to ``obj``; its name there (None: not representable)."""
    if i == 0 or sym.type == STT_FILE:
        return None
    if sym.type == STT_SECTION:
        return names.get(sym.section)
    binding = _BINDINGS.get(sym.bind, Binding.GLOBAL)
    kind = _KINDS.get(sym.type, SymbolKind.NONE)
    sym_name = sym.name
    if binding is Binding.LOCAL and (sym_name in obj.symbols or sym_name in obj.sections
                                     or not sym_name):
        sym_name = f"{sym.name}#{i}"
    elif binding is not Binding.LOCAL and sym_name in obj.symbols:
        old = obj.symbols[sym_name]
        if old.defined and sym.section != SHN_UNDEF:
            raise ElfError(f"{name}: symbol {sym_name} is defined twice")
        if sym.section == SHN_UNDEF:
            return sym_name
    if sym.section == SHN_UNDEF:
        obj.symbols[sym_name] = Symbol(sym_name, None, 0, 0, binding, kind)
    elif sym.section == SHN_ABS:
        obj.symbols[sym_name] = Symbol(sym_name, ABSOLUTE, sym.value, sym.size, binding, kind)
    elif sym.section == SHN_COMMON:
        sec_name = f".bss.common.{sym_name}"
        obj.sections[sec_name] = Section(sec_name, SectionKind.BSS, max(sym.value, 1),
                                         bss_size=sym.size)
        obj.symbols[sym_name] = Symbol(sym_name, sec_name, 0, sym.size, binding, kind)
    elif sym.section >= SHN_LORESERVE or sym.section not in names:
        return None  # in a section the model leaves out (a group)
    else:
        obj.symbols[sym_name] = Symbol(sym_name, names[sym.section], sym.value, sym.size,
                                       binding, kind)
    return sym_name
