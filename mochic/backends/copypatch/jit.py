"""The copy-and-patch JIT: a program's object (`stitch.py`) loaded into this
process and run.

1. `stitch.stitch_program` turns the IR module into an object; an
   instruction without a stencil stops here (JitUnavailable) and the caller
   runs the program on the interpreter instead.
2. Loading lays the object out in one mapping: `.text` followed by veneers
   (absolute jumps, for runtime calls beyond a branch's reach), then
   `.rodata`, then `.data` and `.bss`, each part on its own pages.  Every
   symbol resolves to its place there or, undefined in the object, to the
   runtime library loaded with ctypes; every relocation is applied
   (`patch.py`) in a buffer.
3. The buffer is copied into the fresh read-write mapping, whose code pages
   then become read+execute and `.rodata` read-only (`memory.py`): no page
   is ever writable and executable at once.
4. `run` enters `main` through `enter` from a thread with a 1 GiB stack.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import platform
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mochic import stack
from mochic.backends.copypatch.memory import PROT_EXEC, PROT_READ, CodeMemory, FrameStack
from mochic.backends.copypatch.model import ENTER, FUNCTION, LIMITS, Placed, Stencil, Stitched
from mochic.backends.copypatch.patch import BRANCH_RANGE, PatchError, patch, veneer

if TYPE_CHECKING:
    from mochic.ir import ir
    from mochic.toolchain.compilers import Log
from mochic.objfile.model import ObjectFile, SectionKind, SymbolKind


class JitUnavailable(Exception):
    """The JIT cannot run this program here; the reason says why."""


def host_machine() -> str | None:
    """The stencil set this machine runs (x86_64, aarch64 or riscv64 Linux), or None."""
    m = platform.machine().lower()
    if platform.system() != "Linux":
        return None
    return {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64",
            "arm64": "aarch64", "riscv64": "riscv64"}.get(m)


class RuntimeLibrary:
    """The runtime's shared object, loaded into this process."""

    def __init__(self, path: Path) -> None:
        self.lib = ctypes.CDLL(str(path))
        self.address("mochi_init")  # a library that is not the runtime is an error, not a crash

    def address(self, name: str) -> int:
        """Where a function or datum of the runtime (or the C library it links) is."""
        try:
            return ctypes.addressof(ctypes.c_char.in_dll(self.lib, name))
        except ValueError:
            from mochic.toolchain.compilers import ToolchainError
            raise ToolchainError(f"the JIT runtime has no symbol {name}") from None


@dataclass
class Program:
    stitched: Stitched
    memory: CodeMemory
    runtime: RuntimeLibrary
    bases: dict[str, int]  # section -> its offset in the mapping
    machine: str
    keep: list[object] = field(default_factory=list)

    @property
    def functions(self) -> dict[str, Placed]:
        return self.stitched.functions

    @property
    def stencils(self) -> Mapping[str, Stencil]:
        return self.stitched.stencils

    @property
    def ir_ops(self) -> int:
        return self.stitched.ir_ops

    @property
    def code_size(self) -> int:
        return self.stitched.obj.sections[".text"].size

    def address(self, text_offset: int) -> int:
        """The address of an offset into `.text`."""
        return self.memory.addr + self.bases[".text"] + text_offset

    def symbol(self, name: str) -> int:
        sym = self.stitched.obj.symbols[name]
        assert sym.section is not None
        return self.memory.addr + self.bases[sym.section] + sym.offset


def compile_program(module: ir.Module, log: Log = lambda _m: None,
                    machine: str | None = None) -> Program:
    """Stitch, load and patch the whole program; raise JitUnavailable if some
    instruction has no stencil or this machine cannot run the JIT.  Code for
    another ``machine`` is made and patched, never run."""
    from mochic.backends.copypatch.stitch import stitch_program
    from mochic.backends.copypatch.translate import NoStencil
    from mochic.toolchain.runtime import shared_library
    machine = machine or host_machine()
    if machine is None:
        raise JitUnavailable(f"no stencils for {platform.machine()} {platform.system()}")
    runtime = RuntimeLibrary(shared_library(log))
    try:
        stitched = stitch_program(module, machine)
    except NoStencil as e:
        raise JitUnavailable(str(e)) from None
    return start(stitched, runtime)


def start(stitched: Stitched, runtime: RuntimeLibrary) -> Program:
    """Load ``stitched`` and initialise the runtime for its program, ready to `run`."""
    prog = load(stitched, runtime)
    name = ctypes.create_string_buffer(os.fsencode(stitched.obj.source))
    prog.keep.append(name)
    runtime.lib.mochi_init(name, 0, None)
    return prog


_ORDER = (SectionKind.TEXT, SectionKind.RODATA, SectionKind.DATA, SectionKind.BSS)


@dataclass
class Image:
    """Where an object's parts go in one mapping of ``size`` bytes."""

    bases: dict[str, int]  # section -> offset
    far: list[str]  # runtime functions that branches reach, one veneer each
    veneers_at: int  # offset of the first veneer (after .text)
    protect: list[tuple[int, int, int]]  # (offset, size, protection) once patched
    size: int


def plan(obj: ObjectFile) -> Image:
    """Lay ``obj`` out: `.text` and its veneers, `.rodata`, then `.data` and `.bss`,
    each part on pages of its own (`.data` and `.bss` share theirs)."""
    far = sorted({r.symbol for r in obj.relocations
                  if r.kind in BRANCH_RANGE and not obj.symbols[r.symbol].defined})
    vsize = len(veneer(obj.machine, 0))
    text = obj.sections[".text"]
    veneers_at = text.size + -text.size % 16
    bases: dict[str, int] = {}
    protect: list[tuple[int, int, int]] = []
    offset = 0
    for kind in _ORDER:
        start = offset
        for sec in obj.sections.values():
            if sec.kind is kind:
                offset += -offset % sec.align
                bases[sec.name] = offset
                offset += sec.size
                if sec.name == ".text":
                    offset = veneers_at + vsize * len(far)
        if kind is not SectionKind.DATA:
            offset += -offset % mmap.PAGESIZE
        if kind in (SectionKind.TEXT, SectionKind.RODATA) and offset > start:
            protect.append((start, offset - start,
                            PROT_READ | (0 if kind is SectionKind.RODATA else PROT_EXEC)))
    return Image(bases, far, veneers_at, protect, max(offset, 1))


def relocate(obj: ObjectFile, image: Image, base: int,
             resolve: Callable[[str], int]) -> bytearray:
    """The bytes of ``image`` placed at ``base``: sections, veneers and every
    relocation applied, undefined symbols found by ``resolve``."""
    buf = bytearray(image.size)
    for name, at in image.bases.items():
        sec = obj.sections[name]
        if sec.kind is not SectionKind.BSS:
            buf[at:at + sec.size] = sec.data
    where = {sym.name: (base + image.bases[sym.section] + sym.offset
                        if sym.section is not None else resolve(sym.name))
             for sym in obj.symbols.values()}
    vsize = len(veneer(obj.machine, 0))
    veneer_of = {}
    for i, name in enumerate(image.far):
        at = image.veneers_at + i * vsize
        buf[at:at + vsize] = veneer(obj.machine, where[name])
        veneer_of[name] = base + at
    for r in obj.relocations:
        at = image.bases[r.section] + r.offset
        place = base + at
        s = where[r.symbol]
        if r.symbol in veneer_of:
            s = branch_target(r.kind, s, r.addend, place, veneer_of[r.symbol])
        try:
            patch(buf, at, r.kind, s + r.addend, place)
        except PatchError as e:
            from mochic.toolchain.compilers import ToolchainError
            raise ToolchainError(f"cannot place {r.symbol} for the JIT: {e}") from None
    return buf


def load(stitched: Stitched, runtime: RuntimeLibrary) -> Program:
    """Map, relocate and seal ``stitched`` against ``runtime``."""
    obj = stitched.obj
    image = plan(obj)
    mem = CodeMemory(image.size)
    mem.write(0, bytes(relocate(obj, image, mem.addr, runtime.address)))
    mem.seal(image.protect, runtime.lib.mochi_clear_cache)
    return Program(stitched, mem, runtime, image.bases, obj.machine)


def branch_target(kind: str, s: int, addend: int, place: int, veneer_at: int) -> int:
    """The S of a branch at ``place`` to ``s``: ``s`` itself when in reach, else the
    veneer at ``veneer_at`` that jumps there."""
    reach = BRANCH_RANGE.get(kind)
    if reach is None or -reach <= s + addend - place < reach:
        return s
    return veneer_at


def write_perf_map(prog: Program) -> None:
    """/tmp/perf-PID.map: `perf report` names the JIT'd Mochi functions."""
    lines = [f"{prog.symbol(sym.name):x} {sym.size:x} mochi:{_perf_name(sym.name)}"
             for sym in prog.stitched.obj.symbols.values()
             if sym.kind is SymbolKind.FUNC and sym.section == ".text"]
    with open(f"/tmp/perf-{os.getpid()}.map", "a") as f:
        f.write("\n".join(lines) + "\n")


def _perf_name(symbol: str) -> str:
    """`mochi:enter`, `mochi:NAME` for a Mochi function's code (`function_symbol`)."""
    return "enter" if symbol == ENTER else symbol.removeprefix(FUNCTION)


def run(prog: Program) -> None:
    """Run `main` (on the calling thread: use mochic.stack.run_in_big_stack)."""
    frames = FrameStack(stack.JIT_FRAMES)
    prog.keep.append(frames)
    reserve = prog.stitched.frame_reserve + (64 << 10)
    ctypes.c_void_p.from_address(prog.symbol(LIMITS)).value = \
        frames.addr + frames.size - reserve
    enter = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(prog.symbol(ENTER))
    enter(frames.addr)
    prog.runtime.lib.mochi_flush()
