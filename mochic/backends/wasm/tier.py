"""`mochic run --tier wasm`: the program encoded and linked into a module
(backend.py), compiled by wasmtime's Cranelift (cached by the module's
content hash) and run in this process (engine.py)."""

from __future__ import annotations

import time
from pathlib import Path

from mochic.backends import BuildError, RunRequest, Unavailable
from mochic.backends.wasm.backend import module_bytes
from mochic.ir.ir import Module


def run(module: Module, request: RunRequest) -> int:
    from mochic.backends.wasm import engine
    start = time.monotonic()
    try:
        wasm = module_bytes(module, "release", request.log)
        compiled = engine.compiled(wasm)
    except (BuildError, engine.EngineError) as e:
        raise Unavailable(str(e)) from None
    if request.verbose:
        request.log(f"mochic: running on the wasm tier ({len(wasm):,}-byte module, ready in "
                    f"{time.monotonic() - start:.2f} s)")
    try:
        return engine.run(compiled, [module.file], Path("."))
    except engine.EngineError as e:
        raise Unavailable(str(e)) from None
