"""The native runner for precompiled Wasm modules (``wasmrun.c``) and the
step that precompiles a module for it.

Every Wasm participant is measured alike: its build writes a ``.wasm``
(whose size the report gives), ``precompile`` turns it into a ``.cwasm``
with mochic's engine (Cranelift, the engine's settings; this is part of
the build, as ``--emit cwasm`` would be), and ``wasmrun`` runs the
``.cwasm`` on the wasmtime package's own library, starting in milliseconds
instead of the third of a second that starting Python and importing
wasmtime takes.  The runner is built once per source, library and stack
size into the user's mochic cache.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.participant import BuildError

SOURCE = Path(__file__).resolve().parent / "wasmrun.c"


def library() -> Path | None:
    """The wasmtime package's shared library, or None without the package."""
    spec = importlib.util.find_spec("wasmtime")
    if spec is None or spec.origin is None:
        return None
    found = sorted(Path(spec.origin).parent.glob("*/_libwasmtime.*"))
    return found[0] if found else None


def unavailable() -> str | None:
    if library() is None:
        return "the wasmtime package (with its shared library) is not installed"
    if shutil.which("gcc") is None:
        return "gcc, which builds the .cwasm runner, is not installed"
    return None


@functools.cache
def runner() -> Path:
    """The built runner (built on first use)."""
    from mochic.stack import WASM_ENGINE_STACK
    from mochic.toolchain import cache
    lib = library()
    if lib is None:
        raise BuildError(unavailable() or "no wasmtime library")
    key = cache.key("wasmrun", hashlib.sha256(SOURCE.read_bytes()).hexdigest(), str(lib),
                    lib.stat().st_size, WASM_ENGINE_STACK)
    out = cache.cache_dir() / "bench" / f"wasmrun-{key}"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    p = subprocess.run(["gcc", "-O2", f"-DWASM_STACK={WASM_ENGINE_STACK}", "-o", str(tmp),
                        str(SOURCE), f"-L{lib.parent}", f"-l:{lib.name}",
                        f"-Wl,-rpath,{lib.parent}", "-lpthread"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise BuildError(f"cannot build {SOURCE}:\n{p.stderr}")
    tmp.replace(out)
    return out


def precompile(module: Path, env: dict[str, str]) -> tuple[Path, float]:
    """``module`` precompiled beside it (``.cwasm``) by mochic's engine; the path and
    the wall time it took."""
    out = module.with_suffix(".cwasm")
    start = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "mochic.backends.wasm.engine", "--precompile",
                        str(module), str(out)], env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if p.returncode != 0:
        raise BuildError(f"cannot precompile {module}:\n{p.stdout}{p.stderr}")
    return out, took
