"""wasmtime, in this process: precompiling modules (Cranelift) and running them.

- `precompile` is `--emit cwasm`: the module compiled ahead of time into the
  engine's serialized form, which `wasmtime run --allow-precompiled` and
  `Module.deserialize` load without compiling.
- `compiled` is what `mochic run --tier wasm` uses: the same precompiled
  code, cached in `$MOCHIC_CACHE/wasm-aot/` by the hash of the module's bytes
  and the engine's version and settings, so a second run of the same
  program compiles nothing.
- `run` runs a module's `_start` with this process's standard streams,
  arguments and environment, and the current directory preopened as `.`,
  on a thread whose stack holds the engine's wasm stack (Mochi recursion as
  deep as `stack.CALL_DEPTH` must meet the module's own limit first, never
  the engine's).
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import threading
from pathlib import Path
from typing import Any

from mochic import stack
from mochic.toolchain import cache


class EngineError(Exception):
    """wasmtime is missing, or refused a module; the message says why."""


def _wasmtime() -> Any:
    try:
        import wasmtime
    except ImportError:
        raise EngineError("the wasmtime package is not installed: pip install wasmtime") \
            from None
    return wasmtime


def config(epoch_interruption: bool = False) -> Any:
    """The engine settings of every module mochic compiles: Cranelift at its speed
    setting and a wasm stack of stack.WASM_ENGINE_STACK bytes."""
    wasmtime = _wasmtime()
    cfg = wasmtime.Config()
    cfg.cranelift_opt_level = "speed"
    # wasmtime requires its async stack to hold the wasm stack, and the Python API
    # sets only the latter (without this the limit is 2 MiB)
    set_async = getattr(wasmtime._ffi, "wasmtime_config_async_stack_size_set", None)
    if set_async is not None:
        set_async(cfg.ptr(), stack.WASM_ENGINE_STACK + (1 << 20))
        cfg.max_wasm_stack = stack.WASM_ENGINE_STACK
    cfg.epoch_interruption = epoch_interruption
    return cfg


@functools.cache
def engine() -> Any:
    return _wasmtime().Engine(config())


def _version() -> str:
    from importlib.metadata import version
    return version("wasmtime")


def _compile(wasm: bytes) -> bytes:
    wasmtime = _wasmtime()
    try:
        return bytes(wasmtime.Module(engine(), wasm).serialize())
    except wasmtime.WasmtimeError as e:
        raise EngineError(f"wasmtime refused the module: {e}") from None


def _cached(wasm: bytes) -> Path:
    key = cache.key("cwasm", _version(), "speed", stack.WASM_ENGINE_STACK,
                    hashlib.sha256(wasm).hexdigest())
    return cache.cache_dir() / "wasm-aot" / f"{key}.cwasm"


def precompile(wasm: bytes) -> bytes:
    """The module compiled by Cranelift and serialized, as a `.cwasm` (cached by the
    module's content: see the module doc)."""
    path = _cached(wasm)
    if path.exists():
        return path.read_bytes()
    data = _compile(wasm)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return data


def compiled(wasm: bytes) -> Any:
    """The module, compiled once per content and cached."""
    wasmtime = _wasmtime()
    data = precompile(wasm)
    try:
        return wasmtime.Module.deserialize(engine(), data)
    except wasmtime.WasmtimeError:  # made by another engine: compile again
        _cached(wasm).unlink(missing_ok=True)
        return wasmtime.Module.deserialize(engine(), precompile(wasm))


def run(module: Any, argv: list[str], directory: Path) -> int:
    """Run ``module``'s `_start`; its exit status."""
    wasmtime = _wasmtime()
    status: list[int] = [0]
    error: list[BaseException | None] = [None]

    def target() -> None:
        try:
            store = wasmtime.Store(engine())
            wasi = wasmtime.WasiConfig()
            wasi.argv = argv
            wasi.inherit_stdin()
            wasi.inherit_stdout()
            wasi.inherit_stderr()
            wasi.inherit_env()
            wasi.preopen_dir(str(directory), ".")
            store.set_wasi(wasi)
            linker = wasmtime.Linker(engine())
            linker.define_wasi()
            instance = linker.instantiate(store, module)
            try:
                instance.exports(store)["_start"](store)
            except wasmtime.ExitTrap as e:
                status[0] = e.code
            except wasmtime.Trap as e:
                print(f"mochic: error: the program stopped on a wasm trap: {e}",
                      file=sys.stderr, flush=True)
                status[0] = 134
        except BaseException as e:  # re-raised on the calling thread
            error[0] = e

    sys.stdout.flush()
    previous = threading.stack_size(stack.WASM_ENGINE_STACK + (16 << 20))
    try:
        thread = threading.Thread(target=target, name="wasm")
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join()
    if error[0] is not None:
        if isinstance(error[0], wasmtime.WasmtimeError):
            raise EngineError(f"wasmtime cannot run the module: {error[0]}")
        raise error[0]
    return status[0]


def main(argv: list[str]) -> int:
    """`python -m mochic.backends.wasm.engine PROG.cwasm`: run a precompiled module
    (from `mochic build --backend wasm --emit cwasm`) as `wasmtime run
    --allow-precompiled` would, with the engine settings it was compiled with; or a
    `.wasm` module, compiled first (and cached)."""
    if len(argv) != 1:
        print("usage: python -m mochic.backends.wasm.engine PROG.cwasm|PROG.wasm",
              file=sys.stderr)
        return 2
    path = Path(argv[0])
    try:
        data = path.read_bytes()
        if data[:4] == b"\0asm":  # a module: compiled once, cached by its content
            module = compiled(data)
        else:
            module = _wasmtime().Module.deserialize(engine(), data)
        return run(module, [path.name], Path("."))
    except (OSError, EngineError, _wasmtime().WasmtimeError) as e:
        print(f"mochic: error: cannot run {path}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
