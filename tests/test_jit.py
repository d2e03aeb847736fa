"""The JIT as a user meets it: `mochic run` picks it, falls back from it, shows
its code (`mochic disasm`), names its functions for perf, and never maps
memory writable and executable at once."""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mochic import driver
from mochic.backends import RunRequest
from mochic.backends.copypatch import jit, stitch
from mochic.driver import compile_source
from tests.tiers import ROOT, mochic

pytestmark = pytest.mark.skipif(jit.host_machine() != "x86_64",
                                reason="runs JIT code: needs an x86_64 Linux host")

FIB = """fun fib(n: int): int {
  if n < 2 { return n }
  return fib(n - 1) + fib(n - 2)
}
print(fib(20))
"""


def test_disasm_shows_each_instruction_and_its_machine_code(tmp_path: Path) -> None:
    (tmp_path / "p.mochi").write_text(FIB)
    res = mochic(["disasm", "p.mochi", "--function", "fib"], tmp_path)
    assert res.status == 0, res.stderr
    out = res.stdout
    assert out.startswith("fun fib")
    assert "fun main" not in out
    assert "; line 3: %" in out and "call" in out  # the IR instruction, then its stencils
    assert re.search(r"^    [0-9a-f]+:  (movq|addq|callq|cmpq) ", out, re.M)  # decoded code


def test_disasm_of_an_unknown_function_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "p.mochi").write_text(FIB)
    res = mochic(["disasm", "p.mochi", "--function", "nope"], tmp_path)
    assert res.status == 1
    assert "no function 'nope'; the functions are: main, fib" in res.stderr


def test_perf_map_names_the_jit_functions(tmp_path: Path) -> None:
    (tmp_path / "p.mochi").write_text(FIB)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MOCHIC_PERF_MAP": "1"}
    p = subprocess.Popen([sys.executable, "-m", "mochic", "run", "p.mochi"], cwd=tmp_path,
                         env=env, stdout=subprocess.PIPE, text=True)
    out, _ = p.communicate(timeout=60)
    assert out == "6765\n"
    perf_map = Path(f"/tmp/perf-{p.pid}.map")
    try:
        lines = perf_map.read_text().splitlines()
    finally:
        perf_map.unlink(missing_ok=True)
    names = {line.split()[2] for line in lines}
    assert {"mochi:main", "mochi:fib"} <= names
    for line in lines:  # START SIZE NAME, in hex
        start, size, _ = line.split()
        assert int(start, 16) > 0 and int(size, 16) > 0


def test_no_mapping_is_writable_and_executable_during_a_run(tmp_path: Path) -> None:
    """Read the running process's /proc/PID/maps while JIT code executes."""
    (tmp_path / "p.mochi").write_text(FIB.replace("fib(20)", "fib(32)"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-m", "mochic", "run", "--tier", "jit", "p.mochi"],
                         cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
    seen_code = False
    snapshots = 0
    while p.poll() is None:
        try:
            maps = Path(f"/proc/{p.pid}/maps").read_text()
        except (FileNotFoundError, ProcessLookupError):
            break
        snapshots += 1
        for line in maps.splitlines():
            fields = line.split()
            perms = fields[1]
            assert not ("w" in perms and "x" in perms), line
            if perms == "r-xp" and len(fields) == 5:  # anonymous executable: the JIT's code
                seen_code = True
        time.sleep(0.005)
    out, _ = p.communicate(timeout=60)
    assert out == "2178309\n"
    assert snapshots > 0 and seen_code


def _module(text: str, tmp_path: Path):  # noqa: ANN202
    path = tmp_path / "p.mochi"
    path.write_text(text)
    compiled = compile_source(str(path), text)
    assert compiled.module is not None
    return compiled.module


def test_an_instruction_without_a_stencil_falls_back_to_interp(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    stencils = dict(stitch.stencils_for("x86_64"))
    del stencils["print"]
    monkeypatch.setattr(stitch, "stencils_for", lambda machine: stencils)
    module = _module('print("x")\n', tmp_path)
    said: list[str] = []
    assert driver.run(module, None, RunRequest(True, said.append)) == 0
    assert capsys.readouterr().out == "x\n"  # printed by the interpreter
    assert "(no stencil print (in function main)); falling back to interp" in said[0]
    assert said[1] == "mochic: running on the interp tier"
    assert driver.run(module, "jit", RunRequest(False, said.append)) == 1
    assert "error: the JIT cannot run this program: no stencil print" in said[-1]


def test_code_memory_is_sealed_read_execute(tmp_path: Path) -> None:
    prog = jit.compile_program(_module(FIB, tmp_path))
    assert prog.memory.executable
    start = prog.memory.addr
    for line in Path("/proc/self/maps").read_text().splitlines():
        lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
        if lo <= start < hi:
            assert line.split()[1] == "r-xp"
            break
    else:
        pytest.fail("the JIT's code is not mapped")


def test_math_stencils_call_what_the_c_backend_calls() -> None:
    """Both native tiers must call the same libm (or runtime) function for each name,
    or their last bits could differ."""
    from mochic.backends.c.instrs import _LIBM1, _LIBM2
    stencils = stitch.stencils_for("x86_64")
    exact = {"sqrt", "fabs", "floor", "ceil", "trunc"}  # exact: inline or called, the same
    for family, table in (("math", _LIBM1), ("math2", _LIBM2)):
        for name, fn in table.items():
            st = stencils[f"{family}_{name}"]
            called = {h.value[4:] for h in st.holes if h.value.startswith("sym:")}
            assert called == {fn} or (fn in exact and not called), name


def test_small_leaf_calls_are_inlined_into_valid_ir(tmp_path: Path) -> None:
    from mochic.ir.inline import inline_calls
    from mochic.ir.verify import verify_function
    src = """fun area(w: int, h: int): int {
  if w < 0 { return 0 }
  return w * h
}
fun label(n: int): string {
  return "n=" + str(n)
}
var total = 0
for i in 0..5 {
  total = total + area(i, i + 1) + area(-1, i)
  print(label(total))
}
print(FIB_PLACEHOLDER)
"""
    module = _module(src.replace("FIB_PLACEHOLDER", "1") + FIB.replace("print(fib(20))\n", ""),
                     tmp_path)
    main = module.functions["main"]
    inlined = inline_calls(main, module)
    calls = {ins.imm[0] for b in inlined.blocks for ins in b.instrs if ins.op == "call"}
    assert calls == set()  # area and label are leaves; fib is never called here
    assert verify_function(module, inlined) == []
    assert inline_calls(module.functions["fib"], module) is module.functions["fib"]  # recursive
    assert any(ins.op == "call" and ins.imm[0] == "area"  # the module is unchanged
               for b in main.blocks for ins in b.instrs)
    (tmp_path / "p.mochi").write_text(src.replace("FIB_PLACEHOLDER", "1"))
    jit_out = mochic(["run", "--tier", "jit", "p.mochi"], tmp_path)
    assert jit_out.stdout == mochic(["run", "--tier", "interp", "p.mochi"], tmp_path).stdout
    assert jit_out.stdout.splitlines()[-2:] == ["n=40", "1"]


@pytest.mark.parametrize("far", [False, True])
def test_runtime_calls_out_of_reach_go_through_a_veneer(far: bool) -> None:
    """A call whose target is beyond rel32's reach is patched to the veneer, which
    jumps to the absolute address; one in reach is patched to the target itself."""
    from mochic.backends.copypatch.patch import patch, veneer
    place, veneer_at = 0x10000000, 0x10001000
    target = place + (1 << 40 if far else 1 << 20)
    s = jit.branch_target("R_X86_64_PLT32", target, -4, place, veneer_at)
    assert s == (veneer_at if far else target)
    buf = bytearray(4) + veneer("x86_64", target)
    patch(buf, 0, "R_X86_64_PLT32", s - 4, place)
    assert place + 4 + struct.unpack_from("<i", buf, 0)[0] == s
    assert struct.unpack_from("<Q", buf, 4 + 6)[0] == target
    assert jit.branch_target("R_X86_64_64", target, 0, place, veneer_at) == target


def test_descriptor_numbers_match_the_runtime_header() -> None:
    """Static objects hold MType kinds and object kinds as numbers: they must be
    mochi.h's."""
    from mochic.runtime.layout import MK_KINDS, MT_KINDS
    header = (ROOT / "mochic" / "runtime" / "mochi.h").read_text()

    def enum(first: str) -> dict[str, int]:
        body = header[header.index(first):]
        names = re.findall(r"\b(M[TK]_[A-Z]+)\b", body[:body.index("}")])
        start = int(re.search(rf"{first} = (\d+)", header).group(1))  # type: ignore[union-attr]
        return {n: start + i for i, n in enumerate(names)}

    assert enum("MT_INT") == MT_KINDS
    assert enum("MK_STR") == MK_KINDS
