"""What a stencil is: machine code with holes, as the generator writes it and
the JIT reads it.

A hole is a place in the code that the JIT fills when it copies the stencil:
``offset`` into the code, the relocation ``kind`` that says how the value is
encoded there (an ELF relocation name: `R_X86_64_32S`, `R_AARCH64_CALL26` ...),
``value`` what fills it, and ``addend`` added to that value as the relocation
says.  Values:

- a stencil-ABI name (`jit.h`): `D` `A` `B` `C` `FS` `FI` `LINE` `N` `KS` `K`
  `K2` (numbers the JIT knows per instruction), `CONTINUE` `TARGET` `CALLEE`
  (code addresses);
- `sym:NAME`: a function of the runtime library or the C library;
- `data`: the stencil's own constant data (`data`), copied next to the code.

``cfi`` lists the places where the stencil moves the stack pointer or saves
a register, as clang's unwind tables say (`objfile/cfi.py`); the native
backend's debug frames are made of them.
"""

from __future__ import annotations

from typing import NamedTuple

from mochic.objfile.cfi import Row

OPERANDS = ("D", "A", "B", "C", "FS", "FI", "LINE", "N", "KS", "K", "K2")
CODE = ("CONTINUE", "TARGET", "CALLEE")


class Hole(NamedTuple):
    offset: int
    kind: str
    value: str
    addend: int


class Stencil(NamedTuple):
    name: str
    code: bytes
    holes: tuple[Hole, ...]
    data: bytes = b""
    data_align: int = 1
    cfi: tuple[Row, ...] = ()  # where the frame changes (call frame information)
