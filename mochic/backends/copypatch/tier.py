"""`mochic run` on the JIT: compile the whole program to machine code, then run
it; or say why not (Unavailable), so that the driver runs it on the next tier."""

from __future__ import annotations

import os
import time

from mochic.backends import RunRequest, Unavailable
from mochic.ir.ir import Module
from mochic.stack import run_in_big_stack


def run(module: Module, request: RunRequest) -> int:
    from mochic.backends.copypatch import jit
    from mochic.toolchain.compilers import ToolchainError
    from mochic.toolchain.runtime import shared_library
    try:
        if jit.host_machine() is not None:
            shared_library(request.log)  # built once per version: not part of the compile time
        t0 = time.perf_counter()
        prog = run_in_big_stack(lambda: jit.compile_program(module, request.log))
    except (jit.JitUnavailable, ToolchainError, OSError) as e:
        raise Unavailable(str(e)) from None
    seconds = time.perf_counter() - t0
    if request.verbose:
        request.log(f"mochic: running on the jit tier ({len(prog.functions)} functions, "
                    f"{prog.ir_ops} IR operations, {prog.code_size} bytes of {prog.machine} "
                    f"code in {seconds * 1000:.1f} ms: "
                    f"{prog.ir_ops / max(seconds, 1e-9):,.0f} ops/s)")
    if os.environ.get("MOCHIC_PERF_MAP") == "1":
        jit.write_perf_map(prog)
    run_in_big_stack(lambda: jit.run(prog))
    return 0
