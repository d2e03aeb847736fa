"""`mochic build --backend native`: executables linked by mochic's own linker.

The conformance corpus runs on the native tiers (tests/tiers.py: `native` on
the host, `aarch64-linux-native` and `riscv64-linux-native` under qemu);
this file checks what the corpus cannot: the executables' structure (a
static PIE: no interpreter, no segment both writable and executable, a
non-executable stack), their debug information (llvm-dwarfdump --verify,
addr2line, gdb breaking at a Mochi line and naming Mochi functions in a
backtrace), that `--emit obj` writes an object ld.lld links into the same
program, that builds are reproducible, that no other process runs once the
runtime objects are cached, and deep recursion on every target.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from mochic.targets import TARGETS
from mochic.toolchain.native import native_runtime
from tests import runners
from tests.test_targets import DEEP
from tests.tiers import BUILD_TIMEOUT, ROOT, TIMEOUT, Result, mochic

LINUX = ("x86_64-linux", "aarch64-linux", "riscv64-linux")
RUNNERS = {"aarch64-linux": ("qemu-aarch64",), "riscv64-linux": ("qemu-riscv64",)}
MACHINES = {"x86_64-linux": "EM_X86_64", "aarch64-linux": "EM_AARCH64",
            "riscv64-linux": "EM_RISCV"}

PROGRAM = """\
fun fib(n: int): int {
  if n < 2 {
    return n
  }
  return fib(n - 1) + fib(n - 2)
}

fun report(label: string, x: int) {
  let parts = [label, str(x)]
  print(join(parts, " "), 2.5)
}

report("fib", fib(12))
"""
OUTPUT = "fib 144 2.5\n"
# CI installs it (.ci/run); test_dwarf_verifies says so where it is missing
DWARFDUMP = shutil.which("llvm-dwarfdump")


def build(src: Path, out: Path, *flags: str, env: dict | None = None) -> Result:
    """`mochic build --backend native`; every dev build it makes (executable or
    object) must also pass `llvm-dwarfdump --verify`."""
    res = mochic(["build", "--backend", "native", src.name, "-o", str(out), *flags],
                 src.parent, env=env, timeout=BUILD_TIMEOUT)
    if res.status == 0 and "release" not in flags and DWARFDUMP is not None:
        verify = subprocess.run([DWARFDUMP, "--verify", str(out)], capture_output=True,
                                text=True)
        assert verify.returncode == 0 and "No errors." in verify.stdout, verify.stdout
    return res


def run(exe: Path, target: str = "x86_64-linux") -> Result:
    p = subprocess.run([*RUNNERS.get(target, ()), str(exe)], cwd=exe.parent,
                       capture_output=True, text=True, timeout=TIMEOUT)
    return Result(p.stdout, p.stderr, p.returncode)


def runnable(target: str) -> None:
    if target in RUNNERS:
        why = runners.missing(target)
        if why is not None:
            pytest.skip(why)


@pytest.fixture()
def prog(tmp_path: Path) -> Path:
    src = tmp_path / "prog.mochi"
    src.write_text(PROGRAM)
    return src


# ---------------------------------------------------------------- the executable

@pytest.mark.parametrize("target", LINUX)
@pytest.mark.parametrize("mode", ["dev", "release"])
def test_a_static_pie(prog: Path, target: str, mode: str) -> None:
    runnable(target)
    exe = prog.with_name("prog")
    res = build(prog, exe, "--target", target, "--mode", mode)
    assert res.status == 0, res.stderr
    assert run(exe, target) == Result(OUTPUT, "", 0)
    with exe.open("rb") as f:
        elf = ELFFile(f)
        assert elf["e_type"] == "ET_DYN" and elf["e_machine"] == MACHINES[target]
        types = [s["p_type"] for s in elf.iter_segments()]
        assert "PT_INTERP" not in types and "PT_DYNAMIC" in types
        loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        flags = [s["p_flags"] for s in loads]
        assert flags == [4, 5, 6]  # R, R+X, R+W
        page = 0x10000 if target == "aarch64-linux" else 0x1000
        for s in loads:
            assert s["p_align"] == page and s["p_vaddr"] % page == s["p_offset"] % page
        (stack,) = [s for s in elf.iter_segments() if s["p_type"] == "PT_GNU_STACK"]
        assert stack["p_flags"] == 6  # read + write, not executable
        dynamic = elf.get_section_by_name(".dynamic")
        tags = {t.entry.d_tag for t in dynamic.iter_tags()}
        assert "DT_NEEDED" not in tags and "DT_RELA" in tags
        names = {s.name for s in elf.iter_sections()}
        debug = {n for n in names if n.startswith(".debug")}
        if mode == "release":
            assert not debug and ".symtab" not in names
        else:
            assert {".debug_info", ".debug_line", ".debug_abbrev", ".debug_str",
                    ".debug_line_str", ".debug_frame"} <= debug


def test_runtime_error_names_the_mochi_line(tmp_path: Path) -> None:
    src = tmp_path / "prog.mochi"
    src.write_text('print("before")\nlet z = len([]) \nprint(7 / z)\n')
    assert build(src, tmp_path / "prog").status == 0
    assert run(tmp_path / "prog") == Result(
        "before\n", "prog.mochi:3: runtime error: division by zero\n", 1)


@pytest.mark.parametrize("target", LINUX)
def test_deep_recursion_runs_and_infinite_recursion_is_a_runtime_error(
        tmp_path: Path, target: str) -> None:
    runnable(target)
    src = tmp_path / "prog.mochi"
    src.write_text(DEEP)
    exe = tmp_path / "prog"
    assert build(src, exe, "--target", target, "--mode", "release").status == 0
    assert run(exe, target) == Result(
        "150000\n", "prog.mochi:7: runtime error: stack overflow\n", 1)


@pytest.mark.parametrize("mode", ["dev", "release"])
def test_builds_are_reproducible(prog: Path, mode: str) -> None:
    a, b = prog.with_name("a"), prog.with_name("b")
    assert build(prog, a, "--mode", mode).status == 0
    assert build(prog, b, "--mode", mode).status == 0
    assert a.read_bytes() == b.read_bytes()


def test_release_hello_world_is_small(tmp_path: Path) -> None:
    src = tmp_path / "hello.mochi"
    src.write_text('print("hello", 1 + 2, 2.5)\n')
    exe = tmp_path / "hello"
    assert build(src, exe, "--mode", "release").status == 0
    assert run(exe) == Result("hello 3 2.5\n", "", 0)
    assert exe.stat().st_size < 74_000  # the C backend's static PIE (docs/BACKENDS.md)


def test_what_it_refuses(prog: Path) -> None:
    res = build(prog, prog.with_name("p.exe"), "--target", "x86_64-windows")
    assert res.status == 1 and "the native backend does not build for x86_64-windows" in \
        res.stderr and "riscv64-linux" in res.stderr
    res = build(prog, prog.with_name("p.c"), "--emit", "c")
    assert res.status == 1 and "cannot emit 'c'; it emits: exe, obj" in res.stderr
    assert "Traceback" not in res.stderr
    res = build(prog, prog)  # never over the program
    assert res.status == 1 and "is the program itself" in res.stderr
    assert prog.read_text() == PROGRAM


# ---------------------------------------------------------------- no process at link time

NO_PROCESSES = """\
import subprocess, sys, os
def refuse(*a, **k):
    raise RuntimeError("a process was started: %r" % (a[:1],))
subprocess.Popen = subprocess.run = refuse
os.execv = os.execve = os.posix_spawn = os.fork = refuse
sys.modules["ziglang"] = None  # the toolchain is gone
from mochic.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_no_process_runs_once_the_runtime_is_cached(prog: Path) -> None:
    for target in LINUX:
        native_runtime(TARGETS[target], lambda _m: None)
    for target in LINUX:
        exe = prog.with_name(f"prog-{target}")
        p = subprocess.run([sys.executable, "-c", NO_PROCESSES, "build", "--backend", "native",
                            "--target", target, prog.name, "-o", str(exe)],
                           cwd=prog.parent, capture_output=True, text=True, timeout=TIMEOUT,
                           env={**os.environ, "PYTHONPATH": str(ROOT),
                                "PATH": str(prog.parent)})
        assert p.returncode == 0, p.stderr
        assert exe.exists()


# ---------------------------------------------------------------- the object

@pytest.mark.skipif(shutil.which("ld.lld") is None, reason="ld.lld is not installed "
                    "(apt-get install lld)")
@pytest.mark.parametrize("target", LINUX)
def test_the_object_links_with_lld(prog: Path, target: str) -> None:
    runnable(target)
    obj = prog.with_name("prog.o")
    res = build(prog, obj, "--emit", "obj", "--target", target)
    assert res.status == 0, res.stderr
    with obj.open("rb") as f:
        assert ELFFile(f)["e_type"] == "ET_REL"
    rt = native_runtime(TARGETS[target], lambda _m: None)
    exe = prog.with_name("prog-lld")
    p = subprocess.run(["ld.lld", "-static", "-pie", "--no-dynamic-linker", "-o", str(exe),
                        str(rt.objects[0]), str(obj), *map(str, rt.archives)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert run(exe, target) == Result(OUTPUT, "", 0)
    verify = subprocess.run(["llvm-dwarfdump", "--verify", str(exe)], capture_output=True,
                            text=True)
    assert verify.returncode == 0, verify.stdout


# ---------------------------------------------------------------- debug information

@pytest.mark.skipif(shutil.which("llvm-dwarfdump") is None, reason="llvm-dwarfdump is not "
                    "installed (apt-get install llvm)")
@pytest.mark.parametrize("target", LINUX)
def test_dwarf_verifies(prog: Path, target: str) -> None:
    exe = prog.with_name("prog")
    assert build(prog, exe, "--target", target).status == 0
    p = subprocess.run(["llvm-dwarfdump", "--verify", str(exe)], capture_output=True, text=True)
    assert p.returncode == 0 and "No errors." in p.stdout, p.stdout
    info = subprocess.run(["llvm-dwarfdump", "--debug-info", str(exe)], capture_output=True,
                          text=True).stdout
    names = [line.split('"')[1] for line in info.splitlines() if "DW_AT_name" in line]
    assert names[0] == "prog.mochi" and {"main", "fib"} <= set(names[1:])
    assert info.count("DW_TAG_subprogram") == len(names) - 1


def _symbol(exe: Path, name: str) -> int:
    with exe.open("rb") as f:
        (sym,) = ELFFile(f).get_section_by_name(".symtab").get_symbol_by_name(name)
        return int(sym["st_value"])


@pytest.mark.skipif(shutil.which("addr2line") is None, reason="addr2line is not installed")
def test_addr2line_names_the_mochi_line(prog: Path) -> None:
    exe = prog.with_name("prog")
    assert build(prog, exe).status == 0
    start = _symbol(exe, "mochi.fn.fib")  # fib's code begins with line 2's comparison
    p = subprocess.run(["addr2line", "-e", str(exe), hex(start)], capture_output=True,
                       text=True)
    assert p.stdout == f"{prog.parent}/prog.mochi:2\n"


@pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb is not installed")
def test_gdb_breaks_at_a_mochi_line_and_names_mochi_functions(prog: Path) -> None:
    exe = prog.with_name("prog")
    assert build(prog, exe).status == 0
    p = subprocess.run(["gdb", "-nx", "-batch", "-ex", "break prog.mochi:3", "-ex", "run",
                        "-ex", "bt", "-ex", "kill", str(exe)], cwd=prog.parent,
                       capture_output=True, text=True, timeout=TIMEOUT)
    out = p.stdout
    assert "Breakpoint 1 at" in out and "file prog.mochi, line 3." in out, out
    # gdb says "Thread 1 hit Breakpoint 1, ..." only for a threaded inferior; the
    # start file runs Mochi on its own stack in the main thread
    assert "\nBreakpoint 1, fib () at prog.mochi:3" in out, out
    frames = [line for line in out.splitlines() if line.startswith("#")]
    assert frames[0].startswith("#0  fib () at prog.mochi:3"), out
    assert any(" fib () at prog.mochi:5" in f for f in frames[1:]), out
    assert any(" main () at prog.mochi:13" in f for f in frames), out


def _dwarfdump(exe: Path, what: str) -> str:
    return subprocess.run(["llvm-dwarfdump", what, str(exe)], capture_output=True,
                          text=True, check=True).stdout


@pytest.mark.skipif(shutil.which("llvm-dwarfdump") is None, reason="llvm-dwarfdump is not "
                    "installed (apt-get install llvm)")
def test_debug_frames_describe_every_function(prog: Path) -> None:
    """llvm-dwarfdump reads an FDE for each Mochi function covering its code; every
    line row (an IR instruction's first stencil) has the entry frame, CFA = rsp + 8;
    inside calls the frame is deeper (a stencil's push before it calls)."""
    exe = prog.with_name("prog")
    assert build(prog, exe).status == 0
    rows: dict[int, int] = {}  # address -> CFA offset from rsp
    ranges = []
    for line in _dwarfdump(exe, "--debug-frame").splitlines():
        m = re.match(r"\S+ \S+ \S+ FDE cie=\S+ pc=([0-9a-f]+)\.\.\.([0-9a-f]+)", line)
        if m:
            ranges.append((int(m[1], 16), int(m[2], 16)))
        m = re.match(r"\s+0x([0-9a-f]+): CFA=RSP\+(\d+):", line)
        if m:
            rows[int(m[1], 16)] = int(m[2])
    with exe.open("rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        functions = {s.name: (s["st_value"], s["st_value"] + s["st_size"])
                     for s in symtab.iter_symbols() if s.name.startswith("mochi.fn.")}
    assert {"mochi.fn.main", "mochi.fn.fib"} <= set(functions)
    assert set(functions.values()) <= set(ranges)

    def cfa(addr: int) -> int:
        return rows[max(a for a in rows if a <= addr)]

    lines = [int(m[1], 16) for m in re.finditer(r"^0x([0-9a-f]{16})\s+\d+",
                                               _dwarfdump(exe, "--debug-line"), re.M)]
    assert lines and all(cfa(a) == 8 for a in lines)
    lo, hi = functions["mochi.fn.fib"]
    assert any(cfa(a) == 16 for a in rows if lo <= a < hi)
