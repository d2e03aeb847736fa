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

import functools
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from mochic import stack
from mochic.backends.copypatch.model import (
    ENTER,
    LIMITS,
    LIMITS_SIZE,
    OPERANDS,
    Hole,
    Placed,
    Stencil,
    Stitched,
)
from mochic.backends.copypatch.patch import PC_RELATIVE, SECTION_RELATIVE, PatchError, patch
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
from mochic.objfile.fields import MASK64
from mochic.objfile.model import Binding, LineRow, ObjectFile, SectionKind, SymbolKind
from mochic.runtime.layout import LP64, Ref
from mochic.runtime.statics import StaticData

# Rewrites an absolute address hole into a position-independent form and relocates
# that instead: (object, .text, offset, kind, symbol, addend); backends/native/pic.py
AddressRewrite = Callable[[ObjectFile, bytearray, int, str, str, int], None]


def stencils_for(machine: str) -> Mapping[str, Stencil]:
    """The stencils of ``machine`` (generated/<machine>.stencils); NoStencil if it has none."""
    if machine not in STENCIL_SETS:
        raise NoStencil(f"no stencils for {machine}")
    return load_stencils(machine).stencils


def stitch_program(module: ir.Module, machine: str,
                   rewrite: AddressRewrite | None = None) -> Stitched:
    """The program as an object for ``machine`` (raises NoStencil); with ``rewrite``,
    every absolute address in `.text` goes through it (a position-independent
    executable's code)."""
    return layout(module, translate_program(module, machine), rewrite)


@dataclass
class Translated:
    """Every function `main` reaches as stencil uses, before they are placed."""

    obj: ObjectFile  # with the static data the translations refer to
    translations: list[Translation]
    stencils: Mapping[str, Stencil]


def translate_program(module: ir.Module, machine: str) -> Translated:
    """Step 1: inline and translate every reachable function (raises NoStencil)."""
    stencils = stencils_for(machine)
    obj = ObjectFile(machine, module.file)
    data = StaticData(obj, module.structs, LP64)
    limits = data.zeroed(LIMITS, LIMITS_SIZE, Binding.GLOBAL)
    translations = [translate(inline_calls(fn, module), module, data, stencils, limits)
                    for fn in module.reachable()]
    return Translated(obj, translations, stencils)


def layout(module: ir.Module, translated: Translated,
           rewrite: AddressRewrite | None = None) -> Stitched:
    """Steps 2 and 3, the stitching proper: copy the stencils into `.text` one after
    another and fill or relocate their holes, by each stencil's patch plan (once per
    ``translated``: its object receives the code)."""
    obj, translations, stencils = translated.obj, translated.translations, translated.stencils
    text = obj.section(".text", SectionKind.TEXT, 16)
    enter = Piece("enter", {"K": Ref(LIMITS), "K2": stack.JIT_STACK_BUDGET,
                            "N": stack.CALL_DEPTH},
                  callee=module.main)
    used = {p.stencil for t in translations for s in t.steps for p in s.pieces} | {"enter"}
    plans = {name: _plan(stencils[name]) for name in used}
    offset = plans["enter"].size
    placed: dict[str, Placed] = {}
    for t in translations:
        start = offset
        offsets = []
        for step in t.steps:
            row = []
            for p in step.pieces:
                row.append(offset)
                offset += plans[p.stencil].size
            offsets.append(row)
        placed[t.fn.name] = Placed(t, offsets, start, offset)
    text.data = bytearray(offset)
    obj.define(ENTER, ".text", 0, plans["enter"].size, Binding.GLOBAL, SymbolKind.FUNC)
    for name, p in placed.items():
        obj.define(function_symbol(name), ".text", p.start, p.end - p.start, Binding.LOCAL,
                   SymbolKind.FUNC)
    # the constant data of the stencils used, once each
    rodata = obj.section(".rodata", SectionKind.RODATA, 8)
    for name in sorted(used):
        st = stencils[name]
        if st.data:
            obj.define(_data_symbol(name), ".rodata", rodata.append(st.data, st.data_align),
                       len(st.data))
    functions = {name: p.start for name, p in placed.items()}
    stitcher = _Stitcher(obj, text.data, functions, rewrite, plans)
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
    reserve = max((t.frame + t.outgoing for t in translations), default=0)
    return Stitched(obj, placed, stencils, ir_ops, reserve)


def _data_symbol(stencil: str) -> str:
    return f"mochi.stencil.{stencil}"


def _step_start(p: Placed, k: int) -> int:
    """The offset of step k's code (the next code if the step has none)."""
    for row in p.offsets[k:]:
        if row:
            return row[0]
    return p.end


# Hole kinds that are whole little-endian integers, packed by `struct` with the
# stencil's code in one call: the format character, and the mask applied first
# (-1: none, so that struct checks the range; 64-bit words take any value, as
# objfile/fields.py writes them).
_WHOLE = {"R_X86_64_32S": ("i", -1), "R_X86_64_32": ("I", -1), "R_X86_64_PC32": ("i", -1),
          "R_X86_64_PLT32": ("i", -1), "R_X86_64_64": ("Q", MASK64),
          "R_AARCH64_ABS64": ("Q", MASK64), "R_RISCV_64": ("Q", MASK64)}
# Operands that may be an address (a Ref), relocated rather than packed.
_MAYBE_ADDRESS = frozenset({"K", "K2"})


@dataclass(frozen=True)
class _Plan:
    """How to copy one stencil: ``pack`` writes its code with every whole-integer
    hole filled, from ``args`` (the code between the holes, and the holes whose
    value is known now: a fall-through's offset) with the per-use values put in:
    ``operands`` (argument index, hole name, addend, mask), ``targets`` and
    ``callees`` (argument index, addend minus the hole's offset: the branch's
    S - P once the target's offset is added), ``addresses`` (the same as
    ``operands``, plus the hole's offset and kind) those whose value may be an
    address to relocate instead (a Ref; 0 is packed).  ``relocations`` are the holes
    that always take an address (offset, kind, symbol, addend): a runtime
    function, the stencil's data; ``rest`` are patched one by one: operands
    that may be addresses, bit fields."""

    size: int
    pack: struct.Struct
    args: tuple[bytes | int | None, ...]
    operands: tuple[tuple[int, str, int, int], ...]
    targets: tuple[tuple[int, int], ...]
    callees: tuple[tuple[int, int], ...]
    addresses: tuple[tuple[int, str, int, int, int, str], ...]
    relocations: tuple[tuple[int, str, str, int], ...]
    rest: tuple[Hole, ...]


@functools.lru_cache(maxsize=4096)  # by value: a plan is made once per stencil
def _plan(st: Stencil) -> _Plan:
    fmt = ["<"]
    args: list[bytes | int | None] = []
    operands, targets, callees, addresses, relocations, rest = [], [], [], [], [], []
    at = 0
    for h in st.holes:
        if h.value == "data" or h.value.startswith("sym:"):
            symbol = _data_symbol(st.name) if h.value == "data" else h.value[4:]
            relocations.append((h.offset, h.kind, symbol, h.addend))
            continue
        whole = _WHOLE.get(h.kind)
        in_text = h.value in ("CONTINUE", "TARGET", "CALLEE")
        if whole is None or (in_text and h.kind not in SECTION_RELATIVE) or \
                (not in_text and (h.kind in PC_RELATIVE or h.value not in OPERANDS)):
            rest.append(h)
            continue
        if h.offset > at:
            fmt.append(f"{h.offset - at}s")
            args.append(st.code[at:h.offset])
        char, mask = whole
        fmt.append(char)
        i = len(args)
        if h.value == "CONTINUE":
            args.append(len(st.code) + h.addend - h.offset)
        else:
            args.append(None)
            if h.value == "TARGET":
                targets.append((i, h.addend - h.offset))
            elif h.value == "CALLEE":
                callees.append((i, h.addend - h.offset))
            elif h.value in _MAYBE_ADDRESS:
                addresses.append((i, h.value, h.addend, mask, h.offset, h.kind))
            else:
                operands.append((i, h.value, h.addend, mask))
        at = h.offset + struct.calcsize("<" + char)
    if len(st.code) > at:
        fmt.append(f"{len(st.code) - at}s")
        args.append(st.code[at:])
    return _Plan(len(st.code), struct.Struct("".join(fmt)), tuple(args), tuple(operands),
                 tuple(targets), tuple(callees), tuple(addresses), tuple(relocations),
                 tuple(rest))


class _Stitcher:
    """Copies stencils into `.text` and fills or relocates their holes."""

    def __init__(self, obj: ObjectFile, text: bytearray, functions: dict[str, int],
                 rewrite: AddressRewrite | None, plans: dict[str, _Plan]) -> None:
        self.obj = obj
        self.text = text
        self.functions = functions
        self.rewrite = rewrite
        self.plans = plans

    def address(self, at: int, kind: str, symbol: str, addend: int) -> None:
        """Relocate the hole at ``at`` to the address ``symbol`` + ``addend``."""
        if self.rewrite is not None and kind not in PC_RELATIVE:
            self.rewrite(self.obj, self.text, at, kind, symbol, addend)
        else:
            self.obj.relocate(".text", at, kind, symbol, addend)

    def piece(self, off: int, piece: Piece, labels: dict[str, int]) -> None:
        """Copy ``piece``'s stencil to ``off`` and fill its holes (``labels``: the
        offsets of the blocks of the function it is in)."""
        plan = self.plans[piece.stencil]
        args = list(plan.args)
        values = piece.values
        try:
            for i, name, addend, mask in plan.operands:
                args[i] = (values[name] + addend) & mask
            refs = []  # relocated once the code is in place (a rewrite reads it)
            for i, name, addend, mask, at, kind in plan.addresses:
                v = values[name]
                if isinstance(v, Ref):
                    args[i] = 0
                    refs.append((off + at, kind, v.symbol, v.addend + addend))
                else:
                    args[i] = (v + addend) & mask
            if plan.targets:
                assert piece.target is not None
                base = labels[piece.target] - off
                for i, addend in plan.targets:
                    args[i] = base + addend
            if plan.callees:
                assert piece.callee is not None
                base = self.functions[piece.callee] - off
                for i, addend in plan.callees:
                    args[i] = base + addend
            plan.pack.pack_into(self.text, off, *args)
        except KeyError as e:
            raise AssertionError(f"stencil {piece.stencil}: no value for hole {e}") from None
        except (struct.error, TypeError) as e:
            raise PatchError(f"stencil {piece.stencil}: a hole's value does not fit its "
                             f"field: {e}") from None
        for at, kind, symbol, addend in refs:
            self.address(at, kind, symbol, addend)
        for at, kind, symbol, addend in plan.relocations:
            self.address(off + at, kind, piece.calls.get(symbol, symbol), addend)
        for h in plan.rest:
            self.hole(off, plan.size, piece, h, labels)

    def hole(self, off: int, size: int, piece: Piece, h: Hole,
             labels: dict[str, int]) -> None:
        """Fill or relocate one hole the plan leaves to be patched on its own."""
        text = self.text
        at = off + h.offset
        v = h.value
        if v == "CONTINUE":
            value: int | Ref = off + size
            in_text = True
        elif v == "TARGET":
            assert piece.target is not None
            value, in_text = labels[piece.target], True
        elif v == "CALLEE":
            assert piece.callee is not None
            value, in_text = self.functions[piece.callee], True
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
