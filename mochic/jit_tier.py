"""`mochic run` on the JIT: compile the whole program to machine code, then run
it; or say why not, so that the caller runs it on the interpreter."""

from __future__ import annotations

import os
import sys
import time

from mochic.ir.ir import Module
from mochic.stack import run_in_big_stack


def note(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_jit(module: Module, forced: bool, verbose: bool) -> int | None:
    """Run ``module`` on the JIT and return its exit status, or None when the JIT
    cannot run it and the interpreter should (an error status if --tier jit)."""
    from mochic.backends.copypatch import jit
    from mochic.backends.copypatch.rtlib import shared_library
    from mochic.toolchain import ToolchainError
    try:
        if jit.host_machine() is not None:
            shared_library(note)  # built once per version: not part of the compile time
        t0 = time.perf_counter()
        prog = run_in_big_stack(lambda: jit.compile_program(module, note))
    except (jit.JitUnavailable, ToolchainError, OSError) as e:
        if forced:
            note(f"mochic: error: the JIT cannot run this program: {e}")
            return 1
        if verbose:
            note(f"mochic: the JIT cannot run this program ({e}); falling back to interp")
        return None
    seconds = time.perf_counter() - t0
    if verbose:
        note(f"mochic: running on the jit tier ({len(prog.functions)} functions, "
              f"{prog.ir_ops} IR operations, {prog.code_size} bytes of {prog.machine} code "
              f"in {seconds * 1000:.1f} ms: {prog.ir_ops / max(seconds, 1e-9):,.0f} ops/s)")
    if os.environ.get("MOCHIC_PERF_MAP") == "1":
        jit.write_perf_map(prog)
    run_in_big_stack(lambda: jit.run(prog))
    return 0
