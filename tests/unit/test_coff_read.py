"""The COFF reader (objfile/coff_read.py) on objects and import libraries made
by LLVM's own tools (`llvm-mc`, `llvm-dlltool`), so the reader is checked
against an independent writer: sections and their kinds, symbols, and every
relocation with COFF's implicit addend turned into the model's explicit one.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from mochic.objfile.archive import read_archive
from mochic.objfile.coff_read import CoffError, read_coff
from mochic.objfile.model import Binding, SectionKind, SymbolKind

pytestmark = pytest.mark.skipif(
    not (shutil.which("llvm-mc") and shutil.which("llvm-dlltool")),
    reason="needs llvm-mc and llvm-dlltool (Debian llvm)")

ASSEMBLY = """\
    .text
    .globl main
main:
    callq puts
    leaq msg(%rip), %rcx
    movl $7, later+3(%rip)
    retq
    .section .rdata,"dr"
msg:
    .asciz "hi"
    .data
    .globl table
table:
    .quad main
    .rva main
later:
    .zero 8
"""


def _assemble(tmp_path: Path) -> bytes:
    src = tmp_path / "a.s"
    src.write_text(ASSEMBLY)
    out = tmp_path / "a.obj"
    subprocess.run(["llvm-mc", "-filetype=obj", "-triple", "x86_64-windows-gnu",
                    str(src), "-o", str(out)], check=True)
    return out.read_bytes()


def test_sections_symbols_and_kinds(tmp_path: Path) -> None:
    obj = read_coff(_assemble(tmp_path), "a.obj")
    kinds = {name: sec.kind for name, sec in obj.sections.items()}
    assert kinds[".text"] is SectionKind.TEXT
    assert kinds[".rdata"] is SectionKind.RODATA
    assert kinds[".data"] is SectionKind.DATA
    assert bytes(obj.sections[".rdata"].data) == b"hi\0"
    assert all(sec.retain for sec in obj.sections.values())  # no COMDAT here
    main = obj.symbols["main"]
    assert (main.section, main.offset, main.kind, main.binding) == \
        (".text", 0, SymbolKind.FUNC, Binding.GLOBAL)
    assert obj.symbols["table"].kind is SymbolKind.DATA
    assert not obj.symbols["puts"].defined


def test_relocations_get_explicit_addends(tmp_path: Path) -> None:
    obj = read_coff(_assemble(tmp_path), "a.obj")
    relocs = {(r.section, r.offset): (r.kind, r.symbol, r.addend) for r in obj.relocations}
    # call rel32: S - (P + 4) in COFF is S + A - P with A = -4
    assert relocs[(".text", 1)] == ("R_X86_64_PC32", "puts", -4)
    # a static symbol becomes its section plus its offset
    assert relocs[(".text", 8)] == ("R_X86_64_PC32", ".rdata", -4)
    # movl $imm32, later+3(%rip): the field ends 4 bytes before the instruction
    # (REL32_4), and `later` is 12 bytes into .data
    assert relocs[(".text", 14)] == ("R_X86_64_PC32", ".data", 12 + 3 - 8)
    assert relocs[(".data", 0)] == ("R_X86_64_64", "main", 0)
    assert relocs[(".data", 8)] == ("R_X86_64_RVA32", "main", 0)
    # the implicit addends were moved out of the bytes
    assert bytes(obj.sections[".text"].data[1:5]) == bytes(4)


def test_import_library_members(tmp_path: Path) -> None:
    (tmp_path / "k.def").write_text("LIBRARY kernel32.dll\nEXPORTS\nExitProcess\nGetStdHandle\n")
    lib = tmp_path / "k.lib"
    subprocess.run(["llvm-dlltool", "-m", "i386:x86-64", "-d", str(tmp_path / "k.def"),
                    "-l", str(lib)], check=True)
    ar = read_archive(lib.read_bytes(), "k.lib")
    member, data = ar.member(ar.index["__imp_ExitProcess"])
    obj = read_coff(data, member)
    iat = obj.symbols["__imp_ExitProcess"]
    assert iat.section == ".idata$5$kernel32.dll$b" and iat.size == 8
    thunk = obj.symbols["ExitProcess"]
    assert thunk.kind is SymbolKind.FUNC
    assert bytes(obj.sections[thunk.section].data) == b"\xff\x25" + bytes(4)
    entry = obj.sections[".idata$6$kernel32.dll$ExitProcess"]
    hint = struct.unpack_from("<H", entry.data)[0]
    assert bytes(entry.data[2:]).rstrip(b"\0") == b"ExitProcess" and hint >= 0
    assert entry.follows == iat.section
    assert ("R_X86_64_PC32", "__imp_ExitProcess", -4) in \
        {(r.kind, r.symbol, r.addend) for r in obj.relocations}


def test_other_machines_and_truncation_are_diagnosed(tmp_path: Path) -> None:
    data = bytearray(_assemble(tmp_path))
    with pytest.raises(CoffError, match="truncated or malformed"):
        read_coff(bytes(data[:40]), "short.obj")
    data[0:2] = struct.pack("<H", 0x14C)  # i386
    with pytest.raises(CoffError, match="not x86_64"):
        read_coff(bytes(data), "i386.obj")
