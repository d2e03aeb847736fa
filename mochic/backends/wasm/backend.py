"""`mochic build --backend wasm`: the module encoded (`encode.py`), linked by
mochic's own linker (objfile/wasm_link.py) with the runtime's wasm32-wasi
objects (toolchain/wasm_runtime.py), and with `--emit cwasm` precompiled by
wasmtime (`engine.py`)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from mochic import stack
from mochic.backends import Artifact, BuildError, BuildRequest
from mochic.backends.wasm.encode import encode_module
from mochic.backends.wasm.instrs import LIBM1, LIBM2
from mochic.ir.ir import Module
from mochic.objfile.wasm_link import Config, LinkError, link
from mochic.stack import run_in_big_stack
from mochic.toolchain.compilers import Log, ToolchainError
from mochic.toolchain.wasm_runtime import runtime_objects

# what the encoder may call besides the runtime: the C library's math functions
LIBC_CALLS = tuple(sorted({*LIBM1.values(), *LIBM2.values()}))


def module_bytes(module: Module, mode: str, log: Log) -> bytes:
    """The linked `.wasm` of ``module`` (raises BuildError)."""
    try:
        obj = run_in_big_stack(lambda: encode_module(module))
    except Exception as e:  # a compiler bug must not surface as a traceback
        raise BuildError(f"internal compiler error in the Wasm encoder: "
                         f"{type(e).__name__}: {e}") from None
    try:
        rt = runtime_objects(LIBC_CALLS, log)
    except ToolchainError as e:
        raise BuildError(str(e)) from None
    try:
        linked = link([obj, *rt], [], Config(stack_size=stack.WASM_LINEAR_STACK))
    except LinkError as e:
        raise BuildError(f"internal compiler error in the Wasm linker: {e}") from None
    if mode == "dev":
        from mochic.backends.wasm.dwarf import add_line_table
        add_line_table(linked, obj, module.file)
    return linked.module.encode()


def build(module: Module, request: BuildRequest) -> Artifact:
    start = time.monotonic()
    data = module_bytes(module, request.mode, request.log)
    what = "module"
    if request.emit == "cwasm":
        from mochic.backends.wasm.engine import EngineError, precompile
        try:
            data = precompile(data)
        except EngineError as e:
            raise BuildError(str(e)) from None
        what = "precompiled module"
    out = request.output
    if out is None:
        sys.stdout.buffer.write(data)
        return Artifact(None, f"a {len(data):,}-byte {what}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
        Path(tmp).write_bytes(data)
        os.replace(tmp, out)
    except OSError as e:
        raise BuildError(f"cannot write {out}: {e.strerror or e}") from None
    return Artifact(out, f"as a {len(data):,}-byte {what} in {time.monotonic() - start:.2f} s")
