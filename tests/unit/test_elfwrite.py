"""The ELF relocatable-object writer (objfile/elfwrite.py) read back by pyelftools,
and by mochic's own reader (objfile/elfread.py) into the same object.

The objects are whole stitched programs, for each ISA, with their debug
information: every section's bytes, every symbol (locals before globals,
as ELF requires) and every relocation (kind, offset, symbol, addend) must
be what the object model says.  (Linking them with ld.lld into programs
that run is tests/test_native.py's.)
"""

from __future__ import annotations

import io

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection

from mochic.backends.native.backend import stitch
from mochic.driver import compile_source
from mochic.objfile.elfkinds import KIND_NAMES, MACHINE_NUMBERS
from mochic.objfile.elfread import read_object
from mochic.objfile.elfwrite import write_object
from mochic.objfile.model import ObjectFile, SectionKind

SOURCE = """\
type Point { x: int, y: int }
fun norm(p: Point): int { return p.x * p.x + p.y * p.y }
var total = 0
for i in 0..3 { total = total + norm(Point { x: i, y: 2 }) }
print("total", total, [1.5, 2.5], {"a": 1})
"""
MACHINES = ("x86_64", "aarch64", "riscv64")
E_MACHINE = {"x86_64": "EM_X86_64", "aarch64": "EM_AARCH64", "riscv64": "EM_RISCV"}


@pytest.fixture(scope="module")
def objects() -> dict[str, ObjectFile]:
    module = compile_source("prog.mochi", SOURCE).module
    assert module is not None
    return {m: stitch(module, m, debug=True).obj for m in MACHINES}


@pytest.mark.parametrize("machine", MACHINES)
def test_pyelftools_reads_what_the_model_says(objects: dict[str, ObjectFile],
                                              machine: str) -> None:
    obj = objects[machine]
    elf = ELFFile(io.BytesIO(write_object(obj)))
    assert elf["e_type"] == "ET_REL" and elf["e_machine"] == E_MACHINE[machine]
    assert elf.elfclass == 64 and elf.little_endian
    for sec in obj.sections.values():
        got = elf.get_section_by_name(sec.name)
        assert got is not None, sec.name
        assert got["sh_addralign"] == sec.align
        if sec.kind is SectionKind.BSS:
            assert got["sh_type"] == "SHT_NOBITS" and got["sh_size"] == sec.size
        else:
            assert got.data() == bytes(sec.data), sec.name
        alloc = bool(got["sh_flags"] & 2)
        assert alloc == sec.kind.loaded, sec.name
    stack = elf.get_section_by_name(".note.GNU-stack")
    assert stack is not None and not stack["sh_flags"] & 4  # not executable
    symtab = elf.get_section_by_name(".symtab")
    syms = list(symtab.iter_symbols())
    first_global = symtab["sh_info"]
    assert all(s["st_info"]["bind"] == "STB_LOCAL" for s in syms[:first_global])
    assert all(s["st_info"]["bind"] != "STB_LOCAL" for s in syms[first_global:])
    named = {s.name: s for s in syms if s.name}
    for s in obj.symbols.values():
        e = named[s.name]
        if s.defined:
            assert elf.get_section(e["st_shndx"]).name == s.section
            assert (e["st_value"], e["st_size"]) == (s.offset, s.size)
        else:
            assert e["st_shndx"] == "SHN_UNDEF"
    names = KIND_NAMES[MACHINE_NUMBERS[machine]]
    got_relocs = []
    for sec in elf.iter_sections():
        if isinstance(sec, RelocationSection):
            target = elf.get_section(sec["sh_info"]).name
            table = elf.get_section(sec["sh_link"])
            for r in sec.iter_relocations():
                sym = table.get_symbol(r["r_info_sym"])
                got_relocs.append((target, r["r_offset"], names[r["r_info_type"]], sym.name,
                                   r["r_addend"]))
    assert sorted(got_relocs) == sorted(tuple(r) for r in obj.relocations)


@pytest.mark.parametrize("machine", MACHINES)
def test_read_back_into_the_same_object(objects: dict[str, ObjectFile], machine: str) -> None:
    obj = objects[machine]
    back = read_object(write_object(obj), "prog.o", debug=True)
    assert back.machine == machine
    assert set(back.sections) == {*obj.sections, ".note.GNU-stack"}
    assert {n: (s.kind, s.align, bytes(s.data), s.size) for n, s in obj.sections.items()} == \
        {n: (s.kind, s.align, bytes(s.data), s.size) for n, s in back.sections.items()
         if n in obj.sections}
    assert {n: (s.section, s.offset, s.size, s.binding) for n, s in obj.symbols.items()} == \
        {n: (s.section, s.offset, s.size, s.binding) for n, s in back.symbols.items()
         if n in obj.symbols}
    assert sorted(obj.relocations) == sorted(back.relocations)


def test_writing_twice_gives_the_same_bytes(objects: dict[str, ObjectFile]) -> None:
    assert write_object(objects["x86_64"]) == write_object(objects["x86_64"])
