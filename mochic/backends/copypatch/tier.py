"""`mochic run` on the JIT: compile the whole program to machine code, then run
it; or say why not (Unavailable), so that the driver runs it on the next tier."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from mochic.backends import RunRequest, Unavailable
from mochic.stack import run_in_big_stack

if TYPE_CHECKING:
    from mochic.backends.copypatch import jit
    from mochic.ir.ir import Module


def run(module: Module, request: RunRequest) -> int:
    from mochic.backends.copypatch import jit
    from mochic.toolchain.compilers import ToolchainError
    from mochic.toolchain.runtime import shared_library
    library = None
    try:
        if jit.host_machine() is not None:
            library = shared_library(request.log)  # built once per version: not compile time
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
    if request.cache_key is not None and library is not None:
        from mochic.backends.copypatch import runcache
        runcache.store(request.cache_key, prog.stitched, library)
    return execute(prog)


def cache_key(path: str, source: str) -> str | None:
    """The compile cache's key for ``source`` read from ``path``, where the JIT runs."""
    from mochic.backends.copypatch import jit, runcache
    machine = jit.host_machine()
    if machine is None:
        return None
    return runcache.key(path, source, machine, runcache.compiler_identity())


def run_cached(key: str, request: RunRequest) -> int | None:
    """Run the program the compile cache holds under ``key``; None if it holds
    none that this machine can load (the caller compiles it)."""
    from mochic.backends.copypatch import jit, runcache
    from mochic.toolchain.cache import intact
    entry = runcache.load(key)
    if entry is None or not intact(entry.library):
        return None
    try:
        runtime = jit.RuntimeLibrary(entry.library)
        prog = jit.start(entry.stitched, runtime)
    except (OSError, RuntimeError):  # not loadable here (ToolchainError): compile it again
        return None
    if request.verbose:
        request.log(f"mochic: running on the jit tier (from the compile cache: "
                    f"{prog.ir_ops} IR operations, {prog.code_size} bytes of {prog.machine} "
                    f"code)")
    return execute(prog)


def execute(prog: jit.Program) -> int:
    from mochic.backends.copypatch import jit
    if os.environ.get("MOCHIC_PERF_MAP") == "1":
        jit.write_perf_map(prog)
    run_in_big_stack(lambda: jit.run(prog))
    return 0
