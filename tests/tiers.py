"""How each execution tier runs a program, for the conformance tests.

A tier is a function from a program path (run with its folder as the current
directory, given by its base name, so error messages are stable) and its
standard input to the process result.  A new backend plugs into every
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120


@dataclass
class Result:
    stdout: str
    stderr: str
    status: int


def mochic(args: list[str], cwd: Path, stdin: str = "", env: dict | None = None) -> Result:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    p = subprocess.run([sys.executable, "-m", "mochic", *args], cwd=cwd, input=stdin,
                       capture_output=True, text=True, timeout=TIMEOUT, env=full_env)
    return Result(p.stdout, p.stderr, p.returncode)


def run_interp(program: Path, stdin: str) -> Result:
    return mochic(["run", "--tier", "interp", program.name], program.parent, stdin)


def run_jit(program: Path, stdin: str) -> Result:
    """The copy-and-patch JIT, forced (a program it cannot run is a failure)."""
    return mochic(["run", "--tier", "jit", program.name], program.parent, stdin)


_C_BUILDS = Path(tempfile.mkdtemp(prefix="mochic-c-tier-"))
atexit.register(shutil.rmtree, _C_BUILDS, True)


def run_c(program: Path, stdin: str) -> Result:
    """`mochic build --mode release` (the C backend, optimised) and run the executable."""
    exe = _C_BUILDS / f"{program.parent.name}__{program.stem}"
    built = mochic(["build", program.name, "--mode", "release", "-o", str(exe)], program.parent)
    if built.status != 0:
        return Result(built.stdout, f"mochic build failed:\n{built.stderr}", built.status)
    p = subprocess.run([str(exe)], cwd=program.parent, input=stdin, capture_output=True,
                       text=True, timeout=TIMEOUT)
    return Result(p.stdout, p.stderr, p.returncode)


TIERS: dict[str, Callable[[Path, str], Result]] = {
    "interp": run_interp,
    "jit": run_jit,
    "c": run_c,
}


def read_optional(path: Path) -> str:
    return path.read_text() if path.exists() else ""
