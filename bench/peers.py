"""The peers: the same kernels in the languages a user might pick instead.

C compiled by the system gcc at -O2 is the baseline every ratio is taken
against (the practical speed limit); Python is the CPython that runs mochic
itself; Go and LuaJIT are measured where their tools are installed (Debian
packages ``golang-go`` and ``luajit``) and skipped with a note where not.
"""

from __future__ import annotations

import functools
import shutil
import sys
from pathlib import Path

from bench.participant import Participant, Prepared, first_line, timed_build

BASELINE = "c"

# -std=c99: ISO mode keeps gcc from fusing multiply-adds, which would change
# the float kernels' results (bench/kernels/README.md).  -lm for sqrt.
C_FLAGS = ["-O2", "-std=c99"]


def _missing(tool: str):
    def unavailable() -> str | None:
        return None if shutil.which(tool) else f"`{tool}` is not installed"
    return unavailable


def _prepare_c(source: Path, build_dir: Path, env: dict[str, str]) -> Prepared:
    out = build_dir / source.stem
    took = timed_build(["gcc", *C_FLAGS, "-o", str(out), str(source), "-lm"], build_dir, env)
    return Prepared([str(out)], took, out)


def _prepare_python(source: Path, build_dir: Path, env: dict[str, str]) -> Prepared:
    return Prepared([sys.executable, str(source)])


def _prepare_go(source: Path, build_dir: Path, env: dict[str, str]) -> Prepared:
    out = build_dir / source.stem
    took = timed_build(["go", "build", "-o", str(out), str(source)], build_dir, env)
    return Prepared([str(out)], took, out)


def _prepare_luajit(source: Path, build_dir: Path, env: dict[str, str]) -> Prepared:
    return Prepared(["luajit", str(source)])


@functools.cache
def _luajit_version() -> str:
    return first_line(["luajit", "-v"]).split(" -- ")[0]  # without the copyright


def _python_version() -> str:
    return f"Python {sys.version.split()[0]} ({sys.implementation.name})"


PEERS: dict[str, Participant] = {
    "c": Participant("c", "peer", "C gcc -O2", ".c", "#define N ",
                     f"gcc {' '.join(C_FLAGS)} prog.c -lm", _missing("gcc"), _prepare_c,
                     functools.cache(lambda: first_line(["gcc", "--version"])), builds=True),
    "python": Participant("python", "peer", "Python", ".py", "N = ",
                          "the CPython that runs mochic: python3 prog.py", lambda: None,
                          _prepare_python, _python_version),
    "go": Participant("go", "peer", "Go", ".go", "const N = ", "go build prog.go",
                      _missing("go"), _prepare_go,
                      functools.cache(lambda: first_line(["go", "version"])), builds=True),
    "luajit": Participant("luajit", "peer", "LuaJIT", ".lua", "local N = ", "luajit prog.lua",
                          _missing("luajit"), _prepare_luajit, _luajit_version),
}
