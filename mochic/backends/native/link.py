"""Linking a stitched program with the runtime's objects and musl, in this
process: the inputs are read (`objfile/elfread.py`, `objfile/archive.py`),
linked (`objfile/link/`) into a static PIE and written
(`objfile/elfexec.py`)."""

from __future__ import annotations

from mochic.objfile.archive import ArchiveError, read_archive
from mochic.objfile.elf import ElfError
from mochic.objfile.elfexec import elf_format, write_executable
from mochic.objfile.elfread import read_object
from mochic.objfile.link import ISAS
from mochic.objfile.link.linker import LinkError, link
from mochic.objfile.model import ObjectFile
from mochic.targets import Target
from mochic.toolchain.compilers import Log
from mochic.toolchain.native import native_runtime


def link_program(program: ObjectFile, target: Target, strip: bool, log: Log) -> bytes:
    """The executable of ``program`` for ``target`` (raises LinkError, ToolchainError)."""
    runtime = native_runtime(target, log)
    try:
        objects = [program] + [read_object(p.read_bytes(), p.name) for p in runtime.objects]
        archives = [read_archive(p.read_bytes(), p.name) for p in runtime.archives]
    except (OSError, ElfError, ArchiveError) as e:
        raise LinkError(f"cannot read the native runtime: {e}") from None

    def read(data: bytes, name: str) -> ObjectFile:
        try:
            return read_object(data, name)
        except ElfError as e:
            raise LinkError(str(e)) from None

    image = link(ISAS[target.arch], objects, archives, read, elf_format(pie=True))
    return write_executable(image, strip)

