"""The conformance corpus built by the C backend under AddressSanitizer and
UndefinedBehaviorSanitizer (gcc), and run: the same output as every tier, and
not one sanitizer report.

Each program's C is what `mochic build` writes, compiled with the flags the
C backend uses for gcc plus the sanitizers, and linked with the runtime
library compiled the same way (once per session).  Leak detection is off: a
program may leave memory to the exit that frees it all (globals, cycles); what
is checked is every access and every operation the sanitizers can see.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mochic import targets
from mochic.backends.c.emit import emit_c
from mochic.driver import compile_file
from mochic.stack import run_in_big_stack
from mochic.toolchain.compilers import find_compiler
from mochic.toolchain.options import Options, compile_flags, link_flags
from mochic.toolchain.runtime import runtime_sources
from tests.runners import decode
from tests.tiers import ROOT, TIMEOUT, read_exact, read_optional

PROGRAMS = sorted((ROOT / "tests" / "programs").glob("*/*.mochi"))
RUNTIME_ERRORS = sorted((ROOT / "tests" / "errors" / "runtime").glob("*.mochi"))
SANITIZERS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all",
              "-fno-omit-frame-pointer"]
# ASan's and UBSan's reports (UBSan's name a C file, line and column; a Mochi
# runtime error names the .mochi file and a line)
REPORT = re.compile(r"AddressSanitizer|UndefinedBehaviorSanitizer|\.[ch]:\d+:\d+: runtime error:")
ENV = {**os.environ, "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0",
       "UBSAN_OPTIONS": "print_stacktrace=1"}

pytestmark = [
    pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed"),
    pytest.mark.skipif(targets.host_name() != "x86_64-linux", reason="x86_64 Linux only"),
]


def _options() -> Options:
    return Options(targets.get("x86_64-linux"), "dev", False, find_compiler("gcc"))


@pytest.fixture(scope="session")
def sanitized_runtime(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The runtime library's objects, compiled with the sanitizers."""
    out = tmp_path_factory.mktemp("sanitized-runtime")
    objects = []
    for src in runtime_sources():
        obj = out / (src.stem + ".o")
        subprocess.run(["gcc", *compile_flags(_options()), "-O1", *SANITIZERS, "-c", str(src),
                        "-o", str(obj)], check=True, capture_output=True)
        objects.append(obj)
    return objects


def _build(program: Path, runtime: list[Path], work: Path) -> Path:
    compiled = compile_file(program.name, program.read_text(encoding="utf-8"))
    assert compiled.module is not None, compiled.diags.render()
    c_file = work / (program.stem + ".c")
    c_file.write_text(run_in_big_stack(lambda: emit_c(compiled.module)), encoding="utf-8",
                      errors="surrogateescape")
    exe = work / program.stem
    opts = _options()
    subprocess.run(["gcc", *compile_flags(opts), "-O1", *SANITIZERS, str(c_file),
                    *map(str, runtime), *link_flags(opts), "-o", str(exe)],
                   check=True, capture_output=True)
    return exe


def _run(exe: Path, program: Path) -> subprocess.CompletedProcess[bytes]:
    stdin = read_optional(program.with_suffix(".in"))
    return subprocess.run([str(exe)], cwd=program.parent, input=stdin.encode(),
                          capture_output=True, env=ENV, timeout=TIMEOUT * 4)


def _no_reports(stderr: str) -> None:
    assert REPORT.search(stderr) is None, stderr


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_program_under_sanitizers(program: Path, sanitized_runtime: list[Path],
                                  tmp_path: Path) -> None:
    p = _run(_build(program, sanitized_runtime, tmp_path), program)
    err = decode(p.stderr)
    _no_reports(err)
    assert (decode(p.stdout), err, p.returncode) == \
        (read_exact(program.with_suffix(".out")), "", 0)


@pytest.mark.parametrize("program", RUNTIME_ERRORS, ids=lambda p: p.stem)
def test_runtime_error_under_sanitizers(program: Path, sanitized_runtime: list[Path],
                                        tmp_path: Path) -> None:
    p = _run(_build(program, sanitized_runtime, tmp_path), program)
    err = decode(p.stderr)
    _no_reports(err)
    assert (decode(p.stdout), err, p.returncode) == \
        (read_optional(program.with_suffix(".out")),
         read_exact(program.with_suffix(".err")), 1)
