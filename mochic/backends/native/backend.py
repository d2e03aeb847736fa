"""`mochic build --backend native`: the JIT's stencils stitched ahead of time
into an object, linked by mochic's own linker into a static executable.

    IR module --stitch (copypatch/stitch.py, address holes position-independent: pic.py)
              --> object: .text .rodata .data .bss  + mochi.program (program.py)
                  + DWARF (dev mode: dwarf.py)
              --> --emit obj: an ELF relocatable object (objfile/elfwrite.py)
              --> exe: linked (objfile/link/) with the runtime's objects and musl
                  (toolchain/native.py, built once per target) into a static PIE
                  (objfile/elfexec.py); release builds are stripped

No compiler or linker runs once the runtime objects are cached.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from mochic.backends import Artifact, BuildError, BuildRequest
from mochic.backends.copypatch.stitch import Stitched, stitch_program
from mochic.backends.copypatch.translate import NoStencil
from mochic.backends.native.link import link_program
from mochic.backends.native.pic import REWRITES, PicError
from mochic.backends.native.program import add_program
from mochic.ir.ir import Module
from mochic.objfile.elfwrite import write_object
from mochic.objfile.link.linker import LinkError
from mochic.objfile.model import ObjectError
from mochic.stack import run_in_big_stack
from mochic.toolchain.compilers import ToolchainError


def stitch(module: Module, machine: str, debug: bool) -> Stitched:
    """The program's object for ``machine``: stitched, with its start-up data and, with
    ``debug``, its DWARF."""
    try:
        stitched = run_in_big_stack(lambda: stitch_program(module, machine, REWRITES[machine]))
    except NoStencil as e:
        raise BuildError(f"the native backend cannot build this program: {e}") from None
    except PicError as e:
        raise BuildError(f"internal compiler error in the native backend: {e}") from None
    add_program(stitched, module.file)
    if debug:
        from mochic.backends.native.debuginfo import add_debug_info
        add_debug_info(stitched)
    return stitched


def build(module: Module, request: BuildRequest) -> Artifact:
    try:
        return _build(module, request)
    except (BuildError, KeyboardInterrupt):
        raise
    except Exception as e:  # a compiler bug must not surface as a traceback
        raise BuildError(f"internal compiler error in the native backend: "
                         f"{type(e).__name__}: {e}") from None


def _build(module: Module, request: BuildRequest) -> Artifact:
    start = time.perf_counter()
    machine = request.target.arch
    if machine not in REWRITES:
        raise BuildError(f"the native backend has no stencils for {machine}")
    stitched = stitch(module, machine, request.mode == "dev")
    out = request.output
    try:
        if request.emit == "obj":
            data = write_object(stitched.obj)
            what = "the object"
        else:
            data = link_program(stitched.obj, request.target, request.mode == "release",
                                request.log)
            what = "linked by mochic"
    except (LinkError, ObjectError, ToolchainError) as e:
        raise BuildError(str(e)) from None
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        _write(out, data, executable=request.emit == "exe")
    return Artifact(out, f"({what}, {len(data):,} bytes) in "
                         f"{time.perf_counter() - start:.3f} s")


def _write(out: Path, data: bytes, executable: bool) -> None:
    """Write ``out`` whole or not at all."""
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        if executable:
            os.chmod(tmp, 0o755)
        os.replace(tmp, out)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise BuildError(f"cannot write {out}: {e.strerror or e}") from None
