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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from mochic.objfile.cfi import Row

if TYPE_CHECKING:
    from mochic.backends.copypatch.translate import Translation
    from mochic.objfile.model import ObjectFile

OPERANDS = ("D", "A", "B", "C", "FS", "FI", "LINE", "N", "KS", "K", "K2")
CODE = ("CONTINUE", "TARGET", "CALLEE")
ENTER = "mochi.enter"  # the code that enters `main` from C: enter(frames)
LIMITS = "mochi.limits"  # JitLimits (stencils/jit.h): where frames and the stack end
LIMITS_SIZE = 24
FUNCTION = "mochi.fn."  # the prefix of a Mochi function's code symbol


def function_symbol(name: str) -> str:
    """The symbol of a Mochi function's code."""
    return FUNCTION + name


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


@dataclass
class Placed:
    """Where a translated function's pieces went in `.text`."""

    translation: Translation
    offsets: list[list[int]]  # per step, the offset of each piece
    start: int
    end: int


@dataclass
class Stitched:
    obj: ObjectFile
    functions: dict[str, Placed]  # empty for an object read back from the compile cache
    stencils: Mapping[str, Stencil]
    ir_ops: int
    frame_reserve: int  # bytes the deepest frame of any function may use past its start
