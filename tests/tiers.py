"""How each execution tier runs a program, for the conformance tests.

A tier is a function from a program path (run with its folder as the current
directory, given by its base name, so error messages are stable) and its
standard input to the process result, its output decoded from the exact
bytes (no newline translation).  A new backend plugs into every
conformance test by adding one entry to ``TIERS``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from mochic import targets
from tests import runners

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120
# a target's first build compiles its C library into the shared zig cache (mingw's
# takes minutes, longer while the other test process waits on the same lock)
BUILD_TIMEOUT = 900


@dataclass
class Result:
    stdout: str
    stderr: str
    status: int


def mochic(args: list[str], cwd: Path, stdin: str = "", env: dict | None = None,
           timeout: float = TIMEOUT) -> Result:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    p = subprocess.run([sys.executable, "-m", "mochic", *args], cwd=cwd, input=stdin.encode(),
                       capture_output=True, timeout=timeout, env=full_env)
    return Result(runners.decode(p.stdout), runners.decode(p.stderr), p.returncode)


def run_interp(program: Path, stdin: str) -> Result:
    return mochic(["run", "--tier", "interp", program.name], program.parent, stdin)


def run_jit(program: Path, stdin: str) -> Result:
    """The copy-and-patch JIT, forced (a program it cannot run is a failure)."""
    return mochic(["run", "--tier", "jit", program.name], program.parent, stdin)


_C_BUILDS = Path(tempfile.mkdtemp(prefix="mochic-c-tier-"))
atexit.register(shutil.rmtree, _C_BUILDS, True)


def build(program: Path, target: str, *flags: str) -> Path | Result:
    """`mochic build --mode release` for ``target``: the executable, or the failed build."""
    name = f"{program.parent.name}__{program.stem}{targets.get(target).suffix}"
    exe = _C_BUILDS / target / name
    built = mochic(["build", program.name, "--target", target, "--mode", "release", *flags,
                    "-o", str(exe)], program.parent, timeout=BUILD_TIMEOUT)
    if built.status != 0:
        return Result(built.stdout, f"mochic build failed:\n{built.stderr}", built.status)
    return exe


def run_c(program: Path, stdin: str) -> Result:
    """`mochic build --mode release` (the C backend, optimised) and run the executable."""
    exe = build(program, targets.host().name)
    if isinstance(exe, Result):
        return exe
    p = subprocess.run([str(exe)], cwd=program.parent, input=stdin.encode(), capture_output=True,
                       timeout=TIMEOUT)
    return Result(runners.decode(p.stdout), runners.decode(p.stderr), p.returncode)


def run_wasm(program: Path, stdin: str) -> Result:
    """`mochic run --tier wasm`: the program encoded and linked by mochic, compiled by
    wasmtime (cached by content) and run in mochic's process."""
    why = runners.missing("wasm32-wasi")
    if why is not None:
        pytest.skip(why)
    return mochic(["run", "--tier", "wasm", program.name], program.parent, stdin)


def run_cwasm(program: Path, stdin: str) -> Result:
    """`mochic build --backend wasm --emit cwasm` (precompiled by wasmtime) and the
    precompiled module run by the engine it was compiled for."""
    why = runners.missing("wasm32-wasi")
    if why is not None:
        pytest.skip(why)
    out = _C_BUILDS / "cwasm" / f"{program.parent.name}__{program.stem}.cwasm"
    built = mochic(["build", program.name, "--backend", "wasm", "--emit", "cwasm", "--mode",
                    "release", "-o", str(out)], program.parent, timeout=BUILD_TIMEOUT)
    if built.status != 0:
        return Result(built.stdout, f"mochic build failed:\n{built.stderr}", built.status)
    p = subprocess.run([sys.executable, "-m", "mochic.backends.wasm.engine", str(out)],
                       cwd=program.parent, input=stdin.encode(), capture_output=True,
                       timeout=TIMEOUT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return Result(runners.decode(p.stdout), runners.decode(p.stderr), p.returncode)


TIERS: dict[str, Callable[[Path, str], Result]] = {
    "interp": run_interp,
    "jit": run_jit,
    "c": run_c,
    "wasm": run_wasm,
    "cwasm": run_cwasm,
}


def _target_tier(target: str, runner: runners.Runner, *flags: str) -> Callable[[Path, str], Result]:
    """The C backend building for another target, its executable run by ``runner``."""
    def run(program: Path, stdin: str) -> Result:
        why = runners.missing(target)
        if why is not None:
            pytest.skip(why)
        exe = build(program, target, *flags)
        if isinstance(exe, Result):
            return exe
        return Result(*runner(exe, program.parent, stdin, TIMEOUT))
    return run


# Other targets, run here by an emulator or a runtime (tests/runners.py), with the
# build flags that make an executable it runs (static Linux builds need no foreign
# C library); the conformance corpus runs on these as on TIERS.
RUN_HERE: dict[str, tuple[runners.Runner, tuple[str, ...]]] = {
    "aarch64-linux": (partial(runners.run_qemu, "aarch64"), ("--portable",)),
    "riscv64-linux": (partial(runners.run_qemu, "riscv64"), ("--portable",)),
    "x86_64-windows": (runners.run_wine, ()),
    "wasm32-wasi": (runners.run_wasm, ()),
}
TARGET_TIERS: dict[str, Callable[[Path, str], Result]] = {
    target: _target_tier(target, runner, *flags) for target, (runner, flags) in RUN_HERE.items()
}


def read_exact(path: Path) -> str:
    """A file's text as it is: a \\r in an expected output stays a \\r."""
    return path.read_bytes().decode("utf-8")


def read_optional(path: Path) -> str:
    return read_exact(path) if path.exists() else ""
