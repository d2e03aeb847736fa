"""`mochic build`: the C backend, its toolchain and the executables it makes, on the host.

Builds go through the `mochic` command line as a user runs it.  Tests that
need a fresh cache get their own `MOCHIC_CACHE` but share the machine's zig
cache (`MOCHIC_ZIG_CACHE`), so each target's libc is compiled once per
machine, not once per test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mochic import targets
from mochic.toolchain import options
from mochic.toolchain.compilers import find_compiler, zig_cache_dir, zig_env
from tests.tiers import ROOT, TIMEOUT, Result, mochic

PROGRAMS = sorted((ROOT / "tests" / "programs").glob("*/*.mochi"))
HOST = targets.host_name()
pytestmark = pytest.mark.skipif(HOST is None, reason="the host is not a mochic target")


def shared_zig_env(cache: Path) -> dict[str, str]:
    """A private mochic cache that shares the machine's zig cache."""
    return {"MOCHIC_CACHE": str(cache), "MOCHIC_ZIG_CACHE": str(zig_cache_dir())}


def build(src: Path, out: Path, *flags: str, env: dict | None = None) -> Result:
    return mochic(["build", src.name, "-o", str(out), *flags], src.parent, env=env)


def run(exe: Path, cwd: Path, stdin: str = "") -> Result:
    p = subprocess.run([str(exe)], cwd=cwd, input=stdin, capture_output=True, text=True,
                       timeout=TIMEOUT)
    return Result(p.stdout, p.stderr, p.returncode)


def write(tmp_path: Path, text: str, name: str = "prog.mochi") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


# ---------------------------------------------------------------- programs build and run

def test_hello_world(tmp_path: Path) -> None:
    src = write(tmp_path, 'print("hello", 1 + 2, 2.5, [1, 2], true)\n')
    res = build(src, tmp_path / "hello")
    assert res.status == 0, res.stderr
    got = run(tmp_path / "hello", tmp_path)
    assert (got.stdout, got.stderr, got.status) == ("hello 3 2.5 [1, 2] true\n", "", 0)


def test_runtime_error_names_the_mochi_line(tmp_path: Path) -> None:
    src = write(tmp_path, 'print("before")\nlet z = len([]) \nprint(7 / z)\n')
    assert build(src, tmp_path / "prog").status == 0
    got = run(tmp_path / "prog", tmp_path)
    assert got.stdout == "before\n"
    assert got.stderr == "prog.mochi:3: runtime error: division by zero\n"
    assert got.status == 1


def test_deep_recursion_runs_and_infinite_recursion_is_a_runtime_error(tmp_path: Path) -> None:
    src = write(tmp_path, "fun depth(n: int): int {\n  if n == 0 { return 0 }\n"
                          "  return 1 + depth(n - 1)\n}\nprint(depth(150000))\n"
                          "fun f(n: int): int {\n  return f(n + 1) + 1\n}\nprint(f(0))\n")
    assert build(src, tmp_path / "prog").status == 0
    got = run(tmp_path / "prog", tmp_path)
    assert got.stdout == "150000\n"
    assert got.stderr == "prog.mochi:7: runtime error: stack overflow\n"
    assert got.status == 1


def test_compile_errors_are_reported_not_built(tmp_path: Path) -> None:
    src = write(tmp_path, "let x: int = \"a\"\n")
    res = build(src, tmp_path / "prog")
    assert res.status == 1 and "error" in res.stderr
    assert not (tmp_path / "prog").exists()


def test_release_and_dev_modes(tmp_path: Path) -> None:
    src = write(tmp_path, "var s = 0\nfor i in 0..10 { s = s + i }\nprint(s)\n")
    for mode in ("dev", "release"):
        out = tmp_path / f"prog-{mode}"
        assert build(src, out, "--mode", mode).status == 0
        assert run(out, tmp_path).stdout == "45\n"
    if HOST and HOST.endswith("linux"):
        assert b".debug_info" in (tmp_path / "prog-dev").read_bytes()
        assert b".debug_info" not in (tmp_path / "prog-release").read_bytes()  # stripped


STRING_BUILDING = """\
var s = ""
for i in 0..200000 {
  s = s + "x"
}
fun build(n: int): string {
  var t = ""
  for i in 0..n {
    t = t + "é" + str(i % 10)
  }
  return t
}
type Doc { text: string }
var d = Doc { text: "" }
for i in 0..200000 {
  d.text = d.text + "ab"
}
let b = build(200000)
print(len(s), len(b), b[399998:400000], len(d.text))
"""


def test_building_a_string_by_appends_is_linear(tmp_path: Path) -> None:
    """`s = s + x` extends an unshared string in place, amortised O(1): 800,000 appends
    to a global, a local and a field take milliseconds, where copying the string each
    time (quadratic: over 100 GB moved) takes many seconds."""
    src = write(tmp_path, STRING_BUILDING)
    assert build(src, tmp_path / "prog", "--mode", "release").status == 0
    start = time.monotonic()
    got = run(tmp_path / "prog", tmp_path)
    elapsed = time.monotonic() - start
    assert (got.stdout, got.stderr, got.status) == ("200000 400000 é9 400000\n", "", 0)
    assert elapsed < 2.0


LIST_BUILDING = """\
var words: list<string> = []
fun grow(n: int): list<list<int>> {
  var rows: list<list<int>> = [[]]
  for i in 0..n {
    rows[0] = append(rows[0], i)
  }
  return rows
}
type Bag { items: list<string> }
var bag = Bag { items: [] }
var groups: map<string, list<int>> = {}
let n = int(input())
for i in 0..n {
  words = append(words, "w")
  bag.items = append(bag.items, "x")
  groups["k"] = append(groups["k"], i)
}
let rows = grow(n)
print(len(words), len(rows[0]), len(bag.items), len(groups["k"]))
"""


@pytest.mark.parametrize("tier, n, limit", [("c", 200_000, 3.0), ("jit", 200_000, 5.0),
                                            ("interp", 100_000, 10.0)])
def test_building_a_list_by_appends_is_linear(tmp_path: Path, tier: str, n: int,
                                              limit: float) -> None:
    """`xs = append(xs, v)` where xs is a global, an element of a local list, a field or
    a map entry: the home lets go of the list first, so it grows in place, amortised
    O(1); copying it each time (the list shared with its home) moves N^2/2 elements:
    some 10^10 for each of the four here, many seconds."""
    src = write(tmp_path, LIST_BUILDING)
    want = (f"{n} {n} {n} {n}\n", "", 0)
    if tier == "c":
        assert build(src, tmp_path / "prog", "--mode", "release").status == 0
        run(tmp_path / "prog", tmp_path, "1\n")  # warm: the first run loads the binary
        start = time.monotonic()
        got = run(tmp_path / "prog", tmp_path, f"{n}\n")
    else:
        start = time.monotonic()
        got = mochic(["run", "--tier", tier, src.name], tmp_path, f"{n}\n")
    elapsed = time.monotonic() - start
    assert (got.stdout, got.stderr, got.status) == want
    assert elapsed < limit


@pytest.mark.skipif(HOST != "x86_64-linux", reason="checks an x86_64 ELF")
def test_portable_is_a_small_static_executable(tmp_path: Path) -> None:
    src = write(tmp_path, 'print("hello, world")\n')
    out = tmp_path / "hello"
    res = build(src, out, "--portable", "--mode", "release")
    assert res.status == 0, res.stderr
    data = out.read_bytes()
    assert data[:4] == b"\x7fELF"
    assert b"ld-linux" not in data  # no dynamic loader: static
    assert len(data) < 100 * 1024
    assert run(out, tmp_path).stdout == "hello, world\n"


def test_emit_c(tmp_path: Path) -> None:
    write(tmp_path, "fun sq(x: int): int { return x * x }\nprint(sq(3))\n")
    res = mochic(["build", "prog.mochi", "--emit", "c"], tmp_path)
    assert res.status == 0, res.stderr
    c = (tmp_path / "prog.c").read_text()
    assert '#include "mochi_c.h"' in c and '#line 1 "prog.mochi"' in c
    assert "static int64_t mf_sq(int64_t r0)" in c
    out = mochic(["build", "prog.mochi", "--emit", "c", "-o", "-"], tmp_path)
    assert out.stdout == c


MATH_EDGES = """\
import python "math" as math
extern fun math.log2(x: float): float
extern fun math.log10(x: float): float
extern fun math.trunc(x: float): float
extern fun math.sinh(x: float): float
extern fun math.cosh(x: float): float
let inf = 1.0 / 0.0
print(floor(-0.0), ceil(-0.5), floor(-inf), sqrt(-1.0), log(0.0), log(-1.0), exp(1.0))
print(math.log2(0.0), math.log10(-1.0), math.trunc(-0.3), math.sinh(-1000.0))
print(math.cosh(1000.0), pow(0.0, -1.0), pow(-8.0, 1.0 / 3.0), round(-2.5), abs(-0.0))
print(int(9.2e18), int(-9.2e18), 7 % -3, -7 / 2, -9223372036854775807 - 1)
"""


def test_math_edge_cases_match_the_interpreter(tmp_path: Path) -> None:
    """Signed zeros, infinities, NaN, int conversion limits: the C library's answers,
    constant folding by the C compiler and the interpreter's rules must agree."""
    src = write(tmp_path, MATH_EDGES)
    want = mochic(["run", "prog.mochi"], tmp_path)
    assert want.status == 0, want.stderr
    for mode in ("dev", "release"):
        assert build(src, tmp_path / mode, "--mode", mode).status == 0
        got = run(tmp_path / mode, tmp_path)
        assert (got.stdout, got.stderr, got.status) == (want.stdout, "", 0), mode


@pytest.mark.parametrize("cc", [c for c in ("gcc", "cc", "clang", "tcc") if shutil.which(c)])
def test_system_compilers_build_for_the_host(tmp_path: Path, cc: str) -> None:
    src = write(tmp_path, 'fun f(x: float): float { return x / 3.0 }\nprint(f(1.0), "ü"[0])\n')
    res = build(src, tmp_path / "prog", "--cc", cc)
    assert res.status == 0, res.stderr
    assert run(tmp_path / "prog", tmp_path).stdout == "0.3333333333333333 ü\n"
    other = "aarch64-linux" if HOST != "aarch64-linux" else "x86_64-linux"
    res = build(src, tmp_path / "x", "--cc", cc, "--target", other)
    assert res.status == 1 and f"--cc {cc} builds only for the host" in res.stderr


def test_first_use_of_a_target_says_what_it_does(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCHIC_ZIG_CACHE", str(tmp_path))
    opts = options.Options(targets.get("aarch64-linux"), "dev", False, find_compiler("zig"))
    said: list[str] = []
    marker = options.first_use_note(opts, said.append)
    assert said == ["mochic: preparing the aarch64-linux toolchain (first use, about a minute)..."]
    assert marker is not None
    marker.touch()  # as a successful build does
    assert options.first_use_note(opts, said.append) is None and len(said) == 1


# ---------------------------------------------------------------- bad invocations

def test_unknown_target_lists_the_valid_ones(tmp_path: Path) -> None:
    src = write(tmp_path, "print(1)\n")
    res = build(src, tmp_path / "x", "--target", "pdp11-unix")
    assert res.status == 1
    assert "unknown target 'pdp11-unix'" in res.stderr
    for name in targets.TARGETS:
        assert name in res.stderr


def test_unknown_mode_and_compiler(tmp_path: Path) -> None:
    src = write(tmp_path, "print(1)\n")
    res = build(src, tmp_path / "x", "--mode", "fast")
    assert res.status == 1 and "valid modes are: dev, release" in res.stderr
    res = build(src, tmp_path / "x", "--cc", "msvc")
    assert res.status == 1 and "valid compilers are: zig, cc, gcc, clang, tcc" in res.stderr
    res = mochic(["build", "prog.mochi", "--frobnicate"], tmp_path)
    assert res.status == 2 and "unrecognized arguments: --frobnicate" in res.stderr


def test_doctor_reports_compilers_and_runners() -> None:
    res = mochic(["doctor"], ROOT)
    assert res.status == 0
    for name in ("zig", "gcc", "clang", "tcc", "qemu-aarch64", "qemu-riscv64", "wine",
                 "wasmtime"):
        assert re.search(rf"^\s+\w+\s+{re.escape(name)}\s+(ok|missing|broken)", res.stdout,
                         re.M), name
    assert re.search(r"zig\s+ok\s+zig 0\.17\.0", res.stdout)


# ---------------------------------------------------------------- caching and reproducibility

def test_builds_are_reproducible(tmp_path: Path) -> None:
    """Two builds from scratch, in different caches and work directories, give the
    same bytes, in both modes (dev builds carry debug info with paths)."""
    src = write(tmp_path, "type P { x: int }\nfun f(p: P): int { return p.x * 2 }\n"
                          "print(f(P { x: 21 }), str(1.5))\n")
    for mode in ("dev", "release"):
        outs = []
        for k in range(2):
            out = tmp_path / f"out{k}-{mode}"
            res = build(src, out, "--mode", mode, env=shared_zig_env(tmp_path / f"c{k}"))
            assert res.status == 0, res.stderr
            outs.append(out.read_bytes())
        assert outs[0] == outs[1], mode
        assert str(tmp_path).encode() not in outs[0]


def test_second_build_comes_from_the_cache(tmp_path: Path) -> None:
    write(tmp_path, 'print("cached")\n')
    env = shared_zig_env(tmp_path / "cache")
    first = mochic(["build", "prog.mochi", "-o", "a", "--verbose"], tmp_path, env=env)
    assert first.status == 0 and "from the build cache" not in first.stderr
    second = mochic(["build", "prog.mochi", "-o", "b", "--verbose"], tmp_path, env=env)
    assert second.status == 0 and "from the build cache" in second.stderr
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()
    seconds = [float(re.search(r"in ([0-9.]+) s", r.stderr).group(1)) for r in (first, second)]
    assert seconds[1] < seconds[0] / 2
    assert run(tmp_path / "b", tmp_path).stdout == "cached\n"


# ---------------------------------------------------------------- the emitted C

def _emit(program: Path) -> str:
    from mochic.backends.c.emit import emit_c
    from mochic.driver import compile_source, read_source
    compiled = compile_source(program.name, read_source(str(program)))
    assert compiled.module is not None
    return emit_c(compiled.module)


def _compilers_for_warnings() -> list:
    # zig cc cannot -fsyntax-only nor -c several files: one object per file
    out = [pytest.param([*find_compiler("zig").cc, "-O0"], id="zig")]
    if shutil.which("gcc"):  # flow-based warnings (maybe-uninitialized ...) need -O2
        out.append(pytest.param(["gcc", "-O2"], id="gcc"))
    return out


@pytest.mark.parametrize("argv", _compilers_for_warnings())
def test_emitted_c_has_no_warnings(tmp_path: Path, argv: list[str]) -> None:
    """Every conformance program's C compiles with -Wall -Wextra and no warning."""
    flags = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-I", str(options.RUNTIME_DIR)]
    env = zig_env()

    def check(p: Path) -> str:
        f = tmp_path / f"{p.parent.name}__{p.stem}.c"
        f.write_text(_emit(p))
        r = subprocess.run([*argv, *flags, "-c", f.name, "-o", f"{f.stem}.o"],
                           capture_output=True, text=True, env=env, cwd=tmp_path)
        return "" if r.returncode == 0 and not r.stderr.strip() else f"{p}:\n{r.stderr}"

    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        problems = [msg for msg in pool.map(check, PROGRAMS) if msg]
    assert not problems, "\n".join(problems)[:4000]


# ---------------------------------------------------------------- debugging

GDB_PROGRAM = """\
fun square(x: int): int {
  let y = x * x
  return y
}
print(square(7))
"""


@pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb is not installed")
def test_gdb_breaks_at_a_mochi_line(tmp_path: Path) -> None:
    src = write(tmp_path, GDB_PROGRAM)
    assert build(src, tmp_path / "prog", "--mode", "dev").status == 0
    p = subprocess.run(["gdb", "-nx", "-batch", "-ex", "break prog.mochi:2", "-ex", "run",
                        "-ex", "bt", "./prog"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=TIMEOUT)
    assert "Breakpoint 1 at" in p.stdout and "file prog.mochi, line 2." in p.stdout, p.stdout
    assert re.search(r"mf_square \(.*\) at prog\.mochi:2", p.stdout), p.stdout
    assert re.search(r"mf_main \(\) at prog\.mochi:5", p.stdout), p.stdout


@pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb is not installed")
def test_gdb_backtrace_of_a_runtime_error_shows_mochi_lines(tmp_path: Path) -> None:
    src = write(tmp_path, "fun ratio(a: int, b: int): int {\n  return a / b\n}\n"
                          "var zero = 0\nprint(ratio(7, zero))\n")
    assert build(src, tmp_path / "prog", "--mode", "dev").status == 0
    p = subprocess.run(["gdb", "-nx", "-batch", "-ex", "break exit", "-ex", "run", "-ex", "bt",
                        "./prog"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=TIMEOUT)
    assert "prog.mochi:2: runtime error: division by zero" in p.stderr + p.stdout
    assert re.search(r"mf_ratio \(.*\) at prog\.mochi:2", p.stdout), p.stdout
    assert re.search(r"mf_main \(\) at prog\.mochi:5", p.stdout), p.stdout


def test_a_slow_step_says_why_even_when_the_first_use_is_over() -> None:
    opts = options.Options(targets.get("x86_64-windows"), "release", False, find_compiler("zig"))
    said: list[str] = []
    with options.note_if_slow(opts, said.append, after=0.05):
        time.sleep(0.5)
    assert len(said) == 1 and said[0].startswith("mochic: still building for x86_64-windows")
    with options.note_if_slow(opts, said.append, after=5.0):
        pass  # a quick step says nothing
    time.sleep(0.1)
    assert len(said) == 1
