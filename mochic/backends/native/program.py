"""What the executable's start (`runtime/native/mochi_start.c`) reads about the
program: `mochi.program`, written into the stitched object.

    struct MochiProgram {
        const char *file;        the Mochi source, as runtime errors name it
        uint64_t frames;         bytes of the frame stack
        uint64_t frame_reserve;  bytes the deepest frame may use past its start
        uint64_t stack;          bytes of the machine stack Mochi code runs on
    };

The numbers are the JIT's (`mochic/stack.py`, `jit.run`), so a program
recurses as deep on every tier.
"""

from __future__ import annotations

import os
import struct

from mochic import stack
from mochic.backends.copypatch.stitch import Stitched
from mochic.objfile.model import ABS64, Binding, SectionKind, SymbolKind

PROGRAM = "mochi.program"
FRAME_SLACK = 64 << 10  # as jit.run: room past the deepest frame's reserve


def add_program(stitched: Stitched, file: str) -> None:
    obj = stitched.obj
    ro = obj.section(".rodata", SectionKind.RODATA, 8)
    name = os.fsencode(file) + b"\0"
    obj.define("mochi.program.file", ".rodata", ro.append(name), len(name))
    info = struct.pack("<QQQQ", 0, stack.JIT_FRAMES, stitched.frame_reserve + FRAME_SLACK,
                       stack.THREAD_STACK)
    at = ro.append(info, 8)
    obj.define(PROGRAM, ".rodata", at, len(info), Binding.GLOBAL, SymbolKind.DATA)
    obj.relocate(".rodata", at, ABS64[obj.machine], "mochi.program.file")
