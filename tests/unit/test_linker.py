"""mochic's linker (objfile/link/) on small hand-made objects, with no toolchain.

The objects are built in the object model, some written to ELF and read
back (elfwrite.py, elfread.py) and some put in an `ar` archive made here,
then linked into an executable image whose bytes are checked: which
sections and archive members are kept, where each segment goes, what every
relocation wrote.  Diagnostics name the object, the section, the symbol and
the relocation kind.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from mochic.objfile.archive import read_archive
from mochic.objfile.elfexec import elf_format, write_executable
from mochic.objfile.elfread import read_object
from mochic.objfile.elfwrite import write_object
from mochic.objfile.link import isa
from mochic.objfile.link.library import Library
from mochic.objfile.link.linker import Image, LinkError, link
from mochic.objfile.model import Binding, ObjectFile, SectionKind, SymbolKind


def _obj(name: str, machine: str = "x86_64") -> ObjectFile:
    return ObjectFile(machine, name=name)


def _func(obj: ObjectFile, name: str, code: bytes, binding: Binding = Binding.GLOBAL) -> int:
    sec = obj.section(f".text.{name}", SectionKind.TEXT, 16)
    obj.define(name, sec.name, sec.append(code), len(code), binding, SymbolKind.FUNC)
    return 0


def _ar(members: dict[str, bytes]) -> bytes:
    """A GNU archive of ``members`` with a symbol index, as `ar rcs` makes one."""
    index: list[tuple[str, str]] = []
    for name, data in members.items():
        obj = read_object(data, name)
        index += [(s.name, name) for s in obj.symbols.values()
                  if s.defined and s.binding is not Binding.LOCAL]

    def header(name: str, size: int) -> bytes:
        return f"{name:<16}{0:<12}{0:<6}{0:<6}{644:<8}{size:<10}`\n".encode()

    names = b"".join(n.encode() + b"\0" for n, _ in index)
    table_size = 4 + 4 * len(index) + len(names)
    offsets, at = {}, 8 + 60 + table_size + (table_size & 1)
    for name, data in members.items():
        offsets[name] = at
        at += 60 + len(data) + (len(data) & 1)
    out = bytearray(b"!<arch>\n") + header("/", table_size)
    out += struct.pack(">I", len(index)) + b"".join(struct.pack(">I", offsets[m])
                                                     for _, m in index) + names
    out += b"\n" * (table_size & 1)
    for name, data in members.items():
        out += header(name + "/", len(data)) + data + b"\n" * (len(data) & 1)
    return bytes(out)


def _link(objects: list[ObjectFile], members: dict[str, bytes] | None = None,
          machine: str = "x86_64", where: Path | None = None) -> Image:
    libraries = []
    if members:
        assert where is not None
        (where / "lib.a").write_bytes(_ar(members))
        libraries.append(Library(where / "lib.a", read_object))
    return link(isa(machine), objects, libraries, elf_format(pie=True))


def _bytes(image: Image, addr: int, n: int) -> bytes:
    for out in image.sections.values():
        if out.addr <= addr < out.addr + out.size and not out.nobits:
            return bytes(out.data[addr - out.addr:addr - out.addr + n])
    raise AssertionError(f"{addr:#x} is in no section")


def _symbol(image: Image, name: str) -> int:
    return next(a for n, a, *_ in image.symbols if n == name)


CALL = b"\xe8\0\0\0\0"  # call rel32
RET = b"\xc3"


def _start(extra: list[tuple[str, str]] = ()) -> ObjectFile:
    """`_start: call f; ret` and the calls in ``extra`` ((symbol, kind)), one per site."""
    start = _obj("start.o")
    code = bytearray()
    relocs = [("f", "R_X86_64_PLT32"), *extra]
    for _ in relocs:
        code += CALL
    _func(start, "_start", bytes(code) + RET)
    for k, (sym, kind) in enumerate(relocs):
        start.relocate(".text._start", 1 + 5 * k, kind, sym, -4)
    return start


def test_archive_members_are_pulled_on_demand_and_dead_code_dropped(tmp_path: Path) -> None:
    lib_f = _obj("f.o")
    _func(lib_f, "f", b"\xe8\0\0\0\0" + RET)  # f calls g
    lib_f.relocate(".text.f", 1, "R_X86_64_PLT32", "g", -4)
    _func(lib_f, "unused", b"\x90" * 64 + RET)
    lib_g = _obj("g.o")
    _func(lib_g, "g", RET)
    lib_h = _obj("h.o")
    _func(lib_h, "h", RET)  # nothing needs h.o
    members = {"f.o": write_object(lib_f), "g.o": write_object(lib_g),
               "h.o": write_object(lib_h)}
    ar = read_archive(_ar(members), "lib.a")
    assert {n: ar.member(o)[0] for n, o in ar.index.items()} == \
        {"f": "f.o", "unused": "f.o", "g": "g.o", "h": "h.o"}
    image = _link([_start()], members, where=tmp_path)
    names = {n for n, *_ in image.symbols}
    assert {"_start", "f", "g"} <= names and not {"unused", "h"} & names
    start, f, g = (_symbol(image, n) for n in ("_start", "f", "g"))
    assert image.entry == start
    # each call reaches its callee: rel32 = S - (P + 4)
    assert struct.unpack("<i", _bytes(image, start + 1, 4))[0] == f - (start + 5)
    assert struct.unpack("<i", _bytes(image, f + 1, 4))[0] == g - (f + 5)


def test_segments_are_r_rx_rw_and_never_writable_and_executable() -> None:
    start = _start([("p", "R_X86_64_PC32")])  # _start -> p -> x -> _start
    data = start.section(".data.x", SectionKind.DATA, 8)
    start.define("x", data.name, data.reserve(8), 8)
    start.relocate(data.name, 0, "R_X86_64_64", "_start")  # a pointer: rebased in a PIE
    ro = start.section(".rodata.p", SectionKind.RODATA, 8)
    start.define("p", ro.name, ro.reserve(8), 8)
    start.relocate(ro.name, 0, "R_X86_64_64", "x")  # read-only pointer: to .data.rel.ro
    lib = _obj("f.o")
    _func(lib, "f", RET)
    image = _link([start, lib])
    perms = [s.permissions for s in image.segments]
    assert perms == ["r", "rx", "rw"]
    for s in image.segments:
        assert s.addr % 4096 == s.offset % 4096
    names = {o.name: o for s in image.segments for o in s.sections}
    assert names[".data.rel.ro"].segment == "rw" and names[".text"].segment == "rx"
    x, p = _symbol(image, "x"), _symbol(image, "p")
    assert sorted(image.rebases) == sorted([(x, _symbol(image, "_start")), (p, x)])
    elf = ELFFile(__import__("io").BytesIO(write_executable(image, strip=False)))
    for seg in elf.iter_segments():
        assert not (seg["p_flags"] & 1 and seg["p_flags"] & 2)
    rela = elf.get_section_by_name(".rela.dyn")
    assert sorted((r["r_offset"], r["r_addend"]) for r in rela.iter_relocations()) == \
        sorted(image.rebases)
    assert all(r["r_info_type"] == 8 for r in rela.iter_relocations())  # R_X86_64_RELATIVE


def test_undefined_symbol_names_its_user() -> None:
    with pytest.raises(LinkError) as e:
        _link([_start([("nowhere", "R_X86_64_PLT32")]), _with_f()])
    assert str(e.value) == ("undefined symbol nowhere, used by start.o in section "
                            ".text._start (R_X86_64_PLT32)")


def _with_f(name: str = "f.o") -> ObjectFile:
    lib = _obj(name)
    _func(lib, "f", RET)
    return lib


def test_duplicate_symbol_names_both_objects() -> None:
    with pytest.raises(LinkError) as e:
        _link([_start(), _with_f("one.o"), _with_f("two.o")])
    assert str(e.value) == ("duplicate symbol f: defined in one.o (section .text.f) and in "
                            "two.o (section .text.f)")


def test_a_weak_definition_gives_way_and_an_undefined_weak_is_zero() -> None:
    weak = _obj("weak.o")
    _func(weak, "f", b"\x90" + RET, Binding.WEAK)
    start = _start([("maybe", "R_X86_64_64")])
    start.symbols["maybe"] = start.symbols["maybe"]._replace(binding=Binding.WEAK)
    # an absolute word in code is refused in a PIE; weak undefined is 0, not an address
    start.relocations[-1] = start.relocations[-1]._replace(addend=0)
    image = _link([start, weak, _with_f("strong.o")])
    f = _symbol(image, "f")
    assert _bytes(image, f, 1) == RET  # the strong one
    start_at = _symbol(image, "_start")
    assert _bytes(image, start_at + 6, 8) == bytes(8)


def test_unknown_relocation_kind_is_named() -> None:
    with pytest.raises(LinkError) as e:
        _link([_start([("f", "R_X86_64_GOTPLT64")]), _with_f()])
    assert str(e.value) == ("start.o: section .text._start, offset 0x6: relocation "
                            "R_X86_64_GOTPLT64 against f is not one the linker applies "
                            "for x86_64")


def test_an_absolute_address_in_code_is_refused_in_a_pie() -> None:
    with pytest.raises(LinkError) as e:
        _link([_start([("f", "R_X86_64_32S")]), _with_f()])
    assert "relocation R_X86_64_32S against f is an absolute address in code" in str(e.value)


def test_a_got_load_of_a_defined_symbol_becomes_lea() -> None:
    start = _obj("start.o")
    mov = b"\x48\x8b\x05\0\0\0\0"  # mov f@GOTPCREL(%rip), %rax
    _func(start, "_start", mov + RET)
    start.relocate(".text._start", 3, "R_X86_64_REX_GOTPCRELX", "f", -4)
    image = _link([start, _with_f()])
    at = _symbol(image, "_start")
    code = _bytes(image, at, 7)
    assert code[:3] == b"\x48\x8d\x05"  # lea
    assert struct.unpack("<i", code[3:])[0] == _symbol(image, "f") - (at + 7)


def test_thread_locals_get_a_tls_segment_and_thread_pointer_offsets() -> None:
    start = _obj("start.o")
    mov = b"\x64\x48\x8b\x04\x25\0\0\0\0"  # mov %fs:SYM@tpoff, %rax
    _func(start, "_start", mov + mov + RET)
    tdata = start.section(".tdata.y", SectionKind.DATA, 8)
    tdata.tls = True
    start.define("y", tdata.name, tdata.append(b"\x07" + bytes(7)), 8)
    tbss = start.section(".tbss.x", SectionKind.BSS, 8)
    tbss.tls = True
    start.define("x", tbss.name, tbss.reserve(8), 8)
    start.relocate(".text._start", 5, "R_X86_64_TPOFF32", "y", 0)
    start.relocate(".text._start", 14, "R_X86_64_TPOFF32", "x", 0)
    image = _link([start])
    assert image.tls is not None
    addr, filesz, memsz, align = image.tls
    assert (filesz, memsz, align) == (8, 16, 8)
    assert _bytes(image, addr, 8) == b"\x07" + bytes(7)  # the template
    # variant II: the 16-byte block ends at the thread pointer; y is its first 8 bytes
    at = _symbol(image, "_start")
    offsets = [struct.unpack("<i", _bytes(image, at + k, 4))[0] for k in (5, 14)]
    assert offsets == [-16, -8]


def test_riscv_pcrel_lo_takes_its_high_part_from_the_label() -> None:
    start = _obj("start.o", "riscv64")
    auipc, addi, ret = 0x00000517, 0x00050513, 0x00008067  # auipc a0; addi a0, a0; ret
    _func(start, "_start", struct.pack("<III", auipc, addi, ret))
    start.define("label", ".text._start", 0)
    data = start.section(".data.v", SectionKind.DATA, 8)
    start.define("v", data.name, data.append(bytes(8)), 8)
    start.relocate(".text._start", 0, "R_RISCV_PCREL_HI20", "v", 0)
    start.relocate(".text._start", 4, "R_RISCV_PCREL_LO12_I", "label", 0)
    image = _link([start], machine="riscv64")
    at, v = _symbol(image, "_start"), _symbol(image, "v")
    hi, lo = struct.unpack("<ii", _bytes(image, at, 8))  # signed: the immediates' top bits
    assert at + ((hi >> 12) << 12) + (lo >> 20) == v


def test_objects_written_and_read_back_link_the_same() -> None:
    a = _link([_start(), _with_f()])
    b = _link([read_object(write_object(_start()), "start.o"),
               read_object(write_object(_with_f()), "f.o")])
    assert write_executable(a, strip=False) == write_executable(b, strip=False)


def test_aarch64_got_load_and_tls_descriptor_relaxed() -> None:
    """`adrp x0, :got:v; ldr x0, [x0, :got_lo12:v]` reads v's GOT entry, which holds
    v's address (rebased); a TLS descriptor call becomes `movz`/`movk` of the offset."""
    start = _obj("start.o", "aarch64")
    words = (0x90000000, 0xF9400000,  # adrp x0; ldr x0, [x0]
             0x90000000, 0xF9400001, 0x91000000, 0xD63F0020,  # adrp; ldr x1; add; blr x1
             0xD65F03C0)  # ret
    _func(start, "_start", struct.pack(f"<{len(words)}I", *words))
    data = start.section(".data.v", SectionKind.DATA, 8)
    start.define("v", data.name, data.append(bytes(8)), 8)
    tls = start.section(".tbss.t", SectionKind.BSS, 8)
    tls.tls = True
    start.define("t", tls.name, tls.reserve(24) + 16, 8)
    for off, kind, sym in ((0, "R_AARCH64_ADR_GOT_PAGE", "v"), (4, "R_AARCH64_LD64_GOT_LO12_NC", "v"),
                           (8, "R_AARCH64_TLSDESC_ADR_PAGE21", "t"),
                           (12, "R_AARCH64_TLSDESC_LD64_LO12", "t"),
                           (16, "R_AARCH64_TLSDESC_ADD_LO12", "t"),
                           (20, "R_AARCH64_TLSDESC_CALL", "t")):
        start.relocate(".text._start", off, kind, sym)
    image = _link([start], machine="aarch64")
    at, v = _symbol(image, "_start"), _symbol(image, "v")
    got = image.sections[".got"]
    assert (got.addr, v) in image.rebases  # the entry holds v's address
    code = _bytes(image, at, 28)
    adrp, ldr = struct.unpack_from("<II", code)
    page = ((((adrp >> 5) & 0x7FFFF) << 2) | ((adrp >> 29) & 3)) << 12
    assert (at & ~0xFFF) + page + ((ldr >> 10) & 0xFFF) * 8 == got.addr
    movz, movk, nop1, nop2 = struct.unpack_from("<IIII", code, 8)
    # variant I: 16 bytes of thread control block, then the block: t is 16 bytes in
    assert (movz & 0xFFE0001F, movk & 0xFFE0001F) == (0xD2A00000, 0xF2800000)
    assert (((movz >> 5) & 0xFFFF) << 16 | (movk >> 5) & 0xFFFF) == 16 + 16
    assert nop1 == nop2 == 0xD503201F
