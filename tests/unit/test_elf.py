"""The hand-written ELF reader (mochic/objfile/elf.py) against pyelftools.

The objects are the ones the stencil generator reads: the stencil sources
compiled for each ISA with the generator's own flags, so the reader is checked
on exactly the sections, symbols and relocation kinds it meets in practice.
Every field the generator uses is compared with pyelftools' reading of the
same bytes.  Malformed inputs must raise ElfError and nothing else, since the
generator reports ElfError and would crash on anything else.
"""

from __future__ import annotations

import io
import random
import re
import struct
from collections.abc import Callable

import pytest
from elftools.elf import enums
from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection
from elftools.elf.sections import SymbolTableSection

from mochic.backends.copypatch import generate
from mochic.objfile.elf import (
    SHT_NOBITS,
    SHT_RELA,
    SHT_SYMTAB,
    STT_SECTION,
    ElfError,
    ElfObject,
    read_elf,
)

# ELF64 header and section header field offsets (System V gABI)
E_TYPE, E_SHOFF, E_SHENTSIZE, E_SHNUM, E_SHSTRNDX = 16, 40, 58, 60, 62
SH_TYPE, SH_OFFSET, SH_SIZE, SH_LINK, SH_INFO = 4, 24, 32, 40, 44
SHDR_SIZE = 64
SYM_SIZE, ST_SHNDX = 24, 6  # an Elf64_Sym and its st_shndx

# pyelftools names the values it knows; the reader keeps numbers
SH_TYPES = {**enums.ENUM_SH_TYPE_BASE, **enums.ENUM_SH_TYPE_AMD64,
            **enums.ENUM_SH_TYPE_AARCH64}


def _num(value: int | str, names: dict[str, int]) -> int:
    return value if isinstance(value, int) else names[value]


@pytest.fixture(scope="module", params=generate.ISAS, ids=lambda isa: isa.name)
def objects(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The generator's objects for one ISA, as bytes by file name (built once per module)."""
    isa: generate.Isa = request.param
    work = tmp_path_factory.mktemp(f"stencils-{isa.name}")
    generate.compile_objects(isa, work)
    return {p.name: p.read_bytes() for p in sorted(work.glob("*.o"))}


def _both(data: bytes) -> tuple[ElfObject, ELFFile]:
    return read_elf(data), ELFFile(io.BytesIO(data))


def test_objects_exist(objects: dict[str, bytes]) -> None:
    # one object per stencil source: a comparison over nothing would pass vacuously
    assert sorted(objects) == sorted(f"{p.stem}.o" for p in generate._sources())


def test_header(objects: dict[str, bytes]) -> None:
    for data in objects.values():
        ours, ref = _both(data)
        assert ref["e_type"] == "ET_REL"
        assert ours.machine == {"EM_X86_64": 62, "EM_AARCH64": 183}[ref["e_machine"]]


def test_sections(objects: dict[str, bytes]) -> None:
    for name, data in objects.items():
        ours, ref = _both(data)
        assert len(ours.sections) == ref.num_sections(), name
        for i, (s, r) in enumerate(zip(ours.sections, ref.iter_sections(), strict=True)):
            where = f"{name} section {i} {r.name}"
            assert s.index == i, where
            assert s.name == r.name, where
            assert s.type == _num(r["sh_type"], SH_TYPES), where
            assert s.flags == r["sh_flags"], where
            assert s.size == r["sh_size"], where
            assert s.align == max(r["sh_addralign"], 1), where
            assert s.data == (b"" if s.type == SHT_NOBITS else r.data()), where


def test_symbols(objects: dict[str, bytes]) -> None:
    for name, data in objects.items():
        ours, ref = _both(data)
        tables = [s for s in ref.iter_sections() if isinstance(s, SymbolTableSection)]
        assert len(tables) == 1, name  # the reader keeps the symbols of one table
        expected = list(tables[0].iter_symbols())
        assert len(ours.symbols) == len(expected) > 1, name
        for i, (s, r) in enumerate(zip(ours.symbols, expected, strict=True)):
            where = f"{name} symbol {i} {r.name!r}"
            shndx = _num(r["st_shndx"], enums.ENUM_ST_SHNDX)
            typ = _num(r["st_info"]["type"], enums.ENUM_ST_INFO_TYPE)
            # the reader names a section symbol after its section, which is how
            # relocations against it are reported
            want = ours.sections[shndx].name if typ == STT_SECTION else r.name
            assert s.name == want, where
            assert s.value == r["st_value"], where
            assert s.size == r["st_size"], where
            assert s.section == shndx, where
            assert s.type == typ, where
            assert s.bind == _num(r["st_info"]["bind"], enums.ENUM_ST_INFO_BIND), where


def test_relocations(objects: dict[str, bytes]) -> None:
    for name, data in objects.items():
        ours, ref = _both(data)
        index_of = {id(s): i for i, s in enumerate(ours.symbols)}
        expected: dict[int, list[tuple[int, int, int, int]]] = {}
        for r in ref.iter_sections():
            if isinstance(r, RelocationSection):
                assert r.is_RELA(), f"{name}: {r.name} is SHT_REL"
                expected.setdefault(r["sh_info"], []).extend(
                    (e["r_offset"], e["r_info_type"], e["r_info_sym"], e["r_addend"])
                    for e in r.iter_relocations())
        assert sum(map(len, expected.values())) > 0, name
        for s in ours.sections:
            got = [(x.offset, x.type, index_of[id(x.symbol)], x.addend) for x in s.relocations]
            assert got == expected.get(s.index, []), f"{name} section {s.name}"


# ---------------------------------------------------------------- malformed inputs


def _smallest(objects: dict[str, bytes]) -> bytes:
    return min(objects.values(), key=len)


def _put(data: bytes, fmt: str, offset: int, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def _get(data: bytes, offset: int) -> int:
    return int(struct.unpack_from("<Q", data, offset)[0])


def _shdr(data: bytes, index: int) -> int:
    """The file offset of section header ``index``."""
    return _get(data, E_SHOFF) + index * SHDR_SIZE


def _section_of_type(data: bytes, sh_type: int) -> int:
    shnum = struct.unpack_from("<H", data, E_SHNUM)[0]
    for i in range(shnum):
        if struct.unpack_from("<I", data, _shdr(data, i) + SH_TYPE)[0] == sh_type:
            return i
    raise AssertionError(f"no section of type {sh_type}")


def _field(sh_type: int, field: int, fmt: str, value: Callable[[bytes, int], int]
           ) -> Callable[[bytes], bytes]:
    """A corruption: set ``field`` of the first section of ``sh_type`` to ``value``."""
    def corrupt(data: bytes) -> bytes:
        at = _shdr(data, _section_of_type(data, sh_type)) + field
        return _put(data, fmt, at, value(data, at))
    return corrupt


def _symbol_section(data: bytes) -> bytes:
    """Symbol 1 placed in a section index below the reserved ones that does not exist."""
    symtab = _get(data, _shdr(data, _section_of_type(data, SHT_SYMTAB)) + SH_OFFSET)
    return _put(data, "<H", symtab + SYM_SIZE + ST_SHNDX, 0xFE00)


# each corruption with what the error says, so that it is the check meant that fires
CORRUPTIONS: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "empty": (lambda d: b"", "not an ELF file"),
    "text": (lambda d: b"this is not an object file\n" * 4, "not an ELF file"),
    "bad magic": (lambda d: b"\x7fELG" + d[4:], "not an ELF file"),
    "header only": (lambda d: d[:16], "not an ELF file"),
    "32-bit": (lambda d: d[:4] + b"\x01" + d[5:], "64-bit little-endian"),
    "big-endian": (lambda d: d[:5] + b"\x02" + d[6:], "64-bit little-endian"),
    "ET_EXEC": (lambda d: _put(d, "<H", E_TYPE, 2), "not a relocatable object"),
    "ET_DYN": (lambda d: _put(d, "<H", E_TYPE, 3), "not a relocatable object"),
    "section header size": (lambda d: _put(d, "<H", E_SHENTSIZE, 40), "section header size"),
    "section headers past the end": (lambda d: _put(d, "<Q", E_SHOFF, len(d)), "past the end"),
    "section headers far past the end": (lambda d: _put(d, "<Q", E_SHOFF, 1 << 63),
                                         "past the end"),
    "too many sections": (lambda d: _put(d, "<H", E_SHNUM, 0xFFFF), "past the end"),
    "name table index": (lambda d: _put(d, "<H", E_SHSTRNDX, 0xFFF0), "name table index"),
    "section past the end": (_field(SHT_SYMTAB, SH_OFFSET, "<Q", lambda d, _: len(d) - 8),
                             "past the end"),
    "section size huge": (_field(SHT_SYMTAB, SH_SIZE, "<Q", lambda d, _: 1 << 62), "past the end"),
    "partial symbol": (_field(SHT_SYMTAB, SH_SIZE, "<Q", lambda d, at: _get(d, at) - 1),
                       "not a whole number of 24-byte entries"),
    "symbol names' table": (_field(SHT_SYMTAB, SH_LINK, "<I", lambda d, _: 0xFFFF),
                            "links to section 65535"),
    "symbol's section": (_symbol_section, "section 65024, which does not exist"),
    "relocated section": (_field(SHT_RELA, SH_INFO, "<I", lambda d, _: 0xFFFF),
                          "links to section 65535"),
    "partial relocation": (_field(SHT_RELA, SH_SIZE, "<Q", lambda d, at: _get(d, at) - 8),
                           "not a whole number of 24-byte entries"),
    "SHT_REL": (_field(SHT_RELA, SH_TYPE, "<I", lambda d, _: 9), "SHT_REL"),
}


@pytest.mark.parametrize("case", CORRUPTIONS)
def test_malformed_input_is_an_elf_error(objects: dict[str, bytes], case: str) -> None:
    corrupt, message = CORRUPTIONS[case]
    with pytest.raises(ElfError, match=re.escape(message)):
        read_elf(corrupt(_smallest(objects)))


def test_truncated_object_is_an_elf_error(objects: dict[str, bytes]) -> None:
    data = _smallest(objects)
    # every cut through the file header and the section header table (at the
    # end of clang's objects), and a spread of cuts through the sections
    cuts = {*range(0, 128), *range(len(data) - 3 * SHDR_SIZE, len(data)),
            *range(0, len(data), max(len(data) // 200, 1))}
    for n in sorted(cuts):
        with pytest.raises(ElfError):
            read_elf(data[:n])


def test_corrupt_headers_raise_only_elf_error(objects: dict[str, bytes]) -> None:
    """Random bytes written over the file and section headers are either read or
    reported as ElfError, never another exception."""
    data = _smallest(objects)
    headers = [*range(64), *range(_get(data, E_SHOFF), len(data))]
    rnd = random.Random(4)  # fixed: a failure must reproduce
    for _ in range(600):
        bad = bytearray(data)
        for _ in range(rnd.randint(1, 4)):
            bad[rnd.choice(headers)] = rnd.randrange(256)
        try:
            read_elf(bytes(bad))
        except ElfError:
            pass

