"""A whole program stitched from stencils into one format-neutral object.

1. Every function `main` reaches, with its calls of small leaf functions
   inlined (`ir/inline.py`), is translated to stencil uses
   (`translate.py`); an instruction without a stencil stops here
   (`NoStencil`).
2. `.text` holds the `enter` stencil, then each function's stencils in
   order, so that each falls through into the next.  Every hole whose value
   is known is filled now: operands, constants, and branches inside `.text`
   (jumps, calls of Mochi functions), which do not depend on where `.text`
   is placed.  Every other hole becomes a relocation: calls of the runtime,
   the addresses of static data (`runtime/statics.py`), of the stencils'
   constant data (in `.rodata`) and of code taken as a value (closures).
3. Each IR instruction's first byte of code is a line row, for DWARF.

Nothing here knows an address, so the object can be loaded into memory (the
JIT, `jit.py`) or linked into an executable (the native backend) alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from mochic import stack
from mochic.backends.copypatch.model import Stencil
from mochic.backends.copypatch.patch import PC_RELATIVE, SECTION_RELATIVE, patch
from mochic.backends.copypatch.stencilfile import MACHINES as STENCIL_SETS
from mochic.backends.copypatch.stencilfile import load as load_stencils
from mochic.backends.copypatch.translate import (
    NoStencil,
    Piece,
    Translation,
    function_symbol,
    translate,
)
from mochic.ir import ir
from mochic.ir.inline import inline_calls
from mochic.objfile.model import Binding, LineRow, ObjectFile, SectionKind, SymbolKind
from mochic.runtime.layout import LP64, Ref
from mochic.runtime.statics import StaticData

ENTER = "mochi.enter"  # the code that enters `main` from C: enter(frames)
LIMITS = "mochi.limits"  # JitLimits (stencils/jit.h): where frames and the stack end
LIMITS_SIZE = 24

# Rewrites an absolute address hole into a position-independent form and relocates
# that instead: (object, .text, offset, kind, symbol, addend); backends/native/pic.py
AddressRewrite = Callable[[ObjectFile, bytearray, int, str, str, int], None]


def stencils_for(machine: str) -> Mapping[str, Stencil]:
    """The stencils of ``machine`` (generated/<machine>.stencils); NoStencil if it has none."""
    if machine not in STENCIL_SETS:
        raise NoStencil(f"no stencils for {machine}")
    return load_stencils(machine).stencils


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
    functions: dict[str, Placed]
    stencils: Mapping[str, Stencil]
    ir_ops: int

    @property
    def frame_reserve(self) -> int:
        """Bytes the deepest frame of any function may use past its start."""
        return max((p.translation.frame + p.translation.outgoing
                    for p in self.functions.values()), default=0)


def stitch_program(module: ir.Module, machine: str,
                   rewrite: AddressRewrite | None = None) -> Stitched:
    """The program as an object for ``machine`` (raises NoStencil); with ``rewrite``,
    every absolute address in `.text` goes through it (a position-independent
    executable's code)."""
    stencils = stencils_for(machine)
    obj = ObjectFile(machine, module.file)
    data = StaticData(obj, module.structs, LP64)
    limits = data.zeroed(LIMITS, LIMITS_SIZE, Binding.GLOBAL)
    translations = [translate(inline_calls(fn, module), module, data, stencils, limits)
                    for fn in module.reachable()]
    return _layout(module, obj, translations, stencils, rewrite)


def _layout(module: ir.Module, obj: ObjectFile, translations: list[Translation],
            stencils: Mapping[str, Stencil], rewrite: AddressRewrite | None) -> Stitched:
    text = obj.section(".text", SectionKind.TEXT, 16)
    enter = Piece("enter", {"K": Ref(LIMITS), "K2": stack.JIT_STACK_BUDGET,
                            "N": stack.CALL_DEPTH},
                  callee=module.main)
    offset = len(stencils["enter"].code)
    placed: dict[str, Placed] = {}
    for t in translations:
        start = offset
        offsets = []
        for step in t.steps:
            row = []
            for p in step.pieces:
                row.append(offset)
                offset += len(stencils[p.stencil].code)
            offsets.append(row)
        placed[t.fn.name] = Placed(t, offsets, start, offset)
    text.data = bytearray(offset)
    obj.define(ENTER, ".text", 0, len(stencils["enter"].code), Binding.GLOBAL, SymbolKind.FUNC)
    for name, p in placed.items():
        obj.define(function_symbol(name), ".text", p.start, p.end - p.start, Binding.LOCAL,
                   SymbolKind.FUNC)
    # the constant data of the stencils used, once each
    used = {p.stencil for t in translations for s in t.steps for p in s.pieces} | {"enter"}
    rodata = obj.section(".rodata", SectionKind.RODATA, 8)
    for name in sorted(used):
        st = stencils[name]
        if st.data:
            obj.define(_data_symbol(name), ".rodata", rodata.append(st.data, st.data_align),
                       len(st.data))
    functions = {name: p.start for name, p in placed.items()}
    stitcher = _Stitcher(obj, text.data, stencils, functions, rewrite)
    stitcher.piece(0, enter, {})
    for p in placed.values():
        t = p.translation
        labels = {label: _step_start(p, k) for label, k in t.labels.items()}
        for step, row in zip(t.steps, p.offsets, strict=True):
            if row:
                obj.lines.append(LineRow(".text", row[0], step.line))
            for piece, off in zip(step.pieces, row, strict=True):
                stitcher.piece(off, piece, labels)
    ir_ops = sum(len(b.instrs) + 1 for t in translations for b in t.fn.blocks)
    return Stitched(obj, placed, stencils, ir_ops)


def _data_symbol(stencil: str) -> str:
    return f"mochi.stencil.{stencil}"


def _step_start(p: Placed, k: int) -> int:
    """The offset of step k's code (the next code if the step has none)."""
    for row in p.offsets[k:]:
        if row:
            return row[0]
    return p.end


class _Stitcher:
    """Copies stencils into `.text` and fills or relocates their holes."""

    def __init__(self, obj: ObjectFile, text: bytearray, stencils: Mapping[str, Stencil],
                 functions: dict[str, int], rewrite: AddressRewrite | None) -> None:
        self.obj = obj
        self.text = text
        self.stencils = stencils
        self.functions = functions
        self.rewrite = rewrite

    def address(self, at: int, kind: str, symbol: str, addend: int) -> None:
        """Relocate the hole at ``at`` to the address ``symbol`` + ``addend``."""
        if self.rewrite is not None and kind not in PC_RELATIVE:
            self.rewrite(self.obj, self.text, at, kind, symbol, addend)
        else:
            self.obj.relocate(".text", at, kind, symbol, addend)

    def piece(self, off: int, piece: Piece, labels: dict[str, int]) -> None:
        """Copy ``piece``'s stencil to ``off`` and fill its holes (``labels``: the
        offsets of the blocks of the function it is in)."""
        st = self.stencils[piece.stencil]
        text = self.text
        text[off:off + len(st.code)] = st.code
        for h in st.holes:
            at = off + h.offset
            v = h.value
            if v == "CONTINUE":
                value: int | Ref = off + len(st.code)
                in_text = True
            elif v == "TARGET":
                assert piece.target is not None
                value, in_text = labels[piece.target], True
            elif v == "CALLEE":
                assert piece.callee is not None
                value, in_text = self.functions[piece.callee], True
            elif v == "data":
                value, in_text = Ref(_data_symbol(piece.stencil)), False
            elif v.startswith("sym:"):
                value, in_text = Ref(v[4:]), False
            else:
                if v not in piece.values:
                    raise AssertionError(f"stencil {piece.stencil}: no value for hole {v}")
                value, in_text = piece.values[v], False
            if isinstance(value, Ref):
                self.address(at, h.kind, value.symbol, value.addend + h.addend)
            elif not in_text:
                patch(text, at, h.kind, value + h.addend, at)
            elif h.kind in SECTION_RELATIVE:
                patch(text, at, h.kind, value + h.addend, at)  # S - P: the same wherever .text is
            else:  # an absolute address in .text: relative to its start, where `enter` is
                self.address(at, h.kind, ENTER, value + h.addend)
