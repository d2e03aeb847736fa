"""The copy-and-patch JIT: a typed IR module in, machine code in memory out.

1. Every function `main` reaches, with its calls of small leaf functions
   inlined (`inline.py`), is translated to stencils (`translate.py`);
   an instruction without a stencil stops here (`NoStencil`) and the caller
   runs the program on the interpreter instead.
2. Layout: one code area for the whole program, the `enter` stencil first,
   then each function's stencils in order, so each falls through into the
   next; then the stencils' constant data; then veneers (absolute jumps) for
   calls whose target is out of a branch's reach.
3. Every hole is patched (`patch.py`) in a buffer, the buffer is copied into
   a fresh read-write mapping, which then becomes read+execute (`memory.py`).
4. `run` enters `main` through `enter` from a thread with a 1 GiB stack.
"""

from __future__ import annotations

import ctypes
import os
import platform
from dataclasses import dataclass, field
from types import ModuleType

from mochic import toolchain
from mochic.backends.copypatch.inline import inline_calls
from mochic.backends.copypatch.memory import CodeMemory, FrameStack
from mochic.backends.copypatch.model import Stencil
from mochic.backends.copypatch.patch import BRANCH_RANGE, PC_RELATIVE, patch, veneer
from mochic.backends.copypatch.rtlib import Runtime, shared_library
from mochic.backends.copypatch.translate import SLOT, NoStencil, Piece, Translation, translate
from mochic.ir import ir

STACK = 1 << 30  # the thread Mochi code runs on (mochic.stack.run_in_big_stack)
STACK_BUDGET = STACK - (64 << 20)  # what Mochi calls may use below `enter`
FRAMES = 256 << 20  # the frame stack: 256 MiB, committed as deep recursion touches it


class JitUnavailable(Exception):
    """The JIT cannot run this program here; the reason says why."""


def host_machine() -> str | None:
    """The stencil set this machine runs (x86_64 or aarch64 Linux), or None."""
    m = platform.machine().lower()
    if platform.system() != "Linux":
        return None
    return {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64",
            "arm64": "aarch64"}.get(m)


def stencil_module(machine: str) -> ModuleType:
    if machine == "x86_64":
        from mochic.backends.copypatch.generated import x86_64 as mod
    else:
        from mochic.backends.copypatch.generated import aarch64 as mod
    return mod


@dataclass
class Placed:
    """Where a translated function's pieces went."""

    translation: Translation
    offsets: list[list[int]]  # per step, the offset of each piece
    start: int
    end: int


@dataclass
class Program:
    memory: CodeMemory
    rt: Runtime
    functions: dict[str, Placed]
    stencils: dict[str, Stencil]
    machine: str
    enter: int
    limits: int
    code_size: int
    ir_ops: int = 0
    keep: list[object] = field(default_factory=list)

    def address(self, offset: int) -> int:
        return self.memory.addr + offset


def compile_program(module: ir.Module, log: toolchain.Log = lambda _m: None,
                    machine: str | None = None) -> Program:
    """Translate, lay out, patch and map the whole program; raise JitUnavailable if
    some instruction has no stencil or this machine cannot run the JIT."""
    machine = machine or host_machine()
    if machine is None:
        raise JitUnavailable(f"no stencils for {platform.machine()} {platform.system()}")
    stencils: dict[str, Stencil] = stencil_module(machine).STENCILS
    rt = Runtime(shared_library(log), module.structs)
    rt.lib.mochi_init(ctypes.c_void_p(rt.cstring(module.file)), 0, None)
    gbase = rt.zeroed(SLOT * len(module.globals))
    globals_ = {name: gbase + SLOT * i for i, name in enumerate(module.globals)}
    limits = rt.zeroed(16)
    translations = []
    for fn in module.reachable():
        try:
            translations.append(translate(inline_calls(fn, module), module, rt, stencils,
                                          globals_, limits))
        except NoStencil as e:
            raise JitUnavailable(f"no stencil {e.args[0]} (in function {fn.name})") from None
    return _layout(module, translations, rt, stencils, machine, limits)


def _layout(module: ir.Module, translations: list[Translation], rt: Runtime,
            stencils: dict[str, Stencil], machine: str, limits: int) -> Program:
    enter_piece = Piece("enter", {"K": limits, "K2": STACK_BUDGET})
    enter_piece.callee = module.main
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
    # constant data of the stencils used, once each
    used = {p.stencil for t in translations for s in t.steps for p in s.pieces} | {"enter"}
    data_at: dict[str, int] = {}
    for name in sorted(used):
        st = stencils[name]
        if st.data:
            offset += -offset % st.data_align
            data_at[name] = offset
            offset += len(st.data)
    symbols = sorted({h.value[4:] for name in used for h in stencils[name].holes
                      if h.value.startswith("sym:")})
    vsize = len(veneer(machine, 0))
    offset += -offset % 16
    veneer_at = {s: offset + i * vsize for i, s in enumerate(symbols)}
    total = offset + vsize * len(symbols)
    mem = CodeMemory(total)
    prog = Program(mem, rt, placed, stencils, machine, mem.addr, limits, total)
    prog.ir_ops = sum(len(b.instrs) + 1 for t in translations for b in t.fn.blocks)
    buf = bytearray(total)
    addr = {s: rt.function(s) for s in symbols}
    for s in symbols:
        buf[veneer_at[s]:veneer_at[s] + vsize] = veneer(machine, addr[s])
    for name, at in data_at.items():
        buf[at:at + len(stencils[name].data)] = stencils[name].data
    # a function's entry is its first piece (an empty first step falls to the next)
    where = Addresses(mem.addr, {name: mem.addr + p.start for name, p in placed.items()},
                      addr, veneer_at, data_at)
    _patch(buf, 0, enter_piece, stencils, where, {})
    for p in placed.values():
        t = p.translation
        labels = {label: mem.addr + _step_start(p, k) for label, k in t.labels.items()}
        for step, row in zip(t.steps, p.offsets, strict=True):
            for piece, off in zip(step.pieces, row, strict=True):
                _patch(buf, off, piece, stencils, where, labels)
    mem.write(0, bytes(buf))
    mem.seal(rt.lib.mochi_clear_cache)
    return prog


def _step_start(p: Placed, k: int) -> int:
    """The offset of step k's code (the next code if the step has none)."""
    for row in p.offsets[k:]:
        if row:
            return row[0]
    return p.end


@dataclass
class Addresses:
    """Where the holes of a program's stencils point: the code's base address,
    each function's entry, each runtime symbol and its veneer (offset), each
    stencil's constant data (offset)."""

    base: int
    functions: dict[str, int]
    symbols: dict[str, int]
    veneers: dict[str, int]
    data: dict[str, int]


def _patch(buf: bytearray, off: int, piece: Piece, stencils: dict[str, Stencil],
           where: Addresses, labels: dict[str, int]) -> None:
    """Copy ``piece``'s stencil to ``off`` in ``buf`` and fill its holes (``labels``:
    the addresses of the blocks of the function it is in)."""
    st = stencils[piece.stencil]
    buf[off:off + len(st.code)] = st.code
    base = where.base
    values = dict(piece.values)
    if piece.code_of is not None:
        values["K"] = where.functions[piece.code_of]
    for h in st.holes:
        place = base + off + h.offset
        v = h.value
        if v == "CONTINUE":
            s = base + off + len(st.code)
        elif v == "TARGET":
            assert piece.target is not None
            s = labels[piece.target]
        elif v == "CALLEE":
            assert piece.callee is not None
            s = where.functions[piece.callee]
        elif v == "data":
            s = base + where.data[piece.stencil]
        elif v.startswith("sym:"):
            name = v[4:]
            s = where.symbols[name]
            reach = BRANCH_RANGE.get(h.kind)
            if h.kind in PC_RELATIVE and reach is not None and \
                    not -reach <= s + h.addend - place < reach:
                s = base + where.veneers[name]
        else:
            if v not in values:
                raise AssertionError(f"stencil {piece.stencil}: no value for hole {v}")
            s = values[v]
        patch(buf, off + h.offset, h.kind, s + h.addend, place)


def write_perf_map(prog: Program) -> None:
    """/tmp/perf-PID.map: `perf report` names the JIT'd Mochi functions."""
    lines = [f"{prog.address(0):x} {len(prog.stencils['enter'].code):x} mochi:enter"]
    for name, p in prog.functions.items():
        lines.append(f"{prog.address(p.start):x} {p.end - p.start:x} mochi:{name}")
    with open(f"/tmp/perf-{os.getpid()}.map", "a") as f:
        f.write("\n".join(lines) + "\n")


def run(prog: Program) -> None:
    """Run `main` (on the calling thread: use mochic.stack.run_in_big_stack)."""
    frames = FrameStack(FRAMES)
    prog.keep.append(frames)
    reserve = max(p.translation.frame + p.translation.outgoing
                  for p in prog.functions.values()) + (64 << 10)
    ctypes.c_void_p.from_address(prog.limits).value = frames.addr + frames.size - reserve
    enter = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(prog.enter)
    enter(frames.addr)
    prog.rt.lib.mochi_flush()
