"""Linking a stitched program with the runtime's objects and musl, in this
process: the start file is read (`objfile/elfread.py`), the archives are
searched through their member caches (`objfile/link/library.py`), and the
whole is linked (`objfile/link/`) into a static PIE and written
(`objfile/elfexec.py`)."""

from __future__ import annotations

from mochic.objfile.archive import ArchiveError
from mochic.objfile.elf import ElfError
from mochic.objfile.elfexec import elf_format, write_executable
from mochic.objfile.elfread import read_object
from mochic.objfile.link import isa
from mochic.objfile.link.library import Library
from mochic.objfile.link.linker import LinkError, link
from mochic.objfile.model import ObjectFile
from mochic.targets import Target
from mochic.toolchain.compilers import Log
from mochic.toolchain.native import native_runtime


def _read(data: bytes, name: str) -> ObjectFile:
    try:
        return read_object(data, name)
    except ElfError as e:
        raise LinkError(str(e)) from None


def link_program(program: ObjectFile, target: Target, strip: bool, log: Log) -> bytes:
    """The executable of ``program`` for ``target`` (raises LinkError, ToolchainError)."""
    runtime = native_runtime(target, log)
    try:
        objects = [program] + [_read(p.read_bytes(), p.name) for p in runtime.objects]
        libraries = [Library(p, _read) for p in runtime.archives]
        image = link(isa(target.arch), objects, libraries, elf_format(pie=True),
                     symbols=not strip)
    except (OSError, ArchiveError) as e:
        raise LinkError(f"cannot read the native runtime: {e}") from None
    for lib in libraries:
        lib.save()
    return write_executable(image, strip)
