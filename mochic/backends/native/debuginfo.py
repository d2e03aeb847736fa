"""The DWARF of a stitched program (`objfile/dwarf.py`): one compile unit for
the Mochi source, a subprogram per Mochi function, the line rows stitching
recorded (one per IR instruction), and each function's call frames made of
its stencils' (`Stencil.cfi`): at the start of every stencil the frame is
the function's entry frame again, since stencils fall through into each
other with the stack as they found it.  `enter` gets a frame description
too, so a debugger unwinds from Mochi code into the C that started it."""

from __future__ import annotations

import os

from mochic import __version__
from mochic.backends.copypatch.stitch import ENTER, Stitched
from mochic.objfile.cfi import FRAMES, Row
from mochic.objfile.dwarf import Function, Unit, add_dwarf


def _frame(stitched: Stitched, pieces: list[tuple[int, str]], start: int,
           initial: Row) -> list[Row]:
    rows = []
    for at, name in pieces:
        rows.append(initial._replace(offset=at - start))
        rows += [r._replace(offset=at - start + r.offset) for r in stitched.stencils[name].cfi]
    return rows


def add_debug_info(stitched: Stitched) -> None:
    obj = stitched.obj
    frame = FRAMES[obj.machine]
    enter = obj.symbols[ENTER]
    functions = [Function(ENTER, 1, enter.offset, enter.offset + enter.size,
                          _frame(stitched, [(enter.offset, "enter")], enter.offset,
                                 frame.initial), described=False)]
    for name, placed in stitched.functions.items():
        t = placed.translation
        pieces = [(off, piece.stencil) for step, row in zip(t.steps, placed.offsets, strict=True)
                  for piece, off in zip(step.pieces, row, strict=True)]
        functions.append(Function(name, t.fn.line, placed.start, placed.end,
                                  _frame(stitched, pieces, placed.start, frame.initial)))
    source = obj.source
    unit = Unit(file=source, comp_dir=os.path.dirname(os.path.abspath(source)) or "/",
                producer=f"mochic {__version__} (native backend)", code=".text",
                code_size=obj.sections[".text"].size, functions=functions, lines=obj.lines)
    add_dwarf(obj, unit, frame)
