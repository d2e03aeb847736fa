"""A reader for x86_64 COFF relocatable objects and short import members (the
PE/COFF specification, sections 4 and 7), into the object model.

What an object's parts become:

- Sections keep their names, made unique with `#N` (COFF allows several
  `.pdata`); the kind comes from the characteristics.  Only COMDAT sections
  may be dropped by the linker: every other loaded section is `retain`ed,
  as PE linkers do.  An associative COMDAT section (the unwind data of a
  function) `follows` the section it is associated with.  `.drectve`,
  CodeView (`.debug$S`) and `IMAGE_SCN_LNK_REMOVE` sections are not loaded.
- External symbols keep their names; a definition in a COMDAT section and a
  common symbol are weak (the first definition wins: their copies are the
  same); a weak external is a weak definition at its default's place.  A
  reference to a static symbol becomes a reference to its section.
- Relocations are renamed to the ELF vocabulary of the model (`REL32` is
  `R_X86_64_PC32`, `ADDR64` `R_X86_64_64`), their addends taken from the
  bytes they patch (COFF's are implicit); `ADDR32NB`, an address relative to
  the image base, is `R_X86_64_RVA32`.  Other kinds keep their COFF names,
  so the linker reports them if a kept section uses one.

A short import member (`IMPORT_OBJECT_HEADER`, what `.lib` import libraries
hold) becomes the pieces a PE linker lays out, grouped by DLL through their
section names (`$`-suffixes sort within `.idata`, see `pe_link.py`):
`.idata$5$DLL$b` the import address table slot (`__imp_NAME`), `.idata$4$DLL$b`
the lookup table slot, `.idata$6$DLL$NAME` the hint and name, and for code
a thunk `NAME: jmp *__imp_NAME(%rip)`.
"""

from __future__ import annotations

import struct

from mochic.objfile.model import (
    ABSOLUTE,
    Binding,
    ObjectError,
    ObjectFile,
    Relocation,
    SectionKind,
    Symbol,
    SymbolKind,
)

MACHINE_AMD64 = 0x8664
_HEADER = struct.Struct("<HHIIIHH")
_SECTION = struct.Struct("<8sIIIIIIHHI")
_SYMBOL = struct.Struct("<8sIhHBB")
_RELOC = struct.Struct("<IIH")
_IMPORT = struct.Struct("<HHHHIIHH")

SCN_CNT_CODE, SCN_CNT_DATA, SCN_CNT_BSS = 0x20, 0x40, 0x80
SCN_LNK_INFO, SCN_LNK_REMOVE, SCN_LNK_COMDAT = 0x200, 0x800, 0x1000
SCN_MEM_WRITE = 0x80000000
CLASS_EXTERNAL, CLASS_STATIC, CLASS_WEAK_EXTERNAL = 2, 3, 105
SEL_ASSOCIATIVE = 5
IMPORT_CODE, IMPORT_DATA = 0, 1

# COFF kind -> (model kind, field width, bytes between the field's end and P+4)
RELOCATIONS: dict[int, tuple[str, int, int]] = {
    1: ("R_X86_64_64", 8, 0),
    2: ("R_X86_64_32", 4, 0),
    3: ("R_X86_64_RVA32", 4, 0),
    4: ("R_X86_64_PC32", 4, 4),
    5: ("R_X86_64_PC32", 4, 5),
    6: ("R_X86_64_PC32", 4, 6),
    7: ("R_X86_64_PC32", 4, 7),
    8: ("R_X86_64_PC32", 4, 8),
    9: ("R_X86_64_PC32", 4, 9),
}
NAMES = {0: "IMAGE_REL_AMD64_ABSOLUTE", 10: "IMAGE_REL_AMD64_SECTION",
         11: "IMAGE_REL_AMD64_SECREL", 12: "IMAGE_REL_AMD64_SECREL7",
         13: "IMAGE_REL_AMD64_TOKEN", 14: "IMAGE_REL_AMD64_SREL32",
         15: "IMAGE_REL_AMD64_PAIR", 16: "IMAGE_REL_AMD64_SSPAN32"}


class CoffError(ValueError):
    """A file that is not a COFF object this reader knows."""


def is_import(data: bytes) -> bool:
    return data[:4] == b"\0\0\xff\xff"


def read_coff(data: bytes, name: str) -> ObjectFile:
    """``data`` (a COFF object or a short import member) in the object model."""
    try:
        return _read_import(data, name) if is_import(data) else _read_object(data, name)
    except (struct.error, IndexError, UnicodeDecodeError) as e:
        raise CoffError(f"{name}: truncated or malformed COFF file ({e})") from None


def _kind(flags: int, name: str) -> SectionKind:
    if flags & (SCN_LNK_INFO | SCN_LNK_REMOVE) or name.startswith(".debug"):
        return SectionKind.OTHER
    if flags & SCN_CNT_CODE:
        return SectionKind.TEXT
    if flags & SCN_CNT_BSS:
        return SectionKind.BSS
    return SectionKind.DATA if flags & SCN_MEM_WRITE else SectionKind.RODATA


def _cstr(data: bytes, at: int) -> str:
    return data[at:data.index(b"\0", at)].decode()


def _read_object(data: bytes, name: str) -> ObjectFile:
    machine, nsec, _, symoff, nsym, opt, _ = _HEADER.unpack_from(data, 0)
    if machine != MACHINE_AMD64:
        raise CoffError(f"{name}: COFF machine {machine:#x}, not x86_64 ({MACHINE_AMD64:#x})")
    strings = symoff + 18 * nsym

    def text_name(raw: bytes) -> str:
        if raw[:4] == b"\0\0\0\0":
            return _cstr(data, strings + struct.unpack_from("<I", raw, 4)[0])
        return raw.rstrip(b"\0").decode()

    obj = ObjectFile("x86_64", name=name)
    headers = [_SECTION.unpack_from(data, _HEADER.size + opt + 40 * k) for k in range(nsec)]
    names: list[str] = []
    seen: set[str] = set()
    for k, h in enumerate(headers):
        raw = h[0].rstrip(b"\0").decode()
        sname = _cstr(data, strings + int(raw[1:])) if raw.startswith("/") else raw
        unique = sname if sname not in seen else f"{sname}#{k + 1}"
        seen.add(unique)
        names.append(unique)
        flags = h[9]
        kind = _kind(flags, sname)
        align = 1 << (((flags >> 20) & 0xF) - 1) if flags & 0xF00000 else 16
        sec = obj.section(unique, kind, align)
        if kind is SectionKind.BSS:
            sec.bss_size = h[3]
        elif h[4]:
            sec.data = bytearray(data[h[4]:h[4] + h[3]])
        sec.retain = kind.loaded and not flags & SCN_LNK_COMDAT

    # symbols: (name, section index, value, class) per table index
    table: dict[int, tuple[str, int, int, int]] = {}
    comdat: set[int] = {k + 1 for k, h in enumerate(headers) if h[9] & SCN_LNK_COMDAT}
    weak: list[tuple[str, int]] = []
    k = 0
    while k < nsym:
        raw, value, secno, _, cls, naux = _SYMBOL.unpack_from(data, symoff + 18 * k)
        sym = text_name(raw)
        table[k] = (sym, secno, value, cls)
        if cls == CLASS_STATIC and value == 0 and naux and 0 < secno <= nsec:
            aux = symoff + 18 * (k + 1)
            number, selection = struct.unpack_from("<HB", data, aux + 12)
            if selection == SEL_ASSOCIATIVE and number:
                obj.sections[names[secno - 1]].follows = names[number - 1]
        elif cls == CLASS_WEAK_EXTERNAL and naux:
            weak.append((sym, struct.unpack_from("<I", data, symoff + 18 * (k + 1))[0]))
        k += 1 + naux

    for sym, secno, value, cls in table.values():
        if cls != CLASS_EXTERNAL:
            continue
        if 0 < secno <= nsec:
            kind = SymbolKind.FUNC if obj.sections[names[secno - 1]].kind is \
                SectionKind.TEXT else SymbolKind.DATA
            binding = Binding.WEAK if secno in comdat else Binding.GLOBAL
            obj.define(sym, names[secno - 1], value, 0, binding, kind)
        elif secno == -1:
            obj.symbols[sym] = obj.symbols.get(sym) or Symbol(sym, ABSOLUTE, value)
        elif secno == 0 and value:  # common: zero-filled room the first definer gives
            sec = obj.section(f".bss#common.{sym}", SectionKind.BSS,
                              min(32, 1 << (value.bit_length() - 1)))
            sec.bss_size = value
            sec.retain = False
            obj.define(sym, sec.name, 0, value, Binding.WEAK, SymbolKind.DATA)
        else:
            obj.reference(sym)
    for sym, tag in weak:
        alias, secno, value, _ = table[tag]
        if 0 < secno <= nsec and sym not in obj.symbols:
            obj.define(sym, names[secno - 1], value, 0, Binding.WEAK, SymbolKind.FUNC)
        elif sym not in obj.symbols:
            obj.symbols[sym] = obj.symbols.get(alias) or Symbol(sym, None, binding=Binding.WEAK)

    for k, h in enumerate(headers):
        sec = obj.sections[names[k]]
        if not sec.kind.loaded or sec.kind is SectionKind.BSS:
            continue
        for j in range(h[7]):
            at, index, typ = _RELOC.unpack_from(data, h[5] + 10 * j)
            if typ == 0:
                continue
            sym, secno, value, cls = table[index]
            target = sym
            addend = 0
            if cls not in (CLASS_EXTERNAL, CLASS_WEAK_EXTERNAL) and 0 < secno <= nsec:
                target, addend = names[secno - 1], value
            kind, width, bias = RELOCATIONS.get(typ, (NAMES.get(typ, f"COFF type {typ}"), 0, 0))
            if width:
                fmt = "<q" if width == 8 else "<i"
                addend += struct.unpack_from(fmt, sec.data, at)[0] - bias
                sec.data[at:at + width] = bytes(width)
            if target not in obj.sections:
                obj.reference(target)
            obj.relocations.append(Relocation(names[k], at, kind, target, addend))
    try:
        obj.check()
    except ObjectError as e:
        raise CoffError(f"{name}: {e}") from None
    return obj


def _import_name(sym: str, name_type: int, rest: bytes) -> str:
    """The name the DLL exports, from the symbol and IMPORT_OBJECT_NAME_TYPE."""
    if name_type == 1:
        return sym
    bare = sym.lstrip("?@_")
    if name_type == 2:
        return bare
    if name_type == 3:
        return bare.split("@")[0]
    if name_type == 4:
        return _cstr(rest, 0)
    raise CoffError(f"import of {sym}: name type {name_type} is not known")


def _read_import(data: bytes, name: str) -> ObjectFile:
    _, _, _, machine, _, size, hint, info = _IMPORT.unpack_from(data, 0)
    if machine != MACHINE_AMD64:
        raise CoffError(f"{name}: import for machine {machine:#x}, not x86_64")
    body = data[_IMPORT.size:_IMPORT.size + size]
    sym = _cstr(body, 0)
    dll = _cstr(body, len(sym) + 1)
    rest = body[len(sym) + len(dll) + 2:]
    typ, name_type = info & 3, (info >> 2) & 7
    obj = ObjectFile("x86_64", name=name)
    iat = obj.section(f".idata$5${dll}$b", SectionKind.DATA, 8)
    ilt = obj.section(f".idata$4${dll}$b", SectionKind.DATA, 8)
    ilt.follows = iat.name
    obj.define(f"__imp_{sym}", iat.name, 0, 8, Binding.GLOBAL, SymbolKind.DATA)
    if name_type == 0:  # by ordinal: the top bit set, the ordinal in the low 16
        word = struct.pack("<Q", 1 << 63 | hint)
        iat.data += word
        ilt.data += word
    else:
        entry = obj.section(f".idata$6${dll}${sym}", SectionKind.DATA, 2)
        entry.follows = iat.name
        entry.data += struct.pack("<H", hint) + _import_name(sym, name_type, rest).encode() + b"\0"
        entry.data += bytes(len(entry.data) & 1)
        for sec in (iat, ilt):
            sec.data += bytes(8)
            obj.relocations.append(Relocation(sec.name, 0, "R_X86_64_RVA64", entry.name))
    if typ == IMPORT_CODE:
        thunk = obj.section(f".text$imp${sym}", SectionKind.TEXT, 8)
        thunk.data += b"\xff\x25" + bytes(4)  # jmp *__imp_NAME(%rip)
        obj.define(sym, thunk.name, 0, 6, Binding.GLOBAL, SymbolKind.FUNC)
        obj.relocate(thunk.name, 2, "R_X86_64_PC32", f"__imp_{sym}", -4)
    return obj
